//! Vietnamese mobile numbers: normalization to the `84xxxxxxxxx` form that ZNS/ZBS
//! template sends expect, and masking for logs and UI (a full phone is never logged).
//! Error messages never contain the number itself.

use thiserror::Error;

/// Two-digit mobile prefixes after the trunk `0` (post-2018 numbering plan):
/// 3x Viettel, 5x Vietnamobile/Reddi/Gmobile, 7x MobiFone, 8x Vinaphone/Viettel/
/// MobiFone/Itel, 9x (95 was S-Fone's CDMA range, closed, so it is rejected).
pub const MOBILE_PREFIXES: [&str; 36] = [
    "32", "33", "34", "35", "36", "37", "38", "39", // Viettel
    "52", "55", "56", "58", "59", // Vietnamobile, Reddi, Gmobile
    "70", "76", "77", "78", "79", // MobiFone
    "81", "82", "83", "84", "85", "86", "87", "88", "89", // Vinaphone, Viettel, Itel, MobiFone
    "90", "91", "92", "93", "94", "96", "97", "98", "99", // no 95
];

/// Digits of a mobile number after the trunk `0` / country code `84`.
const SUBSCRIBER_DIGITS: usize = 9;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("Chưa nhập số điện thoại.")]
    Empty,
    #[error("Số điện thoại chỉ được chứa chữ số, dấu cách, dấu chấm, gạch ngang, ngoặc và dấu + ở đầu.")]
    InvalidCharacters,
    #[error("Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84).")]
    NotVietnamese,
    #[error("Số điện thoại phải bắt đầu bằng 0 hoặc 84 (ví dụ 0912 345 678).")]
    MissingPrefix,
    #[error("Đây là số máy bàn; vui lòng nhập số di động.")]
    Landline,
    #[error("Số di động phải có 10 chữ số (tính cả số 0 đầu); số đã nhập có {digits} chữ số.")]
    WrongLength { digits: usize },
    #[error("Đầu số 0{prefix} không phải đầu số di động Việt Nam.")]
    UnknownPrefix { prefix: String },
}

/// Normalizes a Vietnamese mobile number to `84` + 9 digits. Accepts `0912 345 678`,
/// `0912.345.678`, `+84912345678`, `84912345678`, `(+84) 912-345-678`, and the common
/// `+84 0912…` slip (trunk 0 after the country code).
pub fn normalize_vn_phone(input: &str) -> Result<String, PhoneError> {
    let compact = strip_separators(input);
    if compact.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (has_plus, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::InvalidCharacters);
    }
    let subscriber = subscriber_digits(has_plus, digits)?;
    if subscriber.starts_with('2') {
        return Err(PhoneError::Landline);
    }
    if subscriber.len() != SUBSCRIBER_DIGITS {
        return Err(PhoneError::WrongLength { digits: subscriber.len() + 1 });
    }
    let prefix = &subscriber[..2];
    if !MOBILE_PREFIXES.contains(&prefix) {
        return Err(PhoneError::UnknownPrefix { prefix: prefix.to_owned() });
    }
    Ok(format!("84{subscriber}"))
}

/// Masks a phone for logs and UI: first 3 and last 2 characters kept
/// (`84912345678` → `849******78`); strings of 5 characters or fewer are fully masked.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.trim().chars().collect();
    let count = chars.len();
    if count <= 5 {
        return "*".repeat(count);
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[count - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(count - 5))
}

fn strip_separators(input: &str) -> String {
    input.chars().filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')'))).collect()
}

/// The digits after the trunk `0` or country code `84`.
fn subscriber_digits(has_plus: bool, digits: &str) -> Result<&str, PhoneError> {
    let Some(national) = digits.strip_prefix("84") else {
        return match digits.strip_prefix('0') {
            _ if has_plus => Err(PhoneError::NotVietnamese),
            Some(rest) => Ok(rest),
            None => Err(PhoneError::MissingPrefix),
        };
    };
    // "+84 0912 345 678": drop the trunk 0 written after the country code.
    let with_trunk_dropped = national.strip_prefix('0').filter(|rest| rest.len() == SUBSCRIBER_DIGITS);
    Ok(with_trunk_dropped.unwrap_or(national))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalize_to_84() {
        let cases = [
            ("0912 345 678", "84912345678"),
            ("0912.345.678", "84912345678"),
            ("+84912345678", "84912345678"),
            ("84912345678", "84912345678"),
            ("(+84) 912-345-678", "84912345678"),
            ("+84 0912 345 678", "84912345678"),
            ("  0987654321 ", "84987654321"),
            ("0321234567", "84321234567"),
            ("0521234567", "84521234567"),
            ("0701234567", "84701234567"),
            ("0861234567", "84861234567"),
            ("0991234567", "84991234567"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_vn_phone(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn rejected_inputs() {
        let cases = [
            ("", PhoneError::Empty),
            (" - ", PhoneError::Empty),
            ("0912 345 67a", PhoneError::InvalidCharacters),
            ("+", PhoneError::InvalidCharacters),
            ("++84912345678", PhoneError::InvalidCharacters),
            ("+1 415 555 0100", PhoneError::NotVietnamese),
            ("912345678", PhoneError::MissingPrefix),
            ("024 3825 1234", PhoneError::Landline),
            ("+84 24 3825 1234", PhoneError::Landline),
            ("091234567", PhoneError::WrongLength { digits: 9 }),
            ("09123456789", PhoneError::WrongLength { digits: 11 }),
            ("01234567890", PhoneError::WrongLength { digits: 11 }),
            ("0951234567", PhoneError::UnknownPrefix { prefix: "95".into() }),
            ("0311234567", PhoneError::UnknownPrefix { prefix: "31".into() }),
            ("0711234567", PhoneError::UnknownPrefix { prefix: "71".into() }),
            ("0801234567", PhoneError::UnknownPrefix { prefix: "80".into() }),
            ("0571234567", PhoneError::UnknownPrefix { prefix: "57".into() }),
            ("0123456789", PhoneError::UnknownPrefix { prefix: "12".into() }),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_vn_phone(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn every_listed_prefix_is_accepted() {
        for prefix in MOBILE_PREFIXES {
            let input = format!("0{prefix}1234567");
            assert_eq!(normalize_vn_phone(&input), Ok(format!("84{prefix}1234567")));
        }
    }

    #[test]
    fn errors_never_echo_the_number() {
        let err = normalize_vn_phone("0951234567").unwrap_err().to_string();
        assert!(!err.contains("1234567"), "{err}");
        assert!(err.contains("095"), "{err}");
    }

    #[test]
    fn masking() {
        let cases = [
            ("84912345678", "849******78"),
            ("0912345678", "091*****78"),
            ("123456", "123*56"),
            ("12345", "*****"),
            ("", ""),
            (" 84912345678 ", "849******78"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_phone(input), expected, "{input}");
        }
    }
}

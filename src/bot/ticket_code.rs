//! Complaint codes as citizens type them: `PA-2026-7K3Q9X`, `pa 2026 7k3q9x`, `PA2026-7K3 Q9X`
//! (any case, spaces or dashes anywhere between the parts) are recognised and normalised to
//! `PA-<year>-<6 letters or digits>` upper case.

use crate::bot::text::{fold, tokens};

/// The code shown to citizens as an example.
pub const EXAMPLE_TICKET_CODE: &str = "PA-2026-7K3Q9X";

/// Prefix of every complaint code.
const PREFIX: &str = "pa";
/// Digits of the year part.
const YEAR_DIGITS: usize = 4;
/// Letters or digits of the serial part.
const SERIAL_CHARS: usize = 6;
/// Characters of a code once separators are removed.
const COMPACT_LEN: usize = PREFIX.len() + YEAR_DIGITS + SERIAL_CHARS;

/// The code when `text` is a complaint code and nothing else.
pub fn parse_ticket_code(text: &str) -> Option<String> {
    let folded = fold(text);
    let words = tokens(&folded);
    match code_at(&words, 0) {
        Some((code, used)) if used == words.len() => Some(code),
        _ => None,
    }
}

/// The first complaint code written anywhere in `text` ("cho tôi hỏi PA-2026-7K3Q9X ạ").
pub fn find_ticket_code(text: &str) -> Option<String> {
    let folded = fold(text);
    let words = tokens(&folded);
    (0..words.len()).find_map(|start| code_at(&words, start).map(|(code, _)| code))
}

/// A code made of the words from `start` on, joined until they hold exactly the code's
/// characters; with the number of words used.
fn code_at(words: &[&str], start: usize) -> Option<(String, usize)> {
    if !words.get(start)?.starts_with(PREFIX) {
        return None;
    }
    let mut compact = String::new();
    for (offset, word) in words[start..].iter().enumerate() {
        compact.push_str(word);
        if compact.len() >= COMPACT_LEN {
            return (compact.len() == COMPACT_LEN)
                .then(|| normalized(&compact))
                .flatten()
                .map(|code| (code, offset + 1));
        }
    }
    None
}

/// `pa20267k3q9x` → `PA-2026-7K3Q9X`, if the parts have the right characters.
fn normalized(compact: &str) -> Option<String> {
    let rest = compact.strip_prefix(PREFIX)?;
    if !rest.is_ascii() {
        return None;
    }
    let (year, serial) = rest.split_at(YEAR_DIGITS);
    let year_ok = year.bytes().all(|b| b.is_ascii_digit()) && year.starts_with('2');
    let serial_ok = serial.len() == SERIAL_CHARS && serial.bytes().all(|b| b.is_ascii_alphanumeric());
    (year_ok && serial_ok).then(|| format!("PA-{year}-{}", serial.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_message_codes_in_many_spellings() {
        let cases = [
            ("PA-2026-7K3Q9X", Some("PA-2026-7K3Q9X")),
            ("pa-2026-7k3q9x", Some("PA-2026-7K3Q9X")),
            ("  PA 2026 7K3Q9X ", Some("PA-2026-7K3Q9X")),
            ("PA2026-7K3Q9X", Some("PA-2026-7K3Q9X")),
            ("PA20267K3Q9X", Some("PA-2026-7K3Q9X")),
            ("PA-2026-7K3 Q9X", Some("PA-2026-7K3Q9X")),
            ("pa - 2026 - 000123", Some("PA-2026-000123")),
            ("PA-2026-7K3Q9X.", Some("PA-2026-7K3Q9X")),
            ("PA-2026-7K3Q9", None),
            ("PA-2026-7K3Q9XY", None),
            ("PA-26-7K3Q9X", None),
            ("PB-2026-7K3Q9X", None),
            ("PA-1026-7K3Q9X", None),
            ("PA-2026-7K3Q9Ж", None),
            ("PA-2026-7K3Q9Ư", Some("PA-2026-7K3Q9U")),
            ("tra cứu PA-2026-7K3Q9X", None),
            ("", None),
            ("phản ánh", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_ticket_code(text).as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn codes_inside_messages() {
        let cases = [
            ("tra cứu PA-2026-7K3Q9X", Some("PA-2026-7K3Q9X")),
            ("Cho tôi hỏi phản ánh pa 2026 7k3q9x đến đâu rồi ạ?", Some("PA-2026-7K3Q9X")),
            ("mã PA-2026-000123 và PA-2026-000124", Some("PA-2026-000123")),
            ("pass 2026 abcdef", None),
            ("phan anh 2026", None),
            ("số điện thoại 0912345678", None),
            ("pa", None),
        ];
        for (text, expected) in cases {
            assert_eq!(find_ticket_code(text).as_deref(), expected, "{text:?}");
        }
        assert_eq!(parse_ticket_code(EXAMPLE_TICKET_CODE).as_deref(), Some(EXAMPLE_TICKET_CODE));
    }
}

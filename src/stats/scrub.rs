//! Removes personal data from citizens' free text (survey suggestions) before it leaves the
//! service in an export or is shown beside the figures: phone numbers (Vietnamese formats, with
//! `+84`/`84`/`0`, spaces, dots, dashes, brackets), e-mail addresses, ID numbers (CCCD 12 digits,
//! CMND 9), web addresses and any other run of 9 or more digits (account numbers, Zalo ids…).
//! Each is replaced by [`PLACEHOLDER`]. Errs on the side of hiding: a large amount written
//! with thousands separators ("1.500.000.000 đồng") is hidden too.

/// What stands in for a removed piece.
pub const PLACEHOLDER: &str = "[đã ẩn]";

/// Digits from which a number is treated as personal (CMND has 9, phones 10–11, CCCD 12).
const MIN_DIGITS: usize = 9;

/// Endings of bare web addresses (`facebook.com/…`, `abc.gov.vn`).
const TOP_LEVEL_DOMAINS: [&str; 12] = ["vn", "com", "net", "org", "info", "io", "me", "edu", "gov", "biz", "co", "xyz"];

/// Characters that may stand between the digits of one number.
fn is_number_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}')
}

fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Punctuation that ends a sentence rather than an address.
fn is_trailing_punctuation(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '"' | '\'' | '”' | '»')
}

/// `text` with personal data replaced by [`PLACEHOLDER`].
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    spans.extend(web_addresses(&chars));
    spans.extend(emails(&chars));
    spans.extend(numbers(&chars));
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if end <= at {
            continue;
        }
        if start >= at {
            out.extend(&chars[at..start]);
            out.push_str(PLACEHOLDER);
        }
        at = end;
    }
    out.extend(&chars[at.min(chars.len())..]);
    out
}

/// Whether `text` holds anything [`scrub`] would remove.
pub fn has_personal_data(text: &str) -> bool {
    scrub(text) != text
}

/// Maximal runs of non-whitespace characters, as `(start, end)` indices.
fn words(chars: &[char]) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in chars.iter().enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, chars.len()));
    }
    words
}

fn starts_with_ignore_case(chars: &[char], prefix: &str) -> bool {
    let mut rest = chars.iter();
    prefix.chars().all(|p| rest.next().is_some_and(|c| c.to_ascii_lowercase() == p))
}

/// `http://…`, `https://…`, `www.…` and bare host names with a known ending, up to the next
/// space (trailing punctuation excluded).
fn web_addresses(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (word_start, word_end) in words(chars) {
        let mut end = word_end;
        while end > word_start && is_trailing_punctuation(chars[end - 1]) {
            end -= 1;
        }
        let word = &chars[word_start..end];
        let scheme = (0..word.len()).find(|&i| {
            let boundary = i == 0 || !word[i - 1].is_alphanumeric();
            boundary
                && (starts_with_ignore_case(&word[i..], "http://")
                    || starts_with_ignore_case(&word[i..], "https://")
                    || starts_with_ignore_case(&word[i..], "www."))
        });
        if let Some(i) = scheme {
            spans.push((word_start + i, end));
            continue;
        }
        // A bare host: skip opening brackets and quotes, then letters, digits, dots, dashes.
        let host_start = word.iter().position(char::is_ascii_alphanumeric).unwrap_or(word.len());
        let host_len = word[host_start..].iter().take_while(|c| is_domain_char(**c)).count();
        let host: String = word[host_start..host_start + host_len].iter().collect();
        let after = word.get(host_start + host_len);
        if (after.is_none() || after == Some(&'/')) && is_host_name(&host) {
            spans.push((word_start + host_start, end));
        }
    }
    spans
}

/// `label.label…tld` with a known top-level domain and a letter in the first label.
fn is_host_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
        return false;
    }
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    TOP_LEVEL_DOMAINS.contains(&tld.as_str()) && labels[0].chars().any(|c| c.is_ascii_alphabetic())
}

/// `local@domain.tld` around each `@`.
fn emails(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_email_local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain_char(chars[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        let has_tld = domain.rsplit_once('.').is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2);
        if start < at && has_tld {
            spans.push((start, end));
        }
    }
    spans
}

/// Numbers of [`MIN_DIGITS`] or more digits, their groups joined by spaces, dots, dashes or
/// brackets (`0912 345 678`, `+84 (91) 234-5678`, `079.123.456.789`); a leading `+` or `(` is
/// part of the number.
fn numbers(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > 0 && matches!(chars[start - 1], '+' | '(') {
            start -= 1;
        }
        let mut digits = 0;
        let mut end = i;
        let mut j = i;
        loop {
            while j < chars.len() && chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
            }
            end = end.max(j);
            // At most two separators (e.g. ") ") between two groups of digits.
            let gap = chars[j..].iter().take(3).take_while(|c| is_number_separator(**c)).count();
            if gap > 0 && gap <= 2 && chars.get(j + gap).is_some_and(char::is_ascii_digit) {
                j += gap;
            } else {
                break;
            }
        }
        if digits >= MIN_DIGITS {
            let closes = chars.get(end) == Some(&')') && chars[start..end].contains(&'(');
            spans.push((start, if closes { end + 1 } else { end }));
        }
        i = end.max(i + 1);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_every_vietnamese_format() {
        for phone in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "0912-345-678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
            "(+84) 912 345 678",
            "+84 (0) 912 345 678",
            "0292 3822 123",
            "(0292) 3822123",
            "091 234 5678",
        ] {
            let text = format!("Gọi cho tôi qua số {phone} nhé.");
            assert_eq!(scrub(&text), "Gọi cho tôi qua số [đã ẩn] nhé.", "{phone}");
        }
        assert_eq!(scrub("sđt:0987654321"), "sđt:[đã ẩn]");
        assert_eq!(scrub("0987654321"), "[đã ẩn]");
    }

    #[test]
    fn id_numbers_and_long_digit_runs() {
        assert_eq!(scrub("CCCD 079123456789 của tôi"), "CCCD [đã ẩn] của tôi");
        assert_eq!(scrub("CMND số 361234567."), "CMND số [đã ẩn].");
        assert_eq!(scrub("STK 1903 6655 8899 012 Techcombank"), "STK [đã ẩn] Techcombank");
        assert_eq!(scrub("zalo id 4412345678901234567"), "zalo id [đã ẩn]");
    }

    #[test]
    fn emails_and_web_addresses() {
        assert_eq!(scrub("Email: nguyen.van.a+ks@gmail.com."), "Email: [đã ẩn].");
        assert_eq!(scrub("gửi về A_B-1@so-tu-phap.haugiang.gov.vn giúp"), "gửi về [đã ẩn] giúp");
        assert_eq!(scrub("xem https://facebook.com/nguyenvana?id=12 nhé"), "xem [đã ẩn] nhé");
        assert_eq!(scrub("(www.example.org/trang)"), "([đã ẩn])");
        assert_eq!(scrub("trang facebook.com/nguyen.van.a của tôi"), "trang [đã ẩn] của tôi");
        assert_eq!(scrub("Link:HTTP://x.vn"), "Link:[đã ẩn]");
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "Cán bộ Sở Tư pháp hướng dẫn tận tình, chu đáo.",
            "Chờ 3 lần, mỗi lần 2 giờ; phí 500.000 đồng là cao.",
            "Ngày 05/12/2025 tôi nộp hồ sơ lúc 7.30, trả kết quả 12.10.2025.",
            "Năm 2024 và 2025 đều tốt. Điểm 4/5.",
            "Cần thêm chỗ để xe... Cảm ơn!",
            "Địa chỉ: số 12, đường 3/2, phường I",
            "Hotline 1900 1234",
            "",
        ] {
            assert_eq!(scrub(text), text);
            assert!(!has_personal_data(text));
        }
    }

    #[test]
    fn several_pieces_in_one_text() {
        let text = "SĐT 0912345678, email a@b.vn, CCCD 079123456789; web abc.com.vn/x";
        assert_eq!(scrub(text), "SĐT [đã ẩn], email [đã ẩn], CCCD [đã ẩn]; web [đã ẩn]");
        assert!(has_personal_data(text));
        // An address holding digits is one piece, not two.
        assert_eq!(scrub("mail 0912345678@gmail.com"), "mail [đã ẩn]");
    }
}

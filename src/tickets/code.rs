//! Ticket codes: `PA-<year>-<6 characters>` from an alphabet without look-alikes (no 0/O/1/I),
//! drawn at random (6 × 5 = 30 bits) so codes cannot be guessed or enumerated; uniqueness is the
//! database's job (a unique constraint, and a retry with a new code). Also the normaliser for
//! codes as citizens type them ("pa 2026 k7m3qx", "PA2026K7M3QX").

use rand::Rng;

/// The 32 characters a code's random part uses: digits 2–9 and A–Z without I and O.
pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Length of the random part.
pub const RANDOM_CHARS: usize = 6;
/// The fixed prefix ("phản ánh").
pub const PREFIX: &str = "PA";

/// Where new codes come from (random in production; scripted in tests of the retry).
pub trait CodeSource: Send + Sync {
    /// A candidate code for a ticket received in `year` (local calendar year).
    fn next_code(&self, year: i32) -> String;
}

/// Codes from the operating system's CSPRNG (via `rand::thread_rng`, a ChaCha generator seeded
/// from the OS).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomCodes;

impl CodeSource for RandomCodes {
    fn next_code(&self, year: i32) -> String {
        let mut rng = rand::thread_rng();
        let random: String =
            (0..RANDOM_CHARS).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
        format_code(year, &random)
    }
}

/// `PA-<year>-<random>`.
pub fn format_code(year: i32, random: &str) -> String {
    format!("{PREFIX}-{year:04}-{random}")
}

/// Normalises a code as typed: case, spaces, dots, underscores and missing or extra dashes are
/// forgiven. `None` when it is not a well-formed code (wrong length, a character outside the
/// alphabet, no year).
pub fn normalize(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '–' | '—' | '.' | '_' | '/' | '#'))
        .flat_map(char::to_uppercase)
        .collect();
    let rest = compact.strip_prefix(PREFIX)?;
    if rest.len() != 4 + RANDOM_CHARS || !rest.is_ascii() {
        return None;
    }
    let (year, random) = rest.split_at(4);
    if !year.bytes().all(|b| b.is_ascii_digit()) || !year.starts_with('2') {
        return None;
    }
    if !random.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{PREFIX}-{year}-{random}"))
}

/// Finds a code inside a message ("tra cứu PA-2026-K7M3QX giúp tôi"), normalised.
pub fn find_in_text(text: &str) -> Option<String> {
    let upper: Vec<char> = text.chars().flat_map(char::to_uppercase).collect();
    for start in 0..upper.len() {
        if upper[start] != 'P' || upper.get(start + 1) != Some(&'A') {
            continue;
        }
        if start > 0 && upper[start - 1].is_alphanumeric() {
            continue;
        }
        // Take up to 20 characters of code-like text and try the longest prefix that parses.
        let candidate: String = upper[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ' ' | '.' | '_'))
            .take(20)
            .collect();
        for end in (2..=candidate.len()).rev() {
            if !candidate.is_char_boundary(end) {
                continue;
            }
            let slice = &candidate[..end];
            let next = candidate[end..].chars().next();
            let last = slice.chars().last();
            if next.is_some_and(|c| c.is_ascii_alphanumeric()) && last.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            if let Some(code) = normalize(slice) {
                return Some(code);
            }
        }
    }
    None
}

/// A code derived from a source key (SHA-256, mapped onto the alphabet): the same key always
/// gives the same code, so filing the same event twice is recognised. Not enumerable: the key
/// contains the webhook message id, which only Zalo and the citizen know.
pub fn derived_code(year: i32, source_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("tongdai-ticket:{source_key}").as_bytes());
    let random: String =
        digest.iter().take(RANDOM_CHARS).map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    format!("PA-{year}-{random}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_codes_are_stable_per_key_and_well_formed() {
        let a = derived_code(2026, "user_send_text:msg-1");
        assert_eq!(a, derived_code(2026, "user_send_text:msg-1"));
        assert_ne!(a, derived_code(2026, "user_send_text:msg-2"));
        assert_eq!(normalize(&a).as_deref(), Some(a.as_str()));
    }

    #[test]
    fn random_codes_have_the_format_and_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let code = RandomCodes.next_code(2026);
            assert_eq!(code.len(), "PA-2026-".len() + RANDOM_CHARS, "{code}");
            assert!(code.starts_with("PA-2026-"), "{code}");
            let random = &code[8..];
            assert!(random.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert!(!random.contains(['0', 'O', '1', 'I']), "{code}");
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
            seen.insert(code);
        }
        // 2^30 possibilities: 2000 draws colliding more than a couple of times means no randomness.
        assert!(seen.len() >= 1995, "{} distinct of 2000", seen.len());
        assert_eq!(ALPHABET.len(), 32, "32 symbols = 5 bits each, 30 bits per code");
        let distinct: std::collections::HashSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(distinct.len(), 32);
    }

    #[test]
    fn typed_codes_are_normalised() {
        for typed in [
            "PA-2026-K7M3QX",
            "pa-2026-k7m3qx",
            "PA2026K7M3QX",
            "pa 2026 k7m3qx",
            " Pa-2026 K7M3QX ",
            "PA-2026-K7M-3QX",
            "PA_2026_K7M3QX",
            "PA–2026–K7M3QX",
            "#PA.2026.K7M3QX",
        ] {
            assert_eq!(normalize(typed).as_deref(), Some("PA-2026-K7M3QX"), "{typed:?}");
        }
        for bad in [
            "",
            "PA",
            "PA-2026",
            "PA-2026-K7M3Q",
            "PA-2026-K7M3QXX",
            "PA-2026-K7M30X",
            "PA-2026-K7M3OX",
            "PA-2026-K7M31X",
            "PA-2026-K7MI3X",
            "PB-2026-K7M3QX",
            "PA-20X6-K7M3QX",
            "PA-1999-K7M3QX",
            "PA-2026-K7M3Qé",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn codes_are_found_inside_messages() {
        assert_eq!(find_in_text("tra cứu pa-2026-k7m3qx giúp tôi").as_deref(), Some("PA-2026-K7M3QX"));
        assert_eq!(find_in_text("Mã PA 2026 K7M3QX").as_deref(), Some("PA-2026-K7M3QX"));
        assert_eq!(find_in_text("PA2026K7M3QX.").as_deref(), Some("PA-2026-K7M3QX"));
        assert_eq!(find_in_text("PA 2026 K7M3QX giup toi").as_deref(), Some("PA-2026-K7M3QX"));
        assert_eq!(find_in_text("không có mã"), None);
        assert_eq!(find_in_text("CAPA-2026-K7M3QX"), None);
    }
}

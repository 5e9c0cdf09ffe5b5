//! Identifiers the simulator hands out, shaped like Zalo's: user ids as long digit strings
//! (beyond 2^53, so they only survive as strings), message ids as 20 lowercase hex
//! characters, tokens and authorization codes as random URL-safe text.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

/// A 19-digit id such as `8890635404729405962` (OA-scoped user id, `user_id_by_app`).
pub fn digit_id() -> String {
    rand::thread_rng().gen_range(1_000_000_000_000_000_000_u64..10_000_000_000_000_000_000_u64).to_string()
}

/// A message id such as `63ecf43f0df7dba892e6`.
pub fn message_id() -> String {
    let bytes: [u8; 10] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// Random alphanumeric text of `len` characters (tokens, codes).
pub fn token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_zalo() {
        let user = digit_id();
        assert_eq!(user.len(), 19, "{user}");
        assert!(user.bytes().all(|b| b.is_ascii_digit()));
        assert!(user.parse::<u64>().expect("fits u64") > (1_u64 << 53));
        let msg = message_id();
        assert_eq!(msg.len(), 20);
        assert!(msg.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(token(50).len(), 50);
        assert_ne!(token(50), token(50));
    }
}

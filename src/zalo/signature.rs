//! Webhook signature of Zalo OA (reference §1): header `X-ZEvent-Signature: mac=<hex>`
//! where hex = SHA-256 (plain, not HMAC) of `app_id + raw_body + timestamp + OA secret key`.
//! The timestamp is the body's own `timestamp` field as text; the secret is the OA Secret
//! Key of the app's Webhook page, not the app secret.

use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::zalo::wire::value_to_string;

/// Name of the HTTP header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-ZEvent-Signature";

const MAC_PREFIX: &str = "mac=";

/// Lowercase hex SHA-256 of the four parts in Zalo's order.
fn mac_hex(app_id: &str, raw_body: &[u8], timestamp: &str, oa_secret_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_id.as_bytes());
    hasher.update(raw_body);
    hasher.update(timestamp.as_bytes());
    hasher.update(oa_secret_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// The full header value Zalo would send for this body: `mac=<64 lowercase hex>`.
pub fn sign(app_id: &str, raw_body: &[u8], timestamp: &str, oa_secret_key: &str) -> String {
    format!("{MAC_PREFIX}{}", mac_hex(app_id, raw_body, timestamp, oa_secret_key))
}

/// Checks the header value against the exact raw body. Accepts surrounding whitespace,
/// uppercase hex and a bare hex digest without `mac=` (as Zalo-compatible code does);
/// the digest comparison is constant-time.
pub fn verify_signature(
    app_id: &str,
    raw_body: &[u8],
    timestamp: &str,
    oa_secret_key: &str,
    header_value: &str,
) -> bool {
    let trimmed = header_value.trim();
    let received = trimmed.strip_prefix(MAC_PREFIX).unwrap_or(trimmed).trim().to_ascii_lowercase();
    let expected = mac_hex(app_id, raw_body, timestamp, oa_secret_key);
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

/// The body's `timestamp` field as its exact text (a JSON string, or an integer number's
/// digits). `None` when the body is not a JSON object or has no usable timestamp.
pub fn body_timestamp(raw: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(body) => body.as_object()?.get("timestamp").and_then(value_to_string),
        // A malformed body can still be signed by Zalo; find the field textually so the
        // signature can be checked (and the body kept for inspection) rather than refused.
        Err(_) => scan_timestamp(raw),
    }
}

/// Finds `"timestamp": "<digits>"` or `"timestamp": <digits>` in raw bytes (first occurrence).
fn scan_timestamp(raw: &[u8]) -> Option<String> {
    const FIELD: &[u8] = b"\"timestamp\"";
    let start = raw.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let rest = raw[start..].trim_ascii_start().strip_prefix(b":")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
    let end = rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    String::from_utf8(rest[..end].to_vec()).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const APP_ID: &str = "3310500707791294854";
    const BODY: &[u8] = br#"{"event_name":"follow","timestamp":"1752295684665"}"#;
    const TIMESTAMP: &str = "1752295684665";
    const SECRET: &str = "oaSecretKey123";
    /// printf '%s' '3310500707791294854{"event_name":"follow","timestamp":"1752295684665"}1752295684665oaSecretKey123' | sha256sum
    const KNOWN_HEX: &str = "20ce1420be9288f93c21f72ee159b421dd5436fa20378dc8e80e27082d0c16f5";

    #[test]
    fn timestamp_is_found_in_malformed_bodies_too() {
        assert_eq!(
            body_timestamp(br#"{"event_name":"x","timestamp":"1752295684665","message":{"#).as_deref(),
            Some("1752295684665")
        );
        assert_eq!(body_timestamp(br#"{"timestamp" : 154390853474, oops"#).as_deref(), Some("154390853474"));
        assert_eq!(body_timestamp(b"not json at all"), None);
    }

    #[test]
    fn sign_matches_an_independently_computed_vector() {
        assert_eq!(sign(APP_ID, BODY, TIMESTAMP, SECRET), format!("mac={KNOWN_HEX}"));
        // printf '%s' 'app{"a":1}1secret' | sha256sum
        assert_eq!(
            sign("app", br#"{"a":1}"#, "1", "secret"),
            "mac=62ca8b7ea8332160bffe81c15bc2fd3318f73d035531e63c509b2c10f54aced7"
        );
    }

    #[test]
    fn verify_header_variants() {
        let good = format!("mac={KNOWN_HEX}");
        let cases = [
            ("valid", good.clone(), true),
            ("uppercase hex", format!("mac={}", KNOWN_HEX.to_uppercase()), true),
            ("surrounding spaces", format!("  {good} "), true),
            ("bare hex without mac= prefix", KNOWN_HEX.to_owned(), true),
            ("truncated digest", good[..good.len() - 2].to_owned(), false),
            ("empty header", String::new(), false),
            ("prefix only", "mac=".to_owned(), false),
            ("other prefix", format!("sha256={KNOWN_HEX}"), false),
        ];
        for (name, header, expected) in cases {
            let verified = verify_signature(APP_ID, BODY, TIMESTAMP, SECRET, &header);
            assert_eq!(verified, expected, "{name}");
        }
    }

    #[test]
    fn verify_rejects_changed_inputs() {
        let header = format!("mac={KNOWN_HEX}");
        let tampered: &[u8] = br#"{"event_name":"follow","timestamp":"1752295684666"}"#;
        let cases: [(&str, &str, &[u8], &str, &str); 5] = [
            ("wrong secret", APP_ID, BODY, TIMESTAMP, "appSecretInstead"),
            ("tampered body", APP_ID, tampered, TIMESTAMP, SECRET),
            ("other timestamp", APP_ID, BODY, "1752295684666", SECRET),
            ("other app", "1", BODY, TIMESTAMP, SECRET),
            ("empty secret", APP_ID, BODY, TIMESTAMP, ""),
        ];
        for (name, app_id, body, timestamp, secret) in cases {
            assert!(!verify_signature(app_id, body, timestamp, secret, &header), "{name}");
        }
    }

    #[test]
    fn sign_then_verify_round_trips_on_a_real_sample() {
        let raw = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/reference/zalo-samples/user_send_text.json"),
        )
        .unwrap();
        let timestamp = body_timestamp(&raw).unwrap();
        assert_eq!(timestamp, "154390853474");
        let header = sign("360846524940903967", &raw, &timestamp, SECRET);
        assert!(verify_signature("360846524940903967", &raw, &timestamp, SECRET, &header));
        let mut reserialized = serde_json::to_vec(&serde_json::from_slice::<Value>(&raw).unwrap()).unwrap();
        reserialized.push(b' ');
        assert!(!verify_signature("360846524940903967", &reserialized, &timestamp, SECRET, &header));
    }

    #[test]
    fn body_timestamp_table() {
        let cases: [(&[u8], Option<&str>); 7] = [
            (br#"{"timestamp":"1609984527180"}"#, Some("1609984527180")),
            (br#"{"timestamp":1609984527180}"#, Some("1609984527180")),
            (br#"{"timestamp":"..."}"#, Some("...")),
            (br#"{"timestamp":""}"#, None),
            (br#"{"event_name":"follow"}"#, None),
            (br#"[{"timestamp":"1"}]"#, None),
            (b"garbage", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(body_timestamp(raw).as_deref(), expected, "{}", String::from_utf8_lossy(raw));
        }
    }
}

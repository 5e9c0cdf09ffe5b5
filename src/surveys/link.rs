//! Signed, expiring web-form links: `/s/<token>` where the token is the base64url (no padding)
//! of the instance's public reference, its expiry (epoch seconds, 8 bytes big-endian) and an
//! HMAC-SHA256 over both. Checked in constant time; a forged, altered or expired token is refused.

use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

const MAC_LEN: usize = 32;
const EXPIRY_LEN: usize = 8;
/// Longest instance reference a link may carry.
const MAX_REFERENCE_LEN: usize = 64;

/// Why a link token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature is wrong")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

/// A verified link: which instance, and until when it was valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub reference: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies survey links with one secret key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner { key: *** }")
    }
}

impl LinkSigner {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, message: &[u8]) -> [u8; MAC_LEN] {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.key) else {
            return [0; MAC_LEN];
        };
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// The token for `reference` (an instance's public token), valid until `expires_at`.
    pub fn sign(&self, reference: &str, expires_at: DateTime<Utc>) -> String {
        let mut bytes = Vec::with_capacity(reference.len() + EXPIRY_LEN + MAC_LEN);
        bytes.extend_from_slice(reference.as_bytes());
        bytes.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        let mac = self.mac(&bytes);
        bytes.extend_from_slice(&mac);
        base64url_encode(&bytes)
    }

    /// Checks a token's signature (constant time) and expiry at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaims, LinkError> {
        let claims = self.verify_signature(token)?;
        if now >= claims.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// Checks a token's signature only (for actions still allowed after expiry, like opting out).
    pub fn verify_signature(&self, token: &str) -> Result<LinkClaims, LinkError> {
        let bytes = base64url_decode(token).ok_or(LinkError::Malformed)?;
        if bytes.len() <= EXPIRY_LEN + MAC_LEN || bytes.len() > MAX_REFERENCE_LEN + EXPIRY_LEN + MAC_LEN {
            return Err(LinkError::Malformed);
        }
        let (signed, mac) = bytes.split_at(bytes.len() - MAC_LEN);
        if !bool::from(self.mac(signed).ct_eq(mac)) {
            return Err(LinkError::BadSignature);
        }
        let (reference, expiry) = signed.split_at(signed.len() - EXPIRY_LEN);
        let mut seconds = [0u8; EXPIRY_LEN];
        seconds.copy_from_slice(expiry);
        let expires_at = Utc.timestamp_opt(i64::from_be_bytes(seconds), 0).single().ok_or(LinkError::Malformed)?;
        let reference = String::from_utf8(reference.to_vec()).map_err(|_| LinkError::Malformed)?;
        Ok(LinkClaims { reference, expires_at })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Decodes base64url without padding; `None` for any other character or a truncated group.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| ALPHABET.iter().position(|a| *a == c).and_then(|p| u32::try_from(p).ok());
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push(((n >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_770_000_000 + seconds, 0).single().expect("valid time")
    }

    #[test]
    fn base64url_round_trips_and_matches_rfc_4648_vectors() {
        for (plain, encoded) in
            [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE")]
        {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).expect("valid"), plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("-_8").expect("valid"), [0xfb, 0xff]);
        assert_eq!(base64url_decode("Zm9v=="), None, "padding is not part of the alphabet");
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm9+"), None);
    }

    #[test]
    fn signed_links_verify_until_they_expire() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let token = signer.sign("abc-DEF_123", at(3600));
        assert!(token.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
        let claims = signer.verify(&token, at(0)).expect("valid link");
        assert_eq!(claims, LinkClaims { reference: "abc-DEF_123".into(), expires_at: at(3600) });
        assert_eq!(signer.verify(&token, at(3600)), Err(LinkError::Expired));
        assert_eq!(signer.verify(&token, at(3600) + Duration::days(1)), Err(LinkError::Expired));
        assert_eq!(signer.verify_signature(&token).expect("signature still valid").reference, "abc-DEF_123");
    }

    #[test]
    fn forged_altered_and_garbled_links_are_refused() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let other = LinkSigner::new(b"another key, another key, another".to_vec());
        let token = signer.sign("instance-1", at(3600));
        assert_eq!(other.verify(&token, at(0)), Err(LinkError::BadSignature));
        // Changing the reference or the expiry breaks the signature.
        let mut bytes = base64url_decode(&token).expect("valid");
        bytes[0] ^= 1;
        assert_eq!(signer.verify(&base64url_encode(&bytes), at(0)), Err(LinkError::BadSignature));
        let forged_expiry = {
            let mut bytes = base64url_decode(&token).expect("valid");
            let expiry_at = bytes.len() - MAC_LEN - 1;
            bytes[expiry_at] ^= 0x10;
            base64url_encode(&bytes)
        };
        assert_eq!(signer.verify(&forged_expiry, at(0)), Err(LinkError::BadSignature));
        assert_eq!(signer.verify("", at(0)), Err(LinkError::Malformed));
        assert_eq!(signer.verify("not base64!", at(0)), Err(LinkError::Malformed));
        assert_eq!(signer.verify(&base64url_encode(&[1; 20]), at(0)), Err(LinkError::Malformed));
        assert!(!format!("{signer:?}").contains("0123"), "the key never appears in debug output");
    }
}

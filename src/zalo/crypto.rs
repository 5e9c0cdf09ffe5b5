//! Encryption at rest for the Zalo tokens (and OAuth verifiers): ChaCha20-Poly1305 with a random
//! nonce per write, the value's purpose bound as associated data, and the key's loading —
//! from `security.encryption_key`, or generated once into `<data_dir>/encryption.key` (0600).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use thiserror::Error;

/// Bytes of a key.
pub const KEY_BYTES: usize = 32;
/// Bytes of a nonce.
const NONCE_BYTES: usize = 12;
/// Prefix of a sealed value: the format version.
const SEALED_PREFIX: &str = "v1:";
/// Name of the generated key file inside `general.data_dir`.
pub const KEY_FILE_NAME: &str = "encryption.key";

/// Why a value could not be sealed or opened, or a key loaded. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    #[error("not valid base64")]
    NotBase64,
    #[error("decodes to {0} bytes; exactly 32 are needed (e.g. `openssl rand -base64 32`)")]
    WrongKeyLength(usize),
    #[error("the stored value is not in the expected format")]
    Malformed,
    #[error(
        "the stored value cannot be decrypted with this key (was it written with another \
         security.encryption_key, e.g. by another instance?)"
    )]
    WrongKey,
    #[error("encryption failed")]
    Encrypt,
    #[error("key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
}

/// Decodes a base64 key (standard or URL-safe alphabet, padding optional) of exactly 32 bytes.
pub fn decode_key(text: &str) -> Result<[u8; KEY_BYTES], CryptoError> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or(CryptoError::NotBase64)?;
    <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).map_err(|_| CryptoError::WrongKeyLength(bytes.len()))
}

/// Seals and opens values with one key.
#[derive(Clone)]
pub struct Cipher {
    aead: ChaCha20Poly1305,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self { aead: ChaCha20Poly1305::new(Key::from_slice(key)) }
    }

    /// A cipher with a fresh random key (tests, and key generation).
    pub fn random() -> (Self, [u8; KEY_BYTES]) {
        let mut key = [0u8; KEY_BYTES];
        rand::thread_rng().fill_bytes(&mut key);
        (Self::new(&key), key)
    }

    /// Encrypts `plaintext` for `purpose` (e.g. "zalo.refresh_token"): `v1:` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, purpose: &str, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: purpose.as_bytes() })
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(out)))
    }

    /// Decrypts a value sealed for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, CryptoError> {
        let encoded = sealed.strip_prefix(SEALED_PREFIX).ok_or(CryptoError::Malformed)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| CryptoError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: purpose.as_bytes() })
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed)
    }
}

/// Where the key came from (to tell the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File(PathBuf),
    Generated(PathBuf),
}

/// The key from `security.encryption_key`, else from `<data_dir>/encryption.key`, else a new key
/// written there with mode 0600. A generated key is worth a warning (see [`KeySource`]).
pub fn load_or_create_key(configured: &str, data_dir: &Path) -> Result<(Cipher, KeySource), CryptoError> {
    if !configured.trim().is_empty() {
        return Ok((Cipher::new(&decode_key(configured)?), KeySource::Configured));
    }
    let path = data_dir.join(KEY_FILE_NAME);
    let file_error = |reason: String| CryptoError::KeyFile { path: path.clone(), reason };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = decode_key(&text).map_err(|e| file_error(e.to_string()))?;
            Ok((Cipher::new(&key), KeySource::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|e| file_error(format!("cannot create the folder: {e}")))?;
            let (cipher, key) = Cipher::random();
            write_private(&path, &format!("{}\n", STANDARD.encode(key))).map_err(|e| file_error(e.to_string()))?;
            Ok((cipher, KeySource::Generated(path)))
        }
        Err(e) => Err(file_error(e.to_string())),
    }
}

/// Creates `path` (failing if it exists) readable and writable by the owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_a_fresh_nonce_each_time() {
        let (cipher, _) = Cipher::random();
        let a = cipher.seal("zalo.access_token", "tok-123").expect("seal");
        let b = cipher.seal("zalo.access_token", "tok-123").expect("seal");
        assert_ne!(a, b, "random nonce per write");
        assert!(!a.contains("tok-123"));
        assert_eq!(cipher.open("zalo.access_token", &a).expect("open"), "tok-123");
        assert_eq!(cipher.open("zalo.access_token", &b).expect("open"), "tok-123");
    }

    #[test]
    fn wrong_key_wrong_purpose_and_garbage_are_refused() {
        let (cipher, _) = Cipher::random();
        let (other, _) = Cipher::random();
        let sealed = cipher.seal("zalo.refresh_token", "r").expect("seal");
        assert_eq!(other.open("zalo.refresh_token", &sealed), Err(CryptoError::WrongKey));
        assert_eq!(cipher.open("zalo.access_token", &sealed), Err(CryptoError::WrongKey), "purpose is bound");
        assert_eq!(cipher.open("zalo.refresh_token", "plain"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open("zalo.refresh_token", "v1:!!"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open("zalo.refresh_token", "v1:AAAA"), Err(CryptoError::Malformed));
    }

    #[test]
    fn keys_decode_from_base64_of_32_bytes() {
        let key = [7u8; 32];
        assert_eq!(decode_key(&STANDARD.encode(key)), Ok(key));
        assert_eq!(decode_key(&format!(" {} \n", STANDARD.encode(key))), Ok(key));
        assert_eq!(decode_key(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)), Ok(key));
        assert_eq!(decode_key(&STANDARD.encode([1u8; 16])), Err(CryptoError::WrongKeyLength(16)));
        assert_eq!(decode_key("not base64 at all!"), Err(CryptoError::NotBase64));
    }

    #[test]
    fn a_key_is_generated_once_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("tongdai_key_{:08x}", rand::random::<u32>()));
        let (first, source) = load_or_create_key("", &dir).expect("generate");
        let path = dir.join(KEY_FILE_NAME);
        assert_eq!(source, KeySource::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("key file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal("p", "secret").expect("seal");
        let (second, source) = load_or_create_key("", &dir).expect("load");
        assert_eq!(source, KeySource::File(path));
        assert_eq!(second.open("p", &sealed).expect("same key"), "secret");

        let configured = STANDARD.encode([9u8; 32]);
        let (third, source) = load_or_create_key(&configured, &dir).expect("configured");
        assert_eq!(source, KeySource::Configured);
        assert_eq!(third.open("p", &sealed), Err(CryptoError::WrongKey));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}

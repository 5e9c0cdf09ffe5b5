//! API keys for machine clients (the one-stop system pushing dossiers, reporting tools): a key
//! is a high-entropy random string shown once; the database keeps only its SHA-256 digest and a
//! short prefix that identifies it in lists. Checking a presented key compares digests in
//! constant time. A key has scopes and may be limited to one department's tickets.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{ApiKeyStore, CreateApiKeyOutcome, StoreResult};
use crate::tickets::filter::Scope;

/// Every key starts with this, so a leaked one is recognisable (e.g. by secret scanners).
pub const KEY_MARKER: &str = "tdk_";
/// Random characters after the marker (62 symbols each: about 238 bits).
pub const KEY_RANDOM_CHARS: usize = 40;
/// Characters of the key kept in clear to identify it: the marker and 8 random characters.
pub const PREFIX_CHARS: usize = KEY_MARKER.len() + 8;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ApiScope {
    #[serde(rename = "tickets:read")]
    TicketsRead,
    #[serde(rename = "tickets:write")]
    TicketsWrite,
    #[serde(rename = "dossiers:write")]
    DossiersWrite,
    #[serde(rename = "stats:read")]
    StatsRead,
}

impl ApiScope {
    pub const ALL: [ApiScope; 4] = [Self::TicketsRead, Self::TicketsWrite, Self::DossiersWrite, Self::StatsRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TicketsRead => "tickets:read",
            Self::TicketsWrite => "tickets:write",
            Self::DossiersWrite => "dossiers:write",
            Self::StatsRead => "stats:read",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }
}

impl std::fmt::Display for ApiScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored key (without the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, e.g. `tdk_Ab3dE9xZ`.
    pub prefix: String,
    /// Hex SHA-256 of the whole key.
    #[serde(skip_serializing)]
    pub key_hash: String,
    pub scopes: Vec<ApiScope>,
    /// When set, the key sees and changes only this department's tickets.
    pub department_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub fn has_scope(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Which tickets this key may see.
    pub fn ticket_scope(&self) -> Scope {
        match &self.department_code {
            Some(code) => Scope::Department(code.clone()),
            None => Scope::All,
        }
    }
}

/// A key to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: Vec<ApiScope>,
    pub department_code: Option<String>,
}

/// A freshly generated key: `secret` is shown once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

/// A new random key (from the OS-seeded CSPRNG).
pub fn generate_key() -> GeneratedKey {
    let random = Alphanumeric.sample_string(&mut rand::thread_rng(), KEY_RANDOM_CHARS);
    let secret = format!("{KEY_MARKER}{random}");
    GeneratedKey { prefix: key_prefix(&secret).unwrap_or_default(), hash: hash_key(&secret), secret }
}

/// Hex SHA-256 of a key.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The identifying prefix of a well-formed key; `None` for text that cannot be a key.
pub fn key_prefix(secret: &str) -> Option<String> {
    let well_formed = secret.starts_with(KEY_MARKER)
        && secret.len() == KEY_MARKER.len() + KEY_RANDOM_CHARS
        && secret[KEY_MARKER.len()..].bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| secret[..PREFIX_CHARS].to_owned())
}

/// Whether `secret` is the key whose digest is `stored_hash`, compared in constant time.
pub fn key_matches(secret: &str, stored_hash: &str) -> bool {
    let Ok(stored) = hex::decode(stored_hash) else { return false };
    let presented = Sha256::digest(secret.as_bytes());
    stored.len() == presented.len() && bool::from(stored.as_slice().ct_eq(presented.as_slice()))
}

/// Why a key could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    #[error("a key name is 1–64 letters, digits, dots, dashes or underscores; `{0}` is not")]
    InvalidName(String),
    #[error("an active key named `{0}` exists already; revoke it first or choose another name")]
    NameTaken(String),
    #[error("a key needs at least one scope ({})", ApiScope::ALL.map(ApiScope::as_str).join(", "))]
    NoScope,
    #[error("unknown department code `{0}`")]
    UnknownDepartment(String),
}

/// Creating, checking, listing and revoking keys.
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
}

/// Outcome of [`ApiKeys::create`]: the record, and the key to show once.
#[derive(Debug)]
pub struct CreatedKey {
    pub record: ApiKeyRecord,
    pub key: GeneratedKey,
}

impl ApiKeys {
    pub fn new(store: Arc<dyn ApiKeyStore>) -> Self {
        Self { store }
    }

    /// Creates a key. `department_code` must already be checked against the catalogue.
    pub async fn create(
        &self,
        name: &str,
        scopes: &[ApiScope],
        department_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<CreatedKey, ApiKeyError>> {
        let name = name.trim();
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !valid_name {
            return Ok(Err(ApiKeyError::InvalidName(name.to_owned())));
        }
        if scopes.is_empty() {
            return Ok(Err(ApiKeyError::NoScope));
        }
        let mut scopes = scopes.to_vec();
        scopes.sort_unstable();
        scopes.dedup();
        let key = generate_key();
        let new = NewApiKey {
            name: name.to_owned(),
            prefix: key.prefix.clone(),
            key_hash: key.hash.clone(),
            scopes,
            department_code: department_code.map(str::to_owned),
        };
        Ok(match self.store.create_api_key(&new, now).await? {
            CreateApiKeyOutcome::Created(record) => Ok(CreatedKey { record, key }),
            CreateApiKeyOutcome::NameTaken => Err(ApiKeyError::NameTaken(name.to_owned())),
        })
    }

    /// The active key `secret` is, if any.
    pub async fn authenticate(&self, secret: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let Some(prefix) = key_prefix(secret) else { return Ok(None) };
        let candidates = self.store.active_api_keys_by_prefix(&prefix).await?;
        // Check every candidate, so the time taken does not depend on which one matched.
        let mut found = None;
        for candidate in candidates {
            if key_matches(secret, &candidate.key_hash) && found.is_none() {
                found = Some(candidate);
            }
        }
        Ok(found)
    }

    pub async fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        self.store.list_api_keys().await
    }

    pub async fn revoke(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        self.store.revoke_api_key(name.trim(), now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_long_random_and_only_their_digest_identifies_them() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), KEY_MARKER.len() + KEY_RANDOM_CHARS);
        assert!(a.secret.starts_with(KEY_MARKER) && a.secret.starts_with(&a.prefix));
        assert_eq!(a.prefix.len(), PREFIX_CHARS);
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.secret[PREFIX_CHARS..]));
        assert!(key_matches(&a.secret, &a.hash));
        assert!(!key_matches(&b.secret, &a.hash));
        assert!(!key_matches(&a.secret, "not hex"));
        assert!(!format!("{a:?}").contains(&a.secret), "Debug never shows the key");
    }

    #[test]
    fn malformed_keys_have_no_prefix() {
        assert_eq!(key_prefix("Bearer x"), None);
        assert_eq!(key_prefix("tdk_short"), None);
        assert_eq!(key_prefix(&format!("tdk_{}", "é".repeat(20))), None);
        let key = generate_key();
        assert_eq!(key_prefix(&key.secret), Some(key.prefix));
    }

    #[test]
    fn scopes_parse_by_their_names() {
        for scope in ApiScope::ALL {
            assert_eq!(ApiScope::parse(scope.as_str()), Some(scope));
            assert_eq!(serde_json::to_value(scope).expect("json"), serde_json::json!(scope.as_str()));
        }
        assert_eq!(ApiScope::parse("tickets:delete"), None);
    }
}

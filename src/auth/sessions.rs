//! Console sessions, kept in the database: a random 256-bit id in the browser's cookie and only
//! its SHA-256 stored; idle and absolute expiry; a CSRF token per session; one-shot flash
//! messages; and signing in (with the lock-out rule) and out, audited.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::audit::{Actor, AuditAction, NewAuditEntry};
use super::users::{self, LockoutPolicy, User};
use crate::store::{Store, StoreResult};

/// A session's last-seen time is written at most this often (one write per minute of activity,
/// not one per request); idle expiry is therefore exact to within this interval.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(60);

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends a session this long after its last request.
    pub idle: Duration,
    /// Ends a session this long after sign-in, however active.
    pub max: Duration,
}

/// A message shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Error,
}

impl Flash {
    pub fn success(text: impl Into<String>) -> Self {
        Self { kind: FlashKind::Success, text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self { kind: FlashKind::Error, text: text.into() }
    }
}

/// A session to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the id in the cookie.
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub flash: Option<Flash>,
}

impl SessionRecord {
    /// Whether the session is still valid at `now` under `policy`.
    pub fn is_live(&self, policy: &SessionPolicy, now: DateTime<Utc>) -> bool {
        now < self.expires_at && now < self.last_seen_at + policy.idle
    }
}

/// Sessions. A user's sessions also end through [`super::users::UserStore`] (password change,
/// disabling), in the same transaction as that change.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    /// The session with this id hash and its user.
    async fn session_with_user(&self, id_hash: &str) -> StoreResult<Option<(SessionRecord, User)>>;
    /// Records activity at `now`.
    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// False when there was no such session.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool>;
    /// Deletes sessions past their absolute end at `now` or last seen before `idle_cutoff`.
    async fn purge_expired_sessions(&self, idle_cutoff: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Sets (or with `None` clears) the session's flash message.
    async fn set_flash(&self, id_hash: &str, flash: Option<&Flash>) -> StoreResult<()>;
    /// How many sessions the user has (live or not yet purged).
    async fn count_user_sessions(&self, user_id: i64) -> StoreResult<i64>;
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a session id: its SHA-256, hex.
pub fn hash_session_id(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

/// Compares a submitted CSRF token with the expected one in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// The result of a sign-in attempt. A failure does not say why (no user enumeration); the
/// audit log does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// `session_id` goes into the cookie; it is not stored anywhere.
    Success {
        session_id: String,
        user: User,
    },
    Failure,
}

/// Why a sign-in failed, for the audit log only.
fn failure_entry(now: DateTime<Utc>, username: &str, ip: Option<String>, reason: &str) -> NewAuditEntry {
    NewAuditEntry::new(now, &Actor::anonymous(username, ip), AuditAction::SignInFailed)
        .details(json!({ "reason": reason }))
}

/// Checks a username and password and opens a session. Unknown, disabled and locked accounts
/// and wrong passwords all fail alike and take alike long; wrong passwords count towards the
/// lock-out, a success clears the count.
pub async fn sign_in(
    store: &Store,
    lockout: &LockoutPolicy,
    policy: &SessionPolicy,
    username: &str,
    password: &str,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<SignIn> {
    let tried = username.trim().to_ascii_lowercase();
    let user = match users::normalize_username(&tried) {
        Ok(name) => store.users.user_by_username(&name).await?,
        Err(_) => None,
    };
    let matches =
        users::verify_password_blocking(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await;
    let Some(user) = user else {
        store.audit.append(&failure_entry(now, &tried, ip, "unknown_user")).await?;
        return Ok(SignIn::Failure);
    };
    let reason = if user.disabled {
        Some("disabled".to_owned())
    } else if user.is_locked(now) {
        Some("locked".to_owned())
    } else if !matches {
        let state = store.users.record_login_failure(user.id, lockout, now).await?;
        let locked_now = state.is_some_and(|s| s.is_locked(now));
        Some(if locked_now { "wrong_password_now_locked" } else { "wrong_password" }.to_owned())
    } else {
        None
    };
    if let Some(reason) = reason {
        let entry = failure_entry(now, &user.username, ip, &reason).target(users::user_target(&user.username));
        store.audit.append(&entry).await?;
        return Ok(SignIn::Failure);
    }
    store.users.record_login_success(user.id, now).await?;
    store.sessions.purge_expired_sessions(now - policy.idle, now).await?;
    let session_id = random_token();
    let session = NewSession {
        id_hash: hash_session_id(&session_id),
        user_id: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + policy.max,
    };
    store.sessions.create_session(&session).await?;
    let actor = Actor::user(user.id, &user.username, ip);
    store.audit.append(&NewAuditEntry::new(now, &actor, AuditAction::SignIn)).await?;
    Ok(SignIn::Success { session_id, user })
}

/// A live session with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub id_hash: String,
    pub csrf_token: String,
    pub user: User,
    /// The pending flash message (still stored: [`take_flash`] clears it when shown).
    pub flash: Option<Flash>,
}

/// Finds the live session for the id in a cookie. Expired sessions and sessions of disabled
/// users are deleted and give `None`.
pub async fn resolve(
    store: &Store,
    policy: &SessionPolicy,
    session_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<ActiveSession>> {
    let id_hash = hash_session_id(session_id);
    let Some((record, user)) = store.sessions.session_with_user(&id_hash).await? else {
        return Ok(None);
    };
    if !record.is_live(policy, now) || user.disabled {
        store.sessions.delete_session(&id_hash).await?;
        return Ok(None);
    }
    if now - record.last_seen_at >= TOUCH_INTERVAL {
        store.sessions.touch_session(&id_hash, now).await?;
    }
    Ok(Some(ActiveSession { id_hash, csrf_token: record.csrf_token, user, flash: record.flash }))
}

/// Clears the flash message once it has been shown.
pub async fn take_flash(store: &Store, session: &ActiveSession) -> StoreResult<Option<Flash>> {
    if session.flash.is_some() {
        store.sessions.set_flash(&session.id_hash, None).await?;
    }
    Ok(session.flash.clone())
}

/// Ends the session, audited.
pub async fn sign_out(
    store: &Store,
    session: &ActiveSession,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    store.sessions.delete_session(&session.id_hash).await?;
    let actor = Actor::user(session.user.id, &session.user.username, ip);
    store.audit.append(&NewAuditEntry::new(now, &actor, AuditAction::SignOut)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_are_random_hex_and_hashes_are_sha256() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
        assert_eq!(hash_session_id("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn csrf_comparison() {
        assert!(csrf_matches("abcd", "abcd"));
        assert!(!csrf_matches("abcd", "abce"));
        assert!(!csrf_matches("abcd", "abc"));
        assert!(!csrf_matches("", ""), "an empty expected token never matches");
    }

    #[test]
    fn liveness_respects_idle_and_absolute_expiry() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid time");
        let policy = SessionPolicy { idle: Duration::minutes(30), max: Duration::hours(12) };
        let record = SessionRecord {
            id_hash: String::new(),
            user_id: 1,
            csrf_token: "x".into(),
            created_at: t0,
            last_seen_at: t0 + Duration::hours(11),
            expires_at: t0 + Duration::hours(12),
            flash: None,
        };
        assert!(record.is_live(&policy, t0 + Duration::hours(11) + Duration::minutes(29)));
        assert!(!record.is_live(&policy, t0 + Duration::hours(11) + Duration::minutes(30)));
        let active = SessionRecord { last_seen_at: t0 + Duration::hours(12) - Duration::minutes(1), ..record };
        assert!(!active.is_live(&policy, t0 + Duration::hours(12)), "absolute end wins over activity");
    }
}

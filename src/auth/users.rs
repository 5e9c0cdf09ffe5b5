//! Console users and roles: accounts with argon2id passwords, the five roles and what each may
//! see and do ([`Principal`], [`TicketScope`]), the sign-in lock-out rule, and the account
//! changes shared by the console pages and the `tongdai user` command (each one audited).

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::json;

use super::audit::{Actor, AuditAction, NewAuditEntry};
use crate::bot::catalogue::Department;
use crate::store::{Store, StoreError, StoreResult};

/// Longest password accepted, in characters (hashing cost grows with length).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Usernames are 3–32 of `a-z 0-9 . _ -`, starting with a letter or a digit.
pub const MIN_USERNAME_CHARS: usize = 3;
pub const MAX_USERNAME_CHARS: usize = 32;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Names the audit log uses for non-users; no account may take them.
const RESERVED_USERNAMES: &[&str] = &[super::audit::CLI_ACTOR, super::audit::DEMO_ACTOR, "system", "anonymous"];

/// What a user may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages accounts, reads the audit log; sees everything.
    Admin,
    /// The coordinating office (Sở Nội vụ): every ticket, escalations, surveys, statistics.
    Coordinator,
    /// A department officer: the tickets of one department.
    Officer,
    /// The inspection team (Tổ Kiểm tra đột xuất): tickets flagged as officials' misconduct.
    Inspector,
    /// Leaders and observers: statistics only, no ticket contents.
    Viewer,
}

impl Role {
    pub const ALL: [Self; 5] = [Self::Admin, Self::Coordinator, Self::Officer, Self::Inspector, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Coordinator => "coordinator",
            Self::Officer => "officer",
            Self::Inspector => "inspector",
            Self::Viewer => "viewer",
        }
    }

    /// Reads a role code (`admin`, `coordinator`, `officer`, `inspector`, `viewer`), any case.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// The role's name in the console.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Quản trị hệ thống",
            Self::Coordinator => "Điều phối (Sở Nội vụ)",
            Self::Officer => "Cán bộ xử lý",
            Self::Inspector => "Kiểm tra, thanh tra",
            Self::Viewer => "Lãnh đạo, theo dõi",
        }
    }

    /// Whether accounts with this role must name a department.
    pub fn requires_department(self) -> bool {
        self == Self::Officer
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which tickets a user may see. Store queries take this value and filter by it; pages never
/// filter on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    All,
    /// Tickets routed to this department code.
    Department(String),
    /// Tickets flagged as reports of officials' misconduct.
    MisconductOnly,
    /// No ticket at all.
    None,
}

/// The signed-in user as the pages and services see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub department: Option<String>,
}

impl Principal {
    /// Every ticket of every department.
    pub fn can_see_all_tickets(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }

    /// Which tickets this user may read.
    pub fn department_scope(&self) -> TicketScope {
        match (self.role, &self.department) {
            (Role::Admin | Role::Coordinator, _) => TicketScope::All,
            (Role::Officer, Some(code)) => TicketScope::Department(code.clone()),
            (Role::Inspector, _) => TicketScope::MisconductOnly,
            (Role::Officer, None) | (Role::Viewer, _) => TicketScope::None,
        }
    }

    /// Which tickets count in the statistics this user sees (figures only, no personal data).
    pub fn stats_scope(&self) -> TicketScope {
        match (self.role, &self.department) {
            (Role::Officer | Role::Viewer, Some(code)) => TicketScope::Department(code.clone()),
            (Role::Officer, None) => TicketScope::None,
            _ => TicketScope::All,
        }
    }

    /// Answer citizens, forward, change a ticket's status (within [`Self::department_scope`]).
    pub fn can_reply(&self) -> bool {
        matches!(self.role, Role::Coordinator) || (self.role == Role::Officer && self.department.is_some())
    }

    /// Chat with citizens through the OA.
    pub fn can_chat(&self) -> bool {
        self.can_reply()
    }

    pub fn can_manage_users(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn can_view_audit(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn can_view_stats(&self) -> bool {
        self.stats_scope() != TicketScope::None
    }

    /// Schedule and follow satisfaction surveys.
    pub fn can_manage_surveys(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Lower-case.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub failures: FailureState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            department: self.department.clone(),
        }
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.failures.is_locked(now)
    }
}

/// An account to create (already validated and hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// Failed sign-ins of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureState {
    /// Failures since `window_start`.
    pub failed_logins: i32,
    pub window_start: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl FailureState {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }
}

/// `max_failures` failed sign-ins within `window` lock the account for `lockout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lockout: Duration,
}

impl LockoutPolicy {
    /// The state after one more failure at `now`. Failures while locked change nothing (the
    /// lock is not extended, so nobody can keep an account locked for ever).
    pub fn after_failure(&self, state: &FailureState, now: DateTime<Utc>) -> FailureState {
        if state.is_locked(now) {
            return state.clone();
        }
        let in_window = state.window_start.is_some_and(|start| now - start < self.window);
        let (count, start) = if in_window { (state.failed_logins + 1, state.window_start) } else { (1, Some(now)) };
        if u32::try_from(count).unwrap_or(u32::MAX) >= self.max_failures {
            FailureState { failed_logins: 0, window_start: None, locked_until: Some(now + self.lockout) }
        } else {
            FailureState { failed_logins: count, window_start: start, locked_until: None }
        }
    }
}

/// Accounts. Every change carries its audit entry, written in the same transaction.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates the account; `None` when the username (any case) is taken.
    async fn create_user(&self, user: &NewUser, audit: &NewAuditEntry) -> StoreResult<Option<User>>;
    async fn user(&self, id: i64) -> StoreResult<Option<User>>;
    /// Looks a username up without regard to case.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Every account, by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Replaces the password, clears the lock-out and ends every session of the user except
    /// `keep_session` (a session id hash). False when there is no such user.
    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Disables (ending every session) or enables an account. False when there is no such user.
    async fn set_disabled(&self, user_id: i64, disabled: bool, audit: &NewAuditEntry) -> StoreResult<bool>;
    /// Counts one failed sign-in under `policy`, atomically; the new state, or `None` when
    /// there is no such user.
    async fn record_login_failure(
        &self,
        user_id: i64,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<FailureState>>;
    /// Clears the failure count and records the sign-in time.
    async fn record_login_success(&self, user_id: i64, now: DateTime<Utc>) -> StoreResult<()>;
}

/// Why an account change was refused. The messages are shown to officials as written.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "Tên đăng nhập phải dài {MIN_USERNAME_CHARS}–{MAX_USERNAME_CHARS} ký tự, chỉ gồm chữ a–z không dấu, chữ số và . _ -, bắt đầu bằng chữ hoặc số."
    )]
    InvalidUsername,
    #[error("Tên đăng nhập “{0}” dành cho hệ thống, hãy chọn tên khác.")]
    ReservedUsername(String),
    #[error("Tên đăng nhập “{0}” đã có người dùng.")]
    UsernameTaken(String),
    #[error("Họ tên phải có từ 1 đến {MAX_DISPLAY_NAME_CHARS} ký tự.")]
    InvalidDisplayName,
    #[error("Vai trò “{0}” không có; chọn một trong: admin, coordinator, officer, inspector, viewer.")]
    UnknownRole(String),
    #[error("Cán bộ xử lý phải thuộc một đơn vị: hãy chọn đơn vị.")]
    DepartmentRequired,
    #[error("Mã đơn vị “{0}” không có trong danh mục (các mã: {1}).")]
    UnknownDepartment(String, String),
    #[error("Mật khẩu phải có ít nhất {0} ký tự.")]
    PasswordTooShort(usize),
    #[error("Mật khẩu dài quá {MAX_PASSWORD_CHARS} ký tự.")]
    PasswordTooLong,
    #[error("Mật khẩu không được trùng với tên đăng nhập.")]
    PasswordIsUsername,
    #[error("Hai lần nhập mật khẩu mới không khớp nhau.")]
    PasswordsDiffer,
    #[error("Mật khẩu mới phải khác mật khẩu hiện tại.")]
    PasswordUnchanged,
    #[error("Mật khẩu hiện tại không đúng.")]
    WrongCurrentPassword,
    #[error("Không có người dùng “{0}”.")]
    NoSuchUser(String),
    #[error("Không thể tự khóa tài khoản của chính mình.")]
    CannotDisableSelf,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Rules for new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordRules {
    pub min_chars: usize,
}

impl PasswordRules {
    /// A [`random_password`] long enough for these rules.
    pub fn generate(&self) -> String {
        // n groups make 5n - 1 characters.
        random_password_groups((self.min_chars + 1).div_ceil(5).max(3))
    }

    pub fn check(&self, password: &str, username: &str) -> Result<(), UserError> {
        let chars = password.chars().count();
        if chars < self.min_chars || password.trim().is_empty() {
            return Err(UserError::PasswordTooShort(self.min_chars));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(UserError::PasswordTooLong);
        }
        if password.trim().eq_ignore_ascii_case(username.trim()) {
            return Err(UserError::PasswordIsUsername);
        }
        Ok(())
    }
}

/// Trims and lower-cases a username, and checks its shape.
pub fn normalize_username(input: &str) -> Result<String, UserError> {
    let username = input.trim().to_ascii_lowercase();
    let length = username.chars().count();
    let allowed = username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    let starts_well = username.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&length) || !allowed || !starts_well {
        return Err(UserError::InvalidUsername);
    }
    if RESERVED_USERNAMES.contains(&username.as_str()) {
        return Err(UserError::ReservedUsername(username));
    }
    Ok(username)
}

/// Checks the department code for a role against the catalogue's departments.
pub fn check_department(
    role: Role,
    department: Option<&str>,
    departments: &[Department],
) -> Result<Option<String>, UserError> {
    let code = department.map(str::trim).filter(|c| !c.is_empty());
    match code {
        None if role.requires_department() => Err(UserError::DepartmentRequired),
        None => Ok(None),
        Some(code) => {
            departments.iter().find(|d| d.code.eq_ignore_ascii_case(code)).map(|d| Some(d.code.clone())).ok_or_else(
                || {
                    let codes: Vec<&str> = departments.iter().map(|d| d.code.as_str()).collect();
                    UserError::UnknownDepartment(code.to_owned(), codes.join(", "))
                },
            )
        }
    }
}

/// Hashes a password with argon2id and a random salt (CPU-heavy: call from a blocking task).
pub fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| UserError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, verified when the username is unknown so that a wrong username
/// takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password(&random_password()).unwrap_or_default());

/// [`hash_password`] on a blocking thread.
pub async fn hash_password_blocking(password: String) -> Result<String, UserError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| UserError::Hashing(e.to_string()))?
}

/// [`verify_password`] on a blocking thread; with `None` it checks against a dummy hash and
/// returns false, taking the same time.
pub async fn verify_password_blocking(password: String, stored_hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored_hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A random password that reads well when dictated: three groups of four lower-case letters
/// and digits without look-alikes (60 bits), e.g. `k7pq-m3xa-9fzt`.
pub fn random_password() -> String {
    random_password_groups(3)
}

fn random_password_groups(groups: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let groups: Vec<String> =
        (0..groups).map(|_| (0..4).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()).collect();
    groups.join("-")
}

/// What an administrator (or the command line) asks for when adding an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub password: String,
    /// The user must choose a new password at first sign-in.
    pub must_change_password: bool,
}

/// Validates, hashes and creates an account, audited as done by `actor`.
pub async fn add_user(
    store: &Store,
    actor: &Actor,
    input: UserInput,
    rules: PasswordRules,
    departments: &[Department],
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    let username = normalize_username(&input.username)?;
    let display_name = input.display_name.trim().to_owned();
    let name_chars = display_name.chars().count();
    if name_chars == 0 || name_chars > MAX_DISPLAY_NAME_CHARS {
        return Err(UserError::InvalidDisplayName);
    }
    let department = check_department(input.role, input.department.as_deref(), departments)?;
    rules.check(&input.password, &username)?;
    if store.users.user_by_username(&username).await?.is_some() {
        return Err(UserError::UsernameTaken(username));
    }
    let password_hash = hash_password_blocking(input.password).await?;
    let new = NewUser {
        username: username.clone(),
        display_name,
        role: input.role,
        department,
        password_hash,
        must_change_password: input.must_change_password,
    };
    let audit = NewAuditEntry::new(now, actor, AuditAction::UserAdded)
        .target(user_target(&username))
        .details(json!({"role": new.role.as_str(), "department": new.department}));
    store.users.create_user(&new, &audit).await?.ok_or(UserError::UsernameTaken(username))
}

/// The audit target of an account.
pub fn user_target(username: &str) -> String {
    format!("user:{username}")
}

async fn find_user(store: &Store, username: &str) -> Result<User, UserError> {
    let name = username.trim().to_ascii_lowercase();
    store.users.user_by_username(&name).await?.ok_or(UserError::NoSuchUser(name))
}

/// Disables or enables an account (disabling ends its sessions), audited as done by `actor`.
pub async fn set_user_disabled(
    store: &Store,
    actor: &Actor,
    username: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    let user = find_user(store, username).await?;
    if disabled && actor.user_id == Some(user.id) {
        return Err(UserError::CannotDisableSelf);
    }
    let action = if disabled { AuditAction::UserDisabled } else { AuditAction::UserEnabled };
    let audit = NewAuditEntry::new(now, actor, action).target(user_target(&user.username));
    if !store.users.set_disabled(user.id, disabled, &audit).await? {
        return Err(UserError::NoSuchUser(user.username));
    }
    Ok(User { disabled, ..user })
}

/// Sets a password chosen by someone other than the user (an administrator, the command line):
/// ends all of the user's sessions and clears a lock-out. With `must_change` the user has to
/// choose a new password at the next sign-in.
pub async fn reset_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    new_password: String,
    must_change: bool,
    rules: PasswordRules,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    let user = find_user(store, username).await?;
    rules.check(&new_password, &user.username)?;
    let hash = hash_password_blocking(new_password).await?;
    let audit = NewAuditEntry::new(now, actor, AuditAction::PasswordReset)
        .target(user_target(&user.username))
        .details(json!({"must_change": must_change}));
    if !store.users.set_password(user.id, &hash, must_change, None, &audit).await? {
        return Err(UserError::NoSuchUser(user.username));
    }
    Ok(user)
}

/// A user changing their own password: checks the current one (a wrong one counts towards the
/// lock-out), ends every other session of the user, keeps `current_session`.
#[allow(clippy::too_many_arguments)]
pub async fn change_own_password(
    store: &Store,
    actor: &Actor,
    user_id: i64,
    current_session: &str,
    current: String,
    new: String,
    confirm: &str,
    rules: PasswordRules,
    lockout: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<(), UserError> {
    let user = store.users.user(user_id).await?.ok_or_else(|| UserError::NoSuchUser(actor.name.clone()))?;
    if new != confirm {
        return Err(UserError::PasswordsDiffer);
    }
    rules.check(&new, &user.username)?;
    let locked = user.is_locked(now);
    let matches = verify_password_blocking(current.clone(), Some(user.password_hash.clone())).await;
    if locked || !matches {
        if !locked {
            store.users.record_login_failure(user.id, lockout, now).await?;
        }
        return Err(UserError::WrongCurrentPassword);
    }
    if new == current {
        return Err(UserError::PasswordUnchanged);
    }
    let hash = hash_password_blocking(new).await?;
    let audit = NewAuditEntry::new(now, actor, AuditAction::PasswordChanged).target(user_target(&user.username));
    store.users.set_password(user.id, &hash, false, Some(current_session), &audit).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid time")
    }

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal { user_id: 1, username: "u".into(), role, department: department.map(str::to_owned) }
    }

    #[test]
    fn roles_parse_in_any_case_and_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::parse(&role.as_str().to_uppercase()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn scopes_follow_the_role() {
        assert_eq!(principal(Role::Admin, None).department_scope(), TicketScope::All);
        assert_eq!(principal(Role::Coordinator, Some("SNV")).department_scope(), TicketScope::All);
        assert_eq!(principal(Role::Officer, Some("STP")).department_scope(), TicketScope::Department("STP".into()));
        assert_eq!(principal(Role::Officer, None).department_scope(), TicketScope::None);
        assert_eq!(principal(Role::Inspector, None).department_scope(), TicketScope::MisconductOnly);
        assert_eq!(principal(Role::Viewer, Some("SNV")).department_scope(), TicketScope::None);
        assert_eq!(principal(Role::Viewer, Some("SNV")).stats_scope(), TicketScope::Department("SNV".into()));
        assert_eq!(principal(Role::Viewer, None).stats_scope(), TicketScope::All);
    }

    #[test]
    fn predicates_per_role() {
        let admin = principal(Role::Admin, None);
        let coordinator = principal(Role::Coordinator, Some("SNV"));
        let officer = principal(Role::Officer, Some("SNV"));
        let inspector = principal(Role::Inspector, None);
        let viewer = principal(Role::Viewer, None);
        assert!(admin.can_manage_users() && admin.can_view_audit() && admin.can_see_all_tickets());
        assert!(!admin.can_reply());
        assert!(coordinator.can_see_all_tickets() && coordinator.can_reply() && coordinator.can_manage_surveys());
        assert!(!coordinator.can_manage_users());
        assert!(officer.can_reply() && !officer.can_see_all_tickets() && !officer.can_manage_users());
        assert!(!inspector.can_reply() && !inspector.can_see_all_tickets() && inspector.can_view_stats());
        assert!(!viewer.can_reply() && viewer.can_view_stats() && !viewer.can_view_audit());
    }

    #[test]
    fn lockout_after_max_failures_within_the_window() {
        let policy = LockoutPolicy { max_failures: 3, window: Duration::minutes(15), lockout: Duration::minutes(15) };
        let mut state = FailureState::default();
        state = policy.after_failure(&state, t0());
        state = policy.after_failure(&state, t0() + Duration::minutes(1));
        assert_eq!(state.failed_logins, 2);
        assert!(!state.is_locked(t0() + Duration::minutes(1)));
        state = policy.after_failure(&state, t0() + Duration::minutes(2));
        let until = t0() + Duration::minutes(17);
        assert_eq!(state.locked_until, Some(until));
        assert!(state.is_locked(until - Duration::seconds(1)));
        assert!(!state.is_locked(until));
        let during = policy.after_failure(&state, t0() + Duration::minutes(5));
        assert_eq!(during, state, "failures while locked do not extend the lock");
        let after = policy.after_failure(&state, until + Duration::seconds(1));
        assert_eq!(after.failed_logins, 1, "counting starts again after the lock");
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let policy = LockoutPolicy { max_failures: 2, window: Duration::minutes(10), lockout: Duration::minutes(15) };
        let first = policy.after_failure(&FailureState::default(), t0());
        let much_later = policy.after_failure(&first, t0() + Duration::minutes(11));
        assert_eq!(much_later.failed_logins, 1);
        assert_eq!(much_later.locked_until, None);
        assert_eq!(much_later.window_start, Some(t0() + Duration::minutes(11)));
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(normalize_username("  Nguyen.Van_A ").expect("valid"), "nguyen.van_a");
        for bad in ["ab", "", ".dot", "có-dấu", "a b c", &"x".repeat(33), "CLI"] {
            assert!(normalize_username(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn departments_are_checked_against_the_catalogue() {
        let catalogue = crate::bot::catalogue::default_catalogue().expect("catalogue");
        let departments = catalogue.departments();
        assert_eq!(check_department(Role::Officer, Some("snv"), departments).expect("valid"), Some("SNV".into()));
        assert!(matches!(check_department(Role::Officer, None, departments), Err(UserError::DepartmentRequired)));
        assert!(matches!(check_department(Role::Officer, Some(" "), departments), Err(UserError::DepartmentRequired)));
        assert_eq!(check_department(Role::Viewer, None, departments).expect("valid"), None);
        let err = check_department(Role::Viewer, Some("XYZ"), departments).expect_err("unknown");
        assert!(err.to_string().contains("XYZ") && err.to_string().contains("VPUBND"), "{err}");
    }

    #[test]
    fn password_rules() {
        let rules = PasswordRules { min_chars: 10 };
        assert!(matches!(rules.check("short", "u"), Err(UserError::PasswordTooShort(10))));
        assert!(matches!(rules.check("          ", "u"), Err(UserError::PasswordTooShort(10))));
        assert!(matches!(rules.check("nguyenvana", "NguyenVanA"), Err(UserError::PasswordIsUsername)));
        assert!(matches!(rules.check(&"x".repeat(300), "u"), Err(UserError::PasswordTooLong)));
        assert!(rules.check("mật khẩu dài đủ", "u").is_ok());
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("đúng mật khẩu").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("đúng mật khẩu", &hash));
        assert!(!verify_password("sai mật khẩu", &hash));
        assert!(!verify_password("đúng mật khẩu", "not a hash"));
        assert_ne!(hash_password("đúng mật khẩu").expect("hash"), hash, "salted");
    }

    #[test]
    fn random_passwords_look_right_and_differ() {
        let a = random_password();
        assert_eq!(a.len(), 14);
        assert_eq!(a.matches('-').count(), 2);
        assert_ne!(a, random_password());
        assert!(PasswordRules { min_chars: 12 }.check(&a, "admin").is_ok());
        let long = PasswordRules { min_chars: 30 }.generate();
        assert!(PasswordRules { min_chars: 30 }.check(&long, "admin").is_ok(), "{long}");
    }
}

//! The `[console]` configuration section: sessions, cookies, sign-in lock-out, passwords and
//! what the console's header shows.

use serde::{Deserialize, Serialize};

use crate::auth::sessions::SessionPolicy;
use crate::auth::users::{LockoutPolicy, PasswordRules};
use crate::calendar::duration::HumanDuration;

/// Shortest minimum password length the configuration may set.
const LEAST_MIN_PASSWORD_LENGTH: u32 = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Shown in the header of every console page and in the browser tab.
    pub site_name: String,
    /// A session ends after this long without a request.
    pub session_idle: HumanDuration,
    /// A session ends this long after sign-in, however active.
    pub session_max: HumanDuration,
    /// Mark cookies `Secure` (sent over HTTPS only). Set true whenever the console is served over HTTPS.
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry (set by your reverse proxy)
    /// instead of the socket. Only behind a proxy that sets it; otherwise clients can forge it.
    pub trust_proxy: bool,
    /// Failed sign-ins within `failed_login_window` that lock an account.
    pub max_failed_logins: u32,
    pub failed_login_window: HumanDuration,
    /// How long a locked account stays locked.
    pub lockout: HumanDuration,
    /// Shortest password accepted, in characters.
    pub min_password_length: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            site_name: "Tổng đài cải cách hành chính tỉnh Hậu Giang".into(),
            session_idle: HumanDuration::from_secs(30 * 60),
            session_max: HumanDuration::from_secs(12 * 3600),
            secure_cookies: false,
            trust_proxy: false,
            max_failed_logins: 5,
            failed_login_window: HumanDuration::from_secs(15 * 60),
            lockout: HumanDuration::from_secs(15 * 60),
            min_password_length: 10,
        }
    }
}

impl ConsoleConfig {
    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy { idle: self.session_idle.as_duration(), max: self.session_max.as_duration() }
    }

    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            max_failures: self.max_failed_logins,
            window: self.failed_login_window.as_duration(),
            lockout: self.lockout.as_duration(),
        }
    }

    pub fn password_rules(&self) -> PasswordRules {
        PasswordRules { min_chars: usize::try_from(self.min_password_length).unwrap_or(usize::MAX) }
    }

    /// Problems with the values, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.site_name.trim().is_empty() {
            problems.push("`console.site_name`: must not be empty".to_owned());
        }
        for (key, value) in [
            ("console.session_idle", self.session_idle),
            ("console.session_max", self.session_max),
            ("console.failed_login_window", self.failed_login_window),
            ("console.lockout", self.lockout),
        ] {
            if value.as_duration() <= chrono::Duration::zero() {
                problems.push(format!("`{key}`: must be longer than zero"));
            }
        }
        if self.session_idle > self.session_max {
            problems.push("`console.session_idle`: must not be longer than console.session_max".to_owned());
        }
        if self.max_failed_logins == 0 {
            problems.push("`console.max_failed_logins`: must be at least 1".to_owned());
        }
        if self.min_password_length < LEAST_MIN_PASSWORD_LENGTH {
            problems.push(format!("`console.min_password_length`: must be at least {LEAST_MIN_PASSWORD_LENGTH}"));
        }
        problems
    }
}

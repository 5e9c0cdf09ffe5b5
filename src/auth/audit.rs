//! The audit log of the officials' console: who did what, when, to what, from which address.
//! Append-only by construction — the store offers insert and query, nothing else.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use crate::store::StoreResult;

/// Actor name of changes made with the `tongdai` command line.
pub const CLI_ACTOR: &str = "cli";
/// Actor name of accounts made by `tongdai demo`.
pub const DEMO_ACTOR: &str = "demo";

/// Longest actor name kept (a failed sign-in records the name tried, which can be anything).
const MAX_ACTOR_CHARS: usize = 64;

/// What was done. Stored as its [`AuditAction::as_str`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    PasswordChanged,
    UserAdded,
    UserDisabled,
    UserEnabled,
    PasswordReset,
    /// A page showed a ticket's personal data (citizen's name, phone, Zalo id, attachments).
    TicketViewed,
    /// A ticket was changed (reply, forward, status, close…); `details` says what.
    TicketChanged,
    /// A page showed an officer chat's messages (personal data).
    ChatViewed,
    /// An officer wrote in a chat or ended it; `details` says what.
    ChatChanged,
    /// A dossier file was uploaded in the console, and later imported, refused or failed
    /// (`details.status`).
    DossiersImported,
    /// A survey page showed personal data (dossiers' names and phones, the opt-out list).
    SurveyDataViewed,
    /// Survey statistics were exported (console download or command line); `details` holds the
    /// request (survey, period, filters, format), never personal data.
    StatsExported,
}

impl AuditAction {
    pub const ALL: [Self; 15] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SignOut,
        Self::PasswordChanged,
        Self::UserAdded,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::PasswordReset,
        Self::TicketViewed,
        Self::TicketChanged,
        Self::ChatViewed,
        Self::ChatChanged,
        Self::DossiersImported,
        Self::SurveyDataViewed,
        Self::StatsExported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::PasswordChanged => "password_changed",
            Self::UserAdded => "user_added",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
            Self::PasswordReset => "password_reset",
            Self::TicketViewed => "ticket_viewed",
            Self::TicketChanged => "ticket_changed",
            Self::ChatViewed => "chat_viewed",
            Self::ChatChanged => "chat_changed",
            Self::DossiersImported => "dossiers_imported",
            Self::SurveyDataViewed => "survey_data_viewed",
            Self::StatsExported => "stats_exported",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == code)
    }

    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignIn => "Đăng nhập",
            Self::SignInFailed => "Đăng nhập không thành công",
            Self::SignOut => "Đăng xuất",
            Self::PasswordChanged => "Đổi mật khẩu",
            Self::UserAdded => "Thêm người dùng",
            Self::UserDisabled => "Khóa tài khoản",
            Self::UserEnabled => "Mở khóa tài khoản",
            Self::PasswordReset => "Đặt lại mật khẩu",
            Self::TicketViewed => "Xem thông tin cá nhân trong phản ánh",
            Self::TicketChanged => "Cập nhật phản ánh",
            Self::ChatViewed => "Xem trò chuyện với người dân",
            Self::ChatChanged => "Trò chuyện với người dân: gửi tin, kết thúc",
            Self::DossiersImported => "Nhập hồ sơ khảo sát từ tệp",
            Self::SurveyDataViewed => "Xem thông tin cá nhân trong khảo sát",
            Self::StatsExported => "Tải số liệu thống kê khảo sát",
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    /// The signed-in user, when there is one.
    pub actor_user_id: Option<i64>,
    /// Username, [`CLI_ACTOR`], [`DEMO_ACTOR`], or the name tried in a failed sign-in.
    pub actor: String,
    pub action: AuditAction,
    /// What was acted on, e.g. `user:7` or `ticket:PA-2026-000123`.
    pub target: Option<String>,
    /// Anything else worth keeping (never a password or a token).
    pub details: Json,
    /// The client's address.
    pub ip: Option<String>,
}

impl NewAuditEntry {
    pub fn new(at: DateTime<Utc>, actor: &Actor, action: AuditAction) -> Self {
        Self {
            at,
            actor_user_id: actor.user_id,
            actor: actor.name.chars().take(MAX_ACTOR_CHARS).collect(),
            action,
            target: None,
            details: Json::Object(serde_json::Map::new()),
            ip: actor.ip.clone(),
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn details(mut self, details: Json) -> Self {
        self.details = details;
        self
    }
}

/// Who is acting, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    /// The command line on the server.
    pub fn cli() -> Self {
        Self { user_id: None, name: CLI_ACTOR.to_owned(), ip: None }
    }

    /// A signed-in user at `ip`.
    pub fn user(user_id: i64, username: &str, ip: Option<String>) -> Self {
        Self { user_id: Some(user_id), name: username.to_owned(), ip }
    }

    /// Someone not signed in, claiming to be `name`.
    pub fn anonymous(name: &str, ip: Option<String>) -> Self {
        Self { user_id: None, name: name.to_owned(), ip }
    }
}

/// The target code of a user account.
pub fn user_target(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    /// The action code; [`AuditAction::parse`] reads it.
    pub action: String,
    pub target: Option<String>,
    pub details: Json,
    pub ip: Option<String>,
}

/// Which entries to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Actor name, compared without regard to case.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// Entries at or after.
    pub from: Option<DateTime<Utc>>,
    /// Entries strictly before.
    pub until: Option<DateTime<Utc>>,
}

/// The audit log. There is deliberately no way to change or delete an entry (the database
/// refuses it too).
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append(&self, entry: &NewAuditEntry) -> StoreResult<i64>;
    /// Matching entries, newest first, `limit` of them after skipping `offset`.
    async fn query(&self, filter: &AuditFilter, limit: u32, offset: u64) -> StoreResult<Vec<AuditEntry>>;
    async fn count(&self, filter: &AuditFilter) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert!(seen.insert(action.as_str()));
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert!(!action.label().is_empty());
        }
        assert_eq!(AuditAction::parse("drop_table"), None);
    }

    #[test]
    fn long_actor_names_are_cut() {
        let at = DateTime::UNIX_EPOCH;
        let entry = NewAuditEntry::new(at, &Actor::anonymous(&"x".repeat(500), None), AuditAction::SignInFailed);
        assert_eq!(entry.actor.chars().count(), MAX_ACTOR_CHARS);
    }
}

//! The officer chat's vocabulary: a chat (one conversation session of a citizen with a
//! department's officers) and its messages, who may see which chats ([`ChatScope`], applied by
//! the store in its queries), what a conversation turn changes ([`ChatChange`], committed with
//! the bot's state), and the [`OfficerChatStore`] trait.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::users::{Principal, Role};
use crate::jobs::NewJob;
use crate::store::{NewInboundEvent, StoreResult};
use crate::tickets::draft::Evidence;

/// Where a chat is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatStatus {
    /// The citizen asked for an officer; nobody has answered yet.
    Waiting,
    /// An officer has answered.
    Active,
    /// Over: the citizen is back with the bot.
    Ended,
}

impl ChatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Waiting, Self::Active, Self::Ended].into_iter().find(|s| s.as_str() == code)
    }
}

/// Who or what ended a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// The citizen, in the chat ("kết thúc").
    Citizen,
    /// An officer, from the console.
    Officer,
    /// The citizen unfollowed the OA.
    Unfollow,
    /// A new chat of the same citizen replaced it (the stored chat and the bot disagreed).
    Replaced,
}

impl EndedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Officer => "officer",
            Self::Unfollow => "unfollow",
            Self::Replaced => "replaced",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Citizen, Self::Officer, Self::Unfollow, Self::Replaced].into_iter().find(|s| s.as_str() == code)
    }
}

/// Who wrote a message of the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Citizen,
    Officer,
    /// A note of the service (the chat was opened, it ended).
    System,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Officer => "officer",
            Self::System => "system",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Citizen, Self::Officer, Self::System].into_iter().find(|s| s.as_str() == code)
    }
}

/// What a system note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemNote {
    /// The citizen asked to talk to an officer.
    Opened,
    /// The chat ended (see [`EndedBy`]).
    Ended(EndedBy),
}

impl SystemNote {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Ended(EndedBy::Citizen) => "ended_by_citizen",
            Self::Ended(EndedBy::Officer) => "ended_by_officer",
            Self::Ended(EndedBy::Unfollow) => "ended_by_unfollow",
            Self::Ended(EndedBy::Replaced) => "ended_by_replaced",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "opened" => Some(Self::Opened),
            _ => code.strip_prefix("ended_by_").and_then(EndedBy::parse).map(Self::Ended),
        }
    }
}

/// An officer as chats record them: the console account and the name shown then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerRef {
    pub user_id: i64,
    pub name: String,
}

/// Which chats a user may see. Store queries take this value and filter by it; pages never
/// filter on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatScope {
    /// Every department's chats (coordinators, administrators).
    All,
    /// The chats of this department (its officers).
    Department(String),
    /// None at all (inspectors, viewers, an officer without a department).
    None,
}

impl ChatScope {
    /// The chats `principal` may see.
    pub fn of(principal: &Principal) -> Self {
        match (principal.role, &principal.department) {
            (Role::Admin | Role::Coordinator, _) => Self::All,
            (Role::Officer, Some(code)) => Self::Department(code.clone()),
            (Role::Officer, None) | (Role::Inspector | Role::Viewer, _) => Self::None,
        }
    }

    /// Whether a chat of `department_code` is inside this scope (the rule the store applies).
    pub fn allows(&self, department_code: &str) -> bool {
        match self {
            Self::All => true,
            Self::Department(code) => code == department_code,
            Self::None => false,
        }
    }

    /// The scope as the store binds it: a kind (`all`, `department`, `none`) and a department.
    pub fn sql_parts(&self) -> (&'static str, &str) {
        match self {
            Self::All => ("all", ""),
            Self::Department(code) => ("department", code.as_str()),
            Self::None => ("none", ""),
        }
    }
}

/// One chat as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerChat {
    pub id: i64,
    /// The citizen's OA-scoped Zalo user id.
    pub citizen_id: String,
    /// The name the citizen gave (Zalo's information form), when known.
    pub citizen_name: Option<String>,
    pub branch: u8,
    pub department_code: String,
    pub status: ChatStatus,
    pub opened_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// The first officer who answered.
    pub assigned: Option<OfficerRef>,
    /// Since when the citizen waits for an answer (`None` once an officer answered).
    pub awaiting_reply_since: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    /// An officer ended the chat in the console and the conversation has not applied it yet.
    pub end_requested_at: Option<DateTime<Utc>>,
    pub end_requested_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<EndedBy>,
    pub ended_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl OfficerChat {
    /// Not ended.
    pub fn is_open(&self) -> bool {
        self.status != ChatStatus::Ended
    }

    /// Officers may still write: open, and nobody asked to end it.
    pub fn accepts_messages(&self) -> bool {
        self.is_open() && self.end_requested_at.is_none()
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: i64,
    pub chat_id: i64,
    pub sender: Sender,
    pub body: Option<String>,
    /// What the citizen attached, as the event described it.
    pub attachment: Option<Evidence>,
    /// For system notes: what happened.
    pub note: Option<SystemNote>,
    /// For officers' messages (and notes about an officer's action): who.
    pub officer: Option<OfficerRef>,
    /// For officers' messages: the unique key of the `zalo.send` job delivering it.
    pub send_job_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A chat in a list, with its latest message that is not a system note.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSummary {
    pub chat: OfficerChat,
    pub last_message: Option<ChatMessage>,
}

/// Which chats a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatListFilter {
    pub scope: ChatScope,
    /// Open chats (waiting ones first, then those awaiting an answer longest), or else the
    /// most recently ended.
    pub open: bool,
    pub limit: u32,
}

/// What one conversation turn changes in the chats of its citizen; applied in order, in the
/// transaction that stores the bot's new state (see `crate::store::TurnCommit`).
#[derive(Debug, Clone, PartialEq)]
pub enum ChatChange {
    /// The citizen asked for an officer of this department: a new waiting chat (an open one
    /// left over is ended as replaced).
    Open { branch: u8, department_code: String },
    /// A message of the citizen for the officer. Without an open chat (a conversation handed off
    /// before chats were stored) one is opened for `branch` and `department_code`.
    CitizenMessage { branch: u8, department_code: String, text: Option<String>, attachment: Option<Evidence> },
    /// The chat ends: the citizen's open one (`chat_id: None`) or that one chat if still open.
    End { chat_id: Option<i64>, by: EndedBy, officer: Option<OfficerRef> },
}

/// An officer's message to store and deliver (the job sends it to the citizen).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOfficerMessage {
    pub chat_id: i64,
    pub officer: OfficerRef,
    pub text: String,
    /// The `zalo.send` job, committed with the message.
    pub job: NewJob,
}

/// What storing an officer's message did.
#[derive(Debug, Clone, PartialEq)]
pub enum OfficerMessageOutcome {
    /// Stored with its send job; the chat is active and the citizen no longer waits.
    Sent(ChatMessage),
    /// The chat is ended or being ended: nothing was written.
    Closed,
    /// No such chat inside the scope.
    NotFound,
}

/// What asking to end a chat did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndRequestOutcome {
    /// Recorded, with the conversation input that hands the citizen back to the bot.
    Requested,
    /// Someone asked already; nothing was written.
    AlreadyRequested,
    /// The chat has ended already.
    Closed,
    /// No such chat inside the scope.
    NotFound,
}

/// Officer chats and their messages. Every method reading for a user applies its [`ChatScope`]
/// in the query. Changes made by conversation turns are applied by
/// `InboundStore::commit_turn` (see [`ChatChange`]).
#[async_trait]
pub trait OfficerChatStore: Send + Sync {
    /// The citizen's open chat, if any (for the conversation processor; no scope).
    async fn open_chat(&self, citizen_id: &str) -> StoreResult<Option<OfficerChat>>;
    /// Chats inside the filter's scope.
    async fn list_chats(&self, filter: &ChatListFilter) -> StoreResult<Vec<ChatSummary>>;
    /// One chat, if it is inside `scope`.
    async fn chat(&self, id: i64, scope: &ChatScope) -> StoreResult<Option<OfficerChat>>;
    /// Messages of a chat inside `scope` with an id above `after_id`, oldest first.
    async fn messages(
        &self,
        chat_id: i64,
        scope: &ChatScope,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ChatMessage>>;
    /// Open chats inside `scope` whose citizen waits for an answer.
    async fn count_awaiting(&self, scope: &ChatScope) -> StoreResult<i64>;
    /// Stores an officer's message with its send job, in one transaction, if the chat is inside
    /// `scope` and accepts messages.
    async fn add_officer_message(
        &self,
        message: &NewOfficerMessage,
        scope: &ChatScope,
        now: DateTime<Utc>,
    ) -> StoreResult<OfficerMessageOutcome>;
    /// Records an officer's request to end the chat and queues `event` — the
    /// conversation input that ends it — for the citizen, in one transaction, if the chat is
    /// inside `scope`, open, and not being ended already.
    async fn request_end(
        &self,
        chat_id: i64,
        scope: &ChatScope,
        officer: &OfficerRef,
        event: &NewInboundEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<EndRequestOutcome>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal { user_id: 1, username: "x".into(), role, department: department.map(str::to_owned) }
    }

    #[test]
    fn roles_map_to_chat_scopes() {
        assert_eq!(ChatScope::of(&principal(Role::Admin, None)), ChatScope::All);
        assert_eq!(ChatScope::of(&principal(Role::Coordinator, Some("SNV"))), ChatScope::All);
        assert_eq!(ChatScope::of(&principal(Role::Officer, Some("STP"))), ChatScope::Department("STP".into()));
        assert_eq!(ChatScope::of(&principal(Role::Officer, None)), ChatScope::None);
        assert_eq!(ChatScope::of(&principal(Role::Inspector, None)), ChatScope::None);
        assert_eq!(ChatScope::of(&principal(Role::Viewer, Some("SNV"))), ChatScope::None);
        assert!(ChatScope::Department("STP".into()).allows("STP"));
        assert!(!ChatScope::Department("STP".into()).allows("SNV"));
        assert!(!ChatScope::None.allows("SNV") && ChatScope::All.allows("SNV"));
    }

    #[test]
    fn codes_round_trip() {
        for note in [
            SystemNote::Opened,
            SystemNote::Ended(EndedBy::Citizen),
            SystemNote::Ended(EndedBy::Officer),
            SystemNote::Ended(EndedBy::Unfollow),
            SystemNote::Ended(EndedBy::Replaced),
        ] {
            assert_eq!(SystemNote::parse(note.as_str()), Some(note));
        }
        assert_eq!(SystemNote::parse("ended_by_nobody"), None);
        for status in [ChatStatus::Waiting, ChatStatus::Active, ChatStatus::Ended] {
            assert_eq!(ChatStatus::parse(status.as_str()), Some(status));
        }
        for sender in [Sender::Citizen, Sender::Officer, Sender::System] {
            assert_eq!(Sender::parse(sender.as_str()), Some(sender));
        }
    }
}

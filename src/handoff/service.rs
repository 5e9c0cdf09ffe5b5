//! What officers do with chats, for the console: list the chats of their scope, open one (its
//! history; audited, it is personal data), follow new messages, write to the citizen (the
//! message and its `zalo.send` job in one transaction; chat message inside Zalo's window, held
//! until the citizen writes otherwise) and end the chat (handed to the conversation, which tells
//! the citizen and returns them to the menu). Roles and scope are decided here, not in pages.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::Notify;

use super::model::{
    ChatListFilter, ChatMessage, ChatScope, ChatSummary, EndRequestOutcome, NewOfficerMessage, OfficerChat,
    OfficerMessageOutcome, OfficerRef,
};
use super::turn::officer_ended_event;
use crate::auth::audit::{Actor, AuditAction, NewAuditEntry};
use crate::auth::users::Principal;
use crate::bot::catalogue::Catalogue;
use crate::store::{Store, StoreError, StoreResult};
use crate::zalo::outbound::{OutboundMessage, SendRequest, Unreachable};

/// Longest message an officer may send (one Zalo chat message).
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Most chats a list shows.
pub const LIST_LIMIT: u32 = 200;
/// Most messages a chat page shows.
pub const HISTORY_LIMIT: u32 = 2000;
/// `purpose` of the send jobs of officers' messages.
pub const SEND_PURPOSE: &str = "officer_chat";

/// Why a chat action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The user's role may not do this.
    #[error("this account may not do this with officer chats")]
    Forbidden,
    /// No such chat inside the user's scope.
    #[error("no such chat")]
    NotFound,
    /// The chat has ended, or an officer is ending it.
    #[error("the chat is over")]
    Closed,
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {MAX_MESSAGE_CHARS} characters")]
    TooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The console user acting on chats.
#[derive(Debug, Clone)]
pub struct ChatUser {
    pub principal: Principal,
    /// The name the chat records for this officer.
    pub display_name: String,
    /// Who the audit log names.
    pub actor: Actor,
}

impl ChatUser {
    pub fn scope(&self) -> ChatScope {
        ChatScope::of(&self.principal)
    }

    /// Whether the user may see chats at all.
    pub fn may_read(&self) -> bool {
        self.scope() != ChatScope::None
    }

    /// Whether the user may write to citizens and end chats (officers of a department and
    /// coordinators; administrators only read).
    pub fn may_write(&self) -> bool {
        self.principal.can_chat()
    }

    fn officer(&self) -> OfficerRef {
        OfficerRef { user_id: self.principal.user_id, name: self.display_name.clone() }
    }

    fn readable_scope(&self) -> Result<ChatScope, ChatError> {
        let scope = self.scope();
        if scope == ChatScope::None {
            return Err(ChatError::Forbidden);
        }
        Ok(scope)
    }

    fn writable_scope(&self) -> Result<ChatScope, ChatError> {
        let scope = self.readable_scope()?;
        if !self.may_write() {
            return Err(ChatError::Forbidden);
        }
        Ok(scope)
    }
}

/// A chat with (some of) its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatDetail {
    pub chat: OfficerChat,
    pub messages: Vec<ChatMessage>,
}

/// The officer chat service.
#[derive(Clone)]
pub struct ChatService {
    store: Store,
    catalogue: Arc<Catalogue>,
    send_attempts: u32,
    /// Wakes this process's conversation worker when an end request is queued.
    wake: Option<Arc<Notify>>,
}

impl ChatService {
    pub fn new(store: Store, catalogue: Arc<Catalogue>, send_attempts: u32) -> Self {
        Self { store, catalogue, send_attempts, wake: None }
    }

    /// The service with the configuration's branch catalogue and job attempts.
    pub fn from_config(config: &crate::config::Config, store: Store) -> anyhow::Result<Self> {
        let bot = crate::bot::BotSettings::from_config(&config.bot).context("reading [bot]")?;
        let catalogue = bot.load_catalogue().context("loading the branch catalogue")?;
        Ok(Self::new(store, Arc::new(catalogue), config.jobs.max_attempts))
    }

    /// Wakes `wake` (the conversation worker's) after queueing an end request.
    #[must_use]
    pub fn waking(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The department's name, or its code when the catalogue does not know it.
    pub fn department_name(&self, code: &str) -> String {
        self.catalogue.department(code).map_or_else(|| code.to_owned(), |d| d.name.clone())
    }

    /// Exactly what the citizen receives for an officer's `text` in a chat of `department_code`.
    pub fn citizen_text(&self, department_code: &str, text: &str) -> String {
        format!("Cán bộ {}:\n{}", self.department_name(department_code), text.trim())
    }

    /// Open chats (or the recently ended ones) of the user's scope.
    pub async fn list(&self, user: &ChatUser, open: bool) -> Result<Vec<ChatSummary>, ChatError> {
        let scope = user.readable_scope()?;
        let filter = ChatListFilter { scope, open, limit: LIST_LIMIT };
        Ok(self.store.officer_chats.list_chats(&filter).await?)
    }

    /// How many citizens of the user's scope wait for an answer; `None` for users without chats.
    pub async fn awaiting(&self, principal: &Principal) -> StoreResult<Option<i64>> {
        let scope = ChatScope::of(principal);
        if scope == ChatScope::None {
            return Ok(None);
        }
        self.store.officer_chats.count_awaiting(&scope).await.map(Some)
    }

    async fn audit(
        &self,
        user: &ChatUser,
        action: AuditAction,
        chat_id: i64,
        details: serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let entry = NewAuditEntry::new(now, &user.actor, action).target(format!("chat:{chat_id}")).details(details);
        self.store.audit.append(&entry).await?;
        Ok(())
    }

    /// The chat with its history, for the chat page. The view is audited: the messages (and the
    /// citizen's name, when known) are personal data.
    pub async fn open(&self, id: i64, user: &ChatUser, now: DateTime<Utc>) -> Result<ChatDetail, ChatError> {
        let scope = user.readable_scope()?;
        let chat = self.store.officer_chats.chat(id, &scope).await?.ok_or(ChatError::NotFound)?;
        let messages = self.store.officer_chats.messages(id, &scope, 0, HISTORY_LIMIT).await?;
        let mut shown = vec!["messages"];
        if chat.citizen_name.is_some() {
            shown.push("citizen_name");
        }
        self.audit(user, AuditAction::ChatViewed, id, json!({"shown": shown, "messages": messages.len()}), now).await?;
        Ok(ChatDetail { chat, messages })
    }

    /// The chat and its messages after `after_id` (the page following the chat). Audited when
    /// there are new messages to show.
    pub async fn updates(
        &self,
        id: i64,
        user: &ChatUser,
        after_id: i64,
        now: DateTime<Utc>,
    ) -> Result<ChatDetail, ChatError> {
        let scope = user.readable_scope()?;
        let chat = self.store.officer_chats.chat(id, &scope).await?.ok_or(ChatError::NotFound)?;
        let messages = self.store.officer_chats.messages(id, &scope, after_id.max(0), HISTORY_LIMIT).await?;
        if !messages.is_empty() {
            let details = json!({"shown": ["messages"], "messages": messages.len(), "after": after_id});
            self.audit(user, AuditAction::ChatViewed, id, details, now).await?;
        }
        Ok(ChatDetail { chat, messages })
    }

    /// Writes to the citizen: the message is stored and its `zalo.send` job enqueued together;
    /// the chat becomes active, assigned to its first officer. Audited.
    pub async fn send(
        &self,
        id: i64,
        user: &ChatUser,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<ChatMessage, ChatError> {
        let scope = user.writable_scope()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(ChatError::Empty);
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ChatError::TooLong);
        }
        let chat = self.store.officer_chats.chat(id, &scope).await?.ok_or(ChatError::NotFound)?;
        if !chat.accepts_messages() {
            return Err(ChatError::Closed);
        }
        let request = SendRequest {
            user_id: Some(chat.citizen_id.clone()),
            phone: None,
            message: OutboundMessage::text(self.citizen_text(&chat.department_code, text)),
            template: None,
            if_unreachable: Unreachable::HoldUntilNextMessage,
            purpose: SEND_PURPOSE.to_owned(),
            reference: Some(format!("chat:{id}")),
            then: Vec::new(),
        };
        // Random: two officers writing at once each get their own message and job.
        let key = format!("{SEND_PURPOSE}:{id}:{:016x}", rand::random::<u64>());
        let message = NewOfficerMessage {
            chat_id: id,
            officer: user.officer(),
            text: text.to_owned(),
            job: request.into_job(key, self.send_attempts),
        };
        match self.store.officer_chats.add_officer_message(&message, &scope, now).await? {
            OfficerMessageOutcome::Sent(stored) => {
                let details = json!({"change": "message", "message_id": stored.id, "chars": text.chars().count()});
                self.audit(user, AuditAction::ChatChanged, id, details, now).await?;
                Ok(stored)
            }
            OfficerMessageOutcome::Closed => Err(ChatError::Closed),
            OfficerMessageOutcome::NotFound => Err(ChatError::NotFound),
        }
    }

    /// Ends the chat: the request is recorded and handed to the conversation as an input of its
    /// own, in order with the citizen's messages; the bot then tells the citizen and shows the
    /// menu again, and the chat is marked ended. Audited.
    pub async fn end(&self, id: i64, user: &ChatUser, now: DateTime<Utc>) -> Result<(), ChatError> {
        let scope = user.writable_scope()?;
        let chat = self.store.officer_chats.chat(id, &scope).await?.ok_or(ChatError::NotFound)?;
        let officer = user.officer();
        let event = officer_ended_event(&chat, &officer);
        match self.store.officer_chats.request_end(id, &scope, &officer, &event, now).await? {
            EndRequestOutcome::Requested => {
                if let Some(wake) = &self.wake {
                    wake.notify_one();
                }
                self.audit(user, AuditAction::ChatChanged, id, json!({"change": "end"}), now).await?;
                Ok(())
            }
            // A second click while the first is being applied: nothing more to do.
            EndRequestOutcome::AlreadyRequested => Ok(()),
            EndRequestOutcome::Closed => Err(ChatError::Closed),
            EndRequestOutcome::NotFound => Err(ChatError::NotFound),
        }
    }
}

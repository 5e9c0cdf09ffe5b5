//! What the Zalo side keeps in the database: the sealed token pair and the state of its refresh,
//! pending OAuth authorisations, citizens' contact facts, the record of every outbound attempt,
//! and messages held until the citizen writes again. Plain data; the store traits are in
//! `crate::store`.

use chrono::{DateTime, Utc};

use crate::zalo::outbound::SendRequest;

/// The OA token pair as stored: both tokens sealed by [`crate::zalo::crypto::Cipher`].
#[derive(Clone, PartialEq, Eq)]
pub struct SealedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires (as Zalo said at issue, or assumed at bootstrap).
    pub access_expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SealedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedTokens").field("access_expires_at", &self.access_expires_at).finish_non_exhaustive()
    }
}

/// Where a stored token pair came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `zalo.access_token` / `zalo.refresh_token` (bootstrap).
    Config,
    /// A refresh with the previous refresh token.
    Refresh,
    /// The OAuth authorisation at /zalo/oauth/callback.
    OAuth,
}

impl TokenSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Refresh => "refresh",
            Self::OAuth => "oauth",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Config, Self::Refresh, Self::OAuth].into_iter().find(|s| s.as_str() == text)
    }
}

/// The stored pair with its version (increases with every write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTokens {
    pub sealed: SealedTokens,
    pub version: i64,
    pub source: TokenSource,
    pub updated_at: DateTime<Utc>,
}

/// A refresh that Zalo refused (never contains a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFailure {
    pub at: DateTime<Utc>,
    /// Zalo's error code, when it gave one.
    pub code: Option<i64>,
    pub message: String,
}

/// How token refreshes went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefreshStatus {
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// Set when the last refresh was refused and no token pair has been saved since.
    pub failure: Option<RefreshFailure>,
}

/// An OAuth authorisation started at /zalo/oauth/start and not completed yet.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub state: String,
    /// The PKCE code verifier, sealed.
    pub verifier_sealed: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A citizen as known on Zalo (OA-scoped user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citizen {
    pub zalo_user_id: String,
    pub display_name: Option<String>,
    /// As given by the citizen (personal data; never logged).
    pub phone: Option<String>,
    pub is_follower: bool,
    /// Latest interaction that opens the chat (CS) window.
    pub last_interaction_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a message went (or would have gone) out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboundChannel {
    /// Consultation (chat) message, inside the messaging window.
    Cs,
    /// ZBS template by user id.
    Zbs,
    /// ZNS template by phone.
    Zns,
    /// No channel (undeliverable or held).
    None,
}

impl OutboundChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cs => "cs",
            Self::Zbs => "zbs",
            Self::Zns => "zns",
            Self::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Cs, Self::Zbs, Self::Zns, Self::None].into_iter().find(|c| c.as_str() == text)
    }
}

/// The result of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundStatus {
    Sent,
    Failed,
    /// No channel could reach the citizen and the message was dropped.
    Undeliverable,
    /// Kept until the citizen writes again.
    Held,
}

impl OutboundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Undeliverable => "undeliverable",
            Self::Held => "held",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Sent, Self::Failed, Self::Undeliverable, Self::Held].into_iter().find(|s| s.as_str() == text)
    }
}

/// One attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboundRecord {
    pub job_id: Option<i64>,
    /// Index of the part of a split text (0 otherwise).
    pub part: u32,
    pub user_id: Option<String>,
    /// The phone, masked (`849******78`), for template sends by phone.
    pub phone_masked: Option<String>,
    pub channel: OutboundChannel,
    pub purpose: String,
    pub reference: Option<String>,
    /// Zalo's `message_id` / `msg_id` of a sent message.
    pub zalo_message_id: Option<String>,
    /// ZNS: the `tracking_id` sent with the template. ZBS: the template's tracking id kept only
    /// here (the UID channel sends none), so a rating found by `msg_id` leads back to it.
    pub tracking_id: Option<String>,
    pub status: OutboundStatus,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub at: DateTime<Utc>,
}

/// A recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRecord {
    pub id: i64,
    pub record: NewOutboundRecord,
}

/// A message waiting for the citizen's next message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMessage {
    pub id: i64,
    pub user_id: String,
    /// The `zalo.send` job that could not deliver it.
    pub source_job_id: Option<i64>,
    pub request: SendRequest,
    /// Attempts given to the job that delivers it once released.
    pub max_attempts: u32,
    pub held_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub released_job_id: Option<i64>,
}

/// Unique key of the job that delivers held message `id` once released.
pub fn held_job_key(id: i64) -> String {
    format!("held:{id}")
}

//! The survey aggregate's data: dossiers (completed procedures), one survey instance per dossier
//! with its states, raw answers with the dossier's dimensions, and opt-outs. Shared by the
//! survey services and the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::answer::AnswerValue;

/// Administrative level of the agency that handled a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Tinh,
    Huyen,
    Xa,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tinh => "tinh",
            Self::Huyen => "huyen",
            Self::Xa => "xa",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Tinh, Self::Huyen, Self::Xa].into_iter().find(|l| l.as_str() == text)
    }
}

/// How the citizen submitted the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierChannel {
    TrucTiep,
    TrucTuyen,
}

impl DossierChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrucTiep => "truc_tiep",
            Self::TrucTuyen => "truc_tuyen",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::TrucTiep, Self::TrucTuyen].into_iter().find(|c| c.as_str() == text)
    }
}

/// A completed administrative-procedure dossier, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub field: String,
    pub agency_code: String,
    pub agency_name: String,
    pub level: Level,
    pub received_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub channel: DossierChannel,
    pub citizen_name: Option<String>,
    /// Normalised `84…` mobile number.
    pub phone: Option<String>,
    /// OA-scoped Zalo user id.
    pub zalo_user_id: Option<String>,
}

impl Dossier {
    /// Whether the citizen can be reached at all (a Zalo user id or a phone).
    pub fn has_contact(&self) -> bool {
        self.zalo_user_id.is_some() || self.phone.is_some()
    }
}

/// Lifecycle of a survey instance (one per dossier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceState {
    /// Waiting for `due_at`.
    Scheduled,
    /// Decided not to survey this dossier (see [`SkipReason`]).
    Skipped,
    /// Sent; no answer yet.
    Sent,
    /// The citizen has started answering in the chat.
    Answering,
    /// Every required question answered (one submission per dossier).
    Answered,
    /// Not (fully) answered before `expires_at`.
    Expired,
}

impl InstanceState {
    pub const ALL: [Self; 6] =
        [Self::Scheduled, Self::Skipped, Self::Sent, Self::Answering, Self::Answered, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Skipped => "skipped",
            Self::Sent => "sent",
            Self::Answering => "answering",
            Self::Answered => "answered",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Sent and still accepting answers (subject to `expires_at`).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Answering)
    }
}

/// Why a dossier gets no survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Outside the `sampling_rate` sample.
    NotSampled,
    /// Neither a Zalo user id nor a phone.
    NoContact,
    /// The citizen asked not to be surveyed.
    OptedOut,
    /// Another survey went (or goes) to the same citizen within `min_days_between`.
    FrequencyCap,
    /// Completed so long ago that the survey would already have expired.
    TooOld,
}

impl SkipReason {
    pub const ALL: [Self; 5] = [Self::NotSampled, Self::NoContact, Self::OptedOut, Self::FrequencyCap, Self::TooOld];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSampled => "not_sampled",
            Self::NoContact => "no_contact",
            Self::OptedOut => "opted_out",
            Self::FrequencyCap => "frequency_cap",
            Self::TooOld => "too_old",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerChannel {
    Chat,
    Web,
    /// A Zalo rating template: ZNS by phone or ZBS by user id.
    Zns,
}

impl AnswerChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Web => "web",
            Self::Zns => "zns",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Chat, Self::Web, Self::Zns].into_iter().find(|c| c.as_str() == text)
    }
}

/// A survey instance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyInstance {
    pub id: i64,
    pub dossier_code: String,
    /// Public random reference: in chat payloads, signed web links and as the ZNS `tracking_id`.
    pub token: String,
    pub state: InstanceState,
    pub skip_reason: Option<SkipReason>,
    /// Contact copied from the dossier (kept in step while the instance is scheduled).
    pub zalo_user_id: Option<String>,
    pub phone: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the single reminder is due (`None`: none planned, or cancelled by an opt-out).
    pub reminder_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The chat step awaiting an answer: a question or free-text code of the chat survey.
    pub chat_step: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer_channel: Option<AnswerChannel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SurveyInstance {
    /// Open for answers at `now`: sent, not fully answered, not past its expiry.
    pub fn accepts_answers(&self, now: DateTime<Utc>) -> bool {
        self.state.is_open() && self.expires_at.is_some_and(|at| now < at)
    }

    /// Past its expiry (whether or not the expiry tick has run yet).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.state == InstanceState::Expired || (self.state.is_open() && self.expires_at.is_some_and(|at| now >= at))
    }
}

/// What the survey rules decided for a newly stored dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstancePlan {
    Scheduled { token: String, due_at: DateTime<Utc> },
    Skipped { token: String, reason: SkipReason },
}

/// What the store knows about a citizen (by Zalo user id or phone) when a dossier arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContactHistory {
    pub opted_out: bool,
    /// The latest send time (or planned send time) of another survey for this citizen.
    pub last_survey_at: Option<DateTime<Utc>>,
}

/// What storing one dossier did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierOutcome {
    /// New code: the dossier and its survey instance were created.
    Created { instance_id: i64, state: InstanceState },
    /// Known code, same content: nothing changed.
    Unchanged,
    /// Known code, different content: the dossier was updated; its survey decision stands.
    Updated,
}

/// A scheduled instance whose time has come, with what the dispatcher needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInstance {
    pub instance: SurveyInstance,
    pub dossier: Dossier,
    /// The citizen opted out after the instance was scheduled.
    pub opted_out: bool,
    /// Latest `sent_at` of another instance for the same citizen.
    pub other_sent_at: Option<DateTime<Utc>>,
}

/// The dispatcher's decision for one due instance.
#[derive(Debug, Clone, PartialEq)]
pub enum SendDecision {
    /// Mark sent and enqueue `job` (a `zalo.send` job with a unique key) in the same transaction.
    Send {
        job: crate::jobs::NewJob,
        reminder_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        /// The chat step the first message asks (the chat survey's first question).
        first_step: Option<String>,
    },
    Skip(SkipReason),
}

/// What one dispatch batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DispatchReport {
    /// Due instances claimed by this batch.
    pub claimed: usize,
    pub sent: usize,
    pub skipped: usize,
}

/// One raw answer to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    pub question_code: String,
    pub value: AnswerValue,
}

/// A chat step to record: the answer (if any) to `expected_step` and where the chat goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatStepRecord {
    pub instance_id: i64,
    pub survey_id: String,
    pub survey_version: u32,
    /// The step the instance must still be at (otherwise nothing is written).
    pub expected_step: String,
    pub answer: Option<NewAnswer>,
    pub next_step: Option<String>,
    /// The required questions are all answered after this step: the instance becomes `answered`.
    pub completes: bool,
}

/// A whole submission (web form, ZNS rating).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub instance_id: i64,
    pub survey_id: String,
    pub survey_version: u32,
    pub channel: AnswerChannel,
    pub answers: Vec<NewAnswer>,
}

/// What storing a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    Stored,
    /// The instance was answered already (one submission per dossier).
    AlreadyAnswered,
    /// The instance is expired, skipped or not sent yet; nothing stored.
    Closed,
}

/// A raw answer as stored, with the dossier's dimensions copied in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub instance_id: i64,
    pub dossier_code: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub question_code: String,
    pub value: AnswerValue,
    pub answered_at: DateTime<Utc>,
    pub channel: AnswerChannel,
    pub agency_code: String,
    pub agency_name: String,
    pub level: Level,
    pub field: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub dossier_channel: DossierChannel,
    pub completed_at: DateTime<Utc>,
}

/// A `user_feedback` event whose tracking id matched no instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedFeedback {
    pub tracking_id: Option<String>,
    pub msg_id: Option<String>,
    pub rate: Option<i64>,
    pub note: Option<String>,
}

/// What an opt-out changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptOutReport {
    /// Scheduled instances now skipped.
    pub skipped: u64,
    /// Sent instances whose pending reminder was cancelled.
    pub reminders_cancelled: u64,
}

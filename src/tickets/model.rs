//! The ticket aggregate: a complaint or feedback (PAKN) as filed and worked, its history entries,
//! its evidence attachments and the notifications it causes. Plain data; rules live in
//! `service.rs`, `status.rs`, `classify.rs` and `sla.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::TicketStatus;

/// What a ticket is about (ND 20/2008 Đ.3, Đ.5, Đ.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Feedback on administrative procedures or regulations (the default).
    ProcedureFeedback,
    /// Conduct of officials: harassment, delays, bribes… (ND 20 Đ.5.1, Đ.9 (ii)).
    OfficialConduct,
}

impl Category {
    pub const ALL: [Category; 2] = [Self::ProcedureFeedback, Self::OfficialConduct];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProcedureFeedback => "procedure_feedback",
            Self::OfficialConduct => "official_conduct",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|c| c.as_str() == wanted)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::ProcedureFeedback => "Phản ánh, kiến nghị về thủ tục hành chính, quy định hành chính",
            Self::OfficialConduct => "Phản ánh về hành vi, thái độ của cán bộ, công chức",
        }
    }
}

/// Text that is not PAKN under ND 20/2008 Đ.1 and belongs to another procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfScope {
    /// Khiếu nại: a request to review a decision or act (Luật Khiếu nại 2011).
    Complaint,
    /// Tố cáo: a report of a law violation by someone (Luật Tố cáo 2018).
    Denunciation,
}

impl OutOfScope {
    pub const ALL: [OutOfScope; 2] = [Self::Complaint, Self::Denunciation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complaint => "complaint",
            Self::Denunciation => "denunciation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// How the ticket reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Zalo,
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zalo => "zalo",
            Self::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Zalo, Self::Api].into_iter().find(|c| c.as_str() == text)
    }
}

/// The citizen's answer to the personal-data consent question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    Given,
    Refused,
    NotAsked,
}

impl ConsentDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Refused => "refused",
            Self::NotAsked => "not_asked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Given, Self::Refused, Self::NotAsked].into_iter().find(|c| c.as_str() == text)
    }
}

/// Evidence of consent: what was decided, to which text version, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub decision: ConsentDecision,
    pub text_version: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// One complaint or feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Database id (0 before it is stored).
    pub id: i64,
    /// `PA-2026-K7M3QX`; what the citizen quotes.
    pub code: String,
    /// Optimistic-concurrency counter: every change must name the version it started from.
    pub version: i64,
    /// Branch number the citizen chose.
    pub branch: u8,
    /// Department owning the ticket now (changes when forwarded).
    pub department_code: String,
    pub category: Category,
    /// Reports officials' misconduct: flagged for the inspection team (Tổ Kiểm tra đột xuất).
    pub misconduct: bool,
    /// Khiếu nại / tố cáo: recorded, and the citizen told the proper channel.
    pub out_of_scope: Option<OutOfScope>,
    /// False when the citizen refused consent: recorded, not formally processed (no deadline).
    pub processable: bool,
    pub content: String,
    pub place: Option<String>,
    pub procedure: Option<String>,
    /// The citizen's OA-scoped Zalo user id (absent for tickets that came through the API).
    pub citizen_user_id: Option<String>,
    pub citizen_name: Option<String>,
    /// `84…`; personal data: never logged, masked outside the console.
    pub phone: Option<String>,
    pub consent: ConsentRecord,
    pub channel: Channel,
    pub status: TicketStatus,
    pub rejection_reason: Option<String>,
    pub received_at: DateTime<Utc>,
    /// When the current owner's deadline started (receipt, or the last forwarding).
    pub sla_started_at: DateTime<Utc>,
    /// Answer deadline of the current owner; `None` for tickets that are not processable.
    pub due_at: Option<DateTime<Utc>>,
    /// Deadline to forward the ticket when it is outside the owner's competence (ND 20 Đ.9).
    pub forward_due_at: Option<DateTime<Utc>>,
    /// When the owner is reminded of the coming deadline; `None` = no reminder.
    pub remind_at: Option<DateTime<Utc>>,
    /// When that reminder was recorded (cleared when the deadline is reset).
    pub reminded_at: Option<DateTime<Utc>>,
    /// Overdue and escalated to the coordinating department (cleared when forwarded).
    pub escalated: bool,
    pub escalated_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The latest answer sent to the citizen.
    pub answer_text: Option<String>,
    /// How many times the ticket was forwarded.
    pub forward_count: i32,
    pub updated_at: DateTime<Utc>,
}

impl Ticket {
    /// Overdue: still open and past its answer deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status.is_open() && self.due_at.is_some_and(|due| now > due)
    }

    /// The text searched by the `text` filter: code, content, place and procedure, folded.
    pub fn search_text(&self) -> String {
        let parts =
            [Some(self.code.as_str()), Some(self.content.as_str()), self.place.as_deref(), self.procedure.as_deref()];
        crate::bot::text::fold(&parts.into_iter().flatten().collect::<Vec<_>>().join(" "))
    }
}

/// Who did something to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An official in the console (name = username).
    Officer,
    /// The service itself (name = "system").
    System,
    /// The citizen on Zalo (name = "citizen").
    Citizen,
    /// A machine client (name = the API key's name).
    ApiKey,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::System => "system",
            Self::Citizen => "citizen",
            Self::ApiKey => "api_key",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Officer, Self::System, Self::Citizen, Self::ApiKey].into_iter().find(|c| c.as_str() == text)
    }
}

/// Who did something: kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub name: String,
}

impl Actor {
    pub fn officer(username: impl Into<String>) -> Self {
        Self { kind: ActorKind::Officer, name: username.into() }
    }

    pub fn system() -> Self {
        Self { kind: ActorKind::System, name: "system".into() }
    }

    pub fn citizen() -> Self {
        Self { kind: ActorKind::Citizen, name: "citizen".into() }
    }

    pub fn api_key(name: impl Into<String>) -> Self {
        Self { kind: ActorKind::ApiKey, name: name.into() }
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    Filed,
    Reclassified,
    StatusChanged,
    Forwarded,
    Replied,
    Note,
    ReminderSent,
    Escalated,
    AttachmentFetched,
    AttachmentFailed,
}

impl EventAction {
    pub const ALL: [EventAction; 10] = [
        Self::Filed,
        Self::Reclassified,
        Self::StatusChanged,
        Self::Forwarded,
        Self::Replied,
        Self::Note,
        Self::ReminderSent,
        Self::Escalated,
        Self::AttachmentFetched,
        Self::AttachmentFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Filed => "filed",
            Self::Reclassified => "reclassified",
            Self::StatusChanged => "status_changed",
            Self::Forwarded => "forwarded",
            Self::Replied => "replied",
            Self::Note => "note",
            Self::ReminderSent => "reminder_sent",
            Self::Escalated => "escalated",
            Self::AttachmentFetched => "attachment_fetched",
            Self::AttachmentFailed => "attachment_failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A history entry to record: who, what, why (the store adds when).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub actor: Actor,
    pub action: EventAction,
    pub from_status: Option<TicketStatus>,
    pub to_status: Option<TicketStatus>,
    /// What happened, in words (e.g. "Chuyển từ STP sang SNV").
    pub detail: String,
    /// Why (forwarding and rejection reasons, officer notes).
    pub reason: Option<String>,
    /// Structured facts (departments, deadlines, reply text…).
    pub data: serde_json::Value,
}

/// A recorded history entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: EventAction,
    pub from_status: Option<TicketStatus>,
    pub to_status: Option<TicketStatus>,
    pub detail: String,
    pub reason: Option<String>,
    pub data: serde_json::Value,
}

/// Kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    File,
    Video,
    Audio,
    Link,
    Location,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 6] =
        [Self::Image, Self::File, Self::Video, Self::Audio, Self::Link, Self::Location];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Link => "link",
            Self::Location => "location",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the service downloads it (Zalo's links expire); links and places are kept as is.
    pub fn is_downloaded(self) -> bool {
        matches!(self, Self::Image | Self::File | Self::Video | Self::Audio)
    }
}

/// Where an attachment's download stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// Waiting for its `ticket.fetch_attachment` job.
    Pending,
    /// Downloaded and checked; `local_path`, `sha256`, `size_bytes`, `content_type` are set.
    Fetched,
    /// Could not be downloaded or was refused (too large, wrong type, link expired); see `error`.
    Failed,
    /// Not a file (a link or a place): recorded, nothing to download.
    Recorded,
}

impl AttachmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Fetched => "fetched",
            Self::Failed => "failed",
            Self::Recorded => "recorded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Fetched, Self::Failed, Self::Recorded].into_iter().find(|s| s.as_str() == text)
    }
}

/// Evidence to record with a new ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAttachment {
    /// 1, 2, … within the ticket (names the fetch job).
    pub seq: i32,
    pub kind: AttachmentKind,
    /// Zalo's link (absent for a place).
    pub url: Option<String>,
    pub name: Option<String>,
    /// Size Zalo announced, if any.
    pub declared_size: Option<i64>,
    pub msg_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub state: AttachmentState,
}

/// A recorded attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    pub seq: i32,
    pub kind: AttachmentKind,
    pub url: Option<String>,
    pub name: Option<String>,
    pub declared_size: Option<i64>,
    pub msg_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub state: AttachmentState,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    /// Path of the downloaded file (under `<general.data_dir>/attachments/`).
    pub local_path: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// What downloading an attachment gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FetchOutcome {
    Fetched { content_type: String, size_bytes: i64, sha256: String, local_path: String },
    Failed { error: String },
}

/// Who a console notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "department", rename_all = "snake_case")]
pub enum Recipient {
    /// Officers of this department.
    Department(String),
    /// The province's inspection team (Tổ Kiểm tra đột xuất), for misconduct reports.
    InspectionTeam,
}

/// Why a notification was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    NewTicket,
    Misconduct,
    ForwardedIn,
    Reminder,
    Escalation,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 5] =
        [Self::NewTicket, Self::Misconduct, Self::ForwardedIn, Self::Reminder, Self::Escalation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewTicket => "new_ticket",
            Self::Misconduct => "misconduct",
            Self::ForwardedIn => "forwarded_in",
            Self::Reminder => "reminder",
            Self::Escalation => "escalation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Payload of a `ticket.notify` job, and the notification it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotification {
    /// Makes recording idempotent (the job may run twice).
    pub dedupe_key: String,
    pub ticket_code: String,
    pub recipient: Recipient,
    pub kind: NotificationKind,
    /// What the console shows, in Vietnamese.
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// A recorded notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub ticket_code: String,
    pub recipient: Recipient,
    pub kind: NotificationKind,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

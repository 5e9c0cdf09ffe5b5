//! Case management of complaints: filing a draft from the chat, the citizen's lookup, replies,
//! status changes, forwarding, notes, lists, and the deadline checks. The business rules live
//! here; handlers and the console only parse, call these and map the result. Every change is a
//! new version of the ticket written with its history entry and the jobs it causes (messages
//! to the citizen, console notifications) in one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::classify::classify;
use super::code::{self, CodeSource, RandomCodes};
use super::config::TicketsConfig;
use super::draft::{ComplaintDraft, Consent, Evidence};
use super::filter::{Scope, TicketFilter, TicketPage};
use super::model::{
    Actor, Attachment, AttachmentKind, AttachmentState, Category, Channel, ConsentDecision, ConsentRecord, EventAction,
    NewAttachment, NewEvent, NewNotification, NotificationKind, OutOfScope, Recipient, Ticket, TicketEvent,
};
use super::sla::SlaPolicy;
use super::status::{check_transition, TicketStatus, TransitionError};
use super::texts;
use crate::bot::catalogue::Catalogue;
use crate::calendar::working::WorkingCalendar;
use crate::jobs::NewJob;
use crate::store::{CreateTicketOutcome, StoreError, TicketStore};
use crate::zalo::outbound::{OutboundMessage, SendRequest, TemplateFallback, TemplatePurpose, Unreachable};

/// Job kind that records a console notification.
pub const NOTIFY_JOB_KIND: &str = "ticket.notify";
/// Job kind that downloads an evidence file.
pub const FETCH_ATTACHMENT_JOB_KIND: &str = "ticket.fetch_attachment";
/// Longest answer accepted (Zalo splits long texts; an answer longer than this is a document).
pub const MAX_ANSWER_CHARS: usize = 8000;
/// Longest complaint text kept.
pub const MAX_CONTENT_CHARS: usize = 20_000;
/// How many fresh codes are tried when a drawn code is taken.
const CODE_ATTEMPTS: usize = 8;
/// How many times a change is recomputed when the ticket changed meanwhile.
const CHANGE_ATTEMPTS: usize = 4;
/// Tickets read per batch of a deadline check.
const SLA_BATCH: u32 = 200;
/// Most batches of each kind in one deadline check.
const SLA_MAX_BATCHES: usize = 50;

/// Why a ticket operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// Unknown code, or outside the caller's scope (the two look the same).
    #[error("no ticket with code `{0}`")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("the ticket was changed by someone else at the same time; reload it and try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What filing a complaint gave: what the conversation tells the citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiledTicket {
    pub code: String,
    /// `None` when the ticket is not processable (consent refused).
    pub due_at: Option<DateTime<Utc>>,
    /// The due date as the citizen reads it (`05/03/2026`).
    pub due_date: Option<String>,
    pub department_code: String,
    pub department_name: String,
    pub category: Category,
    pub misconduct: bool,
    pub out_of_scope: Option<OutOfScope>,
    pub processable: bool,
    /// The confirmation to send, with the out-of-scope and consent notices when they apply.
    pub message: String,
}

/// What a citizen may see of their own ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenView {
    pub code: String,
    pub status: TicketStatus,
    pub received_at: DateTime<Utc>,
    pub department_name: String,
    pub due_at: Option<DateTime<Utc>>,
    pub answer_text: Option<String>,
    pub rejection_reason: Option<String>,
    /// The whole answer to send in the chat.
    pub message: String,
}

/// A ticket with its history and attachments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub events: Vec<TicketEvent>,
    pub attachments: Vec<Attachment>,
}

/// What one deadline check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaReport {
    pub reminded: usize,
    pub escalated: usize,
}

/// An officer's correction of the automatic classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclassification {
    pub category: Category,
    /// Flag for the inspection team.
    pub misconduct: bool,
    pub reason: Option<String>,
}

/// A computed change: the new state (carrying the version it was computed from), its history
/// entries and its jobs.
struct Change {
    ticket: Ticket,
    events: Vec<NewEvent>,
    jobs: Vec<NewJob>,
}

/// The ticket service.
#[derive(Clone)]
pub struct TicketService {
    store: Arc<dyn TicketStore>,
    catalogue: Arc<Catalogue>,
    calendar: Arc<WorkingCalendar>,
    policy: SlaPolicy,
    coordinating_department: String,
    codes: Arc<dyn CodeSource>,
    job_attempts: u32,
}

impl TicketService {
    /// A service on `store` with the given catalogue and calendar. Fails when the coordinating
    /// department is not in the catalogue.
    pub fn new(
        store: Arc<dyn TicketStore>,
        catalogue: Arc<Catalogue>,
        calendar: Arc<WorkingCalendar>,
        config: &TicketsConfig,
        job_attempts: u32,
    ) -> Result<Self, String> {
        if catalogue.department(&config.coordinating_department).is_none() {
            return Err(format!(
                "`tickets.coordinating_department`: `{}` is not a department of the branch catalogue ({})",
                config.coordinating_department,
                catalogue.departments().iter().map(|d| d.code.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(Self {
            store,
            catalogue,
            calendar,
            policy: SlaPolicy::from_config(config),
            coordinating_department: config.coordinating_department.clone(),
            codes: Arc::new(RandomCodes),
            job_attempts: job_attempts.max(1),
        })
    }

    /// The service as configured: embedded branch catalogue, the `[tickets]` holiday table.
    pub fn from_config(config: &crate::config::Config, store: Arc<dyn TicketStore>) -> anyhow::Result<Self> {
        let catalogue = crate::bot::catalogue::default_catalogue()?;
        let calendar = config.tickets.calendar(config.timezone()).map_err(anyhow::Error::msg)?;
        Self::new(store, Arc::new(catalogue), Arc::new(calendar), &config.tickets, config.jobs.max_attempts)
            .map_err(anyhow::Error::msg)
    }

    /// Replaces where codes come from (tests of the uniqueness retry).
    #[must_use]
    pub fn with_code_source(mut self, codes: Arc<dyn CodeSource>) -> Self {
        self.codes = codes;
        self
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// The department's name, or its code when unknown.
    pub fn department_name(&self, code: &str) -> String {
        self.catalogue.department(code).map_or_else(|| code.to_owned(), |d| d.name.clone())
    }

    fn local_date_text(&self, at: DateTime<Utc>) -> String {
        texts::date_vi(self.calendar.local_date(at))
    }

    /// Files a complaint collected in the chat by `citizen_user_id`.
    pub async fn file_complaint(
        &self,
        draft: &ComplaintDraft,
        citizen_user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<FiledTicket, TicketError> {
        self.file(draft, citizen_user_id, now, None).await
    }

    /// Files a complaint at most once per `source_key` (the webhook event that completed it):
    /// the first code tried is derived from the key, so filing the same event again finds the
    /// ticket already filed for this citizen and returns it instead of filing a second one.
    pub async fn file_complaint_once(
        &self,
        draft: &ComplaintDraft,
        citizen_user_id: &str,
        now: DateTime<Utc>,
        source_key: &str,
    ) -> Result<FiledTicket, TicketError> {
        let year = chrono::Datelike::year(&self.calendar.local_date(now));
        let code = crate::tickets::code::derived_code(year, source_key);
        if let Some(existing) = self.store.get_ticket_for_citizen(&code, citizen_user_id).await? {
            return Ok(self.filed_view(&existing));
        }
        self.file(draft, citizen_user_id, now, Some(code)).await
    }

    /// What the citizen is told about a stored ticket.
    fn filed_view(&self, stored: &Ticket) -> FiledTicket {
        let department_name = self
            .catalogue
            .department(&stored.department_code)
            .map_or_else(|| stored.department_code.clone(), |d| d.name.clone());
        let due = stored.due_at.map(|d| self.calendar.local_date(d));
        FiledTicket {
            message: texts::filed_confirmation(
                &stored.code,
                &department_name,
                due,
                stored.misconduct,
                stored.out_of_scope,
            ),
            code: stored.code.clone(),
            due_at: stored.due_at,
            due_date: due.map(texts::date_vi),
            department_code: stored.department_code.clone(),
            department_name,
            category: stored.category,
            misconduct: stored.misconduct,
            out_of_scope: stored.out_of_scope,
            processable: stored.processable,
        }
    }

    async fn file(
        &self,
        draft: &ComplaintDraft,
        citizen_user_id: &str,
        now: DateTime<Utc>,
        first_code: Option<String>,
    ) -> Result<FiledTicket, TicketError> {
        let content = draft.content_text().trim().to_owned();
        if content.is_empty() {
            return Err(TicketError::Invalid("the complaint has no content".into()));
        }
        if content.chars().count() > MAX_CONTENT_CHARS {
            return Err(TicketError::Invalid(format!("the complaint is longer than {MAX_CONTENT_CHARS} characters")));
        }
        let department = self
            .catalogue
            .department_of_branch(draft.branch)
            .ok_or_else(|| TicketError::Invalid(format!("there is no branch {}", draft.branch)))?
            .clone();
        let classification = classify(&content);
        let (consent, processable) = match &draft.consent {
            Consent::Given { text_version, at } => (
                ConsentRecord {
                    decision: ConsentDecision::Given,
                    text_version: Some(text_version.clone()),
                    at: Some(*at),
                },
                true,
            ),
            Consent::Refused { text_version, at } => (
                ConsentRecord {
                    decision: ConsentDecision::Refused,
                    text_version: Some(text_version.clone()),
                    at: Some(*at),
                },
                false,
            ),
            Consent::NotAsked => {
                (ConsentRecord { decision: ConsentDecision::NotAsked, text_version: None, at: None }, false)
            }
        };
        let deadlines = processable.then(|| self.policy.deadlines(&self.calendar, now, classification.category));
        let non_empty = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut ticket = Ticket {
            id: 0,
            code: String::new(),
            version: 0,
            branch: draft.branch,
            department_code: department.code.clone(),
            category: classification.category,
            misconduct: classification.misconduct,
            out_of_scope: classification.out_of_scope,
            processable,
            content,
            place: non_empty(&draft.place),
            procedure: non_empty(&draft.procedure),
            citizen_user_id: Some(citizen_user_id.to_owned()).filter(|u| !u.is_empty()),
            // Without consent no personal data beyond the chat itself is kept (ND 13/2023).
            citizen_name: if processable { non_empty(&draft.citizen_name) } else { None },
            phone: if processable { non_empty(&draft.phone) } else { None },
            consent,
            channel: Channel::Zalo,
            status: TicketStatus::Received,
            rejection_reason: None,
            received_at: now,
            sla_started_at: now,
            due_at: deadlines.map(|d| d.due_at),
            forward_due_at: deadlines.map(|d| d.forward_due_at),
            remind_at: deadlines.and_then(|d| d.remind_at),
            reminded_at: None,
            escalated: false,
            escalated_at: None,
            answered_at: None,
            closed_at: None,
            answer_text: None,
            forward_count: 0,
            updated_at: now,
        };
        let attachments = attachments_from(&draft.evidence);
        let year = chrono::Datelike::year(&self.calendar.local_date(now));
        let mut first_code = first_code;
        for _ in 0..CODE_ATTEMPTS {
            ticket.code = first_code.take().unwrap_or_else(|| self.codes.next_code(year));
            let events = vec![NewEvent {
                actor: Actor::citizen(),
                action: EventAction::Filed,
                from_status: None,
                to_status: Some(TicketStatus::Received),
                detail: format!(
                    "Tiếp nhận qua Zalo (nhánh {}), giao {}; phân loại tự động: {}",
                    ticket.branch,
                    department.name,
                    ticket.category.label_vi()
                ),
                reason: None,
                data: json!({
                    "matched_terms": classification.matched,
                    "misconduct": ticket.misconduct,
                    "out_of_scope": ticket.out_of_scope.map(OutOfScope::as_str),
                    "processable": processable,
                    "consent": ticket.consent.decision.as_str(),
                    "attachments": attachments.len(),
                    "due_at": ticket.due_at,
                }),
            }];
            let jobs = self.filing_jobs(&ticket, &attachments, &department.name, now);
            match self.store.create_ticket(&ticket, &attachments, &events, &jobs, now).await? {
                CreateTicketOutcome::Created(stored) => {
                    tracing::info!(code = %stored.code, department = %stored.department_code, category = stored.category.as_str(), misconduct = stored.misconduct, "complaint filed");
                    let due = stored.due_at.map(|d| self.calendar.local_date(d));
                    return Ok(FiledTicket {
                        message: texts::filed_confirmation(
                            &stored.code,
                            &department.name,
                            due,
                            stored.misconduct,
                            stored.out_of_scope,
                        ),
                        code: stored.code,
                        due_at: stored.due_at,
                        due_date: due.map(texts::date_vi),
                        department_code: department.code.clone(),
                        department_name: department.name.clone(),
                        category: stored.category,
                        misconduct: stored.misconduct,
                        out_of_scope: stored.out_of_scope,
                        processable: stored.processable,
                    });
                }
                CreateTicketOutcome::CodeTaken => {
                    tracing::warn!(code = %ticket.code, "drawn ticket code is taken; drawing another");
                }
            }
        }
        Err(TicketError::Store(StoreError::Invalid(format!("no free ticket code after {CODE_ATTEMPTS} attempts"))))
    }

    /// Jobs a new ticket causes: downloads of its files and console notifications.
    fn filing_jobs(
        &self,
        ticket: &Ticket,
        attachments: &[NewAttachment],
        department_name: &str,
        now: DateTime<Utc>,
    ) -> Vec<NewJob> {
        let mut jobs: Vec<NewJob> = attachments
            .iter()
            .filter(|a| a.state == AttachmentState::Pending)
            .map(|a| {
                NewJob::new(FETCH_ATTACHMENT_JOB_KIND, json!({"code": ticket.code, "seq": a.seq}), self.job_attempts)
                    .unique(format!("{FETCH_ATTACHMENT_JOB_KIND}:{}:{}", ticket.code, a.seq))
            })
            .collect();
        jobs.push(self.notify_job(
            ticket,
            Recipient::Department(ticket.department_code.clone()),
            NotificationKind::NewTicket,
            texts::notify_new_ticket(&ticket.code, ticket.branch, ticket.category, &ticket.content),
            "filed",
            now,
        ));
        if ticket.misconduct {
            jobs.push(self.notify_job(
                ticket,
                Recipient::InspectionTeam,
                NotificationKind::Misconduct,
                texts::notify_misconduct(&ticket.code, department_name, &ticket.content),
                "filed",
                now,
            ));
        }
        jobs
    }

    /// A `ticket.notify` job; `occasion` makes its key unique per event.
    fn notify_job(
        &self,
        ticket: &Ticket,
        recipient: Recipient,
        kind: NotificationKind,
        message: String,
        occasion: &str,
        now: DateTime<Utc>,
    ) -> NewJob {
        let who = match &recipient {
            Recipient::Department(code) => code.clone(),
            Recipient::InspectionTeam => "inspection".to_owned(),
        };
        let dedupe_key = format!("ticket:{}:{}:{}:{}", ticket.code, kind.as_str(), who, occasion);
        let notification = NewNotification {
            dedupe_key: dedupe_key.clone(),
            ticket_code: ticket.code.clone(),
            recipient,
            kind,
            message,
            created_at: now,
        };
        let payload = serde_json::to_value(&notification).unwrap_or(serde_json::Value::Null);
        NewJob::new(NOTIFY_JOB_KIND, payload, self.job_attempts).unique(format!("{NOTIFY_JOB_KIND}:{dedupe_key}"))
    }

    /// A `zalo.send` job to the ticket's citizen; `None` when the citizen cannot be reached.
    fn citizen_job(
        &self,
        ticket: &Ticket,
        message: String,
        purpose: &str,
        template: Option<TemplateFallback>,
    ) -> Option<NewJob> {
        if ticket.citizen_user_id.is_none() && ticket.phone.is_none() {
            return None;
        }
        let request = SendRequest {
            user_id: ticket.citizen_user_id.clone(),
            phone: ticket.phone.clone().filter(|_| ticket.consent.decision == ConsentDecision::Given),
            message: OutboundMessage::text(message),
            template,
            if_unreachable: Unreachable::HoldUntilNextMessage,
            purpose: purpose.to_owned(),
            reference: Some(ticket.code.clone()),
        };
        // The version this change creates makes the key unique per change.
        Some(request.into_job(format!("{purpose}:{}:v{}", ticket.code, ticket.version + 1), self.job_attempts))
    }

    /// The citizen's own ticket. Someone else's code, an unknown code and a malformed one give
    /// the same `None`.
    pub async fn lookup_for_citizen(
        &self,
        typed_code: &str,
        citizen_user_id: &str,
    ) -> Result<Option<CitizenView>, TicketError> {
        let Some(code) = code::normalize(typed_code) else { return Ok(None) };
        if citizen_user_id.is_empty() {
            return Ok(None);
        }
        let Some(t) = self.store.get_ticket_for_citizen(&code, citizen_user_id).await? else { return Ok(None) };
        let department_name = self.department_name(&t.department_code);
        let message = texts::lookup_message(
            &t.code,
            t.status,
            self.calendar.local_date(t.received_at),
            &department_name,
            t.due_at.map(|d| self.calendar.local_date(d)),
            t.answer_text.as_deref(),
            t.rejection_reason.as_deref(),
        );
        Ok(Some(CitizenView {
            code: t.code,
            status: t.status,
            received_at: t.received_at,
            department_name,
            due_at: t.due_at,
            answer_text: t.answer_text.filter(|_| matches!(t.status, TicketStatus::Answered | TicketStatus::Closed)),
            rejection_reason: t.rejection_reason.filter(|_| t.status == TicketStatus::Rejected),
            message,
        }))
    }

    /// A ticket inside `scope`, by code as typed.
    pub async fn get(&self, typed_code: &str, scope: &Scope) -> Result<Ticket, TicketError> {
        let code = code::normalize(typed_code).ok_or_else(|| TicketError::NotFound(typed_code.trim().to_owned()))?;
        self.store.get_ticket(&code, scope).await?.ok_or(TicketError::NotFound(code))
    }

    /// A ticket with its history and attachments.
    pub async fn detail(&self, typed_code: &str, scope: &Scope) -> Result<TicketDetail, TicketError> {
        let ticket = self.get(typed_code, scope).await?;
        let events = self.store.ticket_events(ticket.id).await?;
        let attachments = self.store.ticket_attachments(ticket.id).await?;
        Ok(TicketDetail { ticket, events, attachments })
    }

    /// Tickets matching `filter` (its scope applied by the store in the query).
    pub async fn list(&self, filter: &TicketFilter, now: DateTime<Utc>) -> Result<TicketPage, TicketError> {
        Ok(self.store.list_tickets(filter, now).await?)
    }

    /// Reads the ticket, computes a change with `compute`, and writes it if nobody changed the
    /// ticket meanwhile (otherwise recomputes on the new state, a few times).
    async fn change<F>(
        &self,
        typed_code: &str,
        scope: &Scope,
        now: DateTime<Utc>,
        compute: F,
    ) -> Result<Ticket, TicketError>
    where
        F: Fn(&Ticket) -> Result<Change, TicketError>,
    {
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.get(typed_code, scope).await?;
            let change = compute(&current)?;
            if self.store.update_ticket(&change.ticket, &change.events, &change.jobs, now).await? {
                let mut stored = change.ticket;
                stored.version += 1;
                stored.updated_at = now;
                return Ok(stored);
            }
        }
        Err(TicketError::Conflict)
    }

    /// Sends an answer to the citizen: the ticket becomes `answered` and the answer goes out as
    /// a `zalo.send` job (chat message, ticket-reply template when the chat window is closed,
    /// held until the citizen writes when neither works) in the same transaction.
    /// `author` is the person who wrote it, when the actor is a system acting for someone.
    pub async fn reply(
        &self,
        typed_code: &str,
        scope: &Scope,
        actor: &Actor,
        text: &str,
        author: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket, TicketError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TicketError::Invalid("the answer is empty".into()));
        }
        if text.chars().count() > MAX_ANSWER_CHARS {
            return Err(TicketError::Invalid(format!("the answer is longer than {MAX_ANSWER_CHARS} characters")));
        }
        let author = author.map(str::trim).filter(|a| !a.is_empty());
        self.change(typed_code, scope, now, |current| {
            if current.status != TicketStatus::Answered {
                check_transition(current.status, TicketStatus::Answered, None)?;
            }
            let mut t = current.clone();
            t.status = TicketStatus::Answered;
            t.answer_text = Some(text.to_owned());
            t.answered_at = Some(now);
            let department_name = self.department_name(&t.department_code);
            let template = TemplateFallback {
                purpose: TemplatePurpose::TicketReply,
                data: BTreeMap::from([
                    ("ticket_code".to_owned(), t.code.clone()),
                    ("department_name".to_owned(), department_name.clone()),
                    ("status".to_owned(), TicketStatus::Answered.label_vi().to_owned()),
                    ("answer_summary".to_owned(), texts::shorten(text, 90)),
                    ("answered_date".to_owned(), self.local_date_text(now)),
                ]),
                tracking_id: Some(t.code.clone()),
            };
            let message = texts::reply_message(&t.code, &department_name, text);
            let jobs: Vec<NewJob> =
                self.citizen_job(current, message, "ticket_reply", Some(template)).into_iter().collect();
            let detail = match author {
                Some(author) => format!("Trả lời công dân (người soạn: {author})"),
                None => "Trả lời công dân".to_owned(),
            };
            let event = NewEvent {
                actor: actor.clone(),
                action: EventAction::Replied,
                from_status: Some(current.status),
                to_status: Some(TicketStatus::Answered),
                detail,
                reason: None,
                data: json!({"text": text, "author": author, "sent_to_citizen": !jobs.is_empty()}),
            };
            Ok(Change { ticket: t, events: vec![event], jobs })
        })
        .await
    }

    /// Moves a ticket to `new` (not `forwarded`: see [`Self::forward`]; not `answered`: see
    /// [`Self::reply`]). The citizen is told about a rejection (with its reason) and the closing.
    pub async fn change_status(
        &self,
        typed_code: &str,
        scope: &Scope,
        actor: &Actor,
        new: TicketStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket, TicketError> {
        match new {
            TicketStatus::Forwarded => {
                return Err(TicketError::Invalid("forwarding needs a department and a reason: use forward".into()))
            }
            TicketStatus::Answered => {
                return Err(TicketError::Invalid("answering needs the answer's text: send a reply".into()))
            }
            _ => {}
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        self.change(typed_code, scope, now, |current| {
            check_transition(current.status, new, reason)?;
            let mut t = current.clone();
            t.status = new;
            let mut jobs = Vec::new();
            match new {
                TicketStatus::Rejected => {
                    let why = reason.unwrap_or_default();
                    t.rejection_reason = Some(why.to_owned());
                    jobs.extend(self.citizen_job(
                        current,
                        texts::rejected_message(&t.code, why),
                        "ticket_status",
                        None,
                    ));
                }
                TicketStatus::Closed => {
                    t.closed_at = Some(now);
                    jobs.extend(self.citizen_job(current, texts::closed_message(&t.code), "ticket_status", None));
                }
                _ => {}
            }
            let event = NewEvent {
                actor: actor.clone(),
                action: EventAction::StatusChanged,
                from_status: Some(current.status),
                to_status: Some(new),
                detail: format!("{} → {}", current.status.label_vi(), new.label_vi()),
                reason: reason.map(str::to_owned),
                data: json!({"citizen_notified": !jobs.is_empty()}),
            };
            Ok(Change { ticket: t, events: vec![event], jobs })
        })
        .await
    }

    /// Forwards a ticket to another department with a reason (the "phiếu chuyển"): the new owner
    /// gets a fresh deadline counted from now, a notification, and the citizen is told.
    pub async fn forward(
        &self,
        typed_code: &str,
        scope: &Scope,
        actor: &Actor,
        to_department: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Ticket, TicketError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(TicketError::Invalid("forwarding needs a reason (it goes on the forwarding slip)".into()));
        }
        let to = to_department.trim().to_ascii_uppercase();
        let Some(target) = self.catalogue.department(&to).cloned() else {
            return Err(TicketError::Invalid(format!("unknown department code `{to}`")));
        };
        self.change(typed_code, scope, now, |current| {
            if current.department_code == target.code {
                return Err(TicketError::Invalid(format!("the ticket is already with {}", target.name)));
            }
            check_transition(current.status, TicketStatus::Forwarded, None)?;
            let mut t = current.clone();
            let late = current.forward_due_at.is_some_and(|due| now > due);
            t.status = TicketStatus::Forwarded;
            t.department_code = target.code.clone();
            t.forward_count += 1;
            t.sla_started_at = now;
            let deadlines = t.processable.then(|| self.policy.deadlines(&self.calendar, now, t.category));
            t.due_at = deadlines.map(|d| d.due_at);
            t.forward_due_at = deadlines.map(|d| d.forward_due_at);
            t.remind_at = deadlines.and_then(|d| d.remind_at);
            t.reminded_at = None;
            t.escalated = false;
            t.escalated_at = None;
            let from_name = self.department_name(&current.department_code);
            let due = t.due_at.map(|d| self.calendar.local_date(d));
            let occasion = format!("v{}", current.version + 1);
            let mut jobs = vec![self.notify_job(
                &t,
                Recipient::Department(target.code.clone()),
                NotificationKind::ForwardedIn,
                texts::notify_forwarded_in(&t.code, &from_name, reason, due),
                &occasion,
                now,
            )];
            jobs.extend(self.citizen_job(
                current,
                texts::forwarded_message(&t.code, &target.name, due),
                "ticket_status",
                None,
            ));
            let event = NewEvent {
                actor: actor.clone(),
                action: EventAction::Forwarded,
                from_status: Some(current.status),
                to_status: Some(TicketStatus::Forwarded),
                detail: format!("Phiếu chuyển: {from_name} → {}", target.name),
                reason: Some(reason.to_owned()),
                data: json!({
                    "from": current.department_code,
                    "to": target.code,
                    "due_at": t.due_at,
                    "forward_due_at": t.forward_due_at,
                    "late": late,
                }),
            };
            Ok(Change { ticket: t, events: vec![event], jobs })
        })
        .await
    }

    /// Corrects the classification; the answer deadline follows the new category's limit,
    /// counted from the start of the current owner's period.
    pub async fn reclassify(
        &self,
        typed_code: &str,
        scope: &Scope,
        actor: &Actor,
        correction: &Reclassification,
        now: DateTime<Utc>,
    ) -> Result<Ticket, TicketError> {
        let Reclassification { category, misconduct, ref reason } = *correction;
        let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        self.change(typed_code, scope, now, |current| {
            if current.status.is_final() {
                return Err(TicketError::Invalid(format!("the ticket is {}", current.status)));
            }
            let mut t = current.clone();
            t.category = category;
            t.misconduct = misconduct;
            if t.processable && t.status.is_open() {
                let d = self.policy.deadlines(&self.calendar, t.sla_started_at, category);
                if Some(d.due_at) != t.due_at {
                    t.due_at = Some(d.due_at);
                    t.remind_at = d.remind_at;
                    t.reminded_at = None;
                    t.escalated = t.escalated && now > d.due_at;
                }
            }
            let mut jobs = Vec::new();
            if misconduct && !current.misconduct {
                jobs.push(self.notify_job(
                    &t,
                    Recipient::InspectionTeam,
                    NotificationKind::Misconduct,
                    texts::notify_misconduct(&t.code, &self.department_name(&t.department_code), &t.content),
                    &format!("v{}", current.version + 1),
                    now,
                ));
            }
            let event = NewEvent {
                actor: actor.clone(),
                action: EventAction::Reclassified,
                from_status: None,
                to_status: None,
                detail: format!(
                    "Phân loại lại: {}{}",
                    category.label_vi(),
                    if misconduct { "; chuyển Tổ Kiểm tra đột xuất" } else { "" }
                ),
                reason: reason.map(str::to_owned),
                data: json!({"category": category.as_str(), "misconduct": misconduct, "due_at": t.due_at}),
            };
            Ok(Change { ticket: t, events: vec![event], jobs })
        })
        .await
    }

    /// An internal note (never shown to the citizen).
    pub async fn add_internal_note(
        &self,
        typed_code: &str,
        scope: &Scope,
        actor: &Actor,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Ticket, TicketError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TicketError::Invalid("the note is empty".into()));
        }
        self.change(typed_code, scope, now, |current| {
            let event = NewEvent {
                actor: actor.clone(),
                action: EventAction::Note,
                from_status: None,
                to_status: None,
                detail: "Ghi chú nội bộ".into(),
                reason: Some(text.to_owned()),
                data: json!({}),
            };
            Ok(Change { ticket: current.clone(), events: vec![event], jobs: Vec::new() })
        })
        .await
    }

    /// Reminds departments of coming deadlines and escalates overdue tickets to the coordinating
    /// department, each once per deadline (a flag on the ticket, unique job keys).
    pub async fn run_sla_checks(&self, now: DateTime<Utc>) -> Result<SlaReport, TicketError> {
        let mut report = SlaReport::default();
        // Batches until the backlog is done (bounded: a ticket changed meanwhile is retried at
        // the next tick, not in a loop).
        for _ in 0..SLA_MAX_BATCHES {
            let batch = self.store.tickets_to_remind(now, SLA_BATCH).await?;
            let done = self.remind(&batch, now).await?;
            report.reminded += done;
            if batch.len() < SLA_BATCH as usize || done == 0 {
                break;
            }
        }
        for _ in 0..SLA_MAX_BATCHES {
            let batch = self.store.tickets_to_escalate(now, SLA_BATCH).await?;
            let done = self.escalate(&batch, now).await?;
            report.escalated += done;
            if batch.len() < SLA_BATCH as usize || done == 0 {
                break;
            }
        }
        if report.reminded + report.escalated > 0 {
            tracing::info!(reminded = report.reminded, escalated = report.escalated, "ticket deadlines checked");
        }
        Ok(report)
    }

    /// Records a reminder for each ticket (once: the flag is set in the same change).
    async fn remind(&self, tickets: &[Ticket], now: DateTime<Utc>) -> Result<usize, TicketError> {
        let mut done = 0;
        for ticket in tickets {
            let Some(due) = ticket.due_at else { continue };
            let mut t = ticket.clone();
            t.reminded_at = Some(now);
            let occasion = format!("due{}", due.timestamp_millis());
            let job = self.notify_job(
                &t,
                Recipient::Department(t.department_code.clone()),
                NotificationKind::Reminder,
                texts::notify_reminder(&t.code, self.calendar.local_date(due)),
                &occasion,
                now,
            );
            let event = NewEvent {
                actor: Actor::system(),
                action: EventAction::ReminderSent,
                from_status: None,
                to_status: None,
                detail: format!("Nhắc hạn trả lời ({})", self.local_date_text(due)),
                reason: None,
                data: json!({"department": t.department_code, "due_at": due}),
            };
            if self.store.update_ticket(&t, &[event], &[job], now).await? {
                done += 1;
            }
        }
        Ok(done)
    }

    /// Escalates each overdue ticket to the coordinating department (once per deadline).
    async fn escalate(&self, tickets: &[Ticket], now: DateTime<Utc>) -> Result<usize, TicketError> {
        let coordinator = self.coordinating_department.clone();
        let mut done = 0;
        for ticket in tickets {
            let Some(due) = ticket.due_at else { continue };
            let mut t = ticket.clone();
            t.escalated = true;
            t.escalated_at = Some(now);
            let occasion = format!("due{}", due.timestamp_millis());
            let job = self.notify_job(
                &t,
                Recipient::Department(coordinator.clone()),
                NotificationKind::Escalation,
                texts::notify_escalation(
                    &t.code,
                    &self.department_name(&t.department_code),
                    self.calendar.local_date(due),
                ),
                &occasion,
                now,
            );
            let event = NewEvent {
                actor: Actor::system(),
                action: EventAction::Escalated,
                from_status: None,
                to_status: None,
                detail: format!(
                    "Quá hạn trả lời ({}); báo cáo {}",
                    self.local_date_text(due),
                    self.department_name(&coordinator)
                ),
                reason: None,
                data: json!({"department": t.department_code, "coordinator": coordinator, "due_at": due}),
            };
            if self.store.update_ticket(&t, &[event], &[job], now).await? {
                done += 1;
            }
        }
        Ok(done)
    }
}

/// The draft's evidence as attachments: files to download, links and places to keep.
fn attachments_from(evidence: &[Evidence]) -> Vec<NewAttachment> {
    let mut seq = 0;
    evidence
        .iter()
        .map(|e| {
            seq += 1;
            let base = NewAttachment {
                seq,
                kind: AttachmentKind::File,
                url: None,
                name: None,
                declared_size: None,
                msg_id: None,
                latitude: None,
                longitude: None,
                state: AttachmentState::Pending,
            };
            match e {
                Evidence::Image { url, msg_id } => NewAttachment {
                    kind: AttachmentKind::Image,
                    url: Some(url.clone()),
                    msg_id: msg_id.clone(),
                    ..base
                },
                Evidence::File { url, name, size, msg_id } => NewAttachment {
                    kind: AttachmentKind::File,
                    url: Some(url.clone()),
                    name: name.clone(),
                    declared_size: size.and_then(|s| i64::try_from(s).ok()),
                    msg_id: msg_id.clone(),
                    ..base
                },
                Evidence::Video { url, msg_id } => NewAttachment {
                    kind: AttachmentKind::Video,
                    url: Some(url.clone()),
                    msg_id: msg_id.clone(),
                    ..base
                },
                Evidence::Audio { url, msg_id } => NewAttachment {
                    kind: AttachmentKind::Audio,
                    url: Some(url.clone()),
                    msg_id: msg_id.clone(),
                    ..base
                },
                Evidence::Link { url, msg_id } => NewAttachment {
                    kind: AttachmentKind::Link,
                    url: Some(url.clone()),
                    msg_id: msg_id.clone(),
                    state: AttachmentState::Recorded,
                    ..base
                },
                Evidence::Location { latitude, longitude, msg_id } => NewAttachment {
                    kind: AttachmentKind::Location,
                    latitude: Some(*latitude),
                    longitude: Some(*longitude),
                    msg_id: msg_id.clone(),
                    state: AttachmentState::Recorded,
                    ..base
                },
            }
        })
        .collect()
}

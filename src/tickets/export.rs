//! How tickets leave the service in lists and exports (API JSON, `tickets list` JSON and CSV):
//! the citizen's phone masked, the Zalo user id left out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{Category, Ticket};
use super::service::TicketService;
use super::status::TicketStatus;

/// A ticket as lists and exports show it: the citizen's phone masked, the Zalo user id left out.
#[derive(Debug, Serialize)]
pub struct TicketSummary {
    pub code: String,
    pub status: TicketStatus,
    pub status_label: &'static str,
    pub branch: u8,
    pub department_code: String,
    pub department_name: String,
    pub category: Category,
    pub misconduct: bool,
    pub out_of_scope: Option<&'static str>,
    pub processable: bool,
    pub channel: &'static str,
    pub content: String,
    pub place: Option<String>,
    pub procedure: Option<String>,
    pub citizen_name: Option<String>,
    pub citizen_phone_masked: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub forward_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub escalated: bool,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub answer_text: Option<String>,
    pub rejection_reason: Option<String>,
    pub forward_count: i32,
    pub updated_at: DateTime<Utc>,
}

impl TicketSummary {
    pub fn new(t: Ticket, service: &TicketService, now: DateTime<Utc>) -> Self {
        Self {
            overdue: t.is_overdue(now),
            status_label: t.status.label_vi(),
            department_name: service.department_name(&t.department_code),
            out_of_scope: t.out_of_scope.map(super::model::OutOfScope::as_str),
            channel: t.channel.as_str(),
            citizen_phone_masked: t.phone.as_deref().map(crate::zalo::phone::mask_phone),
            code: t.code,
            status: t.status,
            branch: t.branch,
            department_code: t.department_code,
            category: t.category,
            misconduct: t.misconduct,
            processable: t.processable,
            content: t.content,
            place: t.place,
            procedure: t.procedure,
            citizen_name: t.citizen_name,
            received_at: t.received_at,
            due_at: t.due_at,
            forward_due_at: t.forward_due_at,
            escalated: t.escalated,
            answered_at: t.answered_at,
            closed_at: t.closed_at,
            answer_text: t.answer_text,
            rejection_reason: t.rejection_reason,
            forward_count: t.forward_count,
            updated_at: t.updated_at,
        }
    }
}

/// CSV column names, in order.
pub const CSV_HEADER: &[&str] = &[
    "code",
    "status",
    "status_label",
    "branch",
    "department_code",
    "department_name",
    "category",
    "misconduct",
    "out_of_scope",
    "processable",
    "channel",
    "received_at",
    "due_at",
    "forward_due_at",
    "overdue",
    "escalated",
    "answered_at",
    "closed_at",
    "forward_count",
    "place",
    "procedure",
    "content",
    "answer_text",
    "rejection_reason",
];

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339()).unwrap_or_default()
}

impl TicketSummary {
    /// The values of one CSV row, in the order of [`CSV_HEADER`] (no personal data).
    pub fn csv_row(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.status.as_str().to_owned(),
            self.status_label.to_owned(),
            self.branch.to_string(),
            self.department_code.clone(),
            self.department_name.clone(),
            self.category.as_str().to_owned(),
            self.misconduct.to_string(),
            self.out_of_scope.unwrap_or_default().to_owned(),
            self.processable.to_string(),
            self.channel.to_owned(),
            self.received_at.to_rfc3339(),
            time(self.due_at),
            time(self.forward_due_at),
            self.overdue.to_string(),
            self.escalated.to_string(),
            time(self.answered_at),
            time(self.closed_at),
            self.forward_count.to_string(),
            self.place.clone().unwrap_or_default(),
            self.procedure.clone().unwrap_or_default(),
            self.content.clone(),
            self.answer_text.clone().unwrap_or_default(),
            self.rejection_reason.clone().unwrap_or_default(),
        ]
    }
}

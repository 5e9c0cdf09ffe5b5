//! What a list of tickets may show: the caller's scope (enforced by the store in the query, so a
//! role can never see more than it is allowed) and the filters, sort and page a user asks for.

use serde::{Deserialize, Serialize};

use super::model::{Category, Recipient, Ticket};
use super::status::TicketStatus;

/// Which tickets a caller may see at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "department", rename_all = "snake_case")]
pub enum Scope {
    /// Every ticket (administrators, the coordinating department, unrestricted API keys).
    All,
    /// Tickets owned now by this department.
    Department(String),
    /// Tickets flagged as misconduct reports (the inspection team).
    MisconductOnly,
}

impl Scope {
    /// Whether `ticket` is inside this scope (the same rule the store applies in SQL).
    pub fn allows(&self, ticket: &Ticket) -> bool {
        match self {
            Self::All => true,
            Self::Department(code) => &ticket.department_code == code,
            Self::MisconductOnly => ticket.misconduct,
        }
    }

    /// Notifications this scope may read.
    pub fn allows_recipient(&self, recipient: &Recipient) -> bool {
        match (self, recipient) {
            (Self::All, _) | (Self::MisconductOnly, Recipient::InspectionTeam) => true,
            (Self::Department(code), Recipient::Department(to)) => code == to,
            _ => false,
        }
    }
}

/// A flag to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Misconduct reports.
    Misconduct,
    /// Khiếu nại / tố cáo recorded outside PAKN.
    OutOfScope,
    /// Escalated to the coordinating department.
    Escalated,
    /// Consent refused: recorded, not processable.
    Unprocessable,
}

impl Flag {
    pub const ALL: [Flag; 4] = [Self::Misconduct, Self::OutOfScope, Self::Escalated, Self::Unprocessable];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Misconduct => "misconduct",
            Self::OutOfScope => "out_of_scope",
            Self::Escalated => "escalated",
            Self::Unprocessable => "unprocessable",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|f| f.as_str() == wanted)
    }
}

/// Order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Earliest answer deadline first; tickets without a deadline last.
    #[default]
    Deadline,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

impl Sort {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "deadline" | "due" => Some(Self::Deadline),
            "newest" => Some(Self::Newest),
            "oldest" => Some(Self::Oldest),
            _ => None,
        }
    }
}

/// Largest page a list returns.
pub const MAX_PAGE: u32 = 500;

/// A list request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFilter {
    pub scope: Scope,
    /// Any of these statuses (empty = any).
    pub statuses: Vec<TicketStatus>,
    pub branch: Option<u8>,
    pub category: Option<Category>,
    pub department: Option<String>,
    /// Only overdue (`true`) or only not overdue (`false`) tickets.
    pub overdue: Option<bool>,
    pub flag: Option<Flag>,
    /// Words that must all appear in the code, content, place or procedure (case and
    /// diacritics ignored).
    pub text: Option<String>,
    pub sort: Sort,
    pub limit: u32,
    pub offset: u32,
}

impl TicketFilter {
    /// Everything the scope allows, by deadline, first 50.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            statuses: Vec::new(),
            branch: None,
            category: None,
            department: None,
            overdue: None,
            flag: None,
            text: None,
            sort: Sort::Deadline,
            limit: 50,
            offset: 0,
        }
    }

    /// The text filter as folded words.
    pub fn text_words(&self) -> Vec<String> {
        self.text
            .as_deref()
            .map(crate::bot::text::fold)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The page size, bounded by [`MAX_PAGE`].
    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// How many tickets match in total.
    pub total: i64,
}

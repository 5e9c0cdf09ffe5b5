//! What the ticket pages of the console show: the inbox's rows and filters, the ticket page with
//! its history, evidence and action forms, and the Vietnamese words for the ticket vocabulary
//! (statuses, flags, attachment states, who acted).

use askama::Template;

use super::views::{Choice, Chrome};
use crate::tickets::filter::Flag;
use crate::tickets::model::{ActorKind, AttachmentKind, AttachmentState, Category, ConsentDecision, OutOfScope};
use crate::tickets::status::TicketStatus;

/// A status as a CSS modifier: open statuses, answered, closed, rejected.
pub fn status_class(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Received => "new",
        TicketStatus::Classified | TicketStatus::InProgress | TicketStatus::Forwarded => "open",
        TicketStatus::Answered => "answered",
        TicketStatus::Closed => "closed",
        TicketStatus::Rejected => "rejected",
    }
}

/// A short name of the category, for the inbox.
pub fn category_short(category: Category) -> &'static str {
    match category {
        Category::ProcedureFeedback => "Thủ tục, quy định hành chính",
        Category::OfficialConduct => "Hành vi, thái độ cán bộ",
    }
}

/// A flag as the filter names it.
pub fn flag_label(flag: Flag) -> &'static str {
    match flag {
        Flag::Misconduct => "Phản ánh hành vi cán bộ (Tổ Kiểm tra)",
        Flag::OutOfScope => "Khiếu nại, tố cáo (ngoài phạm vi PAKN)",
        Flag::Escalated => "Đã báo cáo quá hạn",
        Flag::Unprocessable => "Không xử lý (chưa đồng ý dữ liệu cá nhân)",
    }
}

pub fn out_of_scope_label(kind: OutOfScope) -> &'static str {
    match kind {
        OutOfScope::Complaint => "Có dấu hiệu khiếu nại",
        OutOfScope::Denunciation => "Có dấu hiệu tố cáo",
    }
}

pub fn consent_label(decision: ConsentDecision) -> &'static str {
    match decision {
        ConsentDecision::Given => "Đã đồng ý xử lý dữ liệu cá nhân",
        ConsentDecision::Refused => "Từ chối xử lý dữ liệu cá nhân",
        ConsentDecision::NotAsked => "Chưa được hỏi ý kiến",
    }
}

pub fn attachment_kind_label(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Image => "Ảnh",
        AttachmentKind::File => "Tệp",
        AttachmentKind::Video => "Video",
        AttachmentKind::Audio => "Ghi âm",
        AttachmentKind::Link => "Đường dẫn",
        AttachmentKind::Location => "Vị trí",
    }
}

/// An attachment's state as a label and a CSS modifier.
pub fn attachment_state(state: AttachmentState) -> (&'static str, &'static str) {
    match state {
        AttachmentState::Pending => ("Đang tải về", "pending"),
        AttachmentState::Fetched => ("Đã lưu", "active"),
        AttachmentState::Failed => ("Không tải được", "locked"),
        AttachmentState::Recorded => ("Đã ghi nhận", "disabled"),
    }
}

pub fn actor_kind_label(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Officer => "Cán bộ",
        ActorKind::System => "Hệ thống",
        ActorKind::Citizen => "Công dân",
        ActorKind::ApiKey => "Ứng dụng kết nối",
    }
}

/// A size in words: `830 KB`, `2,4 MB`.
pub fn size_text(bytes: i64) -> String {
    const KB: i64 = 1024;
    if bytes < KB {
        format!("{bytes} B")
    } else if bytes < KB * KB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        let tenths = (bytes * 10 + KB * KB / 2) / (KB * KB);
        format!("{},{} MB", tenths / 10, tenths % 10)
    }
}

/// One ticket in the inbox.
pub struct TicketRow {
    pub code: String,
    pub href: String,
    pub branch: u8,
    pub branch_title: String,
    pub department_name: String,
    pub category: &'static str,
    pub flags: Vec<&'static str>,
    pub received: String,
    /// Empty when the ticket has no deadline.
    pub deadline: String,
    pub overdue: bool,
    pub status_label: &'static str,
    pub status_class: &'static str,
}

#[derive(Template)]
#[template(path = "tickets.html")]
pub struct InboxPage {
    pub chrome: Chrome,
    pub scope_note: String,
    pub statuses: Vec<Choice>,
    pub branches: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub overdue: Vec<Choice>,
    pub flags: Vec<Choice>,
    pub q: String,
    pub rows: Vec<TicketRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub error: Option<String>,
    pub filtered: bool,
}

/// A labelled fact of the ticket.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct AttachmentRow {
    pub seq: i32,
    pub kind: &'static str,
    /// File name, link or coordinates.
    pub title: String,
    pub details: String,
    pub state_label: &'static str,
    pub state_class: &'static str,
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub detail: String,
    /// `Mới tiếp nhận → Đang xử lý`, when the status changed.
    pub transition: Option<String>,
    pub reason: Option<String>,
    /// An answer's text (replies).
    pub text: Option<String>,
    pub is_note: bool,
}

/// The personal data shown to roles that may see it.
pub struct Citizen {
    pub name: String,
    pub phone: String,
    pub zalo: bool,
    pub consent: &'static str,
}

/// The forms the user may use on this ticket (none for read-only roles).
pub struct Actions {
    pub can_reply: bool,
    pub reply_text: String,
    pub reply_error: Option<String>,
    /// Exactly what the citizen will receive.
    pub preview: String,
    /// Whether the preview shows a typed text (otherwise a placeholder).
    pub previewing: bool,
    pub reaches_citizen: bool,
    pub can_forward: bool,
    pub departments: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub can_close: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub chrome: Chrome,
    pub code: String,
    pub action_base: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub department_name: String,
    pub flags: Vec<&'static str>,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub open: bool,
    pub facts: Vec<Fact>,
    pub content: String,
    pub place: Option<String>,
    pub procedure: Option<String>,
    pub answer: Option<String>,
    pub rejection_reason: Option<String>,
    pub citizen: Option<Citizen>,
    pub attachments: Vec<AttachmentRow>,
    pub events: Vec<EventRow>,
    pub actions: Option<Actions>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(850_000), "830 KB");
        assert_eq!(size_text(2_516_582), "2,4 MB");
    }

    #[test]
    fn every_status_has_a_class() {
        for status in TicketStatus::ALL {
            assert!(!status_class(status).is_empty());
        }
        for flag in Flag::ALL {
            assert!(!flag_label(flag).is_empty());
        }
    }
}

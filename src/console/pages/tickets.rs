//! The ticket pages: `GET /console/tickets` (the inbox: filters, deadline order, paging) and
//! `GET /console/tickets/{code}` (content, evidence, history, the citizen's contact for roles
//! that may see it — each such view audited — and the action forms). The principal's role
//! becomes the service's [`Scope`], applied in the query: a ticket outside it is a 404. The
//! actions themselves are in `ticket_actions.rs`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::{chrome, require};
use crate::app::AppState;
use crate::auth::audit::{AuditAction, NewAuditEntry};
use crate::auth::users::{Principal, Role, TicketScope};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::paths::{self, encode_component};
use crate::console::request::CurrentUser;
use crate::console::ticket_views::{
    actor_kind_label, attachment_kind_label, attachment_state, category_short, consent_label, flag_label,
    out_of_scope_label, size_text, status_class, Actions, AttachmentRow, Citizen, EventRow, Fact, InboxPage,
    TicketPage, TicketRow,
};
use crate::console::views::{department_name, local_time, render, Choice, Place, Section};
use crate::tickets::filter::{Flag, Scope, Sort, TicketFilter};
use crate::tickets::model::{Attachment, AttachmentKind, Category, EventAction, Ticket, TicketEvent};
use crate::tickets::service::{TicketDetail, TicketError, TicketService};
use crate::tickets::status::{is_allowed, TicketStatus};
use crate::tickets::texts;

/// Tickets per inbox page.
pub const PAGE_SIZE: u32 = 25;

/// The ticket service the pages share, or why it could not be built.
#[derive(Clone)]
pub struct TicketDesk(Result<Arc<TicketService>, Arc<str>>);

impl TicketDesk {
    /// The service as configured.
    pub fn from_state(state: &AppState) -> Self {
        match TicketService::from_config(&state.config, state.store.tickets.clone()) {
            Ok(service) => Self(Ok(Arc::new(service))),
            Err(e) => {
                let reason = format!("{e:#}");
                tracing::error!(error = %reason, "the console's ticket pages are unavailable");
                Self(Err(reason.into()))
            }
        }
    }

    pub fn service(&self) -> ConsoleResult<&TicketService> {
        match &self.0 {
            Ok(service) => Ok(service),
            Err(reason) => {
                Err(ConsoleError::Internal(anyhow::anyhow!("the ticket service is not configured: {reason}")))
            }
        }
    }
}

/// Which tickets the user may see, as the service's scope; 403 for roles that see none.
pub fn scope_of(principal: &Principal) -> ConsoleResult<Scope> {
    match principal.department_scope() {
        TicketScope::All => Ok(Scope::All),
        TicketScope::Department(code) => Ok(Scope::Department(code)),
        TicketScope::MisconductOnly => Ok(Scope::MisconductOnly),
        TicketScope::None => Err(ConsoleError::Forbidden),
    }
}

/// Whether the user may act on tickets (reply, forward, change status, notes). Administrators
/// and inspectors only read.
pub fn may_act(principal: &Principal) -> bool {
    principal.can_reply()
}

/// Whether the user may see the citizen's name and phone: those who handle the ticket, and the
/// inspection team (which may need to reach the person reporting misconduct).
pub fn may_see_personal_data(principal: &Principal) -> bool {
    principal.can_reply() || principal.role == Role::Inspector
}

/// Writes an audit entry about ticket `code`.
pub async fn audit(
    state: &AppState,
    user: &CurrentUser,
    action: AuditAction,
    code: &str,
    details: serde_json::Value,
) -> ConsoleResult<()> {
    let entry =
        NewAuditEntry::new(state.clock.now(), &user.actor(), action).target(format!("ticket:{code}")).details(details);
    state.store.audit.append(&entry).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The inbox

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    status: Option<String>,
    branch: Option<String>,
    category: Option<String>,
    overdue: Option<String>,
    flag: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The filter the query asks for, the problems found in it, and the page number.
fn read_inbox_query(query: &InboxQuery, scope: Scope) -> (TicketFilter, Vec<String>, u64) {
    let mut filter = TicketFilter::new(scope);
    filter.sort = Sort::Deadline;
    filter.limit = PAGE_SIZE;
    let mut problems = Vec::new();
    if let Some(code) = given(query.status.as_ref()) {
        match TicketStatus::parse(code) {
            Some(status) => filter.statuses.push(status),
            None => problems.push(format!("Không có trạng thái “{code}”.")),
        }
    }
    if let Some(text) = given(query.branch.as_ref()) {
        match text.parse::<u8>() {
            Ok(branch) => filter.branch = Some(branch),
            Err(_) => problems.push(format!("Nhánh “{text}” không hợp lệ.")),
        }
    }
    if let Some(code) = given(query.category.as_ref()) {
        match Category::parse(code) {
            Some(category) => filter.category = Some(category),
            None => problems.push(format!("Không có lĩnh vực “{code}”.")),
        }
    }
    match given(query.overdue.as_ref()) {
        None => {}
        Some("yes") => filter.overdue = Some(true),
        Some("no") => filter.overdue = Some(false),
        Some(other) => problems.push(format!("Lựa chọn thời hạn “{other}” không hợp lệ.")),
    }
    if let Some(code) = given(query.flag.as_ref()) {
        match Flag::parse(code) {
            Some(flag) => filter.flag = Some(flag),
            None => problems.push(format!("Không có dấu hiệu “{code}”.")),
        }
    }
    filter.text = given(query.q.as_ref()).map(str::to_owned);
    let page = given(query.page.as_ref()).and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    (filter, problems, page)
}

/// The inbox's URL for the same filters and another page.
fn inbox_href(query: &InboxQuery, page: u64) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("status", &query.status),
        ("branch", &query.branch),
        ("category", &query.category),
        ("overdue", &query.overdue),
        ("flag", &query.flag),
        ("q", &query.q),
    ] {
        if let Some(value) = given(value.as_ref()) {
            parts.push(format!("{key}={}", encode_component(value)));
        }
    }
    parts.push(format!("page={page}"));
    format!("{}?{}", paths::TICKETS, parts.join("&"))
}

fn flags_of(ticket: &Ticket) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if ticket.misconduct {
        flags.push("Hành vi cán bộ");
    }
    if let Some(kind) = ticket.out_of_scope {
        flags.push(out_of_scope_label(kind));
    }
    if ticket.escalated {
        flags.push("Đã báo cáo quá hạn");
    }
    if !ticket.processable {
        flags.push("Không xử lý chính thức");
    }
    flags
}

fn inbox_row(ticket: &Ticket, service: &TicketService, now: DateTime<Utc>, tz: Tz) -> TicketRow {
    TicketRow {
        href: paths::ticket(&ticket.code),
        code: ticket.code.clone(),
        branch: ticket.branch,
        branch_title: service.catalogue().branch(ticket.branch).map(|b| b.short_title.clone()).unwrap_or_default(),
        department_name: department_name(&ticket.department_code),
        category: category_short(ticket.category),
        flags: flags_of(ticket),
        received: local_time(ticket.received_at, tz),
        deadline: ticket.due_at.filter(|_| ticket.status.is_open()).map(|d| local_time(d, tz)).unwrap_or_default(),
        overdue: ticket.is_overdue(now),
        status_label: ticket.status.label_vi(),
        status_class: status_class(ticket.status),
    }
}

fn scope_note(scope: &Scope) -> String {
    match scope {
        Scope::All => "Tất cả phản ánh, kiến nghị của các đơn vị.".to_owned(),
        Scope::Department(code) => format!("Phản ánh, kiến nghị đang giao {}.", department_name(code)),
        Scope::MisconductOnly => {
            "Phản ánh về hành vi của cán bộ, công chức được chuyển Tổ Kiểm tra đột xuất (chỉ xem).".to_owned()
        }
    }
}

pub async fn inbox(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Query(query): Query<InboxQuery>,
) -> ConsoleResult<Response> {
    let scope = scope_of(&user.principal)?;
    let service = desk.service()?;
    let tz = state.config.timezone();
    let now = state.clock.now();
    let (mut filter, problems, page) = read_inbox_query(&query, scope.clone());
    let size = u64::from(PAGE_SIZE);
    filter.offset = u32::try_from((page - 1) * size).unwrap_or(u32::MAX);
    let mut found = service.list(&filter, now).await.map_err(internal)?;
    let total = u64::try_from(found.total).unwrap_or_default();
    let pages = total.div_ceil(size).max(1);
    let page = if page > pages {
        filter.offset = u32::try_from((pages - 1) * size).unwrap_or(u32::MAX);
        found = service.list(&filter, now).await.map_err(internal)?;
        pages
    } else {
        page
    };
    let choice = |value: &str, label: &str, selected: bool| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    };
    let statuses =
        TicketStatus::ALL.into_iter().map(|s| choice(s.as_str(), s.label_vi(), filter.statuses.contains(&s))).collect();
    let branches = service
        .catalogue()
        .branches()
        .iter()
        .map(|b| {
            choice(&b.number.to_string(), &format!("{}. {}", b.number, b.short_title), filter.branch == Some(b.number))
        })
        .collect();
    let categories =
        Category::ALL.into_iter().map(|c| choice(c.as_str(), category_short(c), filter.category == Some(c))).collect();
    let overdue = vec![
        choice("yes", "Đã quá hạn", filter.overdue == Some(true)),
        choice("no", "Chưa quá hạn", filter.overdue == Some(false)),
    ];
    let flags = Flag::ALL.into_iter().map(|f| choice(f.as_str(), flag_label(f), filter.flag == Some(f))).collect();
    let filtered = !filter.statuses.is_empty()
        || filter.branch.is_some()
        || filter.category.is_some()
        || filter.overdue.is_some()
        || filter.flag.is_some()
        || filter.text.is_some();
    let view = InboxPage {
        chrome: chrome(&state, &user, "Phản ánh, kiến nghị", Place::Section(Section::Tickets)).await?,
        scope_note: scope_note(&scope),
        statuses,
        branches,
        categories,
        overdue,
        flags,
        q: filter.text.clone().unwrap_or_default(),
        rows: found.items.iter().map(|t| inbox_row(t, service, now, tz)).collect(),
        total,
        page,
        pages,
        prev_href: (page > 1).then(|| inbox_href(&query, page - 1)),
        next_href: (page < pages).then(|| inbox_href(&query, page + 1)),
        error: (!problems.is_empty()).then(|| problems.join(" ")),
        filtered,
    };
    render(&view, StatusCode::OK)
}

/// A ticket error that is not the user's to fix.
fn internal(error: TicketError) -> ConsoleError {
    match error {
        TicketError::NotFound(_) => ConsoleError::NotFound,
        other => ConsoleError::Internal(anyhow::Error::new(other).context("ticket service")),
    }
}

// ---------------------------------------------------------------------------------------------
// The ticket page

/// What the reply form holds when the page is shown again (preview, or a refused answer).
#[derive(Debug, Default, Clone)]
pub struct ReplyDraft {
    pub text: String,
    pub error: Option<String>,
    /// Show the typed text in the preview.
    pub previewing: bool,
}

fn attachment_row(a: &Attachment) -> AttachmentRow {
    let (state_label, state_class) = attachment_state(a.state);
    let title = match a.kind {
        AttachmentKind::Location => match (a.latitude, a.longitude) {
            (Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
            _ => "Vị trí".to_owned(),
        },
        AttachmentKind::Link => a.url.clone().unwrap_or_default(),
        _ => a.name.clone().unwrap_or_else(|| format!("Số {} (không có tên tệp)", a.seq)),
    };
    let mut details = Vec::new();
    if let Some(kind) = &a.content_type {
        details.push(kind.clone());
    }
    if let Some(size) = a.size_bytes.or(a.declared_size) {
        details.push(size_text(size));
    }
    if let Some(error) = &a.error {
        details.push(error.clone());
    }
    AttachmentRow {
        seq: a.seq,
        kind: attachment_kind_label(a.kind),
        title,
        details: details.join(" · "),
        state_label,
        state_class,
    }
}

fn event_row(e: &TicketEvent, tz: Tz) -> EventRow {
    let actor = match e.actor.kind {
        crate::tickets::model::ActorKind::Officer | crate::tickets::model::ActorKind::ApiKey => {
            format!("{} {}", actor_kind_label(e.actor.kind), e.actor.name)
        }
        kind => actor_kind_label(kind).to_owned(),
    };
    let transition = match (e.from_status, e.to_status) {
        (Some(from), Some(to)) if from != to => Some(format!("{} → {}", from.label_vi(), to.label_vi())),
        _ => None,
    };
    let text = (e.action == EventAction::Replied).then(|| e.data["text"].as_str().map(str::to_owned)).flatten();
    EventRow {
        at: local_time(e.at, tz),
        actor,
        detail: e.detail.clone(),
        transition,
        reason: e.reason.clone(),
        text,
        is_note: e.action == EventAction::Note,
    }
}

/// What the citizen will receive for `text` (the service's own message builder).
fn reply_preview(ticket: &Ticket, text: &str) -> String {
    texts::reply_message(&ticket.code, &department_name(&ticket.department_code), text)
}

/// Statuses the status form offers: allowed moves, except forwarding and answering (their own
/// forms need a department or a text) and closing (its own button).
fn status_choices(current: TicketStatus) -> Vec<Choice> {
    TicketStatus::ALL
        .into_iter()
        .filter(|to| is_allowed(current, *to))
        .filter(|to| !matches!(to, TicketStatus::Forwarded | TicketStatus::Answered | TicketStatus::Closed))
        .map(|to| Choice { value: to.as_str().to_owned(), label: to.label_vi().to_owned(), selected: false })
        .collect()
}

fn actions(ticket: &Ticket, draft: &ReplyDraft) -> Actions {
    let status = ticket.status;
    let placeholder = "[Nội dung trả lời của cơ quan]";
    let previewing = draft.previewing && !draft.text.trim().is_empty();
    let shown = if previewing { draft.text.as_str() } else { placeholder };
    let departments = crate::console::catalogue_facts()
        .departments
        .iter()
        .filter(|d| d.code != ticket.department_code)
        .map(|d| Choice { value: d.code.clone(), label: d.name.clone(), selected: false })
        .collect();
    Actions {
        can_reply: status == TicketStatus::Answered || is_allowed(status, TicketStatus::Answered),
        reply_text: draft.text.clone(),
        reply_error: draft.error.clone(),
        preview: reply_preview(ticket, shown),
        previewing,
        reaches_citizen: ticket.citizen_user_id.is_some() || ticket.phone.is_some(),
        can_forward: is_allowed(status, TicketStatus::Forwarded),
        departments,
        statuses: status_choices(status),
        can_close: is_allowed(status, TicketStatus::Closed),
    }
}

fn ticket_page_view(
    detail: &TicketDetail,
    service: &TicketService,
    principal: &Principal,
    draft: &ReplyDraft,
    now: DateTime<Utc>,
    tz: Tz,
    chrome: crate::console::views::Chrome,
) -> TicketPage {
    let t = &detail.ticket;
    let branch = service.catalogue().branch(t.branch).map(|b| b.short_title.clone()).unwrap_or_default();
    let mut facts = vec![
        Fact { label: "Đơn vị xử lý", value: department_name(&t.department_code) },
        Fact { label: "Nhánh", value: format!("{}. {branch}", t.branch) },
        Fact { label: "Lĩnh vực", value: t.category.label_vi().to_owned() },
        Fact { label: "Tiếp nhận", value: format!("{} qua {}", local_time(t.received_at, tz), channel_label(t)) },
    ];
    if let Some(due) = t.forward_due_at.filter(|_| t.status.is_open()) {
        facts.push(Fact { label: "Hạn chuyển đơn vị có thẩm quyền", value: local_time(due, tz) });
    }
    if t.forward_count > 0 {
        facts.push(Fact { label: "Số lần chuyển", value: t.forward_count.to_string() });
    }
    if let Some(at) = t.answered_at {
        facts.push(Fact { label: "Trả lời lúc", value: local_time(at, tz) });
    }
    if let Some(at) = t.closed_at {
        facts.push(Fact { label: "Kết thúc lúc", value: local_time(at, tz) });
    }
    let citizen = may_see_personal_data(principal).then(|| Citizen {
        name: t.citizen_name.clone().unwrap_or_default(),
        phone: t.phone.clone().unwrap_or_default(),
        zalo: t.citizen_user_id.is_some(),
        consent: consent_label(t.consent.decision),
    });
    let mut events: Vec<EventRow> = detail.events.iter().map(|e| event_row(e, tz)).collect();
    events.reverse();
    TicketPage {
        chrome,
        code: t.code.clone(),
        action_base: paths::ticket(&t.code),
        status_label: t.status.label_vi(),
        status_class: status_class(t.status),
        department_name: department_name(&t.department_code),
        flags: flags_of(t),
        deadline: t.due_at.map(|d| local_time(d, tz)),
        overdue: t.is_overdue(now),
        open: t.status.is_open(),
        facts,
        content: t.content.clone(),
        place: t.place.clone(),
        procedure: t.procedure.clone(),
        answer: t.answer_text.clone(),
        rejection_reason: t.rejection_reason.clone(),
        citizen,
        attachments: detail.attachments.iter().map(attachment_row).collect(),
        events,
        actions: (may_act(principal) && !t.status.is_final()).then(|| actions(t, draft)),
    }
}

fn channel_label(t: &Ticket) -> &'static str {
    match t.channel {
        crate::tickets::model::Channel::Zalo => "Zalo",
        crate::tickets::model::Channel::Api => "ứng dụng kết nối",
    }
}

/// Renders the ticket page (auditing the view of personal data) with `status`.
pub async fn ticket_page(
    state: &AppState,
    desk: &TicketDesk,
    user: &CurrentUser,
    code: &str,
    draft: &ReplyDraft,
    status: StatusCode,
) -> ConsoleResult<Response> {
    let scope = scope_of(&user.principal)?;
    let service = desk.service()?;
    let detail = service.detail(code, &scope).await.map_err(internal)?;
    let t = &detail.ticket;
    if may_see_personal_data(&user.principal) {
        let mut shown = Vec::new();
        if t.citizen_name.is_some() {
            shown.push("citizen_name");
        }
        if t.phone.is_some() {
            shown.push("phone");
        }
        if t.citizen_user_id.is_some() {
            shown.push("zalo_user");
        }
        if !detail.attachments.is_empty() {
            shown.push("attachments");
        }
        if !shown.is_empty() {
            audit(state, user, AuditAction::TicketViewed, &t.code, json!({"shown": shown})).await?;
        }
    }
    let title = format!("Phản ánh {}", t.code);
    let chrome = chrome(state, user, &title, Place::Section(Section::Tickets)).await?;
    let view =
        ticket_page_view(&detail, service, &user.principal, draft, state.clock.now(), state.config.timezone(), chrome);
    render(&view, status)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> ConsoleResult<Response> {
    require(scope_of(&user.principal).is_ok())?;
    ticket_page(&state, &desk, &user, &code, &ReplyDraft::default(), StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_query_becomes_a_filter() {
        let query = InboxQuery {
            status: Some("in_progress".into()),
            branch: Some("3".into()),
            category: Some("official_conduct".into()),
            overdue: Some("yes".into()),
            flag: Some("misconduct".into()),
            q: Some("  chứng thực ".into()),
            page: Some("2".into()),
        };
        let (filter, problems, page) = read_inbox_query(&query, Scope::Department("STP".into()));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(page, 2);
        assert_eq!(filter.scope, Scope::Department("STP".into()));
        assert_eq!(filter.statuses, vec![TicketStatus::InProgress]);
        assert_eq!((filter.branch, filter.category), (Some(3), Some(Category::OfficialConduct)));
        assert_eq!((filter.overdue, filter.flag), (Some(true), Some(Flag::Misconduct)));
        assert_eq!(filter.text.as_deref(), Some("chứng thực"));
        assert_eq!(filter.sort, Sort::Deadline);
        assert_eq!(
            inbox_href(&query, 3),
            "/console/tickets?status=in_progress&branch=3&category=official_conduct&overdue=yes&flag=misconduct&q=ch%E1%BB%A9ng%20th%E1%BB%B1c&page=3"
        );
    }

    #[test]
    fn bad_filters_are_reported_not_fatal() {
        let query = InboxQuery {
            status: Some("xong".into()),
            branch: Some("ba".into()),
            overdue: Some("maybe".into()),
            ..InboxQuery::default()
        };
        let (filter, problems, page) = read_inbox_query(&query, Scope::All);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(filter.statuses.is_empty() && filter.branch.is_none() && filter.overdue.is_none());
        assert_eq!(page, 1);
    }

    #[test]
    fn the_status_form_offers_only_allowed_moves() {
        let values = |s| status_choices(s).into_iter().map(|c| c.value).collect::<Vec<_>>();
        assert_eq!(values(TicketStatus::Received), vec!["classified", "in_progress", "rejected"]);
        assert_eq!(values(TicketStatus::Answered), vec!["in_progress"]);
        assert!(values(TicketStatus::Closed).is_empty());
    }

    #[test]
    fn roles_map_to_scopes() {
        let p = |role, department: Option<&str>| Principal {
            user_id: 1,
            username: "x".into(),
            role,
            department: department.map(str::to_owned),
        };
        assert_eq!(scope_of(&p(Role::Officer, Some("STP"))).ok(), Some(Scope::Department("STP".into())));
        assert_eq!(scope_of(&p(Role::Coordinator, Some("SNV"))).ok(), Some(Scope::All));
        assert_eq!(scope_of(&p(Role::Admin, None)).ok(), Some(Scope::All));
        assert_eq!(scope_of(&p(Role::Inspector, None)).ok(), Some(Scope::MisconductOnly));
        assert!(scope_of(&p(Role::Viewer, Some("SNV"))).is_err());
        assert!(!may_act(&p(Role::Inspector, None)) && !may_act(&p(Role::Admin, None)));
        assert!(may_act(&p(Role::Officer, Some("STP"))) && may_act(&p(Role::Coordinator, None)));
        assert!(may_see_personal_data(&p(Role::Inspector, None)) && !may_see_personal_data(&p(Role::Admin, None)));
    }
}

//! The actions of the ticket page, each a POST form (CSRF checked by the console middleware):
//! reply (with a preview of exactly what the citizen receives), forward with a reason, change
//! status, close, internal note. Each goes through [`crate::tickets::service::TicketService`]
//! inside the user's scope, is audited as `TicketChanged` and redirects back with a message.
//! Read-only roles (administrators, inspectors) get 403.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;

use super::tickets::{audit, may_act, scope_of, ticket_page, ReplyDraft, TicketDesk};
use super::{flash, require};
use crate::app::AppState;
use crate::auth::audit::AuditAction;
use crate::auth::sessions::Flash;
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::paths;
use crate::console::request::CurrentUser;
use crate::console::views::department_name;
use crate::tickets::filter::Scope;
use crate::tickets::model::{Actor, Ticket};
use crate::tickets::service::{TicketError, TicketService, MAX_ANSWER_CHARS};
use crate::tickets::status::{TicketStatus, TransitionError};

/// The user's scope and the service, once the user may act at all.
fn acting<'a>(user: &CurrentUser, desk: &'a TicketDesk) -> ConsoleResult<(Scope, &'a TicketService, Actor)> {
    let scope = scope_of(&user.principal)?;
    require(may_act(&user.principal))?;
    Ok((scope, desk.service()?, Actor::officer(&user.principal.username)))
}

/// A refused action in words, or the error page for what is not the user's to fix.
fn refusal(error: TicketError, invalid: impl FnOnce() -> String) -> ConsoleResult<String> {
    match error {
        TicketError::NotFound(_) => Err(ConsoleError::NotFound),
        TicketError::Invalid(_) => Ok(invalid()),
        TicketError::Transition(TransitionError::ReasonRequired) => {
            Ok("Từ chối tiếp nhận cần ghi lý do (lý do được gửi cho người dân).".to_owned())
        }
        TicketError::Transition(TransitionError::Unchanged(status)) => {
            Ok(format!("Phản ánh đã ở trạng thái “{}”.", status.label_vi()))
        }
        TicketError::Transition(TransitionError::NotAllowed { from, to }) => {
            Ok(format!("Không thể chuyển từ “{}” sang “{}”.", from.label_vi(), to.label_vi()))
        }
        TicketError::Conflict => {
            Ok("Phản ánh vừa được người khác cập nhật. Hãy xem lại trang rồi thực hiện lại.".to_owned())
        }
        TicketError::Store(e) => Err(ConsoleError::from(e)),
    }
}

/// After an action: the message for the next page, and back to the ticket.
async fn back(state: &AppState, user: &CurrentUser, code: &str, message: Flash) -> ConsoleResult<Response> {
    flash(state, user, message).await?;
    Ok(Redirect::to(&paths::ticket(code)).into_response())
}

/// Audits a done change and says so.
async fn done(
    state: &AppState,
    user: &CurrentUser,
    ticket: &Ticket,
    details: serde_json::Value,
    message: String,
) -> ConsoleResult<Response> {
    audit(state, user, AuditAction::TicketChanged, &ticket.code, details).await?;
    back(state, user, &ticket.code, Flash::success(message)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
    /// `preview` shows the message without sending it.
    #[serde(default)]
    intent: String,
}

pub async fn reply(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<ReplyForm>,
) -> ConsoleResult<Response> {
    let (scope, service, actor) = acting(&user, &desk)?;
    if form.intent == "preview" {
        let draft = ReplyDraft { text: form.text, error: None, previewing: true };
        return ticket_page(&state, &desk, &user, &code, &draft, StatusCode::OK).await;
    }
    let now = state.clock.now();
    match service.reply(&code, &scope, &actor, &form.text, None, now).await {
        Ok(ticket) => {
            let details = json!({"change": "reply", "status": ticket.status.as_str()});
            done(&state, &user, &ticket, details, "Đã gửi trả lời cho người dân.".to_owned()).await
        }
        Err(error) => {
            let message = refusal(error, || {
                if form.text.trim().is_empty() {
                    "Hãy nhập nội dung trả lời.".to_owned()
                } else {
                    format!("Nội dung trả lời dài quá {MAX_ANSWER_CHARS} ký tự; hãy rút gọn.")
                }
            })?;
            let draft = ReplyDraft { text: form.text, error: Some(message), previewing: true };
            ticket_page(&state, &desk, &user, &code, &draft, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    reason: String,
}

pub async fn forward(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<ForwardForm>,
) -> ConsoleResult<Response> {
    let (scope, service, actor) = acting(&user, &desk)?;
    let now = state.clock.now();
    match service.forward(&code, &scope, &actor, &form.department, &form.reason, now).await {
        Ok(ticket) => {
            let to = department_name(&ticket.department_code);
            let details = json!({"change": "forward", "to": ticket.department_code, "reason": form.reason.trim()});
            done(&state, &user, &ticket, details, format!("Đã chuyển phản ánh đến {to}.")).await
        }
        Err(error) => {
            let message = refusal(error, || {
                if form.reason.trim().is_empty() {
                    "Hãy ghi lý do chuyển (lý do được ghi trên phiếu chuyển).".to_owned()
                } else if form.department.trim().is_empty() {
                    "Hãy chọn đơn vị nhận.".to_owned()
                } else {
                    "Không chuyển được: đơn vị nhận không hợp lệ hoặc phản ánh đang ở đơn vị đó.".to_owned()
                }
            })?;
            back(&state, &user, &code, Flash::error(message)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

async fn set_status(
    state: &AppState,
    desk: &TicketDesk,
    user: &CurrentUser,
    code: &str,
    requested: &str,
    reason: &str,
) -> ConsoleResult<Response> {
    let (scope, service, actor) = acting(user, desk)?;
    let Some(new) = TicketStatus::parse(requested) else {
        return back(state, user, code, Flash::error("Hãy chọn trạng thái mới.")).await;
    };
    let now = state.clock.now();
    let reason = Some(reason).filter(|r| !r.trim().is_empty());
    match service.change_status(code, &scope, &actor, new, reason, now).await {
        Ok(ticket) => {
            let details = json!({"change": "status", "status": new.as_str(), "reason": reason.map(str::trim)});
            let message = match new {
                TicketStatus::Closed => "Đã kết thúc phản ánh; người dân đã được báo.".to_owned(),
                TicketStatus::Rejected => "Đã từ chối tiếp nhận; lý do đã được gửi cho người dân.".to_owned(),
                other => format!("Đã chuyển trạng thái sang “{}”.", other.label_vi()),
            };
            done(state, user, &ticket, details, message).await
        }
        Err(error) => {
            let message = refusal(error, || "Trạng thái này phải dùng biểu mẫu riêng (chuyển, trả lời).".to_owned())?;
            back(state, user, code, Flash::error(message)).await
        }
    }
}

pub async fn change_status(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<StatusForm>,
) -> ConsoleResult<Response> {
    set_status(&state, &desk, &user, &code, &form.status, &form.reason).await
}

pub async fn close(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> ConsoleResult<Response> {
    set_status(&state, &desk, &user, &code, TicketStatus::Closed.as_str(), "").await
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<NoteForm>,
) -> ConsoleResult<Response> {
    let (scope, service, actor) = acting(&user, &desk)?;
    match service.add_internal_note(&code, &scope, &actor, &form.text, state.clock.now()).await {
        Ok(ticket) => {
            let details = json!({"change": "note"});
            done(&state, &user, &ticket, details, "Đã thêm ghi chú nội bộ.".to_owned()).await
        }
        Err(error) => {
            let message = refusal(error, || "Hãy nhập nội dung ghi chú.".to_owned())?;
            back(&state, &user, &code, Flash::error(message)).await
        }
    }
}

//! The officer chat pages: `GET /console/chats` (citizens waiting for or talking with the
//! user's departments; `?view=ended` for the recently ended), `GET /console/chats/{id}` (the
//! history and the forms), `GET /console/chats/{id}/updates?after=N` (new messages for the
//! page's script), `POST …/messages` (write to the citizen) and `POST …/end` (hand the citizen
//! back to the bot). Roles, scope and auditing are the service's (`crate::handoff`): a chat
//! outside the user's scope is a 404, a role without chats gets 403.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::{chrome, flash, require};
use crate::app::AppState;
use crate::auth::sessions::Flash;
use crate::console::assets;
use crate::console::chat_views::{
    elapsed_text, excerpt, message_view, status_of, ChatListPage, ChatLogFragment, ChatPage, ChatRow,
};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::paths;
use crate::console::request::CurrentUser;
use crate::console::ticket_views::Fact;
use crate::console::views::{local_time, render, Place, Section};
use crate::handoff::model::{ChatScope, ChatSummary};
use crate::handoff::service::{ChatDetail, MAX_MESSAGE_CHARS};
use crate::handoff::{ChatError, ChatService, ChatUser};

/// The chat page may run its own script and fetch from this site; otherwise the console's policy.
const CHAT_PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The chat service the pages share, or why it could not be built.
#[derive(Clone)]
pub struct ChatDesk(Result<Arc<ChatService>, Arc<str>>);

impl ChatDesk {
    /// The service as configured, waking this process's conversation worker on ends.
    pub fn from_state(state: &AppState) -> Self {
        match ChatService::from_config(&state.config, state.store.clone()) {
            Ok(service) => Self(Ok(Arc::new(service.waking(state.intake.worker_wake())))),
            Err(e) => {
                let reason = format!("{e:#}");
                tracing::error!(error = %reason, "the console's chat pages are unavailable");
                Self(Err(reason.into()))
            }
        }
    }

    fn service(&self) -> ConsoleResult<&ChatService> {
        match &self.0 {
            Ok(service) => Ok(service),
            Err(reason) => Err(ConsoleError::Internal(anyhow::anyhow!("the chat service is not configured: {reason}"))),
        }
    }
}

fn chat_user(user: &CurrentUser) -> ChatUser {
    ChatUser {
        principal: user.principal.clone(),
        display_name: user.session.user.display_name.clone(),
        actor: user.actor(),
    }
}

/// The error page for what the user cannot change by editing a form.
fn refused(error: ChatError) -> ConsoleError {
    match error {
        ChatError::Forbidden => ConsoleError::Forbidden,
        ChatError::Store(e) => ConsoleError::from(e),
        ChatError::NotFound | ChatError::Closed | ChatError::Empty | ChatError::TooLong => ConsoleError::NotFound,
    }
}

/// A chat id from the URL; anything else is a page that does not exist.
fn chat_id(text: &str) -> ConsoleResult<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or(ConsoleError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    view: Option<String>,
}

fn scope_note(scope: &ChatScope, service: &ChatService) -> String {
    match scope {
        ChatScope::Department(code) => {
            format!("Người dân cần gặp cán bộ {} (các nhánh do đơn vị phụ trách).", service.department_name(code))
        }
        _ => "Người dân cần gặp cán bộ của tất cả các đơn vị.".to_owned(),
    }
}

fn row(summary: &ChatSummary, service: &ChatService, now: DateTime<Utc>, tz: Tz) -> ChatRow {
    let chat = &summary.chat;
    let (status_class, status_label) = status_of(chat);
    let branch = service.catalogue().branch(chat.branch).map(|b| b.short_title.clone()).unwrap_or_default();
    ChatRow {
        href: paths::chat(chat.id),
        id: chat.id,
        branch: format!("{}. {branch}", chat.branch),
        department_name: service.department_name(&chat.department_code),
        status_class,
        status_label,
        waiting: chat.awaiting_reply_since.filter(|_| chat.is_open()).map(|since| elapsed_text(since, now)),
        last: summary.last_message.as_ref().map(excerpt).unwrap_or_default(),
        last_at: summary.last_message.as_ref().map(|m| local_time(m.created_at, tz)).unwrap_or_default(),
        opened: local_time(chat.opened_at, tz),
        ended: chat.ended_at.map(|at| local_time(at, tz)).unwrap_or_default(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    Extension(desk): Extension<ChatDesk>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ConsoleResult<Response> {
    let service = desk.service()?;
    let viewer = chat_user(&user);
    let open = query.view.as_deref() != Some("ended");
    let chats = service.list(&viewer, open).await.map_err(refused)?;
    let (now, tz) = (state.clock.now(), state.config.timezone());
    let awaiting = if open { chats.iter().filter(|c| c.chat.awaiting_reply_since.is_some()).count() } else { 0 };
    let view = ChatListPage {
        chrome: chrome(&state, &user, "Trò chuyện với người dân", Place::Section(Section::Chat)).await?,
        scope_note: scope_note(&viewer.scope(), service),
        open,
        rows: chats.iter().map(|c| row(c, service, now, tz)).collect(),
        awaiting,
    };
    render(&view, StatusCode::OK)
}

// ---------------------------------------------------------------------------------------------
// One chat

/// What the message form holds when the page is shown again after a refused message.
#[derive(Debug, Default)]
struct Draft {
    text: String,
    error: Option<String>,
}

fn facts(detail: &ChatDetail, service: &ChatService, now: DateTime<Utc>, tz: Tz) -> Vec<Fact> {
    let chat = &detail.chat;
    let branch = service.catalogue().branch(chat.branch).map(|b| b.short_title.clone()).unwrap_or_default();
    let mut facts = vec![
        Fact {
            label: "Người dân", value: chat.citizen_name.clone().unwrap_or_else(|| "Chưa cho biết tên".to_owned())
        },
        Fact { label: "Nhánh", value: format!("{}. {branch}", chat.branch) },
        Fact { label: "Đơn vị", value: service.department_name(&chat.department_code) },
        Fact { label: "Bắt đầu", value: local_time(chat.opened_at, tz) },
    ];
    if let Some(since) = chat.awaiting_reply_since.filter(|_| chat.is_open()) {
        facts.push(Fact {
            label: "Chờ trả lời",
            value: format!("{} (từ {})", elapsed_text(since, now), local_time(since, tz)),
        });
    }
    if let Some(officer) = &chat.assigned {
        facts.push(Fact { label: "Cán bộ trả lời đầu tiên", value: officer.name.clone() });
    }
    if let (Some(at), None) = (chat.end_requested_at, chat.ended_at) {
        let by = chat.end_requested_by.clone().unwrap_or_default();
        facts.push(Fact { label: "Yêu cầu kết thúc", value: format!("{by}, {}", local_time(at, tz)) });
    }
    if let Some(at) = chat.ended_at {
        facts.push(Fact { label: "Kết thúc", value: local_time(at, tz) });
    }
    facts
}

async fn chat_page(
    state: &AppState,
    desk: &ChatDesk,
    user: &CurrentUser,
    id: i64,
    draft: Draft,
    status: StatusCode,
) -> ConsoleResult<Response> {
    let service = desk.service()?;
    let viewer = chat_user(user);
    let (now, tz) = (state.clock.now(), state.config.timezone());
    let detail = service.open(id, &viewer, now).await.map_err(refused)?;
    let chat = &detail.chat;
    let (status_class, status_label) = status_of(chat);
    let can_write = viewer.may_write() && chat.accepts_messages();
    let read_only_note = if can_write {
        None
    } else if !chat.is_open() {
        Some("Trò chuyện đã kết thúc; người dân đang ở với trợ lý tự động.")
    } else if chat.end_requested_at.is_some() {
        Some("Đang kết thúc trò chuyện: người dân được báo và quay lại trợ lý tự động.")
    } else {
        Some("Bạn chỉ được xem trò chuyện này.")
    };
    let citizen_name = chat.citizen_name.as_deref();
    let view = ChatPage {
        chrome: chrome(state, user, &format!("Trò chuyện #{id}"), Place::Section(Section::Chat)).await?,
        id,
        action_base: paths::chat(id),
        updates_href: format!("{}/updates", paths::chat(id)),
        script_href: assets::chat_script_href(),
        status_class,
        status_label,
        department_name: service.department_name(&chat.department_code),
        facts: facts(&detail, service, now, tz),
        messages: detail.messages.iter().map(|m| message_view(m, citizen_name, tz)).collect(),
        last_id: detail.messages.last().map_or(0, |m| m.id),
        can_write,
        read_only_note,
        draft: draft.text,
        error: draft.error,
        citizen_prefix: service.citizen_text(&chat.department_code, "").trim_end().to_owned(),
        max_chars: MAX_MESSAGE_CHARS,
    };
    let mut response = render(&view, status)?;
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CHAT_PAGE_POLICY));
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(desk): Extension<ChatDesk>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let id = chat_id(&id)?;
    require(chat_user(&user).may_read())?;
    chat_page(&state, &desk, &user, id, Draft::default(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct UpdatesQuery {
    after: Option<String>,
}

/// The messages after `after` as list items, with the last id and the chat's state in headers.
pub async fn updates(
    State(state): State<AppState>,
    Extension(desk): Extension<ChatDesk>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<UpdatesQuery>,
) -> ConsoleResult<Response> {
    let id = chat_id(&id)?;
    let service = desk.service()?;
    let after = query.after.as_deref().and_then(|a| a.trim().parse::<i64>().ok()).unwrap_or(0);
    let detail = service.updates(id, &chat_user(&user), after, state.clock.now()).await.map_err(refused)?;
    let tz = state.config.timezone();
    let citizen_name = detail.chat.citizen_name.as_deref();
    let fragment =
        ChatLogFragment { messages: detail.messages.iter().map(|m| message_view(m, citizen_name, tz)).collect() };
    let last = detail.messages.last().map_or(after, |m| m.id);
    let html = askama::Template::render(&fragment)?;
    let headers = [
        (HeaderName::from_static("x-chat-last"), HeaderValue::from(last)),
        (HeaderName::from_static("x-chat-status"), HeaderValue::from_static(status_of(&detail.chat).0)),
    ];
    Ok((StatusCode::OK, headers, Html(html)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    text: String,
}

pub async fn send(
    State(state): State<AppState>,
    Extension(desk): Extension<ChatDesk>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> ConsoleResult<Response> {
    let id = chat_id(&id)?;
    let service = desk.service()?;
    let problem = match service.send(id, &chat_user(&user), &form.text, state.clock.now()).await {
        Ok(_) => {
            flash(&state, &user, Flash::success("Đã gửi tin nhắn cho người dân.")).await?;
            return Ok(Redirect::to(&format!("{}#compose", paths::chat(id))).into_response());
        }
        Err(ChatError::Empty) => "Hãy nhập nội dung tin nhắn.".to_owned(),
        Err(ChatError::TooLong) => format!("Tin nhắn dài quá {MAX_MESSAGE_CHARS} ký tự; hãy tách thành nhiều tin."),
        Err(ChatError::Closed) => {
            flash(&state, &user, Flash::error("Trò chuyện đã kết thúc; tin nhắn chưa được gửi.")).await?;
            return Ok(Redirect::to(&paths::chat(id)).into_response());
        }
        Err(other) => return Err(refused(other)),
    };
    let draft = Draft { text: form.text, error: Some(problem) };
    chat_page(&state, &desk, &user, id, draft, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn end(
    State(state): State<AppState>,
    Extension(desk): Extension<ChatDesk>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let id = chat_id(&id)?;
    let service = desk.service()?;
    let message = match service.end(id, &chat_user(&user), state.clock.now()).await {
        Ok(()) => Flash::success("Đã kết thúc trò chuyện; người dân được báo và quay lại trợ lý tự động."),
        Err(ChatError::Closed) => Flash::error("Trò chuyện đã kết thúc trước đó."),
        Err(other) => return Err(refused(other)),
    };
    flash(&state, &user, message).await?;
    Ok(Redirect::to(&paths::chat(id)).into_response())
}

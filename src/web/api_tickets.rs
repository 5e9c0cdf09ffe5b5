//! The machine API for tickets (`/api/v1/tickets…`), for API keys with `tickets:read` /
//! `tickets:write`. A department-scoped key sees and changes only its department's tickets.
//! Handlers parse, call [`TicketService`] and map the result; JSON errors say what is wrong.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::extract::{ApiClient, TicketsRead, TicketsWrite};
use crate::tickets::export::TicketSummary;
use crate::tickets::filter::{Flag, Sort, TicketFilter, MAX_PAGE};
use crate::tickets::model::{Actor, Attachment, Category, TicketEvent};
use crate::tickets::service::{TicketDetail, TicketError, TicketService};
use crate::tickets::status::{TicketStatus, TransitionError};

/// The ticket routes, with the service they share.
pub fn routes(state: &AppState) -> Router<AppState> {
    match TicketService::from_config(&state.config, state.store.tickets.clone()) {
        Ok(service) => Router::new()
            .route("/api/v1/tickets", get(list))
            .route("/api/v1/tickets/{code}", get(detail))
            .route("/api/v1/tickets/{code}/replies", post(reply))
            .route("/api/v1/tickets/{code}/status", post(change_status))
            .route("/api/v1/tickets/{code}/forward", post(forward))
            .layer(Extension(Arc::new(service))),
        Err(e) => {
            let reason = format!("{e:#}");
            tracing::error!(error = %reason, "the ticket API is unavailable");
            let unavailable = move || {
                let reason = reason.clone();
                async move { ApiError::Unavailable(format!("the ticket service is not configured: {reason}")) }
            };
            Router::new()
                .route("/api/v1/tickets", axum::routing::any(unavailable.clone()))
                .route("/api/v1/tickets/{*rest}", axum::routing::any(unavailable))
        }
    }
}

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::NotFound(_) => ApiError::NotFound(e.to_string()),
            TicketError::Invalid(why) => ApiError::BadRequest(why),
            TicketError::Transition(TransitionError::ReasonRequired) => ApiError::BadRequest(e.to_string()),
            TicketError::Transition(_) | TicketError::Conflict => ApiError::Conflict(e.to_string()),
            TicketError::Store(store) => ApiError::from(store),
        }
    }
}

/// An attachment as the API shows it (where the file lies on the server is not shown).
#[derive(Debug, Serialize)]
pub struct AttachmentJson {
    pub seq: i32,
    pub kind: &'static str,
    pub state: &'static str,
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub error: Option<String>,
}

impl From<Attachment> for AttachmentJson {
    fn from(a: Attachment) -> Self {
        Self {
            seq: a.seq,
            kind: a.kind.as_str(),
            state: a.state.as_str(),
            name: a.name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            latitude: a.latitude,
            longitude: a.longitude,
            error: a.error,
        }
    }
}

#[derive(Debug, Serialize)]
struct DetailJson {
    ticket: TicketSummary,
    history: Vec<TicketEvent>,
    attachments: Vec<AttachmentJson>,
}

#[derive(Debug, Serialize)]
struct PageJson {
    items: Vec<TicketSummary>,
    total: i64,
    limit: u32,
    offset: u32,
}

/// Query parameters of `GET /api/v1/tickets`.
const LIST_PARAMS: &[&str] =
    &["status", "branch", "category", "department", "overdue", "flagged", "q", "sort", "limit", "offset"];

/// Applies the query parameters of a list request to `filter`.
pub fn apply_list_params(filter: &mut TicketFilter, params: &[(String, String)]) -> Result<(), String> {
    for (key, value) in params {
        let value = value.trim();
        match key.as_str() {
            "status" => {
                for part in value.split(',').filter(|p| !p.trim().is_empty()) {
                    let status = TicketStatus::parse(part).ok_or_else(|| {
                        format!(
                            "`status`: `{part}` is not one of {}",
                            TicketStatus::ALL.map(TicketStatus::as_str).join(", ")
                        )
                    })?;
                    filter.statuses.push(status);
                }
            }
            "branch" => {
                filter.branch = Some(value.parse().map_err(|_| format!("`branch`: `{value}` is not a branch number"))?);
            }
            "category" => {
                filter.category = Some(Category::parse(value).ok_or_else(|| {
                    format!("`category`: `{value}` is not one of {}", Category::ALL.map(Category::as_str).join(", "))
                })?);
            }
            "department" => filter.department = Some(value.to_ascii_uppercase()),
            "overdue" => {
                filter.overdue = Some(match value {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(format!("`overdue`: `{value}` is not true or false")),
                });
            }
            "flagged" => {
                filter.flag = Some(Flag::parse(value).ok_or_else(|| {
                    format!("`flagged`: `{value}` is not one of {}", Flag::ALL.map(Flag::as_str).join(", "))
                })?);
            }
            "q" => filter.text = Some(value.to_owned()).filter(|v| !v.is_empty()),
            "sort" => {
                filter.sort = Sort::parse(value)
                    .ok_or_else(|| format!("`sort`: `{value}` is not one of deadline, newest, oldest"))?;
            }
            "limit" => {
                let limit: u32 = value.parse().map_err(|_| format!("`limit`: `{value}` is not a number"))?;
                if limit == 0 || limit > MAX_PAGE {
                    return Err(format!("`limit`: must be between 1 and {MAX_PAGE}"));
                }
                filter.limit = limit;
            }
            "offset" => filter.offset = value.parse().map_err(|_| format!("`offset`: `{value}` is not a number"))?,
            other => return Err(format!("unknown query parameter `{other}` (known: {})", LIST_PARAMS.join(", "))),
        }
    }
    Ok(())
}

/// `GET /api/v1/tickets`.
async fn list(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    client: ApiClient<TicketsRead>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<impl Serialize>> {
    let mut filter = TicketFilter::new(client.key.ticket_scope());
    apply_list_params(&mut filter, &params).map_err(ApiError::BadRequest)?;
    let now = state.clock.now();
    let page = service.list(&filter, now).await?;
    Ok(Json(PageJson {
        items: page.items.into_iter().map(|t| TicketSummary::new(t, &service, now)).collect(),
        total: page.total,
        limit: filter.page_size(),
        offset: filter.offset,
    }))
}

/// `GET /api/v1/tickets/{code}`.
async fn detail(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    client: ApiClient<TicketsRead>,
    Path(code): Path<String>,
) -> ApiResult<Json<impl Serialize>> {
    let TicketDetail { ticket, events, attachments } = service.detail(&code, &client.key.ticket_scope()).await?;
    Ok(Json(DetailJson {
        ticket: TicketSummary::new(ticket, &service, state.clock.now()),
        history: events,
        attachments: attachments.into_iter().map(AttachmentJson::from).collect(),
    }))
}

/// Parses a JSON body with a message that names the problem.
fn json_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the body is not the expected JSON: {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
    author: Option<String>,
}

/// `POST /api/v1/tickets/{code}/replies` `{"text": "…", "author": "…"}`: 201 with the ticket.
async fn reply(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    client: ApiClient<TicketsWrite>,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body: ReplyBody = json_body(&body)?;
    let now = state.clock.now();
    let actor = Actor::api_key(client.key.name.clone());
    let ticket =
        service.reply(&code, &client.key.ticket_scope(), &actor, &body.text, body.author.as_deref(), now).await?;
    Ok((StatusCode::CREATED, Json(TicketSummary::new(ticket, &service, now))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    reason: Option<String>,
}

/// `POST /api/v1/tickets/{code}/status` `{"status": "closed", "reason": "…"}`.
async fn change_status(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    client: ApiClient<TicketsWrite>,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TicketSummary>> {
    let body: StatusBody = json_body(&body)?;
    let status = TicketStatus::parse(&body.status).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`status`: `{}` is not one of {}",
            body.status,
            TicketStatus::ALL.map(TicketStatus::as_str).join(", ")
        ))
    })?;
    let now = state.clock.now();
    let actor = Actor::api_key(client.key.name.clone());
    let ticket =
        service.change_status(&code, &client.key.ticket_scope(), &actor, status, body.reason.as_deref(), now).await?;
    Ok(Json(TicketSummary::new(ticket, &service, now)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardBody {
    department: String,
    reason: String,
}

/// `POST /api/v1/tickets/{code}/forward` `{"department": "SNV", "reason": "…"}`.
async fn forward(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    client: ApiClient<TicketsWrite>,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TicketSummary>> {
    let body: ForwardBody = json_body(&body)?;
    let now = state.clock.now();
    let actor = Actor::api_key(client.key.name.clone());
    let ticket =
        service.forward(&code, &client.key.ticket_scope(), &actor, &body.department, &body.reason, now).await?;
    Ok(Json(TicketSummary::new(ticket, &service, now)))
}

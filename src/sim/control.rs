//! The simulator's control JSON API under `/api` (`/sim/api/...` once mounted), used by the
//! chat page, tests and benchmarks: citizens and their conversations, citizen actions
//! (each delivers its webhook event and returns the delivery; `?wait=false` returns at once),
//! ratings, template receipts, faults, counters, tokens, rate limit and webhook URL.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::sim::state::{Endpoint, Fault, InfoForm, NewCitizen, SimError};
use crate::sim::{CitizenAction, OutgoingEvent, Simulator, TapTarget, SAMPLE_LOCATION};
use crate::web::error::{ApiError, ApiResult};

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/api/state", get(state))
        .route("/api/citizens", get(list_citizens).post(create_citizen))
        .route("/api/citizens/{user_id}", get(citizen))
        .route("/api/citizens/{user_id}/messages", get(messages))
        .route("/api/citizens/{user_id}/version", get(version))
        .route("/api/citizens/{user_id}/last-interaction", post(last_interaction))
        .route("/api/citizens/{user_id}/{action}", post(act))
        .route("/api/templates", get(templates))
        .route("/api/templates/{msg_id}/rating", post(rate_template))
        .route("/api/templates/{msg_id}/received", post(template_received))
        .route("/api/deliveries", get(deliveries))
        .route("/api/faults", post(inject_fault))
        .route("/api/counters", get(counters))
        .route("/api/tokens", post(issue_tokens))
        .route("/api/tokens/expire", post(expire_tokens))
        .route("/api/rate-limit", post(rate_limit))
        .route("/api/webhook", post(webhook))
}

impl From<SimError> for ApiError {
    fn from(error: SimError) -> Self {
        match error {
            SimError::UnknownCitizen(_) | SimError::UnknownMessage(_) | SimError::UnknownTemplate(_) => {
                ApiError::NotFound(error.to_string())
            }
            SimError::AlreadyRated(_) | SimError::AlreadyChatted => ApiError::Conflict(error.to_string()),
            SimError::UnknownAction(_) => ApiError::NotFound(error.to_string()),
            SimError::NoSuchButton(_)
            | SimError::NoSuchTarget { .. }
            | SimError::InvalidRating(_)
            | SimError::EmptyMessage
            | SimError::IncompleteInfo
            | SimError::InvalidLocation
            | SimError::NotAQuery(_) => ApiError::BadRequest(error.to_string()),
        }
    }
}

fn to_json(value: impl serde::Serialize) -> ApiResult<Json<Value>> {
    serde_json::to_value(value).map(Json).map_err(|e| ApiError::Internal(e.into()))
}

fn counters_json(sim: &Simulator) -> Value {
    let requests: serde_json::Map<String, Value> =
        Endpoint::ALL.iter().map(|e| (e.name().to_owned(), json!(sim.requests(*e)))).collect();
    json!({"requests": requests, "refreshes": sim.refresh_count()})
}

async fn state(State(sim): State<Simulator>) -> ApiResult<Json<Value>> {
    let config = sim.config();
    let urls = sim.base_urls();
    Ok(Json(json!({
        "oa": {"name": config.oa_name, "oa_id": config.oa_id, "app_id": config.app_id},
        "base_urls": {
            "api_base": urls.api_base,
            "oauth_base": urls.oauth_base,
            "business_api_base": urls.business_api_base,
        },
        "webhook_url": sim.webhook_url(),
        "citizens": serde_json::to_value(sim.citizens()).map_err(|e| ApiError::Internal(e.into()))?,
        "counters": counters_json(&sim),
    })))
}

async fn list_citizens(State(sim): State<Simulator>) -> ApiResult<Json<Value>> {
    to_json(sim.citizens())
}

async fn create_citizen(State(sim): State<Simulator>, Json(new): Json<NewCitizen>) -> ApiResult<Json<Value>> {
    to_json(sim.create_citizen(&new.display_name, new.phone.as_deref()))
}

async fn citizen(State(sim): State<Simulator>, Path(user_id): Path<String>) -> ApiResult<Json<Value>> {
    let citizen = sim.citizen(&user_id).ok_or(SimError::UnknownCitizen(user_id))?;
    to_json(citizen)
}

#[derive(Deserialize)]
struct AfterQuery {
    after: Option<u64>,
}

/// `{version, messages}`; with `?after=SEQ` only the messages after that sequence number.
async fn messages(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    Query(query): Query<AfterQuery>,
) -> ApiResult<Json<Value>> {
    sim.citizen(&user_id).ok_or_else(|| SimError::UnknownCitizen(user_id.clone()))?;
    let after = query.after.unwrap_or(0);
    let messages: Vec<_> = sim.messages_for(&user_id).into_iter().filter(|m| m.seq > after).collect();
    Ok(Json(json!({
        "version": sim.conversation_version(&user_id),
        "messages": serde_json::to_value(messages).map_err(|e| ApiError::Internal(e.into()))?,
    })))
}

async fn version(State(sim): State<Simulator>, Path(user_id): Path<String>) -> ApiResult<Json<Value>> {
    sim.citizen(&user_id).ok_or_else(|| SimError::UnknownCitizen(user_id.clone()))?;
    Ok(Json(json!({"version": sim.conversation_version(&user_id)})))
}

#[derive(Deserialize)]
struct LastInteraction {
    /// Epoch milliseconds, or `null` for "never".
    at_ms: Option<i64>,
}

async fn last_interaction(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    Json(body): Json<LastInteraction>,
) -> ApiResult<Json<Value>> {
    let at = match body.at_ms {
        Some(ms) => Some(
            DateTime::from_timestamp_millis(ms).ok_or_else(|| ApiError::BadRequest("at_ms is out of range".into()))?,
        ),
        None => None,
    };
    sim.set_last_interaction(&user_id, at)?;
    to_json(sim.citizen(&user_id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionBody {
    text: Option<String>,
    title: Option<String>,
    msg_id: Option<String>,
    button: Option<usize>,
    element: Option<usize>,
    caption: Option<String>,
    latitude: Option<String>,
    longitude: Option<String>,
    label: Option<String>,
    msg_ids: Vec<String>,
    #[serde(flatten)]
    info: Option<InfoForm>,
}

fn action_from_body(action: &str, body: ActionBody) -> Result<CitizenAction, ApiError> {
    let missing = |field: &str| ApiError::BadRequest(format!("`{field}` is required for {action}"));
    Ok(match action {
        "text" => CitizenAction::Text(body.text.ok_or_else(|| missing("text"))?),
        "tap" => match (body.title, body.msg_id, body.button, body.element) {
            (Some(title), _, _, _) => CitizenAction::TapTitle(title),
            (None, Some(msg_id), Some(i), None) => CitizenAction::Tap { msg_id, target: TapTarget::Button(i) },
            (None, Some(msg_id), None, Some(i)) => CitizenAction::Tap { msg_id, target: TapTarget::Element(i) },
            _ => return Err(ApiError::BadRequest("tap needs `title`, or `msg_id` with `button` or `element`".into())),
        },
        "image" => CitizenAction::Image { caption: body.caption },
        "location" => CitizenAction::Location {
            latitude: body.latitude.unwrap_or_else(|| SAMPLE_LOCATION.0.to_owned()),
            longitude: body.longitude.unwrap_or_else(|| SAMPLE_LOCATION.1.to_owned()),
            label: body.label.or_else(|| Some(SAMPLE_LOCATION.2.to_owned())),
        },
        "sticker" => CitizenAction::Sticker,
        "file" => CitizenAction::File,
        "follow" => CitizenAction::Follow,
        "unfollow" => CitizenAction::Unfollow,
        "chatnow" => CitizenAction::ChatNow,
        "submit-info" => CitizenAction::SubmitInfo(body.info.unwrap_or_default()),
        "received" => CitizenAction::Received { msg_id: body.msg_id.ok_or_else(|| missing("msg_id"))? },
        "seen" => CitizenAction::Seen { msg_ids: body.msg_ids },
        other => return Err(ApiError::NotFound(format!("no citizen action `{other}`"))),
    })
}

/// Delivers now (answering with the delivery) or in the background (`?wait=false`).
async fn deliver(sim: &Simulator, event: OutgoingEvent, query: &HashMap<String, String>) -> ApiResult<Json<Value>> {
    if query.get("wait").is_some_and(|w| w == "false") {
        let body = json!({"event_name": event.event_name, "msg_id": event.msg_id, "outcome": "pending"});
        sim.webhook_sender().spawn(event);
        return Ok(Json(body));
    }
    to_json(sim.webhook_sender().deliver(&event).await)
}

/// `POST /api/citizens/{user_id}/{action}` with a JSON body (may be empty).
async fn act(
    State(sim): State<Simulator>,
    Path((user_id, action)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let parsed: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let event = sim.prepare(&user_id, action_from_body(&action, parsed)?)?;
    deliver(&sim, event, &query).await
}

async fn templates(State(sim): State<Simulator>) -> ApiResult<Json<Value>> {
    to_json(sim.template_sends())
}

#[derive(Deserialize)]
struct RatingBody {
    rate: u8,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    feedbacks: Vec<String>,
}

async fn rate_template(
    State(sim): State<Simulator>,
    Path(msg_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<RatingBody>,
) -> ApiResult<Json<Value>> {
    let event = sim.prepare_rating(&msg_id, body.rate, body.note.as_deref(), &body.feedbacks)?;
    deliver(&sim, event, &query).await
}

async fn template_received(
    State(sim): State<Simulator>,
    Path(msg_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let event = sim.prepare_template_received(&msg_id)?;
    deliver(&sim, event, &query).await
}

async fn deliveries(State(sim): State<Simulator>) -> ApiResult<Json<Value>> {
    to_json(sim.deliveries())
}

#[derive(Deserialize)]
struct FaultBody {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// `{"endpoint":"oa/message/cs","fault":{"code":-216}|{"http":503}|{"delay_ms":1500},"count":1}`.
async fn inject_fault(State(sim): State<Simulator>, Json(body): Json<FaultBody>) -> ApiResult<Json<Value>> {
    for _ in 0..body.count {
        sim.inject_error(body.endpoint, body.fault.clone());
    }
    Ok(Json(json!({"endpoint": body.endpoint.name(), "queued": body.count})))
}

async fn counters(State(sim): State<Simulator>) -> Json<Value> {
    Json(counters_json(&sim))
}

async fn issue_tokens(State(sim): State<Simulator>) -> ApiResult<Json<Value>> {
    to_json(sim.issue_tokens())
}

async fn expire_tokens(State(sim): State<Simulator>) -> Json<Value> {
    sim.expire_access_token();
    Json(json!({"expired": true}))
}

#[derive(Deserialize)]
struct RateLimitBody {
    per_minute: Option<u32>,
}

async fn rate_limit(State(sim): State<Simulator>, Json(body): Json<RateLimitBody>) -> Json<Value> {
    sim.set_rate_limit(body.per_minute);
    Json(json!({"per_minute": body.per_minute}))
}

#[derive(Deserialize)]
struct WebhookBody {
    url: Option<String>,
}

async fn webhook(State(sim): State<Simulator>, Json(body): Json<WebhookBody>) -> Json<Value> {
    let url = body.url.filter(|u| !u.trim().is_empty());
    sim.set_webhook_url(url.clone());
    Json(json!({"url": url}))
}

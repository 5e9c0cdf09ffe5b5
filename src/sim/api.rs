//! The fake Zalo HTTP API as an axum router with three sub-prefixes — `/openapi` (OA Open
//! API), `/business` (ZNS) and `/oauth` — so a service points `zalo.api_base`,
//! `zalo.business_api_base` and `zalo.oauth_base` at them. Every call is counted, may consume
//! an injected fault, is rate limited and needs a valid bare `access_token` header; errors
//! are Zalo bodies with HTTP 200.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use serde_json::{json, Value};

use crate::sim::oauth;
use crate::sim::request_body;
use crate::sim::state::{
    Citizen, Endpoint, Fault, Host, OAuthFailure, RateDecision, Sent, SimState, TokenProblem, ZaloFailure, ZnsSent,
};
use crate::sim::Simulator;

/// The API routes (relative to where the simulator is mounted).
pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/openapi/v3.0/oa/message/cs", post(message_cs))
        .route("/openapi/v3.0/oa/message/template", post(message_template))
        .route("/openapi/v3.0/oa/user/detail", get(user_detail))
        .route("/openapi/v3.0/oa/quota/message", post(quota_message))
        .route("/business/message/template", post(zns_template))
        .route("/oauth/v4/oa/access_token", post(oauth::access_token))
        .route("/oauth/v4/oa/permission", get(oauth::permission_page).post(oauth::permission_grant))
}

/// What an injected fault does to a request.
pub enum FaultOutcome {
    /// Go on with the request (no fault, or a delay that has passed).
    Proceed,
    /// Answer this instead.
    Respond(Response),
}

/// Counts the request and applies the endpoint's next injected fault, if any.
pub async fn apply_fault(sim: &Simulator, endpoint: Endpoint) -> FaultOutcome {
    let fault = sim.begin_request(endpoint);
    match fault {
        None => FaultOutcome::Proceed,
        Some(Fault::DelayMs(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            FaultOutcome::Proceed
        }
        Some(Fault::Http(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = status.canonical_reason().unwrap_or("Server Error");
            FaultOutcome::Respond((status, format!("{} {text}", status.as_u16())).into_response())
        }
        Some(Fault::Code(code)) => FaultOutcome::Respond(match endpoint.host() {
            Host::OAuth => Json(oauth::oauth_error_body(&OAuthFailure::for_code(code))).into_response(),
            Host::OpenApi | Host::Business => Json(error_body(&ZaloFailure::for_code(code))).into_response(),
        }),
    }
}

/// `{"error":code,"message":…}`.
pub fn error_body(failure: &ZaloFailure) -> Value {
    json!({"error": failure.code, "message": failure.message})
}

fn success_body(data: &Value) -> Value {
    json!({"data": data, "error": 0, "message": "Success"})
}

/// Runs an OA API / ZNS call: fault, rate limit, access token, then `work` on the state.
async fn guarded(
    sim: &Simulator,
    endpoint: Endpoint,
    headers: &HeaderMap,
    work: impl FnOnce(&mut SimState, DateTime<Utc>) -> Result<Value, ZaloFailure>,
) -> Response {
    if let FaultOutcome::Respond(response) = apply_fault(sim, endpoint).await {
        return response;
    }
    let token = headers.get("access_token").and_then(|v| v.to_str().ok());
    let (rate, result) = sim.with_state(|state, now| {
        let rate = state.admit(now);
        if let RateDecision::Limited { .. } = rate {
            return (rate, Err(ZaloFailure::for_code(-32)));
        }
        if let Err(problem) = state.check_access_token(token, now) {
            return (rate, Err(token_failure(endpoint.host(), problem)));
        }
        (rate, work(state, now))
    });
    let body = match result {
        Ok(data) => {
            if endpoint.is_send() {
                sim.notify_send(endpoint, data.get("user_id").and_then(Value::as_str));
            }
            success_body(&data)
        }
        Err(failure) => error_body(&failure),
    };
    let mut response = Json(body).into_response();
    let rate_headers = match rate {
        RateDecision::Allowed { limit, remain } => Some((limit, remain)),
        RateDecision::Limited { limit } => Some((limit, 0)),
        RateDecision::Unlimited => None,
    };
    if let Some((limit, remain)) = rate_headers {
        let headers = response.headers_mut();
        headers.insert("X-RateLimit-Limit", HeaderValue::from(limit));
        headers.insert("X-RateLimit-Remain", HeaderValue::from(remain));
    }
    response
}

/// -216 / -220 on the OA Open API; ZNS answers -124 for any token problem (reference §4).
fn token_failure(host: Host, problem: TokenProblem) -> ZaloFailure {
    match (host, problem) {
        (Host::Business, _) => ZaloFailure::for_code(-124),
        (_, TokenProblem::MissingOrUnknown) => ZaloFailure::for_code(-216),
        (_, TokenProblem::Expired) => ZaloFailure::for_code(-220),
    }
}

fn sent_data(sent: &Sent) -> Value {
    json!({
        "message_id": sent.message_id,
        "user_id": sent.user_id,
        "sent_time": sent.sent_time_ms.to_string(),
        "quota": {
            "quota_type": sent.quota.quota_type,
            "remain": sent.quota.remain.to_string(),
            "total": sent.quota.total.to_string(),
        },
    })
}

fn zns_data(sent: &ZnsSent) -> Value {
    json!({
        "msg_id": sent.msg_id,
        "sent_time": sent.sent_time_ms.to_string(),
        "sending_mode": "1",
        "quota": {
            "dailyQuota": sent.daily_quota.to_string(),
            "remainingQuota": sent.remaining_quota.to_string(),
        },
    })
}

/// `data` of the user detail API (shape of the official example).
fn user_detail_data(citizen: &Citizen, public_url: &str) -> Value {
    let avatar = format!("{public_url}/media/avatar.svg");
    let mut data = json!({
        "user_id": citizen.user_id,
        "user_id_by_app": citizen.user_id_by_app,
        "display_name": citizen.display_name,
        "user_alias": citizen.display_name,
        "is_sensitive": false,
        "user_is_follower": citizen.follower,
        "avatar": avatar,
        "avatars": {"120": avatar, "240": avatar},
        "tags_and_notes_info": {"notes": [], "tag_names": []},
    });
    if let Some(at) = citizen.last_interaction {
        data["user_last_interaction_date"] = json!(at.with_timezone(&Ho_Chi_Minh).format("%d/%m/%Y").to_string());
    }
    if let Some(info) = &citizen.shared_info {
        data["shared_info"] = json!({
            "address": info.address,
            "city": info.city,
            "district": info.ward,
            "phone": info.phone,
            "name": info.name,
        });
    }
    data
}

async fn message_cs(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&sim, Endpoint::MessageCs, &headers, |state, now| {
        let request = request_body::parse_cs(&body)?;
        let sent = state.send_cs(&request.user_id, request.content, now)?;
        Ok(sent_data(&sent))
    })
    .await
}

async fn message_template(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&sim, Endpoint::MessageTemplate, &headers, |state, now| {
        let request = request_body::parse_uid_template(&body)?;
        let sent = state.send_template_by_uid(&request.user_id, &request.template_id, request.template_data, now)?;
        Ok(sent_data(&sent))
    })
    .await
}

async fn zns_template(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&sim, Endpoint::ZnsTemplate, &headers, |state, now| {
        let request = request_body::parse_phone_template(&body)?;
        let sent = state.send_template_by_phone(
            &request.phone,
            &request.template_id,
            request.template_data,
            &request.tracking_id,
            request.development,
            now,
        )?;
        Ok(zns_data(&sent))
    })
    .await
}

async fn user_detail(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let public_url = sim.config().public_url.clone();
    guarded(&sim, Endpoint::UserDetail, &headers, |state, _now| {
        let user_id = user_id_param(query.get("data").map(String::as_str))?;
        let citizen = state.citizen(&user_id).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
        Ok(user_detail_data(citizen, &public_url))
    })
    .await
}

async fn quota_message(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&sim, Endpoint::QuotaMessage, &headers, |state, _now| {
        let body: Value = serde_json::from_slice(&body).map_err(|_| ZaloFailure::invalid("body"))?;
        let user_id =
            crate::zalo::wire::string_at(&body, &["user_id"]).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
        let citizen = state.citizen(&user_id).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
        let mut data = json!({
            "cs_reply": {"remain": 8, "total": 8},
            "promotion": {"daily_remain": 0, "daily_total": 1, "monthly_remain": 4, "monthly_total": 6},
        });
        if let Some(at) = citizen.last_interaction {
            data["last_interaction"] = json!(at.timestamp_millis().to_string());
        }
        Ok(data)
    })
    .await
}

/// `user_id` of the JSON in the `data` query parameter.
fn user_id_param(data: Option<&str>) -> Result<String, ZaloFailure> {
    let parsed: Value = data.and_then(|d| serde_json::from_str(d).ok()).ok_or_else(|| ZaloFailure::invalid("data"))?;
    crate::zalo::wire::string_at(&parsed, &["user_id"]).ok_or_else(|| ZaloFailure::invalid("user_id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_failures_by_host() {
        let cases = [
            (Host::OpenApi, TokenProblem::MissingOrUnknown, -216),
            (Host::OpenApi, TokenProblem::Expired, -220),
            (Host::Business, TokenProblem::MissingOrUnknown, -124),
            (Host::Business, TokenProblem::Expired, -124),
        ];
        for (host, problem, code) in cases {
            assert_eq!(token_failure(host, problem).code, code);
        }
    }

    #[test]
    fn user_id_from_the_data_parameter() {
        assert_eq!(user_id_param(Some(r#"{"user_id":"123"}"#)), Ok("123".to_owned()));
        assert_eq!(user_id_param(Some(r#"{"user_id":123}"#)), Ok("123".to_owned()));
        assert_eq!(user_id_param(Some("{}")).expect_err("no id").code, -201);
        assert_eq!(user_id_param(None).expect_err("no data").code, -201);
    }
}

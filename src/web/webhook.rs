//! `POST /webhooks/zalo`: Zalo's webhook. Acknowledges with 200 only once the event is durable.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::app::AppState;
use crate::inbound::{Acceptance, IntakeError};

pub async fn zalo_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("x-zevent-signature").and_then(|v| v.to_str().ok());
    let num_retry =
        headers.get("num_retry").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i32>().ok()).unwrap_or(0);
    match state.intake.accept(&body, signature, num_retry).await {
        Ok(Acceptance::Stored(_)) => (StatusCode::OK, Json(json!({"status": "accepted"}))).into_response(),
        Ok(Acceptance::Duplicate) => (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response(),
        Ok(Acceptance::Probe) => (StatusCode::OK, Json(json!({"status": "ignored"}))).into_response(),
        Err(e @ (IntakeError::Unsigned | IntakeError::BadSignature)) => {
            tracing::warn!(reason = %e, bytes = body.len(), num_retry, "webhook refused: signature check failed");
            (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized", "message": e.to_string()}))).into_response()
        }
        Err(e @ IntakeError::Malformed(_)) => {
            tracing::warn!(reason = %e, bytes = body.len(), "signed webhook body kept for inspection: not a valid event");
            (StatusCode::BAD_REQUEST, Json(json!({"error": "bad_request", "message": e.to_string()}))).into_response()
        }
        Err(e @ IntakeError::NotConfigured) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "unavailable", "message": e.to_string()})))
                .into_response()
        }
        Err(IntakeError::Storage(cause)) => {
            crate::web::error::ApiError::Internal(anyhow::anyhow!("storing a webhook event: {cause}")).into_response()
        }
    }
}

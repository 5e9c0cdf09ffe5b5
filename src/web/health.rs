//! Liveness, readiness and metrics endpoints.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::error::ApiResult;
use crate::app::AppState;
use crate::health::Readiness;

/// `GET /healthz`: the process is alive and serving.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database is reachable and the schema is current; 503 with reasons otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match crate::health::readiness(&state.store).await {
        Readiness::Ready(warnings) if warnings.is_empty() => {
            (StatusCode::OK, Json(json!({"status": "ready"}))).into_response()
        }
        Readiness::Ready(warnings) => {
            (StatusCode::OK, Json(json!({"status": "ready", "warnings": warnings}))).into_response()
        }
        Readiness::NotReady(reasons) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "reasons": reasons}))).into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let counts = state.store.jobs.counts().await?;
    let body = state.metrics.render(&counts);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}

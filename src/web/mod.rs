//! HTTP: the axum router and the layers every route shares (metrics and tracing by matched
//! route, body size limit, request timeout). Handlers parse, call a service and map the result.

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::app::AppState;

pub mod api_dossiers;
pub mod api_stats;
pub mod api_tickets;
pub mod error;
pub mod health;
pub mod survey_form;
mod survey_page;
pub mod webhook;
pub mod zalo_oauth;

/// The service's router with all routes and common layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The service's router plus `extra` routes (the demo mounts the Zalo simulator at `/sim`).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let routes = extra
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/webhooks/zalo", post(webhook::zalo_webhook))
        .route("/s/{token}", get(survey_form::show).post(survey_form::submit))
        .route("/api/v1/dossiers", post(api_dossiers::post_dossiers_with_key))
        .merge(api_tickets::routes(&state))
        .merge(api_stats::routes(&state))
        .merge(crate::console::router(state.clone()));
    let routes = zalo_oauth::routes(routes, &state.config.zalo);
    with_common_layers(routes, state)
}

/// Applies the shared layers to `routes` and attaches the state.
pub fn with_common_layers(routes: Router<AppState>, state: AppState) -> Router {
    let limit = usize::try_from(state.config.server.body_limit_bytes).unwrap_or(usize::MAX);
    routes
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not_found", "message": "no such route"}))).into_response()
}

/// Counts and times each request by its matched route, and logs it at debug level.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.http_request(&method, &route, status, elapsed);
    tracing::debug!(%method, %route, status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request");
    response
}

/// Answers 503 when a request takes longer than `server.request_timeout`.
async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.server.request_timeout.to_std();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "timeout", "message": format!("the request took longer than {}", state.config.server.request_timeout)})),
        )
            .into_response(),
    }
}

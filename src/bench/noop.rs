//! The HTTP ceiling for `tongdai bench webhook --noop-handler`: the service's HTTP stack (axum,
//! hyper, the router's shared layers: time limit, metrics and tracing by route, body limit, the
//! connection-info service) with a webhook route that reads the body and answers 200 at once —
//! no signature check, no storage. What the real webhook acknowledges, divided by this, is the
//! share of the machine's HTTP capacity the service's own work leaves.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use anyhow::Context as _;

use crate::app::AppState;

/// Answers like the real webhook does for a new event, without doing anything.
async fn accept_at_once(_body: Bytes) -> Response {
    (StatusCode::OK, Json(json!({"status": "accepted"}))).into_response()
}

/// The router: only `POST /webhooks/zalo`, behind the real router's common layers.
pub fn router(state: AppState) -> Router {
    let routes = Router::new().route("/webhooks/zalo", post(accept_at_once));
    crate::web::with_common_layers(routes, state)
}

/// Serves the no-op router on `listener` until `stop` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(stop).await.context("serving the no-op webhook")
}

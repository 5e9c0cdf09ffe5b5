//! The HTTP layer through the real router (`oneshot`): health, readiness, metrics, the body
//! limit, the request timeout and the error format.

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

use tongdai::app::AppState;
use tongdai::config::Config;

use crate::support::{on_both_backends, TestDb};

fn state(db: &TestDb, config: Config) -> AppState {
    crate::support::app_state(db, config, None)
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get_request(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn health_readiness_and_metrics(db: TestDb) {
    let router = tongdai::web::router(state(&db, Config::default()));
    assert_eq!(call(&router, get_request("/healthz")).await, (StatusCode::OK, r#"{"status":"ok"}"#.into()));
    assert_eq!(call(&router, get_request("/readyz")).await, (StatusCode::OK, r#"{"status":"ready"}"#.into()));
    let (status, body) = call(&router, get_request("/no/such/page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("\"error\":\"not_found\""), "{body}");
    db.store
        .jobs
        .enqueue(&tongdai::jobs::NewJob::new("send", serde_json::json!({}), 3), chrono::DateTime::UNIX_EPOCH)
        .await
        .unwrap();
    let (status, metrics) = call(&router, get_request("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains(r#"tongdai_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"tongdai_http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"tongdai_jobs{kind="send",state="available"} 1"#), "{metrics}");
}

on_both_backends!(health_readiness_and_metrics);

#[tokio::test]
async fn readyz_is_503_with_a_reason_when_migrations_are_missing() {
    let db = TestDb::sqlite_unmigrated().await;
    let router = tongdai::web::router(state(&db, Config::default()));
    let (status, body) = call(&router, get_request("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("not_ready") && body.contains("run `tongdai migrate`"), "{body}");
}

#[tokio::test]
async fn oversized_bodies_get_413_and_slow_requests_503() {
    let db = TestDb::sqlite().await;
    let mut config = Config::default();
    config.server.body_limit_bytes = 2048;
    config.server.request_timeout = tongdai::calendar::duration::HumanDuration::from_millis(100);
    let routes = Router::new().route("/echo", post(|body: Bytes| async move { body.len().to_string() })).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let router = tongdai::web::with_common_layers(routes, state(&db, config));
    let small = Request::post("/echo").body(Body::from(vec![b'x'; 2000])).unwrap();
    assert_eq!(call(&router, small).await, (StatusCode::OK, "2000".into()));
    let big = Request::post("/echo").body(Body::from(vec![b'x'; 5000])).unwrap();
    assert_eq!(call(&router, big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = call(&router, get_request("/slow")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("took longer than 100ms"), "{body}");
}

#[tokio::test]
async fn internal_errors_are_opaque_to_the_client() {
    use axum::response::IntoResponse;
    use tongdai::web::error::ApiError;
    let response = ApiError::Internal(anyhow::anyhow!("password=hunter2 leaked in a cause")).into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("hunter2") && text.contains("incident"), "{text}");
    let response = ApiError::BadRequest("`from` must be a date like 2026-01-31".into()).into_response();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("`from` must be a date"));
}

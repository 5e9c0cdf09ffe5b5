//! The Official Account's authorisation through the real router: /zalo/oauth/start redirects to
//! Zalo's consent page with a PKCE challenge, /zalo/oauth/callback exchanges the code (with or
//! without `state` echoed), refuses unknown, reused, expired or foreign authorisations, and
//! readiness reports a refused refresh until the OA is re-authorised.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use tongdai::clock::ManualClock;
use tongdai::config::Config;

use crate::fake_zalo::{config_for, FakeZalo};
use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn router(db: &TestDb, config: Config, clock: &Arc<ManualClock>) -> Router {
    tongdai::web::router(crate::support::app_state_with_clock(db, config, None, clock.clone()))
}

async fn get(router: &Router, path: &str) -> (StatusCode, Option<String>, String) {
    let response = router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, location, String::from_utf8_lossy(&body).into_owned())
}

/// Starts an authorisation; returns the consent URL's query and lets the fake issue `code` for it.
async fn start(router: &Router, fake: &FakeZalo, code: &str) -> HashMap<String, String> {
    let (status, location, _) = get(router, "/zalo/oauth/start").await;
    assert_eq!(status, StatusCode::FOUND);
    let url = reqwest::Url::parse(&location.unwrap()).unwrap();
    assert_eq!(url.path(), "/v4/oa/permission");
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    fake.issue_code(code, &query["code_challenge"]);
    query
}

async fn the_oauth_flow_stores_tokens_with_or_without_state(db: TestDb) {
    let fake = FakeZalo::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let router = router(&db, config_for(&fake), &clock);

    let query = start(&router, &fake, "code-1").await;
    assert_eq!(query["app_id"], "app-1");
    assert_eq!(query["redirect_uri"], "https://tongdai.example.gov.vn/zalo/oauth/callback");
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(!query.contains_key("code_challenge_method"));
    let path = format!("/zalo/oauth/callback?code=code-1&oa_id=oa-1&state={}", query["state"]);
    let (status, _, body) = get(&router, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã kết nối Zalo OA") && body.contains("authorised"), "{body}");
    let stored = db.store.zalo_tokens.load_tokens().await.unwrap().unwrap();
    assert_eq!(stored.source, tongdai::store::TokenSource::OAuth);
    assert_eq!(stored.sealed.access_expires_at, t0() + Duration::seconds(90_000));

    // The same callback again: the authorisation was used.
    let (status, _, body) = get(&router, &path).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("/zalo/oauth/start"), "{body}");

    // Zalo does not echo `state`: the most recent pending verifier is used.
    start(&router, &fake, "code-older").await;
    start(&router, &fake, "code-2").await;
    let (status, _, body) = get(&router, "/zalo/oauth/callback?code=code-2&oa_id=oa-1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(fake.oauth_calls(), 2);
}

async fn bad_callbacks_are_refused_with_a_clear_page(db: TestDb) {
    let fake = FakeZalo::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let router = router(&db, config_for(&fake), &clock);

    let query = start(&router, &fake, "code-1").await;
    let (status, _, body) = get(&router, "/zalo/oauth/callback?code=code-1&oa_id=oa-1&state=forged").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown state is refused");
    assert!(body.contains("Phiên cấp quyền không còn hiệu lực"), "{body}");
    let state = &query["state"];
    let (status, _, body) = get(&router, &format!("/zalo/oauth/callback?code=code-1&oa_id=oa-9&state={state}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("oa-9") && body.contains("zalo.oa_id"), "{body}");
    let (status, _, body) = get(&router, &format!("/zalo/oauth/callback?oa_id=oa-1&state={state}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("authorisation code"), "{body}");
    let (status, _, body) =
        get(&router, &format!("/zalo/oauth/callback?code=wrong-code&oa_id=oa-1&state={state}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("-14019"), "Zalo's refusal is shown: {body}");
    assert!(!body.contains("app-secret-value"));

    // Older than 10 minutes: expired.
    let query = start(&router, &fake, "code-2").await;
    clock.advance(Duration::minutes(11));
    let path = format!("/zalo/oauth/callback?code=code-2&oa_id=oa-1&state={}", query["state"]);
    assert_eq!(get(&router, &path).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(db.store.zalo_tokens.load_tokens().await.unwrap(), None);

    // Injected markup is escaped.
    let (_, _, body) = get(&router, "/zalo/oauth/callback?code=x&oa_id=%3Cscript%3E").await;
    assert!(!body.contains("<script>") && body.contains("&lt;script&gt;"), "{body}");
}

async fn readiness_asks_to_reauthorise_after_a_refused_refresh(db: TestDb) {
    let fake = FakeZalo::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let config = config_for(&fake);
    let router = router(&db, config.clone(), &clock);
    let tokens = tongdai::zalo::service::token_manager(&config, &db.store, clock.clone()).unwrap();
    tokens.bootstrap("at-0", "rt-refused").await.unwrap();
    assert!(tokens.refresh_if_due().await.is_err());
    let (status, _, body) = get(&router, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "stays in the load balancer so that /zalo/oauth/start is reachable");
    assert!(
        body.contains("warnings") && body.contains("re-authorise the Official Account at /zalo/oauth/start"),
        "{body}"
    );

    let query = start(&router, &fake, "code-1").await;
    let path = format!("/zalo/oauth/callback?code=code-1&oa_id=oa-1&state={}", query["state"]);
    assert_eq!(get(&router, &path).await.0, StatusCode::OK);
    let (status, _, body) = get(&router, "/readyz").await;
    assert_eq!((status, body.contains("warnings")), (StatusCode::OK, false), "{body}");
}

on_both_backends!(
    the_oauth_flow_stores_tokens_with_or_without_state,
    bad_callbacks_are_refused_with_a_clear_page,
    readiness_asks_to_reauthorise_after_a_refused_refresh,
);

#[tokio::test]
async fn unconfigured_zalo_and_domain_verification() {
    let db = TestDb::sqlite().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let mut config = Config::default();
    config.security.encryption_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into();
    let (status, _, body) = get(&router(&db, config.clone(), &clock), "/zalo/oauth/start").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("zalo.app_id") && body.contains("Chưa cấu hình Zalo"), "{body}");

    assert_eq!(get(&router(&db, config.clone(), &clock), "/zalo_verifierABC123.html").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&router(&db, config.clone(), &clock), "/").await.0, StatusCode::NOT_FOUND);
    config.zalo.domain_verification_code = "ABC123".into();
    let (status, _, body) = get(&router(&db, config.clone(), &clock), "/zalo_verifierABC123.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<meta name="zalo-platform-site-verification" content="ABC123" />"#), "{body}");
    let (status, _, home) = get(&router(&db, config, &clock), "/").await;
    assert_eq!(status, StatusCode::OK, "the meta-tag form on the home page");
    assert!(home.contains(r#"<meta name="zalo-platform-site-verification" content="ABC123" />"#), "{home}");
}

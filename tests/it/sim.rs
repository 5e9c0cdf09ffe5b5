//! The Zalo simulator against the reference: the fake API answers the real sample bodies like
//! the real samples, tokens, OAuth rotation, fault injection, windows and ZNS validation
//! behave like Zalo, the webhook sender's events verify and parse with `crate::zalo`, retries
//! carry `num_retry`, and the chat page and control API work through the mounted router.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use tongdai::clock::{Clock, ManualClock};
use tongdai::sim::oauth::pkce_challenge;
use tongdai::sim::{
    CitizenAction, Content, DeliveryOutcome, Endpoint, Fault, InfoForm, SimConfig, Simulator, TemplateChannel,
};
use tongdai::zalo::events::{parse_event, Attachment, Delivery, EventKind};
use tongdai::zalo::signature::{body_timestamp, verify_signature, SIGNATURE_HEADER};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zalo-samples")
}

fn sample(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(samples_dir().join(name)).unwrap()).unwrap()
}

/// The structure of a JSON value with every leaf replaced by its type.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

struct Harness {
    sim: Simulator,
    router: Router,
    clock: Arc<ManualClock>,
    token: String,
}

fn harness() -> Harness {
    harness_with(|_| {})
}

fn harness_with(adjust: impl FnOnce(&mut SimConfig)) -> Harness {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()));
    let mut config = SimConfig::default().without_citizens();
    config.public_url = "http://127.0.0.1:1/sim".into();
    config.webhook_retry_schedule = vec![StdDuration::from_millis(10); 3];
    config.rate_limit_per_minute = None;
    adjust(&mut config);
    let sim = Simulator::new(config, clock.clone()).unwrap();
    let router: Router = Router::new().nest("/sim", sim.router());
    let token = sim.initial_tokens().access_token;
    Harness { sim, router, clock, token }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Harness {
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, text: String::from_utf8_lossy(&body).into_owned() }
    }

    async fn api(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let mut request = Request::post(path).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("access_token", token);
        }
        self.send(request.body(Body::from(body.to_string())).unwrap()).await
    }

    async fn cs(&self, body: &Value) -> Value {
        let reply = self.api("/sim/openapi/v3.0/oa/message/cs", Some(&self.token), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header("access_token", token);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn form(&self, path: &str, headers: &[(&str, &str)], form: &str) -> Reply {
        let mut request = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(form.to_owned())).unwrap()).await
    }

    /// A citizen who just wrote to the OA (inside the free window).
    fn active_citizen(&self, name: &str) -> String {
        let citizen = self.sim.create_citizen(name, Some("0912345678"));
        self.sim.set_last_interaction(&citizen.user_id, Some(self.clock.now())).unwrap();
        citizen.user_id
    }
}

fn text_to(user_id: &str, text: &str) -> Value {
    json!({"recipient": {"user_id": user_id}, "message": {"text": text}})
}

// ----- the OA Open API -----

#[tokio::test]
async fn cs_endpoint_accepts_every_sample_body_and_answers_like_the_sample() {
    let h = harness();
    let user = h.active_citizen("An");
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            (n.starts_with("api-oa-message-cs-") && n.ends_with("-request.json"))
                || n == "api-oa-message-list-request.json"
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    let expected = sample("api-oa-message-cs-response.json");
    for name in &names {
        let mut body = sample(name);
        body["recipient"]["user_id"] = json!(user);
        let answer = h.cs(&body).await;
        assert_eq!(shape(&answer), shape(&expected), "{name}: {answer}");
        assert_eq!(answer["error"], 0, "{name}");
        assert_eq!(answer["message"], "Success");
        assert_eq!(answer["data"]["user_id"], json!(user));
        assert_eq!(answer["data"]["quota"]["quota_type"], "reply");
        let sent_time: i64 = answer["data"]["sent_time"].as_str().unwrap().parse().unwrap();
        assert_eq!(sent_time, h.clock.now().timestamp_millis());
        assert_eq!(answer["data"]["message_id"].as_str().unwrap().len(), 20);
    }
    let kinds: Vec<&str> = h
        .sim
        .messages_for(&user)
        .iter()
        .map(|m| match &m.content {
            Content::Buttons { buttons, .. } if buttons.len() == 5 => "buttons",
            Content::Image { url: Some(_), caption: Some(_), .. } => "image",
            Content::List { elements, .. } if elements.len() == 2 => "list",
            Content::RequestUserInfo { answered: false, .. } => "request_user_info",
            Content::Text { text } if text == "hello, world!" => "text",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["buttons", "image", "request_user_info", "text", "list"]);
}

#[tokio::test]
async fn cs_validation_like_zalo() {
    let h = harness();
    let user = h.active_citizen("An");
    let buttons = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"title": format!("Nút {i}"), "type": "oa.query.hide", "payload": format!("#{i}")}))
            .collect()
    };
    let with_buttons = |n: usize| json!({"recipient":{"user_id":user},"message":{"text":"Chọn","attachment":{"type":"template","payload":{"buttons":buttons(n)}}}});
    let cases = [
        (text_to(&user, &"ă".repeat(2000)), 0),
        (text_to(&user, &"ă".repeat(2001)), -201),
        (with_buttons(5), 0),
        (with_buttons(6), -201),
        (text_to("1234567890123456789", "ai đó"), -201),
        (
            json!({"recipient":{"user_id":user},"message":{"attachment":{"type":"template","payload":{"template_type":"promotion"}}}}),
            -233,
        ),
    ];
    for (body, code) in cases {
        let answer = h.cs(&body).await;
        assert_eq!(answer["error"], code, "{answer}");
        if code != 0 {
            assert!(answer["message"].is_string() && answer.get("data").is_none(), "{answer}");
        }
    }
    assert_eq!(
        h.cs(&text_to("1234567890123456789", "x")).await,
        json!({"error": -201, "message": "user_id is invalid!"})
    );
}

#[tokio::test]
async fn access_token_is_checked_on_every_api_call() {
    let h = harness();
    let user = h.active_citizen("An");
    let path = "/sim/openapi/v3.0/oa/message/cs";
    let missing = h.api(path, None, &text_to(&user, "x")).await;
    assert_eq!((missing.status, missing.json()["error"].clone()), (StatusCode::OK, json!(-216)));
    let unknown = h.api(path, Some("not-a-token"), &text_to(&user, "x")).await;
    assert_eq!(unknown.json()["error"], -216);
    let detail = format!("/sim/openapi/v3.0/oa/user/detail?data=%7B%22user_id%22%3A%22{user}%22%7D");
    assert_eq!(h.get(&detail, None).await.json()["error"], -216);
    assert_eq!(h.get(&detail, Some(&h.token)).await.json()["error"], 0);

    h.sim.expire_access_token();
    let expired = h.api(path, Some(&h.token), &text_to(&user, "x")).await;
    assert_eq!(expired.status, StatusCode::OK);
    assert_eq!(expired.json(), json!({"error": -220, "message": "access_token is expired or removed"}));
    assert_eq!(h.get(&detail, Some(&h.token)).await.json()["error"], -220);
    let zns = json!({"phone":"0987654321","template_id":"t","template_data":{"a":"1"},"tracking_id":"k"});
    assert_eq!(h.api("/sim/business/message/template", Some(&h.token), &zns).await.json()["error"], -124);

    // A token issued later works; the natural expiry (25 h) applies too.
    let fresh = h.sim.issue_tokens();
    assert_eq!(h.api(path, Some(&fresh.access_token), &text_to(&user, "x")).await.json()["error"], 0);
    h.clock.advance(Duration::hours(25));
    h.sim.set_last_interaction(&user, Some(h.clock.now())).unwrap();
    assert_eq!(h.api(path, Some(&fresh.access_token), &text_to(&user, "x")).await.json()["error"], -220);
    assert_eq!(h.sim.requests(Endpoint::MessageCs), 5);
}

#[tokio::test]
async fn oauth_refresh_rotates_single_use_tokens() {
    let h = harness();
    let first = h.sim.initial_tokens();
    let config = h.sim.config().clone();
    let refresh = |token: &str, secret: &str| {
        let form = format!("refresh_token={token}&app_id={}&grant_type=refresh_token", config.app_id);
        let secret = secret.to_owned();
        let h = &h;
        async move { h.form("/sim/oauth/v4/oa/access_token", &[("secret_key", &secret)], &form).await }
    };
    let reply = refresh(&first.refresh_token, &config.app_secret).await;
    assert_eq!(reply.status, StatusCode::OK);
    let pair = reply.json();
    assert_eq!(shape(&pair), shape(&sample("api-oauth-oa-access_token-response.json")));
    assert_eq!(pair["expires_in"], json!("90000"));
    assert_ne!(pair["refresh_token"], json!(first.refresh_token));

    let reused = refresh(&first.refresh_token, &config.app_secret).await;
    assert_eq!(reused.status, StatusCode::OK);
    let error = reused.json();
    assert_eq!(error["error"], -14020, "{error}");
    assert!(error["error_name"].is_string());
    for key in sample("api-oauth-error-invalid-refresh-token.json").as_object().unwrap().keys() {
        assert!(error.get(key).is_some(), "{key} missing in {error}");
    }
    assert_eq!(refresh("unknown", &config.app_secret).await.json()["error"], -14014);
    let next = pair["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(next, "the-oa-secret-instead").await.json()["error"], -14004);
    assert_eq!(h.sim.refresh_count(), 1);
    // The wrong secret did not use the token up.
    assert_eq!(refresh(next, &config.app_secret).await.json()["expires_in"], json!("90000"));
    assert_eq!(h.sim.refresh_count(), 2);

    let user = h.active_citizen("An");
    let new_access = pair["access_token"].as_str().unwrap();
    let answer = h.api("/sim/openapi/v3.0/oa/message/cs", Some(new_access), &text_to(&user, "x")).await;
    assert_eq!(answer.json()["error"], 0);
}

#[tokio::test]
async fn oauth_consent_page_and_authorization_code_with_pkce() {
    let h = harness();
    let config = h.sim.config().clone();
    let verifier = "M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag";
    let challenge = pkce_challenge(verifier);
    let query = format!(
        "app_id={}&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fadmin%2Fzalo%2Fcallback&code_challenge={challenge}&state=xyz",
        config.app_id
    );
    let page = h.get(&format!("/sim/oauth/v4/oa/permission?{query}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Đồng ý") && page.text.contains(&config.oa_name), "{}", page.text);
    let wrong_app =
        h.get("/sim/oauth/v4/oa/permission?app_id=1&redirect_uri=http%3A%2F%2Fx&code_challenge=c", None).await;
    assert_eq!(wrong_app.status, StatusCode::BAD_REQUEST);

    let granted = h.form("/sim/oauth/v4/oa/permission", &[], &query).await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let location = granted.headers["location"].to_str().unwrap().to_owned();
    let prefix = "http://127.0.0.1:8080/admin/zalo/callback?code=";
    assert!(location.starts_with(prefix), "{location}");
    assert!(location.ends_with(&format!("&oa_id={}&state=xyz", config.oa_id)), "{location}");
    let code = location[prefix.len()..].split('&').next().unwrap().to_owned();

    let exchange = |verifier: &str| {
        format!("code={code}&app_id={}&grant_type=authorization_code&code_verifier={verifier}", config.app_id)
    };
    let secret = [("secret_key", config.app_secret.as_str())];
    let bad = h.form("/sim/oauth/v4/oa/access_token", &secret, &exchange("wrong-verifier")).await;
    assert_eq!(bad.json()["error"], -14019);
    let tokens = h.form("/sim/oauth/v4/oa/access_token", &secret, &exchange(verifier)).await.json();
    assert_eq!(tokens["expires_in"], json!("90000"), "{tokens}");
    let again = h.form("/sim/oauth/v4/oa/access_token", &secret, &exchange(verifier)).await;
    assert_eq!(again.json()["error"], -14005);
}

#[tokio::test]
async fn injected_errors_are_consumed_in_order_per_endpoint() {
    let h = harness();
    let user = h.active_citizen("An");
    h.sim.inject_error(Endpoint::MessageCs, Fault::invalid_token());
    h.sim.inject_error(Endpoint::MessageCs, Fault::Http(503));
    h.sim.inject_error(Endpoint::MessageCs, Fault::delay(StdDuration::from_millis(60)));
    h.sim.inject_error(Endpoint::MessageCs, Fault::outside_window());
    h.sim.inject_error(Endpoint::AccessToken, Fault::expired_token());
    let path = "/sim/openapi/v3.0/oa/message/cs";
    let body = text_to(&user, "x");
    let first = h.api(path, Some(&h.token), &body).await;
    assert_eq!((first.status, first.json()["error"].clone()), (StatusCode::OK, json!(-216)));
    assert_eq!(h.api(path, Some(&h.token), &body).await.status, StatusCode::SERVICE_UNAVAILABLE);
    let started = Instant::now();
    assert_eq!(h.api(path, Some(&h.token), &body).await.json()["error"], 0);
    assert!(started.elapsed() >= StdDuration::from_millis(60));
    assert_eq!(h.api(path, Some(&h.token), &body).await.json()["error"], -230);
    assert_eq!(h.api(path, Some(&h.token), &body).await.json()["error"], 0);
    assert_eq!(h.sim.requests(Endpoint::MessageCs), 5);
    // Faults of one endpoint do not touch another; the OAuth host answers an OAuth error body.
    let oauth = h.form("/sim/oauth/v4/oa/access_token", &[], "grant_type=refresh_token").await.json();
    assert_eq!(oauth["error"], -220);
    assert!(oauth["error_name"].is_string());
    assert_eq!(h.sim.messages_for(&user).len(), 2);
}

#[tokio::test]
async fn rate_limit_answers_minus_32_until_the_next_minute() {
    let h = harness_with(|c| c.rate_limit_per_minute = Some(2));
    let user = h.active_citizen("An");
    let path = "/sim/openapi/v3.0/oa/message/cs";
    let ok = h.api(path, Some(&h.token), &text_to(&user, "1")).await;
    assert_eq!(ok.headers["X-RateLimit-Limit"], "2");
    assert_eq!(ok.headers["X-RateLimit-Remain"], "1");
    assert_eq!(h.api(path, Some(&h.token), &text_to(&user, "2")).await.json()["error"], 0);
    let limited = h.api(path, Some(&h.token), &text_to(&user, "3")).await;
    assert_eq!(limited.json()["error"], -32);
    h.clock.advance(Duration::minutes(1));
    h.sim.set_last_interaction(&user, Some(h.clock.now())).unwrap();
    assert_eq!(h.api(path, Some(&h.token), &text_to(&user, "4")).await.json()["error"], 0);
    h.sim.set_rate_limit(None);
    let unlimited = h.api(path, Some(&h.token), &text_to(&user, "5")).await;
    assert!(unlimited.headers.get("X-RateLimit-Limit").is_none());
}

#[tokio::test]
async fn consultation_window_closes_after_seven_days() {
    let h = harness_with(|c| c.access_token_ttl = Duration::days(30));
    let receiver = Receiver::start(0).await;
    h.sim.set_webhook_url(Some(receiver.url.clone()));
    let user = h.sim.create_citizen("An", None).user_id;
    assert_eq!(h.cs(&text_to(&user, "chào")).await["error"], -232, "never interacted");
    h.sim.send_text(&user, "xin chào").await.unwrap();
    assert_eq!(h.cs(&text_to(&user, "chào")).await["data"]["quota"]["quota_type"], "reply");
    h.clock.advance(Duration::days(3));
    let billed = h.cs(&text_to(&user, "vẫn được")).await;
    assert_eq!(billed["data"]["quota"], json!({"quota_type":"sub_quota","remain":"1999","total":"2000"}));
    h.clock.advance(Duration::days(4) + Duration::minutes(1));
    assert_eq!(
        h.cs(&text_to(&user, "quá hạn")).await,
        json!({"error": -230, "message": "User has not interacted with the OA in the past 7 days"})
    );
    // A button tap is an interaction and opens the window again; a receipt is not.
    h.sim.set_last_interaction(&user, Some(h.clock.now() - Duration::days(8))).unwrap();
    let msg = h.sim.oa_messages_for(&user)[0].msg_id.clone();
    h.sim.act(&user, CitizenAction::Received { msg_id: msg }).await.unwrap();
    assert_eq!(h.cs(&text_to(&user, "x")).await["error"], -230);
    h.sim.follow(&user).await.unwrap();
    assert_eq!(h.cs(&text_to(&user, "x")).await["error"], 0);
}

#[tokio::test]
async fn templates_by_phone_and_by_user_id() {
    let h = harness();
    let user = h.sim.create_citizen("Bích", Some("0987 654 321")).user_id;
    let zns = |phone: &str, tracking: &str| {
        json!({"phone": phone, "template_id": "7895417a7d3f9461cd2e",
               "template_data": {"ho_so": "H28-0001"}, "tracking_id": tracking})
    };
    let path = "/sim/business/message/template";
    for bad in ["024 3825 1234", "12345", "0951234567"] {
        let answer = h.api(path, Some(&h.token), &zns(bad, "k")).await.json();
        assert_eq!(answer["error"], -108, "{bad}: {answer}");
    }
    let answer = h.api(path, Some(&h.token), &zns("84987654321", "hs-0001")).await.json();
    assert_eq!(shape(&answer), shape(&sample("api-zns-message-template-response.json")), "{answer}");
    assert_eq!(answer["data"]["quota"]["remainingQuota"], "499");
    let msg_id = answer["data"]["msg_id"].as_str().unwrap().to_owned();
    let sends = h.sim.template_sends();
    assert_eq!(sends[0].tracking_id.as_deref(), Some("hs-0001"));
    assert_eq!(sends[0].user_id.as_deref(), Some(user.as_str()), "matched to the citizen by phone");
    assert!(matches!(
        &h.sim.messages_for(&user)[0].content,
        Content::Template { channel: TemplateChannel::Phone, tracking_id: Some(t), .. } if t == "hs-0001"
    ));
    assert_eq!(sends[0].msg_id, msg_id);

    let uid = json!({"user_id": user, "template_id": "7895417a7d3f9461cd2e", "template_data": {"ho_so": "H28-0002"}});
    let answer = h.api("/sim/openapi/v3.0/oa/message/template", Some(&h.token), &uid).await.json();
    assert_eq!(shape(&answer), shape(&sample("api-oa-message-cs-response.json")), "{answer}");
    let unknown = json!({"user_id": "1", "template_id": "t", "template_data": {}});
    assert_eq!(h.api("/sim/openapi/v3.0/oa/message/template", Some(&h.token), &unknown).await.json()["error"], -201);
}

#[tokio::test]
async fn user_detail_and_quota_answer_like_the_samples() {
    let h = harness();
    let user = h.active_citizen("Nguyễn Văn An");
    let detail = h
        .get(&format!("/sim/openapi/v3.0/oa/user/detail?data=%7B%22user_id%22%3A%22{user}%22%7D"), Some(&h.token))
        .await
        .json();
    let expected = shape(&sample("api-oa-user-detail-response.json"));
    for (key, value) in detail["data"].as_object().unwrap() {
        if key == "tags_and_notes_info" {
            assert_eq!(value, &json!({"notes": [], "tag_names": []}));
        } else {
            assert_eq!(shape(value), expected["data"][key], "{key}");
        }
    }
    assert_eq!(detail["data"]["display_name"], "Nguyễn Văn An");
    assert_eq!(detail["data"]["user_last_interaction_date"], "02/03/2026");
    let quota = h.api("/sim/openapi/v3.0/oa/quota/message", Some(&h.token), &json!({"user_id": user})).await.json();
    assert_eq!(shape(&quota), shape(&sample("api-oa-quota-message-user-response.json")), "{quota}");
    assert_eq!(quota["data"]["last_interaction"], json!(h.clock.now().timestamp_millis().to_string()));
}

// ----- webhooks -----

#[derive(Clone)]
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    failures_left: Arc<AtomicU32>,
}

impl Receiver {
    /// A webhook endpoint on a free local port that answers 500 `fail_first` times, then 200.
    async fn start(fail_first: u32) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/webhooks/zalo", listener.local_addr().unwrap()),
            seen: Arc::default(),
            failures_left: Arc::new(AtomicU32::new(fail_first)),
        };
        let app = Router::new().route("/webhooks/zalo", post(receive)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn bodies(&self) -> Vec<(HeaderMap, Bytes)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.seen.lock().unwrap().push((headers, body));
    let failing = receiver.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

#[tokio::test]
async fn every_event_is_signed_and_parses_into_the_right_kind() {
    let h = harness();
    let receiver = Receiver::start(0).await;
    h.sim.set_webhook_url(Some(receiver.url.clone()));
    let config = h.sim.config().clone();
    let user = h.sim.create_citizen("An", Some("0912345678")).user_id;
    let sim = &h.sim;

    sim.act(&user, CitizenAction::ChatNow).await.unwrap();
    sim.follow(&user).await.unwrap();
    sim.send_text(&user, "menu").await.unwrap();
    let buttons = json!({"recipient":{"user_id":user},"message":{"text":"Chọn nhánh","attachment":{"type":"template","payload":{"buttons":[
        {"title":"Nhánh 1","type":"oa.query.hide","payload":"#nhanh:1"},
        {"title":"Cổng","type":"oa.open.url","payload":{"url":"https://dichvucong.gov.vn"}}]}}}});
    let sent = h.cs(&buttons).await;
    let oa_msg = sent["data"]["message_id"].as_str().unwrap().to_owned();
    sim.tap_button(&user, "Nhánh 1").await.unwrap();
    assert!(sim.tap_button(&user, "Cổng").await.is_err(), "a URL button sends nothing");
    sim.act(&user, CitizenAction::Image { caption: Some("Ảnh hiện trường".into()) }).await.unwrap();
    sim.act(&user, CitizenAction::Location { latitude: "9.78".into(), longitude: "105.47".into(), label: None })
        .await
        .unwrap();
    sim.act(&user, CitizenAction::Sticker).await.unwrap();
    sim.act(&user, CitizenAction::File).await.unwrap();
    let info = InfoForm {
        name: "Nguyễn Văn An".into(),
        phone: "0912 345 678".into(),
        city: "Hậu Giang".into(),
        ..InfoForm::default()
    };
    sim.submit_info(&user, info).await.unwrap();
    sim.act(&user, CitizenAction::Received { msg_id: oa_msg.clone() }).await.unwrap();
    sim.act(&user, CitizenAction::Seen { msg_ids: vec![] }).await.unwrap();
    let zns = json!({"phone":"0912345678","template_id":"rating","template_data":{"ho_so":"1"},"tracking_id":"hs-9"});
    let template = h.api("/sim/business/message/template", Some(&h.token), &zns).await.json();
    let template_msg = template["data"]["msg_id"].as_str().unwrap().to_owned();
    sim.deliver_template(&template_msg).await.unwrap();
    sim.answer_rating(&template_msg, 5, Some("Rất nhanh")).await.unwrap();
    sim.unfollow(&user).await.unwrap();

    let received = receiver.bodies();
    let mut kinds = Vec::new();
    for (headers, body) in &received {
        let timestamp = body_timestamp(body).expect("timestamp");
        let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
        assert!(signature.starts_with("mac="), "{signature}");
        assert!(verify_signature(&config.app_id, body, &timestamp, &config.oa_secret_key, signature));
        assert!(!verify_signature(&config.app_id, body, &timestamp, &config.app_secret, signature));
        assert_eq!(headers["content-type"], "application/json");
        let raw: Value = serde_json::from_slice(body).unwrap();
        assert!(raw["timestamp"].is_string() && raw["app_id"].is_string(), "{raw}");
        assert_eq!(timestamp.parse::<i64>().unwrap(), h.clock.now().timestamp_millis());
        let event = parse_event(body).unwrap();
        assert_eq!(event.app_id.as_deref(), Some(config.app_id.as_str()));
        if event.citizen_user_id(Some(&config.oa_id)).is_some() {
            assert_eq!(event.citizen_user_id(Some(&config.oa_id)), Some(user.as_str()), "{raw}");
        }
        kinds.push(match &event.kind {
            EventKind::UserClickChatnow { .. } => "chatnow".to_owned(),
            EventKind::Follow(change) => format!("follow:{}", change.follower_id.as_deref().unwrap()),
            EventKind::UserSendText(m) => format!("text:{}", m.text_or_empty()),
            EventKind::UserSendImage(m) => match &m.attachments[0] {
                Attachment::Image(image) => format!("image:{}", image.url.as_deref().unwrap()),
                other => panic!("{other:?}"),
            },
            EventKind::UserSendLocation(m) => format!("location:{:?}", m.location().map(|p| (p.latitude, p.longitude))),
            EventKind::UserSendSticker(m) => format!("sticker:{}", matches!(m.attachments[0], Attachment::Sticker(_))),
            EventKind::UserSendFile(m) => match &m.attachments[0] {
                Attachment::File(file) => format!("file:{}:{}", file.name.as_deref().unwrap(), file.size.unwrap()),
                other => panic!("{other:?}"),
            },
            EventKind::UserSubmitInfo(info) => {
                format!("info:{}:{}", info.name.as_deref().unwrap(), info.phone.as_deref().unwrap())
            }
            EventKind::UserReceivedMessage(Delivery::OaMessage { msg_id }) => {
                format!("received:{}", msg_id.as_deref().unwrap() == oa_msg)
            }
            EventKind::UserReceivedMessage(Delivery::Template(t)) => {
                format!("template-received:{}", t.tracking_id.as_deref().unwrap())
            }
            EventKind::UserSeenMessage { msg_ids } => format!("seen:{}", msg_ids.len()),
            EventKind::UserFeedback(f) => format!(
                "feedback:{}:{}:{}",
                f.rate.unwrap(),
                f.tracking_id.as_deref().unwrap(),
                f.msg_id.as_deref().unwrap() == template_msg
            ),
            EventKind::Unfollow(_) => "unfollow".to_owned(),
            other => panic!("unexpected {other:?}"),
        });
    }
    let file_size = tongdai::sim::media::sample_file("x").size;
    let expected = [
        "chatnow".to_owned(),
        format!("follow:{user}"),
        "text:menu".to_owned(),
        "text:#nhanh:1".to_owned(),
        "image:http://127.0.0.1:1/sim/media/photo.jpg".to_owned(),
        "location:Some((9.78, 105.47))".to_owned(),
        "sticker:true".to_owned(),
        format!("file:don-phan-anh.pdf:{file_size}"),
        "info:Nguyễn Văn An:84912345678".to_owned(),
        "received:true".to_owned(),
        "seen:1".to_owned(),
        "template-received:hs-9".to_owned(),
        "feedback:5:hs-9:true".to_owned(),
        "unfollow".to_owned(),
    ];
    assert_eq!(kinds, expected);
    assert!(h.sim.deliveries().iter().all(|d| d.outcome == DeliveryOutcome::Delivered && d.attempts.len() == 1));
    let citizen = h.sim.citizen(&user).unwrap();
    assert!(!citizen.follower);
    assert_eq!(citizen.shared_info.unwrap().phone, "84912345678");
    // The image URL is served by the simulator itself.
    let photo = h.get("/sim/media/photo.jpg", None).await;
    assert_eq!((photo.status, photo.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
}

#[tokio::test]
async fn user_events_update_the_last_interaction() {
    let h = harness();
    let user = h.sim.create_citizen("An", None).user_id;
    assert_eq!(h.sim.citizen(&user).unwrap().last_interaction, None);
    h.sim.send_text(&user, "alo").await.unwrap();
    let first = h.clock.now();
    assert_eq!(h.sim.citizen(&user).unwrap().last_interaction, Some(first));
    h.clock.advance(Duration::hours(1));
    h.sim.unfollow(&user).await.unwrap();
    assert_eq!(h.sim.citizen(&user).unwrap().last_interaction, Some(first), "unfollow is not an interaction");
    let delivery = h.sim.send_text(&user, "alo").await.unwrap();
    assert_eq!(delivery.outcome, DeliveryOutcome::NoWebhook);
    assert_eq!(h.sim.citizen(&user).unwrap().last_interaction, Some(h.clock.now()));
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_num_retry() {
    let h = harness();
    let receiver = Receiver::start(2).await;
    h.sim.set_webhook_url(Some(receiver.url.clone()));
    let user = h.sim.create_citizen("An", None).user_id;
    let delivery = h.sim.send_text(&user, "menu").await.unwrap();
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    let statuses: Vec<_> = delivery.attempts.iter().map(|a| (a.num_retry, a.status)).collect();
    assert_eq!(statuses, [(0, Some(500)), (1, Some(500)), (2, Some(200))]);
    let seen = receiver.bodies();
    let retries: Vec<Option<&str>> =
        seen.iter().map(|(headers, _)| headers.get("num_retry").map(|v| v.to_str().unwrap())).collect();
    assert_eq!(retries, [None, Some("1"), Some("2")]);
    assert!(seen.windows(2).all(|pair| pair[0].1 == pair[1].1), "a retry sends the same signed body");

    let dead = Receiver::start(u32::MAX).await;
    h.sim.set_webhook_url(Some(dead.url.clone()));
    let failed = h.sim.send_text(&user, "alo").await.unwrap();
    assert_eq!(failed.outcome, DeliveryOutcome::Failed);
    assert_eq!(failed.attempts.len(), 4, "the first attempt and three retries");
    h.sim.set_webhook_url(Some("http://127.0.0.1:9/unreachable".into()));
    let refused = h.sim.send_text(&user, "alo").await.unwrap();
    assert_eq!(refused.outcome, DeliveryOutcome::Failed);
    assert!(refused.attempts.iter().all(|a| a.status.is_none() && a.error.is_some()));
}

// ----- the chat page and the control API -----

#[tokio::test]
async fn chat_page_renders_and_its_forms_work_without_javascript() {
    let h = harness();
    let user = h.active_citizen("Trần Thị Bích");
    let page = h.get("/sim", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&h.sim.config().oa_name) && page.text.contains("Trần Thị Bích"), "{}", page.text);
    assert!(page.text.contains("href=\"/sim/assets/chat.css\""));
    assert_eq!(h.get("/sim/assets/chat.css", None).await.status, StatusCode::OK);
    assert_eq!(h.get("/sim/assets/chat.js", None).await.status, StatusCode::OK);

    let sent = h.form(&format!("/sim/c/{user}/text"), &[], "text=Xin+ch%C3%A0o").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.headers["location"], format!("/sim?u={user}").as_str());
    let buttons = json!({"recipient":{"user_id":user},"message":{"text":"Mức độ hài lòng?","attachment":{"type":"template","payload":{"buttons":[
        {"title":"Hài lòng","type":"oa.query.show","payload":"#csat:5"}]}}}});
    let msg_id = h.cs(&buttons).await["data"]["message_id"].as_str().unwrap().to_owned();
    let page = h.get(&format!("/sim?u={user}"), None).await.text;
    assert!(page.contains("Xin chào") && page.contains("Mức độ hài lòng?") && page.contains(">Hài lòng</button>"));
    let tapped =
        h.form(&format!("/sim/c/{user}/tap"), &[("x-sim-fetch", "1")], &format!("msg_id={msg_id}&target=b0")).await;
    assert_eq!(tapped.status, StatusCode::NO_CONTENT);
    assert!(
        matches!(&h.sim.messages_for(&user).last().unwrap().content, Content::Tap { payload, visible: true, .. } if payload == "#csat:5")
    );
    let empty = h.form(&format!("/sim/c/{user}/text"), &[("x-sim-fetch", "1")], "text=").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text.contains("Hãy nhập"), "{}", empty.text);
    let fragment = h.get(&format!("/sim/conversation/{user}"), None).await;
    assert_eq!(fragment.headers["x-sim-version"], h.sim.conversation_version(&user).to_string().as_str());
    assert!(fragment.text.contains("#csat:5"));

    // The demo mounts the router inside the service's router, whatever its state type.
    let service: Router = Router::new()
        .route("/healthz", axum::routing::get(|State(n): State<u32>| async move { n.to_string() }))
        .nest("/sim", h.sim.router())
        .with_state(7_u32);
    let page = service.oneshot(Request::get("/sim").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let created =
        h.form("/sim/citizens", &[], "display_name=L%C3%AA+V%C4%83n+C%C6%B0%E1%BB%9Dng&phone=0901234567").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(h.sim.citizens().len(), 2);
    assert_eq!(h.sim.citizens()[1].phone.as_deref(), Some("84901234567"));
}

#[tokio::test]
async fn control_api_round_trips_a_conversation() {
    let h = harness();
    let receiver = Receiver::start(0).await;
    let set = h.api("/sim/api/webhook", None, &json!({"url": receiver.url})).await;
    assert_eq!(set.status, StatusCode::OK);
    let citizen = h
        .api("/sim/api/citizens", None, &json!({"display_name": "Phạm Văn Dũng", "phone": "0987 111 222"}))
        .await
        .json();
    let user = citizen["user_id"].as_str().unwrap().to_owned();
    assert_eq!(citizen["phone"], "84987111222");

    let delivery = h.api(&format!("/sim/api/citizens/{user}/text"), None, &json!({"text": "menu"})).await.json();
    assert_eq!(delivery["outcome"], "delivered", "{delivery}");
    assert_eq!(delivery["event_name"], "user_send_text");
    let list = json!({"recipient":{"user_id":user},"message":{"attachment":{"type":"template","payload":{"template_type":"list","elements":[
        {"title":"Gửi phản ánh","default_action":{"type":"oa.query.hide","payload":"#pakn"}}]}}}});
    h.cs(&list).await;
    let messages = h.get(&format!("/sim/api/citizens/{user}/messages"), None).await.json();
    let entries = messages["messages"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["direction"], "from_citizen");
    assert_eq!(entries[0]["content"], json!({"type": "text", "text": "menu"}));
    assert_eq!(entries[1]["direction"], "from_oa");
    assert_eq!(entries[1]["content"]["type"], "list");
    assert_eq!(entries[1]["content"]["elements"][0]["action"], json!({"type": "query_hide", "value": "#pakn"}));
    let oa_msg = entries[1]["msg_id"].as_str().unwrap();
    let after = entries[0]["seq"].as_u64().unwrap();

    let tap =
        h.api(&format!("/sim/api/citizens/{user}/tap"), None, &json!({"msg_id": oa_msg, "element": 0})).await.json();
    assert_eq!(tap["outcome"], "delivered");
    assert!(tap["body"].as_str().unwrap().contains("\"text\":\"#pakn\""), "{tap}");
    let newer = h.get(&format!("/sim/api/citizens/{user}/messages?after={after}"), None).await.json();
    assert_eq!(newer["messages"].as_array().unwrap().len(), 2);
    let version = h.get(&format!("/sim/api/citizens/{user}/version"), None).await.json();
    assert_eq!(version["version"], newer["version"]);

    let info = json!({"name": "Phạm Văn Dũng", "phone": "0987111222", "address": "5 Lê Lợi", "ward": "Phường 1", "city": "Hậu Giang"});
    let submitted = h.api(&format!("/sim/api/citizens/{user}/submit-info"), None, &info).await.json();
    assert_eq!(submitted["event_name"], "user_submit_info", "{submitted}");
    assert_eq!(h.sim.citizen(&user).unwrap().shared_info.unwrap().address, "5 Lê Lợi");
    let chatnow = h.api(&format!("/sim/api/citizens/{user}/chatnow"), None, &json!({})).await;
    assert_eq!(chatnow.status, StatusCode::CONFLICT, "only before the first message");
    let unknown = h.api("/sim/api/citizens/123/text", None, &json!({"text": "x"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let no_button = h.api(&format!("/sim/api/citizens/{user}/tap"), None, &json!({"title": "Không có"})).await;
    assert_eq!(no_button.status, StatusCode::BAD_REQUEST);

    let fault = json!({"endpoint": "oa/message/cs", "fault": {"code": -220}, "count": 2});
    assert_eq!(h.api("/sim/api/faults", None, &fault).await.json()["queued"], 2);
    assert_eq!(h.cs(&text_to(&user, "x")).await["error"], -220);
    assert_eq!(h.cs(&text_to(&user, "x")).await["error"], -220);
    assert_eq!(h.cs(&text_to(&user, "x")).await["error"], 0);
    let counters = h.get("/sim/api/counters", None).await.json();
    assert_eq!(counters["requests"]["oa/message/cs"], 4);
    let pair = h.api("/sim/api/tokens", None, &json!({})).await.json();
    assert_eq!(
        h.api("/sim/openapi/v3.0/oa/message/cs", pair["access_token"].as_str(), &text_to(&user, "y")).await.json()
            ["error"],
        0
    );
    let deliveries = h.get("/sim/api/deliveries", None).await.json();
    assert_eq!(deliveries.as_array().unwrap().len(), 3);
    let state = h.get("/sim/api/state", None).await.json();
    assert_eq!(state["base_urls"]["api_base"], "http://127.0.0.1:1/sim/openapi");
    assert_eq!(state["base_urls"]["oauth_base"], "http://127.0.0.1:1/sim/oauth");
    assert_eq!(state["base_urls"]["business_api_base"], "http://127.0.0.1:1/sim/business");
}

// ----- the standalone command -----

#[tokio::test]
async fn tongdai_sim_prints_the_base_urls_and_serves_the_simulator() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("tongdai_sim_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongdai"))
        .current_dir(&dir)
        .args(["sim", "--listen", &format!("127.0.0.1:{port}"), "--no-citizens", "--retry-schedule", ""])
        .args(["--webhook-url", "http://127.0.0.1:9/webhooks/zalo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Webhook events go to");
        printed.push(line);
        if done {
            break;
        }
    }
    let root = format!("http://127.0.0.1:{port}/sim");
    for expected in [
        format!("zalo.api_base          = \"{root}/openapi\""),
        format!("zalo.oauth_base        = \"{root}/oauth\""),
        format!("zalo.business_api_base = \"{root}/business\""),
    ] {
        assert!(printed.iter().any(|l| l.trim() == expected), "{expected} not in {printed:#?}");
    }
    assert!(!printed.iter().any(|l| l.contains(tongdai::sim::config::DEFAULT_OA_SECRET_KEY)), "no secret is printed");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let state: Value = client.get(format!("{root}/api/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["base_urls"]["api_base"], format!("{root}/openapi"));
    assert_eq!(state["citizens"], json!([]));
    let page = client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap();
    assert_eq!(page.status(), 200, "/ redirects to the chat page");
    assert!(page.text().await.unwrap().contains(tongdai::sim::config::DEFAULT_OA_NAME));

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "tongdai sim should exit 0 after SIGTERM, got {status}");
    let _ = std::fs::remove_dir_all(dir);
}

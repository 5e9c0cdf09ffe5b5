//! A tiny fake of Zalo's OA API, ZNS and OAuth token endpoint (axum on 127.0.0.1, random port) for
//! the client, token and sender tests: accepts only the access tokens it issued, rotates
//! single-use refresh tokens, records every request, and plays scripted answers per path.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

pub const CS: &str = "/v3.0/oa/message/cs";
pub const ZBS: &str = "/v3.0/oa/message/template";
pub const ZNS: &str = "/message/template";
pub const OAUTH: &str = "/v4/oa/access_token";

/// A scripted answer for the next request to a path.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Answer normally.
    Ok,
    /// HTTP 200 with `{"error": code, "message": …}`.
    ZaloError(i64, &'static str),
    /// This HTTP status with a non-Zalo body.
    Status(u16),
    /// HTTP 429 with `Retry-After`.
    TooManyRequests { retry_after_secs: u64 },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Accept this request, then stop accepting the current access tokens (they "expire").
    SucceedThenRevokeTokens,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub access_token: Option<String>,
    pub secret_key: Option<String>,
    pub body: Value,
    /// Whether the fake answered success.
    pub accepted: bool,
}

#[derive(Default)]
struct FakeState {
    received: Vec<Received>,
    scripts: HashMap<String, VecDeque<Answer>>,
    valid_access: HashSet<String>,
    valid_refresh: HashSet<String>,
    issued: u32,
    oauth_delay: Duration,
    /// `code` → PKCE challenge it was issued for.
    codes: HashMap<String, String>,
    next_message: u32,
}

/// The fake server; stops when dropped.
pub struct FakeZalo {
    pub addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeZalo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Shared = Arc<Mutex<FakeState>>;

impl FakeZalo {
    pub async fn start() -> Self {
        let state: Shared = Arc::default();
        let app = Router::new()
            .route(CS, post(send))
            .route(ZBS, post(send))
            .route(ZNS, post(send))
            .route("/v3.0/oa/quota/message", post(send))
            .route("/v3.0/oa/user/detail", get(user_detail))
            .route(OAUTH, post(oauth))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes `access` and `refresh` a valid pair (as if issued earlier).
    pub fn accept_tokens(&self, access: &str, refresh: &str) {
        let mut state = self.state.lock().unwrap();
        state.valid_access.insert(access.to_owned());
        if !refresh.is_empty() {
            state.valid_refresh.insert(refresh.to_owned());
        }
    }

    pub fn script(&self, path: &str, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().unwrap().scripts.entry(path.to_owned()).or_default().extend(answers);
    }

    pub fn set_oauth_delay(&self, delay: Duration) {
        self.state.lock().unwrap().oauth_delay = delay;
    }

    /// Lets `code` be exchanged by whoever holds the verifier of `challenge`.
    pub fn issue_code(&self, code: &str, challenge: &str) {
        self.state.lock().unwrap().codes.insert(code.to_owned(), challenge.to_owned());
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.state.lock().unwrap().received.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// The texts of accepted chat messages, in order.
    pub fn delivered_texts(&self) -> Vec<String> {
        self.received(CS)
            .into_iter()
            .filter(|r| r.accepted)
            .map(|r| r.body["message"]["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn oauth_calls(&self) -> usize {
        self.received(OAUTH).len()
    }
}

fn record(state: &Shared, path: &str, headers: &HeaderMap, body: Value, accepted: bool) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.lock().unwrap().received.push(Received {
        path: path.to_owned(),
        access_token: header("access_token"),
        secret_key: header("secret_key"),
        body,
        accepted,
    });
}

fn next_answer(state: &Shared, path: &str) -> Option<Answer> {
    state.lock().unwrap().scripts.get_mut(path).and_then(VecDeque::pop_front)
}

async fn send(
    State(state): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let path = uri.path().to_owned();
    let mut answer = next_answer(&state, &path);
    if let Some(Answer::Delay(delay)) = answer {
        tokio::time::sleep(delay).await;
        answer = None;
    }
    let token = headers.get("access_token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let token_ok = state.lock().unwrap().valid_access.contains(&token);
    if !token_ok {
        record(&state, &path, &headers, body, false);
        let code = if path == ZNS { -124 } else { -216 };
        return Json(json!({"error": code, "message": "Access token is invalid"})).into_response();
    }
    match answer {
        Some(Answer::ZaloError(code, message)) => {
            record(&state, &path, &headers, body, false);
            Json(json!({"error": code, "message": message})).into_response()
        }
        Some(Answer::Status(status)) => {
            record(&state, &path, &headers, body, false);
            (StatusCode::from_u16(status).unwrap(), "<html>upstream error</html>").into_response()
        }
        Some(Answer::TooManyRequests { retry_after_secs }) => {
            record(&state, &path, &headers, body, false);
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", retry_after_secs.to_string())], "slow down")
                .into_response()
        }
        other => {
            record(&state, &path, &headers, body.clone(), true);
            let id = {
                let mut state = state.lock().unwrap();
                state.next_message += 1;
                if matches!(other, Some(Answer::SucceedThenRevokeTokens)) {
                    state.valid_access.clear();
                }
                state.next_message
            };
            let data = match path.as_str() {
                ZNS => json!({"msg_id": format!("zns-{id}"), "sent_time": "1626926349402",
                              "quota": {"dailyQuota": "500", "remainingQuota": "499"}}),
                "/v3.0/oa/quota/message" => json!({"last_interaction": "1690184100000",
                              "cs_reply": {"remain": 8, "total": 8}}),
                _ => json!({"message_id": format!("msg-{id}"), "user_id": body["recipient"]["user_id"].clone(),
                            "sent_time": "1626926349402"}),
            };
            Json(json!({"error": 0, "message": "Success", "data": data})).into_response()
        }
    }
}

async fn user_detail(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let data: Value = serde_json::from_str(query.get("data").map_or("{}", String::as_str)).unwrap_or(Value::Null);
    let token = headers.get("access_token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let ok = state.lock().unwrap().valid_access.contains(&token);
    record(&state, "/v3.0/oa/user/detail", &headers, data.clone(), ok);
    if !ok {
        return Json(json!({"error": -216, "message": "Access token is invalid"})).into_response();
    }
    Json(json!({"error": 0, "message": "Success", "data": {
        "user_id": data["user_id"], "display_name": "Nguyễn Văn A", "user_is_follower": true,
        "user_last_interaction_date": "06/07/2023"}}))
    .into_response()
}

async fn oauth(State(state): State<Shared>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let body = serde_json::to_value(&form).unwrap();
    let delay = state.lock().unwrap().oauth_delay;
    tokio::time::sleep(delay).await;
    let mut guard = state.lock().unwrap();
    let granted = match form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => form.get("refresh_token").is_some_and(|rt| guard.valid_refresh.remove(rt)),
        Some("authorization_code") => {
            let challenge = form.get("code").and_then(|code| guard.codes.remove(code));
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            challenge.is_some_and(|c| c == tongdai::zalo::oauth::code_challenge(&verifier))
        }
        _ => false,
    };
    let refused = if form.get("grant_type").map(String::as_str) == Some("authorization_code") {
        json!({"error": -14019, "error_name": "Invalid code", "error_description": "code or code_verifier is invalid"})
    } else {
        json!({"error": -14014, "error_name": "Invalid refresh token"})
    };
    let answer = if granted {
        guard.issued += 1;
        let (access, refresh) = (format!("at-{}", guard.issued), format!("rt-{}", guard.issued));
        guard.valid_access.insert(access.clone());
        guard.valid_refresh.insert(refresh.clone());
        json!({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
    } else {
        refused
    };
    drop(guard);
    record(&state, OAUTH, &headers, body, granted);
    Json(answer).into_response()
}

/// A configuration whose Zalo hosts are `fake`, with a fixed encryption key.
pub fn config_for(fake: &FakeZalo) -> tongdai::config::Config {
    let mut config = tongdai::config::Config::default();
    config.zalo.app_id = "app-1".into();
    config.zalo.oa_id = "oa-1".into();
    config.zalo.app_secret = "app-secret-value".into();
    config.zalo.api_base = fake.url();
    config.zalo.oauth_base = fake.url();
    config.zalo.business_api_base = fake.url();
    config.zalo.request_timeout = tongdai::calendar::duration::HumanDuration::from_secs(2);
    config.zalo.oauth_redirect_url = "https://tongdai.example.gov.vn/zalo/oauth/callback".into();
    config.security.encryption_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into();
    config
}

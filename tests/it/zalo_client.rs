//! The Zalo HTTP client against the fake: success only with HTTP 200 and `error == 0`, typed
//! errors for Zalo errors, 5xx, 429, timeouts and refused connections, the OAuth v4 form calls,
//! and no token in any error message.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use tongdai::zalo::client::{AccessToken, ClientSettings, FailureKind, ZaloClient};
use tongdai::zalo::errors::ErrorClass;
use tongdai::zalo::messages::{CsMessageRequest, ZbsTemplateRequest, ZnsTemplateRequest};

use crate::fake_zalo::{Answer, FakeZalo, CS, OAUTH, ZBS, ZNS};

fn client(fake: &FakeZalo, timeout: Duration) -> ZaloClient {
    ZaloClient::new(ClientSettings {
        api_base: fake.url(),
        oauth_base: format!("{}/", fake.url()),
        business_api_base: fake.url(),
        app_id: "app-1".into(),
        app_secret: "app-secret-value".into(),
        request_timeout: timeout,
    })
    .unwrap()
}

fn token() -> AccessToken {
    AccessToken::new("at-good")
}

#[tokio::test]
async fn sends_succeed_with_the_bare_access_token_header() {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-good", "");
    let client = client(&fake, Duration::from_secs(2));
    let request = CsMessageRequest::text("u1", "Xin chào").unwrap();
    let sent = client.send_cs(&token(), &request).await.unwrap();
    assert_eq!(sent.message_id, "msg-1");
    let received = fake.received(CS);
    assert_eq!(received[0].access_token.as_deref(), Some("at-good"));
    assert_eq!(received[0].body, serde_json::to_value(&request).unwrap());

    let data = BTreeMap::from([("score".to_owned(), "5".to_owned())]);
    let zbs = ZbsTemplateRequest::new("u1", "tpl-1", data.clone()).unwrap();
    assert_eq!(client.send_zbs_template(&token(), &zbs).await.unwrap().message_id, "msg-2");
    assert_eq!(
        fake.received(ZBS)[0].body,
        json!({"user_id": "u1", "template_id": "tpl-1", "template_data": {"score": "5"}})
    );
    let zns = ZnsTemplateRequest::new("0912 345 678", "tpl-2", data, "hs-42").unwrap();
    let sent = client.send_zns_template(&token(), &zns).await.unwrap();
    assert_eq!(sent.msg_id, "zns-3");
    assert_eq!(fake.received(ZNS)[0].body["phone"], "84912345678");

    let user = client.user_detail(&token(), "4572947693969771653").await.unwrap();
    assert_eq!(user.user_id, "4572947693969771653", "the user id travels JSON-encoded in `data`");
    assert_eq!(user.display_name.as_deref(), Some("Nguyễn Văn A"));
    let quota = client.user_quota(&token(), "u1").await.unwrap();
    assert_eq!(quota.last_interaction_ms(), Some(1_690_184_100_000));
}

#[tokio::test]
async fn zalo_errors_with_http_200_are_failures_with_their_class() {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-good", "");
    let client = client(&fake, Duration::from_secs(2));
    let request = CsMessageRequest::text("u1", "Xin chào").unwrap();
    fake.script(
        CS,
        [
            Answer::ZaloError(-230, "User has not interacted with the OA in the past 7 days"),
            Answer::ZaloError(-32, "Your OA reached limit call api"),
            Answer::ZaloError(-201, "user_id is invalid"),
        ],
    );
    let cases = [
        (-230, ErrorClass::OutsideWindow, "Zalo -230: Người dùng không tương tác với OA trong 7 ngày qua (User has not interacted with the OA in the past 7 days)"),
        (-32, ErrorClass::RateLimited, "Zalo -32: Vượt giới hạn tần suất gọi API (4.000 yêu cầu/phút) (Your OA reached limit call api)"),
        (-201, ErrorClass::Permanent, "Zalo -201: Tham số không hợp lệ (user_id is invalid)"),
    ];
    for (code, class, text) in cases {
        let err = client.send_cs(&token(), &request).await.unwrap_err();
        assert_eq!((err.code, err.class, err.kind), (Some(code), class, FailureKind::Api));
        assert_eq!(err.to_string(), text);
    }
    let err = client.send_cs(&AccessToken::new("at-secret-expired"), &request).await.unwrap_err();
    assert_eq!((err.code, err.class), (Some(-216), ErrorClass::Token));
    assert!(!err.to_string().contains("at-secret-expired"), "{err}");
    assert!(!format!("{err:?}").contains("at-secret-expired"), "{err:?}");
    let zns = ZnsTemplateRequest::new("0912345678", "t", BTreeMap::new(), "k").unwrap();
    let err = client.send_zns_template(&AccessToken::new("bad"), &zns).await.unwrap_err();
    assert_eq!((err.code, err.class), (Some(-124), ErrorClass::Token), "ZNS says -124");
}

#[tokio::test]
async fn server_errors_rate_limits_and_timeouts_are_typed() {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-good", "");
    let client = client(&fake, Duration::from_millis(300));
    let request = CsMessageRequest::text("u1", "Xin chào").unwrap();
    fake.script(
        CS,
        [Answer::Status(502), Answer::TooManyRequests { retry_after_secs: 7 }, Answer::Delay(Duration::from_secs(2))],
    );
    let err = client.send_cs(&token(), &request).await.unwrap_err();
    assert_eq!((err.class, err.kind, err.code), (ErrorClass::Transient, FailureKind::Http(502), None));
    let err = client.send_cs(&token(), &request).await.unwrap_err();
    assert_eq!((err.class, err.kind), (ErrorClass::RateLimited, FailureKind::Http(429)));
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    let started = std::time::Instant::now();
    let err = client.send_cs(&token(), &request).await.unwrap_err();
    assert_eq!((err.class, err.kind), (ErrorClass::Transient, FailureKind::Timeout));
    assert!(started.elapsed() < Duration::from_secs(1), "the timeout applies: {:?}", started.elapsed());

    // Nothing listens on this port any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let nowhere =
        ZaloClient::new(ClientSettings { api_base: format!("http://{closed}"), ..client.settings().clone() }).unwrap();
    let err = nowhere.send_cs(&token(), &request).await.unwrap_err();
    assert_eq!((err.class, err.kind), (ErrorClass::Transient, FailureKind::Network));
}

#[tokio::test]
async fn oauth_calls_send_a_form_with_the_app_secret_header() {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "rt-secret-0");
    let client = client(&fake, Duration::from_secs(2));
    let pair = client.refresh_tokens("rt-secret-0").await.unwrap();
    assert_eq!((pair.access_token.as_str(), pair.refresh_token.as_str()), ("at-1", "rt-1"));
    assert_eq!(pair.expires_in_secs, 90_000, "expires_in arrives as a string of seconds");
    let call = &fake.received(OAUTH)[0];
    assert_eq!(call.secret_key.as_deref(), Some("app-secret-value"));
    assert_eq!(call.body, json!({"refresh_token": "rt-secret-0", "app_id": "app-1", "grant_type": "refresh_token"}));

    // Refresh tokens are single use.
    let err = client.refresh_tokens("rt-secret-0").await.unwrap_err();
    assert_eq!((err.kind, err.code, err.class), (FailureKind::OAuth, Some(-14014), ErrorClass::Permanent));
    assert!(!err.to_string().contains("rt-secret-0"), "{err}");
    assert_eq!(err.to_string(), "Zalo -14014: OAuth: refresh token không hợp lệ (Invalid refresh token)");

    let (verifier, challenge) = tongdai::zalo::oauth::pkce_pair();
    fake.issue_code("code-1", &challenge);
    let pair = client.exchange_code("code-1", &verifier).await.unwrap();
    assert_eq!(pair.access_token, "at-2");
    let call = &fake.received(OAUTH)[2];
    assert_eq!(
        call.body,
        json!({"code": "code-1", "app_id": "app-1", "grant_type": "authorization_code", "code_verifier": verifier})
    );
    let err = client.exchange_code("code-1", &verifier).await.unwrap_err();
    assert_eq!((err.kind, err.code), (FailureKind::OAuth, Some(-14019)));
    assert!(!err.to_string().contains(&verifier));
}

//! The ticket API through the real router (`oneshot`): bearer keys (401/403), department
//! scope, list filters and paging, detail, replies, status changes, forwarding and clear 4xx.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use tongdai::auth::api_keys::{ApiKeys, ApiScope};
use tongdai::clock::ManualClock;
use tongdai::config::Config;

use crate::support::{on_both_backends, TestDb};
use crate::tickets_support::{draft, jobs_of, local, service, t0};

async fn call(
    router: &Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = match body {
        Some(body) => request.header("content-type", "application/json").body(Body::from(body.to_string())).unwrap(),
        None => request.body(Body::empty()).unwrap(),
    };
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())))
}

async fn key(db: &TestDb, name: &str, scopes: &[ApiScope], department: Option<&str>) -> String {
    ApiKeys::new(db.store.api_keys.clone()).create(name, scopes, department, t0()).await.unwrap().unwrap().key.secret
}

async fn the_ticket_api(db: TestDb) {
    let svc = service(&db);
    let stp_ticket = svc.file_complaint(&draft("Thủ tục chứng thực chậm"), "u1", t0()).await.unwrap().code;
    let mut other = draft("Cán bộ sách nhiễu khi cấp phép");
    other.branch = 1; // Sở Nội vụ
    let snv_ticket = svc.file_complaint(&other, "u2", t0()).await.unwrap().code;

    let clock = Arc::new(ManualClock::new(local(2026, 3, 4, 9, 0)));
    let state = crate::support::app_state_with_clock(&db, Config::default(), None, clock);
    let router = tongdai::web::router(state);

    let reader = key(&db, "bao-cao", &[ApiScope::TicketsRead], None).await;
    let writer_stp = key(&db, "stp-motcua", &[ApiScope::TicketsRead, ApiScope::TicketsWrite], Some("STP")).await;
    let stats_only = key(&db, "thong-ke", &[ApiScope::StatsRead], None).await;
    let revoked = key(&db, "cu", &[ApiScope::TicketsRead], None).await;
    ApiKeys::new(db.store.api_keys.clone()).revoke("cu", t0()).await.unwrap();

    // 401 without a key, with an unknown or a revoked one; 403 without the scope.
    let (status, body) = call(&router, "GET", "/api/v1/tickets", None, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let forged = format!("tdk_{}", "A".repeat(40));
    assert_eq!(call(&router, "GET", "/api/v1/tickets", Some(&forged), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&router, "GET", "/api/v1/tickets", Some("not-a-key"), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&router, "GET", "/api/v1/tickets", Some(&revoked), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = call(&router, "GET", "/api/v1/tickets", Some(&stats_only), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("tickets:read"), "{body}");
    let path = format!("/api/v1/tickets/{stp_ticket}/replies");
    let (status, _) = call(&router, "POST", &path, Some(&reader), Some(json!({"text": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reading is not writing");

    // Lists: everything for an unrestricted key, one department for a scoped key.
    let (status, body) = call(&router, "GET", "/api/v1/tickets", Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["total"].as_i64(), body["limit"].as_u64(), body["offset"].as_u64()), (Some(2), Some(50), Some(0)));
    let item = &body["items"][0];
    assert_eq!(item["citizen_phone_masked"], json!("849******78"));
    assert!(item.get("phone").is_none() && item.get("citizen_user_id").is_none(), "{item}");
    let (_, body) = call(&router, "GET", "/api/v1/tickets", Some(&writer_stp), None).await;
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["code"], json!(stp_ticket));
    assert_eq!(body["items"][0]["department_name"], json!("Sở Tư pháp"));
    let (_, body) =
        call(&router, "GET", "/api/v1/tickets?flagged=misconduct&status=received,classified", Some(&reader), None)
            .await;
    assert_eq!(
        body["items"].as_array().unwrap().iter().map(|t| t["code"].clone()).collect::<Vec<_>>(),
        vec![json!(snv_ticket)]
    );
    let (_, body) =
        call(&router, "GET", "/api/v1/tickets?q=SACH%20NHIEU&limit=1&offset=0&sort=newest", Some(&reader), None).await;
    assert_eq!((body["total"].clone(), body["items"][0]["code"].clone()), (json!(1), json!(snv_ticket)));
    let (_, body) = call(&router, "GET", "/api/v1/tickets?limit=1&offset=1", Some(&reader), None).await;
    assert_eq!((body["total"].as_i64(), body["items"].as_array().unwrap().len()), (Some(2), 1));
    for bad in
        ["status=done", "overdue=maybe", "limit=0", "limit=9999", "colour=red", "flagged=x", "category=x", "branch=x"]
    {
        let (status, body) = call(&router, "GET", &format!("/api/v1/tickets?{bad}"), Some(&reader), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"], json!("bad_request"));
    }

    // Detail: scoped keys cannot see other departments' tickets.
    let (status, body) =
        call(&router, "GET", &format!("/api/v1/tickets/{}", stp_ticket.to_lowercase()), Some(&writer_stp), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["code"], json!(stp_ticket));
    assert_eq!(body["history"][0]["action"], json!("filed"));
    let (status, _) = call(&router, "GET", &format!("/api/v1/tickets/{snv_ticket}"), Some(&writer_stp), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&router, "GET", "/api/v1/tickets/PA-2026-ZZZZZZ", Some(&reader), None).await.0,
        StatusCode::NOT_FOUND
    );

    // Replies and status changes.
    let snv_reply = format!("/api/v1/tickets/{snv_ticket}/replies");
    let (status, _) = call(&router, "POST", &snv_reply, Some(&writer_stp), Some(json!({"text": "x"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a scoped key cannot answer another department's ticket");
    let (status, body) = call(&router, "POST", &path, Some(&writer_stp), Some(json!({"text": " "}))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, body) = call(&router, "POST", &path, Some(&writer_stp), Some(json!({"txt": "typo"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("unknown field"), "{body}");
    let (status, body) = call(
        &router,
        "POST",
        &path,
        Some(&writer_stp),
        Some(json!({"text": "Đã giải quyết xong.", "author": "Trần Thị B"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["answer_text"].as_str()),
        (Some("answered"), Some("Đã giải quyết xong."))
    );
    assert_eq!(jobs_of(&db, "zalo.send").await.len(), 1);
    let (_, detail) = call(&router, "GET", &format!("/api/v1/tickets/{stp_ticket}"), Some(&writer_stp), None).await;
    let last = detail["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["actor"]["kind"].as_str(), last["actor"]["name"].as_str()), (Some("api_key"), Some("stp-motcua")));
    assert_eq!(last["data"]["author"], json!("Trần Thị B"));

    let status_path = format!("/api/v1/tickets/{stp_ticket}/status");
    let (status, body) =
        call(&router, "POST", &status_path, Some(&writer_stp), Some(json!({"status": "finished"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) =
        call(&router, "POST", &status_path, Some(&writer_stp), Some(json!({"status": "rejected"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "answered → rejected is not a move: {body}");
    let (status, body) =
        call(&router, "POST", &status_path, Some(&writer_stp), Some(json!({"status": "closed"}))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("closed")));
    let (status, _) = call(&router, "POST", &status_path, Some(&writer_stp), Some(json!({"status": "closed"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Forwarding through the API.
    let writer_all = key(&db, "dieu-phoi", &[ApiScope::TicketsRead, ApiScope::TicketsWrite], None).await;
    let forward = format!("/api/v1/tickets/{snv_ticket}/forward");
    let (status, _) = call(&router, "POST", &forward, Some(&writer_all), Some(json!({"department": "STP"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required");
    let (status, body) = call(
        &router,
        "POST",
        &forward,
        Some(&writer_all),
        Some(json!({"department": "STP", "reason": "Thuộc lĩnh vực tư pháp"})),
    )
    .await;
    assert_eq!(
        (status, body["department_code"].as_str(), body["status"].as_str()),
        (StatusCode::OK, Some("STP"), Some("forwarded"))
    );
    let (_, body) = call(&router, "GET", "/api/v1/tickets", Some(&writer_stp), None).await;
    assert_eq!(body["total"], json!(2), "the forwarded ticket is now visible to STP");
}

on_both_backends!(the_ticket_api);

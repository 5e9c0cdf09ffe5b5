//! Complaint figures on a HAND-COMPUTED example, on both backends: received by branch, category
//! and channel, statuses, misconduct, timeliness (on-time share, median and 90th percentile of
//! working days to answer), the overdue list, groups by department, branch and month, and the
//! scope of a department (API key bound to a department, console viewer of a department).
//!
//! Period 2026-03-01 … 2026-03-31 (local); now = Monday 2026-04-06 10:00 local. No holiday falls
//! between 2 March and 6 April 2026, so working days are Monday–Friday. Deadlines are 10 working
//! days after receipt (end of that local day).
//!
//! | ticket | branch (dept)  | category | channel | received (local) | deadline | status      | answered         |
//! |--------|----------------|----------|---------|------------------|----------|-------------|------------------|
//! | T1     | 3 (STP)        | procedure| zalo    | Mon 02/03 09:00  | 16/03    | answered    | Wed 04/03 → 2 WD |
//! | T2 ⚑   | 3 (STP)        | conduct  | zalo    | Tue 03/03 10:00  | 17/03    | closed      | Fri 20/03 → 13 WD, late |
//! | T3     | 1 (SNV)        | procedure| api     | Thu 05/03 14:00  | 19/03    | answered    | Thu 12/03 → 5 WD |
//! | T4     | 5 (SNV)        | procedure| zalo    | Mon 09/03 08:00  | 23/03    | in_progress | — (overdue 10 WD)|
//! | T5     | 8 (SKHCN)      | procedure| zalo    | Wed 25/03 11:00  | 08/04    | received    | — (not due yet)  |
//! | T6     | 3 (STP)        | procedure| zalo    | Fri 27/03 16:00  | 10/04    | rejected    | —                |
//! | T7 ⚑   | 4 (VPUBND)     | conduct  | zalo    | Mon 16/03 09:00  | 30/03    | forwarded   | — (overdue 5 WD) |
//! | T8     | 6 (STC)        | procedure| api     | Tue 31/03 23:30  | 14/04    | received    | —                |
//! | T10    | 2 (HHDN)       | procedure| zalo    | Mon 02/03 12:00  | none (consent refused) | received | — |
//! Outside the period: T0 (27/02), T9 (Wed 01/04 00:10).
//!
//! received 9; by branch 1:1 2:1 3:3 4:1 5:1 6:1 7:0 8:1; procedure 7, conduct 2; zalo 7, api 2;
//! statuses received 3 (T5 T8 T10), in_progress 1, forwarded 1, answered 2, closed 1, rejected 1;
//! misconduct 2. Timeliness: answered 3 (T1 T2 T3), on time 2, late 1, open overdue 2 (T4 T7),
//! on-time share 2 / (3 + 2) = 40 %. Working days to answer [2, 5, 13]: median 5,
//! 90th percentile 5 + 0.8 × (13 − 5) = 11.4. Overdue list: T4 (10 WD), T7 (5 WD).
//! By department: STP (T1 T2 T6) received 3, on time 1 / 2 = 50 %, days [2, 13] → median 7.5,
//! p90 2 + 0.9 × 11 = 11.9; SNV (T3 T4) on time 1 / (1 + 1) = 50 %, median 5; VPUBND 0 %.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use tongdai::auth::api_keys::{ApiKeys, ApiScope};
use tongdai::auth::audit::Actor;
use tongdai::auth::sessions::{self, SignIn};
use tongdai::auth::users::{self, Role, UserInput};
use tongdai::clock::ManualClock;
use tongdai::config::Config;
use tongdai::stats::tickets::{ticket_report, TicketStatsQuery};
use tongdai::tickets::filter::Scope;
use tongdai::tickets::model::{Category, Channel, ConsentDecision, ConsentRecord, Ticket};
use tongdai::tickets::status::TicketStatus;

use crate::support::{on_both_backends, TestDb};

fn local(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh.with_ymd_and_hms(2026, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
}

/// End of a local day (the deadline instant).
fn end_of(m: u32, d: u32) -> DateTime<Utc> {
    local(m, d, 23, 59) + chrono::Duration::seconds(59) + chrono::Duration::nanoseconds(999_999_999)
}

pub(crate) fn now() -> DateTime<Utc> {
    local(4, 6, 10, 0)
}

struct Spec {
    code: &'static str,
    branch: u8,
    department: &'static str,
    conduct: bool,
    api: bool,
    received_at: DateTime<Utc>,
    due: Option<(u32, u32)>,
    status: TicketStatus,
    answered_at: Option<DateTime<Utc>>,
}

fn specs() -> Vec<Spec> {
    use TicketStatus::*;
    let spec = |code, branch, department, conduct, api, received_at, due, status, answered_at| Spec {
        code,
        branch,
        department,
        conduct,
        api,
        received_at,
        due,
        status,
        answered_at,
    };
    vec![
        spec("PA-2026-T00000", 3, "STP", false, false, local(2, 27, 9, 0), Some((3, 13)), Received, None),
        spec(
            "PA-2026-T10000",
            3,
            "STP",
            false,
            false,
            local(3, 2, 9, 0),
            Some((3, 16)),
            Answered,
            Some(local(3, 4, 15, 0)),
        ),
        spec(
            "PA-2026-T20000",
            3,
            "STP",
            true,
            false,
            local(3, 3, 10, 0),
            Some((3, 17)),
            Closed,
            Some(local(3, 20, 9, 0)),
        ),
        spec(
            "PA-2026-T30000",
            1,
            "SNV",
            false,
            true,
            local(3, 5, 14, 0),
            Some((3, 19)),
            Answered,
            Some(local(3, 12, 16, 0)),
        ),
        spec("PA-2026-T40000", 5, "SNV", false, false, local(3, 9, 8, 0), Some((3, 23)), InProgress, None),
        spec("PA-2026-T50000", 8, "SKHCN", false, false, local(3, 25, 11, 0), Some((4, 8)), Received, None),
        spec("PA-2026-T60000", 3, "STP", false, false, local(3, 27, 16, 0), Some((4, 10)), Rejected, None),
        spec("PA-2026-T70000", 4, "VPUBND", true, false, local(3, 16, 9, 0), Some((3, 30)), Forwarded, None),
        spec("PA-2026-T80000", 6, "STC", false, true, local(3, 31, 23, 30), Some((4, 14)), Received, None),
        spec("PA-2026-T90000", 7, "STTTT", false, false, local(4, 1, 0, 10), Some((4, 15)), Received, None),
        spec("PA-2026-TA0000", 2, "HHDN", false, false, local(3, 2, 12, 0), None, Received, None),
    ]
}

fn ticket(spec: &Spec) -> Ticket {
    Ticket {
        id: 0,
        code: spec.code.into(),
        version: 0,
        branch: spec.branch,
        department_code: spec.department.into(),
        category: if spec.conduct { Category::OfficialConduct } else { Category::ProcedureFeedback },
        misconduct: spec.conduct,
        out_of_scope: None,
        processable: spec.due.is_some(),
        content: "Hồ sơ trả chậm".into(),
        place: None,
        procedure: None,
        citizen_user_id: Some("u1".into()),
        citizen_name: Some("Nguyễn Văn A".into()),
        phone: Some("84912345678".into()),
        consent: ConsentRecord {
            decision: if spec.due.is_some() { ConsentDecision::Given } else { ConsentDecision::Refused },
            text_version: Some("v1".into()),
            at: Some(spec.received_at),
        },
        channel: if spec.api { Channel::Api } else { Channel::Zalo },
        status: spec.status,
        rejection_reason: (spec.status == TicketStatus::Rejected).then(|| "Không thuộc phạm vi".into()),
        received_at: spec.received_at,
        sla_started_at: spec.received_at,
        due_at: spec.due.map(|(m, d)| end_of(m, d)),
        forward_due_at: None,
        remind_at: None,
        reminded_at: None,
        escalated: false,
        escalated_at: None,
        answered_at: spec.answered_at,
        closed_at: (spec.status == TicketStatus::Closed).then(|| local(3, 21, 9, 0)),
        answer_text: spec.answered_at.map(|_| "Đã giải quyết".into()),
        forward_count: 0,
        updated_at: spec.received_at,
    }
}

pub(crate) async fn seed(db: &TestDb) {
    for spec in specs() {
        let outcome = db.store.tickets.create_ticket(&ticket(&spec), &[], &[], &[], spec.received_at).await.unwrap();
        assert!(matches!(outcome, tongdai::store::CreateTicketOutcome::Created(_)));
    }
}

fn query(group_by: Option<&str>) -> TicketStatsQuery {
    let mut params = vec![("from".to_owned(), "2026-03-01".to_owned()), ("to".to_owned(), "2026-03-31".to_owned())];
    params.extend(group_by.map(|g| ("group_by".to_owned(), g.to_owned())));
    TicketStatsQuery::from_params(&params).unwrap()
}

fn counts(list: &Value) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_owned(), c["count"].as_i64().unwrap()))
        .collect()
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Checks the hand-computed figures of the whole period.
fn check_overall(body: &Value) {
    assert_eq!((body["from"].as_str(), body["to"].as_str()), (Some("2026-03-01"), Some("2026-03-31")));
    assert_eq!(body["received"], 9);
    assert_eq!(
        counts(&body["by_branch"]),
        pairs(&[("1", 1), ("2", 1), ("3", 3), ("4", 1), ("5", 1), ("6", 1), ("7", 0), ("8", 1)])
    );
    assert_eq!(body["by_branch"][2]["name"], "Công tác xây dựng và tổ chức triển khai văn bản");
    assert_eq!(counts(&body["by_category"]), pairs(&[("procedure_feedback", 7), ("official_conduct", 2)]));
    assert_eq!(counts(&body["by_channel"]), pairs(&[("zalo", 7), ("api", 2)]));
    assert_eq!(
        counts(&body["statuses"]),
        pairs(&[
            ("received", 3),
            ("classified", 0),
            ("in_progress", 1),
            ("forwarded", 1),
            ("answered", 2),
            ("closed", 1),
            ("rejected", 1)
        ])
    );
    assert_eq!(body["statuses"][0]["name"], "Mới tiếp nhận");
    assert_eq!(body["misconduct"], 2);
    assert_eq!(
        body["timeliness"],
        json!({"answered": 3, "on_time": 2, "late": 1, "open_overdue": 2, "on_time_pct": 40.0,
               "median_working_days": 5.0, "p90_working_days": 11.4})
    );
    let overdue: Vec<(&str, i64, &str)> = body["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["code"].as_str().unwrap(),
                t["working_days_overdue"].as_i64().unwrap(),
                t["department_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(overdue, [("PA-2026-T40000", 10, "Sở Nội vụ"), ("PA-2026-T70000", 5, "Văn phòng UBND tỉnh")]);
    let first = &body["overdue"][0];
    assert_eq!(
        (first["status"].as_str(), first["category"].as_str()),
        (Some("in_progress"), Some("procedure_feedback"))
    );
    assert!(first.get("content").is_none() && first.get("phone").is_none(), "no personal data: {first}");
}

fn group<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["groups"].as_array().unwrap().iter().find(|g| g["key"] == key).unwrap_or_else(|| panic!("group {key}"))
}

async fn stats_tickets_report(db: TestDb) {
    seed(&db).await;
    let config = Config::default();
    let service = tongdai::tickets::service::TicketService::from_config(&config, db.store.tickets.clone()).unwrap();
    let report = |query: TicketStatsQuery, scope: Scope| {
        let db = &db;
        let service = &service;
        async move {
            let report =
                ticket_report(db.store.stats.as_ref(), service.catalogue(), service.calendar(), &query, &scope, now())
                    .await
                    .unwrap();
            serde_json::to_value(report).unwrap()
        }
    };
    let body = report(query(None), Scope::All).await;
    check_overall(&body);
    assert_eq!(body["groups"], json!([]));

    let body = report(query(Some("department")), Scope::All).await;
    check_overall(&body);
    let keys: Vec<&str> = body["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["HHDN", "SKHCN", "SNV", "STC", "STP", "VPUBND"]);
    let stp = group(&body, "STP");
    assert_eq!((stp["name"].as_str(), stp["received"].as_i64()), (Some("Sở Tư pháp"), Some(3)));
    assert_eq!(
        stp["timeliness"],
        json!({"answered": 2, "on_time": 1, "late": 1, "open_overdue": 0, "on_time_pct": 50.0,
               "median_working_days": 7.5, "p90_working_days": 11.9})
    );
    assert_eq!(group(&body, "SNV")["timeliness"]["on_time_pct"], 50.0);
    assert_eq!(group(&body, "SNV")["timeliness"]["median_working_days"], 5.0);
    assert_eq!(group(&body, "VPUBND")["timeliness"]["on_time_pct"], 0.0);
    assert_eq!(group(&body, "HHDN")["timeliness"]["on_time_pct"], Value::Null);

    let body = report(query(Some("branch")), Scope::All).await;
    let keys: Vec<&str> = body["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["1", "2", "3", "4", "5", "6", "8"]);
    assert_eq!(group(&body, "3")["name"], "Công tác xây dựng và tổ chức triển khai văn bản");
    assert_eq!(group(&body, "3")["misconduct"], 1);

    let body = report(query(Some("month")), Scope::All).await;
    assert_eq!(body["groups"].as_array().unwrap().len(), 1);
    assert_eq!(
        (group(&body, "2026-03")["name"].as_str(), group(&body, "2026-03")["received"].as_i64()),
        (Some("Tháng 03/2026"), Some(9))
    );

    let body = report(query(Some("category")), Scope::All).await;
    assert_eq!(group(&body, "official_conduct")["timeliness"]["open_overdue"], 1);

    // A department sees its own tickets only.
    let body = report(query(None), Scope::Department("STP".into())).await;
    assert_eq!(body["received"], 3);
    assert_eq!(counts(&body["by_channel"]), pairs(&[("zalo", 3), ("api", 0)]));
    assert_eq!(body["overdue"], json!([]));
}

async fn get(router: &axum::Router, path: &str, auth: Option<(&str, String)>) -> (StatusCode, Value) {
    let mut request = Request::builder().uri(path);
    if let Some((name, value)) = auth {
        request = request.header(name, value);
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A signed-in console user's session cookie.
async fn session_cookie(db: &TestDb, config: &Config, username: &str, role: Role, department: Option<&str>) -> String {
    let password = format!("mật khẩu của {username}");
    let input = UserInput {
        username: username.to_owned(),
        display_name: format!("Cán bộ {username}"),
        role,
        department: department.map(str::to_owned),
        password: password.clone(),
        must_change_password: false,
    };
    let departments = tongdai::bot::catalogue::default_catalogue().unwrap().departments().to_vec();
    users::add_user(&db.store, &Actor::cli(), input, config.console.password_rules(), &departments, now())
        .await
        .unwrap();
    let signed = sessions::sign_in(
        &db.store,
        &config.console.lockout_policy(),
        &config.console.session_policy(),
        username,
        &password,
        None,
        now(),
    )
    .await
    .unwrap();
    let SignIn::Success { session_id, .. } = signed else { panic!("sign-in failed") };
    format!("tongdai_session={session_id}")
}

/// The API: API keys (scoped by department), console sessions (scoped by role), clear 400s.
async fn stats_tickets_api(db: TestDb) {
    seed(&db).await;
    let config = Config::default();
    let clock = std::sync::Arc::new(ManualClock::new(now()));
    let router = tongdai::web::router(crate::support::app_state_with_clock(&db, config.clone(), None, clock));
    let keys = ApiKeys::new(db.store.api_keys.clone());
    let all_key = keys.create("thong-ke", &[ApiScope::StatsRead], None, now()).await.unwrap().unwrap().key.secret;
    let stp_key =
        keys.create("thong-ke-stp", &[ApiScope::StatsRead], Some("STP"), now()).await.unwrap().unwrap().key.secret;
    let tickets_key = keys.create("pakn", &[ApiScope::TicketsRead], None, now()).await.unwrap().unwrap().key.secret;
    let bearer = |key: &str| Some((header::AUTHORIZATION.as_str(), format!("Bearer {key}")));
    let base = "/api/v1/stats/tickets?from=2026-03-01&to=2026-03-31";

    assert_eq!(get(&router, base, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&router, base, bearer(&tickets_key)).await.0, StatusCode::FORBIDDEN);
    let (status, body) = get(&router, base, bearer(&all_key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check_overall(&body);
    let (status, body) = get(&router, &format!("{base}&group_by=department"), bearer(&all_key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(group(&body, "STP")["timeliness"]["p90_working_days"], 11.9);
    let (_, body) = get(&router, base, bearer(&stp_key)).await;
    assert_eq!(body["received"], 3, "a department-bound key sees its department only");

    let coordinator = session_cookie(&db, &config, "dieu.phoi", Role::Coordinator, None).await;
    let viewer = session_cookie(&db, &config, "lanh.dao.stp", Role::Viewer, Some("STP")).await;
    let officer = session_cookie(&db, &config, "can.bo.snv", Role::Officer, Some("SNV")).await;
    let cookie = |c: &str| Some((header::COOKIE.as_str(), c.to_owned()));
    let (status, body) = get(&router, base, cookie(&coordinator)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check_overall(&body);
    let (status, body) = get(&router, &format!("{base}&group_by=department"), cookie(&viewer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received"], 3);
    let keys: Vec<&str> = body["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["STP"], "a department viewer never sees another department's figures");
    let (_, body) = get(&router, base, cookie(&officer)).await;
    assert_eq!(body["received"], 2, "an officer sees the figures of their department");
    assert_eq!(get(&router, base, cookie("tongdai_session=forged")).await.0, StatusCode::UNAUTHORIZED);

    for (path, needle) in [
        ("/api/v1/stats/tickets?from=2026-03-01".to_owned(), "`to`"),
        ("/api/v1/stats/tickets?from=2026-03-31&to=2026-03-01".to_owned(), "before"),
        (format!("{base}&group_by=agency"), "group_by"),
        (format!("{base}&survey=x"), "unknown parameter"),
    ] {
        let (status, body) = get(&router, &path, bearer(&all_key)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains(needle), "{path}: {body}");
    }
}

on_both_backends!(stats_tickets_report, stats_tickets_api);

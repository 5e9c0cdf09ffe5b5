//! The console's statistics page through the real router, on both backends, over the
//! hand-computed examples of `stats.rs` (survey answers of agencies H27.01 Sở Tư pháp and H27.12
//! UBND phường I) and `stats_tickets.rs` (complaints of several departments), at 6 April 2026:
//! the figures equal the API's for the same request, the charts draw both agencies in order, a
//! department's viewer sees only its agency and its complaints (403 for another agency), roles
//! without statistics get 403, bad input gets a Vietnamese message.
//! A child of `console.rs`, so it uses that file's harness.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::{Browser, Harness};
use crate::support::{on_both_backends, TestDb};
use tongdai::auth::users::Role;
use tongdai::config::Config;
use tongdai::stats::charts::decimal;
use tongdai::stats::settings::DepartmentAgencies;

const SURVEY: &str = crate::stats::SURVEY;
/// The default period at the harness's time: this year to date.
const PERIOD: &str = "from=2026-01-01&to=2026-04-06";

async fn harness(db: TestDb) -> Harness {
    crate::stats::seed(&db).await;
    crate::stats_tickets::seed(&db).await;
    let mut config = Config::default();
    config.console.trust_proxy = true;
    config.stats.department_agencies =
        vec![DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into()] }];
    let h = Harness::with_config(db, config);
    h.clock.set(crate::stats_tickets::now());
    h
}

async fn signed_in(h: &Harness, username: &str, role: Role, department: Option<&str>) -> Browser {
    let password = h.user(username, role, department).await;
    h.sign_in(username, &password).await
}

/// The statistics API's answer to `path` for the same signed-in user.
async fn api(h: &Harness, path: &str, cookie: &str) -> Value {
    let request = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = h.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// The value shown in the card `kpi-{id}`.
fn kpi(body: &str, id: &str) -> String {
    let start = body.find(&format!(r#"id="kpi-{id}""#)).unwrap_or_else(|| panic!("card {id} in {body}"));
    let rest = &body[start..];
    let value = &rest[rest.find("<dd>").unwrap() + 4..];
    value[..value.find("</dd>").unwrap()].replace("&nbsp;", "\u{a0}")
}

/// How the page writes a percentage.
fn percent(value: &Value, decimals: usize) -> String {
    value.as_f64().map_or_else(|| "—".to_owned(), |v| format!("{}\u{a0}%", decimal(v, decimals)))
}

/// The SVG of chart `id`.
fn chart<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)).unwrap_or_else(|| panic!("{id}"));
    let start = body[..start].rfind("<svg").unwrap();
    &body[start..start + body[start..].find("</svg>").unwrap()]
}

async fn a_coordinator_sees_the_figures(db: TestDb) {
    let h = harness(db).await;
    let coordinator = signed_in(&h, "dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let cookie = coordinator.cookie.as_str();

    // Without parameters: the web form's survey (nothing answered yet), this year to date.
    let page = h.get("/console/stats", Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"href="/console/stats" aria-current="page""#), "in the navigation");
    assert!(page.body.contains(r#"name="from" type="date" value="2026-01-01""#), "{}", page.body);
    assert!(page.body.contains(r#"name="to" type="date" value="2026-04-06""#));
    assert!(page.body.contains(r#"<option value="sipas-2022-service" selected>"#));
    assert_eq!(kpi(&page.body, "index"), "—");
    assert!(chart(&page.body, "chart-trend").contains("Chưa có dữ liệu"));
    assert!(chart(&page.body, "chart-agencies").contains("Chưa có dữ liệu"));

    let query = format!("survey={SURVEY}&{PERIOD}");
    let page = h.get(&format!("/console/stats?{query}"), Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = page.body.as_str();
    let report = api(&h, &format!("/api/v1/stats/surveys?{query}"), cookie).await;
    assert_eq!(report["responses"], 9, "the example's 8 answers and C1 (1 March)");
    assert_eq!(kpi(body, "index"), percent(&report["overall"]["index"], 2));
    assert_eq!(kpi(body, "index"), "50,00\u{a0}%", "C1 (1, 1, 1) counted: YT1 5/9, YT2 4/9");
    assert_eq!(kpi(body, "response-rate"), percent(&report["response_rate"], 2));
    assert_eq!(kpi(body, "responses"), "9");
    assert_eq!(kpi(body, "element-YT1"), percent(&report["elements"][0]["index"], 2));

    // The agencies, highest index first; the criteria with the lowest satisfied share.
    let agencies = chart(body, "chart-agencies");
    let (first, second) = (agencies.find("Sở Tư pháp (H27.01)"), agencies.find("UBND phường I (H27.12)"));
    assert!(first.unwrap() < second.unwrap(), "{agencies}");
    assert!(agencies.contains("class=\"chart-bar\""));
    let lowest = chart(body, "chart-lowest");
    assert!(lowest.find("TC2.1.").unwrap() < lowest.find("TC1.1.").unwrap(), "{lowest}");
    let trend = chart(body, "chart-trend");
    assert!(
        trend.contains("Tháng 01/2026 50,00, Tháng 02/2026 62,50, Tháng 03/2026 0,00, Tháng 04/2026 chưa có"),
        "{trend}"
    );
    assert!(chart(body, "chart-response").contains("Sở Tư pháp (H27.01) · 5/6 phiếu"));
    assert!(body.contains("/console/stats?survey=sipas-2017&amp;from=2026-01-01&amp;to=2026-04-06&amp;agency=H27.12"));

    // Complaints of the same dates.
    let tickets = api(&h, &format!("/api/v1/stats/tickets?{PERIOD}"), cookie).await;
    assert_eq!(kpi(body, "tickets-received"), tickets["received"].to_string());
    assert_eq!(kpi(body, "tickets-on-time"), percent(&tickets["timeliness"]["on_time_pct"], 1));
    assert_eq!(kpi(body, "tickets-overdue"), tickets["timeliness"]["open_overdue"].to_string());
    assert_eq!(kpi(body, "tickets-misconduct"), "2");
    assert_eq!(kpi(body, "tickets-median"), "5,0 ngày");
    let branches = chart(body, "chart-branches");
    assert!(branches.contains("3. Công tác xây dựng và tổ chức triển khai văn bản: 4"), "{branches}");

    // The download form carries the same request.
    assert!(body.contains(r#"<form method="get" action="/console/stats/export""#));
    for (name, value) in [("survey", SURVEY), ("from", "2026-01-01"), ("to", "2026-04-06")] {
        assert!(body.contains(&format!(r#"<input type="hidden" name="{name}" value="{value}">"#)), "{name}");
    }
    assert!(body.contains(r#"name="format" value="xlsx""#) && body.contains(r#"name="format" value="csv""#));

    // Filters narrow the figures as the API does.
    let filtered = format!("survey={SURVEY}&{PERIOD}&agency=H27.12&level=x%C3%A3");
    let page = h.get(&format!("/console/stats?{filtered}"), Some(cookie)).await;
    let report =
        api(&h, &format!("/api/v1/stats/surveys?survey={SURVEY}&{PERIOD}&agency=H27.12&level=xa"), cookie).await;
    assert_eq!(kpi(&page.body, "index"), percent(&report["overall"]["index"], 2));
    assert_eq!(kpi(&page.body, "index"), "37,50\u{a0}%");
    assert!(page.body.contains(r#"<option value="xa" selected>"#));
}

async fn a_department_sees_only_its_own(db: TestDb) {
    let h = harness(db).await;
    let viewer = signed_in(&h, "lanh.dao.stp", Role::Viewer, Some("STP")).await;
    let query = format!("survey={SURVEY}&{PERIOD}");
    let page = h.get(&format!("/console/stats?{query}"), Some(&viewer.cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = page.body.as_str();
    for other in ["UBND phường I", "H27.12"] {
        if let Some(at) = body.find(other) {
            panic!("another department's agency: {other} in …{}…", &body[at.saturating_sub(300)..at + 100]);
        }
    }
    assert!(chart(body, "chart-agencies").contains("Sở Tư pháp (H27.01)"));
    let report = api(&h, &format!("/api/v1/stats/surveys?{query}"), &viewer.cookie).await;
    assert_eq!(kpi(body, "index"), percent(&report["overall"]["index"], 2));
    assert_eq!(kpi(body, "responses"), "5", "A1–A4 and C1");
    assert!(body.contains("Số liệu của Sở Tư pháp"));

    // Complaints: Sở Tư pháp's four (T0, T1, T2, T6), no other branch named.
    assert_eq!(kpi(body, "tickets-received"), "4");
    let tickets = api(&h, &format!("/api/v1/stats/tickets?{PERIOD}"), &viewer.cookie).await;
    assert_eq!(tickets["received"], 4);
    assert_eq!(kpi(body, "tickets-on-time"), percent(&tickets["timeliness"]["on_time_pct"], 1));
    let branches = chart(body, "chart-branches");
    assert!(branches.contains("3. Công tác xây dựng"));
    for other in ["Công tác chỉ đạo điều hành", "Cải cách TTHC", "Tài chính công", "ISO"] {
        assert!(!body.contains(other), "another department's branch: {other}");
    }

    // Another agency by URL: refused; its own: shown.
    let other = h.get(&format!("/console/stats?{query}&agency=H27.12"), Some(&viewer.cookie)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.body.contains("Không có quyền truy cập") && !other.body.contains("UBND phường I"));
    let own = h.get(&format!("/console/stats?{query}&agency=H27.01"), Some(&viewer.cookie)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(kpi(&own.body, "index"), kpi(body, "index"));

    // A department with no agency configured: no survey figures, its complaints only.
    let snv = signed_in(&h, "lanh.dao.snv", Role::Viewer, Some("SNV")).await;
    let page = h.get(&format!("/console/stats?{query}"), Some(&snv.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa có cơ quan nào được gắn với đơn vị này"));
    for agency in ["H27.01", "H27.12", "UBND phường I"] {
        assert!(!page.body.contains(agency), "{agency}");
    }
    assert_eq!(kpi(&page.body, "responses"), "0");
    assert_eq!(kpi(&page.body, "tickets-received"), "2", "T3 and T4");
}

async fn refusals_and_bad_input(db: TestDb) {
    let h = harness(db).await;
    // Every role may see statistics within its scope (an officer always has a department: the
    // store refuses one without); a visitor who is not signed in is sent to sign in.
    assert!(h.get("/console/stats", None).await.location.unwrap().starts_with("/console/login"));

    let coordinator = signed_in(&h, "dieu.phoi", Role::Coordinator, None).await;
    for (query, message) in [
        ("from=2026-13-01&to=2026-02-01", "Ngày “2026-13-01” không hợp lệ"),
        ("from=2026-03-01&to=2026-02-01", "Ngày kết thúc (01/02/2026) ở trước ngày bắt đầu (01/03/2026)"),
        ("survey=khong-co", "Không có phiếu khảo sát “khong-co”"),
        ("level=%E1%BA%A5p", "Cấp “ấp” không hợp lệ"),
        ("from=1990-01-01", "dài quá"),
    ] {
        let page = h.get(&format!("/console/stats?{query}"), Some(&coordinator.cookie)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.body.contains(message), "{query}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#) && !page.body.contains("<svg xmlns"), "{query}");
        assert!(page.body.contains(r#"<form method="get" action="/console/stats""#), "the form stays");
    }
}

on_both_backends!(a_coordinator_sees_the_figures, a_department_sees_only_its_own, refusals_and_bad_input);

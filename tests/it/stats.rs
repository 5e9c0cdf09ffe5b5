//! Satisfaction statistics on a HAND-COMPUTED example, on both backends: the store's counts, the
//! report (distributions, means, satisfied %, margins of error, element and overall indices,
//! response rates, groups by agency and by month), the API (`oneshot` with an API key, 400s) and
//! the CSV export (BOM, parsed back with the csv crate).
//!
//! Survey `sipas-2017` (scale satisfaction-5, satisfied = {4, 5}); three questions are answered:
//! TC1.1 and TC1.2 (element YT1) and TC2.1 (element YT2); YT3–YT5 get no answers. Period
//! 2026-01-01 … 2026-02-28 (local dates, UTC+7), on the dossier's completion date.
//!
//! | dossier | agency | month | TC1.1 | TC1.2 | TC2.1 |
//! |---------|--------|-------|-------|-------|-------|
//! | A1      | H27.01 | Jan   | 5     | 4     | 3     |
//! | A2      | H27.01 | Jan   | 4     | 4     | 5     |
//! | A3      | H27.01 | Feb*  | 3     | 2     | 4     |   * completed 2026-01-31 17:30 UTC = 1 Feb 00:30 local
//! | A4      | H27.01 | Feb   | 5     | 5     | 5     |
//! | B1      | H27.12 | Jan   | 2     | 3     | 1     |
//! | B2      | H27.12 | Jan   | 4     | 5     | 2     |
//! | B3      | H27.12 | Feb   | 1     | 4     | 4     |
//! | B4      | H27.12 | Feb   | 5     | 3     | 3     |
//! Sent but unanswered: A5 (Jan), B5 (Feb), B6 (Feb). Scheduled, never sent: A6 (Jan).
//! Outside the period: C1 (completed 1 Mar 00:30 local = 28 Feb 17:30 UTC), answered 1/1/1.
//! Respondents but A2 also leave a free-text GOP_Y answer (not counted); A1's, B2's and B3's hold a
//! phone number, an e-mail, an ID number or a web address (see [`suggestion`]).
//!
//! Whole period:
//!   sent = 8 answered + A5 + B5 + B6 = 11; responses = 8; response rate = 8/11 = 72.727… → 72.73
//!   TC1.1: values 5,4,3,5,2,4,1,5 → dist {1:1,2:1,3:1,4:2,5:3}, n 8, mean 29/8 = 3.625 → 3.63,
//!          satisfied 5/8 = 62.5 %, MoE 1.96·√(.625·.375/8) = 1.96·0.171163 = 33.548 → 33.55
//!   TC1.2: 4,4,2,5,3,5,4,3 → {2:1,3:2,4:3,5:2}, n 8, mean 30/8 = 3.75, satisfied 5/8 = 62.5, MoE 33.55
//!   TC2.1: 3,5,4,5,1,2,4,3 → {1:1,2:1,3:2,4:2,5:2}, n 8, mean 27/8 = 3.375 → 3.38, satisfied 4/8 = 50,
//!          MoE 1.96·√(.25/8) = 1.96·0.176777 = 34.648 → 34.65
//!   YT1: index (62.5 + 62.5)/2 = 62.5, mean (3.625 + 3.75)/2 = 3.6875 → 3.69, n 16
//!   YT2: index 50, mean 3.375 → 3.38, n 8; YT3, YT4, YT5: index null, mean null, n 0
//!   overall: index (62.5 + 50)/2 = 56.25, mean (3.6875 + 3.375)/2 = 3.53125 → 3.53, n 24
//!
//! By agency:
//!   H27.01 (Sở Tư pháp): sent 5 (A1–A5), responses 4, rate 80
//!     TC1.1 5,4,3,5 → mean 4.25, 3/4 = 75 %, MoE 1.96·√(.75·.25/4) = 42.435 → 42.44
//!     TC1.2 4,4,2,5 → mean 3.75, 75 %; TC2.1 3,5,4,5 → mean 4.25, 75 %
//!     YT1 75 (mean 4.0), YT2 75 (mean 4.25), overall 75, mean 4.125 → 4.13, n 12
//!   H27.12 (UBND phường I): sent 6 (B1–B6), responses 4, rate 4/6 = 66.67
//!     TC1.1 2,4,1,5 → mean 3.0, 2/4 = 50 %, MoE 1.96·√(.25/4) = 49.00
//!     TC1.2 3,5,4,3 → mean 3.75, 50 %; TC2.1 1,2,4,3 → mean 2.5, 1/4 = 25 %, MoE 42.44
//!     YT1 50 (mean 3.375 → 3.38), YT2 25 (mean 2.5), overall 37.5, mean 2.9375 → 2.94
//!
//! By month (local):
//!   2026-01: A1, A2, B1, B2 (+ A5 sent): sent 5, responses 4, rate 80
//!     TC1.1 5,4,2,4 → 75 %; TC1.2 4,4,3,5 → 75 %; TC2.1 3,5,1,2 → 25 %, mean 2.75
//!     YT1 75 (mean 3.875), YT2 25 (mean 2.75), overall 50, mean 3.3125 → 3.31
//!   2026-02: A3, A4, B3, B4 (+ B5, B6 sent): sent 6, responses 4, rate 66.67
//!     TC1.1 3,5,1,5 → 50 %; TC1.2 2,5,4,3 → 50 %; TC2.1 4,5,4,3 → 75 %, mean 4.0
//!     YT1 50 (mean 3.5), YT2 75 (mean 4.0), overall 62.5, mean 3.75

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use tongdai::auth::api_keys::{ApiKeys, ApiScope};
use tongdai::clock::ManualClock;
use tongdai::config::Config;
use tongdai::jobs::NewJob;
use tongdai::stats::compute::AggregationRules;
use tongdai::stats::model::{Dimension, StatsFilter, StatsSlice};
use tongdai::stats::query::StatsQuery;
use tongdai::stats::report::survey_report;
use tongdai::surveys::model::{
    AnswerChannel, ContactHistory, Dossier, DossierChannel, InstancePlan, Level, NewAnswer, SendDecision, Submission,
};
use tongdai::surveys::AnswerValue;

use crate::support::{on_both_backends, TestDb};

pub(crate) const SURVEY: &str = "sipas-2017";

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// When everything is sent and answered (after the last completion).
pub(crate) fn now() -> DateTime<Utc> {
    utc(2026, 3, 5, 2, 0)
}

struct Row {
    code: &'static str,
    agency: char,
    completed_at: DateTime<Utc>,
    /// TC1.1, TC1.2, TC2.1; `None` = sent, not answered.
    values: Option<[i64; 3]>,
    sent: bool,
}

fn rows() -> Vec<Row> {
    let jan = utc(2026, 1, 15, 3, 0);
    let feb = utc(2026, 2, 10, 3, 0);
    let row = |code, agency, completed_at, values, sent| Row { code, agency, completed_at, values, sent };
    vec![
        row("A1", 'A', jan, Some([5, 4, 3]), true),
        row("A2", 'A', jan, Some([4, 4, 5]), true),
        row("A3", 'A', utc(2026, 1, 31, 17, 30), Some([3, 2, 4]), true),
        row("A4", 'A', feb, Some([5, 5, 5]), true),
        row("A5", 'A', jan, None, true),
        row("A6", 'A', jan, None, false),
        row("B1", 'B', jan, Some([2, 3, 1]), true),
        row("B2", 'B', jan, Some([4, 5, 2]), true),
        row("B3", 'B', feb, Some([1, 4, 4]), true),
        row("B4", 'B', feb, Some([5, 3, 3]), true),
        row("B5", 'B', feb, None, true),
        row("B6", 'B', feb, None, true),
        row("C1", 'A', utc(2026, 2, 28, 17, 30), Some([1, 1, 1]), true),
    ]
}

fn dossier(row: &Row) -> Dossier {
    let (agency_code, agency_name, level) = match row.agency {
        'A' => ("H27.01", "Sở Tư pháp", Level::Tinh),
        _ => ("H27.12", "UBND phường I", Level::Xa),
    };
    Dossier {
        code: row.code.into(),
        procedure_code: "1.001766".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        field: "Hộ tịch".into(),
        agency_code: agency_code.into(),
        agency_name: agency_name.into(),
        level,
        received_at: row.completed_at - Duration::days(3),
        completed_at: row.completed_at,
        channel: DossierChannel::TrucTiep,
        citizen_name: None,
        phone: None,
        zalo_user_id: Some(format!("u-{}", row.code)),
    }
}

/// The GOP_Y answer of a respondent, personal data included; A2 leaves none.
pub(crate) fn suggestion(code: &str) -> Option<&'static str> {
    match code {
        "A1" => Some("Cán bộ nhiệt tình. Gọi tôi: 0912 345 678 hoặc an.nguyen@gmail.com"),
        "A2" => None,
        "B2" => Some("CCCD 079123456789; xem thêm facebook.com/nguyenvanb"),
        "B3" => Some("Số +84 987.654.321, cần gọi lại"),
        _ => Some("Tốt"),
    }
}

/// Stores the example through the survey store: dossiers, sends, submissions.
pub(crate) async fn seed(db: &TestDb) {
    let surveys = &db.store.surveys;
    let rows = rows();
    let dossiers: Vec<Dossier> = rows.iter().map(dossier).collect();
    let unsent: Vec<&str> = rows.iter().filter(|r| !r.sent).map(|r| r.code).collect();
    let plan = |d: &Dossier, _: &ContactHistory| {
        let due_at = if unsent.contains(&d.code.as_str()) { now() + Duration::days(30) } else { now() };
        InstancePlan::Scheduled { token: format!("tok-{}", d.code), due_at }
    };
    surveys.store_dossiers(&dossiers, &plan, now()).await.unwrap();
    let decide = |item: &tongdai::surveys::model::DueInstance| SendDecision::Send {
        job: NewJob::new("zalo.send", json!({"instance": item.instance.id}), 3)
            .unique(format!("survey:{}:first", item.instance.id)),
        reminder_at: None,
        expires_at: now() + Duration::days(7),
        first_step: None,
    };
    surveys.dispatch_due(now(), 100, &decide).await.unwrap();
    for row in &rows {
        let Some([a, b, c]) = row.values else { continue };
        let instance = surveys.instance_by_dossier(row.code).await.unwrap().unwrap();
        let score = |code: &str, v: i64| NewAnswer { question_code: code.into(), value: AnswerValue::Score(v) };
        let mut answers = vec![score("TC1.1", a), score("TC1.2", b), score("TC2.1", c)];
        answers.extend(
            suggestion(row.code)
                .map(|text| NewAnswer { question_code: "GOP_Y".into(), value: AnswerValue::Text(text.into()) }),
        );
        let submission = Submission {
            instance_id: instance.id,
            survey_id: SURVEY.into(),
            survey_version: 1,
            channel: AnswerChannel::Web,
            answers,
        };
        surveys.submit(&submission, now()).await.unwrap();
    }
}

pub(crate) fn query(pairs: &[(&str, &str)]) -> StatsQuery {
    let mut params = vec![
        ("survey".to_owned(), SURVEY.to_owned()),
        ("from".to_owned(), "2026-01-01".to_owned()),
        ("to".to_owned(), "2026-02-28".to_owned()),
    ];
    params.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    StatsQuery::from_params(&params).unwrap()
}

/// The store's raw counts: grouping, filters, local months, the period's bounds.
async fn stats_store_counts(db: TestDb) {
    seed(&db).await;
    let stats = &db.store.stats;
    let slice = |group_by, filter| StatsSlice { group_by, filter, ..query(&[]).slice() };

    let all = stats.answer_counts(&slice(None, StatsFilter::default())).await.unwrap();
    let count = |q: &str, v: i64| all.iter().find(|c| c.question == q && c.value == v).map_or(0, |c| c.count);
    assert_eq!(all.iter().map(|c| c.count).sum::<i64>(), 24, "8 respondents × 3 scored questions; text excluded");
    assert_eq!([1, 2, 3, 4, 5].map(|v| count("TC1.1", v)), [1, 1, 1, 2, 3]);
    assert_eq!([1, 2, 3, 4, 5].map(|v| count("TC2.1", v)), [1, 1, 2, 2, 2]);
    assert!(all.iter().all(|c| c.group.is_none()));

    let instances = stats.instance_counts(&slice(None, StatsFilter::default())).await.unwrap();
    assert_eq!(instances.len(), 1);
    assert_eq!((instances[0].sent, instances[0].answered, instances[0].responses), (11, 8, 8));

    let by_month = stats.instance_counts(&slice(Some(Dimension::Month), StatsFilter::default())).await.unwrap();
    let summary: Vec<_> = by_month.iter().map(|r| (r.group.clone().unwrap(), r.sent, r.responses)).collect();
    assert_eq!(summary, [("2026-01".to_owned(), 5, 4), ("2026-02".to_owned(), 6, 4)]);

    let by_agency = stats.instance_counts(&slice(Some(Dimension::Agency), StatsFilter::default())).await.unwrap();
    let summary: Vec<_> = by_agency
        .iter()
        .map(|r| (r.group.clone().unwrap(), r.group_name.clone().unwrap(), r.sent, r.responses))
        .collect();
    assert_eq!(
        summary,
        [("H27.01".to_owned(), "Sở Tư pháp".to_owned(), 5, 4), ("H27.12".to_owned(), "UBND phường I".to_owned(), 6, 4)]
    );

    let by_quarter = stats.answer_counts(&slice(Some(Dimension::Quarter), StatsFilter::default())).await.unwrap();
    assert!(by_quarter.iter().all(|c| c.group.as_deref() == Some("2026-Q1")), "{by_quarter:?}");

    let xa = StatsFilter { level: Some("xa".into()), ..StatsFilter::default() };
    let xa_counts = stats.answer_counts(&slice(None, xa.clone())).await.unwrap();
    assert_eq!(xa_counts.iter().map(|c| c.count).sum::<i64>(), 12);
    let xa_instances = stats.instance_counts(&slice(None, xa)).await.unwrap();
    assert_eq!((xa_instances[0].sent, xa_instances[0].responses), (6, 4));
    let none = StatsFilter { channel: Some("truc_tuyen".into()), ..StatsFilter::default() };
    assert!(stats.answer_counts(&slice(None, none.clone())).await.unwrap().is_empty());
    assert!(stats.instance_counts(&slice(None, none)).await.unwrap().is_empty());

    // March alone holds only C1.
    let march = StatsQuery::from_params(&[
        ("survey".to_owned(), SURVEY.to_owned()),
        ("from".to_owned(), "2026-03-01".to_owned()),
        ("to".to_owned(), "2026-03-31".to_owned()),
    ])
    .unwrap();
    let march_counts = stats.answer_counts(&march.slice()).await.unwrap();
    assert_eq!(
        march_counts.iter().map(|c| (c.question.as_str(), c.value, c.count)).collect::<Vec<_>>(),
        [("TC1.1", 1, 1), ("TC1.2", 1, 1), ("TC2.1", 1, 1)]
    );
}

pub(crate) fn catalog() -> tongdai::surveys::definition::SurveyCatalog {
    tongdai::surveys::settings::load_catalog(&Config::default().survey).unwrap()
}

fn question<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["questions"].as_array().unwrap().iter().find(|q| q["code"] == code).unwrap()
}

fn element<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["elements"].as_array().unwrap().iter().find(|e| e["code"] == code).unwrap()
}

/// Checks the hand-computed whole-period figures and, when present, the agency groups.
pub(crate) fn check_report(body: &Value) {
    assert_eq!(body["survey"], SURVEY);
    assert_eq!((body["from"].as_str(), body["to"].as_str()), (Some("2026-01-01"), Some("2026-02-28")));
    assert_eq!((body["sent"].as_i64(), body["responses"].as_i64()), (Some(11), Some(8)));
    assert_eq!(body["response_rate"], 72.73);
    assert_eq!(body["overall"], json!({"index": 56.25, "mean": 3.53, "n": 24}));
    assert_eq!(element(body, "YT1")["index"], 62.5);
    assert_eq!(element(body, "YT1")["mean"], 3.69);
    assert_eq!(element(body, "YT1")["n"], 16);
    assert_eq!(element(body, "YT2")["index"], 50.0);
    assert_eq!(element(body, "YT2")["mean"], 3.38);
    assert_eq!(element(body, "YT3")["index"], Value::Null);
    assert_eq!(element(body, "YT3")["n"], 0);
    let tc11 = question(body, "TC1.1");
    assert_eq!(tc11["distribution"], json!({"1": 1, "2": 1, "3": 1, "4": 2, "5": 3}));
    assert_eq!((tc11["n"].as_i64(), tc11["mean"].as_f64()), (Some(8), Some(3.63)));
    assert_eq!((tc11["satisfied_pct"].as_f64(), tc11["margin_of_error"].as_f64()), (Some(62.5), Some(33.55)));
    assert_eq!(tc11["element"], "YT1");
    let tc12 = question(body, "TC1.2");
    assert_eq!(tc12["distribution"], json!({"1": 0, "2": 1, "3": 2, "4": 3, "5": 2}));
    assert_eq!((tc12["mean"].as_f64(), tc12["satisfied_pct"].as_f64()), (Some(3.75), Some(62.5)));
    let tc21 = question(body, "TC2.1");
    assert_eq!(tc21["distribution"], json!({"1": 1, "2": 1, "3": 2, "4": 2, "5": 2}));
    assert_eq!(
        (tc21["mean"].as_f64(), tc21["satisfied_pct"].as_f64(), tc21["margin_of_error"].as_f64()),
        (Some(3.38), Some(50.0), Some(34.65))
    );
    let tc13 = question(body, "TC1.3");
    assert_eq!((tc13["n"].as_i64(), tc13["satisfied_pct"].clone()), (Some(0), Value::Null));
}

pub(crate) fn check_agency_groups(body: &Value) {
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let a = &groups[0];
    assert_eq!((a["key"].as_str(), a["name"].as_str()), (Some("H27.01"), Some("Sở Tư pháp")));
    assert_eq!(
        (a["sent"].as_i64(), a["responses"].as_i64(), a["response_rate"].as_f64()),
        (Some(5), Some(4), Some(80.0))
    );
    assert_eq!(a["overall"], json!({"index": 75.0, "mean": 4.13, "n": 12}));
    assert_eq!(element(a, "YT1")["mean"], 4.0);
    assert_eq!(question(a, "TC1.1")["margin_of_error"], 42.44);
    assert_eq!(question(a, "TC1.1")["mean"], 4.25);
    let b = &groups[1];
    assert_eq!((b["key"].as_str(), b["name"].as_str()), (Some("H27.12"), Some("UBND phường I")));
    assert_eq!(b["response_rate"], 66.67);
    assert_eq!(b["overall"], json!({"index": 37.5, "mean": 2.94, "n": 12}));
    assert_eq!((element(b, "YT1")["index"].as_f64(), element(b, "YT1")["mean"].as_f64()), (Some(50.0), Some(3.38)));
    assert_eq!(element(b, "YT2")["index"], 25.0);
    assert_eq!(question(b, "TC1.1")["margin_of_error"], 49.0);
    assert_eq!(question(b, "TC2.1")["margin_of_error"], 42.44);
}

fn check_month_groups(body: &Value) {
    let groups = body["groups"].as_array().unwrap();
    let keys: Vec<_> = groups.iter().map(|g| (g["key"].as_str().unwrap(), g["name"].as_str().unwrap())).collect();
    assert_eq!(keys, [("2026-01", "Tháng 01/2026"), ("2026-02", "Tháng 02/2026")]);
    assert_eq!(groups[0]["overall"], json!({"index": 50.0, "mean": 3.31, "n": 12}));
    assert_eq!(
        (element(&groups[0], "YT1")["index"].as_f64(), element(&groups[0], "YT2")["index"].as_f64()),
        (Some(75.0), Some(25.0))
    );
    assert_eq!(groups[0]["response_rate"], 80.0);
    assert_eq!(groups[1]["overall"], json!({"index": 62.5, "mean": 3.75, "n": 12}));
    assert_eq!(question(&groups[1], "TC2.1")["mean"], 4.0);
    assert_eq!(groups[1]["response_rate"], 66.67);
}

/// The report computed from the store matches the hand computation.
async fn stats_report(db: TestDb) {
    seed(&db).await;
    let catalog = catalog();
    let rules = AggregationRules::default();
    let report = survey_report(db.store.stats.as_ref(), &catalog, &query(&[]), &rules).await.unwrap();
    let body = serde_json::to_value(&report).unwrap();
    check_report(&body);
    assert_eq!(body["groups"], json!([]));

    let by_agency =
        survey_report(db.store.stats.as_ref(), &catalog, &query(&[("group_by", "agency")]), &rules).await.unwrap();
    let body = serde_json::to_value(&by_agency).unwrap();
    check_report(&body);
    check_agency_groups(&body);

    let by_month =
        survey_report(db.store.stats.as_ref(), &catalog, &query(&[("group_by", "month")]), &rules).await.unwrap();
    check_month_groups(&serde_json::to_value(&by_month).unwrap());

    // Both months are in one year: one group, with the overall figures.
    let by_year =
        survey_report(db.store.stats.as_ref(), &catalog, &query(&[("group_by", "year")]), &rules).await.unwrap();
    let by_year = serde_json::to_value(&by_year).unwrap();
    let whole = serde_json::to_value(&report).unwrap();
    assert_eq!(by_year["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_year["groups"][0]["overall"], whole["overall"]);
    assert_eq!(by_year["groups"][0]["elements"], whole["elements"]);
    assert!(by_year["groups"][0]["name"].as_str().is_some_and(|n| n.starts_with("Năm 20")), "{by_year}");

    // Filtering on one agency gives that agency's group figures.
    let only_b =
        survey_report(db.store.stats.as_ref(), &catalog, &query(&[("agency", "H27.12")]), &rules).await.unwrap();
    let body = serde_json::to_value(&only_b).unwrap();
    assert_eq!(body["overall"], json!({"index": 37.5, "mean": 2.94, "n": 12}));
    assert_eq!((body["sent"].as_i64(), body["response_rate"].as_f64()), (Some(6), Some(66.67)));

    // CSV: BOM, Vietnamese headers, one row per group and question, 2 decimals.
    let bytes = tongdai::stats::csv_export::to_csv(&by_agency).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM first");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let questions = catalog.get(SURVEY).unwrap().questions.len();
    assert_eq!(records.len(), 2 * questions);
    let row = records.iter().find(|r| &r[column("Nhóm")] == "H27.12" && &r[column("Mã câu hỏi")] == "TC1.1").unwrap();
    assert_eq!(&row[column("Tên nhóm")], "UBND phường I");
    assert_eq!(&row[column("Tỷ lệ hài lòng (%)")], "50.00");
    assert_eq!(&row[column("Sai số ±95% (điểm %)")], "49.00");
    assert_eq!(&row[column("Điểm trung bình")], "3.00");
    assert_eq!(&row[column("Chỉ số chung (%)")], "37.50");
    assert_eq!(&row[column("Tỷ lệ phản hồi (%)")], "66.67");
    assert_eq!(&row[column("Số chọn mức 5")], "1");
    assert_eq!(&row[column("Yếu tố")], "Tiếp cận dịch vụ hành chính công của cơ quan hành chính nhà nước");
}

async fn call(router: &Router, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder().uri(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The API returns the same figures, behind a `stats:read` key, with clear 400s.
async fn stats_api(db: TestDb) {
    seed(&db).await;
    let clock = Arc::new(ManualClock::new(now()));
    let router = tongdai::web::router(crate::support::app_state_with_clock(&db, Config::default(), None, clock));
    let keys = ApiKeys::new(db.store.api_keys.clone());
    let stats_key = keys.create("thong-ke", &[ApiScope::StatsRead], None, now()).await.unwrap().unwrap().key.secret;
    let tickets_key = keys.create("pakn", &[ApiScope::TicketsRead], None, now()).await.unwrap().unwrap().key.secret;
    let base = format!("/api/v1/stats/surveys?survey={SURVEY}&from=2026-01-01&to=2026-02-28");

    assert_eq!(call(&router, &base, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&router, &base, Some(&tickets_key)).await.0, StatusCode::FORBIDDEN);

    let (status, body) = call(&router, &format!("{base}&group_by=agency"), Some(&stats_key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check_report(&body);
    check_agency_groups(&body);
    let (status, body) = call(&router, &format!("{base}&group_by=month"), Some(&stats_key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check_month_groups(&body);

    for (path, needle) in [
        (format!("/api/v1/stats/surveys?survey={SURVEY}&from=2026-1-01x&to=2026-02-28"), "YYYY-MM-DD"),
        (format!("/api/v1/stats/surveys?survey={SURVEY}&from=2026-03-01&to=2026-02-28"), "before"),
        ("/api/v1/stats/surveys?survey=khong-co&from=2026-01-01&to=2026-02-28".to_owned(), "unknown survey"),
        (format!("{base}&group_by=tinh"), "group_by"),
        (format!("{base}&level=tỉnh"), "level"),
        (format!("{base}&foo=1"), "unknown parameter"),
        ("/api/v1/stats/surveys?from=2026-01-01&to=2026-02-28".to_owned(), "survey"),
    ] {
        let (status, body) = call(&router, &path, Some(&stats_key)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains(needle), "{path}: {body}");
    }
}

on_both_backends!(stats_store_counts, stats_report, stats_api);

pub(crate) fn run_cli(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tongdai"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("TONGDAI_") {
            command.env_remove(key);
        }
    }
    command.env("TONGDAI_DATABASE__URL", url).output().unwrap()
}

/// `tongdai stats export`: JSON equal to the report the API serves, CSV with BOM, exit 2 on bad input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_export_command() {
    let db = TestDb::sqlite().await;
    seed(&db).await;
    let dir =
        std::env::temp_dir().join(format!("tongdai_stats_cli_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let common = ["stats", "export", "--survey", SURVEY, "--from", "2026-01-01", "--to", "2026-02-28"];

    let json_out = dir.join("bao-cao.json");
    let mut args = common.to_vec();
    args.extend(["--group-by", "month", "--format", "json", "--out", json_out.to_str().unwrap()]);
    let out = run_cli(&dir, &db.config.url, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written: Value = serde_json::from_slice(&std::fs::read(&json_out).unwrap()).unwrap();
    let report = survey_report(
        db.store.stats.as_ref(),
        &catalog(),
        &query(&[("group_by", "month")]),
        &AggregationRules::default(),
    )
    .await
    .unwrap();
    assert_eq!(written, serde_json::to_value(&report).unwrap());
    check_report(&written);
    check_month_groups(&written);

    let csv_out = dir.join("bao-cao.csv");
    let mut args = common.to_vec();
    args.extend(["--format", "csv", "--out", csv_out.to_str().unwrap()]);
    let out = run_cli(&dir, &db.config.url, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&csv_out).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[0], "Khảo sát");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), catalog().get(SURVEY).unwrap().questions.len());
    let tc21 = records.iter().find(|r| &r[6] == "TC2.1").unwrap();
    assert_eq!((&tc21[4], &tc21[9], &tc21[10], &tc21[11]), ("Toàn bộ", "3.38", "50.00", "34.65"));

    let mut args = common.to_vec();
    args.extend(["--group-by", "week", "--format", "csv", "--out", csv_out.to_str().unwrap()]);
    let out = run_cli(&dir, &db.config.url, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("group_by"));
    let _ = std::fs::remove_dir_all(&dir);
}

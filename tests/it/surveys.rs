//! Satisfaction surveys end to end with a manual clock: scheduling by the send policy, dispatch
//! into `zalo.send` jobs, reminders, expiry, opt-out, the chat survey, the web form, ZNS ratings,
//! the dossier API and the CSV import; and concurrent dispatchers on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use tongdai::app::AppState;
use tongdai::clock::{Clock, ManualClock, SharedClock};
use tongdai::config::Config;
use tongdai::jobs::{Job, JobState};
use tongdai::surveys::model::{AnswerChannel, Dossier, InstanceState, SkipReason, SurveyInstance};
use tongdai::surveys::service::ChatResult;
use tongdai::surveys::{AnswerValue, FeedbackOutcome, SurveyService};
use tongdai::zalo::events::Feedback;
use tongdai::zalo::outbound::{OutAction, OutboundMessage, SendRequest, TemplatePurpose};

use crate::support::{on_both_backends, TestDb};

/// A Vietnamese wall-clock time as UTC.
fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn dossier(code: &str, completed_at: DateTime<Utc>, user: Option<&str>, phone: Option<&str>) -> Dossier {
    let mut d = crate::survey_store::dossier(code, user, phone);
    d.completed_at = completed_at;
    d.received_at = completed_at - Duration::days(3);
    d
}

struct Fixture {
    db: TestDb,
    clock: Arc<ManualClock>,
    service: Arc<SurveyService>,
    state: AppState,
}

fn fixture(db: TestDb, config: Config, start: DateTime<Utc>) -> Fixture {
    let clock = Arc::new(ManualClock::new(start));
    let service = Arc::new(crate::support::survey_service(&db, &config));
    let mut state = crate::support::app_state(&db, config, None);
    let shared: SharedClock = clock.clone();
    state.clock = shared;
    state.surveys = service.clone();
    Fixture { db, clock, service, state }
}

impl Fixture {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn store(&self, dossiers: &[Dossier]) {
        self.service.store_dossiers(dossiers, self.now(), &|| {}).await.unwrap();
    }

    async fn instance(&self, code: &str) -> SurveyInstance {
        self.db.store.surveys.instance_by_dossier(code).await.unwrap().unwrap()
    }

    async fn dispatch_at(&self, at: DateTime<Utc>) -> tongdai::surveys::service::DispatchSummary {
        self.clock.set(at);
        self.service.dispatch(at).await.unwrap()
    }

    async fn job(&self, key: &str) -> Option<Job> {
        let jobs = self.db.store.jobs.list(JobState::Available, 1000).await.unwrap();
        jobs.into_iter().find(|j| j.unique_key.as_deref() == Some(key))
    }

    async fn send_request(&self, key: &str) -> SendRequest {
        serde_json::from_value(self.job(key).await.unwrap_or_else(|| panic!("no job {key}")).payload).unwrap()
    }
}

fn button_payloads(message: &OutboundMessage) -> Vec<(String, String)> {
    match message {
        OutboundMessage::Buttons { buttons, .. } => buttons
            .iter()
            .filter_map(|b| match &b.action {
                OutAction::Query(p) => Some((b.title.clone(), p.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The `/s/<token>` path of a send request's link.
fn form_path(request: &SendRequest) -> String {
    let link = &request.template.as_ref().unwrap().data["link"];
    let at = link.find("/s/").unwrap();
    link[at..].to_owned()
}

async fn policy_delay_window_reminder_and_expiry(db: TestDb) {
    // Dossier done Mon 09/03/2026 10:00, pushed at 10:05 → due Tue 10:00.
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[dossier("HS-1", vn(2026, 3, 9, 10, 0), Some("111"), Some("84912345678"))]).await;
    let first = f.instance("HS-1").await;
    assert_eq!((first.state, first.due_at), (InstanceState::Scheduled, Some(vn(2026, 3, 10, 10, 0))));

    assert_eq!(f.dispatch_at(vn(2026, 3, 10, 9, 59)).await.sent, 0, "not before the delay");
    // The dispatcher was down: at Tue 20:30 the window is closed, nothing goes out.
    assert_eq!(f.dispatch_at(vn(2026, 3, 10, 20, 30)).await.sent, 0, "outside the send window");
    assert_eq!(f.instance("HS-1").await.state, InstanceState::Scheduled);
    assert_eq!(f.dispatch_at(vn(2026, 3, 11, 8, 0)).await.sent, 1, "at the next window start");
    let sent = f.instance("HS-1").await;
    assert_eq!(sent.state, InstanceState::Sent);
    assert_eq!(sent.sent_at, Some(vn(2026, 3, 11, 8, 0)));
    assert_eq!(sent.reminder_at, Some(vn(2026, 3, 13, 8, 0)));
    assert_eq!(sent.expires_at, Some(vn(2026, 3, 18, 8, 0)));

    let request = f.send_request(&format!("survey:{}:first", sent.id)).await;
    assert_eq!((request.user_id.as_deref(), request.phone.as_deref()), (Some("111"), Some("84912345678")));
    assert_eq!(request.purpose, "survey");
    assert_eq!(request.reference.as_deref(), Some("HS-1"));
    let template = request.template.as_ref().unwrap();
    assert_eq!(template.purpose, TemplatePurpose::Survey);
    assert_eq!(template.tracking_id.as_deref(), Some(sent.token.as_str()));
    assert!(sent.token.len() <= 48);
    assert_eq!(template.data["citizen_name"], "Nguyễn Văn An");
    assert_eq!(template.data["procedure_name"], "Đăng ký khai sinh");
    assert!(template.data["link"].starts_with("http://127.0.0.1:8080/s/"), "{:?}", template.data);
    let text = request.message.display_text();
    assert!(text.contains(&template.data["link"]), "the chat message carries the link: {text}");
    assert!(text.contains("dừng khảo sát"), "{text}");
    let buttons = button_payloads(&request.message);
    assert_eq!(buttons.len(), 5);
    assert_eq!(buttons[0], ("Rất không hài lòng".to_owned(), format!("#ks:{}:Q_TC:1", sent.token)));

    assert_eq!(f.dispatch_at(vn(2026, 3, 11, 8, 5)).await.sent, 0, "a survey is sent once");
    assert_eq!(f.dispatch_at(vn(2026, 3, 13, 7, 59)).await.reminded, 0);
    assert_eq!(f.dispatch_at(vn(2026, 3, 13, 8, 0)).await.reminded, 1);
    assert_eq!(f.dispatch_at(vn(2026, 3, 13, 9, 0)).await.reminded, 0, "one reminder");
    let reminder = f.send_request(&format!("survey:{}:reminder", sent.id)).await;
    assert!(reminder.message.display_text().contains("xin nhắc"), "{}", reminder.message.display_text());
    assert!(reminder.message.display_text().contains("18/03/2026"));
    assert_eq!(f.dispatch_at(vn(2026, 3, 18, 7, 59)).await.expired, 0);
    assert_eq!(f.dispatch_at(vn(2026, 3, 18, 8, 0)).await.expired, 1);
    assert_eq!(f.instance("HS-1").await.state, InstanceState::Expired);
    let counts = f.db.store.jobs.counts().await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<i64>(), 2, "first send + reminder, nothing else");
}

async fn sampling_frequency_cap_and_no_contact(db: TestDb) {
    let mut config = Config::default();
    config.survey.sampling_rate = 0.3;
    let f = fixture(db, config, vn(2026, 3, 9, 10, 5));
    let batch: Vec<Dossier> =
        (0..300).map(|i| dossier(&format!("HS-{i}"), vn(2026, 3, 9, 10, 0), Some(&format!("u{i}")), None)).collect();
    f.store(&batch).await;
    let scheduled = f.db.store.surveys.count_instances(InstanceState::Scheduled).await.unwrap();
    let skipped = f.db.store.surveys.count_instances(InstanceState::Skipped).await.unwrap();
    assert_eq!(scheduled + skipped, 300);
    assert!((60..=120).contains(&scheduled), "{scheduled} of 300 sampled at 30%");
    let planner = f.service.planner();
    for d in &batch {
        let instance = f.instance(&d.code).await;
        let expected =
            if planner.policy.is_sampled(&d.code) { InstanceState::Scheduled } else { InstanceState::Skipped };
        assert_eq!(instance.state, expected, "{}", d.code);
        if expected == InstanceState::Skipped {
            assert_eq!(instance.skip_reason, Some(SkipReason::NotSampled));
        }
    }

    let everyone = fixture(TestDb::sqlite().await, Config::default(), vn(2026, 3, 9, 10, 5));
    everyone
        .store(&[
            dossier("A", vn(2026, 3, 9, 10, 0), Some("111"), Some("84912345678")),
            dossier("B", vn(2026, 3, 9, 11, 0), Some("111"), None),
            dossier("C", vn(2026, 3, 9, 12, 0), None, Some("84912345678")),
            dossier("D", vn(2026, 3, 9, 12, 0), None, None),
            dossier("E", vn(2026, 3, 9, 12, 0), Some("222"), None),
        ])
        .await;
    let reason = |i: SurveyInstance| (i.state, i.skip_reason);
    assert_eq!(reason(everyone.instance("A").await), (InstanceState::Scheduled, None));
    assert_eq!(
        reason(everyone.instance("B").await),
        (InstanceState::Skipped, Some(SkipReason::FrequencyCap)),
        "same Zalo user"
    );
    assert_eq!(
        reason(everyone.instance("C").await),
        (InstanceState::Skipped, Some(SkipReason::FrequencyCap)),
        "same phone"
    );
    assert_eq!(reason(everyone.instance("D").await), (InstanceState::Skipped, Some(SkipReason::NoContact)));
    assert_eq!(reason(everyone.instance("E").await), (InstanceState::Scheduled, None));
    // 31 days after A was sent (Tue 10/03 10:00), the citizen may be surveyed again.
    everyone.dispatch_at(vn(2026, 3, 10, 10, 0)).await;
    everyone.clock.set(vn(2026, 4, 9, 10, 0));
    everyone.store(&[dossier("F", vn(2026, 4, 9, 9, 0), Some("111"), None)]).await;
    assert_eq!(reason(everyone.instance("F").await), (InstanceState::Scheduled, None));
}

async fn opting_out_skips_now_and_later(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[
        dossier("A", vn(2026, 3, 9, 10, 0), Some("111"), Some("84912345678")),
        dossier("B", vn(2026, 3, 9, 10, 0), Some("222"), None),
    ])
    .await;
    assert!(tongdai::surveys::is_opt_out("Dừng khảo sát"));
    let reply = f.service.opt_out_in_chat("111", f.now()).await.unwrap();
    assert!(reply.display_text().contains("không nhận khảo sát"), "{}", reply.display_text());
    let a = f.instance("A").await;
    assert_eq!((a.state, a.skip_reason), (InstanceState::Skipped, Some(SkipReason::OptedOut)));
    assert_eq!(f.instance("B").await.state, InstanceState::Scheduled);
    f.clock.set(vn(2026, 4, 20, 10, 0));
    f.store(&[
        dossier("C", vn(2026, 4, 20, 9, 0), Some("111"), None),
        dossier("D", vn(2026, 4, 20, 9, 0), None, Some("84912345678")),
    ])
    .await;
    assert_eq!(f.instance("C").await.skip_reason, Some(SkipReason::OptedOut), "future dossiers are skipped");
    assert_eq!(f.instance("D").await.skip_reason, Some(SkipReason::OptedOut), "also by the phone on their dossiers");
}

async fn chat_survey_by_buttons_and_typed_text(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[
        dossier("A", vn(2026, 3, 9, 10, 0), Some("111"), None),
        dossier("B", vn(2026, 3, 9, 10, 0), Some("222"), None),
    ])
    .await;
    f.dispatch_at(vn(2026, 3, 10, 10, 0)).await;
    let now = vn(2026, 3, 10, 10, 30);
    f.clock.set(now);
    let a = f.instance("A").await;
    let b = f.instance("B").await;

    // A forged payload: B's token from A's account; and a value outside the scale.
    let forged = f.service.handle_chat("111", &format!("#ks:{}:Q_TC:5", b.token), now).await.unwrap();
    assert!(matches!(&forged, ChatResult::Reply(m) if m.display_text().contains("không thuộc")), "{forged:?}");
    let out_of_scale = f.service.handle_chat("111", &format!("#ks:{}:Q_TC:9", a.token), now).await.unwrap();
    assert!(matches!(&out_of_scale, ChatResult::Reply(m) if m.display_text().contains("không có trong thang")));
    assert!(f.db.store.surveys.answers(a.id).await.unwrap().is_empty());
    assert!(f.db.store.surveys.answers(b.id).await.unwrap().is_empty(), "the forged tap changed nothing");
    assert_eq!(f.service.handle_chat("999", "5", now).await.unwrap(), ChatResult::NotSurvey);

    // A answers every question with buttons, then writes a suggestion.
    let mut message = f.send_request(&format!("survey:{}:first", a.id)).await.message;
    for _ in 0..6 {
        let payload = button_payloads(&message).into_iter().find(|(t, _)| t == "Hài lòng").unwrap().1;
        match f.service.handle_chat("111", &payload, now).await.unwrap() {
            ChatResult::Reply(next) => message = next,
            other => panic!("{other:?}"),
        }
    }
    assert!(message.display_text().contains("góp ý"), "{}", message.display_text());
    assert_eq!(button_payloads(&message)[0].0, "Bỏ qua");
    assert_eq!(f.instance("A").await.state, InstanceState::Answered);
    let thanks = f.service.handle_chat("111", "Cán bộ rất nhiệt tình.", now).await.unwrap();
    assert!(matches!(&thanks, ChatResult::Reply(m) if m.display_text().contains("cảm ơn")), "{thanks:?}");
    let answers = f.db.store.surveys.answers(a.id).await.unwrap();
    assert_eq!(answers.len(), 7);
    assert!(answers[..6].iter().all(|x| x.value == AnswerValue::Score(4) && x.channel == AnswerChannel::Chat));
    assert_eq!(answers[6].value, AnswerValue::Text("Cán bộ rất nhiệt tình.".into()));
    assert_eq!(f.service.handle_chat("111", "xin chào", now).await.unwrap(), ChatResult::NotSurvey, "survey over");
    let late_tap = f.service.handle_chat("111", &format!("#ks:{}:Q_TC:1", a.token), now).await.unwrap();
    assert!(matches!(&late_tap, ChatResult::Reply(m) if m.display_text().contains("đã hoàn thành")), "{late_tap:?}");

    // B types everything, without diacritics, and skips the suggestion.
    let typed = ["5", "rat hai long", "hai long", "4 sao", "binh thuong", "khong hai long", "bo qua"];
    for text in typed {
        let result = f.service.handle_chat("222", text, now).await.unwrap();
        assert!(matches!(result, ChatResult::Reply(_)), "{text}: {result:?}");
    }
    let values: Vec<AnswerValue> =
        f.db.store.surveys.answers(b.id).await.unwrap().into_iter().map(|x| x.value).collect();
    assert_eq!(values, [5, 5, 4, 4, 3, 2].map(AnswerValue::Score));
    let b = f.instance("B").await;
    assert_eq!((b.state, b.chat_step), (InstanceState::Answered, None));

    // An expired survey says so.
    f.store(&[dossier("C", vn(2026, 3, 10, 10, 0), Some("333"), None)]).await;
    f.dispatch_at(vn(2026, 3, 11, 10, 0)).await;
    let c = f.instance("C").await;
    let expired =
        f.service.handle_chat("333", &format!("#ks:{}:Q_TC:5", c.token), vn(2026, 3, 18, 10, 0)).await.unwrap();
    assert!(matches!(&expired, ChatResult::Reply(m) if m.display_text().contains("hết hạn")), "{expired:?}");
    assert_eq!(f.service.handle_chat("333", "5", vn(2026, 3, 18, 10, 0)).await.unwrap(), ChatResult::NotSurvey);
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn form_post(path: &str, fields: &[(String, String)]) -> Request<Body> {
    let body: String =
        fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&");
    Request::post(path).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body)).unwrap()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn web_form_accepts_one_submission(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[dossier("A", vn(2026, 3, 9, 10, 0), Some("111"), None)]).await;
    f.dispatch_at(vn(2026, 3, 10, 10, 0)).await;
    let a = f.instance("A").await;
    let path = form_path(&f.send_request(&format!("survey:{}:first", a.id)).await);
    let router = tongdai::web::router(f.state.clone());

    let (status, page) = call(&router, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html lang=\"vi\">") && page.contains("Tiếp cận dịch vụ hành chính công"), "{page}");
    assert!(page.contains("name=\"q_C9.15\" value=\"5\"") && page.contains("maxlength=\"2000\""));
    assert!(page.contains("?opt_out=1") && !page.contains("<script"));

    let survey = f.service.web_survey();
    let mut fields: Vec<(String, String)> =
        survey.questions.iter().filter(|q| q.required).map(|q| (format!("q_{}", q.code()), "4".to_owned())).collect();
    let incomplete: Vec<(String, String)> = fields.iter().skip(1).cloned().collect();
    let (status, page) = call(&router, form_post(&path, &incomplete)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Vui lòng chọn một mức trả lời."), "{page}");
    assert!(page.contains("value=\"4\" checked"), "earlier answers are kept");
    assert!(f.db.store.surveys.answers(a.id).await.unwrap().is_empty());

    fields.push(("t_Y_KIEN_KHAC".into(), "Nên có thêm chỗ để xe <b>".into()));
    let (status, page) = call(&router, form_post(&path, &fields)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("đã được ghi nhận"), "{page}");
    let (status, page) = call(&router, form_post(&path, &fields)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("đã được trả lời"), "a second submission is refused: {page}");
    let (_, page) = call(&router, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert!(page.contains("đã được trả lời"));
    let answers = f.db.store.surveys.answers(a.id).await.unwrap();
    assert_eq!(answers.len(), 20);
    assert!(answers.iter().all(|x| x.channel == AnswerChannel::Web && x.survey_id == "sipas-2022-service"));
    let instance = f.instance("A").await;
    assert_eq!((instance.state, instance.answer_channel), (InstanceState::Answered, Some(AnswerChannel::Web)));

    // Change a character inside the signature (the last character of base64 may carry only
    // padding bits, so changing it could leave the decoded bytes as they were).
    let mut forged: Vec<char> = path.chars().collect();
    let at = forged.len() - 6;
    forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (status, _) = call(&router, Request::get(&forged).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn web_form_expiry_and_opt_out(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[
        dossier("A", vn(2026, 3, 9, 10, 0), Some("111"), Some("84912345678")),
        dossier("B", vn(2026, 3, 9, 10, 0), Some("222"), None),
    ])
    .await;
    f.dispatch_at(vn(2026, 3, 10, 10, 0)).await;
    let router = tongdai::web::router(f.state.clone());
    let a = f.instance("A").await;
    let path = form_path(&f.send_request(&format!("survey:{}:first", a.id)).await);
    f.clock.set(vn(2026, 3, 17, 10, 0));
    let (status, page) = call(&router, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("hết hạn"));

    let b = f.instance("B").await;
    let path = form_path(&f.send_request(&format!("survey:{}:first", b.id)).await);
    f.clock.set(vn(2026, 3, 11, 10, 0));
    let (status, page) = call(&router, Request::get(format!("{path}?opt_out=1")).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"_action\" value=\"opt_out\""), "{page}");
    assert!(!f.db.store.surveys.is_opted_out(Some("222"), None).await.unwrap(), "a GET changes nothing");
    let (status, page) = call(&router, form_post(&path, &[("_action".into(), "opt_out".into())])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đã ngừng nhận khảo sát"), "{page}");
    assert!(f.db.store.surveys.is_opted_out(Some("222"), None).await.unwrap());
}

async fn zns_rating_is_matched_by_tracking_id(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 10, 5));
    f.store(&[dossier("A", vn(2026, 3, 9, 10, 0), None, Some("84912345678"))]).await;
    f.dispatch_at(vn(2026, 3, 10, 10, 0)).await;
    let a = f.instance("A").await;
    let now = vn(2026, 3, 10, 12, 0);
    let feedback = |tracking: &str, rate: Option<u8>| Feedback {
        tracking_id: Some(tracking.to_owned()),
        msg_id: Some("7e4c33cfc20b05575c18".into()),
        rate,
        note: Some("Tôi rất hài lòng.".into()),
        ..Feedback::default()
    };
    assert_eq!(f.service.record_feedback(&feedback(&a.token, Some(5)), now).await.unwrap(), FeedbackOutcome::Stored);
    let answers = f.db.store.surveys.answers(a.id).await.unwrap();
    let values: Vec<(&str, &AnswerValue, AnswerChannel)> =
        answers.iter().map(|x| (x.question_code.as_str(), &x.value, x.channel)).collect();
    assert_eq!(
        values,
        [
            ("Q_CHUNG", &AnswerValue::Score(5), AnswerChannel::Zns),
            ("GOP_Y", &AnswerValue::Text("Tôi rất hài lòng.".into()), AnswerChannel::Zns)
        ]
    );
    assert_eq!(answers[0].agency_code, "H27.12");
    assert_eq!(
        f.service.record_feedback(&feedback(&a.token, Some(1)), now).await.unwrap(),
        FeedbackOutcome::AlreadyAnswered
    );
    assert_eq!(f.db.store.surveys.answers(a.id).await.unwrap().len(), 2);
    assert_eq!(
        f.service.record_feedback(&feedback("order-88213", Some(4)), now).await.unwrap(),
        FeedbackOutcome::Unmatched
    );
    let unmatched = f.db.store.surveys.list_unmatched_feedback(10).await.unwrap();
    assert_eq!(unmatched[0].tracking_id.as_deref(), Some("order-88213"));
    assert_eq!(unmatched[0].rate, Some(4));
}

fn api_router(state: AppState) -> Router {
    Router::new().route("/api/v1/dossiers", post(tongdai::web::api_dossiers::post_dossiers)).with_state(state)
}

fn api_row(code: &str) -> Value {
    json!({
        "code": code, "procedure_code": "1.001766", "procedure_name": "Đăng ký khai sinh", "field": "Hộ tịch",
        "agency_code": "H27.12", "agency_name": "UBND phường I", "level": "xã",
        "received_at": "2026-03-05T08:00:00+07:00", "completed_at": "2026-03-09T10:00:00+07:00",
        "channel": "truc_tuyen", "citizen_name": "Trần Thị Bình", "phone": "0987654321"
    })
}

fn post_json(body: &Value) -> Request<Body> {
    Request::post("/api/v1/dossiers")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn dossier_api_reports_each_row(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 11, 0));
    let router = api_router(f.state.clone());
    let mut bad = api_row("HS-2");
    bad["level"] = json!("phường");
    bad["phone"] = json!("12345");
    bad.as_object_mut().unwrap().remove("field");
    let body = json!({"dossiers": [api_row("HS-1"), bad, api_row("HS-1"), 42]});
    let (status, text) = call(&router, post_json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let response: Value = serde_json::from_str(&text).unwrap();
    let results = response["results"].as_array().unwrap();
    assert_eq!(results[0], json!({"index": 0, "code": "HS-1", "status": "created"}));
    assert_eq!(results[1]["status"], "error");
    assert_eq!(results[1]["code"], "HS-2");
    let fields: Vec<&str> =
        results[1]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["field", "level", "phone"]);
    assert!(results[1]["errors"][0]["message"].as_str().unwrap().contains("bắt buộc"));
    assert_eq!(results[2]["status"], "error");
    assert!(results[2]["errors"][0]["message"].as_str().unwrap().contains("trùng"), "{}", results[2]);
    assert_eq!(results[3]["status"], "error");
    assert_eq!(response["summary"], json!({"created": 1, "updated": 0, "unchanged": 0, "error": 3}));

    let instance = f.instance("HS-1").await;
    let mut changed = api_row("HS-1");
    changed["citizen_name"] = json!("Trần Thị Bình An");
    let (_, text) = call(&router, post_json(&json!({"dossiers": [api_row("HS-1")]}))).await;
    assert!(text.contains("\"status\":\"unchanged\""), "{text}");
    let (_, text) = call(&router, post_json(&json!({"dossiers": [changed]}))).await;
    assert!(text.contains("\"status\":\"updated\""), "{text}");
    let again = f.instance("HS-1").await;
    assert_eq!((again.id, again.token), (instance.id, instance.token), "never a second survey");
    assert_eq!(
        f.db.store.surveys.dossier("HS-1").await.unwrap().unwrap().citizen_name.as_deref(),
        Some("Trần Thị Bình An")
    );

    let (status, text) = call(&router, Request::post("/api/v1/dossiers").body(Body::from("{not json")).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, _) = call(&router, post_json(&json!({"rows": []}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let too_many: Vec<Value> = (0..1001).map(|i| api_row(&format!("X-{i}"))).collect();
    let (status, text) = call(&router, post_json(&json!({"dossiers": too_many}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("at most 1000"), "{text}");
}

async fn csv_import_is_all_or_nothing(db: TestDb) {
    let f = fixture(db, Config::default(), vn(2026, 3, 9, 11, 0));
    let dir = std::env::temp_dir().join(format!("tongdai_csv_{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = "Mã hồ sơ,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mã cơ quan,Tên cơ quan,Cấp,Ngày tiếp nhận,Ngày hoàn thành,Hình thức,Họ tên,Số điện thoại,zalo_user_id";
    let row = |code: &str, level: &str| {
        format!("{code},1.001,\"Cấp bản sao, chứng thực\",Chứng thực,H27.12,\"UBND \"\"phường I\"\"\",{level},2026-03-05T08:00:00+07:00,2026-03-09T10:00:00+07:00,trực tiếp,Lê Văn Cường,0912345678,")
    };
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, format!("\u{feff}{header}\r\n{}\r\n{}\r\n", row("HS-1", "xã"), row("HS-2", "ấp"))).unwrap();
    let clock: SharedClock = f.clock.clone();
    let report = tongdai::surveys::import_cli::import_file(&f.service, &bad, &clock).await.unwrap();
    let tongdai::surveys::import_cli::ImportReport::Rejected(problems) = report else { panic!("{report:?}") };
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().starts_with("dòng 3, cột G (Cấp): \"ấp\" không hợp lệ"), "{}", problems[0]);
    assert_eq!(f.db.store.surveys.dossier("HS-1").await.unwrap(), None, "nothing imported");

    let good = dir.join("good.csv");
    std::fs::write(&good, format!("\u{feff}{header}\r\n{}\r\n{}\r\n", row("HS-1", "xã"), row("HS-2", "Huyện")))
        .unwrap();
    let report = tongdai::surveys::import_cli::import_file(&f.service, &good, &clock).await.unwrap();
    assert_eq!(report, tongdai::surveys::import_cli::ImportReport::Imported { created: 2, updated: 0, unchanged: 0 });
    let stored = f.db.store.surveys.dossier("HS-1").await.unwrap().unwrap();
    assert_eq!(
        (stored.procedure_name.as_str(), stored.agency_name.as_str()),
        ("Cấp bản sao, chứng thực", "UBND \"phường I\"")
    );
    assert_eq!(f.instance("HS-2").await.skip_reason, Some(SkipReason::FrequencyCap), "same phone as HS-1");
    std::fs::remove_dir_all(&dir).unwrap();
}

on_both_backends!(
    policy_delay_window_reminder_and_expiry,
    sampling_frequency_cap_and_no_contact,
    opting_out_skips_now_and_later,
    chat_survey_by_buttons_and_typed_text,
    web_form_accepts_one_submission,
    web_form_expiry_and_opt_out,
    zns_rating_is_matched_by_tracking_id,
    dossier_api_reports_each_row,
    csv_import_is_all_or_nothing,
);

/// Two dispatchers (two connection pools, as two instances would have) race over 10,000 due
/// surveys: every survey is sent by exactly one of them, with exactly one job.
#[cfg_attr(not(pg_tests), ignore = "PostgreSQL variant: set TONGDAI_TEST_POSTGRES_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_dispatchers_on_postgres_send_each_survey_once() {
    const N: usize = 10_000;
    let db = TestDb::postgres().await;
    let config = Config::default();
    let start = vn(2026, 3, 9, 10, 5);
    let service_a = Arc::new(crate::support::survey_service(&db, &config));
    let batch: Vec<Dossier> = (0..N)
        .map(|i| dossier(&format!("HS-{i:05}"), vn(2026, 3, 9, 10, 0), Some(&format!("{}", 1_000_000 + i)), None))
        .collect();
    let started = std::time::Instant::now();
    service_a.store_dossiers(&batch, start, &|| {}).await.unwrap();
    eprintln!("stored {N} dossiers in {:?}", started.elapsed());
    assert_eq!(db.store.surveys.count_instances(InstanceState::Scheduled).await.unwrap(), N as i64);

    let second = db.another_connection().await;
    let service_b = Arc::new(crate::support::survey_service_on(&second, &config));
    let due = vn(2026, 3, 10, 10, 0);
    let run = |service: Arc<SurveyService>| {
        tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let report = service.dispatch_batch(due, 100).await.unwrap();
                sent += report.sent;
                if report.claimed == 0 {
                    return sent;
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(run(service_a), run(service_b));
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("dispatched {N} surveys with two dispatchers in {:?} ({a} + {b})", started.elapsed());
    assert_eq!(a + b, N, "every survey sent exactly once in total");
    assert!(a > 0 && b > 0, "both dispatchers took part ({a} + {b})");
    assert_eq!(db.store.surveys.count_instances(InstanceState::Sent).await.unwrap(), N as i64);
    let jobs = db.store.jobs.list(JobState::Available, 2 * N as u32).await.unwrap();
    assert_eq!(jobs.len(), N);
    let keys: BTreeSet<String> = jobs.into_iter().filter_map(|j| j.unique_key).collect();
    assert_eq!(keys.len(), N, "one job per survey, each with its own key");
    assert!(keys.iter().all(|k| k.starts_with("survey:") && k.ends_with(":first")));
}

/// `tongdai dossiers import`: a file with an error imports nothing and exits 1 with a report
/// naming line and column; a valid file is imported whole, and importing it again changes nothing.
#[test]
fn dossiers_import_command_reports_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("tongdai_import_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = tongdai::surveys::dossiers::FIELDS.join(",");
    let row = |code: &str, channel: &str| {
        format!("{code},1.001,Khai sinh,Hộ tịch,H27.12,UBND xã,xa,2025-01-02T08:00:00+07:00,2025-01-03T10:00:00+07:00,{channel},,0912345678,")
    };
    std::fs::write(
        dir.join("bad.csv"),
        format!("{header}\n{}\n{}\n", row("HS-1", "truc_tiep"), row("HS-2", "bưu điện")),
    )
    .unwrap();
    std::fs::write(
        dir.join("good.csv"),
        format!("\u{feff}{header}\r\n{}\r\n{}\r\n", row("HS-1", "truc_tiep"), row("HS-2", "trực tuyến")),
    )
    .unwrap();
    let run = |file: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tongdai"));
        command.current_dir(&dir).args(["dossiers", "import", file]);
        for (key, _) in std::env::vars() {
            if key.starts_with("TONGDAI_") {
                command.env_remove(key);
            }
        }
        command.output().unwrap()
    };
    let out = run("bad.csv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 lỗi, không nhập hồ sơ nào"), "{stderr}");
    assert!(stderr.contains("dòng 3, cột J (channel): \"bưu điện\" không hợp lệ"), "{stderr}");
    let out = run("good.csv");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("đã nhập 2 hồ sơ: 2 mới, 0 cập nhật, 0 không đổi"));
    let out = run("good.csv");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 không đổi"), "{}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_dir_all(dir);
}

//! The `zalo.send` handler against the fake Zalo: long texts in parts with a retry in the middle
//! sending no part twice, a token rejected mid-sending recovered by one refresh, the whole OA
//! slowing down after -32/429, the fallback chain after -230 (ZBS, ZNS, hold, drop), held messages
//! released once, permanent errors, and the handler registered by `run_until_shutdown`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tongdai::clock::{Clock, ManualClock, SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::jobs::{Job, JobError, JobHandler, JobState};
use tongdai::zalo::outbound::{OutboundMessage, SendRequest, TemplateFallback, TemplatePurpose, Unreachable};
use tongdai::zalo::records::{OutboundChannel, OutboundStatus};
use tongdai::zalo::sender::{cs_requests, Delivery};
use tongdai::zalo::service::ZaloServices;

use crate::fake_zalo::{config_for, Answer, FakeZalo, CS, OAUTH, ZBS, ZNS};
use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 2, 0, 0).unwrap()
}

struct Rig {
    fake: FakeZalo,
    clock: Arc<ManualClock>,
    zalo: ZaloServices,
}

async fn rig(db: &TestDb, configure: impl FnOnce(&mut Config)) -> Rig {
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "rt-0");
    let mut config = config_for(&fake);
    configure(&mut config);
    let clock = Arc::new(ManualClock::new(t0()));
    let zalo = tongdai::zalo::service::build(&config, &db.store, clock.clone()).unwrap();
    zalo.tokens.bootstrap("at-0", "rt-0").await.unwrap();
    Rig { fake, clock, zalo }
}

async fn job(db: &TestDb, key: &str, request: SendRequest) -> Job {
    let id = db.store.jobs.enqueue(&request.into_job(key, 5), t0()).await.unwrap().id();
    db.store.jobs.get(id).await.unwrap().unwrap()
}

fn long_text() -> String {
    "Sở Nội vụ đã tiếp nhận phản ánh của Ông/Bà và sẽ trả lời trong 5 ngày làm việc. ".repeat(60)
}

fn reply_with_template(user_id: &str, text: &str, if_unreachable: Unreachable) -> SendRequest {
    SendRequest {
        template: Some(TemplateFallback {
            purpose: TemplatePurpose::TicketReply,
            data: BTreeMap::from([("ma_phan_anh".to_owned(), "PA-2026-000123".to_owned())]),
            tracking_id: Some("pa-2026-000123".into()),
        }),
        if_unreachable,
        reference: Some("PA-2026-000123".into()),
        then: Vec::new(),
        ..SendRequest::chat(user_id, OutboundMessage::text(text), "ticket_reply")
    }
}

fn expected_parts(user_id: &str, text: &str) -> Vec<String> {
    cs_requests(user_id, &OutboundMessage::text(text))
        .unwrap()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap()["message"]["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_long_text_goes_in_parts_and_a_retry_sends_no_part_twice(db: TestDb) {
    let rig = rig(&db, |_| {}).await;
    db.store.citizens.record_interaction("u1", t0() - Duration::hours(3)).await.unwrap();
    let text = long_text();
    let parts = expected_parts("u1", &text);
    assert_eq!(parts.len(), 3, "about 4,900 characters");
    rig.fake.script(CS, [Answer::Ok, Answer::Status(503)]);
    let send = job(&db, "reply:1", SendRequest::chat("u1", OutboundMessage::text(text), "ticket_reply")).await;

    let first = rig.zalo.sender.run(&send).await.unwrap_err();
    assert!(matches!(&first, JobError::Retry(m) if m.contains("HTTP 503")), "{first:?}");
    assert_eq!(rig.fake.delivered_texts(), parts[..1]);
    rig.zalo.sender.run(&send).await.unwrap();
    assert_eq!(rig.fake.delivered_texts(), parts, "every part once, in order");
    // A third run (e.g. the completion was lost) sends nothing more.
    rig.zalo.sender.run(&send).await.unwrap();
    assert_eq!(rig.fake.delivered_texts(), parts);

    let records = db.store.zalo_outbound.records_for_job(send.id).await.unwrap();
    let summary: Vec<(u32, OutboundStatus, Option<String>)> =
        records.iter().map(|r| (r.record.part, r.record.status, r.record.zalo_message_id.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (0, OutboundStatus::Sent, Some("msg-1".into())),
            (1, OutboundStatus::Failed, None),
            (1, OutboundStatus::Sent, Some("msg-2".into())),
            (2, OutboundStatus::Sent, Some("msg-3".into())),
        ]
    );
    assert!(records.iter().all(|r| r.record.channel == OutboundChannel::Cs && r.record.purpose == "ticket_reply"));
}

async fn a_token_rejected_mid_sending_is_refreshed_once_without_losing_or_duplicating(db: TestDb) {
    let rig = rig(&db, |_| {}).await;
    db.store.citizens.record_interaction("u1", t0() - Duration::hours(1)).await.unwrap();
    let text = long_text();
    // The first part goes through, then the access token "expires" (-216).
    rig.fake.script(CS, [Answer::SucceedThenRevokeTokens]);
    let send = job(&db, "reply:2", SendRequest::chat("u1", OutboundMessage::text(text.clone()), "bot_reply")).await;
    rig.zalo.sender.run(&send).await.unwrap();
    assert_eq!(rig.fake.delivered_texts(), expected_parts("u1", &text));
    assert_eq!(rig.fake.oauth_calls(), 1, "one refresh");
    let tokens: Vec<Option<String>> = rig.fake.received(CS).into_iter().map(|r| r.access_token).collect();
    let expected = ["at-0", "at-0", "at-1", "at-1"].map(|t| Some(t.to_owned()));
    assert_eq!(tokens, expected, "the rejected part is retried once with the new token");
    assert_eq!(rig.zalo.tokens.access_token().await.unwrap().token.expose(), "at-1");
}

async fn a_rate_limit_answer_slows_down_every_send(db: TestDb) {
    let rig = rig(&db, |_| {}).await;
    for user in ["u1", "u2", "u3"] {
        db.store.citizens.record_interaction(user, t0()).await.unwrap();
    }
    rig.fake.script(CS, [Answer::ZaloError(-32, "Your OA reached limit call api")]);
    let first = job(&db, "a", SendRequest::chat("u1", OutboundMessage::text("một"), "bot_reply")).await;
    let second = job(&db, "b", SendRequest::chat("u2", OutboundMessage::text("hai"), "bot_reply")).await;

    let err = rig.zalo.sender.run(&first).await.unwrap_err();
    let JobError::RetryAfter(message, after) = &err else { panic!("{err:?}") };
    assert!(message.contains("Zalo -32"), "{message}");
    assert_eq!(*after, Duration::seconds(60));
    rig.clock.advance(Duration::seconds(20));
    let err = rig.zalo.sender.run(&second).await.unwrap_err();
    assert!(matches!(err, JobError::RetryAfter(_, after) if after == Duration::seconds(40)), "{err:?}");
    assert_eq!(rig.fake.received(CS).len(), 1, "paused: the second send did not reach Zalo");

    rig.clock.advance(Duration::seconds(41));
    rig.zalo.sender.run(&second).await.unwrap();
    rig.zalo.sender.run(&first).await.unwrap();
    assert_eq!(rig.fake.delivered_texts(), vec!["hai", "một"]);

    // HTTP 429 with Retry-After pauses for that long.
    rig.fake.script(CS, [Answer::TooManyRequests { retry_after_secs: 7 }]);
    let third = job(&db, "c", SendRequest::chat("u3", OutboundMessage::text("ba"), "bot_reply")).await;
    let err = rig.zalo.sender.run(&third).await.unwrap_err();
    assert!(matches!(err, JobError::RetryAfter(_, after) if after == Duration::seconds(7)), "{err:?}");
    assert!(rig.zalo.api.limiter().paused_until(rig.clock.now()).is_some());
}

async fn outside_the_window_falls_back_to_zbs_then_zns_then_hold(db: TestDb) {
    // ZBS configured: the chat message answered -230 becomes a ZBS template.
    let with_zbs = rig(&db, |c| c.zalo.zbs_reply_template_id = "zbs-reply".into()).await;
    db.store.citizens.record_interaction("u1", t0() - Duration::days(6)).await.unwrap();
    with_zbs.fake.script(CS, [Answer::ZaloError(-230, "User has not interacted with the OA in the past 7 days")]);
    let request = reply_with_template("u1", "Phản ánh PA-2026-000123 đã có kết quả.", Unreachable::Drop);
    let send = job(&db, "fallback:1", request.clone()).await;
    assert_eq!(with_zbs.zalo.sender.deliver(send.id, 5, &request).await.unwrap(), Delivery::Sent(OutboundChannel::Zbs));
    let zbs = with_zbs.fake.received(ZBS);
    assert_eq!(zbs[0].body["template_id"], "zbs-reply");
    assert_eq!(zbs[0].body["template_data"]["ma_phan_anh"], "PA-2026-000123");
    let records = db.store.zalo_outbound.records_for_job(send.id).await.unwrap();
    assert_eq!(records[0].record.error_code, Some(-230));
    assert_eq!((records[1].record.channel, records[1].record.status), (OutboundChannel::Zbs, OutboundStatus::Sent));
    let found = db.store.zalo_outbound.find_by_message_id("msg-1").await.unwrap().unwrap();
    assert_eq!(found.record.reference.as_deref(), Some("PA-2026-000123"));
    assert_eq!(with_zbs.zalo.sender.deliver(send.id, 5, &request).await.unwrap(), Delivery::AlreadyDone);
    assert_eq!(with_zbs.fake.received(ZBS).len(), 1);

    // Only ZNS configured: the citizen's phone is used, normalised, and never stored in clear.
    let with_zns = rig(&db, |c| {
        c.zalo.zns_reply_template_id = "zns-reply".into();
        c.zalo.zns_development_mode = true;
    })
    .await;
    db.store.citizens.set_contact("u1", None, Some("0912 345 678"), t0()).await.unwrap();
    with_zns.fake.script(CS, [Answer::ZaloError(-232, "User has not interacted with the OA")]);
    let send = job(&db, "fallback:2", request.clone()).await;
    with_zns.zalo.sender.run(&send).await.unwrap();
    let zns = with_zns.fake.received(ZNS);
    assert_eq!(zns[0].body["phone"], "84912345678");
    assert_eq!(zns[0].body["tracking_id"], "pa-2026-000123");
    assert_eq!(zns[0].body["mode"], "development");
    let found = db.store.zalo_outbound.find_by_tracking_id("pa-2026-000123").await.unwrap().unwrap();
    assert_eq!(found.record.phone_masked.as_deref(), Some("849******78"));
    assert_eq!(found.record.zalo_message_id.as_deref(), Some("zns-1"));

    // No template configured: held until the citizen writes, or dropped.
    let bare = rig(&db, |_| {}).await;
    bare.fake.script(CS, [Answer::ZaloError(-230, "outside"), Answer::ZaloError(-230, "outside")]);
    let hold = reply_with_template("u1", "Kết quả xử lý phản ánh", Unreachable::HoldUntilNextMessage);
    let send = job(&db, "fallback:3", hold.clone()).await;
    let Delivery::Held(held_id) = bare.zalo.sender.deliver(send.id, 5, &hold).await.unwrap() else { panic!() };
    assert_eq!(bare.zalo.sender.deliver(send.id, 5, &hold).await.unwrap(), Delivery::AlreadyDone);
    let held = db.store.zalo_outbound.held_for("u1").await.unwrap();
    assert_eq!(held.iter().map(|h| h.id).collect::<Vec<_>>(), vec![held_id]);
    let drop = reply_with_template("u1", "Tin nhắn tự động", Unreachable::Drop);
    let send = job(&db, "fallback:4", drop.clone()).await;
    assert_eq!(bare.zalo.sender.deliver(send.id, 5, &drop).await.unwrap(), Delivery::Undeliverable);
    let records = db.store.zalo_outbound.records_for_job(send.id).await.unwrap();
    assert_eq!(records.last().unwrap().record.status, OutboundStatus::Undeliverable);
    assert_eq!(bare.fake.received(CS).len(), 2);
}

async fn held_messages_are_delivered_once_after_the_citizen_writes(db: TestDb) {
    let rig = rig(&db, |_| {}).await;
    db.store.citizens.record_interaction("u7", t0() - Duration::days(10)).await.unwrap();
    let request = SendRequest {
        if_unreachable: Unreachable::HoldUntilNextMessage,
        ..SendRequest::chat("u7", OutboundMessage::text("Cán bộ đã trả lời phản ánh của Ông/Bà."), "ticket_reply")
    };
    let send = job(&db, "held:source", request).await;
    rig.zalo.sender.run(&send).await.unwrap();
    assert!(rig.fake.received(CS).is_empty(), "outside the window nothing is tried");

    let wrote_at = t0() + Duration::days(1);
    rig.clock.set(wrote_at);
    db.store.citizens.record_interaction("u7", wrote_at).await.unwrap();
    let released = db.store.zalo_outbound.release_held("u7", wrote_at).await.unwrap();
    assert_eq!(released.len(), 1);
    assert!(db.store.zalo_outbound.release_held("u7", wrote_at).await.unwrap().is_empty());
    let delivery = db.store.jobs.get(released[0].id()).await.unwrap().unwrap();
    rig.zalo.sender.run(&delivery).await.unwrap();
    rig.zalo.sender.run(&delivery).await.unwrap();
    assert_eq!(rig.fake.delivered_texts(), vec!["Cán bộ đã trả lời phản ánh của Ông/Bà."]);
}

async fn permanent_failures_name_the_zalo_code(db: TestDb) {
    let rig = rig(&db, |c| c.zalo.zns_survey_template_id = "zns-survey".into()).await;
    db.store.citizens.record_interaction("u1", t0()).await.unwrap();
    rig.fake.script(CS, [Answer::ZaloError(-201, "user_id is invalid")]);
    let send = job(&db, "p1", SendRequest::chat("u1", OutboundMessage::text("Xin chào"), "bot_reply")).await;
    assert_eq!(
        rig.zalo.sender.run(&send).await.unwrap_err(),
        JobError::Permanent("Zalo -201: Tham số không hợp lệ (user_id is invalid)".into())
    );

    let survey = SendRequest {
        user_id: None,
        phone: Some("024 3825 1234".into()),
        template: Some(TemplateFallback { purpose: TemplatePurpose::Survey, data: BTreeMap::new(), tracking_id: None }),
        ..SendRequest::chat("unused", OutboundMessage::text("Khảo sát"), "survey")
    };
    let send = job(&db, "p2", survey).await;
    let err = rig.zalo.sender.run(&send).await.unwrap_err();
    assert!(matches!(&err, JobError::Permanent(m) if m.contains("số máy bàn")), "{err:?}");
    assert!(!format!("{err:?}").contains("3825"), "the phone is not echoed: {err:?}");

    let mut garbage = job(&db, "p3", SendRequest::chat("u1", OutboundMessage::text("x"), "bot_reply")).await;
    garbage.payload = serde_json::json!({"to": "nobody"});
    assert!(matches!(rig.zalo.sender.run(&garbage).await, Err(JobError::Permanent(_))));
}

async fn without_tokens_sends_wait_and_say_how_to_authorise(db: TestDb) {
    let fake = FakeZalo::start().await;
    let config = config_for(&fake);
    let clock = Arc::new(ManualClock::new(t0()));
    let zalo = tongdai::zalo::service::build(&config, &db.store, clock).unwrap();
    db.store.citizens.record_interaction("u1", t0()).await.unwrap();
    let send = job(&db, "n1", SendRequest::chat("u1", OutboundMessage::text("Xin chào"), "bot_reply")).await;
    let err = zalo.sender.run(&send).await.unwrap_err();
    let JobError::RetryAfter(message, after) = &err else { panic!("{err:?}") };
    assert!(message.contains("/zalo/oauth/start"), "{message}");
    assert_eq!(*after, Duration::minutes(5));
    assert!(fake.received(CS).is_empty());
}

on_both_backends!(
    a_long_text_goes_in_parts_and_a_retry_sends_no_part_twice,
    a_token_rejected_mid_sending_is_refreshed_once_without_losing_or_duplicating,
    a_rate_limit_answer_slows_down_every_send,
    outside_the_window_falls_back_to_zbs_then_zns_then_hold,
    held_messages_are_delivered_once_after_the_citizen_writes,
    permanent_failures_name_the_zalo_code,
    without_tokens_sends_wait_and_say_how_to_authorise,
);

/// Runs the whole service until `done` says so (or 20 s pass), then stops it.
async fn serve_until(config: Config, db: &TestDb, mut done: impl FnMut() -> bool) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let clock: SharedClock = Arc::new(SystemClock);
    let server = tokio::spawn(tongdai::app::run_until_shutdown(config, db.store.clone(), clock, listener, async {
        let _ = rx.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_sends_zalo_jobs_and_refreshes_tokens_when_zalo_is_configured() {
    let db = TestDb::sqlite().await;
    let fake = FakeZalo::start().await;
    fake.accept_tokens("at-0", "rt-0");
    let mut config = config_for(&fake);
    config.zalo.access_token = "at-0".into();
    config.zalo.refresh_token = "rt-0".into();
    config.jobs.poll_interval = tongdai::calendar::duration::HumanDuration::from_millis(20);
    db.store.citizens.record_interaction("u1", SystemClock.now()).await.unwrap();
    let request = SendRequest::chat("u1", OutboundMessage::text("Chào Ông/Bà"), "bot_reply");
    let id = db.store.jobs.enqueue(&request.into_job("wired:1", 5), SystemClock.now()).await.unwrap().id();

    serve_until(config, &db, || !fake.delivered_texts().is_empty() && fake.oauth_calls() > 0).await;
    assert_eq!(fake.delivered_texts(), vec!["Chào Ông/Bà"]);
    assert_eq!(fake.received(OAUTH).len(), 1, "the configured pair is refreshed by the tick");
    assert_eq!(db.store.jobs.get(id).await.unwrap().unwrap().state, JobState::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_app_id_zalo_jobs_wait_in_the_queue() {
    let db = TestDb::sqlite().await;
    let fake = FakeZalo::start().await;
    let mut config = config_for(&fake);
    config.zalo.app_id = String::new();
    let request = SendRequest::chat("u1", OutboundMessage::text("Chào"), "bot_reply");
    let id = db.store.jobs.enqueue(&request.into_job("unwired:1", 5), SystemClock.now()).await.unwrap().id();
    let started = std::time::Instant::now();
    serve_until(config, &db, || started.elapsed() > std::time::Duration::from_millis(500)).await;
    assert_eq!(db.store.jobs.get(id).await.unwrap().unwrap().state, JobState::Available);
    assert!(fake.received(CS).is_empty());
}

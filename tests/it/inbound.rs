//! Webhook intake and the conversation worker: signature, dedupe, durability before the ack,
//! per-citizen order, retries that block no one else, and the inbound store contract.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use tongdai::clock::{ManualClock, SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::inbound::worker::{ConversationSettings, ConversationWorker, EventProcessor, Turn};
use tongdai::inbound::WebhookSecrets;
use tongdai::jobs::NewJob;
use tongdai::store::{
    Conversation, InboundEvent, InboundState, InsertOutcome, NewInboundEvent, TurnCommit, TurnResult,
};
use tongdai::zalo::outbound::{OutboundMessage, SendRequest};
use tongdai::zalo::signature::sign;

use crate::support::{on_both_backends, TestDb};

const APP_ID: &str = "360846524940903967";
const OA_SECRET: &str = "test-oa-secret-key";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn secrets() -> WebhookSecrets {
    WebhookSecrets { app_id: APP_ID.into(), oa_secret_key: OA_SECRET.into(), oa_id: Some("388613280878808645".into()) }
}

fn text_event(user: &str, msg_id: &str, text: &str) -> Vec<u8> {
    json!({"app_id": APP_ID, "sender": {"id": user}, "user_id_by_app": "552177279717587730",
           "recipient": {"id": "388613280878808645"}, "event_name": "user_send_text",
           "message": {"text": text, "msg_id": msg_id}, "timestamp": "1754390853474"})
    .to_string()
    .into_bytes()
}

fn signed(body: &[u8]) -> String {
    let timestamp = tongdai::zalo::signature::body_timestamp(body).unwrap();
    sign(APP_ID, body, &timestamp, OA_SECRET)
}

async fn post(
    router: &axum::Router,
    body: Vec<u8>,
    signature: Option<String>,
    num_retry: Option<&str>,
) -> (StatusCode, String) {
    let mut request = Request::post("/webhooks/zalo").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("X-ZEvent-Signature", signature);
    }
    if let Some(n) = num_retry {
        request = request.header("num_retry", n);
    }
    let response = router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn router(db: &TestDb) -> axum::Router {
    tongdai::web::router(crate::support::app_state(db, Config::default(), Some(secrets())))
}

async fn a_signed_event_is_stored_once_however_often_it_is_retried(db: TestDb) {
    let router = router(&db);
    let body = text_event("246845883529197922", "msg-1", "xin chào");
    assert_eq!(post(&router, body.clone(), Some(signed(&body)), None).await.0, StatusCode::OK);
    for retry in ["1", "2", "3"] {
        let (status, answer) = post(&router, body.clone(), Some(signed(&body)), Some(retry)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(answer.contains("duplicate"), "{answer}");
    }
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 1);
    let conversation = db.store.inbound.conversation("246845883529197922").await.unwrap().unwrap();
    assert_eq!(conversation.pending, 1);
}

async fn wrong_or_missing_signatures_store_nothing(db: TestDb) {
    let router = router(&db);
    let body = text_event("246845883529197922", "msg-2", "hello");
    let forged = sign(APP_ID, &body, "1754390853474", "not-the-secret");
    assert_eq!(post(&router, body.clone(), Some(forged), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(post(&router, body.clone(), None, None).await.0, StatusCode::UNAUTHORIZED);
    let mut tampered = body.clone();
    let signature = signed(&body);
    tampered.extend_from_slice(b" ");
    assert_eq!(post(&router, tampered, Some(signature), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 0);
    assert!(db.store.inbound.list_rejected(10).await.unwrap().is_empty());
}

async fn probes_are_acknowledged_and_malformed_signed_bodies_kept(db: TestDb) {
    let router = router(&db);
    for probe in [b"{}".to_vec(), Vec::new(), br#"{"app_id":"1"}"#.to_vec()] {
        let (status, answer) = post(&router, probe, None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(answer.contains("ignored"));
    }
    let malformed = br#"{"event_name":"user_send_text","timestamp":"1754390853474","message":{"text":"#.to_vec();
    let (status, answer) = post(&router, malformed.clone(), Some(signed(&malformed)), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let kept = db.store.inbound.list_rejected(10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].raw_body, malformed, "the raw body is kept byte for byte");
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 0);
}

async fn every_sample_event_is_accepted(db: TestDb) {
    let router = router(&db);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zalo-samples");
    let mut accepted = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("api-") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let timestamp = tongdai::zalo::signature::body_timestamp(&body).unwrap_or_default();
        let signature = sign(APP_ID, &body, &timestamp, OA_SECRET);
        let (status, answer) = post(&router, body, Some(signature), None).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        accepted += 1;
    }
    assert!(accepted >= 20);
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), accepted);
}

fn event(key: &str, citizen: &str) -> NewInboundEvent {
    NewInboundEvent {
        event_key: key.into(),
        event_name: "user_send_text".into(),
        citizen_id: citizen.into(),
        raw_body: format!("{{\"k\":\"{key}\"}}").into_bytes(),
        num_retry: 0,
    }
}

async fn inbound_store_contract(db: TestDb) {
    let inbound = &db.store.inbound;
    let outcomes = inbound
        .insert_events(&[event("a", "u1"), event("b", "u1"), event("a", "u1"), event("c", "u2")], t0())
        .await
        .unwrap();
    assert!(matches!(outcomes[0], InsertOutcome::Inserted(_)));
    assert!(matches!(outcomes[1], InsertOutcome::Inserted(_)));
    assert_eq!(outcomes[2], InsertOutcome::Duplicate, "a repeat within the batch");
    let again = inbound.insert_events(&[event("b", "u1")], t0()).await.unwrap();
    assert_eq!(again, vec![InsertOutcome::Duplicate]);
    let InsertOutcome::Inserted(a_id) = outcomes[0] else { unreachable!() };
    let stored = inbound.event(a_id).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.received_at, stored.raw_body.as_slice()),
        (InboundState::Pending, t0(), &b"{\"k\":\"a\"}"[..])
    );
    assert_eq!(inbound.conversation("u1").await.unwrap().unwrap().pending, 2);

    let lease_end = t0() + Duration::minutes(1);
    let mut claimed = claimed_ids(inbound.claim_citizens("w1", 10, t0(), lease_end).await.unwrap());
    claimed.sort();
    assert_eq!(claimed, vec!["u1".to_owned(), "u2".to_owned()]);
    assert!(
        inbound.claim_citizens("w2", 10, t0(), lease_end).await.unwrap().is_empty(),
        "leased citizens are not claimed twice"
    );

    let events = inbound.pending_events("u1", 10).await.unwrap();
    assert_eq!(events.iter().map(|e| e.event_key.as_str()).collect::<Vec<_>>(), vec!["a", "b"], "oldest first");
    let turn = TurnCommit {
        citizen_id: "u1".into(),
        event_id: events[0].id,
        worker: "w2".into(),
        state: Some(json!({"step": "menu"})),
        outcome: InboundState::Processed,
        jobs: vec![NewJob::new("zalo.send", json!({"n": 1}), 5).unique("reply:a")],
        chat: Vec::new(),
        interaction_at: None,
        release: false,
    };
    assert_eq!(inbound.commit_turn(&turn, t0()).await.unwrap(), TurnResult::LeaseLost, "only the lease holder commits");
    let turn = TurnCommit { worker: "w1".into(), ..turn };
    assert_eq!(inbound.commit_turn(&turn, t0()).await.unwrap(), TurnResult::Committed);
    assert_eq!(inbound.commit_turn(&turn, t0()).await.unwrap(), TurnResult::AlreadyDone);
    let conversation = inbound.conversation("u1").await.unwrap().unwrap();
    assert_eq!((conversation.state, conversation.version, conversation.pending), (Some(json!({"step": "menu"})), 1, 1));
    let jobs = db.store.jobs.list(tongdai::jobs::JobState::Available, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "the turn's job was enqueued with it");
    assert_eq!(jobs[0].unique_key.as_deref(), Some("reply:a"));

    let retry_at = t0() + Duration::seconds(30);
    assert!(!inbound.fail_event(events[1].id, "w1", "boom", 2, retry_at, t0()).await.unwrap());
    assert!(
        inbound.claim_citizens("w1", 10, t0(), lease_end).await.unwrap().is_empty(),
        "the citizen waits for the retry"
    );
    let claimed = inbound.claim_citizens("w1", 10, retry_at, retry_at + Duration::minutes(1)).await.unwrap();
    assert_eq!(claimed_ids(claimed.clone()), vec!["u1".to_owned()]);
    assert_eq!(
        (claimed[0].state.clone(), claimed[0].version, claimed[0].pending),
        (Some(json!({"step": "menu"})), 1, 1),
        "the claim reads the leased conversation"
    );
    assert!(
        inbound.fail_event(events[1].id, "w1", "boom again", 2, retry_at, retry_at).await.unwrap(),
        "given up at max attempts"
    );
    let failed = inbound.event(events[1].id).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.attempts, failed.last_error.as_deref()),
        (InboundState::Failed, 2, Some("boom again"))
    );
    assert_eq!(inbound.conversation("u1").await.unwrap().unwrap().pending, 0);

    inbound.release_citizen("u2", "w1").await.unwrap();
    assert_eq!(claimed_ids(inbound.claim_citizens("w3", 10, t0(), lease_end).await.unwrap()), vec!["u2".to_owned()]);
    assert_eq!(inbound.count_events(InboundState::Failed).await.unwrap(), 1);
    assert_eq!(inbound.count_events(InboundState::Processed).await.unwrap(), 1);

    let id = inbound.record_rejected(b"{broken", "invalid JSON", t0()).await.unwrap();
    let rejected = inbound.list_rejected(5).await.unwrap();
    assert_eq!((rejected[0].id, rejected[0].reason.as_str(), rejected[0].received_at), (id, "invalid JSON", t0()));
}

fn turn(citizen: &str, event_id: i64, worker: &str) -> TurnCommit {
    TurnCommit {
        citizen_id: citizen.into(),
        event_id,
        worker: worker.into(),
        state: Some(json!({"seen": event_id})),
        outcome: InboundState::Processed,
        jobs: vec![NewJob::new("zalo.send", json!({"event": event_id}), 5).unique(format!("reply:{event_id}"))],
        chat: Vec::new(),
        interaction_at: None,
        release: false,
    }
}

/// Turns of several citizens committed in one transaction: each gets its own result, the
/// interaction is recorded and held messages are enqueued before the turn's reply, and the
/// last turn of a claim ends the lease.
async fn turns_commit_together_each_with_its_own_result(db: TestDb) {
    let inbound = &db.store.inbound;
    let outcomes = inbound
        .insert_events(&[event("a1", "u1"), event("a2", "u1"), event("b1", "u2"), event("c1", "u3")], t0())
        .await
        .unwrap();
    let ids: Vec<i64> = outcomes
        .iter()
        .map(|o| match o {
            InsertOutcome::Inserted(id) => *id,
            InsertOutcome::Duplicate => panic!("new events"),
        })
        .collect();
    let lease_end = t0() + Duration::minutes(1);
    let mut claimed = claimed_ids(inbound.claim_citizens("w1", 10, t0(), lease_end).await.unwrap());
    claimed.sort();
    assert_eq!(claimed, vec!["u1".to_owned(), "u2".to_owned(), "u3".to_owned()]);
    let request = SendRequest::chat_sequence("u1", vec![OutboundMessage::text("tin nhắn đã giữ")], "ticket_reply")
        .expect("one message");
    db.store.zalo_outbound.hold("u1", None, &request, 5, t0()).await.unwrap();

    let wrote_at = t0() + Duration::seconds(5);
    let turns = vec![
        TurnCommit { interaction_at: Some(wrote_at), ..turn("u1", ids[0], "w1") },
        TurnCommit { release: true, ..turn("u1", ids[1], "w1") },
        TurnCommit { release: true, ..turn("u2", ids[2], "w1") },
        // w9 does not hold u3's lease: nothing of that turn is written.
        TurnCommit { release: true, ..turn("u3", ids[3], "w9") },
    ];
    let results = inbound.commit_turns(&turns, t0()).await.all().unwrap();
    assert_eq!(
        results,
        vec![TurnResult::Committed, TurnResult::Committed, TurnResult::Committed, TurnResult::LeaseLost]
    );
    let again = inbound.commit_turns(&turns[..1], t0()).await.all().unwrap();
    assert_eq!(again, vec![TurnResult::LeaseLost], "the lease ended with u1's last turn");

    let u1 = inbound.conversation("u1").await.unwrap().unwrap();
    assert_eq!((u1.state, u1.version, u1.pending), (Some(json!({"seen": ids[1]})), 2, 0));
    assert_eq!(inbound.conversation("u3").await.unwrap().unwrap().pending, 1, "u3 untouched");
    assert_eq!(inbound.count_events(InboundState::Processed).await.unwrap(), 3);
    let citizen = db.store.citizens.get("u1").await.unwrap().expect("recorded");
    assert_eq!(citizen.last_interaction_at, Some(wrote_at));
    assert!(db.store.zalo_outbound.held_for("u1").await.unwrap().is_empty(), "released with the turn");
    let jobs = db.store.jobs.list(tongdai::jobs::JobState::Available, 10).await.unwrap();
    let keys: Vec<Option<&str>> = jobs.iter().map(|j| j.unique_key.as_deref()).collect();
    let job_id = |wanted: &dyn Fn(&str) -> bool| {
        jobs.iter().find(|j| j.unique_key.as_deref().is_some_and(wanted)).map(|j| j.id).expect("job")
    };
    let first_reply = format!("reply:{}", ids[0]);
    assert!(
        job_id(&|k| k.starts_with("held:")) < job_id(&|k| k == first_reply),
        "the held message goes out before the reply (lanes run in id order): {keys:?}"
    );
    assert_eq!(jobs.len(), 4, "three replies and the held message: {keys:?}");

    // The released citizens are claimed again by anyone; u3 still waits for w1's lease to end.
    inbound.insert_events(&[event("a3", "u1")], t0()).await.unwrap();
    let mut claimed = claimed_ids(inbound.claim_citizens("w2", 10, t0(), lease_end).await.unwrap());
    claimed.sort();
    assert_eq!(claimed, vec!["u1".to_owned()], "u1 released (and has a new event), u3 not claimable");
}

/// Records the order of events per citizen; fails on texts starting with "fail".
#[derive(Default)]
struct OrderRecorder {
    seen: Mutex<HashMap<String, Vec<String>>>,
    failures_left: Mutex<u32>,
}

#[async_trait]
impl EventProcessor for OrderRecorder {
    async fn process(
        &self,
        event: &InboundEvent,
        conversation: Option<&Conversation>,
        _now: DateTime<Utc>,
    ) -> anyhow::Result<Turn> {
        let parsed = tongdai::zalo::events::parse_event(&event.raw_body)?;
        let text = match &parsed.kind {
            tongdai::zalo::events::EventKind::UserSendText(message) => message.text_or_empty().to_owned(),
            _ => String::new(),
        };
        if text.starts_with("fail") {
            let mut left = self.failures_left.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                anyhow::bail!("simulated failure");
            }
        }
        self.seen.lock().unwrap().entry(event.citizen_id.clone()).or_default().push(text.clone());
        let count = conversation.and_then(|c| c.state.as_ref()).and_then(|s| s["count"].as_i64()).unwrap_or(0);
        Ok(Turn {
            state: Some(json!({"count": count + 1})),
            outcome: InboundState::Processed,
            jobs: vec![NewJob::new("zalo.send", json!({"echo": text}), 3).unique(format!("reply:{}", event.event_key))],
            chat: Vec::new(),
            interaction_at: None,
        })
    }
}

fn worker(db: &Store, processor: &Arc<OrderRecorder>, clock: SharedClock, name: &str) -> ConversationWorker {
    ConversationWorker::new(
        db.inbound.clone(),
        processor.clone(),
        clock,
        ConversationSettings { concurrency: 8, ..ConversationSettings::default() },
        name,
        Arc::new(tokio::sync::Notify::new()),
    )
}

use tongdai::store::Store;

async fn each_citizens_events_are_processed_in_order_and_failures_block_no_one_else(db: TestDb) {
    let clock = Arc::new(ManualClock::new(t0()));
    let recorder = Arc::new(OrderRecorder { failures_left: Mutex::new(1), ..OrderRecorder::default() });
    let mut batch = Vec::new();
    for n in 0..5 {
        batch.push(NewInboundEvent {
            event_key: format!("u1-{n}"),
            event_name: "user_send_text".into(),
            citizen_id: "u1".into(),
            raw_body: text_event("u1", &format!("u1-{n}"), &format!("{}{n}", if n == 2 { "fail" } else { "m" })),
            num_retry: 0,
        });
        batch.push(NewInboundEvent {
            event_key: format!("u2-{n}"),
            event_name: "user_send_text".into(),
            citizen_id: "u2".into(),
            raw_body: text_event("u2", &format!("u2-{n}"), &format!("m{n}")),
            num_retry: 0,
        });
    }
    db.store.inbound.insert_events(&batch, t0()).await.unwrap();
    let worker = worker(&db.store, &recorder, clock.clone(), "w1");
    assert_eq!(worker.run_until_idle().await.unwrap(), 7, "u2's five and u1's first two; u1 waits after the failure");
    assert_eq!(recorder.seen.lock().unwrap()["u2"], vec!["m0", "m1", "m2", "m3", "m4"]);
    assert_eq!(recorder.seen.lock().unwrap()["u1"], vec!["m0", "m1"]);
    clock.advance(Duration::minutes(10));
    assert_eq!(worker.run_until_idle().await.unwrap(), 3);
    assert_eq!(
        recorder.seen.lock().unwrap()["u1"],
        vec!["m0", "m1", "fail2", "m3", "m4"],
        "order kept across the retry"
    );
    let conversation = db.store.inbound.conversation("u1").await.unwrap().unwrap();
    assert_eq!((conversation.state, conversation.pending), (Some(json!({"count": 5})), 0));
    let queued = db.store.jobs.counts().await.unwrap().iter().map(|c| c.count).sum::<i64>();
    assert_eq!(queued, 10, "one reply job per processed event");
}

async fn two_workers_share_citizens_each_event_once_in_order(db: TestDb) {
    const CITIZENS: usize = 40;
    const PER_CITIZEN: usize = 25;
    let mut batch = Vec::new();
    for n in 0..PER_CITIZEN {
        for c in 0..CITIZENS {
            let user = format!("user{c}");
            batch.push(NewInboundEvent {
                event_key: format!("{user}-{n}"),
                event_name: "user_send_text".into(),
                citizen_id: user.clone(),
                raw_body: text_event(&user, &format!("{user}-{n}"), &format!("{n}")),
                num_retry: 0,
            });
        }
    }
    db.store.inbound.insert_events(&batch, t0()).await.unwrap();
    let recorder = Arc::new(OrderRecorder::default());
    let clock: SharedClock = Arc::new(SystemClock);
    let second = db.another_connection().await;
    let (trigger, shutdown) = tongdai::shutdown::channel();
    let a = Arc::new(worker(&db.store, &recorder, clock.clone(), "instance-a"));
    let b = Arc::new(worker(&second, &recorder, clock, "instance-b"));
    let tasks = [tokio::spawn(a.run(shutdown.clone())), tokio::spawn(b.run(shutdown))];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while db.store.inbound.count_events(InboundState::Processed).await.unwrap()
        < i64::try_from(CITIZENS * PER_CITIZEN).unwrap()
    {
        assert!(std::time::Instant::now() < deadline, "not all events were processed in time");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    trigger.trigger();
    for task in tasks {
        task.await.unwrap();
    }
    let expected: Vec<String> = (0..PER_CITIZEN).map(|n| n.to_string()).collect();
    let seen = recorder.seen.lock().unwrap();
    assert_eq!(seen.len(), CITIZENS);
    for (citizen, texts) in seen.iter() {
        assert_eq!(texts, &expected, "{citizen}: each event once, in arrival order");
    }
}

on_both_backends!(
    a_signed_event_is_stored_once_however_often_it_is_retried,
    wrong_or_missing_signatures_store_nothing,
    probes_are_acknowledged_and_malformed_signed_bodies_kept,
    every_sample_event_is_accepted,
    inbound_store_contract,
    turns_commit_together_each_with_its_own_result,
    each_citizens_events_are_processed_in_order_and_failures_block_no_one_else,
    two_workers_share_citizens_each_event_once_in_order,
);

/// The citizen ids of claimed conversations.
fn claimed_ids(claimed: Vec<tongdai::store::Conversation>) -> Vec<String> {
    claimed.into_iter().map(|c| c.citizen_id).collect()
}

//! The benchmarks' parts against real servers: the webhook load generator (every event
//! acknowledged is stored exactly once), the no-op handler of the HTTP ceiling, the storage
//! ceiling's scratch table, and short runs of `bench e2e` and `bench surveys` with the service as
//! a child process.

use chrono::TimeZone as _;
use tongdai::bench::e2e::E2eArgs;
use tongdai::bench::surveys::SurveysBenchArgs;
use tongdai::bench::webhook::{run, WebhookLoad};
use tongdai::config::Config;
use tongdai::inbound::WebhookSecrets;
use tongdai::store::bench::BenchStore;
use tongdai::store::{InboundState, NewInboundEvent};

use crate::support::{on_both_backends, TestDb};

/// Events signed for app `app-1` with `secret-1`, sent to `address` as fast as acknowledged.
fn signed_load(address: String) -> WebhookLoad {
    WebhookLoad {
        address,
        app_id: "app-1".into(),
        oa_secret_key: "secret-1".into(),
        citizens: 1,
        connections: 1,
        events: 1,
        rate: None,
        run_id: format!("{:08x}", rand::random::<u32>()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_generator_events_are_acknowledged_and_stored_once() {
    let db = TestDb::sqlite().await;
    let secrets = WebhookSecrets { app_id: "app-1".into(), oa_secret_key: "secret-1".into(), oa_id: None };
    let router = tongdai::web::router(crate::support::app_state(&db, Config::default(), Some(secrets)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let load = WebhookLoad { citizens: 50, connections: 8, events: 600, ..signed_load(address) };
    let summary = run(&load).await.unwrap();
    assert_eq!((summary.requests, summary.errors), (600, 0), "{}", summary.line());
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 600);
    let again = run(&WebhookLoad { rate: Some(2000.0), events: 100, ..load }).await.unwrap();
    assert_eq!(again.requests, 100, "a replay is acknowledged");
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 600, "and stored nothing new");
}

/// The HTTP ceiling's router answers every signed event at once, behind the service's layers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_noop_handler_acknowledges_every_event() {
    let db = TestDb::sqlite().await;
    let state = crate::support::app_state(&db, Config::default(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(tongdai::bench::noop::serve(state, listener, std::future::pending()));
    let load = WebhookLoad { citizens: 10, connections: 4, events: 200, ..signed_load(address) };
    let summary = run(&load).await.unwrap();
    assert_eq!((summary.requests, summary.errors), (200, 0), "{}", summary.line());
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 0, "nothing is stored");
}

fn event(key: &str) -> NewInboundEvent {
    NewInboundEvent {
        event_key: key.into(),
        event_name: "user_send_text".into(),
        citizen_id: "7000".into(),
        raw_body: br#"{"event_name":"user_send_text"}"#.to_vec(),
        num_retry: 0,
    }
}

/// The storage ceiling's scratch table: batches are inserted in one transaction each, keys
/// already there are skipped as intake skips them, and the table goes away at the end.
async fn bench_store_inserts_batches_into_a_scratch_table(db: TestDb) {
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    let bench = BenchStore::connect(&db.config).await.unwrap();
    assert_eq!(bench.kind(), db.store.kind);
    bench.create_scratch().await.unwrap();
    let batch: Vec<NewInboundEvent> = (0..1500).map(|n| event(&format!("k{n}"))).collect();
    assert_eq!(bench.insert_scratch(&batch, now).await.unwrap(), 1500, "more rows than one statement holds");
    assert_eq!(bench.insert_scratch(&[event("k1"), event("new")], now).await.unwrap(), 1, "k1 is there already");
    assert_eq!(bench.insert_scratch(&[event("single")], now).await.unwrap(), 1);
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 0, "inbound_events untouched");
    bench.create_scratch().await.unwrap();
    assert_eq!(bench.insert_scratch(&[event("k1")], now).await.unwrap(), 1, "a new run starts from an empty table");
    bench.drop_scratch().await.unwrap();
    assert!(bench.insert_scratch(&[event("k2")], now).await.is_err(), "the table is gone");
}

/// Seeded citizens are known to have written at that time, as `record_interaction` would say;
/// citizens already known keep what they had.
async fn bench_store_seeds_citizens_interactions(db: TestDb) {
    let earlier = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    db.store.citizens.record_interaction("known", earlier).await.unwrap();
    let bench = BenchStore::connect(&db.config).await.unwrap();
    let ids: Vec<String> = (0..1200).map(|n| format!("u{n}")).chain(["known".to_owned()]).collect();
    assert_eq!(bench.seed_interactions(&ids, now).await.unwrap(), 1200);
    for (user, at) in [("u0", now), ("u1199", now), ("known", earlier)] {
        let citizen = db.store.citizens.get(user).await.unwrap().unwrap();
        assert_eq!(citizen.last_interaction_at, Some(at), "{user}");
    }
}

/// `tongdai bench e2e` for about a second at a low rate: the service runs as a child process,
/// every message is acknowledged and answered by the bot through the simulator.
async fn e2e_benchmark_every_message_gets_its_reply(db: TestDb) {
    let args = E2eArgs {
        rate: 20.0,
        seconds: 1.5,
        citizen_interval: 1.0,
        connections: 4,
        idle_seconds: 0.0,
        database_url: Some(db.config.url.clone()),
    };
    let report = tongdai::bench::e2e::run(&args, std::path::Path::new(env!("CARGO_BIN_EXE_tongdai"))).await.unwrap();
    let line = report.line(&args);
    assert_eq!((report.events, report.citizens), (30, 20), "{line}");
    assert_eq!((report.acks.requests, report.acks.errors), (30, 0), "{line}");
    assert_eq!((report.replies.requests, report.matching.unanswered), (30, 0), "{line}");
    // After the warm-up greeting, the bot answers each measured message with one chat message:
    // that is what makes matching replies to messages exact.
    assert_eq!(report.matching.extra, 0, "{line}");
    assert!(report.idle.rss_kib > 1000 && report.loaded.peak_kib >= report.idle.rss_kib, "{line}");
    assert!(report.startup > std::time::Duration::ZERO, "{line}");
}

/// `tongdai bench surveys` with a few dossiers: every citizen receives a survey in the chat.
async fn surveys_benchmark_reaches_every_citizen_by_chat(db: TestDb) {
    let args = SurveysBenchArgs { dossiers: 12, database_url: Some(db.config.url.clone()) };
    let report =
        tongdai::bench::surveys::run(&args, std::path::Path::new(env!("CARGO_BIN_EXE_tongdai"))).await.unwrap();
    let line = report.line();
    assert_eq!(report.reached, 12, "{line}");
    assert_eq!(report.templates, 0, "{line}");
    assert!(report.chat_messages >= 12, "{line}");
}

on_both_backends!(
    bench_store_inserts_batches_into_a_scratch_table,
    bench_store_seeds_citizens_interactions,
    e2e_benchmark_every_message_gets_its_reply,
    surveys_benchmark_reaches_every_citizen_by_chat,
);

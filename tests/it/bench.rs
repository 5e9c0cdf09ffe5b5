//! The webhook load generator against a real listening server: every event acknowledged is
//! stored exactly once.

use tongdai::bench::webhook::{run, WebhookLoad};
use tongdai::config::Config;
use tongdai::inbound::WebhookSecrets;
use tongdai::store::InboundState;

use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_generator_events_are_acknowledged_and_stored_once() {
    let db = TestDb::sqlite().await;
    let secrets = WebhookSecrets { app_id: "app-1".into(), oa_secret_key: "secret-1".into(), oa_id: None };
    let router = tongdai::web::router(crate::support::app_state(&db, Config::default(), Some(secrets)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let load = WebhookLoad {
        address,
        app_id: "app-1".into(),
        oa_secret_key: "secret-1".into(),
        citizens: 50,
        connections: 8,
        events: 600,
        rate: None,
        run_id: "t".into(),
    };
    let summary = run(&load).await.unwrap();
    assert_eq!((summary.requests, summary.errors), (600, 0), "{}", summary.line());
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 600);
    let again = run(&WebhookLoad { rate: Some(2000.0), events: 100, ..load }).await.unwrap();
    assert_eq!(again.requests, 100, "a replay is acknowledged");
    assert_eq!(db.store.inbound.count_events(InboundState::Pending).await.unwrap(), 600, "and stored nothing new");
}

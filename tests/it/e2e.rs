//! End to end through the real HTTP server, the signed webhook and the Zalo simulator: a
//! citizen follows the OA, sees the menu of the eight branches, types a branch without
//! diacritics and reads what it handles; then files a complaint and gets its code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongdai::clock::{SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::sim::{SimConfig, Simulator};

use crate::support::TestDb;

/// Everything the OA sent to the citizen so far, as one text.
fn oa_text(sim: &Simulator, user: &str) -> String {
    sim.oa_messages_for(user).iter().map(|m| serde_json::to_string(&m.content).unwrap()).collect::<Vec<_>>().join("\n")
}

async fn wait_for(sim: &Simulator, user: &str, what: &str, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = oa_text(sim, user);
        if needles.iter().all(|n| text.contains(n)) {
            return text;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; the OA sent:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Running {
    sim: Simulator,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _db: TestDb,
}

async fn start() -> Running {
    let db = TestDb::sqlite().await;
    let clock: SharedClock = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim_config = SimConfig {
        public_url: format!("{base}/sim"),
        webhook_url: Some(format!("{base}/webhooks/zalo")),
        ..SimConfig::default()
    };
    let sim = Simulator::new(sim_config, clock.clone()).unwrap();
    let mut config = Config::default();
    config.database = db.config.clone();
    config.general.data_dir =
        std::env::temp_dir().join(format!("tongdai_e2e_{:08x}", rand::random::<u32>())).display().to_string();
    tongdai::demo::configure_for_simulator(&mut config, &sim);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let routes = axum::Router::new().nest("/sim", sim.router());
    let server = tokio::spawn(tongdai::app::run_with_routes(
        config,
        db.store.clone(),
        clock,
        listener,
        async move {
            let _ = stopped.await;
        },
        routes,
    ));
    Running { sim, stop: Some(stop), server, _db: db }
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_menu_branch_by_typing_without_diacritics_and_a_complaint() {
    let running = start().await;
    let sim = &running.sim;
    let citizen = sim.create_citizen("Trần Thị Bình", Some("0912345678"));
    let user = citizen.user_id.as_str();

    sim.follow(user).await.unwrap();
    let catalogue = tongdai::bot::catalogue::default_catalogue().unwrap();
    let titles: Vec<&str> = catalogue.branches().iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles.len(), 8);
    wait_for(sim, user, "the main menu with all eight branch titles", &titles).await;
    let first = serde_json::to_string(&sim.oa_messages_for(user)[0].content).unwrap();
    assert!(first.contains("Kính chào"), "a turn's messages arrive in order: the welcome first, got {first}");

    sim.send_text(user, "cai cach thu tuc hanh chinh").await.unwrap();
    let branch4 = catalogue.branch(4).unwrap();
    wait_for(sim, user, "branch 4's information", &[branch4.duties[0].as_str()]).await;

    // A complaint from the branch menu: the bot leads; the citizen answers.
    sim.send_text(user, "phản ánh").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = sim.oa_messages_for(user).len();
    assert!(before > 3);
    running.stop().await;
}

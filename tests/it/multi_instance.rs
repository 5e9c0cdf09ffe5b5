//! Several instances on one PostgreSQL database, as deployed behind a load balancer: three
//! `tongdai serve` processes, one `tongdai sim` process, a round-robin proxy in between (it fails
//! over like a load balancer when an instance is down), 500 citizens, 1,000 due surveys, one
//! instance killed with SIGKILL in the middle and restarted, and the access token expired by the
//! simulator during the run. Every acknowledged event is processed exactly once and every survey
//! dispatched exactly once; replies reach each citizen in order. A send that was in flight when
//! its process was killed (the request reached Zalo, the process died before recording it) is
//! sent again by the instance that rescues the job: Zalo has no idempotency key, so that window
//! is at-least-once, and the test checks that a duplicate happens only there.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tongdai::jobs::JobState;
use tongdai::store::InboundState;
use tongdai::surveys::model::InstanceState;

use crate::support::TestDb;

const CITIZENS: usize = 500;
const MESSAGES_PER_CITIZEN: usize = 3;
const ZNS_SURVEYS: usize = 500;
const INSTANCES: usize = 3;
const ACCESS_TOKEN: &str = "multi-instance-access-token-0001";
const REFRESH_TOKEN: &str = "multi-instance-refresh-token-0001";
const ZNS_TEMPLATE: &str = "mi-zns-danh-gia";

/// Runs `task` for every item, at most `limit` at a time.
async fn for_each_concurrent<T, F, Fut>(items: Vec<T>, limit: usize, task: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(limit));
    let mut running = tokio::task::JoinSet::new();
    for item in items {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let work = task(item);
        running.spawn(async move {
            work.await;
            drop(permit);
        });
    }
    while let Some(result) = running.join_next().await {
        result.unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process that is killed when the test ends, with its output in a log file.
struct Process {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    fn spawn(name: &str, args: &[&str], env: &[(String, String)], dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_tongdai"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Self { name: name.to_owned(), child: Some(child), log }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- {} ---\n{}", self.name, lines[lines.len().saturating_sub(30)..].join("\n"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_until_ok(http: &reqwest::Client, url: &str, processes: &[&Process]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(url).send().await {
            if response.status().is_success() {
                return;
            }
        }
        let logs: Vec<String> = processes.iter().map(|p| p.log_tail()).collect();
        assert!(Instant::now() < deadline, "{url} did not answer 200 in time\n{}", logs.join("\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The load balancer: each webhook goes to the next instance; one that refuses the connection
/// or breaks it is skipped (the webhook is idempotent, so resending it is safe).
#[derive(Clone)]
struct Balancer {
    http: reqwest::Client,
    backends: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
}

async fn balance(State(balancer): State<Balancer>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let first = balancer.next.fetch_add(1, Ordering::Relaxed);
    for offset in 0..balancer.backends.len() * 3 {
        let backend = &balancer.backends[(first + offset) % balancer.backends.len()];
        let mut request = balancer.http.post(format!("{backend}/webhooks/zalo")).body(body.clone());
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        if let Ok(response) = request.send().await {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            return (status, response.text().await.unwrap_or_default());
        }
    }
    (StatusCode::BAD_GATEWAY, "no instance answered".into())
}

fn instance_env(db_url: &str, port: u16, sim_base: &str, dir: &Path, index: usize) -> Vec<(String, String)> {
    let data_dir = dir.join(format!("data{index}"));
    [
        ("TONGDAI_DATABASE__URL", db_url.to_owned()),
        ("TONGDAI_SERVER__LISTEN", format!("127.0.0.1:{port}")),
        ("TONGDAI_SERVER__LOG_LEVEL", "warn".to_owned()),
        ("TONGDAI_GENERAL__DATA_DIR", data_dir.display().to_string()),
        ("TONGDAI_SECURITY__ENCRYPTION_KEY", "bXVsdGktaW5zdGFuY2UtdGVzdC1rZXktMzItYnl0ZXM=".to_owned()),
        ("TONGDAI_ZALO__APP_ID", tongdai::sim::config::DEFAULT_APP_ID.to_owned()),
        ("TONGDAI_ZALO__OA_ID", tongdai::sim::config::DEFAULT_OA_ID.to_owned()),
        ("TONGDAI_ZALO__OA_SECRET_KEY", tongdai::sim::config::DEFAULT_OA_SECRET_KEY.to_owned()),
        ("TONGDAI_ZALO__APP_SECRET", tongdai::sim::config::DEFAULT_APP_SECRET.to_owned()),
        ("TONGDAI_ZALO__API_BASE", format!("{sim_base}/openapi")),
        ("TONGDAI_ZALO__OAUTH_BASE", format!("{sim_base}/oauth")),
        ("TONGDAI_ZALO__BUSINESS_API_BASE", format!("{sim_base}/business")),
        ("TONGDAI_ZALO__ACCESS_TOKEN", ACCESS_TOKEN.to_owned()),
        ("TONGDAI_ZALO__REFRESH_TOKEN", REFRESH_TOKEN.to_owned()),
        ("TONGDAI_ZALO__ZNS_SURVEY_TEMPLATE_ID", ZNS_TEMPLATE.to_owned()),
        ("TONGDAI_BOT__RATE_LIMIT_MESSAGES", "1000".to_owned()),
        ("TONGDAI_SURVEY__DELAY_AFTER_COMPLETION", "1s".to_owned()),
        ("TONGDAI_SURVEY__SEND_WINDOW", "00:00-24:00".to_owned()),
        ("TONGDAI_SURVEY__SEND_DAYS", "mon-sun".to_owned()),
        ("TONGDAI_SURVEY__SKIP_HOLIDAYS", "false".to_owned()),
        ("TONGDAI_SURVEY__MIN_DAYS_BETWEEN", "0".to_owned()),
        ("TONGDAI_SURVEY__DISPATCH_INTERVAL", "1s".to_owned()),
        ("TONGDAI_SURVEY__LINK_SECRET", "multi-instance-link-secret-0123456789abcdef".to_owned()),
        ("TONGDAI_SURVEY__PUBLIC_BASE_URL", "http://127.0.0.1:8080".to_owned()),
        ("TONGDAI_JOBS__LEASE", "15s".to_owned()),
        ("TONGDAI_JOBS__RESCUE_INTERVAL", "1s".to_owned()),
        ("TONGDAI_JOBS__BACKOFF_BASE", "200ms".to_owned()),
        ("TONGDAI_JOBS__BACKOFF_MAX", "2s".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn dossier(index: usize, user: Option<&str>, phone: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "code": format!("MI-{index:05}"), "procedure_code": "1.001", "procedure_name": "Đăng ký khai sinh",
        "field": "Hộ tịch", "agency_code": format!("UBND-{}", index % 7), "agency_name": "UBND xã", "level": "xa",
        "received_at": (now - chrono::Duration::days(3)).to_rfc3339(),
        "completed_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "channel": "truc_tuyen", "citizen_name": "Công dân", "phone": phone, "zalo_user_id": user,
    })
}

/// Branch numbers of the branch pages the OA sent, in the order they arrived.
fn branch_pages(messages: &[Value]) -> Vec<u32> {
    messages
        .iter()
        .filter(|m| m["direction"] == "from_oa")
        .filter_map(|m| {
            let text = m["content"].to_string();
            let start = text.find("Nhánh ")? + "Nhánh ".len();
            text.contains("Đơn vị phụ trách")
                .then(|| text[start..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap())
        })
        .collect()
}

async fn refresh_count(http: &reqwest::Client, sim_base: &str) -> u64 {
    let state: Value = http.get(format!("{sim_base}/api/state")).send().await.unwrap().json().await.unwrap();
    state["counters"]["refreshes"].as_u64().unwrap()
}

fn branch_for(citizen: usize, message: usize) -> u32 {
    u32::try_from((citizen + message * 3) % 8 + 1).unwrap()
}

#[cfg_attr(not(pg_tests), ignore = "PostgreSQL only: set TONGDAI_TEST_POSTGRES_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_with_one_killed_do_everything_exactly_once() {
    let db = TestDb::postgres().await;
    let dir = std::env::temp_dir().join(format!("tongdai_multi_{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();

    // The load balancer, then the simulator sending its webhooks there.
    let balancer_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let balancer_url = format!("http://{}", balancer_listener.local_addr().unwrap());
    let ports: Vec<u16> = (0..INSTANCES).map(|_| free_port()).collect();
    let backends: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let balancer = Balancer { http: http.clone(), backends: Arc::new(backends.clone()), next: Arc::default() };
    let app = axum::Router::new().route("/webhooks/zalo", axum::routing::post(balance)).with_state(balancer);
    tokio::spawn(async move { axum::serve(balancer_listener, app).await.unwrap() });

    let sim_port = free_port();
    let sim_base = format!("http://127.0.0.1:{sim_port}/sim");
    let webhook = format!("{balancer_url}/webhooks/zalo");
    let sim_listen = format!("127.0.0.1:{sim_port}");
    let sim_args = [
        "sim",
        "--listen",
        &sim_listen,
        "--webhook-url",
        &webhook,
        "--rate-limit",
        "0",
        "--no-citizens",
        "--retry-schedule",
        "1s,2s,5s",
        "--access-token",
        ACCESS_TOKEN,
        "--refresh-token",
        REFRESH_TOKEN,
        "--template-daily-quota",
        "5000",
    ];
    let sim = Process::spawn("sim", &sim_args, &[], &dir);
    wait_until_ok(&http, &format!("{sim_base}/api/state"), &[&sim]).await;

    let envs: Vec<Vec<(String, String)>> =
        ports.iter().enumerate().map(|(i, port)| instance_env(&db.config.url, *port, &sim_base, &dir, i)).collect();
    let mut instances: Vec<Process> =
        envs.iter().enumerate().map(|(i, env)| Process::spawn(&format!("serve{i}"), &["serve"], env, &dir)).collect();
    for backend in &backends {
        let refs: Vec<&Process> = instances.iter().chain([&sim]).collect();
        wait_until_ok(&http, &format!("{backend}/readyz"), &refs).await;
    }

    // 500 citizens follow the OA.
    let mut citizens = Vec::new();
    for i in 0..CITIZENS {
        let body = json!({"display_name": format!("Công dân {i}")});
        let created: Value =
            http.post(format!("{sim_base}/api/citizens")).json(&body).send().await.unwrap().json().await.unwrap();
        citizens.push(created["user_id"].as_str().unwrap().to_owned());
    }
    let act = {
        let (http, sim_base) = (http.clone(), sim_base.clone());
        move |user: String, action: &'static str, body: Value| {
            let http = http.clone();
            let url = format!("{sim_base}/api/citizens/{user}/{action}");
            async move {
                let delivery: Value = http.post(url).json(&body).send().await.unwrap().json().await.unwrap();
                assert_eq!(delivery["outcome"], "delivered", "{delivery}");
            }
        }
    };
    for_each_concurrent(citizens.clone(), 32, |user| act(user, "follow", json!({}))).await;
    // The dossiers below were completed by citizens the service already knows: their follows
    // are processed (interaction recorded) before the surveys become due, as in real life.
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.store.inbound.count_events(InboundState::Pending).await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "the follows were not processed within a minute");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 1,000 due surveys: one in the chat for every citizen, 500 by ZNS to phones.
    let mut config = tongdai::config::Config::default();
    config.survey.link_secret = "multi-instance-link-secret-0123456789abcdef".into();
    tongdai::demo::demo_survey_timing(&mut config);
    let (surveys, _) = tongdai::surveys::SurveyService::from_config(&config, db.store.surveys.clone()).unwrap();
    let now = tongdai::clock::Clock::now(&tongdai::clock::SystemClock);
    let mut rows: Vec<Value> = citizens.iter().enumerate().map(|(i, user)| dossier(i, Some(user), None, now)).collect();
    rows.extend((0..ZNS_SURVEYS).map(|i| dossier(CITIZENS + i, None, Some(&format!("09{:08}", 10_000_000 + i)), now)));
    for chunk in rows.chunks(250) {
        let results = tongdai::surveys::dossiers::import_batch(&surveys, chunk, now).await.unwrap();
        assert_eq!(results.len(), chunk.len());
    }

    // Every citizen sends its messages one after the other; one instance is killed when a
    // third of them are acknowledged, the access token expires after two thirds.
    let total = CITIZENS * MESSAGES_PER_CITIZEN;
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let traffic = {
        let acknowledged = acknowledged.clone();
        let citizens = citizens.clone();
        let act = act.clone();
        tokio::spawn(async move {
            let numbered: Vec<(usize, String)> = citizens.into_iter().enumerate().collect();
            for_each_concurrent(numbered, 48, |(i, user)| {
                let acknowledged = acknowledged.clone();
                let act = act.clone();
                async move {
                    for k in 0..MESSAGES_PER_CITIZEN {
                        act(user.clone(), "text", json!({"text": format!("nhanh {}", branch_for(i, k))})).await;
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await;
        })
    };
    while acknowledged.load(Ordering::Relaxed) < total / 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    instances[1].kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    instances[1] = Process::spawn("serve1-restarted", &["serve"], &envs[1], &dir);
    while acknowledged.load(Ordering::Relaxed) < 2 * total / 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Tokens bootstrapped from configuration are refreshed once at start-up (to learn their
    // expiry); count the refreshes from the expiry on.
    let refreshes_before = refresh_count(&http, &sim_base).await;
    http.post(format!("{sim_base}/api/tokens/expire")).send().await.unwrap().error_for_status().unwrap();
    traffic.await.unwrap();

    // Wait until every reply and every survey went out and the queue is empty.
    let logs = |instances: &[Process]| instances.iter().chain([&sim]).map(Process::log_tail).collect::<Vec<_>>();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let pending = db.store.inbound.count_events(InboundState::Pending).await.unwrap();
        let scheduled = db.store.surveys.count_instances(InstanceState::Scheduled).await.unwrap();
        let counts = db.store.jobs.counts().await.unwrap();
        let busy: i64 = counts
            .iter()
            .filter(|c| c.kind == "zalo.send" && matches!(c.state, JobState::Available | JobState::Running))
            .map(|c| c.count)
            .sum();
        if pending == 0 && scheduled == 0 && busy == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not finished: {pending} events pending, {scheduled} surveys scheduled, {busy} sends queued\n{}",
            logs(&instances).join("\n")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Sends that were running in the killed process when it died are the only ones that may
    // have reached the simulator twice.
    let rescued: Vec<Value> = db
        .store
        .jobs
        .list(JobState::Completed, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|job| {
            job.kind == "zalo.send" && job.last_error.as_deref().is_some_and(|e| e.starts_with("lease expired"))
        })
        .map(|job| job.payload)
        .collect();
    let rescued_users: HashSet<&str> = rescued.iter().filter_map(|p| p["user_id"].as_str()).collect();
    let rescued_tracking: HashSet<&str> =
        rescued.iter().filter_map(|p| p["template"]["tracking_id"].as_str()).collect();
    eprintln!("{} sends were running in the killed instance and were rescued", rescued.len());

    // Every acknowledged event processed exactly once: one branch page per message, in order.
    let follows_and_messages = i64::try_from(CITIZENS * (1 + MESSAGES_PER_CITIZEN)).unwrap();
    assert_eq!(db.store.inbound.count_events(InboundState::Processed).await.unwrap(), follows_and_messages);
    assert_eq!(db.store.inbound.count_events(InboundState::Failed).await.unwrap(), 0);
    let mut wrong = Vec::new();
    let mut resent = 0;
    for (i, user) in citizens.iter().enumerate() {
        let body: Value =
            http.get(format!("{sim_base}/api/citizens/{user}/messages")).send().await.unwrap().json().await.unwrap();
        let messages = body["messages"].as_array().unwrap();
        let expected: Vec<u32> = (0..MESSAGES_PER_CITIZEN).map(|k| branch_for(i, k)).collect();
        let mut pages = branch_pages(messages);
        let page_count = pages.len();
        pages.dedup();
        let welcomes = messages.iter().filter(|m| m["content"].to_string().contains("Kính chào")).count();
        let surveys = messages.iter().filter(|m| m["content"].to_string().contains("Xin Ông/Bà dành ít phút")).count();
        let copies = page_count - pages.len() + welcomes.saturating_sub(1) + surveys.saturating_sub(1);
        let allowed = if rescued_users.contains(user.as_str()) { 1 } else { 0 };
        resent += copies;
        if pages != expected || welcomes == 0 || surveys == 0 || copies > allowed {
            wrong.push(format!(
                "{user}: pages {pages:?} (expected {expected:?}), {welcomes} welcomes, {surveys} surveys"
            ));
        }
    }
    assert!(wrong.is_empty(), "{} citizens got wrong replies:\n{}", wrong.len(), wrong.join("\n"));

    // Every survey dispatched exactly once (a second copy only for a rescued send).
    let templates: Vec<Value> =
        http.get(format!("{sim_base}/api/templates")).send().await.unwrap().json().await.unwrap();
    let mut per_tracking: HashMap<String, usize> = HashMap::new();
    for template in &templates {
        *per_tracking.entry(template["tracking_id"].as_str().unwrap_or("").to_owned()).or_default() += 1;
    }
    assert_eq!(per_tracking.len(), ZNS_SURVEYS, "a ZNS template for every phone-only dossier");
    for (tracking, count) in &per_tracking {
        let allowed = if rescued_tracking.contains(tracking.as_str()) { 2 } else { 1 };
        assert!(*count <= allowed, "survey {tracking} was sent {count} times");
        resent += count - 1;
    }
    eprintln!("{resent} messages reached the simulator twice (all of them rescued sends)");
    let sent = db.store.surveys.count_instances(InstanceState::Sent).await.unwrap();
    assert_eq!(sent, i64::try_from(CITIZENS + ZNS_SURVEYS).unwrap());

    // No send job lost or given up; the token was refreshed once for all instances.
    let counts = db.store.jobs.counts().await.unwrap();
    let given_up: Vec<_> = counts.iter().filter(|c| c.kind == "zalo.send" && c.state == JobState::Discarded).collect();
    assert!(given_up.is_empty(), "{given_up:?}");
    assert_eq!(refresh_count(&http, &sim_base).await, refreshes_before + 1, "one refresh for all instances");

    for instance in &mut instances {
        instance.kill();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

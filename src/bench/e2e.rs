//! `tongdai bench e2e`: end-to-end latency from a citizen's message to the bot's reply reaching
//! Zalo. The Zalo simulator runs in this process (rate limit off); the service runs as a child
//! process (`tongdai serve`) on a fresh database, so its start-up time and resident memory (idle,
//! then peak under load) are its own. Simulated citizens each write once every
//! `--citizen-interval` seconds, together `--rate` messages per second (open loop). Each first
//! greets the bot (warm-up: the welcome is several messages); then, measured, for each message
//! the time from its scheduled send to the chat message the OA sends that citizen in answer (see
//! [`super::replies`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::child::ServiceChild;
use super::memory::Memory;
use super::replies::{Replies, ReplyReport};
use super::scratch::{backend_name, ScratchDir};
use super::simhost::SimHost;
use super::stats::Summary;
use super::webhook::{drive, Drive, EventSource, Prepared};
use crate::sim::{CitizenAction, Endpoint, Simulator};
use crate::zalo::signature::sign;

/// What each citizen writes first (warm-up, not measured): the bot answers a first contact with
/// a welcome and the main menu, several messages.
const GREETING: [&str; 1] = ["Xin chào"];
/// What the citizens write then, in turn (measured): two questions (the bot answers with the
/// branch that handles them) and thanks — one message each, so every chat message the OA sends
/// answers exactly one of them.
const TEXTS: [&str; 3] = ["Cho tôi hỏi thủ tục đăng ký khai sinh", "Cảm ơn", "Thủ tục cấp giấy phép xây dựng cần gì?"];

/// How long the service may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Replies are waited for until none has come for this long.
const SETTLE: Duration = Duration::from_secs(10);
/// After the warm-up, the welcome's further messages are waited for until none has come for this long.
const QUIET: Duration = Duration::from_secs(1);

/// Options of `tongdai bench e2e`.
#[derive(Debug, Clone, clap::Args)]
pub struct E2eArgs {
    /// Messages per second from all citizens together (open loop).
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// How long the load lasts, in seconds.
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
    /// Seconds between two messages of one citizen; citizens = rate × this.
    #[arg(long, default_value_t = 5.0)]
    pub citizen_interval: f64,
    /// Keep-alive connections the webhook events are sent over.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Seconds the ready service is left alone before its idle memory is read.
    #[arg(long, default_value_t = 2.0)]
    pub idle_seconds: f64,
    /// Database for the service (default: a new SQLite file in a temporary folder); use an
    /// empty PostgreSQL database.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct E2eReport {
    pub backend: &'static str,
    pub citizens: usize,
    pub events: usize,
    /// From starting the process to the first `/readyz` answered 200.
    pub startup: Duration,
    pub idle: Memory,
    /// Memory once every reply has arrived (its `peak_kib` is the peak of the whole run).
    pub loaded: Memory,
    /// Webhook acknowledgements.
    pub acks: Summary,
    /// Message → reply, from the scheduled send time; `errors` = unanswered messages.
    pub replies: Summary,
    pub matching: ReplyReport,
}

impl E2eReport {
    pub fn line(&self, args: &E2eArgs) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let overlap = if self.matching.overlapped > 0 {
            format!(
                " ({} messages sent before the same citizen's previous answer: latencies are approximate)",
                self.matching.overlapped
            )
        } else {
            String::new()
        };
        format!(
            "e2e ({}, {:.0}/s for {:.0} s, {} citizens each writing every {:.1} s after a greeting): start-up {:.2} s; RSS idle {:.1} MiB, \
             peak {:.1} MiB; {} of {} events acknowledged (p50 {:.2} ms, p99 {:.2} ms); {} replied (+{} further chat \
             messages), {} unanswered; \
             message → reply p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms{overlap}",
            self.backend,
            args.rate,
            args.seconds,
            self.citizens,
            args.citizen_interval,
            self.startup.as_secs_f64(),
            self.idle.rss_mib(),
            self.loaded.peak_mib(),
            self.acks.requests,
            self.events,
            ms(self.acks.p50),
            ms(self.acks.p99),
            self.replies.requests,
            self.matching.extra,
            self.matching.unanswered,
            ms(self.replies.p50),
            ms(self.replies.p90),
            ms(self.replies.p99),
            ms(self.replies.max),
        )
    }
}

/// The citizens' messages, built at send time through the simulator (so the simulator knows
/// they wrote, and may be answered in the chat window).
struct Citizens {
    sim: Simulator,
    ids: Arc<Vec<String>>,
    texts: &'static [&'static str],
    replies: Arc<Replies>,
}

impl EventSource for Citizens {
    fn event(&self, n: usize, scheduled: Instant) -> Arc<Prepared> {
        let user = &self.ids[n % self.ids.len()];
        let text = self.texts[(n / self.ids.len()) % self.texts.len()];
        let config = self.sim.config();
        match self.sim.prepare(user, CitizenAction::Text(text.to_owned())) {
            Ok(event) => {
                self.replies.sent(user, scheduled);
                let signature = sign(&config.app_id, &event.body, &event.timestamp, &config.oa_secret_key);
                Arc::new(Prepared { body: event.body, signature })
            }
            // Cannot happen (known citizen, text not empty); an unsigned body counts as an error.
            Err(e) => Arc::new(Prepared { body: e.to_string().into_bytes(), signature: String::new() }),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn count(value: f64) -> usize {
    value.round().max(1.0) as usize
}

/// Runs the benchmark with `binary` as the service.
pub async fn run(args: &E2eArgs, binary: &Path) -> anyhow::Result<E2eReport> {
    let folder = ScratchDir::new()?;
    let host = SimHost::start().await?;
    let database_url = folder.database_url(args.database_url.as_deref());
    let config = host.service_config(&database_url, &folder.path().join("data"))?;
    drop(host.prepare_database(&config).await?);
    let citizens = count(args.rate * args.citizen_interval);
    let ids: Arc<Vec<String>> =
        Arc::new((0..citizens).map(|i| host.sim.create_citizen(&format!("Công dân {i}"), None).user_id).collect());
    let replies = Arc::new(Replies::default());
    let observed = replies.clone();
    host.sim.observe_sends(Some(Arc::new(move |endpoint, user_id| {
        if let (Endpoint::MessageCs, Some(user_id)) = (endpoint, user_id) {
            observed.received(user_id, Instant::now());
        }
    })));

    let mut service = ServiceChild::spawn(binary, &config, folder.path())?;
    let startup = service.wait_ready(READY_TIMEOUT).await?;
    tokio::time::sleep(Duration::from_secs_f64(args.idle_seconds.max(0.0))).await;
    let idle = service.memory()?;

    let address = service.address.clone();
    let load = |texts, events| {
        let plan = Drive { address: address.clone(), connections: args.connections, events, rate: Some(args.rate) };
        let source = Arc::new(Citizens { sim: host.sim.clone(), ids: ids.clone(), texts, replies: replies.clone() });
        async move { drive(&plan, source).await }
    };
    let greeted = load(&GREETING, citizens).await?;
    service.wait_for(greeted.requests, SETTLE, || replies.answered()).await?;
    service.wait_for(usize::MAX, QUIET, || replies.messages()).await?;
    let warm_up = replies.reset();
    anyhow::ensure!(
        warm_up.unanswered == 0 && greeted.errors == 0,
        "the warm-up failed: {} greetings unanswered, {} not acknowledged:\n{}",
        warm_up.unanswered,
        greeted.errors,
        service.log_tail(20)
    );

    let events = count(args.rate * args.seconds);
    let acks = load(&TEXTS, events).await?;
    service.wait_for(acks.requests, SETTLE, || replies.answered()).await?;
    let loaded = service.memory()?;
    host.sim.observe_sends(None);
    let matching = replies.reset();
    Ok(E2eReport {
        backend: backend_name(&database_url),
        citizens,
        events,
        startup,
        idle,
        loaded,
        replies: Summary::from_latencies(matching.latencies.clone(), matching.unanswered, acks.elapsed),
        acks,
        matching,
    })
}

/// This program's own file, to run as the service.
pub fn current_binary() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding this program's file to start the service")
}

/// `tongdai bench e2e`: runs and prints one line.
pub async fn cli(args: E2eArgs) -> anyhow::Result<()> {
    let report = run(&args, &current_binary()?).await?;
    println!("{}", report.line(&args));
    Ok(())
}

//! `tongdai bench webhook`: starts the service in this process on a fresh database (SQLite in a
//! temporary folder, or the PostgreSQL given with `--database-url`), drives signed webhook events
//! at it over real HTTP on loopback, and prints acknowledged events/s and latency percentiles.
//! With `--noop-handler` the same load goes to the same HTTP stack whose webhook answers at once:
//! the HTTP ceiling.

use std::sync::Arc;

use anyhow::Context as _;

use super::scratch::{backend_name, ScratchDir};
use super::webhook::{run, WebhookLoad};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;

/// Options of `tongdai bench webhook`.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookBenchArgs {
    /// Events to send.
    #[arg(long, default_value_t = 50_000)]
    pub events: usize,
    /// Keep-alive connections (concurrent requests).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Events per second (open loop); without it, as fast as the server acknowledges.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Distinct citizens the events come from.
    #[arg(long, default_value_t = 1000)]
    pub citizens: usize,
    /// Database to use (default: a new SQLite file in a temporary folder).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Only acknowledge: do not run the conversation worker while measuring.
    #[arg(long)]
    pub intake_only: bool,
    /// HTTP ceiling: the same HTTP stack and layers, with a webhook route that answers 200 at once.
    #[arg(long, conflicts_with = "intake_only")]
    pub noop_handler: bool,
}

impl WebhookBenchArgs {
    fn mode(&self) -> &'static str {
        if self.noop_handler {
            "no-op handler"
        } else if self.intake_only {
            "intake only"
        } else {
            "with processing"
        }
    }
}

/// Runs the benchmark and prints one summary line.
pub async fn webhook(args: WebhookBenchArgs) -> anyhow::Result<()> {
    let folder = ScratchDir::new()?;
    let mut config = Config::default();
    config.database.url = folder.database_url(args.database_url.as_deref());
    config.general.data_dir = folder.path().display().to_string();
    config.zalo.app_id = "bench-app".into();
    config.zalo.oa_secret_key = "bench-oa-secret".into();
    config.zalo.oa_id = "388613280878808645".into();
    // Nothing reaches Zalo. The events' timestamps are long past (outside the chat window), so
    // the sender finds no channel and records each reply undeliverable: the job workers still
    // claim, record and finish every reply job, the database work of a real send.
    config.zalo.api_base = "http://127.0.0.1:9/unreachable".into();
    let clock: SharedClock = Arc::new(SystemClock);
    let store = crate::app::open_store(&config).await?;
    let inbound = store.inbound.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding a port")?;
    let address = listener.local_addr().context("reading the bound address")?.to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stopped = async move {
        let _ = stopped.await;
    };
    let server = if args.noop_handler {
        let state = crate::app::http_only_state(config.clone(), store, clock)?;
        tokio::spawn(super::noop::serve(state, listener, stopped))
    } else if args.intake_only {
        tokio::spawn(crate::app::run_intake_only(config.clone(), store, clock, listener, stopped))
    } else {
        tokio::spawn(crate::app::run_until_shutdown(config.clone(), store, clock, listener, stopped))
    };
    let load = WebhookLoad {
        address,
        app_id: config.zalo.app_id.clone(),
        oa_secret_key: config.zalo.oa_secret_key.clone(),
        citizens: args.citizens,
        connections: args.connections,
        events: args.events,
        rate: args.rate,
        run_id: format!("{:08x}", rand::random::<u32>()),
    };
    let started = std::time::Instant::now();
    let summary = run(&load).await?;
    let load_time = started.elapsed();
    let processed = if args.intake_only || args.noop_handler {
        String::new()
    } else {
        drained(inbound.as_ref(), started, load_time).await?
    };
    println!(
        "webhook ({}, {} connections, {}, {}): {}",
        backend_name(&config.database.url),
        args.connections,
        args.rate.map_or_else(|| "closed loop".to_owned(), |r| format!("{r:.0}/s offered")),
        args.mode(),
        summary.line()
    );
    if !processed.is_empty() {
        println!("  {processed}");
    }
    let _ = stop.send(());
    server.await.context("the benchmark server panicked")??;
    Ok(())
}

/// Waits until no event is pending (the conversation worker has caught up with the load) and
/// says how long processing took from the first send.
async fn drained(
    inbound: &dyn crate::store::InboundStore,
    started: std::time::Instant,
    load_time: std::time::Duration,
) -> anyhow::Result<String> {
    use crate::store::InboundState;
    let limit = std::time::Duration::from_secs(600);
    loop {
        let pending = inbound.count_events(InboundState::Pending).await?;
        if pending == 0 {
            break;
        }
        anyhow::ensure!(started.elapsed() < limit, "{pending} events still pending after {} s", limit.as_secs());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all = started.elapsed();
    let done =
        inbound.count_events(InboundState::Processed).await? + inbound.count_events(InboundState::Ignored).await?;
    let failed = inbound.count_events(InboundState::Failed).await?;
    let rate = done as f64 / all.as_secs_f64().max(f64::EPSILON);
    Ok(format!(
        "processed: {done} events ({failed} failed) in {:.2}s from the first send ({rate:.0}/s); \
         {:.2}s after the last acknowledgement",
        all.as_secs_f64(),
        all.saturating_sub(load_time).as_secs_f64()
    ))
}

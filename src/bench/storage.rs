//! `tongdai bench storage`: the storage ceiling. Inserts rows shaped like webhook events with
//! intake's INSERT statement into a scratch copy of `inbound_events`, with intake's durability (SQLite: WAL, `synchronous=FULL`;
//! PostgreSQL: default commit), from one writer loop as intake's group commit does: first one
//! row per commit, then batches of `--batch` rows per commit. Prints commits/s, rows/s and the
//! commit latency; the scratch table is dropped afterwards.

use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::scratch::ScratchDir;
use super::stats::Summary;
use crate::clock::{Clock as _, SystemClock};
use crate::config::DatabaseConfig;
use crate::store::bench::BenchStore;
use crate::store::{BackendKind, NewInboundEvent};

/// Options of `tongdai bench storage`.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageBenchArgs {
    /// Rows per transaction in the batched part (intake commits whatever is queued, up to the
    /// number of concurrent requests: 64 with `bench webhook`'s default connections).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seconds spent on each part (single-row commits, then batches).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Database to use (default: a new SQLite file in a temporary folder).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Commits of one part of the run.
#[derive(Debug, Clone)]
pub struct CommitRun {
    pub rows_per_commit: usize,
    pub commits: Summary,
}

impl CommitRun {
    pub fn rows_per_second(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let rows = self.rows_per_commit as f64;
        self.commits.throughput() * rows
    }

    pub fn line(&self) -> String {
        let c = &self.commits;
        format!(
            "{} row(s) per commit: {:.0} commits/s, {:.0} rows/s; commit p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.rows_per_commit,
            c.throughput(),
            self.rows_per_second(),
            c.p50.as_secs_f64() * 1000.0,
            c.p99.as_secs_f64() * 1000.0,
            c.max.as_secs_f64() * 1000.0
        )
    }
}

/// A webhook-sized row (a `user_send_text` body of about 400 bytes).
fn row(run: &str, n: usize) -> NewInboundEvent {
    let citizen = format!("{}", 7_000_000_000_000_000_000_u64 + (n % 1000) as u64);
    let msg_id = format!("bench-{run}-{n}");
    let raw_body = serde_json::json!({
        "app_id": "4127365091827364510",
        "sender": {"id": citizen},
        "user_id_by_app": citizen,
        "recipient": {"id": "2896153704715238641"},
        "event_name": "user_send_text",
        "message": {"text": format!("tin nhắn thử {n}"), "msg_id": msg_id},
        "timestamp": "1760000000000",
    })
    .to_string()
    .into_bytes();
    NewInboundEvent {
        event_key: format!("user_send_text:{msg_id}"),
        event_name: "user_send_text".into(),
        citizen_id: citizen,
        raw_body,
        num_retry: 0,
    }
}

/// Commits batches of `rows_per_commit` rows for `seconds`, one after another.
pub async fn commit_for(
    probe: &BenchStore,
    rows_per_commit: usize,
    seconds: f64,
    first_row: &mut usize,
) -> anyhow::Result<CommitRun> {
    let run = format!("{:08x}", rand::random::<u32>());
    let clock = SystemClock;
    let rows_per_commit = rows_per_commit.max(1);
    let mut latencies = Vec::new();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds.max(0.0));
    while Instant::now() < until {
        let rows: Vec<NewInboundEvent> = (*first_row..*first_row + rows_per_commit).map(|n| row(&run, n)).collect();
        *first_row += rows_per_commit;
        let at = Instant::now();
        let inserted = probe.insert_scratch(&rows, clock.now()).await.context("inserting a batch")?;
        latencies.push(at.elapsed());
        anyhow::ensure!(inserted == rows.len() as u64, "only {inserted} of {} rows were inserted", rows.len());
    }
    Ok(CommitRun { rows_per_commit, commits: Summary::from_latencies(latencies, 0, started.elapsed()) })
}

/// Runs both parts and prints one line each.
pub async fn storage(args: StorageBenchArgs) -> anyhow::Result<()> {
    let folder = ScratchDir::new()?;
    let config = DatabaseConfig { url: folder.database_url(args.database_url.as_deref()), ..DatabaseConfig::default() };
    // Migrated like the service's, so the scratch table copies today's inbound_events.
    drop(crate::app::open_store(&crate::config::Config { database: config.clone(), ..Default::default() }).await?);
    let probe = BenchStore::connect(&config).await.context("opening the database for the storage benchmark")?;
    probe.create_scratch().await.context("creating the scratch table")?;
    let mut next_row = 0;
    let parts = async {
        let single = commit_for(&probe, 1, args.seconds, &mut next_row).await?;
        let batched = commit_for(&probe, args.batch, args.seconds, &mut next_row).await?;
        anyhow::Ok([single, batched])
    }
    .await;
    let kind = probe.kind();
    probe.drop_scratch().await.context("dropping the scratch table")?;
    let durability = match kind {
        BackendKind::Sqlite => "WAL, synchronous=FULL",
        BackendKind::Postgres => "synchronous_commit=on",
    };
    for part in parts? {
        println!("storage ({}, {durability}, one writer): {}", kind.name(), part.line());
    }
    Ok(())
}

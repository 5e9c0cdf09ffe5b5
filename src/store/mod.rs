//! Persistence behind narrow per-aggregate traits, with one implementation per backend:
//! SQLite (embedded default) and PostgreSQL (production, several instances). The only place with SQL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::config::DatabaseConfig;

pub mod postgres;
pub mod sqlite;

pub use crate::jobs::model::{EnqueueOutcome, Job, JobState, NewJob};
// The console's aggregates: traits and types live with their domain in `crate::auth`.
pub use crate::auth::audit::AuditStore;
pub use crate::auth::sessions::SessionStore;
pub use crate::auth::users::UserStore;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// Chooses the backend from the URL scheme.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(format!("`{}` is neither a sqlite:// nor a postgres:// URL", crate::config::redact_url_password(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Errors from the store; the message carries the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{context}: {source}")]
    Migration {
        context: &'static str,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Adds the operation name to a database error.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> StoreResult<T>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> StoreResult<T> {
        self.map_err(|source| StoreError::Database { context, source })
    }
}

/// What `/readyz` needs to know about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Migrations embedded in this binary.
    pub expected: usize,
    /// Of those, how many are applied.
    pub applied: usize,
    /// Applied migrations this binary does not know (a newer version ran against this database).
    pub unknown: usize,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

/// Database reachability and schema.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Applies the embedded migrations that are not applied yet.
    async fn migrate(&self) -> StoreResult<()>;
    /// Fails when the database cannot be reached.
    async fn ping(&self) -> StoreResult<()>;
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
}

/// Count of jobs of one kind in one state, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: String,
    pub state: JobState,
    pub count: i64,
}

/// The durable job queue (see `crate::jobs` for the worker side).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds one job; a job whose unique key already exists is not added again.
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<EnqueueOutcome>;
    /// Adds several jobs in one transaction.
    async fn enqueue_all(&self, jobs: &[NewJob], now: DateTime<Utc>) -> StoreResult<Vec<EnqueueOutcome>>;
    /// Reserves up to `limit` due jobs (of the given kinds, or any kind when empty) for `worker`
    /// until `locked_until`, counting one attempt each. Committed before it returns.
    async fn claim(
        &self,
        worker: &str,
        kinds: &[String],
        limit: u32,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>>;
    /// Marks a job done. False when `worker` no longer holds it (its lease was rescued).
    async fn complete(&self, id: i64, worker: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Returns a job to the queue to run again at `run_at`, recording the error.
    async fn retry(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives up on a job; it stays in the table as a dead letter with its error.
    async fn discard(&self, id: i64, worker: &str, error: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Hands jobs back without counting the attempt (used at shutdown).
    async fn release(&self, ids: &[i64], worker: &str, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Cancels a job that has not started. False when it is running or finished.
    async fn cancel(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Returns running jobs whose lease expired to the queue (or discards them when out of attempts).
    async fn rescue_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn get(&self, id: i64) -> StoreResult<Option<Job>>;
    /// Jobs in a state, newest first (for inspecting dead letters).
    async fn list(&self, state: JobState, limit: u32) -> StoreResult<Vec<Job>>;
    async fn counts(&self) -> StoreResult<Vec<JobCount>>;
    /// When the earliest available job becomes due, if any (lets idle workers sleep precisely).
    async fn next_run_at(&self) -> StoreResult<Option<DateTime<Utc>>>;
}

/// A webhook event to persist at intake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundEvent {
    /// Dedupe key (`event_name:msg_id` or a body hash).
    pub event_key: String,
    pub event_name: String,
    /// The citizen the event concerns, or [`OA_EVENTS`] for OA-level events.
    pub citizen_id: String,
    /// The exact bytes received.
    pub raw_body: Vec<u8>,
    /// Zalo's `num_retry` header (0 on the first delivery).
    pub num_retry: i32,
}

/// Pseudo-citizen under which OA-level events (template status, ZNS feedback…) are queued.
pub const OA_EVENTS: &str = "_oa";

/// Whether an event was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted(i64),
    /// Seen before (a Zalo retry or duplicate): not stored again, not processed again.
    Duplicate,
}

/// Processing state of an inbound event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundState {
    Pending,
    Processed,
    /// Stored but needs no processing (receipts, echoes, unknown events…).
    Ignored,
    /// Processing failed too often; kept for inspection.
    Failed,
}

impl InboundState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Processed, Self::Ignored, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// An inbound event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    pub id: i64,
    pub event_key: String,
    pub event_name: String,
    pub citizen_id: String,
    pub raw_body: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub num_retry: i32,
    pub state: InboundState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub processed_at: Option<DateTime<Utc>>,
}

/// A citizen's stored conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub citizen_id: String,
    /// The bot's state as JSON; `None` before the first processed event.
    pub state: Option<serde_json::Value>,
    pub version: i64,
    /// Events received and not yet processed.
    pub pending: i64,
}

/// Everything one processed event changes, committed in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnCommit {
    pub citizen_id: String,
    pub event_id: i64,
    /// The worker holding the citizen's lease.
    pub worker: String,
    /// The new conversation state (`None` keeps the stored one).
    pub state: Option<serde_json::Value>,
    /// `Processed` or `Ignored`.
    pub outcome: InboundState,
    /// Jobs caused by the event (messages to send, notifications…).
    pub jobs: Vec<NewJob>,
}

/// What committing a turn did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnResult {
    Committed,
    /// The worker no longer holds the citizen's lease; nothing was written.
    LeaseLost,
    /// The event was processed already; nothing was written.
    AlreadyDone,
}

/// A signed webhook body that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedWebhook {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub reason: String,
    pub raw_body: Vec<u8>,
}

/// Webhook intake and per-citizen ordered processing (see `crate::inbound`).
#[async_trait]
pub trait InboundStore: Send + Sync {
    /// Stores new events in one transaction (duplicates by event key are skipped) and counts
    /// them as pending on their citizens' conversations. One outcome per input, in order.
    async fn insert_events(&self, events: &[NewInboundEvent], now: DateTime<Utc>) -> StoreResult<Vec<InsertOutcome>>;
    /// Keeps a signed body that could not be parsed.
    async fn record_rejected(&self, raw_body: &[u8], reason: &str, now: DateTime<Utc>) -> StoreResult<i64>;
    async fn list_rejected(&self, limit: u32) -> StoreResult<Vec<RejectedWebhook>>;
    /// Leases up to `limit` citizens that have pending events, are not leased and not waiting
    /// for a retry. Each citizen is processed by one worker at a time, across instances.
    async fn claim_citizens(
        &self,
        worker: &str,
        limit: u32,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;
    /// The citizen's pending events, oldest first.
    async fn pending_events(&self, citizen_id: &str, limit: u32) -> StoreResult<Vec<InboundEvent>>;
    async fn conversation(&self, citizen_id: &str) -> StoreResult<Option<Conversation>>;
    /// Marks the event done, stores the new state and enqueues the jobs, atomically, if `worker`
    /// still holds the citizen's lease.
    async fn commit_turn(&self, turn: &TurnCommit, now: DateTime<Utc>) -> StoreResult<TurnResult>;
    /// Records a failed attempt. Below `max_attempts` the event stays pending and the citizen
    /// waits until `retry_at`; at `max_attempts` the event is marked failed (the citizen's later
    /// events go on). Returns true when the event was given up.
    async fn fail_event(
        &self,
        event_id: i64,
        worker: &str,
        error: &str,
        max_attempts: i32,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Ends the worker's lease on the citizen.
    async fn release_citizen(&self, citizen_id: &str, worker: &str) -> StoreResult<()>;
    async fn event(&self, id: i64) -> StoreResult<Option<InboundEvent>>;
    /// How many events are in a state (for tests, metrics and the demo).
    async fn count_events(&self, state: InboundState) -> StoreResult<i64>;
}

/// The store: one handle per aggregate, all on the same database.
#[derive(Clone)]
pub struct Store {
    pub kind: BackendKind,
    pub health: Arc<dyn HealthStore>,
    pub jobs: Arc<dyn JobStore>,
    pub inbound: Arc<dyn InboundStore>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub audit: Arc<dyn AuditStore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to the database named by the configuration (creating a SQLite file and its folder).
    pub async fn connect(config: &DatabaseConfig) -> StoreResult<Self> {
        match BackendKind::from_url(&config.url).map_err(StoreError::Invalid)? {
            BackendKind::Sqlite => Ok(sqlite::SqliteStore::connect(config).await?.into_store()),
            BackendKind::Postgres => Ok(postgres::PgStore::connect(config).await?.into_store()),
        }
    }
}

/// Compares the applied migration versions with those embedded in `migrator`.
fn schema_status(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> SchemaStatus {
    let expected: Vec<i64> =
        migrator.iter().filter(|m| !m.migration_type.is_down_migration()).map(|m| m.version).collect();
    SchemaStatus {
        expected: expected.len(),
        applied: expected.iter().filter(|v| applied.contains(v)).count(),
        unknown: applied.iter().filter(|v| !expected.contains(v)).count(),
    }
}

/// Maps each input event to Inserted (first occurrence of a key that the database inserted) or
/// Duplicate (seen before, or repeated within the same batch).
fn outcomes_in_order(
    events: &[NewInboundEvent],
    inserted: &std::collections::BTreeMap<String, i64>,
) -> Vec<InsertOutcome> {
    let mut claimed = std::collections::HashSet::new();
    events
        .iter()
        .map(|event| match inserted.get(&event.event_key) {
            Some(id) if claimed.insert(event.event_key.as_str()) => InsertOutcome::Inserted(*id),
            _ => InsertOutcome::Duplicate,
        })
        .collect()
}

/// How many newly inserted events each citizen got in a batch.
fn pending_per_citizen(events: &[NewInboundEvent], outcomes: &[InsertOutcome]) -> Vec<(String, i64)> {
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    for (event, outcome) in events.iter().zip(outcomes) {
        if matches!(outcome, InsertOutcome::Inserted(_)) {
            *counts.entry(event.citizen_id.clone()).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

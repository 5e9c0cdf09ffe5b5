//! Persistence behind narrow per-aggregate traits, with one implementation per backend:
//! SQLite (embedded default) and PostgreSQL (production, several instances). The only place with SQL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::config::DatabaseConfig;

pub mod postgres;
pub mod sqlite;

pub use crate::jobs::model::{EnqueueOutcome, Job, JobState, NewJob};
pub use crate::zalo::records::{
    Citizen, HeldMessage, NewOutboundRecord, OutboundRecord, PendingAuthorization, RefreshFailure, RefreshStatus,
    SealedTokens, StoredTokens, TokenSource,
};

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

/// The Zalo OA's token pair (sealed; encryption is the caller's), the single-flight lease of its
/// refresh, the last refused refresh, and pending OAuth authorisations.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn load_tokens(&self) -> StoreResult<Option<StoredTokens>>;
    /// Stores a first pair only when none is stored; true when it was stored.
    async fn bootstrap_tokens(&self, tokens: &SealedTokens, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Replaces the pair (new version, returned) and clears a recorded refresh failure.
    async fn save_tokens(&self, tokens: &SealedTokens, source: TokenSource, now: DateTime<Utc>) -> StoreResult<i64>;
    /// Takes the refresh lease for `holder` until `until` when it is free or expired (one
    /// conditional UPDATE, so exactly one of several instances gets it).
    async fn try_claim_refresh(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool>;
    /// Gives the lease back (only when `holder` still holds it).
    async fn release_refresh(&self, holder: &str) -> StoreResult<()>;
    async fn record_refresh_failure(&self, failure: &RefreshFailure) -> StoreResult<()>;
    async fn refresh_status(&self) -> StoreResult<RefreshStatus>;
    /// Keeps a PKCE verifier for its `state`, and forgets expired ones.
    async fn save_pending_authorization(&self, pending: &PendingAuthorization, now: DateTime<Utc>) -> StoreResult<()>;
    /// Removes and returns the unexpired authorisation with this `state`, or the most recent
    /// unexpired one when `state` is `None` (Zalo may not echo it).
    async fn take_pending_authorization(
        &self,
        state: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PendingAuthorization>>;
}

/// Citizens' contact facts (the `citizens` table).
#[async_trait]
pub trait CitizenStore: Send + Sync {
    /// Notes an interaction that opens the chat window; keeps the latest time.
    async fn record_interaction(&self, user_id: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Follow/unfollow; an older event than the last applied one is ignored.
    async fn set_follower(&self, user_id: &str, is_follower: bool, at: DateTime<Utc>) -> StoreResult<()>;
    /// Name and/or phone the citizen gave; `None` keeps what is stored.
    async fn set_contact(
        &self,
        user_id: &str,
        display_name: Option<&str>,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn get(&self, user_id: &str) -> StoreResult<Option<Citizen>>;
}

/// What was sent to citizens (every attempt), and messages held until the citizen writes.
#[async_trait]
pub trait OutboundStore: Send + Sync {
    async fn record_attempt(&self, record: &NewOutboundRecord) -> StoreResult<i64>;
    /// The attempts of one job, oldest first.
    async fn records_for_job(&self, job_id: i64) -> StoreResult<Vec<OutboundRecord>>;
    /// The sent message with this Zalo `message_id`/`msg_id`.
    async fn find_by_message_id(&self, message_id: &str) -> StoreResult<Option<OutboundRecord>>;
    /// The latest sent message with this ZNS `tracking_id`.
    async fn find_by_tracking_id(&self, tracking_id: &str) -> StoreResult<Option<OutboundRecord>>;
    /// Keeps a message until the citizen writes; a second hold for the same job returns the first.
    async fn hold(
        &self,
        user_id: &str,
        source_job_id: Option<i64>,
        request: &crate::zalo::outbound::SendRequest,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Messages held for a citizen and not released yet, oldest first.
    async fn held_for(&self, user_id: &str) -> StoreResult<Vec<HeldMessage>>;
    /// In one transaction: enqueues a `zalo.send` job per held message of the citizen (unique key
    /// `held:<id>`, in order) and marks them released. Returns the enqueued jobs.
    async fn release_held(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<Vec<EnqueueOutcome>>;
}

/// The store: one handle per aggregate, all on the same database.
#[derive(Clone)]
pub struct Store {
    pub kind: BackendKind,
    pub health: Arc<dyn HealthStore>,
    pub jobs: Arc<dyn JobStore>,
    pub zalo_tokens: Arc<dyn TokenStore>,
    pub citizens: Arc<dyn CitizenStore>,
    pub zalo_outbound: Arc<dyn OutboundStore>,
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

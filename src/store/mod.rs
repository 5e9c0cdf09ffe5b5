//! Persistence behind narrow per-aggregate traits, with one implementation per backend:
//! SQLite (embedded default) and PostgreSQL (production, several instances). The only place with SQL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::config::DatabaseConfig;

pub mod postgres;
pub mod sqlite;

pub use crate::jobs::model::{EnqueueOutcome, Job, JobState, NewJob};

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

/// The store: one handle per aggregate, all on the same database.
#[derive(Clone)]
pub struct Store {
    pub kind: BackendKind,
    pub health: Arc<dyn HealthStore>,
    pub jobs: Arc<dyn JobStore>,
    pub tickets: Arc<dyn TicketStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
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

/// What creating a ticket did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateTicketOutcome {
    /// Stored; the ticket with its database id.
    Created(Box<crate::tickets::model::Ticket>),
    /// Another ticket has this code already; nothing was written (draw a new code and retry).
    CodeTaken,
}

/// Complaint tickets: the ticket rows, their history, attachments and console notifications.
/// Every method that reads tickets for a user applies the caller's [`Scope`] in the query.
///
/// [`Scope`]: crate::tickets::filter::Scope
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Inserts a ticket (its `id` and `version` are ignored) with its attachments, first history
    /// entries and the jobs it causes, in one transaction.
    async fn create_ticket(
        &self,
        ticket: &crate::tickets::model::Ticket,
        attachments: &[crate::tickets::model::NewAttachment],
        events: &[crate::tickets::model::NewEvent],
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<CreateTicketOutcome>;
    /// The ticket with this (normalised) code, if it is inside `scope`.
    async fn get_ticket(
        &self,
        code: &str,
        scope: &crate::tickets::filter::Scope,
    ) -> StoreResult<Option<crate::tickets::model::Ticket>>;
    /// The ticket with this code only when it was filed by this Zalo user.
    async fn get_ticket_for_citizen(
        &self,
        code: &str,
        citizen_user_id: &str,
    ) -> StoreResult<Option<crate::tickets::model::Ticket>>;
    /// Writes every mutable field of `ticket` if the stored row is still at `ticket.version`
    /// (then version + 1), with history entries and jobs, in one transaction. False when the
    /// ticket changed meanwhile (nothing written).
    async fn update_ticket(
        &self,
        ticket: &crate::tickets::model::Ticket,
        events: &[crate::tickets::model::NewEvent],
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// One page of tickets matching `filter` (scope applied in the query); `now` decides "overdue".
    async fn list_tickets(
        &self,
        filter: &crate::tickets::filter::TicketFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::tickets::filter::TicketPage>;
    /// History of a ticket, oldest first.
    async fn ticket_events(&self, ticket_id: i64) -> StoreResult<Vec<crate::tickets::model::TicketEvent>>;
    /// Attachments of a ticket, by `seq`.
    async fn ticket_attachments(&self, ticket_id: i64) -> StoreResult<Vec<crate::tickets::model::Attachment>>;
    /// Attachment `seq` of the ticket with this code.
    async fn attachment(&self, code: &str, seq: i32) -> StoreResult<Option<crate::tickets::model::Attachment>>;
    /// Records a download's outcome and a history entry, only while the attachment is `pending`.
    async fn record_fetch(
        &self,
        attachment_id: i64,
        outcome: &crate::tickets::model::FetchOutcome,
        event: &crate::tickets::model::NewEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Open, processable tickets whose reminder time has come and who were not reminded yet.
    async fn tickets_to_remind(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::tickets::model::Ticket>>;
    /// Open tickets past their deadline that were not escalated yet.
    async fn tickets_to_escalate(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::tickets::model::Ticket>>;
    /// Records a console notification; false when one with the same dedupe key exists.
    async fn record_notification(&self, notification: &crate::tickets::model::NewNotification) -> StoreResult<bool>;
    /// Notifications `scope` may read, newest first.
    async fn notifications(
        &self,
        scope: &crate::tickets::filter::Scope,
        unread_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<crate::tickets::model::Notification>>;
    /// Marks a notification read, if `scope` may read it. False when not found or not allowed.
    async fn mark_notification_read(
        &self,
        id: i64,
        scope: &crate::tickets::filter::Scope,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// What creating an API key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateApiKeyOutcome {
    Created(crate::auth::api_keys::ApiKeyRecord),
    /// An active key has this name already.
    NameTaken,
}

/// API keys of machine clients: only a SHA-256 of each key and a short prefix are stored.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn create_api_key(
        &self,
        key: &crate::auth::api_keys::NewApiKey,
        now: DateTime<Utc>,
    ) -> StoreResult<CreateApiKeyOutcome>;
    /// Active (not revoked) keys with this prefix.
    async fn active_api_keys_by_prefix(&self, prefix: &str) -> StoreResult<Vec<crate::auth::api_keys::ApiKeyRecord>>;
    /// Every key, revoked ones included, by name.
    async fn list_api_keys(&self) -> StoreResult<Vec<crate::auth::api_keys::ApiKeyRecord>>;
    /// Revokes the active key with this name; false when there is none.
    async fn revoke_api_key(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool>;
}

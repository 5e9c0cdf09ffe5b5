//! Persistence behind narrow per-aggregate traits, with one implementation per backend:
//! SQLite (embedded default) and PostgreSQL (production, several instances). The only place with SQL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::config::DatabaseConfig;

pub mod bench;
pub mod postgres;
pub mod sqlite;
mod stats_sql;

pub use crate::jobs::model::{EnqueueOutcome, Job, JobState, NewJob};
use crate::surveys::model::{
    ChatStepRecord, ContactHistory, DispatchReport, Dossier, DossierOutcome, DueInstance, InstancePlan, InstanceState,
    OptOutReport, SendDecision, StoredAnswer, Submission, SubmitOutcome, SurveyInstance, UnmatchedFeedback,
};
pub use crate::zalo::records::{
    Citizen, HeldMessage, NewOutboundRecord, OutboundRecord, PendingAuthorization, RefreshFailure, RefreshStatus,
    SealedTokens, StoredTokens, TokenSource,
};
// The console's aggregates: traits and types live with their domain in `crate::auth`.
pub use crate::auth::audit::AuditStore;
pub use crate::auth::sessions::SessionStore;
pub use crate::auth::users::UserStore;
// Statistics: trait and types live with their domain in `crate::stats`.
pub use crate::stats::model::StatsStore;
// Officer chats: trait and types live with their domain in `crate::handoff`.
pub use crate::handoff::model::OfficerChatStore;
// The console's survey pages: traits and types live with their domain in `crate::surveys`.
pub use crate::surveys::imports::ImportStore;
pub use crate::surveys::overview::SurveyOverviewStore;

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
    /// Whether one connection does all the writing (SQLite): then the results of jobs that
    /// finish together are worth recording together. With a pool of connections (PostgreSQL)
    /// they are recorded side by side instead.
    fn single_writer(&self) -> bool {
        false
    }
    /// Records how several of `worker`'s runs ended, each as `complete`, `retry` or `discard`
    /// would; one result per job, in order. SQLite writes them in one transaction (one fsync
    /// instead of one each; an error writes none); by default they are recorded one by one (an
    /// error stops there).
    async fn finish_all(
        &self,
        worker: &str,
        finished: &[(i64, crate::jobs::Finish)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        let mut recorded = Vec::with_capacity(finished.len());
        for (id, finish) in finished {
            recorded.push(match finish {
                crate::jobs::Finish::Complete => self.complete(*id, worker, now).await?,
                crate::jobs::Finish::Retry { at, error } => self.retry(*id, worker, error, *at, now).await?,
                crate::jobs::Finish::Discard { error } => self.discard(*id, worker, error, now).await?,
            });
        }
        Ok(recorded)
    }
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
    /// Changes to the citizen's officer chat (opened, a message relayed, ended), in order.
    pub chat: Vec<crate::handoff::model::ChatChange>,
    /// When the event counts as an interaction with the OA: its time, recorded as the
    /// citizen's last interaction (which decides how messages can reach them).
    pub interaction_at: Option<DateTime<Utc>>,
    /// Ends the worker's lease on the citizen with this turn (its last event of the claim).
    pub release: bool,
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

/// What [`InboundStore::commit_turns`] wrote: the results of the turns committed, which are
/// the first `results.len()` of the batch, in order; and, when a transaction failed, its error
/// (the turns after those were not written).
#[derive(Debug, Default)]
pub struct TurnsCommitted {
    pub results: Vec<TurnResult>,
    pub failed: Option<StoreError>,
}

impl TurnsCommitted {
    /// Every turn's result, or the error if any turn was not written.
    pub fn all(self) -> StoreResult<Vec<TurnResult>> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(self.results),
        }
    }
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
    /// Returns the leased conversations (read by the same statement that leases them).
    async fn claim_citizens(
        &self,
        worker: &str,
        limit: u32,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Conversation>>;
    /// The citizen's pending events, oldest first.
    async fn pending_events(&self, citizen_id: &str, limit: u32) -> StoreResult<Vec<InboundEvent>>;
    async fn conversation(&self, citizen_id: &str) -> StoreResult<Option<Conversation>>;
    /// Marks the event done, stores the new state, records the interaction, applies the
    /// officer-chat changes, enqueues the jobs and (with `release`) ends the lease, atomically,
    /// if `worker` still holds the citizen's lease.
    async fn commit_turn(&self, turn: &TurnCommit, now: DateTime<Utc>) -> StoreResult<TurnResult> {
        let results = self.commit_turns(std::slice::from_ref(turn), now).await.all()?;
        results.into_iter().next().ok_or_else(|| StoreError::Invalid("no result for a committed turn".to_owned()))
    }
    /// Commits several turns (of different citizens, or one citizen's in order): each is
    /// applied as [`InboundStore::commit_turn`] would, and answered with its own result. They
    /// go in one transaction, or (SQLite, when webhook intake is waiting for the writer) in
    /// consecutive ones, so intake never waits for a whole large batch. A transaction that
    /// fails writes none of its turns and the later ones are not tried: see [`TurnsCommitted`].
    async fn commit_turns(&self, turns: &[TurnCommit], now: DateTime<Utc>) -> TurnsCommitted;
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

/// Decides the survey of a newly stored dossier from the citizen's history (called inside the
/// storing transaction, so a batch sees its own earlier rows).
pub type PlanInstance<'a> = dyn Fn(&Dossier, &ContactHistory) -> InstancePlan + Send + Sync + 'a;
/// Decides what to do with a due survey instance (called inside the claiming transaction).
pub type DecideSend<'a> = dyn Fn(&DueInstance) -> SendDecision + Send + Sync + 'a;
/// Builds the reminder send job of an instance (called inside the claiming transaction).
pub type BuildReminder<'a> = dyn Fn(&DueInstance) -> NewJob + Send + Sync + 'a;

/// Satisfaction surveys: dossiers, one survey instance per dossier, raw answers, opt-outs
/// (see `crate::surveys`). Methods that send enqueue their jobs in the same transaction.
#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Stores dossiers in one transaction, outcomes in input order. A new code gets its survey
    /// instance from `plan`; a known code is updated when its content differs (its instance's
    /// contact follows while the instance is still scheduled) and never gets a second instance.
    async fn store_dossiers(
        &self,
        dossiers: &[Dossier],
        plan: &PlanInstance<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DossierOutcome>>;
    async fn dossier(&self, code: &str) -> StoreResult<Option<Dossier>>;
    async fn instance_by_dossier(&self, dossier_code: &str) -> StoreResult<Option<SurveyInstance>>;
    async fn instance_by_token(&self, token: &str) -> StoreResult<Option<SurveyInstance>>;
    /// The citizen's newest instance that chat input may answer: sent or being answered and not
    /// expired at `now`, or answered in the chat at or after `suggestion_since` with a chat step
    /// still pending (the optional suggestion).
    async fn active_chat_instance(
        &self,
        zalo_user_id: &str,
        now: DateTime<Utc>,
        suggestion_since: DateTime<Utc>,
    ) -> StoreResult<Option<SurveyInstance>>;
    /// Claims up to `limit` scheduled instances due at `now` (each by one caller only, across
    /// instances) and applies `decide` to each: sent (with its job enqueued in the same
    /// transaction) or skipped.
    async fn dispatch_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        decide: &DecideSend<'_>,
    ) -> StoreResult<DispatchReport>;
    /// Claims up to `limit` sent, unanswered, unexpired instances whose reminder is due, marks
    /// them reminded and enqueues the job `build` makes. Returns how many.
    async fn remind_due(&self, now: DateTime<Utc>, limit: u32, build: &BuildReminder<'_>) -> StoreResult<usize>;
    /// Marks sent or partly answered instances past their expiry `expired`. Returns how many.
    async fn expire_due(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Records one chat step if the instance is still at `expected_step` and open (or answered
    /// in the chat with that step pending). False when stale: nothing was written.
    async fn record_chat_step(&self, step: &ChatStepRecord, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Stores a whole submission (web form, ZNS rating) and marks the instance answered, if it is
    /// open at `now`.
    async fn submit(&self, submission: &Submission, now: DateTime<Utc>) -> StoreResult<SubmitOutcome>;
    /// Raw answers of an instance, in question order of storage.
    async fn answers(&self, instance_id: i64) -> StoreResult<Vec<StoredAnswer>>;
    /// Keeps a rating whose tracking id matched no instance.
    async fn record_unmatched_feedback(&self, feedback: &UnmatchedFeedback, now: DateTime<Utc>) -> StoreResult<i64>;
    async fn list_unmatched_feedback(&self, limit: u32) -> StoreResult<Vec<UnmatchedFeedback>>;
    /// Adds the citizen (Zalo user id and/or phone, plus the other identifier found on their
    /// instances) to the opt-out list, skips their scheduled instances and cancels pending
    /// reminders, in one transaction.
    async fn opt_out(
        &self,
        zalo_user_id: Option<&str>,
        phone: Option<&str>,
        source: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<OptOutReport>;
    async fn is_opted_out(&self, zalo_user_id: Option<&str>, phone: Option<&str>) -> StoreResult<bool>;
    /// How many instances are in a state (for metrics and tests).
    async fn count_instances(&self, state: InstanceState) -> StoreResult<i64>;
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
    /// Whether one connection does all the writing (SQLite): then records of sends that end
    /// together are worth storing together (see [`JobStore::single_writer`]).
    fn single_writer(&self) -> bool {
        false
    }
    /// Records several attempts; their ids, in order. SQLite stores them in one transaction (an
    /// error stores none); by default they are stored one by one (an error stops there).
    async fn record_attempts(&self, records: &[NewOutboundRecord]) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(records.len());
        for record in records {
            ids.push(self.record_attempt(record).await?);
        }
        Ok(ids)
    }
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
    pub inbound: Arc<dyn InboundStore>,
    pub surveys: Arc<dyn SurveyStore>,
    pub zalo_tokens: Arc<dyn TokenStore>,
    pub citizens: Arc<dyn CitizenStore>,
    pub zalo_outbound: Arc<dyn OutboundStore>,
    pub tickets: Arc<dyn TicketStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub audit: Arc<dyn AuditStore>,
    pub stats: Arc<dyn StatsStore>,
    pub officer_chats: Arc<dyn OfficerChatStore>,
    pub survey_imports: Arc<dyn ImportStore>,
    pub survey_overview: Arc<dyn SurveyOverviewStore>,
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

/// A LIKE pattern (escape character `\\`) matching values that contain `text`, lower-cased.
pub(crate) fn like_contains(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped_and_lower_cased() {
        assert_eq!(like_contains("H27_01%"), "%h27\\_01\\%%");
        assert_eq!(like_contains("AB\\c"), "%ab\\\\c%");
    }
}

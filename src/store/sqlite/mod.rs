//! SQLite implementation of the store: WAL, one writer connection (multi-statement writes in
//! `BEGIN IMMEDIATE`), a pool of readers, and a busy timeout. Times are stored as epoch milliseconds.

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{BackendKind, Context, HealthStore, SchemaStatus, Store, StoreError, StoreResult};
use crate::config::DatabaseConfig;
use writer_gate::{WritePermit, WriterGate};

mod api_keys;
mod audit;
pub mod backup;
mod bench;
mod checkpointer;
mod citizens;
mod inbound;
mod jobs;
mod officer_chats;
mod stats;
mod survey_imports;
mod survey_overview;
mod surveys;
mod tickets;
mod turns;
mod users;
mod writer_gate;
mod zalo_outbound;
mod zalo_tokens;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store: `writer` has exactly one connection, `reader` several; `gate` decides who
/// writes next (webhook intake first).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    gate: Arc<WriterGate>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file named by `config.url`.
    pub async fn connect(config: &DatabaseConfig) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(&config.url)
            .context("parsing the SQLite URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged write survives a power loss, not just a process crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(config.busy_timeout.to_std())
            .foreign_keys(true)
            // Pages are read from the OS page cache in place instead of copied into each
            // connection's cache (which a write elsewhere invalidates): less CPU per read.
            .pragma("mmap_size", "1073741824");
        let filename = options.get_filename().to_path_buf();
        let in_memory = filename.as_os_str() == ":memory:" || filename.as_os_str().is_empty();
        if !in_memory {
            if let Some(parent) = filename.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Invalid(format!("cannot create the database folder {}: {e}", parent.display()))
                })?;
            }
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone().pragma("wal_autocheckpoint", checkpointer::WRITER_AUTOCHECKPOINT_PAGES))
            .await
            .context("opening the SQLite writer connection")?;
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(config.sqlite_readers)
                .connect_with(options.clone().read_only(true))
                .await
                .context("opening the SQLite reader connections")?
        };
        let gate = Arc::new(WriterGate::default());
        if !in_memory {
            checkpointer::spawn(options, &gate);
        }
        Ok(Self { writer, reader, gate })
    }

    /// Wraps this backend in the aggregate handles of [`Store`].
    pub fn into_store(self) -> Store {
        let shared = Arc::new(self);
        Store {
            kind: BackendKind::Sqlite,
            health: shared.clone(),
            jobs: shared.clone(),
            inbound: shared.clone(),
            surveys: shared.clone(),
            zalo_tokens: shared.clone(),
            citizens: shared.clone(),
            zalo_outbound: shared.clone(),
            tickets: shared.clone(),
            api_keys: shared.clone(),
            users: shared.clone(),
            sessions: shared.clone(),
            stats: shared.clone(),
            officer_chats: shared.clone(),
            survey_imports: shared.clone(),
            survey_overview: shared.clone(),
            audit: shared,
        }
    }

    /// Starts a background write transaction that takes the write lock at once.
    async fn begin_write(&self) -> StoreResult<WriteTx> {
        let permit = self.gate.background().await;
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await.context("starting a write transaction")?;
        Ok(WriteTx { tx, _permit: permit })
    }

    /// Starts an urgent write transaction (webhook intake): it goes before background writers.
    async fn begin_urgent_write(&self) -> StoreResult<WriteTx> {
        let permit = self.gate.urgent().await;
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await.context("starting an intake transaction")?;
        Ok(WriteTx { tx, _permit: permit })
    }

    /// The writer connection for a background write outside a transaction.
    async fn write_conn(&self) -> StoreResult<WriteConn> {
        let permit = self.gate.background().await;
        let conn = self.writer.acquire().await.context("taking the SQLite writer connection")?;
        Ok(WriteConn { conn, _permit: permit })
    }

    /// The writer connection if no other writer holds or waits for it now.
    fn try_write_conn(&self) -> Option<WriteConn> {
        let permit = self.gate.try_background()?;
        let conn = self.writer.try_acquire()?;
        Some(WriteConn { conn, _permit: permit })
    }
}

/// A write transaction holding the writer's permit until it ends (see `writer_gate`).
pub(super) struct WriteTx {
    // Dropped first: the connection goes back to the pool before the next writer is let in.
    tx: sqlx::Transaction<'static, Sqlite>,
    _permit: WritePermit,
}

impl WriteTx {
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(super) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// The writer connection outside a transaction, holding the writer's permit until dropped.
pub(super) struct WriteConn {
    conn: PoolConnection<Sqlite>,
    _permit: WritePermit,
}

impl std::ops::Deref for WriteConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

#[async_trait]
impl HealthStore for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|source| StoreError::Migration { context: "applying SQLite migrations", source })
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await.context("pinging SQLite")?;
        Ok(())
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_optional(&self.reader)
                .await
                .context("looking for the migrations table")?;
        let applied: Vec<i64> = if exists.is_some() {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.reader)
                .await
                .context("reading applied migrations")?
        } else {
            Vec::new()
        };
        Ok(super::schema_status(&MIGRATOR, &applied))
    }
}

pub(crate) fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

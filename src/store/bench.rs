//! Bench-only storage, used by `tongdai bench` and nothing in the service (so not part of the
//! store traits): the storage ceiling's scratch table `bench_inbound_scratch`, a copy of
//! `inbound_events`' definition as the database has it (columns, unique key, indexes), written
//! with intake's very INSERT statement and durability; and bulk seeding of
//! citizens' last interactions, so a benchmark with thousands of citizens does not start with
//! thousands of single-row commits.

use chrono::{DateTime, Utc};

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{BackendKind, NewInboundEvent, StoreError, StoreResult};
use crate::config::DatabaseConfig;

/// Connections like the service's (SQLite: WAL, `synchronous=FULL`, one writer connection;
/// PostgreSQL: the pool, default `synchronous_commit`).
pub struct BenchStore {
    backend: Backend,
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl BenchStore {
    pub async fn connect(config: &DatabaseConfig) -> StoreResult<Self> {
        let backend = match BackendKind::from_url(&config.url).map_err(StoreError::Invalid)? {
            BackendKind::Sqlite => Backend::Sqlite(SqliteStore::connect(config).await?),
            BackendKind::Postgres => Backend::Postgres(PgStore::connect(config).await?),
        };
        Ok(Self { backend })
    }

    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Creates the scratch table afresh (dropping one left by an interrupted run); the
    /// database must be migrated.
    pub async fn create_scratch(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(store) => store.create_bench_scratch().await,
            Backend::Postgres(store) => store.create_bench_scratch().await,
        }
    }

    /// Inserts the events into the scratch table in one transaction (one multi-row INSERT per
    /// 1,000 rows, keys already there skipped, as intake does); returns the rows inserted.
    pub async fn insert_scratch(&self, events: &[NewInboundEvent], now: DateTime<Utc>) -> StoreResult<u64> {
        match &self.backend {
            Backend::Sqlite(store) => store.insert_bench_scratch(events, now).await,
            Backend::Postgres(store) => store.insert_bench_scratch(events, now).await,
        }
    }

    pub async fn drop_scratch(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(store) => store.drop_bench_scratch().await,
            Backend::Postgres(store) => store.drop_bench_scratch().await,
        }
    }

    /// Records that each citizen (by Zalo user id) wrote at `at`, in one transaction — what
    /// `CitizenStore::record_interaction` does one at a time. Citizens already known are left
    /// as they are; returns the citizens added.
    pub async fn seed_interactions(&self, user_ids: &[String], at: DateTime<Utc>) -> StoreResult<u64> {
        match &self.backend {
            Backend::Sqlite(store) => store.seed_bench_interactions(user_ids, at).await,
            Backend::Postgres(store) => store.seed_bench_interactions(user_ids, at).await,
        }
    }
}

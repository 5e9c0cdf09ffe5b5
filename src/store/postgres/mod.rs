//! PostgreSQL implementation of the store: the production backend and the way to run several
//! instances on one database. Claims use `FOR UPDATE SKIP LOCKED`.

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{BackendKind, Context, HealthStore, SchemaStatus, Store, StoreError, StoreResult};
use crate::config::DatabaseConfig;

mod api_keys;
mod audit;
mod bench;
mod citizens;
mod inbound;
mod jobs;
mod officer_chats;
mod stats;
mod survey_imports;
mod survey_overview;
mod surveys;
mod tickets;
mod users;
mod zalo_outbound;
mod zalo_tokens;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL store: one connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(config: &DatabaseConfig) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(&config.url).context("parsing the PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.busy_timeout.to_std().max(std::time::Duration::from_secs(1)))
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Self { pool })
    }

    pub fn into_store(self) -> Store {
        let shared = Arc::new(self);
        Store {
            kind: BackendKind::Postgres,
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
}

#[async_trait]
impl HealthStore for PgStore {
    async fn migrate(&self) -> StoreResult<()> {
        // The migrator takes an advisory lock, so instances starting together migrate once.
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migration { context: "applying PostgreSQL migrations", source })
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.context("pinging PostgreSQL")?;
        Ok(())
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
            .fetch_one(&self.pool)
            .await
            .context("looking for the migrations table")?;
        let applied: Vec<i64> = if exists.is_some() {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .context("reading applied migrations")?
        } else {
            Vec::new()
        };
        Ok(super::schema_status(&MIGRATOR, &applied))
    }
}

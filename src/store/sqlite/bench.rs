//! SQLite side of [`crate::store::bench`]: the scratch table, its batched insert and the bulk
//! seeding of citizens, on the writer connection in `BEGIN IMMEDIATE` like every write of the
//! service.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::inbound::{insert_events_statement, ROWS_PER_STATEMENT};
use super::{to_ms, SqliteStore};
use crate::store::{Context, NewInboundEvent, StoreError, StoreResult};

impl SqliteStore {
    /// Copies `inbound_events`' definition and indexes as they are in this database.
    pub(crate) async fn create_bench_scratch(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DROP TABLE IF EXISTS bench_inbound_scratch")
            .execute(&mut *tx)
            .await
            .context("dropping an old scratch table")?;
        let schema: Vec<String> = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'inbound_events' AND sql IS NOT NULL
              ORDER BY type = 'index', name",
        )
        .fetch_all(&mut *tx)
        .await
        .context("reading the definition of inbound_events")?;
        if schema.is_empty() {
            return Err(StoreError::Invalid("inbound_events does not exist: migrate the database first".into()));
        }
        for statement in schema {
            sqlx::query(&statement.replace("inbound_events", "bench_inbound_scratch"))
                .execute(&mut *tx)
                .await
                .context("creating the benchmark's scratch table")?;
        }
        tx.commit().await.context("committing the benchmark's scratch table")
    }

    pub(crate) async fn insert_bench_scratch(
        &self,
        events: &[NewInboundEvent],
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut inserted = 0;
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut insert = insert_events_statement("bench_inbound_scratch", chunk, now);
            inserted += insert.build().execute(&mut *tx).await.context("inserting benchmark rows")?.rows_affected();
        }
        tx.commit().await.context("committing benchmark rows")?;
        Ok(inserted)
    }

    pub(crate) async fn drop_bench_scratch(&self) -> StoreResult<()> {
        sqlx::query("DROP TABLE IF EXISTS bench_inbound_scratch")
            .execute(&mut *self.write_conn().await?)
            .await
            .context("dropping the benchmark's scratch table")?;
        Ok(())
    }

    pub(crate) async fn seed_bench_interactions(&self, user_ids: &[String], at: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for chunk in user_ids.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                QueryBuilder::new("INSERT INTO citizens (zalo_user_id, last_interaction_at, created_at, updated_at) ");
            insert.push_values(chunk, |mut row, user_id| {
                row.push_bind(user_id).push_bind(to_ms(at)).push_bind(to_ms(at)).push_bind(to_ms(at));
            });
            insert.push(" ON CONFLICT (zalo_user_id) DO NOTHING");
            added += insert.build().execute(&mut *tx).await.context("seeding citizens")?.rows_affected();
        }
        tx.commit().await.context("committing seeded citizens")?;
        Ok(added)
    }
}

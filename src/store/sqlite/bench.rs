//! SQLite side of [`crate::store::bench`]: the scratch table, its batched insert and the bulk
//! seeding of citizens, on the writer connection in `BEGIN IMMEDIATE` like every write of the
//! service.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{to_ms, SqliteStore};
use crate::store::{Context, NewInboundEvent, StoreResult};

/// Rows per multi-row INSERT, as in intake.
const ROWS_PER_STATEMENT: usize = 1000;

impl SqliteStore {
    pub(crate) async fn create_bench_scratch(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for statement in [
            "DROP TABLE IF EXISTS bench_inbound_scratch",
            "CREATE TABLE bench_inbound_scratch (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                event_key     TEXT    NOT NULL UNIQUE,
                event_name    TEXT    NOT NULL,
                citizen_id    TEXT    NOT NULL,
                raw_body      BLOB    NOT NULL,
                received_at   INTEGER NOT NULL,
                num_retry     INTEGER NOT NULL DEFAULT 0,
                state         TEXT    NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
                attempts      INTEGER NOT NULL DEFAULT 0,
                last_error    TEXT,
                processed_at  INTEGER
            )",
            "CREATE INDEX bench_inbound_scratch_pending ON bench_inbound_scratch (citizen_id, id) WHERE state = 'pending'",
            "CREATE INDEX bench_inbound_scratch_received ON bench_inbound_scratch (received_at)",
        ] {
            sqlx::query(statement).execute(&mut *tx).await.context("creating the benchmark's scratch table")?;
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
            let mut insert = QueryBuilder::new(
                "INSERT INTO bench_inbound_scratch (event_key, event_name, citizen_id, raw_body, received_at, num_retry) ",
            );
            insert.push_values(chunk, |mut row, event| {
                row.push_bind(&event.event_key)
                    .push_bind(&event.event_name)
                    .push_bind(&event.citizen_id)
                    .push_bind(&event.raw_body)
                    .push_bind(to_ms(now))
                    .push_bind(event.num_retry);
            });
            insert.push(" ON CONFLICT (event_key) DO NOTHING");
            inserted += insert.build().execute(&mut *tx).await.context("inserting benchmark rows")?.rows_affected();
        }
        tx.commit().await.context("committing benchmark rows")?;
        Ok(inserted)
    }

    pub(crate) async fn drop_bench_scratch(&self) -> StoreResult<()> {
        sqlx::query("DROP TABLE IF EXISTS bench_inbound_scratch")
            .execute(&self.writer)
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

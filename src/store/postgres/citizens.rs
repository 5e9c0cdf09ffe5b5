//! Citizens' contact facts on PostgreSQL: one upsert per change, keeping the latest interaction
//! and ignoring follow events older than the one applied.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::PgStore;
use crate::store::{Citizen, CitizenStore, Context, StoreResult};

#[derive(sqlx::FromRow)]
struct CitizenRow {
    zalo_user_id: String,
    display_name: Option<String>,
    phone: Option<String>,
    is_follower: bool,
    last_interaction_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Records that the citizen interacted with the OA at `at` (the latest time is kept), on `conn`
/// (inside the caller's transaction when it has one).
pub(crate) async fn record_interaction_in(
    conn: &mut PgConnection,
    user_id: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO citizens (zalo_user_id, last_interaction_at, created_at, updated_at) VALUES ($1, $2, $2, $2)
         ON CONFLICT (zalo_user_id) DO UPDATE
            SET last_interaction_at = GREATEST(citizens.last_interaction_at, EXCLUDED.last_interaction_at),
                updated_at = GREATEST(citizens.updated_at, EXCLUDED.updated_at)",
    )
    .bind(user_id)
    .bind(at)
    .execute(conn)
    .await
    .context("recording a citizen's interaction")?;
    Ok(())
}

#[async_trait]
impl CitizenStore for PgStore {
    async fn record_interaction(&self, user_id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.context("opening a database connection")?;
        record_interaction_in(&mut conn, user_id, at).await
    }

    async fn set_follower(&self, user_id: &str, is_follower: bool, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO citizens (zalo_user_id, is_follower, follower_changed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $3, $3)
             ON CONFLICT (zalo_user_id) DO UPDATE
                SET is_follower = EXCLUDED.is_follower,
                    follower_changed_at = EXCLUDED.follower_changed_at,
                    updated_at = GREATEST(citizens.updated_at, EXCLUDED.updated_at)
              WHERE citizens.follower_changed_at IS NULL OR citizens.follower_changed_at <= EXCLUDED.follower_changed_at",
        )
        .bind(user_id)
        .bind(is_follower)
        .bind(at)
        .execute(&self.pool)
        .await
        .context("recording a citizen's follow state")?;
        Ok(())
    }

    async fn set_contact(
        &self,
        user_id: &str,
        display_name: Option<&str>,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO citizens (zalo_user_id, display_name, phone, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (zalo_user_id) DO UPDATE
                SET display_name = COALESCE(EXCLUDED.display_name, citizens.display_name),
                    phone = COALESCE(EXCLUDED.phone, citizens.phone),
                    updated_at = GREATEST(citizens.updated_at, EXCLUDED.updated_at)",
        )
        .bind(user_id)
        .bind(display_name)
        .bind(phone)
        .bind(at)
        .execute(&self.pool)
        .await
        .context("recording a citizen's contact details")?;
        Ok(())
    }

    async fn get(&self, user_id: &str) -> StoreResult<Option<Citizen>> {
        let row: Option<CitizenRow> = sqlx::query_as(
            "SELECT zalo_user_id, display_name, phone, is_follower, last_interaction_at, created_at, updated_at
               FROM citizens WHERE zalo_user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .context("reading a citizen")?;
        Ok(row.map(|row| Citizen {
            zalo_user_id: row.zalo_user_id,
            display_name: row.display_name,
            phone: row.phone,
            is_follower: row.is_follower,
            last_interaction_at: row.last_interaction_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }))
    }
}

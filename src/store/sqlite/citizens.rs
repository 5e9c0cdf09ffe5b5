//! Citizens' contact facts on SQLite: one upsert per change, keeping the latest interaction and
//! ignoring follow events older than the one applied.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{from_ms, to_ms, SqliteStore};
use crate::store::{Citizen, CitizenStore, Context, StoreResult};

#[derive(sqlx::FromRow)]
struct CitizenRow {
    zalo_user_id: String,
    display_name: Option<String>,
    phone: Option<String>,
    is_follower: bool,
    last_interaction_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// Records that each citizen interacted with the OA at the time given (the latest time is kept),
/// on `conn` (inside the caller's transaction when it has one), one citizen once at most; returns
/// the citizens for whom messages are held (released when they write).
pub(super) async fn record_interactions_in(
    conn: &mut SqliteConnection,
    interactions: &[(&str, DateTime<Utc>)],
) -> StoreResult<Vec<String>> {
    let mut upsert: QueryBuilder<'_, Sqlite> =
        QueryBuilder::new("INSERT INTO citizens (zalo_user_id, last_interaction_at, created_at, updated_at) ");
    upsert.push_values(interactions, |mut row, (citizen, at)| {
        row.push_bind(*citizen).push_bind(to_ms(*at)).push_bind(to_ms(*at)).push_bind(to_ms(*at));
    });
    upsert.push(
        " ON CONFLICT (zalo_user_id) DO UPDATE
            SET last_interaction_at = MAX(COALESCE(citizens.last_interaction_at, excluded.last_interaction_at),
                                          excluded.last_interaction_at),
                updated_at = MAX(citizens.updated_at, excluded.updated_at)
         RETURNING zalo_user_id,
                   EXISTS (SELECT 1 FROM zalo_held_messages h
                            WHERE h.user_id = citizens.zalo_user_id AND h.released_at IS NULL)",
    );
    let rows: Vec<(String, bool)> =
        upsert.build_query_as().fetch_all(&mut *conn).await.context("recording citizens' interactions")?;
    Ok(rows.into_iter().filter(|(_, held)| *held).map(|(citizen, _)| citizen).collect())
}

#[async_trait]
impl CitizenStore for SqliteStore {
    async fn record_interaction(&self, user_id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.write_conn().await?;
        record_interactions_in(&mut conn, &[(user_id, at)]).await.map(|_held| ())
    }

    async fn set_follower(&self, user_id: &str, is_follower: bool, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO citizens (zalo_user_id, is_follower, follower_changed_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?3, ?3)
             ON CONFLICT (zalo_user_id) DO UPDATE
                SET is_follower = excluded.is_follower,
                    follower_changed_at = excluded.follower_changed_at,
                    updated_at = MAX(citizens.updated_at, excluded.updated_at)
              WHERE citizens.follower_changed_at IS NULL OR citizens.follower_changed_at <= excluded.follower_changed_at",
        )
        .bind(user_id)
        .bind(is_follower)
        .bind(to_ms(at))
        .execute(&mut *self.write_conn().await?)
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
            "INSERT INTO citizens (zalo_user_id, display_name, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (zalo_user_id) DO UPDATE
                SET display_name = COALESCE(excluded.display_name, citizens.display_name),
                    phone = COALESCE(excluded.phone, citizens.phone),
                    updated_at = MAX(citizens.updated_at, excluded.updated_at)",
        )
        .bind(user_id)
        .bind(display_name)
        .bind(phone)
        .bind(to_ms(at))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("recording a citizen's contact details")?;
        Ok(())
    }

    async fn get(&self, user_id: &str) -> StoreResult<Option<Citizen>> {
        let row: Option<CitizenRow> = sqlx::query_as(
            "SELECT zalo_user_id, display_name, phone, is_follower, last_interaction_at, created_at, updated_at
               FROM citizens WHERE zalo_user_id = ?1",
        )
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await
        .context("reading a citizen")?;
        Ok(row.map(|row| Citizen {
            zalo_user_id: row.zalo_user_id,
            display_name: row.display_name,
            phone: row.phone,
            is_follower: row.is_follower,
            last_interaction_at: row.last_interaction_at.map(from_ms),
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
        }))
    }
}

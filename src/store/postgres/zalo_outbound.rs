//! Outbound attempts and held messages on PostgreSQL. Releasing held messages claims them with one
//! UPDATE (a concurrent release waits and finds nothing left), enqueues their jobs and commits
//! both together.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::jobs::insert_job;
use super::PgStore;
use crate::store::{
    Context, EnqueueOutcome, HeldMessage, NewOutboundRecord, OutboundRecord, OutboundStore, StoreError, StoreResult,
};
use crate::zalo::outbound::SendRequest;
use crate::zalo::records::{held_job_key, OutboundChannel, OutboundStatus};

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    job_id: Option<i64>,
    part: i32,
    user_id: Option<String>,
    phone_masked: Option<String>,
    channel: String,
    purpose: String,
    reference: Option<String>,
    zalo_message_id: Option<String>,
    tracking_id: Option<String>,
    status: String,
    error_code: Option<i64>,
    error_message: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<RecordRow> for OutboundRecord {
    fn from(row: RecordRow) -> Self {
        OutboundRecord {
            id: row.id,
            record: NewOutboundRecord {
                job_id: row.job_id,
                part: u32::try_from(row.part).unwrap_or(0),
                user_id: row.user_id,
                phone_masked: row.phone_masked,
                channel: OutboundChannel::parse(&row.channel).unwrap_or(OutboundChannel::None),
                purpose: row.purpose,
                reference: row.reference,
                zalo_message_id: row.zalo_message_id,
                tracking_id: row.tracking_id,
                status: OutboundStatus::parse(&row.status).unwrap_or(OutboundStatus::Failed),
                error_code: row.error_code,
                error_message: row.error_message,
                at: row.created_at,
            },
        }
    }
}

const RECORD_COLUMNS: &str = "id, job_id, part, user_id, phone_masked, channel, purpose, reference, zalo_message_id,
     tracking_id, status, error_code, error_message, created_at";

#[derive(sqlx::FromRow)]
struct HeldRow {
    id: i64,
    user_id: String,
    source_job_id: Option<i64>,
    payload: serde_json::Value,
    max_attempts: i32,
    held_at: DateTime<Utc>,
    released_at: Option<DateTime<Utc>>,
    released_job_id: Option<i64>,
}

impl TryFrom<HeldRow> for HeldMessage {
    type Error = StoreError;

    fn try_from(row: HeldRow) -> StoreResult<Self> {
        let request: SendRequest = serde_json::from_value(row.payload)
            .map_err(|e| StoreError::Invalid(format!("held message {} has an unreadable payload: {e}", row.id)))?;
        Ok(HeldMessage {
            id: row.id,
            user_id: row.user_id,
            source_job_id: row.source_job_id,
            request,
            max_attempts: u32::try_from(row.max_attempts).unwrap_or(1),
            held_at: row.held_at,
            released_at: row.released_at,
            released_job_id: row.released_job_id,
        })
    }
}

const HELD_COLUMNS: &str = "id, user_id, source_job_id, payload, max_attempts, held_at, released_at, released_job_id";

#[async_trait]
impl OutboundStore for PgStore {
    async fn record_attempt(&self, record: &NewOutboundRecord) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbound_messages (job_id, part, user_id, phone_masked, channel, purpose, reference,
                    zalo_message_id, tracking_id, status, error_code, error_message, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             RETURNING id",
        )
        .bind(record.job_id)
        .bind(i32::try_from(record.part).unwrap_or(i32::MAX))
        .bind(&record.user_id)
        .bind(&record.phone_masked)
        .bind(record.channel.as_str())
        .bind(&record.purpose)
        .bind(&record.reference)
        .bind(&record.zalo_message_id)
        .bind(&record.tracking_id)
        .bind(record.status.as_str())
        .bind(record.error_code)
        .bind(&record.error_message)
        .bind(record.at)
        .fetch_one(&self.pool)
        .await
        .context("recording an outbound message")?;
        Ok(id)
    }

    async fn records_for_job(&self, job_id: i64) -> StoreResult<Vec<OutboundRecord>> {
        let rows: Vec<RecordRow> =
            sqlx::query_as(&format!("SELECT {RECORD_COLUMNS} FROM outbound_messages WHERE job_id = $1 ORDER BY id"))
                .bind(job_id)
                .fetch_all(&self.pool)
                .await
                .context("reading a job's outbound messages")?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn find_by_message_id(&self, message_id: &str) -> StoreResult<Option<OutboundRecord>> {
        let row: Option<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM outbound_messages
              WHERE zalo_message_id = $1 AND status = 'sent' ORDER BY id DESC LIMIT 1"
        ))
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await
        .context("finding an outbound message by Zalo message id")?;
        Ok(row.map(Into::into))
    }

    async fn find_by_tracking_id(&self, tracking_id: &str) -> StoreResult<Option<OutboundRecord>> {
        let row: Option<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM outbound_messages
              WHERE tracking_id = $1 AND status = 'sent' ORDER BY id DESC LIMIT 1"
        ))
        .bind(tracking_id)
        .fetch_optional(&self.pool)
        .await
        .context("finding an outbound message by tracking id")?;
        Ok(row.map(Into::into))
    }

    async fn hold(
        &self,
        user_id: &str,
        source_job_id: Option<i64>,
        request: &SendRequest,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let payload = serde_json::to_value(request)
            .map_err(|e| StoreError::Invalid(format!("cannot serialise a held message: {e}")))?;
        let mut conn = self.pool.acquire().await.context("getting a connection to hold a message")?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO zalo_held_messages (user_id, source_job_id, payload, max_attempts, held_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (source_job_id) WHERE source_job_id IS NOT NULL DO NOTHING
             RETURNING id",
        )
        .bind(user_id)
        .bind(source_job_id)
        .bind(payload)
        .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
        .context("holding a message")?;
        match inserted {
            Some(id) => Ok(id),
            None => sqlx::query_scalar("SELECT id FROM zalo_held_messages WHERE source_job_id = $1")
                .bind(source_job_id)
                .fetch_one(&mut *conn)
                .await
                .context("finding the message held for the same job"),
        }
    }

    async fn held_for(&self, user_id: &str) -> StoreResult<Vec<HeldMessage>> {
        let rows: Vec<HeldRow> = sqlx::query_as(&format!(
            "SELECT {HELD_COLUMNS} FROM zalo_held_messages WHERE user_id = $1 AND released_at IS NULL ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .context("reading held messages")?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    async fn release_held(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<Vec<EnqueueOutcome>> {
        let mut tx = self.pool.begin().await.context("starting to release held messages")?;
        let outcomes = release_held_in(&mut tx, user_id, now).await?;
        tx.commit().await.context("committing released messages")?;
        Ok(outcomes)
    }
}

/// Turns the citizen's held messages into send jobs (in the order they were held), on `conn`
/// inside the caller's transaction.
pub(crate) async fn release_held_in(
    conn: &mut PgConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EnqueueOutcome>> {
    let mut rows: Vec<HeldRow> = sqlx::query_as(&format!(
        "UPDATE zalo_held_messages SET released_at = $2
          WHERE user_id = $1 AND released_at IS NULL
          RETURNING {HELD_COLUMNS}"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .context("claiming held messages to release")?;
    rows.sort_by_key(|row| row.id);
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        let held = HeldMessage::try_from(row)?;
        let job = held.request.clone().into_job(held_job_key(held.id), held.max_attempts);
        let outcome = insert_job(conn, &job, now).await?;
        sqlx::query("UPDATE zalo_held_messages SET released_job_id = $1 WHERE id = $2")
            .bind(outcome.id())
            .bind(held.id)
            .execute(&mut *conn)
            .await
            .context("noting the job of a released message")?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

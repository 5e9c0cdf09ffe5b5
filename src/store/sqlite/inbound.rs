//! Webhook intake and conversations on SQLite: batched inserts (one transaction, multi-row
//! statements) and per-citizen leases on the single writer connection.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{from_ms, to_ms, SqliteStore};
use crate::store::{
    Context, Conversation, InboundEvent, InboundState, InboundStore, InsertOutcome, NewInboundEvent, RejectedWebhook,
    StoreResult, TurnCommit, TurnsCommitted,
};

/// Rows per multi-row INSERT (6 parameters each; SQLite allows 32,766).
pub(super) const ROWS_PER_STATEMENT: usize = 1000;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    event_key: String,
    event_name: String,
    citizen_id: String,
    raw_body: Vec<u8>,
    received_at: i64,
    num_retry: i32,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    processed_at: Option<i64>,
}

impl From<EventRow> for InboundEvent {
    fn from(row: EventRow) -> Self {
        InboundEvent {
            id: row.id,
            event_key: row.event_key,
            event_name: row.event_name,
            citizen_id: row.citizen_id,
            raw_body: row.raw_body,
            received_at: from_ms(row.received_at),
            num_retry: row.num_retry,
            state: InboundState::parse(&row.state).unwrap_or(InboundState::Failed),
            attempts: row.attempts,
            last_error: row.last_error,
            processed_at: row.processed_at.map(from_ms),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    citizen_id: String,
    state: Option<String>,
    version: i64,
    pending: i64,
}

impl From<ConversationRow> for Conversation {
    fn from(row: ConversationRow) -> Self {
        Conversation {
            citizen_id: row.citizen_id,
            state: row.state.and_then(|s| serde_json::from_str(&s).ok()),
            version: row.version,
            pending: row.pending,
        }
    }
}

/// `INSERT INTO {table} … ON CONFLICT (event_key) DO NOTHING` for `events` (at most
/// [`ROWS_PER_STATEMENT`]); also what the storage benchmark writes into its scratch copy.
pub(super) fn insert_events_statement<'a>(
    table: &str,
    events: &'a [NewInboundEvent],
    now: DateTime<Utc>,
) -> QueryBuilder<'a, sqlx::Sqlite> {
    let mut insert = QueryBuilder::new(format!(
        "INSERT INTO {table} (event_key, event_name, citizen_id, raw_body, received_at, num_retry) "
    ));
    insert.push_values(events, |mut row, event| {
        row.push_bind(&event.event_key)
            .push_bind(&event.event_name)
            .push_bind(&event.citizen_id)
            .push_bind(&event.raw_body)
            .push_bind(to_ms(now))
            .push_bind(event.num_retry);
    });
    insert.push(" ON CONFLICT (event_key) DO NOTHING");
    insert
}

#[async_trait]
impl InboundStore for SqliteStore {
    async fn insert_events(&self, events: &[NewInboundEvent], now: DateTime<Utc>) -> StoreResult<Vec<InsertOutcome>> {
        // Zalo waits for the acknowledgement: intake writes before background work.
        let mut tx = self.begin_urgent_write().await?;
        let mut inserted: BTreeMap<String, i64> = BTreeMap::new();
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut insert = insert_events_statement("inbound_events", chunk, now);
            insert.push(" RETURNING id, event_key");
            let rows: Vec<(i64, String)> =
                insert.build_query_as().fetch_all(&mut *tx).await.context("inserting webhook events")?;
            inserted.extend(rows.into_iter().map(|(id, key)| (key, id)));
        }
        let outcomes = super::super::outcomes_in_order(events, &inserted);
        let pending = super::super::pending_per_citizen(events, &outcomes);
        for chunk in pending.chunks(ROWS_PER_STATEMENT) {
            let mut upsert =
                QueryBuilder::new("INSERT INTO conversations (citizen_id, pending, created_at, updated_at) ");
            upsert.push_values(chunk, |mut row, (citizen, count)| {
                row.push_bind(citizen).push_bind(*count).push_bind(to_ms(now)).push_bind(to_ms(now));
            });
            upsert.push(
                " ON CONFLICT (citizen_id) DO UPDATE SET pending = conversations.pending + excluded.pending, \
                 updated_at = excluded.updated_at",
            );
            upsert.build().execute(&mut *tx).await.context("counting pending events per citizen")?;
        }
        tx.commit().await.context("committing webhook events")?;
        Ok(outcomes)
    }

    async fn record_rejected(&self, raw_body: &[u8], reason: &str, now: DateTime<Utc>) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO rejected_webhooks (received_at, reason, raw_body) VALUES (?1, ?2, ?3) RETURNING id",
        )
        .bind(to_ms(now))
        .bind(reason)
        .bind(raw_body)
        .fetch_one(&mut *self.write_conn().await?)
        .await
        .context("keeping a rejected webhook body")
    }

    async fn list_rejected(&self, limit: u32) -> StoreResult<Vec<RejectedWebhook>> {
        let rows: Vec<(i64, i64, String, Vec<u8>)> =
            sqlx::query_as("SELECT id, received_at, reason, raw_body FROM rejected_webhooks ORDER BY id DESC LIMIT ?1")
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await
                .context("listing rejected webhooks")?;
        Ok(rows
            .into_iter()
            .map(|(id, at, reason, raw_body)| RejectedWebhook { id, received_at: from_ms(at), reason, raw_body })
            .collect())
    }

    async fn claim_citizens(
        &self,
        worker: &str,
        limit: u32,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Conversation>> {
        let rows: Vec<ConversationRow> = sqlx::query_as(
            "UPDATE conversations SET locked_by = ?1, locked_until = ?2
              WHERE citizen_id IN (
                    SELECT citizen_id FROM conversations
                     WHERE pending > 0 AND retry_at <= ?3 AND (locked_until IS NULL OR locked_until < ?3)
                     ORDER BY updated_at
                     LIMIT ?4)
             RETURNING citizen_id, state, version, pending",
        )
        .bind(worker)
        .bind(to_ms(locked_until))
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.write_conn().await?)
        .await
        .context("claiming citizens with pending events")?;
        Ok(rows.into_iter().map(Conversation::from).collect())
    }

    async fn pending_events(&self, citizen_id: &str, limit: u32) -> StoreResult<Vec<InboundEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT * FROM inbound_events WHERE citizen_id = ?1 AND state = 'pending' ORDER BY id LIMIT ?2",
        )
        .bind(citizen_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .context("reading a citizen's pending events")?;
        Ok(rows.into_iter().map(InboundEvent::from).collect())
    }

    async fn conversation(&self, citizen_id: &str) -> StoreResult<Option<Conversation>> {
        let row: Option<ConversationRow> =
            sqlx::query_as("SELECT citizen_id, state, version, pending FROM conversations WHERE citizen_id = ?1")
                .bind(citizen_id)
                .fetch_optional(&self.reader)
                .await
                .context("reading a conversation")?;
        Ok(row.map(Conversation::from))
    }

    async fn commit_turns(&self, turns: &[TurnCommit], now: DateTime<Utc>) -> TurnsCommitted {
        super::turns::commit_turns(self, turns, now).await
    }

    async fn fail_event(
        &self,
        event_id: i64,
        worker: &str,
        error: &str,
        max_attempts: i32,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, i32)> = sqlx::query_as(
            "UPDATE inbound_events
                SET attempts = attempts + 1, last_error = ?2,
                    state = CASE WHEN attempts + 1 >= ?3 THEN 'failed' ELSE state END,
                    processed_at = CASE WHEN attempts + 1 >= ?3 THEN ?4 ELSE processed_at END
              WHERE id = ?1 AND state = 'pending'
             RETURNING citizen_id, attempts",
        )
        .bind(event_id)
        .bind(error)
        .bind(max_attempts)
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await
        .context("recording a failed event")?;
        let Some((citizen_id, attempts)) = row else {
            return Ok(false);
        };
        let gave_up = attempts >= max_attempts;
        sqlx::query(
            "UPDATE conversations
                SET retry_at = CASE WHEN ?3 THEN retry_at ELSE ?2 END,
                    pending = CASE WHEN ?3 THEN MAX(pending - 1, 0) ELSE pending END,
                    locked_by = NULL, locked_until = NULL
              WHERE citizen_id = ?1 AND locked_by = ?4",
        )
        .bind(&citizen_id)
        .bind(to_ms(retry_at))
        .bind(gave_up)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .context("delaying the citizen after a failure")?;
        tx.commit().await.context("committing a failed event")?;
        Ok(gave_up)
    }

    async fn release_citizen(&self, citizen_id: &str, worker: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE conversations SET locked_by = NULL, locked_until = NULL WHERE citizen_id = ?1 AND locked_by = ?2",
        )
        .bind(citizen_id)
        .bind(worker)
        .execute(&mut *self.write_conn().await?)
        .await
        .context("releasing a citizen")?;
        Ok(())
    }

    async fn event(&self, id: i64) -> StoreResult<Option<InboundEvent>> {
        let row: Option<EventRow> = sqlx::query_as("SELECT * FROM inbound_events WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .context("reading an event")?;
        Ok(row.map(InboundEvent::from))
    }

    async fn count_events(&self, state: InboundState) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_events WHERE state = ?1")
            .bind(state.as_str())
            .fetch_one(&self.reader)
            .await
            .context("counting events")
    }
}

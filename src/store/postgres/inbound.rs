//! Webhook intake and conversations on PostgreSQL: batched inserts (one transaction, multi-row
//! statements) and per-citizen leases claimed with `FOR UPDATE SKIP LOCKED`, so several
//! instances process different citizens and each citizen's events in order.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, QueryBuilder};

use super::jobs::insert_job;
use super::PgStore;
use crate::store::{
    Context, Conversation, InboundEvent, InboundState, InboundStore, InsertOutcome, NewInboundEvent, RejectedWebhook,
    StoreResult, TurnCommit, TurnResult, TurnsCommitted,
};

/// Rows per multi-row INSERT (6 parameters each; PostgreSQL allows 65,535).
pub(super) const ROWS_PER_STATEMENT: usize = 1000;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    event_key: String,
    event_name: String,
    citizen_id: String,
    raw_body: Vec<u8>,
    received_at: DateTime<Utc>,
    num_retry: i32,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    processed_at: Option<DateTime<Utc>>,
}

impl From<EventRow> for InboundEvent {
    fn from(row: EventRow) -> Self {
        InboundEvent {
            id: row.id,
            event_key: row.event_key,
            event_name: row.event_name,
            citizen_id: row.citizen_id,
            raw_body: row.raw_body,
            received_at: row.received_at,
            num_retry: row.num_retry,
            state: InboundState::parse(&row.state).unwrap_or(InboundState::Failed),
            attempts: row.attempts,
            last_error: row.last_error,
            processed_at: row.processed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    citizen_id: String,
    state: Option<serde_json::Value>,
    version: i64,
    pending: i32,
}

impl From<ConversationRow> for Conversation {
    fn from(row: ConversationRow) -> Self {
        Conversation {
            citizen_id: row.citizen_id,
            state: row.state,
            version: row.version,
            pending: i64::from(row.pending),
        }
    }
}

/// `INSERT INTO {table} … ON CONFLICT (event_key) DO NOTHING` for `events` (at most
/// [`ROWS_PER_STATEMENT`]); also what the storage benchmark writes into its scratch copy.
pub(super) fn insert_events_statement<'a>(
    table: &str,
    events: &'a [NewInboundEvent],
    now: DateTime<Utc>,
) -> QueryBuilder<'a, sqlx::Postgres> {
    let mut insert = QueryBuilder::new(format!(
        "INSERT INTO {table} (event_key, event_name, citizen_id, raw_body, received_at, num_retry) "
    ));
    insert.push_values(events, |mut row, event| {
        row.push_bind(&event.event_key)
            .push_bind(&event.event_name)
            .push_bind(&event.citizen_id)
            .push_bind(&event.raw_body)
            .push_bind(now)
            .push_bind(event.num_retry);
    });
    insert.push(" ON CONFLICT (event_key) DO NOTHING");
    insert
}

impl PgStore {
    /// All of `turns` in one transaction.
    async fn commit_turns_together(&self, turns: &[TurnCommit], now: DateTime<Utc>) -> StoreResult<Vec<TurnResult>> {
        let mut tx = self.pool.begin().await.context("starting conversation turns")?;
        // Rows and lanes are locked in citizen order, the order intake's upsert of pending
        // counts locks them in too: two transactions never wait for each other in a circle.
        // (A citizen's own turns keep their order: the sort is stable.)
        let mut order: Vec<usize> = (0..turns.len()).collect();
        order.sort_by(|&a, &b| turns[a].citizen_id.cmp(&turns[b].citizen_id));
        let mut results = vec![TurnResult::AlreadyDone; turns.len()];
        for position in order {
            results[position] = apply_turn(&mut tx, &turns[position], now).await?;
        }
        tx.commit().await.context("committing conversation turns")?;
        Ok(results)
    }
}

#[async_trait]
impl InboundStore for PgStore {
    async fn insert_events(&self, events: &[NewInboundEvent], now: DateTime<Utc>) -> StoreResult<Vec<InsertOutcome>> {
        let mut tx = self.pool.begin().await.context("starting to insert webhook events")?;
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
                row.push_bind(citizen)
                    .push_bind(i32::try_from(*count).unwrap_or(i32::MAX))
                    .push_bind(now)
                    .push_bind(now);
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
            "INSERT INTO rejected_webhooks (received_at, reason, raw_body) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(now)
        .bind(reason)
        .bind(raw_body)
        .fetch_one(&self.pool)
        .await
        .context("keeping a rejected webhook body")
    }

    async fn list_rejected(&self, limit: u32) -> StoreResult<Vec<RejectedWebhook>> {
        let rows: Vec<(i64, DateTime<Utc>, String, Vec<u8>)> =
            sqlx::query_as("SELECT id, received_at, reason, raw_body FROM rejected_webhooks ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .context("listing rejected webhooks")?;
        Ok(rows
            .into_iter()
            .map(|(id, received_at, reason, raw_body)| RejectedWebhook { id, received_at, reason, raw_body })
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
            "UPDATE conversations SET locked_by = $1, locked_until = $2
              WHERE citizen_id IN (
                    SELECT citizen_id FROM conversations
                     WHERE pending > 0 AND retry_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                     ORDER BY updated_at
                     LIMIT $4
                     FOR UPDATE SKIP LOCKED)
             RETURNING citizen_id, state, version, pending",
        )
        .bind(worker)
        .bind(locked_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("claiming citizens with pending events")?;
        Ok(rows.into_iter().map(Conversation::from).collect())
    }

    async fn pending_events(&self, citizen_id: &str, limit: u32) -> StoreResult<Vec<InboundEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT * FROM inbound_events WHERE citizen_id = $1 AND state = 'pending' ORDER BY id LIMIT $2",
        )
        .bind(citizen_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("reading a citizen's pending events")?;
        Ok(rows.into_iter().map(InboundEvent::from).collect())
    }

    async fn conversation(&self, citizen_id: &str) -> StoreResult<Option<Conversation>> {
        let row: Option<ConversationRow> =
            sqlx::query_as("SELECT citizen_id, state, version, pending FROM conversations WHERE citizen_id = $1")
                .bind(citizen_id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a conversation")?;
        Ok(row.map(Conversation::from))
    }

    async fn commit_turns(&self, turns: &[TurnCommit], now: DateTime<Utc>) -> TurnsCommitted {
        match self.commit_turns_together(turns, now).await {
            Ok(results) => TurnsCommitted { results, failed: None },
            Err(e) => TurnsCommitted { results: Vec::new(), failed: Some(e) },
        }
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
        let mut tx = self.pool.begin().await.context("starting to record a failed event")?;
        let row: Option<(String, i32)> = sqlx::query_as(
            "UPDATE inbound_events
                SET attempts = attempts + 1, last_error = $2,
                    state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE state END,
                    processed_at = CASE WHEN attempts + 1 >= $3 THEN $4 ELSE processed_at END
              WHERE id = $1 AND state = 'pending'
             RETURNING citizen_id, attempts",
        )
        .bind(event_id)
        .bind(error)
        .bind(max_attempts)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .context("recording a failed event")?;
        let Some((citizen_id, attempts)) = row else {
            return Ok(false);
        };
        let gave_up = attempts >= max_attempts;
        sqlx::query(
            "UPDATE conversations
                SET retry_at = CASE WHEN $3 THEN retry_at ELSE $2 END,
                    pending = CASE WHEN $3 THEN GREATEST(pending - 1, 0) ELSE pending END,
                    locked_by = NULL, locked_until = NULL
              WHERE citizen_id = $1 AND locked_by = $4",
        )
        .bind(&citizen_id)
        .bind(retry_at)
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
            "UPDATE conversations SET locked_by = NULL, locked_until = NULL WHERE citizen_id = $1 AND locked_by = $2",
        )
        .bind(citizen_id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .context("releasing a citizen")?;
        Ok(())
    }

    async fn event(&self, id: i64) -> StoreResult<Option<InboundEvent>> {
        let row: Option<EventRow> = sqlx::query_as("SELECT * FROM inbound_events WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading an event")?;
        Ok(row.map(InboundEvent::from))
    }

    async fn count_events(&self, state: InboundState) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_events WHERE state = $1")
            .bind(state.as_str())
            .fetch_one(&self.pool)
            .await
            .context("counting events")
    }
}

/// Applies one turn on `conn` (inside the caller's transaction); writes nothing unless the
/// worker holds the lease and the event is still pending.
async fn apply_turn(conn: &mut PgConnection, turn: &TurnCommit, now: DateTime<Utc>) -> StoreResult<TurnResult> {
    let held: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM conversations WHERE citizen_id = $1 AND locked_by = $2 AND locked_until >= $3 FOR UPDATE",
    )
    .bind(&turn.citizen_id)
    .bind(&turn.worker)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .context("checking the citizen's lease")?;
    if held.is_none() {
        return Ok(TurnResult::LeaseLost);
    }
    let marked = sqlx::query(
        "UPDATE inbound_events SET state = $1, processed_at = $2, attempts = attempts + 1
          WHERE id = $3 AND citizen_id = $4 AND state = 'pending'",
    )
    .bind(turn.outcome.as_str())
    .bind(now)
    .bind(turn.event_id)
    .bind(&turn.citizen_id)
    .execute(&mut *conn)
    .await
    .context("marking an event processed")?;
    if marked.rows_affected() == 0 {
        return Ok(TurnResult::AlreadyDone);
    }
    sqlx::query(
        "UPDATE conversations SET state = COALESCE($1, state), version = version + 1,
                pending = GREATEST(pending - 1, 0), updated_at = $2
          WHERE citizen_id = $3",
    )
    .bind(&turn.state)
    .bind(now)
    .bind(&turn.citizen_id)
    .execute(&mut *conn)
    .await
    .context("saving the conversation state")?;
    super::officer_chats::apply_changes(conn, &turn.citizen_id, &turn.chat, now).await?;
    if let Some(at) = turn.interaction_at {
        // Messages held until the citizen wrote go out first (their lane is ordered by id).
        super::citizens::record_interaction_in(conn, &turn.citizen_id, at).await?;
        super::zalo_outbound::release_held_in(conn, &turn.citizen_id, now).await?;
    }
    for job in &turn.jobs {
        insert_job(conn, job, now).await?;
    }
    if turn.release {
        sqlx::query(
            "UPDATE conversations SET locked_by = NULL, locked_until = NULL WHERE citizen_id = $1 AND locked_by = $2",
        )
        .bind(&turn.citizen_id)
        .bind(&turn.worker)
        .execute(&mut *conn)
        .await
        .context("releasing a citizen")?;
    }
    Ok(TurnResult::Committed)
}

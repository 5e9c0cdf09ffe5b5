//! Conversation turns on SQLite, committed a batch at a time with multi-row statements. Every
//! statement is a round trip to the single writer connection's thread, and intake waits for
//! whatever holds that connection, so a batch of turns is written in a handful of statements
//! whatever its size: the events marked under the lease, the conversations saved (and released
//! with a claim's last event), the interactions recorded (saying whose messages are held), the
//! jobs inserted. Officer-chat changes and held messages, which few turns have, go turn by turn.
//!
//! A large batch is written in several transactions when webhook intake waits for the writer
//! (see [`commit_turns`]), so an acknowledgement never waits for a whole batch.
//!
//! A batch may hold several turns of one citizen; they are applied in rounds (a citizen's first
//! turn in the first round, its second in the next…), so each statement sees one turn per
//! citizen and a citizen's turns apply in order.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{to_ms, SqliteStore};
use crate::store::{Context, StoreResult, TurnCommit, TurnResult, TurnsCommitted};

/// Rows per multi-row statement (at most 10 parameters each; SQLite allows 32,766).
const ROWS_PER_STATEMENT: usize = 500;

/// Turns applied between two looks at whether webhook intake waits for the writer: the
/// longest intake waits for a batch of turns is about the time to apply this many.
const TURNS_BETWEEN_YIELDS: usize = 8;

/// Commits `turns` in order. The batch keeps its place among background writers throughout;
/// its turns go into one transaction, committed early whenever webhook intake is waiting for
/// the writer (intake goes in, then the batch goes on in a new transaction).
pub(super) async fn commit_turns(store: &SqliteStore, turns: &[TurnCommit], now: DateTime<Utc>) -> TurnsCommitted {
    let mut permit = store.gate.background().await;
    let mut committed = TurnsCommitted::default();
    let mut rest = turns;
    while !rest.is_empty() {
        permit = permit.yield_to_urgent().await;
        match commit_until_intake_waits(store, &mut rest, now).await {
            Ok(results) => committed.results.extend(results),
            Err(e) => {
                committed.failed = Some(e);
                break;
            }
        }
    }
    drop(permit);
    committed
}

/// Applies turns from the front of `rest` in one transaction until none is left or intake is
/// waiting, commits them and moves `rest` past them (not on error: nothing was written). The
/// caller holds the writer's permit.
async fn commit_until_intake_waits(
    store: &SqliteStore,
    rest: &mut &[TurnCommit],
    now: DateTime<Utc>,
) -> StoreResult<Vec<TurnResult>> {
    let mut tx = store.writer.begin_with("BEGIN IMMEDIATE").await.context("starting conversation turns")?;
    let mut results = Vec::with_capacity(rest.len());
    let mut remaining = *rest;
    loop {
        let (group, after) = remaining.split_at(TURNS_BETWEEN_YIELDS.min(remaining.len()));
        results.extend(apply_turns(&mut tx, group, now).await?);
        remaining = after;
        if remaining.is_empty() || store.gate.urgent_waiting() {
            break;
        }
    }
    tx.commit().await.context("committing conversation turns")?;
    *rest = remaining;
    Ok(results)
}

/// Applies `turns` in order inside the caller's transaction; one result per turn.
async fn apply_turns(
    conn: &mut SqliteConnection,
    turns: &[TurnCommit],
    now: DateTime<Utc>,
) -> StoreResult<Vec<TurnResult>> {
    let mut results = vec![TurnResult::AlreadyDone; turns.len()];
    for round in rounds(turns) {
        for chunk in round.chunks(ROWS_PER_STATEMENT) {
            apply_round(conn, turns, chunk, now, &mut results).await?;
        }
    }
    Ok(results)
}

/// Positions of `turns` grouped so that each group has one turn per citizen, in order.
fn rounds(turns: &[TurnCommit]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (position, turn) in turns.iter().enumerate() {
        let round = seen.entry(turn.citizen_id.as_str()).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(position);
        *round += 1;
    }
    rounds
}

/// Applies the turns at `positions` (distinct citizens) and records their results.
async fn apply_round(
    conn: &mut SqliteConnection,
    turns: &[TurnCommit],
    positions: &[usize],
    now: DateTime<Utc>,
    results: &mut [TurnResult],
) -> StoreResult<()> {
    let marked = mark_events(conn, turns, positions, now).await?;
    let mut applied = Vec::with_capacity(positions.len());
    for &position in positions {
        let turn = &turns[position];
        if marked.contains(&turn.event_id) {
            results[position] = TurnResult::Committed;
            applied.push(turn);
        } else {
            results[position] = why_not_applied(conn, turn, now).await?;
        }
    }
    if applied.is_empty() {
        return Ok(());
    }
    save_conversations(conn, &applied, now).await?;
    for turn in applied.iter().filter(|turn| !turn.chat.is_empty()) {
        super::officer_chats::apply_changes(conn, &turn.citizen_id, &turn.chat, now).await?;
    }
    // Messages held until the citizen wrote go out before the turn's replies (a citizen's lane
    // runs in id order).
    for citizen in record_interactions(conn, &applied).await? {
        super::zalo_outbound::release_held_in(conn, &citizen, now).await?;
    }
    insert_jobs(conn, &applied, now).await
}

/// Marks the turns' events done where the worker still holds the citizen's lease and the event
/// is pending; returns the marked event ids.
async fn mark_events(
    conn: &mut SqliteConnection,
    turns: &[TurnCommit],
    positions: &[usize],
    now: DateTime<Utc>,
) -> StoreResult<BTreeSet<i64>> {
    let mut update: QueryBuilder<'_, Sqlite> = QueryBuilder::new("WITH t (event_id, citizen_id, worker, outcome) AS (");
    update.push_values(positions, |mut row, &position| {
        let turn = &turns[position];
        row.push_bind(turn.event_id)
            .push_bind(turn.citizen_id.as_str())
            .push_bind(turn.worker.as_str())
            .push_bind(turn.outcome.as_str());
    });
    update.push(") UPDATE inbound_events SET state = t.outcome, processed_at = ");
    update.push_bind(to_ms(now));
    update.push(
        ", attempts = attempts + 1 FROM t
          WHERE inbound_events.id = t.event_id AND inbound_events.citizen_id = t.citizen_id
            AND inbound_events.state = 'pending'
            AND EXISTS (SELECT 1 FROM conversations c
                         WHERE c.citizen_id = t.citizen_id AND c.locked_by = t.worker AND c.locked_until >= ",
    );
    update.push_bind(to_ms(now));
    update.push(") RETURNING inbound_events.id");
    let ids: Vec<i64> = update.build_query_scalar().fetch_all(&mut *conn).await.context("marking events processed")?;
    Ok(ids.into_iter().collect())
}

/// Why a turn's event was not marked: the lease is gone (whatever the event's state), or the
/// event was handled already.
async fn why_not_applied(
    conn: &mut SqliteConnection,
    turn: &TurnCommit,
    now: DateTime<Utc>,
) -> StoreResult<TurnResult> {
    let held: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM conversations WHERE citizen_id = ?1 AND locked_by = ?2 AND locked_until >= ?3",
    )
    .bind(&turn.citizen_id)
    .bind(&turn.worker)
    .bind(to_ms(now))
    .fetch_optional(&mut *conn)
    .await
    .context("checking the citizen's lease")?;
    Ok(if held.is_some() { TurnResult::AlreadyDone } else { TurnResult::LeaseLost })
}

/// Saves the applied turns' states, counts their events done and ends the leases of those
/// that release.
async fn save_conversations(
    conn: &mut SqliteConnection,
    applied: &[&TurnCommit],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut update: QueryBuilder<'_, Sqlite> = QueryBuilder::new("WITH t (citizen_id, state, release) AS (");
    update.push_values(applied, |mut row, turn| {
        row.push_bind(turn.citizen_id.as_str())
            .push_bind(turn.state.as_ref().map(serde_json::Value::to_string))
            .push_bind(turn.release);
    });
    update.push(
        ") UPDATE conversations SET state = COALESCE(t.state, conversations.state), version = version + 1,
                pending = MAX(pending - 1, 0), updated_at = ",
    );
    update.push_bind(to_ms(now));
    update.push(
        ", locked_by = CASE WHEN t.release THEN NULL ELSE locked_by END,
           locked_until = CASE WHEN t.release THEN NULL ELSE locked_until END
          FROM t WHERE conversations.citizen_id = t.citizen_id",
    );
    update.build().execute(&mut *conn).await.context("saving conversation states")?;
    Ok(())
}

/// Records the interactions of the turns that count as one; returns the citizens for whom
/// messages are held.
async fn record_interactions(conn: &mut SqliteConnection, applied: &[&TurnCommit]) -> StoreResult<Vec<String>> {
    let interactions: Vec<(&str, DateTime<Utc>)> =
        applied.iter().filter_map(|turn| turn.interaction_at.map(|at| (turn.citizen_id.as_str(), at))).collect();
    if interactions.is_empty() {
        return Ok(Vec::new());
    }
    super::citizens::record_interactions_in(conn, &interactions).await
}

/// Inserts the applied turns' jobs (a job whose unique key exists already is skipped: a
/// reprocessed event sends nothing twice).
async fn insert_jobs(conn: &mut SqliteConnection, applied: &[&TurnCommit], now: DateTime<Utc>) -> StoreResult<()> {
    let jobs: Vec<_> = applied.iter().flat_map(|turn| turn.jobs.iter()).collect();
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let mut insert = super::jobs::insert_jobs_statement(chunk, now);
        insert.build().execute(&mut *conn).await.context("inserting the turns' jobs")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::DatabaseConfig;
    use crate::store::{HealthStore, InboundState, InboundStore, InsertOutcome, NewInboundEvent};

    /// An in-memory store with `citizens` citizens ("c0", "c1"…) that each have one pending
    /// event leased to worker "w"; returns their turns, in citizen order.
    async fn store_with_leased_turns(citizens: usize) -> (SqliteStore, Vec<TurnCommit>) {
        let config = DatabaseConfig { url: "sqlite::memory:".into(), ..DatabaseConfig::default() };
        let store = SqliteStore::connect(&config).await.unwrap();
        store.migrate().await.unwrap();
        let events: Vec<NewInboundEvent> = (0..citizens)
            .map(|n| NewInboundEvent {
                event_key: format!("user_send_text:{n}"),
                event_name: "user_send_text".into(),
                citizen_id: format!("c{n}"),
                raw_body: b"{}".to_vec(),
                num_retry: 0,
            })
            .collect();
        let outcomes = store.insert_events(&events, t0()).await.unwrap();
        let leased = store.claim_citizens("w", 1000, t0(), t0() + chrono::Duration::minutes(1)).await.unwrap();
        assert_eq!(leased.len(), citizens);
        let turns = outcomes
            .iter()
            .enumerate()
            .map(|(n, outcome)| match outcome {
                InsertOutcome::Inserted(id) => TurnCommit {
                    state: Some(serde_json::json!({"turn": n})),
                    release: true,
                    ..turn(&format!("c{n}"), *id)
                },
                InsertOutcome::Duplicate => panic!("new events"),
            })
            .collect();
        (store, turns)
    }

    fn t0() -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 2, 9, 0, 0).unwrap()
    }

    /// Starts an urgent writer (intake) that waits for the writer's permit; returns once it waits.
    async fn intake_waiting(store: &SqliteStore) -> tokio::task::JoinHandle<()> {
        let gate = Arc::clone(&store.gate);
        let intake = tokio::spawn(async move {
            let _permit = gate.urgent().await;
        });
        while !store.gate.urgent_waiting() {
            tokio::task::yield_now().await;
        }
        intake
    }

    #[tokio::test]
    async fn a_batch_commits_what_it_has_when_intake_waits_and_goes_on_after() {
        let (store, turns) = store_with_leased_turns(20).await;
        let permit = store.gate.background().await;
        let intake = intake_waiting(&store).await;
        let mut rest = &turns[..];
        let first = commit_until_intake_waits(&store, &mut rest, t0()).await.unwrap();
        assert_eq!(first, vec![TurnResult::Committed; TURNS_BETWEEN_YIELDS], "one group, then intake's turn");
        assert_eq!(rest.len(), 20 - TURNS_BETWEEN_YIELDS);
        assert_eq!(store.count_events(InboundState::Processed).await.unwrap(), TURNS_BETWEEN_YIELDS as i64);
        let permit = permit.yield_to_urgent().await;
        intake.await.unwrap();
        // Nobody waits now: the rest goes in one transaction.
        let second = commit_until_intake_waits(&store, &mut rest, t0()).await.unwrap();
        assert_eq!(second.len(), 20 - TURNS_BETWEEN_YIELDS);
        assert!(rest.is_empty());
        drop(permit);
        assert_eq!(store.count_events(InboundState::Processed).await.unwrap(), 20);
        let last = store.conversation("c19").await.unwrap().unwrap();
        assert_eq!((last.state, last.pending), (Some(serde_json::json!({"turn": 19})), 0));
    }

    #[tokio::test]
    async fn a_failed_transaction_is_reported_after_the_turns_committed_before_it() {
        let (store, turns) = store_with_leased_turns(20).await;
        // The turn of citizen c12 (in the second group) cannot be written.
        sqlx::query(
            "CREATE TRIGGER refuse_c12 BEFORE UPDATE ON conversations WHEN NEW.citizen_id = 'c12'
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        let permit = store.gate.background().await;
        let intake = intake_waiting(&store).await;
        let mut rest = &turns[..];
        let first = commit_until_intake_waits(&store, &mut rest, t0()).await.unwrap();
        assert_eq!(first.len(), TURNS_BETWEEN_YIELDS);
        drop(permit);
        intake.await.unwrap();

        let committed = commit_turns(&store, rest, t0()).await;
        assert!(committed.results.is_empty(), "the failed transaction held every remaining turn");
        assert!(committed.failed.is_some());
        assert_eq!(
            store.count_events(InboundState::Processed).await.unwrap(),
            TURNS_BETWEEN_YIELDS as i64,
            "the first group stays written, nothing of the failed transaction is"
        );
    }

    fn turn(citizen: &str, event_id: i64) -> TurnCommit {
        TurnCommit {
            citizen_id: citizen.into(),
            event_id,
            worker: "w".into(),
            state: None,
            outcome: InboundState::Processed,
            jobs: Vec::new(),
            chat: Vec::new(),
            interaction_at: None,
            release: false,
        }
    }

    #[test]
    fn rounds_hold_one_turn_per_citizen_in_order() {
        let turns = [turn("a", 1), turn("b", 2), turn("a", 3), turn("a", 4), turn("c", 5), turn("b", 6)];
        assert_eq!(rounds(&turns), vec![vec![0, 1, 4], vec![2, 5], vec![3]]);
        assert!(rounds(&[]).is_empty());
    }
}

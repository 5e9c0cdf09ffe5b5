//! Conversation turns on SQLite, committed a batch at a time with multi-row statements. Every
//! statement is a round trip to the single writer connection's thread, and intake waits for
//! whatever holds that connection, so a batch of turns is written in a handful of statements
//! whatever its size: the events marked under the lease, the conversations saved (and released
//! with a claim's last event), the interactions recorded (saying whose messages are held), the
//! jobs inserted. Officer-chat changes and held messages, which few turns have, go turn by turn.
//!
//! A batch may hold several turns of one citizen; they are applied in rounds (a citizen's first
//! turn in the first round, its second in the next…), so each statement sees one turn per
//! citizen and a citizen's turns apply in order.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::to_ms;
use crate::store::{Context, StoreResult, TurnCommit, TurnResult};

/// Rows per multi-row statement (at most 10 parameters each; SQLite allows 32,766).
const ROWS_PER_STATEMENT: usize = 500;

/// Applies `turns` in order inside the caller's transaction; one result per turn.
pub(super) async fn apply_turns(
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
    use super::*;
    use crate::store::InboundState;

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

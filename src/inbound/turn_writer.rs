//! Group commit for the conversation worker: the citizens being processed at the same time hand
//! their turns to one writer task, which commits whatever is queued in one transaction (on
//! SQLite one fsync for all of them instead of one each). If a transaction fails, the turns it
//! held and those after it are committed one by one, so one bad turn cannot hold back the others.

use std::sync::Arc;

use async_trait::async_trait;

use super::group_commit::{BatchSink, GroupCommit};
use crate::clock::SharedClock;
use crate::store::{InboundStore, TurnCommit, TurnResult, TurnsCommitted};

/// Most turns in one transaction.
const MAX_BATCH: usize = 256;

struct TurnSink {
    store: Arc<dyn InboundStore>,
    clock: SharedClock,
}

#[async_trait]
impl BatchSink<TurnCommit, TurnResult> for TurnSink {
    async fn write_batch(&self, turns: Vec<TurnCommit>) -> Vec<Result<TurnResult, String>> {
        let TurnsCommitted { results, failed } = self.store.commit_turns(&turns, self.clock.now()).await;
        let mut outcomes: Vec<Result<TurnResult, String>> = results.into_iter().map(Ok).collect();
        let Some(error) = failed else { return outcomes };
        let unwritten = turns.get(outcomes.len()..).unwrap_or_default();
        if unwritten.len() == 1 {
            outcomes.push(Err(format!("{error}")));
            return outcomes;
        }
        tracing::warn!(error = %error, turns = unwritten.len(), "committing turns together failed; committing them one by one");
        for turn in unwritten {
            outcomes.push(self.store.commit_turn(turn, self.clock.now()).await.map_err(|e| format!("{e}")));
        }
        outcomes
    }
}

/// The worker's side of the turn writer.
#[derive(Clone)]
pub struct TurnWriter {
    commit: GroupCommit<TurnCommit, TurnResult>,
}

impl TurnWriter {
    /// Starts the writer task; it ends when every clone is dropped.
    pub fn spawn(store: Arc<dyn InboundStore>, clock: SharedClock) -> Self {
        let sink = Arc::new(TurnSink { store, clock });
        Self { commit: GroupCommit::spawn("turn writer", sink, MAX_BATCH, MAX_BATCH * 4) }
    }

    /// Commits one turn (with whatever else is queued).
    pub async fn commit(&self, turn: TurnCommit) -> Result<TurnResult, String> {
        self.commit.submit(turn).await
    }
}

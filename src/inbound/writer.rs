//! Group commit for webhook intake: request handlers hand their event to one writer task, which
//! stores whatever is queued in one transaction (one multi-row INSERT, one fsync) and then
//! answers each handler. Every acknowledged event is on disk; throughput no longer pays one
//! fsync per event.

use std::sync::Arc;

use async_trait::async_trait;

use super::group_commit::{BatchSink, GroupCommit};
use crate::clock::SharedClock;
use crate::store::{InboundStore, InsertOutcome, NewInboundEvent};

/// Events waiting for the writer before handlers are made to wait for queue space.
const QUEUE_CAPACITY: usize = 20_000;

struct EventSink {
    store: Arc<dyn InboundStore>,
    clock: SharedClock,
}

#[async_trait]
impl BatchSink<NewInboundEvent, InsertOutcome> for EventSink {
    async fn write_batch(&self, events: Vec<NewInboundEvent>) -> Vec<Result<InsertOutcome, String>> {
        match self.store.insert_events(&events, self.clock.now()).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) => {
                let message = format!("{e}");
                tracing::error!(error = %message, events = events.len(), "storing webhook events failed; they are not acknowledged");
                events.iter().map(|_| Err(message.clone())).collect()
            }
        }
    }
}

/// The handlers' side of the group-commit writer.
#[derive(Clone)]
pub struct GroupWriter {
    commit: GroupCommit<NewInboundEvent, InsertOutcome>,
}

impl GroupWriter {
    /// Starts the writer task; it ends when every [`GroupWriter`] clone is dropped.
    pub fn spawn(store: Arc<dyn InboundStore>, clock: SharedClock, max_batch: usize) -> Self {
        let sink = Arc::new(EventSink { store, clock });
        Self { commit: GroupCommit::spawn("intake writer", sink, max_batch, QUEUE_CAPACITY) }
    }

    /// Stores one event durably (with whatever else is queued) and says whether it was new.
    pub async fn write(&self, event: NewInboundEvent) -> Result<InsertOutcome, String> {
        self.commit.submit(event).await
    }
}

//! Group commit for webhook intake: request handlers hand their event to one writer task, which
//! stores whatever is queued in one transaction (one multi-row INSERT, one fsync) and then
//! answers each handler. Every acknowledged event is on disk; throughput no longer pays one
//! fsync per event.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::clock::SharedClock;
use crate::store::{InboundStore, InsertOutcome, NewInboundEvent};

/// Events waiting for the writer before handlers are made to wait for queue space.
const QUEUE_CAPACITY: usize = 20_000;

struct Pending {
    event: NewInboundEvent,
    reply: oneshot::Sender<Result<InsertOutcome, String>>,
}

/// The handlers' side of the group-commit writer.
#[derive(Clone)]
pub struct GroupWriter {
    queue: mpsc::Sender<Pending>,
}

impl GroupWriter {
    /// Starts the writer task; it ends when every [`GroupWriter`] clone is dropped.
    pub fn spawn(store: Arc<dyn InboundStore>, clock: SharedClock, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(write_batches(receiver, store, clock, max_batch.max(1)));
        Self { queue }
    }

    /// Stores one event durably (with whatever else is queued) and says whether it was new.
    pub async fn write(&self, event: NewInboundEvent) -> Result<InsertOutcome, String> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { event, reply }).await.map_err(|_| "the intake writer has stopped".to_owned())?;
        answer.await.map_err(|_| "the intake writer stopped before answering".to_owned())?
    }
}

async fn write_batches(
    mut receiver: mpsc::Receiver<Pending>,
    store: Arc<dyn InboundStore>,
    clock: SharedClock,
    max_batch: usize,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        let events: Vec<NewInboundEvent> = batch.iter().map(|p| p.event.clone()).collect();
        match store.insert_events(&events, clock.now()).await {
            Ok(outcomes) => {
                for (pending, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = pending.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                let message = format!("{e}");
                tracing::error!(error = %message, events = batch.len(), "storing webhook events failed; they are not acknowledged");
                for pending in batch.drain(..) {
                    let _ = pending.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

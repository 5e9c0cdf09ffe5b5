//! Group commit: many tasks hand one item each to a single writer task, which writes whatever is
//! queued in one call (one transaction, one fsync on SQLite) and answers each task with its own
//! outcome. Webhook intake uses it for events (`writer`), the conversation worker for its turns.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

/// Writes a batch of items; answers one result per item, in order.
#[async_trait]
pub trait BatchSink<I, O>: Send + Sync + 'static {
    async fn write_batch(&self, items: Vec<I>) -> Vec<Result<O, String>>;
}

struct Pending<I, O> {
    item: I,
    reply: oneshot::Sender<Result<O, String>>,
}

/// The submitting side of a group-commit writer task.
pub struct GroupCommit<I, O> {
    queue: mpsc::Sender<Pending<I, O>>,
    /// Names the writer in errors ("the intake writer has stopped").
    name: &'static str,
}

impl<I, O> Clone for GroupCommit<I, O> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone(), name: self.name }
    }
}

impl<I: Send + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// Starts the writer task; it ends when every clone of the returned handle is dropped.
    /// `capacity` items may wait before submitters are made to wait for queue space.
    pub fn spawn(name: &'static str, sink: Arc<dyn BatchSink<I, O>>, max_batch: usize, capacity: usize) -> Self {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        tokio::spawn(write_batches(receiver, sink, max_batch.max(1)));
        Self { queue, name }
    }

    /// Writes one item (with whatever else is queued) and returns its outcome.
    pub async fn submit(&self, item: I) -> Result<O, String> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { item, reply }).await.map_err(|_| format!("the {} has stopped", self.name))?;
        answer.await.map_err(|_| format!("the {} stopped before answering", self.name))?
    }
}

async fn write_batches<I: Send + 'static, O: Send + 'static>(
    mut receiver: mpsc::Receiver<Pending<I, O>>,
    sink: Arc<dyn BatchSink<I, O>>,
    max_batch: usize,
) {
    let mut batch: Vec<Pending<I, O>> = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        let (items, replies): (Vec<I>, Vec<_>) = batch.drain(..).map(|p| (p.item, p.reply)).unzip();
        let count = items.len();
        let outcomes = sink.write_batch(items).await;
        if outcomes.len() == count {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        } else {
            let message = format!("the writer answered {} outcomes for {count} items", outcomes.len());
            tracing::error!(error = %message, "group commit failed");
            for reply in replies {
                let _ = reply.send(Err(message.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Doubles numbers; records batch sizes; refuses 13.
    struct Doubler {
        batches: std::sync::Mutex<Vec<usize>>,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl BatchSink<u32, u32> for Doubler {
        async fn write_batch(&self, items: Vec<u32>) -> Vec<Result<u32, String>> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.batches.lock().expect("lock").push(items.len());
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            items.into_iter().map(|n| if n == 13 { Err("unlucky".to_owned()) } else { Ok(n * 2) }).collect()
        }
    }

    #[tokio::test]
    async fn concurrent_submissions_share_batches_and_get_their_own_outcomes() {
        let sink = Arc::new(Doubler { batches: std::sync::Mutex::new(Vec::new()), calls: AtomicUsize::new(0) });
        let writer = GroupCommit::spawn("test writer", sink.clone(), 16, 100);
        let mut tasks = Vec::new();
        for n in 0..40_u32 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move { (n, writer.submit(n).await) }));
        }
        for task in tasks {
            let (n, outcome) = task.await.expect("task");
            if n == 13 {
                assert_eq!(outcome, Err("unlucky".to_owned()));
            } else {
                assert_eq!(outcome, Ok(n * 2));
            }
        }
        let batches = sink.batches.lock().expect("lock").clone();
        assert_eq!(batches.iter().sum::<usize>(), 40);
        assert!(batches.iter().all(|&size| size <= 16), "{batches:?}");
        assert!(batches.len() < 40, "items were written together: {batches:?}");
    }
}

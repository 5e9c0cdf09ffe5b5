//! Group commit of job results: the jobs of a worker pool that finish at about the same time
//! hand their results to one writer task, which records whatever is queued together
//! (`JobStore::finish_all`: on SQLite one transaction and one fsync instead of one each). If
//! that fails, they are recorded one by one, so one bad record cannot hold back the others.
//! With a pool of writers (PostgreSQL) each job records its own result, side by side.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Finish;
use crate::clock::SharedClock;
use crate::inbound::group_commit::{BatchSink, GroupCommit};
use crate::store::JobStore;

/// Most results recorded together.
const MAX_BATCH: usize = 64;

struct FinishSink {
    store: Arc<dyn JobStore>,
    worker: String,
    clock: SharedClock,
}

impl FinishSink {
    async fn one(&self, id: i64, finish: &Finish, now: DateTime<Utc>) -> Result<bool, String> {
        let recorded = self.store.finish_all(&self.worker, &[(id, finish.clone())], now).await;
        recorded.map(|mut results| results.pop().unwrap_or(false)).map_err(|e| format!("{e}"))
    }
}

#[async_trait]
impl BatchSink<(i64, Finish), bool> for FinishSink {
    async fn write_batch(&self, finished: Vec<(i64, Finish)>) -> Vec<Result<bool, String>> {
        let now = self.clock.now();
        match self.store.finish_all(&self.worker, &finished, now).await {
            Ok(recorded) => recorded.into_iter().map(Ok).collect(),
            Err(e) if finished.len() > 1 => {
                tracing::warn!(error = %e, jobs = finished.len(), "recording job results together failed; recording them one by one");
                let mut results = Vec::with_capacity(finished.len());
                for (id, finish) in &finished {
                    results.push(self.one(*id, finish, now).await);
                }
                results
            }
            Err(e) => vec![Err(format!("{e}"))],
        }
    }
}

/// The worker pool's side of the result writer.
#[derive(Clone)]
pub struct JobFinisher {
    sink: Arc<FinishSink>,
    /// `None` when the store has a pool of writers: each result is recorded on its own.
    commit: Option<GroupCommit<(i64, Finish), bool>>,
}

impl JobFinisher {
    /// Starts the writer task for `worker`'s results when the store has a single writer; it
    /// ends when every clone is dropped.
    pub fn spawn(store: Arc<dyn JobStore>, worker: String, clock: SharedClock) -> Self {
        let grouped = store.single_writer();
        let sink = Arc::new(FinishSink { store, worker, clock });
        let commit = grouped.then(|| {
            let group: Arc<dyn BatchSink<(i64, Finish), bool>> = sink.clone();
            GroupCommit::spawn("job result writer", group, MAX_BATCH, MAX_BATCH * 4)
        });
        Self { sink, commit }
    }

    /// Records how job `id` ended (with whatever else is queued); false when the worker no
    /// longer held the job.
    pub async fn record(&self, id: i64, finish: Finish) -> Result<bool, String> {
        match &self.commit {
            Some(commit) => commit.submit((id, finish)).await,
            None => self.sink.one(id, &finish, self.sink.clock.now()).await,
        }
    }
}

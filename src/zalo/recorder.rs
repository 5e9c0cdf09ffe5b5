//! Group commit of outbound records: the sends that end at about the same time hand their
//! records to one writer task, which stores whatever is queued together
//! (`OutboundStore::record_attempts`: on SQLite one transaction and one fsync instead of one
//! each). If that fails, they are stored one by one, so one bad record cannot hold back the
//! others. With a pool of writers (PostgreSQL) each send stores its own record, side by side.

use std::sync::Arc;

use async_trait::async_trait;

use super::records::NewOutboundRecord;
use crate::inbound::group_commit::{BatchSink, GroupCommit};
use crate::store::OutboundStore;

/// Most records stored together.
const MAX_BATCH: usize = 64;

struct RecordSink {
    store: Arc<dyn OutboundStore>,
}

#[async_trait]
impl BatchSink<NewOutboundRecord, i64> for RecordSink {
    async fn write_batch(&self, records: Vec<NewOutboundRecord>) -> Vec<Result<i64, String>> {
        match self.store.record_attempts(&records).await {
            Ok(ids) => ids.into_iter().map(Ok).collect(),
            Err(e) if records.len() > 1 => {
                tracing::warn!(error = %e, records = records.len(), "storing outbound records together failed; storing them one by one");
                let mut ids = Vec::with_capacity(records.len());
                for record in &records {
                    ids.push(self.store.record_attempt(record).await.map_err(|e| format!("{e}")));
                }
                ids
            }
            Err(e) => vec![Err(format!("{e}"))],
        }
    }
}

/// The sender's side of the record writer.
#[derive(Clone)]
pub struct OutboundRecorder {
    store: Arc<dyn OutboundStore>,
    /// `None` when the store has a pool of writers: each record is stored on its own.
    commit: Option<GroupCommit<NewOutboundRecord, i64>>,
}

impl OutboundRecorder {
    /// Starts the writer task (in the current runtime) when the store has a single writer; it
    /// ends when every clone is dropped.
    pub fn spawn(store: Arc<dyn OutboundStore>) -> Self {
        let commit = store.single_writer().then(|| {
            let sink = Arc::new(RecordSink { store: store.clone() });
            GroupCommit::spawn("outbound record writer", sink, MAX_BATCH, MAX_BATCH * 4)
        });
        Self { store, commit }
    }

    /// Stores one record (with whatever else is queued); returns its id.
    pub async fn record(&self, record: NewOutboundRecord) -> Result<i64, String> {
        match &self.commit {
            Some(commit) => commit.submit(record).await,
            None => self.store.record_attempt(&record).await.map_err(|e| format!("{e}")),
        }
    }
}

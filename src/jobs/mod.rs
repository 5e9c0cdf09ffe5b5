//! The durable job queue: handlers registered by kind, worker pools that claim jobs from the
//! database with a lease, retry with backoff, keep dead letters, and periodic scheduler ticks.
//! Storage is in `crate::store` (the `jobs` table lives beside the domain tables, so a domain
//! write and the jobs it causes commit together).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

pub mod backoff;
pub mod finisher;
pub mod model;
pub mod scheduler;
pub mod worker;

pub use model::{EnqueueOutcome, Finish, Job, JobState, NewJob};

/// How a job run ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later with the usual backoff (network errors, 5xx, a busy database…).
    #[error("{0}")]
    Retry(String),
    /// Try again after at least this long (e.g. a rate limit told us when).
    #[error("{0}")]
    RetryAfter(String, chrono::Duration),
    /// Retrying cannot help; keep the job as a dead letter with this reason.
    #[error("{0}")]
    Permanent(String),
}

/// Runs jobs of one kind. Must be idempotent: a job may run again after a crash or lease expiry.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

/// Handlers by job kind.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: BTreeMap<String, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, kind: impl Into<String>, handler: Arc<dyn JobHandler>) -> &mut Self {
        self.handlers.insert(kind.into(), handler);
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.handlers.get(kind)
    }

    /// The kinds this registry can run; workers claim only these.
    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }
}

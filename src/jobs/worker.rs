//! A pool of workers in one process: claims due jobs in batches (the claim is committed at once),
//! runs each outside any transaction under a timeout shorter than its lease, then completes,
//! retries (exponential backoff with jitter) or discards it (the results of jobs that finish
//! together are recorded together, see `finisher`). At shutdown it stops claiming, lets
//! running jobs finish within the grace period and hands the rest back to the queue.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::backoff::Backoff;
use super::finisher::JobFinisher;
pub use super::model::Finish;
use super::{Job, JobError, Registry};
use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::{JobStore, StoreResult};

/// Settings of a worker pool (from `[jobs]` in the configuration).
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub concurrency: u32,
    pub claim_batch: u32,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub backoff: Backoff,
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    pub fn from_config(jobs: &crate::config::JobsConfig, shutdown_grace: Duration) -> Self {
        Self {
            concurrency: jobs.concurrency,
            claim_batch: jobs.claim_batch,
            poll_interval: jobs.poll_interval.as_duration(),
            lease: jobs.lease.as_duration(),
            backoff: Backoff { base: jobs.backoff_base.as_duration(), max: jobs.backoff_max.as_duration() },
            shutdown_grace,
        }
    }

    /// A handler gets this long before it is stopped: 80% of the lease, so the lease cannot
    /// expire (and the job be rescued and run twice) while the handler is still working.
    pub fn run_timeout(&self) -> Duration {
        self.lease * 4 / 5
    }
}

/// Decides a job's fate from the result of its run (pure; `jitter` in `[0, 1)`).
pub fn decide(job: &Job, result: &Result<(), JobError>, now: DateTime<Utc>, backoff: &Backoff, jitter: f64) -> Finish {
    let (error, floor) = match result {
        Ok(()) => return Finish::Complete,
        Err(JobError::Permanent(reason)) => return Finish::Discard { error: reason.clone() },
        Err(JobError::Retry(reason)) => (reason.clone(), Duration::zero()),
        Err(JobError::RetryAfter(reason, after)) => (reason.clone(), *after),
    };
    if job.attempt >= job.max_attempts {
        return Finish::Discard { error: format!("gave up after {} attempts; last error: {error}", job.attempt) };
    }
    let delay = backoff.delay(job.attempt, jitter).max(floor);
    Finish::Retry { at: now + delay, error }
}

/// One process's workers.
pub struct WorkerPool {
    store: Arc<dyn JobStore>,
    registry: Arc<Registry>,
    clock: SharedClock,
    settings: WorkerSettings,
    metrics: Metrics,
    worker_id: String,
    wake: Arc<Notify>,
    running: Arc<Mutex<HashSet<i64>>>,
    /// Records the results of the jobs that finish at about the same time together.
    finisher: JobFinisher,
}

impl WorkerPool {
    pub fn new(
        store: Arc<dyn JobStore>,
        registry: Registry,
        clock: SharedClock,
        settings: WorkerSettings,
        metrics: Metrics,
        worker_id: impl Into<String>,
    ) -> Self {
        let worker_id = worker_id.into();
        let finisher = JobFinisher::spawn(store.clone(), worker_id.clone(), clock.clone());
        Self {
            store,
            registry: Arc::new(registry),
            clock,
            settings,
            metrics,
            worker_id,
            wake: Arc::new(Notify::new()),
            running: Arc::new(Mutex::new(HashSet::new())),
            finisher,
        }
    }

    /// A handle that wakes idle workers at once (call it after enqueueing in this process).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Claims what is due now (up to one batch), runs it all and waits. Returns how many ran.
    /// Used by tests with a manual clock and by one-shot CLI commands.
    pub async fn run_once(&self) -> StoreResult<usize> {
        let jobs = self.claim(self.settings.claim_batch).await?;
        let count = jobs.len();
        let mut set = JoinSet::new();
        for job in jobs {
            set.spawn(self.execute_task(job));
        }
        while set.join_next().await.is_some() {}
        Ok(count)
    }

    /// Runs until `shutdown`, then drains within the grace period and releases what is left.
    pub async fn run(self: Arc<Self>, mut shutdown: Shutdown) {
        if self.registry.is_empty() {
            return;
        }
        let slots = Arc::new(Semaphore::new(self.settings.concurrency as usize));
        let mut tasks = JoinSet::new();
        let poll = self.settings.poll_interval.to_std().unwrap_or(std::time::Duration::from_millis(500));
        while !shutdown.is_triggered() {
            while tasks.try_join_next().is_some() {}
            let free = u32::try_from(slots.available_permits()).unwrap_or(u32::MAX).min(self.settings.claim_batch);
            let claimed = if free == 0 { Ok(Vec::new()) } else { self.claim(free).await };
            let jobs = claimed.unwrap_or_else(|e| {
                tracing::error!(error = %e, "claiming jobs failed; will retry");
                Vec::new()
            });
            let idle = jobs.is_empty();
            for job in jobs {
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                let task = self.execute_task(job);
                tasks.spawn(async move {
                    task.await;
                    drop(permit);
                });
            }
            if idle || free == 0 {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                    () = shutdown.wait() => {}
                    Some(_) = tasks.join_next(), if free == 0 => {}
                }
            }
        }
        self.drain(tasks).await;
    }

    async fn drain(&self, mut tasks: JoinSet<()>) {
        let grace = self.settings.shutdown_grace.to_std().unwrap_or_default();
        let finished = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tasks.abort_all();
            let ids: Vec<i64> = self.running_ids();
            tracing::warn!(count = ids.len(), "jobs still running after the grace period; handing them back");
            if let Err(e) = self.store.release(&ids, &self.worker_id, self.clock.now()).await {
                tracing::error!(error = %e, "releasing jobs at shutdown failed; their leases will expire and be rescued");
            }
        }
    }

    fn running_ids(&self) -> Vec<i64> {
        self.running.lock().map(|set| set.iter().copied().collect()).unwrap_or_default()
    }

    async fn claim(&self, limit: u32) -> StoreResult<Vec<Job>> {
        let now = self.clock.now();
        let jobs =
            self.store.claim(&self.worker_id, &self.registry.kinds(), limit, now, now + self.settings.lease).await?;
        if let Ok(mut running) = self.running.lock() {
            running.extend(jobs.iter().map(|j| j.id));
        }
        Ok(jobs)
    }

    /// The future that runs one claimed job and records its fate.
    fn execute_task(&self, job: Job) -> impl std::future::Future<Output = ()> + Send + 'static {
        let finisher = self.finisher.clone();
        let registry = self.registry.clone();
        let clock = self.clock.clone();
        let settings = self.settings.clone();
        let metrics = self.metrics.clone();
        let running = self.running.clone();
        async move {
            let started = std::time::Instant::now();
            let result = match registry.get(&job.kind) {
                None => Err(JobError::Permanent(format!("no handler for job kind `{}`", job.kind))),
                Some(handler) => {
                    let timeout = settings.run_timeout().to_std().unwrap_or(std::time::Duration::from_secs(60));
                    match tokio::time::timeout(timeout, handler.run(&job)).await {
                        Ok(result) => result,
                        Err(_) => Err(JobError::Retry(format!("timed out after {}s", timeout.as_secs()))),
                    }
                }
            };
            let now = clock.now();
            let finish = decide(&job, &result, now, &settings.backoff, rand::random::<f64>());
            let outcome = match &finish {
                Finish::Complete => "completed",
                Finish::Retry { .. } => "retried",
                Finish::Discard { .. } => "discarded",
            };
            metrics.job_finished(&job.kind, outcome, started.elapsed());
            match &finish {
                Finish::Complete => {}
                Finish::Retry { at, error } => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, %error, retry_at = %at, "job failed; will retry");
                }
                Finish::Discard { error } => {
                    tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempt, %error, "job discarded (dead letter)");
                }
            }
            let recorded = finisher.record(job.id, finish).await;
            match recorded {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = job.id, "job's lease was lost before it finished; another worker owns it now");
                }
                Err(e) => {
                    tracing::error!(job = job.id, error = %e, "recording a job's result failed; its lease will expire and it will run again");
                }
            }
            if let Ok(mut set) = running.lock() {
                set.remove(&job.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn job(attempt: u32, max_attempts: u32) -> Job {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).single().expect("valid time");
        Job {
            id: 1,
            kind: "k".into(),
            payload: serde_json::Value::Null,
            state: super::super::JobState::Running,
            priority: 0,
            run_at: t,
            attempt,
            max_attempts,
            locked_by: Some("w".into()),
            locked_until: Some(t),
            last_error: None,
            unique_key: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
        }
    }

    #[test]
    fn decide_retries_with_backoff_until_the_budget_is_spent() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).single().expect("valid time");
        let backoff = Backoff { base: Duration::seconds(10), max: Duration::seconds(100) };
        assert_eq!(decide(&job(1, 3), &Ok(()), now, &backoff, 0.0), Finish::Complete);
        let retry = decide(&job(2, 3), &Err(JobError::Retry("boom".into())), now, &backoff, 1.0);
        assert_eq!(retry, Finish::Retry { at: now + Duration::seconds(20), error: "boom".into() });
        let late =
            decide(&job(1, 3), &Err(JobError::RetryAfter("slow".into(), Duration::seconds(90))), now, &backoff, 0.0);
        assert_eq!(late, Finish::Retry { at: now + Duration::seconds(90), error: "slow".into() });
        let spent = decide(&job(3, 3), &Err(JobError::Retry("boom".into())), now, &backoff, 0.0);
        assert_eq!(spent, Finish::Discard { error: "gave up after 3 attempts; last error: boom".into() });
        let permanent = decide(&job(1, 3), &Err(JobError::Permanent("bad".into())), now, &backoff, 0.0);
        assert_eq!(permanent, Finish::Discard { error: "bad".into() });
    }
}

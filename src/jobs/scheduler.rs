//! Periodic ticks: work that runs every so often in every instance (rescuing expired leases now;
//! due surveys, reminders, SLA escalations and token refresh in later modules). A tick must be
//! safe to run in several instances at once: it only makes idempotent updates or enqueues jobs
//! with unique keys.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::clock::SharedClock;
use crate::shutdown::Shutdown;
use crate::store::JobStore;

/// One kind of periodic work.
#[async_trait]
pub trait Tick: Send + Sync {
    fn name(&self) -> &'static str;
    async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<()>;
}

/// Runs registered ticks at their intervals until shutdown.
#[derive(Default)]
pub struct Scheduler {
    ticks: Vec<(Arc<dyn Tick>, Duration)>,
}

impl Scheduler {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn every(&mut self, interval: Duration, tick: Arc<dyn Tick>) -> &mut Self {
        self.ticks.push((tick, interval));
        self
    }

    /// Runs every tick once now (for tests and one-shot commands).
    pub async fn run_all_once(&self, now: DateTime<Utc>) {
        for (tick, _) in &self.ticks {
            run_logged(tick.as_ref(), now).await;
        }
    }

    /// Spawns one loop per tick; each ends when `shutdown` triggers.
    pub fn spawn(self, clock: &SharedClock, shutdown: &Shutdown) -> Vec<tokio::task::JoinHandle<()>> {
        self.ticks
            .into_iter()
            .map(|(tick, interval)| {
                let clock = clock.clone();
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    let period = interval.to_std().unwrap_or(std::time::Duration::from_secs(60));
                    let mut timer = tokio::time::interval(period);
                    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tokio::select! {
                            _ = timer.tick() => run_logged(tick.as_ref(), clock.now()).await,
                            () = shutdown.wait() => break,
                        }
                    }
                })
            })
            .collect()
    }
}

async fn run_logged(tick: &dyn Tick, now: DateTime<Utc>) {
    if let Err(e) = tick.tick(now).await {
        tracing::error!(tick = tick.name(), error = %format!("{e:#}"), "scheduler tick failed; it runs again at its next interval");
    }
}

/// Returns jobs whose worker died or hung (lease expired) to the queue.
pub struct LeaseRescuer {
    pub store: Arc<dyn JobStore>,
}

#[async_trait]
impl Tick for LeaseRescuer {
    fn name(&self) -> &'static str {
        "rescue-expired-leases"
    }

    async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let rescued = self.store.rescue_expired(now).await?;
        if rescued > 0 {
            tracing::warn!(rescued, "returned jobs with expired leases to the queue");
        }
        Ok(())
    }
}

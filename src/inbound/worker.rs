//! The conversation worker: leases citizens that have pending events (one worker per citizen
//! at a time, across instances), processes each citizen's events in arrival order, and commits
//! each event's outcome — new state, event marked done, jobs to run — in one transaction.
//! A failing event is retried with backoff without blocking other citizens; after too many
//! attempts it is kept as failed and the citizen's later events go on.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::turn_writer::TurnWriter;
use crate::clock::SharedClock;
use crate::handoff::ChatChange;
use crate::jobs::backoff::Backoff;
use crate::jobs::NewJob;
use crate::shutdown::Shutdown;
use crate::store::{
    Conversation, InboundEvent, InboundState, InboundStore, StoreError, StoreResult, TurnCommit, TurnResult,
};

/// What processing one event decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The conversation's new state (`None` keeps it).
    pub state: Option<serde_json::Value>,
    /// `Processed`, or `Ignored` for events that need nothing.
    pub outcome: InboundState,
    /// Jobs to enqueue with the state (messages to send…).
    pub jobs: Vec<NewJob>,
    /// Changes to the citizen's officer chat, applied with the state.
    pub chat: Vec<ChatChange>,
    /// The event's time when it counts as the citizen interacting with the OA (recorded with
    /// the state).
    pub interaction_at: Option<DateTime<Utc>>,
}

impl Turn {
    /// Nothing to do for this event.
    pub fn ignored() -> Self {
        Self { state: None, outcome: InboundState::Ignored, jobs: Vec::new(), chat: Vec::new(), interaction_at: None }
    }

    /// Processed: store `state` (`None` keeps it) and enqueue `jobs`.
    pub fn processed(state: Option<serde_json::Value>, jobs: Vec<NewJob>) -> Self {
        Self { state, outcome: InboundState::Processed, jobs, chat: Vec::new(), interaction_at: None }
    }
}

/// Decides what an event means. Must not write anything itself: the worker commits the turn.
#[async_trait]
pub trait EventProcessor: Send + Sync {
    async fn process(
        &self,
        event: &InboundEvent,
        conversation: Option<&Conversation>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Turn>;
}

/// Settings of the conversation worker.
#[derive(Debug, Clone)]
pub struct ConversationSettings {
    /// Citizens processed at the same time by this process.
    pub concurrency: u32,
    /// How long a citizen stays leased to this worker.
    pub lease: Duration,
    pub poll_interval: Duration,
    /// Attempts before an event is given up (kept as failed).
    pub max_attempts: i32,
    pub backoff: Backoff,
}

impl Default for ConversationSettings {
    fn default() -> Self {
        Self {
            // Each citizen's events go one after the other, each waiting for its commit: the
            // citizens in flight set how many turns a group commit can write at once (2,000
            // events/s on SQLite needed more than 32; see BENCHMARKS.md).
            concurrency: 128,
            lease: Duration::seconds(60),
            poll_interval: Duration::milliseconds(500),
            max_attempts: 5,
            backoff: Backoff { base: Duration::seconds(1), max: Duration::minutes(5) },
        }
    }
}

/// Processes inbound events of this process (and, on PostgreSQL, shares the work with others).
pub struct ConversationWorker {
    store: Arc<dyn InboundStore>,
    processor: Arc<dyn EventProcessor>,
    clock: SharedClock,
    settings: ConversationSettings,
    worker_id: String,
    wake: Arc<Notify>,
    /// Woken after commits that enqueued jobs, so the job workers start at once.
    jobs_wake: Option<Arc<Notify>>,
    /// Commits the turns of the citizens processed at the same time together.
    turns: TurnWriter,
}

/// Events processed per claimed citizen before the lease is handed back.
const EVENTS_PER_CLAIM: u32 = 50;

impl ConversationWorker {
    pub fn new(
        store: Arc<dyn InboundStore>,
        processor: Arc<dyn EventProcessor>,
        clock: SharedClock,
        settings: ConversationSettings,
        worker_id: impl Into<String>,
        wake: Arc<Notify>,
    ) -> Self {
        let turns = TurnWriter::spawn(store.clone(), clock.clone());
        Self { store, processor, clock, settings, worker_id: worker_id.into(), wake, jobs_wake: None, turns }
    }

    /// Wake this notifier after each commit that enqueued jobs.
    #[must_use]
    pub fn waking_jobs(mut self, jobs_wake: Arc<Notify>) -> Self {
        self.jobs_wake = Some(jobs_wake);
        self
    }

    /// Processes every citizen that is due now, until none is left. Returns events handled.
    /// For tests with a manual clock and for one-shot commands.
    pub async fn run_until_idle(&self) -> StoreResult<usize> {
        let mut handled = 0;
        loop {
            let citizens = self.claim(self.settings.concurrency).await?;
            if citizens.is_empty() {
                return Ok(handled);
            }
            for conversation in citizens {
                handled += self.process_citizen(conversation).await;
            }
        }
    }

    /// Runs until `shutdown`; in-flight citizens finish their current event.
    pub async fn run(self: Arc<Self>, mut shutdown: Shutdown) {
        let slots = Arc::new(Semaphore::new(self.settings.concurrency as usize));
        let mut tasks = JoinSet::new();
        let poll = self.settings.poll_interval.to_std().unwrap_or(std::time::Duration::from_millis(500));
        while !shutdown.is_triggered() {
            while tasks.try_join_next().is_some() {}
            let free = u32::try_from(slots.available_permits()).unwrap_or(u32::MAX);
            let citizens = if free == 0 {
                Vec::new()
            } else {
                self.claim(free).await.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "claiming citizens failed; will retry");
                    Vec::new()
                })
            };
            let idle = citizens.is_empty();
            for conversation in citizens {
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                let worker = self.clone();
                tasks.spawn(async move {
                    worker.process_citizen(conversation).await;
                    drop(permit);
                });
            }
            if idle {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                    () = shutdown.wait() => {}
                    Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                }
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn claim(&self, limit: u32) -> StoreResult<Vec<Conversation>> {
        let now = self.clock.now();
        self.store.claim_citizens(&self.worker_id, limit, now, now + self.settings.lease).await
    }

    /// Processes a leased citizen's pending events in order; returns how many were handled.
    async fn process_citizen(&self, conversation: Conversation) -> usize {
        let mut handled = 0;
        let citizen = conversation.citizen_id.clone();
        let outcome = self.process_events(conversation, &mut handled).await;
        match outcome {
            Ok(Release::Yes) => {
                if let Err(e) = self.store.release_citizen(&citizen, &self.worker_id).await {
                    tracing::error!(error = %e, "releasing a citizen failed; the lease will expire");
                }
            }
            Ok(Release::AlreadyReleased) => {}
            Err(e) => {
                tracing::error!(error = %e, "processing a citizen's events failed; the lease will expire and they are retried");
            }
        }
        handled
    }

    /// `leased`: the conversation as the claim read it.
    async fn process_events(&self, leased: Conversation, handled: &mut usize) -> StoreResult<Release> {
        let citizen = leased.citizen_id.clone();
        let events = self.store.pending_events(&citizen, EVENTS_PER_CLAIM).await?;
        if events.is_empty() {
            return Ok(Release::Yes);
        }
        let mut conversation = Some(leased);
        let last = events.len() - 1;
        for (position, event) in events.into_iter().enumerate() {
            let now = self.clock.now();
            // The lease ends with the last turn's commit (a later event is claimed again).
            let release = position == last;
            match self.processor.process(&event, conversation.as_ref(), now).await {
                Ok(turn) => {
                    let has_jobs = !turn.jobs.is_empty();
                    let commit = TurnCommit {
                        citizen_id: citizen.clone(),
                        event_id: event.id,
                        worker: self.worker_id.clone(),
                        state: turn.state.clone(),
                        outcome: turn.outcome,
                        jobs: turn.jobs,
                        chat: turn.chat,
                        interaction_at: turn.interaction_at,
                        release,
                    };
                    let result = self
                        .turns
                        .commit(commit)
                        .await
                        .map_err(|e| StoreError::Invalid(format!("committing a conversation turn: {e}")))?;
                    match result {
                        TurnResult::Committed => {
                            *handled += 1;
                            if let (Some(state), Some(conversation)) = (turn.state, conversation.as_mut()) {
                                conversation.state = Some(state);
                                conversation.version += 1;
                            }
                            if has_jobs {
                                if let Some(wake) = &self.jobs_wake {
                                    wake.notify_one();
                                }
                            }
                        }
                        TurnResult::AlreadyDone if release => return Ok(Release::Yes),
                        TurnResult::AlreadyDone => {}
                        TurnResult::LeaseLost => {
                            tracing::warn!(
                                event = event.id,
                                "lost a citizen's lease mid-way; another worker continues"
                            );
                            return Ok(Release::AlreadyReleased);
                        }
                    }
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    let attempt = u32::try_from(event.attempts + 1).unwrap_or(1);
                    let retry_at = now + self.settings.backoff.delay(attempt, rand::random::<f64>());
                    let gave_up = self
                        .store
                        .fail_event(event.id, &self.worker_id, &error, self.settings.max_attempts, retry_at, now)
                        .await?;
                    if gave_up {
                        tracing::error!(event = event.id, event_name = %event.event_name, %error, "event given up after repeated failures; kept as failed");
                    } else {
                        tracing::warn!(event = event.id, event_name = %event.event_name, %error, %retry_at, "processing an event failed; will retry");
                    }
                    return Ok(Release::AlreadyReleased);
                }
            }
        }
        Ok(Release::AlreadyReleased)
    }
}

enum Release {
    Yes,
    AlreadyReleased,
}

//! The ticket side of the job queue: the `ticket.notify` handler, which records a console
//! notification (idempotently), and the scheduler tick that checks deadlines.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::NewNotification;
use super::service::TicketService;
use crate::jobs::scheduler::Tick;
use crate::jobs::{Job, JobError, JobHandler};
use crate::store::TicketStore;

/// Records the notification carried by a `ticket.notify` job.
pub struct NotifyHandler {
    pub store: Arc<dyn TicketStore>,
}

#[async_trait]
impl JobHandler for NotifyHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let notification: NewNotification = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("bad ticket.notify payload: {e}")))?;
        self.store
            .record_notification(&notification)
            .await
            .map_err(|e| JobError::Retry(format!("recording notification {}: {e}", notification.dedupe_key)))?;
        Ok(())
    }
}

/// Sends deadline reminders and escalations (see [`TicketService::run_sla_checks`]).
pub struct SlaTick {
    pub service: Arc<TicketService>,
}

#[async_trait]
impl Tick for SlaTick {
    fn name(&self) -> &'static str {
        "ticket-deadlines"
    }

    async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.service.run_sla_checks(now).await?;
        Ok(())
    }
}

/// Registers the ticket job handlers (`ticket.notify`, `ticket.fetch_attachment`).
pub fn register_handlers(
    registry: &mut crate::jobs::Registry,
    config: &crate::config::Config,
    store: &crate::store::Store,
    clock: &crate::clock::SharedClock,
) -> anyhow::Result<()> {
    // Fails here, before any worker starts, when the catalogue or calendar is unusable.
    TicketService::from_config(config, store.tickets.clone())?;
    let fetcher = super::attachments::AttachmentFetcher::new(
        store.tickets.clone(),
        clock.clone(),
        std::path::Path::new(&config.general.data_dir),
        config.tickets.max_attachment_bytes,
        config.tickets.attachment_timeout.as_duration(),
    )?;
    registry.register(super::service::NOTIFY_JOB_KIND, Arc::new(NotifyHandler { store: store.tickets.clone() }));
    registry.register(super::service::FETCH_ATTACHMENT_JOB_KIND, Arc::new(fetcher));
    Ok(())
}

/// Schedules the deadline checks every `tickets.sla_check_interval`.
pub fn schedule(
    scheduler: &mut crate::jobs::scheduler::Scheduler,
    config: &crate::config::Config,
    store: &crate::store::Store,
) -> anyhow::Result<()> {
    let service = Arc::new(TicketService::from_config(config, store.tickets.clone())?);
    scheduler.every(config.tickets.sla_check_interval.as_duration(), Arc::new(SlaTick { service }));
    Ok(())
}

//! The scheduler tick that sends due surveys and reminders (inside the send window) and expires
//! unanswered ones. Safe in every instance at once: claims are exclusive and every send job has a
//! unique key (`survey:<instance id>:first` / `:reminder`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::service::SurveyService;
use crate::jobs::scheduler::Tick;

/// Runs [`SurveyService::dispatch`] every `survey.dispatch_interval`.
pub struct SurveyDispatcher {
    pub service: Arc<SurveyService>,
}

#[async_trait]
impl Tick for SurveyDispatcher {
    fn name(&self) -> &'static str {
        "survey-dispatch"
    }

    async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let summary = self.service.dispatch(now).await?;
        if summary != super::service::DispatchSummary::default() {
            tracing::info!(
                sent = summary.sent,
                skipped = summary.skipped,
                reminded = summary.reminded,
                expired = summary.expired,
                "survey dispatch"
            );
        }
        Ok(())
    }
}

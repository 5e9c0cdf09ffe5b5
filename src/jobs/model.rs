//! The job queue's data: what is enqueued, what a worker claims, and the states a job moves through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Lifecycle of a job: `available` → `running` → `completed`, or back to `available` for a retry,
/// or `discarded` (dead letter, kept for inspection), or `cancelled` before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Available,
    Running,
    Completed,
    Discarded,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] = [Self::Available, Self::Running, Self::Completed, Self::Discarded, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Discarded => "discarded",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to add to the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    /// Higher runs first among due jobs.
    pub priority: i32,
    /// Not before this time; `None` means now.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: u32,
    /// When set, a second job with the same key is never added, whatever state the first is in.
    pub unique_key: Option<String>,
    /// Jobs sharing a lane run one at a time, in lane order (e.g. one citizen's messages); a job
    /// waits while an earlier one of its lane is available (also waiting for a retry) or running.
    pub lane: Option<String>,
    /// Takes the lane place of this job instead of a new place at the end of the lane (the next
    /// message of a sequence goes before later turns' messages).
    pub lane_place_of: Option<i64>,
}

impl NewJob {
    /// A job of `kind` with default priority, due now, with the given attempt budget.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value, max_attempts: u32) -> Self {
        Self {
            kind: kind.into(),
            payload,
            priority: 0,
            run_at: None,
            max_attempts,
            unique_key: None,
            lane: None,
            lane_place_of: None,
        }
    }

    #[must_use]
    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    #[must_use]
    pub fn at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    #[must_use]
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Runs after the jobs already in `lane`, one at a time.
    #[must_use]
    pub fn in_lane(mut self, lane: impl Into<String>) -> Self {
        self.lane = Some(lane.into());
        self
    }

    /// Takes job `id`'s place in its lane (runs before the jobs enqueued after `id`).
    #[must_use]
    pub fn in_place_of(mut self, id: i64) -> Self {
        self.lane_place_of = Some(id);
        self
    }
}

/// What enqueueing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    Enqueued(i64),
    /// A job with the same unique key exists already (its id); nothing was added.
    Duplicate(i64),
}

impl EnqueueOutcome {
    pub fn id(self) -> i64 {
        match self {
            Self::Enqueued(id) | Self::Duplicate(id) => id,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: JobState,
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    /// Attempts started so far (a claim counts one).
    pub attempt: u32,
    pub max_attempts: u32,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What happens to a job after a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Complete,
    Retry { at: DateTime<Utc>, error: String },
    Discard { error: String },
}

//! The job queue on PostgreSQL. Claims take due rows with `FOR UPDATE SKIP LOCKED`, so any number
//! of workers in any number of processes share the queue without taking a job twice.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::PgStore;
use crate::store::{Context, EnqueueOutcome, Job, JobCount, JobState, JobStore, NewJob, StoreResult};

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: serde_json::Value,
    state: String,
    priority: i32,
    run_at: DateTime<Utc>,
    attempt: i32,
    max_attempts: i32,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    unique_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Job {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            state: JobState::parse(&row.state).unwrap_or(JobState::Discarded),
            priority: row.priority,
            run_at: row.run_at,
            attempt: u32::try_from(row.attempt).unwrap_or(0),
            max_attempts: u32::try_from(row.max_attempts).unwrap_or(0),
            locked_by: row.locked_by,
            locked_until: row.locked_until,
            last_error: row.last_error,
            unique_key: row.unique_key,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        }
    }
}

fn as_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Inserts a job on an open connection, so that a domain write and the jobs it causes share one
/// transaction. Used by every PostgreSQL store method that enqueues.
pub(crate) async fn insert_job(
    conn: &mut PgConnection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> StoreResult<EnqueueOutcome> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, priority, run_at, max_attempts, unique_key, created_at, updated_at, lane,
                           lane_pos)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, (SELECT COALESCE(lane_pos, id) FROM jobs WHERE id = $9))
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
         RETURNING id",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.priority)
    .bind(job.run_at.unwrap_or(now))
    .bind(as_i32(job.max_attempts))
    .bind(&job.unique_key)
    .bind(now)
    .bind(&job.lane)
    .bind(job.lane_place_of)
    .fetch_optional(&mut *conn)
    .await
    .context("inserting a job")?;
    if let Some(id) = inserted {
        return Ok(EnqueueOutcome::Enqueued(id));
    }
    let existing: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE unique_key = $1")
        .bind(&job.unique_key)
        .fetch_one(&mut *conn)
        .await
        .context("finding the job with the same unique key")?;
    Ok(EnqueueOutcome::Duplicate(existing))
}

#[async_trait]
impl JobStore for PgStore {
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<EnqueueOutcome> {
        let mut conn = self.pool.acquire().await.context("getting a connection to enqueue")?;
        insert_job(&mut conn, job, now).await
    }

    async fn enqueue_all(&self, jobs: &[NewJob], now: DateTime<Utc>) -> StoreResult<Vec<EnqueueOutcome>> {
        let mut tx = self.pool.begin().await.context("starting a batch enqueue")?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            outcomes.push(insert_job(&mut tx, job, now).await?);
        }
        tx.commit().await.context("committing a batch enqueue")?;
        Ok(outcomes)
    }

    async fn claim(
        &self,
        worker: &str,
        kinds: &[String],
        limit: u32,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>> {
        let rows: Vec<JobRow> = sqlx::query_as(
            "UPDATE jobs
                SET state = 'running', locked_by = $1, locked_until = $2, attempt = attempt + 1, updated_at = $3
              WHERE id IN (
                    SELECT id FROM jobs
                     WHERE state = 'available' AND NOT blocked AND run_at <= $3
                       AND (cardinality($4::text[]) = 0 OR kind = ANY($4))
                       AND (lane IS NULL OR NOT EXISTS (
                            SELECT 1 FROM jobs earlier
                             WHERE earlier.lane = jobs.lane AND earlier.state IN ('available', 'running')
                               AND (COALESCE(earlier.lane_pos, earlier.id), earlier.id)
                                   < (COALESCE(jobs.lane_pos, jobs.id), jobs.id)))
                     ORDER BY priority DESC, run_at, id
                     LIMIT $5
                     FOR UPDATE SKIP LOCKED)
             RETURNING *",
        )
        .bind(worker)
        .bind(locked_until)
        .bind(now)
        .bind(kinds)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("claiming jobs")?;
        let mut jobs: Vec<Job> = rows.into_iter().map(Job::from).collect();
        jobs.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)).then(a.id.cmp(&b.id)));
        Ok(jobs)
    }

    async fn complete(&self, id: i64, worker: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'completed', locked_by = NULL, locked_until = NULL, updated_at = $3, finished_at = $3
              WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("completing a job")?;
        Ok(done.rows_affected() == 1)
    }

    async fn retry(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'available', locked_by = NULL, locked_until = NULL, last_error = $3, run_at = $4, updated_at = $5
              WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(error)
        .bind(run_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("scheduling a job retry")?;
        Ok(done.rows_affected() == 1)
    }

    async fn discard(&self, id: i64, worker: &str, error: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'discarded', locked_by = NULL, locked_until = NULL, last_error = $3, updated_at = $4, finished_at = $4
              WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("discarding a job")?;
        Ok(done.rows_affected() == 1)
    }

    async fn release(&self, ids: &[i64], worker: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'available', locked_by = NULL, locked_until = NULL, attempt = GREATEST(attempt - 1, 0), updated_at = $3
              WHERE id = ANY($1) AND state = 'running' AND locked_by = $2",
        )
        .bind(ids)
        .bind(worker)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("releasing jobs")?;
        Ok(done.rows_affected())
    }

    async fn cancel(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', updated_at = $2, finished_at = $2 WHERE id = $1 AND state = 'available'",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("cancelling a job")?;
        Ok(done.rows_affected() == 1)
    }

    async fn rescue_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE jobs
                SET state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END,
                    finished_at = CASE WHEN attempt >= max_attempts THEN $1 ELSE NULL END,
                    last_error = 'lease expired: worker ' || COALESCE(locked_by, '?') || ' stopped or hung while running the job',
                    locked_by = NULL, locked_until = NULL, run_at = $1, updated_at = $1
              WHERE state = 'running' AND locked_until < $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .context("rescuing jobs with expired leases")?;
        Ok(done.rows_affected())
    }

    async fn get(&self, id: i64) -> StoreResult<Option<Job>> {
        let row: Option<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading a job")?;
        Ok(row.map(Job::from))
    }

    async fn list(&self, state: JobState, limit: u32) -> StoreResult<Vec<Job>> {
        let rows: Vec<JobRow> =
            sqlx::query_as("SELECT * FROM jobs WHERE state = $1 ORDER BY updated_at DESC, id DESC LIMIT $2")
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .context("listing jobs")?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    async fn counts(&self) -> StoreResult<Vec<JobCount>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state")
                .fetch_all(&self.pool)
                .await
                .context("counting jobs")?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, state, count)| Some(JobCount { kind, state: JobState::parse(&state)?, count }))
            .collect())
    }

    async fn next_run_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let next: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE state = 'available'")
            .fetch_one(&self.pool)
            .await
            .context("finding the next due job")?;
        Ok(next)
    }
}

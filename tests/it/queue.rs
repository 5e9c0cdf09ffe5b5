//! The worker side of the job queue: retries with backoff, dead letters, lease rescue, unique
//! keys, and several worker pools sharing one database without running a job twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tongdai::clock::{Clock, ManualClock, SharedClock, SystemClock};
use tongdai::jobs::backoff::Backoff;
use tongdai::jobs::scheduler::{LeaseRescuer, Tick};
use tongdai::jobs::worker::{WorkerPool, WorkerSettings};
use tongdai::jobs::{Job, JobError, JobHandler, JobState, NewJob, Registry};
use tongdai::metrics::Metrics;
use tongdai::store::Store;

use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

/// Counts runs per job id and fails while told to.
#[derive(Default)]
struct Recorder {
    runs: Mutex<HashMap<i64, u32>>,
    fail_with: Mutex<Option<JobError>>,
}

impl Recorder {
    fn runs_of(&self, id: i64) -> u32 {
        self.runs.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

#[async_trait]
impl JobHandler for Recorder {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        *self.runs.lock().unwrap().entry(job.id).or_default() += 1;
        match self.fail_with.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 8,
        claim_batch: 64,
        poll_interval: Duration::milliseconds(20),
        lease: Duration::minutes(5),
        backoff: Backoff { base: Duration::seconds(10), max: Duration::minutes(10) },
        shutdown_grace: Duration::seconds(5),
    }
}

fn pool(store: &Store, recorder: &Arc<Recorder>, clock: SharedClock, name: &str) -> WorkerPool {
    let mut registry = Registry::new();
    registry.register("test", recorder.clone());
    WorkerPool::new(store.jobs.clone(), registry, clock, settings(), Metrics::new(), name)
}

async fn failing_job_backs_off_then_becomes_a_dead_letter(db: TestDb) {
    let clock = Arc::new(ManualClock::new(t0()));
    let recorder = Arc::new(Recorder::default());
    *recorder.fail_with.lock().unwrap() = Some(JobError::Retry("Zalo answered 503".into()));
    let workers = pool(&db.store, &recorder, clock.clone(), "w1");
    let id = db.store.jobs.enqueue(&NewJob::new("test", json!({}), 3), t0()).await.unwrap().id();

    assert_eq!(workers.run_once().await.unwrap(), 1);
    let after_first = db.store.jobs.get(id).await.unwrap().unwrap();
    assert_eq!(after_first.state, JobState::Available);
    let delay = after_first.run_at - t0();
    assert!(delay >= Duration::seconds(5) && delay <= Duration::seconds(10), "first retry after 5–10 s, got {delay}");
    assert_eq!(workers.run_once().await.unwrap(), 0, "not due yet");

    clock.set(after_first.run_at);
    assert_eq!(workers.run_once().await.unwrap(), 1);
    let after_second = db.store.jobs.get(id).await.unwrap().unwrap();
    let delay = after_second.run_at - after_first.run_at;
    assert!(
        delay >= Duration::seconds(10) && delay <= Duration::seconds(20),
        "second retry after 10–20 s, got {delay}"
    );

    clock.set(after_second.run_at);
    assert_eq!(workers.run_once().await.unwrap(), 1);
    let dead = db.store.jobs.get(id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Discarded);
    assert_eq!(dead.last_error.as_deref(), Some("gave up after 3 attempts; last error: Zalo answered 503"));
    assert_eq!(recorder.runs_of(id), 3);
    clock.advance(Duration::days(1));
    assert_eq!(workers.run_once().await.unwrap(), 0, "a dead letter never runs again");
}

async fn permanent_errors_are_not_retried(db: TestDb) {
    let clock = Arc::new(ManualClock::new(t0()));
    let recorder = Arc::new(Recorder::default());
    *recorder.fail_with.lock().unwrap() = Some(JobError::Permanent("Zalo -201: user_id is invalid".into()));
    let workers = pool(&db.store, &recorder, clock, "w1");
    let id = db.store.jobs.enqueue(&NewJob::new("test", json!({}), 10), t0()).await.unwrap().id();
    workers.run_once().await.unwrap();
    let dead = db.store.jobs.get(id).await.unwrap().unwrap();
    assert_eq!((dead.state, dead.attempt), (JobState::Discarded, 1));
}

async fn an_expired_lease_is_rescued_and_run_by_another_worker(db: TestDb) {
    let clock = Arc::new(ManualClock::new(t0()));
    let recorder = Arc::new(Recorder::default());
    let id = db.store.jobs.enqueue(&NewJob::new("test", json!({}), 5), t0()).await.unwrap().id();
    // Worker "crashed" claims the job and never finishes it.
    let claimed = db.store.jobs.claim("crashed", &[], 1, t0(), t0() + Duration::minutes(5)).await.unwrap();
    assert_eq!(claimed[0].id, id);
    let rescuer = LeaseRescuer { store: db.store.jobs.clone() };
    let survivor = pool(&db.store, &recorder, clock.clone(), "survivor");

    rescuer.tick(clock.now()).await.unwrap();
    assert_eq!(survivor.run_once().await.unwrap(), 0, "the lease still holds");
    clock.advance(Duration::minutes(6));
    rescuer.tick(clock.now()).await.unwrap();
    assert_eq!(survivor.run_once().await.unwrap(), 1);
    let done = db.store.jobs.get(id).await.unwrap().unwrap();
    assert_eq!((done.state, done.attempt), (JobState::Completed, 2));
    assert_eq!(recorder.runs_of(id), 1);
    assert!(!db.store.jobs.complete(id, "crashed", clock.now()).await.unwrap(), "the crashed worker cannot finish it");
}

async fn a_job_enqueued_twice_with_one_key_runs_once(db: TestDb) {
    let clock = Arc::new(ManualClock::new(t0()));
    let recorder = Arc::new(Recorder::default());
    let workers = pool(&db.store, &recorder, clock, "w1");
    let job = NewJob::new("test", json!({"to": "user-1"}), 5).unique("send:reply:42");
    let id = db.store.jobs.enqueue(&job, t0()).await.unwrap().id();
    assert_eq!(db.store.jobs.enqueue(&job, t0()).await.unwrap().id(), id);
    workers.run_once().await.unwrap();
    db.store.jobs.enqueue(&job, t0()).await.unwrap();
    workers.run_once().await.unwrap();
    assert_eq!(recorder.runs_of(id), 1);
    assert_eq!(recorder.runs.lock().unwrap().len(), 1);
}

async fn two_worker_pools_run_5000_jobs_exactly_once(db: TestDb) {
    const JOBS: usize = 5000;
    let jobs: Vec<NewJob> = (0..JOBS).map(|n| NewJob::new("test", json!({ "n": n }), 5)).collect();
    for chunk in jobs.chunks(500) {
        db.store.jobs.enqueue_all(chunk, t0()).await.unwrap();
    }
    let recorder = Arc::new(Recorder::default());
    let clock: SharedClock = Arc::new(SystemClock);
    let second_instance = db.another_connection().await;
    let (trigger, shutdown) = tongdai::shutdown::channel();
    let a = Arc::new(pool(&db.store, &recorder, clock.clone(), "instance-a"));
    let b = Arc::new(pool(&second_instance, &recorder, clock, "instance-b"));
    let tasks = [tokio::spawn(a.run(shutdown.clone())), tokio::spawn(b.run(shutdown))];

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let completed: i64 = db
            .store
            .jobs
            .counts()
            .await
            .unwrap()
            .iter()
            .filter(|c| c.state == JobState::Completed)
            .map(|c| c.count)
            .sum();
        if completed == i64::try_from(JOBS).unwrap() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {completed} of {JOBS} jobs completed in time");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    trigger.trigger();
    for task in tasks {
        task.await.unwrap();
    }
    let runs = recorder.runs.lock().unwrap();
    assert_eq!(runs.len(), JOBS, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
}

/// Jobs sharing a lane run one at a time in lane order; a job taking another's place runs before
/// the jobs enqueued after that one; a job waiting for a retry holds its lane; other lanes and
/// jobs without a lane are not held up.
async fn jobs_in_one_lane_run_one_at_a_time_in_order(db: TestDb) {
    let jobs = &db.store.jobs;
    let enqueue = |job: NewJob| async move { jobs.enqueue(&job, t0()).await.unwrap().id() };
    let claim = || async { jobs.claim("w", &[], 10, t0(), t0() + Duration::minutes(5)).await.unwrap() };
    let ids = |claimed: Vec<Job>| claimed.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let first = enqueue(NewJob::new("test", json!(1), 5).in_lane("zalo:a")).await;
    let second = enqueue(NewJob::new("test", json!(2), 5).in_lane("zalo:a")).await;
    let free = enqueue(NewJob::new("test", json!(3), 5)).await;
    let other = enqueue(NewJob::new("test", json!(4), 5).in_lane("zalo:b")).await;
    assert_eq!(ids(claim().await), vec![first, free, other]);
    assert!(claim().await.is_empty(), "the second waits while the first runs");

    // The first enqueues its follow-up in its own place, then completes.
    let follow_up = enqueue(NewJob::new("test", json!(5), 5).in_lane("zalo:a").in_place_of(first)).await;
    assert!(jobs.complete(first, "w", t0()).await.unwrap());
    assert_eq!(ids(claim().await), vec![follow_up], "the follow-up goes before the later job");
    jobs.retry(follow_up, "w", "transient", t0() + Duration::minutes(1), t0()).await.unwrap();
    assert!(claim().await.is_empty(), "a job waiting for its retry holds the lane");
    let later = jobs.claim("w", &[], 10, t0() + Duration::minutes(1), t0() + Duration::minutes(6)).await.unwrap();
    assert_eq!(ids(later), vec![follow_up]);
    assert!(jobs.complete(follow_up, "w", t0()).await.unwrap());
    assert_eq!(ids(claim().await), vec![second]);
}

/// Whatever way a lane's head ends (discarded, cancelled, lease expired at its last attempt), the
/// next job of the lane becomes claimable, and only that one; cancelling a waiting job changes
/// nothing for the head.
async fn a_lane_moves_on_however_its_head_ends(db: TestDb) {
    let jobs = &db.store.jobs;
    let enqueue = |job: NewJob| async move { jobs.enqueue(&job, t0()).await.unwrap().id() };
    let claim = || async { jobs.claim("w", &[], 10, t0(), t0() + Duration::minutes(5)).await.unwrap() };
    let ids = |claimed: Vec<Job>| claimed.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let lane: Vec<i64> = {
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(enqueue(NewJob::new("test", json!(n), 1).in_lane("zalo:c")).await);
        }
        ids
    };
    assert_eq!(ids(claim().await), vec![lane[0]]);
    assert!(jobs.cancel(lane[2], t0()).await.unwrap(), "a waiting job can be cancelled");
    assert!(claim().await.is_empty(), "cancelling a waiting job does not open the lane");
    assert!(jobs.discard(lane[0], "w", "permanent", t0()).await.unwrap());
    assert_eq!(ids(claim().await), vec![lane[1]], "a discarded head lets the next one go");
    // The worker running lane[1] dies at its last attempt: the rescuer discards it.
    let later = t0() + Duration::minutes(10);
    assert_eq!(jobs.rescue_expired(later).await.unwrap(), 1);
    let claimed = jobs.claim("w", &[], 10, later, later + Duration::minutes(5)).await.unwrap();
    assert_eq!(ids(claimed), vec![lane[3]], "the cancelled job is skipped");
    assert!(jobs.cancel(lane[4], later).await.unwrap());
    assert!(jobs.complete(lane[3], "w", later).await.unwrap());
    assert!(jobs.claim("w", &[], 10, later, later).await.unwrap().is_empty(), "the lane is empty");
    let next = enqueue(NewJob::new("test", json!(9), 1).in_lane("zalo:c")).await;
    assert_eq!(
        ids(jobs.claim("w", &[], 10, later, later).await.unwrap()),
        vec![next],
        "an empty lane takes a new job at once"
    );
}

/// Results recorded together (the worker pool's group commit) are each recorded as alone: a
/// completion, a retry, a dead letter, and nothing for a job whose lease another worker holds.
async fn results_recorded_together_each_as_alone(db: TestDb) {
    use tongdai::jobs::Finish;
    let jobs = &db.store.jobs;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(jobs.enqueue(&NewJob::new("test", json!({ "n": n }), 5), t0()).await.unwrap().id());
    }
    let lease_end = t0() + Duration::minutes(5);
    assert_eq!(jobs.claim("w1", &[], 3, t0(), lease_end).await.unwrap().len(), 3);
    assert_eq!(jobs.claim("w2", &[], 1, t0(), lease_end).await.unwrap()[0].id, ids[3]);
    let retry_at = t0() + Duration::minutes(1);
    let finished = vec![
        (ids[0], Finish::Complete),
        (ids[1], Finish::Retry { at: retry_at, error: "Zalo busy".into() }),
        (ids[2], Finish::Discard { error: "Zalo -201".into() }),
        (ids[3], Finish::Complete),
    ];
    let recorded = jobs.finish_all("w1", &finished, t0()).await.unwrap();
    assert_eq!(recorded, vec![true, true, true, false], "w1 does not hold the last job");
    let state = |job: Option<Job>| job.map(|j| (j.state, j.last_error, j.run_at));
    assert_eq!(state(jobs.get(ids[0]).await.unwrap()).map(|s| s.0), Some(JobState::Completed));
    assert_eq!(state(jobs.get(ids[1]).await.unwrap()), Some((JobState::Available, Some("Zalo busy".into()), retry_at)));
    assert_eq!(
        state(jobs.get(ids[2]).await.unwrap()).map(|s| (s.0, s.1)),
        Some((JobState::Discarded, Some("Zalo -201".into())))
    );
    assert_eq!(state(jobs.get(ids[3]).await.unwrap()).map(|s| s.0), Some(JobState::Running), "still w2's");
}

on_both_backends!(
    results_recorded_together_each_as_alone,
    jobs_in_one_lane_run_one_at_a_time_in_order,
    a_lane_moves_on_however_its_head_ends,
    failing_job_backs_off_then_becomes_a_dead_letter,
    permanent_errors_are_not_retried,
    an_expired_lease_is_rescued_and_run_by_another_worker,
    a_job_enqueued_twice_with_one_key_runs_once,
    two_worker_pools_run_5000_jobs_exactly_once,
);

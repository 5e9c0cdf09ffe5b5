//! The store contract: every store method, the same story on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tongdai::store::{EnqueueOutcome, JobState, NewJob};

use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

async fn schema_is_current_and_migrate_is_idempotent(db: TestDb) {
    db.store.health.ping().await.unwrap();
    let status = db.store.health.schema_status().await.unwrap();
    assert!(status.is_current(), "{status:?}");
    assert!(status.expected >= 1);
    assert_eq!(status.unknown, 0);
    db.store.health.migrate().await.unwrap();
    assert_eq!(db.store.health.schema_status().await.unwrap(), status);
}

async fn enqueue_respects_unique_keys_and_batches_are_atomic(db: TestDb) {
    let jobs = &db.store.jobs;
    let first = jobs.enqueue(&NewJob::new("send", json!({"n": 1}), 5).unique("msg:1"), t0()).await.unwrap();
    let EnqueueOutcome::Enqueued(id) = first else { panic!("first enqueue must insert: {first:?}") };
    let again = jobs.enqueue(&NewJob::new("send", json!({"n": 2}), 5).unique("msg:1"), t0()).await.unwrap();
    assert_eq!(again, EnqueueOutcome::Duplicate(id));
    let stored = jobs.get(id).await.unwrap().unwrap();
    assert_eq!(stored.payload, json!({"n": 1}), "the duplicate did not overwrite the original");
    assert_eq!(stored.state, JobState::Available);
    assert_eq!(stored.attempt, 0);
    assert_eq!(stored.max_attempts, 5);
    assert_eq!(stored.unique_key.as_deref(), Some("msg:1"));
    assert_eq!(stored.run_at, t0());
    assert_eq!(stored.created_at, t0());

    let batch = vec![
        NewJob::new("send", json!({}), 3).unique("msg:2"),
        NewJob::new("send", json!({}), 3).unique("msg:1"),
        NewJob::new("notify", json!({}), 3),
        NewJob::new("notify", json!({}), 3),
    ];
    let outcomes = jobs.enqueue_all(&batch, t0()).await.unwrap();
    assert!(matches!(outcomes[0], EnqueueOutcome::Enqueued(_)));
    assert_eq!(outcomes[1], EnqueueOutcome::Duplicate(id));
    assert!(matches!(outcomes[2], EnqueueOutcome::Enqueued(_)));
    assert!(matches!(outcomes[3], EnqueueOutcome::Enqueued(_)), "jobs without a key never collide");
    let counts = jobs.counts().await.unwrap();
    let total: i64 = counts.iter().map(|c| c.count).sum();
    assert_eq!(total, 4);
}

async fn claim_orders_by_priority_then_due_time_and_honours_kinds(db: TestDb) {
    let jobs = &db.store.jobs;
    let low = jobs.enqueue(&NewJob::new("a", json!({}), 3), t0()).await.unwrap().id();
    let high = jobs.enqueue(&NewJob::new("a", json!({}), 3).priority(10), t0()).await.unwrap().id();
    let later = jobs.enqueue(&NewJob::new("a", json!({}), 3).at(t0() + Duration::hours(1)), t0()).await.unwrap().id();
    let other_kind = jobs.enqueue(&NewJob::new("b", json!({}), 3), t0()).await.unwrap().id();
    assert_eq!(jobs.next_run_at().await.unwrap(), Some(t0()));

    let until = t0() + Duration::minutes(5);
    let claimed = jobs.claim("w1", &["a".to_owned()], 10, t0(), until).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![high, low], "due jobs of kind a, highest priority first; the future one waits");
    assert!(claimed.iter().all(|j| j.state == JobState::Running && j.attempt == 1));
    assert_eq!(claimed[0].locked_by.as_deref(), Some("w1"));
    assert_eq!(claimed[0].locked_until, Some(until));

    assert!(jobs.claim("w2", &["a".to_owned()], 10, t0(), until).await.unwrap().is_empty(), "nothing is claimed twice");
    let any = jobs.claim("w2", &[], 10, t0() + Duration::hours(2), until).await.unwrap();
    let mut any_ids: Vec<i64> = any.iter().map(|j| j.id).collect();
    any_ids.sort_unstable();
    assert_eq!(any_ids, vec![later, other_kind], "an empty kind list claims every kind");
    assert_eq!(jobs.next_run_at().await.unwrap(), None);
}

async fn complete_retry_discard_require_the_lease_holder(db: TestDb) {
    let jobs = &db.store.jobs;
    for _ in 0..3 {
        jobs.enqueue(&NewJob::new("k", json!({}), 3), t0()).await.unwrap();
    }
    let claimed = jobs.claim("w1", &[], 3, t0(), t0() + Duration::minutes(5)).await.unwrap();
    let [a, b, c] = [claimed[0].id, claimed[1].id, claimed[2].id];
    let now = t0() + Duration::seconds(1);

    assert!(!jobs.complete(a, "intruder", now).await.unwrap(), "only the lease holder may finish a job");
    assert!(jobs.complete(a, "w1", now).await.unwrap());
    assert!(!jobs.complete(a, "w1", now).await.unwrap(), "a finished job cannot be finished again");
    let done = jobs.get(a).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.finished_at, Some(now));
    assert_eq!(done.locked_by, None);

    let retry_at = now + Duration::seconds(30);
    assert!(jobs.retry(b, "w1", "network down", retry_at, now).await.unwrap());
    let retried = jobs.get(b).await.unwrap().unwrap();
    assert_eq!((retried.state, retried.run_at, retried.attempt), (JobState::Available, retry_at, 1));
    assert_eq!(retried.last_error.as_deref(), Some("network down"));

    assert!(jobs.discard(c, "w1", "Zalo -201: user_id is invalid", now).await.unwrap());
    let dead = jobs.list(JobState::Discarded, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, c);
    assert_eq!(dead[0].last_error.as_deref(), Some("Zalo -201: user_id is invalid"));
    assert_eq!(jobs.list(JobState::Completed, 10).await.unwrap()[0].id, a);
}

async fn release_cancel_and_rescue(db: TestDb) {
    let jobs = &db.store.jobs;
    let one_try = jobs.enqueue(&NewJob::new("k", json!({}), 1), t0()).await.unwrap().id();
    let many_tries = jobs.enqueue(&NewJob::new("k", json!({}), 5), t0()).await.unwrap().id();
    let released = jobs.enqueue(&NewJob::new("k", json!({}), 5), t0()).await.unwrap().id();
    let waiting = jobs.enqueue(&NewJob::new("k", json!({}), 5).at(t0() + Duration::days(1)), t0()).await.unwrap().id();
    let lease_end = t0() + Duration::minutes(5);
    assert_eq!(jobs.claim("w1", &[], 3, t0(), lease_end).await.unwrap().len(), 3);

    assert_eq!(jobs.release(&[released], "someone-else", t0()).await.unwrap(), 0);
    assert_eq!(jobs.release(&[released], "w1", t0()).await.unwrap(), 1);
    let back = jobs.get(released).await.unwrap().unwrap();
    assert_eq!((back.state, back.attempt), (JobState::Available, 0), "a released job's attempt is not counted");

    assert!(jobs.cancel(waiting, t0()).await.unwrap());
    assert!(!jobs.cancel(one_try, t0()).await.unwrap(), "a running job cannot be cancelled");
    assert_eq!(jobs.get(waiting).await.unwrap().unwrap().state, JobState::Cancelled);

    assert_eq!(jobs.rescue_expired(lease_end).await.unwrap(), 0, "a lease is valid until its end");
    let later = lease_end + Duration::seconds(1);
    assert_eq!(jobs.rescue_expired(later).await.unwrap(), 2);
    let rescued = jobs.get(many_tries).await.unwrap().unwrap();
    assert_eq!((rescued.state, rescued.run_at, rescued.locked_by.clone()), (JobState::Available, later, None));
    assert!(rescued.last_error.unwrap().contains("lease expired: worker w1"));
    let exhausted = jobs.get(one_try).await.unwrap().unwrap();
    assert_eq!(exhausted.state, JobState::Discarded, "out of attempts: kept as a dead letter");
    assert!(!jobs.complete(many_tries, "w1", later).await.unwrap(), "the old worker lost the job");
}

on_both_backends!(
    schema_is_current_and_migrate_is_idempotent,
    enqueue_respects_unique_keys_and_batches_are_atomic,
    claim_orders_by_priority_then_due_time_and_honours_kinds,
    complete_retry_discard_require_the_lease_holder,
    release_cancel_and_rescue,
);

#[tokio::test]
async fn an_unmigrated_database_reports_missing_migrations() {
    let db = TestDb::sqlite_unmigrated().await;
    let status = db.store.health.schema_status().await.unwrap();
    assert_eq!(status.applied, 0);
    assert!(!status.is_current());
}

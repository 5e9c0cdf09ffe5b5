//! `tongdai backup`: an online SQLite copy taken while a writer is busy opens as a complete,
//! migrated database; existing files are never overwritten; PostgreSQL points to pg_dump.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use tongdai::backup::{backup, BackupError};
use tongdai::config::DatabaseConfig;
use tongdai::jobs::model::{EnqueueOutcome, NewJob};
use tongdai::store::Store;

use crate::support::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_tongdai");

fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 1, 0, 0).unwrap()
}

fn job(n: usize) -> NewJob {
    NewJob::new("backup.test", json!({ "n": n }), 3).unique(format!("backup:{n}"))
}

async fn job_count(store: &Store) -> i64 {
    store.jobs.counts().await.unwrap().iter().filter(|c| c.kind == "backup.test").map(|c| c.count).sum()
}

#[tokio::test]
async fn sqlite_backup_while_writing_is_consistent_and_complete() {
    let db = TestDb::sqlite().await;
    for n in 0..200 {
        db.store.jobs.enqueue(&job(n), t0()).await.unwrap();
    }
    // A second "instance" keeps writing while the backup runs.
    let writer = db.another_connection().await;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(200));
    let task = {
        let (stop, written) = (stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut n = 200;
            while !stop.load(Ordering::SeqCst) {
                writer.jobs.enqueue(&job(n), t0()).await.unwrap();
                n += 1;
                written.store(n, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        })
    };
    // Let the writer get going, then back up in the middle of its writes.
    while written.load(Ordering::SeqCst) < 250 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let dir = std::env::temp_dir().join(format!("tongdai_backup_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("copy.db");
    let report = backup(&db.config, &out).await.expect("backup");
    let after_backup = written.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    task.await.unwrap();
    assert!(report.bytes > 0);
    assert_eq!(report.out, out);

    let copy_config = DatabaseConfig { url: format!("sqlite://{}", out.display()), ..DatabaseConfig::default() };
    let copy = Store::connect(&copy_config).await.expect("open the copy");
    assert!(copy.health.schema_status().await.unwrap().is_current(), "the copy carries the migrated schema");
    let copied = job_count(&copy).await;
    assert!(copied >= 250, "the copy holds every row committed before it started, got {copied}");
    assert!(copied <= i64::try_from(after_backup).unwrap(), "no more rows than were written");
    // Consistent: the copied rows are exactly jobs 0..copied, with no gap.
    for n in [0, copied - 1] {
        let key = format!("backup:{n}");
        let probe = NewJob::new("backup.test", json!({}), 3).unique(key);
        let outcome = copy.jobs.enqueue(&probe, t0()).await.unwrap();
        assert!(matches!(outcome, EnqueueOutcome::Duplicate(_)), "job {n} is in the copy");
    }

    // Never overwrites: the same target again is refused and the copy is unchanged.
    let size = std::fs::metadata(&out).unwrap().len();
    let again = backup(&db.config, &out).await;
    assert!(matches!(again, Err(BackupError::OutputExists(_))), "{again:?}");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), size);
    drop(copy);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn postgres_urls_are_pointed_at_pg_dump_without_connecting() {
    let config = DatabaseConfig { url: "postgres://nobody@127.0.0.1:1/none".into(), ..DatabaseConfig::default() };
    let out = std::env::temp_dir().join(format!("tongdai_backup_pg_{:08x}.db", rand::random::<u32>()));
    let result = backup(&config, &out).await;
    assert!(matches!(result, Err(BackupError::Postgres)), "{result:?}");
    assert!(result.unwrap_err().to_string().contains("pg_dump"));
    assert!(!out.exists());
}

#[test]
fn the_command_backs_up_refuses_to_overwrite_and_sends_postgres_to_pg_dump() {
    let dir =
        std::env::temp_dir().join(format!("tongdai_backup_cli_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str], url: &str| {
        let mut command = Command::new(BIN);
        command.current_dir(&dir).args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("TONGDAI_") {
                command.env_remove(key);
            }
        }
        command.env("TONGDAI_DATABASE__URL", url).output().unwrap()
    };
    let sqlite = "sqlite://data/tongdai.db";
    assert!(run(&["migrate"], sqlite).status.success());
    let first = run(&["backup", "--out", "copy.db"], sqlite);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("copy.db"));
    assert!(dir.join("copy.db").is_file());
    let second = run(&["backup", "--out", "copy.db"], sqlite);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
    let missing = run(&["backup", "--out", "other.db"], "sqlite://nowhere/none.db");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    assert!(!dir.join("nowhere/none.db").exists(), "a missing database is not created");
    let pg = run(&["backup", "--out", "pg.db"], "postgres://u:p@127.0.0.1:1/db");
    assert!(!pg.status.success());
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
    std::fs::remove_dir_all(&dir).unwrap();
}

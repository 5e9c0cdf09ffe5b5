//! WAL checkpoints off the writer's path. By default SQLite checkpoints inside the commit that
//! grows the WAL past 1,000 pages, so now and then one write (often a webhook acknowledgement)
//! waits tens of milliseconds for pages to be copied into the database file. Here a task with
//! its own connection runs a PASSIVE checkpoint (it never blocks readers or the writer) a few
//! times a second; the writer's own automatic checkpoint stays as a backstop at a much larger
//! WAL ([`WRITER_AUTOCHECKPOINT_PAGES`]), reached only if these checkpoints cannot keep up.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// How often the WAL is copied back into the database file.
const INTERVAL: Duration = Duration::from_millis(250);

/// The writer checkpoints itself only when the WAL has grown this far (pages of 4 KiB).
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: &str = "16000";

/// Starts the checkpoint task for the database `options` opens; it stops once `alive` (held by
/// every handle of the store) is gone.
pub(super) fn spawn<T: Send + Sync + 'static>(options: SqliteConnectOptions, alive: &Arc<T>) {
    let alive = Arc::downgrade(alive);
    tokio::spawn(run(options, alive));
}

async fn run<T: Send + Sync + 'static>(options: SqliteConnectOptions, alive: Weak<T>) {
    let mut connection = None;
    loop {
        tokio::time::sleep(INTERVAL).await;
        if alive.strong_count() == 0 {
            break;
        }
        if connection.is_none() {
            match options.connect().await {
                Ok(opened) => connection = Some(opened),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the WAL checkpoint connection; the writer checkpoints instead");
                    continue;
                }
            }
        }
        let Some(conn) = connection.as_mut() else { continue };
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *conn).await {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying with a new connection");
            if let Some(failed) = connection.take() {
                let _ = failed.close().await;
            }
        }
    }
    if let Some(conn) = connection {
        let _ = conn.close().await;
    }
}

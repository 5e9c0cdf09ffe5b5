//! `tongdai backup --out FILE`: an online, consistent copy of the SQLite database taken while the
//! service keeps running. PostgreSQL is backed up with its own tools (`pg_dump`), so the command
//! says so instead of half-doing it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{Config, DatabaseConfig};
use crate::store::sqlite::{backup::database_file, SqliteStore};
use crate::store::{BackendKind, StoreError};

/// Why no backup was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "database.url points at PostgreSQL: back it up with PostgreSQL's own tools, e.g.\n  \
         pg_dump --format=custom --file=tongdai.dump \"$DATABASE_URL\"\n\
         and restore with pg_restore (see README, \"Backups\"). Nothing was written."
    )]
    Postgres,
    #[error("{0} already exists; choose a new file name (a backup never overwrites a file)")]
    OutputExists(PathBuf),
    #[error("the database is in memory; there is nothing on disk to back up")]
    InMemory,
    #[error("the database file {0} does not exist (check database.url)")]
    NoDatabase(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read the backup file {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    InvalidUrl(String),
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub database: PathBuf,
    pub out: PathBuf,
    pub bytes: u64,
}

/// Copies the database named by `config` into the new file `out`.
pub async fn backup(config: &DatabaseConfig, out: &Path) -> Result<BackupReport, BackupError> {
    match BackendKind::from_url(&config.url).map_err(BackupError::InvalidUrl)? {
        BackendKind::Postgres => return Err(BackupError::Postgres),
        BackendKind::Sqlite => {}
    }
    if out.exists() {
        return Err(BackupError::OutputExists(out.to_path_buf()));
    }
    let database = database_file(&config.url)?.ok_or(BackupError::InMemory)?;
    if !database.is_file() {
        return Err(BackupError::NoDatabase(database));
    }
    let store = SqliteStore::connect(config).await?;
    store.backup_into(out).await?;
    let bytes = std::fs::metadata(out).map_err(|source| BackupError::Output { path: out.to_path_buf(), source })?.len();
    Ok(BackupReport { database, out: out.to_path_buf(), bytes })
}

/// Runs the command: a line on stdout on success, the reason on stderr and exit status 1 otherwise.
pub fn run(config: &Config, out: &Path) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tongdai: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(backup(&config.database, out)) {
        Ok(report) => {
            println!("backed up {} to {} ({} bytes)", report.database.display(), report.out.display(), report.bytes);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tongdai backup: {e}");
            ExitCode::FAILURE
        }
    }
}

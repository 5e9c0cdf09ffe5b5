//! Online backup of the SQLite database with `VACUUM INTO`: a consistent snapshot (one read
//! transaction) written to a new file while other connections keep reading and writing.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use super::SqliteStore;
use crate::store::{Context, StoreError, StoreResult};

/// The database file a `sqlite://` URL names; `None` for an in-memory database.
pub fn database_file(url: &str) -> StoreResult<Option<PathBuf>> {
    let options = SqliteConnectOptions::from_str(url).context("parsing the SQLite URL")?;
    let file = options.get_filename().to_path_buf();
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        Ok(None)
    } else {
        Ok(Some(file))
    }
}

impl SqliteStore {
    /// Writes a consistent copy of the whole database to `out`, which must not exist yet.
    /// Runs on a reader connection: writers (of this and other processes) are not blocked.
    pub async fn backup_into(&self, out: &Path) -> StoreResult<()> {
        if out.exists() {
            return Err(StoreError::Invalid(format!("{} already exists; not overwriting it", out.display())));
        }
        let target =
            out.to_str().ok_or_else(|| StoreError::Invalid(format!("{} is not a UTF-8 path", out.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.reader)
            .await
            .context("writing the backup (VACUUM INTO)")?;
        Ok(())
    }
}

//! A temporary folder for one benchmark run (its SQLite database, the child's configuration and
//! log, generated files), removed when the run ends, whether it succeeded or not.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A new folder under the system's temporary directory; removed on drop.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn new() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("tongdai_bench_{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `database_url` when given, else a new SQLite file in this folder.
    pub fn database_url(&self, database_url: Option<&str>) -> String {
        database_url.map_or_else(|| format!("sqlite://{}/bench.db", self.path.display()), str::to_owned)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `"sqlite"` or `"postgres"`, for summary lines.
pub fn backend_name(database_url: &str) -> &'static str {
    crate::store::BackendKind::from_url(database_url).map_or("?", crate::store::BackendKind::name)
}

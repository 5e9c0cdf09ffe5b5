//! `tongdai bench import`: the dossier CSV import rate through the real import path
//! (`tongdai dossiers import`: read and check the whole file, then store every row and plan its
//! survey in one transaction) on a fresh database, with a generated file of `--rows` dossiers.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _};

use super::scratch::{backend_name, ScratchDir};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::surveys::import_cli::{import_file, ImportReport};
use crate::surveys::SurveyService;

/// Options of `tongdai bench import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportBenchArgs {
    /// Dossiers in the generated file.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Database to use (default: a new SQLite file in a temporary folder); use an empty one.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Generates the file, imports it and prints one line.
pub async fn import(args: ImportBenchArgs) -> anyhow::Result<()> {
    let folder = ScratchDir::new()?;
    let mut config = Config::default();
    config.database.url = folder.database_url(args.database_url.as_deref());
    config.general.data_dir = folder.path().join("data").display().to_string();
    let clock: SharedClock = Arc::new(SystemClock);
    let store = crate::app::open_store(&config).await?;
    let (service, _) = SurveyService::from_config(&config, store.surveys.clone()).context("setting up surveys")?;
    let path = folder.path().join("dossiers.csv");
    let run = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
    let text = super::dossier_csv::dossiers(
        args.rows,
        &format!("BENCH{run}"),
        clock.now() - chrono::Duration::days(1),
        &|n| (n % 2 == 0).then(|| format!("{}", 4_000_000_000_000_000_000_u64 + n as u64)),
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    let report = import_file(&service, &path, &clock).await?;
    let elapsed = started.elapsed();
    let ImportReport::Imported { created, .. } = report else { bail!("the generated file was refused: {report:?}") };
    #[allow(clippy::cast_precision_loss)]
    let rate = args.rows as f64 / elapsed.as_secs_f64().max(1e-9);
    #[allow(clippy::cast_precision_loss)]
    let mib = bytes as f64 / 1_048_576.0;
    println!(
        "import ({}): {} rows ({mib:.1} MiB CSV, {created} created) in {:.2} s: {rate:.0} rows/s",
        backend_name(&config.database.url),
        args.rows,
        elapsed.as_secs_f64(),
    );
    Ok(())
}

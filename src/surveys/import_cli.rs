//! `tongdai dossiers import FILE.csv`: reads and checks the whole file first (progress bar on
//! stderr), prints every problem with its line and column and imports nothing when there is any;
//! otherwise stores all rows in one transaction and prints what happened.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::csv_import::{check_rows, read_csv, CsvProblem};
use super::dossiers::RowStatus;
use super::service::SurveyService;
use crate::clock::SharedClock;

/// What an import run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportReport {
    /// Nothing was imported; every problem found.
    Rejected(Vec<CsvProblem>),
    Imported {
        created: usize,
        updated: usize,
        unchanged: usize,
    },
}

fn progress(len: usize, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} dòng ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message);
    bar
}

/// Imports `path` through `service`: all rows or none.
pub async fn import_file(service: &SurveyService, path: &Path, clock: &SharedClock) -> anyhow::Result<ImportReport> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file = match read_csv(&bytes) {
        Ok(file) => file,
        Err(problems) => return Ok(ImportReport::Rejected(problems)),
    };
    let now = clock.now();
    let checking = progress(file.rows.len(), "Kiểm tra");
    let checked = check_rows(&file, now);
    checking.finish_and_clear();
    let dossiers = match checked {
        Ok(dossiers) => dossiers,
        Err(problems) => return Ok(ImportReport::Rejected(problems)),
    };
    let storing = Arc::new(progress(dossiers.len(), "Nhập"));
    let bar = storing.clone();
    let outcomes = service.store_dossiers(&dossiers, now, &move || bar.inc(1)).await?;
    storing.finish_and_clear();
    let count = |status: RowStatus| outcomes.iter().filter(|o| RowStatus::from(**o) == status).count();
    Ok(ImportReport::Imported {
        created: count(RowStatus::Created),
        updated: count(RowStatus::Updated),
        unchanged: count(RowStatus::Unchanged),
    })
}

/// Prints the report (problems on stderr); true when the file was imported.
pub fn print_report(path: &Path, report: &ImportReport) -> bool {
    match report {
        ImportReport::Rejected(problems) => {
            eprintln!("{}: {} lỗi, không nhập hồ sơ nào:", path.display(), problems.len());
            for problem in problems {
                eprintln!("  {problem}");
            }
            false
        }
        ImportReport::Imported { created, updated, unchanged } => {
            println!(
                "{}: đã nhập {} hồ sơ: {created} mới, {updated} cập nhật, {unchanged} không đổi",
                path.display(),
                created + updated + unchanged
            );
            true
        }
    }
}

//! The survey statistics export shared by `tongdai stats export` and the console's download:
//! JSON (the API's body), CSV (one row per question) or XLSX (figure sheets, suggestions and
//! anonymised raw answers). The XLSX is written by a blocking thread while the raw answers are
//! read page by page on the async side, so neither memory nor the runtime's threads grow with the
//! data. The caller's scope must already be applied to the query
//! ([`crate::stats::scope::StatsScope::restrict`]). A download's file is written as
//! `thong-ke-….part` in the exports folder and deleted once opened; names a crash left behind
//! are swept by the next download (those untouched for [`STALE_PART_AGE`], so another instance
//! sharing the folder keeps its file). The workbook writer's own temporary files have no name.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};

use super::compute::AggregationRules;
use super::model::{Dimension, StatsStore};
use super::query::StatsQuery;
use super::raw_export::{RawPages, RawRow};
use super::report::{survey_report, StatsError};
use super::xlsx::{WorkbookInput, XlsxWriter};
use crate::surveys::definition::SurveyCatalog;

/// Raw-row batches waiting for the workbook writer.
const QUEUED_PAGES: usize = 2;
/// A `.part` file not written to for this long belongs to no running export.
pub const STALE_PART_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Start and end of the names of a download's temporary files.
const PART_PREFIX: &str = "thong-ke-";
const PART_SUFFIX: &str = ".part";

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub const ALL: [Self; 3] = [Self::Json, Self::Csv, Self::Xlsx];

    /// The extension, also the name used in query parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The download's file name: `thong-ke-<survey>-<from>-<to>.<ext>` (characters other than ASCII
/// letters, digits, `-`, `_` and `.` in the survey id become `-`).
pub fn file_name(query: &StatsQuery, format: ExportFormat) -> String {
    let survey: String = query
        .survey
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    format!("thong-ke-{survey}-{}-{}.{}", query.from, query.to, format.as_str())
}

/// What one export needs.
pub struct ExportJob<'a> {
    pub store: &'a dyn StatsStore,
    pub catalog: &'a SurveyCatalog,
    pub rules: &'a AggregationRules,
    /// Already restricted to the caller's scope.
    pub query: &'a StatsQuery,
    pub generated_at: DateTime<Utc>,
    /// Where the XLSX writer keeps its temporary files (the system's temporary folder if `None`).
    pub tempdir: Option<PathBuf>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOutcome {
    /// Questions of the survey.
    pub questions: usize,
    /// Groups of the report (JSON/CSV) or breakdown sheets (XLSX).
    pub groups: usize,
    /// Answered dossiers in the raw-data sheet (XLSX).
    pub respondents: u64,
    /// Free-text answers in the suggestions sheet (XLSX).
    pub suggestions: u64,
    /// Sheet names (XLSX).
    pub sheets: Vec<String>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Unknown survey, or the store failed while reading.
    #[error(transparent)]
    Report(#[from] StatsError),
    /// Writing the file failed.
    #[error(transparent)]
    Write(#[from] anyhow::Error),
}

/// Progress of the raw-data sheet: `(dossiers written, dossiers expected)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Writes the export of `job` in `format` to `out`.
pub async fn export_to_file(
    job: &ExportJob<'_>,
    format: ExportFormat,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportOutcome, ExportError> {
    if format == ExportFormat::Xlsx {
        return write_xlsx(job, out, progress).await;
    }
    let report = survey_report(job.store, job.catalog, job.query, job.rules).await?;
    let bytes = match format {
        ExportFormat::Json => serde_json::to_vec_pretty(&report).context("serialising the report")?,
        ExportFormat::Csv | ExportFormat::Xlsx => super::csv_export::to_csv(&report)?,
    };
    // A few kilobytes: written in place.
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    Ok(ExportOutcome { questions: report.questions.len(), groups: report.groups.len(), ..ExportOutcome::default() })
}

/// An export written to a file that is already deleted: reading the open handle is the only way
/// to the data, and the space is freed when it is closed (even if the download is cut short).
#[derive(Debug)]
pub struct ExportedFile {
    pub file: std::fs::File,
    pub len: u64,
    pub outcome: ExportOutcome,
}

/// Writes the export of `job` into a new file under `dir` (created if needed), opens it and
/// deletes its name. A failed export leaves no file behind.
pub async fn export_to_temp_file(
    job: &ExportJob<'_>,
    format: ExportFormat,
    dir: &Path,
) -> Result<ExportedFile, ExportError> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let swept = remove_stale_parts(dir, job.generated_at.into());
    if swept > 0 {
        tracing::info!(dir = %dir.display(), files = swept, "removed exports' temporary files left by a crash");
    }
    let path = dir.join(format!("{PART_PREFIX}{:016x}.{}{PART_SUFFIX}", rand::random::<u64>(), format.as_str()));
    let written = export_to_file(job, format, &path, &|_, _| {}).await;
    let opened = written.and_then(|outcome| {
        let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let len = file.metadata().with_context(|| format!("reading the size of {}", path.display()))?.len();
        Ok(ExportedFile { file, len, outcome })
    });
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not delete an export's temporary file");
        }
    }
    opened
}

/// Deletes the `thong-ke-….part` files in `dir` last written [`STALE_PART_AGE`] or more before
/// `now` (left by a crash; a running export writes its file and deletes its name within moments;
/// a file dated after `now` is kept).
/// Returns how many were deleted; a file that cannot be read or deleted is logged and left.
pub fn remove_stale_parts(dir: &Path, now: std::time::SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(PART_PREFIX) && name.ends_with(PART_SUFFIX)) {
            continue;
        }
        let modified = entry.metadata().and_then(|m| m.modified());
        let stale = modified.is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age >= STALE_PART_AGE));
        if !stale {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %entry.path().display(), error = %e, "could not delete a stale export file");
            }
        }
    }
    removed
}

/// The breakdowns of an XLSX: the asked grouping, else every dimension.
fn breakdowns(query: &StatsQuery) -> Vec<Dimension> {
    query.group_by.map_or_else(|| Dimension::ALL.to_vec(), |d| vec![d])
}

async fn write_xlsx(job: &ExportJob<'_>, out: &Path, progress: Progress<'_>) -> Result<ExportOutcome, ExportError> {
    let survey =
        job.catalog.get(&job.query.survey).ok_or_else(|| StatsError::UnknownSurvey(job.query.survey.clone()))?;
    let ungrouped = StatsQuery { group_by: None, ..job.query.clone() };
    let summary = survey_report(job.store, job.catalog, &ungrouped, job.rules).await?;
    let mut grouped = Vec::new();
    for dimension in breakdowns(job.query) {
        let query = StatsQuery { group_by: Some(dimension), ..job.query.clone() };
        grouped.push((dimension, survey_report(job.store, job.catalog, &query, job.rules).await?));
    }
    let expected = u64::try_from(summary.responses).unwrap_or(0);
    let input = WorkbookInput::new(survey, &ungrouped, job.generated_at, summary, grouped);
    let outcome =
        ExportOutcome { questions: survey.questions.len(), groups: input.breakdowns.len(), ..Default::default() };

    // `Some(rows)` to write; `None` once every page was sent. Without it (the reading failed) the
    // writer stops without saving.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Option<Vec<RawRow>>>(QUEUED_PAGES);
    let (path, tempdir) = (out.to_path_buf(), job.tempdir.clone());
    let writer = tokio::task::spawn_blocking(move || {
        let mut writer = XlsxWriter::new(&input, tempdir.as_deref())?;
        loop {
            match receiver.blocking_recv() {
                Some(Some(rows)) => writer.add_rows(&rows)?,
                Some(None) => return writer.finish(&path),
                None => anyhow::bail!("the raw answers stopped coming"),
            }
        }
    });
    let mut pages = RawPages::new(job.store, ungrouped.slice());
    let mut written = 0;
    progress(0, expected);
    let read = loop {
        match pages.next().await {
            Ok(rows) => {
                let last = rows.is_none();
                written += rows.as_ref().map_or(0, |r| r.len() as u64);
                // A closed channel means the writer failed: its error is reported below.
                if sender.send(rows).await.is_err() || last {
                    break Ok(());
                }
                progress(written, expected.max(written));
            }
            Err(e) => break Err(e),
        }
    };
    drop(sender);
    let finished = writer.await.context("the workbook writer stopped");
    read.map_err(StatsError::from)?;
    let counts = finished??;
    Ok(ExportOutcome {
        respondents: counts.respondents,
        suggestions: counts.suggestions,
        sheets: counts.sheets,
        ..outcome
    })
}

/// The audit log's details of an export: the request and the size, no personal data.
pub fn audit_details(query: &StatsQuery, format: ExportFormat, outcome: &ExportOutcome) -> Json {
    let filter = &query.filter;
    json!({
        "survey": query.survey,
        "from": query.from.to_string(),
        "to": query.to.to_string(),
        "group_by": query.group_by.map(Dimension::as_str),
        "agency": filter.agency,
        "level": filter.level,
        "field": filter.field,
        "procedure": filter.procedure,
        "channel": filter.channel,
        "scope_agencies": filter.agencies,
        "format": format.as_str(),
        "respondents": outcome.respondents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_file_names() {
        let params: Vec<(String, String)> = [("survey", "sipas 2017/x"), ("from", "2026-01-01"), ("to", "2026-03-31")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let query = StatsQuery::from_params(&params).expect("valid");
        assert_eq!(file_name(&query, ExportFormat::Xlsx), "thong-ke-sipas-2017-x-2026-01-01-2026-03-31.xlsx");
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("xls"), None);
        assert!(ExportFormat::Xlsx.content_type().contains("spreadsheetml"));
        assert_eq!(breakdowns(&query).len(), 8);
        let details = audit_details(&query, ExportFormat::Csv, &ExportOutcome::default());
        assert_eq!((details["format"].as_str(), details["agency"].is_null()), (Some("csv"), true));
    }

    #[test]
    fn stale_part_files_are_swept_and_others_kept() {
        let dir = std::env::temp_dir().join(format!("tongdai_parts_{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        let old = now - STALE_PART_AGE - std::time::Duration::from_secs(60);
        let file = |name: &str, modified: std::time::SystemTime| {
            let file = std::fs::File::create(dir.join(name)).expect("a file");
            file.set_modified(modified).expect("mtime");
        };
        file("thong-ke-00000000000000aa.xlsx.part", old);
        file("thong-ke-00000000000000bb.csv.part", old);
        file("thong-ke-00000000000000cc.xlsx.part", now - std::time::Duration::from_secs(60));
        file("thong-ke-00000000000000dd.csv.part", now + std::time::Duration::from_secs(60));
        file("bao-cao.xlsx.part", old);
        file("thong-ke-sipas.xlsx", old);
        assert_eq!(remove_stale_parts(&dir, now), 2);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .expect("listing")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "bao-cao.xlsx.part",
                "thong-ke-00000000000000cc.xlsx.part",
                "thong-ke-00000000000000dd.csv.part",
                "thong-ke-sipas.xlsx"
            ]
        );
        assert_eq!(remove_stale_parts(&dir.join("none"), now), 0);
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }
}

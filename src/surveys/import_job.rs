//! The `surveys.import` job: reads an uploaded dossier file, checks its rows a part at a time
//! (recording progress), then either refuses it with every problem or stores all its dossiers in
//! one transaction that also marks the import done. Safe to run again: a finished import is left
//! alone, an interrupted one starts over (nothing of it was stored).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use serde_json::json;

use super::csv_import::{read_csv, CsvProblem, RowChecker};
use super::imports::{DossierImport, ImportCounts, ImportProblem, ImportStatus, ImportStore, MAX_PROBLEMS_KEPT};
use super::model::{ContactHistory, Dossier};
use super::service::SurveyService;
use crate::auth::audit::{AuditAction, NewAuditEntry};
use crate::clock::SharedClock;
use crate::jobs::{Job, JobError, JobHandler};

/// Rows checked between two progress records.
const CHECK_CHUNK: usize = 2000;
/// How often the storing transaction's progress is recorded.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs `surveys.import` jobs.
pub struct ImportJob {
    pub surveys: Arc<SurveyService>,
    pub imports: Arc<dyn ImportStore>,
    pub clock: SharedClock,
}

#[async_trait]
impl JobHandler for ImportJob {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let Some(id) = job.payload.get("import_id").and_then(serde_json::Value::as_i64) else {
            return Err(JobError::Permanent("the job's payload has no import_id".to_owned()));
        };
        match self.process(id).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let reason = format!("{e:#}");
                if job.attempt >= job.max_attempts {
                    self.give_up(id, &reason).await;
                    Err(JobError::Permanent(reason))
                } else {
                    Err(JobError::Retry(reason))
                }
            }
        }
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ImportJob {
    /// Processes import `id` to its end (imported or rejected).
    pub async fn process(&self, id: i64) -> anyhow::Result<()> {
        let Some(import) = self.imports.import(id).await? else {
            tracing::warn!(import = id, "dossier import not found; nothing to do");
            return Ok(());
        };
        if import.status.is_finished() {
            return Ok(());
        }
        let bytes =
            self.imports.import_content(id).await?.with_context(|| format!("the file of import {id} is gone"))?;
        let now = self.clock.now();
        let file = match read_csv(&bytes) {
            Ok(file) => file,
            Err(problems) => return self.reject(&import, problems).await,
        };
        if !self.imports.start_checking(id, count(file.rows.len()), now).await? {
            return Ok(());
        }
        let mut checker = RowChecker::new(&file, now);
        while !checker.is_done() {
            let checked = checker.check_next(CHECK_CHUNK);
            self.imports.record_checked(id, count(checked), self.clock.now()).await?;
            tokio::task::yield_now().await;
        }
        let dossiers = match checker.finish() {
            Ok(dossiers) => dossiers,
            Err(problems) => return self.reject(&import, problems).await,
        };
        if !self.imports.start_importing(id, self.clock.now()).await? {
            return Ok(());
        }
        self.store(&import, &dossiers, now).await
    }

    /// Stores every dossier and marks the import done, in one transaction, recording progress
    /// from the side while it runs.
    async fn store(
        &self,
        import: &DossierImport,
        dossiers: &[Dossier],
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        let stored = Arc::new(AtomicI64::new(0));
        let reporter =
            tokio::spawn(report_progress(self.imports.clone(), import.id, stored.clone(), self.clock.clone()));
        let planner = self.surveys.planner();
        let plan = |dossier: &Dossier, history: &ContactHistory| planner.plan(dossier, history, now);
        let on_row = move || {
            stored.fetch_add(1, Ordering::Relaxed);
        };
        let uploader = import.uploader();
        let audit = |counts: &ImportCounts| {
            NewAuditEntry::new(self.clock.now(), &uploader, AuditAction::DossiersImported)
                .target(import.target())
                .details(json!({
                    "file": import.file_name,
                    "status": ImportStatus::Imported.as_str(),
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                }))
        };
        let result = self.imports.complete_import(import.id, dossiers, &plan, &on_row, &audit, now).await;
        reporter.abort();
        if let Some(outcomes) = result.context("storing the dossiers")? {
            let counts = ImportCounts::of(&outcomes);
            tracing::info!(
                import = import.id,
                created = counts.created,
                updated = counts.updated,
                unchanged = counts.unchanged,
                "dossier file imported"
            );
        }
        Ok(())
    }

    async fn reject(&self, import: &DossierImport, problems: Vec<CsvProblem>) -> anyhow::Result<()> {
        let problem_count = count(problems.len());
        let kept: Vec<ImportProblem> = problems.into_iter().take(MAX_PROBLEMS_KEPT).map(ImportProblem::from).collect();
        let now = self.clock.now();
        let audit = NewAuditEntry::new(now, &import.uploader(), AuditAction::DossiersImported)
            .target(import.target())
            .details(json!({
                "file": import.file_name,
                "status": ImportStatus::Rejected.as_str(),
                "problems": problem_count,
            }));
        self.imports.reject_import(import.id, &kept, problem_count, &audit, now).await?;
        tracing::info!(import = import.id, problems = problem_count, "dossier file refused; nothing imported");
        Ok(())
    }

    /// The last attempt failed: the import is marked failed (nothing of it was stored).
    async fn give_up(&self, id: i64, reason: &str) {
        let result = async {
            let Some(import) = self.imports.import(id).await? else { return Ok(()) };
            let now = self.clock.now();
            let audit = NewAuditEntry::new(now, &import.uploader(), AuditAction::DossiersImported)
                .target(import.target())
                .details(json!({"file": import.file_name, "status": ImportStatus::Failed.as_str()}));
            self.imports.fail_import(id, reason, &audit, now).await.map(|_| ())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(import = id, error = %e, "could not mark a dossier import failed");
        }
    }
}

/// Records how many rows the storing transaction has written, every [`PROGRESS_EVERY`], until
/// aborted. Failures only cost progress figures, so they are logged, not raised.
async fn report_progress(imports: Arc<dyn ImportStore>, id: i64, stored: Arc<AtomicI64>, clock: SharedClock) {
    let mut last = 0;
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let now_stored = stored.load(Ordering::Relaxed);
        if now_stored == last {
            continue;
        }
        match imports.record_stored(id, now_stored, clock.now()).await {
            Ok(_) => last = now_stored,
            Err(e) => tracing::debug!(import = id, error = %e, "could not record an import's progress"),
        }
    }
}

//! Dossier files uploaded in the console, on SQLite: the import record and its file, progress,
//! and the end of an import — storing every dossier and marking the import done in one
//! `BEGIN IMMEDIATE` transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::audit::insert_audit;
use super::jobs::insert_job;
use super::surveys::store_dossiers_in;
use super::{from_ms, to_ms, SqliteStore};
use crate::auth::audit::NewAuditEntry;
use crate::store::{Context, PlanInstance, StoreError, StoreResult};
use crate::surveys::imports::{
    import_target, BuildImportAudit, BuildImportJob, DossierImport, ImportCounts, ImportProblem, ImportStatus,
    ImportStore, NewImport,
};
use crate::surveys::model::{Dossier, DossierOutcome};

/// Every column but the file's bytes; `problems` is left empty in lists.
const COLUMNS: &str = "id, file_name, size_bytes, status, rows_total, rows_checked, rows_stored, created_count,
    updated_count, unchanged_count, problem_count, problems, error, uploaded_by, uploaded_by_name, uploaded_from,
    created_at, updated_at, finished_at";
const LIST_COLUMNS: &str = "id, file_name, size_bytes, status, rows_total, rows_checked, rows_stored, created_count,
    updated_count, unchanged_count, problem_count, '[]' AS problems, error, uploaded_by, uploaded_by_name,
    uploaded_from, created_at, updated_at, finished_at";
const UNFINISHED: &str = "status IN ('queued', 'checking', 'importing')";

#[derive(FromRow)]
struct ImportRow {
    id: i64,
    file_name: String,
    size_bytes: i64,
    status: String,
    rows_total: Option<i64>,
    rows_checked: i64,
    rows_stored: i64,
    created_count: i64,
    updated_count: i64,
    unchanged_count: i64,
    problem_count: i64,
    problems: String,
    error: Option<String>,
    uploaded_by: Option<i64>,
    uploaded_by_name: String,
    uploaded_from: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<ImportRow> for DossierImport {
    type Error = StoreError;

    fn try_from(row: ImportRow) -> Result<Self, Self::Error> {
        let problems: Vec<ImportProblem> = serde_json::from_str(&row.problems)
            .map_err(|e| StoreError::Invalid(format!("dossier import {}: unreadable problems: {e}", row.id)))?;
        Ok(DossierImport {
            status: ImportStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Invalid(format!("dossier import {}: unknown status {:?}", row.id, row.status))
            })?,
            id: row.id,
            file_name: row.file_name,
            size_bytes: row.size_bytes,
            rows_total: row.rows_total,
            rows_checked: row.rows_checked,
            rows_stored: row.rows_stored,
            counts: ImportCounts {
                created: row.created_count,
                updated: row.updated_count,
                unchanged: row.unchanged_count,
            },
            problem_count: row.problem_count,
            problems,
            error: row.error,
            uploaded_by: row.uploaded_by,
            uploaded_by_name: row.uploaded_by_name,
            uploaded_from: row.uploaded_from,
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
            finished_at: row.finished_at.map(from_ms),
        })
    }
}

#[async_trait]
impl ImportStore for SqliteStore {
    async fn create_import(
        &self,
        import: &NewImport,
        audit: &NewAuditEntry,
        job: &BuildImportJob<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO survey_imports (file_name, size_bytes, content, status, uploaded_by, uploaded_by_name,
                                         uploaded_from, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?7) RETURNING id",
        )
        .bind(&import.file_name)
        .bind(i64::try_from(import.content.len()).unwrap_or(i64::MAX))
        .bind(&import.content)
        .bind(import.uploaded_by)
        .bind(&import.uploaded_by_name)
        .bind(&import.uploaded_from)
        .bind(to_ms(now))
        .fetch_one(&mut *tx)
        .await
        .context("storing an uploaded dossier file")?;
        insert_audit(&mut tx, &audit.clone().target(import_target(id))).await?;
        insert_job(&mut tx, &job(id), now).await?;
        tx.commit().await.context("committing an uploaded dossier file")?;
        Ok(id)
    }

    async fn import(&self, id: i64) -> StoreResult<Option<DossierImport>> {
        let row: Option<ImportRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM survey_imports WHERE id = ?1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .context("reading a dossier import")?;
        row.map(DossierImport::try_from).transpose()
    }

    async fn import_content(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        let content: Option<Option<Vec<u8>>> =
            sqlx::query_scalar(&format!("SELECT content FROM survey_imports WHERE id = ?1 AND {UNFINISHED}"))
                .bind(id)
                .fetch_optional(&self.reader)
                .await
                .context("reading an uploaded dossier file")?;
        Ok(content.flatten())
    }

    async fn recent_imports(&self, limit: u32) -> StoreResult<Vec<DossierImport>> {
        let rows: Vec<ImportRow> =
            sqlx::query_as(&format!("SELECT {LIST_COLUMNS} FROM survey_imports ORDER BY id DESC LIMIT ?1"))
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await
                .context("listing dossier imports")?;
        rows.into_iter().map(DossierImport::try_from).collect()
    }

    async fn start_checking(&self, id: i64, rows_total: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(&format!(
            "UPDATE survey_imports SET status = 'checking', rows_total = ?2, rows_checked = 0, rows_stored = 0,
                    updated_at = ?3
              WHERE id = ?1 AND {UNFINISHED}"
        ))
        .bind(id)
        .bind(rows_total)
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("starting to check a dossier file")?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_checked(&self, id: i64, rows_checked: i64, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE survey_imports SET rows_checked = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'checking'",
        )
        .bind(id)
        .bind(rows_checked)
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("recording a dossier file's progress")?;
        Ok(())
    }

    async fn start_importing(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(&format!(
            "UPDATE survey_imports SET status = 'importing', rows_stored = 0, updated_at = ?2
              WHERE id = ?1 AND {UNFINISHED}"
        ))
        .bind(id)
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("starting to import a dossier file")?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_stored(&self, id: i64, rows_stored: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        // The single writer connection is usually held by the import's own transaction: do not
        // wait for it (the figure would only arrive after the import has finished).
        let Some(mut conn) = self.try_write_conn() else { return Ok(false) };
        let done = sqlx::query(
            "UPDATE survey_imports SET rows_stored = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'importing'",
        )
        .bind(id)
        .bind(rows_stored)
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await
        .context("recording a dossier import's progress")?;
        Ok(done.rows_affected() == 1)
    }

    async fn reject_import(
        &self,
        id: i64,
        problems: &[ImportProblem],
        problem_count: i64,
        audit: &NewAuditEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let problems = serde_json::to_string(problems)
            .map_err(|e| StoreError::Invalid(format!("dossier import {id}: problems not serialisable: {e}")))?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(&format!(
            "UPDATE survey_imports SET status = 'rejected', problems = ?2, problem_count = ?3, content = NULL,
                    updated_at = ?4, finished_at = ?4
              WHERE id = ?1 AND {UNFINISHED}"
        ))
        .bind(id)
        .bind(problems)
        .bind(problem_count)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .context("refusing a dossier file")?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.context("committing a refused dossier file")?;
        Ok(true)
    }

    async fn fail_import(&self, id: i64, error: &str, audit: &NewAuditEntry, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(&format!(
            "UPDATE survey_imports SET status = 'failed', error = ?2, content = NULL, updated_at = ?3, finished_at = ?3
              WHERE id = ?1 AND {UNFINISHED}"
        ))
        .bind(id)
        .bind(error)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .context("marking a dossier import failed")?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.context("committing a failed dossier import")?;
        Ok(true)
    }

    async fn complete_import(
        &self,
        id: i64,
        dossiers: &[Dossier],
        plan: &PlanInstance<'_>,
        on_row: &(dyn Fn() + Send + Sync),
        audit: &BuildImportAudit<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<DossierOutcome>>> {
        let mut tx = self.begin_write().await?;
        let importing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM survey_imports WHERE id = ?1 AND status = 'importing'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .context("checking a dossier import")?;
        if importing.is_none() {
            return Ok(None);
        }
        let outcomes = store_dossiers_in(&mut tx, dossiers, plan, on_row, now).await?;
        let counts = ImportCounts::of(&outcomes);
        sqlx::query(
            "UPDATE survey_imports SET status = 'imported', rows_checked = ?2, rows_stored = ?2, created_count = ?3,
                    updated_count = ?4, unchanged_count = ?5, content = NULL, updated_at = ?6, finished_at = ?6
              WHERE id = ?1",
        )
        .bind(id)
        .bind(counts.total())
        .bind(counts.created)
        .bind(counts.updated)
        .bind(counts.unchanged)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .context("marking a dossier import done")?;
        insert_audit(&mut tx, &audit(&counts)).await?;
        tx.commit().await.context("committing a dossier import")?;
        Ok(Some(outcomes))
    }
}

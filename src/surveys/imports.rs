//! Dossier files uploaded in the console: the import record (file, status, progress, counts or
//! the problems that refused it), its store trait, and [`start_import`], which keeps the file and
//! queues the `surveys.import` job in one transaction. The job itself is in `import_job.rs`; the
//! checks and the all-or-nothing rule are the same as `tongdai dossiers import`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::csv_import::CsvProblem;
use super::model::{Dossier, DossierOutcome};
use crate::auth::audit::{Actor, AuditAction, NewAuditEntry};
use crate::jobs::NewJob;
use crate::store::{PlanInstance, StoreError, StoreResult};

/// Job kind of a queued import.
pub const IMPORT_JOB_KIND: &str = "surveys.import";
/// Largest file accepted (32 MiB: well over 100,000 dossiers).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;
/// Problems kept to show (all are counted).
pub const MAX_PROBLEMS_KEPT: usize = 1000;
/// Attempts of an import job before the import is marked failed.
pub const IMPORT_JOB_ATTEMPTS: u32 = 3;
/// Longest file name kept.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Waiting for the job.
    Queued,
    /// Reading and checking the rows.
    Checking,
    /// Every row valid; storing them (one transaction).
    Importing,
    /// Stored, all rows.
    Imported,
    /// The file has problems; nothing stored.
    Rejected,
    /// Could not be processed (an error of the system, not of the file); nothing stored.
    Failed,
}

impl ImportStatus {
    pub const ALL: [Self; 6] =
        [Self::Queued, Self::Checking, Self::Importing, Self::Imported, Self::Rejected, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Checking => "checking",
            Self::Importing => "importing",
            Self::Imported => "imported",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Nothing more will happen to the import.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Imported | Self::Rejected | Self::Failed)
    }

    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Đang chờ xử lý",
            Self::Checking => "Đang kiểm tra",
            Self::Importing => "Đang nhập",
            Self::Imported => "Đã nhập",
            Self::Rejected => "Bị từ chối (có lỗi)",
            Self::Failed => "Không xử lý được",
        }
    }
}

/// One problem of a refused file: where (line, column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    pub line: u64,
    /// Column letter and header, e.g. `G (Cấp)`; `None` for the whole row or file.
    pub column: Option<String>,
    pub message: String,
}

impl From<CsvProblem> for ImportProblem {
    fn from(p: CsvProblem) -> Self {
        Self { line: p.line, column: p.column, message: p.message }
    }
}

/// An uploaded file to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport {
    pub file_name: String,
    pub content: Vec<u8>,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_from: Option<String>,
}

/// How many rows of an imported file were new, changed or already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
}

impl ImportCounts {
    pub fn of(outcomes: &[DossierOutcome]) -> Self {
        let mut counts = Self::default();
        for outcome in outcomes {
            match outcome {
                DossierOutcome::Created { .. } => counts.created += 1,
                DossierOutcome::Updated => counts.updated += 1,
                DossierOutcome::Unchanged => counts.unchanged += 1,
            }
        }
        counts
    }

    pub fn total(&self) -> i64 {
        self.created + self.updated + self.unchanged
    }
}

/// An import as stored (without the file's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierImport {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    pub status: ImportStatus,
    pub rows_total: Option<i64>,
    pub rows_checked: i64,
    pub rows_stored: i64,
    pub counts: ImportCounts,
    pub problem_count: i64,
    /// The first [`MAX_PROBLEMS_KEPT`] problems (empty in lists of imports).
    pub problems: Vec<ImportProblem>,
    pub error: Option<String>,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_from: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl DossierImport {
    /// Who uploaded the file, as the audit log's actor.
    pub fn uploader(&self) -> Actor {
        Actor { user_id: self.uploaded_by, name: self.uploaded_by_name.clone(), ip: self.uploaded_from.clone() }
    }

    /// The audit log's target of this import.
    pub fn target(&self) -> String {
        import_target(self.id)
    }
}

/// The audit log's target of import `id`.
pub fn import_target(id: i64) -> String {
    format!("dossier_import:{id}")
}

/// Builds the import job from the new import's id (inside the storing transaction).
pub type BuildImportJob<'a> = dyn Fn(i64) -> NewJob + Send + Sync + 'a;
/// Builds the audit entry of a finished import from its counts (inside the storing transaction).
pub type BuildImportAudit<'a> = dyn Fn(&ImportCounts) -> NewAuditEntry + Send + Sync + 'a;

/// Uploaded dossier files and their processing. Every change that finishes an import carries
/// its audit entry in the same transaction.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Keeps the file as a `queued` import, with its audit entry (target filled in by the store)
    /// and the job `job` builds, in one transaction. Returns the new import's id.
    async fn create_import(
        &self,
        import: &NewImport,
        audit: &NewAuditEntry,
        job: &BuildImportJob<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    async fn import(&self, id: i64) -> StoreResult<Option<DossierImport>>;
    /// The file's bytes while the import is not finished.
    async fn import_content(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// The latest imports, newest first (without their problems).
    async fn recent_imports(&self, limit: u32) -> StoreResult<Vec<DossierImport>>;
    /// Starts (or, after an interrupted run, restarts) checking `rows_total` rows. False when
    /// the import is finished already.
    async fn start_checking(&self, id: i64, rows_total: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    async fn record_checked(&self, id: i64, rows_checked: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Every row is valid: storing starts. False when the import is finished already.
    async fn start_importing(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Progress of the storing transaction, written from another connection while it runs. Best
    /// effort: false when the database cannot take the write now (SQLite's single writer is busy
    /// with that very transaction).
    async fn record_stored(&self, id: i64, rows_stored: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Refuses the file: status `rejected`, the problems kept (the first [`MAX_PROBLEMS_KEPT`]),
    /// the file dropped, with the audit entry. False when the import is finished already.
    async fn reject_import(
        &self,
        id: i64,
        problems: &[ImportProblem],
        problem_count: i64,
        audit: &NewAuditEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives up: status `failed` with the error, the file dropped, with the audit entry. False
    /// when the import is finished already.
    async fn fail_import(&self, id: i64, error: &str, audit: &NewAuditEntry, now: DateTime<Utc>) -> StoreResult<bool>;
    /// In one transaction: stores the dossiers as `SurveyStore::store_dossiers` does (calling
    /// `on_row` once per row), marks the import `imported` with its counts, drops the file and
    /// appends the audit entry `audit` builds. `None` (nothing written) when the import is not
    /// `importing` any more.
    async fn complete_import(
        &self,
        id: i64,
        dossiers: &[Dossier],
        plan: &PlanInstance<'_>,
        on_row: &(dyn Fn() + Send + Sync),
        audit: &BuildImportAudit<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<DossierOutcome>>>;
}

/// Why an upload is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("Chưa chọn tệp, hoặc tệp trống.")]
    Empty,
    #[error("Tệp lớn quá {} MB.", MAX_IMPORT_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("Chỉ nhận tệp CSV (.csv, UTF-8). Trong Excel, chọn Lưu thành › “CSV UTF-8”.")]
    NotCsv,
}

/// Why [`start_import`] did not queue the file.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The user's to fix (shown on the page).
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The file name as kept: its last path component, without control characters, shortened.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(MAX_FILE_NAME_CHARS).collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "tep-khong-ten.csv".to_owned()
    } else {
        cleaned
    }
}

/// Checks what can be checked at once (size, kind), before the file is kept.
pub fn check_upload(file_name: &str, content: &[u8]) -> Result<(), UploadError> {
    if content.iter().all(u8::is_ascii_whitespace) {
        return Err(UploadError::Empty);
    }
    if content.len() > MAX_IMPORT_BYTES {
        return Err(UploadError::TooLarge);
    }
    let lower = file_name.to_lowercase();
    let extension_ok = lower.ends_with(".csv") || lower.ends_with(".txt") || !lower.contains('.');
    // Spreadsheets saved as .xlsx are ZIP files ("PK…"); old .xls files start with D0 CF 11 E0.
    let binary = content.starts_with(b"PK\x03\x04") || content.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if !extension_ok || binary {
        return Err(UploadError::NotCsv);
    }
    Ok(())
}

/// The job that processes import `id`.
pub fn import_job(id: i64) -> NewJob {
    NewJob::new(IMPORT_JOB_KIND, json!({ "import_id": id }), IMPORT_JOB_ATTEMPTS).unique(format!("survey-import:{id}"))
}

/// Keeps an uploaded file and queues its import (with the audit entry of the upload). Returns
/// the import's id.
pub async fn start_import(
    store: &dyn ImportStore,
    actor: &Actor,
    file_name: &str,
    content: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<i64, StartError> {
    let file_name = clean_file_name(file_name);
    check_upload(&file_name, &content)?;
    let audit = NewAuditEntry::new(now, actor, AuditAction::DossiersImported)
        .details(json!({"file": file_name, "bytes": content.len(), "status": ImportStatus::Queued.as_str()}));
    let import = NewImport {
        file_name,
        content,
        uploaded_by: actor.user_id,
        uploaded_by_name: actor.name.clone(),
        uploaded_from: actor.ip.clone(),
    };
    Ok(store.create_import(&import, &audit, &import_job, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(status.as_str()), Some(status));
            assert!(!status.label().is_empty());
        }
        assert!(ImportStatus::Rejected.is_finished() && !ImportStatus::Importing.is_finished());
    }

    #[test]
    fn uploads_are_checked_before_they_are_kept() {
        assert_eq!(check_upload("a.csv", b""), Err(UploadError::Empty));
        assert_eq!(check_upload("a.csv", b" \r\n"), Err(UploadError::Empty));
        assert_eq!(check_upload("ho-so.xlsx", b"code,level\n"), Err(UploadError::NotCsv));
        assert_eq!(check_upload("ho-so.csv", b"PK\x03\x04rest"), Err(UploadError::NotCsv));
        assert_eq!(check_upload("ho-so.CSV", b"code\n"), Ok(()));
        assert_eq!(check_upload("ho-so", b"code\n"), Ok(()));
        assert_eq!(check_upload("a.csv", &vec![b'a'; MAX_IMPORT_BYTES + 1]), Err(UploadError::TooLarge));
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_file_name("C:\\Users\\an\\Hồ sơ tháng 3.csv"), "Hồ sơ tháng 3.csv");
        assert_eq!(clean_file_name("../../etc/x\u{0}.csv"), "x.csv");
        assert_eq!(clean_file_name(""), "tep-khong-ten.csv");
    }

    #[test]
    fn counts_of_outcomes() {
        let outcomes = [
            DossierOutcome::Created { instance_id: 1, state: super::super::model::InstanceState::Scheduled },
            DossierOutcome::Unchanged,
            DossierOutcome::Updated,
            DossierOutcome::Unchanged,
        ];
        let counts = ImportCounts::of(&outcomes);
        assert_eq!((counts.created, counts.updated, counts.unchanged, counts.total()), (1, 1, 2, 4));
    }
}

//! Dossier files from the browser: `GET /console/surveys/imports` (the upload form and the latest
//! imports), `POST /console/surveys/imports` (a `multipart/form-data` upload: the file is kept and
//! a `surveys.import` job queued, then the browser goes to the import's page) and
//! `GET /console/surveys/imports/{id}` (status, rows checked and imported, the counts or the
//! per-row error report; it reloads itself while the import runs). Full survey access only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::surveys::survey_access;
use super::{chrome, require};
use crate::app::AppState;
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::multipart;
use crate::console::paths;
use crate::console::request::CurrentUser;
use crate::console::survey_views::{tabs, thousands, ImportPage, ImportRowView, ImportsPage, ProblemRow, SurveyTab};
use crate::console::views::{local_time, render, Place, Section};
use crate::surveys::imports::{start_import, DossierImport, ImportStatus, StartError, MAX_IMPORT_BYTES};
use crate::surveys::overview::DossierAccess;

/// Imports listed under the form.
const RECENT: u32 = 20;
/// Seconds between reloads of a running import's page.
const REFRESH_SECONDS: u32 = 2;
/// Name of the form's file field.
pub const FILE_FIELD: &str = "file";

fn require_full(user: &CurrentUser) -> ConsoleResult<()> {
    require(survey_access(user)? == DossierAccess::Full)
}

/// A status as a CSS modifier.
fn status_class(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Queued | ImportStatus::Checking | ImportStatus::Importing => "running",
        ImportStatus::Imported => "imported",
        ImportStatus::Rejected | ImportStatus::Failed => "rejected",
    }
}

fn number(n: i64) -> String {
    thousands(u64::try_from(n).unwrap_or_default())
}

fn summary(import: &DossierImport) -> String {
    match import.status {
        ImportStatus::Imported => format!(
            "{} hồ sơ: {} mới, {} cập nhật, {} không đổi",
            number(import.counts.total()),
            number(import.counts.created),
            number(import.counts.updated),
            number(import.counts.unchanged)
        ),
        ImportStatus::Rejected => format!("{} lỗi, không nhập hồ sơ nào", number(import.problem_count)),
        ImportStatus::Failed => "Lỗi hệ thống, không nhập hồ sơ nào".to_owned(),
        ImportStatus::Checking => format!(
            "Đã kiểm tra {}/{} dòng",
            number(import.rows_checked),
            number(import.rows_total.unwrap_or_default())
        ),
        ImportStatus::Importing => format!("Đang ghi {} hồ sơ", number(import.rows_total.unwrap_or_default())),
        ImportStatus::Queued => String::new(),
    }
}

async fn imports_page(state: &AppState, user: &CurrentUser, error: Option<String>) -> ConsoleResult<ImportsPage> {
    let tz = state.config.timezone();
    let rows = state
        .store
        .survey_imports
        .recent_imports(RECENT)
        .await?
        .iter()
        .map(|import| ImportRowView {
            href: paths::survey_import(import.id),
            file_name: import.file_name.clone(),
            uploaded: local_time(import.created_at, tz),
            uploaded_by: import.uploaded_by_name.clone(),
            status_label: import.status.label(),
            status_class: status_class(import.status),
            summary: summary(import),
        })
        .collect();
    Ok(ImportsPage {
        chrome: chrome(state, user, "Nhập hồ sơ từ tệp", Place::Section(Section::Surveys)).await?,
        tabs: tabs(DossierAccess::Full, SurveyTab::Imports),
        error,
        max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
        rows,
    })
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ConsoleResult<Response> {
    require_full(&user)?;
    render(&imports_page(&state, &user, None).await?, StatusCode::OK)
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> ConsoleResult<Response> {
    require_full(&user)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let file = multipart::boundary(content_type)
        .and_then(|boundary| multipart::parse(&body, &boundary).ok())
        .and_then(|parts| parts.into_iter().find(|p| p.name == FILE_FIELD && p.file_name.is_some()));
    let Some(file) = file else {
        let message = "Chưa chọn tệp. Hãy chọn tệp CSV rồi bấm “Tải lên và kiểm tra”.".to_owned();
        return render(&imports_page(&state, &user, Some(message)).await?, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let file_name = file.file_name.unwrap_or_default();
    let store = state.store.survey_imports.as_ref();
    match start_import(store, &user.actor(), &file_name, file.data, state.clock.now()).await {
        Ok(id) => Ok(Redirect::to(&paths::survey_import(id)).into_response()),
        Err(StartError::Upload(e)) => {
            render(&imports_page(&state, &user, Some(e.to_string())).await?, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StartError::Store(e)) => Err(e.into()),
    }
}

fn percent(part: i64, total: Option<i64>) -> u32 {
    match total {
        Some(total) if total > 0 => u32::try_from((part.clamp(0, total) * 100) / total).unwrap_or(100),
        Some(_) => 100,
        None => 0,
    }
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", number((bytes + 1023) / 1024))
    }
}

pub async fn show(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> ConsoleResult<Response> {
    require_full(&user)?;
    let id: i64 = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let import = state.store.survey_imports.import(id).await?.ok_or(ConsoleError::NotFound)?;
    let tz = state.config.timezone();
    let running = !import.status.is_finished();
    let view = ImportPage {
        chrome: chrome(&state, &user, &format!("Nhập tệp {}", import.file_name), Place::Section(Section::Surveys))
            .await?,
        tabs: tabs(DossierAccess::Full, SurveyTab::Imports),
        refresh: running.then_some(REFRESH_SECONDS),
        file_name: import.file_name.clone(),
        size: size_text(import.size_bytes),
        uploaded: local_time(import.created_at, tz),
        uploaded_by: import.uploaded_by_name.clone(),
        status_label: import.status.label(),
        status_class: status_class(import.status),
        running,
        rows_total: import.rows_total.map(number),
        rows_checked: number(import.rows_checked),
        rows_stored: number(import.rows_stored),
        checked_percent: percent(import.rows_checked, import.rows_total),
        stored_percent: percent(import.rows_stored, import.rows_total),
        imported: import.status == ImportStatus::Imported,
        created: number(import.counts.created),
        updated: number(import.counts.updated),
        unchanged: number(import.counts.unchanged),
        rejected: import.status == ImportStatus::Rejected,
        problem_count: number(import.problem_count),
        problems_cut: i64::try_from(import.problems.len()).unwrap_or(i64::MAX) < import.problem_count,
        problems: import
            .problems
            .iter()
            .map(|p| ProblemRow {
                line: p.line,
                column: p.column.clone().unwrap_or_default(),
                message: p.message.clone(),
            })
            .collect(),
        failed: (import.status == ImportStatus::Failed).then(|| import.error.clone().unwrap_or_default()),
        finished: import.finished_at.map(|at| local_time(at, tz)).unwrap_or_default(),
    };
    render(&view, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_sizes_read_the_vietnamese_way() {
        assert_eq!(number(1234567), "1.234.567");
        assert_eq!(number(-1000), "0");
        assert_eq!(size_text(1500), "2 KB");
        assert_eq!(size_text(3 * 1024 * 1024 + 200 * 1024), "3,2 MB");
        assert_eq!(percent(50, Some(200)), 25);
        assert_eq!(percent(0, Some(0)), 100);
        assert_eq!(percent(5, None), 0);
    }
}

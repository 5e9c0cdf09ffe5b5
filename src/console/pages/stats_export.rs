//! `GET /console/stats/export?survey=…&from=…&to=…[&group_by=…][&agency=…&level=…&field=…
//! &procedure=…&channel=…]&format=xlsx|csv|json`: the download of a survey's statistics for
//! signed-in users who may see statistics, within their scope (a department's users get their
//! agencies' figures; asking for another agency is refused with 403). The file is made by
//! [`crate::stats::export`] in the data folder, streamed back and deleted; each download is
//! recorded in the audit log. A download needs a free slot of
//! [`crate::console::export_slots`] (503 with `Retry-After` otherwise). `HEAD` checks the request
//! the same way and answers the headers only, without making the file.

use std::path::PathBuf;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;

use super::require;
use crate::app::AppState;
use crate::auth::audit::{AuditAction, NewAuditEntry};
use crate::console::download::{file_response, head_response};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::export_slots::{ExportSlots, RETRY_AFTER_SECS};
use crate::console::request::CurrentUser;
use crate::stats::export::{audit_details, export_to_temp_file, file_name, ExportError, ExportFormat, ExportJob};
use crate::stats::query::StatsQuery;
use crate::stats::report::StatsError;
use crate::stats::scope::StatsScope;

/// Folder (under `general.data_dir`) where exports are written before they are streamed.
pub const EXPORTS_DIR: &str = "exports";

/// The format (`xlsx` when not given) and the statistics parameters.
fn split_format(params: Vec<(String, String)>) -> ConsoleResult<(ExportFormat, Vec<(String, String)>)> {
    let (formats, rest): (Vec<_>, Vec<_>) = params.into_iter().partition(|(key, _)| key == "format");
    let format = match formats.as_slice() {
        [] => ExportFormat::Xlsx,
        [(_, value)] => ExportFormat::parse(value.trim())
            .ok_or_else(|| ConsoleError::BadRequest(format!("unknown format `{value}`")))?,
        _ => return Err(ConsoleError::BadRequest("parameter `format` given twice".into())),
    };
    Ok((format, rest))
}

/// The format and the request, checked and restricted to the user's scope.
fn export_request(
    state: &AppState,
    user: &CurrentUser,
    params: Vec<(String, String)>,
) -> ConsoleResult<(ExportFormat, StatsQuery)> {
    require(user.principal.can_view_stats())?;
    let (format, params) = split_format(params)?;
    let mut query = StatsQuery::from_params(&params).map_err(ConsoleError::BadRequest)?;
    StatsScope::of_user(&user.principal, &state.config.stats)
        .restrict(&mut query)
        .map_err(|_| ConsoleError::Forbidden)?;
    if state.surveys.catalog().get(&query.survey).is_none() {
        return Err(ConsoleError::BadRequest(format!("unknown survey `{}`", query.survey)));
    }
    Ok((format, query))
}

/// `HEAD`: the download's headers after the same checks; no export, no audit entry.
pub async fn head(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<Vec<(String, String)>>,
) -> ConsoleResult<Response> {
    let (format, query) = export_request(&state, &user, params)?;
    Ok(head_response(format.content_type(), &file_name(&query, format)))
}

pub async fn download(
    State(state): State<AppState>,
    Extension(slots): Extension<ExportSlots>,
    user: CurrentUser,
    Query(params): Query<Vec<(String, String)>>,
) -> ConsoleResult<Response> {
    let (format, query) = export_request(&state, &user, params)?;
    let slot = slots.try_take().ok_or(ConsoleError::Busy { retry_after_secs: RETRY_AFTER_SECS })?;
    let rules = state.config.stats.rules_for(&query.survey);
    let dir = PathBuf::from(&state.config.general.data_dir).join(EXPORTS_DIR);
    let now = state.clock.now();
    let job = ExportJob {
        store: state.store.stats.as_ref(),
        catalog: state.surveys.catalog(),
        rules: &rules,
        query: &query,
        generated_at: now,
        tempdir: Some(dir.clone()),
    };
    let exported = match export_to_temp_file(&job, format, &dir).await {
        Ok(exported) => exported,
        Err(ExportError::Report(StatsError::UnknownSurvey(id))) => {
            return Err(ConsoleError::BadRequest(format!("unknown survey `{id}`")))
        }
        Err(ExportError::Report(StatsError::Store(e))) => return Err(e.into()),
        Err(ExportError::Write(e)) => return Err(e.into()),
    };
    let entry = NewAuditEntry::new(now, &user.actor(), AuditAction::StatsExported)
        .target(format!("survey:{}", query.survey))
        .details(audit_details(&query, format, &exported.outcome));
    state.store.audit.append(&entry).await?;
    // The slot stays taken until the file is sent.
    Ok(file_response(exported.file, exported.len, format.content_type(), &file_name(&query, format), slot))
}

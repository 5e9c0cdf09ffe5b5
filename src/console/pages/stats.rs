//! The statistics page, `GET /console/stats`: satisfaction figures and charts of one survey over
//! a period, with filters, and the complaint figures of the same dates, each within the user's
//! statistics scope (`crate::stats::scope`, as the statistics API applies it). The figures are
//! chosen by `crate::stats::dashboard`; this handler reads the form, checks the scope, renders.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;

use super::tickets::TicketDesk;
use super::{chrome, require};
use crate::app::AppState;
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::request::CurrentUser;
use crate::console::stats_form::{Defaults, StatsForm};
use crate::console::stats_views::StatsPage;
use crate::console::views::{department_name, render, Place, Section};
use crate::stats::dashboard::{dashboard, TicketSource};
use crate::stats::report::StatsError;
use crate::stats::scope::StatsScope;

/// The page's title in the layout.
pub const TITLE: &str = "Thống kê";

pub async fn show(
    State(state): State<AppState>,
    Extension(desk): Extension<TicketDesk>,
    user: CurrentUser,
    Query(params): Query<Vec<(String, String)>>,
) -> ConsoleResult<Response> {
    require(user.principal.can_view_stats())?;
    let catalog = state.surveys.catalog();
    let now = state.clock.now();
    let defaults = Defaults {
        survey: state.config.survey.web_survey.clone(),
        today: now.with_timezone(&state.config.timezone()).date_naive(),
    };
    let form = StatsForm::read(&params, &defaults);
    let scope = StatsScope::of_user(&user.principal, &state.config.stats);
    let parsed = form.query(catalog);
    let chrome = chrome(&state, &user, TITLE, Place::Section(Section::Stats)).await?;
    let mut page = StatsPage::new(chrome, form, catalog);
    let mut query = match parsed {
        Ok(query) => query,
        Err(problems) => {
            page.errors = problems;
            return render(&page, StatusCode::BAD_REQUEST);
        }
    };
    scope.restrict(&mut query).map_err(|_| ConsoleError::Forbidden)?;
    page.notes = scope_notes(&scope);

    let service = desk.service()?;
    let tickets = scope.tickets.clone().map(|scope| TicketSource {
        catalogue: service.catalogue(),
        calendar: service.calendar(),
        scope,
    });
    let rules = state.config.stats.rules_for(&query.survey);
    let figures =
        dashboard(state.store.stats.as_ref(), catalog, &rules, &query, tickets, now).await.map_err(|e| match e {
            StatsError::Store(e) => ConsoleError::from(e),
            StatsError::UnknownSurvey(_) => ConsoleError::Internal(anyhow::Error::new(e)),
        })?;
    let title = catalog.get(&query.survey).map_or(query.survey.as_str(), |s| s.title.as_str());
    render(&page.with_figures(&figures, title), StatusCode::OK)
}

/// What a department-bound user is told about the figures they see.
fn scope_notes(scope: &StatsScope) -> Vec<String> {
    let Some(code) = &scope.department else { return Vec::new() };
    let name = department_name(code);
    match scope.agencies.as_deref() {
        Some([]) | None => vec![format!(
            "Số liệu của {name}. Chưa có cơ quan nào được gắn với đơn vị này (mục [stats] department_agencies của cấu hình), nên chưa có số liệu khảo sát; số liệu phản ánh là của đơn vị."
        )],
        Some(agencies) => vec![format!(
            "Số liệu của {name}: khảo sát về các cơ quan {} và phản ánh do đơn vị xử lý.",
            agencies.join(", ")
        )],
    }
}

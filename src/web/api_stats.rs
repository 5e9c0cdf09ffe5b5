//! `GET /api/v1/stats/surveys` (satisfaction figures of one survey over a period, optionally
//! grouped and filtered) and `GET /api/v1/stats/tickets` (complaint figures of a period), for
//! API keys with the `stats:read` scope or signed-in console users, each within their scope.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};

use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::extract::StatsReader;
use crate::stats::query::StatsQuery;
use crate::stats::report::{survey_report, StatsError, SurveyReport};
use crate::stats::tickets::{ticket_report, TicketReport, TicketStatsQuery};
use crate::tickets::service::TicketService;

/// The statistics routes.
pub fn routes(state: &AppState) -> Router<AppState> {
    let surveys = Router::new().route("/api/v1/stats/surveys", get(surveys));
    match TicketService::from_config(&state.config, state.store.tickets.clone()) {
        Ok(service) => surveys.route("/api/v1/stats/tickets", get(tickets)).layer(Extension(Arc::new(service))),
        Err(e) => {
            let reason = format!("{e:#}");
            tracing::error!(error = %reason, "the complaint statistics are unavailable");
            let unavailable = move || {
                let reason = reason.clone();
                async move { ApiError::Unavailable(format!("the ticket service is not configured: {reason}")) }
            };
            surveys.route("/api/v1/stats/tickets", get(unavailable))
        }
    }
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::UnknownSurvey(_) => ApiError::BadRequest(e.to_string()),
            StatsError::Store(store) => ApiError::from(store),
        }
    }
}

async fn surveys(
    State(state): State<AppState>,
    reader: StatsReader,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<SurveyReport>> {
    let mut query = StatsQuery {
        read_at: Some(state.clock.now()),
        ..StatsQuery::from_params(&params).map_err(ApiError::BadRequest)?
    };
    reader.scope(&state.config.stats).restrict(&mut query).map_err(ApiError::Forbidden)?;
    let rules = state.config.stats.rules_for(&query.survey);
    let report = survey_report(state.store.stats.as_ref(), state.surveys.catalog(), &query, &rules).await?;
    Ok(Json(report))
}

async fn tickets(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<TicketService>>,
    reader: StatsReader,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<TicketReport>> {
    let query = TicketStatsQuery::from_params(&params).map_err(ApiError::BadRequest)?;
    let Some(scope) = reader.scope(&state.config.stats).tickets else {
        return Err(ApiError::Forbidden("your account may not see complaint figures".into()));
    };
    let report = ticket_report(
        state.store.stats.as_ref(),
        service.catalogue(),
        service.calendar(),
        &query,
        &scope,
        state.clock.now(),
    )
    .await?;
    Ok(Json(report))
}

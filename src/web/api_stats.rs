//! `GET /api/v1/stats/surveys`: satisfaction figures of one survey over a period, optionally
//! grouped and filtered, for API keys with the `stats:read` scope.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::extract::{ApiClient, StatsRead};
use crate::stats::compute::AggregationRules;
use crate::stats::query::StatsQuery;
use crate::stats::report::{survey_report, StatsError, SurveyReport};

/// The statistics routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/stats/surveys", get(surveys))
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
    _client: ApiClient<StatsRead>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<SurveyReport>> {
    let query = StatsQuery::from_params(&params).map_err(ApiError::BadRequest)?;
    let report =
        survey_report(state.store.stats.as_ref(), state.surveys.catalog(), &query, &AggregationRules::default())
            .await?;
    Ok(Json(report))
}

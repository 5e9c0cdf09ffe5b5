//! `POST /api/v1/dossiers`: the one-stop system pushes completed dossiers; answered with one
//! result per element. Not routed here: the route is registered behind the API-key guard (scope
//! `dossiers:write`).

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::surveys::dossiers::{import_batch, RowStatus, MAX_BATCH};
use crate::web::error::{ApiError, ApiResult};

/// `{"dossiers": [...]}` → `{"results": [{"index","code","status","errors"}], "summary": {…}}`.
pub async fn post_dossiers(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let parsed: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let Some(rows) = parsed.get("dossiers").and_then(Value::as_array) else {
        return Err(ApiError::BadRequest("expected an object {\"dossiers\": [ … ]}".into()));
    };
    if rows.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "{} dossiers in one request; send at most {MAX_BATCH} per request",
            rows.len()
        )));
    }
    let results = import_batch(&state.surveys, rows, state.clock.now()).await?;
    let count = |status: RowStatus| results.iter().filter(|r| r.status == status).count();
    let summary = json!({
        "created": count(RowStatus::Created),
        "updated": count(RowStatus::Updated),
        "unchanged": count(RowStatus::Unchanged),
        "error": count(RowStatus::Error),
    });
    Ok(Json(json!({"results": results, "summary": summary})))
}

/// `POST /api/v1/dossiers` for machine clients holding an API key with scope `dossiers:write`.
pub async fn post_dossiers_with_key(
    _client: crate::auth::extract::ApiClient<crate::auth::extract::DossiersWrite>,
    state: State<AppState>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    post_dossiers(state, body).await
}

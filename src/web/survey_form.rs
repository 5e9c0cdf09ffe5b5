//! `GET /s/{token}` and `POST /s/{token}`: the public survey web form behind a signed link (no
//! login). GET shows the form (or the opt-out confirmation with `?opt_out=1`); POST submits the
//! answers once, or opts out with `_action=opt_out`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::survey_page::{self, Notice};
use crate::app::AppState;
use crate::surveys::form::FormErrors;
use crate::surveys::service::{FormAccess, FormResult};
use crate::web::error::ApiResult;

/// Form field that selects the opt-out action.
const ACTION_FIELD: &str = "_action";
const OPT_OUT_ACTION: &str = "opt_out";

#[derive(Debug, Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    opt_out: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<FormQuery>,
) -> ApiResult<Response> {
    if query.opt_out.is_some() {
        return Ok(page(StatusCode::OK, survey_page::opt_out_confirmation(&token)));
    }
    let now = state.clock.now();
    Ok(match state.surveys.form_access(&token, now).await? {
        FormAccess::Open { dossier, .. } => {
            let view = survey_page::FormView {
                token: &token,
                def: state.surveys.web_survey(),
                catalog: state.surveys.catalog(),
                dossier: &dossier,
                values: &BTreeMap::new(),
                errors: &FormErrors::default(),
            };
            page(StatusCode::OK, survey_page::form(&view))
        }
        other => access_notice(&other),
    })
}

pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> ApiResult<Response> {
    let now = state.clock.now();
    if fields.get(ACTION_FIELD).map(String::as_str) == Some(OPT_OUT_ACTION) {
        return Ok(if state.surveys.opt_out_by_link(&token, now).await? {
            notice(StatusCode::OK, Notice::OptedOut)
        } else {
            notice(StatusCode::NOT_FOUND, Notice::InvalidLink)
        });
    }
    Ok(match state.surveys.submit_form(&token, &fields, now).await? {
        FormResult::Stored => notice(StatusCode::OK, Notice::Thanks),
        FormResult::AlreadyAnswered => notice(StatusCode::OK, Notice::AlreadyAnswered),
        FormResult::Expired => notice(StatusCode::GONE, Notice::Expired),
        FormResult::InvalidLink => notice(StatusCode::NOT_FOUND, Notice::InvalidLink),
        FormResult::Invalid(errors) => match state.surveys.form_access(&token, now).await? {
            FormAccess::Open { dossier, .. } => {
                let view = survey_page::FormView {
                    token: &token,
                    def: state.surveys.web_survey(),
                    catalog: state.surveys.catalog(),
                    dossier: &dossier,
                    values: &fields,
                    errors: &errors,
                };
                page(StatusCode::UNPROCESSABLE_ENTITY, survey_page::form(&view))
            }
            other => access_notice(&other),
        },
    })
}

fn access_notice(access: &FormAccess) -> Response {
    match access {
        FormAccess::AlreadyAnswered => notice(StatusCode::OK, Notice::AlreadyAnswered),
        FormAccess::Expired => notice(StatusCode::GONE, Notice::Expired),
        FormAccess::Invalid | FormAccess::Open { .. } => notice(StatusCode::NOT_FOUND, Notice::InvalidLink),
    }
}

fn notice(status: StatusCode, which: Notice) -> Response {
    page(status, survey_page::notice(which))
}

fn page(status: StatusCode, html: String) -> Response {
    (status, [("cache-control", "no-store"), ("referrer-policy", "no-referrer")], Html(html)).into_response()
}

//! The officials' web console under `/console/`: server-rendered Vietnamese pages (askama
//! templates, one hand-written stylesheet, no JavaScript), signing in and out, the home page,
//! password change, user administration, the audit log, the ticket pages (inbox, ticket,
//! actions), the officer chat pages, the survey pages (counts, dossiers, CSV upload,
//! opt-outs), the statistics page (figures and server-drawn charts) and the statistics download.
//! Later sections plug into the same layout, session and role checks.

use std::sync::LazyLock;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{any, get, post};
use axum::{Extension, Router};

use crate::app::AppState;
use crate::bot::catalogue::Department;

pub mod assets;
pub mod chat_views;
pub mod cli;
pub mod demo;
pub mod download;
pub mod error;
pub mod export_slots;
pub mod multipart;
mod pages;
pub mod paths;
pub mod request;
pub mod settings;
pub mod stats_form;
pub mod stats_views;
pub mod survey_views;
pub mod ticket_views;
pub mod views;

/// The facts of the branch catalogue the console shows: the hotline and the departments.
#[derive(Debug, Clone, Default)]
pub struct CatalogueFacts {
    pub hotline: String,
    pub departments: Vec<Department>,
}

static CATALOGUE_FACTS: LazyLock<CatalogueFacts> = LazyLock::new(|| match crate::bot::catalogue::default_catalogue() {
    Ok(catalogue) => {
        CatalogueFacts { hotline: catalogue.hotline().to_owned(), departments: catalogue.departments().to_vec() }
    }
    Err(e) => {
        // The compiled-in catalogue is validated by its tests; this cannot happen in a release.
        tracing::error!(error = %e, "the branch catalogue does not load; the console lists no departments");
        CatalogueFacts::default()
    }
});

/// The catalogue's hotline and departments (loaded once).
pub fn catalogue_facts() -> &'static CatalogueFacts {
    &CATALOGUE_FACTS
}

/// The console's routes. Every page and form goes through [`request::guard`] (session, CSRF,
/// security headers, error pages); the stylesheet does not need it.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/console", get(|| async { Redirect::permanent(paths::HOME) }))
        .route(paths::HOME, get(pages::home::show))
        .route(paths::LOGIN, get(pages::login::show).post(pages::login::submit))
        .route(paths::LOGOUT, post(pages::login::sign_out))
        .route(paths::PASSWORD, get(pages::password::show).post(pages::password::submit))
        .route(paths::USERS, get(pages::users::list).post(pages::users::add))
        .route("/console/users/{username}/disable", post(pages::users::disable))
        .route("/console/users/{username}/enable", post(pages::users::enable))
        .route("/console/users/{username}/reset-password", post(pages::users::reset_password))
        .route(paths::AUDIT, get(pages::audit::show))
        .route(paths::TICKETS, get(pages::tickets::inbox))
        .route("/console/tickets/{code}", get(pages::tickets::show))
        .route("/console/tickets/{code}/reply", post(pages::ticket_actions::reply))
        .route("/console/tickets/{code}/forward", post(pages::ticket_actions::forward))
        .route("/console/tickets/{code}/status", post(pages::ticket_actions::change_status))
        .route("/console/tickets/{code}/close", post(pages::ticket_actions::close))
        .route("/console/tickets/{code}/note", post(pages::ticket_actions::note))
        .route(paths::CHATS, get(pages::chats::list))
        .route("/console/chats/{id}", get(pages::chats::show))
        .route("/console/chats/{id}/updates", get(pages::chats::updates))
        .route("/console/chats/{id}/messages", post(pages::chats::send))
        .route("/console/chats/{id}/end", post(pages::chats::end))
        .route(paths::SURVEYS, get(pages::surveys::overview))
        .route(paths::SURVEY_DOSSIERS, get(pages::surveys::dossiers))
        .route(paths::SURVEY_OPT_OUTS, get(pages::surveys::opt_outs))
        .route(
            paths::SURVEY_IMPORTS,
            get(pages::survey_imports::list).post(pages::survey_imports::upload).layer(DefaultBodyLimit::max(
                paths::body_limit(paths::SURVEY_IMPORTS, state.config.server.body_limit_bytes),
            )),
        )
        .route("/console/surveys/imports/{id}", get(pages::survey_imports::show))
        .route(paths::STATS_EXPORT, get(pages::stats_export::download).head(pages::stats_export::head))
        .route(paths::STATS, get(pages::stats::show))
        .route("/console/{*rest}", any(pages::not_found))
        .layer(Extension(pages::tickets::TicketDesk::from_state(&state)))
        .layer(Extension(pages::chats::ChatDesk::from_state(&state)))
        .layer(Extension(export_slots::ExportSlots::new(state.config.stats.max_concurrent_exports)))
        .layer(middleware::from_fn_with_state(state, request::guard));
    Router::new()
        .route(paths::STYLESHEET, get(assets::stylesheet))
        .route(paths::CHAT_SCRIPT, get(assets::chat_script))
        .merge(pages)
}

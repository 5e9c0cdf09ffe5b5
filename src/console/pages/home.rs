//! The home page (`GET /console/`): greeting, role and department, and the sections the
//! user's role may use (linked once they exist).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::chrome;
use crate::app::AppState;
use crate::console::error::ConsoleResult;
use crate::console::request::CurrentUser;
use crate::console::views::{department_name, local_time, render, HomePage, Place, Section, SectionCard};

pub async fn show(State(state): State<AppState>, user: CurrentUser) -> ConsoleResult<Response> {
    let chrome = chrome(&state, &user, "Trang chính", Place::Home).await?;
    let account = &user.session.user;
    let cards = Section::ALL
        .into_iter()
        .filter(|section| section.allowed(&user.principal))
        .map(|section| SectionCard { title: section.title(), description: section.description(), href: section.href() })
        .collect();
    let page = HomePage {
        chrome,
        display_name: account.display_name.clone(),
        role_label: account.role.label(),
        department_name: account.department.as_deref().map(department_name),
        last_login: account.last_login_at.map(|at| local_time(at, state.config.timezone())),
        cards,
    };
    render(&page, StatusCode::OK)
}

//! Console page handlers, one module per page. Each parses the request, checks the role,
//! calls the service in `crate::auth` and renders a template; none holds SQL or business rules.

use super::error::{ConsoleError, ConsoleResult};
use super::request::CurrentUser;
use super::views::{Chrome, Place};
use crate::app::AppState;
use crate::auth::sessions::{self, Flash};

pub mod audit;
pub mod chats;
pub mod home;
pub mod login;
pub mod password;
pub mod stats;
pub mod stats_export;
pub mod survey_imports;
pub mod surveys;
pub mod ticket_actions;
pub mod tickets;
pub mod users;

/// The layout for a signed-in page; shows (and so clears) the pending flash message. The chat
/// link carries the number of citizens of the user's scope waiting for an answer.
async fn chrome(state: &AppState, user: &CurrentUser, title: &str, place: Place) -> ConsoleResult<Chrome> {
    let flash = sessions::take_flash(&state.store, &user.session).await?;
    let mut chrome = Chrome::signed_in(&state.config.console, &user.session, title, place, flash);
    if let Some(link) = chrome.nav.iter_mut().find(|link| link.href == super::paths::CHATS) {
        let scope = crate::handoff::ChatScope::of(&user.principal);
        let waiting = state.store.officer_chats.count_awaiting(&scope).await?;
        link.badge = Some(waiting).filter(|n| *n > 0);
    }
    Ok(chrome)
}

/// Leaves a message for the next page.
async fn flash(state: &AppState, user: &CurrentUser, flash: Flash) -> ConsoleResult<()> {
    state.store.sessions.set_flash(&user.session.id_hash, Some(&flash)).await?;
    Ok(())
}

/// Refuses with 403 unless `allowed`.
fn require(allowed: bool) -> ConsoleResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden)
    }
}

/// Any other address under `/console/`.
pub async fn not_found() -> ConsoleError {
    ConsoleError::NotFound
}

//! Console page handlers, one module per page. Each parses the request, checks the role,
//! calls the service in `crate::auth` and renders a template; none holds SQL or business rules.

use super::error::{ConsoleError, ConsoleResult};
use super::request::CurrentUser;
use super::views::{Chrome, Place};
use crate::app::AppState;
use crate::auth::sessions::{self, Flash};

pub mod audit;
pub mod home;
pub mod login;
pub mod password;
pub mod survey_imports;
pub mod surveys;
pub mod ticket_actions;
pub mod tickets;
pub mod users;

/// The layout for a signed-in page; shows (and so clears) the pending flash message.
async fn chrome(state: &AppState, user: &CurrentUser, title: &str, place: Place) -> ConsoleResult<Chrome> {
    let flash = sessions::take_flash(&state.store, &user.session).await?;
    Ok(Chrome::signed_in(&state.config.console, &user.session, title, place, flash))
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

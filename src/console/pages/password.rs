//! Changing one's own password (`GET/POST /console/password`); the user's other sessions end.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{chrome, flash};
use crate::app::AppState;
use crate::auth::sessions::Flash;
use crate::auth::users::{self, UserError};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::paths;
use crate::console::request::CurrentUser;
use crate::console::views::{render, PasswordPage, Place};

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

async fn page(state: &AppState, user: &CurrentUser, error: Option<String>) -> ConsoleResult<PasswordPage> {
    Ok(PasswordPage {
        chrome: chrome(state, user, "Đổi mật khẩu", Place::Password).await?,
        must_change: user.session.user.must_change_password,
        min_length: state.config.console.password_rules().min_chars,
        error,
    })
}

pub async fn show(State(state): State<AppState>, user: CurrentUser) -> ConsoleResult<Response> {
    render(&page(&state, &user, None).await?, StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> ConsoleResult<Response> {
    let settings = &state.config.console;
    let result = users::change_own_password(
        &state.store,
        &user.actor(),
        user.principal.user_id,
        &user.session.id_hash,
        form.current,
        form.new,
        &form.confirm,
        settings.password_rules(),
        &settings.lockout_policy(),
        state.clock.now(),
    )
    .await;
    match result {
        Ok(()) => {
            let text = "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã được đăng xuất.";
            flash(&state, &user, Flash::success(text)).await?;
            Ok(Redirect::to(paths::HOME).into_response())
        }
        Err(error @ (UserError::Store(_) | UserError::Hashing(_) | UserError::NoSuchUser(_))) => {
            Err(ConsoleError::from(error))
        }
        Err(error) => render(&page(&state, &user, Some(error.to_string())).await?, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

//! Signing in (`GET/POST /console/login`) and out (`POST /console/logout`).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::sessions::{self, SignIn};
use crate::console::error::ConsoleResult;
use crate::console::paths;
use crate::console::request::{cookie_value, set_cookie, ConsoleRequest, CurrentUser, LOGIN_COOKIE, SESSION_COOKIE};
use crate::console::views::{render, Chrome, LoginPage};

/// The one message for every failed sign-in (no hint whether the account exists or is locked).
pub const SIGN_IN_FAILED: &str = "Tên đăng nhập hoặc mật khẩu không đúng. Sau nhiều lần nhập sai liên tiếp, \
                                  tài khoản tạm thời bị khóa; khi đó hãy thử lại sau ít phút hoặc liên hệ quản trị hệ thống.";

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn login_page(state: &AppState, token: &str, username: String, next: String) -> LoginPage {
    let mut chrome = Chrome::anonymous(&state.config.console, "Đăng nhập");
    chrome.csrf = token.to_owned();
    LoginPage { chrome, username, next, error: None, notice: None }
}

/// `GET /console/login`: the form, or straight on when already signed in.
pub async fn show(
    State(state): State<AppState>,
    console: ConsoleRequest,
    headers: axum::http::HeaderMap,
    Query(query): Query<LoginQuery>,
) -> ConsoleResult<Response> {
    let next = paths::safe_next(query.next.as_deref());
    if console.session.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let existing = cookie_value(&headers, LOGIN_COOKIE).filter(|t| t.len() == 64);
    let token = existing.clone().unwrap_or_else(sessions::random_token);
    let mut page = login_page(&state, &token, String::new(), next);
    if query.signed_out.is_some() {
        page.notice = Some("Bạn đã đăng xuất.".to_owned());
    }
    let mut response = render(&page, StatusCode::OK)?;
    if existing.is_none() {
        let cookie = set_cookie(LOGIN_COOKIE, Some(&token), paths::LOGIN, state.config.console.secure_cookies);
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// `POST /console/login`: checks the password, opens a session, goes on to `next`.
pub async fn submit(
    State(state): State<AppState>,
    console: ConsoleRequest,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> ConsoleResult<Response> {
    let settings = &state.config.console;
    let now = state.clock.now();
    let next = paths::safe_next(form.next.as_deref());
    let outcome = sessions::sign_in(
        &state.store,
        &settings.lockout_policy(),
        &settings.session_policy(),
        &form.username,
        &form.password,
        console.ip.clone(),
        now,
    )
    .await?;
    match outcome {
        SignIn::Success { session_id, .. } => {
            if let Some(previous) = &console.session {
                // Signing in again in the same browser replaces the session it had.
                state.store.sessions.delete_session(&previous.id_hash).await?;
            }
            let cookie = set_cookie(SESSION_COOKIE, Some(&session_id), "/console", settings.secure_cookies);
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        SignIn::Failure => {
            let token = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
            let mut page = login_page(&state, &token, form.username.trim().to_owned(), next);
            page.error = Some(SIGN_IN_FAILED.to_owned());
            render(&page, StatusCode::UNAUTHORIZED)
        }
    }
}

/// `POST /console/logout`: ends the session and forgets the cookie.
pub async fn sign_out(State(state): State<AppState>, user: CurrentUser) -> ConsoleResult<Response> {
    sessions::sign_out(&state.store, &user.session, user.ip.clone(), state.clock.now()).await?;
    let cookie = set_cookie(SESSION_COOKIE, None, "/console", state.config.console.secure_cookies);
    let mut response = Redirect::to(&format!("{}?signed_out=1", paths::LOGIN)).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

//! User administration (administrators only): `GET /console/users` lists the accounts,
//! `POST /console/users` adds one with a one-time password, and per account disable, enable
//! and reset password.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{chrome, flash, require};
use crate::app::AppState;
use crate::auth::sessions::Flash;
use crate::auth::users::{self, Role, User, UserError, UserInput};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::request::CurrentUser;
use crate::console::views::{
    department_name, local_time, render, Choice, PasswordShownPage, Place, Section, UserRow, UsersPage,
};
use crate::console::{catalogue_facts, paths};

#[derive(Debug, Default, Deserialize)]
pub struct AddUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
}

fn row(user: &User, me: i64, state: &AppState) -> UserRow {
    let now = state.clock.now();
    let (status_class, status_label) = if user.disabled {
        ("disabled", "Đã khóa")
    } else if user.is_locked(now) {
        ("locked", "Tạm khóa do nhập sai")
    } else if user.must_change_password {
        ("pending", "Chờ đổi mật khẩu")
    } else {
        ("active", "Đang hoạt động")
    };
    UserRow {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role_label: user.role.label(),
        department_name: user.department.as_deref().map(department_name).unwrap_or_default(),
        status_class,
        status_label,
        last_login: user.last_login_at.map_or_else(
            || "Chưa đăng nhập lần nào".to_owned(),
            |at| format!("Đăng nhập {}", local_time(at, state.config.timezone())),
        ),
        disabled: user.disabled,
        is_self: user.id == me,
    }
}

async fn users_page(
    state: &AppState,
    user: &CurrentUser,
    form: &AddUserForm,
    error: Option<String>,
) -> ConsoleResult<UsersPage> {
    let accounts = state.store.users.list_users().await?;
    let roles = Role::ALL
        .into_iter()
        .map(|role| Choice {
            value: role.as_str().to_owned(),
            label: role.label().to_owned(),
            selected: form.role == role.as_str(),
        })
        .collect();
    let departments = catalogue_facts()
        .departments
        .iter()
        .map(|d| Choice { value: d.code.clone(), label: d.name.clone(), selected: form.department == d.code })
        .collect();
    Ok(UsersPage {
        chrome: chrome(state, user, "Người dùng", Place::Section(Section::Users)).await?,
        rows: accounts.iter().map(|a| row(a, user.principal.user_id, state)).collect(),
        roles,
        departments,
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        error,
    })
}

/// Validation problems become a message on the page; anything else is a 500.
fn as_message(error: UserError) -> ConsoleResult<String> {
    match error {
        UserError::Store(_) | UserError::Hashing(_) => Err(ConsoleError::from(error)),
        other => Ok(other.to_string()),
    }
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ConsoleResult<Response> {
    require(user.principal.can_manage_users())?;
    render(&users_page(&state, &user, &AddUserForm::default(), None).await?, StatusCode::OK)
}

/// Adds an account with a random password shown once; the user must change it at first sign-in.
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<AddUserForm>,
) -> ConsoleResult<Response> {
    require(user.principal.can_manage_users())?;
    let Some(role) = Role::parse(&form.role) else {
        let message = UserError::UnknownRole(form.role.clone()).to_string();
        return render(&users_page(&state, &user, &form, Some(message)).await?, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let password = state.config.console.password_rules().generate();
    let input = UserInput {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        role,
        department: Some(form.department.clone()),
        password: password.clone(),
        must_change_password: true,
    };
    let rules = state.config.console.password_rules();
    let now = state.clock.now();
    match users::add_user(&state.store, &user.actor(), input, rules, &catalogue_facts().departments, now).await {
        Ok(created) => {
            let page = PasswordShownPage {
                chrome: chrome(&state, &user, "Đã thêm người dùng", Place::Section(Section::Users)).await?,
                heading: "Đã thêm người dùng",
                username: created.username,
                display_name: created.display_name,
                password,
            };
            render(&page, StatusCode::CREATED)
        }
        Err(error) => {
            let message = as_message(error)?;
            render(&users_page(&state, &user, &form, Some(message)).await?, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn set_disabled(state: &AppState, user: &CurrentUser, username: &str, disabled: bool) -> ConsoleResult<Response> {
    require(user.principal.can_manage_users())?;
    let result = users::set_user_disabled(&state.store, &user.actor(), username, disabled, state.clock.now()).await;
    let message = match result {
        Ok(account) if disabled => Flash::success(format!("Đã khóa tài khoản {}.", account.username)),
        Ok(account) => Flash::success(format!("Đã mở khóa tài khoản {}.", account.username)),
        Err(error) => Flash::error(as_message(error)?),
    };
    flash(state, user, message).await?;
    Ok(Redirect::to(paths::USERS).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
) -> ConsoleResult<Response> {
    set_disabled(&state, &user, &username, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
) -> ConsoleResult<Response> {
    set_disabled(&state, &user, &username, false).await
}

/// Sets a random password, shown once; the account's sessions end and it must choose a new one.
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
) -> ConsoleResult<Response> {
    require(user.principal.can_manage_users())?;
    let rules = state.config.console.password_rules();
    let password = rules.generate();
    let now = state.clock.now();
    match users::reset_password(&state.store, &user.actor(), &username, password.clone(), true, rules, now).await {
        Ok(account) => {
            let page = PasswordShownPage {
                chrome: chrome(&state, &user, "Đã đặt lại mật khẩu", Place::Section(Section::Users)).await?,
                heading: "Đã đặt lại mật khẩu",
                username: account.username,
                display_name: account.display_name,
                password,
            };
            render(&page, StatusCode::OK)
        }
        Err(UserError::NoSuchUser(_)) => Err(ConsoleError::NotFound),
        Err(error) => {
            flash(&state, &user, Flash::error(as_message(error)?)).await?;
            Ok(Redirect::to(paths::USERS).into_response())
        }
    }
}

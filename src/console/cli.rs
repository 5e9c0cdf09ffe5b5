//! `tongdai user …`: console accounts from the server's command line (add, disable, enable,
//! reset-password, list). Passwords are asked for on the terminal, or read from standard input
//! when it is not a terminal (one line), and never echoed. Changes are audited as `cli`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::auth::audit::Actor;
use crate::auth::users::{self, Role, User, UserInput};
use crate::clock::{Clock, SystemClock};
use crate::config::LoadedConfig;
use crate::console::views::local_time;
use crate::store::Store;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is asked for twice (or read from standard input).
    Add {
        #[arg(long)]
        username: String,
        /// admin, coordinator, officer, inspector or viewer.
        #[arg(long)]
        role: String,
        /// Department code from the branch catalogue (required for officers), e.g. SNV.
        #[arg(long)]
        department: Option<String>,
        /// Full name shown in the console (default: the username).
        #[arg(long)]
        name: Option<String>,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (asked for twice, or read from standard input); ends the account's
    /// sessions and clears a lock-out.
    ResetPassword { username: String },
    /// List the accounts.
    List,
}

/// Where passwords come from.
pub trait PasswordSource {
    /// The password, asked for with `prompt` (and confirmed where that makes sense).
    fn password(&mut self, prompt: &str) -> anyhow::Result<String>;
}

/// The terminal (hidden input, typed twice) or, when standard input is not a terminal, its first line.
pub struct StdinPasswords;

impl PasswordSource for StdinPasswords {
    fn password(&mut self, prompt: &str) -> anyhow::Result<String> {
        if std::io::stdin().is_terminal() {
            let first = rpassword::prompt_password(format!("{prompt}: ")).context("reading the password")?;
            let second = rpassword::prompt_password("Nhập lại mật khẩu: ").context("reading the password")?;
            anyhow::ensure!(first == second, "{}", users::UserError::PasswordsDiffer);
            Ok(first)
        } else {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
            Ok(line.trim_end_matches(['\n', '\r']).to_owned())
        }
    }
}

/// Runs a `tongdai user` command and prints its result; the exit code says whether it worked.
pub fn main(command: UserCommand, loaded: &LoadedConfig) -> ExitCode {
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tongdai: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = &loaded.config;
    let result = runtime.block_on(async {
        let store = crate::app::open_store(config).await?;
        let mut out = Vec::new();
        let outcome = execute(command, config, &store, SystemClock.now(), &mut StdinPasswords, &mut out).await;
        std::io::stdout().write_all(&out).context("writing to standard output")?;
        outcome
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Carries out one command against `store`, writing what it did to `out`.
pub async fn execute(
    command: UserCommand,
    config: &crate::config::Config,
    store: &Store,
    now: DateTime<Utc>,
    passwords: &mut dyn PasswordSource,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let rules = config.console.password_rules();
    let departments = &super::catalogue_facts().departments;
    let actor = Actor::cli();
    match command {
        UserCommand::Add { username, role, department, name } => {
            // Check what can be checked before asking for the password.
            let role = Role::parse(&role).ok_or_else(|| users::UserError::UnknownRole(role.clone()))?;
            let username = users::normalize_username(&username)?;
            users::check_department(role, department.as_deref(), departments)?;
            let password = passwords.password(&format!("Mật khẩu cho {username}"))?;
            rules.check(&password, &username)?;
            let input = UserInput {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                department,
                password,
                must_change_password: false,
            };
            let user = users::add_user(store, &actor, input, rules, departments, now).await?;
            writeln!(out, "added {} ({}{})", user.username, user.role, department_suffix(&user))?;
        }
        UserCommand::Disable { username } => {
            let user = users::set_user_disabled(store, &actor, &username, true, now).await?;
            writeln!(out, "disabled {} (its sessions are ended)", user.username)?;
        }
        UserCommand::Enable { username } => {
            let user = users::set_user_disabled(store, &actor, &username, false, now).await?;
            writeln!(out, "enabled {}", user.username)?;
        }
        UserCommand::ResetPassword { username } => {
            let user = store
                .users
                .user_by_username(&username)
                .await?
                .ok_or_else(|| users::UserError::NoSuchUser(username.trim().to_ascii_lowercase()))?;
            let password = passwords.password(&format!("Mật khẩu mới cho {}", user.username))?;
            users::reset_password(store, &actor, &user.username, password, false, rules, now).await?;
            writeln!(out, "password of {} changed; its sessions are ended", user.username)?;
        }
        UserCommand::List => {
            let accounts = store.users.list_users().await?;
            out.write_all(user_table(&accounts, now, config.timezone()).as_bytes())?;
        }
    }
    Ok(())
}

fn department_suffix(user: &User) -> String {
    user.department.as_deref().map(|d| format!(", {d}")).unwrap_or_default()
}

/// The accounts as an aligned text table.
pub fn user_table(accounts: &[User], now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let header = ["USERNAME", "NAME", "ROLE", "DEPARTMENT", "STATUS", "LAST SIGN-IN"].map(str::to_owned);
    let mut rows = vec![header];
    for user in accounts {
        let status = if user.disabled {
            "disabled"
        } else if user.is_locked(now) {
            "locked"
        } else {
            "active"
        };
        rows.push([
            user.username.clone(),
            user.display_name.clone(),
            user.role.as_str().to_owned(),
            user.department.clone().unwrap_or_else(|| "-".to_owned()),
            status.to_owned(),
            user.last_login_at.map_or_else(|| "never".to_owned(), |at| local_time(at, tz)),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    if accounts.is_empty() {
        text.push_str("(no accounts yet: add one with `tongdai user add --username NAME --role admin`)\n");
    }
    text
}

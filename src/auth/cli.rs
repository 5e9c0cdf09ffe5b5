//! `tongdai apikey create|list|revoke`: managing machine clients' keys from the server's shell.
//! A new key is printed once, on standard output; only its digest is stored.

use std::process::ExitCode;

use clap::Subcommand;

use super::api_keys::{ApiKeys, ApiScope};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it once (store it in the client right away).
    Create {
        /// A name for the client, e.g. `motcua` (letters, digits, `.`, `-`, `_`).
        #[arg(long)]
        name: String,
        /// What the key may do: tickets:read, tickets:write, dossiers:write, stats:read (repeat the option).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Limit the key to one department's tickets (a department code such as STP).
        #[arg(long)]
        department: Option<String>,
    },
    /// List keys (names, prefixes, scopes; never the keys).
    List,
    /// Revoke the active key with this name.
    Revoke { name: String },
}

/// Runs an `apikey` command; messages on stderr, the key or the list on stdout.
pub fn run(config: &Config, command: ApiKeyCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tongdai: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(config, command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(config: &Config, command: ApiKeyCommand) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let keys = ApiKeys::new(store.api_keys.clone());
    let now = SystemClock.now();
    match command {
        ApiKeyCommand::Create { name, scopes, department } => {
            let mut parsed = Vec::new();
            for scope in scopes.iter().flat_map(|s| s.split(',')).filter(|s| !s.trim().is_empty()) {
                match ApiScope::parse(scope) {
                    Some(scope) => parsed.push(scope),
                    None => {
                        eprintln!(
                            "tongdai: unknown scope `{scope}` (known: {})",
                            ApiScope::ALL.map(ApiScope::as_str).join(", ")
                        );
                        return Ok(ExitCode::from(2));
                    }
                }
            }
            let department = department.map(|d| d.trim().to_ascii_uppercase());
            if let Some(code) = &department {
                let catalogue = crate::bot::catalogue::default_catalogue()?;
                if catalogue.department(code).is_none() {
                    let known: Vec<&str> = catalogue.departments().iter().map(|d| d.code.as_str()).collect();
                    eprintln!("tongdai: unknown department code `{code}` (known: {})", known.join(", "));
                    return Ok(ExitCode::from(2));
                }
            }
            match keys.create(&name, &parsed, department.as_deref(), now).await? {
                Ok(created) => {
                    eprintln!(
                        "API key `{}` created (prefix {}, scopes {}{}). It is shown only now: store it in the client.",
                        created.record.name,
                        created.record.prefix,
                        created.record.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                        created
                            .record
                            .department_code
                            .as_deref()
                            .map(|d| format!(", department {d}"))
                            .unwrap_or_default()
                    );
                    println!("{}", created.key.secret);
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    eprintln!("tongdai: {why}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        ApiKeyCommand::List => {
            println!("{:<24} {:<14} {:<10} {:<20} {:<26} scopes", "name", "prefix", "department", "created", "revoked");
            for key in keys.list().await? {
                println!(
                    "{:<24} {:<14} {:<10} {:<20} {:<26} {}",
                    key.name,
                    key.prefix,
                    key.department_code.as_deref().unwrap_or("(all)"),
                    key.created_at.format("%Y-%m-%d %H:%M"),
                    key.revoked_at.map_or_else(|| "active".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
                    key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ApiKeyCommand::Revoke { name } => {
            if keys.revoke(&name, now).await? {
                eprintln!("API key `{name}` revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("tongdai: no active API key named `{name}`");
                Ok(ExitCode::from(2))
            }
        }
    }
}

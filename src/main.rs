//! The `tongdai` command line: serve, migrate, config check, user.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tongdai::config::{self, Config};

#[derive(Parser)]
#[command(
    name = "tongdai",
    version,
    about = "Zalo OA chatbot, complaints and satisfaction surveys for a provincial hotline"
)]
struct Cli {
    /// Configuration file (default: ./tongdai.toml when it exists).
    #[arg(long, global = true, env = "TONGDAI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: webhook, API, console, workers and scheduler.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Console accounts: add, disable, enable, reset-password, list.
    User {
        #[command(subcommand)]
        command: tongdai::console::cli::UserCommand,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load and validate the configuration, then print it with secrets redacted.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = match Config::load(cli.config.as_deref(), &config::process_env()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("tongdai: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config { command: ConfigCommand::Check } = cli.command {
        for warning in &loaded.warnings {
            eprintln!("warning: {warning}");
        }
        let source =
            loaded.source.as_ref().map_or_else(|| "(defaults; no file)".to_owned(), |p| p.display().to_string());
        println!("# effective configuration from {source} and TONGDAI_* variables; secrets redacted");
        print!("{}", loaded.config.redacted_toml());
        return ExitCode::SUCCESS;
    }
    let command = match cli.command {
        Command::User { command } => return tongdai::console::cli::main(command, &loaded),
        other => other,
    };
    tongdai::app::init_logging(&loaded.config);
    tongdai::app::log_config_warnings(&loaded);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tongdai: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve => tongdai::app::serve(loaded.config).await,
            Command::Migrate => tongdai::app::open_store(&loaded.config).await.map(|store| {
                tracing::info!(backend = store.kind.name(), "migrations applied");
            }),
            Command::Config { .. } | Command::User { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

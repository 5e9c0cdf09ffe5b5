//! The `tongdai` command line: serve, migrate, config check, sim, dossiers import, apikey, tickets, user, backup.

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
    /// Run the service with the built-in Zalo simulator (chat page at /sim) and demo accounts.
    Demo,
    /// Benchmarks (results are written up in BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the Zalo simulator (fake Zalo API, webhook sender and chat page) on its own.
    Sim(Box<tongdai::sim::cli::SimArgs>),
    /// API keys of machine clients: create (printed once), list, revoke.
    Apikey {
        #[command(subcommand)]
        command: tongdai::auth::cli::ApiKeyCommand,
    },
    /// Complaint tickets: list as JSON or CSV.
    Tickets {
        #[command(subcommand)]
        command: tongdai::tickets::cli::TicketsCommand,
    },
    /// Console accounts: add, disable, enable, reset-password, list.
    User {
        #[command(subcommand)]
        command: tongdai::console::cli::UserCommand,
    },
    /// Write a consistent copy of the SQLite database while the service runs (PostgreSQL: use pg_dump).
    Backup {
        /// The new backup file (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Satisfaction statistics: export a survey's figures as JSON or CSV.
    Stats {
        #[command(subcommand)]
        command: tongdai::stats::cli::StatsCommand,
    },
    /// Completed procedure dossiers (each gets one satisfaction survey).
    Dossiers {
        #[command(subcommand)]
        command: DossiersCommand,
    },
}

#[derive(Subcommand)]
enum DossiersCommand {
    /// Import dossiers from a CSV file (all rows or none; exit status 1 with a report on errors).
    Import {
        /// UTF-8 CSV with a header row (the API's field names or Vietnamese headers).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Signed webhook events over real HTTP against an in-process service on a fresh database
    /// (`--noop-handler`: the same HTTP stack answering at once, the HTTP ceiling).
    Webhook(tongdai::bench::cli::WebhookBenchArgs),
    /// Raw insert rate of the database with intake's durability (the storage ceiling).
    Storage(tongdai::bench::storage::StorageBenchArgs),
    /// Message → bot reply latency through `tongdai serve` (child process) and the Zalo simulator;
    /// start-up time and resident memory.
    E2e(tongdai::bench::e2e::E2eArgs),
    /// Survey dispatch rate to citizens reachable by chat, against the simulator.
    Surveys(tongdai::bench::surveys::SurveysBenchArgs),
    /// Dossier CSV import rate through `tongdai dossiers import`'s path.
    Import(tongdai::bench::import::ImportBenchArgs),
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
    // Commands whose standard output is data: no log lines mixed in.
    let command = match cli.command {
        Command::Apikey { command } => return tongdai::auth::cli::run(&loaded.config, command),
        Command::Tickets { command } => return tongdai::tickets::cli::run(&loaded.config, command),
        Command::User { command } => return tongdai::console::cli::main(command, &loaded),
        Command::Backup { out } => return tongdai::backup::run(&loaded.config, &out),
        Command::Stats { command } => return tongdai::stats::cli::run(&loaded.config, command),
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
            Command::Demo => tongdai::demo::run(loaded.config).await,
            Command::Bench { command } => run_bench(command).await,
            Command::Migrate => tongdai::app::open_store(&loaded.config).await.map(|store| {
                tracing::info!(backend = store.kind.name(), "migrations applied");
            }),
            Command::Sim(args) => tongdai::sim::cli::run(*args).await,
            Command::Config { .. }
            | Command::Apikey { .. }
            | Command::Tickets { .. }
            | Command::User { .. }
            | Command::Backup { .. }
            | Command::Stats { .. } => Ok(()),
            Command::Dossiers { command: DossiersCommand::Import { file } } => {
                import_dossiers(&loaded.config, &file).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<ImportRejected>() => ExitCode::from(1),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Webhook(args) => tongdai::bench::cli::webhook(args).await,
        BenchCommand::Storage(args) => tongdai::bench::storage::storage(args).await,
        BenchCommand::E2e(args) => tongdai::bench::e2e::cli(args).await,
        BenchCommand::Surveys(args) => tongdai::bench::surveys::cli(args).await,
        BenchCommand::Import(args) => tongdai::bench::import::import(args).await,
    }
}

/// The import found problems and imported nothing (already reported).
#[derive(Debug, thiserror::Error)]
#[error("the file was not imported")]
struct ImportRejected;

async fn import_dossiers(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let store = tongdai::app::open_store(config).await?;
    let (service, warnings) = tongdai::surveys::SurveyService::from_config(config, store.surveys.clone())?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let clock: tongdai::clock::SharedClock = std::sync::Arc::new(tongdai::clock::SystemClock);
    let report = tongdai::surveys::import_cli::import_file(&service, file, &clock).await?;
    if tongdai::surveys::import_cli::print_report(file, &report) {
        Ok(())
    } else {
        Err(ImportRejected.into())
    }
}

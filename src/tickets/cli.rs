//! `tongdai tickets list`: tickets as JSON or CSV on standard output, for operators and
//! exports (every ticket; the citizen's phone masked, no Zalo ids).

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use super::export::{TicketSummary, CSV_HEADER};
use super::filter::{Scope, TicketFilter, MAX_PAGE};
use super::service::TicketService;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// List tickets, earliest deadline first.
    List {
        /// Only these statuses (repeat, or separate with commas): received, classified,
        /// in_progress, forwarded, answered, closed, rejected.
        #[arg(long)]
        status: Vec<String>,
        #[arg(long)]
        branch: Option<u8>,
        /// procedure_feedback or official_conduct.
        #[arg(long)]
        category: Option<String>,
        /// Department code, e.g. STP.
        #[arg(long)]
        department: Option<String>,
        /// Only overdue tickets.
        #[arg(long)]
        overdue: bool,
        /// misconduct, out_of_scope, escalated or unprocessable.
        #[arg(long)]
        flagged: Option<String>,
        /// Words to find in the code, content, place or procedure.
        #[arg(long)]
        text: Option<String>,
        /// deadline (default), newest or oldest.
        #[arg(long, default_value = "deadline")]
        sort: String,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
}

/// Runs a `tickets` command.
pub fn run(config: &Config, command: TicketsCommand) -> ExitCode {
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

async fn execute(config: &Config, command: TicketsCommand) -> anyhow::Result<ExitCode> {
    let TicketsCommand::List { status, branch, category, department, overdue, flagged, text, sort, format } = command;
    let mut params: Vec<(String, String)> = status.into_iter().map(|s| ("status".to_owned(), s)).collect();
    params.extend(branch.map(|b| ("branch".to_owned(), b.to_string())));
    params.extend(category.map(|c| ("category".to_owned(), c)));
    params.extend(department.map(|d| ("department".to_owned(), d)));
    params.extend(overdue.then(|| ("overdue".to_owned(), "true".to_owned())));
    params.extend(flagged.map(|f| ("flagged".to_owned(), f)));
    params.extend(text.map(|t| ("q".to_owned(), t)));
    params.push(("sort".to_owned(), sort));
    let mut filter = TicketFilter::new(Scope::All);
    if let Err(why) = crate::web::api_tickets::apply_list_params(&mut filter, &params) {
        eprintln!("tongdai: {}", why.replace("query parameter", "option"));
        return Ok(ExitCode::from(2));
    }
    let store = crate::app::open_store(config).await?;
    let service = TicketService::from_config(config, store.tickets.clone())?;
    let now = SystemClock.now();
    filter.limit = MAX_PAGE;
    let mut all = Vec::new();
    loop {
        let page = service.list(&filter, now).await?;
        let count = page.items.len();
        all.extend(page.items.into_iter().map(|t| TicketSummary::new(t, &service, now)));
        if count < MAX_PAGE as usize {
            break;
        }
        filter.offset += MAX_PAGE;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &all)?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(CSV_HEADER)?;
            for ticket in &all {
                writer.write_record(ticket.csv_row())?;
            }
            writer.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `tongdai stats export`: writes a survey report to a file as JSON (the API's body), as CSV for
//! Excel, or as an XLSX workbook (figures with charts, suggestions and anonymised raw answers, with
//! a progress bar on stderr while the raw answers stream); `tongdai stats rebuild`: recomputes the
//! maintained aggregates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::export::{audit_details, export_to_file, ExportError, ExportFormat, ExportJob};
use super::query::StatsQuery;
use super::report::StatsError;
use crate::auth::audit::{Actor, AuditAction, NewAuditEntry};
use crate::clock::{Clock as _, SystemClock};
use crate::config::Config;

/// What to export and where.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Survey id (e.g. sipas-2017).
    #[arg(long)]
    survey: String,
    /// First day, YYYY-MM-DD (Vietnamese local date, inclusive), on the dossier's completion.
    #[arg(long)]
    from: String,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long)]
    to: String,
    /// agency, level, field, procedure, channel, month, quarter or year.
    #[arg(long)]
    group_by: Option<String>,
    #[arg(long)]
    agency: Option<String>,
    /// tinh, huyen or xa.
    #[arg(long)]
    level: Option<String>,
    #[arg(long)]
    field: Option<String>,
    #[arg(long)]
    procedure: Option<String>,
    /// truc_tiep or truc_tuyen.
    #[arg(long)]
    channel: Option<String>,
    /// json (the API's body), csv (one row per question) or xlsx (workbook with charts,
    /// suggestions and anonymised raw answers).
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
}

impl ExportArgs {
    /// The request as API query parameters.
    fn params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            ("survey".to_owned(), self.survey.clone()),
            ("from".to_owned(), self.from.clone()),
            ("to".to_owned(), self.to.clone()),
        ];
        for (key, value) in [
            ("group_by", &self.group_by),
            ("agency", &self.agency),
            ("level", &self.level),
            ("field", &self.field),
            ("procedure", &self.procedure),
            ("channel", &self.channel),
        ] {
            params.extend(value.clone().map(|v| (key.to_owned(), v)));
        }
        params
    }
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Export the satisfaction figures of one survey over a period.
    Export(Box<ExportArgs>),
    /// Recompute the statistics aggregates from the raw answers and surveys (after restoring or
    /// editing data by hand; the service keeps them up to date by itself).
    Rebuild,
}

/// Runs a `stats` command; prints errors to stderr.
pub fn run(config: &Config, command: StatsCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tongdai: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        StatsCommand::Export(args) => runtime.block_on(export(config, &args)),
        StatsCommand::Rebuild => runtime.block_on(rebuild(config)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn rebuild(config: &Config) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let started = std::time::Instant::now();
    store.stats.rebuild_aggregates().await.context("rebuilding the statistics aggregates")?;
    eprintln!("statistics aggregates rebuilt in {:.1?}", started.elapsed());
    Ok(ExitCode::SUCCESS)
}

/// The raw-data progress bar (drawn only when stderr is a terminal).
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} phiếu ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("dữ liệu thô");
    bar
}

async fn export(config: &Config, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let query = match StatsQuery::from_params(&args.params()) {
        Ok(query) => query,
        Err(why) => {
            eprintln!("tongdai: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let catalog = crate::surveys::settings::load_catalog(&config.survey)
        .map_err(|problems| anyhow::anyhow!("loading survey definitions:\n  - {}", problems.join("\n  - ")))?;
    let store = crate::app::open_store(config).await?;
    let rules = config.stats.rules_for(&query.survey);
    let now = SystemClock.now();
    let job = ExportJob {
        store: store.stats.as_ref(),
        catalog: &catalog,
        rules: &rules,
        query: &query,
        generated_at: now,
        tempdir: None,
    };
    let bar = (args.format == ExportFormat::Xlsx).then(progress_bar);
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let outcome = match export_to_file(&job, args.format, &args.out, &progress).await {
        Ok(outcome) => outcome,
        Err(ExportError::Report(StatsError::UnknownSurvey(id))) => {
            eprintln!("tongdai: unknown survey `{id}`; known: {}", catalog.ids().join(", "));
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let entry = NewAuditEntry::new(now, &Actor::cli(), AuditAction::StatsExported)
        .target(format!("survey:{}", query.survey))
        .details(audit_details(&query, args.format, &outcome));
    store.audit.append(&entry).await.context("recording the export in the audit log")?;
    if args.format == ExportFormat::Xlsx {
        eprintln!(
            "{} written: sheets {}; {} answered dossiers, {} suggestions",
            args.out.display(),
            outcome.sheets.join(", "),
            outcome.respondents,
            outcome.suggestions
        );
    } else {
        eprintln!("{} written: {} questions, {} groups", args.out.display(), outcome.questions, outcome.groups);
    }
    Ok(ExitCode::SUCCESS)
}

//! `tongdai stats export`: writes a survey report to a file as JSON (the API's body) or as CSV
//! for Excel; `tongdai stats rebuild`: recomputes the maintained aggregates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};

use super::query::StatsQuery;
use super::report::survey_report;
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

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
    /// agency, level, field, procedure, channel, month or quarter.
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
    let report = match survey_report(store.stats.as_ref(), &catalog, &query, &rules).await {
        Ok(report) => report,
        Err(super::report::StatsError::UnknownSurvey(id)) => {
            eprintln!("tongdai: unknown survey `{id}`; known: {}", catalog.ids().join(", "));
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let bytes = match args.format {
        ExportFormat::Json => serde_json::to_vec_pretty(&report).context("serialising the report")?,
        ExportFormat::Csv => super::csv_export::to_csv(&report)?,
    };
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("{} written: {} questions, {} groups", args.out.display(), report.questions.len(), report.groups.len());
    Ok(ExitCode::SUCCESS)
}

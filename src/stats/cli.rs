//! `tongdai stats export`: writes a survey report to a file as JSON (the API's body) or as CSV
//! for Excel.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};

use super::compute::AggregationRules;
use super::query::StatsQuery;
use super::report::survey_report;
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Export the satisfaction figures of one survey over a period.
    Export {
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
    },
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
    match runtime.block_on(execute(config, command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tongdai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(config: &Config, command: StatsCommand) -> anyhow::Result<ExitCode> {
    let StatsCommand::Export { survey, from, to, group_by, agency, level, field, procedure, channel, format, out } =
        command;
    let mut params = vec![("survey".to_owned(), survey), ("from".to_owned(), from), ("to".to_owned(), to)];
    for (key, value) in [
        ("group_by", group_by),
        ("agency", agency),
        ("level", level),
        ("field", field),
        ("procedure", procedure),
        ("channel", channel),
    ] {
        params.extend(value.map(|v| (key.to_owned(), v)));
    }
    let query = match StatsQuery::from_params(&params) {
        Ok(query) => query,
        Err(why) => {
            eprintln!("tongdai: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let catalog = crate::surveys::settings::load_catalog(&config.survey)
        .map_err(|problems| anyhow::anyhow!("loading survey definitions:\n  - {}", problems.join("\n  - ")))?;
    let store = crate::app::open_store(config).await?;
    let report = match survey_report(store.stats.as_ref(), &catalog, &query, &AggregationRules::default()).await {
        Ok(report) => report,
        Err(super::report::StatsError::UnknownSurvey(id)) => {
            eprintln!("tongdai: unknown survey `{id}`; known: {}", catalog.ids().join(", "));
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let bytes = match format {
        ExportFormat::Json => serde_json::to_vec_pretty(&report).context("serialising the report")?,
        ExportFormat::Csv => super::csv_export::to_csv(&report)?,
    };
    std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("{} written: {} questions, {} groups", out.display(), report.questions.len(), report.groups.len());
    Ok(ExitCode::SUCCESS)
}

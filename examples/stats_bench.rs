//! Benchmark of the satisfaction statistics: seeds a database with about N raw answers (default
//! 500,000) through the survey store (dossiers, sends, web submissions of survey `sipas-2017`),
//! then times `survey_report` for a year, ungrouped, grouped and filtered.
//!
//! `cargo run --release --example stats_bench -- [ANSWERS] [DATABASE_URL]`
//! (default: a fresh SQLite file in the temporary folder; a PostgreSQL URL must name an empty
//! database).

use std::time::{Duration as StdDuration, Instant};

use anyhow::Context as _;
use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tongdai::config::{Config, DatabaseConfig};
use tongdai::jobs::NewJob;
use tongdai::stats::compute::AggregationRules;
use tongdai::stats::query::StatsQuery;
use tongdai::stats::report::survey_report;
use tongdai::store::Store;
use tongdai::surveys::model::{
    AnswerChannel, ContactHistory, Dossier, DossierChannel, DueInstance, InstancePlan, Level, NewAnswer, SendDecision,
    Submission,
};
use tongdai::surveys::AnswerValue;

const SURVEY: &str = "sipas-2017";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target: usize =
        args.first().map(|a| a.parse()).transpose().context("ANSWERS must be a number")?.unwrap_or(500_000);
    let url = match args.get(1) {
        Some(url) => url.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!("tongdai_stats_bench_{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}/bench.db", dir.display())
        }
    };
    let store = Store::connect(&DatabaseConfig { url: url.clone(), ..DatabaseConfig::default() }).await?;
    store.health.migrate().await?;
    let catalog = tongdai::surveys::settings::load_catalog(&Config::default().survey)
        .map_err(|p| anyhow::anyhow!("survey definitions: {}", p.join("; ")))?;
    let survey = catalog.get(SURVEY).context("sipas-2017 is missing")?;
    let questions: Vec<String> = survey.questions.iter().map(|q| q.code().to_owned()).collect();
    let dossiers = target.div_ceil(questions.len());
    println!("backend {}: seeding {dossiers} dossiers × {} questions", store.kind.name(), questions.len());

    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let now = Utc.with_ymd_and_hms(2026, 1, 10, 3, 0, 0).single().context("date")?;
    let year_start = Utc.with_ymd_and_hms(2024, 12, 31, 17, 0, 0).single().context("date")?;
    let seeding = Instant::now();
    let batch = 1000;
    for start in (0..dossiers).step_by(batch) {
        let rows: Vec<Dossier> = (start..(start + batch).min(dossiers))
            .map(|i| {
                let agency = rng.gen_range(0..40);
                let completed_at = year_start + Duration::minutes(rng.gen_range(0..365 * 24 * 60));
                Dossier {
                    code: format!("HS-{i:07}"),
                    procedure_code: format!("1.{:06}", rng.gen_range(0..200)),
                    procedure_name: "Thủ tục".into(),
                    field: format!("Lĩnh vực {}", rng.gen_range(0..15)),
                    agency_code: format!("H27.{agency:02}"),
                    agency_name: format!("Cơ quan {agency}"),
                    level: [Level::Tinh, Level::Huyen, Level::Xa][agency % 3],
                    received_at: completed_at - Duration::days(5),
                    completed_at,
                    channel: if rng.gen_bool(0.5) { DossierChannel::TrucTiep } else { DossierChannel::TrucTuyen },
                    citizen_name: None,
                    phone: None,
                    zalo_user_id: Some(format!("u{i}")),
                }
            })
            .collect();
        let plan =
            |d: &Dossier, _: &ContactHistory| InstancePlan::Scheduled { token: format!("t-{}", d.code), due_at: now };
        store.surveys.store_dossiers(&rows, &plan, now).await?;
        let decide = |item: &DueInstance| SendDecision::Send {
            job: NewJob::new("bench.noop", json!({}), 1).unique(format!("bench:{}", item.instance.id)),
            reminder_at: None,
            expires_at: now + Duration::days(30),
            first_step: None,
        };
        store.surveys.dispatch_due(now, u32::try_from(batch)?, &decide).await?;
        for row in &rows {
            let instance = store.surveys.instance_by_dossier(&row.code).await?.context("instance")?;
            let answers = questions
                .iter()
                .map(|q| NewAnswer { question_code: q.clone(), value: AnswerValue::Score(rng.gen_range(1..=5)) })
                .collect();
            let submission = Submission {
                instance_id: instance.id,
                survey_id: SURVEY.into(),
                survey_version: survey.version,
                channel: AnswerChannel::Web,
                answers,
            };
            store.surveys.submit(&submission, now).await?;
        }
    }
    println!("seeded {} answers in {:.1?}", dossiers * questions.len(), seeding.elapsed());

    let rules = AggregationRules::default();
    for extra in [
        vec![],
        vec![("group_by", "agency")],
        vec![("group_by", "month")],
        vec![("group_by", "procedure")],
        vec![("agency", "H27.07")],
        vec![("group_by", "month"), ("level", "xa")],
    ] {
        let mut params = vec![
            ("survey".to_owned(), SURVEY.to_owned()),
            ("from".into(), "2025-01-01".into()),
            ("to".into(), "2025-12-31".into()),
        ];
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let query = StatsQuery::from_params(&params).map_err(anyhow::Error::msg)?;
        let mut times: Vec<StdDuration> = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            let started = Instant::now();
            last = Some(survey_report(store.stats.as_ref(), &catalog, &query, &rules).await?);
            times.push(started.elapsed());
        }
        times.sort();
        let report = last.context("no run")?;
        println!(
            "{:<32} median {:>8.1?}  min {:>8.1?}  responses {:>6}  groups {:>3}  overall {:.2}",
            format!("{extra:?}"),
            times[times.len() / 2],
            times[0],
            report.responses,
            report.groups.len(),
            report.overall.index.unwrap_or_default()
        );
    }
    Ok(())
}

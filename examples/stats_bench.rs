//! Benchmark of the satisfaction statistics: seeds a database with about N raw answers (default
//! 5,000,000) of survey `sipas-2017` over one year (2025), builds the maintained aggregates from
//! them, times a few hundred submissions through the real survey store (which maintain the
//! aggregates in their transaction), then times `survey_report` for the year: ungrouped, by each
//! dimension, filtered, on two dimensions (read from the raw answers) and over partial months.
//!
//! `cargo run --release --example stats_bench -- [--seed-only] [ANSWERS] [DATABASE_URL]`
//! (default: a fresh SQLite file in the temporary folder; a PostgreSQL URL must name an empty
//! database). `--seed-only` stops after seeding and rebuilding the aggregates and keeps the
//! database, e.g. to time `tongdai stats export` on it.
//!
//! Seeding uses the store's bulk path (`StatsStore::seed_answered`: multi-row inserts of answered
//! dossiers, instances and answers, no aggregates) and then `rebuild_aggregates` (the migration's
//! backfill); the aggregates are thus exactly those the survey store would have maintained.

use std::time::{Duration as StdDuration, Instant};

use anyhow::Context as _;
use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tongdai::config::{Config, DatabaseConfig};
use tongdai::jobs::NewJob;
use tongdai::stats::compute::AggregationRules;
use tongdai::stats::model::SeedDossier;
use tongdai::stats::query::StatsQuery;
use tongdai::stats::report::survey_report;
use tongdai::store::Store;
use tongdai::surveys::model::{
    AnswerChannel, ContactHistory, Dossier, DossierChannel, DueInstance, InstancePlan, Level, NewAnswer, SendDecision,
    Submission,
};
use tongdai::surveys::AnswerValue;

const SURVEY: &str = "sipas-2017";
/// Dossiers written through the real survey store after seeding, to time submissions.
const LIVE_DOSSIERS: usize = 300;

fn random_dossier(rng: &mut rand::rngs::StdRng, i: usize) -> anyhow::Result<Dossier> {
    let year_start = Utc.with_ymd_and_hms(2024, 12, 31, 17, 0, 0).single().context("date")?;
    let agency = rng.gen_range(0..40);
    let completed_at = year_start + Duration::minutes(rng.gen_range(0..365 * 24 * 60));
    Ok(Dossier {
        code: format!("HS-{i:08}"),
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
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let seed_only = args.iter().any(|a| a == "--seed-only");
    args.retain(|a| a != "--seed-only");
    let target: usize =
        args.first().map(|a| a.parse()).transpose().context("ANSWERS must be a number")?.unwrap_or(5_000_000);
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
    let seeding = Instant::now();
    let batch = 2000;
    for start in (0..dossiers).step_by(batch) {
        let mut rows = Vec::with_capacity(batch);
        for i in start..(start + batch).min(dossiers) {
            let dossier = random_dossier(&mut rng, i)?;
            let answers = questions.iter().map(|q| (q.clone(), rng.gen_range(1..=5))).collect();
            rows.push(SeedDossier {
                dossier,
                survey_id: SURVEY.into(),
                survey_version: survey.version,
                answered_at: now,
                answers,
            });
        }
        store.stats.seed_answered(&rows).await?;
    }
    let seeded = seeding.elapsed();
    let rebuilding = Instant::now();
    store.stats.rebuild_aggregates().await?;
    println!(
        "seeded {} answers in {seeded:.1?}; aggregates rebuilt in {:.1?}",
        dossiers * questions.len(),
        rebuilding.elapsed()
    );
    if seed_only {
        println!("database kept: {url}");
        return Ok(());
    }

    // Submissions through the survey store, which maintains the aggregates in their transaction.
    let live: Vec<Dossier> =
        (dossiers..dossiers + LIVE_DOSSIERS).map(|i| random_dossier(&mut rng, i)).collect::<anyhow::Result<_>>()?;
    let plan =
        |d: &Dossier, _: &ContactHistory| InstancePlan::Scheduled { token: format!("t-{}", d.code), due_at: now };
    store.surveys.store_dossiers(&live, &plan, now).await?;
    let decide = |item: &DueInstance| SendDecision::Send {
        job: NewJob::new("bench.noop", json!({}), 1).unique(format!("bench:{}", item.instance.id)),
        reminder_at: None,
        expires_at: now + Duration::days(30),
        first_step: None,
    };
    store.surveys.dispatch_due(now, u32::try_from(LIVE_DOSSIERS)?, &decide).await?;
    let mut submissions = Vec::new();
    for row in &live {
        let instance = store.surveys.instance_by_dossier(&row.code).await?.context("instance")?;
        let answers = questions
            .iter()
            .map(|q| NewAnswer { question_code: q.clone(), value: AnswerValue::Score(rng.gen_range(1..=5)) })
            .collect();
        submissions.push(Submission {
            instance_id: instance.id,
            survey_id: SURVEY.into(),
            survey_version: survey.version,
            channel: AnswerChannel::Web,
            answers,
        });
    }
    let mut times = Vec::new();
    for submission in &submissions {
        let started = Instant::now();
        store.surveys.submit(submission, now).await?;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{LIVE_DOSSIERS} submissions of {} answers through the survey store: median {:.2?}, p90 {:.2?}",
        questions.len(),
        times[times.len() / 2],
        times[times.len() * 9 / 10]
    );

    let rules = AggregationRules::default();
    let year = ("2025-01-01", "2025-12-31");
    for (from, to, extra) in [
        (year.0, year.1, vec![]),
        (year.0, year.1, vec![("group_by", "agency")]),
        (year.0, year.1, vec![("group_by", "level")]),
        (year.0, year.1, vec![("group_by", "field")]),
        (year.0, year.1, vec![("group_by", "procedure")]),
        (year.0, year.1, vec![("group_by", "channel")]),
        (year.0, year.1, vec![("group_by", "month")]),
        (year.0, year.1, vec![("group_by", "quarter")]),
        (year.0, year.1, vec![("agency", "H27.07")]),
        (year.0, year.1, vec![("group_by", "month"), ("level", "xa")]),
        (year.0, year.1, vec![("group_by", "procedure"), ("agency", "H27.07")]),
        ("2025-01-15", "2025-12-20", vec![]),
        ("2025-01-15", "2025-12-20", vec![("group_by", "agency")]),
    ] {
        let mut params =
            vec![("survey".to_owned(), SURVEY.to_owned()), ("from".into(), from.into()), ("to".into(), to.into())];
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
        let label = if from == year.0 { format!("{extra:?}") } else { format!("{from}…{to} {extra:?}") };
        println!(
            "{label:<52} median {:>8.1?}  min {:>8.1?}  responses {:>7}  groups {:>3}  overall {:.2}",
            times[times.len() / 2],
            times[0],
            report.responses,
            report.groups.len(),
            report.overall.index.unwrap_or_default()
        );
    }
    Ok(())
}

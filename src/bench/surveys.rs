//! `tongdai bench surveys`: the survey dispatch rate. `--dossiers` dossiers completed yesterday
//! are stored with their surveys due now, each for its own citizen who wrote to the OA a moment
//! ago (reachable by chat); then the service starts as a child process (`tongdai serve`, survey
//! dispatch every second, any hour) against the simulator with its rate limit off, and the time
//! until the simulator has received a survey for every citizen is measured.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::child::ServiceChild;
use super::scratch::{backend_name, ScratchDir};
use super::simhost::SimHost;
use crate::calendar::duration::HumanDuration;
use crate::clock::{Clock as _, SystemClock};
use crate::sim::Endpoint;
use crate::store::bench::BenchStore;
use crate::surveys::csv_import::{check_rows, read_csv};
use crate::surveys::SurveyService;

/// Surveys are waited for until none has arrived for this long.
const SETTLE: Duration = Duration::from_secs(15);

/// Options of `tongdai bench surveys`.
#[derive(Debug, Clone, clap::Args)]
pub struct SurveysBenchArgs {
    /// Dossiers (and citizens) whose surveys are due.
    #[arg(long, default_value_t = 5000)]
    pub dossiers: usize,
    /// Database for the service (default: a new SQLite file in a temporary folder); use an
    /// empty PostgreSQL database.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// What reached the simulator.
#[derive(Debug, Default)]
struct Arrivals {
    citizens: HashSet<String>,
    chat_messages: u64,
    templates: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct SurveysReport {
    pub backend: &'static str,
    pub dossiers: usize,
    /// Citizens who received a survey.
    pub reached: usize,
    pub chat_messages: u64,
    pub templates: u64,
    pub startup: Duration,
    /// From the service being ready to the first and to the last survey received.
    pub first: Duration,
    pub last: Duration,
}

impl SurveysReport {
    pub fn per_second(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let reached = self.reached as f64;
        reached / self.last.as_secs_f64().max(1e-9)
    }

    pub fn line(&self) -> String {
        #[allow(clippy::cast_precision_loss)]
        let steady = self.reached as f64 / (self.last - self.first).as_secs_f64().max(1e-9);
        format!(
            "surveys ({}, {} dossiers due, citizens reachable by chat): {} of {} citizens received their survey \
             ({} chat messages, {} templates) {:.2} s after the service was ready (first after {:.2} s): \
             {:.0} surveys/s ({steady:.0}/s from the first to the last)",
            self.backend,
            self.dossiers,
            self.reached,
            self.dossiers,
            self.chat_messages,
            self.templates,
            self.last.as_secs_f64(),
            self.first.as_secs_f64(),
            self.per_second(),
        )
    }
}

/// Runs the benchmark with `binary` as the service.
pub async fn run(args: &SurveysBenchArgs, binary: &Path) -> anyhow::Result<SurveysReport> {
    let folder = ScratchDir::new()?;
    let host = SimHost::start().await?;
    let database_url = folder.database_url(args.database_url.as_deref());
    let mut config = host.service_config(&database_url, &folder.path().join("data"))?;
    crate::demo::demo_survey_timing(&mut config);
    config.survey.dispatch_interval = HumanDuration::from_secs(1);
    let store = host.prepare_database(&config).await?;
    let clock = SystemClock;
    let now = clock.now();
    let mut ids = Vec::with_capacity(args.dossiers);
    for n in 0..args.dossiers {
        let citizen = host.sim.create_citizen(&format!("Công dân {n}"), None);
        host.sim.set_last_interaction(&citizen.user_id, Some(now)).context("opening the simulated chat window")?;
        ids.push(citizen.user_id);
    }
    let seeding = BenchStore::connect(&config.database).await.context("opening the database to seed citizens")?;
    seeding.seed_interactions(&ids, now).await.context("recording the citizens' messages")?;
    drop(seeding);
    // Codes of this run only: a database used before keeps its dossiers apart.
    let prefix = format!("KS{:06x}", rand::random::<u32>() & 0xff_ffff);
    let text =
        super::dossier_csv::dossiers(args.dossiers, &prefix, now - chrono::Duration::days(1), &|n| ids.get(n).cloned());
    let dossiers = read_csv(text.as_bytes())
        .and_then(|file| check_rows(&file, now))
        .map_err(|problems| anyhow::anyhow!("generated dossiers refused: {}", problems[0]))?;
    let (service, _) = SurveyService::from_config(&config, store.surveys.clone()).context("setting up surveys")?;
    service.store_dossiers(&dossiers, now, &|| {}).await.context("storing the dossiers")?;
    drop(store);

    let arrivals = Arc::new(Mutex::new(Arrivals::default()));
    let observed = arrivals.clone();
    host.sim.observe_sends(Some(Arc::new(move |endpoint, user_id| {
        let at = Instant::now();
        let mut arrivals = observed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match endpoint {
            Endpoint::MessageCs => arrivals.chat_messages += 1,
            _ => arrivals.templates += 1,
        }
        if let Some(user_id) = user_id {
            if arrivals.citizens.insert(user_id.to_owned()) {
                arrivals.first.get_or_insert(at);
                arrivals.last = Some(at);
            }
        }
    })));
    let mut service = ServiceChild::spawn(binary, &config, folder.path())?;
    let startup = service.wait_ready(Duration::from_secs(60)).await?;
    let ready = Instant::now();
    let reached = || arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).citizens.len();
    service.wait_for(args.dossiers, SETTLE, reached).await?;
    host.sim.observe_sends(None);
    let arrivals = arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (Some(first), Some(last)) = (arrivals.first, arrivals.last) else {
        bail!("no survey reached the simulator:\n{}", service.log_tail(20));
    };
    Ok(SurveysReport {
        backend: backend_name(&database_url),
        dossiers: args.dossiers,
        reached: arrivals.citizens.len(),
        chat_messages: arrivals.chat_messages,
        templates: arrivals.templates,
        startup,
        first: first.saturating_duration_since(ready),
        last: last.saturating_duration_since(ready),
    })
}

/// `tongdai bench surveys`: runs and prints one line.
pub async fn cli(args: SurveysBenchArgs) -> anyhow::Result<()> {
    let report = run(&args, &super::e2e::current_binary()?).await?;
    println!("{}", report.line());
    Ok(())
}

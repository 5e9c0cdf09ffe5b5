//! Wiring: configuration → logging → store → workers and scheduler → HTTP server, and the
//! graceful shutdown that ties them together.

use std::sync::Arc;

use anyhow::Context as _;

use crate::clock::{SharedClock, SystemClock};
use crate::config::{Config, LoadedConfig, LogFormat};
use crate::inbound::Intake;
use crate::jobs::scheduler::{LeaseRescuer, Scheduler};
use crate::jobs::worker::{WorkerPool, WorkerSettings};
use crate::jobs::Registry;
use crate::metrics::Metrics;
use crate::shutdown::{self, Shutdown};
use crate::store::Store;
use crate::surveys::dispatch::SurveyDispatcher;
use crate::surveys::SurveyService;

/// What every HTTP handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: SharedClock,
    pub metrics: Metrics,
    pub intake: Arc<Intake>,
    pub surveys: Arc<SurveyService>,
}

/// Sets up `tracing` from the configuration. Call once, early.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.server.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = match config.server.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Human => builder.try_init(),
    };
    if result.is_err() {
        // Already initialised (tests, or a second call): keep the first subscriber.
    }
}

/// Reports what was noticed while loading the configuration.
pub fn log_config_warnings(loaded: &LoadedConfig) {
    match &loaded.source {
        Some(path) => tracing::info!(file = %path.display(), "configuration loaded"),
        None => tracing::info!("no tongdai.toml found; using defaults and TONGDAI_* variables"),
    }
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
}

/// Connects to the database and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database).await.with_context(|| {
        format!("opening the database {}", crate::config::redact_url_password(&config.database.url))
    })?;
    store.health.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// A name for this process's workers that is unique across instances.
fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

/// Threads of the background runtime (conversation and job workers, scheduled ticks).
const BACKGROUND_THREADS: usize = 2;

/// Runs the service until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("binding {} (server.listen)", config.server.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%address, backend = store.kind.name(), "tongdai is serving");
    run_until_shutdown(config, store, clock, listener, shutdown::os_signal()).await
}

/// Serves on `listener` until `stop` resolves, then drains requests and workers.
pub async fn run_until_shutdown(
    config: Config,
    store: Store,
    clock: SharedClock,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_routes(config, store, clock, listener, stop, axum::Router::new()).await
}

/// The webhook secrets from `[zalo]`, when both are set.
fn webhook_secrets(config: &Config) -> Option<crate::inbound::WebhookSecrets> {
    let zalo = &config.zalo;
    (!zalo.app_id.trim().is_empty() && !zalo.oa_secret_key.trim().is_empty()).then(|| crate::inbound::WebhookSecrets {
        app_id: zalo.app_id.clone(),
        oa_secret_key: zalo.oa_secret_key.clone(),
        oa_id: Some(zalo.oa_id.clone()).filter(|id| !id.trim().is_empty()),
    })
}

/// The conversation processor built from the configuration.
pub fn conversation_processor(
    config: &Config,
    store: &Store,
    surveys: Arc<SurveyService>,
) -> anyhow::Result<crate::inbound::processor::ConversationProcessor> {
    let bot = crate::bot::BotSettings::from_config(&config.bot).context("reading [bot]")?;
    let catalogue = bot.load_catalogue().context("loading the branch catalogue")?;
    let calendar = config.tickets.calendar(config.timezone()).map_err(anyhow::Error::msg)?;
    let tickets = crate::tickets::service::TicketService::from_config(config, store.tickets.clone())?;
    Ok(crate::inbound::processor::ConversationProcessor {
        store: store.clone(),
        catalogue: Arc::new(catalogue),
        calendar: Arc::new(calendar),
        bot: Arc::new(bot),
        surveys,
        tickets: Arc::new(tickets),
        oa_id: Some(config.zalo.oa_id.clone()).filter(|id| !id.trim().is_empty()),
        send_attempts: config.jobs.max_attempts,
    })
}

/// Serves only the HTTP side (webhook intake, API, console) with no workers or scheduler:
/// events are stored and acknowledged but not processed. For measuring intake alone.
pub async fn run_intake_only(
    config: Config,
    store: Store,
    clock: SharedClock,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = http_only_state(config, store, clock)?;
    axum::serve(listener, crate::web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(stop)
        .await
        .context("serving HTTP")
}

/// The handlers' state with no workers behind it: events are stored, nothing processes them.
pub fn http_only_state(config: Config, store: Store, clock: SharedClock) -> anyhow::Result<AppState> {
    let (surveys, _) = SurveyService::from_config(&config, store.surveys.clone()).context("setting up surveys")?;
    let wake = Arc::new(tokio::sync::Notify::new());
    let intake = Arc::new(Intake::new(webhook_secrets(&config), store.inbound.clone(), clock.clone(), wake));
    Ok(AppState { config: Arc::new(config), store, clock, metrics: Metrics::new(), intake, surveys: Arc::new(surveys) })
}

/// Like [`run_until_shutdown`], with extra routes merged into the router (the demo's simulator).
pub async fn run_with_routes(
    config: Config,
    store: Store,
    clock: SharedClock,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    extra_routes: axum::Router<AppState>,
) -> anyhow::Result<()> {
    let metrics = Metrics::new();
    let (trigger, shutdown) = shutdown::channel();
    let grace = config.server.shutdown_grace.as_duration();
    let mut registry = Registry::new();
    let zalo = crate::zalo::service::start(&config, &store, clock.clone()).await.context("starting the Zalo sender")?;
    if let Some(zalo) = &zalo {
        registry.register(crate::zalo::outbound::SEND_JOB_KIND, zalo.sender.clone());
    }
    crate::tickets::jobs::register_handlers(&mut registry, &config, &store, &clock)?;
    let (surveys, survey_warnings) =
        SurveyService::from_config(&config, store.surveys.clone()).context("setting up surveys")?;
    for warning in survey_warnings {
        tracing::warn!("{warning}");
    }
    let surveys = Arc::new(surveys);
    let imports = crate::surveys::import_job::ImportJob {
        surveys: surveys.clone(),
        imports: store.survey_imports.clone(),
        clock: clock.clone(),
    };
    registry.register(crate::surveys::imports::IMPORT_JOB_KIND, Arc::new(imports));
    let workers = Arc::new(WorkerPool::new(
        store.jobs.clone(),
        registry,
        clock.clone(),
        WorkerSettings::from_config(&config.jobs, grace),
        metrics.clone(),
        worker_id(),
    ));
    // Processing runs on its own lower-priority threads: acknowledgements first (see background).
    let background = crate::background::BackgroundRuntime::start(BACKGROUND_THREADS)?;
    let worker_task = background.spawn(workers.clone().run(shutdown.clone()));
    let mut scheduler = Scheduler::new();
    scheduler.every(config.jobs.rescue_interval.as_duration(), Arc::new(LeaseRescuer { store: store.jobs.clone() }));
    scheduler
        .every(config.survey.dispatch_interval.as_duration(), Arc::new(SurveyDispatcher { service: surveys.clone() }));
    if let Some(zalo) = &zalo {
        let every = chrono::Duration::seconds(crate::zalo::tokens::REFRESH_TICK_SECS);
        scheduler.every(every, zalo.refresh_tick.clone());
    }
    crate::tickets::jobs::schedule(&mut scheduler, &config, &store)?;
    let ticks = {
        let _on_background = background.enter();
        scheduler.spawn(&clock, &shutdown)
    };

    let conversation_wake = Arc::new(tokio::sync::Notify::new());
    let processor = conversation_processor(&config, &store, surveys.clone())?;
    let conversations = Arc::new(
        crate::inbound::worker::ConversationWorker::new(
            store.inbound.clone(),
            Arc::new(processor),
            clock.clone(),
            crate::inbound::worker::ConversationSettings::default(),
            worker_id(),
            conversation_wake.clone(),
        )
        .waking_jobs(workers.waker()),
    );
    let conversation_task = background.spawn(conversations.run(shutdown.clone()));
    let intake =
        Arc::new(Intake::new(webhook_secrets(&config), store.inbound.clone(), clock.clone(), conversation_wake));
    let state = AppState { config: Arc::new(config), store, clock, metrics, intake, surveys };
    let router = crate::web::router_with(state, extra_routes);
    let http_shutdown = shutdown_after(stop, trigger);
    // Connection info gives the console's audit log the client address.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(http_shutdown).await.context("serving HTTP")?;
    tracing::info!("HTTP drained; waiting for workers");
    if let Err(e) = conversation_task.await {
        tracing::error!(error = %e, "conversation worker ended abnormally");
    }
    if let Err(e) = worker_task.await {
        tracing::error!(error = %e, "worker pool ended abnormally");
    }
    for tick in ticks {
        let _ = tick.await;
    }
    drop(background);
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_after(stop: impl std::future::Future<Output = ()>, trigger: shutdown::ShutdownTrigger) {
    stop.await;
    trigger.trigger();
}

/// Resolves when `shutdown` triggers; for callers that hold a [`Shutdown`].
pub async fn until(mut shutdown: Shutdown) {
    shutdown.wait().await;
}

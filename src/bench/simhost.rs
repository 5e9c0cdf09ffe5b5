//! The Zalo simulator served by the benchmark process on a loopback port, with its rate limit
//! and quotas out of the way, and the configuration of a service (`tongdai serve` as a child)
//! that talks to it — modelled on the demo's (`crate::demo::configure_for_simulator`).

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::sim::{SimConfig, Simulator};
use crate::store::Store;

/// OA API calls per minute the benchmarked service allows itself. Zalo's real limit is 4,000
/// per minute for the whole OA (`zalo.rate_limit_per_minute`'s default); the benchmarks measure
/// what the service can do, so its own limiter is raised out of the way like the simulator's.
pub const UNLIMITED_PER_MINUTE: u32 = 100_000_000;

/// A simulator listening on `127.0.0.1`; stopped when dropped.
pub struct SimHost {
    pub sim: Simulator,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SimHost {
    /// Starts a simulator with no citizens, no rate limit and no webhook target (the benchmark
    /// sends the events itself).
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the simulator's port")?;
        let address = listener.local_addr().context("reading the simulator's address")?;
        let config = SimConfig {
            public_url: format!("http://{address}/sim"),
            webhook_url: None,
            rate_limit_per_minute: None,
            billed_cs_quota: u32::MAX,
            template_daily_quota: u32::MAX,
            ..SimConfig::default().without_citizens()
        };
        let clock: SharedClock = Arc::new(SystemClock);
        let sim = Simulator::new(config, clock).context("starting the Zalo simulator")?;
        let app: Router = Router::new().nest("/sim", sim.router());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "the benchmark's simulator stopped");
            }
        });
        Ok(Self { sim, stop: Some(stop) })
    }

    /// A service configuration pointing at this simulator: the database, a data folder, a
    /// free loopback port, warnings-only logs, a token encryption key, the simulator's
    /// credentials and tokens, and the
    /// service's own Zalo rate limit raised ([`UNLIMITED_PER_MINUTE`]).
    pub fn service_config(&self, database_url: &str, data_dir: &std::path::Path) -> anyhow::Result<Config> {
        let mut config = Config::default();
        config.database.url = database_url.to_owned();
        config.general.data_dir = data_dir.display().to_string();
        config.server.listen = format!("127.0.0.1:{}", super::child::free_port()?);
        config.server.log_level = "warn".into();
        // A key of this run only, given rather than generated into the data folder (no warning).
        let key: [u8; 32] = rand::random();
        config.security.encryption_key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key);
        crate::demo::configure_for_simulator(&mut config, &self.sim);
        config.zalo.rate_limit_per_minute = UNLIMITED_PER_MINUTE;
        Ok(config)
    }

    /// Opens (and migrates) the service's database and stores the simulator's tokens in it, as
    /// the demo does: a database used before keeps no stale token.
    pub async fn prepare_database(&self, config: &Config) -> anyhow::Result<Store> {
        let store = crate::app::open_store(config).await?;
        let clock: SharedClock = Arc::new(SystemClock);
        let zalo = crate::zalo::service::build(config, &store, clock)?;
        let tokens = self.sim.initial_tokens();
        zalo.tokens
            .replace(&tokens.access_token, &tokens.refresh_token)
            .await
            .context("storing the simulator's tokens")?;
        Ok(store)
    }
}

impl Drop for SimHost {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

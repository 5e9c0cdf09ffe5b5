//! `tongdai sim`: the Zalo simulator as its own process (for multi-instance tests and
//! benchmarks). Serves the simulator under `/sim` and prints the three base URLs to put in the
//! service's configuration (tokens are never printed: `POST /sim/api/tokens` issues a pair).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context as _;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;

use crate::calendar::duration::HumanDuration;
use crate::clock::SystemClock;
use crate::sim::config::{DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_OA_ID, DEFAULT_OA_NAME, DEFAULT_OA_SECRET_KEY};
use crate::sim::{SimConfig, Simulator};

/// Options of `tongdai sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: String,
    /// Where to POST webhook events (the service's `/webhooks/zalo`).
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// App id of the simulated Zalo app.
    #[arg(long, default_value = DEFAULT_APP_ID)]
    pub app_id: String,
    /// Id of the simulated Official Account.
    #[arg(long, default_value = DEFAULT_OA_ID)]
    pub oa_id: String,
    /// Name of the simulated Official Account.
    #[arg(long, default_value = DEFAULT_OA_NAME)]
    pub oa_name: String,
    /// OA Secret Key that signs webhook events (default: the simulator's built-in key).
    #[arg(long, env = "TONGDAI_SIM_OA_SECRET_KEY", hide_default_value = true, default_value = DEFAULT_OA_SECRET_KEY)]
    pub oa_secret_key: String,
    /// App secret expected in the OAuth `secret_key` header (default: the built-in one).
    #[arg(long, env = "TONGDAI_SIM_APP_SECRET", hide_default_value = true, default_value = DEFAULT_APP_SECRET)]
    pub app_secret: String,
    /// Absolute URL of the simulator as the service and browsers reach it
    /// (default: http://<listen address>/sim).
    #[arg(long)]
    pub public_url: Option<String>,
    /// OA API requests allowed per minute; 0 disables the limit.
    #[arg(long, default_value_t = 4000)]
    pub rate_limit: u32,
    /// Waits before the webhook retries, comma-separated (Zalo's: 30s,5m,15m,30m,1h; "" = no retry).
    #[arg(long, default_value = "30s,5m,15m,30m,1h")]
    pub retry_schedule: String,
    /// How long a webhook delivery may take before it counts as failed.
    #[arg(long, default_value = "2s")]
    pub webhook_timeout: String,
    /// Use this first access token instead of a random one.
    #[arg(long)]
    pub access_token: Option<String>,
    /// Use this first refresh token instead of a random one.
    #[arg(long)]
    pub refresh_token: Option<String>,
    /// Start without the two sample citizens.
    #[arg(long)]
    pub no_citizens: bool,
    /// ZBS/ZNS templates the OA may send per day (Zalo answers -144 beyond it).
    #[arg(long, default_value_t = 500)]
    pub template_daily_quota: u32,
}

/// Parses `"30s,5m,1h"` into waits; an empty string means no retries.
pub fn parse_schedule(text: &str) -> anyhow::Result<Vec<StdDuration>> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| HumanDuration::from_str(part).map(HumanDuration::to_std).map_err(anyhow::Error::from))
        .collect()
}

impl SimArgs {
    /// The simulator settings these options describe, with `public_url` as given.
    pub fn to_config(&self, public_url: String) -> anyhow::Result<SimConfig> {
        let defaults = SimConfig::default();
        Ok(SimConfig {
            app_id: self.app_id.clone(),
            oa_id: self.oa_id.clone(),
            oa_name: self.oa_name.clone(),
            oa_secret_key: self.oa_secret_key.clone(),
            app_secret: self.app_secret.clone(),
            public_url,
            webhook_url: self.webhook_url.clone(),
            webhook_retry_schedule: parse_schedule(&self.retry_schedule).context("--retry-schedule")?,
            webhook_timeout: HumanDuration::from_str(&self.webhook_timeout).context("--webhook-timeout")?.to_std(),
            rate_limit_per_minute: Some(self.rate_limit).filter(|n| *n > 0),
            initial_access_token: self.access_token.clone(),
            initial_refresh_token: self.refresh_token.clone(),
            citizens: if self.no_citizens { Vec::new() } else { defaults.citizens.clone() },
            template_daily_quota: self.template_daily_quota,
            ..defaults
        })
    }
}

/// Runs the simulator until SIGINT/SIGTERM.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {} (--listen)", args.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let public_url = args
        .public_url
        .clone()
        .map_or_else(|| format!("http://{address}/sim"), |url| url.trim_end_matches('/').to_owned());
    let sim = Simulator::new(args.to_config(public_url.clone())?, Arc::new(SystemClock))?;
    let urls = sim.base_urls();
    println!("Zalo simulator: chat page {public_url}");
    println!("Put these in the service's configuration:");
    println!("  zalo.api_base          = \"{}\"", urls.api_base);
    println!("  zalo.oauth_base        = \"{}\"", urls.oauth_base);
    println!("  zalo.business_api_base = \"{}\"", urls.business_api_base);
    println!("  zalo.app_id            = \"{}\"", sim.config().app_id);
    println!("  zalo.oa_id             = \"{}\"", sim.config().oa_id);
    if args.refresh_token.is_some() {
        println!("  the first refresh token is the one given with --refresh-token");
    } else {
        println!("  a token pair for the service: curl -X POST {public_url}/api/tokens");
    }
    match sim.webhook_url() {
        Some(url) => println!("Webhook events go to {url}"),
        None => println!("No --webhook-url: webhook events are only recorded"),
    }
    let to_chat = get(|| async { Redirect::to("/sim") });
    let app: Router = Router::new().nest("/sim", sim.router()).route("/", to_chat.clone()).route("/sim/", to_chat);
    axum::serve(listener, app).with_graceful_shutdown(crate::shutdown::os_signal()).await.context("serving HTTP")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        assert_eq!(
            parse_schedule("30s, 5m,1h").expect("valid"),
            vec![StdDuration::from_secs(30), StdDuration::from_secs(300), StdDuration::from_secs(3600)]
        );
        assert_eq!(parse_schedule("").expect("valid"), Vec::<StdDuration>::new());
        assert_eq!(parse_schedule("10ms").expect("valid"), vec![StdDuration::from_millis(10)]);
        assert!(parse_schedule("5 minutes").is_err());
    }
}

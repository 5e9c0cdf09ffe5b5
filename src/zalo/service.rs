//! Assembly of the Zalo sending side from configuration: the encryption key, the HTTP client, the
//! token manager (bootstrapped from configuration), the rate limiter, the API and the `zalo.send`
//! handler with its token-refresh tick. Used by `crate::app` and by the OAuth pages.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::store::Store;
use crate::zalo::api::ZaloApi;
use crate::zalo::client::{ClientSettings, ZaloClient};
use crate::zalo::crypto::{load_or_create_key, Cipher, KeySource};
use crate::zalo::oauth::OAuthFlow;
use crate::zalo::rate_limit::RateLimiter;
use crate::zalo::sender::{SenderSettings, ZaloSender};
use crate::zalo::tokens::{TokenManager, TokenRefreshTick, TokenSettings, REAUTHORISE_ADVICE};

/// The parts of the Zalo sending side, wired together.
pub struct ZaloServices {
    pub tokens: Arc<TokenManager>,
    pub api: Arc<ZaloApi>,
    pub sender: Arc<ZaloSender>,
    pub refresh_tick: Arc<TokenRefreshTick>,
}

/// The key that encrypts tokens at rest; warns when it was just generated.
pub fn cipher(config: &Config) -> anyhow::Result<Cipher> {
    let (cipher, source) = load_or_create_key(&config.security.encryption_key, Path::new(&config.general.data_dir))
        .context("loading the encryption key (security.encryption_key)")?;
    if let KeySource::Generated(path) = source {
        tracing::warn!(
            path = %path.display(),
            "security.encryption_key is not set: generated a new key in this file (mode 0600); it encrypts \
             the Zalo tokens in the database, so back it up, and with several instances set \
             security.encryption_key to the same value everywhere"
        );
    }
    Ok(cipher)
}

fn client(config: &Config) -> anyhow::Result<Arc<ZaloClient>> {
    let client = ZaloClient::new(ClientSettings::from_config(&config.zalo)).context("building the Zalo client")?;
    Ok(Arc::new(client))
}

fn tokens_with(
    config: &Config,
    store: &Store,
    clock: SharedClock,
    client: Arc<ZaloClient>,
) -> anyhow::Result<Arc<TokenManager>> {
    let settings = TokenSettings::from_config(&config.zalo);
    Ok(Arc::new(TokenManager::new(store.zalo_tokens.clone(), client, cipher(config)?, clock, settings)))
}

/// A token manager for `config` on `store` (no sending parts).
pub fn token_manager(config: &Config, store: &Store, clock: SharedClock) -> anyhow::Result<Arc<TokenManager>> {
    tokens_with(config, store, clock, client(config)?)
}

/// Everything the sender needs.
pub fn build(config: &Config, store: &Store, clock: SharedClock) -> anyhow::Result<ZaloServices> {
    let client = client(config)?;
    let tokens = tokens_with(config, store, clock.clone(), client.clone())?;
    let limiter = Arc::new(RateLimiter::per_minute(config.zalo.rate_limit_per_minute));
    let api = Arc::new(ZaloApi::new(client, tokens.clone(), limiter, clock.clone()));
    let sender = Arc::new(
        ZaloSender::new(
            api.clone(),
            store.citizens.clone(),
            store.zalo_outbound.clone(),
            clock,
            SenderSettings::from_config(&config.zalo),
        )
        .with_sequences(store.jobs.clone()),
    );
    let refresh_tick = Arc::new(TokenRefreshTick { tokens: tokens.clone() });
    Ok(ZaloServices { tokens, api, sender, refresh_tick })
}

/// Builds the sending side when `zalo.app_id` is set (else `None`, and says so), and stores the
/// configured token pair when the database holds none.
pub async fn start(config: &Config, store: &Store, clock: SharedClock) -> anyhow::Result<Option<ZaloServices>> {
    if !config.zalo.is_configured() {
        tracing::info!(
            "zalo.app_id is empty: Zalo is not configured; nothing is sent to Zalo and zalo.send jobs wait in the queue"
        );
        return Ok(None);
    }
    let services = build(config, store, clock)?;
    let stored = services
        .tokens
        .bootstrap(&config.zalo.access_token, &config.zalo.refresh_token)
        .await
        .context("storing the configured Zalo tokens")?;
    if stored {
        tracing::info!("stored the Zalo tokens from configuration (encrypted); they rotate by themselves from now on");
    } else if store.zalo_tokens.load_tokens().await.context("reading the Zalo tokens")?.is_none() {
        tracing::warn!("Zalo has no access token yet: {REAUTHORISE_ADVICE} (sends wait until then)");
    }
    tracing::info!(api_base = %config.zalo.api_base, "Zalo sender enabled");
    Ok(Some(services))
}

/// The OAuth flow of the /zalo/oauth pages.
pub fn oauth_flow(config: &Config, store: &Store, clock: SharedClock) -> anyhow::Result<OAuthFlow> {
    Ok(OAuthFlow::new(token_manager(config, store, clock)?, &config.zalo))
}

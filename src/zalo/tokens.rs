//! The OA token manager: tokens encrypted at rest in the database, bootstrap from configuration,
//! the access token for senders, proactive refresh before expiry (a scheduler tick), refresh
//! after a rejected token, and the OAuth code exchange.
//!
//! Single flight across instances: a refresh first claims the lease row of `zalo_auth` with one
//! conditional UPDATE (committed at once — the HTTP call to Zalo runs outside any transaction);
//! others wait for the token version to change. Refresh tokens are single use, so the new pair is
//! saved before the new access token is handed out. A refresh Zalo refuses is recorded (time, code,
//! message; never a token), blocks further refresh attempts until the OA is re-authorised at
//! /zalo/oauth/start, and makes `/readyz` say so.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use crate::clock::SharedClock;
use crate::jobs::scheduler::Tick;
use crate::store::{
    PendingAuthorization, RefreshFailure, SealedTokens, StoreError, StoredTokens, TokenSource, TokenStore,
};
use crate::zalo::client::{AccessToken, FailureKind, ZaloClient, ZaloError};
use crate::zalo::crypto::{Cipher, CryptoError};
use crate::zalo::responses::OAuthTokenResponse;

const ACCESS_PURPOSE: &str = "zalo.access_token";
const REFRESH_PURPOSE: &str = "zalo.refresh_token";
const VERIFIER_PURPOSE: &str = "zalo.oauth_verifier";
/// What the operator must do when tokens are missing or refused.
pub const REAUTHORISE_ADVICE: &str = "re-authorise the Official Account at /zalo/oauth/start";
/// Lifetime assumed for a configured access token given without a refresh token (Zalo: 25 h).
const ASSUMED_ACCESS_LIFETIME_HOURS: i64 = 25;
/// How long an OAuth authorisation may take between /zalo/oauth/start and the callback.
pub const AUTHORIZATION_LIFETIME_MINUTES: i64 = 10;

/// Why no usable token could be had. Never contains a token.
#[derive(Debug, Error)]
pub enum TokenError {
    #[error("no Zalo access token yet: set zalo.access_token/zalo.refresh_token or {REAUTHORISE_ADVICE}")]
    NotAuthorised,
    #[error("Zalo refused to refresh the access token ({reason}); {REAUTHORISE_ADVICE}")]
    ReauthorisationNeeded { reason: String },
    #[error("another instance is refreshing the Zalo access token and has not finished; try again")]
    RefreshInProgress,
    #[error("refreshing the Zalo access token failed for now: {0}")]
    Transient(String),
    #[error("Zalo tokens in the database: {0}")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An access token with the version of the stored pair it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentToken {
    pub token: AccessToken,
    pub version: i64,
    pub expires_at: DateTime<Utc>,
}

/// What a proactive refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    NoTokens,
    NotDue {
        expires_at: DateTime<Utc>,
    },
    Refreshed {
        expires_at: DateTime<Utc>,
    },
    /// Another instance holds the refresh lease.
    Busy,
    /// A refused refresh is recorded; nothing is tried until the OA is re-authorised.
    Blocked,
}

/// Settings of the token manager.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// Refresh when the access token expires within this.
    pub refresh_before_expiry: Duration,
    /// How long a refresh may hold the lease (longer than one OAuth call).
    pub lease: Duration,
    /// How long a sender waits for another instance's refresh.
    pub wait_for_other: std::time::Duration,
    /// How often it looks while waiting.
    pub poll: std::time::Duration,
}

impl TokenSettings {
    pub fn from_config(zalo: &crate::config::ZaloConfig) -> Self {
        let timeout = zalo.request_timeout.as_duration();
        Self {
            refresh_before_expiry: zalo.refresh_before_expiry.as_duration(),
            lease: (timeout * 3).max(Duration::seconds(30)),
            wait_for_other: (timeout * 2).to_std().unwrap_or(std::time::Duration::from_secs(20)),
            poll: std::time::Duration::from_millis(100),
        }
    }
}

/// Issues, stores and refreshes the OA's tokens.
pub struct TokenManager {
    store: Arc<dyn TokenStore>,
    client: Arc<ZaloClient>,
    cipher: Cipher,
    clock: SharedClock,
    settings: TokenSettings,
    /// Lease holder name of this manager (unique per process).
    holder: String,
}

/// The result of one attempt under the lease.
enum LeaseResult {
    Busy,
    Token(CurrentToken),
}

impl TokenManager {
    pub fn new(
        store: Arc<dyn TokenStore>,
        client: Arc<ZaloClient>,
        cipher: Cipher,
        clock: SharedClock,
        settings: TokenSettings,
    ) -> Self {
        let holder = format!("{}:{:08x}", std::process::id(), rand::random::<u32>());
        Self { store, client, cipher, clock, settings, holder }
    }

    /// Stores the configured pair when the database holds none; true when it did. With a refresh
    /// token the access token is treated as due (the first tick refreshes it and learns its real
    /// expiry); without one it is assumed valid for 25 hours.
    pub async fn bootstrap(&self, access_token: &str, refresh_token: &str) -> Result<bool, TokenError> {
        let (access_token, refresh_token) = (access_token.trim(), refresh_token.trim());
        if access_token.is_empty() && refresh_token.is_empty() {
            return Ok(false);
        }
        if self.store.load_tokens().await?.is_some() {
            return Ok(false);
        }
        let now = self.clock.now();
        let access_expires_at =
            if refresh_token.is_empty() { now + Duration::hours(ASSUMED_ACCESS_LIFETIME_HOURS) } else { now };
        let sealed = SealedTokens {
            access_token: self.cipher.seal(ACCESS_PURPOSE, access_token)?,
            refresh_token: self.cipher.seal(REFRESH_PURPOSE, refresh_token)?,
            access_expires_at,
        };
        Ok(self.store.bootstrap_tokens(&sealed, now).await?)
    }

    /// Stores this pair whatever the database holds (the demo, whose simulator issues a new
    /// pair at every start). Returns the new token version.
    pub async fn replace(&self, access_token: &str, refresh_token: &str) -> Result<i64, TokenError> {
        let now = self.clock.now();
        let sealed = SealedTokens {
            access_token: self.cipher.seal(ACCESS_PURPOSE, access_token.trim())?,
            refresh_token: self.cipher.seal(REFRESH_PURPOSE, refresh_token.trim())?,
            access_expires_at: now,
        };
        Ok(self.store.save_tokens(&sealed, TokenSource::Config, now).await?)
    }

    /// The current access token, for a send.
    pub async fn access_token(&self) -> Result<CurrentToken, TokenError> {
        let stored = self.store.load_tokens().await?.ok_or(TokenError::NotAuthorised)?;
        self.current(&stored)
    }

    /// Zalo rejected `rejected` (a Token-class error): returns a newer token — refreshed here, or
    /// by another worker or instance meanwhile (single flight).
    pub async fn refresh_after_rejection(&self, rejected: &CurrentToken) -> Result<CurrentToken, TokenError> {
        let deadline = tokio::time::Instant::now() + self.settings.wait_for_other;
        loop {
            let stored = self.store.load_tokens().await?.ok_or(TokenError::NotAuthorised)?;
            if stored.version != rejected.version {
                return self.current(&stored);
            }
            self.ensure_not_blocked().await?;
            let version = rejected.version;
            if let LeaseResult::Token(token) = self.refresh_under_lease(|stored| stored.version == version).await? {
                return Ok(token);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TokenError::RefreshInProgress);
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Refreshes when the access token expires within `refresh_before_expiry` (the tick).
    pub async fn refresh_if_due(&self) -> Result<RefreshOutcome, TokenError> {
        let Some(stored) = self.store.load_tokens().await? else { return Ok(RefreshOutcome::NoTokens) };
        if self.store.refresh_status().await?.failure.is_some() {
            return Ok(RefreshOutcome::Blocked);
        }
        let before = self.settings.refresh_before_expiry;
        let due = |stored: &StoredTokens, now: DateTime<Utc>| stored.sealed.access_expires_at - now <= before;
        if !due(&stored, self.clock.now()) {
            return Ok(RefreshOutcome::NotDue { expires_at: stored.sealed.access_expires_at });
        }
        let clock = self.clock.clone();
        match self.refresh_under_lease(move |stored| due(stored, clock.now())).await? {
            LeaseResult::Busy => Ok(RefreshOutcome::Busy),
            LeaseResult::Token(token) if token.version == stored.version => {
                Ok(RefreshOutcome::NotDue { expires_at: token.expires_at })
            }
            LeaseResult::Token(token) => Ok(RefreshOutcome::Refreshed { expires_at: token.expires_at }),
        }
    }

    /// Starts an OAuth authorisation: a PKCE verifier kept (sealed) under a random `state` for 10
    /// minutes. Returns `(state, code_challenge)`.
    pub async fn begin_authorization(&self) -> Result<(String, String), TokenError> {
        let now = self.clock.now();
        let (verifier, challenge) = crate::zalo::oauth::pkce_pair();
        let state = crate::zalo::oauth::random_state();
        let pending = PendingAuthorization {
            state: state.clone(),
            verifier_sealed: self.cipher.seal(VERIFIER_PURPOSE, &verifier)?,
            created_at: now,
            expires_at: now + Duration::minutes(AUTHORIZATION_LIFETIME_MINUTES),
        };
        self.store.save_pending_authorization(&pending, now).await?;
        Ok((state, challenge))
    }

    /// The PKCE verifier of the pending authorisation with `state` (or the most recent one when
    /// Zalo did not echo `state`); `None` when there is none (unknown, used or expired).
    pub async fn take_verifier(&self, state: Option<&str>) -> Result<Option<String>, TokenError> {
        let pending = self.store.take_pending_authorization(state, self.clock.now()).await?;
        pending.map(|p| self.cipher.open(VERIFIER_PURPOSE, &p.verifier_sealed).map_err(Into::into)).transpose()
    }

    /// Exchanges an authorisation code for the first pair and stores it (clearing a refresh failure).
    pub async fn exchange_code(&self, code: &str, verifier: &str) -> Result<DateTime<Utc>, ExchangeError> {
        let pair = self.client.exchange_code(code, verifier).await.map_err(ExchangeError::Zalo)?;
        let now = self.clock.now();
        let sealed = self.seal_pair(&pair, now)?;
        self.store.save_tokens(&sealed, TokenSource::OAuth, now).await.map_err(TokenError::from)?;
        tracing::info!(expires_at = %sealed.access_expires_at, "Zalo Official Account authorised; tokens stored");
        Ok(sealed.access_expires_at)
    }

    fn current(&self, stored: &StoredTokens) -> Result<CurrentToken, TokenError> {
        Ok(CurrentToken {
            token: AccessToken::new(self.cipher.open(ACCESS_PURPOSE, &stored.sealed.access_token)?),
            version: stored.version,
            expires_at: stored.sealed.access_expires_at,
        })
    }

    async fn ensure_not_blocked(&self) -> Result<(), TokenError> {
        match self.store.refresh_status().await?.failure {
            Some(failure) => Err(TokenError::ReauthorisationNeeded { reason: describe_failure(&failure) }),
            None => Ok(()),
        }
    }

    fn seal_pair(&self, pair: &OAuthTokenResponse, now: DateTime<Utc>) -> Result<SealedTokens, TokenError> {
        let lifetime = Duration::seconds(i64::try_from(pair.expires_in_secs).unwrap_or(i64::MAX / 1000));
        Ok(SealedTokens {
            access_token: self.cipher.seal(ACCESS_PURPOSE, &pair.access_token)?,
            refresh_token: self.cipher.seal(REFRESH_PURPOSE, &pair.refresh_token)?,
            access_expires_at: now + lifetime,
        })
    }

    /// Claims the lease; if the stored pair still `needs` a refresh, refreshes it. Always gives the
    /// lease back. `Busy` when another holder has it.
    async fn refresh_under_lease(
        &self,
        needs: impl Fn(&StoredTokens) -> bool + Send,
    ) -> Result<LeaseResult, TokenError> {
        let now = self.clock.now();
        if !self.store.try_claim_refresh(&self.holder, now, now + self.settings.lease).await? {
            return Ok(LeaseResult::Busy);
        }
        let result = self.refresh_holding_lease(needs).await;
        if let Err(e) = self.store.release_refresh(&self.holder).await {
            tracing::warn!(error = %e, "could not release the Zalo token refresh lease; it expires by itself");
        }
        result.map(LeaseResult::Token)
    }

    async fn refresh_holding_lease(
        &self,
        needs: impl Fn(&StoredTokens) -> bool + Send,
    ) -> Result<CurrentToken, TokenError> {
        self.ensure_not_blocked().await?;
        let stored = self.store.load_tokens().await?.ok_or(TokenError::NotAuthorised)?;
        if !needs(&stored) {
            return self.current(&stored);
        }
        let refresh_token = self.cipher.open(REFRESH_PURPOSE, &stored.sealed.refresh_token)?;
        if refresh_token.is_empty() {
            let failure = RefreshFailure {
                at: self.clock.now(),
                code: None,
                message: "no refresh token is stored (only zalo.access_token was configured)".into(),
            };
            return Err(self.refused(failure).await);
        }
        let pair = match self.client.refresh_tokens(&refresh_token).await {
            Ok(pair) => pair,
            Err(e) if e.kind == FailureKind::OAuth => {
                let failure = RefreshFailure { at: self.clock.now(), code: e.code, message: e.message.clone() };
                return Err(self.refused(failure).await);
            }
            Err(e) => {
                tracing::warn!(error = %e, "refreshing the Zalo access token failed; it will be tried again");
                return Err(TokenError::Transient(e.to_string()));
            }
        };
        let now = self.clock.now();
        let sealed = self.seal_pair(&pair, now)?;
        // The old refresh token is spent: the new pair must be saved before anything uses it.
        let version = self.save_with_retries(&sealed, now).await?;
        tracing::info!(expires_at = %sealed.access_expires_at, "Zalo access token refreshed");
        Ok(CurrentToken { token: AccessToken::new(pair.access_token), version, expires_at: sealed.access_expires_at })
    }

    async fn save_with_retries(&self, sealed: &SealedTokens, now: DateTime<Utc>) -> Result<i64, TokenError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.store.save_tokens(sealed, TokenSource::Refresh, now).await {
                Ok(version) => return Ok(version),
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, attempt, "saving refreshed Zalo tokens failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "refreshed Zalo tokens could not be saved; the previous refresh \
                        token is spent, so {REAUTHORISE_ADVICE}");
                    return Err(e.into());
                }
            }
        }
    }

    async fn refused(&self, failure: RefreshFailure) -> TokenError {
        let reason = describe_failure(&failure);
        tracing::error!(reason = %reason, "Zalo refused to refresh the access token; {REAUTHORISE_ADVICE}");
        if let Err(e) = self.store.record_refresh_failure(&failure).await {
            tracing::error!(error = %e, "recording the failed Zalo token refresh failed");
        }
        TokenError::ReauthorisationNeeded { reason }
    }
}

/// Why an OAuth code exchange failed.
#[derive(Debug, Error)]
pub enum ExchangeError {
    #[error(transparent)]
    Zalo(ZaloError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// "Zalo -14014: … (Invalid refresh token)" or the message alone.
pub fn describe_failure(failure: &RefreshFailure) -> String {
    match failure.code {
        Some(code) => format!("Zalo {code}: {} ({})", crate::zalo::errors::describe(code), failure.message),
        None => failure.message.clone(),
    }
}

/// The scheduler tick that refreshes the access token before it expires.
pub struct TokenRefreshTick {
    pub tokens: Arc<TokenManager>,
}

/// How often the refresh tick runs.
pub const REFRESH_TICK_SECS: i64 = 60;

#[async_trait]
impl Tick for TokenRefreshTick {
    fn name(&self) -> &'static str {
        "zalo-token-refresh"
    }

    async fn tick(&self, _now: DateTime<Utc>) -> anyhow::Result<()> {
        match self.tokens.refresh_if_due().await {
            Ok(outcome) => {
                tracing::debug!(?outcome, "Zalo token refresh tick");
                Ok(())
            }
            // Already logged with the operator's advice and recorded for /readyz.
            Err(TokenError::ReauthorisationNeeded { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

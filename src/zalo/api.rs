//! The Zalo API as senders use it: every call paced by the process-wide rate limiter, made with
//! the current access token, refreshed once and retried once when Zalo rejects the token, and a
//! pause of all sending when Zalo says the rate limit was reached.

use std::future::Future;
use std::sync::Arc;

use chrono::Duration;
use thiserror::Error;

use crate::clock::SharedClock;
use crate::zalo::client::{AccessToken, ZaloClient, ZaloError};
use crate::zalo::errors::ErrorClass;
use crate::zalo::messages::{CsMessageRequest, ZbsTemplateRequest, ZnsTemplateRequest};
use crate::zalo::rate_limit::{RateLimiter, DEFAULT_PAUSE_SECS};
use crate::zalo::responses::{SendResponse, UserDetail, UserMessageQuota, ZnsSendResponse};
use crate::zalo::tokens::{TokenError, TokenManager};

/// Why a call did not succeed.
#[derive(Debug, Error)]
pub enum CallError {
    /// Sending is paused after a rate-limit answer; nothing was sent. Try again after this long.
    #[error("sending to Zalo is paused for {}s after Zalo's rate limit was reached", .0.num_seconds())]
    Paused(Duration),
    /// Zalo answered with an error (or could not be reached).
    #[error(transparent)]
    Zalo(ZaloError),
    /// No usable access token.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Client + tokens + pacing.
pub struct ZaloApi {
    client: Arc<ZaloClient>,
    tokens: Arc<TokenManager>,
    limiter: Arc<RateLimiter>,
    clock: SharedClock,
}

impl ZaloApi {
    pub fn new(
        client: Arc<ZaloClient>,
        tokens: Arc<TokenManager>,
        limiter: Arc<RateLimiter>,
        clock: SharedClock,
    ) -> Self {
        Self { client, tokens, limiter, clock }
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    pub async fn send_cs(&self, request: &CsMessageRequest) -> Result<SendResponse, CallError> {
        let client = &self.client;
        self.call(|token| async move { client.send_cs(&token, request).await }).await
    }

    pub async fn send_zbs_template(&self, request: &ZbsTemplateRequest) -> Result<SendResponse, CallError> {
        let client = &self.client;
        self.call(|token| async move { client.send_zbs_template(&token, request).await }).await
    }

    pub async fn send_zns_template(&self, request: &ZnsTemplateRequest) -> Result<ZnsSendResponse, CallError> {
        let client = &self.client;
        self.call(|token| async move { client.send_zns_template(&token, request).await }).await
    }

    pub async fn user_detail(&self, user_id: &str) -> Result<UserDetail, CallError> {
        let client = &self.client;
        self.call(|token| async move { client.user_detail(&token, user_id).await }).await
    }

    pub async fn user_quota(&self, user_id: &str) -> Result<UserMessageQuota, CallError> {
        let client = &self.client;
        self.call(|token| async move { client.user_quota(&token, user_id).await }).await
    }

    async fn call<T, F, Fut>(&self, send: F) -> Result<T, CallError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ZaloError>>,
    {
        let current = self.tokens.access_token().await?;
        match self.paced(&send, current.token.clone()).await {
            Err(CallError::Zalo(e)) if e.class == ErrorClass::Token => {
                tracing::info!(code = ?e.code, "Zalo rejected the access token; refreshing once and retrying once");
                let fresh = self.tokens.refresh_after_rejection(&current).await?;
                self.paced(&send, fresh.token).await
            }
            other => other,
        }
    }

    async fn paced<T, F, Fut>(&self, send: &F, token: AccessToken) -> Result<T, CallError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ZaloError>>,
    {
        self.limiter.acquire(self.clock.now()).await.map_err(CallError::Paused)?;
        let result = send(token).await;
        if let Err(e) = &result {
            if e.class == ErrorClass::RateLimited {
                let pause = e
                    .retry_after
                    .and_then(|d| Duration::from_std(d).ok())
                    .filter(|d| *d > Duration::zero())
                    .unwrap_or(Duration::seconds(DEFAULT_PAUSE_SECS));
                let until = self.limiter.pause(self.clock.now(), pause);
                tracing::warn!(%until, "Zalo's rate limit was reached; all sending pauses until then");
            }
        }
        result.map_err(CallError::Zalo)
    }
}

//! The HTTP client of the Zalo OA Open API, ZNS/ZBS and OAuth v4: one call per endpoint, a
//! timeout on each, configurable hosts (so tests and the simulator can stand in for Zalo), and
//! one typed error carrying what to do about it. Tokens go in headers or form bodies only and
//! never into an error message.

use std::time::Duration as StdDuration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::config::ZaloConfig;
use crate::zalo::errors::{classify_api_error, classify_http_status, describe, ErrorClass};
use crate::zalo::messages::{CsMessageRequest, ZbsTemplateRequest, ZnsTemplateRequest};
use crate::zalo::responses::{
    parse_api_response, parse_oauth_response, OAuthResponse, OAuthTokenResponse, ResponseError, SendResponse,
    UserDetail, UserMessageQuota, ZnsSendResponse,
};

/// An OA access token. Its `Debug` does not show it; read it with [`AccessToken::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The token itself, for the `access_token` header (and nothing else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// What went wrong in a call, by origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Zalo answered with a non-zero `error` (OA API, ZNS/ZBS).
    Api,
    /// The OAuth endpoint refused (non-zero `error`).
    OAuth,
    /// An HTTP status that is not 200 (429, 5xx, …).
    Http(u16),
    /// No answer in time.
    Timeout,
    /// Connection failure.
    Network,
    /// An answer that is not what Zalo sends.
    Malformed,
}

/// A failed Zalo call: how to react (`class`), Zalo's code and message when it gave them.
/// Never contains a token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", self.describe())]
pub struct ZaloError {
    pub class: ErrorClass,
    pub kind: FailureKind,
    /// Zalo's `error` code (API and OAuth failures).
    pub code: Option<i64>,
    /// Zalo's message, or what happened.
    pub message: String,
    /// Which call failed, e.g. "POST /v3.0/oa/message/cs".
    pub endpoint: &'static str,
    /// `Retry-After` of a 429, when given.
    pub retry_after: Option<StdDuration>,
}

impl ZaloError {
    fn new(class: ErrorClass, kind: FailureKind, endpoint: &'static str, message: impl Into<String>) -> Self {
        Self { class, kind, code: None, message: message.into(), endpoint, retry_after: None }
    }

    /// "Zalo <code>: <description> (<message>)" for Zalo's own errors; what happened otherwise.
    pub fn describe(&self) -> String {
        match self.code {
            Some(code) => format!("Zalo {code}: {} ({})", describe(code), self.message),
            None => format!("Zalo {}: {}", self.endpoint, self.message),
        }
    }
}

/// Where the client sends requests and with what credentials.
#[derive(Clone)]
pub struct ClientSettings {
    pub api_base: String,
    pub oauth_base: String,
    pub business_api_base: String,
    pub app_id: String,
    pub app_secret: String,
    pub request_timeout: StdDuration,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("api_base", &self.api_base)
            .field("oauth_base", &self.oauth_base)
            .field("business_api_base", &self.business_api_base)
            .field("app_id", &self.app_id)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientSettings {
    pub fn from_config(zalo: &ZaloConfig) -> Self {
        Self {
            api_base: zalo.api_base.clone(),
            oauth_base: zalo.oauth_base.clone(),
            business_api_base: zalo.business_api_base.clone(),
            app_id: zalo.app_id.clone(),
            app_secret: zalo.app_secret.clone(),
            request_timeout: zalo.request_timeout.to_std(),
        }
    }
}

const SEND_CS: &str = "POST /v3.0/oa/message/cs";
const SEND_ZBS: &str = "POST /v3.0/oa/message/template";
const SEND_ZNS: &str = "POST /message/template (ZNS)";
const USER_DETAIL: &str = "GET /v3.0/oa/user/detail";
const USER_QUOTA: &str = "POST /v3.0/oa/quota/message";
const OAUTH_TOKEN: &str = "POST /v4/oa/access_token";

/// The Zalo HTTP client.
#[derive(Debug, Clone)]
pub struct ZaloClient {
    http: reqwest::Client,
    settings: ClientSettings,
}

impl ZaloClient {
    pub fn new(settings: ClientSettings) -> Result<Self, ZaloError> {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(StdDuration::from_secs(5)))
            .user_agent(concat!("tongdai/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ZaloError::new(
                    ErrorClass::Permanent,
                    FailureKind::Network,
                    "client",
                    format!("cannot build the HTTP client: {}", e.without_url()),
                )
            })?;
        Ok(Self { http, settings })
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// Consultation (chat) message: `POST {api_base}/v3.0/oa/message/cs`.
    pub async fn send_cs(&self, token: &AccessToken, request: &CsMessageRequest) -> Result<SendResponse, ZaloError> {
        let url = format!("{}/v3.0/oa/message/cs", base(&self.settings.api_base));
        self.call_api(SEND_CS, self.http.post(url).header("access_token", token.expose()).json(request)).await
    }

    /// ZBS template by user id: `POST {api_base}/v3.0/oa/message/template`.
    pub async fn send_zbs_template(
        &self,
        token: &AccessToken,
        request: &ZbsTemplateRequest,
    ) -> Result<SendResponse, ZaloError> {
        let url = format!("{}/v3.0/oa/message/template", base(&self.settings.api_base));
        self.call_api(SEND_ZBS, self.http.post(url).header("access_token", token.expose()).json(request)).await
    }

    /// ZNS template by phone: `POST {business_api_base}/message/template`.
    pub async fn send_zns_template(
        &self,
        token: &AccessToken,
        request: &ZnsTemplateRequest,
    ) -> Result<ZnsSendResponse, ZaloError> {
        let url = format!("{}/message/template", base(&self.settings.business_api_base));
        self.call_api(SEND_ZNS, self.http.post(url).header("access_token", token.expose()).json(request)).await
    }

    /// A follower's profile: `GET {api_base}/v3.0/oa/user/detail?data={"user_id":…}`.
    pub async fn user_detail(&self, token: &AccessToken, user_id: &str) -> Result<UserDetail, ZaloError> {
        let url = format!("{}/v3.0/oa/user/detail", base(&self.settings.api_base));
        let data = serde_json::json!({ "user_id": user_id }).to_string();
        self.call_api(USER_DETAIL, self.http.get(url).header("access_token", token.expose()).query(&[("data", data)]))
            .await
    }

    /// A user's last interaction and message quotas: `POST {api_base}/v3.0/oa/quota/message`.
    pub async fn user_quota(&self, token: &AccessToken, user_id: &str) -> Result<UserMessageQuota, ZaloError> {
        let url = format!("{}/v3.0/oa/quota/message", base(&self.settings.api_base));
        let body = serde_json::json!({ "user_id": user_id });
        self.call_api(USER_QUOTA, self.http.post(url).header("access_token", token.expose()).json(&body)).await
    }

    /// Exchanges a refresh token (single use) for a new pair (OAuth v4).
    pub async fn refresh_tokens(&self, refresh_token: &str) -> Result<OAuthTokenResponse, ZaloError> {
        self.call_oauth(&[
            ("refresh_token", refresh_token),
            ("app_id", &self.settings.app_id),
            ("grant_type", "refresh_token"),
        ])
        .await
    }

    /// Exchanges an authorisation code and its PKCE verifier for the first pair (OAuth v4).
    pub async fn exchange_code(&self, code: &str, code_verifier: &str) -> Result<OAuthTokenResponse, ZaloError> {
        self.call_oauth(&[
            ("code", code),
            ("app_id", &self.settings.app_id),
            ("grant_type", "authorization_code"),
            ("code_verifier", code_verifier),
        ])
        .await
    }

    async fn call_oauth(&self, form: &[(&str, &str)]) -> Result<OAuthTokenResponse, ZaloError> {
        let url = format!("{}/v4/oa/access_token", base(&self.settings.oauth_base));
        let request = self.http.post(url).header("secret_key", &self.settings.app_secret).form(form);
        let (status, headers, body) = self.execute(OAUTH_TOKEN, request).await?;
        check_status(OAUTH_TOKEN, status, &headers)?;
        match parse_oauth_response(&body) {
            Ok(OAuthResponse::Tokens(tokens)) => Ok(tokens),
            Ok(OAuthResponse::Error(error)) => {
                let message = [&error.error_description, &error.error_reason, &error.error_name]
                    .into_iter()
                    .flatten()
                    .find(|text| !text.trim().is_empty())
                    .cloned()
                    .unwrap_or_else(|| describe(error.error).to_owned());
                Err(ZaloError {
                    code: Some(error.error),
                    ..ZaloError::new(ErrorClass::Permanent, FailureKind::OAuth, OAUTH_TOKEN, message)
                })
            }
            Err(e) => Err(malformed(OAUTH_TOKEN, &e)),
        }
    }

    async fn call_api<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        request: RequestBuilder,
    ) -> Result<T, ZaloError> {
        let (status, headers, body) = self.execute(endpoint, request).await?;
        match parse_api_response::<T>(&body) {
            // Success only with HTTP 200 and `error == 0`.
            Ok(data) if status == StatusCode::OK => Ok(data),
            Ok(_) => Err(http_error(endpoint, status, &headers)),
            Err(ResponseError::Api(api)) => Err(ZaloError {
                code: Some(api.code),
                retry_after: retry_after(&headers),
                ..ZaloError::new(classify_api_error(api.code), FailureKind::Api, endpoint, api.message)
            }),
            Err(e) => {
                check_status(endpoint, status, &headers)?;
                Err(malformed(endpoint, &e))
            }
        }
    }

    async fn execute(
        &self,
        endpoint: &'static str,
        request: RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), ZaloError> {
        let response = request.send().await.map_err(|e| transport_error(endpoint, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| transport_error(endpoint, &e))?;
        Ok((status, headers, body.to_vec()))
    }
}

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// An error for any status but 200 (after the body was found to carry no Zalo error).
fn check_status(endpoint: &'static str, status: StatusCode, headers: &HeaderMap) -> Result<(), ZaloError> {
    if status == StatusCode::OK {
        Ok(())
    } else {
        Err(http_error(endpoint, status, headers))
    }
}

fn http_error(endpoint: &'static str, status: StatusCode, headers: &HeaderMap) -> ZaloError {
    let class = classify_http_status(status.as_u16()).unwrap_or(ErrorClass::Permanent);
    ZaloError {
        retry_after: retry_after(headers),
        ..ZaloError::new(class, FailureKind::Http(status.as_u16()), endpoint, format!("HTTP {status}"))
    }
}

fn malformed(endpoint: &'static str, error: &ResponseError) -> ZaloError {
    // A body that is not Zalo's (a proxy's error page, a truncated answer): worth another try.
    ZaloError::new(ErrorClass::Transient, FailureKind::Malformed, endpoint, format!("unexpected answer: {error}"))
}

fn transport_error(endpoint: &'static str, error: &reqwest::Error) -> ZaloError {
    let kind = if error.is_timeout() { FailureKind::Timeout } else { FailureKind::Network };
    let what = if error.is_timeout() { "no answer in time" } else { "network error" };
    // `without_url`: the URL carries no token, but keep messages short and uniform.
    let detail = std::error::Error::source(error).map_or_else(String::new, |source| format!(": {source}"));
    ZaloError::new(ErrorClass::Transient, kind, endpoint, format!("{what}{detail}"))
}

fn retry_after(headers: &HeaderMap) -> Option<StdDuration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(StdDuration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_describe_zalo_codes_and_hide_tokens() {
        let api = ZaloError {
            code: Some(-201),
            ..ZaloError::new(ErrorClass::Permanent, FailureKind::Api, SEND_CS, "user_id is invalid")
        };
        assert_eq!(api.to_string(), "Zalo -201: Tham số không hợp lệ (user_id is invalid)");
        let http = ZaloError::new(ErrorClass::Transient, FailureKind::Http(503), SEND_CS, "HTTP 503");
        assert_eq!(http.to_string(), "Zalo POST /v3.0/oa/message/cs: HTTP 503");
        assert_eq!(format!("{:?}", AccessToken::new("secret-token")), "AccessToken(***)");
        let settings = ClientSettings {
            api_base: "http://a".into(),
            oauth_base: "http://o".into(),
            business_api_base: "http://b".into(),
            app_id: "1".into(),
            app_secret: "app-secret-value".into(),
            request_timeout: StdDuration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("app-secret-value"));
    }
}

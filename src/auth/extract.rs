//! The axum extractor for machine clients: `Authorization: Bearer <key>` naming an active key
//! that has the scope the route needs. 401 when the header is missing or the key unknown or
//! revoked; 403 when the key lacks the scope.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::api_keys::{ApiKeyRecord, ApiKeys, ApiScope};
use crate::app::AppState;
use crate::web::error::ApiError;

/// A scope a route requires, as a type.
pub trait RequiredScope: Send + Sync + 'static {
    const SCOPE: ApiScope;
}

/// `tickets:read`.
pub struct TicketsRead;
impl RequiredScope for TicketsRead {
    const SCOPE: ApiScope = ApiScope::TicketsRead;
}

/// `tickets:write`.
pub struct TicketsWrite;
impl RequiredScope for TicketsWrite {
    const SCOPE: ApiScope = ApiScope::TicketsWrite;
}

/// `dossiers:write`.
pub struct DossiersWrite;
impl RequiredScope for DossiersWrite {
    const SCOPE: ApiScope = ApiScope::DossiersWrite;
}

/// `stats:read`.
pub struct StatsRead;
impl RequiredScope for StatsRead {
    const SCOPE: ApiScope = ApiScope::StatsRead;
}

/// An authenticated machine client holding scope `S`.
pub struct ApiClient<S: RequiredScope> {
    pub key: ApiKeyRecord,
    _scope: PhantomData<S>,
}

impl<S: RequiredScope> std::fmt::Debug for ApiClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("name", &self.key.name).finish_non_exhaustive()
    }
}

/// The key in an `Authorization` header value: `Bearer <key>` (scheme case-insensitive).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl<S: RequiredScope> FromRequestParts<AppState> for ApiClient<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(bearer_token) else {
            return Err(ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`".into()));
        };
        let keys = ApiKeys::new(state.store.api_keys.clone());
        let Some(key) = keys.authenticate(token).await? else {
            return Err(ApiError::Unauthorized("unknown or revoked API key".into()));
        };
        if !key.has_scope(S::SCOPE) {
            return Err(ApiError::Forbidden(format!("the API key `{}` lacks the scope `{}`", key.name, S::SCOPE)));
        }
        Ok(Self { key, _scope: PhantomData })
    }
}

/// Who reads statistics: a machine client holding `stats:read`, or a signed-in console user
/// (session cookie) who does not have to change their password first. 401 otherwise.
#[derive(Debug, Clone)]
pub enum StatsReader {
    ApiKey(ApiKeyRecord),
    User(super::users::Principal),
}

impl FromRequestParts<AppState> for StatsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(AUTHORIZATION) {
            let client = ApiClient::<StatsRead>::from_request_parts(parts, state).await?;
            return Ok(Self::ApiKey(client.key));
        }
        let cookie = crate::console::request::cookie_value(&parts.headers, crate::console::request::SESSION_COOKIE);
        if let Some(id) = cookie {
            let policy = state.config.console.session_policy();
            let session = super::sessions::resolve(&state.store, &policy, &id, state.clock.now()).await?;
            match session {
                Some(session) if !session.user.must_change_password => {
                    return Ok(Self::User(session.user.principal()));
                }
                Some(_) => return Err(ApiError::Forbidden("change your console password first".into())),
                None => {}
            }
        }
        Err(ApiError::Unauthorized(
            "send an API key with the `stats:read` scope as `Authorization: Bearer <key>`, or sign in to the console"
                .into(),
        ))
    }
}

impl StatsReader {
    /// What this caller may see.
    pub fn scope(&self, config: &crate::stats::settings::StatsConfig) -> crate::stats::scope::StatsScope {
        match self {
            Self::ApiKey(key) => crate::stats::scope::StatsScope::of_api_key(key, config),
            Self::User(principal) => crate::stats::scope::StatsScope::of_user(principal, config),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer_token("Bearer tdk_abc"), Some("tdk_abc"));
        assert_eq!(bearer_token("bearer   tdk_abc "), Some("tdk_abc"));
        assert_eq!(bearer_token("Basic dXNlcg=="), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("tdk_abc"), None);
    }
}

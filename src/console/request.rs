//! What every console request goes through: the session cookie is resolved once, every
//! state-changing request must carry the CSRF token, security headers are added; and the
//! [`CurrentUser`] extractor that sends visitors who are not signed in to the sign-in page.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::header::{HeaderMap, HeaderName, HeaderValue};
use axum::http::{header, request::Parts, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use askama::Template;
use axum::response::Html;

use super::error::{ConsoleError, CsrfRejected, ErrorPage};
use super::views::{Chrome, ErrorView, Place};
use super::{multipart, paths};
use crate::app::AppState;
use crate::auth::audit::Actor;
use crate::auth::sessions::{self, ActiveSession};
use crate::auth::users::Principal;

/// The session cookie: the random session id.
pub const SESSION_COOKIE: &str = "tongdai_session";
/// The sign-in form's CSRF cookie (there is no session yet to hold its token).
pub const LOGIN_COOKIE: &str = "tongdai_login";
/// Name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// Header that may carry the CSRF token instead (for forms that are not URL-encoded).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What the console layer found out about a request, for the handlers.
#[derive(Debug, Clone)]
pub struct ConsoleRequest {
    pub session: Option<ActiveSession>,
    /// The client's address (socket, or X-Forwarded-For when `console.trust_proxy`).
    pub ip: Option<String>,
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value for a console cookie: HttpOnly, SameSite=Lax, Secure when configured.
/// `None` as value deletes the cookie.
pub fn set_cookie(name: &str, value: Option<&str>, path: &str, secure: bool) -> String {
    let mut cookie = match value {
        Some(value) => format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax"),
        None => format!("{name}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax"),
    };
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The client address: the socket's, or with `trust_proxy` the last `X-Forwarded-For` entry
/// (the one the proxy in front of us added; earlier entries come from the client and can be forged).
pub fn client_ip(headers: &HeaderMap, socket: Option<SocketAddr>, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let forwarded = entries.last().and_then(|last| last.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return Some(ip.to_string());
        }
    }
    socket.map(|addr| addr.ip().to_string())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// The CSRF token a request carries: the `_csrf` field of a URL-encoded or multipart form body,
/// else the header.
async fn submitted_token(headers: &HeaderMap, body: &axum::body::Bytes) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Some(boundary) = multipart::boundary(content_type) {
        let token = multipart::parse(body, &boundary).ok().and_then(|parts| multipart::text_field(&parts, CSRF_FIELD));
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            return Some(token);
        }
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if is_form {
        let request = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .ok()?;
        if let Ok(Form(form)) = Form::<CsrfForm>::from_request(request, &()).await {
            if !form.csrf.is_empty() {
                return Some(form.csrf);
            }
        }
    }
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The console middleware: resolves the session, checks CSRF on every state-changing request,
/// renders error pages in the console's layout, and adds security headers to every response.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (session, mut response) = match guarded(&state, request, next).await {
        Ok(done) => done,
        Err(error) => (None, error.into_response()),
    };
    if let Some(page) = response.extensions().get::<ErrorPage>().cloned() {
        let csrf = response.extensions().get::<CsrfRejected>().is_some();
        response = error_page(&state, session.as_ref(), &page, csrf);
    }
    add_security_headers(response.headers_mut());
    response
}

/// The error page in the layout, with the user's navigation when signed in.
fn error_page(state: &AppState, session: Option<&ActiveSession>, page: &ErrorPage, csrf: bool) -> Response {
    let settings = &state.config.console;
    let chrome = match session {
        Some(session) => Chrome::signed_in(settings, session, "", Place::Elsewhere, None),
        None => Chrome::anonymous(settings, ""),
    };
    let mut view = ErrorView::new(chrome, page, csrf);
    view.chrome.title = view.heading.to_owned();
    let mut response = match view.render() {
        Ok(html) => (page.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the console's error page failed");
            (page.status, page.text().0).into_response()
        }
    };
    if let Some(secs) = page.retry_after_secs {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    response
}

async fn guarded(
    state: &AppState,
    request: Request,
    next: Next,
) -> Result<(Option<ActiveSession>, Response), ConsoleError> {
    let settings = &state.config.console;
    let now = state.clock.now();
    let socket = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let ip = client_ip(request.headers(), socket, settings.trust_proxy);
    let session = match cookie_value(request.headers(), SESSION_COOKIE) {
        Some(id) => sessions::resolve(&state.store, &settings.session_policy(), &id, now).await?,
        None => None,
    };
    let mut request = if is_safe_method(request.method()) {
        request
    } else {
        let is_login = request.uri().path() == paths::LOGIN;
        if !is_login && session.is_none() {
            // Nothing will happen without a session: send the browser to sign in.
            return Ok((None, Redirect::to(paths::LOGIN).into_response()));
        }
        let (parts, body) = request.into_parts();
        let limit = paths::body_limit(parts.uri.path(), state.config.server.body_limit_bytes);
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ConsoleError::TooLarge)?;
        let expected = if is_login {
            cookie_value(&parts.headers, LOGIN_COOKIE).unwrap_or_default()
        } else {
            session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default()
        };
        let given = submitted_token(&parts.headers, &bytes).await.unwrap_or_default();
        if !sessions::csrf_matches(&expected, &given) {
            tracing::info!(path = %parts.uri.path(), "console request refused: missing or wrong CSRF token");
            return Ok((session, ConsoleError::Csrf.into_response()));
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    request.extensions_mut().insert(ConsoleRequest { session: session.clone(), ip });
    Ok((session, next.run(request).await))
}

fn add_security_headers(headers: &mut HeaderMap) {
    let pairs: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in pairs {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

/// The signed-in user of a console page. Extracting it sends visitors without a live session
/// to the sign-in page (coming back here afterwards), and users who must choose a new password
/// to the password page.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub session: ActiveSession,
    pub principal: Principal,
    pub ip: Option<String>,
}

impl CurrentUser {
    /// The user as the audit log's actor.
    pub fn actor(&self) -> Actor {
        Actor::user(self.principal.user_id, &self.principal.username, self.ip.clone())
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let found = parts.extensions.get::<ConsoleRequest>().cloned();
        let Some(ConsoleRequest { session: Some(session), ip }) = found else {
            let target = if parts.method == Method::GET {
                parts.uri.path_and_query().map_or(paths::HOME, |pq| pq.as_str()).to_owned()
            } else {
                paths::HOME.to_owned()
            };
            return Err(Redirect::to(&paths::login_with_next(&target)).into_response());
        };
        let path = parts.uri.path();
        if session.user.must_change_password && path != paths::PASSWORD && path != paths::LOGOUT {
            return Err(Redirect::to(paths::PASSWORD).into_response());
        }
        let principal = session.user.principal();
        Ok(Self { session, principal, ip })
    }
}

/// The console layer's findings for pages that work with or without a session (sign-in).
impl FromRequestParts<AppState> for ConsoleRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ConsoleRequest>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; tongdai_session=abc ; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("tongdai_login=xyz"));
        assert_eq!(cookie_value(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie_value(&headers, LOGIN_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&headers, "missing"), None);
    }

    #[test]
    fn cookie_attributes() {
        assert_eq!(set_cookie("s", Some("v"), "/console", false), "s=v; Path=/console; HttpOnly; SameSite=Lax");
        assert_eq!(
            set_cookie("s", None, "/console", true),
            "s=; Path=/console; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn forwarded_addresses_are_used_only_when_trusted() {
        let socket: SocketAddr = "10.0.0.5:4000".parse().expect("address");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7"));
        assert_eq!(client_ip(&headers, Some(socket), false).as_deref(), Some("10.0.0.5"));
        assert_eq!(client_ip(&headers, Some(socket), true).as_deref(), Some("203.0.113.7"));
        assert_eq!(client_ip(&HeaderMap::new(), Some(socket), true).as_deref(), Some("10.0.0.5"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(&headers, None, true), None);
    }
}

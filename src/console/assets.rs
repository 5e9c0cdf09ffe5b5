//! The console's one stylesheet (`static/console.css`, hand-written) and the small script of the
//! chat page (`static/chat.js`, progressive: the page works without it), embedded in the binary
//! and served with a content-derived ETag and a version in their URL so browsers cache them safely.

use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::paths;

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("../../static/console.css");

/// First 16 hex digits of the stylesheet's SHA-256: its version.
static VERSION: LazyLock<String> = LazyLock::new(|| hex::encode(&Sha256::digest(STYLESHEET.as_bytes())[..8]));

/// The chat page's script.
pub const CHAT_SCRIPT: &str = include_str!("../../static/chat.js");

static CHAT_SCRIPT_VERSION: LazyLock<String> =
    LazyLock::new(|| hex::encode(&Sha256::digest(CHAT_SCRIPT.as_bytes())[..8]));

/// The stylesheet's URL with its version, as the layout links it.
pub fn stylesheet_href() -> String {
    format!("{}?v={}", paths::STYLESHEET, *VERSION)
}

/// The chat script's URL with its version.
pub fn chat_script_href() -> String {
    format!("{}?v={}", paths::CHAT_SCRIPT, *CHAT_SCRIPT_VERSION)
}

/// `GET /console/static/chat.js`.
pub async fn chat_script(headers: HeaderMap) -> Response {
    serve(&headers, CHAT_SCRIPT, &CHAT_SCRIPT_VERSION, "text/javascript; charset=utf-8")
}

/// `GET /console/static/app.css`.
pub async fn stylesheet(headers: HeaderMap) -> Response {
    serve(&headers, STYLESHEET, &VERSION, "text/css; charset=utf-8")
}

/// An embedded file with its version as ETag, cached for a week.
fn serve(headers: &HeaderMap, body: &'static str, version: &str, content_type: &'static str) -> Response {
    let etag = format!("\"{version}\"");
    let cache = HeaderValue::from_static("public, max-age=604800");
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let etag_value = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)])
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

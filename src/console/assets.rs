//! The console's one stylesheet (`static/console.css`, hand-written), embedded in the binary and
//! served with a content-derived ETag and a version in its URL so browsers cache it safely.

use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::paths;

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("../../static/console.css");

/// First 16 hex digits of the stylesheet's SHA-256: its version.
static VERSION: LazyLock<String> = LazyLock::new(|| hex::encode(&Sha256::digest(STYLESHEET.as_bytes())[..8]));

/// The stylesheet's URL with its version, as the layout links it.
pub fn stylesheet_href() -> String {
    format!("{}?v={}", paths::STYLESHEET, *VERSION)
}

/// `GET /console/static/app.css`.
pub async fn stylesheet(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", *VERSION);
    let cache = HeaderValue::from_static("public, max-age=604800");
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let etag_value = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)])
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        STYLESHEET,
    )
        .into_response()
}

//! The simulated OAuth v4 host of the OA (reference §5): the token endpoint (refresh and
//! authorization-code grants, form bodies, `secret_key` header = app secret, `expires_in` as a
//! string, OAuth error bodies with HTTP 200) and the consent page whose "Đồng ý" button
//! redirects to `redirect_uri?code=…&oa_id=…&state=…`. Also PKCE's challenge computation.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::sim::api::{apply_fault, FaultOutcome};
use crate::sim::render::escape;
use crate::sim::state::{Endpoint, OAuthFailure, TokenPair};
use crate::sim::Simulator;

/// PKCE challenge of a verifier: base64url(SHA-256(verifier)) without padding.
pub fn pkce_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for sextet in sextets.iter().take(chunk.len() + 1) {
            out.push(char::from(ALPHABET[*sextet as usize]));
        }
    }
    out
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// JSON of an OAuth error (HTTP 200, like Zalo).
pub fn oauth_error_body(failure: &OAuthFailure) -> Value {
    json!({
        "error": failure.code,
        "error_name": failure.name,
        "error_reason": failure.reason,
        "error_description": failure.reason,
    })
}

/// JSON of a token response; `expires_in` is a string of seconds.
pub fn token_body(pair: &TokenPair) -> Value {
    json!({
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in.to_string(),
    })
}

/// `POST /oauth/v4/oa/access_token` (form body).
pub async fn access_token(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let FaultOutcome::Respond(response) = apply_fault(&sim, Endpoint::AccessToken).await {
        return response;
    }
    let secret = headers.get("secret_key").and_then(|v| v.to_str().ok());
    let result = sim.token_grant(secret, &form);
    match result {
        Ok(pair) => Json(token_body(&pair)).into_response(),
        Err(failure) => Json(oauth_error_body(&failure)).into_response(),
    }
}

/// `GET /oauth/v4/oa/permission?app_id&redirect_uri&code_challenge&state`: the consent page.
pub async fn permission_page(State(sim): State<Simulator>, Query(query): Query<HashMap<String, String>>) -> Response {
    if let FaultOutcome::Respond(response) = apply_fault(&sim, Endpoint::Permission).await {
        return response;
    }
    let config = sim.config();
    let param = |key: &str| query.get(key).map(String::as_str).unwrap_or_default();
    let problem = if param("app_id") != config.app_id {
        Some(OAuthFailure::for_code(-14002))
    } else if !is_http_url(param("redirect_uri")) {
        Some(OAuthFailure::for_code(-14003))
    } else if param("code_challenge").is_empty() {
        Some(OAuthFailure::for_code(-14001))
    } else {
        None
    };
    if let Some(failure) = problem {
        let page = format!(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Lỗi cấp quyền</title>\
             <body style=\"font-family:sans-serif;padding:2rem\"><h1>Không thể cấp quyền</h1>\
             <p>Mã lỗi {}: {}</p></body></html>",
            failure.code,
            escape(&failure.name)
        );
        return (StatusCode::BAD_REQUEST, Html(page)).into_response();
    }
    let hidden = ["app_id", "redirect_uri", "code_challenge", "state"]
        .iter()
        .map(|key| format!("<input type=\"hidden\" name=\"{key}\" value=\"{}\">", escape(param(key))))
        .collect::<String>();
    let page = format!(
        r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cấp quyền cho ứng dụng — Zalo (mô phỏng)</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f4f8;color:#1b1f24}}
header{{background:#0068ff;color:#fff;padding:14px 18px;font-weight:600}}
main{{max-width:420px;margin:24px auto;background:#fff;border-radius:12px;padding:22px;box-shadow:0 1px 4px rgba(0,0,0,.08)}}
h1{{font-size:1.15rem;margin:0 0 10px}} p{{line-height:1.5}} ul{{padding-left:1.2rem;line-height:1.6}}
button{{width:100%;padding:12px;border:0;border-radius:8px;background:#0068ff;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}}
small{{color:#68707a}}
</style></head>
<body><header>Zalo — mô phỏng</header>
<main>
<h1>Cấp quyền cho ứng dụng</h1>
<p>Ứng dụng <b>{app_id}</b> muốn quản lý Official Account <b>{oa_name}</b>:</p>
<ul><li>Gửi tin nhắn tư vấn tới người quan tâm</li><li>Đọc thông tin người dùng đã tương tác</li><li>Gửi tin nhắn mẫu (ZNS/ZBS)</li></ul>
<form method="post">{hidden}<button type="submit">Đồng ý</button></form>
<p><small>Đây là trang mô phỏng của tongdai; không có dữ liệu nào được gửi tới Zalo.</small></p>
</main></body></html>"#,
        app_id = escape(&config.app_id),
        oa_name = escape(&config.oa_name),
    );
    Html(page).into_response()
}

/// `POST /oauth/v4/oa/permission`: "Đồng ý" → redirect with a fresh authorization code.
pub async fn permission_grant(State(sim): State<Simulator>, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |key: &str| form.get(key).map(String::as_str).unwrap_or_default();
    let config = sim.config();
    if field("app_id") != config.app_id || !is_http_url(field("redirect_uri")) || field("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, Html("<p>Yêu cầu cấp quyền không hợp lệ.</p>")).into_response();
    }
    let code = sim.issue_authorization_code(field("code_challenge"));
    let redirect_uri = field("redirect_uri");
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut target =
        format!("{redirect_uri}{separator}code={}&oa_id={}", percent_encode(&code), percent_encode(&config.oa_id));
    if let Some(state) = form.get("state").filter(|s| !s.is_empty()) {
        target.push_str(&format!("&state={}", percent_encode(state)));
    }
    Redirect::to(&target).into_response()
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_example_challenge() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn base64url_without_padding() {
        let cases: [(&[u8], &str); 5] =
            [(b"", ""), (b"f", "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v"), (&[0xfb, 0xff], "-_8")];
        for (input, expected) in cases {
            assert_eq!(base64url(input), expected);
        }
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
    }
}

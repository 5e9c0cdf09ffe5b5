//! The Official Account's authorisation pages: `GET /zalo/oauth/start` (302 to Zalo's consent page
//! with PKCE), `GET /zalo/oauth/callback` (exchanges the code, stores the tokens, answers a short
//! Vietnamese/English page), and Zalo's domain-verification file when its code is configured.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::error::ApiError;
use crate::app::AppState;
use crate::config::ZaloConfig;
use crate::zalo::oauth::{Callback, OAuthFlowError};
use crate::zalo::tokens::TokenError;

/// Adds the authorisation routes (and the domain-verification file) to `routes`.
pub fn routes(routes: Router<AppState>, zalo: &ZaloConfig) -> Router<AppState> {
    let routes = routes.route("/zalo/oauth/start", get(start)).route("/zalo/oauth/callback", get(callback));
    let code = zalo.domain_verification_code.trim();
    if is_verification_code(code) {
        // Zalo accepts either the file or the meta tag on the home page; serve both.
        routes.route(&format!("/zalo_verifier{code}.html"), get(domain_verification)).route("/", get(home_page))
    } else {
        routes
    }
}

/// `GET /` when domain verification is configured: a short page naming the service, with
/// Zalo's `zalo-platform-site-verification` meta tag.
async fn home_page(State(state): State<AppState>) -> Html<String> {
    let code = escape(state.config.zalo.domain_verification_code.trim());
    let site = escape(&state.config.console.site_name);
    Html(format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"zalo-platform-site-verification\" content=\"{code}\" /><title>{site}</title></head>\
         <body><h1>{site}</h1><p>Kênh Zalo tiếp nhận phản ánh, kiến nghị và khảo sát sự hài lòng.</p>\
         <p><a href=\"/console/\">Trang dành cho cán bộ</a></p></body></html>"
    ))
}

/// A domain-verification code usable in a path: letters, digits, `-` and `_`.
pub fn is_verification_code(code: &str) -> bool {
    !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET /zalo/oauth/start`: redirects the OA admin to Zalo's consent page.
async fn start(State(state): State<AppState>) -> Result<Response, ApiError> {
    let flow = crate::zalo::service::oauth_flow(&state.config, &state.store, state.clock.clone())?;
    match flow.start().await {
        Ok(url) => Ok((StatusCode::FOUND, [(header::LOCATION, url)]).into_response()),
        Err(e) => failure(e),
    }
}

/// Query of the callback: `?code=…&oa_id=…[&state=…]`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    oa_id: Option<String>,
    state: Option<String>,
}

/// `GET /zalo/oauth/callback`: exchanges the code for the token pair.
async fn callback(State(state): State<AppState>, Query(query): Query<CallbackQuery>) -> Result<Response, ApiError> {
    let flow = crate::zalo::service::oauth_flow(&state.config, &state.store, state.clock.clone())?;
    let received = Callback { code: query.code, oa_id: query.oa_id, state: query.state };
    match flow.complete(&received).await {
        Ok(()) => Ok(page(
            StatusCode::OK,
            "Đã kết nối Zalo OA / Zalo OA connected",
            "Tổng đài đã được cấp quyền gửi tin qua Official Account. Có thể đóng trang này.",
            "The service is now authorised to send messages through the Official Account. You may close this page.",
        )),
        Err(e) => failure(e),
    }
}

/// `GET /zalo_verifier<CODE>.html`: Zalo's domain verification.
async fn domain_verification(State(state): State<AppState>) -> Html<String> {
    let code = escape(state.config.zalo.domain_verification_code.trim());
    Html(format!(
        "<!DOCTYPE html><html><head><meta name=\"zalo-platform-site-verification\" content=\"{code}\" /></head>\
         <body>There Is No Limit To What You Can Accomplish Using Zalo!</body></html>"
    ))
}

fn failure(error: OAuthFlowError) -> Result<Response, ApiError> {
    let (status, vi, en) = match &error {
        OAuthFlowError::Tokens(TokenError::Store(_) | TokenError::Crypto(_)) => {
            return Err(ApiError::Internal(anyhow::Error::new(error)));
        }
        OAuthFlowError::NotConfigured(key) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Chưa cấu hình Zalo: cần đặt `{key}` rồi khởi động lại dịch vụ."),
            format!("Zalo is not configured: set `{key}` and restart the service."),
        ),
        OAuthFlowError::NoPendingAuthorization => (
            StatusCode::BAD_REQUEST,
            "Phiên cấp quyền không còn hiệu lực (quá 10 phút hoặc đã dùng). Vui lòng bắt đầu lại tại /zalo/oauth/start."
                .to_owned(),
            "This authorisation is no longer valid (older than 10 minutes or already used). Start again at /zalo/oauth/start."
                .to_owned(),
        ),
        OAuthFlowError::Unreachable(_) | OAuthFlowError::Tokens(_) => (
            StatusCode::BAD_GATEWAY,
            "Không liên lạc được với Zalo để hoàn tất cấp quyền. Vui lòng thử lại tại /zalo/oauth/start.".to_owned(),
            format!("Zalo could not be reached to complete the authorisation ({error}). Try again at /zalo/oauth/start."),
        ),
        other => (
            StatusCode::BAD_REQUEST,
            "Cấp quyền không thành công. Vui lòng thử lại tại /zalo/oauth/start.".to_owned(),
            format!("The authorisation failed: {other}. Try again at /zalo/oauth/start."),
        ),
    };
    tracing::warn!(error = %error, "Zalo OAuth authorisation failed");
    Ok(page(status, "Chưa kết nối được Zalo OA / Zalo OA not connected", &vi, &en))
}

fn page(status: StatusCode, title: &str, vietnamese: &str, english: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5\">\
         <h1>{title}</h1><p>{vietnamese}</p><p lang=\"en\">{english}</p></body></html>\n",
        title = escape(title),
        vietnamese = escape(vietnamese),
        english = escape(english),
    );
    (status, Html(body)).into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_codes_are_checked() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert!(is_verification_code("AbC-12_x"));
        assert!(!is_verification_code(""));
        assert!(!is_verification_code("a{b}"));
        assert!(!is_verification_code("../x"));
    }
}

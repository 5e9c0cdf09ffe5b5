//! Errors of console pages. A handler returns a [`ConsoleError`]; the console middleware turns
//! it into a Vietnamese error page in the console's layout (403, 404, 500…). The cause of a 500
//! is logged once, with an incident id shown to the user; it never reaches the page. A 503 (too
//! busy) carries its `Retry-After`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::users::UserError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The user may not use this page or action.
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A state-changing request without a valid CSRF token.
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("request body too large")]
    TooLarge,
    /// Too many of this kind of request are running; try again after this many seconds.
    #[error("busy; retry after {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// The address's parameters are missing or invalid (the reason is logged, not shown).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("rendering a console template"))
    }
}

impl From<UserError> for ConsoleError {
    fn from(e: UserError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

/// Which error page to show; attached to the response for the middleware to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// The id under which a 500's cause was logged.
    pub incident: Option<String>,
    /// Seconds for `Retry-After` (503).
    pub retry_after_secs: Option<u64>,
}

impl ErrorPage {
    /// The page's heading and explanation.
    pub fn text(&self) -> (&'static str, &'static str) {
        match self.status {
            StatusCode::FORBIDDEN => (
                "Không có quyền truy cập",
                "Tài khoản của bạn không được phép dùng trang hoặc thao tác này. Nếu cần, hãy liên hệ quản trị hệ thống.",
            ),
            StatusCode::NOT_FOUND => {
                ("Không tìm thấy trang", "Địa chỉ này không có trong trang quản trị. Hãy kiểm tra lại đường dẫn.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("Dữ liệu gửi lên quá lớn", "Hãy gửi lại với nội dung ngắn hơn."),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Hệ thống đang bận",
                "Đang có nhiều yêu cầu tải số liệu cùng lúc nên yêu cầu của bạn chưa được thực hiện. Hãy thử lại sau ít phút.",
            ),
            StatusCode::BAD_REQUEST => (
                "Yêu cầu không hợp lệ",
                "Địa chỉ thiếu tham số hoặc có tham số không hợp lệ. Hãy quay lại trang trước và chọn lại.",
            ),
            StatusCode::INTERNAL_SERVER_ERROR => (
                "Hệ thống gặp lỗi",
                "Yêu cầu chưa thực hiện được do lỗi hệ thống. Lỗi đã được ghi lại; hãy thử lại sau ít phút.",
            ),
            _ => ("Không thực hiện được", "Yêu cầu không hợp lệ."),
        }
    }
}

/// The 403 page of a rejected CSRF check says something different from a missing permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfRejected;

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let mut retry_after_secs = None;
        let (status, incident) = match &self {
            Self::Forbidden | Self::Csrf => (StatusCode::FORBIDDEN, None),
            Self::NotFound => (StatusCode::NOT_FOUND, None),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
            Self::Busy { retry_after_secs: secs } => {
                retry_after_secs = Some(*secs);
                (StatusCode::SERVICE_UNAVAILABLE, None)
            }
            Self::BadRequest(reason) => {
                tracing::info!(reason = %reason, "console request refused as invalid");
                (StatusCode::BAD_REQUEST, None)
            }
            Self::Internal(cause) => {
                let incident = format!("{:016x}", rand::random::<u64>());
                tracing::error!(incident = %incident, error = %format!("{cause:#}"), "internal error on a console page");
                (StatusCode::INTERNAL_SERVER_ERROR, Some(incident))
            }
        };
        let mut response = (status, status.canonical_reason().unwrap_or("error")).into_response();
        response.extensions_mut().insert(ErrorPage { status, incident, retry_after_secs });
        if matches!(self, Self::Csrf) {
            response.extensions_mut().insert(CsrfRejected);
        }
        response
    }
}

/// Result type of console handlers.
pub type ConsoleResult<T> = Result<T, ConsoleError>;

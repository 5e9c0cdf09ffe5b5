//! Files the simulator serves itself: the sample photo, sticker and PDF a simulated citizen
//! sends (their URLs appear in webhook events), avatars, and the chat page's CSS and JS.
//! All are embedded in the binary; there is no build step.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::sim::webhook::FileInfo;
use crate::sim::Simulator;

/// Path (below the mount point) of the photo sent by `user_send_image`.
pub const PHOTO_PATH: &str = "media/photo.jpg";
/// Path of the sticker sent by `user_send_sticker`.
pub const STICKER_PATH: &str = "media/sticker.svg";
/// Sticker id in `user_send_sticker`.
pub const STICKER_ID: &str = "sim-sticker-vui-ve";
/// Name of the PDF sent by `user_send_file`.
pub const FILE_NAME: &str = "don-phan-anh.pdf";
/// MD5 of `assets/don-phan-anh.pdf` (`md5sum`), sent as the file's `checksum`.
pub const FILE_MD5: &str = "03feeb5e787ebfe3eefa6aad66ee0fa6";

const PHOTO: &[u8] = include_bytes!("assets/photo.jpg");
const STICKER: &[u8] = include_bytes!("assets/sticker.svg");
const FILE: &[u8] = include_bytes!("assets/don-phan-anh.pdf");
const AVATAR: &[u8] = include_bytes!("assets/avatar.svg");
const OA_LOGO: &[u8] = include_bytes!("assets/oa-logo.svg");
const CHAT_CSS: &[u8] = include_bytes!("assets/chat.css");
const CHAT_JS: &[u8] = include_bytes!("assets/chat.js");

/// The `user_send_file` payload of the sample PDF.
pub fn sample_file(public_url: &str) -> FileInfo {
    FileInfo {
        url: format!("{public_url}/media/{FILE_NAME}"),
        name: FILE_NAME.to_owned(),
        size: FILE.len() as u64,
        checksum: FILE_MD5.to_owned(),
        kind: "pdf".to_owned(),
    }
}

pub fn routes() -> Router<Simulator> {
    Router::new().route("/media/{file}", get(media_file)).route("/assets/{file}", get(asset_file))
}

fn serve(bytes: &'static [u8], content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response()
}

async fn media_file(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "photo.jpg" => serve(PHOTO, "image/jpeg"),
        "sticker.svg" => serve(STICKER, "image/svg+xml"),
        FILE_NAME => serve(FILE, "application/pdf"),
        "avatar.svg" => serve(AVATAR, "image/svg+xml"),
        "oa-logo.svg" => serve(OA_LOGO, "image/svg+xml"),
        _ => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn asset_file(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "chat.css" => serve(CHAT_CSS, "text/css; charset=utf-8"),
        "chat.js" => serve(CHAT_JS, "text/javascript; charset=utf-8"),
        _ => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

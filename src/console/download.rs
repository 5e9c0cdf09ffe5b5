//! File downloads from the console: a response whose body is read from an open file on a
//! blocking thread in chunks and handed to the connection through a small channel, so a large
//! export never sits in memory and never blocks the async runtime. The response can hold a value
//! (an export's slot) until its body is sent or dropped; a `HEAD` answer has the same headers and
//! no body.

use std::io::Read as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use tokio::sync::mpsc;

/// Bytes read from the file at a time.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks read ahead of the connection.
const CHUNKS_AHEAD: usize = 4;

/// A body fed by the reading thread.
struct ChannelBody {
    chunks: mpsc::Receiver<std::io::Result<Bytes>>,
    /// Dropped with the body: when the connection has taken the last chunk or went away.
    _held: Box<dyn std::any::Any + Send>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.chunks.poll_recv(cx).map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }
}

/// Reads `file` to its end on a blocking thread, chunk by chunk, into the returned body. The
/// file is closed when it is read or when the client goes away; `held` is dropped with the body.
fn file_body(mut file: std::fs::File, held: Box<dyn std::any::Any + Send>) -> Body {
    let (sender, chunks) = mpsc::channel(CHUNKS_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut buffer = vec![0; CHUNK_BYTES];
        loop {
            let chunk = match file.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => Ok(Bytes::copy_from_slice(&buffer[..n])),
                Err(e) => Err(e),
            };
            let failed = chunk.is_err();
            if sender.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    Body::new(ChannelBody { chunks, _held: held })
}

/// `Content-Disposition: attachment` with `file_name` (ASCII letters, digits, `-`, `_` and `.`
/// are kept; anything else becomes `-`).
fn attachment(file_name: &str) -> HeaderValue {
    let safe: String = file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The download of an open file of `len` bytes; `held` (e.g. an export's slot) is kept until the
/// body is sent or dropped.
pub fn file_response(
    file: std::fs::File,
    len: u64,
    content_type: &'static str,
    file_name: &str,
    held: impl Send + 'static,
) -> Response {
    let mut response = file_body(file, Box::new(held)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(CONTENT_DISPOSITION, attachment(file_name));
    response
}

/// The answer to `HEAD` for a download: its type and name, no body, nothing made.
pub fn head_response(content_type: &'static str, file_name: &str) -> Response {
    let mut response = Body::empty().into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_DISPOSITION, attachment(file_name));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_are_plain() {
        assert_eq!(
            attachment("thong-ke-sipas-2017-2026-01-01-2026-01-31.xlsx"),
            "attachment; filename=\"thong-ke-sipas-2017-2026-01-01-2026-01-31.xlsx\""
        );
        assert_eq!(attachment("a\"b\r\nc đ.csv"), "attachment; filename=\"a-b--c--.csv\"");
    }
}

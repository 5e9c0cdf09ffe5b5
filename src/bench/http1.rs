//! A minimal HTTP/1.1 keep-alive client for load generation: one request at a time per
//! connection, `Content-Length` bodies only. Small and predictable, so the benchmark measures
//! the server rather than the client.

use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One keep-alive connection to `host:port`.
pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

/// A response's status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    pub async fn open(address: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await.with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        Ok(Self { stream: BufReader::with_capacity(16 * 1024, stream), host: address.to_owned() })
    }

    /// Sends a POST with a JSON body and extra headers, and reads the response.
    pub async fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> anyhow::Result<Response> {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(name);
            request.push_str(": ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.get_mut().write_all(&bytes).await.context("sending a request")?;
        tokio::time::timeout(Duration::from_secs(30), self.read_response()).await.context("waiting for a response")?
    }

    async fn read_response(&mut self) -> anyhow::Result<Response> {
        let mut head = Vec::with_capacity(256);
        loop {
            let byte = self.stream.read_u8().await.context("reading the response head")?;
            head.push(byte);
            if head.ends_with(b"\r\n\r\n") {
                break;
            }
            if head.len() > 16 * 1024 {
                bail!("response head longer than 16 KiB");
            }
        }
        let text = String::from_utf8_lossy(&head);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("no status in {:?}", text.lines().next()))?;
        let length = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.context("reading the response body")?;
        Ok(Response { status, body })
    }
}

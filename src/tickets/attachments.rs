//! The `ticket.fetch_attachment` job: downloads a complaint's evidence from Zalo (whose links
//! expire) into `<general.data_dir>/attachments/<code>/`, within a size limit and for accepted
//! types only (images, PDF, office documents, audio, video — judged by the file's first bytes
//! before the declared type), and records its SHA-256, size, type and path.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{Actor, Attachment, AttachmentState, EventAction, FetchOutcome, NewEvent};
use crate::clock::SharedClock;
use crate::jobs::{Job, JobError, JobHandler};
use crate::store::TicketStore;

/// Payload of a `ticket.fetch_attachment` job.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FetchPayload {
    pub code: String,
    pub seq: i32,
}

/// Downloads attachments.
pub struct AttachmentFetcher {
    store: Arc<dyn TicketStore>,
    clock: SharedClock,
    dir: PathBuf,
    max_bytes: u64,
    client: reqwest::Client,
}

/// Why a download was refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    Permanent(String),
    Transient(String),
}

impl AttachmentFetcher {
    /// Files go under `<data_dir>/attachments/`.
    pub fn new(
        store: Arc<dyn TicketStore>,
        clock: SharedClock,
        data_dir: &Path,
        max_bytes: u64,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout.to_std().unwrap_or(std::time::Duration::from_secs(60)))
            .connect_timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| anyhow::anyhow!("building the attachment download client: {e}"))?;
        Ok(Self { store, clock, dir: data_dir.join("attachments"), max_bytes, client })
    }

    /// Downloads attachment `seq` of ticket `code` unless it is already done. `last_attempt`
    /// turns a transient failure into a recorded, permanent one.
    pub async fn fetch(&self, code: &str, seq: i32, last_attempt: bool) -> Result<(), JobError> {
        let attachment = self
            .store
            .attachment(code, seq)
            .await
            .map_err(|e| JobError::Retry(format!("reading attachment {code}#{seq}: {e}")))?
            .ok_or_else(|| JobError::Permanent(format!("ticket {code} has no attachment #{seq}")))?;
        if attachment.state != AttachmentState::Pending {
            return Ok(());
        }
        match self.download(code, &attachment).await {
            Ok(outcome) => self.record(code, &attachment, outcome).await,
            Err(Refusal::Transient(why)) if !last_attempt => Err(JobError::Retry(why)),
            Err(Refusal::Transient(why) | Refusal::Permanent(why)) => {
                self.record(code, &attachment, FetchOutcome::Failed { error: why.clone() }).await?;
                Err(JobError::Permanent(why))
            }
        }
    }

    async fn record(&self, code: &str, attachment: &Attachment, outcome: FetchOutcome) -> Result<(), JobError> {
        let (action, detail) = match &outcome {
            FetchOutcome::Fetched { content_type, size_bytes, .. } => (
                EventAction::AttachmentFetched,
                format!("Đã lưu tệp đính kèm #{} ({content_type}, {size_bytes} byte)", attachment.seq),
            ),
            FetchOutcome::Failed { error } => {
                (EventAction::AttachmentFailed, format!("Không lưu được tệp đính kèm #{}: {error}", attachment.seq))
            }
        };
        let event = NewEvent {
            actor: Actor::system(),
            action,
            from_status: None,
            to_status: None,
            detail,
            reason: None,
            data: json!({"seq": attachment.seq, "outcome": outcome}),
        };
        self.store
            .record_fetch(attachment.id, &outcome, &event, self.clock.now())
            .await
            .map_err(|e| JobError::Retry(format!("recording attachment {code}#{}: {e}", attachment.seq)))?;
        Ok(())
    }

    async fn download(&self, code: &str, attachment: &Attachment) -> Result<FetchOutcome, Refusal> {
        let url = attachment.url.as_deref().ok_or_else(|| Refusal::Permanent("no link to download".into()))?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Refusal::Permanent("the link is not an http(s) address".into()));
        }
        if attachment.declared_size.is_some_and(|s| u64::try_from(s).unwrap_or(0) > self.max_bytes) {
            return Err(Refusal::Permanent(format!("the file is larger than the limit of {} bytes", self.max_bytes)));
        }
        // The link is not put into errors: Zalo's links carry access parameters.
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| Refusal::Transient(format!("download failed: {}", without_url(&e))))?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Refusal::Transient(format!("the file server answered HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(Refusal::Permanent(format!(
                "the file server answered HTTP {} (the link may have expired)",
                status.as_u16()
            )));
        }
        if response.content_length().is_some_and(|len| len > self.max_bytes) {
            return Err(Refusal::Permanent(format!("the file is larger than the limit of {} bytes", self.max_bytes)));
        }
        let declared_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Refusal::Transient(format!("download interrupted: {}", without_url(&e))))?
        {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(Refusal::Permanent(format!(
                    "the file is larger than the limit of {} bytes",
                    self.max_bytes
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if body.is_empty() {
            return Err(Refusal::Permanent("the file is empty".into()));
        }
        let content_type =
            accepted_type(&body, declared_type.as_deref(), attachment.name.as_deref()).ok_or_else(|| {
                Refusal::Permanent(format!(
                    "file type {} is not accepted (images, PDF, office documents, audio and video are)",
                    declared_type.as_deref().unwrap_or("unknown")
                ))
            })?;
        let sha256 = hex::encode(Sha256::digest(&body));
        let folder = self.dir.join(code);
        let path = folder.join(format!("{}-{}.{}", attachment.seq, &sha256[..12], extension(&content_type)));
        let size_bytes = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&folder, &target, &body))
            .await
            .map_err(|e| Refusal::Transient(format!("writing the file: {e}")))?
            .map_err(|e| Refusal::Transient(format!("writing the file: {e}")))?;
        Ok(FetchOutcome::Fetched { content_type, size_bytes, sha256, local_path: path.display().to_string() })
    }
}

/// A reqwest error without the URL it carries.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<link>");
    }
    text
}

/// Writes `bytes` to a temporary file in `folder`, then renames it to `path`.
fn write_atomically(folder: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let partial = path.with_extension("part");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

/// What the first bytes of a file say it is.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if starts(b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if starts(b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if starts(b"RIFF") && at(8, b"AVI ") {
        return Some("video/x-msvideo");
    }
    if starts(b"%PDF-") {
        return Some("application/pdf");
    }
    if at(4, b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc" => "image/heic",
            b"M4A " | b"M4B " => "audio/mp4",
            b"qt  " => "video/quicktime",
            b if b.starts_with(b"3g") => "video/3gpp",
            _ => "video/mp4",
        });
    }
    if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0) {
        return Some("audio/mpeg");
    }
    if starts(b"OggS") {
        return Some("audio/ogg");
    }
    if starts(b"#!AMR") {
        return Some("audio/amr");
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("video/webm");
    }
    if starts(b"PK\x03\x04") {
        return Some("application/zip");
    }
    if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some("application/x-ole-storage");
    }
    None
}

/// Office formats by file-name extension (ZIP- and OLE-based documents look alike inside).
const OFFICE_EXTENSIONS: &[(&str, &str)] = &[
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("ppt", "application/vnd.ms-powerpoint"),
];

fn is_office_type(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.openxmlformats-officedocument.")
        || content_type.starts_with("application/vnd.oasis.opendocument.")
        || matches!(content_type, "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint")
}

/// The content type to record, or `None` when the file is not accepted. The bytes decide;
/// containers (ZIP, OLE) are accepted only as office documents, by declared type or file name.
pub fn accepted_type(bytes: &[u8], declared: Option<&str>, name: Option<&str>) -> Option<String> {
    let by_name = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .and_then(|ext| OFFICE_EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t));
    match sniff(bytes)? {
        "application/zip" | "application/x-ole-storage" => {
            let ole = bytes.starts_with(&[0xD0, 0xCF]);
            let legacy = |t: &str| {
                matches!(t, "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint")
            };
            let fits = |t: &str| is_office_type(t) && legacy(t) == ole;
            declared.filter(|t| fits(t)).map(str::to_owned).or_else(|| by_name.filter(|t| fits(t)).map(str::to_owned))
        }
        sniffed => Some(sniffed.to_owned()),
    }
}

/// File-name extension for a recorded type.
fn extension(content_type: &str) -> &'static str {
    if let Some((ext, _)) = OFFICE_EXTENSIONS.iter().find(|(_, t)| *t == content_type) {
        return ext;
    }
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "application/pdf" => "pdf",
        "audio/wav" => "wav",
        "audio/mp4" => "m4a",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/amr" => "amr",
        "video/x-msvideo" => "avi",
        "video/quicktime" => "mov",
        "video/3gpp" => "3gp",
        "video/webm" => "webm",
        "video/mp4" => "mp4",
        _ => "bin",
    }
}

#[async_trait]
impl JobHandler for AttachmentFetcher {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: FetchPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("bad ticket.fetch_attachment payload: {e}")))?;
        self.fetch(&payload.code, payload.seq, job.attempt >= job.max_attempts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_judged_by_their_bytes() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        assert_eq!(accepted_type(&jpeg, Some("application/octet-stream"), None).as_deref(), Some("image/jpeg"));
        assert_eq!(accepted_type(b"%PDF-1.7\n", Some("image/png"), None).as_deref(), Some("application/pdf"));
        assert_eq!(accepted_type(b"<html><script>", Some("image/jpeg"), None), None, "HTML posing as a photo");
        assert_eq!(accepted_type(b"MZ\x90\x00", Some("application/pdf"), Some("a.pdf")), None, "a program");
        let zip = b"PK\x03\x04rest";
        assert_eq!(accepted_type(zip, Some("application/zip"), Some("x.zip")), None, "a bare archive");
        assert_eq!(
            accepted_type(zip, Some("application/octet-stream"), Some("Đơn.DOCX")).as_deref(),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0];
        assert_eq!(accepted_type(&ole, Some("application/msword"), None).as_deref(), Some("application/msword"));
        assert_eq!(accepted_type(&ole, None, Some("bang.xls")).as_deref(), Some("application/vnd.ms-excel"));
        assert_eq!(accepted_type(b"\0\0\0\x18ftypmp42", None, None).as_deref(), Some("video/mp4"));
        assert_eq!(accepted_type(b"ID3\x03", None, None).as_deref(), Some("audio/mpeg"));
        assert_eq!(accepted_type(b"#!AMR\n", None, None).as_deref(), Some("audio/amr"));
        assert_eq!(extension("application/vnd.ms-excel"), "xls");
        assert_eq!(extension("image/jpeg"), "jpg");
    }
}

//! The `ticket.fetch_attachment` job against a tiny local file server: files within the limits
//! are stored with their digest, the rest is refused and recorded; transient errors retry.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use chrono::Duration;
use sha2::{Digest, Sha256};
use tongdai::clock::ManualClock;
use tongdai::jobs::JobError;
use tongdai::tickets::attachments::AttachmentFetcher;
use tongdai::tickets::filter::Scope;
use tongdai::tickets::model::{AttachmentState, EventAction};

use crate::support::TestDb;
use crate::tickets_support::{draft_with_evidence, service, t0};

fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..500u32).map(|i| (i % 251) as u8));
    bytes
}

async fn file_server() -> String {
    let app = Router::new()
        .route("/photo.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg()) }))
        .route("/big.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], vec![0xFFu8; 4096]) }))
        .route(
            "/page.jpg",
            get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], "<html><body>login</body></html>") }),
        )
        .route("/gone.jpg", get(|| async { StatusCode::NOT_FOUND.into_response() }))
        .route("/busy.jpg", get(|| async { StatusCode::SERVICE_UNAVAILABLE.into_response() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_downloaded_within_size_and_type_limits() {
    let db = TestDb::sqlite().await;
    let base = file_server().await;
    let urls: Vec<String> =
        ["photo", "big", "page", "gone", "busy"].iter().map(|name| format!("{base}/{name}.jpg")).collect();
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let filed = service(&db)
        .file_complaint(&draft_with_evidence("Ảnh chụp tại bộ phận một cửa", &url_refs), "u1", t0())
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tongdai_att_{:08x}", rand::random::<u32>()));
    let clock = Arc::new(ManualClock::new(t0() + Duration::minutes(1)));
    let fetcher = AttachmentFetcher::new(db.store.tickets.clone(), clock, &dir, 1024, Duration::seconds(10)).unwrap();
    let code = filed.code.as_str();

    fetcher.fetch(code, 1, false).await.unwrap();
    fetcher.fetch(code, 1, false).await.unwrap(); // already done: nothing happens
    let big = fetcher.fetch(code, 2, false).await.unwrap_err();
    assert!(matches!(&big, JobError::Permanent(why) if why.contains("larger than the limit of 1024")), "{big:?}");
    let page = fetcher.fetch(code, 3, false).await.unwrap_err();
    assert!(matches!(&page, JobError::Permanent(why) if why.contains("not accepted")), "{page:?}");
    let gone = fetcher.fetch(code, 4, false).await.unwrap_err();
    assert!(matches!(&gone, JobError::Permanent(why) if why.contains("HTTP 404")), "{gone:?}");
    let busy = fetcher.fetch(code, 5, false).await.unwrap_err();
    assert!(matches!(&busy, JobError::Retry(why) if why.contains("HTTP 503")), "{busy:?}");
    assert!(!format!("{busy:?}{gone:?}").contains(&base), "links are kept out of errors");

    let detail = service(&db).detail(code, &Scope::All).await.unwrap();
    let files = &detail.attachments;
    assert_eq!(files[0].state, AttachmentState::Fetched);
    assert_eq!(files[0].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(files[0].size_bytes, Some(jpeg().len() as i64));
    let digest = hex::encode(Sha256::digest(jpeg()));
    assert_eq!(files[0].sha256.as_deref(), Some(digest.as_str()));
    let path = std::path::PathBuf::from(files[0].local_path.clone().unwrap());
    assert!(path.starts_with(dir.join("attachments").join(code)), "{}", path.display());
    assert_eq!(std::fs::read(&path).unwrap(), jpeg());
    for (file, expected) in files[1..4].iter().zip(["larger than the limit", "not accepted", "HTTP 404"]) {
        assert_eq!(file.state, AttachmentState::Failed);
        assert!(file.error.as_deref().unwrap().contains(expected), "{file:?}");
        assert!(file.local_path.is_none());
    }
    assert_eq!(files[4].state, AttachmentState::Pending, "a transient error leaves it for the retry");
    let last = fetcher.fetch(code, 5, true).await.unwrap_err();
    assert!(matches!(last, JobError::Permanent(_)), "out of attempts: recorded as failed");
    let files = service(&db).detail(code, &Scope::All).await.unwrap();
    assert_eq!(files.attachments[4].state, AttachmentState::Failed);
    let fetched = files.events.iter().filter(|e| e.action == EventAction::AttachmentFetched).count();
    let failed = files.events.iter().filter(|e| e.action == EventAction::AttachmentFailed).count();
    assert_eq!((fetched, failed), (1, 4));
    let _ = std::fs::remove_dir_all(dir);
}

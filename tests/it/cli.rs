//! The real binary: `serve` starts with no configuration (SQLite under ./data) or on PostgreSQL,
//! answers /healthz and /readyz, and stops cleanly on SIGTERM; `config check` and `migrate`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tongdai");

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tongdai_cli_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tongdai(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("TONGDAI_") {
            command.env_remove(key);
        }
    }
    command
}

/// A minimal HTTP/1.1 GET; returns status code and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

fn wait_until_serving(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            panic!("tongdai exited early with {status}: {stderr}");
        }
        if http_get(port, "/healthz").is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("tongdai did not start serving within 30 s");
}

fn terminate(mut child: Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "tongdai should exit 0 after SIGTERM, got {status}");
            return;
        }
        assert!(Instant::now() < deadline, "tongdai did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve_and_probe(dir: &Path, extra_env: &[(&str, &str)]) {
    let port = free_port();
    let mut command = tongdai(dir);
    command
        .arg("serve")
        .env("TONGDAI_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    wait_until_serving(&mut child, port);
    assert_eq!(http_get(port, "/healthz").unwrap().0, 200);
    let (status, body) = http_get(port, "/readyz").unwrap();
    assert_eq!(status, 200, "{body}");
    terminate(child);
}

#[test]
fn serve_starts_on_sqlite_with_no_configuration() {
    let dir = scratch_dir();
    serve_and_probe(&dir, &[]);
    assert!(dir.join("data/tongdai.db").exists(), "the default database is created under ./data");
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg_attr(not(pg_tests), ignore = "PostgreSQL variant: set TONGDAI_TEST_POSTGRES_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_on_postgres_from_the_environment() {
    let db = crate::support::TestDb::postgres_unmigrated().await;
    let dir = scratch_dir();
    let url = db.config.url.clone();
    tokio::task::spawn_blocking(move || {
        serve_and_probe(&dir, &[("TONGDAI_DATABASE__URL", &url)]);
        let _ = std::fs::remove_dir_all(dir);
    })
    .await
    .unwrap();
}

#[test]
fn config_check_prints_the_effective_configuration_and_rejects_bad_values() {
    let dir = scratch_dir();
    std::fs::write(dir.join("tongdai.toml"), "[server]\nlisten = \"0.0.0.0:9999\"\n").unwrap();
    let out = tongdai(&dir)
        .args(["config", "check"])
        .env("TONGDAI_DATABASE__URL", "postgres://app:hunter2@db/tongdai")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listen = \"0.0.0.0:9999\""), "{text}");
    assert!(text.contains("postgres://app:***@db/tongdai") && !text.contains("hunter2"), "{text}");

    let out = tongdai(&dir).args(["config", "check"]).env("TONGDAI_SERVER__LISTEN", "nowhere").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`server.listen`: `nowhere` is not an address"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn migrate_creates_the_schema_and_exits() {
    let dir = scratch_dir();
    let out = tongdai(&dir).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("data/tongdai.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

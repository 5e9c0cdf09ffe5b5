//! The real binary: `apikey create` prints the key once and stores only its digest, `apikey list`
//! never shows keys, `apikey revoke`; `tickets list` as JSON and CSV.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_tongdai");

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tongdai_tcli_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("TONGDAI_") {
            command.env_remove(key);
        }
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apikey_and_tickets_commands() {
    let dir = scratch_dir();
    let out = run(
        &dir,
        &[
            "apikey",
            "create",
            "--name",
            "motcua",
            "--scope",
            "tickets:read",
            "--scope",
            "tickets:write",
            "--department",
            "stp",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_owned();
    assert!(key.starts_with("tdk_") && key.len() == 44 && !key.contains('\n'), "only the key on stdout: {key:?}");
    assert!(text(&out.stderr).contains("shown only now"), "{}", text(&out.stderr));

    let again = run(&dir, &["apikey", "create", "--name", "motcua", "--scope", "tickets:read"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("exists already"));
    let bad_scope = run(&dir, &["apikey", "create", "--name", "x", "--scope", "tickets:delete"]);
    assert_eq!(bad_scope.status.code(), Some(2));
    assert!(text(&bad_scope.stderr).contains("unknown scope `tickets:delete`"));
    let bad_department =
        run(&dir, &["apikey", "create", "--name", "x", "--scope", "stats:read", "--department", "XYZ"]);
    assert_eq!(bad_department.status.code(), Some(2));

    let list = run(&dir, &["apikey", "list"]);
    assert!(list.status.success());
    let listed = text(&list.stdout);
    assert!(listed.contains("motcua") && listed.contains(&key[..12]) && listed.contains("STP"), "{listed}");
    assert!(!listed.contains(&key[12..]), "the key itself is never listed");
    for file in ["data/tongdai.db", "data/tongdai.db-wal"] {
        let bytes = std::fs::read(dir.join(file)).unwrap_or_default();
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "the key is not stored ({file})");
    }

    // The key works against the store until it is revoked.
    let config = tongdai::config::DatabaseConfig {
        url: format!("sqlite://{}/data/tongdai.db", dir.display()),
        ..tongdai::config::DatabaseConfig::default()
    };
    let store = tongdai::store::Store::connect(&config).await.unwrap();
    let keys = tongdai::auth::api_keys::ApiKeys::new(store.api_keys.clone());
    assert_eq!(keys.authenticate(&key).await.unwrap().unwrap().department_code.as_deref(), Some("STP"));
    assert!(run(&dir, &["apikey", "revoke", "motcua"]).status.success());
    assert!(keys.authenticate(&key).await.unwrap().is_none());
    assert_eq!(run(&dir, &["apikey", "revoke", "motcua"]).status.code(), Some(2));

    // Tickets: one filed through the service, listed by the binary.
    let service = tongdai::tickets::service::TicketService::from_config(
        &tongdai::config::Config::default(),
        store.tickets.clone(),
    )
    .unwrap();
    let filed = service
        .file_complaint(
            &crate::tickets_support::draft("Thủ tục chứng thực chậm, \"quá\" lâu"),
            "u1",
            crate::tickets_support::t0(),
        )
        .await
        .unwrap();
    let json = run(&dir, &["tickets", "list", "--status", "received", "--format", "json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let items: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(items[0]["code"], serde_json::json!(filed.code));
    assert_eq!(items[0]["citizen_phone_masked"], serde_json::json!("849******78"));
    let csv = run(&dir, &["tickets", "list", "--department", "STP", "--format", "csv"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let csv_text = text(&csv.stdout);
    let mut lines = csv_text.lines();
    assert!(lines.next().unwrap().starts_with("code,status,status_label,branch,department_code"));
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{},received,Mới tiếp nhận,3,STP,Sở Tư pháp", filed.code)), "{row}");
    assert!(row.contains("\"Thủ tục chứng thực chậm, \"\"quá\"\" lâu\""), "quoted CSV: {row}");
    assert!(!csv_text.contains("84912345678"), "no phone in exports");
    let none = run(&dir, &["tickets", "list", "--status", "closed", "--format", "csv"]);
    assert_eq!(text(&none.stdout).lines().count(), 1, "header only");
    let bad = run(&dir, &["tickets", "list", "--status", "done"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("`status`: `done`"), "{}", text(&bad.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

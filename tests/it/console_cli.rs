//! `tongdai user …` through the real binary: passwords from standard input when it is not a
//! terminal, clear errors, the account table, and every change audited as `cli`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tongdai::auth::audit::{AuditAction, AuditFilter};
use tongdai::config::DatabaseConfig;
use tongdai::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_tongdai");

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tongdai_user_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `tongdai user ARGS` in `dir` with `stdin` piped in.
fn user(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(BIN);
    command.current_dir(dir).arg("user").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("TONGDAI_") {
            command.env_remove(key);
        }
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_commands_read_passwords_from_stdin_and_are_audited() {
    let dir = scratch_dir();
    let add = ["add", "--username", "An.NV", "--role", "officer", "--department", "snv", "--name", "Nguyễn Văn An"];
    let out = user(&dir, &add, "mật khẩu thật dài\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "added an.nv (officer, SNV)\n");

    let short = user(&dir, &["add", "--username", "binh", "--role", "viewer"], "ngắn\n");
    assert!(!short.status.success());
    assert!(text(&short.stderr).contains("Mật khẩu phải có ít nhất 10 ký tự"), "{}", text(&short.stderr));
    let no_department = user(&dir, &["add", "--username", "chi", "--role", "officer"], "mật khẩu thật dài\n");
    assert!(text(&no_department.stderr).contains("phải thuộc một đơn vị"), "{}", text(&no_department.stderr));
    let unknown = user(&dir, &["add", "--username", "chi", "--role", "officer", "--department", "XYZ"], "");
    assert!(text(&unknown.stderr).contains("Mã đơn vị “XYZ” không có"), "{}", text(&unknown.stderr));
    let role = user(&dir, &["add", "--username", "chi", "--role", "boss"], "");
    assert!(text(&role.stderr).contains("Vai trò “boss” không có"), "{}", text(&role.stderr));
    let taken = user(&dir, &add, "mật khẩu thật dài\n");
    assert!(text(&taken.stderr).contains("đã có người dùng"), "{}", text(&taken.stderr));

    let admin = user(&dir, &["add", "--username", "quantri", "--role", "admin"], "một mật khẩu khác\n");
    assert!(admin.status.success(), "{}", text(&admin.stderr));
    let disabled = user(&dir, &["disable", "an.nv"], "");
    assert_eq!(text(&disabled.stdout), "disabled an.nv (its sessions are ended)\n");
    let reset = user(&dir, &["reset-password", "AN.NV"], "mật khẩu mới tinh\n");
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    let missing = user(&dir, &["disable", "ghost"], "");
    assert!(!missing.status.success() && text(&missing.stderr).contains("Không có người dùng “ghost”"));

    let list = user(&dir, &["list"], "");
    let table = text(&list.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("USERNAME") && lines[0].contains("DEPARTMENT"), "{table}");
    assert!(lines[1].starts_with("an.nv ") && lines[1].contains("Nguyễn Văn An") && lines[1].contains("disabled"));
    assert!(lines[2].starts_with("quantri ") && lines[2].contains("admin") && lines[2].contains("never"));
    assert_eq!(user(&dir, &["enable", "an.nv"], "").status.code(), Some(0));

    let config =
        DatabaseConfig { url: format!("sqlite://{}/data/tongdai.db", dir.display()), ..DatabaseConfig::default() };
    let store = Store::connect(&config).await.unwrap();
    let an = store.users.user_by_username("an.nv").await.unwrap().unwrap();
    assert_eq!(an.display_name, "Nguyễn Văn An");
    assert!(tongdai::auth::users::verify_password("mật khẩu mới tinh", &an.password_hash));
    assert!(!an.disabled && !an.must_change_password);
    let entries = store.audit.query(&AuditFilter::default(), 100, 0).await.unwrap();
    let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user_added", "user_added", "user_disabled", "password_reset", "user_enabled"]);
    assert!(entries.iter().all(|e| e.actor == "cli" && e.actor_user_id.is_none()));
    let filter = AuditFilter { action: Some(AuditAction::PasswordReset), ..AuditFilter::default() };
    assert_eq!(store.audit.query(&filter, 10, 0).await.unwrap()[0].target.as_deref(), Some("user:an.nv"));
    let _ = std::fs::remove_dir_all(dir);
}

//! Repository rules that a test can keep: migrations mirrored between the backends, one form of
//! address for the citizen in every text the service sends or shows.

use std::collections::BTreeSet;
use std::path::Path;

fn file_names(dir: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sqlite_and_postgres_migrations_have_identical_file_names() {
    let sqlite = file_names("migrations/sqlite");
    let postgres = file_names("migrations/postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration needs a twin with the same name in the other backend's folder");
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The province's official texts (SIPAS questionnaires, answers to complaints) say "Ông/Bà"; the
/// bot, the survey chat, the web form and the ticket notices say the same, never "anh/chị".
#[test]
fn citizens_are_addressed_as_ong_ba_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "templates", "surveys", "deploy"] {
        files_under(&root.join(dir), &mut files);
    }
    let offenders: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            text.to_lowercase().contains("anh/chị").then(|| path.display().to_string())
        })
        .collect();
    assert!(files.len() > 50, "the scan found only {} files", files.len());
    assert!(offenders.is_empty(), "\"anh/chị\" instead of \"Ông/Bà\" in {offenders:?}");
}

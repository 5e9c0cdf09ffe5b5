//! Repository rules that a test can keep: migrations mirrored between the backends.

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

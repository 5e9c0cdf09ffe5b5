//! Marks the PostgreSQL test variants as ignored (with the reason shown by the test runner)
//! unless TONGDAI_TEST_POSTGRES_URL is set when the tests are built.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=TONGDAI_TEST_POSTGRES_URL");
    if std::env::var_os("TONGDAI_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}

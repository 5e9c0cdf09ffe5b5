//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database created for one test
//! and dropped afterwards. Also the macro that runs one async test body on both backends.

use std::path::PathBuf;

use tongdai::config::DatabaseConfig;
use tongdai::store::Store;

pub const PG_URL_VAR: &str = "TONGDAI_TEST_POSTGRES_URL";

/// A database for one test, removed when dropped.
pub struct TestDb {
    pub store: Store,
    pub config: DatabaseConfig,
    sqlite_dir: Option<PathBuf>,
    pg_database: Option<(String, String)>,
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}_{:08x}", std::process::id(), rand::random::<u32>())
}

impl TestDb {
    /// A new, migrated SQLite database in a temporary folder.
    pub async fn sqlite() -> Self {
        let db = Self::sqlite_unmigrated().await;
        db.store.health.migrate().await.expect("migrate SQLite");
        db
    }

    pub async fn sqlite_unmigrated() -> Self {
        let dir = std::env::temp_dir().join(unique_name("tongdai_test"));
        std::fs::create_dir_all(&dir).unwrap();
        let config = DatabaseConfig { url: format!("sqlite://{}/test.db", dir.display()), ..DatabaseConfig::default() };
        let store = Store::connect(&config).await.expect("open SQLite");
        Self { store, config, sqlite_dir: Some(dir), pg_database: None }
    }

    /// A new, migrated PostgreSQL database on the server named by TONGDAI_TEST_POSTGRES_URL.
    pub async fn postgres() -> Self {
        let db = Self::postgres_unmigrated().await;
        db.store.health.migrate().await.expect("migrate PostgreSQL");
        db
    }

    pub async fn postgres_unmigrated() -> Self {
        let admin_url = std::env::var(PG_URL_VAR)
            .unwrap_or_else(|_| panic!("{PG_URL_VAR} must be set at run time when it was set at build time"));
        let name = unique_name("tongdai_test");
        let mut admin = connect_admin(&admin_url).await;
        sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
        let url = replace_database(&admin_url, &name);
        let config = DatabaseConfig { url, max_connections: 16, ..DatabaseConfig::default() };
        let store = Store::connect(&config).await.expect("connect to the test database");
        Self { store, config, sqlite_dir: None, pg_database: Some((admin_url, name)) }
    }

    /// A second, independent connection to the same database (a second "instance").
    pub async fn another_connection(&self) -> Store {
        Store::connect(&self.config).await.unwrap()
    }
}

async fn connect_admin(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.expect("connect to PostgreSQL (TONGDAI_TEST_POSTGRES_URL)")
}

/// Replaces the database name at the end of a postgres:// URL.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = self.pg_database.take() {
            // Dropping needs async I/O; do it on a private runtime in a plain thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let mut admin = connect_admin(&admin_url).await;
                    let _ = sqlx::Executor::execute(
                        &mut admin,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                    )
                    .await;
                });
            })
            .join();
        }
    }
}

/// The HTTP state of a service on `db`, with the system clock.
pub fn app_state(
    db: &TestDb,
    config: tongdai::config::Config,
    secrets: Option<tongdai::inbound::WebhookSecrets>,
) -> tongdai::app::AppState {
    app_state_with_clock(db, config, secrets, std::sync::Arc::new(tongdai::clock::SystemClock))
}

/// The HTTP state of a service on `db` with the given clock.
pub fn app_state_with_clock(
    db: &TestDb,
    config: tongdai::config::Config,
    secrets: Option<tongdai::inbound::WebhookSecrets>,
    clock: tongdai::clock::SharedClock,
) -> tongdai::app::AppState {
    let intake = tongdai::inbound::Intake::new(
        secrets,
        db.store.inbound.clone(),
        clock.clone(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    let surveys = survey_service(db, &config);
    tongdai::app::AppState {
        config: std::sync::Arc::new(config),
        store: db.store.clone(),
        clock,
        metrics: tongdai::metrics::Metrics::new(),
        intake: std::sync::Arc::new(intake),
        surveys: std::sync::Arc::new(surveys),
    }
}

/// The survey service on `db` with the embedded definitions and a fixed link key.
pub fn survey_service(db: &TestDb, config: &tongdai::config::Config) -> tongdai::surveys::SurveyService {
    survey_service_on(&db.store, config)
}

/// The survey service on `store` (e.g. a second connection pool to the same database).
pub fn survey_service_on(store: &Store, config: &tongdai::config::Config) -> tongdai::surveys::SurveyService {
    tongdai::surveys::SurveyService::new(
        store.surveys.clone(),
        tongdai::surveys::embedded().unwrap(),
        tongdai::surveys::settings::SurveySettings::from_config(config),
        tongdai::calendar::working::WorkingCalendar::vietnam_default().unwrap(),
        tongdai::surveys::link::LinkSigner::new(TEST_LINK_KEY.to_vec()),
    )
    .unwrap()
}

/// The link-signing key of test services.
pub const TEST_LINK_KEY: &[u8; 32] = b"tongdai-test-link-key-0123456789";

/// Runs each listed `async fn name(db: TestDb)` on SQLite and on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[cfg_attr(not(pg_tests), ignore = "PostgreSQL variant: set TONGDAI_TEST_POSTGRES_URL to run it")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::TestDb::postgres().await).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(replace_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
}

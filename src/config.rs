//! Configuration: `tongdai.toml` (optional) overridden by `TONGDAI_<SECTION>__<KEY>` environment
//! variables, validated once at start-up with errors that name the key.
//!
//! Every key has a default, so the service starts with no file at all. The set of known keys is
//! derived from [`Config::default`], which is also what `tongdai.example.toml` must document.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::calendar::duration::HumanDuration;

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "TONGDAI_";
/// Environment variables that start with the prefix but are not configuration keys.
const NON_CONFIG_ENV: &[&str] = &["TONGDAI_TEST_POSTGRES_URL", "TONGDAI_CONFIG"];
/// Configuration keys whose values are secrets: never printed or logged.
const SECRET_KEYS: &[&str] = &[];

/// The whole configuration. Sections map to TOML tables.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub general: GeneralConfig,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub jobs: JobsConfig,
    pub console: crate::console::settings::ConsoleConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneralConfig {
    /// IANA time zone in which schedules, deadlines and office hours are read.
    pub timezone: String,
    /// Folder for the SQLite database, generated keys and downloaded attachments.
    pub data_dir: String,
}

impl Default for GeneralConfig {
    fn default() -> Self {
        Self { timezone: "Asia/Ho_Chi_Minh".into(), data_dir: "data".into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port the HTTP server binds to.
    pub listen: String,
    /// `human` or `json`.
    pub log_format: LogFormat,
    /// Log filter in `tracing` syntax, e.g. `info` or `tongdai=debug,info`.
    pub log_level: String,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub body_limit_bytes: u64,
    /// A request that takes longer is answered 503.
    pub request_timeout: HumanDuration,
    /// On SIGINT/SIGTERM: how long to wait for requests and running jobs before giving up.
    pub shutdown_grace: HumanDuration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            log_format: LogFormat::Human,
            log_level: "info".into(),
            body_limit_bytes: 1024 * 1024,
            request_timeout: HumanDuration::from_secs(30),
            shutdown_grace: HumanDuration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (embedded default) or `postgres://user:pass@host/db`.
    pub url: String,
    /// PostgreSQL pool size.
    pub max_connections: u32,
    /// SQLite reader connections (there is always exactly one writer).
    pub sqlite_readers: u32,
    /// How long a connection waits for a lock before failing.
    pub busy_timeout: HumanDuration,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/tongdai.db".into(),
            max_connections: 10,
            sqlite_readers: 4,
            busy_timeout: HumanDuration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Jobs run at the same time by one process.
    pub concurrency: u32,
    /// Jobs claimed in one database round trip.
    pub claim_batch: u32,
    /// How often an idle worker looks for new jobs (jobs enqueued by the same process wake it at once).
    pub poll_interval: HumanDuration,
    /// How long a claimed job stays reserved to its worker; expired leases are rescued.
    pub lease: HumanDuration,
    /// How often expired leases are looked for.
    pub rescue_interval: HumanDuration,
    /// Attempts before a job is discarded (kept as a dead letter), unless the job says otherwise.
    pub max_attempts: u32,
    /// First retry delay; doubles with each attempt, with jitter.
    pub backoff_base: HumanDuration,
    /// Longest retry delay.
    pub backoff_max: HumanDuration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            concurrency: 16,
            claim_batch: 32,
            poll_interval: HumanDuration::from_millis(500),
            lease: HumanDuration::from_secs(300),
            rescue_interval: HumanDuration::from_secs(30),
            max_attempts: 10,
            backoff_base: HumanDuration::from_secs(2),
            backoff_max: HumanDuration::from_secs(3600),
        }
    }
}

/// A configuration that could not be accepted; lists every problem found.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(problem: impl Into<String>) -> Self {
        Self { problems: vec![problem.into()] }
    }
}

/// A validated configuration plus what was noticed while loading it.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file read, if any.
    pub source: Option<PathBuf>,
    /// Things worth telling the operator that do not stop the start.
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads `path` (or `./tongdai.toml` when it exists) and applies the `TONGDAI_*` variables of `env`.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<LoadedConfig, ConfigError> {
        let (text, source) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::one(format!("cannot read configuration file {}: {e}", path.display())))?;
                (text, Some(path.to_path_buf()))
            }
            None => {
                let default = PathBuf::from("tongdai.toml");
                match std::fs::read_to_string(&default) {
                    Ok(text) => (text, Some(default)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
                    Err(e) => {
                        return Err(ConfigError::one(format!("cannot read tongdai.toml: {e}")));
                    }
                }
            }
        };
        let name = source.as_ref().map_or_else(|| "(no file)".to_owned(), |p| p.display().to_string());
        let mut loaded = Self::from_toml_and_env(&text, &name, env)?;
        loaded.source = source;
        Ok(loaded)
    }

    /// Parses TOML text, applies environment overrides and validates the result.
    pub fn from_toml_and_env(
        text: &str,
        source_name: &str,
        env: &[(String, String)],
    ) -> Result<LoadedConfig, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::one(format!("{source_name}: {e}")))?;
        let mut tree = serde_json::to_value(&table).map_err(|e| ConfigError::one(format!("{source_name}: {e}")))?;
        let known = known_keys();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for key in leaf_keys(&tree) {
            if !known.contains_key(&key) {
                problems.push(format!("{source_name}: unknown key `{key}`{}", suggestion(&key, &known)));
            }
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
            if NON_CONFIG_ENV.contains(&name.as_str()) {
                continue;
            }
            if !rest.contains("__") {
                warnings.push(format!(
                    "environment variable {name} is not a configuration key (expected TONGDAI_<SECTION>__<KEY>); ignored"
                ));
                continue;
            }
            let key = rest.to_ascii_lowercase().replace("__", ".");
            match known.get(&key) {
                None => problems
                    .push(format!("environment variable {name}: unknown key `{key}`{}", suggestion(&key, &known))),
                Some(default) => match env_value(default, value) {
                    Ok(parsed) => set_path(&mut tree, &key, parsed),
                    Err(why) => problems.push(format!("environment variable {name} (`{key}`): {why}")),
                },
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        let config: Config = serde_path_to_error::deserialize(tree)
            .map_err(|e| ConfigError::one(format!("`{}`: {}", e.path(), e.inner())))?;
        config.validate()?;
        Ok(LoadedConfig { config, source: None, warnings })
    }

    /// Checks values that the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if chrono_tz::Tz::from_str(&self.general.timezone).is_err() {
            problems.push(format!(
                "`general.timezone`: `{}` is not an IANA time zone (e.g. Asia/Ho_Chi_Minh)",
                self.general.timezone
            ));
        }
        if self.general.data_dir.trim().is_empty() {
            problems.push("`general.data_dir`: must not be empty".into());
        }
        if SocketAddr::from_str(&self.server.listen).is_err() {
            problems.push(format!(
                "`server.listen`: `{}` is not an address and port like 127.0.0.1:8080 or 0.0.0.0:8080",
                self.server.listen
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.server.log_level).is_err() {
            problems.push(format!(
                "`server.log_level`: `{}` is not a log filter (e.g. info, debug, tongdai=debug)",
                self.server.log_level
            ));
        }
        if self.server.body_limit_bytes < 1024 {
            problems.push("`server.body_limit_bytes`: must be at least 1024".into());
        }
        positive(&mut problems, "server.request_timeout", self.server.request_timeout);
        if let Err(why) = crate::store::BackendKind::from_url(&self.database.url) {
            problems.push(format!("`database.url`: {why}"));
        }
        at_least_one(&mut problems, "database.max_connections", self.database.max_connections);
        at_least_one(&mut problems, "database.sqlite_readers", self.database.sqlite_readers);
        at_least_one(&mut problems, "jobs.concurrency", self.jobs.concurrency);
        at_least_one(&mut problems, "jobs.claim_batch", self.jobs.claim_batch);
        at_least_one(&mut problems, "jobs.max_attempts", self.jobs.max_attempts);
        positive(&mut problems, "jobs.poll_interval", self.jobs.poll_interval);
        positive(&mut problems, "jobs.lease", self.jobs.lease);
        positive(&mut problems, "jobs.rescue_interval", self.jobs.rescue_interval);
        positive(&mut problems, "jobs.backoff_base", self.jobs.backoff_base);
        if self.jobs.backoff_max < self.jobs.backoff_base {
            problems.push("`jobs.backoff_max`: must not be shorter than jobs.backoff_base".into());
        }
        problems.extend(self.console.problems());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The configured time zone (validated at load).
    pub fn timezone(&self) -> chrono_tz::Tz {
        chrono_tz::Tz::from_str(&self.general.timezone).unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }

    /// The effective configuration as TOML, with secrets and database passwords replaced by `***`.
    pub fn redacted_toml(&self) -> String {
        let mut tree = serde_json::to_value(self).unwrap_or(Json::Null);
        for key in SECRET_KEYS {
            if let Some(Json::String(s)) = get_path(&tree, key) {
                if !s.is_empty() {
                    set_path(&mut tree, key, Json::String("***".into()));
                }
            }
        }
        set_path(&mut tree, "database.url", Json::String(redact_url_password(&self.database.url)));
        let table: Result<toml::Table, _> = serde_json::from_value(tree);
        table.ok().and_then(|t| toml::to_string(&t).ok()).unwrap_or_default()
    }
}

fn positive(problems: &mut Vec<String>, key: &str, value: HumanDuration) {
    if value.as_duration() <= chrono::Duration::zero() {
        problems.push(format!("`{key}`: must be longer than zero"));
    }
}

fn at_least_one(problems: &mut Vec<String>, key: &str, value: u32) {
    if value == 0 {
        problems.push(format!("`{key}`: must be at least 1"));
    }
}

/// Replaces the password of a `scheme://user:password@host` URL with `***`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.rsplit_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Every configuration key (`section.key`) with its default value.
pub fn known_keys() -> BTreeMap<String, Json> {
    let tree = serde_json::to_value(Config::default()).unwrap_or(Json::Null);
    let mut keys = BTreeMap::new();
    collect_leaves(&tree, String::new(), &mut |k, v| {
        keys.insert(k, v.clone());
    });
    keys
}

/// The dotted keys of every leaf value in a tree of tables.
pub fn leaf_keys(tree: &Json) -> Vec<String> {
    let mut keys = Vec::new();
    collect_leaves(tree, String::new(), &mut |k, _| keys.push(k));
    keys
}

fn collect_leaves(tree: &Json, prefix: String, out: &mut dyn FnMut(String, &Json)) {
    match tree {
        Json::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                collect_leaves(v, key, out);
            }
        }
        leaf => out(prefix, leaf),
    }
}

fn suggestion(key: &str, known: &BTreeMap<String, Json>) -> String {
    let section = key.split('.').next().unwrap_or_default();
    let siblings: Vec<&str> =
        known.keys().filter(|k| k.split('.').next() == Some(section)).map(String::as_str).collect();
    if siblings.is_empty() {
        let sections: std::collections::BTreeSet<&str> = known.keys().filter_map(|k| k.split('.').next()).collect();
        format!(" (known sections: {})", sections.into_iter().collect::<Vec<_>>().join(", "))
    } else {
        format!(" (known keys in [{section}]: {})", siblings.join(", "))
    }
}

/// Converts an environment variable's text into the type of the key's default value.
fn env_value(default: &Json, text: &str) -> Result<Json, String> {
    match default {
        Json::Bool(_) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Json::Bool(true)),
            "false" | "0" | "no" | "off" => Ok(Json::Bool(false)),
            _ => Err(format!("`{text}` is not true or false")),
        },
        Json::Number(n) if n.is_f64() => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .ok_or_else(|| format!("`{text}` is not a number")),
        Json::Number(_) => text
            .trim()
            .parse::<i64>()
            .map(|n| Json::Number(n.into()))
            .map_err(|_| format!("`{text}` is not a whole number")),
        Json::Array(_) => {
            let parsed: Result<toml::Table, _> = toml::from_str(&format!("v = {text}"));
            match parsed.ok().and_then(|mut t| t.remove("v")) {
                Some(value @ toml::Value::Array(_)) => serde_json::to_value(value).map_err(|e| e.to_string()),
                _ => Ok(Json::Array(
                    text.split(',').map(|s| Json::String(s.trim().to_owned())).filter(|s| s != "").collect(),
                )),
            }
        }
        _ => Ok(Json::String(text.to_owned())),
    }
}

fn get_path<'a>(tree: &'a Json, key: &str) -> Option<&'a Json> {
    key.split('.').try_fold(tree, |node, part| node.get(part))
}

fn set_path(tree: &mut Json, key: &str, value: Json) {
    let mut node = tree;
    let parts: Vec<&str> = key.split('.').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        if !node.is_object() {
            *node = Json::Object(serde_json::Map::new());
        }
        let Json::Object(map) = node else { return };
        node = map.entry((*part).to_owned()).or_insert_with(|| Json::Object(serde_json::Map::new()));
    }
    if !node.is_object() {
        *node = Json::Object(serde_json::Map::new());
    }
    if let (Json::Object(map), Some(last)) = (node, parts.last()) {
        map.insert((*last).to_owned(), value);
    }
}

/// The process environment as pairs, for [`Config::load`].
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_apply_with_no_file_and_no_env() {
        let loaded = Config::from_toml_and_env("", "(none)", &[]).expect("test value");
        assert_eq!(loaded.config.server.listen, "127.0.0.1:8080");
        assert_eq!(loaded.config.database.url, "sqlite://data/tongdai.db");
        assert_eq!(loaded.config.timezone(), chrono_tz::Asia::Ho_Chi_Minh);
    }

    #[test]
    fn environment_overrides_the_file_with_typed_values() {
        let file = "[server]\nlisten = \"0.0.0.0:9000\"\nbody_limit_bytes = 2048\n";
        let loaded = Config::from_toml_and_env(
            file,
            "t.toml",
            &env(&[
                ("TONGDAI_SERVER__LISTEN", "127.0.0.1:7000"),
                ("TONGDAI_DATABASE__MAX_CONNECTIONS", "3"),
                ("TONGDAI_JOBS__LEASE", "2m"),
                ("TONGDAI_TEST_POSTGRES_URL", "postgres://x"),
                ("PATH", "/bin"),
            ]),
        )
        .expect("test value");
        assert_eq!(loaded.config.server.listen, "127.0.0.1:7000");
        assert_eq!(loaded.config.server.body_limit_bytes, 2048);
        assert_eq!(loaded.config.database.max_connections, 3);
        assert_eq!(loaded.config.jobs.lease.as_duration().num_seconds(), 120);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn unknown_keys_and_variables_are_reported_by_name() {
        let err = Config::from_toml_and_env(
            "[server]\nlisten_addr = \"x\"\n[zzz]\na = 1\n",
            "t.toml",
            &env(&[("TONGDAI_DATABASE__URI", "sqlite://x.db")]),
        )
        .expect_err("should fail");
        let text = err.to_string();
        assert!(text.contains("t.toml: unknown key `server.listen_addr`"), "{text}");
        assert!(text.contains("known keys in [server]: server.body_limit_bytes"), "{text}");
        assert!(text.contains("unknown key `zzz.a`"), "{text}");
        assert!(text.contains("TONGDAI_DATABASE__URI: unknown key `database.uri`"), "{text}");
        let loaded = Config::from_toml_and_env("", "t", &env(&[("TONGDAI_FOO", "1")])).expect("test value");
        assert!(loaded.warnings[0].contains("TONGDAI_FOO"));
    }

    #[test]
    fn invalid_values_name_the_key_and_the_problem() {
        let cases = [
            ("[server]\nlisten = \"localhost\"\n", "`server.listen`: `localhost` is not an address"),
            ("[general]\ntimezone = \"Mars/Base\"\n", "`general.timezone`"),
            ("[database]\nurl = \"mysql://x\"\n", "`database.url`"),
            ("[jobs]\nlease = \"5 minutes\"\n", "`jobs.lease`: invalid duration \"5 minutes\""),
            ("[server]\nbody_limit_bytes = \"big\"\n", "`server.body_limit_bytes`"),
            ("[server]\nlog_format = \"xml\"\n", "`server.log_format`"),
            ("[jobs]\nconcurrency = 0\n", "`jobs.concurrency`: must be at least 1"),
        ];
        for (file, expected) in cases {
            let err = Config::from_toml_and_env(file, "t.toml", &[]).expect_err("should fail").to_string();
            assert!(err.contains(expected), "{file:?} gave {err}");
        }
        let err = Config::from_toml_and_env("", "t", &env(&[("TONGDAI_JOBS__CONCURRENCY", "many")]))
            .expect_err("should fail")
            .to_string();
        assert!(err.contains("TONGDAI_JOBS__CONCURRENCY (`jobs.concurrency`): `many` is not a whole number"), "{err}");
    }

    #[test]
    fn redaction_hides_database_passwords() {
        assert_eq!(redact_url_password("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url_password("sqlite://data/x.db"), "sqlite://data/x.db");
        let mut config = Config::default();
        config.database.url = "postgres://app:hunter2@db/tongdai".into();
        let shown = config.redacted_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/tongdai"), "{shown}");
    }

    #[test]
    fn example_file_parses_and_documents_every_key_with_its_default() {
        let text = include_str!("../tongdai.example.toml");
        let loaded = Config::from_toml_and_env(text, "tongdai.example.toml", &[]).expect("test value");
        let example: toml::Table = toml::from_str(text).expect("test value");
        let example_tree = serde_json::to_value(&example).expect("test value");
        let documented: std::collections::BTreeSet<String> = leaf_keys(&example_tree).into_iter().collect();
        let defaults = serde_json::to_value(Config::default()).expect("test value");
        let parsed = serde_json::to_value(&loaded.config).expect("test value");
        for key in known_keys().keys() {
            assert!(documented.contains(key), "tongdai.example.toml does not document `{key}`");
            assert_eq!(get_path(&parsed, key), get_path(&defaults, key), "example value of `{key}` is not its default");
        }
    }
}

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

use crate::calendar::duration::{DayRange, HumanDuration, TimeWindow};

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "TONGDAI_";
/// Environment variables that start with the prefix but are not configuration keys.
const NON_CONFIG_ENV: &[&str] = &["TONGDAI_TEST_POSTGRES_URL", "TONGDAI_CONFIG"];
/// Configuration keys whose values are secrets: never printed or logged.
const SECRET_KEYS: &[&str] = &[
    "survey.link_secret",
    "zalo.oa_secret_key",
    "zalo.app_secret",
    "zalo.access_token",
    "zalo.refresh_token",
    "security.encryption_key",
];

/// The whole configuration. Sections map to TOML tables.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub general: GeneralConfig,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub jobs: JobsConfig,
    pub survey: SurveyConfig,
    pub zalo: ZaloConfig,
    pub security: SecurityConfig,
    pub bot: BotConfig,
    pub tickets: crate::tickets::config::TicketsConfig,
    pub console: crate::console::settings::ConsoleConfig,
    pub stats: crate::stats::settings::StatsConfig,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveyConfig {
    /// Time after a dossier's completion before its survey may go out.
    pub delay_after_completion: HumanDuration,
    /// Local hours in which surveys and reminders are sent.
    pub send_window: TimeWindow,
    /// Weekdays on which surveys are sent.
    pub send_days: DayRange,
    /// Also skip public holidays and other days off.
    pub skip_holidays: bool,
    /// Share of dossiers surveyed, 0.0–1.0 (decided per dossier code, deterministically).
    pub sampling_rate: f64,
    /// A citizen surveyed less than this many days ago is not surveyed again; 0 = no cap.
    pub min_days_between: u32,
    /// Time after sending before the single reminder; "0s" = no reminder.
    pub reminder_after: HumanDuration,
    /// Time after sending after which answers are no longer accepted.
    pub expire_after: HumanDuration,
    /// Survey asked question by question in the chat (id of a loaded definition).
    pub chat_survey: String,
    /// Survey shown on the web form (id of a loaded definition).
    pub web_survey: String,
    /// Folder of survey definitions; empty = the definitions built into the binary.
    pub definitions_dir: String,
    /// Secret signing web-form links; empty = a key generated once into the data folder.
    pub link_secret: String,
    /// Base URL of web-form links; empty = http://<server.listen>.
    pub public_base_url: String,
    /// How often due surveys, reminders and expiries are looked for.
    pub dispatch_interval: HumanDuration,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        let policy = crate::calendar::schedule::SendPolicy::default();
        Self {
            delay_after_completion: HumanDuration::from_secs(24 * 3600),
            send_window: policy.window,
            send_days: policy.days,
            skip_holidays: true,
            sampling_rate: 1.0,
            min_days_between: 30,
            reminder_after: HumanDuration::from_secs(48 * 3600),
            expire_after: HumanDuration::from_secs(7 * 24 * 3600),
            chat_survey: "chat-short".into(),
            web_survey: "sipas-2022-service".into(),
            definitions_dir: String::new(),
            link_secret: String::new(),
            public_base_url: String::new(),
            dispatch_interval: HumanDuration::from_secs(5),
        }
    }
}

/// The chatbot's conversation (`[bot]`); turned into `crate::bot::settings::BotSettings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BotConfig {
    /// A conversation idle this long starts again from the main menu (a half-written complaint is kept).
    pub session_timeout: HumanDuration,
    /// When officers answer chats on working days, e.g. `07:00-11:30,13:30-17:00`.
    pub office_hours: String,
    /// More messages than this from one citizen within `rate_limit_window` are ignored.
    pub rate_limit_messages: u32,
    pub rate_limit_window: HumanDuration,
    /// Version of the personal-data consent notice; stored with every consent answer.
    pub consent_text_version: String,
    /// Most messages and attachments one complaint may collect.
    pub max_complaint_messages: u32,
    /// Branch catalogue file; empty = the built-in Hậu Giang catalogue.
    pub catalogue_file: String,
    /// Who controls citizens' personal data, as named in the consent notice.
    pub data_controller: String,
    /// How long complaint data is kept, as told in the consent notice.
    pub data_retention: String,
    /// Image shown on Zalo's "send your name and phone" form (an http(s) URL).
    pub user_info_image_url: String,
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            session_timeout: HumanDuration::from_secs(30 * 60),
            office_hours: "07:00-11:30,13:30-17:00".into(),
            rate_limit_messages: 20,
            rate_limit_window: HumanDuration::from_secs(60),
            consent_text_version: "2026-01".into(),
            max_complaint_messages: 20,
            catalogue_file: String::new(),
            data_controller: "Văn phòng Ủy ban nhân dân tỉnh Hậu Giang".into(),
            data_retention: "36 tháng kể từ khi phản ánh được giải quyết xong".into(),
            user_info_image_url: "https://developers.zalo.me/web/static/zalo.png".into(),
        }
    }
}

/// The Zalo Official Account: app credentials, tokens, API hosts, sending limits and templates.
/// Empty strings mean "not set". `Debug` hides the secrets.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZaloConfig {
    /// The Zalo app's id; empty = Zalo not configured (nothing is sent).
    pub app_id: String,
    /// The Official Account's id; when set, OAuth callbacks for another OA are refused.
    pub oa_id: String,
    /// The OA Secret Key of the webhook page (signs webhooks; not the app secret). Secret.
    pub oa_secret_key: String,
    /// The app's secret key (OAuth token requests). Secret.
    pub app_secret: String,
    /// First OA access token, used only while the database holds none. Secret.
    pub access_token: String,
    /// First OA refresh token, used only while the database holds none. Secret.
    pub refresh_token: String,
    /// OA Open API host (CS and ZBS-by-UID sends, user detail, quota).
    pub api_base: String,
    /// OAuth v4 host (consent page and token endpoint).
    pub oauth_base: String,
    /// ZNS/ZBS business API host (template sends by phone).
    pub business_api_base: String,
    /// Zalo API calls per minute for the whole OA (Zalo's limit is 4,000).
    pub rate_limit_per_minute: u32,
    /// Longest wait for one Zalo API call.
    pub request_timeout: HumanDuration,
    /// Refresh the access token when it expires within this.
    pub refresh_before_expiry: HumanDuration,
    /// A citizen whose last interaction is older than this is sent templates, not chat messages.
    pub cs_window: HumanDuration,
    /// ZBS template (by user id) for surveys; empty = none.
    pub zbs_survey_template_id: String,
    /// ZNS template (by phone) for surveys; empty = none.
    pub zns_survey_template_id: String,
    /// ZBS template (by user id) for replies to complaints; empty = none.
    pub zbs_reply_template_id: String,
    /// ZNS template (by phone) for replies to complaints; empty = none.
    pub zns_reply_template_id: String,
    /// ZNS sends in development mode: only the app's and OA's admins receive them.
    pub zns_development_mode: bool,
    /// Public URL of /zalo/oauth/callback, as registered in the Zalo app console.
    pub oauth_redirect_url: String,
    /// Code of Zalo's domain verification ("Xác thực domain"); empty = not served.
    pub domain_verification_code: String,
}

impl Default for ZaloConfig {
    fn default() -> Self {
        Self {
            app_id: String::new(),
            oa_id: String::new(),
            oa_secret_key: String::new(),
            app_secret: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
            api_base: "https://openapi.zalo.me".into(),
            oauth_base: "https://oauth.zaloapp.com".into(),
            business_api_base: "https://business.openapi.zalo.me".into(),
            rate_limit_per_minute: 4000,
            request_timeout: HumanDuration::from_secs(10),
            refresh_before_expiry: HumanDuration::from_secs(2 * 3600),
            cs_window: HumanDuration::from_secs(7 * 24 * 3600),
            zbs_survey_template_id: String::new(),
            zns_survey_template_id: String::new(),
            zbs_reply_template_id: String::new(),
            zns_reply_template_id: String::new(),
            zns_development_mode: false,
            oauth_redirect_url: String::new(),
            domain_verification_code: String::new(),
        }
    }
}

impl ZaloConfig {
    /// True when an app id is set: the sender runs and tokens are managed.
    pub fn is_configured(&self) -> bool {
        !self.app_id.trim().is_empty()
    }
}

impl std::fmt::Debug for ZaloConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |value: &str| if value.is_empty() { "" } else { "***" };
        f.debug_struct("ZaloConfig")
            .field("app_id", &self.app_id)
            .field("oa_id", &self.oa_id)
            .field("oa_secret_key", &secret(&self.oa_secret_key))
            .field("app_secret", &secret(&self.app_secret))
            .field("access_token", &secret(&self.access_token))
            .field("refresh_token", &secret(&self.refresh_token))
            .field("api_base", &self.api_base)
            .field("oauth_base", &self.oauth_base)
            .field("business_api_base", &self.business_api_base)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("request_timeout", &self.request_timeout)
            .field("refresh_before_expiry", &self.refresh_before_expiry)
            .field("cs_window", &self.cs_window)
            .field("zbs_survey_template_id", &self.zbs_survey_template_id)
            .field("zns_survey_template_id", &self.zns_survey_template_id)
            .field("zbs_reply_template_id", &self.zbs_reply_template_id)
            .field("zns_reply_template_id", &self.zns_reply_template_id)
            .field("zns_development_mode", &self.zns_development_mode)
            .field("oauth_redirect_url", &self.oauth_redirect_url)
            .field("domain_verification_code", &self.domain_verification_code)
            .finish()
    }
}

/// Keys protecting data at rest. `Debug` hides the key.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Base64 of 32 random bytes; encrypts Zalo tokens in the database. Empty = generated once
    /// into `<general.data_dir>/encryption.key`. Secret.
    pub encryption_key: String,
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
        problems.extend(crate::surveys::settings::config_problems(self));
        self.validate_zalo(&mut problems);
        problems.extend(crate::bot::settings::config_problems(&self.bot));
        self.tickets.validate(&mut problems);
        problems.extend(self.console.problems());
        problems.extend(self.stats.problems());
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

impl std::fmt::Debug for SecurityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = if self.encryption_key.is_empty() { "" } else { "***" };
        f.debug_struct("SecurityConfig").field("encryption_key", &key).finish()
    }
}

impl Config {
    fn validate_zalo(&self, problems: &mut Vec<String>) {
        let zalo = &self.zalo;
        for (key, url) in [
            ("zalo.api_base", &zalo.api_base),
            ("zalo.oauth_base", &zalo.oauth_base),
            ("zalo.business_api_base", &zalo.business_api_base),
        ] {
            if !is_http_url(url) {
                problems.push(format!("`{key}`: `{url}` must start with http:// or https://"));
            }
        }
        if !zalo.oauth_redirect_url.is_empty() && !is_http_url(&zalo.oauth_redirect_url) {
            problems.push(format!(
                "`zalo.oauth_redirect_url`: `{}` must start with http:// or https:// (the public URL of /zalo/oauth/callback)",
                zalo.oauth_redirect_url
            ));
        }
        let code = zalo.domain_verification_code.trim();
        if !code.is_empty() && !crate::web::zalo_oauth::is_verification_code(code) {
            problems
                .push(format!("`zalo.domain_verification_code`: `{code}` may contain only letters, digits, - and _"));
        }
        at_least_one(problems, "zalo.rate_limit_per_minute", zalo.rate_limit_per_minute);
        positive(problems, "zalo.request_timeout", zalo.request_timeout);
        positive(problems, "zalo.refresh_before_expiry", zalo.refresh_before_expiry);
        positive(problems, "zalo.cs_window", zalo.cs_window);
        if !self.security.encryption_key.is_empty() {
            if let Err(why) = crate::zalo::crypto::decode_key(&self.security.encryption_key) {
                problems.push(format!("`security.encryption_key`: {why}"));
            }
        }
    }
}

fn is_http_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| url.len() > scheme.len() && url.starts_with(scheme))
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
    fn zalo_and_security_values_are_validated_by_key() {
        let cases = [
            ("[zalo]\napi_base = \"openapi.zalo.me\"\n", "`zalo.api_base`: `openapi.zalo.me` must start with http"),
            ("[zalo]\noauth_base = \"ftp://x\"\n", "`zalo.oauth_base`"),
            ("[zalo]\nbusiness_api_base = \"\"\n", "`zalo.business_api_base`"),
            ("[zalo]\noauth_redirect_url = \"tongdai.gov.vn/cb\"\n", "`zalo.oauth_redirect_url`"),
            ("[zalo]\nrate_limit_per_minute = 0\n", "`zalo.rate_limit_per_minute`: must be at least 1"),
            ("[zalo]\ncs_window = \"0s\"\n", "`zalo.cs_window`: must be longer than zero"),
            ("[zalo]\ndomain_verification_code = \"a/b\"\n", "`zalo.domain_verification_code`"),
            ("[security]\nencryption_key = \"c2hvcnQ=\"\n", "`security.encryption_key`: decodes to 5 bytes"),
            ("[security]\nencryption_key = \"%%%\"\n", "`security.encryption_key`: not valid base64"),
        ];
        for (file, expected) in cases {
            let err = Config::from_toml_and_env(file, "t.toml", &[]).expect_err("should fail").to_string();
            assert!(err.contains(expected), "{file:?} gave {err}");
        }
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let file = format!(
            "[zalo]\napp_id = \"123\"\napi_base = \"http://127.0.0.1:9000\"\noauth_redirect_url = \"https://x.gov.vn/zalo/oauth/callback\"\n[security]\nencryption_key = \"{key}\"\n"
        );
        let loaded =
            Config::from_toml_and_env(&file, "t.toml", &env(&[("TONGDAI_ZALO__CS_WINDOW", "48h")])).expect("valid");
        assert!(loaded.config.zalo.is_configured());
        assert_eq!(loaded.config.zalo.cs_window.as_duration().num_hours(), 48);
        assert!(!Config::default().zalo.is_configured());
    }

    #[test]
    fn redaction_hides_zalo_secrets_and_the_encryption_key() {
        let mut config = Config::default();
        config.zalo.app_id = "4242".into();
        config.zalo.oa_secret_key = "oa-secret-1".into();
        config.zalo.app_secret = "app-secret-2".into();
        config.zalo.access_token = "access-3".into();
        config.zalo.refresh_token = "refresh-4".into();
        config.security.encryption_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into();
        let shown = config.redacted_toml();
        for secret in ["oa-secret-1", "app-secret-2", "access-3", "refresh-4", "AAECAwQF"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("app_id = \"4242\""), "{shown}");
        assert!(shown.contains("app_secret = \"***\""), "{shown}");
        assert!(shown.contains("refresh_token = \"***\""), "{shown}");
        assert!(shown.contains("oauth_redirect_url = \"\""), "empty values are shown as they are: {shown}");
        let debugged = format!("{config:?}");
        for secret in ["oa-secret-1", "app-secret-2", "access-3", "refresh-4", "AAECAwQF"] {
            assert!(!debugged.contains(secret), "{secret} in {debugged}");
        }
        assert!(debugged.contains("4242"), "{debugged}");
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

//! The `[survey]` configuration turned into what the survey services use: the send policy, the
//! loaded and checked survey catalog, the link-signing key (configured, or generated once into
//! the data folder) and the public base URL of web-form links.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Duration;

use super::chat::ChatSurvey;
use super::definition::SurveyCatalog;
use crate::calendar::schedule::{ScheduleError, SendPolicy};
use crate::config::{Config, SurveyConfig};

/// Shortest accepted `link_secret`, in bytes.
pub const MIN_SECRET_LEN: usize = 32;
/// File (under `general.data_dir`) holding the generated link key.
pub const KEY_FILE: &str = "survey-link.key";
/// Most buttons a Zalo message carries (one per scale option in the chat).
const MAX_BUTTONS: usize = 5;

/// Survey settings derived from a validated configuration.
#[derive(Debug, Clone)]
pub struct SurveySettings {
    pub policy: SendPolicy,
    pub chat_survey: String,
    pub web_survey: String,
    /// Without a trailing slash.
    pub public_base_url: String,
    pub dispatch_interval: Duration,
    /// Attempts of each survey send job.
    pub send_max_attempts: u32,
}

impl SurveySettings {
    pub fn from_config(config: &Config) -> Self {
        let survey = &config.survey;
        let base = if survey.public_base_url.trim().is_empty() {
            format!("http://{}", config.server.listen)
        } else {
            survey.public_base_url.trim().to_owned()
        };
        Self {
            policy: policy(survey),
            chat_survey: survey.chat_survey.clone(),
            web_survey: survey.web_survey.clone(),
            public_base_url: base.trim_end_matches('/').to_owned(),
            dispatch_interval: survey.dispatch_interval.as_duration(),
            send_max_attempts: config.jobs.max_attempts,
        }
    }
}

/// The send policy described by `[survey]`.
pub fn policy(survey: &SurveyConfig) -> SendPolicy {
    SendPolicy {
        delay_after_completion: survey.delay_after_completion.as_duration(),
        window: survey.send_window,
        days: survey.send_days,
        skip_holidays: survey.skip_holidays,
        sampling_rate: survey.sampling_rate,
        min_days_between: survey.min_days_between,
        reminder_after: survey.reminder_after.as_duration(),
        expire_after: survey.expire_after.as_duration(),
    }
}

/// The survey definitions named by `definitions_dir` (embedded when empty), each problem as
/// "`survey.definitions_dir`: file:line:column: problem".
pub fn load_catalog(survey: &SurveyConfig) -> Result<SurveyCatalog, Vec<String>> {
    let dir = survey.definitions_dir.trim();
    let loaded = if dir.is_empty() { super::load::embedded() } else { super::load::load_dir(Path::new(dir)) };
    loaded.map_err(|errors| errors.iter().map(|e| format!("`survey.definitions_dir`: {e}")).collect())
}

/// Every problem of the `[survey]` section, each naming its key.
pub fn config_problems(config: &Config) -> Vec<String> {
    let survey = &config.survey;
    let mut problems = Vec::new();
    if let Err(e) = policy(survey).validate() {
        let key = match e {
            ScheduleError::SamplingRate(_) => "sampling_rate",
            ScheduleError::NotPositive { field, .. } | ScheduleError::Negative { field, .. } => field,
        };
        problems.push(format!("`survey.{key}`: {e}"));
    }
    if survey.dispatch_interval.as_duration() <= Duration::zero() {
        problems.push("`survey.dispatch_interval`: must be longer than zero".into());
    }
    if !survey.link_secret.is_empty() && survey.link_secret.len() < MIN_SECRET_LEN {
        problems.push(format!(
            "`survey.link_secret`: must be at least {MIN_SECRET_LEN} characters (or empty to generate a key)"
        ));
    }
    let base = survey.public_base_url.trim();
    if !(base.is_empty() || base.starts_with("https://") || base.starts_with("http://")) {
        problems.push(format!("`survey.public_base_url`: `{base}` must start with https:// or http://"));
    }
    match load_catalog(survey) {
        Err(errors) => problems.extend(errors),
        Ok(catalog) => problems.extend(catalog_problems(survey, &catalog)),
    }
    problems
}

fn catalog_problems(survey: &SurveyConfig, catalog: &SurveyCatalog) -> Vec<String> {
    let mut problems = Vec::new();
    let known = catalog.ids().join(", ");
    for (key, id) in [("web_survey", &survey.web_survey), ("chat_survey", &survey.chat_survey)] {
        if catalog.get(id).is_none() {
            problems.push(format!("`survey.{key}`: no survey \"{id}\" among the loaded definitions ({known})"));
        }
    }
    let Some(def) = catalog.get(&survey.chat_survey) else {
        return problems;
    };
    let chat = ChatSurvey { def, catalog };
    if def.questions.is_empty() {
        problems.push(format!("`survey.chat_survey`: survey \"{}\" has no questions", def.id()));
    }
    for question in &def.questions {
        let options = catalog.scale(question.scale()).map_or(0, |s| s.options.len());
        if options > MAX_BUTTONS {
            problems.push(format!(
                "`survey.chat_survey`: question \"{}\" has {options} answer options; a chat message carries at most {MAX_BUTTONS} buttons",
                question.code()
            ));
        }
    }
    if chat.overall_question().is_none() {
        problems.push(format!(
            "`survey.chat_survey`: survey \"{}\" needs an overall question (one without `element`) to store star ratings",
            def.id()
        ));
    }
    problems
}

/// The key that signs web-form links: `link_secret` when set; otherwise the bytes of
/// `<data_dir>/survey-link.key`, generated (32 random bytes, mode 0600) on first use. The second
/// value is a warning for the operator when a key was generated.
pub fn link_key(config: &Config) -> anyhow::Result<(Vec<u8>, Option<String>)> {
    if !config.survey.link_secret.is_empty() {
        return Ok((config.survey.link_secret.as_bytes().to_vec(), None));
    }
    let path = PathBuf::from(&config.general.data_dir).join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= MIN_SECRET_LEN => return Ok((bytes, None)),
        Ok(_) => anyhow::bail!(
            "{} is shorter than {MIN_SECRET_LEN} bytes; delete it or set survey.link_secret",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading the survey link key {}", path.display())),
    }
    let key: [u8; MIN_SECRET_LEN] = rand::random();
    write_private(&path, &key)?;
    let warning = format!(
        "survey.link_secret is empty: generated a link-signing key into {}; keep that file (and share it between instances, or set survey.link_secret) so that sent survey links stay valid",
        path.display()
    );
    Ok((key.to_vec(), Some(warning)))
}

/// Creates `path` (and its folder) readable by the owner only and writes `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating the survey link key {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("writing the survey link key {}", path.display()))?;
    file.sync_all().with_context(|| format!("writing the survey link key {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(toml: &str) -> String {
        match Config::from_toml_and_env(toml, "t.toml", &[]) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_build_the_default_policy() {
        let config = Config::default();
        assert!(config_problems(&config).is_empty(), "{:?}", config_problems(&config));
        let settings = SurveySettings::from_config(&config);
        assert_eq!(settings.policy, SendPolicy::default());
        assert_eq!(settings.public_base_url, "http://127.0.0.1:8080");
        assert_eq!(settings.dispatch_interval, Duration::seconds(5));
    }

    #[test]
    fn invalid_survey_values_name_their_key() {
        let cases = [
            (
                "[survey]\nsampling_rate = 1.5\n",
                "`survey.sampling_rate`: sampling_rate must be a number from 0.0 to 1.0",
            ),
            ("[survey]\nexpire_after = \"0s\"\n", "`survey.expire_after`"),
            ("[survey]\nsend_window = \"20:00-08:00\"\n", "`survey.send_window`"),
            ("[survey]\nsend_days = \"someday\"\n", "`survey.send_days`"),
            (
                "[survey]\nchat_survey = \"nope\"\n",
                "`survey.chat_survey`: no survey \"nope\" among the loaded definitions (chat-short, ",
            ),
            ("[survey]\nweb_survey = \"sipas-2099\"\n", "`survey.web_survey`: no survey \"sipas-2099\""),
            ("[survey]\nchat_survey = \"sipas-2017\"\n", "needs an overall question"),
            ("[survey]\nlink_secret = \"short\"\n", "`survey.link_secret`: must be at least 32 characters"),
            ("[survey]\npublic_base_url = \"khaosat.gov.vn\"\n", "`survey.public_base_url`"),
            ("[survey]\ndefinitions_dir = \"/does/not/exist\"\n", "`survey.definitions_dir`: /does/not/exist"),
            ("[survey]\ndispatch_interval = \"0s\"\n", "`survey.dispatch_interval`: must be longer than zero"),
        ];
        for (toml, expected) in cases {
            let text = problems_of(toml);
            assert!(text.contains(expected), "{toml:?} gave {text}");
        }
        assert_eq!(problems_of("[survey]\nsampling_rate = 0.3\npublic_base_url = \"https://ks.example.vn/\"\n"), "");
    }

    #[test]
    fn a_definitions_folder_is_loaded_and_checked() {
        let dir = std::env::temp_dir().join(format!("tongdai_defs_{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("surveys");
        for name in ["scales.toml", "chat-short.toml", "sipas-2022-service.toml"] {
            std::fs::copy(source.join(name), dir.join(name)).expect("copy");
        }
        let toml = format!("[survey]\ndefinitions_dir = \"{}\"\n", dir.display());
        assert_eq!(problems_of(&toml), "");
        std::fs::write(dir.join("broken.toml"), "id = \"x\"\nversion = \"one\"\n").expect("write");
        let text = problems_of(&toml);
        assert!(text.contains("`survey.definitions_dir`: ") && text.contains("broken.toml:2:"), "{text}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn link_key_is_generated_once_and_private() {
        let dir = std::env::temp_dir().join(format!("tongdai_key_{:08x}", rand::random::<u32>()));
        let mut config = Config::default();
        config.general.data_dir = dir.display().to_string();
        let (first, warning) = link_key(&config).expect("generated");
        assert_eq!(first.len(), 32);
        assert!(warning.expect("a warning").contains("survey-link.key"));
        let (again, warning) = link_key(&config).expect("read back");
        assert_eq!(again, first);
        assert!(warning.is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        config.survey.link_secret = "x".repeat(40);
        assert_eq!(link_key(&config).expect("configured").0, vec![b'x'; 40]);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn the_secret_is_redacted() {
        let mut config = Config::default();
        config.survey.link_secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t".into();
        let shown = config.redacted_toml();
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("link_secret = \"***\""), "{shown}");
    }
}

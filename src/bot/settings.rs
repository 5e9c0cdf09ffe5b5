//! The chatbot's settings: the `[bot]` configuration section parsed and checked once at
//! start-up (durations, office hours, limits, consent notice facts), and the branch catalogue
//! it names (the built-in Hậu Giang file or another province's).

use std::path::Path;

use chrono::Duration;
use thiserror::Error;

use crate::bot::catalogue::{default_catalogue, parse_catalogue, Catalogue, CatalogueError};
use crate::calendar::working::{DailyHours, OfficeHours, OfficeHoursError};
use crate::config::BotConfig;

/// Parsed `[bot]` settings, as the conversation uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSettings {
    /// Idle time after which the next message starts from the main menu.
    pub session_timeout: Duration,
    /// When officers answer chats (on working days of the calendar).
    pub office_hours: OfficeHours,
    /// Messages accepted per citizen within [`BotSettings::rate_limit_window`].
    pub rate_limit_messages: u32,
    pub rate_limit_window: Duration,
    /// Version of the consent notice, stored with every consent answer.
    pub consent_text_version: String,
    /// Most messages plus attachments one complaint collects.
    pub max_complaint_messages: u32,
    /// Catalogue file; `None` = the built-in catalogue.
    pub catalogue_file: Option<String>,
    /// The personal-data controller named in the consent notice.
    pub data_controller: String,
    /// The retention period told in the consent notice.
    pub data_retention: String,
    /// Image of the `request_user_info` form.
    pub user_info_image_url: String,
}

/// Why the `[bot]` section or its catalogue was rejected; messages name the key.
#[derive(Debug, Error)]
pub enum BotSettingsError {
    #[error("`bot.{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
    #[error("`bot.office_hours`: {0}")]
    OfficeHours(#[from] OfficeHoursError),
    #[error("`bot.catalogue_file`: cannot read {path}: {error}")]
    CatalogueUnreadable { path: String, error: std::io::Error },
    #[error("`bot.catalogue_file`: {0}")]
    Catalogue(#[from] CatalogueError),
}

fn invalid(key: &'static str, problem: impl Into<String>) -> BotSettingsError {
    BotSettingsError::Invalid { key, problem: problem.into() }
}

impl BotSettings {
    /// Checks and converts the `[bot]` section (the catalogue file is read by
    /// [`BotSettings::load_catalogue`]).
    pub fn from_config(config: &BotConfig) -> Result<BotSettings, BotSettingsError> {
        let session_timeout = config.session_timeout.as_duration();
        if session_timeout <= Duration::zero() {
            return Err(invalid("session_timeout", "must be longer than zero"));
        }
        let rate_limit_window = config.rate_limit_window.as_duration();
        if rate_limit_window <= Duration::zero() {
            return Err(invalid("rate_limit_window", "must be longer than zero"));
        }
        if config.rate_limit_messages == 0 {
            return Err(invalid("rate_limit_messages", "must be at least 1"));
        }
        if config.max_complaint_messages == 0 {
            return Err(invalid("max_complaint_messages", "must be at least 1"));
        }
        let daily: DailyHours = config.office_hours.parse()?;
        let office_hours = OfficeHours::new(&daily)?;
        let consent_text_version = non_empty("consent_text_version", &config.consent_text_version)?;
        let data_controller = non_empty("data_controller", &config.data_controller)?;
        let data_retention = non_empty("data_retention", &config.data_retention)?;
        let url = config.user_info_image_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
            return Err(invalid("user_info_image_url", format!("`{url}` is not an http:// or https:// URL")));
        }
        let catalogue_file = Some(config.catalogue_file.trim()).filter(|path| !path.is_empty()).map(str::to_owned);
        Ok(BotSettings {
            session_timeout,
            office_hours,
            rate_limit_messages: config.rate_limit_messages,
            rate_limit_window,
            consent_text_version,
            max_complaint_messages: config.max_complaint_messages,
            catalogue_file,
            data_controller,
            data_retention,
            user_info_image_url: url.to_owned(),
        })
    }

    /// The catalogue the settings name: the built-in one, or the file, read and validated.
    pub fn load_catalogue(&self) -> Result<Catalogue, BotSettingsError> {
        match &self.catalogue_file {
            None => Ok(default_catalogue()?),
            Some(path) => {
                let text = std::fs::read_to_string(Path::new(path))
                    .map_err(|error| BotSettingsError::CatalogueUnreadable { path: path.clone(), error })?;
                Ok(parse_catalogue(&text, path)?)
            }
        }
    }
}

impl Default for BotSettings {
    /// The documented defaults (those of `tongdai.example.toml`).
    fn default() -> Self {
        let office_hours = OfficeHours::default();
        BotSettings::from_config(&BotConfig::default()).unwrap_or_else(|_| BotSettings {
            session_timeout: Duration::minutes(30),
            office_hours,
            rate_limit_messages: 20,
            rate_limit_window: Duration::minutes(1),
            consent_text_version: "2026-01".into(),
            max_complaint_messages: 20,
            catalogue_file: None,
            data_controller: "Văn phòng Ủy ban nhân dân tỉnh".into(),
            data_retention: "36 tháng".into(),
            user_info_image_url: "https://developers.zalo.me/web/static/zalo.png".into(),
        })
    }
}

fn non_empty(key: &'static str, value: &str) -> Result<String, BotSettingsError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(key, "must not be empty"));
    }
    Ok(trimmed.to_owned())
}

/// Problems with the `[bot]` section, catalogue included, for `Config::validate`.
pub fn config_problems(config: &BotConfig) -> Vec<String> {
    match BotSettings::from_config(config).and_then(|settings| settings.load_catalogue().map(drop)) {
        Ok(()) => Vec::new(),
        Err(error) => vec![error.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_parse_and_use_the_embedded_catalogue() {
        let settings = BotSettings::from_config(&BotConfig::default()).expect("defaults are valid");
        assert_eq!(settings.session_timeout, Duration::minutes(30));
        assert_eq!(settings.rate_limit_messages, 20);
        assert_eq!(settings.rate_limit_window, Duration::minutes(1));
        assert_eq!(settings.consent_text_version, "2026-01");
        assert_eq!(settings.max_complaint_messages, 20);
        assert_eq!(settings.office_hours, OfficeHours::default());
        assert_eq!(settings.catalogue_file, None);
        assert_eq!(settings, BotSettings::default());
        let catalogue = settings.load_catalogue().expect("embedded catalogue");
        assert_eq!(catalogue.branch_count(), 8);
    }

    #[test]
    fn invalid_values_name_the_key() {
        type Change = Box<dyn Fn(&mut BotConfig)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|c| c.office_hours = "7h-11h".into()), "`bot.office_hours`"),
            (Box::new(|c| c.office_hours = "closed".into()), "`bot.office_hours`"),
            (Box::new(|c| c.rate_limit_messages = 0), "`bot.rate_limit_messages`: must be at least 1"),
            (Box::new(|c| c.max_complaint_messages = 0), "`bot.max_complaint_messages`: must be at least 1"),
            (Box::new(|c| c.consent_text_version = " ".into()), "`bot.consent_text_version`: must not be empty"),
            (Box::new(|c| c.data_controller = String::new()), "`bot.data_controller`"),
            (Box::new(|c| c.user_info_image_url = "logo.png".into()), "`bot.user_info_image_url`"),
            (
                Box::new(|c| c.session_timeout = crate::calendar::duration::HumanDuration::from_secs(0)),
                "`bot.session_timeout`: must be longer than zero",
            ),
            (
                Box::new(|c| c.catalogue_file = "/nonexistent/tinh-x/branches.toml".into()),
                "`bot.catalogue_file`: cannot read /nonexistent/tinh-x/branches.toml",
            ),
        ];
        for (change, expected) in cases {
            let mut config = BotConfig::default();
            change(&mut config);
            let problems = config_problems(&config);
            assert_eq!(problems.len(), 1, "{expected}: {problems:?}");
            assert!(problems[0].contains(expected), "{:?} should contain {expected:?}", problems[0]);
        }
    }

    #[test]
    fn another_provinces_catalogue_file_is_read_and_validated() {
        let dir = std::env::temp_dir().join(format!("tongdai-bot-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "hotline = \"1\"\n[[department]]\ncode = \"A\"\nname = \"Sở A\"\n[[branch]]\nnumber = 1\ntitle = \"Đất đai\"\nshort_title = \"Đất đai\"\ndepartment = \"A\"\nduties = [\"x\"]\n",
        )
        .expect("write");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "hotline = \"1\"\n").expect("write");
        let mut config = BotConfig { catalogue_file: good.display().to_string(), ..BotConfig::default() };
        let settings = BotSettings::from_config(&config).expect("valid");
        assert_eq!(settings.load_catalogue().expect("parses").branch_count(), 1);
        config.catalogue_file = bad.display().to_string();
        let problems = config_problems(&config);
        assert!(problems[0].contains("the catalogue has no [[branch]] entries"), "{problems:?}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn the_bot_section_is_checked_by_the_configuration() {
        let error = Config::from_toml_and_env("[bot]\nrate_limit_messages = 0\n", "t.toml", &[])
            .expect_err("rejected")
            .to_string();
        assert!(error.contains("`bot.rate_limit_messages`"), "{error}");
        let env = vec![("TONGDAI_BOT__SESSION_TIMEOUT".to_owned(), "45m".to_owned())];
        let loaded = Config::from_toml_and_env("", "t", &env).expect("valid");
        let settings = BotSettings::from_config(&loaded.config.bot).expect("valid");
        assert_eq!(settings.session_timeout, Duration::minutes(45));
    }
}

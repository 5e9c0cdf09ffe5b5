//! Settings of the Zalo simulator: the simulated OA's identity and secrets, where webhook
//! events go and how they are retried, token lifetimes, messaging windows, quotas, the rate
//! limit and the citizens created at start. Defaults are fixed so a demo can copy them.

use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::sim::state::NewCitizen;

/// App id of the simulated Zalo app (a long digit string, like Zalo's).
pub const DEFAULT_APP_ID: &str = "4127365091827364510";
/// Id of the simulated Official Account.
pub const DEFAULT_OA_ID: &str = "2896153704715238641";
/// Display name of the simulated OA (the reference deployment's OA).
pub const DEFAULT_OA_NAME: &str = "Phản ánh về thủ tục hành chính Hậu Giang";
/// OA Secret Key of the simulated app's Webhook page (signs webhook events).
pub const DEFAULT_OA_SECRET_KEY: &str = "simOaSecretKey4127365091827364510";
/// App secret of the simulated app (the `secret_key` header of the OAuth calls).
pub const DEFAULT_APP_SECRET: &str = "simAppSecret4127365091827364510";
/// Where the simulator is reachable when nothing else is said (`tongdai sim` default).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:9090/sim";

/// Everything the simulator needs to know; `SimConfig::default()` is a working demo setup.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub app_id: String,
    pub oa_id: String,
    pub oa_name: String,
    pub oa_secret_key: String,
    pub app_secret: String,
    /// Absolute URL at which the simulator's router is mounted (no trailing slash), e.g.
    /// `http://127.0.0.1:8080/sim`. Media URLs in webhook events point below it.
    pub public_url: String,
    /// Where webhook events are POSTed; `None` records them as undelivered.
    pub webhook_url: Option<String>,
    /// Wait before each retry of a failed webhook delivery (Zalo: 30 s, 5 min, 15 min,
    /// 30 min, 1 h). Its length is the number of retries.
    pub webhook_retry_schedule: Vec<StdDuration>,
    /// How long one delivery may take before it counts as failed (Zalo: 2 s).
    pub webhook_timeout: StdDuration,
    /// OA API requests allowed per clock minute (Zalo: 4,000); `None` disables the limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Access token lifetime (Zalo: 25 h, `expires_in` "90000").
    pub access_token_ttl: Duration,
    /// Refresh token lifetime (Zalo: 3 months).
    pub refresh_token_ttl: Duration,
    /// Authorization code lifetime (Zalo: 10 minutes).
    pub authorization_code_ttl: Duration,
    /// Free consultation window after the citizen's last interaction (Zalo: 48 h).
    pub free_window: Duration,
    /// Window beyond which consultation messages are refused with -230 (Zalo: 7 days).
    pub cs_window: Duration,
    /// Billed consultation messages available (48 h – 7 days); -211 when used up.
    pub billed_cs_quota: u32,
    /// ZNS/ZBS template messages per day; -144 when used up.
    pub template_daily_quota: u32,
    /// The first access token (random when `None`).
    pub initial_access_token: Option<String>,
    /// The first refresh token (random when `None`).
    pub initial_refresh_token: Option<String>,
    /// Citizens that exist from the start.
    pub citizens: Vec<NewCitizen>,
}

/// Zalo's webhook retry schedule (reference §1).
pub fn zalo_retry_schedule() -> Vec<StdDuration> {
    [30, 5 * 60, 15 * 60, 30 * 60, 60 * 60].into_iter().map(StdDuration::from_secs).collect()
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.to_owned(),
            oa_id: DEFAULT_OA_ID.to_owned(),
            oa_name: DEFAULT_OA_NAME.to_owned(),
            oa_secret_key: DEFAULT_OA_SECRET_KEY.to_owned(),
            app_secret: DEFAULT_APP_SECRET.to_owned(),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            webhook_url: None,
            webhook_retry_schedule: zalo_retry_schedule(),
            webhook_timeout: StdDuration::from_secs(2),
            rate_limit_per_minute: Some(4000),
            access_token_ttl: Duration::seconds(90_000),
            refresh_token_ttl: Duration::days(90),
            authorization_code_ttl: Duration::minutes(10),
            free_window: Duration::hours(48),
            cs_window: Duration::days(7),
            billed_cs_quota: 2000,
            template_daily_quota: 500,
            initial_access_token: None,
            initial_refresh_token: None,
            citizens: vec![
                NewCitizen::new("Nguyễn Văn An", Some("0912345678")),
                NewCitizen::new("Trần Thị Bích", Some("0987654321")),
            ],
        }
    }
}

impl SimConfig {
    /// The same settings with no citizens at start (tests create their own).
    pub fn without_citizens(mut self) -> Self {
        self.citizens.clear();
        self
    }
}

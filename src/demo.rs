//! `tongdai demo`: the service and the Zalo simulator in one process, on SQLite under `data/`,
//! with no credentials — what a newcomer sees first. The simulator's chat page plays the
//! citizens; the console has one demo account per role; surveys go out after a short delay.

use std::sync::Arc;

use anyhow::Context as _;

use crate::calendar::duration::{DayRange, HumanDuration, TimeWindow};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::sim::{SimConfig, Simulator};

/// Points the configuration's `[zalo]` section at the simulator mounted at `sim_url`.
pub fn configure_for_simulator(config: &mut Config, sim: &Simulator) {
    let urls = sim.base_urls();
    let tokens = sim.initial_tokens();
    let sim_config = sim.config();
    config.zalo.app_id.clone_from(&sim_config.app_id);
    config.zalo.oa_id.clone_from(&sim_config.oa_id);
    config.zalo.oa_secret_key.clone_from(&sim_config.oa_secret_key);
    config.zalo.app_secret.clone_from(&sim_config.app_secret);
    config.zalo.api_base = urls.api_base;
    config.zalo.oauth_base = urls.oauth_base;
    config.zalo.business_api_base = urls.business_api_base;
    config.zalo.access_token = tokens.access_token;
    config.zalo.refresh_token = tokens.refresh_token;
    // The simulator accepts any template id; these let surveys and answers to complaints reach
    // citizens outside the chat window (ZBS by user id, ZNS by phone) as they would live.
    for (slot, id) in [
        (&mut config.zalo.zbs_survey_template_id, SIM_ZBS_SURVEY_TEMPLATE),
        (&mut config.zalo.zns_survey_template_id, SIM_ZNS_SURVEY_TEMPLATE),
        (&mut config.zalo.zbs_reply_template_id, SIM_ZBS_REPLY_TEMPLATE),
        (&mut config.zalo.zns_reply_template_id, SIM_ZNS_REPLY_TEMPLATE),
    ] {
        if slot.trim().is_empty() {
            *slot = id.to_owned();
        }
    }
}

/// Template ids the demo gives the simulator when the configuration names none.
pub const SIM_ZBS_SURVEY_TEMPLATE: &str = "sim-zbs-danh-gia";
pub const SIM_ZNS_SURVEY_TEMPLATE: &str = "sim-zns-danh-gia";
pub const SIM_ZBS_REPLY_TEMPLATE: &str = "sim-zbs-tra-loi";
pub const SIM_ZNS_REPLY_TEMPLATE: &str = "sim-zns-tra-loi";

/// Demo survey timing: a short delay and no send window, so a survey arrives within a minute.
pub fn demo_survey_timing(config: &mut Config) {
    config.survey.delay_after_completion = HumanDuration::from_secs(30);
    config.survey.send_window = TimeWindow::ALL_DAY;
    config.survey.send_days = DayRange::EVERY_DAY;
    config.survey.skip_holidays = false;
    config.survey.min_days_between = 0;
}

/// Runs the demo until SIGINT/SIGTERM.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("binding {} (server.listen)", config.server.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let base = format!("http://{address}");
    let sim_config = SimConfig {
        public_url: format!("{base}/sim"),
        webhook_url: Some(format!("{base}/webhooks/zalo")),
        ..SimConfig::default()
    };
    let sim = Simulator::new(sim_config, clock.clone()).context("starting the Zalo simulator")?;
    configure_for_simulator(&mut config, &sim);
    demo_survey_timing(&mut config);
    if config.survey.public_base_url.is_empty() {
        config.survey.public_base_url.clone_from(&base);
    }
    let store = crate::app::open_store(&config).await?;
    // The simulator is new at every start: its tokens replace whatever an earlier run stored.
    let zalo = crate::zalo::service::build(&config, &store, clock.clone())?;
    zalo.tokens
        .replace(&config.zalo.access_token, &config.zalo.refresh_token)
        .await
        .context("storing the simulator's tokens")?;
    let rules = config.console.password_rules();
    let accounts = crate::console::demo::create_demo_accounts(&store, rules, clock.now())
        .await
        .context("creating the demo console accounts")?;
    println!();
    println!("tongdai demo is running (SQLite: {}).", crate::config::redact_url_password(&config.database.url));
    println!();
    println!("  Citizen chat (Zalo simulator):  {base}/sim");
    println!("  Officials' console:             {base}/console/");
    println!();
    println!("  Console accounts (new passwords each start):");
    for account in &accounts {
        println!(
            "    {:<14} {:<12} {:<10} {}",
            account.username,
            account.role.as_str(),
            account.department.as_deref().unwrap_or("-"),
            account.password
        );
    }
    println!();
    println!("  Surveys: upload a dossier CSV in the console (Khảo sát › Nhập hồ sơ từ tệp, as dieuphoi.snv)");
    println!("  or run `tongdai dossiers import FILE.csv` in another terminal —");
    println!("  in the demo a survey is sent 30 s after a dossier's completion time.");
    println!("  Statistics (figures, charts, XLSX/CSV downloads): {base}/console/stats (as lanhdao).");
    println!("  Stop with Ctrl-C.");
    println!();
    let routes = axum::Router::new().nest("/sim", sim.router());
    crate::app::run_with_routes(config, store, clock, listener, crate::shutdown::os_signal(), routes).await
}

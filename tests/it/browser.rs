//! The console in a real browser: headless Chromium driven through chromedriver (Debian packages
//! `chromium` and `chromium-driver`; the test fails, never skips, when they are missing). The real
//! service runs with the Zalo simulator mounted; a citizen files a complaint in the simulated chat;
//! the department's officer signs in, opens the ticket from the inbox and replies; the reply
//! arrives in the citizen's chat (checked through the simulator and on its /sim page). Then the
//! coordinating office uploads dossier files (one refused with its report, one imported) and
//! reads the survey pages. The surveys of the imported dossiers go out (ZNS with the web form's
//! link); three citizens answer on the form; a leader opens the statistics, narrows the period
//! with the filter form, sees the overall index, the element names and indices and the response
//! rate equal to `GET /api/v1/stats/surveys` for the same request, nothing wider than a phone,
//! and downloads the CSV (a real download through Chromium) whose figures equal the API's.
//! Screenshots of the main pages at 1366×768 and 390 px wide are saved under
//! `target/screenshots/` for people to look at.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tongdai::auth::audit::Actor;
use tongdai::auth::users::{self, Role, UserInput};
use tongdai::clock::{Clock, SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::sim::{SimConfig, Simulator};

use crate::support::TestDb;
use crate::webdriver::{Driver, Session};

const DESKTOP: (u32, u32) = (1366, 768);
const PHONE: (u32, u32) = (390, 844);

/// Where screenshots go: `target/screenshots/` (under `CARGO_TARGET_DIR` when it is set).
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    target.join("screenshots")
}

/// Everything the OA sent to the citizen so far, as one text.
fn oa_text(sim: &Simulator, user: &str) -> String {
    sim.oa_messages_for(user).iter().map(|m| serde_json::to_string(&m.content).unwrap()).collect::<Vec<_>>().join("\n")
}

async fn wait_for(sim: &Simulator, user: &str, what: &str, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = oa_text(sim, user);
        if needles.iter().all(|n| text.contains(n)) {
            return text;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; the OA sent:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The citizen files a complaint with branch 4 through the simulated chat; returns its code.
async fn file_a_complaint(sim: &Simulator, user: &str) -> String {
    sim.follow(user).await.unwrap();
    wait_for(sim, user, "the welcome and the menu", &["Kính chào", "Nhánh 5 – 8"]).await;
    sim.send_text(user, "cai cach thu tuc hanh chinh").await.unwrap();
    sim.send_text(user, "phan anh").await.unwrap();
    wait_for(sim, user, "the request for a description", &["mô tả sự việc"]).await;
    sim.send_text(user, "Nộp hồ sơ đăng ký kinh doanh trực tuyến đã 15 ngày chưa có kết quả, gọi điện không ai nghe.")
        .await
        .unwrap();
    wait_for(sim, user, "the description acknowledged", &["Đã ghi nhận (1/20)"]).await;
    sim.tap_button(user, "Xong").await.unwrap();
    wait_for(sim, user, "the question about the place", &["cơ quan, địa điểm nào"]).await;
    sim.send_text(user, "Bộ phận một cửa tỉnh").await.unwrap();
    wait_for(sim, user, "the question about the procedure", &["thủ tục hành chính nào"]).await;
    sim.send_text(user, "Đăng ký thành lập hộ kinh doanh").await.unwrap();
    wait_for(sim, user, "the consent question", &["Đồng ý xử lý dữ liệu cá nhân"]).await;
    sim.tap_button(user, "Đồng ý").await.unwrap();
    wait_for(sim, user, "the request for a name", &["gõ họ tên"]).await;
    sim.send_text(user, "Lê Thị Hoa").await.unwrap();
    wait_for(sim, user, "the request for a phone number", &["số điện thoại di động"]).await;
    sim.send_text(user, "0903 123 456").await.unwrap();
    wait_for(sim, user, "the summary", &["kiểm tra lại phản ánh"]).await;
    sim.tap_button(user, "Gửi phản ánh").await.unwrap();
    let text = wait_for(sim, user, "the ticket code", &["mã số PA-2026-"]).await;
    let at = text.rfind("mã số PA-2026-").unwrap() + "mã số ".len();
    text[at..at + 14].to_owned()
}

struct Service {
    base: String,
    sim: Simulator,
    db: TestDb,
    config: Config,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start_service() -> Service {
    let db = TestDb::sqlite().await;
    let clock: SharedClock = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim_config = SimConfig {
        public_url: format!("{base}/sim"),
        webhook_url: Some(format!("{base}/webhooks/zalo")),
        ..SimConfig::default()
    };
    let sim = Simulator::new(sim_config, clock.clone()).unwrap();
    let mut config = Config::default();
    config.database = db.config.clone();
    config.general.data_dir =
        std::env::temp_dir().join(format!("tongdai_browser_{:08x}", rand::random::<u32>())).display().to_string();
    tongdai::demo::configure_for_simulator(&mut config, &sim);
    tongdai::demo::demo_survey_timing(&mut config);
    config.survey.link_secret = "browser-link-secret-0123456789abcdef0123456789".into();
    config.survey.public_base_url = base.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let routes = axum::Router::new().nest("/sim", sim.router());
    let server = tokio::spawn(tongdai::app::run_with_routes(
        config.clone(),
        db.store.clone(),
        clock,
        listener,
        async move {
            let _ = stopped.await;
        },
        routes,
    ));
    Service { base, sim, db, config, stop: Some(stop), server }
}

impl Service {
    async fn account(&self, username: &str, role: Role, department: Option<&str>, name: &str) -> String {
        let password = format!("Mật khẩu thử nghiệm của {username}");
        let input = UserInput {
            username: username.to_owned(),
            display_name: name.to_owned(),
            role,
            department: department.map(str::to_owned),
            password: password.clone(),
            must_change_password: false,
        };
        let departments = tongdai::bot::catalogue::default_catalogue().unwrap().departments().to_vec();
        let rules = self.config.console.password_rules();
        users::add_user(&self.db.store, &Actor::cli(), input, rules, &departments, SystemClock.now()).await.unwrap();
        password
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.unwrap().unwrap();
    }
}

/// Takes the desktop screenshot of the current page as `name-desktop.png` and, when `phone`,
/// the same page 390 px wide (whole page) as `name-phone.png`.
async fn shots(browser: &Session, name: &str, phone: bool) {
    let dir = screenshot_dir();
    browser.screenshot(&dir.join(format!("{name}-desktop.png"))).await;
    if phone {
        browser.full_page_screenshot(&dir.join(format!("{name}-phone.png")), PHONE.0, PHONE.1, 4000).await;
        browser.set_window_size(DESKTOP.0, DESKTOP.1).await;
    }
}

async fn sign_in(browser: &Session, base: &str, username: &str, password: &str) {
    browser.goto(&format!("{base}/console/login")).await;
    browser.send_keys(&browser.find("#username").await, username).await;
    browser.send_keys(&browser.find("#password").await, password).await;
    browser.click(&browser.find("form.form button[type=submit]").await).await;
    browser.wait_for_text("Xin chào", "the home page after signing in").await;
}

async fn sign_out(browser: &Session) {
    browser.click(&browser.find(".account-signout button").await).await;
    browser.wait_for_text("Dành cho cán bộ", "the sign-in page after signing out").await;
}

/// Writes a file for the browser's file input.
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tongdai_browser_files_{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn dossier_csv(now: chrono::DateTime<chrono::Utc>, rows: usize) -> String {
    let mut csv = String::from(
        "\u{feff}Mã hồ sơ,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mã cơ quan,Tên cơ quan,Cấp,Ngày tiếp nhận,Ngày hoàn thành,Hình thức,Họ tên,Số điện thoại,Zalo\r\n",
    );
    let procedures = [
        ("1.001766", "Đăng ký khai sinh", "Hộ tịch", "H27.12", "UBND phường I, TP. Vị Thanh", "xã"),
        ("2.000046", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", "H27.20", "UBND huyện Châu Thành", "huyện"),
        (
            "1.004227",
            "Đăng ký thành lập hộ kinh doanh",
            "Thành lập và hoạt động của hộ kinh doanh",
            "H27.20",
            "UBND huyện Châu Thành",
            "huyện",
        ),
        ("2.001023", "Cấp phiếu lý lịch tư pháp", "Lý lịch tư pháp", "H27.05", "Sở Tư pháp", "tỉnh"),
    ];
    let names = ["Nguyễn Văn An", "Trần Thị Bình", "Phạm Minh Châu", "Võ Thị Diệu", "Huỳnh Văn Em", "Đặng Thị Giang"];
    for i in 0..rows {
        let (code, name, field, agency, agency_name, level) = procedures[i % procedures.len()];
        let completed = now - chrono::Duration::hours(2 + i64::try_from(i).unwrap() * 7);
        let received = completed - chrono::Duration::days(4);
        let channel = if i % 3 == 0 { "trực tuyến" } else { "trực tiếp" };
        let (citizen, phone) =
            if i % 5 == 4 { ("", String::new()) } else { (names[i % names.len()], format!("09{:08}", 12_345_000 + i)) };
        csv.push_str(&format!(
            "HG-2026-{:05},{code},\"{name}\",{field},{agency},\"{agency_name}\",{level},{},{},{channel},{citizen},{phone},\r\n",
            i + 1,
            received.to_rfc3339(),
            completed.to_rfc3339()
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_answers_a_complaint_in_the_browser_and_the_citizen_receives_it() {
    let driver = Driver::start().await;
    let service = start_service().await;
    let base = service.base.clone();
    let catalogue = tongdai::bot::catalogue::default_catalogue().unwrap();
    let department = catalogue.branch(4).unwrap().department.clone();
    let officer_password = service.account("canbo.xuly", Role::Officer, Some(&department), "Nguyễn Thị Thu Hà").await;
    let coordinator_password = service.account("dieuphoi.snv", Role::Coordinator, Some("SNV"), "Trần Văn Minh").await;

    // A citizen files a complaint in the simulated Zalo chat.
    let sim = &service.sim;
    let citizen = sim.create_citizen("Lê Thị Hoa", Some("0903123456"));
    let user = citizen.user_id.clone();
    let code = file_a_complaint(sim, &user).await;

    let browser = driver.session(DESKTOP.0, DESKTOP.1).await;
    browser.set_window_size(DESKTOP.0, DESKTOP.1).await;
    browser.goto(&format!("{base}/console/login")).await;
    browser.wait_for_text("Đăng nhập", "the sign-in page").await;
    shots(&browser, "01-login", true).await;

    // The officer signs in, finds the ticket in the inbox and opens it.
    sign_in(&browser, &base, "canbo.xuly", &officer_password).await;
    shots(&browser, "02-home", false).await;
    browser.click(&browser.find(r#".nav-link[href="/console/tickets"]"#).await).await;
    let inbox = browser.wait_for_text(&code, "the new ticket in the inbox").await;
    assert!(inbox.contains("Phản ánh, kiến nghị"), "{inbox}");
    shots(&browser, "03-inbox", true).await;
    browser.click(&browser.find(&format!(r#"a.ticket-code[href="/console/tickets/{code}"]"#)).await).await;
    let ticket = browser.wait_for_text("Trả lời người dân", "the ticket page with the reply form").await;
    assert!(ticket.contains("Lê Thị Hoa") && ticket.contains("15 ngày chưa có kết quả"), "{ticket}");
    shots(&browser, "04-ticket", true).await;

    // Preview, then send the answer.
    let answer = "Văn phòng UBND tỉnh đã đề nghị Bộ phận một cửa trả kết quả hồ sơ của Bà trong ngày 05/03/2026 và chấn chỉnh việc nghe điện thoại.";
    browser.send_keys(&browser.find("#reply-text").await, answer).await;
    browser.click(&browser.find(r#"button[name="intent"][value="preview"]"#).await).await;
    let preview = browser.wait_for_text("Người dân sẽ nhận:", "the preview of the answer").await;
    assert!(preview.contains(answer) && preview.contains(&code), "{preview}");
    browser.click(&browser.find(r#"button[name="intent"][value="send"]"#).await).await;
    let sent = browser.wait_for_text("Đã trả lời", "the ticket answered").await;
    assert!(sent.contains(answer), "{sent}");
    shots(&browser, "05-ticket-answered", false).await;

    // The answer reaches the citizen's chat: through the simulator, and on its chat page.
    wait_for(sim, &user, "the officer's answer in the citizen's chat", &["chấn chỉnh việc nghe điện thoại"]).await;
    browser.goto(&format!("{base}/sim?u={user}")).await;
    let chat = browser.wait_for_text("chấn chỉnh việc nghe điện thoại", "the answer on the /sim chat page").await;
    assert!(chat.contains(&code), "{chat}");
    shots(&browser, "06-sim-chat", false).await;

    // The officer sees no survey pages; the coordinating office does.
    browser.goto(&format!("{base}/console/")).await;
    assert!(browser.try_find(r#".nav-link[href="/console/surveys"]"#).await.is_none());
    sign_out(&browser).await;
    sign_in(&browser, &base, "dieuphoi.snv", &coordinator_password).await;
    browser.click(&browser.find(r#".nav-link[href="/console/surveys"]"#).await).await;
    browser.wait_for_text("Theo tình trạng khảo sát", "the survey overview").await;

    // A refused file: the report names line and column; nothing is imported.
    let now = SystemClock.now();
    let mut bad = dossier_csv(now, 3);
    bad = bad.replacen(",xã,", ",ấp,", 1).replacen("trực tiếp", "qua bưu điện", 1);
    let bad_file = temp_file("ho-so-loi.csv", &bad);
    browser.click(&browser.find(r#".tab[href="/console/surveys/imports"]"#).await).await;
    browser.wait_for_text("Tải tệp lên", "the upload form").await;
    shots(&browser, "07-survey-upload", true).await;
    browser.send_keys(&browser.find("#f-file").await, bad_file.to_str().unwrap()).await;
    browser.click(&browser.find(".upload-form button[type=submit]").await).await;
    // (The upload page's own explanation also says "không nhập hồ sơ nào": wait for the report.)
    let refused = browser.wait_for_text("Tệp có 2 lỗi", "the refusal with its report").await;
    assert!(refused.contains("Tệp có 2 lỗi") && refused.contains("G (Cấp)"), "{refused}");
    shots(&browser, "08-survey-import-refused", true).await;

    // A good file of 120 dossiers: the status page reloads itself until it is done.
    let good_file = temp_file("ho-so-thang-3.csv", &dossier_csv(now, 120));
    browser.goto(&format!("{base}/console/surveys/imports")).await;
    browser.send_keys(&browser.find("#f-file").await, good_file.to_str().unwrap()).await;
    browser.click(&browser.find(".upload-form button[type=submit]").await).await;
    let done = browser.wait_for_text("Đã nhập tất cả hồ sơ của tệp", "the import finished (page reloads)").await;
    assert!(done.contains("120 hồ sơ mới") && done.contains("120 / 120 dòng"), "{done}");
    shots(&browser, "09-survey-import-done", true).await;

    browser.click(&browser.find(r#".tab[href="/console/surveys/dossiers"]"#).await).await;
    let dossiers = browser.wait_for_text("120 hồ sơ", "the dossier list").await;
    assert!(dossiers.contains("HG-2026-00001") && dossiers.contains("Nguyễn Văn An"), "{dossiers}");
    shots(&browser, "10-survey-dossiers", true).await;

    // A citizen opts out; the list shows it. Then the overview with its counts.
    service.db.store.surveys.opt_out(None, Some("84912345001"), "chat", SystemClock.now()).await.unwrap();
    browser.click(&browser.find(r#".tab[href="/console/surveys/opt-outs"]"#).await).await;
    browser.wait_for_text("0912 345 001", "the opt-out list").await;
    shots(&browser, "11-survey-opt-outs", false).await;
    browser.click(&browser.find(r#".tab[href="/console/surveys"]"#).await).await;
    let overview = browser.wait_for_text("Theo tình trạng khảo sát", "the survey overview").await;
    assert!(overview.to_lowercase().contains("hồ sơ đã nhận"), "{overview}");
    shots(&browser, "12-survey-overview", true).await;
    sign_out(&browser).await;

    // The surveys of the imported dossiers go out by ZNS with the web form's link; three citizens
    // answer on the form, then a leader reads the figures and downloads them.
    answer_three_surveys(&service, &browser).await;
    let viewer_password = service.account("lanhdao", Role::Viewer, None, "Lãnh đạo UBND tỉnh").await;
    sign_in(&browser, &base, "lanhdao", &viewer_password).await;
    read_the_statistics(&browser, &base, now).await;

    browser.quit().await;
    drop(driver);
    service.stop().await;
}

/// The web-form links the survey templates carried so far, one per phone.
fn survey_links(sim: &Simulator) -> Vec<String> {
    let mut links: Vec<String> = sim
        .template_sends()
        .iter()
        .filter(|s| s.channel == tongdai::sim::TemplateChannel::Phone)
        .filter_map(|s| s.template_data["link"].as_str().map(str::to_owned))
        .collect();
    links.dedup();
    links
}

/// Three citizens open their survey link (one on a phone) and answer every question of the
/// SIPAS form: all "rất hài lòng", all "hài lòng", and alternately "không hài lòng" and
/// "rất hài lòng" (option indices of each question's radio buttons, in the form's order).
async fn answer_three_surveys(service: &Service, browser: &Session) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let links = loop {
        let links = survey_links(&service.sim);
        if links.len() >= 3 {
            break links;
        }
        assert!(Instant::now() < deadline, "the surveys did not go out: {:?}", service.sim.template_sends());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (i, link) in links.iter().take(3).enumerate() {
        assert!(link.starts_with(&format!("{}/s/", service.base)), "{link}");
        if i == 0 {
            browser.set_window_size(PHONE.0, PHONE.1).await;
        }
        browser.goto(link).await;
        browser.wait_for_text("Gửi đánh giá", "the survey web form").await;
        let picks = match i {
            0 => "[4]",
            1 => "[3]",
            _ => "[1, 4]",
        };
        let chosen = browser
            .execute(&format!(
                "const picks = {picks}; const groups = new Map();
                 for (const r of document.querySelectorAll('input[type=radio]')) {{
                   if (!groups.has(r.name)) groups.set(r.name, []);
                   groups.get(r.name).push(r);
                 }}
                 let i = 0;
                 for (const radios of groups.values()) {{
                   radios[Math.min(picks[i % picks.length], radios.length - 1)].click();
                   i += 1;
                 }}
                 return i;"
            ))
            .await;
        assert!(chosen.as_u64().unwrap_or(0) >= 19, "every question of the form: {chosen}");
        if i == 0 {
            browser
                .full_page_screenshot(&screenshot_dir().join("13-survey-form-phone.png"), PHONE.0, PHONE.1, 8000)
                .await;
        }
        browser.click(&browser.find("form button[type=submit]").await).await;
        browser.wait_for_text("Đánh giá của Ông/Bà đã được ghi nhận", "the thanks after the form").await;
        if i == 0 {
            browser.set_window_size(DESKTOP.0, DESKTOP.1).await;
        }
    }
}

/// The text of the first element matching `css` (`textContent`, non-breaking spaces kept).
async fn text_of(browser: &Session, css: &str) -> String {
    let script = format!(
        "const e = document.querySelector({}); return e ? e.textContent.trim() : null;",
        serde_json::json!(css)
    );
    match browser.execute(&script).await {
        serde_json::Value::String(text) => text,
        other => panic!("no `{css}` on the page ({other}):\n{}", browser.page_text().await),
    }
}

/// What the statistics API answers for `query` with the browser's session (the console's pages
/// may not call the API from scripts: their content security policy allows no connections).
async fn api_report(browser: &Session, base: &str, query: &str) -> serde_json::Value {
    let session = browser.cookie("tongdai_session").await.expect("signed in");
    let reply = reqwest::Client::new()
        .get(format!("{base}/api/v1/stats/surveys?{query}"))
        .header(reqwest::header::COOKIE, format!("tongdai_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), reqwest::StatusCode::OK, "GET /api/v1/stats/surveys?{query}");
    reply.json().await.unwrap()
}

/// How the page writes a percentage: `81,58 %` with a non-breaking space, `—` without a figure.
fn page_percent(value: &serde_json::Value, decimals: usize) -> String {
    value
        .as_f64()
        .map_or_else(|| "—".to_owned(), |v| format!("{}\u{a0}%", tongdai::stats::charts::decimal(v, decimals)))
}

/// How the CSV writes a figure: 2 decimals with a point, empty without a figure.
fn csv_decimal(value: &serde_json::Value) -> String {
    value.as_f64().map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// The leader opens the statistics from the navigation, narrows the period with the filter form,
/// checks the figures against the API, takes the screenshots and downloads the CSV.
async fn read_the_statistics(browser: &Session, base: &str, now: chrono::DateTime<chrono::Utc>) {
    browser.click(&browser.find(r#".nav-link[href="/console/stats"]"#).await).await;
    browser.wait_for_text("Mức độ hài lòng", "the statistics page").await;
    // Dossiers completed in the last 60 days, local dates (the imported ones end 35 days back).
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive();
    let (from, to) = (local(now - chrono::Duration::days(60)), local(now));
    browser
        .execute(&format!(
            "document.getElementById('f-from').value = '{from}'; document.getElementById('f-to').value = '{to}';"
        ))
        .await;
    browser.click(&browser.find(".stats-filters button[type=submit]").await).await;
    let period = format!("hồ sơ hoàn thành từ {} đến {}", from.format("%d/%m/%Y"), to.format("%d/%m/%Y"));
    let page = browser.wait_for_text(&period, "the figures of the chosen period").await;
    assert!(page.contains("Tải tệp CSV"), "{page}");
    let url = browser.current_url().await;
    assert!(url.contains(&format!("from={from}")) && url.contains(&format!("to={to}")), "{url}");
    let query = format!("survey=sipas-2022-service&from={from}&to={to}");
    let report = api_report(browser, base, &query).await;
    assert_eq!(report["responses"], 3, "the three forms: {report}");
    assert!(report["sent"].as_i64().unwrap() >= 3, "{report}");

    // The cards equal the API's figures; the element names are shown with their indices.
    assert_eq!(text_of(browser, "#kpi-index dd").await, page_percent(&report["overall"]["index"], 2));
    assert_ne!(text_of(browser, "#kpi-index dd").await, "—");
    assert_eq!(text_of(browser, "#kpi-response-rate dd").await, page_percent(&report["response_rate"], 2));
    assert_eq!(text_of(browser, "#kpi-responses dd").await, "3");
    let elements = report["elements"].as_array().unwrap();
    assert!(elements.len() >= 5, "{report}");
    for element in elements {
        let code = element["code"].as_str().unwrap();
        let name = element["name"].as_str().unwrap();
        assert_eq!(text_of(browser, &format!("#kpi-element-{code} dt")).await, name);
        assert_eq!(text_of(browser, &format!("#kpi-element-{code} dd")).await, page_percent(&element["index"], 2));
        assert!(page.contains(name), "{name}");
    }
    let detail = text_of(browser, "#kpi-response-rate .kpi-detail").await;
    assert!(detail.contains(&format!("3 / {} phiếu đã gửi", report["sent"])), "{detail}");
    // The charts are drawn from the same answers: the agencies of the answered dossiers get bars,
    // this month a point of the trend.
    let bars = browser
        .execute(
            "const svg = document.getElementById('chart-agencies-title').closest('svg');
             return [svg.querySelectorAll('.chart-bar').length, svg.textContent];",
        )
        .await;
    assert!(bars[0].as_u64().unwrap() >= 1, "{bars}");
    let trend = text_of(browser, "#chart-trend-desc").await;
    assert!(!trend.contains("Chưa có dữ liệu"), "{trend}");
    shots(browser, "14-stats", false).await;
    browser.full_page_screenshot(&screenshot_dir().join("14-stats-phone.png"), PHONE.0, PHONE.1, 12000).await;
    browser.set_window_size(DESKTOP.0, DESKTOP.1).await;
    // Nothing on the phone is wider than the screen: wide tables and charts stay in their boxes.
    browser.set_window_size(PHONE.0, PHONE.1).await;
    let overflow = browser
        .execute("document.querySelectorAll('details').forEach(d => d.open = true); return document.documentElement.scrollWidth;")
        .await;
    browser.full_page_screenshot(&screenshot_dir().join("15-stats-tables-phone.png"), PHONE.0, PHONE.1, 12000).await;
    browser.set_window_size(DESKTOP.0, DESKTOP.1).await;
    assert!(overflow.as_u64().unwrap_or(u64::MAX) <= u64::from(PHONE.0), "the page is wider than a phone: {overflow}");

    // The download without grouping: one row per question, the API's figures.
    let downloads = browser.downloads();
    browser.execute("document.getElementById('e-group').value = '';").await;
    browser.click(&browser.find(r#".export-form button[value="csv"]"#).await).await;
    let file = browser.wait_for_download(".csv").await;
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("thong-ke-sipas-2022-service-{from}-{to}.csv"), "in {}", downloads.display());
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM for Excel");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    let at = |title: &str| headers.iter().position(|h| h == title).unwrap_or_else(|| panic!("column {title}"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let questions = report["questions"].as_array().unwrap();
    assert_eq!(rows.len(), questions.len());
    for (row, question) in rows.iter().zip(questions) {
        assert_eq!(&row[at("Mã câu hỏi")], question["code"].as_str().unwrap());
        assert_eq!(&row[at("Tên nhóm")], "Toàn bộ");
        assert_eq!(row[at("Số trả lời hợp lệ")], question["n"].to_string());
        assert_eq!(row[at("Tỷ lệ hài lòng (%)")], csv_decimal(&question["satisfied_pct"]));
        assert_eq!(row[at("Chỉ số chung (%)")], csv_decimal(&report["overall"]["index"]));
        assert_eq!(row[at("Phiếu đã gửi")], report["sent"].to_string());
        assert_eq!(&row[at("Phiếu trả lời")], "3");
        assert_eq!(row[at("Tỷ lệ phản hồi (%)")], csv_decimal(&report["response_rate"]));
        if let Some(element) = elements.iter().find(|e| e["code"] == question["element"]) {
            assert_eq!(&row[at("Yếu tố")], element["name"].as_str().unwrap());
            assert_eq!(row[at("Chỉ số yếu tố (%)")], csv_decimal(&element["index"]));
        }
    }
}

//! The console in a real browser: headless Chromium driven through chromedriver (Debian packages
//! `chromium` and `chromium-driver`; the test fails, never skips, when they are missing). The real
//! service runs with the Zalo simulator mounted; a citizen files a complaint in the simulated chat;
//! the department's officer signs in, opens the ticket from the inbox and replies; the reply
//! arrives in the citizen's chat (checked through the simulator and on its /sim page). Then the
//! coordinating office uploads dossier files (one refused with its report, one imported) and
//! reads the survey pages. Screenshots of the main pages at 1366×768 and 390 px wide are saved
//! under `target/screenshots/` for people to look at.

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
    let refused = browser.wait_for_text("không nhập hồ sơ nào", "the refusal with its report").await;
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

    browser.quit().await;
    drop(driver);
    service.stop().await;
}

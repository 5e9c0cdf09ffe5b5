//! End to end through the real HTTP server, the signed webhook and the Zalo simulator: a
//! citizen follows the OA, sees the menu of the eight branches, types a branch without
//! diacritics and reads what it handles; then files a complaint and gets its code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongdai::clock::{SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::sim::{SimConfig, Simulator};

use crate::support::TestDb;

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

struct Running {
    sim: Simulator,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    config: Config,
    _db: TestDb,
}

async fn start() -> Running {
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
        std::env::temp_dir().join(format!("tongdai_e2e_{:08x}", rand::random::<u32>())).display().to_string();
    tongdai::demo::configure_for_simulator(&mut config, &sim);
    tongdai::demo::demo_survey_timing(&mut config);
    config.survey.dispatch_interval = tongdai::calendar::duration::HumanDuration::from_secs(1);
    config.survey.link_secret = "e2e-link-secret-0123456789abcdef0123456789".into();
    config.survey.public_base_url = base.clone();
    let config_copy = config.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let routes = axum::Router::new().nest("/sim", sim.router());
    let server = tokio::spawn(tongdai::app::run_with_routes(
        config,
        db.store.clone(),
        clock,
        listener,
        async move {
            let _ = stopped.await;
        },
        routes,
    ));
    Running { sim, stop: Some(stop), server, config: config_copy, _db: db }
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_menu_branch_by_typing_without_diacritics_and_a_complaint() {
    let running = start().await;
    let sim = &running.sim;
    let citizen = sim.create_citizen("Trần Thị Bình", Some("0912345678"));
    let user = citizen.user_id.as_str();

    sim.follow(user).await.unwrap();
    let catalogue = tongdai::bot::catalogue::default_catalogue().unwrap();
    let titles: Vec<&str> = catalogue.branches().iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles.len(), 8);
    wait_for(sim, user, "the main menu with all eight branch titles", &titles).await;
    let first = serde_json::to_string(&sim.oa_messages_for(user)[0].content).unwrap();
    assert!(first.contains("Kính chào"), "a turn's messages arrive in order: the welcome first, got {first}");

    sim.send_text(user, "cai cach thu tuc hanh chinh").await.unwrap();
    let branch4 = catalogue.branch(4).unwrap();
    wait_for(sim, user, "branch 4's information", &[branch4.duties[0].as_str()]).await;

    // A complaint from the branch menu, answered the way a citizen would, without diacritics
    // where people usually type without them.
    sim.send_text(user, "phan anh").await.unwrap();
    wait_for(sim, user, "the request for a description", &["mô tả sự việc"]).await;
    sim.send_text(user, "Cán bộ một cửa huyện vòi vĩnh tiền khi tôi làm hồ sơ đất").await.unwrap();
    wait_for(sim, user, "the description acknowledged", &["Đã ghi nhận (1/20)"]).await;
    sim.tap_button(user, "Xong").await.unwrap();
    wait_for(sim, user, "the question about the place", &["cơ quan, địa điểm nào"]).await;
    sim.send_text(user, "UBND huyện Châu Thành").await.unwrap();
    wait_for(sim, user, "the question about the procedure", &["thủ tục hành chính nào"]).await;
    sim.tap_button(user, "Bỏ qua").await.unwrap();
    wait_for(sim, user, "the consent question", &["Đồng ý xử lý dữ liệu cá nhân"]).await;
    sim.tap_button(user, "Đồng ý").await.unwrap();
    wait_for(sim, user, "the request for a name", &["gõ họ tên"]).await;
    sim.send_text(user, "Trần Thị Bình").await.unwrap();
    wait_for(sim, user, "the request for a phone number", &["số điện thoại di động"]).await;
    sim.send_text(user, "0912 345 678").await.unwrap();
    wait_for(sim, user, "the summary", &["kiểm tra lại phản ánh", "UBND huyện Châu Thành"]).await;
    sim.tap_button(user, "Gửi phản ánh").await.unwrap();
    let text = wait_for(sim, user, "the ticket code and due date", &["mã số PA-2026-", "Tổ Kiểm tra đột xuất"]).await;
    let code_at = text.rfind("mã số PA-2026-").unwrap() + "mã số ".len();
    let code = &text[code_at..code_at + 14];
    assert!(tongdai::tickets::code::normalize(code).is_some(), "{code}");

    // Looking the code up by typing it, in lower case.
    let before = sim.oa_messages_for(user).len();
    sim.send_text(user, &code.to_lowercase()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.oa_messages_for(user).len() == before {
        assert!(Instant::now() < deadline, "no answer to the lookup");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = serde_json::to_string(&sim.oa_messages_for(user)[before].content).unwrap();
    assert!(answer.contains(code) && answer.contains("Văn phòng UBND tỉnh"), "the lookup answer: {answer}");
    // Someone else typing the same code learns nothing.
    let other = sim.create_citizen("Lê Văn Cường", None);
    sim.send_text(&other.user_id, code).await.unwrap();
    wait_for(sim, &other.user_id, "the not-found answer", &[code]).await;
    assert!(!oa_text(sim, &other.user_id).contains("Văn phòng UBND tỉnh"), "a foreign code reveals nothing");

    // The department answers through the service; the answer reaches the citizen's chat.
    let tickets =
        tongdai::tickets::service::TicketService::from_config(&running.config, running._db.store.tickets.clone())
            .unwrap();
    let officer = tongdai::tickets::model::Actor::officer("canbo.vpubnd");
    let answer = "Văn phòng UBND tỉnh đã chuyển nội dung phản ánh đến Tổ Kiểm tra đột xuất để xác minh.";
    tickets
        .reply(
            code,
            &tongdai::tickets::filter::Scope::All,
            &officer,
            answer,
            None,
            tongdai::clock::Clock::now(&SystemClock),
        )
        .await
        .unwrap();
    wait_for(sim, user, "the department's answer", &["Tổ Kiểm tra đột xuất để xác minh"]).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_dossier_leads_to_a_chat_survey_answered_to_the_end() {
    let running = start().await;
    let sim = &running.sim;
    let citizen = sim.create_citizen("Phạm Văn Đức", Some("0987654321"));
    let user = citizen.user_id.as_str();
    sim.follow(user).await.unwrap();
    wait_for(sim, user, "the welcome and the whole menu", &["Kính chào", "Nhánh 5 – 8"]).await;

    let (surveys, _) =
        tongdai::surveys::SurveyService::from_config(&running.config, running._db.store.surveys.clone()).unwrap();
    let now = tongdai::clock::Clock::now(&SystemClock);
    let rows = vec![serde_json::json!({
        "code": "HG-E2E-0001", "procedure_code": "1.001", "procedure_name": "Đăng ký khai sinh",
        "field": "Hộ tịch", "agency_code": "UBND-VT", "agency_name": "UBND phường Vị Thanh", "level": "xa",
        "received_at": (now - chrono::Duration::days(3)).to_rfc3339(),
        "completed_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "channel": "truc_tiep", "citizen_name": "Phạm Văn Đức", "phone": "0987654321", "zalo_user_id": user,
    })];
    let results = tongdai::surveys::dossiers::import_batch(&surveys, &rows, now).await.unwrap();
    assert_eq!(results.len(), 1);

    // The dispatcher sends the first question; the citizen taps an answer to each one (the
    // newest survey question not answered yet), then skips the suggestion.
    let mut last_tapped: Option<usize> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the survey did not finish; the OA sent:\n{}", oa_text(sim, user));
        let messages: Vec<String> =
            sim.oa_messages_for(user).iter().map(|m| serde_json::to_string(&m.content).unwrap()).collect();
        if messages.iter().any(|m| m.contains("chân thành cảm ơn")) {
            break;
        }
        let newest_step = messages.iter().rposition(|m| m.contains("#ks:"));
        if let Some(index) = newest_step.filter(|i| last_tapped.is_none_or(|t| *i > t)) {
            let title = if messages[index].contains("\"Rất hài lòng\"") { "Rất hài lòng" } else { "Bỏ qua" };
            sim.tap_button(user, title).await.unwrap();
            last_tapped = Some(index);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let instance = running._db.store.surveys.instance_by_dossier("HG-E2E-0001").await.unwrap().unwrap();
    let answers = running._db.store.surveys.answers(instance.id).await.unwrap();
    assert!(answers.len() >= 6, "every scored question is stored: {answers:?}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_with_a_photo_and_consent_refused_is_filed_without_personal_data() {
    let running = start().await;
    let sim = &running.sim;
    let citizen = sim.create_citizen("Võ Thị Em", Some("0901234567"));
    let user = citizen.user_id.as_str();
    sim.send_text(user, "kien nghi").await.unwrap();
    // Typed from anywhere, "kiến nghị" first asks which branch (all eight, in two messages).
    wait_for(sim, user, "the question which branch", &["thuộc lĩnh vực nào", "Nhánh 5 – 8"]).await;
    sim.send_text(user, "4").await.unwrap();
    wait_for(sim, user, "the request for a description", &["mô tả sự việc"]).await;
    sim.send_text(user, "Bộ phận một cửa hẹn trả kết quả nhiều lần nhưng không trả").await.unwrap();
    wait_for(sim, user, "the description acknowledged", &["Đã ghi nhận (1/20)"]).await;
    sim.act(user, tongdai::sim::CitizenAction::Image { caption: None }).await.unwrap();
    wait_for(sim, user, "the photo acknowledged", &["Đã nhận ảnh (2/20)"]).await;
    sim.tap_button(user, "Xong").await.unwrap();
    wait_for(sim, user, "the question about the place", &["cơ quan, địa điểm nào"]).await;
    sim.tap_button(user, "Bỏ qua").await.unwrap();
    wait_for(sim, user, "the question about the procedure", &["thủ tục hành chính nào"]).await;
    sim.tap_button(user, "Bỏ qua").await.unwrap();
    wait_for(sim, user, "the consent question", &["Đồng ý xử lý dữ liệu cá nhân"]).await;
    sim.tap_button(user, "Không đồng ý").await.unwrap();
    wait_for(sim, user, "the summary", &["kiểm tra lại phản ánh"]).await;
    sim.tap_button(user, "Gửi phản ánh").await.unwrap();
    let text = wait_for(sim, user, "the ticket code", &["mã số PA-2026-"]).await;
    let code_at = text.rfind("mã số PA-2026-").unwrap() + "mã số ".len();
    let code = text[code_at..code_at + 14].to_owned();

    let store = &running._db.store;
    let ticket = store.tickets.get_ticket_for_citizen(&code, user).await.unwrap().unwrap();
    assert!(!ticket.processable, "consent refused: not formally processable");
    assert_eq!((ticket.citizen_name.clone(), ticket.phone.clone()), (None, None), "no personal data kept");
    // The photo is downloaded from Zalo's (the simulator's) link into the service's own storage.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attachments = store.tickets.ticket_attachments(ticket.id).await.unwrap();
        assert_eq!(attachments.len(), 1, "{attachments:?}");
        if attachments[0].state == tongdai::tickets::model::AttachmentState::Fetched {
            assert!(attachments[0].size_bytes.unwrap_or(0) > 0);
            break;
        }
        assert!(Instant::now() < deadline, "the photo was not downloaded: {attachments:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.stop().await;
}

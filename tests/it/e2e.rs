//! End to end through the real HTTP server, the signed webhook and the Zalo simulator: a
//! citizen follows the OA, sees the menu of the eight branches, types a branch without
//! diacritics and reads what it handles; then files a complaint and gets its code. Another asks
//! for an officer, who answers and ends the chat from the console. Surveys reach citizens on the
//! channel their situation allows and star ratings find their dossier.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongdai::clock::{SharedClock, SystemClock};
use tongdai::config::Config;
use tongdai::sim::{SimConfig, Simulator};

use crate::support::{on_both_backends, TestDb};

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
    /// The service's address, `http://127.0.0.1:PORT`.
    base: String,
    _db: TestDb,
}

async fn start(db: TestDb) -> Running {
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
    Running { sim, stop: Some(stop), server, config: config_copy, base, _db: db }
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.unwrap().unwrap();
    }
}

async fn follow_menu_branch_by_typing_without_diacritics_and_a_complaint(db: TestDb) {
    let running = start(db).await;
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

async fn a_completed_dossier_leads_to_a_chat_survey_answered_to_the_end(db: TestDb) {
    let running = start(db).await;
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

async fn a_complaint_with_a_photo_and_consent_refused_is_filed_without_personal_data(db: TestDb) {
    let running = start(db).await;
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

fn survey_row(
    code: &str,
    user: Option<&str>,
    phone: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "code": code, "procedure_code": "1.001", "procedure_name": "Đăng ký khai sinh",
        "field": "Hộ tịch", "agency_code": "UBND-VT", "agency_name": "UBND phường Vị Thanh", "level": "xa",
        "received_at": (now - chrono::Duration::days(3)).to_rfc3339(),
        "completed_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "channel": "truc_tiep", "citizen_name": "Công dân", "phone": phone, "zalo_user_id": user,
    })
}

async fn wait_for_template(
    sim: &Simulator,
    what: &str,
    matches: impl Fn(&tongdai::sim::TemplateSend) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sends: Vec<_> = sim.template_sends().into_iter().filter(|s| matches(s)).collect();
        if let Some(send) = sends.first() {
            assert_eq!(sends.len(), 1, "{what}: sent once, not {sends:?}");
            return send.msg_id.clone();
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; templates: {:?}", sim.template_sends());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_rating(running: &Running, dossier: &str, expected: i64) {
    let store = &running._db.store;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let instance = store.surveys.instance_by_dossier(dossier).await.unwrap().unwrap();
        let answers = store.surveys.answers(instance.id).await.unwrap();
        if !answers.is_empty() {
            // Read again: the answers and the state are committed together, but the first read
            // may have come just before that commit.
            let instance = store.surveys.instance_by_dossier(dossier).await.unwrap().unwrap();
            assert_eq!(instance.state, tongdai::surveys::model::InstanceState::Answered, "{dossier}");
            let scores: Vec<_> = answers.iter().map(|a| (a.value.clone(), a.channel)).collect();
            assert_eq!(
                scores[0],
                (tongdai::surveys::answer::AnswerValue::Score(expected), tongdai::surveys::model::AnswerChannel::Zns),
                "{dossier}: {answers:?}"
            );
            return;
        }
        assert!(Instant::now() < deadline, "the rating of {dossier} was not stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Channel choice against the simulator: a citizen who wrote recently gets the survey in the
/// chat; one who never wrote to the OA (last interaction 10 days ago) gets the ZBS rating
/// template by user id; one known only by phone gets the ZNS template; one whose window closed
/// although the service saw them earlier is refused in the chat (-230) and falls back to ZBS.
/// The ZBS ratings arrive with only a `msg_id` and still find their dossiers.
async fn surveys_choose_chat_zbs_or_zns_and_ratings_find_their_dossier(db: TestDb) {
    use tongdai::sim::TemplateChannel;
    let running = start(db).await;
    let sim = &running.sim;
    let now = tongdai::clock::Clock::now(&SystemClock);
    let recent = sim.create_citizen("Lê Văn Gần", None).user_id;
    sim.follow(&recent).await.unwrap();
    let stale = sim.create_citizen("Võ Thị Cũ", None).user_id;
    sim.follow(&stale).await.unwrap();
    wait_for(sim, &recent, "the menu", &["Nhánh 5 – 8"]).await;
    wait_for(sim, &stale, "the menu", &["Nhánh 5 – 8"]).await;
    sim.set_last_interaction(&stale, Some(now - chrono::Duration::days(10))).unwrap();
    let old = sim.create_citizen("Đỗ Văn Xa", None).user_id;
    sim.set_last_interaction(&old, Some(now - chrono::Duration::days(10))).unwrap();
    let _phone_owner = sim.create_citizen("Trần Thị Bình", Some("0912345678"));

    let (surveys, _) =
        tongdai::surveys::SurveyService::from_config(&running.config, running._db.store.surveys.clone()).unwrap();
    let rows = vec![
        survey_row("HG-CH-RECENT", Some(&recent), None, now),
        survey_row("HG-CH-OLD", Some(&old), None, now),
        survey_row("HG-CH-PHONE", None, Some("0912345678"), now),
        survey_row("HG-CH-STALE", Some(&stale), None, now),
    ];
    let results = tongdai::surveys::dossiers::import_batch(&surveys, &rows, now).await.unwrap();
    assert_eq!(results.len(), 4);

    wait_for(sim, &recent, "the first survey question in the chat", &["#ks:"]).await;
    let old_msg = wait_for_template(sim, "ZBS to the old follower", |s| {
        s.channel == TemplateChannel::Uid && s.user_id.as_deref() == Some(old.as_str())
    })
    .await;
    let phone_msg = wait_for_template(sim, "ZNS to the phone", |s| {
        s.channel == TemplateChannel::Phone && s.phone.as_deref() == Some("84912345678")
    })
    .await;
    let stale_msg = wait_for_template(sim, "ZBS after the chat refused", |s| {
        s.channel == TemplateChannel::Uid && s.user_id.as_deref() == Some(stale.as_str())
    })
    .await;
    assert!(
        !sim.template_sends().iter().any(|s| s.user_id.as_deref() == Some(recent.as_str())),
        "a recent follower is asked in the chat, not by template"
    );

    // The attempts are recorded: for the stale citizen the refused chat message, then the template.
    let store = &running._db.store;
    // The simulator has the template as soon as it answers; the sender records it just after.
    let deadline = Instant::now() + Duration::from_secs(30);
    let zbs = loop {
        if let Some(record) = store.zalo_outbound.find_by_message_id(&stale_msg).await.unwrap() {
            break record;
        }
        assert!(Instant::now() < deadline, "the ZBS send is not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attempts = store.zalo_outbound.records_for_job(zbs.record.job_id.unwrap()).await.unwrap();
    let channels: Vec<_> = attempts.iter().map(|a| (a.record.channel, a.record.status, a.record.error_code)).collect();
    use tongdai::zalo::records::{OutboundChannel, OutboundStatus};
    assert_eq!(
        channels,
        vec![
            (OutboundChannel::Cs, OutboundStatus::Failed, Some(-230)),
            (OutboundChannel::Zbs, OutboundStatus::Sent, None)
        ]
    );

    sim.answer_rating(&old_msg, 4, Some("Cán bộ nhiệt tình")).await.unwrap();
    sim.answer_rating(&phone_msg, 2, None).await.unwrap();
    sim.answer_rating(&stale_msg, 5, None).await.unwrap();
    wait_for_rating(&running, "HG-CH-OLD", 4).await;
    wait_for_rating(&running, "HG-CH-PHONE", 2).await;
    wait_for_rating(&running, "HG-CH-STALE", 5).await;
    assert!(store.surveys.list_unmatched_feedback(10).await.unwrap().is_empty());
    running.stop().await;
}

/// A signed-in console browser over real HTTP (cookies by hand; no redirects followed).
struct Console {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

/// The first CSRF token in a page's forms.
fn csrf_of(page: &str) -> String {
    let start = page.find(r#"name="_csrf" value=""#).expect("a form with a CSRF field") + 20;
    page[start..].split('"').next().unwrap().to_owned()
}

fn cookie_of(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all(reqwest::header::SET_COOKIE).iter().find_map(|value| {
        let value = value.to_str().ok()?;
        value.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
    })
}

impl Console {
    async fn sign_in(base: &str, username: &str, password: &str) -> Self {
        let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = client.get(format!("{base}/console/login")).send().await.unwrap();
        let login_cookie = cookie_of(&form, "tongdai_login").expect("the sign-in form's cookie");
        let token = csrf_of(&form.text().await.unwrap());
        let signed = client
            .post(format!("{base}/console/login"))
            .header(reqwest::header::COOKIE, format!("tongdai_login={login_cookie}"))
            .form(&[("_csrf", token.as_str()), ("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), reqwest::StatusCode::SEE_OTHER);
        let session = cookie_of(&signed, "tongdai_session").expect("a session");
        Self { client, base: base.to_owned(), cookie: format!("tongdai_session={session}") }
    }

    async fn get(&self, path: &str) -> String {
        let response =
            self.client.get(format!("{}{path}", self.base)).header(reqwest::header::COOKIE, &self.cookie).send().await;
        let response = response.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// Posts a form of the page at `page` (with its CSRF token) to `action`.
    async fn post(&self, page: &str, action: &str, fields: &[(&str, &str)]) {
        let token = csrf_of(&self.get(page).await);
        let mut form = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(format!("{}{action}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "POST {action}");
    }
}

async fn a_citizen_asks_for_an_officer_who_answers_and_ends_from_the_console(db: TestDb) {
    let running = start(db).await;
    let sim = &running.sim;
    let citizen = sim.create_citizen("Lê Thị Hoa", None);
    let user = citizen.user_id.as_str();
    sim.follow(user).await.unwrap();
    wait_for(sim, user, "the welcome and the whole menu", &["Kính chào", "Nhánh 5 – 8"]).await;
    sim.send_text(user, "4").await.unwrap();
    wait_for(sim, user, "branch 4's menu", &["Gặp cán bộ"]).await;
    sim.tap_button(user, "Gặp cán bộ").await.unwrap();
    wait_for(sim, user, "the handoff", &["chuyển Ông/Bà đến cán bộ Văn phòng UBND tỉnh"]).await;
    let question = "Hồ sơ cấp phép xây dựng tôi nộp tuần trước đã đến bước nào rồi ạ?";
    sim.send_text(user, question).await.unwrap();

    // The department's officer signs in, finds the citizen in the list and answers.
    let password = "mật khẩu cán bộ văn phòng";
    let departments = tongdai::bot::catalogue::default_catalogue().unwrap().departments().to_vec();
    let input = tongdai::auth::users::UserInput {
        username: "canbo.vpubnd".into(),
        display_name: "Trần Văn Minh".into(),
        role: tongdai::auth::users::Role::Officer,
        department: Some("VPUBND".into()),
        password: password.into(),
        must_change_password: false,
    };
    let rules = running.config.console.password_rules();
    let now = tongdai::clock::Clock::now(&SystemClock);
    let actor = tongdai::auth::audit::Actor::cli();
    tongdai::auth::users::add_user(&running._db.store, &actor, input, rules, &departments, now).await.unwrap();
    let console = Console::sign_in(&running.base, "canbo.vpubnd", password).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let list = console.get("/console/chats").await;
        if list.contains("tuần trước đã đến bước nào") {
            break list;
        }
        assert!(Instant::now() < deadline, "the citizen's message did not reach the list:\n{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let at = list.find("/console/chats/").unwrap() + "/console/chats/".len();
    let id: String = list[at..].chars().take_while(char::is_ascii_digit).collect();
    let page_path = format!("/console/chats/{id}");
    let page = console.get(&page_path).await;
    assert!(page.contains(question), "the chat shows the citizen's message");
    let answer = "Chào chị, hồ sơ đang ở bước thẩm định thiết kế; chị sẽ nhận kết quả trước thứ Sáu.";
    console.post(&page_path, &format!("{page_path}/messages"), &[("text", answer)]).await;
    wait_for(sim, user, "the officer's answer in the citizen's chat", &["Cán bộ Văn phòng UBND tỉnh:", answer]).await;
    let chat_page = console.client.get(format!("{}/sim?u={user}", running.base)).send().await.unwrap();
    let chat_page = chat_page.text().await.unwrap();
    assert!(chat_page.contains("chị sẽ nhận kết quả trước thứ Sáu"), "the simulator's chat page shows the answer");

    // The officer ends the chat: the citizen is told and is back with the bot.
    console.post(&page_path, &format!("{page_path}/end"), &[]).await;
    wait_for(sim, user, "the end of the chat", &["Cán bộ đã kết thúc cuộc trò chuyện"]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !console.get(&page_path).await.contains("đã kết thúc trò chuyện; người dân được báo") {
        assert!(Instant::now() < deadline, "the chat was not marked ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = sim.oa_messages_for(user).len();
    sim.send_text(user, "3").await.unwrap();
    let catalogue = tongdai::bot::catalogue::default_catalogue().unwrap();
    wait_for(sim, user, "branch 3's information from the bot", &[catalogue.branch(3).unwrap().duties[0].as_str()])
        .await;
    assert!(sim.oa_messages_for(user).len() > before);
    running.stop().await;
}

on_both_backends!(
    a_citizen_asks_for_an_officer_who_answers_and_ends_from_the_console,
    follow_menu_branch_by_typing_without_diacritics_and_a_complaint,
    a_completed_dossier_leads_to_a_chat_survey_answered_to_the_end,
    a_complaint_with_a_photo_and_consent_refused_is_filed_without_personal_data,
    surveys_choose_chat_zbs_or_zns_and_ratings_find_their_dossier,
);

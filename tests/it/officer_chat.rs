//! Officer chats (handoff) on both backends: citizens' events go through the real conversation
//! worker and processor, officers through the console's router. A chat opened by the
//! conversation appears in its department's list only; relayed messages keep their order; an
//! officer's message becomes a `zalo.send` job to that citizen; ending from the console returns
//! the citizen to the bot; each role sees what it may; forms need the CSRF token; views and
//! changes are audited. A child of `console.rs`, so it uses that file's harness.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{Browser, Harness, CSRF_PAGE};
use crate::support::{on_both_backends, TestDb};
use tongdai::auth::audit::AuditAction;
use tongdai::auth::users::Role;
use tongdai::clock::Clock;
use tongdai::handoff::model::{ChatListFilter, ChatScope, ChatStatus, EndedBy, Sender, SystemNote};
use tongdai::inbound::worker::{ConversationSettings, ConversationWorker};
use tongdai::jobs::{Job, JobState};
use tongdai::store::NewInboundEvent;
use tongdai::zalo::outbound::SEND_JOB_KIND;

const OA_ID: &str = "388613280878808645";

/// Citizens writing to the OA: events stored as the webhook stores them, then processed by the
/// service's own conversation worker.
struct Citizens {
    worker: ConversationWorker,
}

impl Citizens {
    fn new(h: &Harness) -> Self {
        let surveys = Arc::new(crate::support::survey_service(&h.db, &h.config));
        let processor = tongdai::app::conversation_processor(&h.config, &h.db.store, surveys).unwrap();
        let worker = ConversationWorker::new(
            h.db.store.inbound.clone(),
            Arc::new(processor),
            h.clock.clone(),
            ConversationSettings::default(),
            "test-worker",
            Arc::new(tokio::sync::Notify::new()),
        );
        Self { worker }
    }

    async fn event(&self, h: &Harness, user: &str, name: &str, message: Value) {
        self.queue(h, user, name, message).await;
        self.process().await;
    }

    /// Stores an event without processing it yet.
    async fn queue(&self, h: &Harness, user: &str, name: &str, message: Value) {
        let msg_id = format!("{:016x}", rand::random::<u64>());
        let mut message = message;
        message["msg_id"] = json!(msg_id);
        let body = json!({"app_id": "360846524940903967", "sender": {"id": user}, "recipient": {"id": OA_ID},
                          "event_name": name, "message": message,
                          "timestamp": h.clock.now().timestamp_millis().to_string()});
        let event = NewInboundEvent {
            event_key: format!("{name}:{msg_id}"),
            event_name: name.to_owned(),
            citizen_id: user.to_owned(),
            raw_body: body.to_string().into_bytes(),
            num_retry: 0,
        };
        h.db.store.inbound.insert_events(&[event], h.clock.now()).await.unwrap();
    }

    async fn say(&self, h: &Harness, user: &str, text: &str) {
        self.event(h, user, "user_send_text", json!({"text": text})).await;
    }

    /// Processes everything pending (the officer's end requests too).
    async fn process(&self) {
        self.worker.run_until_idle().await.unwrap();
    }

    /// Greets the bot, then asks for an officer of `branch`'s department.
    async fn ask_for_officer(&self, h: &Harness, user: &str, branch: u8) -> i64 {
        self.say(h, user, "xin chào").await;
        self.say(h, user, &format!("#canbo:{branch}")).await;
        h.db.store.officer_chats.open_chat(user).await.unwrap().expect("the handoff opened a chat").id
    }
}

async fn signed_in(h: &Harness, username: &str, role: Role, department: Option<&str>) -> Browser {
    let password = h.user(username, role, department).await;
    h.sign_in(username, &password).await
}

/// Every `zalo.send` job to `user`, oldest first.
async fn sends_to(h: &Harness, user: &str) -> Vec<Job> {
    let mut jobs = h.db.store.jobs.list(JobState::Available, 500).await.unwrap();
    jobs.retain(|job| job.kind == SEND_JOB_KIND && job.payload["user_id"] == json!(user));
    jobs.sort_by_key(|job| job.id);
    jobs
}

async fn bot_phase(h: &Harness, user: &str) -> String {
    let conversation = h.db.store.inbound.conversation(user).await.unwrap().unwrap();
    conversation.state.unwrap()["phase"]["at"].as_str().unwrap().to_owned()
}

fn has_forms(body: &str, id: i64) -> bool {
    body.contains(&format!(r#"action="/console/chats/{id}/messages""#))
        && body.contains(&format!(r#"action="/console/chats/{id}/end""#))
}

async fn a_handoff_appears_in_its_departments_list_only_and_each_role_sees_its_share(db: TestDb) {
    let h = Harness::new(db);
    let citizens = Citizens::new(&h);
    // Branch 4 belongs to the provincial People's Committee office, branch 3 to justice.
    let vpubnd_chat = citizens.ask_for_officer(&h, "u-vpubnd", 4).await;
    let stp_chat = citizens.ask_for_officer(&h, "u-stp", 3).await;
    assert_eq!(bot_phase(&h, "u-vpubnd").await, "handoff");
    let chat = h.db.store.officer_chats.chat(vpubnd_chat, &ChatScope::All).await.unwrap().unwrap();
    assert_eq!((chat.branch, chat.department_code.as_str(), chat.status), (4, "VPUBND", ChatStatus::Waiting));
    assert!(chat.awaiting_reply_since.is_some());

    // Scope is applied by the store itself.
    let listed = |scope: ChatScope| async {
        let filter = ChatListFilter { scope, open: true, limit: 50 };
        h.db.store.officer_chats.list_chats(&filter).await.unwrap().iter().map(|s| s.chat.id).collect::<Vec<_>>()
    };
    assert_eq!(listed(ChatScope::Department("VPUBND".into())).await, vec![vpubnd_chat]);
    assert_eq!(listed(ChatScope::Department("STP".into())).await, vec![stp_chat]);
    assert_eq!(listed(ChatScope::All).await.len(), 2);
    assert!(listed(ChatScope::None).await.is_empty());
    assert!(h.db.store.officer_chats.chat(stp_chat, &ChatScope::Department("VPUBND".into())).await.unwrap().is_none());
    assert!(h.db.store.officer_chats.messages(stp_chat, &ChatScope::None, 0, 10).await.unwrap().is_empty());
    assert_eq!(h.db.store.officer_chats.count_awaiting(&ChatScope::Department("STP".into())).await.unwrap(), 1);

    let officer = signed_in(&h, "canbo.vp", Role::Officer, Some("VPUBND")).await;
    let list = h.get("/console/chats", Some(&officer.cookie)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains(&format!("/console/chats/{vpubnd_chat}")), "{}", list.body);
    assert!(!list.body.contains(&format!("/console/chats/{stp_chat}\"")), "another department's chat is not listed");
    assert!(list.body.contains("Chờ cán bộ") && list.body.contains("4. "), "status and branch: {}", list.body);
    assert!(list.body.contains(r#"href="/console/chats" aria-current="page""#), "the navigation link is active");
    assert!(list.body.contains(r#"<span class="nav-badge">1<"#), "the navigation counts the waiting citizen");
    assert!(list.body.contains(r#"http-equiv="refresh""#), "the list refreshes itself");
    // Another department's chat by URL does not exist for this officer, whatever the method.
    assert_eq!(h.get(&format!("/console/chats/{stp_chat}"), Some(&officer.cookie)).await.status, StatusCode::NOT_FOUND);
    let token = [("_csrf", officer.csrf.as_str()), ("text", "Chào anh")];
    let post = h.post(&format!("/console/chats/{stp_chat}/messages"), Some(&officer.cookie), &token).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    let post = h.post(&format!("/console/chats/{stp_chat}/end"), Some(&officer.cookie), &token[..1]).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert_eq!(h.get("/console/chats/abc", Some(&officer.cookie)).await.status, StatusCode::NOT_FOUND);
    let page = h.get(&format!("/console/chats/{vpubnd_chat}"), Some(&officer.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(has_forms(&page.body, vpubnd_chat), "{}", page.body);
    let policy = page.headers.get(axum::http::header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(page.body.contains("/console/static/chat.js?v="), "the progressive script");

    // The coordinator sees and may act on every department's chats.
    let coordinator = signed_in(&h, "dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let list = h.get("/console/chats", Some(&coordinator.cookie)).await;
    assert!(
        list.body.contains(&format!("/console/chats/{vpubnd_chat}"))
            && list.body.contains(&format!("/console/chats/{stp_chat}"))
    );
    assert!(list.body.contains(r#"<span class="nav-badge">2<"#), "{}", list.body);
    let page = h.get(&format!("/console/chats/{stp_chat}"), Some(&coordinator.cookie)).await;
    assert!(has_forms(&page.body, stp_chat));

    // The administrator reads every chat, without forms; posting is refused.
    let admin = signed_in(&h, "quan.tri", Role::Admin, None).await;
    let list = h.get("/console/chats", Some(&admin.cookie)).await;
    assert!(list.body.contains(&format!("/console/chats/{stp_chat}")));
    let page = h.get(&format!("/console/chats/{stp_chat}"), Some(&admin.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!has_forms(&page.body, stp_chat) && page.body.contains("Bạn chỉ được xem"), "{}", page.body);
    for action in ["messages", "end"] {
        let form = [("_csrf", admin.csrf.as_str()), ("text", "Xin chào")];
        let post = h.post(&format!("/console/chats/{stp_chat}/{action}"), Some(&admin.cookie), &form).await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "admin posting {action}");
    }

    // Inspectors and viewers have no chats at all.
    for (username, role) in [("kiem.tra", Role::Inspector), ("lanh.dao", Role::Viewer)] {
        let browser = signed_in(&h, username, role, None).await;
        let home = h.get("/console/", Some(&browser.cookie)).await;
        assert!(!home.body.contains(r#"href="/console/chats""#), "{username} has no chat link");
        assert_eq!(h.get("/console/chats", Some(&browser.cookie)).await.status, StatusCode::FORBIDDEN, "{username}");
        let page = h.get(&format!("/console/chats/{stp_chat}"), Some(&browser.cookie)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{username}");
        let updates = h.get(&format!("/console/chats/{stp_chat}/updates?after=0"), Some(&browser.cookie)).await;
        assert_eq!(updates.status, StatusCode::FORBIDDEN, "{username}");
        let form = [("_csrf", browser.csrf.as_str()), ("text", "Xin chào")];
        for action in ["messages", "end"] {
            let post = h.post(&format!("/console/chats/{stp_chat}/{action}"), Some(&browser.cookie), &form).await;
            assert_eq!(post.status, StatusCode::FORBIDDEN, "{username} posting {action}");
        }
    }
    assert!(sends_to(&h, "u-stp").await.iter().all(|job| job.payload["purpose"] != "officer_chat"), "nothing was sent");
}

async fn relayed_messages_keep_their_order_and_an_answer_becomes_a_send_job(db: TestDb) {
    let h = Harness::new(db);
    let citizens = Citizens::new(&h);
    let id = citizens.ask_for_officer(&h, "u1", 4).await;
    citizens.say(&h, "u1", "Hồ sơ đất đai của tôi nộp từ tháng trước, đến đâu rồi ạ?").await;
    let image = json!({"text": "Giấy biên nhận", "attachments": [{"type": "image",
        "payload": {"url": "https://zalo.example/bien-nhan.jpg", "thumbnail": "https://zalo.example/t.jpg"}}]});
    citizens.event(&h, "u1", "user_send_image", image).await;
    let place = json!({"text": "Bộ phận một cửa", "attachments": [{"type": "location",
        "payload": {"coordinates": {"latitude": "9.7845", "longitude": "105.4701"}}}]});
    citizens.event(&h, "u1", "user_send_location", place).await;
    citizens.say(&h, "u1", "Cảm ơn cán bộ").await;

    let messages = h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap();
    let senders: Vec<Sender> = messages.iter().map(|m| m.sender).collect();
    assert_eq!(senders, vec![Sender::System, Sender::Citizen, Sender::Citizen, Sender::Citizen, Sender::Citizen]);
    assert_eq!(messages[0].note, Some(SystemNote::Opened));
    assert_eq!(messages[1].body.as_deref(), Some("Hồ sơ đất đai của tôi nộp từ tháng trước, đến đâu rồi ạ?"));
    assert_eq!(messages[2].body.as_deref(), Some("Giấy biên nhận"));
    assert!(
        matches!(&messages[2].attachment, Some(tongdai::tickets::draft::Evidence::Image { url, .. }) if url == "https://zalo.example/bien-nhan.jpg")
    );
    assert!(matches!(messages[3].attachment, Some(tongdai::tickets::draft::Evidence::Location { .. })));
    assert_eq!(messages[4].body.as_deref(), Some("Cảm ơn cán bộ"));
    assert!(messages.windows(2).all(|w| w[0].id < w[1].id));

    let officer = signed_in(&h, "canbo.vp", Role::Officer, Some("VPUBND")).await;
    let list = h.get("/console/chats", Some(&officer.cookie)).await;
    assert!(list.body.contains("Người dân: Cảm ơn cán bộ"), "the last message: {}", list.body);
    assert!(list.body.contains("dưới 1 phút"), "the waiting time: {}", list.body);
    let page = h.get(&format!("/console/chats/{id}"), Some(&officer.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let positions: Vec<usize> =
        ["Người dân yêu cầu trao đổi", "đến đâu rồi ạ?", "Giấy biên nhận", "9.78450, 105.47010", "Cảm ơn cán bộ"]
            .iter()
            .map(|needle| page.body.find(needle).unwrap_or_else(|| panic!("{needle}: {}", page.body)))
            .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "history in order: {positions:?}");
    assert!(page.body.contains(r#"href="https://zalo.example/bien-nhan.jpg""#), "the photo as Zalo described it");
    assert_eq!(h.audit(AuditAction::ChatViewed).await.len(), 1, "viewing the chat is audited");

    // The officer answers: one message stored, one job to that citizen, in one transaction.
    let before = sends_to(&h, "u1").await.len();
    h.clock.advance(chrono::Duration::minutes(3));
    let text = "Chào anh, hồ sơ đang ở bước thẩm định; dự kiến có kết quả trong tuần này.";
    let reply = h
        .post(
            &format!("/console/chats/{id}/messages"),
            Some(&officer.cookie),
            &[("_csrf", &officer.csrf), ("text", text)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location.as_deref(), Some(format!("/console/chats/{id}#compose").as_str()));
    let sends = sends_to(&h, "u1").await;
    assert_eq!(sends.len(), before + 1);
    let job = sends.last().unwrap();
    assert_eq!(job.payload["purpose"], "officer_chat");
    assert_eq!(job.payload["reference"], format!("chat:{id}"));
    assert_eq!(
        job.payload["if_unreachable"], "hold_until_next_message",
        "held until the citizen writes, outside the window"
    );
    assert_eq!(job.payload["message"]["text"], format!("Cán bộ Văn phòng UBND tỉnh:\n{text}"));
    let chat = h.db.store.officer_chats.chat(id, &ChatScope::All).await.unwrap().unwrap();
    assert_eq!(chat.status, ChatStatus::Active);
    assert_eq!(chat.awaiting_reply_since, None);
    assert_eq!(chat.assigned.unwrap().name, "Cán bộ canbo.vp");
    let stored = h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap();
    let last = stored.last().unwrap();
    assert_eq!((last.sender, last.body.as_deref()), (Sender::Officer, Some(text)));
    assert_eq!(last.send_job_key, job.unique_key);
    let changed = h.audit(AuditAction::ChatChanged).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].target.as_deref(), Some(format!("chat:{id}").as_str()));
    assert_eq!(changed[0].details["change"], "message");
    let page = h.get(&format!("/console/chats/{id}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Đã gửi tin nhắn cho người dân.") && page.body.contains("Đang trò chuyện"));
    let list = h.get("/console/chats", Some(&officer.cookie)).await;
    assert!(list.body.contains("Đã trả lời") && !list.body.contains("nav-badge"), "{}", list.body);

    // The page's script asks only for what is new.
    citizens.say(&h, "u1", "Vâng, tôi chờ ạ").await;
    let updates = h.get(&format!("/console/chats/{id}/updates?after={}", last.id), Some(&officer.cookie)).await;
    assert_eq!(updates.status, StatusCode::OK);
    assert!(updates.body.contains("Vâng, tôi chờ ạ") && !updates.body.contains("bước thẩm định"), "{}", updates.body);
    assert!(!updates.body.contains("<html"), "a fragment, not a page");
    let newest = h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap().last().unwrap().id;
    assert_eq!(updates.headers["x-chat-last"], newest.to_string().as_str());
    assert_eq!(updates.headers["x-chat-status"], "active");
    let nothing = h.get(&format!("/console/chats/{id}/updates?after={newest}"), Some(&officer.cookie)).await;
    assert_eq!(nothing.body.trim(), "");
    assert_eq!(
        h.audit(AuditAction::ChatViewed).await.len(),
        3,
        "each view that showed messages is audited, empty polls are not"
    );

    // Refused messages keep the draft and say why.
    let empty = h
        .post(
            &format!("/console/chats/{id}/messages"),
            Some(&officer.cookie),
            &[("_csrf", &officer.csrf), ("text", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Hãy nhập nội dung tin nhắn."));
    let long = "a".repeat(2001);
    let too_long = h
        .post(
            &format!("/console/chats/{id}/messages"),
            Some(&officer.cookie),
            &[("_csrf", &officer.csrf), ("text", &long)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.body.contains("dài quá 2000 ký tự") && too_long.body.contains(&long));
    assert_eq!(sends_to(&h, "u1").await.len(), before + 1, "no job for refused messages");
}

async fn ending_from_the_console_returns_the_citizen_to_the_bot(db: TestDb) {
    let h = Harness::new(db);
    let citizens = Citizens::new(&h);
    let id = citizens.ask_for_officer(&h, "u1", 1).await;
    let officer = signed_in(&h, "canbo.snv", Role::Officer, Some("SNV")).await;
    let before = sends_to(&h, "u1").await.len();

    let end = h.post(&format!("/console/chats/{id}/end"), Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await;
    assert_eq!(end.status, StatusCode::SEE_OTHER);
    // Until the conversation applies it, the chat is being ended and takes no more messages.
    let page = h.get(&format!("/console/chats/{id}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Đang kết thúc") && !has_forms(&page.body, id), "{}", page.body);
    let late = h
        .post(
            &format!("/console/chats/{id}/messages"),
            Some(&officer.cookie),
            &[("_csrf", &officer.csrf), ("text", "Còn một ý")],
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert_eq!(sends_to(&h, "u1").await.len(), before, "nothing is sent into a chat being ended");
    let again = h.post(&format!("/console/chats/{id}/end"), Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "a second click is harmless");

    citizens.process().await;
    assert_eq!(bot_phase(&h, "u1").await, "main_menu", "the bot has the citizen back");
    let sends = sends_to(&h, "u1").await;
    assert_eq!(sends.len(), before + 1);
    assert!(
        sends.last().unwrap().payload.to_string().contains("Cán bộ đã kết thúc cuộc trò chuyện"),
        "{:?}",
        sends.last()
    );
    let chat = h.db.store.officer_chats.chat(id, &ChatScope::All).await.unwrap().unwrap();
    assert_eq!((chat.status, chat.ended_by), (ChatStatus::Ended, Some(EndedBy::Officer)));
    assert_eq!(chat.ended_by_name.as_deref(), Some("Cán bộ canbo.snv"));
    assert!(h.db.store.officer_chats.open_chat("u1").await.unwrap().is_none());
    let page = h.get(&format!("/console/chats/{id}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Cán bộ canbo.snv đã kết thúc trò chuyện") && page.body.contains("Đã kết thúc"));
    let ended = h.get("/console/chats?view=ended", Some(&officer.cookie)).await;
    assert!(ended.body.contains(&format!("/console/chats/{id}")), "{}", ended.body);
    assert!(!h.get("/console/chats", Some(&officer.cookie)).await.body.contains(&format!("/console/chats/{id}\"")));
    let changes = h.audit(AuditAction::ChatChanged).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].details["change"], "end");

    // Back with the bot: what the citizen types is no longer relayed.
    let messages = h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap().len();
    citizens.say(&h, "u1", "4").await;
    assert_eq!(bot_phase(&h, "u1").await, "branch_menu");
    assert_eq!(h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap().len(), messages);
    let after = h.post(&format!("/console/chats/{id}/end"), Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    let page = h.get(&format!("/console/chats/{id}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Trò chuyện đã kết thúc trước đó."));

    // The citizen ends a chat from their side; asking again opens a new one.
    let second = citizens.ask_for_officer(&h, "u1", 1).await;
    assert_ne!(second, id);
    citizens.say(&h, "u1", "kết thúc").await;
    citizens.say(&h, "u1", "có").await;
    let chat = h.db.store.officer_chats.chat(second, &ChatScope::All).await.unwrap().unwrap();
    assert_eq!((chat.status, chat.ended_by), (ChatStatus::Ended, Some(EndedBy::Citizen)));
    assert_eq!(bot_phase(&h, "u1").await, "main_menu");

    // The citizen leaves while an officer's end is on its way: the conversation applies them in
    // order, and the officer's end no longer reaches the bot (no second goodbye).
    let third = citizens.ask_for_officer(&h, "u1", 1).await;
    citizens.queue(&h, "u1", "user_send_text", json!({"text": "kết thúc"})).await;
    citizens.queue(&h, "u1", "user_send_text", json!({"text": "có"})).await;
    let end = h.post(&format!("/console/chats/{third}/end"), Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await;
    assert_eq!(end.status, StatusCode::SEE_OTHER);
    let before = sends_to(&h, "u1").await.len();
    citizens.process().await;
    let chat = h.db.store.officer_chats.chat(third, &ChatScope::All).await.unwrap().unwrap();
    assert_eq!((chat.status, chat.ended_by), (ChatStatus::Ended, Some(EndedBy::Citizen)));
    assert_eq!(bot_phase(&h, "u1").await, "main_menu");
    let sends = sends_to(&h, "u1").await;
    assert_eq!(sends.len(), before + 2, "the answers to «kết thúc» and «có» only");
    assert!(!sends[before..].iter().any(|job| job.payload.to_string().contains("Cán bộ đã kết thúc")));
}

async fn chat_forms_need_the_csrf_token(db: TestDb) {
    let h = Harness::new(db);
    let citizens = Citizens::new(&h);
    let id = citizens.ask_for_officer(&h, "u1", 4).await;
    let officer = signed_in(&h, "canbo.vp", Role::Officer, Some("VPUBND")).await;
    for form in [vec![("text", "Xin chào")], vec![("_csrf", "sai-ma"), ("text", "Xin chào")]] {
        for action in ["messages", "end"] {
            let reply = h.post(&format!("/console/chats/{id}/{action}"), Some(&officer.cookie), &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{action} with {form:?}");
            assert!(reply.body.contains(CSRF_PAGE), "{}", reply.body);
        }
    }
    let messages = h.db.store.officer_chats.messages(id, &ChatScope::All, 0, 100).await.unwrap();
    assert_eq!(messages.len(), 1, "only the opening note: {messages:?}");
    let chat = h.db.store.officer_chats.chat(id, &ChatScope::All).await.unwrap().unwrap();
    assert!(chat.end_requested_at.is_none() && chat.status == ChatStatus::Waiting);
    assert!(h.audit(AuditAction::ChatChanged).await.is_empty());
}

on_both_backends!(
    a_handoff_appears_in_its_departments_list_only_and_each_role_sees_its_share,
    relayed_messages_keep_their_order_and_an_answer_becomes_a_send_job,
    ending_from_the_console_returns_the_citizen_to_the_bot,
    chat_forms_need_the_csrf_token,
);

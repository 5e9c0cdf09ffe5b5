//! The ticket service on both backends: filing from a chat draft, the citizen's lookup, replies
//! and the message they enqueue, forwarding, status changes, and the deadline checks driven by a
//! manual clock.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use tongdai::clock::{Clock, ManualClock, SharedClock};
use tongdai::config::JobsConfig;
use tongdai::jobs::worker::{WorkerPool, WorkerSettings};
use tongdai::jobs::{JobState, Registry};
use tongdai::metrics::Metrics;
use tongdai::tickets::draft::Consent;
use tongdai::tickets::filter::{Scope, TicketFilter};
use tongdai::tickets::jobs::NotifyHandler;
use tongdai::tickets::model::{
    Actor, ActorKind, AttachmentState, Category, ConsentDecision, EventAction, NotificationKind, OutOfScope, Recipient,
};
use tongdai::tickets::service::{TicketError, NOTIFY_JOB_KIND};
use tongdai::tickets::status::{TicketStatus, TransitionError};
use tongdai::zalo::outbound::{OutboundMessage, SendRequest, TemplatePurpose, Unreachable};

use crate::support::{on_both_backends, TestDb};
use crate::tickets_support::{draft, draft_with_evidence, jobs_of, local, service, t0, ScriptedCodes};

fn last_day(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn sends(jobs: &[tongdai::jobs::Job]) -> Vec<SendRequest> {
    jobs.iter().map(|j| serde_json::from_value(j.payload.clone()).unwrap()).collect()
}

/// Runs the due `ticket.notify` jobs at `clock`'s time.
async fn deliver_notifications(db: &TestDb, clock: &Arc<ManualClock>) {
    let mut registry = Registry::new();
    registry.register(NOTIFY_JOB_KIND, Arc::new(NotifyHandler { store: db.store.tickets.clone() }));
    let shared: SharedClock = clock.clone();
    let pool = WorkerPool::new(
        db.store.jobs.clone(),
        registry,
        shared,
        WorkerSettings::from_config(&JobsConfig::default(), Duration::seconds(5)),
        Metrics::new(),
        "test",
    );
    while pool.run_once().await.unwrap() > 0 {}
}

async fn filing_with_consent_routes_classifies_and_sets_deadlines(db: TestDb) {
    let svc = service(&db);
    let d = draft_with_evidence(
        "Thủ tục chứng thực phải chờ quá lâu",
        &["https://zalo.example/1.jpg", "https://zalo.example/2.jpg"],
    );
    let filed = svc.file_complaint(&d, "u1", t0()).await.unwrap();
    assert!(tongdai::tickets::code::normalize(&filed.code).as_deref() == Some(filed.code.as_str()));
    assert!(filed.code.starts_with("PA-2026-"));
    assert_eq!((filed.department_code.as_str(), filed.department_name.as_str()), ("STP", "Sở Tư pháp"));
    assert_eq!(
        (filed.category, filed.misconduct, filed.out_of_scope, filed.processable),
        (Category::ProcedureFeedback, false, None, true)
    );
    // Received Monday 02/03/2026: 10 working days → Monday 16/03/2026.
    assert_eq!(last_day(filed.due_at.unwrap()), date(2026, 3, 16));
    assert_eq!(filed.due_date.as_deref(), Some("16/03/2026"));
    assert!(
        filed.message.contains(&filed.code)
            && filed.message.contains("16/03/2026")
            && filed.message.contains("Sở Tư pháp"),
        "{}",
        filed.message
    );

    let t = svc.get(&filed.code, &Scope::All).await.unwrap();
    assert_eq!(t.status, TicketStatus::Received);
    assert_eq!((t.citizen_name.as_deref(), t.phone.as_deref()), (Some("Nguyễn Văn A"), Some("84912345678")));
    assert_eq!(t.consent.decision, ConsentDecision::Given);
    assert_eq!(last_day(t.forward_due_at.unwrap()), date(2026, 3, 9), "5 working days to forward");
    assert_eq!(t.remind_at, Some(local(2026, 3, 12, 0, 0)));
    let detail = svc.detail(&filed.code.to_lowercase(), &Scope::All).await.unwrap();
    assert_eq!(detail.attachments.len(), 2);
    assert!(detail.attachments.iter().all(|a| a.state == AttachmentState::Pending && a.url.is_some()));
    assert_eq!(detail.events.len(), 1);
    assert_eq!(detail.events[0].action, EventAction::Filed);
    assert_eq!(detail.events[0].actor.kind, ActorKind::Citizen);

    let fetches = jobs_of(&db, "ticket.fetch_attachment").await;
    assert_eq!(fetches.len(), 2, "one download job per file");
    assert_eq!(fetches[0].payload, serde_json::json!({"code": filed.code, "seq": 1}));
    let notes = jobs_of(&db, NOTIFY_JOB_KIND).await;
    assert_eq!(notes.len(), 1, "the department is notified; no misconduct, no inspection team");
    assert!(jobs_of(&db, "zalo.send").await.is_empty(), "the conversation sends the confirmation itself");
}

async fn filing_without_consent_keeps_no_personal_data_and_no_deadline(db: TestDb) {
    let svc = service(&db);
    let mut d = draft("Biểu mẫu khó hiểu");
    d.consent = Consent::Refused { text_version: "v1".into(), at: t0() };
    let filed = svc.file_complaint(&d, "u2", t0()).await.unwrap();
    assert!(!filed.processable);
    assert_eq!((filed.due_at, filed.due_date.as_deref()), (None, None));
    assert!(filed.message.contains("chưa đồng ý") && !filed.message.contains("Thời hạn"), "{}", filed.message);
    let t = svc.get(&filed.code, &Scope::All).await.unwrap();
    assert_eq!((t.citizen_name, t.phone), (None, None), "name and phone are not kept without consent");
    assert_eq!(t.consent.decision, ConsentDecision::Refused);
    assert_eq!((t.due_at, t.remind_at), (None, None));
    let report = svc.run_sla_checks(t0() + Duration::days(60)).await.unwrap();
    assert_eq!((report.reminded, report.escalated), (0, 0), "no deadline, no reminder, no escalation");

    let mut not_asked = draft("Biểu mẫu khó hiểu");
    not_asked.consent = Consent::NotAsked;
    assert!(!svc.file_complaint(&not_asked, "u2", t0()).await.unwrap().processable, "silence is not consent");
    let mut empty = draft("   ");
    empty.content = vec!["  ".into()];
    assert!(matches!(svc.file_complaint(&empty, "u2", t0()).await, Err(TicketError::Invalid(_))));
    let mut nowhere = draft("x");
    nowhere.branch = 42;
    assert!(matches!(svc.file_complaint(&nowhere, "u2", t0()).await, Err(TicketError::Invalid(_))));
}

async fn misconduct_and_out_of_scope_are_flagged(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Cán bộ một cửa vòi vĩnh tiền bồi dưỡng"), "u3", t0()).await.unwrap();
    assert_eq!((filed.category, filed.misconduct), (Category::OfficialConduct, true));
    assert!(filed.message.contains("Tổ Kiểm tra đột xuất"));
    let recipients: Vec<Recipient> = jobs_of(&db, NOTIFY_JOB_KIND)
        .await
        .iter()
        .map(|j| {
            serde_json::from_value::<tongdai::tickets::model::NewNotification>(j.payload.clone()).unwrap().recipient
        })
        .collect();
    assert_eq!(recipients, vec![Recipient::Department("STP".into()), Recipient::InspectionTeam]);
    let team = svc.list(&TicketFilter::new(Scope::MisconductOnly), t0()).await.unwrap();
    assert_eq!(team.items.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), vec![filed.code.as_str()]);

    let complaint =
        svc.file_complaint(&draft("Tôi khiếu nại quyết định xử phạt của phường"), "u3", t0()).await.unwrap();
    assert_eq!(complaint.out_of_scope, Some(OutOfScope::Complaint));
    assert!(complaint.message.contains("Luật Khiếu nại") && complaint.message.contains("Nghị định 20/2008/NĐ-CP"));
    assert!(complaint.processable, "recorded like any other ticket");
    let team = svc.list(&TicketFilter::new(Scope::MisconductOnly), t0()).await.unwrap();
    assert_eq!(team.total, 1, "the inspection team sees misconduct reports only");
}

async fn codes_are_unique_with_a_retry(db: TestDb) {
    let svc =
        service(&db).with_code_source(ScriptedCodes::new(&["PA-2026-AAAAAA", "PA-2026-AAAAAA", "PA-2026-BBBBBB"]));
    let first = svc.file_complaint(&draft("một"), "u1", t0()).await.unwrap();
    let second = svc.file_complaint(&draft("hai"), "u1", t0()).await.unwrap();
    assert_eq!((first.code.as_str(), second.code.as_str()), ("PA-2026-AAAAAA", "PA-2026-BBBBBB"));
    assert_eq!(svc.list(&TicketFilter::new(Scope::All), t0()).await.unwrap().total, 2);
}

async fn lookup_of_a_foreign_code_reveals_nothing(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Thủ tục chậm"), "owner", t0()).await.unwrap();
    let own = svc.lookup_for_citizen(&filed.code.replace('-', " ").to_lowercase(), "owner").await.unwrap().unwrap();
    assert_eq!((own.code.as_str(), own.status), (filed.code.as_str(), TicketStatus::Received));
    assert!(
        own.message.contains("Sở Tư pháp")
            && own.message.contains("Mới tiếp nhận")
            && own.message.contains("16/03/2026"),
        "{}",
        own.message
    );
    let foreign = svc.lookup_for_citizen(&filed.code, "stranger").await.unwrap();
    let missing = svc.lookup_for_citizen("PA-2026-ZZZZZZ", "stranger").await.unwrap();
    let malformed = svc.lookup_for_citizen("PA-2026-00", "stranger").await.unwrap();
    assert_eq!((foreign, missing, malformed), (None, None, None), "the same answer for all three");
    assert!(svc.lookup_for_citizen(&filed.code, "").await.unwrap().is_none());
}

async fn a_reply_enqueues_exactly_one_send_in_the_same_transaction(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Thủ tục chậm"), "u1", t0()).await.unwrap();
    let officer = Actor::officer("lan.stp");
    let at = local(2026, 3, 5, 9, 30);
    let stp = Scope::Department("STP".into());
    let answer = "Sở đã kiểm tra và chấn chỉnh bộ phận một cửa; hồ sơ của Ông/Bà đã được giải quyết.";
    let t = svc.reply(&filed.code, &stp, &officer, answer, None, at).await.unwrap();
    assert_eq!((t.status, t.answered_at, t.answer_text.as_deref()), (TicketStatus::Answered, Some(at), Some(answer)));

    let jobs = jobs_of(&db, "zalo.send").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].unique_key.as_deref(), Some(format!("ticket_reply:{}:v2", filed.code).as_str()));
    let send = &sends(&jobs)[0];
    assert_eq!(send.user_id.as_deref(), Some("u1"));
    assert_eq!(send.phone.as_deref(), Some("84912345678"));
    assert_eq!(send.if_unreachable, Unreachable::HoldUntilNextMessage);
    assert_eq!((send.purpose.as_str(), send.reference.as_deref()), ("ticket_reply", Some(filed.code.as_str())));
    let OutboundMessage::Text { text } = &send.message else { panic!("a text message: {:?}", send.message) };
    assert!(text.contains(answer) && text.contains(&filed.code) && text.contains("Sở Tư pháp trả lời"), "{text}");
    let template = send.template.as_ref().expect("a template fallback");
    assert_eq!(template.purpose, TemplatePurpose::TicketReply);
    assert_eq!(template.tracking_id.as_deref(), Some(filed.code.as_str()));
    assert_eq!(template.data.get("ticket_code"), Some(&filed.code));
    assert_eq!(template.data.get("answered_date").map(String::as_str), Some("05/03/2026"));
    assert!(template.data["answer_summary"].chars().count() <= 90);

    let history = svc.detail(&filed.code, &Scope::All).await.unwrap().events;
    let replied = history.last().unwrap();
    assert_eq!(
        (replied.action, &replied.actor, replied.to_status),
        (EventAction::Replied, &officer, Some(TicketStatus::Answered))
    );

    // Closing tells the citizen; a closed ticket takes no more answers.
    let closed = svc.change_status(&filed.code, &stp, &officer, TicketStatus::Closed, None, at).await.unwrap();
    assert_eq!((closed.status, closed.closed_at), (TicketStatus::Closed, Some(at)));
    let err = svc.reply(&filed.code, &stp, &officer, "thêm", None, at).await.unwrap_err();
    assert!(matches!(err, TicketError::Transition(TransitionError::NotAllowed { .. })), "{err:?}");
    let all = sends(&jobs_of(&db, "zalo.send").await);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].purpose, "ticket_status");
    assert!(all[1].message.display_text().contains("xử lý xong"));
    assert!(
        matches!(
            svc.reply(&filed.code, &Scope::Department("SNV".into()), &officer, "x", None, at).await,
            Err(TicketError::NotFound(_))
        ),
        "another department cannot reach it"
    );
}

async fn status_changes_follow_the_workflow_and_tell_the_citizen(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Thủ tục chậm"), "u1", t0()).await.unwrap();
    let officer = Actor::officer("lan.stp");
    let all = Scope::All;
    let at = t0() + Duration::hours(2);
    let t = svc.change_status(&filed.code, &all, &officer, TicketStatus::Classified, None, at).await.unwrap();
    assert_eq!((t.status, t.version), (TicketStatus::Classified, 2));
    svc.change_status(&filed.code, &all, &officer, TicketStatus::InProgress, Some("đang xác minh"), at).await.unwrap();
    assert!(jobs_of(&db, "zalo.send").await.is_empty(), "internal steps are not told to the citizen");
    let no_reason = svc.change_status(&filed.code, &all, &officer, TicketStatus::Rejected, None, at).await;
    assert!(matches!(no_reason, Err(TicketError::Transition(TransitionError::ReasonRequired))));
    assert!(matches!(
        svc.change_status(&filed.code, &all, &officer, TicketStatus::Forwarded, Some("x"), at).await,
        Err(TicketError::Invalid(_))
    ));
    let reason = "Nội dung không liên quan đến thủ tục hành chính.";
    let t = svc.change_status(&filed.code, &all, &officer, TicketStatus::Rejected, Some(reason), at).await.unwrap();
    assert_eq!((t.status, t.rejection_reason.as_deref()), (TicketStatus::Rejected, Some(reason)));
    let told = sends(&jobs_of(&db, "zalo.send").await);
    assert_eq!(told.len(), 1);
    assert!(told[0].message.display_text().contains(reason));
    assert!(matches!(
        svc.change_status(&filed.code, &all, &officer, TicketStatus::Closed, None, at).await,
        Err(TicketError::Transition(TransitionError::NotAllowed { .. }))
    ));
    svc.add_internal_note(&filed.code, &all, &officer, "Đã gọi điện cho công dân", at).await.unwrap();
    let history = svc.detail(&filed.code, &all).await.unwrap().events;
    let actions: Vec<EventAction> = history.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            EventAction::Filed,
            EventAction::StatusChanged,
            EventAction::StatusChanged,
            EventAction::StatusChanged,
            EventAction::Note
        ]
    );
    assert_eq!(history[2].reason.as_deref(), Some("đang xác minh"));
    assert_eq!(history[3].reason.as_deref(), Some(reason));
}

async fn forwarding_resets_the_deadline_for_the_new_owner(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Thủ tục đăng ký kinh doanh"), "u1", t0()).await.unwrap();
    assert_eq!(last_day(filed.due_at.unwrap()), date(2026, 3, 16));
    let officer = Actor::officer("lan.stp");
    let stp = Scope::Department("STP".into());
    let at = local(2026, 3, 9, 10, 0);
    assert!(matches!(svc.forward(&filed.code, &stp, &officer, "SNV", " ", at).await, Err(TicketError::Invalid(_))));
    assert!(matches!(svc.forward(&filed.code, &stp, &officer, "XYZ", "x", at).await, Err(TicketError::Invalid(_))));
    assert!(matches!(svc.forward(&filed.code, &stp, &officer, "STP", "x", at).await, Err(TicketError::Invalid(_))));
    let reason = "Nội dung thuộc thẩm quyền của Sở Nội vụ";
    let t = svc.forward(&filed.code, &stp, &officer, "snv", reason, at).await.unwrap();
    assert_eq!((t.status, t.department_code.as_str(), t.forward_count), (TicketStatus::Forwarded, "SNV", 1));
    assert_eq!(t.sla_started_at, at);
    // 10 working days from Monday 09/03/2026 → Monday 23/03/2026.
    assert_eq!(last_day(t.due_at.unwrap()), date(2026, 3, 23));
    assert_eq!(last_day(t.forward_due_at.unwrap()), date(2026, 3, 16));
    assert_eq!(t.remind_at, Some(local(2026, 3, 19, 0, 0)));
    assert!(matches!(svc.get(&filed.code, &stp).await, Err(TicketError::NotFound(_))), "STP no longer sees it");
    let snv = Scope::Department("SNV".into());
    assert!(svc.get(&filed.code, &snv).await.is_ok());

    let history = svc.detail(&filed.code, &snv).await.unwrap().events;
    let slip = history.last().unwrap();
    assert_eq!((slip.action, slip.reason.as_deref()), (EventAction::Forwarded, Some(reason)));
    assert_eq!((slip.data["from"].as_str(), slip.data["to"].as_str()), (Some("STP"), Some("SNV")));
    let told = sends(&jobs_of(&db, "zalo.send").await);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].message.display_text().contains("Sở Nội vụ") && told[0].message.display_text().contains("23/03/2026")
    );
    let clock = Arc::new(ManualClock::new(at));
    deliver_notifications(&db, &clock).await;
    let inbox = db.store.tickets.notifications(&snv, false, 10).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].kind, NotificationKind::ForwardedIn);
    assert!(inbox[0].message.contains(reason), "{}", inbox[0].message);
    // The new owner accepts it and may forward it again.
    svc.change_status(&filed.code, &snv, &Actor::officer("hoa.snv"), TicketStatus::InProgress, None, at).await.unwrap();
}

async fn reminders_and_escalations_happen_once_each(db: TestDb) {
    let svc = service(&db);
    let filed = svc.file_complaint(&draft("Thủ tục chậm"), "u1", t0()).await.unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    // Reminder: 2 working days before Monday 16/03 → Thursday 12/03 00:00.
    clock.set(local(2026, 3, 11, 23, 59));
    assert_eq!(svc.run_sla_checks(clock.now()).await.unwrap().reminded, 0);
    clock.set(local(2026, 3, 12, 8, 0));
    let report = svc.run_sla_checks(clock.now()).await.unwrap();
    assert_eq!((report.reminded, report.escalated), (1, 0));
    assert_eq!(svc.run_sla_checks(clock.now()).await.unwrap().reminded, 0, "once");
    clock.set(local(2026, 3, 16, 23, 59));
    assert_eq!(svc.run_sla_checks(clock.now()).await.unwrap().escalated, 0, "on time until the end of the last day");
    clock.set(local(2026, 3, 17, 0, 0));
    let report = svc.run_sla_checks(clock.now()).await.unwrap();
    assert_eq!((report.reminded, report.escalated), (0, 1));
    clock.advance(Duration::hours(5));
    assert_eq!(svc.run_sla_checks(clock.now()).await.unwrap().escalated, 0, "once");

    let t = svc.get(&filed.code, &Scope::All).await.unwrap();
    assert!(t.escalated && t.reminded_at == Some(local(2026, 3, 12, 8, 0)));
    assert_eq!(t.escalated_at, Some(local(2026, 3, 17, 0, 0)));
    let mut overdue = TicketFilter::new(Scope::All);
    overdue.overdue = Some(true);
    assert_eq!(svc.list(&overdue, clock.now()).await.unwrap().total, 1);

    deliver_notifications(&db, &clock).await;
    let stp = db.store.tickets.notifications(&Scope::Department("STP".into()), false, 10).await.unwrap();
    let kinds: Vec<NotificationKind> = stp.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NotificationKind::Reminder, NotificationKind::NewTicket], "newest first");
    assert!(stp[0].message.contains("16/03/2026"), "{}", stp[0].message);
    let snv = db.store.tickets.notifications(&Scope::Department("SNV".into()), false, 10).await.unwrap();
    assert_eq!(snv.len(), 1);
    assert_eq!(snv[0].kind, NotificationKind::Escalation);
    assert!(snv[0].message.contains("Sở Tư pháp") && snv[0].message.contains(&filed.code), "{}", snv[0].message);
    let history = svc.detail(&filed.code, &Scope::All).await.unwrap().events;
    let system: Vec<EventAction> = history.iter().filter(|e| e.actor == Actor::system()).map(|e| e.action).collect();
    assert_eq!(system, vec![EventAction::ReminderSent, EventAction::Escalated]);
    let completed = db.store.jobs.list(JobState::Completed, 100).await.unwrap();
    assert_eq!(completed.iter().filter(|j| j.kind == NOTIFY_JOB_KIND).count(), 3);

    // Answering stops the clock: a second ticket answered in time is never escalated.
    let other = svc.file_complaint(&draft("Thủ tục khác"), "u1", t0()).await.unwrap();
    svc.reply(&other.code, &Scope::All, &Actor::officer("lan.stp"), "Đã xử lý.", None, t0()).await.unwrap();
    let report = svc.run_sla_checks(local(2026, 4, 30, 12, 0)).await.unwrap();
    assert_eq!((report.reminded, report.escalated), (0, 0));
}

async fn reclassifying_changes_the_deadline_and_informs_the_inspection_team(db: TestDb) {
    let mut config = tongdai::config::Config::default();
    config.tickets.official_conduct_answer_within_days = 5;
    let svc = tongdai::tickets::service::TicketService::from_config(&config, db.store.tickets.clone()).unwrap();
    let filed = svc.file_complaint(&draft("Cán bộ chậm trả hồ sơ"), "u1", t0()).await.unwrap();
    assert_eq!(last_day(filed.due_at.unwrap()), date(2026, 3, 16));
    let correction = tongdai::tickets::service::Reclassification {
        category: Category::OfficialConduct,
        misconduct: true,
        reason: Some("Có dấu hiệu cố ý gây khó khăn".into()),
    };
    let t = svc
        .reclassify(&filed.code, &Scope::All, &Actor::officer("lan.stp"), &correction, t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!((t.category, t.misconduct), (Category::OfficialConduct, true));
    assert_eq!(last_day(t.due_at.unwrap()), date(2026, 3, 9), "5 working days for conduct reports");
    let notes = jobs_of(&db, NOTIFY_JOB_KIND).await;
    assert_eq!(notes.len(), 2, "new ticket + inspection team");
}

on_both_backends!(
    filing_with_consent_routes_classifies_and_sets_deadlines,
    filing_without_consent_keeps_no_personal_data_and_no_deadline,
    misconduct_and_out_of_scope_are_flagged,
    codes_are_unique_with_a_retry,
    lookup_of_a_foreign_code_reveals_nothing,
    a_reply_enqueues_exactly_one_send_in_the_same_transaction,
    status_changes_follow_the_workflow_and_tell_the_citizen,
    forwarding_resets_the_deadline_for_the_new_owner,
    reminders_and_escalations_happen_once_each,
    reclassifying_changes_the_deadline_and_informs_the_inspection_team,
);

//! The ticket and API-key store contract, the same story on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tongdai::auth::api_keys::{ApiScope, NewApiKey};
use tongdai::jobs::NewJob;
use tongdai::store::{CreateApiKeyOutcome, CreateTicketOutcome};
use tongdai::tickets::filter::{Flag, Scope, Sort, TicketFilter};
use tongdai::tickets::model::{
    Actor, AttachmentKind, AttachmentState, Category, Channel, ConsentDecision, ConsentRecord, EventAction,
    FetchOutcome, NewAttachment, NewEvent, NewNotification, NotificationKind, OutOfScope, Recipient, Ticket,
};
use tongdai::tickets::status::TicketStatus;

use crate::support::{on_both_backends, TestDb};
use crate::tickets_support::{jobs_of, t0};

fn ticket(code: &str, department: &str, received_at: DateTime<Utc>) -> Ticket {
    Ticket {
        id: 0,
        code: code.into(),
        version: 0,
        branch: 3,
        department_code: department.into(),
        category: Category::ProcedureFeedback,
        misconduct: false,
        out_of_scope: None,
        processable: true,
        content: "Thủ tục chứng thực quá chậm".into(),
        place: Some("UBND phường 1".into()),
        procedure: None,
        citizen_user_id: Some("u1".into()),
        citizen_name: Some("Nguyễn Văn A".into()),
        phone: Some("84912345678".into()),
        consent: ConsentRecord {
            decision: ConsentDecision::Given,
            text_version: Some("v1".into()),
            at: Some(received_at),
        },
        channel: Channel::Zalo,
        status: TicketStatus::Received,
        rejection_reason: None,
        received_at,
        sla_started_at: received_at,
        due_at: Some(received_at + Duration::days(14)),
        forward_due_at: Some(received_at + Duration::days(7)),
        remind_at: Some(received_at + Duration::days(10)),
        reminded_at: None,
        escalated: false,
        escalated_at: None,
        answered_at: None,
        closed_at: None,
        answer_text: None,
        forward_count: 0,
        updated_at: received_at,
    }
}

fn event(detail: &str) -> NewEvent {
    NewEvent {
        actor: Actor::officer("lan.stp"),
        action: EventAction::Note,
        from_status: None,
        to_status: None,
        detail: detail.into(),
        reason: Some("vì sao".into()),
        data: json!({"k": 1}),
    }
}

async fn create(db: &TestDb, t: &Ticket) -> Ticket {
    match db.store.tickets.create_ticket(t, &[], &[], &[], t.received_at).await.unwrap() {
        CreateTicketOutcome::Created(stored) => *stored,
        CreateTicketOutcome::CodeTaken => panic!("code {} taken", t.code),
    }
}

async fn tickets_are_created_atomically_with_unique_codes(db: &TestDb) {
    let store = &db.store.tickets;
    let t = ticket("PA-2026-AAAAAA", "STP", t0());
    let attachments = vec![
        NewAttachment {
            seq: 1,
            kind: AttachmentKind::Image,
            url: Some("https://zalo.example/p.jpg".into()),
            name: None,
            declared_size: Some(1234),
            msg_id: Some("m1".into()),
            latitude: None,
            longitude: None,
            state: AttachmentState::Pending,
        },
        NewAttachment {
            seq: 2,
            kind: AttachmentKind::Location,
            url: None,
            name: None,
            declared_size: None,
            msg_id: None,
            latitude: Some(9.78),
            longitude: Some(105.47),
            state: AttachmentState::Recorded,
        },
    ];
    let jobs = vec![NewJob::new("ticket.fetch_attachment", json!({"code": t.code, "seq": 1}), 3).unique("fetch:A:1")];
    let created = store.create_ticket(&t, &attachments, &[event("filed")], &jobs, t0()).await.unwrap();
    let CreateTicketOutcome::Created(stored) = created else { panic!("not created") };
    assert!(stored.id > 0);
    assert_eq!(stored.version, 1);

    let again = ticket("PA-2026-AAAAAA", "SNV", t0());
    let more_jobs = vec![NewJob::new("ticket.fetch_attachment", json!({}), 3).unique("fetch:A:2")];
    let outcome = store.create_ticket(&again, &attachments, &[event("x")], &more_jobs, t0()).await.unwrap();
    assert_eq!(outcome, CreateTicketOutcome::CodeTaken);
    assert_eq!(jobs_of(db, "ticket.fetch_attachment").await.len(), 1, "nothing of the refused ticket was written");

    let read = store.get_ticket("PA-2026-AAAAAA", &Scope::All).await.unwrap().unwrap();
    assert_eq!(read, *stored, "every field round-trips");
    let files = store.ticket_attachments(read.id).await.unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0].kind, files[0].state, files[0].declared_size),
        (AttachmentKind::Image, AttachmentState::Pending, Some(1234))
    );
    assert_eq!((files[1].latitude, files[1].state), (Some(9.78), AttachmentState::Recorded));
    let history = store.ticket_events(read.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].actor, Actor::officer("lan.stp"));
    assert_eq!(history[0].at, t0());
    assert_eq!(history[0].data, json!({"k": 1}));
    assert_eq!(history[0].reason.as_deref(), Some("vì sao"));
}

async fn reads_apply_the_scope_in_the_query(db: &TestDb) {
    let store = &db.store.tickets;
    let mut flagged = ticket("PA-2026-BBBBBB", "STP", t0());
    flagged.misconduct = true;
    create(db, &flagged).await;
    create(db, &ticket("PA-2026-CCCCCC", "SNV", t0())).await;
    let stp = Scope::Department("STP".into());
    assert!(store.get_ticket("PA-2026-BBBBBB", &stp).await.unwrap().is_some());
    assert!(store.get_ticket("PA-2026-CCCCCC", &stp).await.unwrap().is_none(), "another department's ticket");
    assert!(store.get_ticket("PA-2026-BBBBBB", &Scope::MisconductOnly).await.unwrap().is_some());
    assert!(store.get_ticket("PA-2026-CCCCCC", &Scope::MisconductOnly).await.unwrap().is_none());
    assert!(store.get_ticket_for_citizen("PA-2026-BBBBBB", "u1").await.unwrap().is_some());
    assert!(store.get_ticket_for_citizen("PA-2026-BBBBBB", "someone-else").await.unwrap().is_none());
    assert!(store.get_ticket_for_citizen("PA-2026-ZZZZZZ", "u1").await.unwrap().is_none());
}

async fn updates_are_versioned_and_atomic_with_their_jobs(db: &TestDb) {
    let store = &db.store.tickets;
    let t = create(db, &ticket("PA-2026-DDDDDD", "STP", t0())).await;
    let later = t0() + Duration::hours(1);
    let mut changed = t.clone();
    changed.status = TicketStatus::Answered;
    changed.answer_text = Some("Đã xử lý".into());
    changed.answered_at = Some(later);
    let job = NewJob::new("zalo.send", json!({"n": 1}), 3).unique("send:D:v2");
    assert!(store.update_ticket(&changed, &[event("answered")], &[job], later).await.unwrap());
    let stale_job = NewJob::new("zalo.send", json!({"n": 2}), 3).unique("send:D:stale");
    assert!(
        !store.update_ticket(&changed, &[event("stale")], &[stale_job], later).await.unwrap(),
        "a change computed from version 1 is refused once version 2 exists"
    );
    let sends = jobs_of(db, "zalo.send").await;
    assert_eq!(sends.len(), 1, "the refused change's job was not enqueued");
    assert_eq!(sends[0].payload, json!({"n": 1}));
    let read = store.get_ticket("PA-2026-DDDDDD", &Scope::All).await.unwrap().unwrap();
    assert_eq!(read.version, 2);
    assert_eq!(read.status, TicketStatus::Answered);
    assert_eq!(read.answered_at, Some(later));
    assert_eq!(read.updated_at, later);
    let history = store.ticket_events(read.id).await.unwrap();
    assert_eq!(history.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), vec!["answered"]);
}

async fn lists_filter_sort_and_page_with_the_scope(db: &TestDb) {
    let store = &db.store.tickets;
    let now = t0() + Duration::days(20);
    let mut a = ticket("PA-2026-EEEEEE", "STP", t0());
    a.due_at = Some(t0() + Duration::days(5)); // overdue at `now`
    a.content = "Cán bộ gây phiền hà khi chứng thực".into();
    a.misconduct = true;
    a.category = Category::OfficialConduct;
    let mut b = ticket("PA-2026-FFFFFF", "STP", t0() + Duration::hours(1));
    b.due_at = Some(t0() + Duration::days(30));
    b.out_of_scope = Some(OutOfScope::Complaint);
    let mut c = ticket("PA-2026-GGGGGG", "SNV", t0() + Duration::hours(2));
    c.due_at = None;
    c.processable = false;
    c.branch = 5;
    let mut d = ticket("PA-2026-HHHHHH", "STP", t0() + Duration::hours(3));
    d.status = TicketStatus::Answered;
    d.due_at = Some(t0() + Duration::days(1)); // past, but answered: not overdue
    for t in [&a, &b, &c, &d] {
        create(db, t).await;
    }
    let codes =
        |page: &tongdai::tickets::filter::TicketPage| page.items.iter().map(|t| t.code.clone()).collect::<Vec<_>>();
    let all = store.list_tickets(&TicketFilter::new(Scope::All), now).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        codes(&all),
        vec!["PA-2026-HHHHHH", "PA-2026-EEEEEE", "PA-2026-FFFFFF", "PA-2026-GGGGGG"],
        "by deadline, none last"
    );

    let mut f = TicketFilter::new(Scope::Department("STP".into()));
    assert_eq!(store.list_tickets(&f, now).await.unwrap().total, 3, "scope: STP only");
    f.department = Some("SNV".into());
    assert_eq!(store.list_tickets(&f, now).await.unwrap().total, 0, "a filter cannot widen the scope");

    let mut f = TicketFilter::new(Scope::All);
    f.overdue = Some(true);
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-EEEEEE"]);
    f.overdue = Some(false);
    assert_eq!(store.list_tickets(&f, now).await.unwrap().total, 3);

    let mut f = TicketFilter::new(Scope::MisconductOnly);
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-EEEEEE"]);
    f.scope = Scope::All;
    for (flag, expected) in [
        (Flag::Misconduct, "PA-2026-EEEEEE"),
        (Flag::OutOfScope, "PA-2026-FFFFFF"),
        (Flag::Unprocessable, "PA-2026-GGGGGG"),
    ] {
        f.flag = Some(flag);
        assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec![expected], "{flag:?}");
    }
    f.flag = Some(Flag::Escalated);
    assert_eq!(store.list_tickets(&f, now).await.unwrap().total, 0);

    let mut f = TicketFilter::new(Scope::All);
    f.text = Some("GAY PHIEN HA".into());
    assert_eq!(
        codes(&store.list_tickets(&f, now).await.unwrap()),
        vec!["PA-2026-EEEEEE"],
        "diacritics and case ignored"
    );
    f.text = Some("hhhhhh".into());
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-HHHHHH"], "codes are searched too");

    let mut f = TicketFilter::new(Scope::All);
    f.statuses = vec![TicketStatus::Answered, TicketStatus::Closed];
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-HHHHHH"]);
    let mut f = TicketFilter::new(Scope::All);
    f.branch = Some(5);
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-GGGGGG"]);
    let mut f = TicketFilter::new(Scope::All);
    f.category = Some(Category::OfficialConduct);
    assert_eq!(store.list_tickets(&f, now).await.unwrap().total, 1);

    let mut f = TicketFilter::new(Scope::All);
    f.sort = Sort::Newest;
    f.limit = 2;
    let page = store.list_tickets(&f, now).await.unwrap();
    assert_eq!((page.total, codes(&page)), (4, vec!["PA-2026-HHHHHH".to_owned(), "PA-2026-GGGGGG".to_owned()]));
    f.offset = 2;
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap()), vec!["PA-2026-FFFFFF", "PA-2026-EEEEEE"]);
    f.sort = Sort::Oldest;
    f.offset = 0;
    assert_eq!(codes(&store.list_tickets(&f, now).await.unwrap())[0], "PA-2026-EEEEEE");
}

async fn reminder_and_escalation_queries(db: &TestDb) {
    let store = &db.store.tickets;
    let open = create(db, &ticket("PA-2026-JJJJJJ", "STP", t0())).await;
    let mut reminded = ticket("PA-2026-KKKKKK", "STP", t0());
    reminded.reminded_at = Some(t0());
    create(db, &reminded).await;
    let mut answered = ticket("PA-2026-LLLLLL", "STP", t0());
    answered.status = TicketStatus::Answered;
    create(db, &answered).await;
    let mut unprocessable = ticket("PA-2026-MMMMMM", "STP", t0());
    unprocessable.processable = false;
    unprocessable.due_at = None;
    create(db, &unprocessable).await;

    let before = t0() + Duration::days(9);
    assert!(store.tickets_to_remind(before, 10).await.unwrap().is_empty());
    let due = store.tickets_to_remind(t0() + Duration::days(10), 10).await.unwrap();
    assert_eq!(due.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), vec!["PA-2026-JJJJJJ"]);
    assert!(
        store.tickets_to_escalate(t0() + Duration::days(14), 10).await.unwrap().is_empty(),
        "due_at itself is on time"
    );
    let late = t0() + Duration::days(14) + Duration::milliseconds(1);
    let overdue = store.tickets_to_escalate(late, 10).await.unwrap();
    assert_eq!(overdue.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), vec!["PA-2026-JJJJJJ", "PA-2026-KKKKKK"]);
    let mut escalated = open.clone();
    escalated.escalated = true;
    escalated.escalated_at = Some(late);
    assert!(store.update_ticket(&escalated, &[], &[], late).await.unwrap());
    let overdue = store.tickets_to_escalate(late, 10).await.unwrap();
    assert_eq!(overdue.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), vec!["PA-2026-KKKKKK"]);
}

async fn attachment_downloads_are_recorded_once(db: &TestDb) {
    let store = &db.store.tickets;
    let t = ticket("PA-2026-NNNNNN", "STP", t0());
    let file = NewAttachment {
        seq: 1,
        kind: AttachmentKind::File,
        url: Some("https://zalo.example/f.pdf".into()),
        name: Some("don.pdf".into()),
        declared_size: None,
        msg_id: None,
        latitude: None,
        longitude: None,
        state: AttachmentState::Pending,
    };
    let failing = NewAttachment { seq: 2, ..file.clone() };
    store.create_ticket(&t, &[file, failing], &[], &[], t0()).await.unwrap();
    let a = store.attachment("PA-2026-NNNNNN", 1).await.unwrap().unwrap();
    assert!(store.attachment("PA-2026-NNNNNN", 3).await.unwrap().is_none());
    let fetched = FetchOutcome::Fetched {
        content_type: "application/pdf".into(),
        size_bytes: 42,
        sha256: "ab".repeat(32),
        local_path: "data/attachments/x.pdf".into(),
    };
    let later = t0() + Duration::minutes(1);
    let mut e = event("fetched");
    e.action = EventAction::AttachmentFetched;
    assert!(store.record_fetch(a.id, &fetched, &e, later).await.unwrap());
    assert!(!store.record_fetch(a.id, &fetched, &e, later).await.unwrap(), "only a pending attachment is recorded");
    let b = store.attachment("PA-2026-NNNNNN", 2).await.unwrap().unwrap();
    assert!(store.record_fetch(b.id, &FetchOutcome::Failed { error: "HTTP 404".into() }, &e, later).await.unwrap());
    let files = store.ticket_attachments(a.ticket_id).await.unwrap();
    assert_eq!(files[0].state, AttachmentState::Fetched);
    assert_eq!((files[0].size_bytes, files[0].content_type.as_deref()), (Some(42), Some("application/pdf")));
    assert_eq!(files[0].sha256.as_deref(), Some("ab".repeat(32).as_str()));
    assert_eq!(files[0].local_path.as_deref(), Some("data/attachments/x.pdf"));
    assert_eq!(files[0].fetched_at, Some(later));
    assert_eq!((files[1].state, files[1].error.as_deref()), (AttachmentState::Failed, Some("HTTP 404")));
    assert_eq!(store.ticket_events(a.ticket_id).await.unwrap().len(), 2);
}

async fn notifications_are_idempotent_and_scoped(db: &TestDb) {
    let store = &db.store.tickets;
    let t = create(db, &ticket("PA-2026-PPPPPP", "STP", t0())).await;
    let n = |key: &str, recipient: Recipient, kind, at| NewNotification {
        dedupe_key: key.into(),
        ticket_code: t.code.clone(),
        recipient,
        kind,
        message: format!("tin {key}"),
        created_at: at,
    };
    assert!(store
        .record_notification(&n("a", Recipient::Department("STP".into()), NotificationKind::NewTicket, t0()))
        .await
        .unwrap());
    assert!(!store
        .record_notification(&n("a", Recipient::Department("STP".into()), NotificationKind::NewTicket, t0()))
        .await
        .unwrap());
    let later = t0() + Duration::minutes(5);
    assert!(store
        .record_notification(&n("b", Recipient::InspectionTeam, NotificationKind::Misconduct, later))
        .await
        .unwrap());
    assert!(store
        .record_notification(&n("c", Recipient::Department("SNV".into()), NotificationKind::Escalation, later))
        .await
        .unwrap());

    let all = store.notifications(&Scope::All, false, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    let stp = store.notifications(&Scope::Department("STP".into()), false, 10).await.unwrap();
    assert_eq!(stp.len(), 1);
    assert_eq!(
        (stp[0].ticket_id, stp[0].kind, stp[0].message.as_str()),
        (Some(t.id), NotificationKind::NewTicket, "tin a")
    );
    let team = store.notifications(&Scope::MisconductOnly, false, 10).await.unwrap();
    assert_eq!(team.len(), 1);
    assert_eq!(team[0].recipient, Recipient::InspectionTeam);

    assert!(
        !store.mark_notification_read(team[0].id, &Scope::Department("STP".into()), later).await.unwrap(),
        "not theirs"
    );
    assert!(store.mark_notification_read(team[0].id, &Scope::MisconductOnly, later).await.unwrap());
    assert!(store.notifications(&Scope::MisconductOnly, true, 10).await.unwrap().is_empty());
    assert_eq!(store.notifications(&Scope::All, true, 10).await.unwrap().len(), 2);
}

async fn api_keys_store_digests_and_revoke_by_name(db: &TestDb) {
    let keys = &db.store.api_keys;
    let new = NewApiKey {
        name: "motcua".into(),
        prefix: "tdk_abcdefgh".into(),
        key_hash: "11".repeat(32),
        scopes: vec![ApiScope::TicketsRead, ApiScope::DossiersWrite],
        department_code: Some("STP".into()),
    };
    let CreateApiKeyOutcome::Created(record) = keys.create_api_key(&new, t0()).await.unwrap() else {
        panic!("created")
    };
    assert_eq!((record.name.as_str(), record.prefix.as_str()), ("motcua", "tdk_abcdefgh"));
    assert_eq!(record.scopes, vec![ApiScope::TicketsRead, ApiScope::DossiersWrite]);
    assert_eq!((record.department_code.as_deref(), record.created_at, record.revoked_at), (Some("STP"), t0(), None));
    let other = NewApiKey { key_hash: "22".repeat(32), ..new.clone() };
    assert_eq!(keys.create_api_key(&other, t0()).await.unwrap(), CreateApiKeyOutcome::NameTaken);
    assert_eq!(keys.active_api_keys_by_prefix("tdk_abcdefgh").await.unwrap(), vec![record.clone()]);
    assert!(keys.active_api_keys_by_prefix("tdk_zzzzzzzz").await.unwrap().is_empty());

    let later = t0() + Duration::days(1);
    assert!(keys.revoke_api_key("motcua", later).await.unwrap());
    assert!(!keys.revoke_api_key("motcua", later).await.unwrap());
    assert!(keys.active_api_keys_by_prefix("tdk_abcdefgh").await.unwrap().is_empty());
    let CreateApiKeyOutcome::Created(_) = keys.create_api_key(&other, later).await.unwrap() else {
        panic!("the name is free again once revoked")
    };
    let listed = keys.list_api_keys().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].revoked_at, Some(later));
    assert_eq!(listed[1].revoked_at, None);
}

async fn tickets_store_contract(db: TestDb) {
    tickets_are_created_atomically_with_unique_codes(&db).await;
    reads_apply_the_scope_in_the_query(&db).await;
    updates_are_versioned_and_atomic_with_their_jobs(&db).await;
}

async fn tickets_list_contract(db: TestDb) {
    lists_filter_sort_and_page_with_the_scope(&db).await;
}

async fn tickets_deadline_queries_contract(db: TestDb) {
    reminder_and_escalation_queries(&db).await;
}

async fn tickets_attachments_and_notifications_contract(db: TestDb) {
    attachment_downloads_are_recorded_once(&db).await;
    notifications_are_idempotent_and_scoped(&db).await;
}

async fn api_keys_contract(db: TestDb) {
    api_keys_store_digests_and_revoke_by_name(&db).await;
}

on_both_backends!(
    tickets_store_contract,
    tickets_list_contract,
    tickets_deadline_queries_contract,
    tickets_attachments_and_notifications_contract,
    api_keys_contract,
);

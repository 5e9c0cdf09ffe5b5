//! The console's ticket pages through the real router, on both backends: role scoping of the
//! inbox and the ticket page (404 outside the scope, 403 for viewers, read-only inspectors),
//! replies that enqueue the Zalo message, forwarding, status changes, notes, CSRF on every
//! action, and the audit entries for views of personal data and changes.
//! A child of `console.rs`, so it uses that file's harness.

use axum::http::StatusCode;
use chrono::Duration;

use super::{Browser, Harness, CSRF_PAGE};
use crate::support::{on_both_backends, TestDb};
use crate::tickets_support::{draft, draft_with_evidence, jobs_of, service};
use tongdai::auth::audit::AuditAction;
use tongdai::auth::users::Role;
use tongdai::clock::Clock;
use tongdai::tickets::filter::Scope;
use tongdai::tickets::status::TicketStatus;
use tongdai::zalo::outbound::SEND_JOB_KIND;

/// Two tickets: one for Sở Tư pháp (branch 3, with evidence), one misconduct report for Sở Nội
/// vụ (branch 1). Returns their codes.
async fn two_tickets(h: &Harness) -> (String, String) {
    let svc = service(&h.db);
    let now = h.clock.now();
    let stp = svc
        .file_complaint(
            &draft_with_evidence("Thủ tục chứng thực chậm trễ", &["https://example.invalid/a.jpg"]),
            "u1",
            now,
        )
        .await
        .unwrap();
    let mut other = draft("Cán bộ một cửa sách nhiễu người dân khi cấp phép");
    other.branch = 1;
    other.citizen_name = Some("Trần Thị Bình".into());
    let snv = svc.file_complaint(&other, "u2", now).await.unwrap();
    assert!(snv.misconduct && !stp.misconduct);
    (stp.code, snv.code)
}

async fn signed_in(h: &Harness, username: &str, role: Role, department: Option<&str>) -> Browser {
    let password = h.user(username, role, department).await;
    h.sign_in(username, &password).await
}

/// Whether the page offers any action form on a ticket.
fn has_action_forms(body: &str) -> bool {
    body.contains(r#"<form method="post" action="/console/tickets/"#)
}

async fn the_inbox_and_ticket_page_follow_the_role(db: TestDb) {
    let h = Harness::new(db);
    let (stp, snv) = two_tickets(&h).await;
    let officer = signed_in(&h, "can.bo.stp", Role::Officer, Some("STP")).await;
    let coordinator_password = h.user("dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let coordinator = h.sign_in("dieu.phoi", &coordinator_password).await;
    let inspector = signed_in(&h, "kiem.tra", Role::Inspector, None).await;
    let admin = signed_in(&h, "quan.tri", Role::Admin, None).await;
    let viewer = signed_in(&h, "lanh.dao", Role::Viewer, Some("SNV")).await;

    // Officer: their department only; another department's ticket does not exist for them.
    let inbox = h.get("/console/tickets", Some(&officer.cookie)).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(inbox.body.contains(&stp) && !inbox.body.contains(&snv), "{}", inbox.body);
    assert!(inbox.body.contains(r#"href="/console/tickets" aria-current="page""#), "the nav link is active");
    assert_eq!(h.get(&format!("/console/tickets/{snv}"), Some(&officer.cookie)).await.status, StatusCode::NOT_FOUND);
    let page = h.get(&format!("/console/tickets/{stp}"), Some(&officer.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["Thủ tục chứng thực chậm trễ", "Bộ phận một cửa", "Chứng thực bản sao", "Nguyễn Văn A", "84912345678"]
    {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(page.body.contains("Đang tải về") && page.body.contains("Ảnh"), "the evidence and its state");
    assert!(!page.body.contains("example.invalid"), "no link to Zalo's file");
    assert!(page.body.contains("Tiếp nhận qua Zalo"), "the history");
    assert!(has_action_forms(&page.body));
    // Typed in lower case, the code still finds the ticket.
    assert_eq!(
        h.get(&format!("/console/tickets/{}", stp.to_lowercase()), Some(&officer.cookie)).await.status,
        StatusCode::OK
    );

    // Coordinator: everything, with forms.
    let inbox = h.get("/console/tickets", Some(&coordinator.cookie)).await;
    assert!(inbox.body.contains(&stp) && inbox.body.contains(&snv));
    assert!(inbox.body.contains("2 phản ánh"), "{}", inbox.body);
    let page = h.get(&format!("/console/tickets/{snv}"), Some(&coordinator.cookie)).await;
    assert!(page.body.contains("Trần Thị Bình") && has_action_forms(&page.body));

    // Inspector: flagged tickets only, read-only (no forms, and posting is refused).
    let inbox = h.get("/console/tickets", Some(&inspector.cookie)).await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains(&snv) && !inbox.body.contains(&stp), "{}", inbox.body);
    assert_eq!(h.get(&format!("/console/tickets/{stp}"), Some(&inspector.cookie)).await.status, StatusCode::NOT_FOUND);
    let page = h.get(&format!("/console/tickets/{snv}"), Some(&inspector.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Trần Thị Bình"), "the inspection team may reach the person reporting");
    assert!(!has_action_forms(&page.body) && page.body.contains("Bạn chỉ được xem"), "{}", page.body);
    for (action, form) in [
        ("reply", vec![("text", "Trả lời thử")]),
        ("note", vec![("text", "ghi chú")]),
        ("forward", vec![("department", "STP"), ("reason", "đúng thẩm quyền")]),
        ("status", vec![("status", "in_progress")]),
        ("close", vec![]),
    ] {
        let mut form = form;
        form.push(("_csrf", inspector.csrf.as_str()));
        let reply = h.post(&format!("/console/tickets/{snv}/{action}"), Some(&inspector.cookie), &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "inspector posting {action}");
    }

    // Administrator: reads everything, no personal data, no forms.
    let page = h.get(&format!("/console/tickets/{stp}"), Some(&admin.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Nguyễn Văn A") && !page.body.contains("84912345678") && !has_action_forms(&page.body));
    let post = h
        .post(&format!("/console/tickets/{stp}/note"), Some(&admin.cookie), &[("_csrf", &admin.csrf), ("text", "x")])
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);

    // Viewer: no tickets at all, and no link to them.
    for path in ["/console/tickets".to_owned(), format!("/console/tickets/{stp}")] {
        let reply = h.get(&path, Some(&viewer.cookie)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert!(reply.body.contains("Không có quyền truy cập"));
    }
    assert!(!h.get("/console/", Some(&viewer.cookie)).await.body.contains(r#"href="/console/tickets""#));

    // Every view of personal data is audited, by whom; the administrator's view showed none.
    let viewed = h.audit(AuditAction::TicketViewed).await;
    let by = |who: &str| viewed.iter().filter(|e| e.actor == who).count();
    assert_eq!((by("can.bo.stp"), by("dieu.phoi"), by("kiem.tra"), by("quan.tri")), (2, 1, 1, 0));
    let entry = viewed.iter().find(|e| e.actor == "can.bo.stp").unwrap();
    assert_eq!(entry.target.as_deref(), Some(format!("ticket:{stp}").as_str()));
    assert!(entry.details["shown"].as_array().unwrap().iter().any(|v| v == "phone"), "{}", entry.details);
    assert!(!entry.details.to_string().contains("84912345678"), "the audit log does not copy the data");

    // Filters, overdue state and the deadline order.
    let flagged = h.get("/console/tickets?flag=misconduct", Some(&coordinator.cookie)).await;
    assert!(flagged.body.contains(&snv) && !flagged.body.contains(&stp));
    let by_branch = h.get("/console/tickets?branch=3&q=chung%20thuc", Some(&coordinator.cookie)).await;
    assert!(by_branch.body.contains(&stp) && !by_branch.body.contains(&snv), "search ignores diacritics");
    let none = h.get("/console/tickets?overdue=yes", Some(&coordinator.cookie)).await;
    assert!(none.body.contains("Không có phản ánh nào khớp"), "{}", none.body);
    let bad = h.get("/console/tickets?status=xong", Some(&coordinator.cookie)).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("Không có trạng thái “xong”"));
    // A ticket filed three days later has a later deadline, so it comes after.
    h.clock.advance(Duration::days(3));
    let coordinator = h.sign_in("dieu.phoi", &coordinator_password).await;
    let later = service(&h.db).file_complaint(&draft("Phí chứng thực cao"), "u3", h.clock.now()).await.unwrap().code;
    let inbox = h.get("/console/tickets", Some(&coordinator.cookie)).await;
    assert!(inbox.body.find(&stp).unwrap() < inbox.body.find(&later).unwrap(), "soonest deadline first");
    h.clock.advance(Duration::days(60));
    let coordinator = h.sign_in("dieu.phoi", &coordinator_password).await;
    let late = h.get("/console/tickets?overdue=yes", Some(&coordinator.cookie)).await;
    assert!(late.body.contains(&stp) && late.body.contains("is-overdue") && late.body.contains("Quá hạn"));
    let page = h.get(&format!("/console/tickets/{stp}"), Some(&coordinator.cookie)).await;
    assert!(page.body.contains("Đã quá hạn") && page.body.contains("deadline-box-overdue"));
}

async fn replying_sends_the_answer_to_the_citizen(db: TestDb) {
    let h = Harness::new(db);
    let (stp, _) = two_tickets(&h).await;
    let officer = signed_in(&h, "can.bo.stp", Role::Officer, Some("STP")).await;
    let path = format!("/console/tickets/{stp}/reply");
    let answer = "Sở Tư pháp đã chấn chỉnh bộ phận một cửa; hồ sơ của Ông/Bà được trả ngày 05/03/2026.";
    let sends_before = jobs_of(&h.db, SEND_JOB_KIND).await.len();

    // The preview shows exactly the message the service sends, and sends nothing.
    let expected = tongdai::tickets::texts::reply_message(&stp, "Sở Tư pháp", answer);
    let preview = h
        .post(&path, Some(&officer.cookie), &[("_csrf", &officer.csrf), ("text", answer), ("intent", "preview")])
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let escaped = expected.replace('/', "&#x2f;");
    assert!(preview.body.contains(&expected) || preview.body.contains(&escaped), "{}", preview.body);
    assert_eq!(jobs_of(&h.db, SEND_JOB_KIND).await.len(), sends_before);

    // An empty answer is refused on the page.
    let empty =
        h.post(&path, Some(&officer.cookie), &[("_csrf", &officer.csrf), ("text", "  "), ("intent", "send")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Hãy nhập nội dung trả lời."));

    let sent =
        h.post(&path, Some(&officer.cookie), &[("_csrf", &officer.csrf), ("text", answer), ("intent", "send")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location.as_deref(), Some(format!("/console/tickets/{stp}").as_str()));
    let sends = jobs_of(&h.db, SEND_JOB_KIND).await;
    assert_eq!(sends.len(), sends_before + 1);
    let job = sends.last().unwrap();
    assert_eq!(job.payload["user_id"], "u1");
    assert!(job.payload.to_string().contains("chấn chỉnh bộ phận một cửa"), "{}", job.payload);
    let ticket = service(&h.db).get(&stp, &Scope::All).await.unwrap();
    assert_eq!(ticket.status, TicketStatus::Answered);
    assert_eq!(ticket.answer_text.as_deref(), Some(answer));
    let page = h.get(&format!("/console/tickets/{stp}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Đã gửi trả lời cho người dân."), "the flash");
    assert!(page.body.contains("Trả lời đã gửi") && page.body.contains("Đã trả lời"));
    assert!(page.body.contains("Kết thúc phản ánh"), "an answered ticket can be closed");

    let changed = h.audit(AuditAction::TicketChanged).await;
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0].actor.as_str(), changed[0].details["change"].as_str()), ("can.bo.stp", Some("reply")));
    assert_eq!(changed[0].target.as_deref(), Some(format!("ticket:{stp}").as_str()));

    // Closing tells the citizen too.
    let close =
        h.post(&format!("/console/tickets/{stp}/close"), Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await;
    assert_eq!(close.status, StatusCode::SEE_OTHER);
    assert_eq!(service(&h.db).get(&stp, &Scope::All).await.unwrap().status, TicketStatus::Closed);
    assert_eq!(jobs_of(&h.db, SEND_JOB_KIND).await.len(), sends_before + 2);
    let page = h.get(&format!("/console/tickets/{stp}"), Some(&officer.cookie)).await;
    assert!(page.body.contains("Đã kết thúc phản ánh") && !has_action_forms(&page.body));
    assert_eq!(h.audit(AuditAction::TicketChanged).await.len(), 2);
}

async fn forwarding_status_and_notes(db: TestDb) {
    let h = Harness::new(db);
    let (stp, _) = two_tickets(&h).await;
    let officer = signed_in(&h, "can.bo.stp", Role::Officer, Some("STP")).await;
    let base = format!("/console/tickets/{stp}");
    let page = h.get(&base, Some(&officer.cookie)).await;
    assert!(page.body.contains(r#"<option value="SNV">Sở Nội vụ</option>"#), "the catalogue's departments");
    assert!(!page.body.contains(r#"<option value="STP">"#), "not the current owner");

    // Without a reason nothing happens.
    let refused = h
        .post(
            &format!("{base}/forward"),
            Some(&officer.cookie),
            &[("_csrf", &officer.csrf), ("department", "SNV"), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(h.get(&base, Some(&officer.cookie)).await.body.contains("Hãy ghi lý do chuyển"));
    assert_eq!(service(&h.db).get(&stp, &Scope::All).await.unwrap().department_code, "STP");

    // A status change, a rejection without reason, a note.
    let status = |s: &'static str, reason: &'static str| {
        [("_csrf", officer.csrf.clone()), ("status", s.to_owned()), ("reason", reason.to_owned())]
    };
    let form = status("in_progress", "");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(h.post(&format!("{base}/status"), Some(&officer.cookie), &form).await.status, StatusCode::SEE_OTHER);
    assert_eq!(service(&h.db).get(&stp, &Scope::All).await.unwrap().status, TicketStatus::InProgress);
    let form = status("rejected", "");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.post(&format!("{base}/status"), Some(&officer.cookie), &form).await;
    assert!(h.get(&base, Some(&officer.cookie)).await.body.contains("Từ chối tiếp nhận cần ghi lý do"));
    assert_eq!(service(&h.db).get(&stp, &Scope::All).await.unwrap().status, TicketStatus::InProgress);
    let note = [("_csrf", officer.csrf.as_str()), ("text", "Đã gọi điện cho bộ phận một cửa")];
    assert_eq!(h.post(&format!("{base}/note"), Some(&officer.cookie), &note).await.status, StatusCode::SEE_OTHER);
    let page = h.get(&base, Some(&officer.cookie)).await;
    assert!(page.body.contains("Đã thêm ghi chú nội bộ.") && page.body.contains("Đã gọi điện cho bộ phận một cửa"));
    assert!(page.body.contains("Cán bộ can.bo.stp"), "who did it");

    // With a reason the ticket moves, and leaves the officer's scope.
    let form = [("_csrf", officer.csrf.as_str()), ("department", "SNV"), ("reason", "Thuộc thẩm quyền Sở Nội vụ")];
    let moved = h.post(&format!("{base}/forward"), Some(&officer.cookie), &form).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let ticket = service(&h.db).get(&stp, &Scope::All).await.unwrap();
    assert_eq!((ticket.department_code.as_str(), ticket.status), ("SNV", TicketStatus::Forwarded));
    assert_eq!(h.get(&base, Some(&officer.cookie)).await.status, StatusCode::NOT_FOUND);
    let again = h.post(&format!("{base}/note"), Some(&officer.cookie), &note).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "no action outside the scope either");
    let coordinator = signed_in(&h, "dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let page = h.get(&base, Some(&coordinator.cookie)).await;
    assert!(page.body.contains("Thuộc thẩm quyền Sở Nội vụ") && page.body.contains("Phiếu chuyển"));

    let changes: Vec<String> = h
        .audit(AuditAction::TicketChanged)
        .await
        .iter()
        .map(|e| e.details["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(changes, vec!["forward", "note", "status"], "newest first; refused actions are not logged");
}

async fn every_ticket_action_needs_the_csrf_token(db: TestDb) {
    let h = Harness::new(db);
    let (stp, _) = two_tickets(&h).await;
    let officer = signed_in(&h, "can.bo.stp", Role::Officer, Some("STP")).await;
    let before = service(&h.db).get(&stp, &Scope::All).await.unwrap();
    for (action, form) in [
        ("reply", vec![("text", "Trả lời"), ("intent", "send")]),
        ("note", vec![("text", "ghi chú")]),
        ("forward", vec![("department", "SNV"), ("reason", "đúng thẩm quyền")]),
        ("status", vec![("status", "in_progress")]),
        ("close", vec![]),
    ] {
        let path = format!("/console/tickets/{stp}/{action}");
        for token in [None, Some("sai-ma")] {
            let mut form = form.clone();
            if let Some(token) = token {
                form.push(("_csrf", token));
            }
            let reply = h.post(&path, Some(&officer.cookie), &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{action} with {token:?}");
            assert!(reply.body.contains(CSRF_PAGE), "{}", reply.body);
        }
    }
    let after = service(&h.db).get(&stp, &Scope::All).await.unwrap();
    assert_eq!(after, before, "nothing changed");
    assert!(h.audit(AuditAction::TicketChanged).await.is_empty());
}

async fn the_inbox_pages_by_twenty_five(db: TestDb) {
    let h = Harness::new(db);
    let svc = service(&h.db);
    for i in 0..27 {
        svc.file_complaint(&draft(&format!("Phản ánh số {i} về thủ tục chứng thực")), "u1", h.clock.now())
            .await
            .unwrap();
    }
    let coordinator = signed_in(&h, "dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let rows = |body: &str| body.matches(r#"class="ticket-code""#).count();
    let first = h.get("/console/tickets?status=received", Some(&coordinator.cookie)).await;
    assert_eq!(rows(&first.body), 25);
    assert!(first.body.contains("27 phản ánh") && first.body.contains("Trang 1 / 2"), "{}", first.body);
    assert!(first.body.contains(r#"href="/console/tickets?status=received&amp;page=2""#), "{}", first.body);
    let second = h.get("/console/tickets?status=received&page=2", Some(&coordinator.cookie)).await;
    assert_eq!(rows(&second.body), 2);
    let beyond = h.get("/console/tickets?status=received&page=9", Some(&coordinator.cookie)).await;
    assert_eq!(rows(&beyond.body), 2, "a page past the end shows the last one");
    assert!(beyond.body.contains("Trang 2 / 2"));
}

on_both_backends!(
    the_inbox_and_ticket_page_follow_the_role,
    the_inbox_pages_by_twenty_five,
    replying_sends_the_answer_to_the_citizen,
    forwarding_status_and_notes,
    every_ticket_action_needs_the_csrf_token,
);

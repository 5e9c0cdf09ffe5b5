//! Scripts: rate limiting, the session timeout (with a kept draft), unfollow, and states saved
//! under an older catalogue.

use super::Ex::*;
use super::In::*;
use super::*;
use crate::bot::catalogue::parse_catalogue;
use crate::bot::state::Intake;

#[test]
fn too_many_messages_get_one_polite_answer_then_silence_until_the_window_passes() {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning()); // the follow is message 1
    let start = chat.now;
    for n in 2..=20 {
        let step = step(&world.ctx(), &chat.state, &BotInput::text("4"), start + Duration::seconds(n));
        assert!(!step.effects.is_empty(), "message {n} is answered");
        chat.state = step.state;
    }
    let before = chat.state.clone();
    let limited = step(&world.ctx(), &chat.state, &BotInput::text("5"), start + Duration::seconds(21));
    assert_eq!(said(&limited).len(), 1);
    assert!(said(&limited)[0].contains("gửi nhiều tin nhắn trong thời gian ngắn"), "{:?}", said(&limited));
    assert!(said(&limited)[0].contains("1 phút"));
    assert_eq!(limited.state.phase, before.phase, "nothing else changes");
    assert_eq!(limited.state.last_input_at, before.last_input_at);
    chat.state = limited.state;
    for (n, input) in [BotInput::text("5"), BotInput::text("#pakn:4"), BotInput::Follow, media(MediaKind::Image)]
        .into_iter()
        .enumerate()
    {
        let silent = step(&world.ctx(), &chat.state, &input, start + Duration::seconds(22 + n as i64));
        assert!(silent.effects.is_empty(), "{input:?} is ignored");
        assert_eq!(silent.state.phase, before.phase);
        chat.state = silent.state;
    }
    // An officer ending the chat and an unfollow are not citizen messages: never limited.
    let officer = step(&world.ctx(), &chat.state, &BotInput::OfficerEnded, start + Duration::seconds(40));
    assert_eq!(officer.state.rate, chat.state.rate);
    // After the window the citizen is answered again.
    let later = step(&world.ctx(), &chat.state, &BotInput::text("5"), start + Duration::seconds(70));
    assert!(said(&later).iter().any(|text| text.contains("Nhánh 5")), "{:?}", said(&later));
    assert_eq!(later.state.rate.count, 1);
    let unfollow = step(&world.ctx(), &chat.state, &BotInput::Unfollow, start + Duration::seconds(41));
    assert_eq!(unfollow.state, ConversationState::default());
    assert!(unfollow.effects.is_empty());
}

#[test]
fn an_idle_conversation_restarts_at_the_main_menu_and_says_so() {
    run_both(
        "timeout at a branch",
        &[
            (T("4"), &[At("branch_menu:4")]),
            (Wait(29), &[]),
            (T("#pakn:4"), &[NotSays("tạm dừng"), At("intake:content")]),
            (T("quay lại"), &[At("branch_menu:4")]),
            (Wait(31), &[]),
            (
                T("xin chào"),
                &[
                    Says("tạm dừng vì quá 30 phút không có tin nhắn"),
                    Says("Ông/Bà cần hỗ trợ về lĩnh vực nào?"),
                    At("main_menu"),
                ],
            ),
            (Wait(45), &[]),
            (T("gì đây"), &[NotSays("tạm dừng"), Says("chưa hiểu")]),
        ],
    );
    run(
        "an action after a timeout is carried out",
        &[
            (T("4"), &[]),
            (Wait(60), &[]),
            (T("6"), &[Says("tạm dừng vì quá 30 phút"), Says("Nhánh 6 – Tài chính công"), At("branch_menu:6")]),
        ],
    );
}

#[test]
fn a_complaint_left_idle_is_kept_as_a_draft_to_resume() {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(
        &mut chat,
        "idle complaint",
        &[
            (T("#pakn:4"), &[]),
            (T("Hồ sơ chứng thực bị từ chối không rõ lý do"), &[]),
            (T("#xong"), &[]),
            (T("UBND xã"), &[At("intake:procedure")]),
            (Wait(40), &[]),
            (T("còn nữa"), &[Says("tạm dừng vì quá 30 phút"), Says("còn một phản ánh đang soạn dở (nhánh 4 – Cải cách thủ tục hành chính, bắt đầu lúc 09:00 ngày 05/01/2026)"), Paused(true), At("main_menu")]),
            (T("Tiếp tục"), &[Says("tiếp tục phản ánh đang soạn"), Says("thủ tục hành chính nào"), At("intake:procedure")]),
            (T("#boqua:thutuc"), &[At("intake:consent")]),
            (Wait(35), &[]),
            (T("#dongy"), &[Says("tạm dừng"), Paused(true), At("main_menu")]),
            (T("#nhap:tieptuc"), &[Says("Đồng ý xử lý dữ liệu cá nhân"), At("intake:consent")]),
            (T("#huy"), &[At("confirm_discard")]),
            (Wait(35), &[]),
            (T("có"), &[Says("tạm dừng"), Paused(true), At("main_menu")]),
        ],
    );
    assert!(chat.filed.is_empty(), "nothing is filed or lost by a timeout");
    let paused = chat.state.paused.as_ref().expect("kept");
    assert_eq!(paused.draft.place.as_deref(), Some("UBND xã"));
}

#[test]
fn unfollow_resets_everything_silently() {
    for script in [
        &[(T("#pakn:4"), &[][..]), (T("abc"), &[]), (Unfollow, &[Nothing])][..],
        &[(T("#canbo:4"), &[][..]), (Unfollow, &[Kinds(&["end"])])][..],
        &[(T("4"), &[][..]), (Unfollow, &[Nothing])][..],
    ] {
        let world = World::new();
        let mut chat = Chat::welcomed(&world, monday_morning());
        run_on(&mut chat, "unfollow", script);
        assert_eq!(chat.state, ConversationState::default());
        run_on(&mut chat, "follow again", &[(Follow, &[Says("Kính chào Ông/Bà"), At("main_menu"), Paused(false)])]);
    }
}

#[test]
fn a_state_saved_under_an_older_catalogue_is_repaired() {
    let small = parse_catalogue(
        "hotline = \"1900 1234\"\n[[department]]\ncode = \"A\"\nname = \"Sở A\"\n\
         [[branch]]\nnumber = 1\ntitle = \"Đất đai\"\nshort_title = \"Đất đai\"\ndepartment = \"A\"\nduties = [\"Đất\"]\n\
         [[branch]]\nnumber = 2\ntitle = \"Xây dựng\"\nshort_title = \"Xây dựng\"\ndepartment = \"A\"\nduties = [\"Nhà\"]\n",
        "small.toml",
    )
    .expect("valid");
    let world = World { catalogue: small, ..World::new() };
    let now = monday_morning();
    let mut intake = Intake::new(7, now);
    intake.draft.content.push("Nội dung đã soạn".into());
    let stored = ConversationState {
        phase: Phase::Intake(intake.clone()),
        welcomed: true,
        last_input_at: Some(now),
        ..Default::default()
    };
    let mut chat = Chat { world: &world, state: stored, now, filed: Vec::new() };
    run_on(
        &mut chat,
        "rehome",
        &[
            (
                T("thêm nội dung"),
                &[Says("Danh mục lĩnh vực đã thay đổi"), Button("#pakn:1"), Button("#pakn:2"), At("picking:rehome")],
            ),
            (T("2"), &[Says("tiếp tục phản ánh đang soạn"), At("intake:content")]),
        ],
    );
    let Phase::Intake(repaired) = &chat.state.phase else { panic!("in intake") };
    assert_eq!(repaired.draft.branch, 2);
    assert_eq!(repaired.draft.content, vec!["Nội dung đã soạn"]);
    // Menus of vanished branches fall back to the main menu; a kept draft is re-homed on resume.
    let stored = ConversationState {
        phase: Phase::BranchMenu { branch: 8, offered_text: None },
        welcomed: true,
        last_input_at: Some(now),
        paused: Some(intake),
        ..Default::default()
    };
    let mut chat = Chat { world: &world, state: stored, now, filed: Vec::new() };
    run_on(
        &mut chat,
        "vanished branch",
        &[
            (T("abc"), &[Says("chưa hiểu"), At("main_menu")]),
            (T("#nhap:tieptuc"), &[Says("Danh mục lĩnh vực đã thay đổi"), At("picking:rehome")]),
            (T("quay lại"), &[Paused(true), At("main_menu")]),
        ],
    );
}

//! Scripts: talking to an officer in and outside office hours (weekends, make-up Saturdays,
//! Tết), relaying texts and media without menus, ending with confirmation, the officer ending.

use super::Ex::*;
use super::In::*;
use super::*;

#[test]
fn an_officer_chat_in_office_hours() {
    run_both(
        "handoff",
        &[
            (T("4"), &[At("branch_menu:4")]),
            (
                T("#canbo:4"),
                &[
                    Hands(4, "VPUBND"),
                    Kinds(&["start", "send"]),
                    Says("cán bộ Văn phòng UBND tỉnh"),
                    Says("trả lời Ông/Bà ngay tại đây trong giờ làm việc"),
                    Says("gõ «kết thúc»"),
                    NotSays("ngoài giờ"),
                    At("handoff"),
                ],
            ),
            (T("Hồ sơ của tôi đến đâu rồi ạ?"), &[Kinds(&["relay"]), At("handoff")]),
            (Media(MediaKind::Image), &[Relays(None), Kinds(&["relay"])]),
            (Location, &[Kinds(&["relay"])]),
            (Sticker, &[Nothing, At("handoff")]),
            (T("trợ giúp"), &[Kinds(&["relay"])]),
            (T("1"), &[Kinds(&["relay"])]),
            (T("PA-2026-7K3Q9X"), &[Kinds(&["relay", "lookup"]), Looks("PA-2026-7K3Q9X")]),
            (T("mã PA-2026-7K3Q9X xử lý đến đâu rồi"), &[Kinds(&["relay"])]),
            (T("#nhanh:2"), &[Says("đang trò chuyện với cán bộ"), Kinds(&["send"]), At("handoff")]),
            (
                T("menu"),
                &[Says("kết thúc trò chuyện với cán bộ"), Button("#ketthuc"), Button("#tieptuc"), At("handoff_ending")],
            ),
            (T("#tieptuc"), &[Says("tiếp tục nhắn tin"), At("handoff")]),
            (T("kết thúc"), &[At("handoff_ending")]),
            (T("một câu hỏi nữa"), &[Kinds(&["relay"]), At("handoff")]),
            (T("kết thúc"), &[At("handoff_ending")]),
            (
                T("có"),
                &[Kinds(&["end", "send", "send", "send"]), Says("Đã kết thúc trò chuyện với cán bộ"), At("main_menu")],
            ),
        ],
    );
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    chat.say("#canbo:4");
    let relayed = chat.say("Hồ sơ của tôi đến đâu rồi ạ?");
    assert_eq!(
        relayed.effects,
        vec![Effect::RelayToOfficer {
            text: Some("Hồ sơ của tôi đến đâu rồi ạ?".into()), evidence: None
        }]
    );
    let photo = chat.send(BotInput::Media {
        kind: MediaKind::Image,
        evidence: Evidence::Image { url: "https://z/p".into(), msg_id: None },
        caption: Some("Biên nhận".into()),
    });
    assert_eq!(
        photo.effects,
        vec![Effect::RelayToOfficer {
            text: Some("Biên nhận".into()),
            evidence: Some(Evidence::Image { url: "https://z/p".into(), msg_id: None })
        }]
    );
}

#[test]
fn menu_twice_or_the_end_button_twice_ends_the_chat() {
    run(
        "menu menu",
        &[
            (T("#canbo:6"), &[Hands(6, "STC")]),
            (T("menu"), &[At("handoff_ending")]),
            (T("menu"), &[Kinds(&["end", "send", "send", "send"]), At("main_menu")]),
        ],
    );
    run(
        "buttons",
        &[
            (T("#canbo:6"), &[]),
            (T("#ketthuc"), &[At("handoff_ending")]),
            (T("#ketthuc"), &[Kinds(&["end", "send", "send", "send"]), At("main_menu")]),
            (T("#ketthuc"), &[Says("chưa hiểu ý Ông/Bà"), At("main_menu")]),
        ],
    );
}

#[test]
fn asking_for_an_officer_without_a_branch_asks_which_one() {
    run_both(
        "officer from the main menu",
        &[
            (
                T("gặp cán bộ"),
                &[
                    Says("trao đổi với cán bộ của lĩnh vực nào"),
                    Button("#canbo:1"),
                    Button("#canbo:8"),
                    At("picking:officer"),
                ],
            ),
            (T("hmm"), &[At("picking:officer")]),
            (T("7"), &[Hands(7, "STTTT"), At("handoff")]),
        ],
    );
    run_both("officer from a branch", &[(T("3"), &[]), (T("tôi muốn gặp cán bộ"), &[Hands(3, "STP"), At("handoff")])]);
    run(
        "officer payload without branch",
        &[(T("#canbo"), &[At("picking:officer")]), (T("#canbo:2"), &[Hands(2, "HHDN")])],
    );
    run_both(
        "changing one's mind while picking",
        &[
            (T("gặp cán bộ"), &[At("picking:officer")]),
            (T("phản ánh"), &[Button("#pakn:4"), At("picking:complaint")]),
            (T("gặp cán bộ"), &[Button("#canbo:4"), At("picking:officer")]),
        ],
    );
}

#[test]
fn outside_office_hours_the_citizen_is_told_when_an_officer_answers() {
    let cases = [
        // Monday evening → Tuesday morning.
        (vn(2026, 1, 5, 20, 0), "từ 07:00 ngày mai (thứ Ba, 06/01/2026)"),
        // Monday lunch break → this afternoon.
        (vn(2026, 1, 5, 12, 0), "từ 13:30 hôm nay (thứ Hai, 05/01/2026)"),
        // Monday before opening → this morning.
        (vn(2026, 1, 5, 6, 0), "từ 07:00 hôm nay (thứ Hai, 05/01/2026)"),
        // Friday evening before a make-up working Saturday → Saturday.
        (vn(2026, 1, 9, 18, 0), "từ 07:00 ngày mai (thứ Bảy, 10/01/2026)"),
        // Friday evening of an ordinary week → Monday.
        (vn(2026, 1, 16, 18, 0), "từ 07:00 thứ Hai, 19/01/2026"),
        // Friday before Tết → the Monday after the holiday block.
        (vn(2026, 2, 13, 18, 0), "từ 07:00 thứ Hai, 23/02/2026"),
        // New Year's Day → Monday 05/01.
        (vn(2026, 1, 1, 10, 0), "từ 07:00 thứ Hai, 05/01/2026"),
    ];
    let world = World::new();
    for (at, expected) in cases {
        let mut chat = Chat::welcomed(&world, at);
        run_on(
            &mut chat,
            expected,
            &[(T("#canbo:5"), &[Hands(5, "SNV"), Says("ngoài giờ làm việc"), Says(expected), At("handoff")])],
        );
    }
}

#[test]
fn the_officer_may_end_the_chat() {
    run(
        "officer ends",
        &[
            (T("#canbo:1"), &[]),
            (T("xin chào cán bộ"), &[Kinds(&["relay"])]),
            (
                OfficerEnded,
                &[Says("Cán bộ đã kết thúc cuộc trò chuyện"), Button("#menu"), Kinds(&["send"]), At("main_menu")],
            ),
            (OfficerEnded, &[Nothing, At("main_menu")]),
            (T("4"), &[At("branch_menu:4")]),
        ],
    );
}

#[test]
fn a_chat_survives_long_pauses_with_a_reminder() {
    run(
        "idle chat",
        &[
            (T("#canbo:4"), &[At("handoff")]),
            (Wait(180), &[]),
            (
                T("Cán bộ ơi, tôi vẫn chờ"),
                &[Kinds(&["relay", "send"]), Says("tin nhắn của Ông/Bà được chuyển đến cán bộ"), At("handoff")],
            ),
            (T("thêm thông tin"), &[Kinds(&["relay"])]),
            (Follow, &[Nothing, At("handoff")]),
            (Info(Some("An"), Some("0912345678")), &[Nothing, At("handoff")]),
        ],
    );
}

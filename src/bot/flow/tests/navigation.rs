//! Scripts: welcome, main menu, picking branches, branch menus, help, back, cancel, unknown
//! input, forged payloads, chit-chat, media outside a complaint, and looking up a complaint.

use super::Ex::*;
use super::In::*;
use super::*;

const MENU_LISTS_ALL: &[Ex] = &[
    Says("1. Công tác chỉ đạo điều hành (Sở Nội vụ)"),
    Says("4. Cải cách TTHC (Văn phòng UBND tỉnh)"),
    Says("8. ISO (Sở Khoa học và Công nghệ)"),
    Button("#nhanh:1"),
    Button("#nhanh:2"),
    Button("#nhanh:3"),
    Button("#nhanh:4"),
    Button("#nhanh:5"),
    Button("#nhanh:6"),
    Button("#nhanh:7"),
    Button("#nhanh:8"),
    At("main_menu"),
];

#[test]
fn follow_and_chat_now_welcome_and_show_the_eight_branches() {
    let world = World::new();
    for input in [Follow, ChatNow] {
        let mut chat = Chat::new(&world, monday_morning());
        run_on(&mut chat, "welcome", &[(input, &[Says("Kính chào Ông/Bà"), Says("0939 015 599")])]);
        run_on(&mut chat, "menu after welcome", &[(T("menu"), MENU_LISTS_ALL)]);
    }
    let mut chat = Chat::new(&world, monday_morning());
    let step = chat.send(BotInput::Follow);
    for expectation in MENU_LISTS_ALL {
        check(&chat, &step, expectation).unwrap_or_else(|failure| panic!("{failure}"));
    }
    // At most five buttons per message, all eight reachable by one tap.
    for message in step.messages() {
        if let OutboundMessage::Buttons { buttons, .. } = message {
            assert!(buttons.len() <= 5, "{message:?}");
        }
    }
}

#[test]
fn the_first_message_of_a_new_citizen_gets_the_welcome_too() {
    let world = World::new();
    let cases: &[(&str, &[Ex])] = &[
        ("xin chào", &[Says("Kính chào Ông/Bà"), Says("Ông/Bà cần hỗ trợ về lĩnh vực nào?"), NotSays("chưa hiểu")]),
        ("alo", &[Says("Kính chào Ông/Bà"), At("main_menu")]),
        ("4", &[Says("Kính chào Ông/Bà"), Says("Nhánh 4 – Cải cách TTHC"), At("branch_menu:4")]),
        (
            "bla bla bla bla",
            &[Says("Kính chào Ông/Bà"), Says("Ông/Bà cần hỗ trợ về lĩnh vực nào?"), NotSays("chưa hiểu")],
        ),
        ("PA-2026-7K3Q9X", &[Says("Kính chào Ông/Bà"), Looks("PA-2026-7K3Q9X")]),
        ("phản ánh", &[Says("Kính chào Ông/Bà"), At("picking:complaint")]),
    ];
    for (text, expectations) in cases {
        let mut chat = Chat::new(&world, monday_morning());
        run_on(&mut chat, text, &[(T(text), expectations)]);
        assert!(chat.state.welcomed);
    }
    let mut chat = Chat::new(&world, monday_morning());
    run_on(&mut chat, "sticker first", &[(Sticker, &[Says("Kính chào Ông/Bà"), At("main_menu")])]);
}

#[test]
fn a_branch_is_one_tap_one_number_or_a_few_words_away() {
    let ways = [
        "4",
        "4.",
        "nhánh 4",
        "Nhánh số 4",
        "nhanh so 4",
        "số 4",
        "nhánh số bốn",
        "nhanh so bon",
        "#nhanh:4",
        "Cải cách thủ tục hành chính",
        "cai cach thu tuc",
        "cải cách TTHC",
        "một cửa liên thông",
        "tôi chọn 4 ạ",
    ];
    for way in ways {
        run(
            way,
            &[(
                T(way),
                &[
                    Says("Nhánh 4 – Cải cách TTHC"),
                    Says("Đơn vị phụ trách: Văn phòng UBND tỉnh"),
                    Says("Tiếp nhận các thông tin liên quan đến công tác cải cách TTHC"),
                    Button("#pakn:4"),
                    Button("#tracuu"),
                    Button("#canbo:4"),
                    Button("#menu"),
                    At("branch_menu:4"),
                ],
            )],
        );
    }
    let others =
        [("doanh nghiep", 2), ("Tài chính công", 6), ("ung dung cong nghe thong tin", 7), ("ISO", 8), ("nhanh 1", 1)];
    for (way, number) in others {
        let world = World::new();
        let mut chat = Chat::welcomed(&world, monday_morning());
        chat.say(way);
        assert_eq!(phase_name(&chat.state.phase), format!("branch_menu:{number}"), "{way}");
    }
}

#[test]
fn the_branch_menu_has_a_call_button_with_the_branch_contact() {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    let step = chat.say("2");
    let call = step.messages().find_map(|message| match message {
        OutboundMessage::Buttons { buttons, .. } => {
            buttons.iter().find(|b| matches!(b.action, OutAction::Call(_))).map(|b| (b.title.clone(), b.action.clone()))
        }
        _ => None,
    });
    assert_eq!(call, Some(("Gọi 0939 015 599".into(), OutAction::Call("0939015599".into()))));
}

#[test]
fn ambiguous_choices_are_asked_about() {
    run_both(
        "ambiguous",
        &[
            (T("cải cách"), &[Says("có thể thuộc các nhánh sau"), Button("#menu"), At("choosing_branch")]),
            (T("4"), &[At("branch_menu:4")]),
        ],
    );
    run_both(
        "ambiguous by department",
        &[
            (T("Sở Nội vụ"), &[Button("#nhanh:1"), Button("#nhanh:5"), At("choosing_branch")]),
            (T("#nhanh:5"), &[Says("Nhánh 5 – Tổ chức bộ máy và đào tạo"), At("branch_menu:5")]),
        ],
    );
}

#[test]
fn unknown_input_explains_what_the_bot_can_do_instead_of_repeating_the_menu() {
    run_both(
        "unknown short",
        &[(
            T("abc xyz"),
            &[
                Says("chưa hiểu ý Ông/Bà"),
                Says("gõ «phản ánh»"),
                Says("PA-2026-7K3Q9X"),
                NotSays("Ông/Bà cần hỗ trợ về lĩnh vực nào?"),
                Button("#menu"),
                At("main_menu"),
            ],
        )],
    );
    run_both("no such branch", &[(T("9"), &[Says("Không có nhánh số 9"), Button("#menu"), At("main_menu")])]);
    // A long message may be a complaint: offered, and kept as its first message when accepted.
    run_both(
        "long unknown is offered as a complaint",
        &[
            (
                T("sáng nay tôi chờ cả buổi mà chưa ai tiếp"),
                &[Says("Gửi làm phản ánh"), Button("#pakn"), At("main_menu_offer")],
            ),
            (T("#pakn"), &[Says("thuộc lĩnh vực nào"), At("picking:complaint")]),
            (T("4"), &[Says("đã ghi nhận nội dung Ông/Bà vừa gửi"), At("intake:content")]),
            (T("#xong"), &[At("intake:place")]),
        ],
    );
}

#[test]
fn forged_and_stale_payloads_are_unknown_input() {
    for payload in [
        "#nhanh:9",
        "#nhanh:0",
        "#nhanh:abc",
        "#pakn:99",
        "#canbo:12",
        "#gui:123",
        "#xong",
        "#dongy",
        "#bo:5",
        "#giulai",
        "#nhap:tieptuc",
        "#ketthuc",
        "#tieptuc",
        "#sua:noi",
        "#lol",
    ] {
        run(payload, &[(T(payload), &[Says("chưa hiểu ý Ông/Bà"), Kinds(&["send"]), At("main_menu")])]);
    }
    for payload in ["#xong", "#gui:1", "#nhanh:42"] {
        run(
            payload,
            &[
                (T("6"), &[At("branch_menu:6")]),
                (T(payload), &[Says("chưa hiểu ý Ông/Bà"), Button("#pakn:6"), Kinds(&["send"]), At("branch_menu:6")]),
            ],
        );
    }
}

#[test]
fn help_back_cancel_and_menu_from_the_menus() {
    run_both(
        "help",
        &[
            (T("4"), &[At("branch_menu:4")]),
            (T("trợ giúp"), &[Says("Hướng dẫn sử dụng"), Says("«hủy»"), Says("«quay lại»"), At("branch_menu:4")]),
            (T("?"), &[Says("Hướng dẫn sử dụng")]),
            (T("#giup"), &[Says("Hướng dẫn sử dụng")]),
        ],
    );
    run_both(
        "back and cancel",
        &[
            (T("4"), &[At("branch_menu:4")]),
            (T("quay lại"), &[At("main_menu"), Button("#nhanh:1")]),
            (T("5"), &[At("branch_menu:5")]),
            (T("hủy"), &[At("main_menu")]),
            (T("6"), &[At("branch_menu:6")]),
            (T("0"), MENU_LISTS_ALL),
            (T("7"), &[At("branch_menu:7")]),
            (T("Menu"), MENU_LISTS_ALL),
            (T("tra cứu"), &[At("awaiting_code")]),
            (T("quay lại"), &[At("main_menu")]),
            (T("quay lại"), &[At("main_menu")]),
            (T("hủy"), &[At("main_menu")]),
        ],
    );
    run(
        "back from the code question returns to the branch",
        &[
            (T("3"), &[At("branch_menu:3")]),
            (T("#tracuu"), &[At("awaiting_code")]),
            (T("#lai"), &[At("branch_menu:3")]),
        ],
    );
}

#[test]
fn chit_chat_gets_a_polite_answer() {
    run_both(
        "chit-chat",
        &[
            (T("xin chào"), &[Says("Xin chào Ông/Bà"), Says("Ông/Bà cần hỗ trợ về lĩnh vực nào?")]),
            (T("cảm ơn nhé"), &[Says("Cảm ơn Ông/Bà đã liên hệ"), Button("#menu")]),
        ],
    );
}

#[test]
fn stickers_media_and_locations_outside_a_complaint_get_a_friendly_answer() {
    let cases: &[(In, &[Ex])] = &[
        (Sticker, &[Says("Cảm ơn Ông/Bà!"), Button("#menu"), At("main_menu")]),
        (Media(MediaKind::Image), &[Says("Chúng tôi đã nhận ảnh"), Button("#pakn")]),
        (Media(MediaKind::Gif), &[Says("Chúng tôi đã nhận ảnh động")]),
        (Media(MediaKind::Video), &[Says("Chúng tôi đã nhận video")]),
        (Media(MediaKind::Audio), &[Says("chưa nghe được tin nhắn thoại")]),
        (Media(MediaKind::Link), &[Says("Chúng tôi đã nhận đường liên kết")]),
        (Media(MediaKind::File), &[Says("Chúng tôi đã nhận tệp")]),
        (Location, &[Says("đã nhận vị trí"), Button("#pakn")]),
        (Info(Some("An"), Some("0912345678")), &[Says("không lưu thông tin vừa gửi"), Paused(false)]),
        (Unsupported, &[Says("chưa đọc được loại tin nhắn này")]),
        (OfficerEnded, &[Nothing]),
    ];
    for (input, expectations) in cases {
        run(&format!("{input:?}"), &[(input.clone(), expectations)]);
    }
}

#[test]
fn looking_up_a_complaint_by_code_from_anywhere() {
    run_both(
        "lookup",
        &[
            (T("tra cứu"), &[Says("gõ mã phản ánh"), At("awaiting_code")]),
            (T("ma cua toi la 123"), &[Says("Mã phản ánh chưa đúng"), At("awaiting_code")]),
            (T("pa 2026 7k3q9x"), &[Looks("PA-2026-7K3Q9X"), Kinds(&["lookup"]), At("main_menu")]),
            (T("4"), &[At("branch_menu:4")]),
            (T("Tra cứu PA-2026-000123 giúp tôi"), &[Looks("PA-2026-000123"), Kinds(&["lookup"]), At("branch_menu:4")]),
            (T("#tracuu"), &[At("awaiting_code")]),
            (T("PA2026-ABCDEF"), &[Looks("PA-2026-ABCDEF"), At("branch_menu:4")]),
            (T("#tracuu:PA-2026-7K3Q9X"), &[Looks("PA-2026-7K3Q9X")]),
        ],
    );
}

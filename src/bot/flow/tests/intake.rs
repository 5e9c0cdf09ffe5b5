//! Scripts: writing a complaint end to end (buttons, typing, Zalo's form), consent given and
//! refused, phone errors, attachments and the cap, misconduct and khiếu nại/tố cáo notes, edits,
//! back, cancel with confirmation, "Huy" as a name, and keeping a draft for later.

use super::Ex::*;
use super::In::*;
use super::*;
use crate::bot::state::IntakeStep;
use crate::tickets::draft::Consent;

/// The complaint the last script filed.
fn filed_by(script: &[(In, &[Ex])]) -> ComplaintDraft {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(&mut chat, "filing", script);
    assert_eq!(chat.filed.len(), 1, "exactly one complaint filed");
    chat.filed.remove(0)
}

const HAPPY_PATH_WITH_BUTTONS: &[(In, &[Ex])] = &[
    (T("4"), &[At("branch_menu:4")]),
    (
        T("#pakn:4"),
        &[
            Says("Gửi phản ánh, kiến nghị – nhánh 4 – Cải cách thủ tục hành chính"),
            Button("#xong"),
            Button("#huy"),
            At("intake:content"),
        ],
    ),
    (
        T("Hồ sơ đăng ký kinh doanh của tôi nộp từ 02/01 đến nay quá hẹn."),
        &[Says("Đã ghi nhận (1/20)"), Button("#xong")],
    ),
    (T("Tôi đã hỏi nhiều lần nhưng không được trả lời."), &[Says("Đã ghi nhận (2/20)")]),
    (Media(MediaKind::Image), &[Says("Đã nhận ảnh (3/20)"), At("intake:content")]),
    (
        T("#xong"),
        &[Says("cơ quan, địa điểm nào"), Button("#boqua:noi"), Button("#lai"), Button("#huy"), At("intake:place")],
    ),
    (
        T("Bộ phận một cửa UBND xã Vị Thủy"),
        &[Says("thủ tục hành chính nào"), Button("#boqua:thutuc"), At("intake:procedure")],
    ),
    (
        T("#boqua:thutuc"),
        &[Says("Đồng ý xử lý dữ liệu cá nhân"), Button("#dongy"), Button("#khongdongy"), At("intake:consent")],
    ),
    (T("#dongy"), &[Form, Says("gõ họ tên"), At("intake:name")]),
    (T("Nguyễn Văn An"), &[Says("Cảm ơn Ông/Bà Nguyễn Văn An"), Says("số điện thoại di động"), At("intake:phone")]),
    (
        T("0912 345 678"),
        &[
            Says("kiểm tra lại phản ánh"),
            Says("Lĩnh vực: nhánh 4 – Cải cách thủ tục hành chính (Văn phòng UBND tỉnh)"),
            Says("Nội dung: Hồ sơ đăng ký kinh doanh"),
            Says("Đính kèm: 1 ảnh"),
            Says("Cơ quan, địa điểm: Bộ phận một cửa UBND xã Vị Thủy"),
            Says("Thủ tục: không nêu"),
            Says("Người gửi: Nguyễn Văn An – 0912 345 678"),
            Button("#sua"),
            Button("#huy"),
            NotSays("Tổ Kiểm tra"),
            NotSays("Luật Khiếu nại"),
            At("intake:summary"),
        ],
    ),
    (SubmitCurrent, &[Files, Kinds(&["file"]), At("main_menu")]),
];

#[test]
fn a_complaint_with_buttons_from_a_branch_menu_is_filed() {
    let draft = filed_by(HAPPY_PATH_WITH_BUTTONS);
    assert_eq!(draft.branch, 4);
    assert_eq!(
        draft.content,
        vec![
            "Hồ sơ đăng ký kinh doanh của tôi nộp từ 02/01 đến nay quá hẹn.",
            "Tôi đã hỏi nhiều lần nhưng không được trả lời."
        ]
    );
    assert_eq!(draft.evidence.len(), 1);
    assert_eq!(draft.place.as_deref(), Some("Bộ phận một cửa UBND xã Vị Thủy"));
    assert_eq!(draft.procedure, None);
    assert_eq!(draft.citizen_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(draft.phone.as_deref(), Some("84912345678"));
    match &draft.consent {
        Consent::Given { text_version, at } => {
            assert_eq!(text_version, "2026-01");
            assert!(*at > monday_morning() && *at < monday_morning() + Duration::minutes(5));
        }
        other => panic!("consent given expected, got {other:?}"),
    }
    assert!(draft.started_at > monday_morning());
}

#[test]
fn a_complaint_typed_from_anywhere_with_and_without_diacritics() {
    let script: &[(In, &[Ex])] = &[
        (T("phản ánh"), &[Says("thuộc lĩnh vực nào"), Button("#pakn:1"), Button("#pakn:8"), At("picking:complaint")]),
        (T("6"), &[Says("nhánh 6 – Tài chính công"), At("intake:content")]),
        (T("Phí thẩm định ở xã thu cao hơn mức niêm yết"), &[Says("Đã ghi nhận (1/20)")]),
        (T("xong"), &[At("intake:place")]),
        (T("bỏ qua"), &[At("intake:procedure")]),
        (T("Cấp giấy chứng nhận quyền sử dụng đất"), &[At("intake:consent")]),
        (T("đồng ý"), &[Form, At("intake:name")]),
        (T("Huy"), &[Says("Cảm ơn Ông/Bà Huy"), At("intake:phone")]),
        (
            T("0912345678"),
            &[
                Says("Người gửi: Huy – 0912 345 678"),
                Echoes("Thủ tục: Cấp giấy chứng nhận quyền sử dụng đất"),
                Echoes("Nội dung: Phí thẩm định ở xã thu cao hơn mức niêm yết"),
                At("intake:summary"),
            ],
        ),
        (T("gửi"), &[Files, At("main_menu")]),
    ];
    run_both("typed complaint", script);
    let draft = filed_by(script);
    assert_eq!(draft.branch, 6);
    assert_eq!(draft.procedure.as_deref(), Some("Cấp giấy chứng nhận quyền sử dụng đất"));
    assert_eq!(draft.place, None);
    assert_eq!(draft.citizen_name.as_deref(), Some("Huy"));
}

#[test]
fn the_words_that_start_a_complaint() {
    for opener in [
        "phản ánh",
        "phan anh",
        "kiến nghị",
        "kien nghi",
        "khiếu nại",
        "khieu nai",
        "góp ý",
        "gop y",
        "tôi muốn phản ánh",
    ] {
        run(opener, &[(T(opener), &[At("picking:complaint")])]);
        // From a branch menu the branch is known.
        run(opener, &[(T("7"), &[At("branch_menu:7")]), (T(opener), &[Says("nhánh 7"), At("intake:content")])]);
    }
}

#[test]
fn a_complaint_that_tells_its_story_suggests_the_branch_and_keeps_the_text() {
    let script: &[(In, &[Ex])] = &[
        (
            T("Tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ"),
            &[
                Says("có thể thuộc nhánh 1 – Chỉ đạo điều hành"),
                Button("#pakn:1"),
                Button("#pakn"),
                At("picking:complaint"),
            ],
        ),
        (T("đúng"), &[Says("đã ghi nhận nội dung Ông/Bà vừa gửi"), At("intake:content")]),
        (T("xong"), &[At("intake:place")]),
        (T("#boqua:noi"), &[At("intake:procedure")]),
        (T("#boqua:thutuc"), &[At("intake:consent")]),
        (
            T("#khongdongy"),
            &[Says("không được xem xét, trả lời chính thức"), Says("Tổ Kiểm tra đột xuất"), At("intake:summary")],
        ),
        (SubmitCurrent, &[Files]),
    ];
    run("story", script);
    let draft = filed_by(script);
    assert_eq!(draft.branch, 1);
    assert_eq!(draft.content, vec!["Tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ"]);
    // Another branch can be chosen instead of the suggestion.
    run(
        "other branch",
        &[
            (T("tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ"), &[At("picking:complaint")]),
            (T("#pakn"), &[Says("thuộc lĩnh vực nào"), At("picking:complaint")]),
            (T("#pakn:4"), &[Says("đã ghi nhận nội dung"), At("intake:content")]),
        ],
    );
}

#[test]
fn refusing_consent_files_without_personal_data_and_says_what_it_means() {
    let script: &[(In, &[Ex])] = &[
        (T("#pakn:2"), &[At("intake:content")]),
        (T("Thủ tục cấp phép cho doanh nghiệp quá nhiều giấy tờ"), &[]),
        (T("#xong"), &[]),
        (T("#boqua:noi"), &[]),
        (T("#boqua:thutuc"), &[At("intake:consent")]),
        (
            T("không"),
            &[
                Says("sẽ không thu thập họ tên, số điện thoại"),
                Says("chỉ được ghi nhận làm thông tin tham khảo"),
                Says("Người gửi: không cung cấp"),
                NotSays("Tổ Kiểm tra"),
                At("intake:summary"),
            ],
        ),
        (SubmitCurrent, &[Files]),
    ];
    run_both("refused", script);
    let draft = filed_by(script);
    assert!(matches!(draft.consent, Consent::Refused { ref text_version, .. } if text_version == "2026-01"));
    assert_eq!((draft.citizen_name, draft.phone), (None, None));
}

#[test]
fn unclear_consent_answers_are_asked_again() {
    run(
        "unclear consent",
        &[
            (T("#pakn:3"), &[]),
            (T("Văn bản hướng dẫn chưa rõ"), &[]),
            (T("#xong"), &[]),
            (T("#boqua:noi"), &[]),
            (T("#boqua:thutuc"), &[At("intake:consent")]),
            (T("để tôi xem"), &[Says("vui lòng bấm «Đồng ý» hoặc «Không đồng ý»"), At("intake:consent")]),
            (Sticker, &[Says("Đồng ý xử lý dữ liệu cá nhân"), At("intake:consent")]),
        ],
    );
}

/// Up to the name question of a complaint to branch 5.
const TO_NAME: &[(In, &[Ex])] = &[
    (T("#pakn:5"), &[]),
    (T("Lớp bồi dưỡng bị hủy không báo trước"), &[]),
    (T("#xong"), &[]),
    (T("#boqua:noi"), &[]),
    (T("#boqua:thutuc"), &[]),
    (T("#dongy"), &[At("intake:name")]),
];

fn run_from_name(name: &str, rest: &[(In, &[Ex])]) {
    let script: Vec<(In, &[Ex])> = TO_NAME.iter().cloned().chain(rest.iter().cloned()).collect();
    run(name, &script);
}

#[test]
fn zalos_form_gives_name_and_phone() {
    run_from_name(
        "form",
        &[(
            Info(Some("Trần Thị Bích"), Some("84987654321")),
            &[Says("Người gửi: Trần Thị Bích – 0987 654 321"), At("intake:summary")],
        )],
    );
    run_from_name(
        "form without a phone",
        &[
            (Info(Some("Trần Thị Bích"), None), &[Says("mẫu không có số điện thoại"), At("intake:phone")]),
            (T("0987654321"), &[At("intake:summary")]),
        ],
    );
    run_from_name(
        "form with a landline",
        &[
            (Info(Some("Trần Thị Bích"), Some("02933876543")), &[Says("số máy bàn"), At("intake:phone")]),
            (Info(Some("Trần Thị Bích"), Some("0987654321")), &[At("intake:summary")]),
        ],
    );
    run_from_name("form without a name", &[(Info(None, Some("0987654321")), &[Form, At("intake:name")])]);
}

#[test]
fn typed_names_and_phones_are_checked_and_asked_again_clearly() {
    run_from_name(
        "typed",
        &[
            (T("1"), &[Says("Họ tên chưa hợp lệ"), At("intake:name")]),
            (T("Lê Văn Cường 0912 345 678"), &[Says("Người gửi: Lê Văn Cường – 0912 345 678"), At("intake:summary")]),
        ],
    );
    run_from_name(
        "bad phones",
        &[
            (T("Lê Văn Cường"), &[At("intake:phone")]),
            (T("091234567"), &[Says("Số điện thoại chưa đúng: Số di động phải có 10 chữ số"), At("intake:phone")]),
            (T("0951234567"), &[Says("Đầu số 095 không phải đầu số di động"), At("intake:phone")]),
            (T("số tôi là abc"), &[Says("Số điện thoại chưa đúng"), At("intake:phone")]),
            (T("+84 912 345 678"), &[Says("0912 345 678"), At("intake:summary")]),
        ],
    );
}

#[test]
fn huy_is_a_name_while_the_cancel_button_still_cancels() {
    for name in ["Huy", "huy", "Hủy", "HUY", "Thoát"] {
        run_from_name(name, &[(T(name), &[At("intake:phone"), NotSays("bỏ phản ánh")])]);
    }
    run_from_name(
        "cancel button",
        &[
            (T("#huy"), &[Says("có chắc muốn bỏ phản ánh"), At("confirm_discard")]),
            (T("#giulai"), &[Form, At("intake:name")]),
        ],
    );
    // Outside the name question, "hủy" typed cancels (after confirmation).
    run(
        "typed cancel",
        &[
            (T("#pakn:4"), &[]),
            (T("Nội dung"), &[]),
            (T("hủy"), &[Says("có chắc muốn bỏ phản ánh"), At("confirm_discard")]),
            (T("không"), &[At("intake:content")]),
            (T("huy"), &[At("confirm_discard")]),
            (DiscardCurrent, &[Says("Đã bỏ phản ánh đang soạn"), At("main_menu"), Paused(false)]),
        ],
    );
}

#[test]
fn a_half_written_complaint_is_dropped_only_after_confirmation() {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(
        &mut chat,
        "discard",
        &[
            (T("#pakn:4"), &[]),
            (T("Hồ sơ bị trả lại ba lần"), &[]),
            (T("#huy"), &[At("confirm_discard"), Button("#giulai")]),
            (T("một tin nhắn khác"), &[Says("có chắc muốn bỏ phản ánh"), At("confirm_discard")]),
            (T("#bo:1"), &[Says("có chắc muốn bỏ phản ánh"), At("confirm_discard")]),
            (T("#huy"), &[Says("Đã bỏ phản ánh"), At("main_menu")]),
        ],
    );
    assert!(chat.filed.is_empty());
    run(
        "yes discards",
        &[
            (T("#pakn:4"), &[]),
            (T("abc def"), &[]),
            (T("hủy"), &[]),
            (T("có"), &[Says("Đã bỏ phản ánh"), At("main_menu")]),
        ],
    );
}

#[test]
fn attachments_locations_and_stickers_while_writing() {
    run(
        "evidence",
        &[
            (T("#pakn:7"), &[]),
            (Media(MediaKind::File), &[Says("Đã nhận tệp (1/20)")]),
            (Media(MediaKind::Video), &[Says("Đã nhận video (2/20)")]),
            (Media(MediaKind::Audio), &[Says("Đã nhận tin nhắn thoại (3/20)")]),
            (Location, &[Says("Đã nhận vị trí (4/20)")]),
            (Sticker, &[Says("đã nhận nhãn dán"), At("intake:content")]),
            (T("#xong"), &[Says("chưa mô tả nội dung"), At("intake:content")]),
            (T("👍"), &[Says("chưa mô tả nội dung")]),
            (T("Cổng dịch vụ công bị lỗi khi nộp hồ sơ"), &[Says("Đã ghi nhận (5/20)")]),
            (T("#xong"), &[At("intake:place")]),
            (
                Media(MediaKind::Image),
                &[Says("Đã thêm ảnh vào phản ánh"), Says("cơ quan, địa điểm nào"), At("intake:place")],
            ),
            (Location, &[Says("thủ tục hành chính nào"), At("intake:procedure")]),
            (T("#boqua:thutuc"), &[]),
            (T("#dongy"), &[]),
            (
                Info(Some("Phạm Minh"), Some("0912345678")),
                &[
                    Says("Đính kèm: 1 ảnh, 1 tệp, 1 video, 1 tin nhắn thoại, 2 vị trí"),
                    Says("Cơ quan, địa điểm: vị trí đã gửi (9.784500, 105.470100)"),
                ],
            ),
        ],
    );
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    chat.say("#pakn:7");
    chat.send(BotInput::Media {
        kind: MediaKind::Image,
        evidence: Evidence::Image { url: "https://z/1".into(), msg_id: None },
        caption: Some("Ảnh chụp màn hình lỗi".into()),
    });
    let Phase::Intake(intake) = &chat.state.phase else { panic!("in intake") };
    assert_eq!(intake.draft.content, vec!["Ảnh chụp màn hình lỗi"], "the caption is part of the description");
}

#[test]
fn the_description_is_capped_at_max_complaint_messages() {
    let settings = BotSettings { max_complaint_messages: 3, ..BotSettings::default() };
    let world = World::with_settings(settings);
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(
        &mut chat,
        "cap",
        &[
            (T("#pakn:4"), &[]),
            (T("một"), &[Says("Đã ghi nhận (1/3)")]),
            (Media(MediaKind::Image), &[Says("Đã nhận ảnh (2/3)")]),
            (T("ba"), &[Says("đủ 3 tin nhắn và tệp đính kèm"), Says("cơ quan, địa điểm nào"), At("intake:place")]),
            (Media(MediaKind::Image), &[Says("không thêm được nữa"), At("intake:place")]),
        ],
    );
}

#[test]
fn misconduct_and_khieu_nai_to_cao_are_told_before_confirming() {
    let to_summary = |content: &'static str, expectations: &'static [Ex]| -> Vec<(In, &'static [Ex])> {
        vec![
            (T("#pakn:1"), &[]),
            (T(content), &[]),
            (T("#xong"), &[]),
            (T("#boqua:noi"), &[]),
            (T("#boqua:thutuc"), &[]),
            (T("#khongdongy"), expectations),
        ]
    };
    run_both(
        "misconduct",
        &to_summary(
            "Cán bộ một cửa sách nhiễu, đòi phong bì mới nhận hồ sơ",
            &[
                Says("hành vi nhũng nhiễu, tiêu cực"),
                Says("Tổ Kiểm tra đột xuất của tỉnh"),
                NotSays("Luật Khiếu nại"),
                At("intake:summary"),
            ],
        ),
    );
    run_both(
        "khiếu nại",
        &to_summary(
            "Tôi khiếu nại quyết định xử phạt của UBND xã",
            &[
                Says("không phải là phản ánh, kiến nghị"),
                Says("Luật Khiếu nại, Luật Tố cáo"),
                Says("gửi người đã ra quyết định"),
                Says("Ban Tiếp công dân"),
                Says("vẫn được ghi nhận"),
                At("intake:summary"),
            ],
        ),
    );
    run_both(
        "tố cáo with misconduct",
        &to_summary("Tôi tố cáo cán bộ địa chính nhận hối lộ", &[Says("Tổ Kiểm tra đột xuất"), Says("Luật Tố cáo")]),
    );
}

#[test]
fn the_summary_can_be_edited_part_by_part() {
    let script: &[(In, &[Ex])] = &[
        (T("#pakn:4"), &[]),
        (T("Nội dung cũ"), &[]),
        (T("#xong"), &[]),
        (T("UBND phường 1"), &[]),
        (T("#boqua:thutuc"), &[]),
        (T("#dongy"), &[]),
        (T("Võ Thị Hoa"), &[]),
        (T("0912345678"), &[At("intake:summary")]),
        (
            T("sửa"),
            &[
                Button("#sua:noidung"),
                Button("#sua:noi"),
                Button("#sua:thutuc"),
                Button("#sua:nguoigui"),
                At("intake:edit_choice"),
            ],
        ),
        (T("#sua:noi"), &[At("intake:place")]),
        (
            T("Trung tâm Phục vụ hành chính công tỉnh"),
            &[Says("Cơ quan, địa điểm: Trung tâm Phục vụ hành chính công tỉnh"), At("intake:summary")],
        ),
        (T("#sua"), &[]),
        (T("#sua:thutuc"), &[At("intake:procedure")]),
        (T("Đăng ký hộ kinh doanh"), &[Says("Thủ tục: Đăng ký hộ kinh doanh"), At("intake:summary")]),
        (T("#sua"), &[]),
        (T("#sua:noidung"), &[Says("nội dung mới sẽ thay nội dung cũ"), At("intake:content")]),
        (T("quay lại"), &[Says("Nội dung: Nội dung cũ"), At("intake:summary")]),
        (T("#sua"), &[]),
        (T("#sua:noidung"), &[]),
        (T("Nội dung mới"), &[Says("Đã ghi nhận (1/20)")]),
        (T("#xong"), &[Says("Nội dung: Nội dung mới"), NotSays("Nội dung cũ"), At("intake:summary")]),
        (T("#sua"), &[]),
        (T("#sua:nguoigui"), &[At("intake:consent")]),
        (T("#dongy"), &[At("intake:name")]),
        (T("Võ Thị Hồng"), &[At("intake:phone")]),
        (T("0987654321"), &[Says("Người gửi: Võ Thị Hồng – 0987 654 321"), At("intake:summary")]),
        (T("#sua"), &[]),
        (T("#lai"), &[At("intake:summary")]),
        (T("hả?"), &[Says("bấm «Gửi phản ánh» để gửi"), At("intake:summary")]),
        (T("#gui:1"), &[Says("bấm «Gửi phản ánh» để gửi"), Kinds(&["send"]), At("intake:summary")]),
        (SubmitCurrent, &[Files]),
    ];
    let draft = filed_by(script);
    assert_eq!(draft.content, vec!["Nội dung mới"]);
    assert_eq!(draft.place.as_deref(), Some("Trung tâm Phục vụ hành chính công tỉnh"));
    assert_eq!(draft.procedure.as_deref(), Some("Đăng ký hộ kinh doanh"));
    assert_eq!(draft.citizen_name.as_deref(), Some("Võ Thị Hồng"));
    assert_eq!(draft.phone.as_deref(), Some("84987654321"));
    // Withdrawing consent from the summary drops the personal data.
    let script: &[(In, &[Ex])] = &[
        (T("#pakn:4"), &[]),
        (T("abc"), &[]),
        (T("#xong"), &[]),
        (T("#boqua:noi"), &[]),
        (T("#boqua:thutuc"), &[]),
        (T("#dongy"), &[]),
        (T("Võ Thị Hoa 0912345678"), &[At("intake:summary")]),
        (T("#sua"), &[]),
        (T("#sua:nguoigui"), &[]),
        (T("#khongdongy"), &[Says("Người gửi: không cung cấp"), At("intake:summary")]),
        (SubmitCurrent, &[Files]),
    ];
    let draft = filed_by(script);
    assert_eq!((draft.citizen_name, draft.phone), (None, None));
}

#[test]
fn xong_at_the_optional_questions_skips_them_and_notes_are_not_repeated_from_the_edit_menu() {
    run_both(
        "xong twice",
        &[
            (T("#pakn:1"), &[]),
            (T("Cán bộ vòi vĩnh"), &[]),
            (T("xong"), &[At("intake:place")]),
            (T("xong"), &[At("intake:procedure")]),
            (T("Xong"), &[At("intake:consent")]),
            (
                T("không đồng ý"),
                &[Says("Tổ Kiểm tra đột xuất"), Says("Cơ quan, địa điểm: không nêu"), At("intake:summary")],
            ),
            (T("sửa"), &[At("intake:edit_choice")]),
            (T("quay lại"), &[NotSays("Tổ Kiểm tra đột xuất"), Says("kiểm tra lại phản ánh"), At("intake:summary")]),
        ],
    );
}

#[test]
fn back_goes_one_question_back() {
    run_both(
        "back",
        &[
            (T("#pakn:4"), &[At("intake:content")]),
            (T("quay lại"), &[At("branch_menu:4")]),
            (T("#pakn:4"), &[]),
            (T("Nội dung phản ánh"), &[]),
            (T("#xong"), &[At("intake:place")]),
            (T("#boqua:noi"), &[At("intake:procedure")]),
            (T("quay lại"), &[At("intake:place")]),
            (T("#lai"), &[Says("đã ghi nhận nội dung"), At("intake:content")]),
            (T("#xong"), &[At("intake:place")]),
            (T("#boqua:noi"), &[]),
            (T("#boqua:thutuc"), &[At("intake:consent")]),
            (T("#lai"), &[At("intake:procedure")]),
            (T("#boqua:thutuc"), &[]),
            (T("#dongy"), &[At("intake:name")]),
            (T("quay lại"), &[At("intake:consent")]),
            (T("#dongy"), &[]),
            (T("Nguyễn An"), &[At("intake:phone")]),
            (T("#lai"), &[At("intake:name")]),
            (T("Nguyễn An"), &[]),
            (T("0912345678"), &[At("intake:summary")]),
            (T("quay lại"), &[At("intake:phone")]),
        ],
    );
    run(
        "back from a description with content asks before dropping",
        &[
            (T("#pakn:4"), &[]),
            (T("Nội dung"), &[]),
            (T("#lai"), &[At("confirm_discard")]),
            (T("#giulai"), &[At("intake:content")]),
        ],
    );
}

#[test]
fn menu_keeps_the_draft_which_can_be_resumed_or_dropped() {
    run_both(
        "pause and resume",
        &[
            (T("#pakn:4"), &[]),
            (T("Hồ sơ bị trễ hẹn"), &[]),
            (T("#xong"), &[At("intake:place")]),
            (
                T("menu"),
                &[
                    Says("được giữ lại"),
                    Says("còn một phản ánh đang soạn dở"),
                    Button("#nhap:tieptuc"),
                    Button("#nhap:bo"),
                    Paused(true),
                    At("main_menu"),
                ],
            ),
            (T("5"), &[At("branch_menu:5")]),
            (T("#pakn:5"), &[Says("còn một phản ánh đang soạn dở"), Paused(true), At("branch_menu:5")]),
            (
                T("#nhap:tieptuc"),
                &[
                    Says("tiếp tục phản ánh đang soạn"),
                    Says("cơ quan, địa điểm nào"),
                    Paused(false),
                    At("intake:place"),
                ],
            ),
            (T("0"), &[Paused(true), At("main_menu")]),
            (T("#nhap:bo"), &[Says("có chắc muốn bỏ"), At("confirm_discard")]),
            (T("#giulai"), &[Paused(true), At("main_menu")]),
            (T("bỏ"), &[At("confirm_discard")]),
            (DiscardCurrent, &[Says("Đã bỏ phản ánh"), Paused(false), At("main_menu")]),
            (T("#nhap:tieptuc"), &[Says("chưa hiểu ý Ông/Bà"), At("main_menu")]),
        ],
    );
}

#[test]
fn other_menus_wait_while_writing_and_a_code_is_looked_up_without_becoming_content() {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(
        &mut chat,
        "busy",
        &[
            (T("#pakn:4"), &[]),
            (T("#nhanh:2"), &[Says("Ông/Bà đang soạn phản ánh"), At("intake:content")]),
            (T("#canbo:4"), &[Says("Ông/Bà đang soạn phản ánh"), At("intake:content")]),
            (T("PA-2026-7K3Q9X"), &[Looks("PA-2026-7K3Q9X"), Kinds(&["lookup"]), At("intake:content")]),
            (T("liên quan phản ánh PA-2026-7K3Q9X trước đây"), &[Says("Đã ghi nhận (1/20)")]),
            (T("trợ giúp"), &[Says("Hướng dẫn sử dụng"), Says("Gửi phản ánh, kiến nghị"), At("intake:content")]),
            (T("#dongy"), &[Says("Gửi phản ánh, kiến nghị"), At("intake:content")]),
        ],
    );
    let Phase::Intake(intake) = &chat.state.phase else { panic!("in intake") };
    assert_eq!(intake.draft.content, vec!["liên quan phản ánh PA-2026-7K3Q9X trước đây"]);
    assert_eq!(intake.step, IntakeStep::Content);
}

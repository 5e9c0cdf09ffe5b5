//! Properties over arbitrary conversations: no sequence of inputs (random and command texts,
//! valid, stale and forged payloads, media, follows, officer ends, time jumps forward and back)
//! makes `step` panic; every state reached stores as JSON and loads back unchanged; every button
//! the bot sends carries a payload it understands; and from every state reached, "menu" leads
//! back to the main menu (a chat with an officer asks once to confirm, "menu" again confirms).

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::bot::input::valid_coordinates;
use crate::bot::state::{Intake, IntakeStep};
use crate::bot::ticket_code::parse_ticket_code;
use crate::tickets::draft::Consent;
use crate::zalo::messages::{MAX_BUTTONS, MAX_BUTTON_TITLE_CHARS, MAX_TEXT_CHARS};

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(World::new)
}

/// One thing that happens in a random conversation.
#[derive(Debug, Clone)]
enum Act {
    Input(BotInput),
    /// Tap "Gửi phản ánh" with the current draft's id.
    SubmitCurrent,
    /// Tap "Bỏ phản ánh" with the current draft's id.
    DiscardCurrent,
    /// Move the clock by this many seconds (negative: a clock going back).
    Jump(i64),
    /// What a cooperative citizen answers where they are (the number picks among answers).
    Answer(u8),
}

/// A plausible answer to what the bot is asking in `state`, so that random conversations also
/// reach the deep steps (summary, edits, filing, chats) between their random inputs.
fn answer(state: &ConversationState, choice: u8) -> BotInput {
    let pick = |options: &[&str]| BotInput::text(options[usize::from(choice) % options.len()]);
    match &state.phase {
        Phase::MainMenu | Phase::MainMenuWithOffer { .. } | Phase::ChoosingBranch { .. } => pick(&[
            "#pakn:4",
            "4",
            "phản ánh",
            "#canbo:2",
            "#nhap:tieptuc",
            "gặp cán bộ",
            "tôi muốn phản ánh cán bộ xã vòi vĩnh tiền",
        ]),
        Phase::BranchMenu { branch, .. } => BotInput::text(
            [format!("#pakn:{branch}"), format!("#canbo:{branch}"), "#tracuu".into()][usize::from(choice) % 3].clone(),
        ),
        Phase::AwaitingCode { .. } => pick(&["PA-2026-7K3Q9X", "abc"]),
        Phase::PickingBranch { .. } => pick(&["4", "đúng", "#pakn:6", "#canbo:7", "không"]),
        Phase::Intake(intake) => match intake.step {
            IntakeStep::Content if intake.draft.content.is_empty() => {
                pick(&["Hồ sơ bị trễ hẹn", "Tôi khiếu nại quyết định", "cán bộ sách nhiễu"])
            }
            IntakeStep::Content => pick(&["#xong", "xong", "thêm chi tiết", "#lai"]),
            IntakeStep::Place => pick(&["#boqua:noi", "UBND xã", "bỏ qua"]),
            IntakeStep::Procedure => pick(&["#boqua:thutuc", "Đăng ký khai sinh", "#lai"]),
            IntakeStep::Consent => pick(&["#dongy", "#khongdongy", "đồng ý", "không"]),
            IntakeStep::Name => {
                let info =
                    BotInput::SubmittedInfo { name: Some("Trần Văn Huy".into()), phone: Some("0912345678".into()) };
                [BotInput::text("Huy"), BotInput::text("Lê An 0987654321"), info][usize::from(choice) % 3].clone()
            }
            IntakeStep::Phone => pick(&["0912345678", "12345", "#lai"]),
            IntakeStep::Summary => match choice % 4 {
                0 | 1 => BotInput::text(Payload::Submit(intake.draft_id()).to_string()),
                2 => BotInput::text("#sua"),
                _ => BotInput::text("gửi"),
            },
            IntakeStep::EditChoice => pick(&["#sua:noidung", "#sua:noi", "#sua:thutuc", "#sua:nguoigui", "#lai"]),
        },
        Phase::ConfirmDiscard { intake, .. } => match choice % 3 {
            0 => BotInput::text(Payload::DiscardDraft(intake.draft_id()).to_string()),
            1 => BotInput::text("#giulai"),
            _ => BotInput::text("có"),
        },
        Phase::Handoff { .. } => pick(&["Cho tôi hỏi hồ sơ", "kết thúc", "có", "menu", "#tieptuc"]),
    }
}

const WORDS: &[&str] = &[
    "menu",
    "Menu",
    "0",
    "trợ giúp",
    "tro giup",
    "?",
    "quay lại",
    "quay lai",
    "hủy",
    "huy",
    "Huy",
    "thoát",
    "kết thúc",
    "ket thuc",
    "có",
    "không",
    "đồng ý",
    "dong y",
    "xong",
    "Xong",
    "bỏ qua",
    "gửi",
    "sửa",
    "tiếp tục",
    "bỏ",
    "1",
    "4",
    "8",
    "9",
    "12",
    "nhánh 4",
    "nhanh so bon",
    "cải cách",
    "Sở Nội vụ",
    "doanh nghiep",
    "phản ánh",
    "phan anh",
    "khiếu nại",
    "góp ý",
    "tra cứu",
    "gặp cán bộ",
    "gap can bo",
    "xin chào",
    "cảm ơn",
    "PA-2026-7K3Q9X",
    "pa 2026 000123",
    "Nguyễn Văn An",
    "Lê Huy 0912345678",
    "0912 345 678",
    "091234567",
    "+84 987 654 321",
    "nội dung",
    "người gửi",
    "UBND xã",
    "Cán bộ một cửa sách nhiễu, đòi phong bì",
    "Tôi khiếu nại quyết định xử phạt",
    "tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ",
    "sáng nay tôi chờ cả buổi mà chưa ai tiếp",
    "",
    "   ",
    "👍",
    "#",
];

const PAYLOAD_FORMS: &[&str] = &[
    "#menu",
    "#giup",
    "#lai",
    "#huy",
    "#pakn",
    "#tracuu",
    "#canbo",
    "#xong",
    "#boqua:noi",
    "#boqua:thutuc",
    "#dongy",
    "#khongdongy",
    "#sua",
    "#sua:noidung",
    "#sua:noi",
    "#sua:thutuc",
    "#sua:nguoigui",
    "#giulai",
    "#nhap:tieptuc",
    "#nhap:bo",
    "#ketthuc",
    "#tieptuc",
    "#tracuu:PA-2026-7K3Q9X",
    "#tracuu:PA-2026",
    "#MENU",
    "#menu:1",
    "#sua:x",
];

fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(PAYLOAD_FORMS).prop_map(str::to_owned),
        (0u16..300).prop_map(|n| format!("#nhanh:{n}")),
        (0u16..300).prop_map(|n| format!("#pakn:{n}")),
        (0u16..300).prop_map(|n| format!("#canbo:{n}")),
        any::<i64>().prop_map(|n| format!("#gui:{n}")),
        any::<i64>().prop_map(|n| format!("#bo:{n}")),
        "#[a-z:0-9]{0,12}",
    ]
}

fn media_input() -> impl Strategy<Value = BotInput> {
    prop_oneof![
        Just(MediaKind::Image),
        Just(MediaKind::Gif),
        Just(MediaKind::File),
        Just(MediaKind::Video),
        Just(MediaKind::Audio),
        Just(MediaKind::Link),
    ]
    .prop_flat_map(|kind| {
        proptest::option::of("\\PC{0,20}").prop_map(move |caption| match media(kind) {
            BotInput::Media { kind, evidence, .. } => BotInput::Media { kind, evidence, caption },
            other => other,
        })
    })
}

fn act() -> impl Strategy<Value = Act> {
    let text = prop_oneof![
        6 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        3 => payload(),
        2 => "\\PC{0,60}",
    ]
    .prop_map(|text| Act::Input(BotInput::text(text)));
    let other = prop_oneof![
        4 => media_input(),
        2 => Just(BotInput::Sticker),
        2 => ((-950_000i32..950_000), (-1_900_000i32..1_900_000), proptest::option::of("[a-zA-Z ]{0,12}")).prop_map(
            |(lat, lon, label)| BotInput::Location { latitude: f64::from(lat) / 10_000.0, longitude: f64::from(lon) / 10_000.0, label }
        ),
        2 => (proptest::option::of(proptest::sample::select(WORDS)), proptest::option::of(proptest::sample::select(WORDS)))
            .prop_map(|(name, phone)| BotInput::SubmittedInfo { name: name.map(str::to_owned), phone: phone.map(str::to_owned) }),
        1 => Just(BotInput::Follow),
        1 => Just(BotInput::Unfollow),
        1 => Just(BotInput::ChatNow),
        2 => Just(BotInput::OfficerEnded),
        1 => Just(BotInput::Unsupported),
    ]
    .prop_map(Act::Input);
    let jump = prop_oneof![
        4 => (0i64..90).prop_map(Act::Jump),
        2 => (1_500i64..4 * 3600).prop_map(Act::Jump),
        1 => (-3600i64..0).prop_map(Act::Jump),
    ];
    prop_oneof![
        14 => any::<u8>().prop_map(Act::Answer),
        10 => text,
        4 => other,
        3 => jump,
        1 => Just(Act::SubmitCurrent),
        1 => Just(Act::DiscardCurrent),
    ]
}

fn draft_id(state: &ConversationState) -> i64 {
    match &state.phase {
        Phase::Intake(intake) | Phase::ConfirmDiscard { intake, .. } => intake.draft_id(),
        _ => state.paused.as_ref().map_or(0, Intake::draft_id),
    }
}

/// What must hold of every step.
fn check_step(before: &ConversationState, result: &Step) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(&result.state).map_err(|e| TestCaseError::fail(format!("serialize: {e}")))?;
    let back: ConversationState =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("deserialize: {e}\n{json}")))?;
    prop_assert_eq!(&back, &result.state, "JSON round trip of {}", json);
    for effect in &result.effects {
        match effect {
            Effect::Send(message) => check_message(message)?,
            Effect::FileComplaint(draft) => {
                let at_summary = matches!(&before.phase, Phase::Intake(intake) if intake.step == IntakeStep::Summary);
                prop_assert!(at_summary, "filed from {:?}", before.phase);
                prop_assert!(!draft.content.is_empty(), "a filed complaint has a description");
                prop_assert!(draft.consent != Consent::NotAsked, "consent was asked");
                if matches!(draft.consent, Consent::Refused { .. }) {
                    prop_assert!(
                        draft.citizen_name.is_none() && draft.phone.is_none(),
                        "no personal data without consent"
                    );
                }
                prop_assert!(draft.content.len() + draft.evidence.len() <= 20);
            }
            Effect::LookupTicket { code } => prop_assert_eq!(parse_ticket_code(code), Some(code.clone())),
            Effect::StartHandoff { branch, department_code } => {
                let catalogue = &world().catalogue;
                prop_assert_eq!(
                    catalogue.branch(*branch).map(|b| b.department.as_str()),
                    Some(department_code.as_str())
                );
            }
            Effect::RelayToOfficer { text, evidence } => {
                let in_chat = matches!(before.phase, Phase::Handoff { .. });
                prop_assert!(in_chat, "relay outside a chat");
                prop_assert!(text.is_some() || evidence.is_some());
            }
            Effect::EndHandoff => {
                let in_chat = matches!(before.phase, Phase::Handoff { .. });
                prop_assert!(in_chat, "chat ended outside a chat");
            }
        }
    }
    Ok(())
}

fn check_message(message: &OutboundMessage) -> Result<(), TestCaseError> {
    let text = message.display_text();
    prop_assert!(!text.trim().is_empty(), "empty message {:?}", message);
    prop_assert!(text.chars().count() <= MAX_TEXT_CHARS, "{} characters", text.chars().count());
    if let OutboundMessage::Buttons { buttons, .. } = message {
        prop_assert!(!buttons.is_empty() && buttons.len() <= MAX_BUTTONS, "{} buttons", buttons.len());
        for button in buttons {
            prop_assert!(!button.title.is_empty() && button.title.chars().count() <= MAX_BUTTON_TITLE_CHARS);
            if let OutAction::Query(payload) = &button.action {
                prop_assert!(Payload::parse(payload).is_some(), "the bot's own payload {} parses", payload);
            }
        }
    }
    Ok(())
}

/// "menu" (and "menu" again to confirm leaving a chat with an officer) reaches the main menu.
fn check_menu_leads_home(state: &ConversationState, now: DateTime<Utc>) -> Result<(), TestCaseError> {
    let ctx = world().ctx();
    // Past any rate-limit window.
    let later = now + Duration::minutes(2);
    let first = step(&ctx, state, &BotInput::text("menu"), later);
    let home = match first.state.phase {
        Phase::Handoff { ending: true, .. } => {
            let second = step(&ctx, &first.state, &BotInput::text("menu"), later + Duration::seconds(1));
            prop_assert!(second.effects.contains(&Effect::EndHandoff));
            second
        }
        _ => first,
    };
    prop_assert_eq!(&home.state.phase, &Phase::MainMenu, "from {:?}", state.phase);
    prop_assert!(
        home.messages().any(|m| m.display_text().contains("Ông/Bà cần hỗ trợ về lĩnh vực nào?")),
        "the menu is shown from {:?}",
        state.phase
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_conversations_never_panic_store_as_json_and_menu_leads_home(acts in vec(act(), 1..45)) {
        let ctx = world().ctx();
        let mut state = ConversationState::default();
        let mut now = monday_morning();
        for act in acts {
            let input = match act {
                Act::Jump(seconds) => {
                    now += Duration::seconds(seconds);
                    continue;
                }
                Act::Input(input) => input,
                Act::SubmitCurrent => BotInput::text(Payload::Submit(draft_id(&state)).to_string()),
                Act::DiscardCurrent => BotInput::text(Payload::DiscardDraft(draft_id(&state)).to_string()),
                Act::Answer(choice) => answer(&state, choice),
            };
            now += Duration::seconds(1);
            let result = step(&ctx, &state, &input, now);
            check_step(&state, &result)?;
            state = result.state;
            check_menu_leads_home(&state, now)?;
        }
    }

    #[test]
    fn location_inputs_are_stored_only_when_valid(lat in proptest::num::f64::ANY, lon in proptest::num::f64::ANY) {
        let ctx = world().ctx();
        let chat_state = step(&ctx, &ConversationState::default(), &BotInput::text("#pakn:4"), monday_morning()).state;
        let input = BotInput::Location { latitude: lat, longitude: lon, label: None };
        let result = step(&ctx, &chat_state, &input, monday_morning() + Duration::seconds(1));
        let Phase::Intake(intake) = &result.state.phase else { return Err(TestCaseError::fail("still writing")) };
        prop_assert_eq!(intake.draft.evidence.len(), usize::from(valid_coordinates(lat, lon)));
        let json = serde_json::to_string(&result.state).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(serde_json::from_str::<ConversationState>(&json).is_ok(), "{}", json);
    }
}

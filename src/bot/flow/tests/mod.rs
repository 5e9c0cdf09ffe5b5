//! Conversation scripts: a small harness feeds inputs to [`step`] as a citizen would, moving a
//! clock, and checks what the bot says and does after each one. Scripts that type Vietnamese are
//! run twice, as written and with the diacritics removed, as most citizens type.

mod handoff;
mod intake;
mod limits;
mod navigation;
mod properties;

use chrono::{DateTime, Duration, TimeZone, Utc};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::{step, BotContext, Effect, Step};
use crate::bot::catalogue::{default_catalogue, Catalogue};
use crate::bot::input::{BotInput, MediaKind};
use crate::bot::payload::Payload;
use crate::bot::settings::BotSettings;
use crate::bot::state::{BranchPurpose, ConversationState, Intake, Phase};
use crate::bot::text::fold;
use crate::calendar::working::WorkingCalendar;
use crate::tickets::draft::{ComplaintDraft, Evidence};
use crate::zalo::outbound::{OutAction, OutboundMessage};

/// What a script line sends.
#[derive(Debug, Clone)]
pub(super) enum In {
    /// Typed text or a payload.
    T(&'static str),
    /// Typed text built at run time.
    Owned(String),
    /// Tap "Gửi phản ánh" of the current summary (its payload carries the draft id).
    SubmitCurrent,
    /// Tap "Bỏ phản ánh" of the current discard question.
    DiscardCurrent,
    Follow,
    Unfollow,
    ChatNow,
    Sticker,
    Media(MediaKind),
    Location,
    Info(Option<&'static str>, Option<&'static str>),
    OfficerEnded,
    Unsupported,
    /// Let this many minutes pass, then send the next line's input.
    Wait(i64),
}

/// What must hold after a line.
#[derive(Debug, Clone)]
pub(super) enum Ex {
    /// Some message contains this text.
    Says(&'static str),
    /// Some message contains this text, compared without diacritics (for text the citizen typed).
    Echoes(&'static str),
    /// No message contains this text.
    NotSays(&'static str),
    /// Some button sends this payload.
    Button(&'static str),
    /// No effect at all.
    Nothing,
    /// Effects of these kinds, in this order (`send`, `file`, `lookup`, `start`, `relay`, `end`).
    Kinds(&'static [&'static str]),
    /// The phase afterwards (see [`phase_name`]).
    At(&'static str),
    /// A `LookupTicket` for this code.
    Looks(&'static str),
    /// A `StartHandoff` for this branch and department.
    Hands(u8, &'static str),
    /// A `RelayToOfficer` with this text (or `None` when only evidence is relayed).
    Relays(Option<&'static str>),
    /// A `FileComplaint`.
    Files,
    /// A `Zalo request_user_info` form is sent.
    Form,
    /// A draft is kept for later.
    Paused(bool),
}

/// The deployment a script runs against: the Hậu Giang catalogue, the seeded calendar.
pub(super) struct World {
    pub catalogue: Catalogue,
    pub calendar: WorkingCalendar,
    pub settings: BotSettings,
}

impl World {
    pub fn new() -> World {
        World::with_settings(BotSettings::default())
    }

    pub fn with_settings(settings: BotSettings) -> World {
        World {
            catalogue: default_catalogue().expect("default catalogue"),
            calendar: WorkingCalendar::vietnam_default().expect("seeded calendar"),
            settings,
        }
    }

    pub fn ctx(&self) -> BotContext<'_> {
        BotContext::new(&self.catalogue, &self.calendar, &self.settings)
    }
}

/// A Vietnamese wall-clock time as UTC.
pub(super) fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid local time")
        .with_timezone(&Utc)
}

/// Monday 05/01/2026, 09:00: a working day, offices open.
pub(super) fn monday_morning() -> DateTime<Utc> {
    vn(2026, 1, 5, 9, 0)
}

/// A citizen's conversation in progress.
pub(super) struct Chat<'w> {
    pub world: &'w World,
    pub state: ConversationState,
    pub now: DateTime<Utc>,
    pub filed: Vec<ComplaintDraft>,
}

impl<'w> Chat<'w> {
    pub fn new(world: &'w World, now: DateTime<Utc>) -> Chat<'w> {
        Chat { world, state: ConversationState::default(), now, filed: Vec::new() }
    }

    /// A citizen who already followed the OA and saw the main menu.
    pub fn welcomed(world: &'w World, now: DateTime<Utc>) -> Chat<'w> {
        let mut chat = Chat::new(world, now);
        chat.send(BotInput::Follow);
        chat
    }

    #[allow(clippy::needless_pass_by_value)] // scripts build inputs in place
    pub fn send(&mut self, input: BotInput) -> Step {
        // Seconds apart, as people type: well under the rate limit.
        self.now += Duration::seconds(4);
        let result = step(&self.world.ctx(), &self.state, &input, self.now);
        for effect in &result.effects {
            if let Effect::FileComplaint(draft) = effect {
                self.filed.push(draft.clone());
            }
        }
        self.state = result.state.clone();
        result
    }

    pub fn say(&mut self, text: &str) -> Step {
        self.send(BotInput::text(text))
    }

    /// Sends one scripted line; `None` for a pause.
    pub fn line(&mut self, input: &In) -> Option<Step> {
        let input = match input {
            In::T(text) => BotInput::text(*text),
            In::Owned(text) => BotInput::text(text.clone()),
            In::SubmitCurrent => BotInput::text(Payload::Submit(self.draft_id()).to_string()),
            In::DiscardCurrent => BotInput::text(Payload::DiscardDraft(self.draft_id()).to_string()),
            In::Follow => BotInput::Follow,
            In::Unfollow => BotInput::Unfollow,
            In::ChatNow => BotInput::ChatNow,
            In::Sticker => BotInput::Sticker,
            In::Media(kind) => media(*kind),
            In::Location => BotInput::Location { latitude: 9.7845, longitude: 105.4701, label: None },
            In::Info(name, phone) => {
                BotInput::SubmittedInfo { name: name.map(str::to_owned), phone: phone.map(str::to_owned) }
            }
            In::OfficerEnded => BotInput::OfficerEnded,
            In::Unsupported => BotInput::Unsupported,
            In::Wait(minutes) => {
                self.now += Duration::minutes(*minutes);
                return None;
            }
        };
        Some(self.send(input))
    }

    /// The id of the draft being written or asked about.
    pub fn draft_id(&self) -> i64 {
        match &self.state.phase {
            Phase::Intake(intake) | Phase::ConfirmDiscard { intake, .. } => intake.draft_id(),
            _ => self.state.paused.as_ref().map_or(0, Intake::draft_id),
        }
    }
}

/// A media input of this kind with a plausible Zalo link.
pub(super) fn media(kind: MediaKind) -> BotInput {
    let url = "https://zalo.example/m/1".to_owned();
    let evidence = match kind {
        MediaKind::Image | MediaKind::Gif => Evidence::Image { url, msg_id: Some("m1".into()) },
        MediaKind::File => Evidence::File { url, name: Some("don.pdf".into()), size: Some(1000), msg_id: None },
        MediaKind::Video => Evidence::Video { url, msg_id: None },
        MediaKind::Audio => Evidence::Audio { url, msg_id: None },
        MediaKind::Link => Evidence::Link { url, msg_id: None },
    };
    BotInput::Media { kind, evidence, caption: None }
}

/// The texts of a step's messages.
pub(super) fn said(step: &Step) -> Vec<String> {
    step.messages().map(OutboundMessage::display_text).collect()
}

/// The payloads of a step's buttons.
pub(super) fn payloads(step: &Step) -> Vec<String> {
    step.messages()
        .flat_map(|message| match message {
            OutboundMessage::Buttons { buttons, .. } => buttons.iter().map(|b| b.action.clone()).collect(),
            _ => Vec::new(),
        })
        .filter_map(|action| match action {
            OutAction::Query(payload) | OutAction::QueryShown(payload) => Some(payload),
            _ => None,
        })
        .collect()
}

fn kind_of(effect: &Effect) -> &'static str {
    match effect {
        Effect::Send(_) => "send",
        Effect::FileComplaint(_) => "file",
        Effect::LookupTicket { .. } => "lookup",
        Effect::StartHandoff { .. } => "start",
        Effect::RelayToOfficer { .. } => "relay",
        Effect::EndHandoff => "end",
    }
}

/// A short name of where the citizen is: `main_menu`, `branch_menu:4`, `intake:content`,
/// `handoff`, `handoff_ending`, `confirm_discard`, `picking:complaint`, `awaiting_code`, …
pub(super) fn phase_name(phase: &Phase) -> String {
    match phase {
        Phase::MainMenu => "main_menu".into(),
        Phase::MainMenuWithOffer { .. } => "main_menu_offer".into(),
        Phase::ChoosingBranch { .. } => "choosing_branch".into(),
        Phase::BranchMenu { branch, .. } => format!("branch_menu:{branch}"),
        Phase::AwaitingCode { .. } => "awaiting_code".into(),
        Phase::PickingBranch { purpose, .. } => match purpose {
            BranchPurpose::Complaint { .. } => "picking:complaint".into(),
            BranchPurpose::Officer => "picking:officer".into(),
            BranchPurpose::Rehome { .. } => "picking:rehome".into(),
        },
        Phase::Intake(intake) => {
            let step = serde_json::to_value(intake.step).expect("step serializes");
            format!("intake:{}", step.as_str().unwrap_or("?"))
        }
        Phase::ConfirmDiscard { .. } => "confirm_discard".into(),
        Phase::Handoff { ending: false, .. } => "handoff".into(),
        Phase::Handoff { ending: true, .. } => "handoff_ending".into(),
    }
}

/// Checks one expectation; a description of the failure otherwise.
fn check(chat: &Chat<'_>, step: &Step, expectation: &Ex) -> Result<(), String> {
    let texts = said(step);
    let ok = match expectation {
        Ex::Says(needle) => texts.iter().any(|text| text.contains(needle)),
        Ex::Echoes(needle) => texts.iter().any(|text| fold(text).contains(&fold(needle))),
        Ex::NotSays(needle) => !texts.iter().any(|text| text.contains(needle)),
        Ex::Button(payload) => payloads(step).iter().any(|p| p == payload),
        Ex::Nothing => step.effects.is_empty(),
        Ex::Kinds(kinds) => step.effects.iter().map(kind_of).collect::<Vec<_>>() == *kinds,
        Ex::At(name) => phase_name(&chat.state.phase) == *name,
        Ex::Looks(code) => step.effects.iter().any(|e| matches!(e, Effect::LookupTicket { code: c } if c == code)),
        Ex::Hands(branch, department) => step.effects.iter().any(
            |e| matches!(e, Effect::StartHandoff { branch: b, department_code: d } if b == branch && d == department),
        ),
        Ex::Relays(expected) => step.effects.iter().any(|e| match e {
            Effect::RelayToOfficer { text, .. } => text.as_deref() == *expected,
            _ => false,
        }),
        Ex::Files => step.effects.iter().any(|e| matches!(e, Effect::FileComplaint(_))),
        Ex::Form => step.messages().any(|m| matches!(m, OutboundMessage::RequestUserInfo { .. })),
        Ex::Paused(kept) => chat.state.paused.is_some() == *kept,
    };
    if ok {
        Ok(())
    } else {
        let kinds: Vec<&str> = step.effects.iter().map(kind_of).collect();
        Err(format!(
            "expected {expectation:?}\n  phase: {}\n  effects: {kinds:?}\n  said: {texts:#?}\n  buttons: {:?}",
            phase_name(&chat.state.phase),
            payloads(step)
        ))
    }
}

/// Runs a script on `chat`; panics naming the script and line on the first failed expectation.
pub(super) fn run_on(chat: &mut Chat<'_>, name: &str, script: &[(In, &[Ex])]) {
    for (position, (input, expectations)) in script.iter().enumerate() {
        let Some(step) = chat.line(input) else { continue };
        for expectation in *expectations {
            if let Err(failure) = check(chat, &step, expectation) {
                panic!("script {name:?}, line {} ({input:?}):\n{failure}", position + 1);
            }
        }
    }
}

/// Runs a script for a citizen who already followed, at Monday 09:00.
pub(super) fn run(name: &str, script: &[(In, &[Ex])]) {
    let world = World::new();
    let mut chat = Chat::welcomed(&world, monday_morning());
    run_on(&mut chat, name, script);
}

/// Runs a script as written and again with every typed text stripped of its diacritics.
pub(super) fn run_both(name: &str, script: &[(In, &[Ex])]) {
    run(name, script);
    let plain: Vec<(In, &[Ex])> = script
        .iter()
        .map(|(input, expectations)| {
            let input = match input {
                In::T(text) => In::Owned(strip_diacritics(text)),
                other => other.clone(),
            };
            (input, *expectations)
        })
        .collect();
    run(&format!("{name} (without diacritics)"), &plain);
}

/// "Phản ánh" → "Phan anh": diacritics removed, case and punctuation kept.
pub(super) fn strip_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .collect()
}

#[test]
fn stripping_diacritics_keeps_case_and_punctuation() {
    assert_eq!(strip_diacritics("Phản ánh, Đường 3/2!"), "Phan anh, Duong 3/2!");
    assert_eq!(strip_diacritics("#pakn:4"), "#pakn:4");
}

#[test]
fn effects_serialize_as_tagged_json_for_the_outbox() {
    let effects = vec![
        Effect::Send(OutboundMessage::text("Xin chào")),
        Effect::FileComplaint(ComplaintDraft::new(4, monday_morning())),
        Effect::LookupTicket { code: "PA-2026-7K3Q9X".into() },
        Effect::StartHandoff { branch: 4, department_code: "VPUBND".into() },
        Effect::RelayToOfficer {
            text: Some("Hỏi".into()),
            evidence: Some(Evidence::Link { url: "https://x".into(), msg_id: None }),
        },
        Effect::EndHandoff,
    ];
    let json = serde_json::to_value(&effects).expect("serializable");
    assert_eq!(json[0], serde_json::json!({"effect": "send", "type": "text", "text": "Xin chào"}));
    assert_eq!(json[2], serde_json::json!({"effect": "lookup_ticket", "code": "PA-2026-7K3Q9X"}));
    assert_eq!(json[5], serde_json::json!({"effect": "end_handoff"}));
    let back: Vec<Effect> = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, effects);
}

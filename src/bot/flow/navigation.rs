//! Menus: the main menu, a branch's menu, choosing between branches, picking the branch of a
//! complaint or a chat, waiting for a code to look up; and what starts from them (a complaint,
//! a lookup, a chat with an officer, resuming or dropping a kept draft).

use super::{Effect, Turn};
use crate::bot::input::BotInput;
use crate::bot::intents::{self, SmallTalk};
use crate::bot::matcher::{is_global_command, match_branch, BranchMatch, GlobalCommand};
use crate::bot::payload::Payload;
use crate::bot::state::{BranchPurpose, Intake, Phase};
use crate::bot::texts;
use crate::bot::ticket_code::find_ticket_code;

/// Typed messages of at least this many words that are not understood at a menu may be a
/// complaint: the bot offers to send them as one.
const OFFER_MIN_WORDS: usize = 4;

/// Longest message kept as an offered complaint text (Zalo's own text limit).
const MAX_OFFERED_CHARS: usize = 2000;

impl Turn<'_, '_> {
    /// An input at a menu (any phase but a complaint, its discard question, or a chat).
    pub(super) fn menu_input(&mut self, input: &BotInput) {
        match input {
            BotInput::Text(text) => self.menu_text(text, false),
            BotInput::Sticker => self.say(texts::sticker_reply()),
            BotInput::Media { kind, .. } => self.say(texts::media_reply(*kind)),
            BotInput::Location { .. } => self.say(texts::location_reply()),
            BotInput::SubmittedInfo { .. } => self.say(texts::info_not_needed()),
            BotInput::Unsupported => self.say(texts::unsupported_reply()),
            BotInput::Follow | BotInput::ChatNow | BotInput::Unfollow | BotInput::OfficerEnded => {}
        }
    }

    /// Text at a menu. `fresh`: the citizen starts afresh (first message, or after a timeout),
    /// so what is not understood shows the main menu rather than an explanation.
    pub(super) fn menu_text(&mut self, text: &str, fresh: bool) {
        if let Some(payload) = Payload::parse(text) {
            return self.menu_payload(payload, fresh);
        }
        if let Some(command) = is_global_command(text) {
            return self.menu_command(command);
        }
        if let Some(code) = find_ticket_code(text) {
            return self.lookup(code);
        }
        match self.state.phase.clone() {
            Phase::AwaitingCode { .. } => self.awaiting_code_text(text),
            Phase::PickingBranch { purpose, suggested } => self.picking_text(text, purpose, suggested),
            Phase::BranchMenu { branch, .. } => self.branch_menu_text(text, branch),
            _ => self.main_menu_text(text, fresh),
        }
    }

    fn main_menu_text(&mut self, text: &str, fresh: bool) {
        if self.kept_draft_answer(text, fresh) {
            return;
        }
        if let Some(request) = intents::complaint_request(text) {
            let first_text = request.tells_story.then(|| text.trim().to_owned());
            return self.start_complaint(None, first_text);
        }
        if intents::is_lookup_request(text) {
            return self.ask_code();
        }
        if intents::is_officer_request(text) {
            return self.start_officer_chat(None);
        }
        if let Some(small_talk) = intents::small_talk(text) {
            if fresh {
                return self.show_main_menu();
            }
            return match small_talk {
                SmallTalk::Greeting => {
                    self.say(texts::greeting_reply());
                    self.show_main_menu();
                }
                SmallTalk::Thanks => self.say(texts::thanks_reply()),
            };
        }
        match match_branch(self.ctx.catalogue, text) {
            BranchMatch::Exact(number) => self.open_branch(number),
            BranchMatch::Ambiguous(candidates) => {
                self.say(texts::choose_between(self.ctx.catalogue, &candidates));
                self.state.phase = Phase::ChoosingBranch { candidates };
            }
            BranchMatch::NoMatch if fresh => self.show_main_menu(),
            BranchMatch::NoMatch => self.not_understood_at_main_menu(text),
        }
    }

    /// "tiếp tục" / "bỏ" typed while a draft is kept: the same as its buttons.
    fn kept_draft_answer(&mut self, text: &str, fresh: bool) -> bool {
        if self.state.paused.is_none() {
            return false;
        }
        if intents::is_continue(text) {
            self.menu_payload(Payload::ResumeDraft, fresh);
        } else if intents::is_drop(text) {
            self.menu_payload(Payload::DropDraft, fresh);
        } else {
            return false;
        }
        true
    }

    fn not_understood_at_main_menu(&mut self, text: &str) {
        let trimmed = text.trim();
        if let Some(number) = bare_number(trimmed) {
            return self.say(texts::no_such_branch(self.ctx.catalogue, number));
        }
        let offer = intents::word_count(trimmed) >= OFFER_MIN_WORDS;
        self.say(texts::not_understood(self.ctx.catalogue, offer));
        self.state.phase =
            if offer { Phase::MainMenuWithOffer { offered_text: offered(trimmed) } } else { Phase::MainMenu };
    }

    fn branch_menu_text(&mut self, text: &str, branch: u8) {
        if self.kept_draft_answer(text, false) {
            return;
        }
        if let Some(request) = intents::complaint_request(text) {
            let first_text = request.tells_story.then(|| text.trim().to_owned());
            return self.start_complaint(Some(branch), first_text);
        }
        if intents::is_lookup_request(text) {
            return self.ask_code();
        }
        if intents::is_officer_request(text) {
            return self.start_officer_chat(Some(branch));
        }
        if let Some(small_talk) = intents::small_talk(text) {
            return match small_talk {
                SmallTalk::Greeting => self.say(texts::greeting_reply()),
                SmallTalk::Thanks => self.say(texts::thanks_reply()),
            };
        }
        match match_branch(self.ctx.catalogue, text) {
            BranchMatch::Exact(number) => self.open_branch(number),
            BranchMatch::Ambiguous(candidates) => {
                self.say(texts::choose_between(self.ctx.catalogue, &candidates));
                self.state.phase = Phase::ChoosingBranch { candidates };
            }
            BranchMatch::NoMatch => {
                let trimmed = text.trim();
                if let Some(number) = bare_number(trimmed) {
                    return self.say(texts::no_such_branch(self.ctx.catalogue, number));
                }
                let offer = intents::word_count(trimmed) >= OFFER_MIN_WORDS;
                self.say(texts::branch_not_understood(self.ctx.catalogue, branch, offer));
                self.state.phase = Phase::BranchMenu { branch, offered_text: offer.then(|| offered(trimmed)) };
            }
        }
    }

    fn awaiting_code_text(&mut self, text: &str) {
        if let Some(request) = intents::complaint_request(text) {
            let first_text = request.tells_story.then(|| text.trim().to_owned());
            return self.start_complaint(self.state.current_branch(), first_text);
        }
        if intents::is_officer_request(text) {
            return self.start_officer_chat(self.state.current_branch());
        }
        self.say(texts::invalid_ticket_code());
    }

    fn picking_text(&mut self, text: &str, purpose: BranchPurpose, suggested: Option<u8>) {
        // Changing one's mind: a complaint instead of a chat, or the other way round.
        if matches!(purpose, BranchPurpose::Officer) {
            if let Some(request) = intents::complaint_request(text) {
                let first_text = request.tells_story.then(|| text.trim().to_owned());
                return self.start_complaint(None, first_text);
            }
        }
        if matches!(purpose, BranchPurpose::Complaint { .. }) && intents::is_officer_request(text) {
            return self.start_officer_chat(None);
        }
        let choice = match (intents::yes_or_no(text), suggested) {
            (Some(true), Some(number)) => Some(number),
            (Some(false), _) => None,
            _ => match match_branch(self.ctx.catalogue, text) {
                BranchMatch::Exact(number) => Some(number),
                _ => None,
            },
        };
        match (choice, purpose) {
            (Some(number), purpose) => self.picked(number, purpose),
            (None, purpose) => self.ask_branch(purpose, None),
        }
    }

    /// A branch was picked for a purpose.
    fn picked(&mut self, number: u8, purpose: BranchPurpose) {
        match purpose {
            BranchPurpose::Officer => self.start_officer_chat(Some(number)),
            BranchPurpose::Complaint { first_text } => self.begin_intake(number, first_text),
            BranchPurpose::Rehome { intake } => {
                let mut intake = *intake;
                intake.draft.branch = number;
                self.resume_intake(intake);
            }
        }
    }

    fn menu_command(&mut self, command: GlobalCommand) {
        match command {
            GlobalCommand::Menu => self.show_main_menu(),
            GlobalCommand::Help => self.say(texts::help(self.ctx.catalogue)),
            GlobalCommand::Back | GlobalCommand::Cancel => self.menu_back(command == GlobalCommand::Cancel),
        }
    }

    /// "quay lại" and "hủy" at a menu: one level up (a complaint being re-homed is kept, or
    /// with "hủy" dropped after confirmation).
    fn menu_back(&mut self, cancel: bool) {
        match self.state.phase.clone() {
            Phase::AwaitingCode { branch: Some(branch) } => self.open_branch(branch),
            Phase::PickingBranch { purpose: BranchPurpose::Rehome { intake }, .. } => {
                if cancel {
                    self.say(texts::discard_question(intake.draft_id()));
                    self.state.phase = Phase::ConfirmDiscard { intake: *intake, paused: false };
                } else {
                    self.state.paused = Some(*intake);
                    self.say(texts::draft_kept());
                    self.show_main_menu();
                }
            }
            _ => self.show_main_menu(),
        }
    }

    fn menu_payload(&mut self, payload: Payload, fresh: bool) {
        match payload {
            Payload::Menu => self.show_main_menu(),
            Payload::Help => self.say(texts::help(self.ctx.catalogue)),
            Payload::Back => self.menu_back(false),
            Payload::Cancel => self.menu_back(true),
            Payload::Branch(number) if self.branch_exists(number) => self.open_branch(number),
            Payload::Complaint(Some(number)) if self.branch_exists(number) => match self.state.phase.clone() {
                Phase::PickingBranch { purpose: BranchPurpose::Rehome { intake }, .. } => {
                    self.picked(number, BranchPurpose::Rehome { intake });
                }
                _ => {
                    let first_text = self.offered_text();
                    self.start_complaint(Some(number), first_text);
                }
            },
            Payload::Complaint(None) => match self.state.phase.clone() {
                // "Chọn nhánh khác" under a suggested branch: the whole list.
                Phase::PickingBranch { purpose: purpose @ BranchPurpose::Complaint { .. }, suggested: Some(_) } => {
                    self.ask_branch(purpose, None);
                }
                _ => {
                    let first_text = self.offered_text();
                    self.start_complaint(None, first_text);
                }
            },
            Payload::Lookup(Some(code)) => self.lookup(code),
            Payload::Lookup(None) => self.ask_code(),
            Payload::Officer(Some(number)) if self.branch_exists(number) => self.start_officer_chat(Some(number)),
            Payload::Officer(None) => self.start_officer_chat(None),
            Payload::ResumeDraft if self.state.paused.is_some() => {
                if let Some(intake) = self.state.paused.take() {
                    self.resume_intake(intake);
                }
            }
            Payload::DropDraft if self.state.paused.is_some() => {
                if let Some(intake) = self.state.paused.take() {
                    self.say(texts::discard_question(intake.draft_id()));
                    self.state.phase = Phase::ConfirmDiscard { intake, paused: true };
                }
            }
            // A forged payload, a branch that does not exist, or a button of a step the
            // citizen has left: as if something unknown was typed.
            _ => self.stale_at_menu(fresh),
        }
    }

    fn stale_at_menu(&mut self, fresh: bool) {
        if fresh {
            return self.show_main_menu();
        }
        match self.state.phase.clone() {
            Phase::AwaitingCode { .. } => self.say(texts::invalid_ticket_code()),
            Phase::BranchMenu { branch, .. } => {
                self.say(texts::branch_not_understood(self.ctx.catalogue, branch, false));
            }
            Phase::PickingBranch { purpose, suggested } => self.ask_branch(purpose, suggested),
            _ => {
                self.say(texts::not_understood(self.ctx.catalogue, false));
                self.state.phase = Phase::MainMenu;
            }
        }
    }

    /// The message the bot offered to send as a complaint, if the citizen is at that offer
    /// (or picking the branch of a complaint that already has its first message).
    fn offered_text(&self) -> Option<String> {
        match &self.state.phase {
            Phase::MainMenuWithOffer { offered_text } => Some(offered_text.clone()),
            Phase::BranchMenu { offered_text, .. } => offered_text.clone(),
            Phase::PickingBranch { purpose: BranchPurpose::Complaint { first_text }, .. } => first_text.clone(),
            _ => None,
        }
    }

    pub(super) fn open_branch(&mut self, number: u8) {
        self.say(texts::branch_menu(self.ctx.catalogue, number));
        self.state.phase = Phase::BranchMenu { branch: number, offered_text: None };
    }

    /// Looks up a code (the caller answers with its status); the citizen stays where they were,
    /// or goes back there from the question asking for the code.
    fn lookup(&mut self, code: String) {
        if let Phase::AwaitingCode { branch } = self.state.phase {
            self.state.phase = match branch {
                Some(branch) => Phase::BranchMenu { branch, offered_text: None },
                None => Phase::MainMenu,
            };
        }
        self.effect(Effect::LookupTicket { code });
    }

    fn ask_code(&mut self) {
        self.say(texts::ask_ticket_code());
        self.state.phase = Phase::AwaitingCode { branch: self.state.current_branch() };
    }

    /// Asks which branch a complaint or chat is for (`suggested`: confirm this one).
    fn ask_branch(&mut self, purpose: BranchPurpose, suggested: Option<u8>) {
        match suggested {
            Some(number) => self.say(texts::confirm_branch_for_complaint(self.ctx.catalogue, number)),
            None => match &purpose {
                BranchPurpose::Officer => self.say_all(texts::pick_branch_for_officer(self.ctx.catalogue)),
                BranchPurpose::Complaint { .. } => self.say_all(texts::pick_branch_for_complaint(self.ctx.catalogue)),
                BranchPurpose::Rehome { .. } => self.say_all(texts::pick_branch_again(self.ctx.catalogue)),
            },
        }
        self.state.phase = Phase::PickingBranch { purpose, suggested };
    }

    /// A new complaint: for `branch` when known; otherwise the citizen picks (or confirms the
    /// branch guessed from `first_text`). A kept draft is offered first.
    fn start_complaint(&mut self, branch: Option<u8>, first_text: Option<String>) {
        if let Some(paused) = &self.state.paused {
            let offer = texts::paused_draft_offer(self.ctx.catalogue, paused, self.ctx.calendar.time_zone());
            return self.say(offer);
        }
        if let Some(number) = branch {
            return self.begin_intake(number, first_text);
        }
        let suggested = first_text.as_deref().and_then(|text| match match_branch(self.ctx.catalogue, text) {
            BranchMatch::Exact(number) => Some(number),
            _ => None,
        });
        self.ask_branch(BranchPurpose::Complaint { first_text }, suggested);
    }

    /// Starts writing a complaint for `number`, with its first message if already known.
    fn begin_intake(&mut self, number: u8, first_text: Option<String>) {
        let mut intake = Intake::new(number, self.now);
        let prefilled = first_text.is_some();
        intake.draft.content.extend(first_text);
        self.say(texts::content_prompt(self.ctx.catalogue, number, prefilled));
        self.state.phase = Phase::Intake(intake);
    }

    /// Goes back to a kept or re-homed complaint, at the question it was waiting on.
    pub(super) fn resume_intake(&mut self, intake: Intake) {
        if !self.branch_exists(intake.draft.branch) {
            self.say_all(texts::pick_branch_again(self.ctx.catalogue));
            self.state.phase =
                Phase::PickingBranch { purpose: BranchPurpose::Rehome { intake: Box::new(intake) }, suggested: None };
            return;
        }
        self.say(texts::resuming());
        self.state.phase = Phase::Intake(intake);
        self.prompt_step();
    }

    /// Starts a chat with an officer of `branch`, or asks which branch first.
    pub(super) fn start_officer_chat(&mut self, branch: Option<u8>) {
        match branch.filter(|number| self.branch_exists(*number)) {
            Some(number) => self.start_handoff(number),
            None => self.ask_branch(BranchPurpose::Officer, None),
        }
    }
}

/// A message that is only a number ("9", "12"), as typed.
fn bare_number(text: &str) -> Option<&str> {
    let digits = text.trim_end_matches(['.', '!', '?']);
    (!digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn offered(text: &str) -> String {
    text.chars().take(MAX_OFFERED_CHARS).collect()
}

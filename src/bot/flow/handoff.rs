//! Talking to an officer: the chat is opened for the branch's department (with the time the
//! office opens when it is closed), the citizen's texts and media are relayed without bot menus,
//! "menu" or "kết thúc" end it after confirmation, and an officer may end it from the console.
//! A message that is only a complaint code is relayed and also looked up.

use chrono::{DateTime, Utc};

use super::{Effect, Turn};
use crate::bot::input::{valid_coordinates, BotInput};
use crate::bot::intents;
use crate::bot::matcher::{is_global_command, GlobalCommand};
use crate::bot::payload::Payload;
use crate::bot::state::Phase;
use crate::bot::texts;
use crate::bot::ticket_code::parse_ticket_code;
use crate::tickets::draft::Evidence;

impl Turn<'_, '_> {
    /// Opens a chat with an officer of `number`'s department.
    pub(super) fn start_handoff(&mut self, number: u8) {
        let Some(branch) = self.ctx.catalogue.branch(number) else { return };
        let department_code = branch.department.clone();
        let opens_at = self.office_opening();
        self.effect(Effect::StartHandoff { branch: number, department_code: department_code.clone() });
        self.say(texts::handoff_started(self.ctx.catalogue, number, opens_at, self.now, self.ctx.calendar.time_zone()));
        self.state.phase = Phase::Handoff { branch: number, department_code, ending: false };
    }

    /// `None` while the office is open; otherwise when it next opens (if the calendar knows).
    fn office_opening(&self) -> Option<DateTime<Utc>> {
        let hours = self.ctx.office_hours;
        if hours.is_open(self.ctx.calendar, self.now) {
            return None;
        }
        Some(hours.next_opening(self.ctx.calendar, self.now)).filter(|at| *at != DateTime::<Utc>::MAX_UTC)
    }

    /// An input during the chat. `idle`: the citizen had not written for longer than the session
    /// timeout, so the relayed message comes with a reminder of where it goes.
    pub(super) fn handoff_input(&mut self, input: &BotInput, idle: bool) {
        let Phase::Handoff { branch, ending, .. } = self.state.phase.clone() else { return };
        match input {
            BotInput::Text(text) => self.handoff_text(text, branch, ending, idle),
            BotInput::Media { evidence, caption, .. } => {
                self.relay(caption.clone(), Some(evidence.clone()), branch, idle);
            }
            BotInput::Location { latitude, longitude, label } if valid_coordinates(*latitude, *longitude) => {
                let evidence = Evidence::Location { latitude: *latitude, longitude: *longitude, msg_id: None };
                self.relay(label.clone(), Some(evidence), branch, idle);
            }
            // Stickers, the info form, unreadable messages: nothing to pass on.
            _ => {}
        }
    }

    fn handoff_text(&mut self, text: &str, branch: u8, ending: bool, idle: bool) {
        if let Some(payload) = Payload::parse(text) {
            return match payload {
                Payload::EndHandoff | Payload::Menu if ending => self.end_handoff(),
                Payload::EndHandoff | Payload::Menu => self.ask_end_handoff(),
                Payload::ContinueHandoff if ending => self.continue_handoff(),
                // Old buttons of the bot: not for the officer.
                _ => self.say(texts::handoff_reminder(self.ctx.catalogue, branch)),
            };
        }
        let wants_end = is_global_command(text) == Some(GlobalCommand::Menu) || intents::is_end_chat(text);
        if wants_end && ending {
            return self.end_handoff();
        }
        if wants_end {
            return self.ask_end_handoff();
        }
        if ending {
            match intents::yes_or_no(text) {
                Some(true) => return self.end_handoff(),
                Some(false) => return self.continue_handoff(),
                None if intents::is_continue(text) => return self.continue_handoff(),
                None => {}
            }
        }
        self.relay(Some(text.to_owned()), None, branch, idle);
        // A code on its own is also looked up: the citizen gets the status without waiting.
        if let Some(code) = parse_ticket_code(text) {
            self.effect(Effect::LookupTicket { code });
        }
    }

    fn relay(&mut self, text: Option<String>, evidence: Option<Evidence>, branch: u8, idle: bool) {
        let text = text.filter(|text| !text.trim().is_empty());
        if text.is_none() && evidence.is_none() {
            return;
        }
        self.effect(Effect::RelayToOfficer { text, evidence });
        if let Phase::Handoff { ending, .. } = &mut self.state.phase {
            // The question whether to end was left unanswered: the chat goes on.
            *ending = false;
        }
        if idle {
            self.say(texts::handoff_reminder(self.ctx.catalogue, branch));
        }
    }

    fn ask_end_handoff(&mut self) {
        if let Phase::Handoff { ending, .. } = &mut self.state.phase {
            *ending = true;
        }
        self.say(texts::handoff_confirm_end());
    }

    fn continue_handoff(&mut self) {
        if let Phase::Handoff { ending, .. } = &mut self.state.phase {
            *ending = false;
        }
        self.say(texts::handoff_continues());
    }

    fn end_handoff(&mut self) {
        self.effect(Effect::EndHandoff);
        self.say(texts::handoff_ended_by_citizen());
        self.show_main_menu();
    }

    /// The officer closed the chat from the console (ignored when no chat is open).
    pub(super) fn officer_ended(&mut self) {
        if matches!(self.state.phase, Phase::Handoff { .. }) {
            self.say(texts::handoff_ended_by_officer());
            self.state.phase = Phase::MainMenu;
        }
    }
}

//! The conversation as a pure state machine: [`step`] takes the stored state, one input and the
//! time, and returns the new state with the effects the caller carries out in one transaction
//! (messages to send, a complaint to file, a ticket to look up, a chat to hand to an officer).
//! No I/O and no clock here; everything it needs comes in [`BotContext`].
//!
//! Order of a step: Unfollow resets (closing an open chat); an officer ending a chat is applied; the citizen's rate
//! limit is checked; a state left by an older catalogue is repaired; a citizen the bot never
//! talked to is welcomed, and a conversation idle longer than the session timeout restarts at
//! the main menu (a half-written complaint is kept); then the input is handled where the
//! citizen is: a menu (`navigation`), a complaint (`intake`) or a chat with an officer (`handoff`).

mod handoff;
mod intake;
mod navigation;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bot::catalogue::Catalogue;
use crate::bot::input::BotInput;
use crate::bot::settings::BotSettings;
use crate::bot::state::{BranchPurpose, ConversationState, Intake, Phase, RateWindow};
use crate::bot::texts;
use crate::calendar::working::{OfficeHours, WorkingCalendar};
use crate::tickets::draft::{ComplaintDraft, Evidence};
use crate::zalo::outbound::OutboundMessage;

/// What the conversation needs to know about the deployment.
#[derive(Debug, Clone, Copy)]
pub struct BotContext<'a> {
    pub catalogue: &'a Catalogue,
    pub calendar: &'a WorkingCalendar,
    pub office_hours: &'a OfficeHours,
    pub settings: &'a BotSettings,
}

impl<'a> BotContext<'a> {
    /// A context whose office hours are those of `settings`.
    pub fn new(catalogue: &'a Catalogue, calendar: &'a WorkingCalendar, settings: &'a BotSettings) -> Self {
        BotContext { catalogue, calendar, office_hours: &settings.office_hours, settings }
    }
}

/// Something the caller must do, in order, in the same transaction as storing the new state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Send this message to the citizen.
    Send(OutboundMessage),
    /// File this complaint as a ticket of the citizen, then send
    /// `texts::complaint_filed(code, due_date, formally_processable)`.
    FileComplaint(ComplaintDraft),
    /// Look up this ticket among the citizen's own tickets, then send `texts::ticket_status(…)`
    /// or `texts::ticket_not_found(code)`. The code is normalised (`PA-2026-7K3Q9X`).
    LookupTicket { code: String },
    /// Open a chat between the citizen and an officer of this department (branch for context).
    StartHandoff { branch: u8, department_code: String },
    /// Pass a message of the citizen to the officer of the open chat.
    RelayToOfficer { text: Option<String>, evidence: Option<Evidence> },
    /// The citizen ended the chat with the officer.
    EndHandoff,
}

/// The result of one input: the state to store and the effects to carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: ConversationState,
    pub effects: Vec<Effect>,
}

impl Step {
    /// The messages to send, in order (for logs and tests).
    pub fn messages(&self) -> impl Iterator<Item = &OutboundMessage> {
        self.effects.iter().filter_map(|effect| match effect {
            Effect::Send(message) => Some(message),
            _ => None,
        })
    }
}

/// Advances one citizen's conversation by one input received at `now`.
pub fn step(ctx: &BotContext<'_>, state: &ConversationState, input: &BotInput, now: DateTime<Utc>) -> Step {
    let mut turn = Turn { ctx, now, state: state.clone(), effects: Vec::new() };
    match input {
        BotInput::Unfollow => {
            // A clean state and no message; an open chat is closed so no officer writes into the void.
            let in_chat = matches!(state.phase, Phase::Handoff { .. });
            let effects = if in_chat { vec![Effect::EndHandoff] } else { Vec::new() };
            return Step { state: ConversationState::default(), effects };
        }
        BotInput::OfficerEnded => {
            turn.officer_ended();
            return turn.finish();
        }
        _ => {}
    }
    if let Some(effects) = rate_limit(ctx, &mut turn.state.rate, now) {
        return Step { state: turn.state, effects };
    }
    let idle = turn.state.last_input_at.is_some_and(|last| now - last > ctx.settings.session_timeout);
    turn.state.last_input_at = Some(now);
    if idle && matches!(turn.state.phase, Phase::MainMenuWithOffer { .. }) {
        // An old offer lapses quietly: the citizen was at the main menu anyway.
        turn.state.phase = Phase::MainMenu;
    }
    if turn.repair() {
        return turn.finish();
    }
    if !turn.state.welcomed {
        turn.state.welcomed = true;
        turn.say(texts::welcome(ctx.catalogue));
        turn.fresh_start(input);
    } else if idle && turn.restarts_after_idle() {
        turn.park_intake();
        turn.state.phase = Phase::MainMenu;
        turn.say(texts::session_restarted(ctx.settings.session_timeout));
        turn.fresh_start(input);
    } else {
        turn.handle(input, idle);
    }
    turn.finish()
}

/// Counts the input in the citizen's window; `Some(effects)` when it must be ignored (one
/// polite message the first time in the window, then nothing).
fn rate_limit(ctx: &BotContext<'_>, rate: &mut RateWindow, now: DateTime<Utc>) -> Option<Vec<Effect>> {
    let window = ctx.settings.rate_limit_window;
    let expired = rate.started_at.is_none_or(|start| now < start || now - start >= window);
    if expired {
        *rate = RateWindow { started_at: Some(now), count: 0, warned: false };
    }
    rate.count = rate.count.saturating_add(1);
    if rate.count <= ctx.settings.rate_limit_messages {
        return None;
    }
    if rate.warned {
        return Some(Vec::new());
    }
    rate.warned = true;
    Some(vec![Effect::Send(texts::rate_limited(window))])
}

/// One step in progress: the state being changed and the effects so far.
pub(super) struct Turn<'c, 'a> {
    ctx: &'c BotContext<'a>,
    now: DateTime<Utc>,
    state: ConversationState,
    effects: Vec<Effect>,
}

impl Turn<'_, '_> {
    fn finish(self) -> Step {
        Step { state: self.state, effects: self.effects }
    }

    fn say(&mut self, message: OutboundMessage) {
        self.effects.push(Effect::Send(message));
    }

    fn say_all(&mut self, messages: Vec<OutboundMessage>) {
        for message in messages {
            self.say(message);
        }
    }

    fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    fn branch_exists(&self, number: u8) -> bool {
        self.ctx.catalogue.branch(number).is_some()
    }

    /// Makes a stored state fit the current catalogue (branches may have been renumbered or
    /// removed since it was saved). True when the input must not be handled: the citizen was
    /// asked to pick a new branch for the complaint being written.
    fn repair(&mut self) -> bool {
        let phase = std::mem::take(&mut self.state.phase);
        self.state.phase = match phase {
            Phase::BranchMenu { branch, .. } if !self.branch_exists(branch) => Phase::MainMenu,
            Phase::AwaitingCode { branch: Some(branch) } if !self.branch_exists(branch) => {
                Phase::AwaitingCode { branch: None }
            }
            Phase::ChoosingBranch { candidates } => {
                let candidates: Vec<u8> = candidates.into_iter().filter(|n| self.branch_exists(*n)).collect();
                if candidates.is_empty() {
                    Phase::MainMenu
                } else {
                    Phase::ChoosingBranch { candidates }
                }
            }
            Phase::PickingBranch { purpose, suggested: Some(branch) } if !self.branch_exists(branch) => {
                Phase::PickingBranch { purpose, suggested: None }
            }
            Phase::Intake(intake) if !self.branch_exists(intake.draft.branch) => {
                self.say_all(texts::pick_branch_again(self.ctx.catalogue));
                self.state.phase = Phase::PickingBranch {
                    purpose: BranchPurpose::Rehome { intake: Box::new(intake) },
                    suggested: None,
                };
                return true;
            }
            other => other,
        };
        false
    }

    /// Whether an idle conversation goes back to the main menu: not at the menu already, and
    /// not in a chat with an officer (who may answer hours later).
    fn restarts_after_idle(&self) -> bool {
        !matches!(self.state.phase, Phase::MainMenu | Phase::Handoff { .. })
    }

    /// Keeps a complaint being written (or waiting on the discard question) as the paused draft.
    fn park_intake(&mut self) {
        let phase = std::mem::take(&mut self.state.phase);
        let kept = match phase {
            Phase::Intake(intake) | Phase::ConfirmDiscard { intake, .. } => Some(intake),
            Phase::PickingBranch { purpose: BranchPurpose::Rehome { intake }, .. } => Some(*intake),
            other => {
                self.state.phase = other;
                None
            }
        };
        if let Some(intake) = kept {
            self.state.paused = Some(Intake { editing: false, ..intake });
        }
    }

    /// Shows the main menu (and the kept draft, if any).
    fn show_main_menu(&mut self) {
        self.state.phase = Phase::MainMenu;
        self.say_all(texts::main_menu(self.ctx.catalogue));
        if let Some(paused) = &self.state.paused {
            let offer = texts::paused_draft_offer(self.ctx.catalogue, paused, self.ctx.calendar.time_zone());
            self.say(offer);
        }
    }

    /// The input of a citizen starting afresh (first contact, or after a timeout): handled from
    /// the main menu, where anything not understood shows the menu itself.
    fn fresh_start(&mut self, input: &BotInput) {
        match input {
            BotInput::Text(text) => self.menu_text(text, true),
            BotInput::SubmittedInfo { .. } => {
                self.say(texts::info_not_needed());
                self.show_main_menu();
            }
            _ => self.show_main_menu(),
        }
    }

    /// Handles the input where the citizen is. `idle`: the conversation was idle for longer
    /// than the session timeout (only a chat with an officer continues after that).
    fn handle(&mut self, input: &BotInput, idle: bool) {
        match input {
            BotInput::Follow | BotInput::ChatNow => self.followed(),
            _ => match &self.state.phase {
                Phase::Intake(_) => self.intake_input(input),
                Phase::ConfirmDiscard { .. } => self.confirm_discard_input(input),
                Phase::Handoff { .. } => self.handoff_input(input, idle),
                _ => self.menu_input(input),
            },
        }
    }

    /// Follow or "chat now": welcome and the main menu (a chat with an officer goes on).
    fn followed(&mut self) {
        if matches!(self.state.phase, Phase::Handoff { .. }) {
            return;
        }
        self.park_intake();
        self.say(texts::welcome(self.ctx.catalogue));
        self.show_main_menu();
    }
}

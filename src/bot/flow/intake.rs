//! Writing a complaint (PAKN): the description over several messages with attachments, the
//! optional place and procedure, consent to personal-data processing, name and phone (Zalo's
//! form or typed), the summary with its notes, edits, and the discard question. Typed answers
//! are not hijacked by command words: only "menu" and "trợ giúp" are commands while a free-text
//! answer is expected, and "hủy" never while a name is asked ("Huy" is a name).

use super::{Effect, Turn};
use crate::bot::input::{valid_coordinates, BotInput};
use crate::bot::intents;
use crate::bot::matcher::{is_global_command, GlobalCommand};
use crate::bot::payload::{EditPart, Payload};
use crate::bot::scope;
use crate::bot::state::{Intake, IntakeStep, Phase};
use crate::bot::text::fold;
use crate::bot::texts;
use crate::bot::ticket_code::parse_ticket_code;
use crate::tickets::draft::{Consent, Evidence};
use crate::zalo::phone::normalize_vn_phone;

/// Longest place or procedure kept, in characters.
const MAX_SHORT_ANSWER_CHARS: usize = 300;
/// Longest description message kept, in characters (twice Zalo's own limit on a text message,
/// so nothing a citizen can send is cut; it bounds the stored state).
const MAX_CONTENT_CHARS: usize = 4000;
/// Longest name kept, in characters.
const MAX_NAME_CHARS: usize = 100;

impl Turn<'_, '_> {
    fn intake(&self) -> Option<&Intake> {
        match &self.state.phase {
            Phase::Intake(intake) => Some(intake),
            _ => None,
        }
    }

    fn intake_mut(&mut self) -> Option<&mut Intake> {
        match &mut self.state.phase {
            Phase::Intake(intake) => Some(intake),
            _ => None,
        }
    }

    fn current_step(&self) -> Option<IntakeStep> {
        self.intake().map(|intake| intake.step)
    }

    fn max_items(&self) -> usize {
        usize::try_from(self.ctx.settings.max_complaint_messages).unwrap_or(usize::MAX)
    }

    /// Asks the question of the current step.
    pub(super) fn prompt_step(&mut self) {
        let Some(intake) = self.intake().cloned() else { return };
        let catalogue = self.ctx.catalogue;
        match intake.step {
            IntakeStep::Content if intake.editing => self.say(texts::content_rewrite_prompt()),
            IntakeStep::Content => {
                let prefilled = intake.item_count() > 0;
                self.say(texts::content_prompt(catalogue, intake.draft.branch, prefilled));
            }
            IntakeStep::Place => self.say(texts::place_prompt()),
            IntakeStep::Procedure => self.say(texts::procedure_prompt()),
            IntakeStep::Consent => self.say(texts::consent_prompt(catalogue, self.ctx.settings)),
            IntakeStep::Name => self.say_all(texts::name_prompt(self.ctx.settings)),
            IntakeStep::Phone => self.say(texts::phone_prompt(intake.draft.citizen_name.as_deref())),
            IntakeStep::Summary => {
                self.say_summary_notes(&intake);
                self.say(texts::summary(catalogue, &intake));
            }
            IntakeStep::EditChoice => self.say(texts::edit_choice()),
        }
    }

    /// What the citizen is told about the nature of the complaint before confirming it.
    fn say_summary_notes(&mut self, intake: &Intake) {
        let notes = scope::review(
            intake
                .draft
                .content
                .iter()
                .map(String::as_str)
                .chain(intake.draft.place.as_deref())
                .chain(intake.draft.procedure.as_deref()),
        );
        self.say_all(texts::content_notes(notes));
    }

    /// Moves to `step` and asks its question.
    fn go_to(&mut self, step: IntakeStep) {
        if let Some(intake) = self.intake_mut() {
            intake.step = step;
        }
        self.prompt_step();
    }

    /// The step after an answered one: the next question, or the summary when editing.
    fn advance_from(&mut self, answered: IntakeStep) {
        let editing = self.intake().is_some_and(|intake| intake.editing);
        let next = match answered {
            _ if editing && answered != IntakeStep::Consent && answered != IntakeStep::Name => IntakeStep::Summary,
            IntakeStep::Content => IntakeStep::Place,
            IntakeStep::Place => IntakeStep::Procedure,
            IntakeStep::Procedure => IntakeStep::Consent,
            IntakeStep::Consent => IntakeStep::Name,
            IntakeStep::Name => IntakeStep::Phone,
            IntakeStep::Phone | IntakeStep::Summary | IntakeStep::EditChoice => IntakeStep::Summary,
        };
        if next == IntakeStep::Summary {
            if let Some(intake) = self.intake_mut() {
                intake.editing = false;
                intake.replaced_content.clear();
            }
        }
        self.go_to(next);
    }

    /// Any input while a complaint is being written.
    pub(super) fn intake_input(&mut self, input: &BotInput) {
        let Some(step) = self.current_step() else { return };
        match input {
            BotInput::Text(text) => self.intake_text(text, step),
            BotInput::Media { kind, evidence, caption } => {
                if let Some(caption) = caption.as_deref().filter(|_| step == IntakeStep::Content) {
                    self.add_content_silently(caption);
                }
                self.add_evidence(evidence.clone(), texts::media_name(*kind), step);
            }
            BotInput::Location { latitude, longitude, label } if valid_coordinates(*latitude, *longitude) => {
                let evidence = Evidence::Location { latitude: *latitude, longitude: *longitude, msg_id: None };
                if step == IntakeStep::Place {
                    let place = label.clone().unwrap_or_else(|| texts::location_as_place(*latitude, *longitude));
                    self.attach_quietly(evidence);
                    self.answer_place(&place);
                } else {
                    self.add_evidence(evidence, texts::LOCATION, step);
                }
            }
            BotInput::SubmittedInfo { name, phone } if matches!(step, IntakeStep::Name | IntakeStep::Phone) => {
                self.submitted_info(name.as_deref(), phone.as_deref());
            }
            BotInput::Sticker if step == IntakeStep::Content => self.say(texts::sticker_in_intake()),
            // Stickers at other steps, a stale info form, unreadable messages: ask again.
            _ => self.prompt_step(),
        }
    }

    fn intake_text(&mut self, text: &str, step: IntakeStep) {
        if let Some(payload) = Payload::parse(text) {
            return self.intake_payload(payload, step);
        }
        if let Some(command) = is_global_command(text) {
            let hijacks_name = step == IntakeStep::Name && command == GlobalCommand::Cancel;
            if !hijacks_name {
                return self.intake_command(command);
            }
        }
        if let Some(code) = parse_ticket_code(text) {
            return self.effect(Effect::LookupTicket { code });
        }
        match step {
            IntakeStep::Content => self.content_text(text),
            IntakeStep::Place => {
                if intents::is_skip(text) || intents::is_done(text) {
                    self.advance_from(IntakeStep::Place);
                } else if intents::has_words(text) {
                    self.answer_place(text);
                } else {
                    self.prompt_step();
                }
            }
            IntakeStep::Procedure => {
                if intents::is_skip(text) || intents::is_done(text) {
                    self.advance_from(IntakeStep::Procedure);
                } else if intents::has_words(text) {
                    let procedure = short_answer(text);
                    if let Some(intake) = self.intake_mut() {
                        intake.draft.procedure = Some(procedure);
                    }
                    self.advance_from(IntakeStep::Procedure);
                } else {
                    self.prompt_step();
                }
            }
            IntakeStep::Consent => match intents::yes_or_no(text) {
                Some(true) => self.consent_given(),
                Some(false) => self.consent_refused(),
                None => self.say(texts::consent_unclear()),
            },
            IntakeStep::Name => self.name_text(text),
            IntakeStep::Phone => self.phone_text(text),
            IntakeStep::Summary => {
                if intents::is_submit(text) {
                    self.submit();
                } else if intents::is_edit(text) {
                    self.go_to(IntakeStep::EditChoice);
                } else {
                    self.summary_unclear();
                }
            }
            IntakeStep::EditChoice => match typed_edit_part(text) {
                Some(part) => self.edit(part),
                None => self.say(texts::edit_choice()),
            },
        }
    }

    fn intake_payload(&mut self, payload: Payload, step: IntakeStep) {
        match (payload, step) {
            (Payload::Menu, _) => self.intake_command(GlobalCommand::Menu),
            (Payload::Help, _) => self.intake_command(GlobalCommand::Help),
            (Payload::Back, _) => self.intake_command(GlobalCommand::Back),
            (Payload::Cancel, _) => self.intake_command(GlobalCommand::Cancel),
            (Payload::Lookup(Some(code)), _) => self.effect(Effect::LookupTicket { code }),
            (Payload::ContentDone, IntakeStep::Content) => self.content_done(),
            (Payload::SkipPlace, IntakeStep::Place) | (Payload::SkipProcedure, IntakeStep::Procedure) => {
                self.advance_from(step);
            }
            (Payload::ConsentGiven, IntakeStep::Consent) => self.consent_given(),
            (Payload::ConsentRefused, IntakeStep::Consent) => self.consent_refused(),
            (Payload::Submit(id), IntakeStep::Summary) if self.intake().is_some_and(|i| i.draft_id() == id) => {
                self.submit();
            }
            (Payload::Edit, IntakeStep::Summary) => self.go_to(IntakeStep::EditChoice),
            (Payload::EditPart(part), IntakeStep::EditChoice) => self.edit(part),
            // Menus, branches and chats wait until the complaint is finished or dropped.
            (
                Payload::Branch(_)
                | Payload::Complaint(_)
                | Payload::Lookup(None)
                | Payload::Officer(_)
                | Payload::ResumeDraft
                | Payload::DropDraft,
                _,
            ) => {
                self.say(texts::finish_complaint_first());
                self.prompt_step();
            }
            // A button of another step or another draft: ask the current question again.
            (Payload::Submit(_), IntakeStep::Summary) => self.summary_unclear(),
            _ => self.prompt_step(),
        }
    }

    fn intake_command(&mut self, command: GlobalCommand) {
        match command {
            GlobalCommand::Menu => {
                self.park_intake();
                self.say(texts::draft_kept());
                self.show_main_menu();
            }
            GlobalCommand::Help => {
                self.say(texts::help(self.ctx.catalogue));
                self.prompt_step();
            }
            GlobalCommand::Back => self.intake_back(),
            GlobalCommand::Cancel => self.ask_discard(),
        }
    }

    fn ask_discard(&mut self) {
        let phase = std::mem::take(&mut self.state.phase);
        match phase {
            Phase::Intake(intake) => {
                self.say(texts::discard_question(intake.draft_id()));
                self.state.phase = Phase::ConfirmDiscard { intake, paused: false };
            }
            other => self.state.phase = other,
        }
    }

    /// "quay lại": the previous question; from the first one, out of an empty complaint (a
    /// complaint with content is only dropped after confirmation).
    fn intake_back(&mut self) {
        let Some(intake) = self.intake().cloned() else { return };
        let previous = match intake.step {
            IntakeStep::Content if intake.editing => {
                if let Some(intake) = self.intake_mut() {
                    if !intake.replaced_content.is_empty() {
                        intake.draft.content = std::mem::take(&mut intake.replaced_content);
                    }
                    intake.editing = false;
                }
                IntakeStep::Summary
            }
            IntakeStep::Content if intake.item_count() == 0 => {
                return self.open_branch(intake.draft.branch);
            }
            IntakeStep::Content => return self.ask_discard(),
            IntakeStep::Place | IntakeStep::Procedure | IntakeStep::Consent if intake.editing => {
                if let Some(intake) = self.intake_mut() {
                    intake.editing = false;
                }
                IntakeStep::Summary
            }
            IntakeStep::Place => IntakeStep::Content,
            IntakeStep::Procedure => IntakeStep::Place,
            IntakeStep::Consent => IntakeStep::Procedure,
            IntakeStep::Name => IntakeStep::Consent,
            IntakeStep::Phone => IntakeStep::Name,
            IntakeStep::Summary => match intake.draft.consent {
                Consent::Given { .. } if intake.draft.phone.is_some() => IntakeStep::Phone,
                Consent::Given { .. } => IntakeStep::Name,
                _ => IntakeStep::Consent,
            },
            IntakeStep::EditChoice => {
                self.set_step(IntakeStep::Summary);
                return self.say(texts::summary(self.ctx.catalogue, &intake));
            }
        };
        self.go_to(previous);
    }

    // -----------------------------------------------------------------------------------------
    // Description and attachments

    fn content_text(&mut self, text: &str) {
        let has_content = self.intake().is_some_and(|intake| !intake.draft.content.is_empty());
        if intents::is_done(text) && has_content {
            return self.content_done();
        }
        if !intents::has_words(text) {
            return if has_content { self.prompt_step() } else { self.say(texts::content_needed()) };
        }
        self.add_content_silently(text);
        let items = self.intake().map_or(0, Intake::item_count);
        if items >= self.max_items() {
            self.say(texts::complaint_full(self.ctx.settings.max_complaint_messages));
            return self.content_done();
        }
        self.say(texts::content_received(items, self.ctx.settings.max_complaint_messages));
    }

    /// Appends a message to the description, without a reply (if there is room).
    fn add_content_silently(&mut self, text: &str) {
        let max = self.max_items();
        if let Some(intake) = self.intake_mut() {
            if intake.item_count() < max && intents::has_words(text) {
                intake.draft.content.push(text.trim().chars().take(MAX_CONTENT_CHARS).collect());
            }
        }
    }

    fn content_done(&mut self) {
        let has_content = self.intake().is_some_and(|intake| !intake.draft.content.is_empty());
        if has_content {
            self.advance_from(IntakeStep::Content);
        } else {
            self.say(texts::content_needed());
        }
    }

    /// Adds an attachment, if there is room, without a reply.
    fn attach_quietly(&mut self, evidence: Evidence) -> bool {
        let max = self.max_items();
        match self.intake_mut() {
            Some(intake) if intake.item_count() < max => {
                intake.draft.evidence.push(evidence);
                true
            }
            _ => false,
        }
    }

    fn add_evidence(&mut self, evidence: Evidence, what: &str, step: IntakeStep) {
        let max = self.ctx.settings.max_complaint_messages;
        if !self.attach_quietly(evidence) {
            self.say(texts::attachment_not_added(max));
            if step != IntakeStep::Content {
                self.prompt_step();
            }
            return;
        }
        let items = self.intake().map_or(0, Intake::item_count);
        if step == IntakeStep::Content {
            if items >= self.max_items() {
                self.say(texts::complaint_full(max));
                return self.content_done();
            }
            self.say(texts::attachment_received(what, items, max));
        } else {
            self.say(texts::attachment_added(what));
            self.prompt_step();
        }
    }

    fn answer_place(&mut self, text: &str) {
        let place = short_answer(text);
        if let Some(intake) = self.intake_mut() {
            intake.draft.place = Some(place);
        }
        self.advance_from(IntakeStep::Place);
    }

    // -----------------------------------------------------------------------------------------
    // Consent, name, phone

    fn consent_given(&mut self) {
        let version = self.ctx.settings.consent_text_version.clone();
        let now = self.now;
        if let Some(intake) = self.intake_mut() {
            intake.draft.consent = Consent::Given { text_version: version, at: now };
        }
        self.advance_from(IntakeStep::Consent);
    }

    fn consent_refused(&mut self) {
        let version = self.ctx.settings.consent_text_version.clone();
        let now = self.now;
        if let Some(intake) = self.intake_mut() {
            intake.draft.consent = Consent::Refused { text_version: version, at: now };
            // Personal data is not processed without consent: forget what was given before.
            intake.draft.citizen_name = None;
            intake.draft.phone = None;
            intake.editing = false;
            intake.replaced_content.clear();
        }
        self.say(texts::consent_refused());
        self.go_to(IntakeStep::Summary);
    }

    fn name_text(&mut self, text: &str) {
        let (name, phone) = split_name_and_phone(text);
        match (name, phone) {
            (Some(name), Some(phone)) => {
                if let Some(intake) = self.intake_mut() {
                    intake.draft.citizen_name = Some(name);
                    intake.draft.phone = Some(phone);
                }
                self.advance_from(IntakeStep::Phone);
            }
            (Some(name), None) => {
                if let Some(intake) = self.intake_mut() {
                    intake.draft.citizen_name = Some(name);
                }
                self.advance_from(IntakeStep::Name);
            }
            (None, _) => self.say(texts::invalid_name()),
        }
    }

    fn phone_text(&mut self, text: &str) {
        match normalize_vn_phone(text) {
            Ok(phone) => {
                if let Some(intake) = self.intake_mut() {
                    intake.draft.phone = Some(phone);
                }
                self.advance_from(IntakeStep::Phone);
            }
            Err(error) => self.say(texts::invalid_phone(&error.to_string())),
        }
    }

    /// Zalo's form answered: keep a usable name and number, ask for what is missing.
    fn submitted_info(&mut self, name: Option<&str>, phone: Option<&str>) {
        let name = name.and_then(clean_name);
        let phone = phone.map(normalize_vn_phone);
        if let Some(intake) = self.intake_mut() {
            if let Some(name) = &name {
                intake.draft.citizen_name = Some(name.clone());
            }
            if let Some(Ok(phone)) = &phone {
                intake.draft.phone = Some(phone.clone());
            }
        }
        let has_name = self.intake().is_some_and(|intake| intake.draft.citizen_name.is_some());
        match phone {
            _ if !has_name => self.go_to(IntakeStep::Name),
            Some(Ok(_)) => self.advance_from(IntakeStep::Phone),
            Some(Err(error)) => {
                self.say(texts::form_phone_unusable(Some(&error.to_string())));
                self.set_step(IntakeStep::Phone);
            }
            None => {
                self.say(texts::form_phone_unusable(None));
                self.set_step(IntakeStep::Phone);
            }
        }
    }

    fn set_step(&mut self, step: IntakeStep) {
        if let Some(intake) = self.intake_mut() {
            intake.step = step;
        }
    }

    // -----------------------------------------------------------------------------------------
    // Summary, edits, filing

    fn summary_unclear(&mut self) {
        if let Some(intake) = self.intake().cloned() {
            self.say(texts::summary_unclear(&intake));
        }
    }

    fn edit(&mut self, part: EditPart) {
        let Some(intake) = self.intake_mut() else { return };
        intake.editing = true;
        let step = match part {
            EditPart::Content => {
                intake.replaced_content = std::mem::take(&mut intake.draft.content);
                IntakeStep::Content
            }
            EditPart::Place => IntakeStep::Place,
            EditPart::Procedure => IntakeStep::Procedure,
            EditPart::Sender => IntakeStep::Consent,
        };
        self.go_to(step);
    }

    fn submit(&mut self) {
        let phase = std::mem::take(&mut self.state.phase);
        match phase {
            Phase::Intake(intake) => {
                self.effect(Effect::FileComplaint(intake.draft));
                self.state.phase = Phase::MainMenu;
            }
            other => self.state.phase = other,
        }
    }

    // -----------------------------------------------------------------------------------------
    // The discard question

    /// An input while the citizen is asked whether to drop the complaint being written.
    pub(super) fn confirm_discard_input(&mut self, input: &BotInput) {
        let Phase::ConfirmDiscard { intake, paused } = self.state.phase.clone() else { return };
        let BotInput::Text(text) = input else {
            return self.say(texts::discard_question(intake.draft_id()));
        };
        let payload = Payload::parse(text);
        let command = is_global_command(text);
        let discard = matches!(payload, Some(Payload::DiscardDraft(id)) if id == intake.draft_id())
            || matches!(payload, Some(Payload::Cancel))
            || (payload.is_none() && command == Some(GlobalCommand::Cancel))
            || (payload.is_none() && (intents::yes_or_no(text) == Some(true) || intents::is_drop(text)));
        let keep = matches!(payload, Some(Payload::KeepDraft | Payload::Back))
            || (payload.is_none() && command == Some(GlobalCommand::Back))
            || (payload.is_none() && (intents::yes_or_no(text) == Some(false) || intents::is_continue(text)));
        let to_menu =
            matches!(payload, Some(Payload::Menu)) || (payload.is_none() && command == Some(GlobalCommand::Menu));
        if discard {
            self.say(texts::discarded());
            self.show_main_menu();
        } else if to_menu {
            self.park_intake();
            self.say(texts::draft_kept());
            self.show_main_menu();
        } else if keep && paused {
            self.state.paused = Some(intake);
            self.show_main_menu();
        } else if keep {
            self.state.phase = Phase::Intake(intake);
            self.prompt_step();
        } else if matches!(payload, Some(Payload::Help)) || command == Some(GlobalCommand::Help) {
            self.say(texts::help(self.ctx.catalogue));
            self.say(texts::discard_question(intake.draft_id()));
        } else {
            self.say(texts::discard_question(intake.draft_id()));
        }
    }
}

/// A place or procedure as kept: trimmed and shortened.
fn short_answer(text: &str) -> String {
    text.trim().chars().take(MAX_SHORT_ANSWER_CHARS).collect()
}

/// A usable name: trimmed, spaces collapsed, 2–100 characters with at least one letter and no
/// digits, punctuation at the ends dropped.
fn clean_name(text: &str) -> Option<String> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = collapsed.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
    let chars = name.chars().count();
    let usable = (2..=MAX_NAME_CHARS).contains(&chars)
        && name.chars().any(char::is_alphabetic)
        && !name.chars().any(|c| c.is_ascii_digit());
    usable.then_some(name)
}

/// A typed name, possibly with a mobile number in the same message ("Nguyễn Văn An 0912 345 678").
fn split_name_and_phone(text: &str) -> (Option<String>, Option<String>) {
    let is_phone_part = |word: &str| word.chars().all(|c| c.is_ascii_digit() || "+().-".contains(c));
    let words: Vec<&str> = text.split([' ', ',', ';', ':', '\n', '\t']).filter(|w| !w.is_empty()).collect();
    let phone_words: Vec<&str> = words.iter().copied().filter(|word| is_phone_part(word)).collect();
    let phone = if phone_words.iter().any(|word| word.chars().any(|c| c.is_ascii_digit())) {
        normalize_vn_phone(&phone_words.concat()).ok()
    } else {
        None
    };
    match phone {
        Some(phone) => {
            let rest: Vec<&str> = words.into_iter().filter(|word| !is_phone_part(word)).collect();
            let rest = strip_phone_labels(&rest);
            (clean_name(&rest.join(" ")), Some(phone))
        }
        None => (clean_name(text), None),
    }
}

/// Drops "sđt", "số điện thoại", "điện thoại" written before a number.
fn strip_phone_labels<'a>(words: &[&'a str]) -> Vec<&'a str> {
    const LABELS: &[&str] = &["sdt", "so", "dien", "thoai", "dt", "phone", "la"];
    let mut kept = words.to_vec();
    while kept.last().is_some_and(|word| LABELS.contains(&fold(word).as_str())) {
        kept.pop();
    }
    kept
}

/// The part named in a typed answer to "which part to change?".
fn typed_edit_part(text: &str) -> Option<EditPart> {
    match fold(text).as_str() {
        "noi dung" | "sua noi dung" => Some(EditPart::Content),
        "co quan" | "dia diem" | "co quan dia diem" | "noi" => Some(EditPart::Place),
        "thu tuc" | "sua thu tuc" => Some(EditPart::Procedure),
        "nguoi gui" | "ho ten" | "so dien thoai" | "sdt" | "ten" => Some(EditPart::Sender),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_checked() {
        let cases = [
            ("Nguyễn Văn An", Some("Nguyễn Văn An")),
            ("  Huy ", Some("Huy")),
            ("Trần   Thị  B.", Some("Trần Thị B")),
            ("An", Some("An")),
            ("A", None),
            ("0912345678", None),
            ("...", None),
            ("Huy 123", None),
        ];
        for (text, expected) in cases {
            assert_eq!(clean_name(text).as_deref(), expected, "{text:?}");
        }
        let long = "a".repeat(101);
        assert_eq!(clean_name(&long), None);
    }

    #[test]
    fn a_name_and_a_phone_in_one_message() {
        let cases = [
            ("Nguyễn Văn An 0912 345 678", (Some("Nguyễn Văn An"), Some("84912345678"))),
            ("Nguyễn Văn An, sđt: 0912.345.678", (Some("Nguyễn Văn An"), Some("84912345678"))),
            ("Lê Huy - 0912345678", (Some("Lê Huy"), Some("84912345678"))),
            ("Huy", (Some("Huy"), None)),
            ("Huy 0912", (None, None)),
            ("0912345678", (None, Some("84912345678"))),
        ];
        for (text, (name, phone)) in cases {
            let (got_name, got_phone) = split_name_and_phone(text);
            assert_eq!((got_name.as_deref(), got_phone.as_deref()), (name, phone), "{text:?}");
        }
    }

    #[test]
    fn typed_edit_parts() {
        assert_eq!(typed_edit_part("Nội dung"), Some(EditPart::Content));
        assert_eq!(typed_edit_part("thu tuc"), Some(EditPart::Procedure));
        assert_eq!(typed_edit_part("số điện thoại"), Some(EditPart::Sender));
        assert_eq!(typed_edit_part("cơ quan"), Some(EditPart::Place));
        assert_eq!(typed_edit_part("tất cả"), None);
    }
}

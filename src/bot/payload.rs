//! Button payloads: the short machine strings the bot puts on its buttons (`#nhanh:4`, `#pakn`,
//! `#gui:<draft>`…), which come back as `user_send_text` when tapped. Parsing is strict and
//! exact: anything else, forged or malformed, is not a payload and is handled as typed text.
//! Payloads that act on a draft carry the draft's id, so an old button cannot act on a newer one.

use std::fmt;

use crate::bot::ticket_code::parse_ticket_code;

/// A part of a complaint the citizen can change from the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditPart {
    Content,
    Place,
    Procedure,
    Sender,
}

/// What a tapped button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `#menu`: the main menu.
    Menu,
    /// `#giup`: the help text.
    Help,
    /// `#lai`: one step back.
    Back,
    /// `#huy`: cancel the current step.
    Cancel,
    /// `#nhanh:N`: branch N's menu.
    Branch(u8),
    /// `#pakn` / `#pakn:N`: send a complaint (to branch N).
    Complaint(Option<u8>),
    /// `#tracuu` / `#tracuu:PA-2026-7K3Q9X`: look up a complaint (this one).
    Lookup(Option<String>),
    /// `#canbo` / `#canbo:N`: talk to an officer (of branch N).
    Officer(Option<u8>),
    /// `#xong`: the description is complete.
    ContentDone,
    /// `#boqua:noi`: no place or agency to name.
    SkipPlace,
    /// `#boqua:thutuc`: no procedure to name.
    SkipProcedure,
    /// `#dongy`: consent to personal-data processing.
    ConsentGiven,
    /// `#khongdongy`: consent refused.
    ConsentRefused,
    /// `#gui:<draft>`: file this draft.
    Submit(i64),
    /// `#sua`: choose what to change.
    Edit,
    /// `#sua:noidung|noi|thutuc|nguoigui`: change this part.
    EditPart(EditPart),
    /// `#bo:<draft>`: yes, drop this draft.
    DiscardDraft(i64),
    /// `#giulai`: keep the draft (answer to the discard question).
    KeepDraft,
    /// `#nhap:tieptuc`: resume the kept draft.
    ResumeDraft,
    /// `#nhap:bo`: drop the kept draft (asks for confirmation).
    DropDraft,
    /// `#ketthuc`: end the chat with the officer.
    EndHandoff,
    /// `#tieptuc`: keep chatting with the officer.
    ContinueHandoff,
}

/// Every payload starts with this character; citizens rarely type it.
pub const PAYLOAD_PREFIX: char = '#';

impl Payload {
    /// The payload a button sent, or `None` when `text` is not exactly one of ours.
    pub fn parse(text: &str) -> Option<Payload> {
        let body = text.trim().strip_prefix(PAYLOAD_PREFIX)?;
        let (name, argument) = match body.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (body, None),
        };
        let payload = match (name, argument) {
            ("menu", None) => Payload::Menu,
            ("giup", None) => Payload::Help,
            ("lai", None) => Payload::Back,
            ("huy", None) => Payload::Cancel,
            ("nhanh", Some(number)) => Payload::Branch(branch_number(number)?),
            ("pakn", None) => Payload::Complaint(None),
            ("pakn", Some(number)) => Payload::Complaint(Some(branch_number(number)?)),
            ("tracuu", None) => Payload::Lookup(None),
            ("tracuu", Some(code)) => Payload::Lookup(Some(parse_ticket_code(code)?)),
            ("canbo", None) => Payload::Officer(None),
            ("canbo", Some(number)) => Payload::Officer(Some(branch_number(number)?)),
            ("xong", None) => Payload::ContentDone,
            ("boqua", Some("noi")) => Payload::SkipPlace,
            ("boqua", Some("thutuc")) => Payload::SkipProcedure,
            ("dongy", None) => Payload::ConsentGiven,
            ("khongdongy", None) => Payload::ConsentRefused,
            ("gui", Some(id)) => Payload::Submit(draft_id(id)?),
            ("sua", None) => Payload::Edit,
            ("sua", Some("noidung")) => Payload::EditPart(EditPart::Content),
            ("sua", Some("noi")) => Payload::EditPart(EditPart::Place),
            ("sua", Some("thutuc")) => Payload::EditPart(EditPart::Procedure),
            ("sua", Some("nguoigui")) => Payload::EditPart(EditPart::Sender),
            ("bo", Some(id)) => Payload::DiscardDraft(draft_id(id)?),
            ("giulai", None) => Payload::KeepDraft,
            ("nhap", Some("tieptuc")) => Payload::ResumeDraft,
            ("nhap", Some("bo")) => Payload::DropDraft,
            ("ketthuc", None) => Payload::EndHandoff,
            ("tieptuc", None) => Payload::ContinueHandoff,
            _ => return None,
        };
        Some(payload)
    }
}

/// A branch number as written in a payload: 1–3 ASCII digits, not zero.
fn branch_number(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().filter(|number| *number > 0)
}

/// A draft id as written in a payload: its start time in epoch milliseconds, digits only.
fn draft_id(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Menu => f.write_str("#menu"),
            Payload::Help => f.write_str("#giup"),
            Payload::Back => f.write_str("#lai"),
            Payload::Cancel => f.write_str("#huy"),
            Payload::Branch(number) => write!(f, "#nhanh:{number}"),
            Payload::Complaint(None) => f.write_str("#pakn"),
            Payload::Complaint(Some(number)) => write!(f, "#pakn:{number}"),
            Payload::Lookup(None) => f.write_str("#tracuu"),
            Payload::Lookup(Some(code)) => write!(f, "#tracuu:{code}"),
            Payload::Officer(None) => f.write_str("#canbo"),
            Payload::Officer(Some(number)) => write!(f, "#canbo:{number}"),
            Payload::ContentDone => f.write_str("#xong"),
            Payload::SkipPlace => f.write_str("#boqua:noi"),
            Payload::SkipProcedure => f.write_str("#boqua:thutuc"),
            Payload::ConsentGiven => f.write_str("#dongy"),
            Payload::ConsentRefused => f.write_str("#khongdongy"),
            Payload::Submit(id) => write!(f, "#gui:{id}"),
            Payload::Edit => f.write_str("#sua"),
            Payload::EditPart(EditPart::Content) => f.write_str("#sua:noidung"),
            Payload::EditPart(EditPart::Place) => f.write_str("#sua:noi"),
            Payload::EditPart(EditPart::Procedure) => f.write_str("#sua:thutuc"),
            Payload::EditPart(EditPart::Sender) => f.write_str("#sua:nguoigui"),
            Payload::DiscardDraft(id) => write!(f, "#bo:{id}"),
            Payload::KeepDraft => f.write_str("#giulai"),
            Payload::ResumeDraft => f.write_str("#nhap:tieptuc"),
            Payload::DropDraft => f.write_str("#nhap:bo"),
            Payload::EndHandoff => f.write_str("#ketthuc"),
            Payload::ContinueHandoff => f.write_str("#tieptuc"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_payloads() -> Vec<Payload> {
        vec![
            Payload::Menu,
            Payload::Help,
            Payload::Back,
            Payload::Cancel,
            Payload::Branch(1),
            Payload::Branch(255),
            Payload::Complaint(None),
            Payload::Complaint(Some(4)),
            Payload::Lookup(None),
            Payload::Lookup(Some("PA-2026-7K3Q9X".into())),
            Payload::Officer(None),
            Payload::Officer(Some(8)),
            Payload::ContentDone,
            Payload::SkipPlace,
            Payload::SkipProcedure,
            Payload::ConsentGiven,
            Payload::ConsentRefused,
            Payload::Submit(1_767_580_800_000),
            Payload::Edit,
            Payload::EditPart(EditPart::Content),
            Payload::EditPart(EditPart::Place),
            Payload::EditPart(EditPart::Procedure),
            Payload::EditPart(EditPart::Sender),
            Payload::DiscardDraft(0),
            Payload::KeepDraft,
            Payload::ResumeDraft,
            Payload::DropDraft,
            Payload::EndHandoff,
            Payload::ContinueHandoff,
        ]
    }

    #[test]
    fn every_payload_round_trips_and_fits_a_button() {
        for payload in all_payloads() {
            let text = payload.to_string();
            assert!(text.starts_with('#') && text.len() <= 40, "{text}");
            assert_eq!(Payload::parse(&text), Some(payload.clone()), "{text}");
            assert_eq!(Payload::parse(&format!("  {text} ")), Some(payload), "surrounding spaces of {text}");
        }
    }

    #[test]
    fn forged_and_malformed_payloads_are_not_payloads() {
        for text in [
            "",
            "#",
            "menu",
            "#MENU",
            "#menu:1",
            "#nhanh",
            "#nhanh:",
            "#nhanh:0",
            "#nhanh:256",
            "#nhanh:1000",
            "#nhanh:-1",
            "#nhanh:+4",
            "#nhanh:4a",
            "#nhanh:٤",
            "#pakn:x",
            "#tracuu:abc",
            "#tracuu:PA-2026-7K3Q9",
            "#gui",
            "#gui:",
            "#gui:-5",
            "#gui:12345678901234567890",
            "#sua:tatca",
            "#boqua",
            "#boqua:khac",
            "#bo",
            "#nhap",
            "#nhap:xoa",
            "##menu",
            "# menu",
            "#menu nhé",
            "#xong:1",
            "#hack:rm -rf",
        ] {
            assert_eq!(Payload::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn lookup_payload_normalizes_the_code() {
        assert_eq!(Payload::parse("#tracuu:pa-2026-7k3q9x"), Some(Payload::Lookup(Some("PA-2026-7K3Q9X".into()))));
    }
}

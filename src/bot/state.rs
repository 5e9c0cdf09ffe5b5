//! The conversation state of one citizen, stored as JSON between messages: where the citizen
//! is (menu, branch, complaint step, chat with an officer), the complaint being written, a
//! complaint kept for later, the time of the last message and the rate-limit window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tickets::draft::ComplaintDraft;

/// Everything the bot remembers about one citizen's conversation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationState {
    pub phase: Phase,
    /// The welcome has been shown (false for a citizen the bot has never talked to).
    pub welcomed: bool,
    /// When the citizen last wrote (used for the session timeout).
    pub last_input_at: Option<DateTime<Utc>>,
    /// A half-written complaint kept after a timeout or "menu", to resume or drop.
    pub paused: Option<Intake>,
    pub rate: RateWindow,
}

/// Where the citizen is in the conversation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Phase {
    /// The main menu of branches. `offered_text` is a message the bot offered to send as a
    /// complaint ("Gửi nội dung này làm phản ánh").
    #[default]
    MainMenu,
    /// Main menu, with a typed message offered as a complaint.
    MainMenuWithOffer { offered_text: String },
    /// The typed choice fitted several branches: which one?
    ChoosingBranch { candidates: Vec<u8> },
    /// A branch's menu; `offered_text` as in [`Phase::MainMenuWithOffer`].
    BranchMenu {
        branch: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offered_text: Option<String>,
    },
    /// Waiting for a complaint code to look up; back to `branch`'s menu afterwards, if any.
    AwaitingCode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<u8>,
    },
    /// Which branch is this for? (a complaint or a chat started outside a branch)
    PickingBranch {
        purpose: BranchPurpose,
        /// The branch the bot guessed from what was typed, to confirm.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suggested: Option<u8>,
    },
    /// Writing a complaint.
    Intake(Intake),
    /// "Drop the complaint being written?" `paused`: the draft came from the kept one.
    ConfirmDiscard { intake: Intake, paused: bool },
    /// Chatting with (or waiting for) an officer of `department_code`.
    Handoff {
        branch: u8,
        department_code: String,
        /// The citizen asked to end the chat: waiting for the confirmation.
        #[serde(default)]
        ending: bool,
    },
}

/// Why a branch is being picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum BranchPurpose {
    /// A new complaint, whose first message may already be known.
    Complaint {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_text: Option<String>,
    },
    /// A chat with an officer.
    Officer,
    /// A complaint whose branch no longer exists in the catalogue.
    Rehome { intake: Box<Intake> },
}

/// A complaint being written: the draft and the question being asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    pub draft: ComplaintDraft,
    pub step: IntakeStep,
    /// Changing one part from the summary: go back to the summary once it is answered.
    #[serde(default)]
    pub editing: bool,
    /// The description being replaced while it is rewritten from the summary (restored if the
    /// citizen goes back without writing a new one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_content: Vec<String>,
}

/// The question a complaint is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStep {
    /// The description, over one or several messages, with attachments.
    Content,
    /// Place or agency concerned (optional).
    Place,
    /// Administrative procedure concerned (optional).
    Procedure,
    /// Consent to personal-data processing.
    Consent,
    /// The sender's name (or Zalo's info form).
    Name,
    /// The sender's mobile number.
    Phone,
    /// The summary to confirm.
    Summary,
    /// Which part of the summary to change.
    EditChoice,
}

impl IntakeStep {
    /// Steps whose answer is free text: typed command words other than "menu" and "trợ giúp"
    /// are taken as the answer there ("Huy" is a name, not "hủy").
    pub fn is_free_text(self) -> bool {
        matches!(self, IntakeStep::Content | IntakeStep::Place | IntakeStep::Procedure | IntakeStep::Name)
    }
}

/// Messages counted in the current rate-limit window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RateWindow {
    /// When the window started (the first message counted in it).
    pub started_at: Option<DateTime<Utc>>,
    /// Messages in the window so far, including ignored ones.
    pub count: u32,
    /// The citizen has been told to slow down in this window.
    pub warned: bool,
}

impl Intake {
    /// A new complaint for `branch`, at the description step.
    pub fn new(branch: u8, now: DateTime<Utc>) -> Intake {
        Intake {
            draft: ComplaintDraft::new(branch, now),
            step: IntakeStep::Content,
            editing: false,
            replaced_content: Vec::new(),
        }
    }

    /// The id that button payloads acting on this draft carry.
    pub fn draft_id(&self) -> i64 {
        self.draft.started_at.timestamp_millis()
    }

    /// Messages and attachments collected (what `max_complaint_messages` caps).
    pub fn item_count(&self) -> usize {
        self.draft.content.len() + self.draft.evidence.len()
    }
}

impl ConversationState {
    /// The branch the citizen is looking at, if any (used to place a complaint or a chat).
    pub fn current_branch(&self) -> Option<u8> {
        match &self.phase {
            Phase::BranchMenu { branch, .. } | Phase::Handoff { branch, .. } => Some(*branch),
            Phase::AwaitingCode { branch } => *branch,
            Phase::Intake(intake) | Phase::ConfirmDiscard { intake, .. } => Some(intake.draft.branch),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_state_is_the_main_menu_of_an_unknown_citizen() {
        let state = ConversationState::default();
        assert_eq!(state.phase, Phase::MainMenu);
        assert!(!state.welcomed);
        assert_eq!(state.paused, None);
        assert_eq!(state.current_branch(), None);
    }

    #[test]
    fn states_serialize_as_readable_json_and_back() {
        let now = DateTime::parse_from_rfc3339("2026-01-05T02:00:00Z").expect("time").with_timezone(&Utc);
        let mut intake = Intake::new(4, now);
        intake.draft.content.push("Hồ sơ trễ hẹn".into());
        intake.step = IntakeStep::Place;
        let state = ConversationState {
            phase: Phase::Intake(intake.clone()),
            welcomed: true,
            last_input_at: Some(now),
            paused: Some(intake),
            rate: RateWindow { started_at: Some(now), count: 3, warned: false },
        };
        let json = serde_json::to_value(&state).expect("serializable");
        assert_eq!(json["phase"]["at"], "intake");
        assert_eq!(json["phase"]["step"], "place");
        let back: ConversationState = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, state);
        assert_eq!(back.current_branch(), Some(4));
        // An empty object (or a state written by an older version with fewer fields) loads.
        let empty: ConversationState = serde_json::from_str("{}").expect("defaults");
        assert_eq!(empty, ConversationState::default());
    }
}

//! How the conversation and the officer chats meet: the bot's handoff effects become
//! [`ChatChange`]s committed with the turn that caused them, and an officer ending a chat in the
//! console reaches the conversation as an internal inbound event, processed in order with the
//! citizen's own messages (so the bot, not the console, moves the citizen back to the menu).

use serde::{Deserialize, Serialize};

use super::model::{ChatChange, EndedBy, OfficerChat, OfficerRef};
use crate::bot::input::BotInput;
use crate::bot::state::{ConversationState, Phase};
use crate::bot::Effect;
use crate::store::{InboundEvent, NewInboundEvent};

/// Event name of the internal input "an officer ended the chat" (never a Zalo event name).
pub const OFFICER_ENDED_EVENT: &str = "tongdai_officer_ended";

/// The body of an [`OFFICER_ENDED_EVENT`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerEnded {
    pub chat_id: i64,
    pub officer: OfficerRef,
}

/// The internal event that ends `chat` for its citizen; its key makes it unique per chat.
pub fn officer_ended_event(chat: &OfficerChat, officer: &OfficerRef) -> NewInboundEvent {
    let body = OfficerEnded { chat_id: chat.id, officer: officer.clone() };
    NewInboundEvent {
        event_key: format!("{OFFICER_ENDED_EVENT}:{}", chat.id),
        event_name: OFFICER_ENDED_EVENT.to_owned(),
        citizen_id: chat.citizen_id.clone(),
        raw_body: serde_json::to_vec(&body).unwrap_or_default(),
        num_retry: 0,
    }
}

/// The officer's end request an inbound event carries, if it is one. `Some(Err)` for an
/// internal event whose body does not read.
pub fn officer_ended(event: &InboundEvent) -> Option<Result<OfficerEnded, serde_json::Error>> {
    (event.event_name == OFFICER_ENDED_EVENT).then(|| serde_json::from_slice(&event.raw_body))
}

/// The chat changes of a turn's effects, in order. `before` and `after` are the bot's states
/// around the turn (they name the chat's branch and department), `input` what caused it.
pub fn chat_changes(
    effects: &[Effect],
    before: &ConversationState,
    after: &ConversationState,
    input: &BotInput,
) -> Vec<ChatChange> {
    let handoff = [&after.phase, &before.phase].into_iter().find_map(|phase| match phase {
        Phase::Handoff { branch, department_code, .. } => Some((*branch, department_code.clone())),
        _ => None,
    });
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::StartHandoff { branch, department_code } => {
                Some(ChatChange::Open { branch: *branch, department_code: department_code.clone() })
            }
            Effect::RelayToOfficer { text, evidence } => handoff.clone().map(|(branch, department_code)| {
                ChatChange::CitizenMessage { branch, department_code, text: text.clone(), attachment: evidence.clone() }
            }),
            Effect::EndHandoff => {
                let by = if matches!(input, BotInput::Unfollow) { EndedBy::Unfollow } else { EndedBy::Citizen };
                Some(ChatChange::End { chat_id: None, by, officer: None })
            }
            Effect::Send(_) | Effect::FileComplaint(_) | Effect::LookupTicket { .. } => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::store::InboundState;
    use crate::tickets::draft::Evidence;
    use crate::zalo::outbound::OutboundMessage;

    fn in_chat(branch: u8, department: &str) -> ConversationState {
        ConversationState {
            phase: Phase::Handoff { branch, department_code: department.into(), ending: false },
            ..ConversationState::default()
        }
    }

    #[test]
    fn handoff_effects_become_chat_changes() {
        let menu = ConversationState::default();
        let chat = in_chat(4, "VPUBND");
        let start = [
            Effect::StartHandoff { branch: 4, department_code: "VPUBND".into() },
            Effect::Send(OutboundMessage::text("…")),
        ];
        assert_eq!(
            chat_changes(&start, &menu, &chat, &BotInput::text("#canbo:4")),
            vec![ChatChange::Open { branch: 4, department_code: "VPUBND".into() }]
        );
        let photo = Evidence::Image { url: "https://z/p".into(), msg_id: None };
        let relay = [Effect::RelayToOfficer { text: Some("Biên nhận".into()), evidence: Some(photo.clone()) }];
        assert_eq!(
            chat_changes(&relay, &chat, &chat, &BotInput::text("Biên nhận")),
            vec![ChatChange::CitizenMessage {
                branch: 4,
                department_code: "VPUBND".into(),
                text: Some("Biên nhận".into()),
                attachment: Some(photo)
            }]
        );
        let end = [Effect::EndHandoff, Effect::Send(OutboundMessage::text("…"))];
        assert_eq!(
            chat_changes(&end, &chat, &menu, &BotInput::text("có")),
            vec![ChatChange::End { chat_id: None, by: EndedBy::Citizen, officer: None }]
        );
        assert_eq!(
            chat_changes(&[Effect::EndHandoff], &chat, &menu, &BotInput::Unfollow),
            vec![ChatChange::End { chat_id: None, by: EndedBy::Unfollow, officer: None }]
        );
        assert!(
            chat_changes(&[Effect::Send(OutboundMessage::text("…"))], &menu, &menu, &BotInput::text("x")).is_empty()
        );
    }

    #[test]
    fn the_officer_ended_event_round_trips() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).single().expect("time");
        let chat = OfficerChat {
            id: 7,
            citizen_id: "u1".into(),
            citizen_name: None,
            branch: 4,
            department_code: "VPUBND".into(),
            status: super::super::model::ChatStatus::Active,
            opened_at: at,
            assigned_at: None,
            assigned: None,
            awaiting_reply_since: None,
            last_message_at: at,
            end_requested_at: None,
            end_requested_by: None,
            ended_at: None,
            ended_by: None,
            ended_by_name: None,
            updated_at: at,
        };
        let officer = OfficerRef { user_id: 3, name: "Trần Văn Minh".into() };
        let new = officer_ended_event(&chat, &officer);
        assert_eq!((new.event_key.as_str(), new.citizen_id.as_str()), ("tongdai_officer_ended:7", "u1"));
        let stored = InboundEvent {
            id: 1,
            event_key: new.event_key,
            event_name: new.event_name,
            citizen_id: new.citizen_id,
            raw_body: new.raw_body,
            received_at: at,
            num_retry: 0,
            state: InboundState::Pending,
            attempts: 0,
            last_error: None,
            processed_at: None,
        };
        let read = officer_ended(&stored).expect("an internal event").expect("readable");
        assert_eq!(read, OfficerEnded { chat_id: 7, officer });
        let zalo = InboundEvent { event_name: "user_send_text".into(), ..stored };
        assert!(officer_ended(&zalo).is_none());
    }
}

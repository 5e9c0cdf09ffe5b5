//! What an inbound event means for tongdai: the conversation processor behind the worker.
//! Contact facts (follow state, name and phone) are recorded; the interaction time goes with the
//! turn, whose commit also releases the messages held for the citizen; survey answers and opt-outs go to the survey service, ZNS
//! ratings are matched to their dossier, and everything else goes through the chatbot
//! (`bot::step`). The bot's effects become jobs (messages to send) and officer-chat changes
//! (`crate::handoff`) committed with the new state. An officer ending a chat in the console
//! arrives here as an internal event and reaches the bot as [`BotInput::OfficerEnded`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};

use super::worker::{EventProcessor, Turn};
use crate::bot::catalogue::Catalogue;
use crate::bot::{input_from_event, step, BotContext, BotInput, BotSettings, ConversationState, Effect};
use crate::calendar::working::WorkingCalendar;
use crate::handoff::model::{ChatChange, EndedBy};
use crate::handoff::turn::{chat_changes, officer_ended, OfficerEnded};
use crate::jobs::NewJob;
use crate::store::{Conversation, InboundEvent, Store, OA_EVENTS};
use crate::surveys::service::ChatResult;
use crate::surveys::SurveyService;
use crate::tickets::service::TicketService;
use crate::zalo::events::{parse_event, EventKind, Feedback, WebhookEvent};
use crate::zalo::outbound::{OutboundMessage, SendRequest};

/// The processor of the conversation worker.
pub struct ConversationProcessor {
    pub store: Store,
    pub catalogue: Arc<Catalogue>,
    pub calendar: Arc<WorkingCalendar>,
    pub bot: Arc<BotSettings>,
    pub surveys: Arc<SurveyService>,
    pub tickets: Arc<TicketService>,
    /// Our OA id (resolves the direction of receipts).
    pub oa_id: Option<String>,
    /// Attempts of each send job.
    pub send_attempts: u32,
}

/// The bot's stored state of a conversation (a new conversation's when none or unreadable).
fn stored_state(conversation: Option<&Conversation>) -> ConversationState {
    conversation.and_then(|c| c.state.clone()).and_then(|json| serde_json::from_value(json).ok()).unwrap_or_default()
}

impl ConversationProcessor {
    /// An officer ended a chat in the console. If it is still the citizen's open chat, the bot
    /// hands the citizen back to the menu (and says so); the chat is ended either way.
    async fn officer_ended(
        &self,
        event: &InboundEvent,
        conversation: Option<&Conversation>,
        request: OfficerEnded,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Turn> {
        let user = event.citizen_id.as_str();
        let end =
            ChatChange::End { chat_id: Some(request.chat_id), by: EndedBy::Officer, officer: Some(request.officer) };
        let current = self.store.officer_chats.open_chat(user).await?;
        if current.map(|chat| chat.id) != Some(request.chat_id) {
            // The citizen left that chat already (and may be in another one): the bot is not told.
            return Ok(Turn { chat: vec![end], ..Turn::processed(None, Vec::new()) });
        }
        let state = stored_state(conversation);
        let context = BotContext::new(&self.catalogue, &self.calendar, &self.bot);
        let result = step(&context, &state, &BotInput::OfficerEnded, now);
        let messages = self.perform(user, event, result.effects, now).await?;
        let jobs = self.sends(user, event, messages);
        Ok(Turn { chat: vec![end], ..Turn::processed(Some(serde_json::to_value(&result.state)?), jobs) })
    }

    /// One `zalo.send` job for the turn's messages (sent in order, one after the other), keyed
    /// by the event so a reprocessed event sends nothing twice.
    fn sends(&self, user: &str, event: &InboundEvent, messages: Vec<OutboundMessage>) -> Vec<NewJob> {
        SendRequest::chat_sequence(user, messages, "bot_reply")
            .map(|request| request.into_job(format!("reply:{}", event.event_key), self.send_attempts))
            .into_iter()
            .collect()
    }

    /// Records the contact facts an event carries (idempotent, so safe before the turn commits),
    /// except the interaction time: that is returned, to be committed with the turn (which also
    /// releases the messages held until the citizen wrote).
    async fn record_contact(
        &self,
        user: &str,
        event: &WebhookEvent,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at = event.timestamp_ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()).unwrap_or(now);
        match &event.kind {
            EventKind::Follow(_) => self.store.citizens.set_follower(user, true, at).await?,
            EventKind::Unfollow(_) => self.store.citizens.set_follower(user, false, at).await?,
            EventKind::UserSubmitInfo(info) => {
                let phone = info.phone.as_deref().and_then(|p| crate::zalo::phone::normalize_vn_phone(p).ok());
                self.store.citizens.set_contact(user, info.name.as_deref(), phone.as_deref(), at).await?;
            }
            _ => {}
        }
        Ok(event.is_interaction().then_some(at))
    }

    /// Survey input (answers, opt-outs) takes precedence over the general bot.
    async fn survey_reply(
        &self,
        user: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<OutboundMessage>> {
        if crate::surveys::is_opt_out(text) {
            return Ok(Some(self.surveys.opt_out_in_chat(user, now).await?));
        }
        match self.surveys.handle_chat(user, text, now).await? {
            ChatResult::Reply(message) => Ok(Some(message)),
            // Text that answers no survey question goes to the bot (menus, complaints…).
            ChatResult::NotSurvey | ChatResult::NotAnswer { .. } => Ok(None),
        }
    }

    /// A rating of a ZBS template (sent by user id) carries only the `msg_id`: the tracking id
    /// recorded with that send says which survey it answers. ZNS ratings carry it themselves.
    async fn with_tracking_id(&self, feedback: &Feedback) -> anyhow::Result<Feedback> {
        let mut feedback = feedback.clone();
        if feedback.tracking_id.is_none() {
            if let Some(msg_id) = feedback.msg_id.as_deref().filter(|id| !id.is_empty()) {
                let sent = self.store.zalo_outbound.find_by_message_id(msg_id).await?;
                feedback.tracking_id = sent.and_then(|record| record.record.tracking_id);
            }
        }
        Ok(feedback)
    }

    /// Carries out the bot's effects; returns the messages to send, in order.
    async fn perform(
        &self,
        user: &str,
        event: &InboundEvent,
        effects: Vec<Effect>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<OutboundMessage>> {
        let mut messages = Vec::new();
        for effect in effects {
            match effect {
                Effect::Send(message) => messages.push(message),
                Effect::FileComplaint(draft) => {
                    let filed = self.tickets.file_complaint_once(&draft, user, now, &event.event_key).await?;
                    messages.push(OutboundMessage::text(filed.message));
                }
                Effect::LookupTicket { code } => match self.tickets.lookup_for_citizen(&code, user).await? {
                    Some(view) => messages.push(OutboundMessage::text(view.message)),
                    None => messages.push(crate::bot::texts::ticket_not_found(&code)),
                },
                Effect::StartHandoff { branch, department_code } => {
                    tracing::info!(branch, department = %department_code, "citizen waiting for an officer");
                }
                // Stored as chat changes of the turn (see `chat_changes`).
                Effect::RelayToOfficer { .. } => {}
                Effect::EndHandoff => tracing::info!("citizen ended the chat with an officer"),
            }
        }
        Ok(messages)
    }
}

#[async_trait]
impl EventProcessor for ConversationProcessor {
    async fn process(
        &self,
        event: &InboundEvent,
        conversation: Option<&Conversation>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Turn> {
        if let Some(request) = officer_ended(event) {
            return match request {
                Ok(request) => self.officer_ended(event, conversation, request, now).await,
                Err(e) => {
                    tracing::error!(error = %e, "an officer's end of a chat could not be read; ignored");
                    Ok(Turn::ignored())
                }
            };
        }
        let Ok(parsed) = parse_event(&event.raw_body) else { return Ok(Turn::ignored()) };
        if event.citizen_id == OA_EVENTS {
            if let EventKind::UserFeedback(feedback) = &parsed.kind {
                let feedback = self.with_tracking_id(feedback).await?;
                let outcome = self.surveys.record_feedback(&feedback, now).await?;
                tracing::info!(?outcome, "rating received");
                return Ok(Turn::processed(None, Vec::new()));
            }
            return Ok(Turn::ignored());
        }
        let user = event.citizen_id.as_str();
        let interaction_at = self.record_contact(user, &parsed, now).await?;
        let turn = self.citizen_turn(user, event, &parsed, conversation, now).await?;
        Ok(Turn { interaction_at, ..turn })
    }
}

impl ConversationProcessor {
    /// What a citizen's own event means (a survey answer, or a step of the bot).
    async fn citizen_turn(
        &self,
        user: &str,
        event: &InboundEvent,
        parsed: &WebhookEvent,
        conversation: Option<&Conversation>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Turn> {
        if let EventKind::UserSendText(message) = &parsed.kind {
            if let Some(reply) = self.survey_reply(user, message.text_or_empty(), now).await? {
                return Ok(Turn::processed(None, self.sends(user, event, vec![reply])));
            }
        }
        let Some(input) = input_from_event(parsed) else { return Ok(Turn::ignored()) };
        let state = stored_state(conversation);
        let context = BotContext::new(&self.catalogue, &self.calendar, &self.bot);
        let result = step(&context, &state, &input, now);
        let chat = chat_changes(&result.effects, &state, &result.state, &input);
        let messages = self.perform(user, event, result.effects, now).await?;
        let jobs = self.sends(user, event, messages);
        Ok(Turn { chat, ..Turn::processed(Some(serde_json::to_value(&result.state)?), jobs) })
    }
}

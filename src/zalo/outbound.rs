//! What the service wants to say to a citizen, independent of the channel: the bot, the console
//! and the survey dispatcher produce these; the sender turns them into Zalo requests (CS message
//! inside the messaging window, or a template). Serializable, because they travel as job payloads.

use serde::{Deserialize, Serialize};

/// One message to one citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundMessage {
    /// Plain text; longer than 2,000 characters is split into several messages when sent.
    Text { text: String },
    /// Text with up to 5 buttons.
    Buttons { text: String, buttons: Vec<OutButton> },
    /// A list template (up to 5 elements), with an optional text sent before it.
    List { text: Option<String>, elements: Vec<OutListElement> },
    /// Zalo's form asking for name, phone and address (answered by `user_submit_info`).
    RequestUserInfo { title: String, subtitle: String, image_url: String },
    /// An image by public URL, with an optional caption.
    Image { url: String, caption: Option<String> },
}

/// A button of an [`OutboundMessage::Buttons`] message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutButton {
    pub title: String,
    pub action: OutAction,
}

/// What tapping a button or list element does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum OutAction {
    /// The citizen "sends" this text, hidden in the chat (comes back as `user_send_text`).
    Query(String),
    /// Same, shown in the chat as if typed.
    QueryShown(String),
    OpenUrl(String),
    /// Opens the phone dialer with this number.
    Call(String),
}

/// An element of an [`OutboundMessage::List`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutListElement {
    pub title: String,
    pub subtitle: Option<String>,
    pub image_url: Option<String>,
    pub action: Option<OutAction>,
}

impl OutboundMessage {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// Text followed by buttons whose payloads are sent back hidden.
    pub fn with_query_buttons<T: Into<String>, P: Into<String>>(
        text: impl Into<String>,
        buttons: impl IntoIterator<Item = (T, P)>,
    ) -> Self {
        Self::Buttons {
            text: text.into(),
            buttons: buttons
                .into_iter()
                .map(|(title, payload)| OutButton { title: title.into(), action: OutAction::Query(payload.into()) })
                .collect(),
        }
    }

    /// The text a person reads (for logs of the conversation, the console and the simulator).
    pub fn display_text(&self) -> String {
        match self {
            Self::Text { text } | Self::Buttons { text, .. } => text.clone(),
            Self::List { text, elements } => {
                let mut lines: Vec<String> = text.iter().cloned().collect();
                lines.extend(elements.iter().map(|e| format!("• {}", e.title)));
                lines.join("\n")
            }
            Self::RequestUserInfo { title, subtitle, .. } => format!("{title}\n{subtitle}"),
            Self::Image { url, caption } => caption.clone().unwrap_or_else(|| url.clone()),
        }
    }
}

/// Job kind of a send (handled by the Zalo sender).
pub const SEND_JOB_KIND: &str = "zalo.send";

/// The payload of a `zalo.send` job: a message for one citizen and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// The citizen's OA-scoped Zalo user id, when known.
    pub user_id: Option<String>,
    /// The citizen's phone (`84…`), for the ZNS fallback when there is no usable user id.
    pub phone: Option<String>,
    /// What to say as a chat (CS) message inside the messaging window.
    pub message: OutboundMessage,
    /// What to send as a template when the chat window is closed; `None` = no template fallback.
    pub template: Option<TemplateFallback>,
    /// What to do when no channel can reach the citizen now.
    pub if_unreachable: Unreachable,
    /// Why this is sent (`bot_reply`, `ticket_reply`, `ticket_status`, `survey`, `officer_chat`…),
    /// for logs and the console.
    pub purpose: String,
    /// The domain object this send belongs to (ticket code, survey id…), if any.
    pub reference: Option<String>,
    /// Messages to send after this one, in order, to the same citizen: each is sent only after
    /// the previous one went out, so a turn's messages never arrive out of order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<OutboundMessage>,
}

/// The template used when the citizen cannot be messaged in the chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFallback {
    /// Which configured template to use.
    pub purpose: TemplatePurpose,
    /// The template's parameters.
    pub data: std::collections::BTreeMap<String, String>,
    /// Echoed by Zalo in delivery and feedback events (ZNS); at most 48 characters.
    pub tracking_id: Option<String>,
}

/// Configured template families (template ids come from `[zalo]` configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplatePurpose {
    Survey,
    TicketReply,
}

/// What happens to a message that cannot be delivered now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreachable {
    /// Record it as undeliverable and stop.
    Drop,
    /// Keep it and deliver it when the citizen next writes to the OA.
    HoldUntilNextMessage,
}

impl SendRequest {
    /// A chat message to a user id that is dropped when the chat window is closed (bot replies).
    pub fn chat(user_id: impl Into<String>, message: OutboundMessage, purpose: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            phone: None,
            message,
            template: None,
            if_unreachable: Unreachable::Drop,
            purpose: purpose.into(),
            reference: None,
            then: Vec::new(),
        }
    }

    /// Chat messages to one user id, sent one after the other (see [`SendRequest::then`]).
    /// `None` when there is nothing to send.
    pub fn chat_sequence(
        user_id: impl Into<String>,
        messages: Vec<OutboundMessage>,
        purpose: impl Into<String>,
    ) -> Option<Self> {
        let mut messages = messages.into_iter();
        let first = messages.next()?;
        let mut request = Self::chat(user_id, first, purpose);
        request.then = messages.collect();
        Some(request)
    }

    /// The request that follows this one once it is sent, if any.
    pub fn next_in_sequence(&self) -> Option<Self> {
        let (first, rest) = self.then.split_first()?;
        Some(Self { message: first.clone(), then: rest.to_vec(), ..self.clone() })
    }

    /// The job that performs this send; `unique_key` makes it happen at most once. Sends to one
    /// Zalo user share a lane, so they reach the citizen in the order they were enqueued.
    pub fn into_job(self, unique_key: impl Into<String>, max_attempts: u32) -> crate::jobs::NewJob {
        let lane = self.user_id.as_deref().map(str::trim).filter(|id| !id.is_empty()).map(send_lane);
        let payload = serde_json::to_value(&self).unwrap_or(serde_json::Value::Null);
        let job = crate::jobs::NewJob::new(SEND_JOB_KIND, payload, max_attempts).unique(unique_key);
        match lane {
            Some(lane) => job.in_lane(lane),
            None => job,
        }
    }
}

/// The job lane of sends to Zalo user `user_id`.
pub fn send_lane(user_id: &str) -> String {
    format!("zalo:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_tagged_json_for_job_payloads() {
        let message = OutboundMessage::with_query_buttons("Chọn nhánh", [("Nhánh 1", "#branch:1")]);
        let json = serde_json::to_value(&message).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"type": "buttons", "text": "Chọn nhánh",
                "buttons": [{"title": "Nhánh 1", "action": {"kind": "query", "value": "#branch:1"}}]})
        );
        let back: OutboundMessage = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, message);
        assert_eq!(back.display_text(), "Chọn nhánh");
    }
}

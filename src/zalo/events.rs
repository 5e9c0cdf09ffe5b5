//! Typed Zalo OA webhook events (reference §2): the common envelope, one `EventKind`
//! variant per event of the catalogue, direction rules (who is the citizen), the
//! interaction rule of §3.2 and the dedupe key used against at-least-once delivery.
//!
//! Parsing is tolerant: ids and timestamps may be strings or numbers, optional fields may
//! be missing, and an event name we do not know becomes `EventKind::Unknown` (not an error).
//! Only a body that is not a JSON object with an `event_name` is rejected.

use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::zalo::wire::{i64_at, string_at, strings_at, value_at, value_to_f64};

/// Why a webhook body could not be turned into a [`WebhookEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventParseError {
    #[error("webhook body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("webhook body is JSON but not an object (found {0})")]
    NotAnObject(&'static str),
    #[error("webhook body has no `event_name` string")]
    MissingEventName,
}

/// One webhook delivery: the common envelope plus the typed event.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    pub event_name: String,
    pub app_id: Option<String>,
    /// The OA id: the flat `oa_id` / `oaId` field when present, otherwise the OA side of
    /// `sender`/`recipient` per the direction rules (for `user_received_message` and
    /// `user_seen_message` that is `sender.id`, which is UNVERIFIED; prefer
    /// [`WebhookEvent::citizen_user_id`] with your known OA id there).
    pub oa_id: Option<String>,
    /// The body's `timestamp` exactly as sent (the signature is computed over this text).
    pub timestamp: Option<String>,
    /// `timestamp` parsed as epoch milliseconds, when it is an integer.
    pub timestamp_ms: Option<i64>,
    pub user_id_by_app: Option<String>,
    pub sender_id: Option<String>,
    /// `sender.admin_id`: set on `oa_send_*` echoes typed by an OA admin.
    pub sender_admin_id: Option<String>,
    pub recipient_id: Option<String>,
    pub kind: EventKind,
}

/// Every webhook event of the reference catalogue.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    UserSendText(ChatMessage),
    UserSendImage(ChatMessage),
    UserSendLink(ChatMessage),
    UserSendAudio(ChatMessage),
    UserSendVideo(ChatMessage),
    UserSendSticker(ChatMessage),
    UserSendFile(ChatMessage),
    UserSendLocation(ChatMessage),
    UserSendGif(ChatMessage),
    UserSendBusinessCard(BusinessCard),
    Follow(FollowChange),
    Unfollow(FollowChange),
    /// The user tapped "Nhắn tin" on the OA profile (once per user and OA).
    UserClickChatnow {
        user_id: Option<String>,
    },
    UserSubmitInfo(SubmittedInfo),
    UserReceivedMessage(Delivery),
    UserSeenMessage {
        msg_ids: Vec<String>,
    },
    UserReactedMessage(Reaction),
    OaReactedMessage(Reaction),
    OaSendText(ChatMessage),
    OaSendImage(ChatMessage),
    OaSendGif(ChatMessage),
    OaSendList(ChatMessage),
    OaSendFile(ChatMessage),
    OaSendSticker(ChatMessage),
    AnonymousSendText(AnonymousMessage),
    AnonymousSendImage(AnonymousMessage),
    AnonymousSendFile(AnonymousMessage),
    AnonymousSendSticker(AnonymousMessage),
    AddUserToTag(TagChange),
    RemoveUserFromTag(TagChange),
    RemoveTag(TagChange),
    UserFeedback(Feedback),
    UserClickResponseButton(ResponseButtonClick),
    ChangeTemplateStatus(TemplateStatusChange),
    ChangeTemplateQuality(TemplateNotice),
    ChangeTemplateQuota(TemplateNotice),
    ChangeOaDailyQuota(DailyQuotaChange),
    UpdateUserInfo(UserNotice),
    UserWithdraw(UserNotice),
    /// Any event name not listed above (group events, journeys, widgets, future events).
    Unknown {
        event_name: String,
    },
}

/// `message` of a chat event (user or OA side): text, ids and attachments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatMessage {
    pub msg_id: Option<String>,
    pub text: Option<String>,
    /// Set when the user answered with "Trả lời" (quote/reply).
    pub quote_msg_id: Option<String>,
    pub attachments: Vec<Attachment>,
}

impl ChatMessage {
    /// The text, or `""` when the message has none.
    pub fn text_or_empty(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// The first location attachment, if any.
    pub fn location(&self) -> Option<GeoPoint> {
        self.attachments.iter().find_map(|attachment| match attachment {
            Attachment::Location(point) => Some(*point),
            _ => None,
        })
    }
}

/// One `message.attachments[]` entry, typed by its `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment {
    Image(ImagePayload),
    Gif(ImagePayload),
    Link(LinkPayload),
    Audio(AudioPayload),
    Video(VideoPayload),
    Sticker(StickerPayload),
    Location(GeoPoint),
    File(FilePayload),
    /// An unknown `type`, or a location whose coordinates are not numbers: kept raw.
    Other {
        attachment_type: String,
        payload: Value,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImagePayload {
    pub url: Option<String>,
    pub thumbnail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkPayload {
    pub url: Option<String>,
    pub thumbnail: Option<String>,
    pub description: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AudioPayload {
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VideoPayload {
    pub url: Option<String>,
    pub thumbnail: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StickerPayload {
    pub id: Option<String>,
    pub url: Option<String>,
}

/// Coordinates of a shared location (sent as strings, parsed to degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilePayload {
    pub url: Option<String>,
    pub name: Option<String>,
    /// Size in bytes (a string on the wire).
    pub size: Option<u64>,
    /// MD5 checksum as sent.
    pub checksum: Option<String>,
    /// The payload's `type` (file extension / kind).
    pub file_type: Option<String>,
}

/// `user_send_business_card`: a `link` attachment whose `description` is a JSON string
/// `{"phone":…,"qrCodeUrl":…}` and whose `message.text` is the contact's name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BusinessCard {
    pub msg_id: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub qr_code_url: Option<String>,
    pub thumbnail: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// `follow` / `unfollow`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FollowChange {
    pub follower_id: Option<String>,
    /// `oa_profile`, `message_invite`, `social_plugin`, `zalo`, …
    pub source: Option<String>,
}

/// `user_submit_info`, merging the current `full_address` shape and the older flat one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubmittedInfo {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// `user_dob` as sent ("DD/MM/YYYY").
    pub date_of_birth: Option<String>,
    pub gender: Option<String>,
    pub address: Option<String>,
    pub ward: Option<String>,
    pub district: Option<String>,
    pub city: Option<String>,
}

/// `user_received_message`: an OA chat message or a ZNS/ZBS template reached the phone.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    OaMessage { msg_id: Option<String> },
    Template(TemplateDelivery),
}

impl Delivery {
    pub fn msg_id(&self) -> Option<&str> {
        match self {
            Delivery::OaMessage { msg_id } => msg_id.as_deref(),
            Delivery::Template(template) => template.msg_id.as_deref(),
        }
    }
}

/// Template form of `user_received_message`: `recipient.id` is the phone (or its hash).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDelivery {
    pub msg_id: Option<String>,
    pub tracking_id: Option<String>,
    pub delivery_time: Option<String>,
    pub delivery_time_ms: Option<i64>,
    pub phone: Option<String>,
}

/// `user_reacted_message` / `oa_reacted_message`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reaction {
    /// The message reacted to.
    pub msg_id: Option<String>,
    pub react_icon: Option<String>,
}

/// `anonymous_send_*`: a user without a Zalo identity (reply via v2 with both ids).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnonymousMessage {
    /// `sender.id`.
    pub anonymous_id: Option<String>,
    pub conversation_id: Option<String>,
    pub message: ChatMessage,
}

/// `add_user_to_tag` / `remove_user_from_tag` / `remove_tag`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagChange {
    pub tag_name: Option<String>,
    pub user_ids: Vec<String>,
}

/// `user_feedback`: answer to a rating template. Carries no user id: join on `msg_id`
/// (UID channel) or `tracking_id` (phone channel).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feedback {
    pub msg_id: Option<String>,
    pub tracking_id: Option<String>,
    /// 1–5; `None` when missing or out of range.
    pub rate: Option<u8>,
    pub note: Option<String>,
    pub feedbacks: Vec<String>,
    pub rating_type: Option<String>,
    pub option: Option<String>,
    pub submit_time: Option<String>,
    pub submit_time_ms: Option<i64>,
}

/// `user_click_response_button`: quick-reply template answered (`msg_id` is top-level).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseButtonClick {
    pub msg_id: Option<String>,
    pub button_type: Option<String>,
    pub data: Option<String>,
    pub tracking_id: Option<String>,
    pub submit_time: Option<String>,
    pub submit_time_ms: Option<i64>,
}

/// `change_template_status`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateStatusChange {
    pub template_id: Option<String>,
    pub prev_status: Option<String>,
    pub new_status: Option<String>,
    pub reason: Option<String>,
}

/// `change_template_quality` / `change_template_quota`: payload shape UNVERIFIED, so the
/// whole body is kept next to the template id.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateNotice {
    pub template_id: Option<String>,
    pub body: Value,
}

/// `change_oa_daily_quota` (`quota{prev_value,new_value}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DailyQuotaChange {
    pub prev_value: Option<i64>,
    pub new_value: Option<i64>,
}

/// `update_user_info` / `user_withdraw`: payload shape UNVERIFIED, so the user id is taken
/// best-effort (`user_id`, `follower.id`, `sender.id`) and the whole body is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct UserNotice {
    pub user_id: Option<String>,
    pub body: Value,
}

/// Parses a webhook body. Unknown event names give `EventKind::Unknown`.
pub fn parse_event(raw: &[u8]) -> Result<WebhookEvent, EventParseError> {
    let body: Value = serde_json::from_slice(raw).map_err(|err| EventParseError::InvalidJson(err.to_string()))?;
    if !body.is_object() {
        return Err(EventParseError::NotAnObject(json_kind(&body)));
    }
    let event_name = body
        .get("event_name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .ok_or(EventParseError::MissingEventName)?
        .to_owned();
    let kind = parse_kind(&event_name, &body);
    let sender_id = string_at(&body, &["sender", "id"]);
    let recipient_id = string_at(&body, &["recipient", "id"]);
    let timestamp = string_at(&body, &["timestamp"]);
    let oa_id = flat_oa_id(&body).or_else(|| oa_side(&kind, sender_id.as_deref(), recipient_id.as_deref()));
    Ok(WebhookEvent {
        timestamp_ms: timestamp.as_deref().and_then(|ts| ts.trim().parse().ok()),
        timestamp,
        app_id: string_at(&body, &["app_id"]),
        oa_id,
        user_id_by_app: string_at(&body, &["user_id_by_app"]),
        sender_admin_id: string_at(&body, &["sender", "admin_id"]),
        sender_id,
        recipient_id,
        event_name,
        kind,
    })
}

/// True for the console's registration probe: an empty body, `{}`, or any JSON object
/// without an `event_name`. Answer such requests with 200 and do not process them.
pub fn is_registration_probe(raw: &[u8]) -> bool {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => {
            map.get("event_name").and_then(Value::as_str).is_none_or(|name| name.trim().is_empty())
        }
        _ => false,
    }
}

/// Dedupe key for at-least-once delivery: `event_name:msg_id` when the event carries a
/// message id that identifies it, otherwise `event_name:sha256:<hex of the raw body>`.
/// Reactions use the body hash: their `msg_id` names the message reacted to, and one
/// message can receive several reactions.
pub fn event_key(raw: &[u8], event: &WebhookEvent) -> String {
    match event.dedupe_msg_id() {
        Some(msg_id) => format!("{}:{msg_id}", event.event_name),
        None => format!("{}:sha256:{}", event.event_name, hex::encode(Sha256::digest(raw))),
    }
}

impl WebhookEvent {
    /// The OA-scoped user id of the citizen this event concerns, or `None` when the event
    /// has no such user (ZNS template events, feedback, tags, quota, anonymous users).
    /// For OA → user events the OA side is resolved with `known_oa_id` when given (the
    /// direction of receipts is UNVERIFIED); without it `recipient.id` is the user.
    pub fn citizen_user_id(&self, known_oa_id: Option<&str>) -> Option<&str> {
        match &self.kind {
            kind if kind.is_user_send() => self.sender_id.as_deref(),
            EventKind::UserSubmitInfo(_) | EventKind::UserReactedMessage(_) => self.sender_id.as_deref(),
            kind if kind.is_oa_send() => self.counterpart_of_oa(known_oa_id),
            EventKind::UserReceivedMessage(Delivery::OaMessage { .. })
            | EventKind::UserSeenMessage { .. }
            | EventKind::OaReactedMessage(_) => self.counterpart_of_oa(known_oa_id),
            EventKind::Follow(change) | EventKind::Unfollow(change) => change.follower_id.as_deref(),
            EventKind::UserClickChatnow { user_id } => user_id.as_deref(),
            EventKind::UpdateUserInfo(notice) | EventKind::UserWithdraw(notice) => notice.user_id.as_deref(),
            _ => None,
        }
    }

    /// The Zalo message id the event carries (`message.msg_id`, or the top-level `msg_id`
    /// of `user_click_response_button`). `None` for `user_seen_message` (several ids).
    pub fn msg_id(&self) -> Option<&str> {
        match &self.kind {
            EventKind::UserSendText(message)
            | EventKind::UserSendImage(message)
            | EventKind::UserSendLink(message)
            | EventKind::UserSendAudio(message)
            | EventKind::UserSendVideo(message)
            | EventKind::UserSendSticker(message)
            | EventKind::UserSendFile(message)
            | EventKind::UserSendLocation(message)
            | EventKind::UserSendGif(message)
            | EventKind::OaSendText(message)
            | EventKind::OaSendImage(message)
            | EventKind::OaSendGif(message)
            | EventKind::OaSendList(message)
            | EventKind::OaSendFile(message)
            | EventKind::OaSendSticker(message) => message.msg_id.as_deref(),
            EventKind::AnonymousSendText(anonymous)
            | EventKind::AnonymousSendImage(anonymous)
            | EventKind::AnonymousSendFile(anonymous)
            | EventKind::AnonymousSendSticker(anonymous) => anonymous.message.msg_id.as_deref(),
            EventKind::UserSendBusinessCard(card) => card.msg_id.as_deref(),
            EventKind::UserReceivedMessage(delivery) => delivery.msg_id(),
            EventKind::UserReactedMessage(reaction) | EventKind::OaReactedMessage(reaction) => {
                reaction.msg_id.as_deref()
            }
            EventKind::UserFeedback(feedback) => feedback.msg_id.as_deref(),
            EventKind::UserClickResponseButton(click) => click.msg_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the event opens/renews the citizen's messaging window (§3.2): follow,
    /// any `user_send_*`, `user_click_chatnow`, `user_submit_info`. Receipts, seen, OA
    /// echoes, reactions, feedback and management events do not.
    pub fn is_interaction(&self) -> bool {
        self.kind.is_user_send()
            || matches!(
                self.kind,
                EventKind::Follow(_) | EventKind::UserClickChatnow { .. } | EventKind::UserSubmitInfo(_)
            )
    }

    fn dedupe_msg_id(&self) -> Option<&str> {
        match self.kind {
            EventKind::UserReactedMessage(_) | EventKind::OaReactedMessage(_) => None,
            _ => self.msg_id(),
        }
    }

    fn counterpart_of_oa(&self, known_oa_id: Option<&str>) -> Option<&str> {
        let sender = self.sender_id.as_deref();
        let recipient = self.recipient_id.as_deref();
        match known_oa_id {
            Some(oa) if sender == Some(oa) => recipient,
            Some(oa) if recipient == Some(oa) => sender,
            _ => recipient,
        }
    }
}

impl EventKind {
    /// `user_send_*` events (a citizen wrote to the OA).
    pub fn is_user_send(&self) -> bool {
        matches!(
            self,
            EventKind::UserSendText(_)
                | EventKind::UserSendImage(_)
                | EventKind::UserSendLink(_)
                | EventKind::UserSendAudio(_)
                | EventKind::UserSendVideo(_)
                | EventKind::UserSendSticker(_)
                | EventKind::UserSendFile(_)
                | EventKind::UserSendLocation(_)
                | EventKind::UserSendGif(_)
                | EventKind::UserSendBusinessCard(_)
        )
    }

    /// `oa_send_*` echoes of messages the OA sent.
    pub fn is_oa_send(&self) -> bool {
        matches!(
            self,
            EventKind::OaSendText(_)
                | EventKind::OaSendImage(_)
                | EventKind::OaSendGif(_)
                | EventKind::OaSendList(_)
                | EventKind::OaSendFile(_)
                | EventKind::OaSendSticker(_)
        )
    }

    fn is_anonymous_send(&self) -> bool {
        matches!(
            self,
            EventKind::AnonymousSendText(_)
                | EventKind::AnonymousSendImage(_)
                | EventKind::AnonymousSendFile(_)
                | EventKind::AnonymousSendSticker(_)
        )
    }
}

fn parse_kind(event_name: &str, body: &Value) -> EventKind {
    match event_name {
        "user_send_text" => EventKind::UserSendText(chat_message(body)),
        "user_send_image" => EventKind::UserSendImage(chat_message(body)),
        "user_send_link" => EventKind::UserSendLink(chat_message(body)),
        "user_send_audio" => EventKind::UserSendAudio(chat_message(body)),
        "user_send_video" => EventKind::UserSendVideo(chat_message(body)),
        "user_send_sticker" => EventKind::UserSendSticker(chat_message(body)),
        "user_send_file" => EventKind::UserSendFile(chat_message(body)),
        "user_send_location" => EventKind::UserSendLocation(chat_message(body)),
        "user_send_gif" => EventKind::UserSendGif(chat_message(body)),
        "user_send_business_card" => EventKind::UserSendBusinessCard(business_card(body)),
        "follow" => EventKind::Follow(follow_change(body)),
        "unfollow" => EventKind::Unfollow(follow_change(body)),
        "user_click_chatnow" => EventKind::UserClickChatnow { user_id: string_at(body, &["user_id"]) },
        "user_submit_info" => EventKind::UserSubmitInfo(submitted_info(body)),
        "user_received_message" => EventKind::UserReceivedMessage(delivery(body)),
        "user_seen_message" => EventKind::UserSeenMessage { msg_ids: strings_at(body, &["message", "msg_ids"]) },
        "user_reacted_message" => EventKind::UserReactedMessage(reaction(body)),
        "oa_reacted_message" => EventKind::OaReactedMessage(reaction(body)),
        "oa_send_text" => EventKind::OaSendText(chat_message(body)),
        "oa_send_image" => EventKind::OaSendImage(chat_message(body)),
        "oa_send_gif" => EventKind::OaSendGif(chat_message(body)),
        "oa_send_list" => EventKind::OaSendList(chat_message(body)),
        "oa_send_file" => EventKind::OaSendFile(chat_message(body)),
        "oa_send_sticker" => EventKind::OaSendSticker(chat_message(body)),
        "anonymous_send_text" => EventKind::AnonymousSendText(anonymous_message(body)),
        "anonymous_send_image" => EventKind::AnonymousSendImage(anonymous_message(body)),
        "anonymous_send_file" => EventKind::AnonymousSendFile(anonymous_message(body)),
        "anonymous_send_sticker" => EventKind::AnonymousSendSticker(anonymous_message(body)),
        "add_user_to_tag" => EventKind::AddUserToTag(tag_change(body)),
        "remove_user_from_tag" => EventKind::RemoveUserFromTag(tag_change(body)),
        "remove_tag" => EventKind::RemoveTag(tag_change(body)),
        "user_feedback" => EventKind::UserFeedback(feedback(body)),
        "user_click_response_button" => EventKind::UserClickResponseButton(response_button_click(body)),
        "change_template_status" => EventKind::ChangeTemplateStatus(template_status(body)),
        "change_template_quality" => EventKind::ChangeTemplateQuality(template_notice(body)),
        "change_template_quota" => EventKind::ChangeTemplateQuota(template_notice(body)),
        "change_oa_daily_quota" => EventKind::ChangeOaDailyQuota(daily_quota_change(body)),
        "update_user_info" => EventKind::UpdateUserInfo(user_notice(body)),
        "user_withdraw" => EventKind::UserWithdraw(user_notice(body)),
        other => EventKind::Unknown { event_name: other.to_owned() },
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn flat_oa_id(body: &Value) -> Option<String> {
    string_at(body, &["oa_id"]).or_else(|| string_at(body, &["oaId"]))
}

/// The OA side of `sender`/`recipient` when the body has no flat OA id.
fn oa_side(kind: &EventKind, sender_id: Option<&str>, recipient_id: Option<&str>) -> Option<String> {
    let from_user = kind.is_user_send()
        || kind.is_anonymous_send()
        || matches!(kind, EventKind::UserSubmitInfo(_) | EventKind::UserReactedMessage(_));
    let from_oa = kind.is_oa_send()
        || matches!(
            kind,
            EventKind::UserReceivedMessage(_) | EventKind::UserSeenMessage { .. } | EventKind::OaReactedMessage(_)
        );
    let oa = if from_user {
        recipient_id
    } else if from_oa {
        sender_id
    } else {
        None
    };
    oa.map(str::to_owned)
}

fn chat_message(body: &Value) -> ChatMessage {
    ChatMessage {
        msg_id: string_at(body, &["message", "msg_id"]),
        text: string_at(body, &["message", "text"]),
        quote_msg_id: string_at(body, &["message", "quote_msg_id"]),
        attachments: attachments(body),
    }
}

fn attachments(body: &Value) -> Vec<Attachment> {
    value_at(body, &["message", "attachments"])
        .and_then(Value::as_array)
        .map(|items| items.iter().map(attachment).collect())
        .unwrap_or_default()
}

fn attachment(item: &Value) -> Attachment {
    let attachment_type = string_at(item, &["type"]).unwrap_or_default();
    let payload = item.get("payload").cloned().unwrap_or(Value::Null);
    let field = |key: &str| string_at(&payload, &[key]);
    match attachment_type.as_str() {
        "image" => Attachment::Image(image_payload(&payload)),
        "gif" => Attachment::Gif(image_payload(&payload)),
        "link" => Attachment::Link(LinkPayload {
            url: field("url"),
            thumbnail: field("thumbnail"),
            description: field("description"),
            title: field("title"),
        }),
        "audio" => Attachment::Audio(AudioPayload { url: field("url") }),
        "video" => Attachment::Video(VideoPayload {
            url: field("url"),
            thumbnail: field("thumbnail"),
            description: field("description"),
        }),
        "sticker" => Attachment::Sticker(StickerPayload { id: field("id"), url: field("url") }),
        "file" => Attachment::File(FilePayload {
            url: field("url"),
            name: field("name"),
            size: i64_at(&payload, &["size"]).and_then(|size| u64::try_from(size).ok()),
            checksum: field("checksum"),
            file_type: field("type"),
        }),
        "location" => match geo_point(&payload) {
            Some(point) => Attachment::Location(point),
            None => Attachment::Other { attachment_type, payload },
        },
        _ => Attachment::Other { attachment_type, payload },
    }
}

fn image_payload(payload: &Value) -> ImagePayload {
    ImagePayload { url: string_at(payload, &["url"]), thumbnail: string_at(payload, &["thumbnail"]) }
}

fn geo_point(payload: &Value) -> Option<GeoPoint> {
    let coordinate = |key: &str| value_at(payload, &["coordinates", key]).and_then(value_to_f64);
    let latitude = coordinate("latitude").filter(|lat| (-90.0..=90.0).contains(lat))?;
    let longitude = coordinate("longitude").filter(|lon| (-180.0..=180.0).contains(lon))?;
    Some(GeoPoint { latitude, longitude })
}

fn business_card(body: &Value) -> BusinessCard {
    let attachments = attachments(body);
    let (card_json, thumbnail) = attachments
        .iter()
        .find_map(|attachment| match attachment {
            Attachment::Link(link) => Some(link),
            _ => None,
        })
        .map(|link| {
            let card =
                link.description.as_deref().and_then(|description| serde_json::from_str::<Value>(description).ok());
            (card, link.thumbnail.clone())
        })
        .unwrap_or_default();
    let card_field = |key: &str| card_json.as_ref().and_then(|card| string_at(card, &[key]));
    BusinessCard {
        msg_id: string_at(body, &["message", "msg_id"]),
        contact_name: string_at(body, &["message", "text"]),
        phone: card_field("phone"),
        qr_code_url: card_field("qrCodeUrl"),
        thumbnail,
        attachments,
    }
}

fn follow_change(body: &Value) -> FollowChange {
    FollowChange {
        follower_id: string_at(body, &["follower", "id"]).or_else(|| string_at(body, &["sender", "id"])),
        source: string_at(body, &["source"]),
    }
}

fn submitted_info(body: &Value) -> SubmittedInfo {
    let flat = |key: &str| string_at(body, &["info", key]);
    let nested = |key: &str| string_at(body, &["info", "full_address", key]);
    SubmittedInfo {
        name: flat("name"),
        phone: flat("phone"),
        date_of_birth: flat("user_dob"),
        gender: flat("gender"),
        address: nested("user_address").or_else(|| flat("address")),
        ward: nested("user_ward").or_else(|| flat("ward")),
        district: nested("user_district").or_else(|| flat("district")),
        city: nested("user_city").or_else(|| flat("city")),
    }
}

fn delivery(body: &Value) -> Delivery {
    let msg_id = string_at(body, &["message", "msg_id"]);
    let tracking_id = string_at(body, &["message", "tracking_id"]);
    let delivery_time = string_at(body, &["message", "delivery_time"]);
    if tracking_id.is_none() && delivery_time.is_none() {
        return Delivery::OaMessage { msg_id };
    }
    Delivery::Template(TemplateDelivery {
        msg_id,
        tracking_id,
        delivery_time_ms: delivery_time.as_deref().and_then(|t| t.trim().parse().ok()),
        delivery_time,
        phone: string_at(body, &["recipient", "id"]),
    })
}

fn reaction(body: &Value) -> Reaction {
    Reaction {
        msg_id: string_at(body, &["message", "msg_id"]),
        react_icon: string_at(body, &["message", "react_icon"]),
    }
}

fn anonymous_message(body: &Value) -> AnonymousMessage {
    AnonymousMessage {
        anonymous_id: string_at(body, &["sender", "id"]),
        conversation_id: string_at(body, &["message", "conversation_id"]),
        message: chat_message(body),
    }
}

fn tag_change(body: &Value) -> TagChange {
    TagChange { tag_name: string_at(body, &["tag", "name"]), user_ids: strings_at(body, &["tag", "user_ids"]) }
}

fn feedback(body: &Value) -> Feedback {
    let field = |key: &str| string_at(body, &["message", key]);
    let submit_time = field("submit_time");
    Feedback {
        msg_id: field("msg_id"),
        tracking_id: field("tracking_id"),
        rate: i64_at(body, &["message", "rate"])
            .filter(|rate| (1..=5).contains(rate))
            .and_then(|rate| u8::try_from(rate).ok()),
        note: field("note"),
        feedbacks: strings_at(body, &["message", "feedbacks"]),
        rating_type: field("rating_type"),
        option: field("option"),
        submit_time_ms: submit_time.as_deref().and_then(|t| t.trim().parse().ok()),
        submit_time,
    }
}

fn response_button_click(body: &Value) -> ResponseButtonClick {
    let field = |key: &str| string_at(body, &["message", key]);
    let submit_time = field("submit_time");
    ResponseButtonClick {
        msg_id: string_at(body, &["msg_id"]).or_else(|| field("msg_id")),
        button_type: field("button_type"),
        data: field("data"),
        tracking_id: field("tracking_id"),
        submit_time_ms: submit_time.as_deref().and_then(|t| t.trim().parse().ok()),
        submit_time,
    }
}

fn template_status(body: &Value) -> TemplateStatusChange {
    TemplateStatusChange {
        template_id: string_at(body, &["template_id"]),
        prev_status: string_at(body, &["status", "prev_status"]),
        new_status: string_at(body, &["status", "new_status"]),
        reason: string_at(body, &["reason"]),
    }
}

fn template_notice(body: &Value) -> TemplateNotice {
    TemplateNotice { template_id: string_at(body, &["template_id"]), body: body.clone() }
}

fn daily_quota_change(body: &Value) -> DailyQuotaChange {
    DailyQuotaChange {
        prev_value: i64_at(body, &["quota", "prev_value"]),
        new_value: i64_at(body, &["quota", "new_value"]),
    }
}

fn user_notice(body: &Value) -> UserNotice {
    UserNotice {
        user_id: string_at(body, &["user_id"])
            .or_else(|| string_at(body, &["follower", "id"]))
            .or_else(|| string_at(body, &["sender", "id"])),
        body: body.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn samples_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zalo-samples")
    }

    fn event_samples() -> Vec<(String, Vec<u8>)> {
        let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(samples_dir())
            .expect("samples directory is readable")
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .filter_map(|path| {
                let stem = path.file_stem()?.to_str()?.to_owned();
                (!stem.starts_with("api-")).then(|| (stem, std::fs::read(&path).expect("sample is readable")))
            })
            .collect();
        samples.sort();
        samples
    }

    fn parse(json: &str) -> WebhookEvent {
        parse_event(json.as_bytes()).expect("event parses")
    }

    fn only_attachment(message: &ChatMessage) -> &Attachment {
        assert_eq!(message.attachments.len(), 1, "{message:?}");
        &message.attachments[0]
    }

    fn sha256_hex(raw: &[u8]) -> String {
        hex::encode(Sha256::digest(raw))
    }

    #[test]
    fn every_event_sample_parses_to_a_known_event() {
        let samples = event_samples();
        assert!(samples.len() >= 20, "only {} event samples found", samples.len());
        for (name, raw) in &samples {
            let event = parse_event(raw).unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(&event.event_name, name, "event_name matches the file name");
            assert!(!matches!(event.kind, EventKind::Unknown { .. }), "{name} parsed as Unknown");
            assert!(!is_registration_probe(raw), "{name} is not a probe");
            let key = event_key(raw, &event);
            assert!(key.starts_with(&format!("{name}:")), "{name}: {key}");
            assert_sample_fields(name, raw, &event);
        }
    }

    /// Key fields of each known sample; a new sample without an entry here is still
    /// covered by the generic checks above.
    fn assert_sample_fields(name: &str, raw: &[u8], event: &WebhookEvent) {
        match name {
            "user_send_text" => check_user_send_text(raw, event),
            "user_send_image" => check_user_send_image(event),
            "user_send_gif" => check_user_send_gif(event),
            "user_send_link" => check_user_send_link(event),
            "user_send_audio" => check_user_send_audio(event),
            "user_send_video" => check_user_send_video(event),
            "user_send_sticker" => check_user_send_sticker(event),
            "user_send_file" => check_user_send_file(event),
            "user_send_location" => check_user_send_location(event),
            "follow" => check_follow(raw, event),
            "oa_send_text" => check_oa_send_text(event),
            "oa_send_image" | "oa_send_gif" | "oa_send_list" | "oa_send_file" => {
                check_oa_send_media(name, event);
            }
            "user_seen_message" => check_user_seen_message(raw, event),
            "user_received_message" => check_user_received_message(event),
            "user_submit_info" => check_user_submit_info(event),
            "add_user_to_tag" => check_add_user_to_tag(event),
            "user_feedback" => check_user_feedback(event),
            "change_oa_daily_quota" => check_change_oa_daily_quota(event),
            _ => {}
        }
    }

    fn check_user_send_text(raw: &[u8], event: &WebhookEvent) {
        let EventKind::UserSendText(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(message.text.as_deref(), Some("message"));
        assert_eq!(message.msg_id.as_deref(), Some("96d3cdf3af150460909"));
        assert_eq!(message.quote_msg_id, None);
        assert_eq!(event.app_id.as_deref(), Some("360846524940903967"));
        assert_eq!(event.oa_id.as_deref(), Some("388613280878808645"));
        assert_eq!(event.timestamp.as_deref(), Some("154390853474"));
        assert_eq!(event.timestamp_ms, Some(154_390_853_474));
        assert_eq!(event.user_id_by_app.as_deref(), Some("552177279717587730"));
        assert_eq!(event.citizen_user_id(None), Some("246845883529197922"));
        assert_eq!(event.citizen_user_id(Some("388613280878808645")), Some("246845883529197922"));
        assert!(event.is_interaction());
        assert_eq!(event.msg_id(), Some("96d3cdf3af150460909"));
        assert_eq!(event_key(raw, event), "user_send_text:96d3cdf3af150460909");
    }

    fn check_user_send_image(event: &WebhookEvent) {
        let EventKind::UserSendImage(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(message.text_or_empty(), "This is testing message");
        assert_eq!(
            only_attachment(message),
            &Attachment::Image(ImagePayload {
                url: Some("url_to_thumbnail".into()),
                thumbnail: Some("url_to_thumbnail".into()),
            })
        );
        assert_eq!(event.citizen_user_id(None), Some("4339761418830368433"));
        assert_eq!(event.oa_id.as_deref(), Some("2197174064623873199"));
        assert_eq!(event.timestamp_ms, Some(1_609_984_527_174));
        assert!(event.is_interaction());
    }

    fn check_user_send_gif(event: &WebhookEvent) {
        let EventKind::UserSendGif(message) = &event.kind else { panic!("{event:?}") };
        assert!(matches!(only_attachment(message), Attachment::Gif(p) if p.url.as_deref() == Some("url_to_thumbnail")));
        assert!(event.is_interaction());
    }

    fn check_user_send_link(event: &WebhookEvent) {
        let EventKind::UserSendLink(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(
            only_attachment(message),
            &Attachment::Link(LinkPayload {
                url: Some("link".into()),
                thumbnail: Some("url_to_thumbnail".into()),
                description: Some("description_of_link".into()),
                title: None,
            })
        );
    }

    fn check_user_send_audio(event: &WebhookEvent) {
        let EventKind::UserSendAudio(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(
            only_attachment(message),
            &Attachment::Audio(AudioPayload { url: Some("url_to_audio_file".into()) })
        );
    }

    fn check_user_send_video(event: &WebhookEvent) {
        let EventKind::UserSendVideo(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(
            only_attachment(message),
            &Attachment::Video(VideoPayload {
                url: Some("url_to_video_file".into()),
                thumbnail: Some("url_to_thumbnail".into()),
                description: Some("description_of_link".into()),
            })
        );
    }

    fn check_user_send_sticker(event: &WebhookEvent) {
        let EventKind::UserSendSticker(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(
            only_attachment(message),
            &Attachment::Sticker(StickerPayload { id: Some("sticker_id".into()), url: Some("link".into()) })
        );
    }

    fn check_user_send_file(event: &WebhookEvent) {
        let EventKind::UserSendFile(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(message.text, None);
        assert_eq!(
            only_attachment(message),
            &Attachment::File(FilePayload {
                url: Some("link_to_download_file".into()),
                name: Some("file_name".into()),
                size: Some(9999),
                checksum: Some("checksum".into()),
                file_type: Some("file_type".into()),
            })
        );
    }

    fn check_user_send_location(event: &WebhookEvent) {
        let EventKind::UserSendLocation(message) = &event.kind else { panic!("{event:?}") };
        let point = message.location().expect("location attachment");
        assert!((point.latitude - 10.792_311_9).abs() < 1e-9);
        assert!((point.longitude - 106.782_065_1).abs() < 1e-9);
        assert_eq!(message.text.as_deref(), Some("Cơm Coffee New Sky"));
        assert_eq!(event.msg_id(), Some("b8de7d84fa1b3043690c"));
        assert_eq!(event.citizen_user_id(None), Some("8309393969855402319"));
        assert_eq!(event.user_id_by_app.as_deref(), Some("7300442764876318465"));
        assert_eq!(event.timestamp_ms, Some(1_751_100_041_636));
    }

    fn check_follow(raw: &[u8], event: &WebhookEvent) {
        let EventKind::Follow(change) = &event.kind else { panic!("{event:?}") };
        assert_eq!(change.follower_id.as_deref(), Some("8890635404729405962"));
        assert_eq!(change.source.as_deref(), Some("zalo"));
        assert_eq!(event.oa_id.as_deref(), Some("140130397183308120"));
        assert_eq!(event.user_id_by_app.as_deref(), Some("6655413641204889003"));
        assert_eq!(event.citizen_user_id(None), Some("8890635404729405962"));
        assert!(event.is_interaction());
        assert_eq!(event.msg_id(), None);
        assert_eq!(event_key(raw, event), format!("follow:sha256:{}", sha256_hex(raw)));
    }

    fn check_oa_send_text(event: &WebhookEvent) {
        let EventKind::OaSendText(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(message.text.as_deref(), Some("This is testing message"));
        assert_eq!(message.msg_id.as_deref(), Some("This is message id"));
        assert_eq!(event.oa_id.as_deref(), Some("2197174064623873199"));
        assert_eq!(event.citizen_user_id(None), Some("4339761418830368433"));
        assert_eq!(event.citizen_user_id(Some("2197174064623873199")), Some("4339761418830368433"));
        assert!(!event.is_interaction());
    }

    fn check_oa_send_media(name: &str, event: &WebhookEvent) {
        let (message, expected_attachments) = match &event.kind {
            EventKind::OaSendImage(message) | EventKind::OaSendGif(message) | EventKind::OaSendFile(message) => {
                (message, 1)
            }
            EventKind::OaSendList(message) => (message, 3),
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(message.attachments.len(), expected_attachments, "{name}");
        assert_eq!(message.msg_id.as_deref(), Some("This is message id"), "{name}");
        assert_eq!(event.citizen_user_id(None), Some("4339761418830368433"), "{name}");
        assert!(!event.is_interaction(), "{name}");
        if name == "oa_send_list" {
            assert!(
                matches!(&message.attachments[2], Attachment::Link(link) if link.title.as_deref() == Some("title"))
            );
        }
        if name == "oa_send_file" {
            assert!(matches!(&message.attachments[0], Attachment::File(file) if file.size == Some(9999)));
        }
    }

    fn check_user_seen_message(raw: &[u8], event: &WebhookEvent) {
        let EventKind::UserSeenMessage { msg_ids } = &event.kind else { panic!("{event:?}") };
        assert_eq!(msg_ids, &vec!["e72c0a55e95fcb00924f".to_owned()]);
        // Default direction (CHATWOOT): sender = OA, recipient = user.
        assert_eq!(event.oa_id.as_deref(), Some("2687558107438251665"));
        assert_eq!(event.citizen_user_id(None), Some("7605173638941758527"));
        assert_eq!(event.citizen_user_id(Some("2687558107438251665")), Some("7605173638941758527"));
        // If our OA turns out to be the recipient, the sender is the user.
        assert_eq!(event.citizen_user_id(Some("7605173638941758527")), Some("2687558107438251665"));
        assert!(!event.is_interaction());
        assert_eq!(event.msg_id(), None);
        assert_eq!(event_key(raw, event), format!("user_seen_message:sha256:{}", sha256_hex(raw)));
    }

    fn check_user_received_message(event: &WebhookEvent) {
        let EventKind::UserReceivedMessage(Delivery::Template(delivery)) = &event.kind else { panic!("{event:?}") };
        assert_eq!(delivery.tracking_id.as_deref(), Some("order-88213"));
        assert_eq!(delivery.delivery_time.as_deref(), Some("1602960467432"));
        assert_eq!(delivery.delivery_time_ms, Some(1_602_960_467_432));
        assert_eq!(delivery.phone.as_deref(), Some("84123456789"));
        assert_eq!(event.msg_id(), Some("15a0cc0bbb13bd4ce403"));
        assert_eq!(event.citizen_user_id(None), None);
        assert_eq!(event.oa_id.as_deref(), Some("2893352839501541173"));
        assert!(!event.is_interaction());
    }

    fn check_user_submit_info(event: &WebhookEvent) {
        let EventKind::UserSubmitInfo(info) = &event.kind else { panic!("{event:?}") };
        assert_eq!(
            info,
            &SubmittedInfo {
                name: Some("Name Example".into()),
                phone: Some("84912345678".into()),
                date_of_birth: Some("30/10/1999".into()),
                gender: Some("Nam".into()),
                address: Some("Đường số 13, KCX Tân Thuận Đông".into()),
                ward: Some("Phường Tân Thuận".into()),
                district: None,
                city: Some("Thành phố Hồ Chí Minh".into()),
            }
        );
        assert_eq!(event.citizen_user_id(None), Some("246845883529697922"));
        assert_eq!(event.oa_id.as_deref(), Some("388613280879880645"));
        assert!(event.is_interaction());
    }

    fn check_add_user_to_tag(event: &WebhookEvent) {
        let EventKind::AddUserToTag(tag) = &event.kind else { panic!("{event:?}") };
        assert_eq!(tag.tag_name.as_deref(), Some("example"));
        assert_eq!(tag.user_ids, vec!["246845883296197922".to_owned()]);
        assert_eq!(event.oa_id.as_deref(), Some("388613280879880645"));
        assert_eq!(event.citizen_user_id(None), None);
        assert!(!event.is_interaction());
    }

    fn check_user_feedback(event: &WebhookEvent) {
        let EventKind::UserFeedback(feedback) = &event.kind else { panic!("{event:?}") };
        assert_eq!(feedback.rate, Some(5));
        assert_eq!(feedback.note.as_deref(), Some("Tôi rất hài lòng."));
        assert_eq!(feedback.feedbacks, vec!["Nhân viên vui vẻ".to_owned(), "...".to_owned()]);
        assert_eq!(feedback.msg_id.as_deref(), Some("7e4c33cfc20b05575c18"));
        assert_eq!(feedback.tracking_id.as_deref(), Some("1956"));
        assert_eq!(feedback.rating_type.as_deref(), Some("csat"));
        assert_eq!(feedback.option.as_deref(), Some("five_emotions"));
        assert_eq!(feedback.submit_time_ms, Some(1_616_673_095_659));
        // The sample's timestamp is a placeholder: kept as text, not a number.
        assert_eq!(event.timestamp.as_deref(), Some("..."));
        assert_eq!(event.timestamp_ms, None);
        assert_eq!(event.citizen_user_id(None), None);
        assert!(!event.is_interaction());
        assert_eq!(event.msg_id(), Some("7e4c33cfc20b05575c18"));
    }

    fn check_change_oa_daily_quota(event: &WebhookEvent) {
        let EventKind::ChangeOaDailyQuota(change) = &event.kind else { panic!("{event:?}") };
        assert_eq!(change.prev_value, Some(1000));
        assert_eq!(change.new_value, Some(2000));
        assert_eq!(event.oa_id.as_deref(), Some("oa-quota"));
        assert_eq!(event.timestamp_ms, Some(1));
    }

    #[test]
    fn user_click_chatnow() {
        let event = parse(
            r#"{"event_name":"user_click_chatnow","app_id":"1","oa_id":"579745863508352884",
                "user_id":"2468458835296197922","user_id_by_app":"552177279717587730",
                "timestamp":"1752295684665"}"#,
        );
        assert_eq!(event.kind, EventKind::UserClickChatnow { user_id: Some("2468458835296197922".into()) });
        assert_eq!(event.citizen_user_id(None), Some("2468458835296197922"));
        assert_eq!(event.oa_id.as_deref(), Some("579745863508352884"));
        assert!(event.is_interaction());
    }

    #[test]
    fn unfollow_is_not_an_interaction() {
        let event = parse(
            r#"{"oa_id":"140130397183308120","follower":{"id":"8890635404729405962"},
                "user_id_by_app":"6655413641204889003","event_name":"unfollow",
                "source":"oa_profile","app_id":"3310500707791294854","timestamp":"1752295699999"}"#,
        );
        assert_eq!(
            event.kind,
            EventKind::Unfollow(FollowChange {
                follower_id: Some("8890635404729405962".into()),
                source: Some("oa_profile".into()),
            })
        );
        assert_eq!(event.citizen_user_id(None), Some("8890635404729405962"));
        assert!(!event.is_interaction());
    }

    #[test]
    fn reactions_from_both_sides() {
        let user_raw = r#"{"app_id":"1","event_name":"user_reacted_message","timestamp":"5",
            "sender":{"id":"246845883529197922"},"recipient":{"id":"388613280878808645"},
            "message":{"msg_id":"63ecf43f0df7dba892e6","react_icon":"/-heart"}}"#;
        let event = parse(user_raw);
        assert_eq!(
            event.kind,
            EventKind::UserReactedMessage(Reaction {
                msg_id: Some("63ecf43f0df7dba892e6".into()),
                react_icon: Some("/-heart".into()),
            })
        );
        assert_eq!(event.citizen_user_id(None), Some("246845883529197922"));
        assert_eq!(event.oa_id.as_deref(), Some("388613280878808645"));
        assert_eq!(event.msg_id(), Some("63ecf43f0df7dba892e6"));
        assert!(!event.is_interaction());
        // Several reactions on one message must not collapse into one key.
        assert!(event_key(user_raw.as_bytes(), &event).starts_with("user_reacted_message:sha256:"));

        let oa = parse(
            r#"{"app_id":"1","event_name":"oa_reacted_message","timestamp":"5",
            "sender":{"id":"388613280878808645"},"recipient":{"id":"246845883529197922"},
            "message":{"msg_id":"96d3cdf3af150460909","react_icon":"/-strong"}}"#,
        );
        assert!(matches!(oa.kind, EventKind::OaReactedMessage(_)));
        assert_eq!(oa.citizen_user_id(Some("388613280878808645")), Some("246845883529197922"));
    }

    #[test]
    fn change_template_status() {
        let event = parse(
            r#"{"event_name":"change_template_status","app_id":"1","oa_id":"2",
                "timestamp":"1700000000000","template_id":"355330",
                "status":{"prev_status":"PENDING_REVIEW","new_status":"ENABLE"},
                "reason":"Duyệt thành công"}"#,
        );
        assert_eq!(
            event.kind,
            EventKind::ChangeTemplateStatus(TemplateStatusChange {
                template_id: Some("355330".into()),
                prev_status: Some("PENDING_REVIEW".into()),
                new_status: Some("ENABLE".into()),
                reason: Some("Duyệt thành công".into()),
            })
        );
        assert_eq!(event.citizen_user_id(None), None);
        assert!(!event.is_interaction());
    }

    #[test]
    fn change_template_quality_and_quota_keep_the_body() {
        for name in ["change_template_quality", "change_template_quota"] {
            let event = parse(&format!(
                r#"{{"event_name":"{name}","app_id":"1","oa_id":"2","timestamp":"3",
                    "template_id":355330,"quality":"HIGH"}}"#
            ));
            let notice = match &event.kind {
                EventKind::ChangeTemplateQuality(notice) | EventKind::ChangeTemplateQuota(notice) => notice,
                other => panic!("{other:?}"),
            };
            assert_eq!(notice.template_id.as_deref(), Some("355330"));
            assert_eq!(notice.body["quality"], "HIGH");
        }
    }

    #[test]
    fn user_send_business_card() {
        let raw = r#"{"app_id":"1","event_name":"user_send_business_card","timestamp":"9",
            "sender":{"id":"246845883529197922"},"recipient":{"id":"388613280878808645"},
            "message":{"msg_id":"card1","text":"Nguyễn Văn An","attachments":[{"type":"link",
              "payload":{"thumbnail":"https://ava/x.jpg","url":"https://zalo.me/card",
              "description":"{\"phone\":\"0912345678\",\"qrCodeUrl\":\"https://qr/x.png\"}"}}]}}"#;
        let event = parse(raw);
        let EventKind::UserSendBusinessCard(card) = &event.kind else { panic!("{event:?}") };
        assert_eq!(card.contact_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(card.phone.as_deref(), Some("0912345678"));
        assert_eq!(card.qr_code_url.as_deref(), Some("https://qr/x.png"));
        assert_eq!(card.thumbnail.as_deref(), Some("https://ava/x.jpg"));
        assert_eq!(event.citizen_user_id(None), Some("246845883529197922"));
        assert!(event.is_interaction());
        assert_eq!(event_key(raw.as_bytes(), &event), "user_send_business_card:card1");
    }

    #[test]
    fn business_card_with_unreadable_description_keeps_the_name() {
        let event = parse(
            r#"{"app_id":"1","event_name":"user_send_business_card","timestamp":"9",
            "sender":{"id":"7"},"message":{"text":"An","attachments":[{"type":"link",
            "payload":{"description":"not json"}}]}}"#,
        );
        let EventKind::UserSendBusinessCard(card) = &event.kind else { panic!("{event:?}") };
        assert_eq!(card.contact_name.as_deref(), Some("An"));
        assert_eq!(card.phone, None);
    }

    #[test]
    fn user_click_response_button_takes_the_top_level_msg_id() {
        let raw = r#"{"event_name":"user_click_response_button",
            "message":{"submit_time":"1759215799072","button_type":"response",
                       "data":"Tiếp tục","tracking_id":"trackA0001"},
            "msg_id":"msgA0001","app_id":"1355275380325944240",
            "oa_id":"4520912928458797082","timestamp":"1759215799075"}"#;
        let event = parse(raw);
        assert_eq!(
            event.kind,
            EventKind::UserClickResponseButton(ResponseButtonClick {
                msg_id: Some("msgA0001".into()),
                button_type: Some("response".into()),
                data: Some("Tiếp tục".into()),
                tracking_id: Some("trackA0001".into()),
                submit_time: Some("1759215799072".into()),
                submit_time_ms: Some(1_759_215_799_072),
            })
        );
        assert_eq!(event.citizen_user_id(None), None);
        assert_eq!(event_key(raw.as_bytes(), &event), "user_click_response_button:msgA0001");
    }

    #[test]
    fn anonymous_send_text() {
        let event = parse(
            r#"{"app_id":"1","event_name":"anonymous_send_text","timestamp":"2",
            "sender":{"id":"anon-42"},"recipient":{"id":"388613280878808645"},
            "message":{"msg_id":"m1","text":"Xin chào","conversation_id":"conv-9"}}"#,
        );
        let EventKind::AnonymousSendText(anonymous) = &event.kind else { panic!("{event:?}") };
        assert_eq!(anonymous.anonymous_id.as_deref(), Some("anon-42"));
        assert_eq!(anonymous.conversation_id.as_deref(), Some("conv-9"));
        assert_eq!(anonymous.message.text.as_deref(), Some("Xin chào"));
        assert_eq!(event.msg_id(), Some("m1"));
        assert_eq!(event.citizen_user_id(None), None);
        assert_eq!(event.oa_id.as_deref(), Some("388613280878808645"));
        assert!(!event.is_interaction());
    }

    #[test]
    fn unknown_event_is_not_an_error() {
        let raw = br#"{"app_id":"1","event_name":"user_send_group_text","timestamp":"2",
            "message":{"msg_id":"g1","text":"hi"}}"#;
        let event = parse_event(raw).expect("unknown events parse");
        assert_eq!(event.kind, EventKind::Unknown { event_name: "user_send_group_text".into() });
        assert_eq!(event.citizen_user_id(None), None);
        assert_eq!(event.msg_id(), None);
        assert!(!event.is_interaction());
        assert_eq!(event_key(raw, &event), format!("user_send_group_text:sha256:{}", sha256_hex(raw)));
    }

    #[test]
    fn quoted_reply_and_numeric_ids_keep_every_digit() {
        let event = parse(
            r#"{"app_id":360846524940903967,"event_name":"user_send_text","timestamp":1609984527174,
            "sender":{"id":8890635404729405962},"recipient":{"id":"1"},
            "message":{"msg_id":"m2","text":"Dạ vâng","quote_msg_id":"m1"}}"#,
        );
        assert_eq!(event.app_id.as_deref(), Some("360846524940903967"));
        assert_eq!(event.timestamp.as_deref(), Some("1609984527174"));
        assert_eq!(event.timestamp_ms, Some(1_609_984_527_174));
        assert_eq!(event.citizen_user_id(None), Some("8890635404729405962"));
        let EventKind::UserSendText(message) = &event.kind else { panic!("{event:?}") };
        assert_eq!(message.quote_msg_id.as_deref(), Some("m1"));
    }

    #[test]
    fn older_flat_submit_info_shape() {
        let event = parse(
            r#"{"event_name":"user_submit_info","app_id":"1","timestamp":"2",
            "sender":{"id":"u1"},"recipient":{"id":"oa1"},
            "info":{"address":"12 Lê Lợi","phone":"0912345678","city":"Huế",
                    "district":"Phú Hội","name":"Trần Thị Bình","ward":"Phường Phú Hội"}}"#,
        );
        let EventKind::UserSubmitInfo(info) = &event.kind else { panic!("{event:?}") };
        assert_eq!(info.address.as_deref(), Some("12 Lê Lợi"));
        assert_eq!(info.district.as_deref(), Some("Phú Hội"));
        assert_eq!(info.city.as_deref(), Some("Huế"));
        assert_eq!(info.ward.as_deref(), Some("Phường Phú Hội"));
        assert_eq!(info.name.as_deref(), Some("Trần Thị Bình"));
        assert_eq!(info.date_of_birth, None);
    }

    #[test]
    fn oa_message_delivery_receipt_resolves_the_user_by_known_oa() {
        let event = parse(
            r#"{"event_name":"user_received_message","app_id":"1","timestamp":"2",
            "sender":{"id":"oa1"},"recipient":{"id":"u1"},"message":{"msg_id":"m9"}}"#,
        );
        assert_eq!(event.kind, EventKind::UserReceivedMessage(Delivery::OaMessage { msg_id: Some("m9".into()) }));
        assert_eq!(event.citizen_user_id(None), Some("u1"));
        assert_eq!(event.citizen_user_id(Some("oa1")), Some("u1"));
        // Reverse direction (seen in some test code): resolved by the known OA id.
        let reversed = parse(
            r#"{"event_name":"user_received_message","app_id":"1","timestamp":"2",
            "sender":{"id":"u1"},"recipient":{"id":"oa1"},"message":{"msg_id":"m9"}}"#,
        );
        assert_eq!(reversed.citizen_user_id(Some("oa1")), Some("u1"));
        assert!(!reversed.is_interaction());
    }

    #[test]
    fn oa_echo_typed_by_an_admin_keeps_admin_id() {
        let event = parse(
            r#"{"event_name":"oa_send_sticker","app_id":"1","timestamp":"2",
            "sender":{"id":"oa1","admin_id":"adm7"},"recipient":{"id":"u1"},
            "message":{"msg_id":"s1","attachments":[{"type":"sticker","payload":{"id":"st","url":"u"}}]}}"#,
        );
        assert!(matches!(event.kind, EventKind::OaSendSticker(_)));
        assert_eq!(event.sender_admin_id.as_deref(), Some("adm7"));
        assert_eq!(event.citizen_user_id(None), Some("u1"));
    }

    #[test]
    fn unusable_location_and_unknown_attachment_are_kept_raw() {
        let event = parse(
            r#"{"event_name":"user_send_location","app_id":"1","timestamp":"2","sender":{"id":"u"},
            "message":{"msg_id":"l","attachments":[
              {"type":"location","payload":{"coordinates":{"latitude":"abc","longitude":"1"}}},
              {"type":"location","payload":{"coordinates":{"latitude":16.46,"longitude":107.59}}},
              {"type":"hologram","payload":{"x":1}}]}}"#,
        );
        let EventKind::UserSendLocation(message) = &event.kind else { panic!("{event:?}") };
        assert!(
            matches!(&message.attachments[0], Attachment::Other { attachment_type, .. } if attachment_type == "location")
        );
        assert_eq!(message.location(), Some(GeoPoint { latitude: 16.46, longitude: 107.59 }));
        assert!(
            matches!(&message.attachments[2], Attachment::Other { attachment_type, payload } if attachment_type == "hologram" && payload["x"] == 1)
        );
    }

    #[test]
    fn feedback_rate_out_of_range_is_dropped() {
        let event = parse(
            r#"{"event_name":"user_feedback","app_id":"1","timestamp":"2",
            "message":{"rate":"7","msg_id":"x","tracking_id":""}}"#,
        );
        let EventKind::UserFeedback(feedback) = &event.kind else { panic!("{event:?}") };
        assert_eq!(feedback.rate, None);
        assert_eq!(feedback.tracking_id, None);
    }

    #[test]
    fn user_withdraw_and_update_user_info_find_the_user() {
        let withdraw =
            parse(r#"{"event_name":"user_withdraw","app_id":"1","oa_id":"2","timestamp":"3","user_id":"u5"}"#);
        assert!(matches!(&withdraw.kind, EventKind::UserWithdraw(n) if n.user_id.as_deref() == Some("u5")));
        assert_eq!(withdraw.citizen_user_id(None), Some("u5"));
        let update = parse(r#"{"event_name":"update_user_info","app_id":"1","timestamp":"3","sender":{"id":"u6"}}"#);
        assert_eq!(update.citizen_user_id(None), Some("u6"));
    }

    #[test]
    fn malformed_bodies_are_errors_with_a_clear_message() {
        let cases: [(&[u8], &str); 5] = [
            (b"{\"event_name\":", "not valid JSON"),
            (b"not json", "not valid JSON"),
            (b"[1,2]", "not an object (found an array)"),
            (b"{\"app_id\":\"1\"}", "no `event_name`"),
            (b"{\"event_name\":42}", "no `event_name`"),
        ];
        for (raw, expected) in cases {
            let err = parse_event(raw).expect_err("must fail");
            assert!(err.to_string().contains(expected), "{err} ~ {expected}");
        }
    }

    #[test]
    fn registration_probes() {
        let cases: [(&[u8], bool); 8] = [
            (b"", true),
            (b"  \n", true),
            (b"{}", true),
            (b"{\"app_id\":\"1\",\"timestamp\":\"2\"}", true),
            (b"{\"event_name\":\"follow\"}", false),
            (b"not json", false),
            (b"[]", false),
            (b"null", false),
        ];
        for (raw, expected) in cases {
            assert_eq!(is_registration_probe(raw), expected, "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn event_key_hash_changes_with_the_body() {
        let a = br#"{"event_name":"follow","follower":{"id":"1"},"timestamp":"1"}"#;
        let b = br#"{"event_name":"follow","follower":{"id":"1"},"timestamp":"2"}"#;
        let key_a = event_key(a, &parse_event(a).unwrap());
        let key_b = event_key(b, &parse_event(b).unwrap());
        assert_ne!(key_a, key_b);
        assert_eq!(key_a.len(), "follow:sha256:".len() + 64);
    }
}

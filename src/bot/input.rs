//! What the conversation reacts to: [`BotInput`], built from a parsed Zalo webhook event (typed
//! text and button taps, media, stickers, locations, the info form, follow/unfollow) or given by
//! the service (an officer ended a chat). Receipts, echoes and management events are not input.

use serde::{Deserialize, Serialize};

use crate::tickets::draft::Evidence;
use crate::zalo::events::{Attachment, ChatMessage, EventKind, GeoPoint, WebhookEvent};

/// One thing that happened in a citizen's conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotInput {
    /// Typed text, or the payload of a tapped button (both arrive as `user_send_text`).
    Text(String),
    /// The citizen followed the OA.
    Follow,
    /// The citizen unfollowed the OA.
    Unfollow,
    /// The citizen tapped "Nhắn tin" on the OA profile for the first time.
    ChatNow,
    /// A photo, GIF, file, video, voice message or link; `caption` is the text sent with it.
    Media { kind: MediaKind, evidence: Evidence, caption: Option<String> },
    /// A sticker.
    Sticker,
    /// A shared location; `label` is the place name Zalo sends with it, if any.
    Location { latitude: f64, longitude: f64, label: Option<String> },
    /// The answer to Zalo's `request_user_info` form.
    SubmittedInfo { name: Option<String>, phone: Option<String> },
    /// The officer talking with the citizen ended the chat (from the console, not from Zalo).
    OfficerEnded,
    /// A message the bot cannot read (a contact card, an attachment without a link).
    Unsupported,
}

/// The kind of a [`BotInput::Media`] message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Gif,
    File,
    Video,
    Audio,
    Link,
}

impl BotInput {
    /// Typed text (or a button payload).
    pub fn text(text: impl Into<String>) -> BotInput {
        BotInput::Text(text.into())
    }
}

/// The conversation input of a webhook event, or `None` for events that are not a citizen
/// speaking to the bot: delivery and seen receipts, OA echoes, reactions, template and quota
/// events, tags, feedback of rating templates, and anonymous (non-Zalo-identity) users, who
/// have no OA-scoped user id to keep a conversation under.
pub fn input_from_event(event: &WebhookEvent) -> Option<BotInput> {
    let input = match &event.kind {
        EventKind::UserSendText(message) => BotInput::text(message.text_or_empty()),
        EventKind::UserSendImage(message) => media(message, MediaKind::Image),
        EventKind::UserSendGif(message) => media(message, MediaKind::Gif),
        EventKind::UserSendFile(message) => media(message, MediaKind::File),
        EventKind::UserSendVideo(message) => media(message, MediaKind::Video),
        EventKind::UserSendAudio(message) => media(message, MediaKind::Audio),
        EventKind::UserSendLink(message) => media(message, MediaKind::Link),
        EventKind::UserSendSticker(_) => BotInput::Sticker,
        EventKind::UserSendLocation(message) => location(message),
        EventKind::UserSendBusinessCard(_) => BotInput::Unsupported,
        EventKind::Follow(_) => BotInput::Follow,
        EventKind::Unfollow(_) => BotInput::Unfollow,
        EventKind::UserClickChatnow { .. } => BotInput::ChatNow,
        EventKind::UserSubmitInfo(info) => {
            BotInput::SubmittedInfo { name: non_blank(info.name.as_deref()), phone: non_blank(info.phone.as_deref()) }
        }
        _ => return None,
    };
    Some(input)
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// Whether coordinates can be stored and shown: finite and on Earth.
pub fn valid_coordinates(latitude: f64, longitude: f64) -> bool {
    latitude.is_finite() && longitude.is_finite() && latitude.abs() <= 90.0 && longitude.abs() <= 180.0
}

fn location(message: &ChatMessage) -> BotInput {
    match message.location() {
        Some(GeoPoint { latitude, longitude }) if valid_coordinates(latitude, longitude) => {
            BotInput::Location { latitude, longitude, label: non_blank(message.text.as_deref()) }
        }
        _ => BotInput::Unsupported,
    }
}

/// The first attachment of the event's kind with a link, as evidence.
fn media(message: &ChatMessage, kind: MediaKind) -> BotInput {
    let msg_id = message.msg_id.clone();
    let evidence = message.attachments.iter().find_map(|attachment| evidence_of(attachment, kind, msg_id.clone()));
    let caption = non_blank(message.text.as_deref());
    // A link's text is usually the link itself: not a caption.
    let caption = match (&evidence, caption) {
        (Some(Evidence::Link { url, .. }), Some(text)) if text == *url => None,
        (_, caption) => caption,
    };
    match evidence {
        Some(evidence) => BotInput::Media { kind, evidence, caption },
        None => BotInput::Unsupported,
    }
}

fn evidence_of(attachment: &Attachment, kind: MediaKind, msg_id: Option<String>) -> Option<Evidence> {
    let url = |url: &Option<String>| non_blank(url.as_deref());
    match (kind, attachment) {
        (MediaKind::Image, Attachment::Image(image)) | (MediaKind::Gif, Attachment::Gif(image)) => {
            Some(Evidence::Image { url: url(&image.url)?, msg_id })
        }
        (MediaKind::File, Attachment::File(file)) => Some(Evidence::File {
            url: url(&file.url)?,
            name: non_blank(file.name.as_deref()),
            size: file.size,
            msg_id,
        }),
        (MediaKind::Video, Attachment::Video(video)) => Some(Evidence::Video { url: url(&video.url)?, msg_id }),
        (MediaKind::Audio, Attachment::Audio(audio)) => Some(Evidence::Audio { url: url(&audio.url)?, msg_id }),
        (MediaKind::Link, Attachment::Link(link)) => Some(Evidence::Link { url: url(&link.url)?, msg_id }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zalo::events::parse_event;

    fn sample(name: &str) -> WebhookEvent {
        let path = format!("{}/../shared/reference/zalo-samples/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let raw = std::fs::read(&path).unwrap_or_else(|_| inline_sample(name).into_bytes());
        parse_event(&raw).expect("sample parses")
    }

    /// The same shapes as the reference samples, for checkouts without `../shared`.
    fn inline_sample(name: &str) -> String {
        let envelope = |event: &str, message: &str| {
            format!(
                r#"{{"event_name":"{event}","sender":{{"id":"u1"}},"recipient":{{"id":"oa"}},"timestamp":"1","message":{message}}}"#
            )
        };
        match name {
            "user_send_text" => envelope(name, r#"{"text":"message","msg_id":"m1"}"#),
            "user_send_image" => envelope(
                name,
                r#"{"msg_id":"This is message id","text":"This is testing message","attachments":[{"payload":{"thumbnail":"url_to_thumbnail","url":"url_to_thumbnail"},"type":"image"}]}"#,
            ),
            "user_send_file" => envelope(
                name,
                r#"{"msg_id":"This is message id","attachments":[{"payload":{"url":"link_to_download_file","size":"9999","name":"file_name","checksum":"c","type":"file_type"},"type":"file"}]}"#,
            ),
            "user_send_location" => envelope(
                name,
                r#"{"msg_id":"b8","text":"Cơm Coffee New Sky","attachments":[{"payload":{"coordinates":{"latitude":"10.7923119","longitude":"106.7820651"}},"type":"location"}]}"#,
            ),
            "user_send_sticker" => envelope(name, r#"{"msg_id":"s","attachments":[{"payload":{"id":"x","url":"link"},"type":"sticker"}]}"#),
            "user_submit_info" => r#"{"event_name":"user_submit_info","sender":{"id":"u1"},"recipient":{"id":"oa"},"timestamp":"1","info":{"name":"Name Example","phone":"84912345678"}}"#.to_owned(),
            "follow" => r#"{"event_name":"follow","oa_id":"oa","follower":{"id":"u1"},"source":"oa_profile","timestamp":"1"}"#.to_owned(),
            _ => format!(r#"{{"event_name":"{name}","timestamp":"1"}}"#),
        }
    }

    fn event(body: &str) -> WebhookEvent {
        parse_event(body.as_bytes()).expect("test body parses")
    }

    #[test]
    fn reference_samples_become_inputs() {
        assert_eq!(input_from_event(&sample("user_send_text")), Some(BotInput::text("message")));
        assert_eq!(
            input_from_event(&sample("user_send_image")),
            Some(BotInput::Media {
                kind: MediaKind::Image,
                evidence: Evidence::Image { url: "url_to_thumbnail".into(), msg_id: Some("This is message id".into()) },
                caption: Some("This is testing message".into()),
            })
        );
        assert_eq!(
            input_from_event(&sample("user_send_file")),
            Some(BotInput::Media {
                kind: MediaKind::File,
                evidence: Evidence::File {
                    url: "link_to_download_file".into(),
                    name: Some("file_name".into()),
                    size: Some(9999),
                    msg_id: Some("This is message id".into()),
                },
                caption: None,
            })
        );
        assert_eq!(
            input_from_event(&sample("user_send_location")),
            Some(BotInput::Location {
                latitude: 10.7923119,
                longitude: 106.7820651,
                label: Some("Cơm Coffee New Sky".into())
            })
        );
        assert_eq!(input_from_event(&sample("user_send_sticker")), Some(BotInput::Sticker));
        assert_eq!(
            input_from_event(&sample("user_submit_info")),
            Some(BotInput::SubmittedInfo { name: Some("Name Example".into()), phone: Some("84912345678".into()) })
        );
        assert_eq!(input_from_event(&sample("follow")), Some(BotInput::Follow));
    }

    #[test]
    fn every_media_kind_maps_to_its_evidence() {
        let cases = [
            (
                "user_send_gif",
                "gif",
                MediaKind::Gif,
                Evidence::Image { url: "https://g".into(), msg_id: Some("m".into()) },
            ),
            (
                "user_send_video",
                "video",
                MediaKind::Video,
                Evidence::Video { url: "https://g".into(), msg_id: Some("m".into()) },
            ),
            (
                "user_send_audio",
                "audio",
                MediaKind::Audio,
                Evidence::Audio { url: "https://g".into(), msg_id: Some("m".into()) },
            ),
        ];
        for (event_name, attachment_type, kind, evidence) in cases {
            let body = format!(
                r#"{{"event_name":"{event_name}","sender":{{"id":"u"}},"recipient":{{"id":"oa"}},"message":{{"msg_id":"m","attachments":[{{"type":"{attachment_type}","payload":{{"url":"https://g"}}}}]}}}}"#
            );
            assert_eq!(
                input_from_event(&event(&body)),
                Some(BotInput::Media { kind, evidence, caption: None }),
                "{event_name}"
            );
        }
        let link = r#"{"event_name":"user_send_link","sender":{"id":"u"},"message":{"msg_id":"m","text":"https://x.vn/a","attachments":[{"type":"link","payload":{"url":"https://x.vn/a"}}]}}"#;
        assert_eq!(
            input_from_event(&event(link)),
            Some(BotInput::Media {
                kind: MediaKind::Link,
                evidence: Evidence::Link { url: "https://x.vn/a".into(), msg_id: Some("m".into()) },
                caption: None,
            })
        );
    }

    #[test]
    fn unusable_messages_are_unsupported_and_non_messages_are_none() {
        let no_url = r#"{"event_name":"user_send_image","sender":{"id":"u"},"message":{"attachments":[{"type":"image","payload":{}}]}}"#;
        assert_eq!(input_from_event(&event(no_url)), Some(BotInput::Unsupported));
        let bad_location = r#"{"event_name":"user_send_location","sender":{"id":"u"},"message":{"attachments":[{"type":"location","payload":{"coordinates":{"latitude":"95","longitude":"10"}}}]}}"#;
        assert_eq!(input_from_event(&event(bad_location)), Some(BotInput::Unsupported));
        let card = r#"{"event_name":"user_send_business_card","sender":{"id":"u"},"message":{"text":"An","attachments":[{"type":"link","payload":{"description":"{\"phone\":\"0912345678\"}"}}]}}"#;
        assert_eq!(input_from_event(&event(card)), Some(BotInput::Unsupported));
        let no_text = r#"{"event_name":"user_send_text","sender":{"id":"u"},"message":{"msg_id":"m"}}"#;
        assert_eq!(input_from_event(&event(no_text)), Some(BotInput::text("")));
        let chatnow = r#"{"event_name":"user_click_chatnow","oa_id":"oa","user_id":"u"}"#;
        assert_eq!(input_from_event(&event(chatnow)), Some(BotInput::ChatNow));
        let unfollow = r#"{"event_name":"unfollow","follower":{"id":"u"}}"#;
        assert_eq!(input_from_event(&event(unfollow)), Some(BotInput::Unfollow));
        for ignored in [
            r#"{"event_name":"user_received_message","sender":{"id":"oa"},"recipient":{"id":"u"},"message":{"msg_id":"m"}}"#,
            r#"{"event_name":"user_seen_message","message":{"msg_ids":["a"]}}"#,
            r#"{"event_name":"oa_send_text","sender":{"id":"oa"},"recipient":{"id":"u"},"message":{"text":"hi"}}"#,
            r#"{"event_name":"user_reacted_message","sender":{"id":"u"},"message":{"msg_id":"m","react_icon":"/-heart"}}"#,
            r#"{"event_name":"change_oa_daily_quota","quota":{"prev_value":1,"new_value":2}}"#,
            r#"{"event_name":"anonymous_send_text","sender":{"id":"anon"},"message":{"text":"hi","conversation_id":"c"}}"#,
            r#"{"event_name":"add_user_to_tag","tag_name":"x","user_ids":["u"]}"#,
            r#"{"event_name":"something_new"}"#,
        ] {
            assert_eq!(input_from_event(&event(ignored)), None, "{ignored}");
        }
    }

    #[test]
    fn inputs_serialize_as_tagged_json() {
        let input = BotInput::Media {
            kind: MediaKind::Video,
            evidence: Evidence::Video { url: "https://v".into(), msg_id: None },
            caption: Some("Cổng UBND xã".into()),
        };
        let json = serde_json::to_string(&input).expect("serializable");
        assert_eq!(serde_json::from_str::<BotInput>(&json).expect("round trip"), input);
        assert_eq!(serde_json::to_value(BotInput::OfficerEnded).expect("json"), serde_json::json!("officer_ended"));
    }
}

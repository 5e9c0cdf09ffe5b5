//! Outbound request bodies for the OA Open API (reference §3.1) and ZNS/ZBS template
//! sends (§6), as serde types with validating builders: a builder returns an error rather
//! than a body Zalo would reject (too many buttons or elements, payloads or titles too
//! long, tracking id too long, bad phone). Also `split_text` for texts over the limit.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::zalo::phone::{normalize_vn_phone, PhoneError};

/// Maximum characters of a CS text message ("Giới hạn tối đa là 2.000 ký tự").
pub const MAX_TEXT_CHARS: usize = 2000;
/// Maximum buttons on one message.
pub const MAX_BUTTONS: usize = 5;
/// Maximum elements of a list template.
pub const MAX_LIST_ELEMENTS: usize = 5;
/// Maximum characters of an `oa.query.*` payload.
pub const MAX_QUERY_PAYLOAD_CHARS: usize = 1000;
/// Maximum characters of a button title (ESMS; UNVERIFIED on Zalo's side).
pub const MAX_BUTTON_TITLE_CHARS: usize = 100;
/// Maximum characters of a ZNS `tracking_id`.
pub const MAX_TRACKING_ID_CHARS: usize = 48;

/// Why a request body could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    #[error("`{field}` must not be empty")]
    EmptyField { field: &'static str },
    #[error("text has {chars} characters; the limit is {max}")]
    TextTooLong { chars: usize, max: usize },
    #[error("a buttons message needs at least one button")]
    NoButtons,
    #[error("{count} buttons given; at most {max} are allowed")]
    TooManyButtons { count: usize, max: usize },
    #[error("a list message needs at least one element")]
    NoElements,
    #[error("{count} list elements given; at most {max} are allowed")]
    TooManyElements { count: usize, max: usize },
    #[error("button title has {chars} characters; the limit is {max}")]
    ButtonTitleTooLong { chars: usize, max: usize },
    #[error("query payload has {chars} characters; the limit is {max}")]
    QueryPayloadTooLong { chars: usize, max: usize },
    #[error("tracking_id has {chars} characters; the limit is {max}")]
    TrackingIdTooLong { chars: usize, max: usize },
    #[error("`{field}` must be an http:// or https:// URL")]
    InvalidUrl { field: &'static str },
    #[error("invalid phone number for a template message: {0}")]
    InvalidPhone(#[from] PhoneError),
}

/// Body of `POST /v3.0/oa/message/cs` (consultation message).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsMessageRequest {
    recipient: Recipient,
    message: CsMessage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Recipient {
    user_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct CsMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment: Option<TemplateAttachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TemplateAttachment {
    #[serde(rename = "type")]
    attachment_type: &'static str,
    payload: TemplatePayload,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TemplatePayload {
    #[serde(skip_serializing_if = "Option::is_none")]
    template_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    elements: Vec<TemplateElement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum TemplateElement {
    List(ListElement),
    Media(MediaElement),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct MediaElement {
    media_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment_id: Option<String>,
}

/// A validated button (`{"title","type","payload"}`); build it with [`Button::new`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Button {
    title: String,
    #[serde(flatten)]
    action: ButtonAction,
}

/// What a button does; serialized as its `type` and `payload`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "payload")]
pub enum ButtonAction {
    /// Opens a URL inside Zalo.
    #[serde(rename = "oa.open.url")]
    OpenUrl { url: String },
    /// The user sends `payload` to the OA, shown in the chat (→ `user_send_text`).
    #[serde(rename = "oa.query.show")]
    QueryShow(String),
    /// Same, hidden from the chat.
    #[serde(rename = "oa.query.hide")]
    QueryHide(String),
    /// Opens the dialer (`phone_code` like `84…` or a hotline).
    #[serde(rename = "oa.open.phone")]
    OpenPhone { phone_code: String },
    /// Opens the SMS composer.
    #[serde(rename = "oa.open.sms")]
    OpenSms { content: String, phone_code: String },
}

/// Action when a list element itself is tapped (`oa.open.url` puts `url` at top level).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum DefaultAction {
    #[serde(rename = "oa.open.url")]
    OpenUrl { url: String },
    #[serde(rename = "oa.query.show")]
    QueryShow { payload: String },
    #[serde(rename = "oa.query.hide")]
    QueryHide { payload: String },
}

/// One element of a list or `request_user_info` template; build with [`ListElement::new`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListElement {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subtitle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_action: Option<DefaultAction>,
}

/// Where an image comes from: a public URL or an `attachment_id` from `upload/image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Url(String),
    AttachmentId(String),
}

impl Button {
    /// A button with a validated title (1–100 characters) and action.
    pub fn new(title: &str, action: ButtonAction) -> Result<Self, MessageError> {
        require_non_empty("button title", title)?;
        check_max_chars(title, MAX_BUTTON_TITLE_CHARS, |chars, max| MessageError::ButtonTitleTooLong { chars, max })?;
        validate_button_action(&action)?;
        Ok(Self { title: title.to_owned(), action })
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn action(&self) -> &ButtonAction {
        &self.action
    }
}

impl ListElement {
    /// An element with a title; add subtitle, image and default action as needed.
    pub fn new(title: &str) -> Result<Self, MessageError> {
        require_non_empty("element title", title)?;
        Ok(Self { title: title.to_owned(), subtitle: None, image_url: None, default_action: None })
    }

    pub fn with_subtitle(mut self, subtitle: &str) -> Self {
        self.subtitle = Some(subtitle.to_owned());
        self
    }

    pub fn with_image_url(mut self, image_url: &str) -> Result<Self, MessageError> {
        require_http_url("image_url", image_url)?;
        self.image_url = Some(image_url.to_owned());
        Ok(self)
    }

    pub fn with_default_action(mut self, action: DefaultAction) -> Result<Self, MessageError> {
        match &action {
            DefaultAction::OpenUrl { url } => require_http_url("default_action.url", url)?,
            DefaultAction::QueryShow { payload } | DefaultAction::QueryHide { payload } => {
                validate_query_payload(payload)?;
            }
        }
        self.default_action = Some(action);
        Ok(self)
    }
}

impl CsMessageRequest {
    /// Plain text: `{"recipient":{"user_id"},"message":{"text"}}`.
    pub fn text(user_id: &str, text: &str) -> Result<Self, MessageError> {
        Self::new(user_id, Some(validated_text(text)?), None)
    }

    /// Text with 1–5 buttons (`attachment.payload.buttons`, no `template_type`).
    pub fn text_with_buttons(user_id: &str, text: &str, buttons: Vec<Button>) -> Result<Self, MessageError> {
        let text = validated_text(text)?;
        check_count(buttons.len(), MAX_BUTTONS, MessageError::NoButtons, |count, max| MessageError::TooManyButtons {
            count,
            max,
        })?;
        let payload = TemplatePayload { template_type: None, elements: Vec::new(), buttons };
        Self::new(user_id, Some(text), Some(payload))
    }

    /// List template with 1–5 elements and an optional text above it.
    pub fn list(user_id: &str, text: Option<&str>, elements: Vec<ListElement>) -> Result<Self, MessageError> {
        let text = text.map(validated_text).transpose()?;
        check_count(elements.len(), MAX_LIST_ELEMENTS, MessageError::NoElements, |count, max| {
            MessageError::TooManyElements { count, max }
        })?;
        let payload = TemplatePayload {
            template_type: Some("list"),
            elements: elements.into_iter().map(TemplateElement::List).collect(),
            buttons: Vec::new(),
        };
        Self::new(user_id, text, Some(payload))
    }

    /// `request_user_info` template (one element); the answer arrives as `user_submit_info`.
    pub fn request_user_info(
        user_id: &str,
        title: &str,
        subtitle: &str,
        image_url: &str,
    ) -> Result<Self, MessageError> {
        let element = ListElement::new(title)?.with_subtitle(subtitle).with_image_url(image_url)?;
        let payload = TemplatePayload {
            template_type: Some("request_user_info"),
            elements: vec![TemplateElement::List(element)],
            buttons: Vec::new(),
        };
        Self::new(user_id, None, Some(payload))
    }

    /// Image by URL or attachment id (`template_type: "media"`), with optional text.
    pub fn image(user_id: &str, source: ImageSource, text: Option<&str>) -> Result<Self, MessageError> {
        let text = text.map(validated_text).transpose()?;
        let element = match source {
            ImageSource::Url(url) => {
                require_http_url("image url", &url)?;
                MediaElement { media_type: "image", url: Some(url), attachment_id: None }
            }
            ImageSource::AttachmentId(id) => {
                require_non_empty("attachment_id", &id)?;
                MediaElement { media_type: "image", url: None, attachment_id: Some(id) }
            }
        };
        let payload = TemplatePayload {
            template_type: Some("media"),
            elements: vec![TemplateElement::Media(element)],
            buttons: Vec::new(),
        };
        Self::new(user_id, text, Some(payload))
    }

    /// Quotes (replies to) a user's message: adds `message.quote_message_id`.
    pub fn quoting(mut self, msg_id: &str) -> Self {
        self.message.quote_message_id = Some(msg_id.to_owned()).filter(|id| !id.is_empty());
        self
    }

    pub fn user_id(&self) -> &str {
        &self.recipient.user_id
    }

    fn new(user_id: &str, text: Option<String>, payload: Option<TemplatePayload>) -> Result<Self, MessageError> {
        require_non_empty("user_id", user_id)?;
        Ok(Self {
            recipient: Recipient { user_id: user_id.to_owned() },
            message: CsMessage {
                text,
                quote_message_id: None,
                attachment: payload.map(|payload| TemplateAttachment { attachment_type: "template", payload }),
            },
        })
    }
}

/// Body of `POST /v3.0/oa/message/template` (ZBS template by UID).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZbsTemplateRequest {
    user_id: String,
    template_id: String,
    template_data: BTreeMap<String, String>,
}

impl ZbsTemplateRequest {
    pub fn new(
        user_id: &str,
        template_id: &str,
        template_data: BTreeMap<String, String>,
    ) -> Result<Self, MessageError> {
        require_non_empty("user_id", user_id)?;
        require_non_empty("template_id", template_id)?;
        Ok(Self { user_id: user_id.to_owned(), template_id: template_id.to_owned(), template_data })
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// Body of `POST business.openapi.zalo.me/message/template` (ZNS template by phone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZnsTemplateRequest {
    phone: String,
    template_id: String,
    template_data: BTreeMap<String, String>,
    tracking_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
}

impl ZnsTemplateRequest {
    /// Normalizes `phone` to `84…` and checks `tracking_id` (1–48 characters).
    pub fn new(
        phone: &str,
        template_id: &str,
        template_data: BTreeMap<String, String>,
        tracking_id: &str,
    ) -> Result<Self, MessageError> {
        let phone = normalize_vn_phone(phone)?;
        require_non_empty("template_id", template_id)?;
        require_non_empty("tracking_id", tracking_id)?;
        check_max_chars(tracking_id, MAX_TRACKING_ID_CHARS, |chars, max| MessageError::TrackingIdTooLong {
            chars,
            max,
        })?;
        Ok(Self {
            phone,
            template_id: template_id.to_owned(),
            template_data,
            tracking_id: tracking_id.to_owned(),
            mode: None,
        })
    }

    /// Adds `"mode":"development"`: only app/OA admins receive it.
    pub fn development(mut self) -> Self {
        self.mode = Some("development");
        self
    }

    pub fn phone(&self) -> &str {
        &self.phone
    }

    pub fn tracking_id(&self) -> &str {
        &self.tracking_id
    }
}

/// Splits `text` into parts of at most `max_chars` characters (Unicode scalar values, not
/// bytes). Cuts at a line break, else after a sentence end (". ", "? ", "! "), else at a
/// space — each preferred only if it keeps the part at least half full — and hard-cuts as
/// a last resort (never between a letter and a following combining accent). Whitespace at
/// the cuts is dropped; no part is empty; an empty or blank text gives no parts.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let cut = cut_index(rest, max_chars);
        let part = rest[..cut].trim_end();
        if !part.is_empty() {
            parts.push(part.to_owned());
        }
        rest = rest[cut..].trim_start();
    }
    parts
}

/// Byte index at which to end the next part of `rest` (which starts with a non-space).
fn cut_index(rest: &str, max_chars: usize) -> usize {
    let Some((window_end, next_char)) = rest.char_indices().nth(max_chars) else {
        return rest.len();
    };
    // A break just after the window (e.g. the space after a final '.') still fits.
    let probe_end = if next_char.is_whitespace() { window_end + next_char.len_utf8() } else { window_end };
    let probe = &rest[..probe_end];
    let candidates = [
        probe.rfind('\n'),
        [". ", "? ", "! ", ".\n", "?\n", "!\n"].iter().filter_map(|end| probe.rfind(end).map(|pos| pos + 1)).max(),
        probe.rfind(char::is_whitespace),
    ];
    let usable = |cut: &usize| *cut > 0 && *cut <= window_end;
    let half_full = |cut: &usize| rest[..*cut].chars().count() * 2 >= max_chars;
    candidates
        .iter()
        .flatten()
        .copied()
        .find(|cut| usable(cut) && half_full(cut))
        .or_else(|| candidates.iter().flatten().copied().find(usable))
        .unwrap_or_else(|| hard_cut(rest, window_end))
}

/// `window_end`, moved back so a combining mark stays with its base letter.
fn hard_cut(rest: &str, window_end: usize) -> usize {
    let mut cut = window_end;
    while cut > 0 && rest[cut..].chars().next().is_some_and(is_combining_mark) {
        cut = rest[..cut].char_indices().next_back().map_or(0, |(index, _)| index);
    }
    if cut == 0 {
        window_end
    } else {
        cut
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

fn validated_text(text: &str) -> Result<String, MessageError> {
    require_non_empty("text", text)?;
    check_max_chars(text, MAX_TEXT_CHARS, |chars, max| MessageError::TextTooLong { chars, max })?;
    Ok(text.to_owned())
}

fn validate_button_action(action: &ButtonAction) -> Result<(), MessageError> {
    match action {
        ButtonAction::OpenUrl { url } => require_http_url("button url", url),
        ButtonAction::QueryShow(payload) | ButtonAction::QueryHide(payload) => validate_query_payload(payload),
        ButtonAction::OpenPhone { phone_code } => require_non_empty("phone_code", phone_code),
        ButtonAction::OpenSms { content, phone_code } => {
            require_non_empty("sms content", content)?;
            require_non_empty("phone_code", phone_code)
        }
    }
}

fn validate_query_payload(payload: &str) -> Result<(), MessageError> {
    require_non_empty("query payload", payload)?;
    check_max_chars(payload, MAX_QUERY_PAYLOAD_CHARS, |chars, max| MessageError::QueryPayloadTooLong { chars, max })
}

fn require_non_empty(field: &'static str, value: &str) -> Result<(), MessageError> {
    if value.trim().is_empty() {
        Err(MessageError::EmptyField { field })
    } else {
        Ok(())
    }
}

fn require_http_url(field: &'static str, url: &str) -> Result<(), MessageError> {
    let url = url.trim();
    let has_scheme = ["https://", "http://"].iter().any(|scheme| {
        url.len() > scheme.len() && url.get(..scheme.len()).is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    if has_scheme {
        Ok(())
    } else {
        Err(MessageError::InvalidUrl { field })
    }
}

fn check_max_chars(
    value: &str,
    max: usize,
    too_long: impl FnOnce(usize, usize) -> MessageError,
) -> Result<(), MessageError> {
    let chars = value.chars().count();
    if chars > max {
        Err(too_long(chars, max))
    } else {
        Ok(())
    }
}

fn check_count(
    count: usize,
    max: usize,
    empty: MessageError,
    too_many: impl FnOnce(usize, usize) -> MessageError,
) -> Result<(), MessageError> {
    match count {
        0 => Err(empty),
        n if n > max => Err(too_many(n, max)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn sample(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zalo-samples").join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn to_value(body: &impl Serialize) -> Value {
        serde_json::to_value(body).unwrap()
    }

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn cs_text_matches_sample() {
        let body = CsMessageRequest::text("2512523625412515", "hello, world!").unwrap();
        assert_eq!(to_value(&body), sample("api-oa-message-cs-text-request.json"));
        assert_eq!(body.user_id(), "2512523625412515");
    }

    #[test]
    fn cs_text_with_quote() {
        let body = CsMessageRequest::text("u1", "Dạ, em đã nhận được.").unwrap().quoting("96d3cdf3af150460909");
        assert_eq!(
            to_value(&body),
            json!({"recipient":{"user_id":"u1"},
                   "message":{"text":"Dạ, em đã nhận được.","quote_message_id":"96d3cdf3af150460909"}})
        );
    }

    #[test]
    fn buttons_match_sample_with_every_button_type() {
        let buttons = vec![
            Button::new("{{title}}", ButtonAction::OpenUrl { url: "https://{{url}}".into() }).unwrap(),
            Button::new("{{title}}", ButtonAction::QueryShow("{{payload}}".into())).unwrap(),
            Button::new("{{title}}", ButtonAction::QueryHide("{{payload}}".into())).unwrap(),
            Button::new(
                "{{title}}",
                ButtonAction::OpenSms { content: "{{content}}".into(), phone_code: "{{phone_code}}".into() },
            )
            .unwrap(),
            Button::new("{{title}}", ButtonAction::OpenPhone { phone_code: "{{phone_code}}".into() }).unwrap(),
        ];
        let body = CsMessageRequest::text_with_buttons("{{user_id}}", "{{text}}", buttons).unwrap();
        let mut expected = sample("api-oa-message-cs-buttons-request.json");
        // The sample's URL placeholder has no scheme; our builder requires http(s).
        expected["message"]["attachment"]["payload"]["buttons"][0]["payload"]["url"] = json!("https://{{url}}");
        assert_eq!(to_value(&body), expected);
    }

    #[test]
    fn list_matches_sample() {
        let first = ListElement::new("ZALO API: Cập nhật API phiên bản mới")
            .unwrap()
            .with_subtitle("Zalo đang cập nhật một số API mới để hỗ trợ các đối tác và lập trình viên tốt hơn trong việc tích hợp với nền tảng Zalo & kinh doanh trên Zalo Shop.")
            .with_image_url("https://zalo-article-photo-td.zadn.vn/70d8db827dc69498cdd7#26915261")
            .unwrap()
            .with_default_action(DefaultAction::QueryShow { payload: "Huynh Hong hien".into() })
            .unwrap();
        let second = ListElement::new("Zalo SDK - Tích hợp để phát triển !")
            .unwrap()
            .with_subtitle("your_description")
            .with_image_url("https://zalo-article-photo-td.zadn.vn/bbef0e611225fb7ba234#18900249")
            .unwrap()
            .with_default_action(DefaultAction::OpenUrl {
                url: "https://media.zalo.me/detail/579745863508352884?zl3rd=815789662550058820&id=155afc84d9c1309f69d0&zarsrc=4".into(),
            })
            .unwrap();
        let body = CsMessageRequest::list("user_id", Some("your_message"), vec![first, second]).unwrap();
        assert_eq!(to_value(&body), sample("api-oa-message-list-request.json"));
    }

    #[test]
    fn request_user_info_matches_sample() {
        let body = CsMessageRequest::request_user_info(
            "2468458835296197922",
            "Official Account",
            "Đang yêu cầu thông tin từ bạn",
            "https://developers.zalo.me/web/static/zalo.png",
        )
        .unwrap();
        assert_eq!(to_value(&body), sample("api-oa-message-cs-request_user_info-request.json"));
    }

    #[test]
    fn image_by_url_matches_sample_and_by_attachment_id() {
        let body = CsMessageRequest::image(
            "2468458835296197922",
            ImageSource::Url("https://stc-developers.zdn.vn/images/bg_1.jpg".into()),
            Some("text_message"),
        )
        .unwrap();
        assert_eq!(to_value(&body), sample("api-oa-message-cs-image-request.json"));

        let by_id = CsMessageRequest::image("u1", ImageSource::AttachmentId("att-9".into()), None).unwrap();
        assert_eq!(
            to_value(&by_id),
            json!({"recipient":{"user_id":"u1"},"message":{"attachment":{"type":"template",
                   "payload":{"template_type":"media","elements":[{"media_type":"image","attachment_id":"att-9"}]}}}})
        );
    }

    #[test]
    fn zbs_and_zns_templates_match_samples() {
        let zbs = ZbsTemplateRequest::new(
            "2512523625412515",
            "7895417a7d3f9461cd2e",
            data(&[("customer", "Nguyễn Thị Hoàng Anh"), ("order_code", "PE010299485"), ("amount", "100000")]),
        )
        .unwrap();
        assert_eq!(to_value(&zbs), sample("api-zbs-message-template-uid-request.json"));

        let zns_data = data(&[("customer", "Nguyễn Thị Hoàng Anh"), ("cid", "PE010299485"), ("amount", "100000")]);
        let zns =
            ZnsTemplateRequest::new("0987 654 321", "7895417a7d3f9461cd2e", zns_data.clone(), "order-88213").unwrap();
        assert_eq!(to_value(&zns), sample("api-zns-message-template-request.json"));
        assert_eq!(zns.phone(), "84987654321");

        let mut expected_dev = sample("api-zns-message-template-request.json");
        expected_dev["mode"] = json!("development");
        let dev = ZnsTemplateRequest::new("+84987654321", "7895417a7d3f9461cd2e", zns_data, "order-88213")
            .unwrap()
            .development();
        assert_eq!(to_value(&dev), expected_dev);
    }

    #[test]
    fn builder_limits_are_errors() {
        let query = |payload: &str| ButtonAction::QueryHide(payload.to_owned());
        let ok_button = || Button::new("Có", query("#csat:5")).unwrap();
        let element = || ListElement::new("Thủ tục").unwrap();
        type Case = (&'static str, Result<(), MessageError>, MessageError);
        let cases: Vec<Case> = vec![
            (
                "six buttons",
                CsMessageRequest::text_with_buttons("u", "t", vec![ok_button(); 6]).map(drop),
                MessageError::TooManyButtons { count: 6, max: 5 },
            ),
            ("no buttons", CsMessageRequest::text_with_buttons("u", "t", vec![]).map(drop), MessageError::NoButtons),
            (
                "six elements",
                CsMessageRequest::list("u", None, vec![element(); 6]).map(drop),
                MessageError::TooManyElements { count: 6, max: 5 },
            ),
            ("no elements", CsMessageRequest::list("u", None, vec![]).map(drop), MessageError::NoElements),
            (
                "query payload 1001",
                Button::new("t", query(&"ă".repeat(1001))).map(drop),
                MessageError::QueryPayloadTooLong { chars: 1001, max: 1000 },
            ),
            (
                "default action payload 1001",
                element().with_default_action(DefaultAction::QueryHide { payload: "x".repeat(1001) }).map(drop),
                MessageError::QueryPayloadTooLong { chars: 1001, max: 1000 },
            ),
            (
                "title 101",
                Button::new(&"ệ".repeat(101), query("p")).map(drop),
                MessageError::ButtonTitleTooLong { chars: 101, max: MAX_BUTTON_TITLE_CHARS },
            ),
            (
                "tracking id 49",
                ZnsTemplateRequest::new("0912345678", "t", BTreeMap::new(), &"x".repeat(49)).map(drop),
                MessageError::TrackingIdTooLong { chars: 49, max: 48 },
            ),
            (
                "text 2001",
                CsMessageRequest::text("u", &"ơ".repeat(2001)).map(drop),
                MessageError::TextTooLong { chars: 2001, max: 2000 },
            ),
            ("empty text", CsMessageRequest::text("u", " ").map(drop), MessageError::EmptyField { field: "text" }),
            ("empty user", CsMessageRequest::text("", "hi").map(drop), MessageError::EmptyField { field: "user_id" }),
            (
                "url without scheme",
                Button::new("Xem", ButtonAction::OpenUrl { url: "example.gov.vn".into() }).map(drop),
                MessageError::InvalidUrl { field: "button url" },
            ),
            (
                "bad zns phone",
                ZnsTemplateRequest::new("024 3825 1234", "t", BTreeMap::new(), "k").map(drop),
                MessageError::InvalidPhone(PhoneError::Landline),
            ),
        ];
        for (name, result, expected) in cases {
            assert_eq!(result, Err(expected), "{name}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        assert!(Button::new(&"ệ".repeat(100), ButtonAction::QueryShow("p".repeat(1000))).is_ok());
        assert!(CsMessageRequest::text_with_buttons(
            "u",
            "t",
            vec![Button::new("a", ButtonAction::QueryHide("b".into())).unwrap(); 5]
        )
        .is_ok());
        assert!(CsMessageRequest::text("u", &"ơ".repeat(2000)).is_ok());
        assert!(ZnsTemplateRequest::new("0912345678", "t", BTreeMap::new(), &"x".repeat(48)).is_ok());
    }

    fn assert_valid_split(text: &str, max: usize, parts: &[String]) {
        for part in parts {
            assert!(!part.trim().is_empty(), "empty part in {parts:?}");
            assert!(part.chars().count() <= max, "part over {max}: {part:?}");
        }
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(squeeze(&parts.concat()), squeeze(text), "content preserved");
    }

    #[test]
    fn split_short_and_blank_texts() {
        assert_eq!(split_text("Xin chào", 2000), vec!["Xin chào"]);
        assert!(split_text("", 10).is_empty());
        assert!(split_text(" \n\t ", 10).is_empty());
        assert_eq!(split_text("ab", 0), vec!["a", "b"]);
    }

    #[test]
    fn split_counts_characters_not_bytes() {
        let text = "ằ".repeat(2500);
        let parts = split_text(&text, MAX_TEXT_CHARS);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![2000, 500]);
    }

    #[test]
    fn split_prefers_line_breaks_then_sentences_then_spaces() {
        let cases: [(&str, usize, &[&str]); 7] = [
            ("Dòng một dài.\nDòng hai. Câu ba", 20, &["Dòng một dài.", "Dòng hai. Câu ba"]),
            ("Câu một rất dài. Câu hai? Câu ba!", 27, &["Câu một rất dài. Câu hai?", "Câu ba!"]),
            ("Câu một dài hơn. Câu hai tiếp", 20, &["Câu một dài hơn.", "Câu hai tiếp"]),
            // A sentence end under half the limit loses to a later space.
            ("Câu một. Câu hai tiếp theo dài", 20, &["Câu một. Câu hai", "tiếp theo dài"]),
            ("một hai ba bốn năm sáu", 10, &["một hai ba", "bốn năm", "sáu"]),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            // The break right after the window still counts (the space after '?').
            ("Ổn chưa? Rồi", 8, &["Ổn chưa?", "Rồi"]),
        ];
        for (text, max, expected) in cases {
            let parts = split_text(text, max);
            assert_eq!(parts, expected, "{text:?} / {max}");
            assert_valid_split(text, max, &parts);
        }
    }

    #[test]
    fn split_avoids_tiny_parts_when_a_later_break_exists() {
        // A line break at 3 chars would leave a tiny first part; the sentence end wins.
        let text = "Hi\nĐây là câu thứ nhất. Đây là câu thứ hai.";
        let parts = split_text(text, 30);
        assert_eq!(parts, vec!["Hi\nĐây là câu thứ nhất.", "Đây là câu thứ hai."]);
    }

    #[test]
    fn split_keeps_combining_accents_with_their_letter() {
        // "e" + combining acute (NFD), 3 characters per "é" pair with a base letter.
        let text = "e\u{301}e\u{301}e\u{301}";
        let parts = split_text(text, 3);
        assert_eq!(parts, vec!["e\u{301}", "e\u{301}", "e\u{301}"]);
    }

    #[test]
    fn split_long_realistic_text_stays_valid() {
        let paragraph =
            "Kính gửi Ông/Bà, Sở Tài nguyên và Môi trường đã tiếp nhận phản ánh về việc xả thải tại phường Phú Hội. \
                         Cán bộ sẽ kiểm tra thực địa trong vòng 5 ngày làm việc! Ông/Bà có cần hỗ trợ thêm? ";
        let text = format!("{}\n\n{}", paragraph.repeat(12), paragraph.repeat(9));
        for max in [50, 137, 500, MAX_TEXT_CHARS] {
            let parts = split_text(&text, max);
            assert_valid_split(&text, max, &parts);
        }
    }
}

//! Reading and validating request bodies the way Zalo does (reference §3.1, §6): the CS
//! message forms (text, buttons, list, request_user_info, media, file) become a structured
//! [`Content`]; template bodies are checked field by field. A refused body is a
//! [`ZaloFailure`] (-201 "`field` is invalid!", -233 unsupported type, ZNS codes).

use serde_json::{Map, Value};

use crate::sim::state::{Action, Content, SimButton, SimElement, ZaloFailure};
use crate::zalo::messages::{
    MAX_BUTTONS, MAX_BUTTON_TITLE_CHARS, MAX_LIST_ELEMENTS, MAX_QUERY_PAYLOAD_CHARS, MAX_TEXT_CHARS,
    MAX_TRACKING_ID_CHARS,
};
use crate::zalo::wire::{string_at, value_at};

/// A validated `POST /v3.0/oa/message/cs` body.
#[derive(Debug, Clone, PartialEq)]
pub struct CsRequest {
    pub user_id: String,
    pub content: Content,
}

/// A validated `POST /v3.0/oa/message/template` body (ZBS by user id).
#[derive(Debug, Clone, PartialEq)]
pub struct UidTemplateRequest {
    pub user_id: String,
    pub template_id: String,
    pub template_data: Value,
}

/// A `POST business…/message/template` body (ZNS by phone); the phone is checked later.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneTemplateRequest {
    pub phone: String,
    pub template_id: String,
    pub template_data: Value,
    pub tracking_id: String,
    pub development: bool,
}

fn object(raw: &[u8]) -> Result<Map<String, Value>, ZaloFailure> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ZaloFailure::invalid("body")),
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// A non-empty string field of at most `max` characters.
fn bounded_string(value: Option<&Value>, field: &str, max: usize) -> Result<String, ZaloFailure> {
    match value.and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() && chars(text) <= max => Ok(text.to_owned()),
        _ => Err(ZaloFailure::invalid(field)),
    }
}

fn optional_string(value: Option<&Value>, field: &str) -> Result<Option<String>, ZaloFailure> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ZaloFailure::invalid(field)),
    }
}

/// Parses a CS message body.
pub fn parse_cs(raw: &[u8]) -> Result<CsRequest, ZaloFailure> {
    let body = Value::Object(object(raw)?);
    let user_id = string_at(&body, &["recipient", "user_id"]).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
    let message =
        value_at(&body, &["message"]).and_then(Value::as_object).ok_or_else(|| ZaloFailure::invalid("message"))?;
    let text = match message.get("text") {
        None | Some(Value::Null) => None,
        Some(value) => Some(bounded_string(Some(value), "text", MAX_TEXT_CHARS)?),
    };
    let content = match message.get("attachment") {
        None | Some(Value::Null) => match text {
            Some(text) => Content::Text { text },
            None => return Err(ZaloFailure::invalid("message")),
        },
        Some(attachment) => parse_attachment(attachment, text)?,
    };
    Ok(CsRequest { user_id, content })
}

fn parse_attachment(attachment: &Value, text: Option<String>) -> Result<Content, ZaloFailure> {
    let kind = attachment.get("type").and_then(Value::as_str).ok_or_else(|| ZaloFailure::invalid("attachment"))?;
    let payload =
        attachment.get("payload").and_then(Value::as_object).ok_or_else(|| ZaloFailure::invalid("payload"))?;
    match kind {
        "template" => parse_template(payload, text),
        "file" => {
            let token = bounded_string(payload.get("token"), "token", usize::MAX)?;
            Ok(Content::File { name: None, url: None, token: Some(token) })
        }
        _ => Err(ZaloFailure::for_code(-233)),
    }
}

fn parse_template(payload: &Map<String, Value>, text: Option<String>) -> Result<Content, ZaloFailure> {
    let template_type = optional_string(payload.get("template_type"), "template_type")?;
    let buttons = match payload.get("buttons") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => parse_buttons(value)?,
    };
    let elements = || payload.get("elements").and_then(Value::as_array).ok_or_else(|| ZaloFailure::invalid("elements"));
    match template_type.as_deref() {
        None => {
            if buttons.is_empty() {
                return Err(ZaloFailure::invalid("buttons"));
            }
            Ok(Content::Buttons { text, buttons })
        }
        Some("list") => {
            let items = elements()?;
            if items.is_empty() || items.len() > MAX_LIST_ELEMENTS {
                return Err(ZaloFailure::invalid("elements"));
            }
            let elements = items.iter().map(parse_element).collect::<Result<Vec<_>, _>>()?;
            Ok(Content::List { text, elements, buttons })
        }
        Some("request_user_info") => {
            let items = elements()?;
            let [element] = items.as_slice() else {
                return Err(ZaloFailure::invalid("elements"));
            };
            let title = bounded_string(element.get("title"), "title", MAX_BUTTON_TITLE_CHARS)?;
            Ok(Content::RequestUserInfo {
                text,
                title,
                subtitle: optional_string(element.get("subtitle"), "subtitle")?,
                image_url: optional_string(element.get("image_url"), "image_url")?,
                answered: false,
            })
        }
        Some("media") => {
            let items = elements()?;
            let [element] = items.as_slice() else {
                return Err(ZaloFailure::invalid("elements"));
            };
            parse_media(element, text)
        }
        Some(_) => Err(ZaloFailure::for_code(-233)),
    }
}

fn parse_media(element: &Value, caption: Option<String>) -> Result<Content, ZaloFailure> {
    let media_type =
        element.get("media_type").and_then(Value::as_str).ok_or_else(|| ZaloFailure::invalid("media_type"))?;
    let url = optional_string(element.get("url"), "url")?.filter(|u| !u.trim().is_empty());
    let attachment_id =
        optional_string(element.get("attachment_id"), "attachment_id")?.filter(|a| !a.trim().is_empty());
    match media_type {
        "image" if url.is_some() || attachment_id.is_some() => Ok(Content::Image { url, attachment_id, caption }),
        "gif"
            if (url.is_some() || attachment_id.is_some())
                && element.get("width").is_some()
                && element.get("height").is_some() =>
        {
            Ok(Content::Media { media_type: "gif".into(), url, attachment_id, caption })
        }
        "sticker" if attachment_id.is_some() => {
            Ok(Content::Media { media_type: "sticker".into(), url: None, attachment_id, caption })
        }
        "image" | "gif" | "sticker" => Err(ZaloFailure::invalid("elements")),
        _ => Err(ZaloFailure::invalid("media_type")),
    }
}

fn parse_buttons(value: &Value) -> Result<Vec<SimButton>, ZaloFailure> {
    let items = value.as_array().ok_or_else(|| ZaloFailure::invalid("buttons"))?;
    if items.len() > MAX_BUTTONS {
        return Err(ZaloFailure::invalid("buttons"));
    }
    items
        .iter()
        .map(|item| {
            let title = bounded_string(item.get("title"), "title", MAX_BUTTON_TITLE_CHARS)?;
            let kind = item.get("type").and_then(Value::as_str).ok_or_else(|| ZaloFailure::invalid("type"))?;
            let action = parse_action(kind, item.get("payload"), item.get("url"))?;
            Ok(SimButton { title, action })
        })
        .collect()
}

/// A button or default action: `oa.query.*` take a string payload; `oa.open.url` an object
/// with `url` (or a top-level `url`, as list default actions and the PHP SDK write it).
fn parse_action(kind: &str, payload: Option<&Value>, top_level_url: Option<&Value>) -> Result<Action, ZaloFailure> {
    let field = |key: &str| payload.and_then(|p| p.get(key)).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    match kind {
        "oa.query.show" => Ok(Action::QueryShow(bounded_string(payload, "payload", MAX_QUERY_PAYLOAD_CHARS)?)),
        "oa.query.hide" => Ok(Action::QueryHide(bounded_string(payload, "payload", MAX_QUERY_PAYLOAD_CHARS)?)),
        "oa.open.url" => field("url")
            .or_else(|| top_level_url.and_then(Value::as_str).filter(|s| !s.trim().is_empty()))
            .map(|url| Action::OpenUrl(url.to_owned()))
            .ok_or_else(|| ZaloFailure::invalid("url")),
        "oa.open.phone" => field("phone_code")
            .map(|phone| Action::OpenPhone(phone.to_owned()))
            .ok_or_else(|| ZaloFailure::invalid("phone_code")),
        "oa.open.sms" => match (field("phone_code"), field("content")) {
            (Some(phone), Some(content)) => {
                Ok(Action::OpenSms { phone: phone.to_owned(), content: content.to_owned() })
            }
            _ => Err(ZaloFailure::invalid("payload")),
        },
        _ => Err(ZaloFailure::invalid("type")),
    }
}

fn parse_element(item: &Value) -> Result<SimElement, ZaloFailure> {
    let title = bounded_string(item.get("title"), "title", MAX_BUTTON_TITLE_CHARS)?;
    let action = match item.get("default_action") {
        None | Some(Value::Null) => None,
        Some(action) => {
            let kind =
                action.get("type").and_then(Value::as_str).ok_or_else(|| ZaloFailure::invalid("default_action"))?;
            Some(parse_action(kind, action.get("payload"), action.get("url"))?)
        }
    };
    Ok(SimElement {
        title,
        subtitle: optional_string(item.get("subtitle"), "subtitle")?,
        image_url: optional_string(item.get("image_url"), "image_url")?,
        action,
    })
}

/// `template_data`: an object (absent means empty).
fn template_data(body: &Map<String, Value>) -> Result<Value, ZaloFailure> {
    match body.get("template_data") {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(data @ Value::Object(_)) => Ok(data.clone()),
        Some(_) => Err(ZaloFailure::invalid("template_data")),
    }
}

/// Parses a ZBS-by-UID template body.
pub fn parse_uid_template(raw: &[u8]) -> Result<UidTemplateRequest, ZaloFailure> {
    let body = object(raw)?;
    let root = Value::Object(body.clone());
    let user_id = string_at(&root, &["user_id"]).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
    let template_id = string_at(&root, &["template_id"]).ok_or_else(|| ZaloFailure::invalid("template_id"))?;
    Ok(UidTemplateRequest { user_id, template_id, template_data: template_data(&body)? })
}

/// Parses a ZNS-by-phone body with ZNS codes: missing phone -108, template id -109,
/// empty template data -111, tracking id over 48 characters -1121, missing tracking id -1122.
pub fn parse_phone_template(raw: &[u8]) -> Result<PhoneTemplateRequest, ZaloFailure> {
    let body = object(raw)?;
    let root = Value::Object(body.clone());
    let phone = string_at(&root, &["phone"]).ok_or_else(|| ZaloFailure::for_code(-108))?;
    let template_id = string_at(&root, &["template_id"]).ok_or_else(|| ZaloFailure::for_code(-109))?;
    let template_data = template_data(&body).map_err(|_| ZaloFailure::for_code(-111))?;
    if template_data.as_object().is_none_or(Map::is_empty) {
        return Err(ZaloFailure::for_code(-111));
    }
    let tracking_id = string_at(&root, &["tracking_id"]).ok_or_else(|| ZaloFailure::for_code(-1122))?;
    if chars(&tracking_id) > MAX_TRACKING_ID_CHARS {
        return Err(ZaloFailure::for_code(-1121));
    }
    let development = body.get("mode").and_then(Value::as_str) == Some("development");
    Ok(PhoneTemplateRequest { phone, template_id, template_data, tracking_id, development })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cs(body: &Value) -> Result<CsRequest, ZaloFailure> {
        parse_cs(body.to_string().as_bytes())
    }

    fn code(result: Result<CsRequest, ZaloFailure>) -> i64 {
        result.expect_err("must be refused").code
    }

    fn buttons(n: usize) -> Value {
        Value::Array(
            (0..n)
                .map(|i| json!({"title": format!("Nút {i}"), "type":"oa.query.hide", "payload": format!("#{i}")}))
                .collect(),
        )
    }

    #[test]
    fn text_limits() {
        let ok = cs(&json!({"recipient":{"user_id":"1"},"message":{"text":"ơ".repeat(2000)}})).expect("2000 chars");
        assert_eq!(ok.user_id, "1");
        assert_eq!(code(cs(&json!({"recipient":{"user_id":"1"},"message":{"text":"ơ".repeat(2001)}}))), -201);
        assert_eq!(code(cs(&json!({"recipient":{"user_id":"1"},"message":{"text":""}}))), -201);
        assert_eq!(code(cs(&json!({"recipient":{},"message":{"text":"a"}}))), -201);
        assert_eq!(code(cs(&json!({"recipient":{"user_id":"1"},"message":{}}))), -201);
        assert_eq!(code(parse_cs(b"not json")), -201);
    }

    #[test]
    fn buttons_limits_and_actions() {
        let body = |b: Value| json!({"recipient":{"user_id":"1"},"message":{"text":"Chọn","attachment":{"type":"template","payload":{"buttons":b}}}});
        let five = cs(&body(buttons(5))).expect("five buttons");
        assert!(matches!(five.content, Content::Buttons { ref buttons, .. } if buttons.len() == 5));
        assert_eq!(code(cs(&body(buttons(6)))), -201);
        assert_eq!(code(cs(&body(json!([])))), -201);
        assert_eq!(code(cs(&body(json!([{"title":"x","type":"oa.query.hide","payload":"p".repeat(1001)}])))), -201);
        assert_eq!(code(cs(&body(json!([{"title":"x","type":"oa.unknown","payload":"p"}])))), -201);
        let url =
            cs(&body(json!([{"title":"Xem","type":"oa.open.url","payload":{"url":"https://x.vn"}}]))).expect("url");
        assert!(
            matches!(url.content, Content::Buttons { ref buttons, .. } if buttons[0].action == Action::OpenUrl("https://x.vn".into()))
        );
    }

    #[test]
    fn unsupported_types_and_media() {
        let template = |payload: Value| json!({"recipient":{"user_id":"1"},"message":{"attachment":{"type":"template","payload":payload}}});
        assert_eq!(code(cs(&template(json!({"template_type":"transaction_order","elements":[]})))), -233);
        assert_eq!(
            code(cs(&json!({"recipient":{"user_id":"1"},"message":{"attachment":{"type":"video","payload":{}}}}))),
            -233
        );
        assert_eq!(code(cs(&template(json!({"template_type":"media","elements":[{"media_type":"image"}]})))), -201);
        let sticker =
            cs(&template(json!({"template_type":"media","elements":[{"media_type":"sticker","attachment_id":"s1"}]})));
        assert!(
            matches!(sticker.expect("sticker").content, Content::Media { ref media_type, .. } if media_type == "sticker")
        );
        assert_eq!(
            code(cs(&template(
                json!({"template_type":"list","elements":(0..6).map(|i| json!({"title":i.to_string()})).collect::<Vec<_>>()})
            ))),
            -201
        );
    }

    #[test]
    fn template_bodies() {
        let zns = |body: Value| parse_phone_template(body.to_string().as_bytes());
        let ok = zns(json!({"phone":"84987654321","template_id":"t","template_data":{"a":"1"},"tracking_id":"k","mode":"development"}))
            .expect("valid");
        assert!(ok.development);
        let cases = [
            (json!({"template_id":"t","template_data":{"a":"1"},"tracking_id":"k"}), -108),
            (json!({"phone":"0987654321","template_data":{"a":"1"},"tracking_id":"k"}), -109),
            (json!({"phone":"0987654321","template_id":"t","template_data":{},"tracking_id":"k"}), -111),
            (json!({"phone":"0987654321","template_id":"t","template_data":{"a":"1"}}), -1122),
            (
                json!({"phone":"0987654321","template_id":"t","template_data":{"a":"1"},"tracking_id":"k".repeat(49)}),
                -1121,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(zns(body.clone()).expect_err("refused").code, expected, "{body}");
        }
        let uid = parse_uid_template(br#"{"user_id":"1","template_id":"t","template_data":{"x":"y"}}"#).expect("valid");
        assert_eq!(uid.template_data, json!({"x":"y"}));
        assert_eq!(parse_uid_template(br#"{"template_id":"t"}"#).expect_err("no user").code, -201);
    }
}

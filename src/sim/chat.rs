//! The chat page at the simulator's root (`/sim` once mounted): pick or create a simulated
//! citizen, type, tap buttons, send a photo, a location, a sticker or a file, follow or
//! unfollow, fill the request_user_info form and answer a rating template. Forms post here
//! and redirect back (works without JavaScript); `assets/chat.js` posts them with fetch and
//! refreshes the conversation fragment when the control API reports a new version.

use std::collections::HashMap;

use axum::extract::{Form, OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::sim::render::{self, escape, PageView};
use crate::sim::state::{InfoForm, SimError};
use crate::sim::{media, CitizenAction, Simulator, TapTarget, SAMPLE_LOCATION};

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/", get(page))
        .route("/conversation/{user_id}", get(conversation))
        .route("/citizens", post(create_citizen))
        .route("/c/{user_id}/{action}", post(citizen_action))
        .merge(media::routes())
}

/// The path prefix the router is mounted under: the original path minus the routed one.
fn mount_base(original: &Uri, routed: &Uri) -> String {
    let original = original.path();
    let routed = routed.path();
    if routed == "/" {
        return original.trim_end_matches('/').to_owned();
    }
    original.strip_suffix(routed).unwrap_or("").trim_end_matches('/').to_owned()
}

async fn page(
    State(sim): State<Simulator>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Html<String> {
    let base = mount_base(&original, &uri);
    let citizens = sim.citizens();
    let current =
        query.get("u").and_then(|id| citizens.iter().find(|c| &c.user_id == id)).or_else(|| citizens.first()).cloned();
    let (messages, version) = match &current {
        Some(citizen) => (sim.messages_for(&citizen.user_id), sim.conversation_version(&citizen.user_id)),
        None => (Vec::new(), 0),
    };
    let webhook_url = sim.webhook_url();
    let view = PageView {
        base: &base,
        oa_name: &sim.config().oa_name,
        citizens: &citizens,
        current: current.as_ref(),
        messages: &messages,
        version,
        webhook_url: webhook_url.as_deref(),
        now: sim.now(),
    };
    Html(render::page(&view))
}

/// The bubbles only, with the conversation version in `X-Sim-Version`.
async fn conversation(
    State(sim): State<Simulator>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    Path(user_id): Path<String>,
) -> Response {
    let base = mount_base(&original, &uri);
    let Some(citizen) = sim.citizen(&user_id) else {
        return (StatusCode::NOT_FOUND, "Không có người dân này.").into_response();
    };
    let version = sim.conversation_version(&user_id);
    let html = render::messages_html(&base, &citizen, &sim.messages_for(&user_id), sim.now());
    ([("X-Sim-Version", version.to_string())], Html(html)).into_response()
}

async fn create_citizen(
    State(sim): State<Simulator>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let base = mount_base(&original, &uri);
    let name = form.get("display_name").map(String::as_str).unwrap_or_default();
    let phone = form.get("phone").map(String::as_str).filter(|p| !p.trim().is_empty());
    let citizen = sim.create_citizen(name, phone);
    Redirect::to(&format!("{base}?u={}", citizen.user_id)).into_response()
}

/// Turns a posted form into what the citizen does.
fn action_from_form(action: &str, form: &HashMap<String, String>) -> Result<CitizenAction, SimError> {
    let field = |key: &str| form.get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
    Ok(match action {
        "text" => CitizenAction::Text(field("text")),
        "tap" => {
            let target = field("target");
            let bad = || SimError::NoSuchTarget { msg_id: field("msg_id"), target: field("target") };
            let index = |rest: &str| rest.parse::<usize>().map_err(|_| bad());
            let target = match target.split_at_checked(1) {
                Some(("b", rest)) => TapTarget::Button(index(rest)?),
                Some(("e", rest)) => TapTarget::Element(index(rest)?),
                _ => return Err(bad()),
            };
            CitizenAction::Tap { msg_id: field("msg_id"), target }
        }
        "image" => CitizenAction::Image { caption: None },
        "location" => CitizenAction::Location {
            latitude: SAMPLE_LOCATION.0.to_owned(),
            longitude: SAMPLE_LOCATION.1.to_owned(),
            label: Some(SAMPLE_LOCATION.2.to_owned()),
        },
        "sticker" => CitizenAction::Sticker,
        "file" => CitizenAction::File,
        "follow" => CitizenAction::Follow,
        "unfollow" => CitizenAction::Unfollow,
        "chatnow" => CitizenAction::ChatNow,
        "info" => CitizenAction::SubmitInfo(InfoForm {
            name: field("name"),
            phone: field("phone"),
            address: field("address"),
            ward: field("ward"),
            city: field("city"),
            user_dob: None,
            gender: None,
        }),
        other => return Err(SimError::UnknownAction(other.to_owned())),
    })
}

/// `POST /c/{user_id}/{action}`: does it, delivers the webhook in the background, and
/// redirects back to the page (or answers 204 to the page's script).
async fn citizen_action(
    State(sim): State<Simulator>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    headers: HeaderMap,
    Path((user_id, action)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let base = mount_base(&original, &uri);
    let result = if action == "rating" {
        let rate = form.get("rate").and_then(|r| r.parse::<u8>().ok()).unwrap_or(0);
        let msg_id = form.get("msg_id").map(String::as_str).unwrap_or_default();
        sim.prepare_rating(msg_id, rate, form.get("note").map(String::as_str), &[]).map(|event| {
            sim.webhook_sender().spawn(event);
        })
    } else {
        action_from_form(&action, &form).and_then(|a| sim.act_in_background(&user_id, a).map(drop))
    };
    let from_script = headers.contains_key("x-sim-fetch");
    match result {
        Ok(()) if from_script => StatusCode::NO_CONTENT.into_response(),
        Ok(()) => Redirect::to(&format!("{base}?u={user_id}")).into_response(),
        Err(e) => {
            let message = vietnamese_error(&e);
            if from_script {
                (StatusCode::UNPROCESSABLE_ENTITY, message).into_response()
            } else {
                let body = format!(
                    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Không thực hiện được</title>\
                     <p>{}</p><p><a href=\"{}?u={}\">Quay lại cuộc trò chuyện</a></p></html>",
                    escape(&message),
                    escape(&base),
                    escape(&user_id)
                );
                (StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response()
            }
        }
    }
}

fn vietnamese_error(error: &SimError) -> String {
    match error {
        SimError::UnknownCitizen(_) => "Không có người dân mô phỏng này.".to_owned(),
        SimError::UnknownMessage(_) | SimError::NoSuchTarget { .. } => {
            "Không tìm thấy tin nhắn hoặc nút này.".to_owned()
        }
        SimError::NoSuchButton(title) => format!("Không có nút «{title}»."),
        SimError::UnknownTemplate(_) => "Không tìm thấy tin nhắn mẫu này.".to_owned(),
        SimError::AlreadyRated(_) => "Bạn đã đánh giá tin nhắn này rồi.".to_owned(),
        SimError::InvalidRating(_) => "Hãy chọn mức đánh giá từ 1 đến 5.".to_owned(),
        SimError::EmptyMessage => "Hãy nhập nội dung tin nhắn.".to_owned(),
        SimError::IncompleteInfo => "Vui lòng nhập họ tên và số điện thoại.".to_owned(),
        SimError::InvalidLocation => "Vị trí không hợp lệ.".to_owned(),
        SimError::AlreadyChatted => "«Nhắn tin» chỉ dùng được trước tin nhắn đầu tiên.".to_owned(),
        SimError::NotAQuery(title) => format!("Nút «{title}» mở liên kết, không gửi tin cho Official Account."),
        SimError::UnknownAction(_) => "Thao tác không được hỗ trợ.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> Uri {
        path.parse().expect("valid uri")
    }

    #[test]
    fn mount_base_from_the_original_path() {
        assert_eq!(mount_base(&uri("/sim"), &uri("/")), "/sim");
        assert_eq!(mount_base(&uri("/sim/"), &uri("/")), "/sim");
        assert_eq!(mount_base(&uri("/"), &uri("/")), "");
        assert_eq!(mount_base(&uri("/sim/c/1/text"), &uri("/c/1/text")), "/sim");
        assert_eq!(mount_base(&uri("/a/b/conversation/9"), &uri("/conversation/9")), "/a/b");
        assert_eq!(mount_base(&uri("/conversation/9"), &uri("/conversation/9")), "");
    }

    #[test]
    fn forms_become_actions() {
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(
            action_from_form("tap", &form(&[("msg_id", "m1"), ("target", "e2")])),
            Ok(CitizenAction::Tap { msg_id: "m1".into(), target: TapTarget::Element(2) })
        );
        assert!(action_from_form("tap", &form(&[("msg_id", "m1"), ("target", "x")])).is_err());
        assert_eq!(
            action_from_form("text", &form(&[("text", " xin chào ")])),
            Ok(CitizenAction::Text("xin chào".into()))
        );
        assert!(action_from_form("dance", &form(&[])).is_err());
    }
}

//! What the officer chat pages of the console show: the list of chats, the chat with its
//! messages and forms, the fragment of new messages the page's script appends, and the
//! Vietnamese words for the chat vocabulary (statuses, notes, attachments, waiting times).

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ticket_views::Fact;
use super::views::{local_time, Chrome};
use crate::handoff::model::{ChatMessage, ChatStatus, EndedBy, OfficerChat, Sender, SystemNote};
use crate::tickets::draft::Evidence;

/// Longest excerpt of the last message in the list.
const EXCERPT_CHARS: usize = 90;

/// A chat's state as a code (for the page's script and CSS) and a label.
pub fn status_of(chat: &OfficerChat) -> (&'static str, &'static str) {
    match chat.status {
        ChatStatus::Ended => ("ended", "Đã kết thúc"),
        _ if chat.end_requested_at.is_some() => ("ending", "Đang kết thúc"),
        ChatStatus::Waiting => ("waiting", "Chờ cán bộ"),
        ChatStatus::Active => ("active", "Đang trò chuyện"),
    }
}

/// How long since `from`, as officials say it: "4 phút", "2 giờ 5 phút", "1 ngày 3 giờ".
pub fn elapsed_text(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - from).num_minutes().max(0);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "dưới 1 phút".to_owned(),
        (0, 0, m) => format!("{m} phút"),
        (0, h, 0) => format!("{h} giờ"),
        (0, h, m) => format!("{h} giờ {m} phút"),
        (d, 0, _) => format!("{d} ngày"),
        (d, h, _) => format!("{d} ngày {h} giờ"),
    }
}

/// What a system note says.
pub fn note_text(note: SystemNote, officer: Option<&str>) -> String {
    match note {
        SystemNote::Opened => "Người dân yêu cầu trao đổi với cán bộ.".to_owned(),
        SystemNote::Ended(EndedBy::Citizen) => {
            "Người dân đã kết thúc trò chuyện và quay lại trợ lý tự động.".to_owned()
        }
        SystemNote::Ended(EndedBy::Officer) => format!(
            "{} đã kết thúc trò chuyện; người dân được báo và quay lại trợ lý tự động.",
            officer.filter(|name| !name.is_empty()).unwrap_or("Cán bộ")
        ),
        SystemNote::Ended(EndedBy::Unfollow) => "Người dân đã bỏ quan tâm Zalo OA; trò chuyện kết thúc.".to_owned(),
        SystemNote::Ended(EndedBy::Replaced) => {
            "Trò chuyện khép lại vì người dân vừa yêu cầu gặp cán bộ lần nữa.".to_owned()
        }
    }
}

/// An attachment as the chat shows it.
pub struct AttachmentView {
    pub kind: &'static str,
    pub title: String,
    /// Where to open it (Zalo's link, or a map for a place).
    pub href: Option<String>,
}

pub fn attachment_view(evidence: &Evidence) -> AttachmentView {
    let link = |kind, url: &str, title: Option<&str>| AttachmentView {
        kind,
        title: title.map_or_else(|| url.to_owned(), str::to_owned),
        href: Some(url.to_owned()),
    };
    match evidence {
        Evidence::Image { url, .. } => link("Ảnh", url, Some("Xem ảnh")),
        Evidence::File { url, name, .. } => link("Tệp", url, Some(name.as_deref().unwrap_or("Tải tệp"))),
        Evidence::Video { url, .. } => link("Video", url, Some("Xem video")),
        Evidence::Audio { url, .. } => link("Ghi âm", url, Some("Nghe ghi âm")),
        Evidence::Link { url, .. } => link("Liên kết", url, None),
        Evidence::Location { latitude, longitude, .. } => AttachmentView {
            kind: "Vị trí",
            title: format!("{latitude:.5}, {longitude:.5}"),
            href: Some(format!(
                "https://www.openstreetmap.org/?mlat={latitude:.6}&mlon={longitude:.6}#map=17/{latitude:.6}/{longitude:.6}"
            )),
        },
    }
}

/// One message in the chat.
pub struct MessageView {
    pub id: i64,
    /// `citizen`, `officer` or `system` (CSS modifier).
    pub class: &'static str,
    pub who: String,
    pub at: String,
    pub body: Option<String>,
    pub attachment: Option<AttachmentView>,
}

pub fn message_view(message: &ChatMessage, citizen_name: Option<&str>, tz: Tz) -> MessageView {
    let officer = message.officer.as_ref().map(|o| o.name.as_str());
    let (class, who, body) = match message.sender {
        Sender::Citizen => ("citizen", citizen_name.unwrap_or("Người dân").to_owned(), message.body.clone()),
        Sender::Officer => ("officer", officer.unwrap_or("Cán bộ").to_owned(), message.body.clone()),
        Sender::System => {
            let text = message.note.map(|note| note_text(note, officer));
            ("system", String::new(), text.or_else(|| message.body.clone()))
        }
    };
    MessageView {
        id: message.id,
        class,
        who,
        at: local_time(message.created_at, tz),
        body,
        attachment: message.attachment.as_ref().map(attachment_view),
    }
}

/// A short line for the list: who wrote last and the beginning of it.
pub fn excerpt(message: &ChatMessage) -> String {
    let who = match message.sender {
        Sender::Citizen => "Người dân",
        Sender::Officer => "Cán bộ",
        Sender::System => "",
    };
    let text = match (&message.body, &message.attachment) {
        (Some(body), _) if !body.trim().is_empty() => {
            let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
            if line.chars().count() > EXCERPT_CHARS {
                format!("{}…", line.chars().take(EXCERPT_CHARS).collect::<String>().trim_end())
            } else {
                line
            }
        }
        (_, Some(evidence)) => format!("[{}]", attachment_view(evidence).kind),
        _ => String::new(),
    };
    if who.is_empty() {
        text
    } else {
        format!("{who}: {text}")
    }
}

pub struct ChatRow {
    pub href: String,
    pub id: i64,
    pub branch: String,
    pub department_name: String,
    pub status_class: &'static str,
    pub status_label: &'static str,
    /// How long the citizen has waited for an answer, when they wait.
    pub waiting: Option<String>,
    pub last: String,
    pub last_at: String,
    pub opened: String,
    pub ended: String,
}

#[derive(Template)]
#[template(path = "chats.html")]
pub struct ChatListPage {
    pub chrome: Chrome,
    pub scope_note: String,
    /// Open chats (else: the recently ended).
    pub open: bool,
    pub rows: Vec<ChatRow>,
    pub awaiting: usize,
}

#[derive(Template)]
#[template(path = "chat.html")]
pub struct ChatPage {
    pub chrome: Chrome,
    pub id: i64,
    pub action_base: String,
    pub updates_href: String,
    pub script_href: String,
    pub status_class: &'static str,
    pub status_label: &'static str,
    pub department_name: String,
    pub facts: Vec<Fact>,
    pub messages: Vec<MessageView>,
    pub last_id: i64,
    /// The user may write and end, and the chat accepts it.
    pub can_write: bool,
    /// Why there are no forms, when there are none.
    pub read_only_note: Option<&'static str>,
    pub draft: String,
    pub error: Option<String>,
    /// What precedes the officer's text in the citizen's chat.
    pub citizen_prefix: String,
    pub max_chars: usize,
}

/// The messages after the last one a chat page shows (appended by its script).
#[derive(Template)]
#[template(path = "chat_log.html")]
pub struct ChatLogFragment {
    pub messages: Vec<MessageView>,
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn waiting_times_read_naturally() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("time");
        assert_eq!(elapsed_text(t, t + Duration::seconds(30)), "dưới 1 phút");
        assert_eq!(elapsed_text(t, t + Duration::minutes(12)), "12 phút");
        assert_eq!(elapsed_text(t, t + Duration::minutes(60)), "1 giờ");
        assert_eq!(elapsed_text(t, t + Duration::minutes(125)), "2 giờ 5 phút");
        assert_eq!(elapsed_text(t, t + Duration::hours(24)), "1 ngày");
        assert_eq!(elapsed_text(t, t + Duration::hours(51)), "2 ngày 3 giờ");
        assert_eq!(elapsed_text(t, t - Duration::minutes(5)), "dưới 1 phút", "a clock skew is not negative");
    }

    #[test]
    fn excerpts_are_short_and_say_who() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("time");
        let mut message = ChatMessage {
            id: 1,
            chat_id: 1,
            sender: Sender::Citizen,
            body: Some(format!("Hồ sơ   của tôi\n{}", "rất dài ".repeat(30))),
            attachment: None,
            note: None,
            officer: None,
            send_job_key: None,
            created_at: at,
        };
        let line = excerpt(&message);
        assert!(line.starts_with("Người dân: Hồ sơ của tôi rất dài") && line.ends_with('…'), "{line}");
        assert!(line.chars().count() <= "Người dân: ".chars().count() + EXCERPT_CHARS + 1);
        message.body = None;
        message.attachment = Some(Evidence::Location { latitude: 9.78, longitude: 105.47, msg_id: None });
        assert_eq!(excerpt(&message), "Người dân: [Vị trí]");
        let place = attachment_view(message.attachment.as_ref().expect("set"));
        assert_eq!(place.title, "9.78000, 105.47000");
        assert!(place.href.expect("a map").starts_with("https://www.openstreetmap.org/?mlat=9.780000&mlon=105.470000"));
    }
}

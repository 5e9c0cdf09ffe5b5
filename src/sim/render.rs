//! HTML of the simulator's chat page: a phone-like Zalo conversation (blue header with the
//! OA's name, bubbles left and right, buttons under OA messages, list cards, the
//! request_user_info form, template rating cards) rendered on the server, so the page is
//! complete without JavaScript. Every form posts to the chat handlers.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use serde_json::Value;

use crate::sim::state::{Action, Citizen, Content, Direction, SimButton, SimElement, SimMessage, TemplateChannel};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Labels of the five ratings of Zalo's "five_emotions" template.
pub const RATING_LABELS: [&str; 5] =
    ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"];

fn rating_label(rate: u8) -> &'static str {
    usize::from(rate).checked_sub(1).and_then(|i| RATING_LABELS.get(i)).copied().unwrap_or("")
}

/// `84912345678` → `0912 345 678` for forms a Vietnamese user reads.
pub fn local_phone(phone: &str) -> String {
    match phone.strip_prefix("84") {
        Some(rest) if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            format!("0{} {} {}", &rest[..3], &rest[3..6], &rest[6..])
        }
        _ => phone.to_owned(),
    }
}

/// Everything the page shows.
pub struct PageView<'a> {
    /// Path prefix where the simulator is mounted (e.g. `/sim`, or `` at the root).
    pub base: &'a str,
    pub oa_name: &'a str,
    pub citizens: &'a [Citizen],
    pub current: Option<&'a Citizen>,
    pub messages: &'a [SimMessage],
    pub version: u64,
    pub webhook_url: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// The whole chat page.
pub fn page(view: &PageView<'_>) -> String {
    let base = escape(view.base);
    let oa_name = escape(view.oa_name);
    let status = match view.current {
        Some(c) if c.follower => "Official Account · Bạn đang quan tâm",
        _ => "Official Account",
    };
    let user_attr = view.current.map(|c| escape(&c.user_id)).unwrap_or_default();
    let mut html = format!(
        r#"<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{oa_name} — Zalo (mô phỏng)</title>
<link rel="stylesheet" href="{base}/assets/chat.css">
</head>
<body data-base="{base}" data-user="{user_attr}" data-version="{version}">
<div class="phone">
<header class="top">
<img class="oa-logo" src="{base}/media/oa-logo.svg" alt="" width="40" height="40">
<div class="oa-title"><h1>{oa_name}</h1><p>{status}</p></div>
<span class="sim-badge" title="Trình mô phỏng Zalo của tongdai">Mô phỏng</span>
</header>
"#,
        version = view.version,
    );
    html.push_str(&people_bar(view));
    match view.current {
        Some(citizen) => {
            let _ = writeln!(
                html,
                "<main id=\"messages\" class=\"messages\" aria-live=\"polite\">{}</main>",
                messages_html(view.base, citizen, view.messages, view.now)
            );
            html.push_str(&tools(view.base, citizen, view.messages.is_empty()));
        }
        None => html.push_str(
            "<main id=\"messages\" class=\"messages\"><p class=\"empty\">Chưa có người dân mô phỏng nào. \
             Bấm «+ Thêm» ở trên để tạo một người và bắt đầu trò chuyện với Official Account.</p></main>\n",
        ),
    }
    let webhook = match view.webhook_url {
        Some(url) => format!("Webhook: <code>{}</code>", escape(url)),
        None => "Webhook: <b>chưa cấu hình</b> — tin nhắn chỉ được ghi lại".to_owned(),
    };
    let _ = write!(
        html,
        "<footer class=\"devinfo\">{webhook} · <a href=\"{base}/api/state\">Trạng thái (JSON)</a></footer>\n\
         <div id=\"toast\" class=\"toast\" role=\"status\" hidden></div>\n\
         </div>\n<script src=\"{base}/assets/chat.js\" defer></script>\n</body>\n</html>\n"
    );
    html
}

fn people_bar(view: &PageView<'_>) -> String {
    let base = escape(view.base);
    let mut html = String::from(
        "<nav class=\"people\" aria-label=\"Người dân mô phỏng\"><span class=\"people-label\">Bạn là</span>",
    );
    for citizen in view.citizens {
        let active = view.current.is_some_and(|c| c.user_id == citizen.user_id);
        let _ = write!(
            html,
            "<a class=\"person{}\" href=\"{base}?u={}\"{}>{}</a>",
            if active { " active" } else { "" },
            escape(&citizen.user_id),
            if active { " aria-current=\"true\"" } else { "" },
            escape(&citizen.display_name)
        );
    }
    let _ = writeln!(
        html,
        "<details class=\"add-person\"{open}><summary>+ Thêm</summary>\
         <form method=\"post\" action=\"{base}/citizens\" data-reload>\
         <label>Tên hiển thị<input name=\"display_name\" required maxlength=\"60\" placeholder=\"Lê Văn Cường\"></label>\
         <label>Số điện thoại<input name=\"phone\" inputmode=\"tel\" maxlength=\"20\" placeholder=\"0901 234 567\"></label>\
         <button type=\"submit\">Tạo người dân</button></form></details></nav>",
        open = if view.citizens.is_empty() { " open" } else { "" },
    );
    html
}

fn tools(base: &str, citizen: &Citizen, never_chatted: bool) -> String {
    let base = escape(base);
    let uid = escape(&citizen.user_id);
    let action = |path: &str, label: &str, extra: &str| {
        format!(
            "<form method=\"post\" action=\"{base}/c/{uid}/{path}\"{extra}><button type=\"submit\">{label}</button></form>"
        )
    };
    let mut html = String::from("<section class=\"tools\" aria-label=\"Gửi nội dung khác\">");
    html.push_str(&action("image", "Ảnh", ""));
    html.push_str(&action("location", "Vị trí", ""));
    html.push_str(&action("sticker", "Sticker", ""));
    html.push_str(&action("file", "Tệp", ""));
    if citizen.follower {
        html.push_str(&action("unfollow", "Bỏ quan tâm", " data-reload"));
    } else {
        html.push_str(&action("follow", "Quan tâm", " data-reload class=\"primary\""));
    }
    if never_chatted {
        html.push_str(&action("chatnow", "Nhắn tin", ""));
    }
    let _ = write!(
        html,
        "</section>\n<form class=\"composer\" method=\"post\" action=\"{base}/c/{uid}/text\">\
         <input name=\"text\" placeholder=\"Nhập tin nhắn…\" autocomplete=\"off\" required maxlength=\"2000\" aria-label=\"Tin nhắn\">\
         <button type=\"submit\">Gửi</button></form>\n"
    );
    html
}

fn time_label(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Ho_Chi_Minh);
    if local.date_naive() == now.with_timezone(&Ho_Chi_Minh).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%d/%m %H:%M").to_string()
    }
}

/// The bubbles of a conversation (the part the page refreshes while polling).
pub fn messages_html(base: &str, citizen: &Citizen, messages: &[SimMessage], now: DateTime<Utc>) -> String {
    if messages.is_empty() {
        return "<p class=\"empty\">Chưa có tin nhắn. Bấm «Quan tâm» hoặc gửi «menu» để bắt đầu.</p>".to_owned();
    }
    let ctx = Ctx { base: escape(base), uid: escape(&citizen.user_id), citizen };
    let mut html = String::new();
    for message in messages {
        html.push_str(&ctx.message(message, now));
    }
    html
}

struct Ctx<'a> {
    base: String,
    uid: String,
    citizen: &'a Citizen,
}

impl Ctx<'_> {
    fn message(&self, message: &SimMessage, now: DateTime<Utc>) -> String {
        let time = format!("<time>{}</time>", time_label(message.at, now));
        let msg_id = escape(&message.msg_id);
        match (&message.content, message.direction) {
            (Content::Notice { text }, _) => format!("<p class=\"notice\">{} · {}</p>", escape(text), time_label(message.at, now)),
            (Content::Tap { title, visible: false, .. }, _) => {
                format!("<p class=\"notice\">Bạn đã chọn «{}» · {}</p>", escape(title), time_label(message.at, now))
            }
            (Content::Sticker { url, .. }, Direction::FromCitizen) => format!(
                "<div class=\"row me\"><div class=\"sticker\"><img src=\"{}\" alt=\"Sticker\" width=\"96\" height=\"96\">{time}</div></div>",
                escape(url)
            ),
            (content, Direction::FromCitizen) => {
                format!("<div class=\"row me\"><div class=\"bubble\">{}{time}</div></div>", self.citizen_body(content))
            }
            (content, Direction::FromOa) => format!(
                "<div class=\"row oa\" id=\"m-{msg_id}\"><img class=\"avatar\" src=\"{}/media/oa-logo.svg\" alt=\"\" width=\"28\" height=\"28\">\
                 <div class=\"bubble\">{}{time}</div></div>",
                self.base,
                self.oa_body(&message.msg_id, content)
            ),
        }
    }

    fn citizen_body(&self, content: &Content) -> String {
        match content {
            Content::Text { text } | Content::Tap { payload: text, .. } => format!("<p class=\"text\">{}</p>", escape(text)),
            Content::Image { url, caption, .. } => {
                let img = url.as_deref().map(|u| format!("<img class=\"photo\" src=\"{}\" alt=\"Ảnh đã gửi\">", escape(u)));
                format!("{}{}", img.unwrap_or_default(), caption_html(caption.as_deref()))
            }
            Content::Location { latitude, longitude, label } => format!(
                "<div class=\"place\"><span class=\"pin\" aria-hidden=\"true\"></span><div><b>{}</b><small>{}, {}</small></div></div>",
                escape(label.as_deref().unwrap_or("Vị trí đã chia sẻ")),
                escape(latitude),
                escape(longitude)
            ),
            Content::File { name, url, .. } => {
                let name = escape(name.as_deref().unwrap_or("tệp"));
                match url {
                    Some(url) => format!(
                        "<a class=\"file\" href=\"{}\"><span class=\"file-icon\">PDF</span>{name}</a>",
                        escape(url)
                    ),
                    None => format!("<span class=\"file\"><span class=\"file-icon\">TỆP</span>{name}</span>"),
                }
            }
            Content::SubmittedInfo { info } => {
                let mut rows = format!(
                    "<p class=\"text\"><b>Đã gửi thông tin</b></p><dl class=\"kv\"><dt>Họ tên</dt><dd>{}</dd><dt>Điện thoại</dt><dd>{}</dd>",
                    escape(&info.name),
                    escape(&local_phone(&info.phone))
                );
                let address = [info.address.as_str(), info.ward.as_str(), info.city.as_str()]
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                if !address.is_empty() {
                    let _ = write!(rows, "<dt>Địa chỉ</dt><dd>{}</dd>", escape(&address));
                }
                rows.push_str("</dl>");
                rows
            }
            Content::Rating { rate, note, .. } => {
                let stars: String = (1..=5).map(|i| if i <= *rate { '★' } else { '☆' }).collect();
                let note = note.as_deref().map(|n| format!("<p class=\"text\">{}</p>", escape(n))).unwrap_or_default();
                format!(
                    "<p class=\"text\">Đánh giá: <span class=\"stars\">{stars}</span> {}</p>{note}",
                    rating_label(*rate)
                )
            }
            other => self.oa_body("", other),
        }
    }

    fn oa_body(&self, msg_id: &str, content: &Content) -> String {
        match content {
            Content::Text { text } | Content::Notice { text } => format!("<p class=\"text\">{}</p>", escape(text)),
            Content::Buttons { text, buttons } => {
                format!("{}{}", text_html(text.as_deref()), self.buttons(msg_id, buttons))
            }
            Content::List { text, elements, buttons } => format!(
                "{}<div class=\"list\">{}</div>{}",
                text_html(text.as_deref()),
                elements.iter().enumerate().map(|(i, e)| self.element(msg_id, i, e)).collect::<String>(),
                self.buttons(msg_id, buttons)
            ),
            Content::RequestUserInfo { text, title, subtitle, answered, .. } => {
                self.request_info(text.as_deref(), title, subtitle.as_deref(), *answered)
            }
            Content::Image { url, attachment_id, caption } => {
                let picture = match (url, attachment_id) {
                    (Some(url), _) => {
                        format!("<img class=\"photo\" src=\"{}\" alt=\"Ảnh\" loading=\"lazy\">", escape(url))
                    }
                    (None, Some(id)) => format!("<p class=\"media-ref\">Ảnh (attachment_id {})</p>", escape(id)),
                    (None, None) => String::new(),
                };
                format!("{picture}{}", caption_html(caption.as_deref()))
            }
            Content::Media { media_type, url, attachment_id, caption } => {
                let kind = if media_type == "gif" { "Ảnh động" } else { "Sticker" };
                let picture = match url {
                    Some(url) => {
                        format!("<img class=\"photo\" src=\"{}\" alt=\"{kind}\" loading=\"lazy\">", escape(url))
                    }
                    None => format!(
                        "<p class=\"media-ref\">{kind} (attachment_id {})</p>",
                        escape(attachment_id.as_deref().unwrap_or(""))
                    ),
                };
                format!("{picture}{}", caption_html(caption.as_deref()))
            }
            Content::File { name, token, .. } => format!(
                "<span class=\"file\"><span class=\"file-icon\">TỆP</span>{}</span>",
                escape(name.as_deref().or(token.as_deref().map(|_| "Tệp đính kèm")).unwrap_or("Tệp"))
            ),
            Content::Template { channel, template_id, template_data, rating, .. } => {
                self.template(msg_id, *channel, template_id, template_data, *rating)
            }
            other => self.citizen_body(other),
        }
    }

    fn tap_form(&self, msg_id: &str, target: &str, label_html: &str, class: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{}/c/{}/tap\"><input type=\"hidden\" name=\"msg_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"target\" value=\"{target}\"><button type=\"submit\" class=\"{class}\">{label_html}</button></form>",
            self.base,
            self.uid,
            escape(msg_id)
        )
    }

    fn buttons(&self, msg_id: &str, buttons: &[SimButton]) -> String {
        if buttons.is_empty() {
            return String::new();
        }
        let mut html = String::from("<div class=\"buttons\">");
        for (i, button) in buttons.iter().enumerate() {
            let title = escape(&button.title);
            let item = match &button.action {
                Action::QueryShow(_) | Action::QueryHide(_) => self.tap_form(msg_id, &format!("b{i}"), &title, "btn"),
                Action::OpenUrl(url) => {
                    format!(
                        "<a class=\"btn link\" href=\"{}\" target=\"_blank\" rel=\"noopener\">{title}</a>",
                        escape(url)
                    )
                }
                Action::OpenPhone(phone) => format!("<a class=\"btn call\" href=\"tel:{}\">{title}</a>", escape(phone)),
                Action::OpenSms { phone, content } => format!(
                    "<a class=\"btn sms\" href=\"sms:{}?body={}\">{title}</a>",
                    escape(phone),
                    escape(&crate::sim::oauth::percent_encode(content))
                ),
            };
            html.push_str(&item);
        }
        html.push_str("</div>");
        html
    }

    fn element(&self, msg_id: &str, index: usize, element: &SimElement) -> String {
        let class = if index == 0 { "card hero" } else { "card" };
        let image = element
            .image_url
            .as_deref()
            .map(|u| format!("<img src=\"{}\" alt=\"\" loading=\"lazy\">", escape(u)))
            .unwrap_or_default();
        let subtitle = element.subtitle.as_deref().map(|s| format!("<small>{}</small>", escape(s))).unwrap_or_default();
        let inner = format!("{image}<span class=\"card-text\"><b>{}</b>{subtitle}</span>", escape(&element.title));
        match &element.action {
            Some(Action::QueryShow(_) | Action::QueryHide(_)) => {
                self.tap_form(msg_id, &format!("e{index}"), &inner, class)
            }
            Some(Action::OpenUrl(url)) => {
                format!("<a class=\"{class}\" href=\"{}\" target=\"_blank\" rel=\"noopener\">{inner}</a>", escape(url))
            }
            _ => format!("<div class=\"{class}\">{inner}</div>"),
        }
    }

    fn request_info(&self, text: Option<&str>, title: &str, subtitle: Option<&str>, answered: bool) -> String {
        let head = format!(
            "{}<div class=\"info-card\"><b>{}</b>{}",
            text_html(text),
            escape(title),
            subtitle.map(|s| format!("<small>{}</small>", escape(s))).unwrap_or_default()
        );
        if answered {
            return format!("{head}<p class=\"done\">✓ Bạn đã gửi thông tin</p></div>");
        }
        let known = self.citizen.shared_info.clone().unwrap_or_default();
        let name = if known.name.is_empty() { self.citizen.display_name.clone() } else { known.name };
        let phone = if known.phone.is_empty() { self.citizen.phone.clone().unwrap_or_default() } else { known.phone };
        let city = if known.city.is_empty() { "Hậu Giang".to_owned() } else { known.city };
        format!(
            "{head}<form class=\"info-form\" method=\"post\" action=\"{}/c/{}/info\">\
             <label>Họ và tên<input name=\"name\" required value=\"{}\"></label>\
             <label>Số điện thoại<input name=\"phone\" required inputmode=\"tel\" value=\"{}\"></label>\
             <label>Địa chỉ<input name=\"address\" value=\"{}\" placeholder=\"Số nhà, đường\"></label>\
             <label>Phường/xã<input name=\"ward\" value=\"{}\" placeholder=\"Phường 5\"></label>\
             <label>Tỉnh/thành phố<input name=\"city\" value=\"{}\"></label>\
             <button type=\"submit\">Gửi thông tin</button></form></div>",
            self.base,
            self.uid,
            escape(&name),
            escape(&local_phone(&phone)),
            escape(&known.address),
            escape(&known.ward),
            escape(&city)
        )
    }

    fn template(
        &self,
        msg_id: &str,
        channel: TemplateChannel,
        template_id: &str,
        data: &Value,
        rating: Option<u8>,
    ) -> String {
        let channel_name = match channel {
            TemplateChannel::Phone => "ZNS · theo số điện thoại",
            TemplateChannel::Uid => "ZBS · theo Zalo",
        };
        let mut html = format!(
            "<div class=\"template\"><p class=\"template-head\">Tin nhắn mẫu <span>{channel_name}</span></p>\
             <p class=\"template-title\">Đánh giá chất lượng dịch vụ</p><dl class=\"kv\">"
        );
        if let Some(fields) = data.as_object() {
            for (key, value) in fields {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                let _ = write!(html, "<dt>{}</dt><dd>{}</dd>", escape(key), escape(&value));
            }
        }
        let _ = write!(html, "</dl><small class=\"template-id\">Mẫu {}</small>", escape(template_id));
        match rating {
            Some(rate) => {
                let _ = write!(html, "<p class=\"done\">✓ Bạn đã đánh giá {rate}/5 — {}</p>", rating_label(rate));
            }
            None => {
                let _ = write!(
                    html,
                    "<form class=\"rating\" method=\"post\" action=\"{}/c/{}/rating\"><input type=\"hidden\" name=\"msg_id\" value=\"{}\">\
                     <div class=\"rates\">",
                    self.base,
                    self.uid,
                    escape(msg_id)
                );
                for rate in 1..=5u8 {
                    let _ = write!(
                        html,
                        "<button type=\"submit\" name=\"rate\" value=\"{rate}\" title=\"{label}\" aria-label=\"{rate} — {label}\">{rate}★</button>",
                        label = rating_label(rate)
                    );
                }
                html.push_str(
                    "</div><p class=\"rate-scale\"><span>Rất không hài lòng</span><span>Rất hài lòng</span></p>\
                     <input name=\"note\" maxlength=\"500\" placeholder=\"Góp ý thêm (không bắt buộc)\" aria-label=\"Góp ý thêm\"></form>",
                );
            }
        }
        html.push_str("</div>");
        html
    }
}

fn text_html(text: Option<&str>) -> String {
    text.map(|t| format!("<p class=\"text\">{}</p>", escape(t))).unwrap_or_default()
}

fn caption_html(caption: Option<&str>) -> String {
    caption.map(|c| format!("<p class=\"text caption\">{}</p>", escape(c))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_phones() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(local_phone("84912345678"), "0912 345 678");
        assert_eq!(local_phone("12345"), "12345");
        assert_eq!(rating_label(5), "Rất hài lòng");
        assert_eq!(rating_label(0), "");
    }
}

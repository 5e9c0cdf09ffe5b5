//! The survey web form's HTML: a phone-friendly page that works without JavaScript (inline CSS,
//! plain form posts), in Vietnamese, every value escaped. Elements are sections of 5-point radio
//! scales; questions outside every element (expectations) follow; then the free-text items.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::surveys::definition::{FreeTextItem, Question, SurveyCatalog, SurveyDefinition};
use crate::surveys::form::{question_field, text_field, FormErrors};
use crate::surveys::model::Dossier;

/// What the form page shows.
pub struct FormView<'a> {
    pub token: &'a str,
    pub def: &'a SurveyDefinition,
    pub catalog: &'a SurveyCatalog,
    pub dossier: &'a Dossier,
    /// Values submitted before (kept when the form is shown again with errors).
    pub values: &'a BTreeMap<String, String>,
    pub errors: &'a FormErrors,
}

/// One-message pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Thanks,
    AlreadyAnswered,
    Expired,
    InvalidLink,
    OptedOut,
}

const STYLE: &str = "body{margin:0;background:#f3f5f8;color:#1b1f24;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}\
main{max-width:40rem;margin:0 auto;padding:1rem}\
h1{font-size:1.35rem;line-height:1.3;margin:.5rem 0}\
.meta{color:#4a5563;margin:0 0 1rem}\
fieldset{background:#fff;border:1px solid #d5dbe3;border-radius:.6rem;margin:0 0 1rem;padding:.75rem 1rem}\
legend{font-weight:700;padding:0 .3rem}\
.q{border-top:1px solid #edf0f4;padding:.75rem 0}.q:first-of-type{border-top:0}\
.q p{margin:0 0 .4rem}\
.opts label{display:block;padding:.45rem .5rem;margin:.2rem 0;border:1px solid #d5dbe3;border-radius:.4rem;background:#fafbfc}\
.opts input{margin-right:.5rem;transform:scale(1.2)}\
textarea{box-sizing:border-box;width:100%;min-height:7rem;font:inherit;padding:.5rem;border:1px solid #b9c2cd;border-radius:.4rem}\
.err{color:#a4000f;font-weight:600;margin:.25rem 0}\
.q.bad{background:#fff4f4;border-radius:.4rem;padding:.75rem .5rem}\
.box{background:#fff;border:1px solid #d5dbe3;border-radius:.6rem;padding:1rem;margin:1rem 0}\
.summary{border-color:#a4000f}\
button{font:inherit;font-weight:700;color:#fff;background:#0b5cad;border:0;border-radius:.5rem;padding:.8rem 1.2rem;width:100%}\
.small{font-size:.9rem;color:#4a5563}a{color:#0b5cad}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// The form, with earlier values and errors when shown again.
pub fn form(view: &FormView<'_>) -> String {
    let def = view.def;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"meta\">Thủ tục: <b>{}</b><br>Cơ quan giải quyết: {}</p><p>{}</p>",
        escape(&def.title),
        escape(&view.dossier.procedure_name),
        escape(&view.dossier.agency_name),
        escape(&def.description)
    );
    if !view.errors.errors.is_empty() {
        let _ = write!(
            body,
            "<div class=\"box summary\" role=\"alert\"><b>Chưa gửi được:</b> vui lòng xem lại {} mục được đánh dấu đỏ bên dưới.</div>",
            view.errors.errors.len()
        );
    }
    body.push_str("<form method=\"post\">");
    for element in &def.elements {
        let _ = write!(body, "<fieldset><legend>{}</legend>", escape(&element.name));
        for question in def.questions_in(element.code()) {
            question_html(&mut body, view, question);
        }
        body.push_str("</fieldset>");
    }
    let others: Vec<&Question> = def.questions.iter().filter(|q| q.element().is_none()).collect();
    if !others.is_empty() {
        body.push_str("<fieldset><legend>Nhu cầu, mong đợi của Ông/Bà</legend>");
        for question in others {
            question_html(&mut body, view, question);
        }
        body.push_str("</fieldset>");
    }
    if !def.free_text.is_empty() {
        body.push_str("<fieldset><legend>Ý kiến khác</legend>");
        for item in &def.free_text {
            free_text_html(&mut body, view, item);
        }
        body.push_str("</fieldset>");
    }
    let _ = write!(
        body,
        "<button type=\"submit\">Gửi đánh giá</button></form>\
         <p class=\"small\">Mỗi hồ sơ chỉ được đánh giá một lần. Ý kiến của Ông/Bà được giữ bí mật.</p>\
         <p class=\"small\"><a href=\"/s/{}?opt_out=1\">Không muốn nhận khảo sát nữa</a></p>",
        escape(view.token)
    );
    layout(&def.title, &body)
}

fn question_html(body: &mut String, view: &FormView<'_>, question: &Question) {
    let code = question.code();
    let name = question_field(code);
    let error = view.errors.errors.get(code);
    let chosen = view.values.get(&name).map(|v| v.trim());
    let _ = write!(
        body,
        "<div class=\"q{}\" id=\"{}\"><p>{}{}</p>",
        if error.is_some() { " bad" } else { "" },
        escape(&name),
        escape(question.text()),
        if question.required { "" } else { " <span class=\"small\">(không bắt buộc)</span>" }
    );
    if let Some(message) = error {
        let _ = write!(body, "<p class=\"err\">{}</p>", escape(message));
    }
    body.push_str("<div class=\"opts\">");
    if let Some(scale) = view.catalog.scale(question.scale()) {
        for option in &scale.options {
            let value = option.value().to_string();
            let _ = write!(
                body,
                "<label><input type=\"radio\" name=\"{}\" value=\"{}\"{}{}>{} — {}</label>",
                escape(&name),
                value,
                if chosen == Some(value.as_str()) { " checked" } else { "" },
                if question.required { " required" } else { "" },
                value,
                escape(option.label())
            );
        }
    }
    body.push_str("</div></div>");
}

fn free_text_html(body: &mut String, view: &FormView<'_>, item: &FreeTextItem) {
    let name = text_field(item.code());
    let error = view.errors.errors.get(item.code());
    let _ = write!(
        body,
        "<div class=\"q{}\"><p><label for=\"{name}\">{}</label></p>",
        if error.is_some() { " bad" } else { "" },
        escape(item.text()),
        name = escape(&name)
    );
    if let Some(message) = error {
        let _ = write!(body, "<p class=\"err\">{}</p>", escape(message));
    }
    let _ = write!(
        body,
        "<textarea id=\"{name}\" name=\"{name}\" maxlength=\"{max}\"{}>{}</textarea>\
         <p class=\"small\">Tối đa {max} ký tự.</p></div>",
        if item.required { " required" } else { "" },
        escape(view.values.get(&text_field(item.code())).map_or("", String::as_str)),
        name = escape(&name),
        max = item.max_length()
    );
}

/// The page asking to confirm the opt-out (a GET must not change anything).
pub fn opt_out_confirmation(token: &str) -> String {
    let body = format!(
        "<h1>Ngừng nhận khảo sát</h1><div class=\"box\"><p>Ông/Bà sẽ không nhận thêm khảo sát mức độ hài lòng \
         qua Zalo hoặc tin nhắn. Các khảo sát đang chờ gửi sẽ được hủy.</p>\
         <form method=\"post\" action=\"/s/{}\"><input type=\"hidden\" name=\"_action\" value=\"opt_out\">\
         <button type=\"submit\">Xác nhận ngừng nhận khảo sát</button></form></div>",
        escape(token)
    );
    layout("Ngừng nhận khảo sát", &body)
}

/// A page with a single message.
pub fn notice(which: Notice) -> String {
    let (title, text) = match which {
        Notice::Thanks => (
            "Cảm ơn Ông/Bà",
            "Đánh giá của Ông/Bà đã được ghi nhận. Xin chân thành cảm ơn Ông/Bà đã góp ý để cơ quan nhà nước phục vụ tốt hơn.",
        ),
        Notice::AlreadyAnswered => (
            "Khảo sát đã được trả lời",
            "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ nhận một lần đánh giá. Xin cảm ơn Ông/Bà.",
        ),
        Notice::Expired => ("Khảo sát đã hết hạn", "Khảo sát này đã hết hạn nên không nhận thêm câu trả lời. Cảm ơn Ông/Bà."),
        Notice::InvalidLink => (
            "Liên kết không hợp lệ",
            "Liên kết khảo sát không đúng hoặc đã bị thay đổi. Vui lòng mở lại liên kết trong tin nhắn đã nhận.",
        ),
        Notice::OptedOut => (
            "Đã ngừng nhận khảo sát",
            "Đã ghi nhận: Ông/Bà sẽ không nhận khảo sát mức độ hài lòng nữa. Các khảo sát đang chờ gửi đã được hủy.",
        ),
    };
    layout(title, &format!("<h1>{}</h1><div class=\"box\"><p>{}</p></div>", escape(title), escape(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">Tôi & 'bạn'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tôi &amp; &#39;bạn&#39;&lt;/a&gt;"
        );
    }
}

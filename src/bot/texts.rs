//! Every message the bot says to a citizen, in the voice of a public service desk: correct,
//! warm, concise Vietnamese with diacritics, sized for a phone. The citizen is addressed as
//! "Ông/Bà", like every other text of the service (tickets, surveys) and the province's official
//! forms. Menus and questions come with their buttons (at most five per message, payloads from
//! `crate::bot::payload`). The service also sends three of these after acting on an effect:
//! [`complaint_filed`], [`ticket_status`] and [`ticket_not_found`].

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::bot::catalogue::{Branch, Catalogue};
use crate::bot::input::MediaKind;
use crate::bot::payload::{EditPart, Payload};
use crate::bot::scope::ContentNotes;
use crate::bot::settings::BotSettings;
use crate::bot::state::Intake;
use crate::bot::ticket_code::EXAMPLE_TICKET_CODE;
use crate::tickets::draft::{ComplaintDraft, Consent, Evidence};
use crate::zalo::messages::MAX_BUTTONS;
use crate::zalo::outbound::{OutAction, OutButton, OutboundMessage};

/// Longest part of a description repeated in the summary, in characters.
const SUMMARY_CONTENT_CHARS: usize = 400;
/// Longest duty line in a branch menu, in characters.
const DUTY_CHARS: usize = 120;

// ---------------------------------------------------------------------------------------------
// Building blocks

fn button(title: &str, payload: &Payload) -> OutButton {
    OutButton { title: title.to_owned(), action: OutAction::Query(payload.to_string()) }
}

fn buttons(text: impl Into<String>, buttons: Vec<OutButton>) -> OutboundMessage {
    OutboundMessage::Buttons { text: text.into(), buttons }
}

fn menu_button() -> OutButton {
    button("Menu chính", &Payload::Menu)
}

fn back_button() -> OutButton {
    button("Quay lại", &Payload::Back)
}

fn cancel_button() -> OutButton {
    button("Hủy", &Payload::Cancel)
}

/// "0939015599" → "0939 015 599"; "84912345678" → "0912 345 678"; other forms as written.
pub fn display_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("84") {
        Some(rest) if digits.len() == 11 => format!("0{rest}"),
        _ => digits,
    };
    if national.len() == 10 && national.starts_with('0') {
        format!("{} {} {}", &national[..4], &national[4..7], &national[7..])
    } else {
        phone.trim().to_owned()
    }
}

/// "thứ Hai", …, "Chủ nhật".
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "thứ Hai",
        Weekday::Tue => "thứ Ba",
        Weekday::Wed => "thứ Tư",
        Weekday::Thu => "thứ Năm",
        Weekday::Fri => "thứ Sáu",
        Weekday::Sat => "thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// "thứ Hai, 05/01/2026".
pub fn date_with_weekday(date: NaiveDate) -> String {
    format!("{}, {}", weekday_name(date.weekday()), date.format("%d/%m/%Y"))
}

/// When an office opens, relative to `now`: "13:30 hôm nay (thứ Hai, 05/01/2026)",
/// "07:00 ngày mai (thứ Ba, 06/01/2026)" or "07:00 thứ Hai, 12/01/2026".
pub fn opening_time(at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let date = local.date_naive();
    let time = local.format("%H:%M");
    if date == today {
        format!("{time} hôm nay ({})", date_with_weekday(date))
    } else if today.succ_opt() == Some(date) {
        format!("{time} ngày mai ({})", date_with_weekday(date))
    } else {
        format!("{time} {}", date_with_weekday(date))
    }
}

/// A duration in words: "30 phút", "1 giờ 30 phút", "2 ngày", "45 giây".
pub fn duration_words(duration: Duration) -> String {
    let total = duration.num_seconds().max(0);
    let (days, hours, minutes, seconds) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60);
    let parts: Vec<String> = [(days, "ngày"), (hours, "giờ"), (minutes, "phút"), (seconds, "giây")]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count} {unit}"))
        .collect();
    if parts.is_empty() {
        "vài giây".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The first `max` characters of `text`, cut at a word and marked with "…" when shortened.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word =
        cut.rfind(' ').filter(|position| *position > max / 2).map_or(cut.as_str(), |position| &cut[..position]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

/// A duty as one concise line: its first clause, shortened.
fn concise_duty(duty: &str) -> String {
    let first_clause = duty.split(';').next().unwrap_or(duty);
    shorten(first_clause, DUTY_CHARS)
}

fn branch_label(catalogue: &Catalogue, number: u8) -> String {
    match catalogue.branch(number) {
        Some(branch) => format!("nhánh {number} – {}", branch.short_title),
        None => format!("nhánh {number}"),
    }
}

fn department_name(catalogue: &Catalogue, number: u8) -> String {
    catalogue.department_of_branch(number).map(|department| department.name.clone()).unwrap_or_default()
}

fn numbered_branch_list(catalogue: &Catalogue) -> String {
    catalogue
        .branches()
        .iter()
        .map(|branch| {
            let department = department_name(catalogue, branch.number);
            format!("{}. {} ({department})", branch.number, branch.title)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The branches as button messages (at most [`MAX_BUTTONS`] each, evenly filled), the first
/// one carrying `intro` and the numbered list of every branch, so each branch is one tap or
/// one number away. `extra` goes on the last message when there is room.
fn branch_buttons(
    catalogue: &Catalogue,
    intro: &str,
    payload: impl Fn(u8) -> Payload,
    extra: Option<OutButton>,
) -> Vec<OutboundMessage> {
    let branches: Vec<&Branch> = catalogue.branches().iter().collect();
    let messages_needed = branches.len().div_ceil(MAX_BUTTONS).max(1);
    let per_message = branches.len().div_ceil(messages_needed).max(1);
    let mut messages = Vec::new();
    for (index, chunk) in branches.chunks(per_message).enumerate() {
        let text = if index == 0 {
            format!("{intro}\n{}", numbered_branch_list(catalogue))
        } else {
            match (chunk.first(), chunk.last()) {
                (Some(first), Some(last)) if first.number != last.number => {
                    format!("Nhánh {} – {}:", first.number, last.number)
                }
                (Some(first), _) => format!("Nhánh {}:", first.number),
                _ => String::new(),
            }
        };
        let row = chunk
            .iter()
            .map(|branch| button(&format!("{}. {}", branch.number, branch.short_title), &payload(branch.number)))
            .collect();
        messages.push(buttons(text, row));
    }
    if let (Some(extra), Some(OutboundMessage::Buttons { buttons, .. })) = (extra, messages.last_mut()) {
        if buttons.len() < MAX_BUTTONS {
            buttons.push(extra);
        }
    }
    messages
}

// ---------------------------------------------------------------------------------------------
// Welcome, menus, help

/// First words to a new follower or a citizen writing for the first time.
pub fn welcome(catalogue: &Catalogue) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Kính chào Ông/Bà! Đây là kênh Zalo hỗ trợ cải cách hành chính của tỉnh. Tại đây Ông/Bà có thể gửi \
         phản ánh, kiến nghị về thủ tục hành chính, tra cứu kết quả giải quyết và trao đổi với cán bộ phụ trách. \
         Tổng đài hỗ trợ: {}.",
        display_phone(catalogue.hotline())
    ))
}

/// The main menu: every branch by number and title, and a button for each.
pub fn main_menu(catalogue: &Catalogue) -> Vec<OutboundMessage> {
    let count = catalogue.branch_count();
    let intro = format!("Ông/Bà cần hỗ trợ về lĩnh vực nào? Vui lòng gõ số từ 1 đến {count} hoặc bấm chọn bên dưới:");
    let mut messages =
        branch_buttons(catalogue, &intro, Payload::Branch, Some(button("Tra cứu phản ánh", &Payload::Lookup(None))));
    if let Some(OutboundMessage::Buttons { text, .. }) = messages.first_mut() {
        text.push_str("\nGõ «phản ánh» để gửi phản ánh, kiến nghị; «tra cứu» để xem phản ánh đã gửi; «trợ giúp» để xem hướng dẫn.");
    }
    messages
}

/// Offer to resume or drop a complaint kept after a timeout or "menu".
pub fn paused_draft_offer(catalogue: &Catalogue, intake: &Intake, tz: Tz) -> OutboundMessage {
    let started = intake.draft.started_at.with_timezone(&tz);
    buttons(
        format!(
            "Ông/Bà còn một phản ánh đang soạn dở ({}, bắt đầu lúc {} ngày {}). Ông/Bà muốn tiếp tục soạn hay bỏ?",
            branch_label(catalogue, intake.draft.branch),
            started.format("%H:%M"),
            started.format("%d/%m/%Y"),
        ),
        vec![button("Tiếp tục soạn", &Payload::ResumeDraft), button("Bỏ phản ánh", &Payload::DropDraft)],
    )
}

/// The conversation was idle too long and starts again from the main menu.
pub fn session_restarted(timeout: Duration) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Cuộc trò chuyện trước đã tạm dừng vì quá {} không có tin nhắn, nên chúng tôi đưa Ông/Bà về menu chính.",
        duration_words(timeout)
    ))
}

/// What the bot can do, when a message at a menu was not understood. With `offer`, the message
/// could be a complaint: a button sends it as one.
pub fn not_understood(catalogue: &Catalogue, offer: bool) -> OutboundMessage {
    let count = catalogue.branch_count();
    let mut text = format!(
        "Xin lỗi, chúng tôi chưa hiểu ý Ông/Bà. Ông/Bà có thể:\n\
         • chọn lĩnh vực cần hỗ trợ: gõ số từ 1 đến {count} hoặc tên lĩnh vực (ví dụ: cải cách thủ tục);\n\
         • gửi phản ánh, kiến nghị: gõ «phản ánh»;\n\
         • xem phản ánh đã gửi: gõ mã phản ánh (ví dụ: {EXAMPLE_TICKET_CODE});\n\
         • trao đổi với cán bộ: gõ «gặp cán bộ»."
    );
    let mut row = vec![menu_button()];
    if offer {
        text.push_str("\nNếu tin nhắn vừa rồi là nội dung Ông/Bà muốn phản ánh, bấm «Gửi làm phản ánh».");
        row.insert(0, button("Gửi làm phản ánh", &Payload::Complaint(None)));
    } else {
        row.push(button("Gửi phản ánh", &Payload::Complaint(None)));
    }
    buttons(text, row)
}

/// A number that is not a branch ("9").
pub fn no_such_branch(catalogue: &Catalogue, number: &str) -> OutboundMessage {
    buttons(
        format!(
            "Không có nhánh số {number}. Các nhánh được đánh số từ 1 đến {}, Ông/Bà vui lòng chọn lại.",
            catalogue.branch_count()
        ),
        vec![menu_button()],
    )
}

/// How to use the bot.
pub fn help(catalogue: &Catalogue) -> OutboundMessage {
    let count = catalogue.branch_count();
    buttons(
        format!(
            "Hướng dẫn sử dụng — Ông/Bà có thể gõ:\n\
             • số từ 1 đến {count} hoặc tên lĩnh vực: xem nhánh hỗ trợ;\n\
             • «phản ánh»: gửi phản ánh, kiến nghị;\n\
             • «tra cứu» hoặc mã phản ánh (ví dụ: {EXAMPLE_TICKET_CODE}): xem tình trạng giải quyết;\n\
             • «gặp cán bộ»: trao đổi trực tiếp với cán bộ;\n\
             • «menu» hoặc «0»: về menu chính;\n\
             • «quay lại»: về bước trước;\n\
             • «hủy»: hủy thao tác đang làm;\n\
             • «trợ giúp»: xem hướng dẫn này.\n\
             Gõ có dấu hay không dấu đều được. Tổng đài hỗ trợ: {}.",
            display_phone(catalogue.hotline())
        ),
        vec![menu_button()],
    )
}

/// Answer to "xin chào".
pub fn greeting_reply() -> OutboundMessage {
    OutboundMessage::text("Xin chào Ông/Bà! Chúng tôi sẵn sàng hỗ trợ Ông/Bà.")
}

/// Answer to "cảm ơn".
pub fn thanks_reply() -> OutboundMessage {
    buttons(
        "Cảm ơn Ông/Bà đã liên hệ! Khi cần hỗ trợ thêm, Ông/Bà gõ «menu» hoặc bấm nút bên dưới.",
        vec![menu_button()],
    )
}

/// A branch's menu: who owns it, what it handles, what the citizen can do.
pub fn branch_menu(catalogue: &Catalogue, number: u8) -> OutboundMessage {
    let Some(branch) = catalogue.branch(number) else {
        return not_understood(catalogue, false);
    };
    let duties: Vec<String> = branch.duties.iter().map(|duty| format!("• {}", concise_duty(duty))).collect();
    let text = format!(
        "Nhánh {number} – {}\nĐơn vị phụ trách: {}\nNhánh này:\n{}\nÔng/Bà cần làm gì?",
        branch.title,
        department_name(catalogue, number),
        duties.join("\n")
    );
    let mut row = vec![
        button("Gửi phản ánh", &Payload::Complaint(Some(number))),
        button("Tra cứu phản ánh", &Payload::Lookup(None)),
        button("Gặp cán bộ", &Payload::Officer(Some(number))),
    ];
    if let Some(phone) = catalogue.phone_for_branch(number) {
        row.push(OutButton {
            title: format!("Gọi {}", display_phone(phone)),
            action: OutAction::Call(phone.to_owned()),
        });
    }
    row.push(menu_button());
    buttons(text, row)
}

/// A message at a branch menu that was not understood.
pub fn branch_not_understood(catalogue: &Catalogue, number: u8, offer: bool) -> OutboundMessage {
    let mut text = format!(
        "Xin lỗi, chúng tôi chưa hiểu ý Ông/Bà. Ở {}, Ông/Bà có thể gửi phản ánh, tra cứu phản ánh đã gửi \
         hoặc trao đổi với cán bộ; gõ «menu» để chọn nhánh khác.",
        branch_label(catalogue, number)
    );
    let mut row = vec![
        button("Gửi phản ánh", &Payload::Complaint(Some(number))),
        button("Gặp cán bộ", &Payload::Officer(Some(number))),
        menu_button(),
    ];
    if offer {
        text.push_str("\nNếu tin nhắn vừa rồi là nội dung Ông/Bà muốn phản ánh, bấm «Gửi làm phản ánh».");
        row[0] = button("Gửi làm phản ánh", &Payload::Complaint(Some(number)));
    }
    buttons(text, row)
}

/// Several branches fit what was typed: which one?
pub fn choose_between(catalogue: &Catalogue, candidates: &[u8]) -> OutboundMessage {
    let lines: Vec<String> = candidates
        .iter()
        .filter_map(|number| catalogue.branch(*number))
        .map(|branch| format!("{}. {} ({})", branch.number, branch.title, department_name(catalogue, branch.number)))
        .collect();
    let mut row: Vec<OutButton> = candidates
        .iter()
        .filter_map(|number| catalogue.branch(*number))
        .take(MAX_BUTTONS - 1)
        .map(|branch| button(&format!("{}. {}", branch.number, branch.short_title), &Payload::Branch(branch.number)))
        .collect();
    row.push(button("Xem tất cả", &Payload::Menu));
    buttons(
        format!(
            "Nội dung Ông/Bà gõ có thể thuộc các nhánh sau:\n{}\nÔng/Bà muốn chọn nhánh nào? (gõ số nhánh hoặc bấm chọn)",
            lines.join("\n")
        ),
        row,
    )
}

/// Which branch does the new complaint concern? (every branch, one tap each)
pub fn pick_branch_for_complaint(catalogue: &Catalogue) -> Vec<OutboundMessage> {
    branch_buttons(
        catalogue,
        "Phản ánh, kiến nghị của Ông/Bà thuộc lĩnh vực nào? Vui lòng gõ số hoặc bấm chọn:",
        |number| Payload::Complaint(Some(number)),
        Some(cancel_button()),
    )
}

/// The complaint seems to concern `number`: confirm or choose another.
pub fn confirm_branch_for_complaint(catalogue: &Catalogue, number: u8) -> OutboundMessage {
    buttons(
        format!(
            "Theo nội dung Ông/Bà gõ, phản ánh có thể thuộc {} ({}). Có đúng không ạ?",
            branch_label(catalogue, number),
            department_name(catalogue, number)
        ),
        vec![
            button("Đúng", &Payload::Complaint(Some(number))),
            button("Chọn nhánh khác", &Payload::Complaint(None)),
            cancel_button(),
        ],
    )
}

/// Which branch's officer does the citizen want to talk to?
pub fn pick_branch_for_officer(catalogue: &Catalogue) -> Vec<OutboundMessage> {
    branch_buttons(
        catalogue,
        "Ông/Bà muốn trao đổi với cán bộ của lĩnh vực nào? Vui lòng gõ số hoặc bấm chọn:",
        |number| Payload::Officer(Some(number)),
        Some(cancel_button()),
    )
}

/// The complaint's branch left the catalogue: pick a new one.
pub fn pick_branch_again(catalogue: &Catalogue) -> Vec<OutboundMessage> {
    branch_buttons(
        catalogue,
        "Danh mục lĩnh vực đã thay đổi, lĩnh vực của phản ánh Ông/Bà đang soạn không còn. \
         Ông/Bà vui lòng chọn lại lĩnh vực (nội dung đã soạn vẫn được giữ):",
        |number| Payload::Complaint(Some(number)),
        Some(cancel_button()),
    )
}

// ---------------------------------------------------------------------------------------------
// Looking up a complaint

/// Ask for the code to look up.
pub fn ask_ticket_code() -> OutboundMessage {
    buttons(
        format!(
            "Ông/Bà vui lòng gõ mã phản ánh cần tra cứu (ví dụ: {EXAMPLE_TICKET_CODE}). Mã được gửi cho Ông/Bà \
             khi phản ánh được tiếp nhận."
        ),
        vec![menu_button()],
    )
}

/// What was typed is not a code.
pub fn invalid_ticket_code() -> OutboundMessage {
    buttons(
        format!(
            "Mã phản ánh chưa đúng. Mã có dạng PA-năm-6 ký tự, ví dụ: {EXAMPLE_TICKET_CODE}. \
             Ông/Bà vui lòng kiểm tra và gõ lại."
        ),
        vec![menu_button()],
    )
}

/// What the service knows about a complaint, for [`ticket_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketStatusView<'a> {
    /// The code, e.g. `PA-2026-7K3Q9X`.
    pub code: &'a str,
    /// The status in words, e.g. "Đang xử lý", "Đã chuyển Sở Tài chính", "Đã trả lời".
    pub status: &'a str,
    /// The department handling it.
    pub department: &'a str,
    /// Local date of receipt.
    pub received_on: NaiveDate,
    /// Local date by which it must be answered, if it has one.
    pub due_on: Option<NaiveDate>,
    /// The answer, once given.
    pub answer: Option<&'a str>,
}

/// The status of one of the citizen's complaints (sent after `Effect::LookupTicket`).
pub fn ticket_status(view: &TicketStatusView<'_>) -> OutboundMessage {
    let mut lines = vec![
        format!("Phản ánh {}", view.code),
        format!("• Tình trạng: {}", view.status),
        format!("• Cơ quan giải quyết: {}", view.department),
        format!("• Ngày tiếp nhận: {}", view.received_on.format("%d/%m/%Y")),
    ];
    if let Some(due) = view.due_on {
        lines.push(format!("• Hạn trả lời: {}", date_with_weekday(due)));
    }
    if let Some(answer) = view.answer {
        lines.push(format!("• Nội dung trả lời: {}", shorten(answer, 1500)));
    }
    buttons(lines.join("\n"), vec![menu_button()])
}

/// No complaint of this citizen has this code (sent after `Effect::LookupTicket`).
pub fn ticket_not_found(code: &str) -> OutboundMessage {
    buttons(
        format!(
            "Không tìm thấy phản ánh mã {code} trong các phản ánh gửi từ tài khoản Zalo này. Ông/Bà vui lòng \
             kiểm tra lại mã (ví dụ: {EXAMPLE_TICKET_CODE}). Vì lý do bảo mật, chỉ tra cứu được phản ánh do chính \
             Ông/Bà gửi."
        ),
        vec![button("Tra cứu mã khác", &Payload::Lookup(None)), menu_button()],
    )
}

// ---------------------------------------------------------------------------------------------
// Writing a complaint

fn intake_buttons(done: bool) -> Vec<OutButton> {
    let mut row = Vec::new();
    if done {
        row.push(button("Xong", &Payload::ContentDone));
    }
    row.push(cancel_button());
    row
}

/// Ask for the description. `prefilled`: the message that started the complaint is kept.
pub fn content_prompt(catalogue: &Catalogue, number: u8, prefilled: bool) -> OutboundMessage {
    let opening = format!("Gửi phản ánh, kiến nghị – {}.", branch_label(catalogue, number));
    let text = if prefilled {
        format!(
            "{opening}\nChúng tôi đã ghi nhận nội dung Ông/Bà vừa gửi. Ông/Bà có thể gửi thêm chi tiết (việc gì, \
             ở đâu, khi nào), ảnh, tệp, video hoặc vị trí. Gửi xong, Ông/Bà bấm «Xong»."
        )
    } else {
        format!(
            "{opening}\nÔng/Bà vui lòng mô tả sự việc: việc gì, ở đâu, khi nào, gặp khó khăn gì. Có thể gửi nhiều \
             tin nhắn, kèm ảnh, tệp, video hoặc vị trí. Gửi xong, Ông/Bà bấm «Xong»."
        )
    };
    buttons(text, intake_buttons(true))
}

/// Ask for the description again, replacing the old one (edit from the summary).
pub fn content_rewrite_prompt() -> OutboundMessage {
    buttons(
        "Ông/Bà vui lòng gửi lại nội dung phản ánh; nội dung mới sẽ thay nội dung cũ (ảnh, tệp đã gửi vẫn được giữ). \
         Gửi xong, Ông/Bà bấm «Xong».",
        vec![button("Xong", &Payload::ContentDone), back_button()],
    )
}

/// A part of the description was received.
pub fn content_received(items: usize, max: u32) -> OutboundMessage {
    buttons(
        format!("Đã ghi nhận ({items}/{max}). Ông/Bà có thể gửi thêm nội dung, ảnh hoặc vị trí; gửi xong, bấm «Xong»."),
        intake_buttons(true),
    )
}

/// What a shared location is called.
pub const LOCATION: &str = "vị trí";

/// A shared location given as the place of a complaint, when Zalo sent no place name.
pub fn location_as_place(latitude: f64, longitude: f64) -> String {
    format!("vị trí đã gửi ({latitude:.6}, {longitude:.6})")
}

/// What a kind of media is called.
pub fn media_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "ảnh",
        MediaKind::Gif => "ảnh động",
        MediaKind::File => "tệp",
        MediaKind::Video => "video",
        MediaKind::Audio => "tin nhắn thoại",
        MediaKind::Link => "đường liên kết",
    }
}

/// An attachment was added to the complaint.
pub fn attachment_received(what: &str, items: usize, max: u32) -> OutboundMessage {
    buttons(
        format!("Đã nhận {what} ({items}/{max}). Ông/Bà gửi tiếp nếu còn; gửi xong, bấm «Xong»."),
        intake_buttons(true),
    )
}

/// An attachment added at a later step (the question is asked again after it).
pub fn attachment_added(what: &str) -> OutboundMessage {
    OutboundMessage::text(format!("Đã thêm {what} vào phản ánh."))
}

/// The complaint holds as many messages and attachments as allowed.
pub fn complaint_full(max: u32) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Phản ánh đã có đủ {max} tin nhắn và tệp đính kèm, là mức tối đa cho một phản ánh. Chúng tôi chuyển sang bước tiếp theo."
    ))
}

/// An attachment that no longer fits.
pub fn attachment_not_added(max: u32) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Phản ánh đã có đủ {max} tin nhắn và tệp đính kèm nên không thêm được nữa. Nếu cần gửi thêm, Ông/Bà có thể \
         gửi một phản ánh khác sau khi gửi phản ánh này."
    ))
}

/// "Xong" before any description.
pub fn content_needed() -> OutboundMessage {
    buttons(
        "Ông/Bà chưa mô tả nội dung phản ánh. Vui lòng gõ vài dòng cho biết sự việc (ảnh, tệp đã gửi vẫn được giữ).",
        intake_buttons(false),
    )
}

/// A sticker while writing the description.
pub fn sticker_in_intake() -> OutboundMessage {
    buttons(
        "Chúng tôi đã nhận nhãn dán. Ông/Bà vui lòng gõ nội dung, hoặc bấm «Xong» nếu đã gửi đủ.",
        intake_buttons(true),
    )
}

/// Optional question: place or agency concerned.
pub fn place_prompt() -> OutboundMessage {
    buttons(
        "Phản ánh liên quan đến cơ quan, địa điểm nào (ví dụ: UBND xã, phường nơi Ông/Bà làm thủ tục)? Ông/Bà có \
         thể gõ tên hoặc gửi vị trí. Nếu không có, bấm «Bỏ qua».",
        vec![button("Bỏ qua", &Payload::SkipPlace), back_button(), cancel_button()],
    )
}

/// Optional question: procedure concerned.
pub fn procedure_prompt() -> OutboundMessage {
    buttons(
        "Phản ánh liên quan đến thủ tục hành chính nào (ví dụ: đăng ký khai sinh, cấp giấy phép xây dựng)? Nếu không \
         có, bấm «Bỏ qua».",
        vec![button("Bỏ qua", &Payload::SkipProcedure), back_button(), cancel_button()],
    )
}

/// The personal-data notice and the consent question (version `settings.consent_text_version`).
pub fn consent_prompt(catalogue: &Catalogue, settings: &BotSettings) -> OutboundMessage {
    buttons(
        format!(
            "Đồng ý xử lý dữ liệu cá nhân\n\
             Để tiếp nhận và giải quyết phản ánh, {controller} (bên kiểm soát dữ liệu) cần xử lý họ tên, số điện \
             thoại, tài khoản Zalo của Ông/Bà và nội dung, ảnh, tệp Ông/Bà gửi.\n\
             • Mục đích: chỉ để tiếp nhận, chuyển cơ quan có thẩm quyền giải quyết, liên hệ và trả lời Ông/Bà về \
             phản ánh này.\n\
             • Bên nhận: cơ quan được giao giải quyết phản ánh; Tổ Kiểm tra đột xuất của tỉnh nếu phản ánh về cán \
             bộ, công chức.\n\
             • Thời gian lưu: {retention}.\n\
             • Quyền của Ông/Bà: được biết, xem, sửa, xóa dữ liệu; rút lại sự đồng ý; hạn chế hoặc phản đối việc \
             xử lý; khiếu nại — liên hệ tổng đài {hotline}.\n\
             Ông/Bà có đồng ý không? Nếu không đồng ý, Ông/Bà vẫn gửi được phản ánh nhưng không kèm thông tin cá \
             nhân. (Mẫu thông báo {version})",
            controller = settings.data_controller,
            retention = settings.data_retention,
            hotline = display_phone(catalogue.hotline()),
            version = settings.consent_text_version,
        ),
        vec![button("Đồng ý", &Payload::ConsentGiven), button("Không đồng ý", &Payload::ConsentRefused), back_button()],
    )
}

/// The consent question was not answered with yes or no.
pub fn consent_unclear() -> OutboundMessage {
    buttons(
        "Ông/Bà vui lòng bấm «Đồng ý» hoặc «Không đồng ý» (hoặc gõ «đồng ý» / «không»).",
        vec![button("Đồng ý", &Payload::ConsentGiven), button("Không đồng ý", &Payload::ConsentRefused), back_button()],
    )
}

/// What refusing consent means.
pub fn consent_refused() -> OutboundMessage {
    OutboundMessage::text(
        "Chúng tôi tôn trọng lựa chọn của Ông/Bà và sẽ không thu thập họ tên, số điện thoại. Lưu ý: theo quy định, \
         phản ánh, kiến nghị phải có họ tên và thông tin liên hệ của người gửi, nên phản ánh này chỉ được ghi nhận \
         làm thông tin tham khảo, không được xem xét, trả lời chính thức. Ông/Bà có thể đổi ý bằng nút «Sửa» → \
         «Người gửi» ở bước xác nhận.",
    )
}

/// Ask for name and phone: Zalo's form, or typing.
pub fn name_prompt(settings: &BotSettings) -> Vec<OutboundMessage> {
    vec![
        OutboundMessage::RequestUserInfo {
            title: "Thông tin người gửi phản ánh".to_owned(),
            subtitle: "Bấm vào đây để gửi họ tên và số điện thoại đã đăng ký với Zalo".to_owned(),
            image_url: settings.user_info_image_url.clone(),
        },
        buttons(
            "Ông/Bà bấm vào mẫu ở trên để gửi họ tên và số điện thoại, hoặc gõ họ tên của mình (ví dụ: Nguyễn Văn An).",
            vec![back_button(), cancel_button()],
        ),
    ]
}

/// The typed name is not usable.
pub fn invalid_name() -> OutboundMessage {
    buttons(
        "Họ tên chưa hợp lệ. Ông/Bà vui lòng gõ họ và tên bằng chữ (ví dụ: Nguyễn Văn An), không quá 100 ký tự.",
        vec![back_button(), cancel_button()],
    )
}

/// Ask for the mobile number (thanking the citizen by name when known).
pub fn phone_prompt(name: Option<&str>) -> OutboundMessage {
    let thanks = name.map_or_else(|| "Cảm ơn Ông/Bà.".to_owned(), |name| format!("Cảm ơn Ông/Bà {name}."));
    buttons(
        format!("{thanks} Ông/Bà vui lòng gõ số điện thoại di động để cơ quan liên hệ khi cần (ví dụ: 0912 345 678)."),
        vec![back_button(), cancel_button()],
    )
}

/// The number is not a Vietnamese mobile number; `reason` is `crate::zalo::phone::PhoneError`'s text.
pub fn invalid_phone(reason: &str) -> OutboundMessage {
    buttons(
        format!("Số điện thoại chưa đúng: {reason} Ông/Bà vui lòng gõ lại số di động (ví dụ: 0912 345 678)."),
        vec![back_button(), cancel_button()],
    )
}

/// The number in Zalo's form cannot be used.
pub fn form_phone_unusable(reason: Option<&str>) -> OutboundMessage {
    let why = reason.map_or_else(|| "mẫu không có số điện thoại.".to_owned(), str::to_owned);
    buttons(
        format!(
            "Chúng tôi đã nhận thông tin từ Zalo nhưng chưa dùng được số điện thoại ({}). Ông/Bà vui lòng gõ số di \
             động (ví dụ: 0912 345 678).",
            why.trim_end_matches('.')
        ),
        vec![back_button(), cancel_button()],
    )
}

/// The form arrived when it was not asked for.
pub fn info_not_needed() -> OutboundMessage {
    OutboundMessage::text(
        "Cảm ơn Ông/Bà. Họ tên, số điện thoại chỉ cần khi gửi phản ánh, nên chúng tôi không lưu thông tin vừa gửi.",
    )
}

fn evidence_summary(evidence: &[Evidence]) -> String {
    let count = |wanted: fn(&Evidence) -> bool| evidence.iter().filter(|item| wanted(item)).count();
    let parts: Vec<String> = [
        (count(|e| matches!(e, Evidence::Image { .. })), "ảnh"),
        (count(|e| matches!(e, Evidence::File { .. })), "tệp"),
        (count(|e| matches!(e, Evidence::Video { .. })), "video"),
        (count(|e| matches!(e, Evidence::Audio { .. })), "tin nhắn thoại"),
        (count(|e| matches!(e, Evidence::Link { .. })), "đường liên kết"),
        (count(|e| matches!(e, Evidence::Location { .. })), "vị trí"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect();
    if parts.is_empty() {
        "không có".to_owned()
    } else {
        parts.join(", ")
    }
}

fn sender_line(draft: &ComplaintDraft) -> String {
    match (&draft.consent, &draft.citizen_name, &draft.phone) {
        (Consent::Given { .. }, Some(name), Some(phone)) => format!("{name} – {}", display_phone(phone)),
        (Consent::Given { .. }, Some(name), None) => name.clone(),
        (Consent::Refused { .. }, _, _) => {
            "không cung cấp (Ông/Bà không đồng ý xử lý dữ liệu cá nhân; phản ánh chỉ dùng để tham khảo)".to_owned()
        }
        _ => "chưa có".to_owned(),
    }
}

/// Notes before the summary: misconduct is welcome; a khiếu nại / tố cáo has its own channel.
pub fn content_notes(notes: ContentNotes) -> Vec<OutboundMessage> {
    let mut messages = Vec::new();
    if notes.misconduct {
        messages.push(OutboundMessage::text(
            "Phản ánh có nêu hành vi nhũng nhiễu, tiêu cực của cán bộ, công chức. Cảm ơn Ông/Bà đã mạnh dạn phản \
             ánh: ngoài cơ quan phụ trách, phản ánh sẽ được chuyển đến Tổ Kiểm tra đột xuất của tỉnh để xem xét.",
        ));
    }
    if notes.complaint_or_denunciation {
        messages.push(OutboundMessage::text(
            "Lưu ý: nếu Ông/Bà muốn khiếu nại (cho rằng một quyết định hoặc hành vi hành chính là trái pháp luật, \
             xâm phạm quyền lợi của mình) hoặc tố cáo hành vi vi phạm pháp luật, thì đây không phải là phản ánh, \
             kiến nghị mà được giải quyết theo Luật Khiếu nại, Luật Tố cáo. Ông/Bà cần gửi đơn (ghi rõ họ tên, \
             địa chỉ, nội dung, có chữ ký) hoặc đến trình bày trực tiếp: khiếu nại gửi người đã ra quyết định hoặc \
             cơ quan có người có hành vi đó; tố cáo gửi cơ quan quản lý người bị tố cáo; hoặc đến Ban Tiếp công dân \
             của tỉnh để được hướng dẫn. Nội dung Ông/Bà gửi ở đây vẫn được ghi nhận và chuyển cơ quan liên quan \
             xem xét.",
        ));
    }
    messages
}

/// The complaint as it will be filed, with Send / Edit / Cancel.
pub fn summary(catalogue: &Catalogue, intake: &Intake) -> OutboundMessage {
    let draft = &intake.draft;
    let number = draft.branch;
    let text = format!(
        "Ông/Bà vui lòng kiểm tra lại phản ánh:\n\
         • Lĩnh vực: {} ({})\n\
         • Nội dung: {}\n\
         • Đính kèm: {}\n\
         • Cơ quan, địa điểm: {}\n\
         • Thủ tục: {}\n\
         • Người gửi: {}\n\
         Nếu đúng, Ông/Bà bấm «Gửi phản ánh».",
        branch_label(catalogue, number),
        department_name(catalogue, number),
        shorten(&draft.content_text(), SUMMARY_CONTENT_CHARS),
        evidence_summary(&draft.evidence),
        draft.place.as_deref().unwrap_or("không nêu"),
        draft.procedure.as_deref().unwrap_or("không nêu"),
        sender_line(draft),
    );
    buttons(
        text,
        vec![
            button("Gửi phản ánh", &Payload::Submit(intake.draft_id())),
            button("Sửa", &Payload::Edit),
            cancel_button(),
        ],
    )
}

/// The summary is waiting for Send, Edit or Cancel.
pub fn summary_unclear(intake: &Intake) -> OutboundMessage {
    buttons(
        "Ông/Bà vui lòng bấm «Gửi phản ánh» để gửi, «Sửa» để sửa hoặc «Hủy» để hủy.",
        vec![
            button("Gửi phản ánh", &Payload::Submit(intake.draft_id())),
            button("Sửa", &Payload::Edit),
            cancel_button(),
        ],
    )
}

/// Which part to change?
pub fn edit_choice() -> OutboundMessage {
    buttons(
        "Ông/Bà muốn sửa phần nào?",
        vec![
            button("Nội dung", &Payload::EditPart(EditPart::Content)),
            button("Cơ quan, địa điểm", &Payload::EditPart(EditPart::Place)),
            button("Thủ tục", &Payload::EditPart(EditPart::Procedure)),
            button("Người gửi", &Payload::EditPart(EditPart::Sender)),
            back_button(),
        ],
    )
}

/// "Drop the complaint being written?"
pub fn discard_question(draft_id: i64) -> OutboundMessage {
    buttons(
        "Ông/Bà có chắc muốn bỏ phản ánh đang soạn không? Nội dung đã nhập sẽ bị xóa.",
        vec![button("Bỏ phản ánh", &Payload::DiscardDraft(draft_id)), button("Giữ lại", &Payload::KeepDraft)],
    )
}

/// The draft was dropped.
pub fn discarded() -> OutboundMessage {
    OutboundMessage::text("Đã bỏ phản ánh đang soạn.")
}

/// The draft is resumed.
pub fn resuming() -> OutboundMessage {
    OutboundMessage::text("Chúng ta tiếp tục phản ánh đang soạn.")
}

/// A menu button was tapped while a complaint is being written.
pub fn finish_complaint_first() -> OutboundMessage {
    OutboundMessage::text(
        "Ông/Bà đang soạn phản ánh. Vui lòng hoàn tất (hoặc bấm «Hủy») trước; gõ «menu» để tạm dừng và về menu chính.",
    )
}

/// The draft is kept while the citizen goes to the menu.
pub fn draft_kept() -> OutboundMessage {
    OutboundMessage::text("Phản ánh đang soạn được giữ lại; Ông/Bà có thể tiếp tục từ menu chính.")
}

/// The complaint was filed (sent by the service after `Effect::FileComplaint`). `due_date` is
/// the local date it must be answered by; `formally_processable` is false when the citizen
/// refused the personal-data consent.
pub fn complaint_filed(code: &str, due_date: Option<NaiveDate>, formally_processable: bool) -> OutboundMessage {
    let mut lines = vec![format!("Phản ánh của Ông/Bà đã được tiếp nhận. Mã phản ánh: {code}")];
    if formally_processable {
        if let Some(due) = due_date {
            lines.push(format!("Hạn trả lời: {} (tính theo ngày làm việc).", date_with_weekday(due)));
        }
        lines.push("Kết quả giải quyết sẽ được gửi đến Ông/Bà qua Zalo này.".to_owned());
    } else {
        lines.push("Phản ánh được ghi nhận làm thông tin tham khảo và không có trả lời chính thức.".to_owned());
    }
    lines.push(
        "Ông/Bà dùng mã trên để tra cứu tình trạng. Cảm ơn Ông/Bà đã góp ý để cải cách hành chính tốt hơn!".to_owned(),
    );
    buttons(lines.join("\n"), vec![button("Tra cứu", &Payload::Lookup(Some(code.to_owned()))), menu_button()])
}

// ---------------------------------------------------------------------------------------------
// Talking to an officer

/// The chat with an officer starts; `opens_at` is set outside office hours.
pub fn handoff_started(
    catalogue: &Catalogue,
    number: u8,
    opens_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
) -> OutboundMessage {
    let department = department_name(catalogue, number);
    let when = match opens_at {
        None => "Cán bộ sẽ trả lời Ông/Bà ngay tại đây trong giờ làm việc.".to_owned(),
        Some(at) => {
            format!("Hiện đang ngoài giờ làm việc; cán bộ sẽ trả lời Ông/Bà từ {}.", opening_time(at, now, tz))
        }
    };
    buttons(
        format!(
            "Chúng tôi đã chuyển Ông/Bà đến cán bộ {department} ({}). Ông/Bà cứ nhắn nội dung cần trao đổi, có thể \
             kèm ảnh, tệp. {when}\nĐể quay lại trợ lý tự động, gõ «kết thúc».",
            branch_label(catalogue, number)
        ),
        vec![button("Kết thúc trò chuyện", &Payload::EndHandoff)],
    )
}

/// "End the chat with the officer?"
pub fn handoff_confirm_end() -> OutboundMessage {
    buttons(
        "Ông/Bà muốn kết thúc trò chuyện với cán bộ và quay lại trợ lý tự động?",
        vec![button("Kết thúc", &Payload::EndHandoff), button("Tiếp tục trò chuyện", &Payload::ContinueHandoff)],
    )
}

/// The citizen keeps chatting.
pub fn handoff_continues() -> OutboundMessage {
    OutboundMessage::text("Ông/Bà tiếp tục nhắn tin, cán bộ sẽ trả lời tại đây.")
}

/// The citizen ended the chat.
pub fn handoff_ended_by_citizen() -> OutboundMessage {
    OutboundMessage::text("Đã kết thúc trò chuyện với cán bộ. Cảm ơn Ông/Bà!")
}

/// The officer ended the chat.
pub fn handoff_ended_by_officer() -> OutboundMessage {
    buttons(
        "Cán bộ đã kết thúc cuộc trò chuyện. Cảm ơn Ông/Bà đã liên hệ! Nếu cần hỗ trợ thêm, Ông/Bà gõ «menu» hoặc bấm nút bên dưới.",
        vec![menu_button()],
    )
}

/// Reminder that messages go to an officer (after a long pause, or an old button tapped).
pub fn handoff_reminder(catalogue: &Catalogue, number: u8) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Ông/Bà đang trò chuyện với cán bộ {}; tin nhắn của Ông/Bà được chuyển đến cán bộ. Để quay lại trợ lý tự \
         động, gõ «kết thúc».",
        department_name(catalogue, number)
    ))
}

// ---------------------------------------------------------------------------------------------
// Other messages

/// A sticker outside a complaint or a chat.
pub fn sticker_reply() -> OutboundMessage {
    buttons(
        "Cảm ơn Ông/Bà! Ông/Bà cần hỗ trợ gì, vui lòng gõ nội dung hoặc bấm «Menu chính» để xem các lựa chọn.",
        vec![menu_button()],
    )
}

/// Media outside a complaint or a chat.
pub fn media_reply(kind: MediaKind) -> OutboundMessage {
    let name = media_name(kind);
    let extra = if kind == MediaKind::Audio {
        " Trợ lý tự động chưa nghe được tin nhắn thoại, Ông/Bà vui lòng gõ chữ."
    } else {
        ""
    };
    buttons(
        format!(
            "Chúng tôi đã nhận {name} Ông/Bà gửi.{extra} Nếu đây là bằng chứng cho một phản ánh, Ông/Bà bấm «Gửi \
             phản ánh» rồi gửi lại ở bước mô tả sự việc."
        ),
        vec![button("Gửi phản ánh", &Payload::Complaint(None)), menu_button()],
    )
}

/// A location outside a complaint or a chat.
pub fn location_reply() -> OutboundMessage {
    buttons(
        "Chúng tôi đã nhận vị trí Ông/Bà gửi. Vị trí được dùng khi gửi phản ánh: Ông/Bà bấm «Gửi phản ánh» rồi gửi \
         lại vị trí ở bước mô tả sự việc.",
        vec![button("Gửi phản ánh", &Payload::Complaint(None)), menu_button()],
    )
}

/// A message the bot cannot read (a contact card…).
pub fn unsupported_reply() -> OutboundMessage {
    buttons(
        "Xin lỗi, trợ lý tự động chưa đọc được loại tin nhắn này. Ông/Bà vui lòng gõ nội dung cần hỗ trợ.",
        vec![menu_button()],
    )
}

/// Too many messages in a short time (sent once per window).
pub fn rate_limited(window: Duration) -> OutboundMessage {
    OutboundMessage::text(format!(
        "Ông/Bà đang gửi nhiều tin nhắn trong thời gian ngắn. Vui lòng chờ khoảng {} rồi gửi tiếp; các tin nhắn gửi \
         trong lúc này sẽ không được xử lý.",
        duration_words(window)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::catalogue::default_catalogue;

    fn catalogue() -> Catalogue {
        default_catalogue().expect("default catalogue")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn phones_dates_and_durations_read_naturally() {
        assert_eq!(display_phone("0939015599"), "0939 015 599");
        assert_eq!(display_phone("84912345678"), "0912 345 678");
        assert_eq!(display_phone("1900 1234"), "1900 1234");
        let monday = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        assert_eq!(date_with_weekday(monday), "thứ Hai, 05/01/2026");
        assert_eq!(weekday_name(Weekday::Sun), "Chủ nhật");
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        // Monday 05/01/2026 10:00 local = 03:00 UTC.
        let now = utc("2026-01-05T03:00:00Z");
        assert_eq!(opening_time(utc("2026-01-05T06:30:00Z"), now, tz), "13:30 hôm nay (thứ Hai, 05/01/2026)");
        assert_eq!(opening_time(utc("2026-01-06T00:00:00Z"), now, tz), "07:00 ngày mai (thứ Ba, 06/01/2026)");
        assert_eq!(opening_time(utc("2026-01-12T00:00:00Z"), now, tz), "07:00 thứ Hai, 12/01/2026");
        assert_eq!(duration_words(Duration::minutes(30)), "30 phút");
        assert_eq!(duration_words(Duration::minutes(90)), "1 giờ 30 phút");
        assert_eq!(duration_words(Duration::days(2)), "2 ngày");
        assert_eq!(duration_words(Duration::seconds(45)), "45 giây");
        assert_eq!(duration_words(Duration::zero()), "vài giây");
    }

    #[test]
    fn shortening_cuts_at_words() {
        assert_eq!(shorten("ngắn", 10), "ngắn");
        assert_eq!(shorten("Tư vấn, hướng dẫn cho các Sở, ngành", 20), "Tư vấn, hướng dẫn…");
        assert_eq!(concise_duty("Tư vấn cho các Sở; hướng dẫn nghiệp vụ"), "Tư vấn cho các Sở");
    }

    #[test]
    fn the_main_menu_lists_every_branch_and_has_a_button_for_each() {
        let catalogue = catalogue();
        let messages = main_menu(&catalogue);
        assert_eq!(messages.len(), 2);
        let mut payloads = Vec::new();
        for message in &messages {
            let OutboundMessage::Buttons { buttons, .. } = message else { panic!("buttons expected: {message:?}") };
            assert!(buttons.len() <= MAX_BUTTONS);
            for button in buttons {
                assert!(button.title.chars().count() <= 100);
                if let OutAction::Query(payload) = &button.action {
                    payloads.push(payload.clone());
                }
            }
        }
        for number in 1..=8 {
            assert!(payloads.contains(&format!("#nhanh:{number}")), "{number}: {payloads:?}");
            let branch = catalogue.branch(number).expect("branch");
            assert!(messages[0].display_text().contains(&format!("{number}. {}", branch.title)));
        }
        assert!(payloads.contains(&"#tracuu".to_owned()));
    }

    #[test]
    fn branch_menus_fit_a_phone_and_offer_the_four_actions_and_a_call() {
        let catalogue = catalogue();
        for number in 1..=8 {
            let OutboundMessage::Buttons { text, buttons } = branch_menu(&catalogue, number) else { panic!("buttons") };
            assert!(text.chars().count() < 900, "branch {number}: {} characters", text.chars().count());
            assert_eq!(buttons.len(), 5);
            assert!(matches!(&buttons[3].action, OutAction::Call(phone) if phone == "0939015599"));
            assert_eq!(buttons[4].action, OutAction::Query("#menu".into()));
        }
    }

    #[test]
    fn the_consent_notice_names_purpose_data_controller_rights_and_retention() {
        let catalogue = catalogue();
        let settings = BotSettings::default();
        let text = consent_prompt(&catalogue, &settings).display_text();
        for expected in [
            "Mục đích",
            "họ tên, số điện thoại",
            "Văn phòng Ủy ban nhân dân tỉnh Hậu Giang",
            "Quyền của Ông/Bà",
            "rút lại sự đồng ý",
            "Thời gian lưu: 36 tháng",
            "2026-01",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text}");
        }
        assert!(text.chars().count() < 1200);
    }

    #[test]
    fn messages_the_service_sends() {
        let due = NaiveDate::from_ymd_opt(2026, 1, 20).expect("date");
        let filed = complaint_filed("PA-2026-7K3Q9X", Some(due), true).display_text();
        assert!(filed.contains("PA-2026-7K3Q9X") && filed.contains("thứ Ba, 20/01/2026"), "{filed}");
        let reference = complaint_filed("PA-2026-7K3Q9X", Some(due), false).display_text();
        assert!(reference.contains("tham khảo") && !reference.contains("20/01/2026"), "{reference}");
        let view = TicketStatusView {
            code: "PA-2026-7K3Q9X",
            status: "Đang xử lý",
            department: "Sở Tài chính",
            received_on: NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
            due_on: Some(due),
            answer: None,
        };
        let status = ticket_status(&view).display_text();
        assert!(status.contains("Đang xử lý") && status.contains("05/01/2026") && status.contains("Sở Tài chính"));
        assert!(ticket_not_found("PA-2026-AAAAAA").display_text().contains("PA-2026-AAAAAA"));
    }
}

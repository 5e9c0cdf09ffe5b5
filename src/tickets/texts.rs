//! What the service says about tickets, in Vietnamese with diacritics: messages to citizens
//! (confirmation, answer, forwarding, rejection, closing, lookup) and console notifications.
//! Citizens are addressed as "Ông/Bà", as in the province's other messages.

use chrono::NaiveDate;

use super::model::{Category, OutOfScope};
use super::status::TicketStatus;

/// `05/03/2026`.
pub fn date_vi(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Why a khiếu nại / tố cáo is not handled as PAKN, and where to send it.
pub fn out_of_scope_notice(kind: OutOfScope) -> String {
    let (what, law, proper) = match kind {
        OutOfScope::Complaint => (
            "khiếu nại",
            "Luật Khiếu nại năm 2011",
            "gửi đơn khiếu nại đến cơ quan, người đã ban hành quyết định hoặc có hành vi bị khiếu nại",
        ),
        OutOfScope::Denunciation => (
            "tố cáo",
            "Luật Tố cáo năm 2018",
            "gửi đơn tố cáo (ghi rõ họ tên, địa chỉ, nội dung và chứng cứ) đến cơ quan, người có thẩm quyền giải quyết tố cáo",
        ),
    };
    format!(
        "Lưu ý: nội dung Ông/Bà gửi có dấu hiệu là {what}. Theo Nghị định 20/2008/NĐ-CP, {what} không thuộc \
         phạm vi tiếp nhận phản ánh, kiến nghị về quy định hành chính, nên ý kiến được ghi nhận nhưng không \
         được giải quyết theo thủ tục này. Để được giải quyết theo {law}, đề nghị Ông/Bà {proper}, hoặc liên \
         hệ Ban Tiếp công dân của tỉnh."
    )
}

/// Said when consent to personal-data processing was refused or not given.
pub const NOT_PROCESSABLE_NOTICE: &str = "Vì Ông/Bà chưa đồng ý cho phép xử lý thông tin cá nhân, ý kiến được ghi \
nhận để cơ quan tham khảo nhưng không được xử lý và trả lời chính thức (Nghị định 20/2008/NĐ-CP yêu cầu phản ánh, \
kiến nghị ghi rõ họ tên và thông tin liên hệ của người gửi). Họ tên và số điện thoại của Ông/Bà không được lưu.";

/// The confirmation a citizen gets when a complaint is filed.
pub fn filed_confirmation(
    code: &str,
    department_name: &str,
    due: Option<NaiveDate>,
    misconduct: bool,
    out_of_scope: Option<OutOfScope>,
) -> String {
    let mut lines = Vec::new();
    match due {
        Some(due) => {
            lines.push(format!(
                "Phản ánh, kiến nghị của Ông/Bà đã được tiếp nhận với mã số {code} và chuyển đến {department_name} \
                 xử lý. Thời hạn trả lời: chậm nhất ngày {}.",
                date_vi(due)
            ));
        }
        None => lines.push(format!("Ý kiến của Ông/Bà đã được ghi nhận với mã số {code}.")),
    }
    if misconduct && due.is_some() {
        lines.push(
            "Nội dung phản ánh về hành vi của cán bộ, công chức được chuyển thêm đến Tổ Kiểm tra đột xuất của tỉnh."
                .into(),
        );
    }
    if let Some(kind) = out_of_scope {
        lines.push(out_of_scope_notice(kind));
    }
    if due.is_none() {
        lines.push(NOT_PROCESSABLE_NOTICE.into());
    }
    lines.push(format!(
        "Ông/Bà có thể tra cứu tình trạng xử lý bất cứ lúc nào bằng cách gửi mã số {code} cho tổng đài."
    ));
    lines.join("\n\n")
}

/// The answer sent to the citizen.
pub fn reply_message(code: &str, department_name: &str, answer: &str) -> String {
    format!(
        "{department_name} trả lời phản ánh, kiến nghị mã số {code} của Ông/Bà:\n\n{}\n\nTrân trọng cảm ơn Ông/Bà đã \
         gửi ý kiến.",
        answer.trim()
    )
}

/// Told when the ticket is forwarded to another department.
pub fn forwarded_message(code: &str, department_name: &str, due: Option<NaiveDate>) -> String {
    let due_text = due.map(|d| format!(" Thời hạn trả lời mới: chậm nhất ngày {}.", date_vi(d))).unwrap_or_default();
    format!(
        "Phản ánh, kiến nghị mã số {code} của Ông/Bà đã được chuyển đến {department_name} để xử lý theo thẩm quyền.{due_text}"
    )
}

/// Told when the ticket is rejected.
pub fn rejected_message(code: &str, reason: &str) -> String {
    format!("Phản ánh, kiến nghị mã số {code} của Ông/Bà không được tiếp nhận xử lý. Lý do: {}", reason.trim())
}

/// Told when the ticket is closed.
pub fn closed_message(code: &str) -> String {
    format!(
        "Phản ánh, kiến nghị mã số {code} của Ông/Bà đã được xử lý xong và kết thúc. Trân trọng cảm ơn Ông/Bà đã \
         đóng góp ý kiến."
    )
}

/// Said for a code that is unknown, malformed or someone else's (the three look the same).
pub fn lookup_not_found(typed: &str) -> String {
    format!(
        "Không tìm thấy phản ánh, kiến nghị nào của Ông/Bà với mã số \"{}\". Đề nghị Ông/Bà kiểm tra lại mã \
         (dạng PA-2026-K7M3QX).",
        typed.trim()
    )
}

/// The lookup answer.
pub fn lookup_message(
    code: &str,
    status: TicketStatus,
    received: NaiveDate,
    department_name: &str,
    due: Option<NaiveDate>,
    answer: Option<&str>,
    rejection_reason: Option<&str>,
) -> String {
    let mut lines = vec![
        format!("Phản ánh, kiến nghị mã số {code}"),
        format!("Ngày tiếp nhận: {}", date_vi(received)),
        format!("Cơ quan xử lý: {department_name}"),
        format!("Tình trạng: {}", status.label_vi()),
    ];
    if let (Some(due), true) = (due, status.is_open()) {
        lines.push(format!("Thời hạn trả lời: chậm nhất ngày {}", date_vi(due)));
    }
    if let Some(reason) = rejection_reason.filter(|_| status == TicketStatus::Rejected) {
        lines.push(format!("Lý do: {reason}"));
    }
    if let Some(answer) = answer.filter(|_| matches!(status, TicketStatus::Answered | TicketStatus::Closed)) {
        lines.push(format!("Nội dung trả lời:\n{answer}"));
    }
    lines.join("\n")
}

/// At most `max` characters, cut at a word boundary with "…".
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => cut[..space].to_owned(),
        _ => cut,
    };
    format!("{cut}…")
}

/// Console notification: a new ticket for the department.
pub fn notify_new_ticket(code: &str, branch: u8, category: Category, content: &str) -> String {
    format!("Phản ánh mới {code} (nhánh {branch}, {}): {}", category.label_vi(), shorten(content, 160))
}

/// Console notification: a misconduct report for the inspection team.
pub fn notify_misconduct(code: &str, department_name: &str, content: &str) -> String {
    format!("Phản ánh về hành vi cán bộ {code} (cơ quan xử lý: {department_name}): {}", shorten(content, 160))
}

/// Console notification: a ticket forwarded to the department.
pub fn notify_forwarded_in(code: &str, from_name: &str, reason: &str, due: Option<NaiveDate>) -> String {
    let due_text = due.map(|d| format!(" Hạn trả lời: {}.", date_vi(d))).unwrap_or_default();
    format!("{from_name} chuyển phản ánh {code} đến đơn vị. Lý do: {}.{due_text}", reason.trim().trim_end_matches('.'))
}

/// Console notification: the deadline is near.
pub fn notify_reminder(code: &str, due: NaiveDate) -> String {
    format!("Nhắc hạn: phản ánh {code} phải được trả lời chậm nhất ngày {}.", date_vi(due))
}

/// Console notification: overdue, escalated to the coordinating department.
pub fn notify_escalation(code: &str, department_name: &str, due: NaiveDate) -> String {
    format!(
        "Quá hạn: phản ánh {code} do {department_name} xử lý đã quá hạn trả lời ngày {}; chuyển đơn vị đầu mối theo dõi, đôn đốc.",
        date_vi(due)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("ngắn", 10), "ngắn");
        assert_eq!(shorten("một hai ba bốn năm sáu", 12), "một hai ba…");
        assert_eq!(shorten("  nhiều   khoảng   trắng ", 50), "nhiều khoảng trắng");
    }

    #[test]
    fn the_confirmation_says_what_matters() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 5).expect("date");
        let text = filed_confirmation("PA-2026-K7M3QX", "Sở Tư pháp", Some(due), true, None);
        assert!(text.contains("PA-2026-K7M3QX") && text.contains("Sở Tư pháp") && text.contains("05/03/2026"));
        assert!(text.contains("Tổ Kiểm tra đột xuất"));
        let text = filed_confirmation("PA-2026-K7M3QX", "Sở Tư pháp", None, false, Some(OutOfScope::Complaint));
        assert!(text.contains("khiếu nại") && text.contains("Luật Khiếu nại") && text.contains("không được lưu"));
        assert!(!text.contains("Thời hạn"));
    }
}

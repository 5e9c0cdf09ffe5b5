//! What a survey send says: the first message (greeting, the signed web-form link, the first chat
//! question with its buttons), the single reminder, the rating-template fallback, and the opt-out
//! confirmation. Vietnamese, with diacritics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::chat::ChatSurvey;
use super::model::Dossier;
use crate::zalo::outbound::{OutboundMessage, SendRequest, TemplateFallback, TemplatePurpose, Unreachable};

/// `purpose` of survey sends (logs, console).
pub const SEND_PURPOSE: &str = "survey";
/// Parameters of the survey template (must match the template registered with Zalo).
pub const TEMPLATE_CITIZEN_NAME: &str = "citizen_name";
pub const TEMPLATE_PROCEDURE_NAME: &str = "procedure_name";
pub const TEMPLATE_LINK: &str = "link";

/// Confirmation sent when a citizen opts out.
pub const OPT_OUT_CONFIRMATION: &str = "Đã ghi nhận: Ông/Bà sẽ không nhận khảo sát mức độ hài lòng nữa. Các khảo sát đang chờ gửi đã được hủy. Ông/Bà vẫn có thể nhắn tin cho tổng đài như bình thường.";

/// Which send of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKind {
    First,
    Reminder,
}

impl SendKind {
    /// The job's unique key: a dossier's survey is sent once and reminded once, whatever happens.
    pub fn unique_key(self, instance_id: i64) -> String {
        match self {
            Self::First => format!("survey:{instance_id}:first"),
            Self::Reminder => format!("survey:{instance_id}:reminder"),
        }
    }
}

/// Everything a survey send needs.
#[derive(Debug, Clone, Copy)]
pub struct SendContent<'a> {
    pub chat: ChatSurvey<'a>,
    pub dossier: &'a Dossier,
    pub token: &'a str,
    pub zalo_user_id: Option<&'a str>,
    pub phone: Option<&'a str>,
    /// The signed web-form link.
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    pub time_zone: Tz,
}

impl SendContent<'_> {
    fn addressee(&self) -> String {
        self.dossier.citizen_name.clone().unwrap_or_else(|| "Ông/Bà".to_owned())
    }

    /// The chat message: greeting, link, opt-out hint and the first question with its buttons.
    pub fn message(&self, kind: SendKind) -> OutboundMessage {
        let deadline = self.expires_at.with_timezone(&self.time_zone).format("%d/%m/%Y");
        let question_count = self.chat.def.questions.len();
        let opening = match kind {
            SendKind::First => format!(
                "Kính gửi {},\nCảm ơn Ông/Bà đã thực hiện thủ tục \"{}\" tại {}. Xin Ông/Bà dành ít phút cho biết mức độ hài lòng ({question_count} câu, bấm nút hoặc gõ số từ 1 đến 5).",
                self.addressee(),
                self.dossier.procedure_name,
                self.dossier.agency_name
            ),
            SendKind::Reminder => format!(
                "Kính gửi {},\nTổng đài xin nhắc: Ông/Bà chưa cho biết mức độ hài lòng về thủ tục \"{}\" tại {}. Khảo sát nhận trả lời đến hết ngày {deadline}.",
                self.addressee(),
                self.dossier.procedure_name,
                self.dossier.agency_name
            ),
        };
        let lead = format!(
            "{opening}\nPhiếu đầy đủ trên web: {}\nNhắn \"dừng khảo sát\" nếu Ông/Bà không muốn nhận khảo sát.",
            self.link
        );
        match self.chat.first_step() {
            Some(step) => self.chat.ask(self.token, step, Some(&lead)),
            None => OutboundMessage::text(lead),
        }
    }

    /// The template used when the chat window is closed: citizen name, procedure name, link;
    /// `tracking_id` = the instance token (echoed in `user_feedback`).
    pub fn template(&self) -> TemplateFallback {
        let data = BTreeMap::from([
            (TEMPLATE_CITIZEN_NAME.to_owned(), self.addressee()),
            (TEMPLATE_PROCEDURE_NAME.to_owned(), self.dossier.procedure_name.clone()),
            (TEMPLATE_LINK.to_owned(), self.link.to_owned()),
        ]);
        TemplateFallback { purpose: TemplatePurpose::Survey, data, tracking_id: Some(self.token.to_owned()) }
    }

    /// The send job's payload.
    pub fn request(&self, kind: SendKind) -> SendRequest {
        SendRequest {
            user_id: self.zalo_user_id.map(str::to_owned),
            phone: self.phone.map(str::to_owned),
            message: self.message(kind),
            template: Some(self.template()),
            if_unreachable: Unreachable::Drop,
            purpose: SEND_PURPOSE.to_owned(),
            reference: Some(self.dossier.code.clone()),
            then: Vec::new(),
        }
    }
}

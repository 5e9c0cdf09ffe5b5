//! What the console shows of surveys: who may see it ([`access_for`]), the dossier list's
//! filter, survey counts by status, the opt-out list, and the store trait that answers them.
//! Contact data (names, phones, Zalo ids) is selected by the store only for [`DossierAccess::Full`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{AnswerChannel, DossierChannel, InstanceState, Level, SkipReason};
use crate::auth::users::{Principal, Role};
use crate::store::StoreResult;

/// How much of the survey data a console user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierAccess {
    /// Everything, citizens' names and phones included (each view audited); may import files
    /// and read the opt-out list.
    Full,
    /// Counts and dossiers without any contact data.
    FiguresOnly,
}

/// The survey pages a user may use, if any. Administrators and the coordinating office see
/// everything; viewers (leaders) without a department see figures. Dossiers carry the one-stop
/// system's agency codes, which do not map onto the branch catalogue's departments, so accounts
/// bound to a department (officers, a department's viewer) and inspectors see no survey pages.
pub fn access_for(principal: &Principal) -> Option<DossierAccess> {
    match (principal.role, &principal.department) {
        (Role::Admin | Role::Coordinator, _) => Some(DossierAccess::Full),
        (Role::Viewer, None) => Some(DossierAccess::FiguresOnly),
        (Role::Viewer | Role::Officer | Role::Inspector, _) => None,
    }
}

/// A dossier's survey as the console groups them: the instance states, plus "unreachable"
/// (sent, but no channel could deliver it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SurveyStatus {
    Scheduled,
    Skipped,
    Sent,
    Answering,
    Answered,
    Expired,
    /// Sent or expired with no delivered message: every attempt was undeliverable or failed.
    Unreachable,
}

impl SurveyStatus {
    pub const ALL: [Self; 7] =
        [Self::Scheduled, Self::Sent, Self::Answering, Self::Answered, Self::Expired, Self::Unreachable, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            other => other.state().map_or("", InstanceState::as_str),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The instance state this status is, if it is one.
    pub fn state(self) -> Option<InstanceState> {
        match self {
            Self::Scheduled => Some(InstanceState::Scheduled),
            Self::Skipped => Some(InstanceState::Skipped),
            Self::Sent => Some(InstanceState::Sent),
            Self::Answering => Some(InstanceState::Answering),
            Self::Answered => Some(InstanceState::Answered),
            Self::Expired => Some(InstanceState::Expired),
            Self::Unreachable => None,
        }
    }

    pub fn of_state(state: InstanceState) -> Self {
        match state {
            InstanceState::Scheduled => Self::Scheduled,
            InstanceState::Skipped => Self::Skipped,
            InstanceState::Sent => Self::Sent,
            InstanceState::Answering => Self::Answering,
            InstanceState::Answered => Self::Answered,
            InstanceState::Expired => Self::Expired,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Đã lên lịch gửi",
            Self::Skipped => "Không khảo sát",
            Self::Sent => "Đã gửi, chờ trả lời",
            Self::Answering => "Đang trả lời",
            Self::Answered => "Đã trả lời",
            Self::Expired => "Hết hạn, không trả lời",
            Self::Unreachable => "Không gửi được",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Scheduled => "Sẽ gửi vào khung giờ cho phép sau khi hồ sơ hoàn thành.",
            Self::Skipped => {
                "Không gửi: người dân từ chối, không có liên hệ, ngoài mẫu, hoặc đã được khảo sát gần đây."
            }
            Self::Sent => "Đã gửi qua Zalo, người dân chưa trả lời.",
            Self::Answering => "Người dân đã trả lời một phần trong cuộc trò chuyện.",
            Self::Answered => "Đã nhận đủ câu trả lời.",
            Self::Expired => "Hết thời hạn nhận trả lời.",
            Self::Unreachable => "Đến lượt gửi nhưng không kênh nào liên lạc được với người dân.",
        }
    }
}

/// The label of a skip reason.
pub fn skip_reason_label(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::NotSampled => "Ngoài mẫu khảo sát",
        SkipReason::NoContact => "Không có Zalo, số điện thoại",
        SkipReason::OptedOut => "Người dân từ chối khảo sát",
        SkipReason::FrequencyCap => "Đã khảo sát gần đây",
        SkipReason::TooOld => "Hồ sơ hoàn thành đã lâu",
    }
}

pub fn level_label(level: Level) -> &'static str {
    match level {
        Level::Tinh => "Cấp tỉnh",
        Level::Huyen => "Cấp huyện",
        Level::Xa => "Cấp xã",
    }
}

pub fn channel_label(channel: DossierChannel) -> &'static str {
    match channel {
        DossierChannel::TrucTiep => "Trực tiếp",
        DossierChannel::TrucTuyen => "Trực tuyến",
    }
}

pub fn answer_channel_label(channel: AnswerChannel) -> &'static str {
    match channel {
        AnswerChannel::Chat => "trò chuyện Zalo",
        AnswerChannel::Web => "phiếu trên web",
        AnswerChannel::Zns => "đánh giá sao (ZNS)",
    }
}

/// Which dossiers to count or list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierFilter {
    /// Part of the dossier code or of the procedure code, any case.
    pub text: Option<String>,
    /// Ignored when counting by status.
    pub status: Option<SurveyStatus>,
    pub level: Option<Level>,
    pub channel: Option<DossierChannel>,
    /// Agency code, exactly.
    pub agency: Option<String>,
    /// Completed at or after.
    pub completed_from: Option<DateTime<Utc>>,
    /// Completed strictly before.
    pub completed_until: Option<DateTime<Utc>>,
}

/// A dossier with its survey, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierSummary {
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub field: String,
    pub agency_code: String,
    pub agency_name: String,
    pub level: Level,
    pub channel: DossierChannel,
    pub completed_at: DateTime<Utc>,
    /// Contact data: `None` unless listed with [`DossierAccess::Full`].
    pub citizen_name: Option<String>,
    pub phone: Option<String>,
    pub has_zalo: bool,
    pub state: InstanceState,
    pub skip_reason: Option<SkipReason>,
    pub due_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer_channel: Option<AnswerChannel>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Sent or expired without any delivered message.
    pub unreachable: bool,
}

impl DossierSummary {
    pub fn status(&self) -> SurveyStatus {
        if self.unreachable {
            SurveyStatus::Unreachable
        } else {
            SurveyStatus::of_state(self.state)
        }
    }
}

/// One page of dossiers and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DossierPage {
    pub items: Vec<DossierSummary>,
    pub total: u64,
}

/// Survey counts of the dossiers matching a filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SurveyCounts {
    pub dossiers: u64,
    /// Per instance state (states without dossiers are absent).
    pub by_state: Vec<(InstanceState, u64)>,
    /// Skipped dossiers per reason.
    pub skipped_by_reason: Vec<(SkipReason, u64)>,
    /// Sent or expired without any delivered message (also counted in their state).
    pub unreachable: u64,
}

impl SurveyCounts {
    pub fn state(&self, state: InstanceState) -> u64 {
        self.by_state.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n)
    }

    pub fn reason(&self, reason: SkipReason) -> u64 {
        self.skipped_by_reason.iter().find(|(r, _)| *r == reason).map_or(0, |(_, n)| *n)
    }

    /// Surveys that went out: sent, being answered, answered or expired.
    pub fn dispatched(&self) -> u64 {
        [InstanceState::Sent, InstanceState::Answering, InstanceState::Answered, InstanceState::Expired]
            .into_iter()
            .map(|s| self.state(s))
            .sum()
    }

    /// Answered ÷ dispatched, in percent (one decimal), when anything was dispatched.
    pub fn response_rate(&self) -> Option<f64> {
        let dispatched = self.dispatched();
        (dispatched > 0).then(|| {
            let rate = self.state(InstanceState::Answered) as f64 * 100.0 / dispatched as f64;
            (rate * 10.0).round() / 10.0
        })
    }
}

/// An agency found on dossiers (for the filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: String,
}

/// How an opt-out identifies the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutKind {
    ZaloUserId,
    Phone,
}

impl OptOutKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZaloUserId => "zalo_user_id",
            Self::Phone => "phone",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::ZaloUserId, Self::Phone].into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ZaloUserId => "Tài khoản Zalo",
            Self::Phone => "Số điện thoại",
        }
    }
}

/// An entry of the opt-out list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutEntry {
    pub kind: OptOutKind,
    pub value: String,
    /// `chat`, `web`…
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// The opt-out source as the console names it.
pub fn opt_out_source_label(source: &str) -> &str {
    match source {
        "chat" => "Nhắn “dừng khảo sát” trên Zalo",
        "web" => "Liên kết trong phiếu khảo sát",
        other => other,
    }
}

/// The console's reads of survey data. Listing applies the access in the query: without
/// [`DossierAccess::Full`] no contact column is selected.
#[async_trait]
pub trait SurveyOverviewStore: Send + Sync {
    /// Counts by state, skip reason and unreachable of the dossiers matching `filter` (its
    /// `status` is ignored).
    async fn survey_counts(&self, filter: &DossierFilter) -> StoreResult<SurveyCounts>;
    /// Matching dossiers, latest completion first, `limit` of them after `offset`.
    async fn list_dossiers(
        &self,
        filter: &DossierFilter,
        access: DossierAccess,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DossierPage>;
    /// The agencies found on dossiers, by name.
    async fn dossier_agencies(&self) -> StoreResult<Vec<Agency>>;
    /// The opt-out list, newest first; `value` finds one exact identifier.
    async fn list_opt_outs(&self, value: Option<&str>, limit: u32, offset: u64)
        -> StoreResult<(Vec<OptOutEntry>, u64)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal { user_id: 1, username: "x".into(), role, department: department.map(str::to_owned) }
    }

    #[test]
    fn who_sees_what() {
        assert_eq!(access_for(&principal(Role::Admin, None)), Some(DossierAccess::Full));
        assert_eq!(access_for(&principal(Role::Coordinator, Some("SNV"))), Some(DossierAccess::Full));
        assert_eq!(access_for(&principal(Role::Viewer, None)), Some(DossierAccess::FiguresOnly));
        assert_eq!(access_for(&principal(Role::Viewer, Some("STP"))), None);
        assert_eq!(access_for(&principal(Role::Officer, Some("STP"))), None);
        assert_eq!(access_for(&principal(Role::Inspector, None)), None);
    }

    #[test]
    fn statuses_round_trip() {
        for status in SurveyStatus::ALL {
            assert_eq!(SurveyStatus::parse(status.as_str()), Some(status));
            if let Some(state) = status.state() {
                assert_eq!(SurveyStatus::of_state(state), status);
            }
        }
        assert_eq!(SurveyStatus::parse("nope"), None);
    }

    #[test]
    fn response_rate() {
        let counts = SurveyCounts {
            dossiers: 10,
            by_state: vec![(InstanceState::Answered, 1), (InstanceState::Sent, 2), (InstanceState::Scheduled, 7)],
            ..SurveyCounts::default()
        };
        assert_eq!(counts.dispatched(), 3);
        assert_eq!(counts.response_rate(), Some(33.3));
        assert_eq!(SurveyCounts::default().response_rate(), None);
    }
}

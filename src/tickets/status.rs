//! The life of a ticket: its statuses (derived from ND 20/2008 Đ.9, 14, 19) and which changes
//! are allowed, as a pure function.
//!
//! `received → classified → in_progress | forwarded → answered → closed`, plus `rejected`
//! (with a reason) from any open status. An answer can be sent back for rework
//! (`answered → in_progress`), and a forwarded ticket can be forwarded again by its new owner.

use serde::{Deserialize, Serialize};

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Filed, not yet looked at (MOI_TIEP_NHAN).
    Received,
    /// Assessed and classified by the owning department (DA_PHAN_LOAI).
    Classified,
    /// Being handled by the owning department (DANG_XU_LY).
    InProgress,
    /// Sent to another department with a forwarding slip (DA_CHUYEN).
    Forwarded,
    /// An answer was sent to the citizen (DA_TRA_LOI).
    Answered,
    /// Finished; nothing more happens.
    Closed,
    /// Not accepted for handling, with a reason told to the citizen (TU_CHOI_KHONG_HOP_LE).
    Rejected,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 7] = [
        Self::Received,
        Self::Classified,
        Self::InProgress,
        Self::Forwarded,
        Self::Answered,
        Self::Closed,
        Self::Rejected,
    ];

    /// Statuses whose deadline clock runs (reminders and escalation apply).
    pub const OPEN: [TicketStatus; 4] = [Self::Received, Self::Classified, Self::InProgress, Self::Forwarded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Classified => "classified",
            Self::InProgress => "in_progress",
            Self::Forwarded => "forwarded",
            Self::Answered => "answered",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
        }
    }

    /// Parses the stored / API name (`in_progress`; `in-progress` is accepted too).
    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|s| s.as_str() == wanted)
    }

    /// The status as a citizen or an officer reads it.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Received => "Mới tiếp nhận",
            Self::Classified => "Đã phân loại",
            Self::InProgress => "Đang xử lý",
            Self::Forwarded => "Đã chuyển cơ quan có thẩm quyền",
            Self::Answered => "Đã trả lời",
            Self::Closed => "Đã hoàn tất",
            Self::Rejected => "Không tiếp nhận xử lý",
        }
    }

    /// Whether the deadline clock runs in this status.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Whether nothing can happen to the ticket any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Rejected)
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a ticket cannot go from `{from}` to `{to}`")]
    NotAllowed { from: TicketStatus, to: TicketStatus },
    #[error("the ticket is already `{0}`")]
    Unchanged(TicketStatus),
    #[error("rejecting a ticket needs a reason (it is told to the citizen)")]
    ReasonRequired,
}

/// Whether a ticket may move from `from` to `to` (the shape of the workflow, nothing else).
pub fn is_allowed(from: TicketStatus, to: TicketStatus) -> bool {
    use TicketStatus::{Answered, Classified, Closed, Forwarded, InProgress, Received, Rejected};
    match from {
        Received => matches!(to, Classified | InProgress | Forwarded | Answered | Rejected),
        Classified => matches!(to, InProgress | Forwarded | Answered | Rejected),
        InProgress => matches!(to, Forwarded | Answered | Rejected),
        // The new owner accepts a forwarded ticket, answers it or forwards it again.
        Forwarded => matches!(to, InProgress | Forwarded | Answered | Rejected),
        // An unsuitable answer goes back for rework (QĐ 31/2021 Đ.46); a good one closes the case.
        Answered => matches!(to, InProgress | Closed),
        Closed | Rejected => false,
    }
}

/// Checks a requested change, including the reason a rejection needs.
pub fn check_transition(from: TicketStatus, to: TicketStatus, reason: Option<&str>) -> Result<(), TransitionError> {
    if from == to && to != TicketStatus::Forwarded {
        return Err(TransitionError::Unchanged(from));
    }
    if !is_allowed(from, to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if to == TicketStatus::Rejected && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    #[test]
    fn names_round_trip_and_parse_leniently() {
        for status in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(TicketStatus::parse(" In-Progress "), Some(InProgress));
        assert_eq!(TicketStatus::parse("done"), None);
    }

    #[test]
    fn the_workflow_allows_exactly_these_moves() {
        let allowed = [
            (Received, Classified),
            (Received, InProgress),
            (Received, Forwarded),
            (Received, Answered),
            (Received, Rejected),
            (Classified, InProgress),
            (Classified, Forwarded),
            (Classified, Answered),
            (Classified, Rejected),
            (InProgress, Forwarded),
            (InProgress, Answered),
            (InProgress, Rejected),
            (Forwarded, InProgress),
            (Forwarded, Forwarded),
            (Forwarded, Answered),
            (Forwarded, Rejected),
            (Answered, InProgress),
            (Answered, Closed),
        ];
        for from in TicketStatus::ALL {
            for to in TicketStatus::ALL {
                assert_eq!(is_allowed(from, to), allowed.contains(&(from, to)), "{from} → {to}");
            }
        }
    }

    #[test]
    fn final_statuses_lead_nowhere_and_rejection_needs_a_reason() {
        for to in TicketStatus::ALL {
            assert!(!is_allowed(Closed, to));
            assert!(!is_allowed(Rejected, to));
        }
        assert_eq!(check_transition(Received, Rejected, None), Err(TransitionError::ReasonRequired));
        assert_eq!(check_transition(Received, Rejected, Some("  ")), Err(TransitionError::ReasonRequired));
        assert_eq!(check_transition(Received, Rejected, Some("Không có nội dung")), Ok(()));
        assert_eq!(check_transition(Answered, Answered, None), Err(TransitionError::Unchanged(Answered)));
        assert_eq!(
            check_transition(Closed, InProgress, None),
            Err(TransitionError::NotAllowed { from: Closed, to: InProgress })
        );
        assert!(Forwarded.is_open() && !Answered.is_open() && Rejected.is_final());
    }
}

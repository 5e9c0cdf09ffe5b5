//! Survey decisions from the send policy, without I/O: whether a new dossier gets a survey and
//! when (or why not), and what a due survey becomes at send time (sent with its reminder and
//! expiry times, or skipped).

use chrono::{DateTime, Utc};

use super::link::base64url_encode;
use super::model::{ContactHistory, Dossier, DueInstance, InstancePlan, SkipReason};
use crate::calendar::schedule::SendPolicy;
use crate::calendar::working::WorkingCalendar;

/// A new public reference for an instance: 16 random bytes, base64url (22 characters, well under
/// the 48 characters Zalo allows for a `tracking_id`).
pub fn new_instance_token() -> String {
    base64url_encode(&rand::random::<[u8; 16]>())
}

/// The policy and the calendar it is read in.
#[derive(Debug, Clone)]
pub struct Planner {
    pub policy: SendPolicy,
    pub calendar: WorkingCalendar,
}

/// When a due survey goes out and until when it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendTimes {
    pub reminder_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl Planner {
    /// The survey decision for a dossier seen for the first time at `now`. Checked in this order:
    /// opted out, no contact, not sampled, too old (its survey would already have expired),
    /// frequency cap (another survey for the same citizen sent or planned within
    /// `min_days_between` of this one's send time).
    pub fn plan(&self, dossier: &Dossier, history: &ContactHistory, now: DateTime<Utc>) -> InstancePlan {
        let token = new_instance_token();
        let skip = |reason| InstancePlan::Skipped { token: token.clone(), reason };
        if history.opted_out {
            return skip(SkipReason::OptedOut);
        }
        if !dossier.has_contact() {
            return skip(SkipReason::NoContact);
        }
        if !self.policy.is_sampled(&dossier.code) {
            return skip(SkipReason::NotSampled);
        }
        let first = self.policy.first_send_at(&self.calendar, dossier.completed_at);
        if self.policy.expires_at(first) <= now {
            return skip(SkipReason::TooOld);
        }
        let due_at = if first < now { self.policy.next_allowed(&self.calendar, now) } else { first };
        if self.policy.frequency_capped(history.last_survey_at, due_at) {
            return skip(SkipReason::FrequencyCap);
        }
        InstancePlan::Scheduled { token, due_at }
    }

    /// Whether surveys and reminders may be sent at `now` (allowed day, inside the window).
    pub fn may_send_at(&self, now: DateTime<Utc>) -> bool {
        self.policy.next_allowed(&self.calendar, now) == now
    }

    /// Checks a due instance again at send time: opted out since, or another survey reached the
    /// same citizen within `min_days_between` (a race between two dossiers of one citizen).
    pub fn skip_at_send(&self, due: &DueInstance, now: DateTime<Utc>) -> Option<SkipReason> {
        if due.opted_out {
            return Some(SkipReason::OptedOut);
        }
        if self.policy.frequency_capped(due.other_sent_at, now) {
            return Some(SkipReason::FrequencyCap);
        }
        None
    }

    /// Reminder and expiry of a survey sent at `sent_at`.
    pub fn send_times(&self, sent_at: DateTime<Utc>) -> SendTimes {
        SendTimes {
            reminder_at: self.policy.reminder_at(&self.calendar, sent_at),
            expires_at: self.policy.expires_at(sent_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::working::DEFAULT_TIME_ZONE;
    use crate::surveys::model::{DossierChannel, Level};
    use chrono::{Duration, TimeZone};

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        DEFAULT_TIME_ZONE.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid local time").with_timezone(&Utc)
    }

    fn planner(policy: SendPolicy) -> Planner {
        Planner { policy, calendar: WorkingCalendar::vietnam_default().expect("seeded calendar") }
    }

    fn dossier(code: &str, completed_at: DateTime<Utc>) -> Dossier {
        Dossier {
            code: code.into(),
            procedure_code: "1.001".into(),
            procedure_name: "Đăng ký khai sinh".into(),
            field: "Hộ tịch".into(),
            agency_code: "UBND-X1".into(),
            agency_name: "UBND xã Vị Thanh".into(),
            level: Level::Xa,
            received_at: completed_at - Duration::days(2),
            completed_at,
            channel: DossierChannel::TrucTiep,
            citizen_name: None,
            phone: Some("84912345678".into()),
            zalo_user_id: None,
        }
    }

    fn due_at(plan: &InstancePlan) -> Option<DateTime<Utc>> {
        match plan {
            InstancePlan::Scheduled { due_at, .. } => Some(*due_at),
            InstancePlan::Skipped { .. } => None,
        }
    }

    fn reason(plan: &InstancePlan) -> Option<SkipReason> {
        match plan {
            InstancePlan::Skipped { reason, .. } => Some(*reason),
            InstancePlan::Scheduled { .. } => None,
        }
    }

    #[test]
    fn delay_and_window_set_the_send_time() {
        let p = planner(SendPolicy::default());
        let none = ContactHistory::default();
        // Done Mon 09/03/2026 10:00, seen at once → Tue 10:00.
        let plan = p.plan(&dossier("A", vn(2026, 3, 9, 10, 0)), &none, vn(2026, 3, 9, 10, 5));
        assert_eq!(due_at(&plan), Some(vn(2026, 3, 10, 10, 0)));
        // Done Sat 07/03/2026 20:30 → Sunday not allowed → Mon 08:00.
        let plan = p.plan(&dossier("B", vn(2026, 3, 7, 20, 30)), &none, vn(2026, 3, 7, 21, 0));
        assert_eq!(due_at(&plan), Some(vn(2026, 3, 9, 8, 0)));
        // Pushed late (3 days after completion, at 22:00): due now would be outside the window →
        // the next window start.
        let plan = p.plan(&dossier("C", vn(2026, 3, 9, 10, 0)), &none, vn(2026, 3, 12, 22, 0));
        assert_eq!(due_at(&plan), Some(vn(2026, 3, 13, 8, 0)));
        // Completed so long ago that the survey would have expired: skipped.
        let plan = p.plan(&dossier("D", vn(2026, 1, 5, 10, 0)), &none, vn(2026, 3, 9, 10, 0));
        assert_eq!(reason(&plan), Some(SkipReason::TooOld));
        let InstancePlan::Scheduled { token, .. } =
            p.plan(&dossier("E", vn(2026, 3, 9, 10, 0)), &none, vn(2026, 3, 9, 11, 0))
        else {
            panic!("scheduled")
        };
        assert_eq!(token.len(), 22);
    }

    #[test]
    fn skip_reasons_in_order() {
        let p = planner(SendPolicy::default());
        let done = vn(2026, 3, 9, 10, 0);
        let now = vn(2026, 3, 9, 11, 0);
        let opted = ContactHistory { opted_out: true, last_survey_at: None };
        assert_eq!(reason(&p.plan(&dossier("A", done), &opted, now)), Some(SkipReason::OptedOut));
        let mut unreachable = dossier("A", done);
        unreachable.phone = None;
        assert_eq!(reason(&p.plan(&unreachable, &ContactHistory::default(), now)), Some(SkipReason::NoContact));
        let recent = ContactHistory { opted_out: false, last_survey_at: Some(vn(2026, 2, 20, 9, 0)) };
        assert_eq!(reason(&p.plan(&dossier("A", done), &recent, now)), Some(SkipReason::FrequencyCap));
        let long_ago = ContactHistory { opted_out: false, last_survey_at: Some(vn(2026, 1, 20, 9, 0)) };
        assert!(due_at(&p.plan(&dossier("A", done), &long_ago, now)).is_some());
        // A survey planned later for the same citizen caps this one too (first stored wins).
        let planned_later = ContactHistory { opted_out: false, last_survey_at: Some(vn(2026, 3, 20, 9, 0)) };
        assert_eq!(reason(&p.plan(&dossier("A", done), &planned_later, now)), Some(SkipReason::FrequencyCap));
    }

    #[test]
    fn sampling_follows_the_rate_deterministically() {
        let p = planner(SendPolicy { sampling_rate: 0.3, ..SendPolicy::default() });
        let done = vn(2026, 3, 9, 10, 0);
        let now = vn(2026, 3, 9, 11, 0);
        let decisions: Vec<bool> = (0..2000)
            .map(|i| due_at(&p.plan(&dossier(&format!("HS-{i}"), done), &ContactHistory::default(), now)).is_some())
            .collect();
        let sampled = decisions.iter().filter(|s| **s).count();
        assert!((500..=700).contains(&sampled), "{sampled} of 2000");
        let again: Vec<bool> = (0..2000)
            .map(|i| due_at(&p.plan(&dossier(&format!("HS-{i}"), done), &ContactHistory::default(), now)).is_some())
            .collect();
        assert_eq!(decisions, again, "the same codes are sampled every time");
        let none = planner(SendPolicy { sampling_rate: 0.0, ..SendPolicy::default() });
        assert_eq!(
            reason(&none.plan(&dossier("X", done), &ContactHistory::default(), now)),
            Some(SkipReason::NotSampled)
        );
    }

    #[test]
    fn send_window_and_times() {
        let p = planner(SendPolicy::default());
        assert!(p.may_send_at(vn(2026, 3, 10, 8, 0)));
        assert!(!p.may_send_at(vn(2026, 3, 10, 7, 59)));
        assert!(!p.may_send_at(vn(2026, 3, 10, 20, 0)));
        assert!(!p.may_send_at(vn(2026, 3, 15, 10, 0)), "Sunday");
        let times = p.send_times(vn(2026, 3, 13, 19, 30));
        assert_eq!(times.reminder_at, Some(vn(2026, 3, 16, 8, 0)), "Sun 19:30 → Mon 08:00");
        assert_eq!(times.expires_at, vn(2026, 3, 20, 19, 30));
    }
}

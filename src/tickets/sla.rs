//! Deadlines of a ticket (pure): the answer deadline per category, the forwarding deadline of
//! ND 20/2008 Đ.9, and when to remind the owner — all counted in working days with the
//! [`WorkingCalendar`] (receipt day not counted; a period ends at the end of its last working
//! day). Forwarding restarts the clock for the new owner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::TicketsConfig;
use super::model::Category;
use crate::calendar::working::WorkingCalendar;

/// Working-day limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub answer_within_days: u32,
    pub procedure_feedback_answer_within_days: u32,
    pub official_conduct_answer_within_days: u32,
    pub forward_within_days: u32,
    pub reminder_days_before: u32,
}

/// The deadlines of one owner's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub due_at: DateTime<Utc>,
    pub forward_due_at: DateTime<Utc>,
    /// `None` when reminders are off or the period is too short for one.
    pub remind_at: Option<DateTime<Utc>>,
}

impl SlaPolicy {
    pub fn from_config(config: &TicketsConfig) -> Self {
        Self {
            answer_within_days: config.answer_within_days,
            procedure_feedback_answer_within_days: config.procedure_feedback_answer_within_days,
            official_conduct_answer_within_days: config.official_conduct_answer_within_days,
            forward_within_days: config.forward_within_days,
            reminder_days_before: config.reminder_days_before,
        }
    }

    /// Working days to answer a ticket of `category` (a category override of 0 = the general limit).
    pub fn answer_days(&self, category: Category) -> u32 {
        let specific = match category {
            Category::ProcedureFeedback => self.procedure_feedback_answer_within_days,
            Category::OfficialConduct => self.official_conduct_answer_within_days,
        };
        if specific == 0 {
            self.answer_within_days
        } else {
            specific
        }
    }

    /// The deadlines of a period that starts at `start` (receipt, or forwarding to a new owner).
    pub fn deadlines(&self, calendar: &WorkingCalendar, start: DateTime<Utc>, category: Category) -> Deadlines {
        let due_at = calendar.deadline(start, self.answer_days(category));
        Deadlines {
            due_at,
            forward_due_at: calendar.deadline(start, self.forward_within_days),
            remind_at: reminder_at(calendar, start, due_at, self.reminder_days_before),
        }
    }
}

/// Start (local midnight) of the working day `days_before` working days before the deadline's
/// last day: with a Friday deadline and 2 days, Wednesday 00:00. `None` when `days_before` is 0
/// or that moment is not after `start` (the period is too short for a reminder).
pub fn reminder_at(
    calendar: &WorkingCalendar,
    start: DateTime<Utc>,
    due_at: DateTime<Utc>,
    days_before: u32,
) -> Option<DateTime<Utc>> {
    if days_before == 0 {
        return None;
    }
    let mut day = calendar.local_date(due_at);
    let mut counted = 0;
    while counted < days_before {
        day = day.pred_opt()?;
        if calendar.is_working_day(day) {
            counted += 1;
        }
    }
    let at = calendar.start_of_local_day(day);
    (at > start).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::vietnam_default().expect("embedded table")
    }

    /// A local (UTC+7) time.
    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid local time")
            .with_timezone(&Utc)
    }

    fn policy() -> SlaPolicy {
        SlaPolicy::from_config(&TicketsConfig::default())
    }

    fn last_day(calendar: &WorkingCalendar, at: DateTime<Utc>) -> NaiveDate {
        calendar.local_date(at)
    }

    #[test]
    fn ten_working_days_across_tet_2026() {
        let cal = calendar();
        // Received Thursday 12/02/2026 at 16:00. Working days after it: Fri 13/02 (1), then the
        // Tết block Sat 14/02 – Sun 22/02 is off, then Mon 23/02 (2) … Fri 27/02 (6),
        // Mon 02/03 (7) … Thu 05/03 (10).
        let received = local(2026, 2, 12, 16, 0);
        let d = policy().deadlines(&cal, received, Category::ProcedureFeedback);
        assert_eq!(last_day(&cal, d.due_at), NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"));
        assert_eq!(d.due_at, local(2026, 3, 6, 0, 0) - chrono::Duration::nanoseconds(1), "end of the last day");
        // Forwarding limit: 5 working days: Fri 13/02, Mon 23 … Thu 26/02.
        assert_eq!(last_day(&cal, d.forward_due_at), NaiveDate::from_ymd_opt(2026, 2, 26).expect("date"));
        // Reminder 2 working days before Thu 05/03: Tue 03/03 at 00:00.
        assert_eq!(d.remind_at, Some(local(2026, 3, 3, 0, 0)));
    }

    #[test]
    fn the_make_up_saturday_counts_and_the_receipt_day_does_not() {
        let cal = calendar();
        // Received Wednesday 31/12/2025 at 09:00. 1/1–4/1/2026 off; Mon 05/01 (1) … Fri 09/01
        // (5), Sat 10/01 make-up working day (6), Mon 12/01 (7) … Thu 15/01 (10).
        let received = local(2025, 12, 31, 9, 0);
        let d = policy().deadlines(&cal, received, Category::ProcedureFeedback);
        assert_eq!(last_day(&cal, d.due_at), NaiveDate::from_ymd_opt(2026, 1, 15).expect("date"));
        assert_eq!(last_day(&cal, d.forward_due_at), NaiveDate::from_ymd_opt(2026, 1, 9).expect("date"));
        // Received at 23:59 on Friday 09/01: the make-up Saturday is working day 1.
        let late = local(2026, 1, 9, 23, 59);
        let one_day = SlaPolicy { answer_within_days: 1, ..policy() };
        let d = one_day.deadlines(&cal, late, Category::ProcedureFeedback);
        assert_eq!(last_day(&cal, d.due_at), NaiveDate::from_ymd_opt(2026, 1, 10).expect("date"));
        assert_eq!(d.remind_at, None, "a one-day period is too short for a reminder 2 days before");
    }

    #[test]
    fn category_overrides_apply_and_zero_means_the_general_limit() {
        let p = SlaPolicy { official_conduct_answer_within_days: 5, ..policy() };
        assert_eq!(p.answer_days(Category::OfficialConduct), 5);
        assert_eq!(p.answer_days(Category::ProcedureFeedback), 10);
        let cal = calendar();
        let received = local(2026, 3, 2, 10, 0); // Monday
        let d = p.deadlines(&cal, received, Category::OfficialConduct);
        assert_eq!(last_day(&cal, d.due_at), NaiveDate::from_ymd_opt(2026, 3, 9).expect("date"));
        let no_reminder = SlaPolicy { reminder_days_before: 0, ..p };
        assert_eq!(no_reminder.deadlines(&cal, received, Category::OfficialConduct).remind_at, None);
    }
}

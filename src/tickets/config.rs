//! The `[tickets]` configuration section: deadlines in working days (per category), reminders,
//! the holiday table, the coordinating department, and attachment limits.

use serde::{Deserialize, Serialize};

use crate::calendar::duration::HumanDuration;
use crate::calendar::holidays::HolidayTable;
use crate::calendar::working::WorkingCalendar;

/// `[tickets]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TicketsConfig {
    /// Working days a department has to answer a ticket (receipt day not counted).
    pub answer_within_days: u32,
    /// Working days to forward a ticket outside the department's competence (ND 20/2008 Đ.9: 5).
    pub forward_within_days: u32,
    /// Answer limit for feedback on procedures; 0 = `answer_within_days`.
    pub procedure_feedback_answer_within_days: u32,
    /// Answer limit for reports on officials' conduct; 0 = `answer_within_days`.
    pub official_conduct_answer_within_days: u32,
    /// Remind the owning department this many working days before the deadline; 0 = no reminder.
    pub reminder_days_before: u32,
    /// Holiday table (TOML, format of `deploy/holidays-vn.toml`); "" = the embedded table.
    pub holidays_file: String,
    /// Department code overdue tickets escalate to (Sở Nội vụ).
    pub coordinating_department: String,
    /// Largest evidence file downloaded from Zalo, in bytes.
    pub max_attachment_bytes: u64,
    /// How long one attachment download may take.
    pub attachment_timeout: HumanDuration,
    /// How often deadlines are checked for reminders and escalations.
    pub sla_check_interval: HumanDuration,
}

impl Default for TicketsConfig {
    fn default() -> Self {
        Self {
            answer_within_days: 10,
            forward_within_days: 5,
            procedure_feedback_answer_within_days: 0,
            official_conduct_answer_within_days: 0,
            reminder_days_before: 2,
            holidays_file: String::new(),
            coordinating_department: "SNV".into(),
            max_attachment_bytes: 10 * 1024 * 1024,
            attachment_timeout: HumanDuration::from_secs(60),
            sla_check_interval: HumanDuration::from_secs(600),
        }
    }
}

impl TicketsConfig {
    /// Adds what is wrong with this section to `problems` (keys named `tickets.…`).
    pub fn validate(&self, problems: &mut Vec<String>) {
        if self.answer_within_days == 0 {
            problems.push("`tickets.answer_within_days`: must be at least 1".into());
        }
        if self.forward_within_days == 0 {
            problems.push("`tickets.forward_within_days`: must be at least 1".into());
        }
        if self.coordinating_department.trim().is_empty() {
            problems.push("`tickets.coordinating_department`: must name a department code, e.g. SNV".into());
        }
        if self.max_attachment_bytes < 1024 {
            problems.push("`tickets.max_attachment_bytes`: must be at least 1024".into());
        }
        if self.attachment_timeout.as_duration() <= chrono::Duration::zero() {
            problems.push("`tickets.attachment_timeout`: must be longer than zero".into());
        }
        if self.sla_check_interval.as_duration() <= chrono::Duration::zero() {
            problems.push("`tickets.sla_check_interval`: must be longer than zero".into());
        }
        if let Err(why) = self.holiday_table() {
            problems.push(format!("`tickets.holidays_file`: {why}"));
        }
    }

    /// The holiday table: the file named by `holidays_file`, or the embedded one.
    pub fn holiday_table(&self) -> Result<HolidayTable, String> {
        if self.holidays_file.trim().is_empty() {
            return HolidayTable::vietnam_default().map_err(|e| format!("the embedded table is invalid: {e}"));
        }
        let text = std::fs::read_to_string(&self.holidays_file)
            .map_err(|e| format!("cannot read {}: {e}", self.holidays_file))?;
        HolidayTable::from_toml_str(&text).map_err(|e| format!("{}: {e}", self.holidays_file))
    }

    /// The working calendar deadlines are counted with, in time zone `tz`.
    pub fn calendar(&self, tz: chrono_tz::Tz) -> Result<WorkingCalendar, String> {
        WorkingCalendar::new(self.holiday_table()?, tz).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_a_bad_holidays_file_is_named() {
        let mut problems = Vec::new();
        TicketsConfig::default().validate(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");

        let dir = std::env::temp_dir().join(format!("tongdai_holidays_{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[[working_days]]\ndate = 2026-01-05\nname = \"Monday\"\n").expect("write");
        let config = TicketsConfig { holidays_file: bad.display().to_string(), ..TicketsConfig::default() };
        let mut problems = Vec::new();
        config.validate(&mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`tickets.holidays_file`") && problems[0].contains("2026-01-05"), "{problems:?}");

        let good = dir.join("good.toml");
        std::fs::write(&good, "[[days_off]]\ndate = 2026-03-02\nname = \"Ngày nghỉ thử\"\n").expect("write");
        let config = TicketsConfig { holidays_file: good.display().to_string(), ..TicketsConfig::default() };
        let calendar = config.calendar(chrono_tz::Asia::Ho_Chi_Minh).expect("valid table");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        assert!(!calendar.is_working_day(day), "the file replaces the embedded table");
        let tet = chrono::NaiveDate::from_ymd_opt(2026, 2, 17).expect("date");
        assert!(calendar.is_working_day(tet), "…entirely: Tết is not in this file");
        let missing =
            TicketsConfig { holidays_file: dir.join("none.toml").display().to_string(), ..TicketsConfig::default() };
        let mut problems = Vec::new();
        missing.validate(&mut problems);
        assert!(problems[0].contains("cannot read"), "{problems:?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

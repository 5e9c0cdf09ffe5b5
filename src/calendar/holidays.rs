//! Holiday table as data: public-sector days off and make-up working days (ngày làm bù), loaded
//! from TOML (seeded by `deploy/holidays-vn.toml`) and validated before a calendar is built on it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize};

/// The seeded Vietnamese public-sector table for 2025–2027. Operators update it yearly.
pub const DEFAULT_HOLIDAYS: &str = include_str!("../../deploy/holidays-vn.toml");

/// A date on which public offices are closed (holiday, compensatory or swapped day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayOff {
    #[serde(deserialize_with = "deserialize_date")]
    pub date: NaiveDate,
    pub name: String,
}

/// A weekend date on which public offices work to make up for a swapped day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingDay {
    #[serde(deserialize_with = "deserialize_date")]
    pub date: NaiveDate,
    pub name: String,
}

/// Days off and make-up working days; see `deploy/holidays-vn.toml` for the file format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayTable {
    #[serde(default)]
    pub days_off: Vec<DayOff>,
    #[serde(default)]
    pub working_days: Vec<WorkingDay>,
}

/// Why a holiday table was rejected. Every variant names the offending date.
#[derive(Debug, thiserror::Error)]
pub enum HolidayError {
    #[error("holiday table is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("holiday table lists {0} twice under days_off")]
    DuplicateDayOff(NaiveDate),
    #[error("holiday table lists {0} twice under working_days")]
    DuplicateWorkingDay(NaiveDate),
    #[error("holiday table lists {0} both as a day off and as a make-up working day")]
    OffAndWorking(NaiveDate),
    #[error(
        "holiday table lists {date} ({weekday}) as a make-up working day, \
         but only a Saturday or Sunday can be one"
    )]
    WorkingDayNotWeekend { date: NaiveDate, weekday: Weekday },
    #[error("holiday table entry for {0} has an empty name")]
    EmptyName(NaiveDate),
}

impl HolidayTable {
    /// Parses a table from TOML text and validates it.
    pub fn from_toml_str(text: &str) -> Result<Self, HolidayError> {
        let table: HolidayTable = toml::from_str(text)?;
        table.validate()?;
        Ok(table)
    }

    /// The seeded Vietnamese table ([`DEFAULT_HOLIDAYS`]), parsed and validated.
    pub fn vietnam_default() -> Result<Self, HolidayError> {
        Self::from_toml_str(DEFAULT_HOLIDAYS)
    }

    /// Checks that no date is listed twice, that no date is both off and working, that make-up
    /// working days are weekend days, and that every entry has a name.
    pub fn validate(&self) -> Result<(), HolidayError> {
        let mut off = BTreeSet::new();
        for day in &self.days_off {
            require_name(day.date, &day.name)?;
            if !off.insert(day.date) {
                return Err(HolidayError::DuplicateDayOff(day.date));
            }
        }
        let mut working = BTreeSet::new();
        for day in &self.working_days {
            require_name(day.date, &day.name)?;
            if !working.insert(day.date) {
                return Err(HolidayError::DuplicateWorkingDay(day.date));
            }
            if off.contains(&day.date) {
                return Err(HolidayError::OffAndWorking(day.date));
            }
            if !is_weekend(day.date) {
                return Err(HolidayError::WorkingDayNotWeekend { date: day.date, weekday: day.date.weekday() });
            }
        }
        Ok(())
    }

    /// Calendar years that have at least one entry; a year missing here has no holidays at all,
    /// which an application should warn about (the table needs its yearly update).
    pub fn years(&self) -> BTreeSet<i32> {
        let off = self.days_off.iter().map(|d| d.date.year());
        let working = self.working_days.iter().map(|d| d.date.year());
        off.chain(working).collect()
    }

    /// Days off keyed by date (names as values).
    pub fn days_off_by_date(&self) -> BTreeMap<NaiveDate, String> {
        self.days_off.iter().map(|d| (d.date, d.name.clone())).collect()
    }

    /// Make-up working days keyed by date (names as values).
    pub fn working_days_by_date(&self) -> BTreeMap<NaiveDate, String> {
        self.working_days.iter().map(|d| (d.date, d.name.clone())).collect()
    }
}

/// Saturday or Sunday.
pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn require_name(date: NaiveDate, name: &str) -> Result<(), HolidayError> {
    if name.trim().is_empty() {
        Err(HolidayError::EmptyName(date))
    } else {
        Ok(())
    }
}

/// Accepts a TOML date (`date = 2026-01-01`) as well as a string (`"2026-01-01"`), so the table
/// can also come from JSON or be written back with `Serialize`.
fn deserialize_date<'de, D>(deserializer: D) -> Result<NaiveDate, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(DateVisitor)
}

struct DateVisitor;

impl<'de> serde::de::Visitor<'de> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date written YYYY-MM-DD (e.g. 2026-01-01)")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NaiveDate, E> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            E::custom(format!("invalid date \"{text}\": expected a date written YYYY-MM-DD (e.g. 2026-01-01)"))
        })
    }

    /// TOML's deserializer hands a date literal over as a one-entry map whose value is the
    /// date's text.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
        let Some((_, text)) = map.next_entry::<String, String>()? else {
            return Err(serde::de::Error::custom("expected a date written YYYY-MM-DD (e.g. 2026-01-01)"));
        };
        self.visit_str(&text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn default_table_loads_and_covers_2025_to_2027() {
        let table = HolidayTable::vietnam_default().expect("seeded holiday table is valid");
        assert_eq!(table.years(), BTreeSet::from([2025, 2026, 2027]));
        let off = table.days_off_by_date();
        for (day, name) in [
            (date(2025, 1, 1), "Tết Dương lịch"),
            (date(2025, 4, 7), "Giỗ Tổ Hùng Vương"),
            (date(2025, 9, 1), "Quốc khánh (ngày liền kề)"),
            (date(2026, 2, 17), "Tết Nguyên đán"),
            (date(2026, 4, 27), "Nghỉ bù Giỗ Tổ Hùng Vương"),
            (date(2026, 11, 24), "Ngày Văn hóa Việt Nam"),
            (date(2027, 5, 3), "Nghỉ bù Ngày Quốc tế Lao động"),
        ] {
            assert_eq!(off.get(&day).map(String::as_str), Some(name), "{day}");
        }
        let working: Vec<NaiveDate> = table.working_days.iter().map(|w| w.date).collect();
        assert_eq!(working, vec![date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)]);
    }

    #[test]
    fn default_table_has_the_statutory_weekday_holidays_of_2026() {
        let table = HolidayTable::vietnam_default().expect("seeded holiday table is valid");
        let off = table.days_off_by_date();
        let weekday_days_off_2026 = off.keys().filter(|d| d.year() == 2026 && !is_weekend(**d)).count();
        // 1/1, 2/1 (swapped), Tết 16–20/2 (5), 27/4, 30/4, 1/5, 31/8 (swapped), 1/9, 2/9, 24/11.
        assert_eq!(weekday_days_off_2026, 14);
    }

    #[test]
    fn accepts_string_dates_and_empty_sections() {
        let table = HolidayTable::from_toml_str("[[days_off]]\ndate = \"2030-01-01\"\nname = \"Tết Dương lịch\"\n")
            .expect("valid test input");
        assert_eq!(table.days_off[0].date, date(2030, 1, 1));
        assert!(table.working_days.is_empty());
        assert_eq!(HolidayTable::from_toml_str("").expect("empty table is valid"), HolidayTable::default());
    }

    #[test]
    fn rejects_invalid_tables_naming_the_date() {
        let cases = [
            (
                "[[days_off]]\ndate = 2026-01-01\nname = \"a\"\n\
                 [[days_off]]\ndate = 2026-01-01\nname = \"b\"\n",
                "2026-01-01 twice under days_off",
            ),
            (
                "[[working_days]]\ndate = 2026-01-10\nname = \"a\"\n\
                 [[working_days]]\ndate = 2026-01-10\nname = \"b\"\n",
                "2026-01-10 twice under working_days",
            ),
            (
                "[[days_off]]\ndate = 2026-01-10\nname = \"a\"\n\
                 [[working_days]]\ndate = 2026-01-10\nname = \"b\"\n",
                "2026-01-10 both as a day off and as a make-up working day",
            ),
            ("[[working_days]]\ndate = 2026-01-09\nname = \"a\"\n", "2026-01-09 (Fri) as a make-up working day"),
            ("[[days_off]]\ndate = 2026-01-01\nname = \" \"\n", "entry for 2026-01-01 has an empty name"),
            ("[[days_off]]\ndate = \"2026-02-30\"\nname = \"a\"\n", "invalid date \"2026-02-30\""),
            ("[[days_off]]\ndate = 2026-01-01\nname = \"a\"\nnote = \"x\"\n", "unknown field `note`"),
        ];
        for (text, expected) in cases {
            let message = HolidayTable::from_toml_str(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn rejects_a_datetime_where_a_date_is_expected() {
        let err = HolidayTable::from_toml_str("[[days_off]]\ndate = 2026-01-01T00:00:00\nname = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
    }
}

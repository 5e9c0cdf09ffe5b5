//! Working-day calendar of the Vietnamese public sector: which days offices work, PAKN deadlines
//! counted in working days per Civil Code Đ.147–148, elapsed working days for statistics, and the
//! office hours used to tell a citizen when an officer will answer.
//!
//! Counting rules (Bộ luật Dân sự 2015 Đ.147–148), applied to the local date in the calendar's
//! time zone:
//! - the day of receipt is not counted, whatever the hour and whether or not it is a working day;
//!   counting starts with the next day (so a Sunday receipt makes Monday working day 1);
//! - a period ends at the end of its last day; if that day is not a working day (possible only
//!   for periods counted in calendar days) it ends at the end of the next working day.
//!
//! "End of the day" is represented as the last representable instant before local midnight,
//! 23:59:59.999999999 local time: a deadline is missed when `now > deadline`, and the deadline's
//! local date is the last day itself (handy for display). Provinces that treat receipts outside
//! office hours as received on the next working day can pass
//! [`OfficeHours::next_opening`]`(received_at)` as the receipt instant.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use super::duration::{TimeWindow, TimeWindowError};
use super::holidays::{is_weekend, HolidayError, HolidayTable};

/// Time zone of every Vietnamese office: Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// How far [`local_to_utc`] looks past a local time skipped by a clock change.
const MAX_CLOCK_GAP_MINUTES: u64 = 24 * 60;

/// Government week Mon–Fri, minus the table's days off, plus its make-up working days.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    days_off: BTreeMap<NaiveDate, String>,
    working_days: BTreeMap<NaiveDate, String>,
    years: BTreeSet<i32>,
    tz: Tz,
}

impl WorkingCalendar {
    /// Builds a calendar from a holiday table (validated again here) and a time zone.
    pub fn new(table: HolidayTable, tz: Tz) -> Result<Self, HolidayError> {
        table.validate()?;
        let years = table.years();
        Ok(WorkingCalendar {
            days_off: table.days_off.into_iter().map(|d| (d.date, d.name)).collect(),
            working_days: table.working_days.into_iter().map(|d| (d.date, d.name)).collect(),
            years,
            tz,
        })
    }

    /// The seeded Vietnamese table in Asia/Ho_Chi_Minh.
    pub fn vietnam_default() -> Result<Self, HolidayError> {
        Self::new(HolidayTable::vietnam_default()?, DEFAULT_TIME_ZONE)
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Whether the holiday table has entries for the year of `date`; outside those years only
    /// weekends are days off, so callers should warn that the table needs its yearly update.
    pub fn is_covered(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// Local calendar date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// Whether offices work on `date`: a make-up working day, or Mon–Fri and not a day off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_days.contains_key(&date) {
            return true;
        }
        !is_weekend(date) && !self.days_off.contains_key(&date)
    }

    /// Whether `date` is listed as a day off (holiday, compensatory or swapped day, or a weekend
    /// day inside an announced holiday block). Ordinary weekends and make-up days are not.
    pub fn is_day_off(&self, date: NaiveDate) -> bool {
        self.days_off.contains_key(&date)
    }

    /// Name of the listed day off on `date`, if any.
    pub fn day_off_name(&self, date: NaiveDate) -> Option<&str> {
        self.days_off.get(&date).map(String::as_str)
    }

    /// Name of the make-up working day on `date`, if any.
    pub fn working_day_name(&self, date: NaiveDate) -> Option<&str> {
        self.working_days.get(&date).map(String::as_str)
    }

    /// The first working day strictly after `date` (saturates at [`NaiveDate::MAX`]).
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        loop {
            let Some(next) = day.succ_opt() else {
                return NaiveDate::MAX;
            };
            day = next;
            if self.is_working_day(day) {
                return day;
            }
        }
    }

    /// The `n`-th working day after `start`; `start` itself is not counted, whether or not it is
    /// a working day. For `n == 0` the result is `start` when it is a working day, otherwise the
    /// next working day (Đ.148: a period cannot end on a day off). Saturates at
    /// [`NaiveDate::MAX`].
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return if self.is_working_day(start) { start } else { self.next_working_day(start) };
        }
        let mut day = start;
        let mut remaining = n;
        while remaining > 0 {
            if remaining > 5 {
                if let Some(week_later) = self.plain_week_after(day) {
                    day = week_later;
                    remaining -= 5;
                    continue;
                }
            }
            day = self.next_working_day(day);
            if day == NaiveDate::MAX {
                return day;
            }
            remaining -= 1;
        }
        day
    }

    /// `day + 7` when the seven days after `day` hold no table entry (so exactly five working
    /// days, Monday to Friday); lets long periods skip whole weeks.
    fn plain_week_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        let first = day.succ_opt()?;
        let week_later = day.checked_add_days(Days::new(7))?;
        let has_entries = self.days_off.range(first..=week_later).next().is_some()
            || self.working_days.range(first..=week_later).next().is_some();
        (!has_entries).then_some(week_later)
    }

    /// Deadline of a period of `working_days` working days starting at `received_at`: the end
    /// (23:59:59.999999999 local) of the `working_days`-th working day after the local receipt
    /// date. See the module documentation for the counting rules.
    pub fn deadline(&self, received_at: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
        let last_day = self.add_working_days(self.local_date(received_at), working_days);
        self.end_of_local_day(last_day)
    }

    /// Deadline of a period of `days` calendar days (e.g. "7 ngày"): the end of the local day
    /// `days` after the receipt date, moved to the end of the next working day when that day is
    /// not a working day (Đ.148.2).
    pub fn calendar_days_deadline(&self, received_at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let receipt_day = self.local_date(received_at);
        let last_day = receipt_day.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX);
        let last_day = if self.is_working_day(last_day) { last_day } else { self.next_working_day(last_day) };
        self.end_of_local_day(last_day)
    }

    /// Number of working days elapsed from `from` to `to`, counted like a deadline: the working
    /// days whose local date is after `from`'s local date and not after `to`'s local date.
    /// Answered the day of receipt → 0; received Thursday, answered Friday → 1; a period of `n`
    /// working days gives exactly `n` at its deadline. Negative (the same count, negated) when
    /// `to` is before `from`. Note: an answer on the weekend after a Friday deadline counts the
    /// same as one on Friday, so use [`Self::deadline`], not this count, to judge lateness.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let (from_day, to_day) = (self.local_date(from), self.local_date(to));
        if to_day < from_day {
            -self.working_days_after_until(to_day, from_day)
        } else {
            self.working_days_after_until(from_day, to_day)
        }
    }

    /// Working days `d` with `after < d <= until` (`after <= until`).
    fn working_days_after_until(&self, after: NaiveDate, until: NaiveDate) -> i64 {
        let Some(first) = after.succ_opt().filter(|first| *first <= until) else {
            return 0;
        };
        let weekdays = weekdays_after_until(after, until);
        let weekday_days_off = self.days_off.range(first..=until).filter(|(date, _)| !is_weekend(**date)).count();
        let weekend_working_days =
            self.working_days.range(first..=until).filter(|(date, _)| is_weekend(**date)).count();
        weekdays - count_as_i64(weekday_days_off) + count_as_i64(weekend_working_days)
    }

    /// First instant of `date` in local time (00:00, or the first existing local time after a
    /// clock change that skips midnight).
    pub fn start_of_local_day(&self, date: NaiveDate) -> DateTime<Utc> {
        local_to_utc(self.tz, date.and_time(NaiveTime::MIN))
    }

    /// Last instant of `date` in local time: one nanosecond before the next local day starts
    /// (23:59:59.999999999 in Vietnam).
    pub fn end_of_local_day(&self, date: NaiveDate) -> DateTime<Utc> {
        match date.succ_opt() {
            Some(next_day) => self.start_of_local_day(next_day) - Duration::nanoseconds(1),
            None => DateTime::<Utc>::MAX_UTC,
        }
    }

    /// The instant a local wall-clock time denotes in this calendar's zone.
    pub fn local_to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        local_to_utc(self.tz, local)
    }
}

/// Converts a local wall-clock time to UTC: the earlier instant when the time occurs twice (clocks
/// set back), and the first existing local minute after it when it is skipped (clocks set
/// forward). Asia/Ho_Chi_Minh has neither.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => first_existing_local_time_after(tz, local),
    }
}

fn first_existing_local_time_after(tz: Tz, skipped: NaiveDateTime) -> DateTime<Utc> {
    for minutes in 1..=MAX_CLOCK_GAP_MINUTES {
        let Some(candidate) = skipped.checked_add_signed(Duration::minutes(minutes as i64)) else {
            break;
        };
        if let Some(at) = tz.from_local_datetime(&candidate).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    // Unreachable for real zones: read the wall-clock time with the offset in force at the
    // instant that has the same digits in UTC.
    let offset = tz.offset_from_utc_datetime(&skipped).fix();
    Utc.from_utc_datetime(&(skipped - offset))
}

/// Monday–Friday dates `d` with `after < d <= until` (`after <= until`).
fn weekdays_after_until(after: NaiveDate, until: NaiveDate) -> i64 {
    let span = (until - after).num_days();
    let full_weeks = span / 7;
    let start = i64::from(after.weekday().num_days_from_monday());
    let partial = (1..=span % 7).filter(|offset| (start + offset) % 7 < 5).count();
    full_weeks * 5 + count_as_i64(partial)
}

fn count_as_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Why office hours were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    #[error("invalid office hours \"{input}\": {source}")]
    Window { input: String, source: TimeWindowError },
    #[error(
        "invalid office hours \"{0}\": ranges must be in order and must not overlap, \
         e.g. \"07:00-11:30,13:30-17:00\""
    )]
    Overlap(String),
    #[error(
        "office hours must open on at least one day Monday to Friday \
         (e.g. default = \"07:00-11:30,13:30-17:00\")"
    )]
    NeverOpen,
}

/// Opening ranges of one weekday, e.g. `"07:00-11:30,13:30-17:00"`; `"closed"` (or `""`) for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyHours(Vec<TimeWindow>);

impl DailyHours {
    /// Builds from ranges that are in order and do not overlap (touching is fine).
    pub fn new(windows: Vec<TimeWindow>) -> Option<DailyHours> {
        let ordered = windows.windows(2).all(|pair| pair[0].end_minute() <= pair[1].start_minute());
        ordered.then_some(DailyHours(windows))
    }

    /// The ranges, earliest first.
    pub fn windows(&self) -> &[TimeWindow] {
        &self.0
    }

    /// Whether there is no opening range.
    pub fn is_closed(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, time: NaiveTime) -> bool {
        self.0.iter().any(|window| window.contains(time))
    }

    /// The first range opening after `time` (strictly later start), if any.
    fn next_start_after(&self, time: NaiveTime) -> Option<NaiveTime> {
        self.0.iter().find(|window| window.is_before_start(time)).map(|window| window.start())
    }

    fn first_start(&self) -> Option<NaiveTime> {
        self.0.first().map(|window| window.start())
    }
}

impl FromStr for DailyHours {
    type Err = OfficeHoursError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("closed") {
            return Ok(DailyHours::default());
        }
        let windows = trimmed
            .split(',')
            .map(|part| {
                part.parse::<TimeWindow>()
                    .map_err(|source| OfficeHoursError::Window { input: input.to_owned(), source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        DailyHours::new(windows).ok_or_else(|| OfficeHoursError::Overlap(input.to_owned()))
    }
}

impl fmt::Display for DailyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("closed");
        }
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl<'de> Deserialize<'de> for DailyHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Office opening hours per weekday, applied on working days only (a make-up Saturday uses
/// Saturday's hours, which default to the standard hours like every other day).
///
/// Config form (every weekday key optional, overriding `default`):
/// ```toml
/// [office_hours]
/// default = "07:00-11:30,13:30-17:00"
/// fri = "07:00-11:30,13:30-16:30"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "OfficeHoursConfig")]
pub struct OfficeHours {
    /// Index = days since Monday.
    by_weekday: [DailyHours; 7],
}

impl OfficeHours {
    /// The same hours every day; they must not be empty.
    pub fn new(standard: &DailyHours) -> Result<OfficeHours, OfficeHoursError> {
        if standard.is_closed() {
            return Err(OfficeHoursError::NeverOpen);
        }
        Ok(OfficeHours { by_weekday: std::array::from_fn(|_| standard.clone()) })
    }

    /// Replaces one weekday's hours; at least one day Monday to Friday must stay open.
    pub fn with_day(mut self, day: Weekday, hours: DailyHours) -> Result<OfficeHours, OfficeHoursError> {
        self.by_weekday[weekday_index(day)] = hours;
        let opens_on_a_weekday = self.by_weekday[..5].iter().any(|h| !h.is_closed());
        if opens_on_a_weekday {
            Ok(self)
        } else {
            Err(OfficeHoursError::NeverOpen)
        }
    }

    /// Hours configured for `day` (used only when the date is a working day).
    pub fn hours_on(&self, day: Weekday) -> &DailyHours {
        &self.by_weekday[weekday_index(day)]
    }

    /// Whether an officer is at work at `at`: a working day and inside one of its ranges.
    pub fn is_open(&self, cal: &WorkingCalendar, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&cal.time_zone()).naive_local();
        cal.is_working_day(local.date()) && self.hours_on(local.weekday()).contains(local.time())
    }

    /// `at` itself when open, otherwise the next instant the office opens: a later range the
    /// same working day, or the first range of the next working day. Returns
    /// [`DateTime::<Utc>::MAX_UTC`] only if the calendar runs out of dates.
    pub fn next_opening(&self, cal: &WorkingCalendar, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.is_open(cal, at) {
            return at;
        }
        let local = at.with_timezone(&cal.time_zone()).naive_local();
        let today = local.date();
        if cal.is_working_day(today) {
            if let Some(start) = self.hours_on(today.weekday()).next_start_after(local.time()) {
                return cal.local_to_utc(today.and_time(start)).max(at);
            }
        }
        let mut day = today;
        while day < NaiveDate::MAX {
            day = cal.next_working_day(day);
            if !cal.is_working_day(day) {
                break;
            }
            if let Some(start) = self.hours_on(day.weekday()).first_start() {
                return cal.local_to_utc(day.and_time(start)).max(at);
            }
        }
        DateTime::<Utc>::MAX_UTC
    }
}

/// 07:00-11:30 (evaluated at compile time; the fallback is unreachable).
const MORNING: TimeWindow = match TimeWindow::from_minutes(7 * 60, 11 * 60 + 30) {
    Some(window) => window,
    None => TimeWindow::ALL_DAY,
};

/// 13:30-17:00 (evaluated at compile time; the fallback is unreachable).
const AFTERNOON: TimeWindow = match TimeWindow::from_minutes(13 * 60 + 30, 17 * 60) {
    Some(window) => window,
    None => TimeWindow::ALL_DAY,
};

/// Standard Vietnamese office hours, 07:00–11:30 and 13:30–17:00, every working day.
impl Default for OfficeHours {
    fn default() -> Self {
        let standard = DailyHours(vec![MORNING, AFTERNOON]);
        OfficeHours { by_weekday: std::array::from_fn(|_| standard.clone()) }
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeHoursConfig {
    default: DailyHours,
    mon: Option<DailyHours>,
    tue: Option<DailyHours>,
    wed: Option<DailyHours>,
    thu: Option<DailyHours>,
    fri: Option<DailyHours>,
    sat: Option<DailyHours>,
    sun: Option<DailyHours>,
}

impl TryFrom<OfficeHoursConfig> for OfficeHours {
    type Error = OfficeHoursError;

    fn try_from(config: OfficeHoursConfig) -> Result<Self, Self::Error> {
        let overrides = [
            (Weekday::Mon, config.mon),
            (Weekday::Tue, config.tue),
            (Weekday::Wed, config.wed),
            (Weekday::Thu, config.thu),
            (Weekday::Fri, config.fri),
            (Weekday::Sat, config.sat),
            (Weekday::Sun, config.sun),
        ];
        let mut by_weekday: [DailyHours; 7] = std::array::from_fn(|_| config.default.clone());
        for (day, hours) in overrides {
            if let Some(hours) = hours {
                by_weekday[weekday_index(day)] = hours;
            }
        }
        if by_weekday[..5].iter().all(DailyHours::is_closed) {
            return Err(OfficeHoursError::NeverOpen);
        }
        Ok(OfficeHours { by_weekday })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::vietnam_default().expect("seeded holiday table is valid")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// A Vietnamese wall-clock time (UTC+7) as a UTC instant.
    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        DEFAULT_TIME_ZONE
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("unambiguous local time")
            .with_timezone(&Utc)
    }

    /// 23:59:59.999999999 Vietnamese time on the given date.
    fn end_of_day_vn(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        vn(y, m, d, 23, 59) + Duration::seconds(59) + Duration::nanoseconds(999_999_999)
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("valid RFC 3339 time").with_timezone(&Utc)
    }

    #[test]
    fn working_days_follow_the_table() {
        let cal = cal();
        let cases = [
            (date(2026, 1, 9), true, "ordinary Friday"),
            (date(2026, 1, 10), true, "make-up Saturday"),
            (date(2026, 1, 17), false, "ordinary Saturday"),
            (date(2026, 1, 11), false, "Sunday"),
            (date(2026, 1, 2), false, "swapped Friday"),
            (date(2026, 2, 18), false, "Tết"),
            (date(2026, 4, 27), false, "Giỗ Tổ observed"),
            (date(2026, 8, 22), true, "make-up Saturday before 2/9"),
            (date(2026, 8, 31), false, "swapped Monday"),
            (date(2025, 4, 26), true, "make-up Saturday 2025"),
            (date(2028, 1, 3), true, "uncovered year, Monday"),
        ];
        for (day, working, what) in cases {
            assert_eq!(cal.is_working_day(day), working, "{day} {what}");
        }
        assert!(cal.is_covered(date(2027, 12, 31)));
        assert!(!cal.is_covered(date(2028, 1, 1)));
        assert_eq!(cal.day_off_name(date(2026, 9, 2)), Some("Quốc khánh"));
        assert_eq!(cal.working_day_name(date(2026, 1, 10)), Some("Làm bù cho thứ Sáu 02/01/2026"));
    }

    #[test]
    fn new_rejects_an_invalid_table() {
        let table = HolidayTable::from_toml_str("[[working_days]]\ndate = 2026-01-10\nname = \"Làm bù\"\n")
            .expect("valid test input");
        let mut broken = table.clone();
        broken.days_off.push(crate::calendar::holidays::DayOff { date: date(2026, 1, 10), name: "Nghỉ".to_owned() });
        assert!(WorkingCalendar::new(table, DEFAULT_TIME_ZONE).is_ok());
        let err = WorkingCalendar::new(broken, DEFAULT_TIME_ZONE).unwrap_err();
        assert!(err.to_string().contains("2026-01-10"), "{err}");
    }

    #[test]
    fn next_working_day_skips_weekends_and_blocks() {
        let cal = cal();
        assert_eq!(cal.next_working_day(date(2026, 2, 12)), date(2026, 2, 13));
        assert_eq!(cal.next_working_day(date(2026, 2, 13)), date(2026, 2, 23));
        assert_eq!(cal.next_working_day(date(2026, 1, 9)), date(2026, 1, 10));
        assert_eq!(cal.next_working_day(date(2026, 8, 28)), date(2026, 9, 3));
        assert_eq!(cal.next_working_day(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn deadline_across_tet_2026() {
        // Received Thu 12/02/2026 10:00 (Vietnam), 10 working days.
        // 12/02 receipt day, not counted. Fri 13/02 = 1. Sat 14/02 – Sun 22/02 Tết block.
        // Mon 23/02 = 2, Tue 24 = 3, Wed 25 = 4, Thu 26 = 5, Fri 27 = 6,
        // Mon 02/03 = 7, Tue 03 = 8, Wed 04 = 9, Thu 05/03 = 10.
        // → ends 23:59:59.999999999 Thu 05/03/2026 Vietnam = 16:59:59.999999999Z.
        let cal = cal();
        let due = cal.deadline(vn(2026, 2, 12, 10, 0), 10);
        assert_eq!(due, end_of_day_vn(2026, 3, 5));
        assert_eq!(due, utc("2026-03-05T16:59:59.999999999Z"));
        assert_eq!(cal.add_working_days(date(2026, 2, 12), 10), date(2026, 3, 5));
    }

    #[test]
    fn deadline_uses_the_local_date_not_the_utc_date() {
        // 00:30 Thu 12/02/2026 in Vietnam is still Wed 11/02 17:30 in UTC.
        let cal = cal();
        let received = utc("2026-02-11T17:30:00Z");
        assert_eq!(cal.local_date(received), date(2026, 2, 12));
        assert_eq!(cal.deadline(received, 10), end_of_day_vn(2026, 3, 5));
    }

    #[test]
    fn deadline_counts_the_2026_make_up_saturday() {
        let cal = cal();
        // Received Wed 07/01/2026, 5 WD: Thu 08 = 1, Fri 09 = 2, Sat 10 (make-up) = 3,
        // Mon 12 = 4, Tue 13/01 = 5.
        assert_eq!(cal.deadline(vn(2026, 1, 7, 9, 0), 5), end_of_day_vn(2026, 1, 13));
        // Received Wed 31/12/2025, 3 WD: 01–04/01 off, Mon 05 = 1, Tue 06 = 2, Wed 07/01 = 3.
        assert_eq!(cal.deadline(vn(2025, 12, 31, 16, 0), 3), end_of_day_vn(2026, 1, 7));
        // Received Fri 09/01/2026, 1 WD: the make-up Saturday 10/01 itself.
        assert_eq!(cal.deadline(vn(2026, 1, 9, 16, 0), 1), end_of_day_vn(2026, 1, 10));
    }

    #[test]
    fn calendar_day_deadline_moves_off_a_weekend_or_holiday() {
        let cal = cal();
        // Received Mon 02/03/2026, 5 calendar days → Sat 07/03 → end of Mon 09/03.
        assert_eq!(cal.calendar_days_deadline(vn(2026, 3, 2, 9, 0), 5), end_of_day_vn(2026, 3, 9));
        // Received Fri 24/04/2026, 7 calendar days → Fri 01/05 (holiday); 02–03/05 weekend
        // → end of Mon 04/05.
        assert_eq!(cal.calendar_days_deadline(vn(2026, 4, 24, 9, 0), 7), end_of_day_vn(2026, 5, 4));
        // Last day a working day: unchanged. Received Tue 03/03/2026, 7 days → Tue 10/03.
        assert_eq!(cal.calendar_days_deadline(vn(2026, 3, 3, 9, 0), 7), end_of_day_vn(2026, 3, 10));
    }

    #[test]
    fn receipt_on_a_sunday_counts_from_monday() {
        // Received Sun 08/03/2026 21:00, 5 WD: Mon 09 = 1 … Fri 13/03 = 5.
        let cal = cal();
        assert_eq!(cal.deadline(vn(2026, 3, 8, 21, 0), 5), end_of_day_vn(2026, 3, 13));
    }

    #[test]
    fn receipt_on_a_holiday_counts_from_the_next_working_day() {
        // Received Thu 30/04/2026 (holiday), 3 WD: Fri 01/05 holiday, 02–03/05 weekend,
        // Mon 04 = 1, Tue 05 = 2, Wed 06/05 = 3.
        let cal = cal();
        assert_eq!(cal.deadline(vn(2026, 4, 30, 8, 0), 3), end_of_day_vn(2026, 5, 6));
        // Zero-day period received on a holiday ends with the next working day.
        assert_eq!(cal.deadline(vn(2026, 4, 30, 8, 0), 0), end_of_day_vn(2026, 5, 4));
        assert_eq!(cal.deadline(vn(2026, 5, 5, 8, 0), 0), end_of_day_vn(2026, 5, 5));
    }

    #[test]
    fn five_working_day_forwarding_limits() {
        // ND 20/2008 Đ.9: forward within 5 working days of receipt.
        let cal = cal();
        let cases = [
            // Mon 24/08/2026: Tue 25 = 1, Wed 26 = 2, Thu 27 = 3, Fri 28 = 4,
            // 29/08–02/09 block (31/08 swapped), Thu 03/09 = 5.
            (vn(2026, 8, 24, 9, 0), end_of_day_vn(2026, 9, 3)),
            // Fri 21/08/2026: Sat 22 (make-up) = 1, Mon 24 = 2, … Thu 27/08 = 5.
            (vn(2026, 8, 21, 15, 0), end_of_day_vn(2026, 8, 27)),
            // Tue 03/03/2026, an ordinary week: Tue 10/03.
            (vn(2026, 3, 3, 9, 0), end_of_day_vn(2026, 3, 10)),
            // Fri 25/04/2025 → Sat 26/04 make-up = 1, Mon 28 = 2, Tue 29 = 3, 30/04–04/05 off,
            // Mon 05 = 4, Tue 06/05/2025 = 5.
            (vn(2025, 4, 25, 9, 0), end_of_day_vn(2025, 5, 6)),
        ];
        for (received, due) in cases {
            assert_eq!(cal.deadline(received, 5), due, "received {received}");
        }
    }

    #[test]
    fn long_periods_match_day_by_day_counting() {
        let cal = cal();
        let mut start = date(2024, 12, 20);
        while start < date(2027, 12, 31) {
            for n in [0, 1, 6, 12, 30, 61] {
                let mut day = start;
                for _ in 0..n {
                    day = cal.next_working_day(day);
                }
                if n == 0 && !cal.is_working_day(start) {
                    day = cal.next_working_day(start);
                }
                assert_eq!(cal.add_working_days(start, n), day, "{start} + {n}");
            }
            start = start + Days::new(5);
        }
    }

    #[test]
    fn working_days_between_counts_like_a_deadline() {
        let cal = cal();
        let cases = [
            (vn(2026, 3, 9, 8, 0), vn(2026, 3, 9, 16, 0), 0, "same day"),
            (vn(2026, 3, 12, 8, 0), vn(2026, 3, 13, 8, 0), 1, "Thu → Fri"),
            (vn(2026, 3, 13, 8, 0), vn(2026, 3, 16, 8, 0), 1, "Fri → Mon"),
            (vn(2026, 2, 12, 10, 0), vn(2026, 3, 5, 23, 0), 10, "across Tết"),
            (vn(2026, 1, 9, 10, 0), vn(2026, 1, 12, 10, 0), 2, "make-up Sat"),
            (vn(2026, 3, 8, 10, 0), vn(2026, 3, 9, 10, 0), 1, "Sun → Mon"),
            (vn(2026, 3, 16, 8, 0), vn(2026, 3, 13, 8, 0), -1, "backwards"),
        ];
        for (from, to, expected, what) in cases {
            assert_eq!(cal.working_days_between(from, to), expected, "{what}");
        }
    }

    #[test]
    fn working_days_between_matches_a_day_by_day_count() {
        let cal = cal();
        let origin = date(2024, 12, 28);
        let mut from = origin;
        while from < date(2027, 12, 31) {
            let mut to = from;
            let mut expected = 0;
            for _ in 0..40 {
                to = to.succ_opt().expect("date in range");
                if cal.is_working_day(to) {
                    expected += 1;
                }
                let at = |d: NaiveDate| cal.start_of_local_day(d) + Duration::hours(9);
                assert_eq!(cal.working_days_between(at(from), at(to)), expected);
            }
            // The deadline of n days and the count agree.
            assert_eq!(
                cal.working_days_between(cal.start_of_local_day(from), cal.deadline(cal.start_of_local_day(from), 7)),
                7
            );
            from = from + Days::new(3);
        }
    }

    #[test]
    fn local_day_bounds_in_vietnam_and_across_a_clock_change() {
        let cal = cal();
        assert_eq!(cal.start_of_local_day(date(2026, 3, 5)), utc("2026-03-04T17:00:00Z"));
        assert_eq!(cal.end_of_local_day(date(2026, 3, 5)), utc("2026-03-05T16:59:59.999999999Z"));
        assert_eq!(cal.end_of_local_day(NaiveDate::MAX), DateTime::<Utc>::MAX_UTC);
        // São Paulo skipped 00:00–01:00 on 04/11/2018: the day starts at 01:00 (-02:00).
        let sao_paulo =
            WorkingCalendar::new(HolidayTable::default(), chrono_tz::America::Sao_Paulo).expect("empty table is valid");
        assert_eq!(sao_paulo.start_of_local_day(date(2018, 11, 4)), utc("2018-11-04T03:00:00Z"));
        assert_eq!(sao_paulo.end_of_local_day(date(2018, 11, 3)), utc("2018-11-04T02:59:59.999999999Z"));
    }

    fn hours(text: &str) -> DailyHours {
        text.parse().expect("valid test value")
    }

    #[test]
    fn office_hours_around_lunch() {
        let cal = cal();
        let office = OfficeHours::default();
        assert_eq!(office.hours_on(Weekday::Mon).to_string(), "07:00-11:30,13:30-17:00");
        // Mon 09/03/2026.
        assert!(office.is_open(&cal, vn(2026, 3, 9, 11, 29)));
        assert!(!office.is_open(&cal, vn(2026, 3, 9, 11, 30)));
        assert!(!office.is_open(&cal, vn(2026, 3, 9, 12, 15)));
        assert!(office.is_open(&cal, vn(2026, 3, 9, 13, 30)));
        // 11:30 and 12:15 → 13:30 the same day; open → the same instant.
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 9, 11, 30)), vn(2026, 3, 9, 13, 30));
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 9, 12, 15)), vn(2026, 3, 9, 13, 30));
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 9, 10, 0)), vn(2026, 3, 9, 10, 0));
        // 06:00 → 07:00 the same day.
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 9, 6, 0)), vn(2026, 3, 9, 7, 0));
    }

    #[test]
    fn office_hours_friday_evening_to_monday_morning() {
        let cal = cal();
        let office = OfficeHours::default();
        // Fri 06/03/2026 18:00 → Mon 09/03 07:00; Sat 07/03 10:00 is closed.
        assert!(!office.is_open(&cal, vn(2026, 3, 7, 10, 0)));
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 6, 18, 0)), vn(2026, 3, 9, 7, 0));
    }

    #[test]
    fn office_hours_before_holiday_blocks_and_on_make_up_days() {
        let cal = cal();
        let office = OfficeHours::default();
        let cases = [
            // Fri 13/02/2026 17:30, before Tết → Mon 23/02 07:00.
            (vn(2026, 2, 13, 17, 30), vn(2026, 2, 23, 7, 0)),
            // Wed 29/04/2026 17:00, before 30/4–3/5 → Mon 04/05 07:00.
            (vn(2026, 4, 29, 17, 0), vn(2026, 5, 4, 7, 0)),
            // During Tết, Wed 18/02/2026 09:00 → Mon 23/02 07:00.
            (vn(2026, 2, 18, 9, 0), vn(2026, 2, 23, 7, 0)),
            // Fri 09/01/2026 17:30 → make-up Sat 10/01 07:00.
            (vn(2026, 1, 9, 17, 30), vn(2026, 1, 10, 7, 0)),
        ];
        for (at, opening) in cases {
            assert_eq!(office.next_opening(&cal, at), opening, "from {at}");
        }
        assert!(office.is_open(&cal, vn(2026, 1, 10, 9, 0)));
    }

    #[test]
    fn office_hours_per_weekday_overrides() {
        let cal = cal();
        let office = OfficeHours::new(&hours("07:30-11:30,13:00-17:00"))
            .expect("valid test input")
            .with_day(Weekday::Fri, hours("07:30-11:30"))
            .expect("valid test input")
            .with_day(Weekday::Sat, hours("closed"))
            .expect("valid test input");
        // Fri 06/03/2026 13:00 is closed on the Friday schedule → Mon 09/03 07:30.
        assert!(!office.is_open(&cal, vn(2026, 3, 6, 13, 0)));
        assert_eq!(office.next_opening(&cal, vn(2026, 3, 6, 13, 0)), vn(2026, 3, 9, 7, 30));
        // Saturday closed even on the make-up Saturday 10/01/2026 → Mon 12/01 07:30.
        assert_eq!(office.next_opening(&cal, vn(2026, 1, 9, 18, 0)), vn(2026, 1, 12, 7, 30));
        assert_eq!(office.hours_on(Weekday::Fri).to_string(), "07:30-11:30");
        assert_eq!(office.hours_on(Weekday::Sat).to_string(), "closed");
    }

    #[test]
    fn office_hours_validation() {
        assert_eq!(OfficeHours::new(&DailyHours::default()), Err(OfficeHoursError::NeverOpen));
        let mut office = Ok(OfficeHours::default());
        for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu] {
            office = office.and_then(|o| o.with_day(day, DailyHours::default()));
        }
        assert!(office.is_ok());
        assert_eq!(
            office.and_then(|o| o.with_day(Weekday::Fri, DailyHours::default())),
            Err(OfficeHoursError::NeverOpen)
        );
        for (text, expected) in [
            ("13:30-17:00,07:00-11:30", "must be in order"),
            ("07:00-12:00,11:30-17:00", "must not overlap"),
            ("07:00-11:30;13:30-17:00", "invalid office hours \"07:00-11:30;13:30-17:00\""),
            ("7-11", "expected HH:MM-HH:MM"),
        ] {
            let message = text.parse::<DailyHours>().unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        assert_eq!(hours("07:00-11:30,11:30-17:00").windows().len(), 2);
    }

    #[derive(Debug, Deserialize)]
    struct Config {
        office_hours: OfficeHours,
    }

    #[test]
    fn office_hours_from_config() {
        let config: Config =
            toml::from_str("[office_hours]\ndefault = \"07:00-11:30,13:30-17:00\"\nfri = \"07:00-11:30\"\n")
                .expect("valid test input");
        assert_eq!(config.office_hours.hours_on(Weekday::Mon).to_string(), "07:00-11:30,13:30-17:00");
        assert_eq!(config.office_hours.hours_on(Weekday::Fri).to_string(), "07:00-11:30");
        for (text, expected) in [
            (
                "[office_hours]\ndefault = \"closed\"\nsat = \"07:00-11:00\"\n",
                "must open on at least one day Monday to Friday",
            ),
            ("[office_hours]\ndefault = \"07:00-11:30\"\nsaturday = \"closed\"\n", "unknown field `saturday`"),
            ("[office_hours]\ndefault = \"7h-11h\"\n", "expected HH:MM-HH:MM"),
        ] {
            let message = toml::from_str::<Config>(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }
}

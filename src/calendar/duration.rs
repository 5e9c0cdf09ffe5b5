//! Human-writable time values for configuration: durations (`"24h"`, `"1h30m"`), weekday sets
//! (`"mon-sat"`, `"sat-mon"`) and daily time windows (`"08:00-20:00"`), each parsed from a string,
//! printed back in canonical form and usable as a serde config value.

use std::fmt;
use std::str::FromStr;

use chrono::{Duration, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const DURATION_FORMAT: &str = "a whole number followed by a unit d, h, m, s or ms, units largest first, \
     e.g. \"24h\", \"30m\", \"90s\", \"7d\", \"1h30m\", \"500ms\"";
const DAY_RANGE_FORMAT: &str = "weekday names (mon, tue, wed, thu, fri, sat, sun) as a comma-separated list and/or \
     ranges, e.g. \"mon-fri\", \"mon,wed,fri\", \"sat-mon\"";
const TIME_WINDOW_FORMAT: &str = "HH:MM-HH:MM with the start before the end (24-hour clock, end may be 24:00), \
     e.g. \"08:00-20:00\"";

/// Units accepted in a duration, largest first, with their length in milliseconds.
const UNITS: [(&str, i64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

/// Why a duration string was rejected; every message quotes the input and the accepted format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("invalid duration \"\": empty; expected {DURATION_FORMAT}")]
    Empty,
    #[error("invalid duration \"{0}\": negative durations are not allowed; expected {DURATION_FORMAT}")]
    Negative(String),
    #[error("invalid duration \"{0}\": a number is missing before a unit; expected {DURATION_FORMAT}")]
    MissingNumber(String),
    #[error("invalid duration \"{0}\": a number has no unit; expected {DURATION_FORMAT}")]
    MissingUnit(String),
    #[error("invalid duration \"{input}\": unknown unit \"{unit}\"; expected {DURATION_FORMAT}")]
    UnknownUnit { input: String, unit: String },
    #[error(
        "invalid duration \"{0}\": each unit may appear once, largest first (d, h, m, s, ms); \
         expected {DURATION_FORMAT}"
    )]
    UnitOrder(String),
    #[error("invalid duration \"{input}\": unexpected character {found:?}; expected {DURATION_FORMAT}")]
    Unexpected { input: String, found: char },
    #[error("invalid duration \"{0}\": too large")]
    Overflow(String),
    #[error(
        "duration {0:?} cannot be written as a human duration: it must be a non-negative whole number of milliseconds"
    )]
    NotWholeMilliseconds(Duration),
}

/// Parses `"24h"`, `"30m"`, `"90s"`, `"7d"`, `"1h30m"` … into a [`Duration`].
///
/// Grammar: one or more `<digits><unit>` components without spaces (surrounding whitespace is
/// ignored), units `d` (24 h), `h`, `m`, `s`, `ms`, each at most once and largest first. `"0s"` parses
/// to zero; whether zero is acceptable is the caller's decision.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.starts_with('-') {
        return Err(DurationError::Negative(input.to_owned()));
    }
    let mut total: i64 = 0;
    let mut rest = text;
    let mut next_unit_index = 0;
    while !rest.is_empty() {
        let (number, after_number) = split_leading(rest, |c| c.is_ascii_digit());
        if number.is_empty() {
            return Err(missing_number_or_unexpected(input, rest));
        }
        let (unit, after_unit) = split_leading(after_number, char::is_alphabetic);
        if unit.is_empty() {
            return Err(match after_number.chars().next() {
                None => DurationError::MissingUnit(input.to_owned()),
                Some(found) => DurationError::Unexpected { input: input.to_owned(), found },
            });
        }
        let unit_index = UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(|| DurationError::UnknownUnit { input: input.to_owned(), unit: unit.to_owned() })?;
        if unit_index < next_unit_index {
            return Err(DurationError::UnitOrder(input.to_owned()));
        }
        next_unit_index = unit_index + 1;
        let millis =
            component_millis(number, UNITS[unit_index].1).ok_or_else(|| DurationError::Overflow(input.to_owned()))?;
        total = total.checked_add(millis).ok_or_else(|| DurationError::Overflow(input.to_owned()))?;
        rest = after_unit;
    }
    Duration::try_milliseconds(total).ok_or_else(|| DurationError::Overflow(input.to_owned()))
}

fn missing_number_or_unexpected(input: &str, rest: &str) -> DurationError {
    match rest.chars().next() {
        Some(found) if !found.is_alphabetic() => DurationError::Unexpected { input: input.to_owned(), found },
        _ => DurationError::MissingNumber(input.to_owned()),
    }
}

/// Splits `text` after its longest prefix whose characters all satisfy `keep`.
fn split_leading(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = text.char_indices().find(|(_, c)| !keep(*c)).map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

fn component_millis(number: &str, unit_millis: i64) -> Option<i64> {
    number.parse::<i64>().ok()?.checked_mul(unit_millis)
}

/// Writes a non-negative whole-millisecond duration in canonical form: largest units first, zero
/// components left out (`90s` → `"1m30s"`, `24h` → `"1d"`), zero as `"0s"`.
fn format_whole_millis(total: i64) -> String {
    if total == 0 {
        return "0s".to_owned();
    }
    let mut rest = total;
    let mut out = String::new();
    for (name, millis) in UNITS {
        let count = rest / millis;
        rest %= millis;
        if count > 0 {
            out.push_str(&count.to_string());
            out.push_str(name);
        }
    }
    out
}

/// A non-negative whole-millisecond duration written like `"1h30m"`; a config value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(Duration);

impl HumanDuration {
    /// The wrapped duration.
    pub fn as_duration(self) -> Duration {
        self.0
    }

    /// A whole number of seconds.
    pub fn from_secs(secs: i64) -> Self {
        HumanDuration(Duration::seconds(secs.max(0)))
    }

    /// A whole number of milliseconds.
    pub fn from_millis(millis: i64) -> Self {
        HumanDuration(Duration::milliseconds(millis.max(0)))
    }

    /// The same length as a `std` duration (for timers and timeouts).
    pub fn to_std(self) -> std::time::Duration {
        self.0.to_std().unwrap_or_default()
    }
}

impl TryFrom<Duration> for HumanDuration {
    type Error = DurationError;

    fn try_from(value: Duration) -> Result<Self, Self::Error> {
        if value < Duration::zero() || value.subsec_nanos() % 1_000_000 != 0 {
            return Err(DurationError::NotWholeMilliseconds(value));
        }
        Ok(HumanDuration(value))
    }
}

impl From<HumanDuration> for Duration {
    fn from(value: HumanDuration) -> Self {
        value.0
    }
}

impl FromStr for HumanDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_duration(s).map(HumanDuration)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_whole_millis(self.0.num_milliseconds()))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str(deserializer)
    }
}

/// `#[serde(with = "crate::calendar::duration::human")]` for plain [`Duration`] fields.
pub mod human {
    use super::HumanDuration;
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        HumanDuration::try_from(*value).map_err(serde::ser::Error::custom)?.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        HumanDuration::deserialize(deserializer).map(HumanDuration::as_duration)
    }
}

/// Deserializes any `FromStr` type from a string, passing its error message through.
fn deserialize_from_str<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// Why a weekday set was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayRangeError {
    #[error("invalid day range \"{0}\": empty; expected {DAY_RANGE_FORMAT}")]
    Empty(String),
    #[error("invalid day range \"{input}\": unknown day \"{day}\"; expected {DAY_RANGE_FORMAT}")]
    UnknownDay { input: String, day: String },
}

/// A set of weekdays; ranges wrap around the week (`"sat-mon"` = Saturday, Sunday, Monday).
/// Never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayRange {
    /// Bit `i` set = the weekday `i` days after Monday is included.
    bits: u8,
}

impl DayRange {
    /// Monday to Friday.
    pub const MON_FRI: DayRange = DayRange { bits: 0b001_1111 };
    /// Monday to Saturday.
    pub const MON_SAT: DayRange = DayRange { bits: 0b011_1111 };
    /// Every day.
    pub const EVERY_DAY: DayRange = DayRange { bits: 0b111_1111 };

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.bits & day_bit(day) != 0
    }

    /// The weekdays in the set, Monday first.
    pub fn days(self) -> impl Iterator<Item = Weekday> {
        all_weekdays().filter(move |day| self.contains(*day))
    }
}

fn day_bit(day: Weekday) -> u8 {
    1 << day.num_days_from_monday()
}

fn all_weekdays() -> impl Iterator<Item = Weekday> {
    std::iter::successors(Some(Weekday::Mon), |day| (*day != Weekday::Sun).then(|| day.succ()))
}

fn parse_weekday(input: &str, name: &str) -> Result<Weekday, DayRangeError> {
    name.trim()
        .parse::<Weekday>()
        .map_err(|_| DayRangeError::UnknownDay { input: input.to_owned(), day: name.trim().to_owned() })
}

/// Bits for `first..=last`, walking forward through the week (wrapping after Sunday).
fn range_bits(first: Weekday, last: Weekday) -> u8 {
    let mut bits = day_bit(first);
    let mut day = first;
    while day != last {
        day = day.succ();
        bits |= day_bit(day);
    }
    bits
}

impl FromStr for DayRange {
    type Err = DayRangeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.trim().is_empty() {
            return Err(DayRangeError::Empty(input.to_owned()));
        }
        let mut bits = 0;
        for item in input.split(',') {
            bits |= match item.split_once('-') {
                Some((first, last)) => range_bits(parse_weekday(input, first)?, parse_weekday(input, last)?),
                None => day_bit(parse_weekday(input, item)?),
            };
        }
        Ok(DayRange { bits })
    }
}

/// Canonical form, Monday first: runs of consecutive days as ranges (`"mon-sat"`,
/// `"mon,sat-sun"` for `"sat-mon"`, `"mon,wed,fri"`).
impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut parts = Vec::new();
        let mut index = 0;
        while index < names.len() {
            if self.bits & (1 << index) == 0 {
                index += 1;
                continue;
            }
            let start = index;
            while index + 1 < names.len() && self.bits & (1 << (index + 1)) != 0 {
                index += 1;
            }
            parts.push(if start == index {
                names[start].to_owned()
            } else {
                format!("{}-{}", names[start], names[index])
            });
            index += 1;
        }
        f.write_str(&parts.join(","))
    }
}

impl Serialize for DayRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str(deserializer)
    }
}

/// Why a time window was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeWindowError {
    #[error("invalid time window \"{0}\": expected {TIME_WINDOW_FORMAT}")]
    Format(String),
    #[error("invalid time window \"{input}\": \"{time}\" is not a time of day; expected {TIME_WINDOW_FORMAT}")]
    BadTime { input: String, time: String },
    #[error("invalid time window \"{0}\": the start must be before the end; expected {TIME_WINDOW_FORMAT}")]
    NotIncreasing(String),
}

const MINUTES_PER_DAY: u32 = 24 * 60;

/// A daily window `[start, end)` in local time, e.g. `"08:00-20:00"`; `end` may be `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeWindow {
    start_minute: u32,
    end_minute: u32,
}

impl TimeWindow {
    /// The whole day, 00:00-24:00.
    pub const ALL_DAY: TimeWindow = TimeWindow { start_minute: 0, end_minute: MINUTES_PER_DAY };

    /// Builds a window from minutes after midnight (`end_minute` up to 1440 = 24:00).
    pub const fn from_minutes(start_minute: u32, end_minute: u32) -> Option<TimeWindow> {
        if start_minute < end_minute && end_minute <= MINUTES_PER_DAY {
            Some(TimeWindow { start_minute, end_minute })
        } else {
            None
        }
    }

    /// Opening time of the window.
    pub fn start(self) -> NaiveTime {
        NaiveTime::from_num_seconds_from_midnight_opt(self.start_minute * 60, 0).unwrap_or(NaiveTime::MIN)
    }

    /// Start in minutes after local midnight.
    pub fn start_minute(self) -> u32 {
        self.start_minute
    }

    /// End (exclusive) in minutes after local midnight; 1440 means midnight at the end of the day.
    pub fn end_minute(self) -> u32 {
        self.end_minute
    }

    /// Whether `time` is inside `[start, end)`.
    pub fn contains(self, time: NaiveTime) -> bool {
        let second = time.num_seconds_from_midnight();
        second >= self.start_minute * 60 && second < self.end_minute * 60
    }

    /// Whether `time` is before the window opens.
    pub fn is_before_start(self, time: NaiveTime) -> bool {
        time.num_seconds_from_midnight() < self.start_minute * 60
    }
}

fn parse_minute_of_day(input: &str, text: &str, allow_end_of_day: bool) -> Result<u32, TimeWindowError> {
    let bad_time = || TimeWindowError::BadTime { input: input.to_owned(), time: text.to_owned() };
    let (hours, minutes) = text.split_once(':').ok_or_else(bad_time)?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || hours.len() > 2 || !all_digits(minutes) || minutes.len() != 2 {
        return Err(bad_time());
    }
    let hours: u32 = hours.parse().map_err(|_| bad_time())?;
    let minutes: u32 = minutes.parse().map_err(|_| bad_time())?;
    let is_end_of_day = allow_end_of_day && hours == 24 && minutes == 0;
    if (hours > 23 || minutes > 59) && !is_end_of_day {
        return Err(bad_time());
    }
    Ok(hours * 60 + minutes)
}

fn format_minute_of_day(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl FromStr for TimeWindow {
    type Err = TimeWindowError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (start, end) = input.trim().split_once('-').ok_or_else(|| TimeWindowError::Format(input.to_owned()))?;
        let start_minute = parse_minute_of_day(input, start.trim(), false)?;
        let end_minute = parse_minute_of_day(input, end.trim(), true)?;
        TimeWindow::from_minutes(start_minute, end_minute)
            .ok_or_else(|| TimeWindowError::NotIncreasing(input.to_owned()))
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", format_minute_of_day(self.start_minute), format_minute_of_day(self.end_minute))
    }
}

impl Serialize for TimeWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str(deserializer)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        let cases = [
            ("24h", 24 * 3600),
            ("30m", 30 * 60),
            ("90s", 90),
            ("7d", 7 * 86_400),
            ("1h30m", 5400),
            ("1d2h3m4s", 86_400 + 7200 + 180 + 4),
            (" 48h ", 48 * 3600),
            ("0s", 0),
            ("0h", 0),
            ("36h", 36 * 3600),
        ];
        for (input, seconds) in cases {
            assert_eq!(parse_duration(input), Ok(Duration::seconds(seconds)), "{input}");
        }
    }

    #[test]
    fn rejects_bad_durations_quoting_the_input() {
        let cases = [
            ("", "invalid duration \"\": empty"),
            ("   ", "invalid duration \"\": empty"),
            ("-5m", "\"-5m\": negative"),
            ("30", "\"30\": a number has no unit"),
            ("h", "\"h\": a number is missing"),
            ("5x", "\"5x\": unknown unit \"x\""),
            ("5min", "\"5min\": unknown unit \"min\""),
            ("1h 30m", "\"1h 30m\": unexpected character ' '"),
            ("1.5h", "\"1.5h\": unexpected character '.'"),
            ("+5m", "\"+5m\": unexpected character '+'"),
            ("30m1h", "\"30m1h\": each unit may appear once"),
            ("1h1h", "\"1h1h\": each unit may appear once"),
            ("99999999999999999999s", "too large"),
            ("106751991167301d", "too large"),
            ("9223372036854775807s", "too large"),
        ];
        for (input, expected) in cases {
            let message = parse_duration(input).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            if expected != "too large" {
                assert!(message.contains("e.g. \"24h\""), "{message}");
            }
        }
    }

    #[test]
    fn displays_canonical_shortest_form_and_round_trips() {
        let cases = [
            ("24h", "1d"),
            ("30m", "30m"),
            ("90s", "1m30s"),
            ("7d", "7d"),
            ("1h30m", "1h30m"),
            ("0s", "0s"),
            ("3600s", "1h"),
            ("1d0h0m5s", "1d5s"),
        ];
        for (input, shown) in cases {
            let parsed: HumanDuration = input.parse().expect("valid test value");
            assert_eq!(parsed.to_string(), shown, "{input}");
            assert_eq!(shown.parse::<HumanDuration>(), Ok(parsed));
        }
    }

    #[test]
    fn human_duration_rejects_negative_and_fractional_values() {
        assert!(HumanDuration::try_from(Duration::seconds(-1)).is_err());
        assert!(HumanDuration::try_from(Duration::microseconds(1500)).is_err());
        assert_eq!(
            HumanDuration::try_from(Duration::milliseconds(1500)).map(|d| d.to_string()),
            Ok("1s500ms".to_owned())
        );
        assert_eq!(
            "500ms".parse::<HumanDuration>().map(HumanDuration::to_std),
            Ok(std::time::Duration::from_millis(500))
        );
        assert!("5ms1s".parse::<HumanDuration>().is_err(), "units largest first");
        assert_eq!(HumanDuration::try_from(Duration::minutes(90)).map(|d| d.to_string()), Ok("1h30m".to_owned()));
    }

    #[test]
    fn parses_day_ranges() {
        use Weekday::*;
        let cases: [(&str, &[Weekday]); 7] = [
            ("mon-sat", &[Mon, Tue, Wed, Thu, Fri, Sat]),
            ("mon-fri", &[Mon, Tue, Wed, Thu, Fri]),
            ("mon,wed,fri", &[Mon, Wed, Fri]),
            ("sat-mon", &[Mon, Sat, Sun]),
            ("Sun", &[Sun]),
            ("fri-fri", &[Fri]),
            (" mon - tue , saturday ", &[Mon, Tue, Sat]),
        ];
        for (input, days) in cases {
            let range: DayRange = input.parse().expect("valid test value");
            assert_eq!(range.days().collect::<Vec<_>>(), days, "{input}");
        }
    }

    #[test]
    fn day_range_display_round_trips() {
        for (input, shown) in [
            ("mon-sat", "mon-sat"),
            ("sat-mon", "mon,sat-sun"),
            ("mon,wed,fri", "mon,wed,fri"),
            ("sun-sat", "mon-sun"),
            ("fri,thu", "thu-fri"),
        ] {
            let range: DayRange = input.parse().expect("valid test value");
            assert_eq!(range.to_string(), shown);
            assert_eq!(shown.parse::<DayRange>(), Ok(range));
        }
        assert_eq!(DayRange::MON_SAT, "mon-sat".parse().expect("valid test value"));
        assert_eq!(DayRange::MON_FRI, "mon-fri".parse().expect("valid test value"));
        assert_eq!(DayRange::EVERY_DAY, "mon-sun".parse().expect("valid test value"));
    }

    #[test]
    fn rejects_bad_day_ranges() {
        for (input, expected) in [
            ("", "\"\": empty"),
            ("mon-", "unknown day \"\""),
            ("mon,,fri", "unknown day \"\""),
            ("t2-t6", "unknown day \"t2\""),
            ("mon-fri-sat", "unknown day \"fri-sat\""),
        ] {
            let message = input.parse::<DayRange>().unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            assert!(message.contains("e.g. \"mon-fri\""), "{message}");
        }
    }

    #[test]
    fn parses_time_windows() {
        let window: TimeWindow = "08:00-20:00".parse().expect("valid test value");
        assert_eq!(window.start(), NaiveTime::from_hms_opt(8, 0, 0).expect("valid test time"));
        assert_eq!((window.start_minute(), window.end_minute()), (480, 1200));
        assert_eq!(window.to_string(), "08:00-20:00");
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("valid test time");
        assert!(!window.contains(t(7, 59, 59)));
        assert!(window.contains(t(8, 0, 0)));
        assert!(window.contains(t(19, 59, 59)));
        assert!(!window.contains(t(20, 0, 0)));
        assert!(window.is_before_start(t(7, 0, 0)));
        assert!(!window.is_before_start(t(21, 0, 0)));

        let all_day: TimeWindow = "0:00-24:00".parse().expect("valid test value");
        assert!(all_day.contains(NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid test time")));
        assert_eq!(all_day.to_string(), "00:00-24:00");
        assert_eq!(all_day, TimeWindow::ALL_DAY);
    }

    #[test]
    fn rejects_bad_time_windows() {
        for (input, expected) in [
            ("25:00-26:00", "\"25:00\" is not a time of day"),
            ("08:00-24:01", "\"24:01\" is not a time of day"),
            ("24:00-24:00", "\"24:00\" is not a time of day"),
            ("08:60-09:00", "\"08:60\" is not a time of day"),
            ("8h-20h", "\"8h\" is not a time of day"),
            ("20:00-08:00", "the start must be before the end"),
            ("08:00-08:00", "the start must be before the end"),
            ("08:00", "expected HH:MM-HH:MM"),
            ("", "expected HH:MM-HH:MM"),
        ] {
            let message = input.parse::<TimeWindow>().unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            assert!(message.contains("e.g. \"08:00-20:00\""), "{message}");
        }
    }

    #[derive(Debug, Deserialize, Serialize)]
    struct Sample {
        wait: HumanDuration,
        #[serde(with = "human")]
        plain: Duration,
        days: DayRange,
        window: TimeWindow,
    }

    #[test]
    fn deserializes_from_config_strings_and_serializes_back() {
        let sample: Sample =
            toml::from_str("wait = \"90m\"\nplain = \"2d\"\ndays = \"sat-mon\"\nwindow = \"07:30-11:30\"\n")
                .expect("valid test input");
        assert_eq!(sample.wait.as_duration(), Duration::minutes(90));
        assert_eq!(sample.plain, Duration::days(2));
        assert!(sample.days.contains(Weekday::Sun));
        assert_eq!(sample.window.start_minute(), 450);
        let written = toml::to_string(&sample).expect("serializable");
        assert_eq!(written, "wait = \"1h30m\"\nplain = \"2d\"\ndays = \"mon,sat-sun\"\nwindow = \"07:30-11:30\"\n");
    }

    #[test]
    fn config_errors_explain_the_format() {
        let valid = [("wait", "\"1h\""), ("plain", "\"1h\""), ("days", "\"mon\""), ("window", "\"08:00-09:00\"")];
        for (key, bad_value, expected) in [
            ("wait", "\"1 hour\"", "expected a whole number followed by a unit"),
            ("plain", "\"-1h\"", "negative durations are not allowed"),
            ("days", "\"weekdays\"", "expected weekday names"),
            ("window", "\"8-20\"", "expected HH:MM-HH:MM"),
            ("wait", "5", "expected a string"),
        ] {
            let text: String =
                valid.iter().map(|(k, v)| format!("{k} = {}\n", if *k == key { bad_value } else { v })).collect();
            let message = toml::from_str::<Sample>(&text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }
}

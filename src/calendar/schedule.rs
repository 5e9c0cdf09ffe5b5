//! Survey send-time rules: when a satisfaction survey for a completed dossier may be sent (delay,
//! daily window, allowed weekdays, holidays), which dossiers are sampled, when the single reminder
//! goes out, when the survey expires, and the per-citizen frequency cap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::duration::{human, DayRange, TimeWindow};
use super::working::WorkingCalendar;

/// Why a send policy was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("sampling_rate must be a number from 0.0 to 1.0 (e.g. 0.3 for 30%), got {0}")]
    SamplingRate(f64),
    #[error("{field} must be positive (e.g. \"7d\"), got {value}")]
    NotPositive { field: &'static str, value: String },
    #[error("{field} must not be negative, got {value}")]
    Negative { field: &'static str, value: String },
}

/// When and to whom a post-procedure survey is sent. All times are judged in the calendar's
/// local time zone.
///
/// Config form (every key optional, defaults shown):
/// ```toml
/// delay_after_completion = "1d"  # 24h
/// window = "08:00-20:00"
/// days = "mon-sat"
/// skip_holidays = true
/// sampling_rate = 1.0
/// min_days_between = 30
/// reminder_after = "2d"          # 48h; "0s" = no reminder
/// expire_after = "7d"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SendPolicy {
    /// Time after the dossier's completion before the survey may go out.
    #[serde(with = "human")]
    pub delay_after_completion: Duration,
    /// Local hours in which surveys and reminders are sent, `[start, end)`.
    pub window: TimeWindow,
    /// Weekdays on which sending is allowed.
    pub days: DayRange,
    /// Also skip dates listed as days off (holidays, Tết blocks); make-up working days are not
    /// days off, so they follow `days` like any other date.
    pub skip_holidays: bool,
    /// Share of dossiers surveyed, 0.0–1.0, decided per dossier code by [`sampling_point`].
    #[serde(deserialize_with = "deserialize_sampling_rate")]
    pub sampling_rate: f64,
    /// A citizen surveyed less than this many days (× 24 h) ago is not surveyed again; 0 = no cap.
    pub min_days_between: u32,
    /// Time after sending before the single reminder; zero means no reminder.
    #[serde(with = "human")]
    pub reminder_after: Duration,
    /// Time after sending after which answers are no longer accepted.
    #[serde(serialize_with = "human::serialize", deserialize_with = "deserialize_positive_duration")]
    pub expire_after: Duration,
}

impl Default for SendPolicy {
    /// 24h delay, 08:00-20:00, mon-sat, holidays skipped, everyone sampled, at most one survey
    /// per citizen per 30 days, reminder after 48h, expiry after 7 days.
    fn default() -> Self {
        SendPolicy {
            delay_after_completion: Duration::hours(24),
            window: DEFAULT_WINDOW,
            days: DayRange::MON_SAT,
            skip_holidays: true,
            sampling_rate: 1.0,
            min_days_between: 30,
            reminder_after: Duration::hours(48),
            expire_after: Duration::days(7),
        }
    }
}

/// 08:00-20:00 (evaluated at compile time; the fallback is unreachable).
const DEFAULT_WINDOW: TimeWindow = match TimeWindow::from_minutes(8 * 60, 20 * 60) {
    Some(window) => window,
    None => TimeWindow::ALL_DAY,
};

impl SendPolicy {
    /// Checks the values a struct literal could get wrong: sampling rate within 0.0–1.0,
    /// non-negative delays, positive expiry.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if !(0.0..=1.0).contains(&self.sampling_rate) {
            return Err(ScheduleError::SamplingRate(self.sampling_rate));
        }
        for (field, value) in
            [("delay_after_completion", self.delay_after_completion), ("reminder_after", self.reminder_after)]
        {
            if value < Duration::zero() {
                return Err(ScheduleError::Negative { field, value: value.to_string() });
            }
        }
        if self.expire_after <= Duration::zero() {
            return Err(ScheduleError::NotPositive { field: "expire_after", value: self.expire_after.to_string() });
        }
        Ok(())
    }

    /// When the survey of a dossier completed at `completed_at` is first sent: completion plus
    /// the delay, moved forward by [`Self::next_allowed`].
    pub fn first_send_at(&self, cal: &WorkingCalendar, completed_at: DateTime<Utc>) -> DateTime<Utc> {
        self.next_allowed(cal, saturating_add(completed_at, self.delay_after_completion))
    }

    /// The earliest instant at or after `at` when sending is allowed: `at` itself on an allowed
    /// day inside the window; the window's start that day when `at` is before it; otherwise the
    /// window's start on the next allowed day. An allowed day is one of `days` that, when
    /// `skip_holidays` is set, is not listed as a day off.
    pub fn next_allowed(&self, cal: &WorkingCalendar, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = at.with_timezone(&cal.time_zone()).naive_local();
        let today = local.date();
        if self.is_allowed_day(cal, today) {
            if self.window.contains(local.time()) {
                return at;
            }
            if self.window.is_before_start(local.time()) {
                return self.window_start_on(cal, today).max(at);
            }
        }
        let mut day = today;
        while let Some(next) = day.succ_opt() {
            day = next;
            if self.is_allowed_day(cal, day) {
                return self.window_start_on(cal, day).max(at);
            }
        }
        DateTime::<Utc>::MAX_UTC
    }

    /// Whether surveys may be sent on local date `day` (ignoring the time window).
    pub fn is_allowed_day(&self, cal: &WorkingCalendar, day: NaiveDate) -> bool {
        self.days.contains(day.weekday()) && !(self.skip_holidays && cal.is_day_off(day))
    }

    fn window_start_on(&self, cal: &WorkingCalendar, day: NaiveDate) -> DateTime<Utc> {
        cal.local_to_utc(day.and_time(self.window.start()))
    }

    /// Whether the dossier is in the sample: [`sampling_point`]`(dossier_code) < sampling_rate`.
    /// The same code always gets the same answer, on every machine and Rust version; a rate of
    /// 1.0 samples every dossier and 0.0 none.
    pub fn is_sampled(&self, dossier_code: &str) -> bool {
        sampling_point(dossier_code) < self.sampling_rate
    }

    /// When the single reminder of a survey sent at `sent_at` goes out: `sent_at` plus
    /// `reminder_after`, moved forward by [`Self::next_allowed`]. `None` when `reminder_after` is
    /// zero or when that moment is not before [`Self::expires_at`].
    pub fn reminder_at(&self, cal: &WorkingCalendar, sent_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.reminder_after <= Duration::zero() {
            return None;
        }
        let reminder = self.next_allowed(cal, saturating_add(sent_at, self.reminder_after));
        (reminder < self.expires_at(sent_at)).then_some(reminder)
    }

    /// When a survey sent at `sent_at` stops accepting answers: `sent_at + expire_after`
    /// (not moved into the window: expiry sends nothing).
    pub fn expires_at(&self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        saturating_add(sent_at, self.expire_after)
    }

    /// Whether the citizen was surveyed too recently: the last survey was sent less than
    /// `min_days_between` × 24 h before `now`. Never capped without an earlier survey or when
    /// `min_days_between` is 0.
    pub fn frequency_capped(&self, last_survey_sent_to_citizen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let Some(last_sent) = last_survey_sent_to_citizen else {
            return false;
        };
        if self.min_days_between == 0 {
            return false;
        }
        now < saturating_add(last_sent, Duration::days(i64::from(self.min_days_between)))
    }
}

fn saturating_add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or(if by < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// FNV-1a 64-bit hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(PRIME))
}

/// SplitMix64 finalizer: a fixed bijection that spreads FNV's weakly mixed high bits, so that
/// codes differing only in their last characters land far apart.
fn mix64(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A dossier's fixed position in `[0, 1)` used for sampling: FNV-1a 64 of the code's UTF-8
/// bytes (exactly as given; normalise case/whitespace before calling if needed), passed through
/// the SplitMix64 finalizer, top 53 bits divided by 2^53. Stable across machines and versions.
pub fn sampling_point(dossier_code: &str) -> f64 {
    let bits = mix64(fnv1a_64(dossier_code.as_bytes())) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

fn deserialize_sampling_rate<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let rate = f64::deserialize(deserializer)?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(serde::de::Error::custom(ScheduleError::SamplingRate(rate)))
    }
}

fn deserialize_positive_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let value = human::deserialize(deserializer)?;
    if value > Duration::zero() {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(ScheduleError::NotPositive { field: "expire_after", value: "0s".to_owned() }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::calendar::working::DEFAULT_TIME_ZONE;
    use chrono::TimeZone;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::vietnam_default().expect("seeded holiday table is valid")
    }

    /// A Vietnamese wall-clock time (UTC+7) as a UTC instant.
    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        DEFAULT_TIME_ZONE
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("unambiguous local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn default_policy() {
        let policy = SendPolicy::default();
        assert_eq!(policy.delay_after_completion, Duration::hours(24));
        assert_eq!(policy.window.to_string(), "08:00-20:00");
        assert_eq!(policy.days.to_string(), "mon-sat");
        assert!(policy.skip_holidays);
        assert_eq!(policy.sampling_rate, 1.0);
        assert_eq!(policy.min_days_between, 30);
        assert_eq!(policy.reminder_after, Duration::hours(48));
        assert_eq!(policy.expire_after, Duration::days(7));
        assert_eq!(policy.validate(), Ok(()));
    }

    #[test]
    fn first_send_at_follows_delay_window_days_and_holidays() {
        let cal = cal();
        let policy = SendPolicy::default();
        let cases = [
            (
                "done Mon 09/03/2026 10:00 → Tue 10:00 is inside the window",
                vn(2026, 3, 9, 10, 0),
                vn(2026, 3, 10, 10, 0),
            ),
            (
                "done Mon 09/03/2026 08:00 → Tue 08:00 exactly, window start",
                vn(2026, 3, 9, 8, 0),
                vn(2026, 3, 10, 8, 0),
            ),
            (
                "done Mon 09/03/2026 05:30 → Tue 05:30 too early → Tue 08:00",
                vn(2026, 3, 9, 5, 30),
                vn(2026, 3, 10, 8, 0),
            ),
            (
                "done Mon 09/03/2026 20:00 → Tue 20:00 window closed → Wed 08:00",
                vn(2026, 3, 9, 20, 0),
                vn(2026, 3, 11, 8, 0),
            ),
            (
                "done Mon 09/03/2026 23:30 (16:30 UTC) → Tue 23:30 → Wed 08:00",
                vn(2026, 3, 9, 23, 30),
                vn(2026, 3, 11, 8, 0),
            ),
            ("done Fri 06/03/2026 19:00 → Sat 19:00, Saturday allowed", vn(2026, 3, 6, 19, 0), vn(2026, 3, 7, 19, 0)),
            (
                "done Sat 07/03/2026 20:30 → Sun 20:30 not allowed → Mon 08:00",
                vn(2026, 3, 7, 20, 30),
                vn(2026, 3, 9, 8, 0),
            ),
            (
                "done Sat 25/04/2026 18:00 → Sun 26/04 (Giỗ Tổ) → Mon 27/04 observed \
                 holiday → Tue 28/04 08:00",
                vn(2026, 4, 25, 18, 0),
                vn(2026, 4, 28, 8, 0),
            ),
            (
                "done Thu 01/01/2026 09:00 → Fri 02/01 swapped day off → Sat 03/01 in the \
                 1/1 block → Sun → Mon 05/01 08:00",
                vn(2026, 1, 1, 9, 0),
                vn(2026, 1, 5, 8, 0),
            ),
            (
                "done Fri 09/01/2026 09:00 → Sat 10/01 09:00, a make-up Saturday is no holiday",
                vn(2026, 1, 9, 9, 0),
                vn(2026, 1, 10, 9, 0),
            ),
            (
                "done Fri 13/02/2026 12:00 → Sat 14/02 Tết block → Mon 23/02 08:00",
                vn(2026, 2, 13, 12, 0),
                vn(2026, 2, 23, 8, 0),
            ),
        ];
        for (what, completed, expected) in cases {
            assert_eq!(policy.first_send_at(&cal, completed), expected, "{what}");
        }
    }

    #[test]
    fn saturday_evening_before_a_holiday_monday_without_skipping_holidays() {
        // done Sat 25/04/2026 18:00 → Sun 26/04 18:00 → Mon 27/04 08:00 (holiday not skipped).
        let cal = cal();
        let policy = SendPolicy { skip_holidays: false, ..SendPolicy::default() };
        assert_eq!(policy.first_send_at(&cal, vn(2026, 4, 25, 18, 0)), vn(2026, 4, 27, 8, 0));
    }

    #[test]
    fn next_allowed_with_custom_days_and_window() {
        let cal = cal();
        let policy = SendPolicy {
            delay_after_completion: Duration::zero(),
            window: "19:00-21:00".parse().expect("valid test value"),
            days: "sat-mon".parse().expect("valid test value"),
            ..SendPolicy::default()
        };
        let cases = [
            // Tue 10/03/2026 19:30 → Sat 14/03 19:00 (wraps: Sat, Sun, Mon only).
            (vn(2026, 3, 10, 19, 30), vn(2026, 3, 14, 19, 0)),
            // Sun 15/03/2026 20:59 → inside → unchanged.
            (vn(2026, 3, 15, 20, 59), vn(2026, 3, 15, 20, 59)),
            // Sun 15/03/2026 21:00 → Mon 16/03 19:00.
            (vn(2026, 3, 15, 21, 0), vn(2026, 3, 16, 19, 0)),
            // Mon 16/03/2026 21:30 → Sat 21/03 19:00.
            (vn(2026, 3, 16, 21, 30), vn(2026, 3, 21, 19, 0)),
        ];
        for (at, expected) in cases {
            assert_eq!(policy.next_allowed(&cal, at), expected, "from {at}");
            assert_eq!(policy.first_send_at(&cal, at), expected, "zero delay, {at}");
        }
    }

    #[test]
    fn reminder_is_moved_into_the_window_and_never_after_expiry() {
        let cal = cal();
        let policy = SendPolicy::default();
        let cases = [
            // Sent Mon 09/03/2026 19:00 → +48h Wed 11/03 19:00, inside the window.
            (vn(2026, 3, 9, 19, 0), Some(vn(2026, 3, 11, 19, 0))),
            // Sent Thu 12/03/2026 19:30 → Sat 14/03 19:30, Saturday allowed.
            (vn(2026, 3, 12, 19, 30), Some(vn(2026, 3, 14, 19, 30))),
            // Sent Fri 13/03/2026 19:30 → Sun 15/03 19:30 → Mon 16/03 08:00.
            (vn(2026, 3, 13, 19, 30), Some(vn(2026, 3, 16, 8, 0))),
            // Sent Tue 10/02/2026 10:00 → Thu 12/02 10:00 (before Tết, allowed).
            (vn(2026, 2, 10, 10, 0), Some(vn(2026, 2, 12, 10, 0))),
            // Sent Thu 12/02/2026 10:00 → Sat 14/02 in the Tết block → Mon 23/02 08:00,
            // after the expiry of Thu 19/02 10:00 → no reminder.
            (vn(2026, 2, 12, 10, 0), None),
        ];
        for (sent, expected) in cases {
            assert_eq!(policy.reminder_at(&cal, sent), expected, "sent {sent}");
        }
        // A short expiry: sent Fri 13/03/2026 19:30, expires Sun 15/03 20:30 (49h), the
        // reminder would be Mon 08:00 → none.
        let short = SendPolicy { expire_after: Duration::hours(49), ..SendPolicy::default() };
        assert_eq!(short.reminder_at(&cal, vn(2026, 3, 13, 19, 30)), None);
        let no_reminder = SendPolicy { reminder_after: Duration::zero(), ..SendPolicy::default() };
        assert_eq!(no_reminder.reminder_at(&cal, vn(2026, 3, 9, 19, 0)), None);
    }

    #[test]
    fn expiry_is_sent_at_plus_expire_after_unmoved() {
        // Sent Mon 09/03/2026 19:00 → expires Mon 16/03 19:00; sent Sat 25/04 21:00 → Sat 02/05
        // 21:00 even though that is a holiday block and outside the window.
        let policy = SendPolicy::default();
        assert_eq!(policy.expires_at(vn(2026, 3, 9, 19, 0)), vn(2026, 3, 16, 19, 0));
        assert_eq!(policy.expires_at(vn(2026, 4, 25, 21, 0)), vn(2026, 5, 2, 21, 0));
    }

    #[test]
    fn frequency_cap() {
        let policy = SendPolicy::default();
        let last = vn(2026, 3, 1, 9, 0);
        assert!(!policy.frequency_capped(None, last));
        assert!(policy.frequency_capped(Some(last), vn(2026, 3, 1, 10, 0)));
        // 29 days later (30/03 09:00) still capped; 30 days (31/03 09:00) free again.
        assert!(policy.frequency_capped(Some(last), vn(2026, 3, 30, 9, 0)));
        assert!(policy.frequency_capped(Some(last), vn(2026, 3, 31, 8, 59)));
        assert!(!policy.frequency_capped(Some(last), vn(2026, 3, 31, 9, 0)));
        let uncapped = SendPolicy { min_days_between: 0, ..SendPolicy::default() };
        assert!(!uncapped.frequency_capped(Some(last), last));
    }

    fn codes() -> impl Iterator<Item = String> {
        (0..10_000).map(|i| format!("000.00.12.H27-2603{:02}-{:04}", i % 28 + 1, i))
    }

    #[test]
    fn fnv1a_64_matches_reference_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn sampling_rates_zero_one_and_thirty_percent() {
        let rate = |sampling_rate: f64| {
            let policy = SendPolicy { sampling_rate, ..SendPolicy::default() };
            codes().filter(|code| policy.is_sampled(code)).count()
        };
        assert_eq!(rate(0.0), 0);
        assert_eq!(rate(1.0), 10_000);
        let thirty = rate(0.3);
        assert!((2_800..=3_200).contains(&thirty), "{thirty} of 10000 sampled");
        // Sequential short codes too.
        let policy = SendPolicy { sampling_rate: 0.3, ..SendPolicy::default() };
        let sequential = (0..10_000).filter(|i| policy.is_sampled(&format!("HG-{i}"))).count();
        assert!((2_800..=3_200).contains(&sequential), "{sequential}");
    }

    #[test]
    fn sampling_is_deterministic_and_monotonic_in_the_rate() {
        let low = SendPolicy { sampling_rate: 0.2, ..SendPolicy::default() };
        let high = SendPolicy { sampling_rate: 0.5, ..SendPolicy::default() };
        for code in codes().take(2_000) {
            let point = sampling_point(&code);
            assert!((0.0..1.0).contains(&point));
            assert_eq!(point, sampling_point(&code));
            assert_eq!(low.is_sampled(&code), low.is_sampled(&code));
            if low.is_sampled(&code) {
                assert!(high.is_sampled(&code), "{code}");
            }
        }
        // Pinned so that a change of the hash (which would re-draw every sample) is noticed.
        assert_eq!(mix64(fnv1a_64(b"000.00.12.H27-260301-0000")) >> 11, PINNED_POINT_BITS);
    }

    /// Computed independently (Python) for "000.00.12.H27-260301-0000".
    const PINNED_POINT_BITS: u64 = 7_660_003_430_079_688;

    #[test]
    fn policy_from_config_with_defaults_and_errors() {
        let policy: SendPolicy =
            toml::from_str("delay_after_completion = \"2h\"\nsampling_rate = 0.3\n").expect("valid test input");
        assert_eq!(policy.delay_after_completion, Duration::hours(2));
        assert_eq!(policy.sampling_rate, 0.3);
        assert_eq!(policy.window, SendPolicy::default().window);
        assert_eq!(policy.expire_after, Duration::days(7));

        let written = toml::to_string(&SendPolicy::default()).expect("valid test input");
        assert!(written.contains("delay_after_completion = \"1d\""), "{written}");
        assert_eq!(toml::from_str::<SendPolicy>(&written).expect("round trip"), SendPolicy::default());

        for (text, expected) in [
            ("sampling_rate = 1.5", "sampling_rate must be a number from 0.0 to 1.0"),
            ("expire_after = \"0s\"", "expire_after must be positive"),
            ("reminder_after = \"-1h\"", "negative durations are not allowed"),
            ("window = \"20:00-08:00\"", "the start must be before the end"),
            ("days = \"\"", "invalid day range"),
            ("send_at = \"08:00\"", "unknown field `send_at`"),
        ] {
            let message = toml::from_str::<SendPolicy>(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn validate_catches_bad_struct_literals() {
        let bad = [
            SendPolicy { sampling_rate: f64::NAN, ..SendPolicy::default() },
            SendPolicy { sampling_rate: -0.1, ..SendPolicy::default() },
            SendPolicy { delay_after_completion: Duration::hours(-1), ..SendPolicy::default() },
            SendPolicy { expire_after: Duration::zero(), ..SendPolicy::default() },
        ];
        for policy in bad {
            assert!(policy.validate().is_err(), "{policy:?}");
        }
    }
}

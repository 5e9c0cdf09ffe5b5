//! The statistics request shared by the API and the CLI: survey, inclusive local dates, optional
//! grouping and filters, parsed from `key=value` pairs with messages that say what is wrong.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use super::model::{local_offset, Dimension, StatsFilter, StatsSlice};

/// Longest period one request may cover (days).
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// A parsed statistics request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    pub survey: String,
    /// First day, inclusive (Vietnamese local date).
    pub from: NaiveDate,
    /// Last day, inclusive (Vietnamese local date).
    pub to: NaiveDate,
    pub group_by: Option<Dimension>,
    pub filter: StatsFilter,
    /// When the figures are read (the service's clock), if the caller knows it. Answers count
    /// at their dossier's completion, which is never in the future (dossiers completed later
    /// than their import are refused), so a period reaching past this moment is read to the end
    /// of its last month: the same answers, all from the monthly aggregates instead of the
    /// raw answers of the month's first days (the dashboard's default period ends today).
    pub read_at: Option<DateTime<Utc>>,
}

const KEYS: [&str; 9] = ["survey", "from", "to", "group_by", "agency", "level", "field", "procedure", "channel"];

fn parse_date(key: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("`{key}` must be a date YYYY-MM-DD, got `{text}`"))
}

impl StatsQuery {
    /// Parses query parameters; unknown or repeated keys are errors.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, String> {
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in params {
            if !KEYS.contains(&key.as_str()) {
                return Err(format!("unknown parameter `{key}`; known: {}", KEYS.join(", ")));
            }
            if seen.contains(&key.as_str()) {
                return Err(format!("parameter `{key}` given twice"));
            }
            seen.push(key);
        }
        let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let required = |key: &str| get(key).ok_or_else(|| format!("parameter `{key}` is required"));
        let survey = required("survey")?.to_owned();
        let from = parse_date("from", required("from")?)?;
        let to = parse_date("to", required("to")?)?;
        if to < from {
            return Err(format!("`to` ({to}) is before `from` ({from})"));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(format!("the period is longer than {MAX_PERIOD_DAYS} days"));
        }
        let group_by = match get("group_by") {
            None => None,
            Some(text) => Some(Dimension::parse(text).ok_or_else(|| {
                let known: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown `group_by` `{text}`; use one of {}", known.join(", "))
            })?),
        };
        let level = get("level").map(str::to_owned);
        if let Some(level) = level.as_deref().filter(|l| !["tinh", "huyen", "xa"].contains(l)) {
            return Err(format!("`level` must be tinh, huyen or xa, got `{level}`"));
        }
        let channel = get("channel").map(str::to_owned);
        if let Some(channel) = channel.as_deref().filter(|c| !["truc_tiep", "truc_tuyen"].contains(c)) {
            return Err(format!("`channel` must be truc_tiep or truc_tuyen, got `{channel}`"));
        }
        let filter = StatsFilter {
            agency: get("agency").map(str::to_owned),
            level,
            field: get("field").map(str::to_owned),
            procedure: get("procedure").map(str::to_owned),
            channel,
            agencies: None,
        };
        Ok(Self { survey, from, to, group_by, filter, read_at: None })
    }

    /// The store slice: from local midnight of `from` to local midnight after `to` (exclusive).
    pub fn slice(&self) -> StatsSlice {
        let midnight = |date: NaiveDate| {
            local_offset()
                .from_local_datetime(&date.and_time(NaiveTime::MIN))
                .single()
                .map_or_else(|| date.and_time(NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
        };
        let mut to = midnight(self.to) + Duration::days(1);
        if self.read_at.is_some_and(|now| now < to) {
            if let Some(next_month) = first_of_next_month(self.to) {
                to = midnight(next_month);
            }
        }
        StatsSlice {
            survey_id: self.survey.clone(),
            from: midnight(self.from),
            to,
            filter: self.filter.clone(),
            group_by: self.group_by,
        }
    }
}

/// The first day of the month after `date`'s.
fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn parses_and_slices_in_local_time() {
        let query = StatsQuery::from_params(&params(&[
            ("survey", "s"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
            ("group_by", "agency"),
            ("level", "xa"),
        ]))
        .expect("valid");
        assert_eq!(query.group_by, Some(Dimension::Agency));
        let slice = query.slice();
        assert_eq!(slice.from, Utc.with_ymd_and_hms(2025, 12, 31, 17, 0, 0).single().expect("date"));
        assert_eq!(slice.to, Utc.with_ymd_and_hms(2026, 1, 31, 17, 0, 0).single().expect("date"));
        assert_eq!(slice.filter.level.as_deref(), Some("xa"));
    }

    #[test]
    fn a_period_reaching_past_the_reading_time_reads_to_the_end_of_its_month() {
        let query = StatsQuery::from_params(&params(&[("survey", "s"), ("from", "2025-01-15"), ("to", "2026-11-23")]))
            .expect("valid");
        let utc = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("date");
        assert_eq!(query.slice().to, utc(2026, 11, 23, 17), "without a reading time: the day after `to`");
        let today = StatsQuery { read_at: Some(utc(2026, 11, 23, 3)), ..query.clone() };
        assert_eq!(today.slice().to, utc(2026, 11, 30, 17), "to the end of November (local time)");
        assert_eq!(today.slice().from, query.slice().from, "the start is not moved");
        let later = StatsQuery { read_at: Some(utc(2026, 11, 24, 1)), ..query.clone() };
        assert_eq!(later.slice().to, utc(2026, 11, 23, 17), "a period that is over is read as asked");
        let december = StatsQuery {
            to: NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"),
            read_at: Some(utc(2026, 12, 1, 0)),
            ..query
        };
        assert_eq!(december.slice().to, utc(2026, 12, 31, 17), "across the year's end");
    }

    #[test]
    fn rejects_bad_input_with_reasons() {
        let bad = |pairs: &[(&str, &str)]| StatsQuery::from_params(&params(pairs)).expect_err("must fail");
        assert!(bad(&[("from", "2026-01-01"), ("to", "2026-01-02")]).contains("`survey`"));
        assert!(bad(&[("survey", "s"), ("from", "2026-13-01"), ("to", "2026-01-02")]).contains("YYYY-MM-DD"));
        assert!(bad(&[("survey", "s"), ("from", "2026-02-01"), ("to", "2026-01-02")]).contains("before"));
        assert!(bad(&[("survey", "s"), ("from", "2026-01-01"), ("to", "2026-01-02"), ("group_by", "x")])
            .contains("group_by"));
        assert!(bad(&[("survey", "s"), ("from", "2026-01-01"), ("to", "2026-01-02"), ("zzz", "1")]).contains("zzz"));
        assert!(
            bad(&[("survey", "s"), ("from", "2026-01-01"), ("to", "2026-01-02"), ("level", "tỉnh")]).contains("level")
        );
    }
}

//! The statistics request shared by the API and the CLI: survey, inclusive local dates, optional
//! grouping and filters, parsed from `key=value` pairs with messages that say what is wrong.

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};

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
        Ok(Self { survey, from, to, group_by, filter })
    }

    /// The store slice: from local midnight of `from` to local midnight after `to` (exclusive).
    pub fn slice(&self) -> StatsSlice {
        let midnight = |date: NaiveDate| {
            local_offset()
                .from_local_datetime(&date.and_time(NaiveTime::MIN))
                .single()
                .map_or_else(|| date.and_time(NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
        };
        StatsSlice {
            survey_id: self.survey.clone(),
            from: midnight(self.from),
            to: midnight(self.to) + Duration::days(1),
            filter: self.filter.clone(),
            group_by: self.group_by,
        }
    }
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

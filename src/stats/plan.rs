//! Maintained aggregates, the read side: which cube answers a slice (the province cube by day when
//! nothing but time is asked, a dimension's cube by month when one dimension is filtered or
//! grouped), which days at the ends of the period are left to the raw answers, and how the two
//! partial results are merged.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, NaiveTime, Utc};

use super::aggregate::{day_period, local_date, month_period, PROVINCE};
use super::model::{AnswerCount, Dimension, InstanceCounts, StatsSlice, LOCAL_OFFSET_SECONDS};

/// How cube rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CubeGroup {
    /// One row for the whole slice.
    None,
    /// By the cube's dimension value.
    Key,
    /// By local month (`YYYY-MM`).
    Month,
    /// By local quarter (`YYYY-Qn`).
    Quarter,
    /// By local year (`YYYY`).
    Year,
}

/// One read of a cube: periods `from_period <= period < to_period`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeRead {
    /// `all` or a dimension name.
    pub dimension: &'static str,
    pub from_period: String,
    pub to_period: String,
    /// Only these values of the cube's dimension; empty = every value.
    pub keys: Vec<String>,
    pub group: CubeGroup,
}

/// How a slice is read: a cube for the aligned part of the period, raw answers for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    pub cube: Option<CubeRead>,
    /// Sub-slices (same filters and grouping, shorter periods) read from the raw rows.
    pub raw: Vec<StatsSlice>,
}

/// Instant of local midnight starting `date`.
pub fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc() - Duration::seconds(i64::from(LOCAL_OFFSET_SECONDS))
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let first = month_start(date);
    first.checked_add_months(chrono::Months::new(1)).unwrap_or(first)
}

/// The aligned part of `[from, to)`: local days (`monthly = false`) or local months, as the
/// first and the end (exclusive) date; `None` when no whole day or month fits.
fn aligned(from: DateTime<Utc>, to: DateTime<Utc>, monthly: bool) -> Option<(NaiveDate, NaiveDate)> {
    let first = local_date(from);
    let last = local_date(to);
    let (start, end) = if monthly {
        let start = if local_midnight(month_start(first)) == from { month_start(first) } else { next_month(first) };
        (start, month_start(last))
    } else {
        let start = if local_midnight(first) == from { first } else { first.succ_opt()? };
        (start, last)
    };
    (start < end).then_some((start, end))
}

/// The dimensions a slice needs besides time (filtered ones and the grouping one), each with the
/// values it is restricted to (empty = every value).
fn needed_dimensions(slice: &StatsSlice) -> Vec<(Dimension, Vec<String>)> {
    let filter = &slice.filter;
    let agencies = match (&filter.agency, &filter.agencies) {
        (Some(agency), _) => Some(vec![agency.clone()]),
        (None, Some(scope)) => Some(scope.clone()),
        (None, None) => None,
    };
    let mut needed: Vec<(Dimension, Vec<String>)> = [
        (Dimension::Agency, agencies),
        (Dimension::Level, filter.level.clone().map(|v| vec![v])),
        (Dimension::Field, filter.field.clone().map(|v| vec![v])),
        (Dimension::Procedure, filter.procedure.clone().map(|v| vec![v])),
        (Dimension::Channel, filter.channel.clone().map(|v| vec![v])),
    ]
    .into_iter()
    .filter_map(|(d, values)| values.map(|v| (d, v)))
    .collect();
    if let Some(group) = slice.group_by.filter(|g| !g.is_period()) {
        if !needed.iter().any(|(d, _)| *d == group) {
            needed.push((group, Vec::new()));
        }
    }
    needed
}

/// Whether no answer can match: an empty agency scope, or an agency outside it.
pub(crate) fn matches_nothing(slice: &StatsSlice) -> bool {
    match (&slice.filter.agency, &slice.filter.agencies) {
        (_, Some(scope)) if scope.is_empty() => true,
        (Some(agency), Some(scope)) => !scope.contains(agency),
        _ => slice.from >= slice.to,
    }
}

/// Plans the read of `slice`. More than one dimension (e.g. a level filter with a grouping by
/// agency) has no cube: such slices are read from the raw answers.
pub fn plan(slice: &StatsSlice) -> ReadPlan {
    if matches_nothing(slice) {
        return ReadPlan { cube: None, raw: Vec::new() };
    }
    let needed = needed_dimensions(slice);
    if needed.len() > 1 {
        return ReadPlan { cube: None, raw: vec![slice.clone()] };
    }
    let single = needed.into_iter().next();
    let monthly = single.is_some();
    let Some((start, end)) = aligned(slice.from, slice.to, monthly) else {
        return ReadPlan { cube: None, raw: vec![slice.clone()] };
    };
    let group = match slice.group_by {
        None => CubeGroup::None,
        Some(Dimension::Month) => CubeGroup::Month,
        Some(Dimension::Quarter) => CubeGroup::Quarter,
        Some(Dimension::Year) => CubeGroup::Year,
        Some(_) => CubeGroup::Key,
    };
    let (dimension, keys) = match single {
        Some((dimension, keys)) => (dimension.as_str(), keys),
        None => (PROVINCE, Vec::new()),
    };
    let period = |date| if monthly { month_period(date) } else { day_period(date) };
    let cube = CubeRead { dimension, from_period: period(start), to_period: period(end), keys, group };
    let mut raw = Vec::new();
    for (from, to) in [(slice.from, local_midnight(start)), (local_midnight(end), slice.to)] {
        if from < to {
            raw.push(StatsSlice { from, to, ..slice.clone() });
        }
    }
    ReadPlan { cube: Some(cube), raw }
}

/// Sums answer counts read in parts, ordered by (group, question, value).
pub fn merge_answer_counts(parts: impl IntoIterator<Item = AnswerCount>) -> Vec<AnswerCount> {
    let mut merged: BTreeMap<(Option<String>, String, i64), i64> = BTreeMap::new();
    for row in parts {
        *merged.entry((row.group, row.question, row.value)).or_default() += row.count;
    }
    merged
        .into_iter()
        .filter(|(_, count)| *count != 0)
        .map(|((group, question, value), count)| AnswerCount { group, question, value, count })
        .collect()
}

/// Sums instance counts read in parts, ordered by group; a group's name is the first non-empty one.
pub fn merge_instance_counts(parts: impl IntoIterator<Item = InstanceCounts>) -> Vec<InstanceCounts> {
    let mut merged: BTreeMap<Option<String>, InstanceCounts> = BTreeMap::new();
    for row in parts {
        let entry = merged
            .entry(row.group.clone())
            .or_insert_with(|| InstanceCounts { group: row.group.clone(), ..InstanceCounts::default() });
        entry.sent += row.sent;
        entry.answered += row.answered;
        entry.responses += row.responses;
        if entry.group_name.is_none() {
            entry.group_name = row.group_name.filter(|n| !n.is_empty());
        }
    }
    merged.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::model::StatsFilter;

    fn slice(from: DateTime<Utc>, to: DateTime<Utc>, filter: StatsFilter, group_by: Option<Dimension>) -> StatsSlice {
        StatsSlice { survey_id: "s".into(), from, to, filter, group_by }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn province_cube_by_day_covers_any_whole_days() {
        let s =
            slice(local_midnight(date(2026, 1, 10)), local_midnight(date(2026, 2, 3)), StatsFilter::default(), None);
        let plan = plan(&s);
        let cube = plan.cube.expect("cube");
        assert_eq!(
            (cube.dimension, cube.from_period.as_str(), cube.to_period.as_str()),
            ("all", "2026-01-10", "2026-02-03")
        );
        assert!(plan.raw.is_empty());
        let grouped = plan_group(&s, Dimension::Quarter);
        assert_eq!(grouped.cube.expect("cube").group, CubeGroup::Quarter);
    }

    fn plan_group(s: &StatsSlice, group: Dimension) -> ReadPlan {
        plan(&StatsSlice { group_by: Some(group), ..s.clone() })
    }

    #[test]
    fn dimension_cube_by_month_leaves_partial_months_to_raw_rows() {
        let filter = StatsFilter { agency: Some("A".into()), ..StatsFilter::default() };
        let s =
            slice(local_midnight(date(2026, 1, 10)), local_midnight(date(2026, 5, 3)), filter, Some(Dimension::Month));
        let plan = plan(&s);
        let cube = plan.cube.expect("cube");
        assert_eq!(cube.dimension, "agency");
        assert_eq!(cube.keys, ["A"]);
        assert_eq!((cube.from_period.as_str(), cube.to_period.as_str()), ("2026-02", "2026-05"));
        assert_eq!(cube.group, CubeGroup::Month);
        let ranges: Vec<_> = plan.raw.iter().map(|r| (r.from, r.to)).collect();
        assert_eq!(
            ranges,
            [
                (local_midnight(date(2026, 1, 10)), local_midnight(date(2026, 2, 1))),
                (local_midnight(date(2026, 5, 1)), local_midnight(date(2026, 5, 3)))
            ]
        );
    }

    #[test]
    fn whole_months_need_no_raw_rows_and_two_dimensions_need_only_raw_rows() {
        let from = local_midnight(date(2025, 1, 1));
        let to = local_midnight(date(2026, 1, 1));
        let by_agency = plan(&slice(from, to, StatsFilter::default(), Some(Dimension::Agency)));
        assert_eq!(by_agency.cube.as_ref().map(|c| (c.dimension, c.group)), Some(("agency", CubeGroup::Key)));
        assert!(by_agency.raw.is_empty());
        let xa = StatsFilter { level: Some("xa".into()), ..StatsFilter::default() };
        let two = plan(&slice(from, to, xa, Some(Dimension::Agency)));
        assert!(two.cube.is_none());
        assert_eq!(two.raw.len(), 1);
        // Not at a local midnight: the odd hours go to the raw rows.
        let odd = plan(&slice(from + Duration::hours(3), to, StatsFilter::default(), None));
        assert_eq!(odd.cube.expect("cube").from_period, "2025-01-02");
        assert_eq!(odd.raw.len(), 1);
        // A department's agencies: the agency cube, restricted; an empty scope reads nothing.
        let scoped = StatsFilter { agencies: Some(vec!["A".into(), "B".into()]), ..StatsFilter::default() };
        let read = plan(&slice(from, to, scoped.clone(), Some(Dimension::Month))).cube.expect("cube");
        assert_eq!((read.dimension, read.keys.len()), ("agency", 2));
        let outside = StatsFilter { agency: Some("C".into()), ..scoped };
        assert_eq!(plan(&slice(from, to, outside, None)), ReadPlan { cube: None, raw: Vec::new() });
        let nothing = StatsFilter { agencies: Some(Vec::new()), ..StatsFilter::default() };
        assert_eq!(plan(&slice(from, to, nothing, None)), ReadPlan { cube: None, raw: Vec::new() });
        // Less than a month with a dimension: raw only.
        let short = plan(&slice(from, from + Duration::days(20), StatsFilter::default(), Some(Dimension::Channel)));
        assert!(short.cube.is_none());
    }
}

//! Complaint (PAKN) figures of a period: tickets received by branch, category and channel, status
//! counts, the share answered on time, working days to answer (median and 90th percentile), the
//! overdue list and the misconduct-flagged count, overall and per group (branch, category,
//! department, month). Tickets are counted in the period of their receipt, within the caller's
//! scope (applied by the store in the query).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Days, NaiveDate, Utc};
use serde::Serialize;

use super::model::StatsStore;
use super::query::MAX_PERIOD_DAYS;
use super::report::round2;
use crate::bot::catalogue::Catalogue;
use crate::calendar::working::WorkingCalendar;
use crate::store::StoreResult;
use crate::tickets::filter::Scope;
use crate::tickets::model::{Category, Channel};
use crate::tickets::status::TicketStatus;

/// What the figures need of one ticket (no content, no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketStatRow {
    pub code: String,
    pub branch: u8,
    pub department_code: String,
    pub category: Category,
    pub misconduct: bool,
    pub channel: Channel,
    pub status: TicketStatus,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// A breakdown of complaint figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketDimension {
    Branch,
    Category,
    /// The department owning the ticket now.
    Department,
    /// Local month of receipt.
    Month,
}

impl TicketDimension {
    pub const ALL: [Self; 4] = [Self::Branch, Self::Category, Self::Department, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Branch => "branch",
            Self::Category => "category",
            Self::Department => "department",
            Self::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// A parsed complaint-figures request: inclusive local dates and an optional grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketStatsQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Option<TicketDimension>,
}

const KEYS: [&str; 3] = ["from", "to", "group_by"];

impl TicketStatsQuery {
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
        let date = |key: &str| -> Result<NaiveDate, String> {
            let text = get(key).ok_or_else(|| format!("parameter `{key}` is required"))?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("`{key}` must be a date YYYY-MM-DD, got `{text}`"))
        };
        let (from, to) = (date("from")?, date("to")?);
        if to < from {
            return Err(format!("`to` ({to}) is before `from` ({from})"));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(format!("the period is longer than {MAX_PERIOD_DAYS} days"));
        }
        let group_by = match get("group_by") {
            None => None,
            Some(text) => Some(TicketDimension::parse(text).ok_or_else(|| {
                let known: Vec<&str> = TicketDimension::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown `group_by` `{text}`; use one of {}", known.join(", "))
            })?),
        };
        Ok(Self { from, to, group_by })
    }

    /// The receipt times covered: local midnight of `from` to local midnight after `to`.
    pub fn bounds(&self, calendar: &WorkingCalendar) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (calendar.start_of_local_day(self.from), calendar.start_of_local_day(end))
    }
}

/// A count with its key and display name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountOut {
    pub key: String,
    pub name: String,
    pub count: i64,
}

/// Whether tickets were answered by their deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeliness {
    /// Tickets with a deadline that were answered.
    pub answered: i64,
    /// Of those, answered at or before the deadline of their current owner.
    pub on_time: i64,
    pub late: i64,
    /// Still open and past their deadline.
    pub open_overdue: i64,
    /// `on_time / (answered + open_overdue)`, percent.
    #[serde(serialize_with = "rounded")]
    pub on_time_pct: Option<f64>,
    /// Working days from receipt to answer over answered tickets (Excel's MEDIAN / PERCENTILE.INC).
    #[serde(serialize_with = "rounded")]
    pub median_working_days: Option<f64>,
    #[serde(serialize_with = "rounded")]
    pub p90_working_days: Option<f64>,
}

fn rounded<S: serde::Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    value.map(round2).serialize(serializer)
}

/// Figures of a set of tickets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketFigures {
    pub received: i64,
    pub by_branch: Vec<CountOut>,
    pub by_category: Vec<CountOut>,
    pub by_channel: Vec<CountOut>,
    /// Every status, zero included.
    pub statuses: Vec<CountOut>,
    /// Flagged for the inspection team as reports of officials' misconduct.
    pub misconduct: i64,
    pub timeliness: Timeliness,
}

/// An open ticket past its deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueTicket {
    pub code: String,
    pub branch: u8,
    pub department_code: String,
    pub department_name: String,
    pub category: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub misconduct: bool,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Working days since the deadline (0 = overdue since today).
    pub working_days_overdue: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketGroup {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: TicketFigures,
}

/// The complaint report of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketReport {
    pub from: String,
    pub to: String,
    pub group_by: Option<&'static str>,
    #[serde(flatten)]
    pub figures: TicketFigures,
    /// Overdue tickets received in the period, earliest deadline first.
    pub overdue: Vec<OverdueTicket>,
    pub groups: Vec<TicketGroup>,
}

/// The `p`-quantile (0–1) of sorted values, interpolated like Excel's PERCENTILE.INC.
pub fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p.clamp(0.0, 1.0) * last as f64;
    let index = rank.floor() as usize;
    let base = *sorted.get(index)? as f64;
    Some(match sorted.get(index + 1) {
        Some(next) => base + (rank - rank.floor()) * (*next as f64 - base),
        None => base,
    })
}

/// Names of branches, departments, categories and channels.
pub struct Names<'a> {
    pub catalogue: &'a Catalogue,
}

impl Names<'_> {
    fn branch(&self, number: u8) -> String {
        self.catalogue.branch(number).map_or_else(|| format!("Nhánh {number}"), |b| b.title.clone())
    }

    fn department(&self, code: &str) -> String {
        self.catalogue.department(code).map_or_else(|| code.to_owned(), |d| d.name.clone())
    }
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::ProcedureFeedback => "Về thủ tục, quy định hành chính",
        Category::OfficialConduct => "Về hành vi, thái độ của cán bộ, công chức",
    }
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Zalo => "Zalo OA",
        Channel::Api => "Hệ thống khác (API)",
    }
}

fn month_key(calendar: &WorkingCalendar, at: DateTime<Utc>) -> String {
    let date = calendar.local_date(at);
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Figures of `rows` at `now`.
pub fn figures(
    rows: &[&TicketStatRow],
    names: &Names<'_>,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> TicketFigures {
    let count = |f: &dyn Fn(&TicketStatRow) -> bool| rows.iter().filter(|r| f(r)).count() as i64;
    let mut branches: BTreeMap<u8, i64> = names.catalogue.branches().iter().map(|b| (b.number, 0)).collect();
    for row in rows {
        *branches.entry(row.branch).or_default() += 1;
    }
    let answered: Vec<&&TicketStatRow> =
        rows.iter().filter(|r| r.answered_at.is_some() && r.due_at.is_some()).collect();
    let on_time = answered.iter().filter(|r| r.answered_at <= r.due_at).count() as i64;
    let answered_count = answered.len() as i64;
    let open_overdue = count(&|r| r.status.is_open() && r.due_at.is_some_and(|due| now > due));
    let mut days: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.answered_at.map(|answered| calendar.working_days_between(r.received_at, answered)))
        .collect();
    days.sort_unstable();
    let judged = answered_count + open_overdue;
    TicketFigures {
        received: rows.len() as i64,
        by_branch: branches
            .into_iter()
            .map(|(number, count)| CountOut { key: number.to_string(), name: names.branch(number), count })
            .collect(),
        by_category: Category::ALL
            .into_iter()
            .map(|c| CountOut {
                key: c.as_str().into(),
                name: category_name(c).into(),
                count: count(&|r| r.category == c),
            })
            .collect(),
        by_channel: [Channel::Zalo, Channel::Api]
            .into_iter()
            .map(|c| CountOut {
                key: c.as_str().into(),
                name: channel_name(c).into(),
                count: count(&|r| r.channel == c),
            })
            .collect(),
        statuses: TicketStatus::ALL
            .into_iter()
            .map(|s| CountOut { key: s.as_str().into(), name: s.label_vi().into(), count: count(&|r| r.status == s) })
            .collect(),
        misconduct: count(&|r| r.misconduct),
        timeliness: Timeliness {
            answered: answered_count,
            on_time,
            late: answered_count - on_time,
            open_overdue,
            on_time_pct: (judged > 0).then(|| on_time as f64 * 100.0 / judged as f64),
            median_working_days: percentile(&days, 0.5),
            p90_working_days: percentile(&days, 0.9),
        },
    }
}

/// The complaint report of `query` within `scope` at `now`.
pub async fn ticket_report(
    store: &dyn StatsStore,
    catalogue: &Catalogue,
    calendar: &WorkingCalendar,
    query: &TicketStatsQuery,
    scope: &Scope,
    now: DateTime<Utc>,
) -> StoreResult<TicketReport> {
    let (from, to) = query.bounds(calendar);
    let rows = store.ticket_rows(from, to, scope).await?;
    let names = Names { catalogue };
    let all: Vec<&TicketStatRow> = rows.iter().collect();
    let mut overdue: Vec<OverdueTicket> = rows
        .iter()
        .filter_map(|r| {
            let due = r.due_at.filter(|due| r.status.is_open() && now > *due)?;
            Some(OverdueTicket {
                code: r.code.clone(),
                branch: r.branch,
                department_code: r.department_code.clone(),
                department_name: names.department(&r.department_code),
                category: r.category.as_str(),
                status: r.status.as_str(),
                status_label: r.status.label_vi(),
                misconduct: r.misconduct,
                received_at: r.received_at,
                due_at: due,
                working_days_overdue: calendar.working_days_between(due, now),
            })
        })
        .collect();
    overdue.sort_by(|a, b| (a.due_at, &a.code).cmp(&(b.due_at, &b.code)));

    let mut groups = Vec::new();
    if let Some(dimension) = query.group_by {
        let mut by_key: BTreeMap<String, Vec<&TicketStatRow>> = BTreeMap::new();
        for row in &rows {
            let key = match dimension {
                TicketDimension::Branch => format!("{:02}", row.branch),
                TicketDimension::Category => row.category.as_str().to_owned(),
                TicketDimension::Department => row.department_code.clone(),
                TicketDimension::Month => month_key(calendar, row.received_at),
            };
            by_key.entry(key).or_default().push(row);
        }
        for (key, members) in by_key {
            let (key, name) = match dimension {
                TicketDimension::Branch => {
                    let number: u8 = key.parse().unwrap_or_default();
                    (number.to_string(), names.branch(number))
                }
                TicketDimension::Category => {
                    let name = Category::parse(&key).map_or_else(|| key.clone(), |c| category_name(c).to_owned());
                    (key, name)
                }
                TicketDimension::Department => {
                    let name = names.department(&key);
                    (key, name)
                }
                TicketDimension::Month => {
                    let name = super::report::group_name(super::model::Dimension::Month, &key, None);
                    (key, name)
                }
            };
            groups.push(TicketGroup { key, name, figures: figures(&members, &names, calendar, now) });
        }
    }
    Ok(TicketReport {
        from: query.from.to_string(),
        to: query.to.to_string(),
        group_by: query.group_by.map(TicketDimension::as_str),
        figures: figures(&all, &names, calendar, now),
        overdue,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_excel() {
        // Excel: MEDIAN(1,2,3,4) = 2.5; PERCENTILE.INC({1,2,3,4}, 0.9) = 3.7.
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2.5));
        assert!((percentile(&[1, 2, 3, 4], 0.9).expect("value") - 3.7).abs() < 1e-9);
        assert_eq!(percentile(&[7], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[0, 10], 1.0), Some(10.0));
    }

    #[test]
    fn parses_requests() {
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let query = TicketStatsQuery::from_params(&params(&[
            ("from", "2026-03-01"),
            ("to", "2026-03-31"),
            ("group_by", "branch"),
        ]))
        .expect("valid");
        assert_eq!(query.group_by, Some(TicketDimension::Branch));
        let bad = |pairs: &[(&str, &str)]| TicketStatsQuery::from_params(&params(pairs)).expect_err("must fail");
        assert!(bad(&[("from", "2026-03-01")]).contains("`to`"));
        assert!(bad(&[("from", "2026-03-01"), ("to", "2026-02-01")]).contains("before"));
        assert!(bad(&[("from", "2026-03-01"), ("to", "2026-03-02"), ("group_by", "agency")]).contains("group_by"));
        assert!(bad(&[("from", "2026-03-01"), ("to", "2026-03-02"), ("survey", "x")]).contains("unknown parameter"));
    }
}

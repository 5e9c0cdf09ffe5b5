//! The figures of the console's statistics page for one request, and the choices behind them:
//! which reports are made (the survey report by month, which also carries the whole period's
//! totals; the report by agency; the complaint report of the caller's scope — three reports, run
//! together), every month of the period in order (months without answers included, so the trend
//! shows gaps), agencies ranked by index, response rates lowest first, the criteria with the
//! lowest satisfied share, and the complaint branches a department's user sees.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

use super::compute::AggregationRules;
use super::model::{Dimension, StatsStore};
use super::query::StatsQuery;
use super::report::{group_name, survey_report, GroupOut, QuestionOut, StatsError, SurveyReport};
use super::tickets::{ticket_report, CountOut, TicketReport, TicketStatsQuery};
use crate::bot::catalogue::Catalogue;
use crate::calendar::working::WorkingCalendar;
use crate::surveys::definition::SurveyCatalog;
use crate::tickets::filter::Scope;

/// How many criteria the "lowest satisfied share" chart shows.
pub const LOWEST_CRITERIA: usize = 5;
/// Most agencies a chart shows; beyond it, the first and last halves of the ranking.
pub const MAX_AGENCY_BARS: usize = 20;

/// Where the complaint figures come from, and whose they are.
pub struct TicketSource<'a> {
    pub catalogue: &'a Catalogue,
    pub calendar: &'a WorkingCalendar,
    pub scope: Scope,
}

/// One month of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub key: String,
    pub year: i32,
    pub month: u32,
    /// `Tháng 01/2026`.
    pub name: String,
    /// Overall index; `None` without answers.
    pub index: Option<f64>,
    /// Element indices, in the order of [`SurveyReport::elements`].
    pub elements: Vec<Option<f64>>,
    pub sent: i64,
    pub responses: i64,
    pub response_rate: Option<f64>,
}

/// Part of a ranking, for a chart that cannot show every item.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<T> {
    pub shown: Vec<T>,
    /// Items of the ranking left out of `shown`.
    pub omitted: usize,
}

/// The complaint figures the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSummary {
    pub report: TicketReport,
    /// Tickets received by branch: every branch for a scope of everything; for a department, its
    /// own branches and those its tickets came through.
    pub branches: Vec<CountOut>,
}

/// Everything the statistics page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The whole period (its groups are the months with answers).
    pub survey: SurveyReport,
    pub months: Vec<MonthFigures>,
    /// Every agency, highest index first; agencies without answers last.
    pub agencies: Vec<GroupOut>,
    /// The agencies of the index chart (those with an index).
    pub agency_chart: Ranked<GroupOut>,
    /// Agencies that were sent surveys, lowest response rate first.
    pub response_rates: Ranked<GroupOut>,
    /// The criteria with the lowest satisfied share (answered ones only), lowest first.
    pub lowest_criteria: Vec<QuestionOut>,
    /// `None` when the caller may not see complaint figures.
    pub tickets: Option<TicketSummary>,
}

/// Makes the page's reports for `query` (its `group_by` is ignored) and, when `tickets` is given,
/// the complaint report of the same dates.
pub async fn dashboard(
    store: &dyn StatsStore,
    catalog: &SurveyCatalog,
    rules: &AggregationRules,
    query: &StatsQuery,
    tickets: Option<TicketSource<'_>>,
    now: DateTime<Utc>,
) -> Result<Dashboard, StatsError> {
    let read = StatsQuery { read_at: Some(now), ..query.clone() };
    let by_month = StatsQuery { group_by: Some(Dimension::Month), ..read.clone() };
    let by_agency = StatsQuery { group_by: Some(Dimension::Agency), ..read };
    let ticket_query = TicketStatsQuery { from: query.from, to: query.to, group_by: None };
    let complaints = async {
        match &tickets {
            Some(source) => {
                let report =
                    ticket_report(store, source.catalogue, source.calendar, &ticket_query, &source.scope, now).await?;
                Ok::<_, StatsError>(Some(report))
            }
            None => Ok(None),
        }
    };
    let (survey, agencies, complaints) = tokio::try_join!(
        survey_report(store, catalog, &by_month, rules),
        survey_report(store, catalog, &by_agency, rules),
        complaints
    )?;
    let tickets = complaints.zip(tickets).map(|(report, source)| TicketSummary::new(report, &source));
    Ok(Dashboard::assemble(survey, agencies.groups, tickets, query.from, query.to))
}

impl TicketSummary {
    fn new(report: TicketReport, source: &TicketSource<'_>) -> Self {
        let branches = report
            .figures
            .by_branch
            .iter()
            .filter(|count| match &source.scope {
                Scope::Department(code) => {
                    let own = count
                        .key
                        .parse::<u8>()
                        .ok()
                        .and_then(|number| source.catalogue.branch(number))
                        .is_some_and(|branch| branch.department.eq_ignore_ascii_case(code));
                    own || count.count > 0
                }
                _ => true,
            })
            .cloned()
            .collect();
        Self { report, branches }
    }
}

fn by_value_desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `items` whole when they fit in `max`, else their first and last halves.
fn ends<T: Clone>(items: &[T], max: usize) -> Ranked<T> {
    if items.len() <= max {
        return Ranked { shown: items.to_vec(), omitted: 0 };
    }
    let head = max.div_ceil(2);
    let tail = max - head;
    let mut shown = items[..head].to_vec();
    shown.extend_from_slice(&items[items.len() - tail..]);
    Ranked { shown, omitted: items.len() - max }
}

/// Every month from `from`'s to `to`'s, in order.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    let (mut year, mut month) = (from.year(), from.month());
    while (year, month) <= (to.year(), to.month()) {
        months.push((year, month));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    months
}

impl Dashboard {
    /// The page's figures from the reports (pure).
    pub fn assemble(
        survey: SurveyReport,
        mut agencies: Vec<GroupOut>,
        tickets: Option<TicketSummary>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Self {
        let months = months_between(from, to)
            .into_iter()
            .map(|(year, month)| {
                let key = format!("{year:04}-{month:02}");
                let group = survey.groups.iter().find(|g| g.key == key);
                let elements = survey
                    .elements
                    .iter()
                    .map(|e| group.and_then(|g| g.elements.iter().find(|x| x.code == e.code)).and_then(|x| x.index))
                    .collect();
                MonthFigures {
                    name: group_name(Dimension::Month, &key, None),
                    year,
                    month,
                    index: group.and_then(|g| g.overall.index),
                    elements,
                    sent: group.map_or(0, |g| g.sent),
                    responses: group.map_or(0, |g| g.responses),
                    response_rate: group.and_then(|g| g.response_rate),
                    key,
                }
            })
            .collect();

        agencies.sort_by(|a, b| by_value_desc(a.overall.index, b.overall.index).then_with(|| a.name.cmp(&b.name)));
        let indexed: Vec<GroupOut> = agencies.iter().filter(|a| a.overall.index.is_some()).cloned().collect();
        let mut rates: Vec<GroupOut> = agencies.iter().filter(|a| a.sent > 0).cloned().collect();
        rates.sort_by(|a, b| by_value_desc(b.response_rate, a.response_rate).then_with(|| a.name.cmp(&b.name)));

        let mut answered: Vec<QuestionOut> =
            survey.questions.iter().filter(|q| q.n > 0 && q.satisfied_pct.is_some()).cloned().collect();
        answered.sort_by(|a, b| by_value_desc(b.satisfied_pct, a.satisfied_pct).then_with(|| a.code.cmp(&b.code)));
        answered.truncate(LOWEST_CRITERIA);

        Self {
            months,
            agency_chart: ends(&indexed, MAX_AGENCY_BARS),
            response_rates: Ranked {
                omitted: rates.len().saturating_sub(MAX_AGENCY_BARS),
                shown: rates.into_iter().take(MAX_AGENCY_BARS).collect(),
            },
            agencies,
            lowest_criteria: answered,
            tickets,
            survey,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::stats::report::{ElementOut, IndexOut};

    fn index(value: Option<f64>) -> IndexOut {
        IndexOut { index: value, mean: None, n: i64::from(value.is_some()) }
    }

    fn element(code: &str, value: Option<f64>) -> ElementOut {
        ElementOut { code: code.into(), name: format!("Yếu tố {code}"), index: value, mean: None, n: 1 }
    }

    fn question(code: &str, pct: Option<f64>, n: i64) -> QuestionOut {
        QuestionOut {
            code: code.into(),
            text: format!("Tiêu chí {code}"),
            element: None,
            satisfied_pct: pct,
            margin_of_error: None,
            mean: None,
            n,
            distribution: BTreeMap::new(),
        }
    }

    fn group(key: &str, value: Option<f64>, sent: i64, responses: i64) -> GroupOut {
        GroupOut {
            key: key.into(),
            name: format!("Cơ quan {key}"),
            sent,
            answered: responses,
            responses,
            response_rate: crate::stats::compute::response_rate(responses, sent),
            overall: index(value),
            elements: vec![element("YT1", value.map(|v| v + 1.0))],
            questions: Vec::new(),
        }
    }

    fn report(groups: Vec<GroupOut>, questions: Vec<QuestionOut>) -> SurveyReport {
        SurveyReport {
            survey: "s".into(),
            from: "2025-11-10".into(),
            to: "2026-02-03".into(),
            group_by: Some("month"),
            sent: 10,
            answered: 5,
            responses: 5,
            response_rate: Some(50.0),
            overall: index(Some(60.0)),
            elements: vec![element("YT1", Some(61.0))],
            questions,
            groups,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_month_of_the_period_in_order() {
        let survey = report(vec![group("2025-12", Some(40.0), 4, 2), group("2026-02", Some(70.0), 2, 1)], Vec::new());
        let dashboard = Dashboard::assemble(survey, Vec::new(), None, date(2025, 11, 10), date(2026, 2, 3));
        let months: Vec<_> = dashboard.months.iter().map(|m| (m.key.as_str(), m.index, m.elements[0])).collect();
        assert_eq!(
            months,
            [
                ("2025-11", None, None),
                ("2025-12", Some(40.0), Some(41.0)),
                ("2026-01", None, None),
                ("2026-02", Some(70.0), Some(71.0))
            ]
        );
        assert_eq!(dashboard.months[1].name, "Tháng 12/2025");
        assert_eq!((dashboard.months[1].sent, dashboard.months[1].response_rate), (4, Some(50.0)));
        assert_eq!(months_between(date(2026, 3, 1), date(2026, 3, 31)), [(2026, 3)]);
    }

    #[test]
    fn agencies_ranked_and_rates_lowest_first() {
        let agencies = vec![
            group("A", Some(50.0), 10, 5),
            group("B", Some(90.0), 10, 2),
            group("C", None, 4, 0),
            group("D", Some(70.0), 10, 9),
        ];
        let survey = report(Vec::new(), Vec::new());
        let dashboard = Dashboard::assemble(survey, agencies, None, date(2026, 1, 1), date(2026, 1, 31));
        let keys = |groups: &[GroupOut]| groups.iter().map(|g| g.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&dashboard.agencies), ["B", "D", "A", "C"]);
        assert_eq!(keys(&dashboard.agency_chart.shown), ["B", "D", "A"], "no bar without an index");
        assert_eq!(keys(&dashboard.response_rates.shown), ["C", "B", "A", "D"]);

        let many: Vec<GroupOut> = (0..25).map(|i| group(&format!("{i:02}"), Some(f64::from(i)), 1, 1)).collect();
        let dashboard =
            Dashboard::assemble(report(Vec::new(), Vec::new()), many, None, date(2026, 1, 1), date(2026, 1, 2));
        let chart = &dashboard.agency_chart;
        assert_eq!((chart.shown.len(), chart.omitted), (MAX_AGENCY_BARS, 5));
        assert_eq!(
            (chart.shown[0].key.as_str(), chart.shown[19].key.as_str()),
            ("24", "00"),
            "both ends of the ranking"
        );
        assert_eq!(chart.shown[9].key, "15");
        assert_eq!(dashboard.response_rates.omitted, 5);
    }

    #[test]
    fn the_lowest_answered_criteria() {
        let questions = vec![
            question("Q1", Some(80.0), 10),
            question("Q2", Some(20.0), 10),
            question("Q3", None, 0),
            question("Q4", Some(50.0), 10),
            question("Q5", Some(20.0), 4),
            question("Q6", Some(90.0), 10),
            question("Q7", Some(60.0), 10),
            question("Q8", Some(95.0), 10),
        ];
        let dashboard =
            Dashboard::assemble(report(Vec::new(), questions), Vec::new(), None, date(2026, 1, 1), date(2026, 1, 2));
        let codes: Vec<&str> = dashboard.lowest_criteria.iter().map(|q| q.code.as_str()).collect();
        assert_eq!(codes, ["Q2", "Q5", "Q4", "Q7", "Q1"]);
    }
}

//! The survey report: reads the counts of a [`StatsQuery`] from the store, computes the figures of
//! the whole slice and of each group, and holds them in the shape the API and the JSON export
//! write (percentages and means rounded to 2 decimals when serialised, not before).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Serialize, Serializer};

use super::compute::{compute, response_rate, AggregationRules, ElementFigures, IndexFigures, QuestionFigures};
use super::model::{Dimension, StatsStore};
use super::query::StatsQuery;
use crate::store::StoreError;
use crate::surveys::definition::{SurveyCatalog, SurveyDefinition};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("unknown survey `{0}`")]
    UnknownSurvey(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rounds to 2 decimals (half away from zero).
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn rounded<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    value.map(round2).serialize(serializer)
}

/// Overall or element index as written out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexOut {
    /// Satisfaction index, percent.
    #[serde(serialize_with = "rounded")]
    pub index: Option<f64>,
    #[serde(serialize_with = "rounded")]
    pub mean: Option<f64>,
    pub n: i64,
}

impl From<&IndexFigures> for IndexOut {
    fn from(f: &IndexFigures) -> Self {
        Self { index: f.index, mean: f.mean, n: f.n }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementOut {
    pub code: String,
    pub name: String,
    #[serde(serialize_with = "rounded")]
    pub index: Option<f64>,
    #[serde(serialize_with = "rounded")]
    pub mean: Option<f64>,
    pub n: i64,
}

impl From<&ElementFigures> for ElementOut {
    fn from(e: &ElementFigures) -> Self {
        Self {
            code: e.code.clone(),
            name: e.name.clone(),
            index: e.figures.index,
            mean: e.figures.mean,
            n: e.figures.n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionOut {
    pub code: String,
    pub text: String,
    pub element: Option<String>,
    #[serde(serialize_with = "rounded")]
    pub satisfied_pct: Option<f64>,
    /// Percentage points, 95 %.
    #[serde(serialize_with = "rounded")]
    pub margin_of_error: Option<f64>,
    #[serde(serialize_with = "rounded")]
    pub mean: Option<f64>,
    pub n: i64,
    pub distribution: BTreeMap<i64, i64>,
}

impl QuestionOut {
    fn new(q: &QuestionFigures, survey: &SurveyDefinition) -> Self {
        Self {
            code: q.code.clone(),
            text: survey.question(&q.code).map(|d| d.text().to_owned()).unwrap_or_default(),
            element: q.element.clone(),
            satisfied_pct: q.satisfied_pct,
            margin_of_error: q.margin_of_error,
            mean: q.mean,
            n: q.n,
            distribution: q.distribution.clone(),
        }
    }
}

/// Figures of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupOut {
    pub key: String,
    pub name: String,
    pub sent: i64,
    pub answered: i64,
    pub responses: i64,
    #[serde(serialize_with = "rounded")]
    pub response_rate: Option<f64>,
    pub overall: IndexOut,
    pub elements: Vec<ElementOut>,
    pub questions: Vec<QuestionOut>,
}

/// The report of one survey over one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyReport {
    pub survey: String,
    pub from: String,
    pub to: String,
    pub group_by: Option<&'static str>,
    /// Instances sent for dossiers completed in the period (any questionnaire).
    pub sent: i64,
    /// Instances in state `answered`.
    pub answered: i64,
    /// Instances with at least one answer to this survey.
    pub responses: i64,
    /// `responses / sent`, percent.
    #[serde(serialize_with = "rounded")]
    pub response_rate: Option<f64>,
    pub overall: IndexOut,
    pub elements: Vec<ElementOut>,
    pub questions: Vec<QuestionOut>,
    pub groups: Vec<GroupOut>,
}

type Counts = BTreeMap<String, BTreeMap<i64, i64>>;

/// A readable name for a group key.
pub fn group_name(dimension: Dimension, key: &str, stored: Option<&str>) -> String {
    if let Some(name) = stored.filter(|n| !n.is_empty()) {
        return name.to_owned();
    }
    match (dimension, key) {
        (Dimension::Level, "tinh") => "Cấp tỉnh".to_owned(),
        (Dimension::Level, "huyen") => "Cấp huyện".to_owned(),
        (Dimension::Level, "xa") => "Cấp xã".to_owned(),
        (Dimension::Channel, "truc_tiep") => "Trực tiếp".to_owned(),
        (Dimension::Channel, "truc_tuyen") => "Trực tuyến".to_owned(),
        (Dimension::Month, _) => match key.split_once('-') {
            Some((year, month)) => format!("Tháng {month}/{year}"),
            None => key.to_owned(),
        },
        (Dimension::Quarter, _) => match key.split_once("-Q") {
            Some((year, quarter)) => format!("Quý {quarter}/{year}"),
            None => key.to_owned(),
        },
        (Dimension::Year, _) => format!("Năm {key}"),
        _ => key.to_owned(),
    }
}

/// Builds the report of `query` from the store.
pub async fn survey_report(
    store: &dyn StatsStore,
    catalog: &SurveyCatalog,
    query: &StatsQuery,
    rules: &AggregationRules,
) -> Result<SurveyReport, StatsError> {
    let survey = catalog.get(&query.survey).ok_or_else(|| StatsError::UnknownSurvey(query.survey.clone()))?;
    let slice = query.slice();
    // Every answer and every instance falls in exactly one group, so the totals are the sums of
    // the grouped rows: one pair of queries whether grouped or not.
    let answer_rows = store.answer_counts(&slice).await?;
    let instances = store.instance_counts(&slice).await?;

    let mut counts = Counts::new();
    for row in &answer_rows {
        *counts.entry(row.question.clone()).or_default().entry(row.value).or_default() += row.count;
    }
    let figures = compute(catalog, survey, &counts, rules);
    let sent = instances.iter().map(|r| r.sent).sum();
    let answered = instances.iter().map(|r| r.answered).sum();
    let responses = instances.iter().map(|r| r.responses).sum();

    let mut groups = Vec::new();
    if let Some(dimension) = query.group_by {
        let mut per_group: BTreeMap<String, Counts> = BTreeMap::new();
        for row in answer_rows {
            let key = row.group.unwrap_or_default();
            *per_group.entry(key).or_default().entry(row.question).or_default().entry(row.value).or_default() +=
                row.count;
        }
        let keys: BTreeSet<String> =
            per_group.keys().cloned().chain(instances.iter().map(|r| r.group.clone().unwrap_or_default())).collect();
        for key in keys {
            let counts = per_group.get(&key).cloned().unwrap_or_default();
            let group_figures = compute(catalog, survey, &counts, rules);
            let row = instances.iter().find(|r| r.group.as_deref().unwrap_or_default() == key);
            let (sent, answered, responses) = row.map_or((0, 0, 0), |r| (r.sent, r.answered, r.responses));
            groups.push(GroupOut {
                name: group_name(dimension, &key, row.and_then(|r| r.group_name.as_deref())),
                key,
                sent,
                answered,
                responses,
                response_rate: response_rate(responses, sent),
                overall: IndexOut::from(&group_figures.overall),
                elements: group_figures.elements.iter().map(ElementOut::from).collect(),
                questions: group_figures.questions.iter().map(|q| QuestionOut::new(q, survey)).collect(),
            });
        }
    }
    Ok(SurveyReport {
        survey: query.survey.clone(),
        from: query.from.to_string(),
        to: query.to.to_string(),
        group_by: query.group_by.map(Dimension::as_str),
        sent,
        answered,
        responses,
        response_rate: response_rate(responses, sent),
        overall: IndexOut::from(&figures.overall),
        elements: figures.elements.iter().map(ElementOut::from).collect(),
        questions: figures.questions.iter().map(|q| QuestionOut::new(q, survey)).collect(),
        groups,
    })
}

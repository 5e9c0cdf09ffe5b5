//! Pure computation of a survey's figures from answer counts: per question the distribution, n,
//! mean, satisfied % and its 95 % margin of error; per element and overall the indices. Values stay
//! unrounded here; rounding to 2 decimals happens when a report is written out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::surveys::definition::{SurveyCatalog, SurveyDefinition};

/// How question figures are aggregated. The official SIPAS weights are unverified
/// (reference §1.4, [U]); these defaults follow the convention of published reports. Configured
/// in `[stats]` (see [`crate::stats::settings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregationRules {
    /// How an element's index is formed from its questions.
    pub element_index: ElementIndex,
    /// How the overall index is formed.
    pub overall_index: OverallIndex,
    /// The z value of the margin of error (1.96 for 95 %).
    pub z: f64,
    /// Weight of each element (by code) in the overall index and mean under
    /// [`OverallIndex::MeanOfElements`]; elements not listed weigh 1.
    pub element_weights: BTreeMap<String, f64>,
}

impl Default for AggregationRules {
    fn default() -> Self {
        Self {
            element_index: ElementIndex::MeanOfQuestions,
            overall_index: OverallIndex::MeanOfElements,
            z: 1.96,
            element_weights: BTreeMap::new(),
        }
    }
}

impl AggregationRules {
    fn weight(&self, element: &str) -> f64 {
        self.element_weights.get(element).copied().unwrap_or(1.0)
    }
}

/// Element index rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementIndex {
    /// Unweighted mean of the element's questions' satisfied % (default).
    #[default]
    MeanOfQuestions,
    /// Satisfied answers of all the element's questions ÷ all their valid answers.
    Pooled,
}

/// Overall index rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallIndex {
    /// Mean of the element indices, weighted by `element_weights` (all 1 by default).
    #[default]
    MeanOfElements,
    /// Unweighted mean of the satisfied % of every question that belongs to an element.
    MeanOfQuestions,
}

/// Figures of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionFigures {
    pub code: String,
    pub element: Option<String>,
    /// Count per scale value (every option of the scale, zero included).
    pub distribution: BTreeMap<i64, i64>,
    /// Valid answers (values of the scale).
    pub n: i64,
    /// Answers with satisfied values.
    pub satisfied: i64,
    /// Mean value; `None` without answers.
    pub mean: Option<f64>,
    /// Satisfied share in percent; `None` without answers or when the scale measures no satisfaction.
    pub satisfied_pct: Option<f64>,
    /// Margin of error of `satisfied_pct`, in percentage points.
    pub margin_of_error: Option<f64>,
}

/// Index of an element, or the overall index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFigures {
    /// Satisfaction index in percent; `None` when nothing was answered.
    pub index: Option<f64>,
    /// Mean of the question means.
    pub mean: Option<f64>,
    /// Valid answers counted (sum over the questions).
    pub n: i64,
}

/// Figures of one element.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementFigures {
    pub code: String,
    pub name: String,
    pub figures: IndexFigures,
}

/// All figures of one slice (or one group).
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyFigures {
    pub overall: IndexFigures,
    pub elements: Vec<ElementFigures>,
    pub questions: Vec<QuestionFigures>,
}

/// Response rate in percent (`responses / sent`); `None` when nothing was sent.
pub fn response_rate(responses: i64, sent: i64) -> Option<f64> {
    (sent > 0).then(|| responses as f64 * 100.0 / sent as f64)
}

/// 95 % (or `z`) margin of error of a share `p` (0–1) over `n` answers, in percentage points.
pub fn margin_of_error(p: f64, n: i64, z: f64) -> Option<f64> {
    (n > 0).then(|| z * (p * (1.0 - p) / n as f64).sqrt() * 100.0)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Mean of `(value, weight)` pairs; `None` without any weight.
fn weighted_mean(values: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (sum, weights) = values.fold((0.0, 0.0), |(s, w), (v, weight)| (s + v * weight, w + weight));
    (weights > 0.0).then(|| sum / weights)
}

/// Figures of `survey` from `counts` (question code → value → count). Counts of unknown
/// questions or of values outside a question's scale are ignored.
pub fn compute(
    catalog: &SurveyCatalog,
    survey: &SurveyDefinition,
    counts: &BTreeMap<String, BTreeMap<i64, i64>>,
    rules: &AggregationRules,
) -> SurveyFigures {
    let questions: Vec<QuestionFigures> = survey
        .questions
        .iter()
        .map(|question| {
            let scale = catalog.scale(question.scale());
            let answered = counts.get(question.code());
            let mut distribution = BTreeMap::new();
            if let Some(scale) = scale {
                for option in &scale.options {
                    let count = answered.and_then(|c| c.get(&option.value())).copied().unwrap_or(0);
                    distribution.insert(option.value(), count);
                }
            }
            let n: i64 = distribution.values().sum();
            let total: i64 = distribution.iter().map(|(value, count)| value * count).sum();
            let satisfied: i64 = scale.map_or(0, |scale| {
                distribution.iter().filter(|(value, _)| scale.is_satisfied_value(**value)).map(|(_, c)| c).sum()
            });
            let measures = scale.is_some_and(|s| s.measures_satisfaction);
            let share = (n > 0 && measures).then(|| satisfied as f64 / n as f64);
            QuestionFigures {
                code: question.code().to_owned(),
                element: question.element().map(str::to_owned),
                distribution,
                n,
                satisfied,
                mean: (n > 0).then(|| total as f64 / n as f64),
                satisfied_pct: share.map(|p| p * 100.0),
                margin_of_error: share.and_then(|p| margin_of_error(p, n, rules.z)),
            }
        })
        .collect();
    let elements: Vec<ElementFigures> = survey
        .elements
        .iter()
        .map(|element| {
            let own: Vec<&QuestionFigures> =
                questions.iter().filter(|q| q.element.as_deref() == Some(element.code())).collect();
            let scored = || own.iter().filter(|q| q.satisfied_pct.is_some());
            let index = match rules.element_index {
                ElementIndex::MeanOfQuestions => mean(scored().filter_map(|q| q.satisfied_pct)),
                ElementIndex::Pooled => {
                    let n: i64 = scored().map(|q| q.n).sum();
                    let satisfied: i64 = scored().map(|q| q.satisfied).sum();
                    (n > 0).then(|| satisfied as f64 * 100.0 / n as f64)
                }
            };
            ElementFigures {
                code: element.code().to_owned(),
                name: element.name.clone(),
                figures: IndexFigures {
                    index,
                    mean: mean(own.iter().filter_map(|q| q.mean)),
                    n: own.iter().map(|q| q.n).sum(),
                },
            }
        })
        .collect();
    let in_elements = || questions.iter().filter(|q| q.element.is_some());
    let weighted = |value: fn(&ElementFigures) -> Option<f64>| {
        weighted_mean(elements.iter().filter_map(|e| value(e).map(|v| (v, rules.weight(&e.code)))))
    };
    let overall = IndexFigures {
        index: match rules.overall_index {
            OverallIndex::MeanOfElements => weighted(|e| e.figures.index),
            OverallIndex::MeanOfQuestions => mean(in_elements().filter_map(|q| q.satisfied_pct)),
        },
        mean: weighted(|e| e.figures.mean),
        n: elements.iter().map(|e| e.figures.n).sum(),
    };
    SurveyFigures { overall, elements, questions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::definition::{ScalesFile, SurveyCatalog};

    const SCALES: &str = r#"
[[scales]]
id = "s3"
name = "Ba mức"
measures_satisfaction = true
satisfied = [3]
[[scales.options]]
value = 1
label = "Kém"
short_label = "Kém"
[[scales.options]]
value = 2
label = "Được"
short_label = "Được"
[[scales.options]]
value = 3
label = "Tốt"
short_label = "Tốt"
[[scales]]
id = "need"
name = "Mong đợi"
measures_satisfaction = false
[[scales.options]]
value = 1
label = "Ít"
short_label = "Ít"
[[scales.options]]
value = 2
label = "Nhiều"
short_label = "Nhiều"
"#;

    const SURVEY: &str = r#"
id = "t"
version = 1
year = 2026
title = "T"
description = "D"
source = "S"
[[elements]]
code = "E1"
name = "Một"
[[elements]]
code = "E2"
name = "Hai"
[[questions]]
code = "Q1"
text = "1?"
element = "E1"
scale = "s3"
[[questions]]
code = "Q2"
text = "2?"
element = "E1"
scale = "s3"
[[questions]]
code = "Q3"
text = "3?"
element = "E2"
scale = "s3"
[[questions]]
code = "CHUNG"
text = "Chung?"
scale = "s3"
[[questions]]
code = "NEED"
text = "Mong đợi?"
scale = "need"
"#;

    fn setup() -> (SurveyCatalog, SurveyDefinition) {
        let scales: ScalesFile = toml::from_str(SCALES).expect("scales");
        let survey: SurveyDefinition = toml::from_str(SURVEY).expect("survey");
        let catalog = SurveyCatalog {
            surveys: [("t".to_owned(), survey.clone())].into(),
            scales: scales.scales.into_iter().map(|s| (s.id().to_owned(), s)).collect(),
        };
        (catalog, survey)
    }

    fn counts(rows: &[(&str, &[(i64, i64)])]) -> BTreeMap<String, BTreeMap<i64, i64>> {
        rows.iter().map(|(q, values)| ((*q).to_owned(), values.iter().copied().collect())).collect()
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|a| (a - expected).abs() < 1e-9)
    }

    #[test]
    fn figures_by_hand() {
        let (catalog, survey) = setup();
        // Q1: 3×3, 1×1 → n 4, mean 10/4 = 2.5, satisfied 3/4 = 75 %, MoE 1.96·√(.75·.25/4)·100.
        // Q2: 3×1, 2×1 → n 2, mean 2.5, 50 %. Value 9 is outside the scale: ignored.
        // Q3: 2×2 → n 2, mean 2, 0 %, MoE 0. CHUNG: 3×5 → 100 %, not in any element.
        // NEED: 2×3 → mean 2, no satisfied %.
        let data = counts(&[
            ("Q1", &[(3, 3), (1, 1)]),
            ("Q2", &[(3, 1), (2, 1), (9, 4)]),
            ("Q3", &[(2, 2)]),
            ("CHUNG", &[(3, 5)]),
            ("NEED", &[(2, 3)]),
            ("UNKNOWN", &[(1, 7)]),
        ]);
        let f = compute(&catalog, &survey, &data, &AggregationRules::default());
        let q1 = &f.questions[0];
        assert_eq!(q1.distribution, BTreeMap::from([(1, 1), (2, 0), (3, 3)]));
        assert_eq!((q1.n, q1.satisfied), (4, 3));
        assert!(close(q1.mean, 2.5) && close(q1.satisfied_pct, 75.0));
        assert!(close(q1.margin_of_error, 1.96 * (0.75f64 * 0.25 / 4.0).sqrt() * 100.0));
        assert_eq!(f.questions[1].n, 2, "value 9 is not on the scale");
        assert!(close(f.questions[2].margin_of_error, 0.0));
        let need = &f.questions[4];
        assert!(close(need.mean, 2.0) && need.satisfied_pct.is_none() && need.margin_of_error.is_none());
        // E1 = (75 + 50)/2 = 62.5, mean (2.5 + 2.5)/2, n 6; E2 = 0, mean 2, n 2.
        assert!(close(f.elements[0].figures.index, 62.5) && close(f.elements[0].figures.mean, 2.5));
        assert_eq!((f.elements[0].figures.n, f.elements[1].figures.n), (6, 2));
        assert!(close(f.elements[1].figures.index, 0.0));
        // Overall = (62.5 + 0)/2; CHUNG (100 %) is not part of it.
        assert!(close(f.overall.index, 31.25) && close(f.overall.mean, 2.25));
        assert_eq!(f.overall.n, 8);

        // Pooled element: E1 = (3 + 1)/(4 + 2) = 66.67 %; overall over questions: (75 + 50 + 0)/3.
        let rules = AggregationRules {
            element_index: ElementIndex::Pooled,
            overall_index: OverallIndex::MeanOfQuestions,
            ..AggregationRules::default()
        };
        let pooled = compute(&catalog, &survey, &data, &rules);
        assert!(close(pooled.elements[0].figures.index, 400.0 / 6.0));
        assert!(close(pooled.overall.index, 125.0 / 3.0));
    }

    #[test]
    fn element_weights_shift_the_overall_index() {
        let (catalog, survey) = setup();
        // E1 (Q1 = 3): index 100, mean 3; E2 (Q3 = 1): index 0, mean 1.
        let data = counts(&[("Q1", &[(3, 1)]), ("Q3", &[(1, 1)])]);
        let plain = compute(&catalog, &survey, &data, &AggregationRules::default());
        assert!(close(plain.overall.index, 50.0) && close(plain.overall.mean, 2.0));
        let mut rules = AggregationRules::default();
        rules.element_weights.insert("E1".into(), 3.0);
        let weighted = compute(&catalog, &survey, &data, &rules);
        assert!(close(weighted.overall.index, 75.0), "{:?}", weighted.overall.index);
        assert!(close(weighted.overall.mean, 2.5), "{:?}", weighted.overall.mean);
    }

    #[test]
    fn no_answers_give_empty_figures() {
        let (catalog, survey) = setup();
        let f = compute(&catalog, &survey, &BTreeMap::new(), &AggregationRules::default());
        assert!(f.questions.iter().all(|q| q.n == 0 && q.mean.is_none() && q.satisfied_pct.is_none()));
        assert!(f.overall.index.is_none() && f.overall.mean.is_none());
        assert_eq!(response_rate(3, 0), None);
        assert!(close(response_rate(1, 4), 25.0));
    }
}

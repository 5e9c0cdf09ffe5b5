//! The `[stats]` configuration section: the aggregation rules of the satisfaction indices (the
//! official weights are unverified, so they are configuration; the defaults are the published
//! reports' convention) and which agencies of the one-stop system belong to each department (what
//! a department's users see of the survey figures), and how many statistics downloads the console
//! makes at once. Which answers count as satisfied is set per scale in the survey definitions
//! (`satisfied` in scales.toml, see `survey.definitions_dir`).

use serde::{Deserialize, Serialize};

use super::compute::{AggregationRules, ElementIndex, OverallIndex};

/// The weight of one element of one survey in the overall index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementWeight {
    pub survey: String,
    pub element: String,
    pub weight: f64,
}

/// The agencies (codes as the one-stop system sends them in dossiers) of one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentAgencies {
    /// Department code of the branch catalogue, e.g. `STP`.
    pub department: String,
    pub agencies: Vec<String>,
}

/// `[stats]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsConfig {
    /// An element's index: `mean_of_questions` (mean of its questions' satisfied %) or `pooled`.
    pub element_index: ElementIndex,
    /// The overall index: `mean_of_elements` (weighted by `element_weights`) or `mean_of_questions`.
    pub overall_index: OverallIndex,
    /// z of the margins of error (1.96 = 95 %).
    pub confidence_z: f64,
    /// Element weights in the overall index and mean; elements not listed weigh 1.
    pub element_weights: Vec<ElementWeight>,
    /// Survey figures of a department's users and department-bound API keys are limited to these
    /// agencies; a department not listed sees no survey figures (its complaint figures still show).
    pub department_agencies: Vec<DepartmentAgencies>,
    /// Statistics downloads (`/console/stats/export`) one process makes at once; one more is
    /// answered 503 with `Retry-After` instead of waiting.
    pub max_concurrent_exports: usize,
}

/// Default of `stats.max_concurrent_exports`.
pub const DEFAULT_MAX_CONCURRENT_EXPORTS: usize = 2;

impl Default for StatsConfig {
    fn default() -> Self {
        let rules = AggregationRules::default();
        Self {
            element_index: rules.element_index,
            overall_index: rules.overall_index,
            confidence_z: rules.z,
            element_weights: Vec::new(),
            department_agencies: Vec::new(),
            max_concurrent_exports: DEFAULT_MAX_CONCURRENT_EXPORTS,
        }
    }
}

impl StatsConfig {
    /// The aggregation rules of `survey`.
    pub fn rules_for(&self, survey: &str) -> AggregationRules {
        AggregationRules {
            element_index: self.element_index,
            overall_index: self.overall_index,
            z: self.confidence_z,
            element_weights: self
                .element_weights
                .iter()
                .filter(|w| w.survey == survey)
                .map(|w| (w.element.clone(), w.weight))
                .collect(),
        }
    }

    /// The agency codes of `department` (none when it is not listed).
    pub fn agencies_of(&self, department: &str) -> Vec<String> {
        self.department_agencies
            .iter()
            .filter(|d| d.department.eq_ignore_ascii_case(department))
            .flat_map(|d| d.agencies.iter().cloned())
            .collect()
    }

    /// What is wrong with this section (keys named `stats.…`).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.confidence_z.is_finite() && self.confidence_z > 0.0) {
            problems.push(format!("`stats.confidence_z`: must be a positive number, got {}", self.confidence_z));
        }
        for w in &self.element_weights {
            if !(w.weight.is_finite() && w.weight >= 0.0) {
                problems.push(format!(
                    "`stats.element_weights`: the weight of {} in {} must be a number ≥ 0, got {}",
                    w.element, w.survey, w.weight
                ));
            }
        }
        if self.max_concurrent_exports == 0 {
            problems.push("`stats.max_concurrent_exports`: must be at least 1 (no download could run)".to_owned());
        }
        let mut seen = std::collections::BTreeSet::new();
        for entry in &self.department_agencies {
            if entry.department.trim().is_empty() {
                problems.push("`stats.department_agencies`: an entry has an empty `department`".to_owned());
            } else if !seen.insert(entry.department.to_ascii_uppercase()) {
                problems
                    .push(format!("`stats.department_agencies`: department `{}` is listed twice", entry.department));
            }
            if entry.agencies.iter().any(|a| a.trim().is_empty()) {
                problems.push(format!(
                    "`stats.department_agencies`: department `{}` has an empty agency code",
                    entry.department
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_default_to_todays_behaviour_and_take_weights_per_survey() {
        let config = StatsConfig::default();
        assert_eq!(config.rules_for("sipas-2017"), AggregationRules::default());
        let text = r#"
            element_index = "pooled"
            element_weights = [{ survey = "sipas-2017", element = "YT1", weight = 2.0 },
                               { survey = "khac", element = "YT2", weight = 5.0 }]
        "#;
        let config: StatsConfig = toml::from_str(text).expect("valid");
        let rules = config.rules_for("sipas-2017");
        assert_eq!(rules.element_index, ElementIndex::Pooled);
        assert_eq!(rules.element_weights.into_iter().collect::<Vec<_>>(), [("YT1".to_owned(), 2.0)]);
        let bad = StatsConfig { confidence_z: 0.0, ..StatsConfig::default() };
        assert_eq!(bad.problems().len(), 1);
    }

    #[test]
    fn export_slots_default_to_two_and_none_is_refused() {
        assert_eq!(StatsConfig::default().max_concurrent_exports, 2);
        let config: StatsConfig = toml::from_str("max_concurrent_exports = 5").expect("valid");
        assert_eq!(config.max_concurrent_exports, 5);
        let none = StatsConfig { max_concurrent_exports: 0, ..StatsConfig::default() };
        assert!(none.problems()[0].contains("`stats.max_concurrent_exports`"), "{:?}", none.problems());
    }

    #[test]
    fn agencies_by_department_and_problems() {
        let config = StatsConfig {
            department_agencies: vec![
                DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into(), "H27.02".into()] },
                DepartmentAgencies { department: "stp".into(), agencies: vec![" ".into()] },
            ],
            ..StatsConfig::default()
        };
        assert_eq!(config.agencies_of("stp")[..2], ["H27.01".to_owned(), "H27.02".to_owned()]);
        assert!(config.agencies_of("SNV").is_empty());
        let problems = config.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}

//! The `[stats]` configuration section: which agencies of the one-stop system belong to each
//! department (what a department's users see of the survey figures).

use serde::{Deserialize, Serialize};

/// The agencies (codes as the one-stop system sends them in dossiers) of one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentAgencies {
    /// Department code of the branch catalogue, e.g. `STP`.
    pub department: String,
    pub agencies: Vec<String>,
}

/// `[stats]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsConfig {
    /// Survey figures of a department's users and department-bound API keys are limited to these
    /// agencies; a department not listed sees no survey figures (its complaint figures still show).
    pub department_agencies: Vec<DepartmentAgencies>,
}

impl StatsConfig {
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
    fn agencies_by_department_and_problems() {
        let config = StatsConfig {
            department_agencies: vec![
                DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into(), "H27.02".into()] },
                DepartmentAgencies { department: "stp".into(), agencies: vec![" ".into()] },
            ],
        };
        assert_eq!(config.agencies_of("stp")[..2], ["H27.01".to_owned(), "H27.02".to_owned()]);
        assert!(config.agencies_of("SNV").is_empty());
        let problems = config.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}

//! Survey definitions as data: the serde types read from the TOML files under `surveys/`
//! (surveys, elements, questions, free-text items, answer scales) and the validated catalog.
//!
//! Fields that validation has to point at keep their source position as [`toml::Spanned`]; use the
//! accessor methods (`code()`, `text()`, …) to read plain values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One survey (questionnaire), e.g. `sipas-2017` or `chat-short`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    /// Stable identifier, unique across all files.
    pub id: Spanned<String>,
    /// Revision of this file; bump it whenever the wording changes so that stored answers can be
    /// traced to the wording the citizen saw.
    pub version: u32,
    /// Year of the method the survey follows (e.g. 2017 for QĐ 2640/QĐ-BNV).
    pub year: u16,
    pub title: String,
    pub description: String,
    /// Where the content comes from (reference section, [U]/[P] notes).
    pub source: String,
    /// Upper limit, in characters, for every question text (used for the chat version).
    #[serde(default)]
    pub max_question_chars: Option<Spanned<usize>>,
    #[serde(default)]
    pub elements: Vec<Element>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub free_text: Vec<FreeTextItem>,
}

/// An element (yếu tố) that groups questions; indices are reported per element.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub code: Spanned<String>,
    pub name: String,
}

/// A closed question answered with a value of a scale.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: Spanned<String>,
    pub text: Spanned<String>,
    /// Element the question belongs to; `None` for questions outside every element index
    /// (an overall question, expectation items).
    #[serde(default)]
    pub element: Option<Spanned<String>>,
    /// Id of a scale from a scales file.
    pub scale: Spanned<String>,
    #[serde(default = "required_by_default")]
    pub required: bool,
    /// True when the wording is tongdai's adaptation rather than verified official text.
    #[serde(default)]
    pub adapted: bool,
}

/// A free-text item (suggestion, reason).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FreeTextItem {
    pub code: Spanned<String>,
    pub text: Spanned<String>,
    /// Maximum length in characters.
    pub max_length: Spanned<usize>,
    #[serde(default)]
    pub required: bool,
    /// Makes the item required when a question got one of the listed values.
    #[serde(default)]
    pub required_if: Option<RequiredIf>,
    #[serde(default)]
    pub adapted: bool,
}

/// Condition "required when question `question` was answered with one of `values`".
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredIf {
    pub question: Spanned<String>,
    pub values: Vec<Spanned<i64>>,
}

/// The content of a scales file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScalesFile {
    pub scales: Vec<Scale>,
}

/// An answer scale, e.g. `satisfaction-5`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub id: Spanned<String>,
    pub name: String,
    /// False for scales that do not measure satisfaction (then `satisfied` must be empty).
    pub measures_satisfaction: bool,
    /// Values counted as "satisfied" when computing satisfaction percentages.
    #[serde(default)]
    pub satisfied: Vec<Spanned<i64>>,
    pub options: Vec<ScaleOption>,
}

/// One answer option of a scale.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleOption {
    pub value: Spanned<i64>,
    pub label: Spanned<String>,
    /// Label for a chat button (at most [`MAX_SHORT_LABEL_CHARS`] characters).
    pub short_label: Spanned<String>,
    /// Other words citizens type for this option; matched after diacritic folding.
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
}

/// Longest allowed chat-button label, in characters.
pub const MAX_SHORT_LABEL_CHARS: usize = 20;

fn required_by_default() -> bool {
    true
}

impl SurveyDefinition {
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code() == code)
    }

    pub fn free_text_item(&self, code: &str) -> Option<&FreeTextItem> {
        self.free_text.iter().find(|item| item.code() == code)
    }

    pub fn element(&self, code: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.code() == code)
    }

    /// Questions of one element, in file order.
    pub fn questions_in<'a>(&'a self, element: &'a str) -> impl Iterator<Item = &'a Question> {
        self.questions.iter().filter(move |q| q.element() == Some(element))
    }
}

impl Element {
    pub fn code(&self) -> &str {
        self.code.get_ref()
    }
}

impl Question {
    pub fn code(&self) -> &str {
        self.code.get_ref()
    }

    pub fn text(&self) -> &str {
        self.text.get_ref()
    }

    pub fn element(&self) -> Option<&str> {
        self.element.as_ref().map(|e| e.get_ref().as_str())
    }

    pub fn scale(&self) -> &str {
        self.scale.get_ref()
    }
}

impl FreeTextItem {
    pub fn code(&self) -> &str {
        self.code.get_ref()
    }

    pub fn text(&self) -> &str {
        self.text.get_ref()
    }

    pub fn max_length(&self) -> usize {
        *self.max_length.get_ref()
    }
}

impl RequiredIf {
    pub fn question(&self) -> &str {
        self.question.get_ref()
    }

    /// True when `value` is one of the values that make the item required.
    pub fn triggered_by(&self, value: i64) -> bool {
        self.values.iter().any(|v| *v.get_ref() == value)
    }
}

impl Scale {
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    pub fn option(&self, value: i64) -> Option<&ScaleOption> {
        self.options.iter().find(|o| o.value() == value)
    }

    pub fn contains(&self, value: i64) -> bool {
        self.option(value).is_some()
    }

    pub fn max_value(&self) -> Option<i64> {
        self.options.iter().map(ScaleOption::value).max()
    }

    pub fn is_satisfied_value(&self, value: i64) -> bool {
        self.satisfied.iter().any(|v| *v.get_ref() == value)
    }
}

impl ScaleOption {
    pub fn value(&self) -> i64 {
        *self.value.get_ref()
    }

    pub fn label(&self) -> &str {
        self.label.get_ref()
    }

    pub fn short_label(&self) -> &str {
        self.short_label.get_ref()
    }

    /// The label followed by the aliases: every phrase that selects this option.
    pub fn phrases(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.label()).chain(self.aliases.iter().map(|a| a.get_ref().as_str()))
    }
}

/// All surveys and scales, validated together (built by `crate::surveys::load`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurveyCatalog {
    pub(crate) surveys: BTreeMap<String, SurveyDefinition>,
    pub(crate) scales: BTreeMap<String, Scale>,
}

impl SurveyCatalog {
    pub fn get(&self, id: &str) -> Option<&SurveyDefinition> {
        self.surveys.get(id)
    }

    /// Survey ids in alphabetical order.
    pub fn ids(&self) -> Vec<&str> {
        self.surveys.keys().map(String::as_str).collect()
    }

    pub fn scale(&self, id: &str) -> Option<&Scale> {
        self.scales.get(id)
    }

    /// Scale ids in alphabetical order.
    pub fn scale_ids(&self) -> Vec<&str> {
        self.scales.keys().map(String::as_str).collect()
    }

    /// The scale a question of `survey` is answered on.
    pub fn question_scale(&self, survey: &SurveyDefinition, question: &str) -> Option<&Scale> {
        survey.question(question).and_then(|q| self.scale(q.scale()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCALE: &str = r#"
[[scales]]
id = "yes-no"
name = "Có / Không"
measures_satisfaction = true
satisfied = [1]
[[scales.options]]
value = 1
label = "Có"
short_label = "Có"
aliases = ["vâng"]
[[scales.options]]
value = 0
label = "Không"
short_label = "Không"
"#;

    const SURVEY: &str = r#"
id = "t"
version = 1
year = 2024
title = "T"
description = "D"
source = "S"
[[elements]]
code = "E1"
name = "Một"
[[questions]]
code = "Q1"
text = "Câu một?"
element = "E1"
scale = "yes-no"
[[questions]]
code = "Q2"
text = "Câu hai?"
scale = "yes-no"
required = false
[[free_text]]
code = "F"
text = "Góp ý"
max_length = 10
"#;

    #[test]
    fn reads_scale_with_defaults_and_accessors() {
        let file: ScalesFile = toml::from_str(SCALE).expect("valid scale");
        let scale = &file.scales[0];
        assert_eq!(scale.id(), "yes-no");
        assert_eq!(scale.max_value(), Some(1));
        assert!(scale.contains(0));
        assert!(!scale.contains(2));
        assert!(scale.is_satisfied_value(1));
        assert!(!scale.is_satisfied_value(0));
        let phrases: Vec<&str> = scale.options[0].phrases().collect();
        assert_eq!(phrases, ["Có", "vâng"]);
        assert!(scale.options[1].aliases.is_empty());
    }

    #[test]
    fn reads_survey_with_defaults_and_lookups() {
        let def: SurveyDefinition = toml::from_str(SURVEY).expect("valid survey");
        assert_eq!(def.id(), "t");
        let q1 = def.question("Q1").expect("Q1");
        assert!(q1.required, "questions are required by default");
        assert!(!q1.adapted);
        assert_eq!(q1.element(), Some("E1"));
        assert!(!def.question("Q2").expect("Q2").required);
        assert_eq!(def.question("Q2").and_then(Question::element), None);
        let item = def.free_text_item("F").expect("F");
        assert!(!item.required, "free text is optional by default");
        assert_eq!(item.max_length(), 10);
        assert_eq!(def.questions_in("E1").count(), 1);
        assert!(def.element("E1").is_some());
        assert!(def.question("F").is_none());
    }

    #[test]
    fn rejects_unknown_field() {
        let broken = SURVEY.replace("required = false", "requried = false");
        let err = toml::from_str::<SurveyDefinition>(&broken).expect_err("typo must fail");
        assert!(err.message().contains("requried"), "{}", err.message());
    }
}

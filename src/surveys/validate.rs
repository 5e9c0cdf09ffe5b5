//! Consistency checks of parsed surveys and scales (codes, references, scale values), each
//! problem reported at its place in the file.

use std::collections::BTreeMap;

use toml::Spanned;

use super::definition::{FreeTextItem, Question, RequiredIf, Scale, SurveyDefinition, MAX_SHORT_LABEL_CHARS};
use super::load::{LoadError, Problem, SourceFile};
use crate::bot::text::fold;

/// Every problem of one scale.
pub(crate) fn check_scale(scale: &Scale, source: SourceFile<'_>) -> Vec<LoadError> {
    let mut errors = Vec::new();
    if scale.options.is_empty() {
        let problem = Problem::NoOptions { scale: scale.id().to_owned() };
        errors.push(source.error_at(&scale.id.span(), problem));
    }
    check_option_values(scale, source, &mut errors);
    check_option_labels(scale, source, &mut errors);
    check_satisfied_values(scale, source, &mut errors);
    check_phrases(scale, source, &mut errors);
    errors
}

fn check_option_values(scale: &Scale, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    let mut seen = Vec::new();
    for option in &scale.options {
        if seen.contains(&option.value()) {
            let problem = Problem::DuplicateScaleValue { scale: scale.id().to_owned(), value: option.value() };
            errors.push(source.error_at(&option.value.span(), problem));
        } else {
            seen.push(option.value());
        }
    }
}

fn check_option_labels(scale: &Scale, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    for option in &scale.options {
        for (field, text) in [("label", &option.label), ("short_label", &option.short_label)] {
            if text.get_ref().trim().is_empty() {
                let problem = Problem::EmptyLabel { scale: scale.id().to_owned(), value: option.value(), field };
                errors.push(source.error_at(&text.span(), problem));
            }
        }
        let chars = option.short_label().chars().count();
        if chars > MAX_SHORT_LABEL_CHARS {
            let problem = Problem::ShortLabelTooLong {
                scale: scale.id().to_owned(),
                label: option.short_label().to_owned(),
                chars,
                max: MAX_SHORT_LABEL_CHARS,
            };
            errors.push(source.error_at(&option.short_label.span(), problem));
        }
    }
}

fn check_satisfied_values(scale: &Scale, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    let scale_id = scale.id().to_owned();
    match (scale.measures_satisfaction, scale.satisfied.first()) {
        (true, None) => {
            let problem = Problem::NoSatisfiedValues { scale: scale_id };
            errors.push(source.error_at(&scale.id.span(), problem));
            return;
        }
        (false, Some(first)) => {
            let problem = Problem::SatisfiedOnNonSatisfactionScale { scale: scale_id };
            errors.push(source.error_at(&first.span(), problem));
            return;
        }
        _ => {}
    }
    for value in &scale.satisfied {
        if !scale.contains(*value.get_ref()) {
            let problem = Problem::SatisfiedNotInScale { scale: scale.id().to_owned(), value: *value.get_ref() };
            errors.push(source.error_at(&value.span(), problem));
        }
    }
}

/// Labels and aliases must fold to something, and never to the same words for two values.
fn check_phrases(scale: &Scale, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    let mut owner_of: BTreeMap<String, i64> = BTreeMap::new();
    for option in &scale.options {
        let phrases = std::iter::once(&option.label).chain(option.aliases.iter());
        for phrase in phrases {
            let folded = fold(phrase.get_ref());
            if folded.is_empty() {
                if !phrase.get_ref().trim().is_empty() {
                    let problem = Problem::EmptyAlias { scale: scale.id().to_owned(), alias: phrase.get_ref().clone() };
                    errors.push(source.error_at(&phrase.span(), problem));
                }
                continue;
            }
            match owner_of.get(&folded) {
                Some(&first_value) if first_value != option.value() => {
                    let problem = Problem::AmbiguousPhrase {
                        scale: scale.id().to_owned(),
                        phrase: phrase.get_ref().clone(),
                        first_value,
                        value: option.value(),
                    };
                    errors.push(source.error_at(&phrase.span(), problem));
                }
                Some(_) => {}
                None => {
                    owner_of.insert(folded, option.value());
                }
            }
        }
    }
}

/// Every problem of one survey, given the scales known to the catalog.
pub(crate) fn check_survey(
    def: &SurveyDefinition,
    scales: &BTreeMap<String, Scale>,
    source: SourceFile<'_>,
) -> Vec<LoadError> {
    let mut errors = Vec::new();
    if def.elements.is_empty() {
        let problem = Problem::NoElements { id: def.id().to_owned() };
        errors.push(source.error_at(&def.id.span(), problem));
    }
    check_unique_codes(def, source, &mut errors);
    check_elements_used(def, source, &mut errors);
    for question in &def.questions {
        check_question(def, question, scales, source, &mut errors);
    }
    for item in &def.free_text {
        check_free_text(def, item, scales, source, &mut errors);
    }
    errors
}

/// Element, question and free-text codes share one namespace within a survey.
fn check_unique_codes(def: &SurveyDefinition, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    let codes = def
        .elements
        .iter()
        .map(|e| &e.code)
        .chain(def.questions.iter().map(|q| &q.code))
        .chain(def.free_text.iter().map(|f| &f.code));
    let mut first_line_of: BTreeMap<&str, usize> = BTreeMap::new();
    for code in codes {
        if code.get_ref().trim().is_empty() {
            errors.push(source.error_at(&code.span(), Problem::EmptyCode));
            continue;
        }
        if let Some(&first_line) = first_line_of.get(code.get_ref().as_str()) {
            let problem = Problem::DuplicateCode { code: code.get_ref().clone(), first_line };
            errors.push(source.error_at(&code.span(), problem));
        } else {
            first_line_of.insert(code.get_ref(), source.line_of(&code.span()));
        }
    }
}

fn check_elements_used(def: &SurveyDefinition, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    for element in &def.elements {
        if def.questions_in(element.code()).next().is_none() {
            let problem = Problem::EmptyElement { element: element.code().to_owned() };
            errors.push(source.error_at(&element.code.span(), problem));
        }
    }
}

fn check_question(
    def: &SurveyDefinition,
    question: &Question,
    scales: &BTreeMap<String, Scale>,
    source: SourceFile<'_>,
    errors: &mut Vec<LoadError>,
) {
    check_text(question.code(), &question.text, source, errors);
    if let Some(max) = &def.max_question_chars {
        let chars = question.text().chars().count();
        if chars > *max.get_ref() {
            let problem = Problem::QuestionTooLong { code: question.code().to_owned(), chars, max: *max.get_ref() };
            errors.push(source.error_at(&question.text.span(), problem));
        }
    }
    if let Some(element) = &question.element {
        if def.element(element.get_ref()).is_none() {
            let problem =
                Problem::UnknownElement { question: question.code().to_owned(), element: element.get_ref().clone() };
            errors.push(source.error_at(&element.span(), problem));
        }
    }
    if !scales.contains_key(question.scale()) {
        let problem =
            Problem::UnknownScale { question: question.code().to_owned(), scale: question.scale().to_owned() };
        errors.push(source.error_at(&question.scale.span(), problem));
    }
}

fn check_text(code: &str, text: &Spanned<String>, source: SourceFile<'_>, errors: &mut Vec<LoadError>) {
    if text.get_ref().trim().is_empty() {
        let problem = Problem::EmptyText { code: code.to_owned() };
        errors.push(source.error_at(&text.span(), problem));
    }
}

fn check_free_text(
    def: &SurveyDefinition,
    item: &FreeTextItem,
    scales: &BTreeMap<String, Scale>,
    source: SourceFile<'_>,
    errors: &mut Vec<LoadError>,
) {
    check_text(item.code(), &item.text, source, errors);
    if item.max_length() == 0 {
        let problem = Problem::ZeroMaxLength { code: item.code().to_owned() };
        errors.push(source.error_at(&item.max_length.span(), problem));
    }
    if let Some(condition) = &item.required_if {
        if item.required {
            let problem = Problem::RequiredAndRequiredIf { code: item.code().to_owned() };
            errors.push(source.error_at(&condition.question.span(), problem));
        }
        check_required_if(def, item.code(), condition, scales, source, errors);
    }
}

fn check_required_if(
    def: &SurveyDefinition,
    item: &str,
    condition: &RequiredIf,
    scales: &BTreeMap<String, Scale>,
    source: SourceFile<'_>,
    errors: &mut Vec<LoadError>,
) {
    if condition.values.is_empty() {
        let problem = Problem::RequiredIfNoValues { item: item.to_owned() };
        errors.push(source.error_at(&condition.question.span(), problem));
    }
    let Some(question) = def.question(condition.question()) else {
        let problem =
            Problem::RequiredIfUnknownQuestion { item: item.to_owned(), question: condition.question().to_owned() };
        errors.push(source.error_at(&condition.question.span(), problem));
        return;
    };
    // An unknown scale is already reported on the question itself.
    let Some(scale) = scales.get(question.scale()) else {
        return;
    };
    for value in &condition.values {
        if !scale.contains(*value.get_ref()) {
            let problem = Problem::RequiredIfValueNotInScale {
                item: item.to_owned(),
                question: question.code().to_owned(),
                scale: scale.id().to_owned(),
                value: *value.get_ref(),
            };
            errors.push(source.error_at(&value.span(), problem));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::definition::ScalesFile;

    const SCALE: &str = r#"[[scales]]
id = "yn"
name = "Có/Không"
measures_satisfaction = true
satisfied = [1]
[[scales.options]]
value = 1
label = "Có"
short_label = "Có"
aliases = ["co", "CÓ!", "vâng"]
[[scales.options]]
value = 0
label = "Không"
short_label = "Không"
aliases = ["khong", "ko"]
"#;

    fn problems_of_scale(content: &str) -> Vec<Problem> {
        let file: ScalesFile = toml::from_str(content).expect("parses");
        let source = SourceFile { name: "s.toml", content };
        file.scales.iter().flat_map(|scale| check_scale(scale, source)).map(|e| e.problem).collect()
    }

    #[test]
    fn same_phrase_twice_for_one_value_is_fine() {
        assert_eq!(problems_of_scale(SCALE), []);
    }

    #[test]
    fn phrase_folding_to_another_values_phrase_is_ambiguous() {
        let content = SCALE.replace("\"ko\"", "\"Có\"");
        assert_eq!(
            problems_of_scale(&content),
            [Problem::AmbiguousPhrase { scale: "yn".into(), phrase: "Có".into(), first_value: 1, value: 0 }]
        );
    }

    #[test]
    fn survey_checks_use_the_given_scales() {
        let content = r#"id = "x"
version = 1
year = 2024
title = "X"
description = "X"
source = "X"
[[elements]]
code = "E"
name = "E"
[[questions]]
code = "Q"
text = "Q?"
element = "E"
scale = "yn"
"#;
        let def: SurveyDefinition = toml::from_str(content).expect("parses");
        let source = SourceFile { name: "x.toml", content };
        let no_scales = BTreeMap::new();
        let problems: Vec<Problem> = check_survey(&def, &no_scales, source).into_iter().map(|e| e.problem).collect();
        assert_eq!(problems, [Problem::UnknownScale { question: "Q".into(), scale: "yn".into() }]);
        let file: ScalesFile = toml::from_str(SCALE).expect("parses");
        let scales: BTreeMap<String, Scale> = file.scales.into_iter().map(|s| (s.id().to_owned(), s)).collect();
        assert!(check_survey(&def, &scales, source).is_empty());
    }
}

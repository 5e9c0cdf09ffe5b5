//! Citizens' answers: reading a typed answer against a scale ("5 sao", "rat hai long"),
//! checking a set of answers against a survey, and telling whether a value counts as satisfied.

use std::collections::BTreeMap;

use super::definition::{FreeTextItem, Question, Scale, SurveyCatalog, SurveyDefinition};
use crate::bot::text::fold;

/// One answer: a scale value for a question, or text for a free-text item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerValue {
    Score(i64),
    Text(String),
}

/// Why a set of answers does not fit its survey.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("\"{code}\" is not a question or free-text item of this survey")]
    UnknownCode { code: String },
    #[error("question \"{code}\" expects a scale value, not text")]
    ExpectedScore { code: String },
    #[error("free-text item \"{code}\" expects text, not a scale value")]
    ExpectedText { code: String },
    #[error("question \"{code}\" uses scale \"{scale}\", which the catalog does not have")]
    UnknownScale { code: String, scale: String },
    #[error("value {value} is not in scale \"{scale}\" of question \"{code}\"")]
    ValueNotInScale { code: String, scale: String, value: i64 },
    #[error("\"{code}\" is required but has no answer")]
    MissingRequired { code: String },
    #[error("\"{code}\" is required because question \"{question}\" was answered {value}")]
    MissingReason { code: String, question: String, value: i64 },
    #[error("\"{code}\" has {length} characters, more than the {max_length} allowed")]
    TooLong { code: String, length: usize, max_length: usize },
}

/// Words written after a number: "5 sao", "4 điểm", "3đ".
const NUMBER_UNITS: [&str; 3] = ["sao", "diem", "d"];
/// Polite particles a citizen may add: "5 ạ", "hài lòng nhé".
const PARTICLES: [&str; 5] = ["a", "nhe", "nha", "nhi", "thoi"];
/// Words that negate the phrase right after them ("không rất hài lòng").
const NEGATIONS: [&str; 9] = ["khong", "ko", "k", "kg", "kh", "hong", "hok", "chua", "chang"];

/// Reads a citizen's typed answer to one question on `scale`.
///
/// Accepts the value as a number ("5", "5 sao", "5/5", "4 điểm") or a label or alias, with or
/// without diacritics. When several phrases occur, the longest wins ("rất không hài lòng" over
/// "không hài lòng" over "hài lòng"); a tie between values, a negated phrase or a number that
/// contradicts the words gives `None`, and so does a value that is not in the scale.
pub fn parse_typed_answer(scale: &Scale, input: &str) -> Option<i64> {
    let folded = fold(input);
    let tokens: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    let (first, rest) = tokens.split_first()?;
    match first.parse::<i64>() {
        Ok(number) if is_number_suffix(scale, rest) => scale.contains(number).then_some(number),
        Ok(number) => match_phrase(scale, rest).filter(|value| *value == number),
        Err(_) => match_phrase(scale, &tokens),
    }
}

/// True when the words after a number only say "out of max", a unit, or a polite particle.
fn is_number_suffix(scale: &Scale, rest: &[&str]) -> bool {
    let max = scale.max_value().map(|m| m.to_string());
    let mut rest = rest;
    if let Some((first, tail)) = rest.split_first() {
        if NUMBER_UNITS.contains(first) {
            rest = tail;
        }
    }
    if let (Some((first, tail)), Some(max)) = (rest.split_first(), max.as_deref()) {
        if *first == max {
            rest = tail;
            if let Some((unit, tail)) = rest.split_first() {
                if NUMBER_UNITS.contains(unit) {
                    rest = tail;
                }
            }
        }
    }
    rest.iter().all(|t| PARTICLES.contains(t))
}

/// A phrase of a scale found in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PhraseMatch {
    value: i64,
    words: usize,
    chars: usize,
    negated: bool,
}

impl PhraseMatch {
    fn weight(&self) -> (usize, usize) {
        (self.words, self.chars)
    }
}

fn match_phrase(scale: &Scale, tokens: &[&str]) -> Option<i64> {
    let matches = find_phrases(scale, tokens);
    let best_weight = matches.iter().map(PhraseMatch::weight).max()?;
    let best: Vec<&PhraseMatch> = matches.iter().filter(|m| m.weight() == best_weight).collect();
    let value = best.first()?.value;
    let unanimous = best.iter().all(|m| m.value == value && !m.negated);
    unanimous.then_some(value)
}

fn find_phrases(scale: &Scale, tokens: &[&str]) -> Vec<PhraseMatch> {
    let mut found = Vec::new();
    for option in &scale.options {
        for phrase in option.phrases() {
            let folded = fold(phrase);
            let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
            if words.is_empty() || words.len() > tokens.len() {
                continue;
            }
            for start in 0..=tokens.len() - words.len() {
                if tokens[start..start + words.len()] != words[..] {
                    continue;
                }
                let follows_negation = start > 0 && NEGATIONS.contains(&tokens[start - 1]);
                let starts_with_negation = NEGATIONS.contains(&words[0]);
                found.push(PhraseMatch {
                    value: option.value(),
                    words: words.len(),
                    chars: folded.len(),
                    negated: follows_negation && !starts_with_negation,
                });
            }
        }
    }
    found
}

/// Whether `value` counts as satisfied on `scale`; `None` for scales that do not measure
/// satisfaction and for values outside the scale.
pub fn is_satisfied(scale: &Scale, value: i64) -> Option<bool> {
    if !scale.measures_satisfaction || !scale.contains(value) {
        return None;
    }
    Some(scale.is_satisfied_value(value))
}

/// Checks a citizen's answers (keyed by question or free-text code) against `def`.
pub fn validate_answers(
    def: &SurveyDefinition,
    catalog: &SurveyCatalog,
    answers: &BTreeMap<String, AnswerValue>,
) -> Result<(), Vec<AnswerError>> {
    let mut errors = Vec::new();
    for (code, answer) in answers {
        errors.extend(check_answer(def, catalog, code, answer));
    }
    for question in def.questions.iter().filter(|q| q.required) {
        if !answers.contains_key(question.code()) {
            errors.push(AnswerError::MissingRequired { code: question.code().to_owned() });
        }
    }
    for item in &def.free_text {
        errors.extend(check_free_text_present(item, answers));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_answer(
    def: &SurveyDefinition,
    catalog: &SurveyCatalog,
    code: &str,
    answer: &AnswerValue,
) -> Option<AnswerError> {
    if let Some(question) = def.question(code) {
        return check_score(catalog, question, answer);
    }
    let Some(item) = def.free_text_item(code) else {
        return Some(AnswerError::UnknownCode { code: code.to_owned() });
    };
    match answer {
        AnswerValue::Score(_) => Some(AnswerError::ExpectedText { code: code.to_owned() }),
        AnswerValue::Text(text) => {
            let length = text.chars().count();
            (length > item.max_length()).then(|| AnswerError::TooLong {
                code: code.to_owned(),
                length,
                max_length: item.max_length(),
            })
        }
    }
}

fn check_score(catalog: &SurveyCatalog, question: &Question, answer: &AnswerValue) -> Option<AnswerError> {
    let code = question.code().to_owned();
    let AnswerValue::Score(value) = answer else {
        return Some(AnswerError::ExpectedScore { code });
    };
    let Some(scale) = catalog.scale(question.scale()) else {
        return Some(AnswerError::UnknownScale { code, scale: question.scale().to_owned() });
    };
    (!scale.contains(*value)).then(|| AnswerError::ValueNotInScale {
        code,
        scale: scale.id().to_owned(),
        value: *value,
    })
}

/// A required (or conditionally required) free-text item must have non-blank text.
fn check_free_text_present(item: &FreeTextItem, answers: &BTreeMap<String, AnswerValue>) -> Option<AnswerError> {
    let has_text = matches!(
        answers.get(item.code()),
        Some(AnswerValue::Text(text)) if !text.trim().is_empty()
    );
    if has_text {
        return None;
    }
    if item.required {
        return Some(AnswerError::MissingRequired { code: item.code().to_owned() });
    }
    let condition = item.required_if.as_ref()?;
    match answers.get(condition.question()) {
        Some(AnswerValue::Score(value)) if condition.triggered_by(*value) => Some(AnswerError::MissingReason {
            code: item.code().to_owned(),
            question: condition.question().to_owned(),
            value: *value,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::load::embedded;

    fn catalog() -> SurveyCatalog {
        embedded().expect("embedded surveys load")
    }

    #[test]
    fn parses_typed_answers_on_satisfaction_5() {
        let catalog = catalog();
        let scale = catalog.scale("satisfaction-5").expect("scale");
        let cases: [(&str, Option<i64>); 40] = [
            ("5", Some(5)),
            (" 5 ", Some(5)),
            ("5 sao", Some(5)),
            ("5/5", Some(5)),
            ("4/5", Some(4)),
            ("3 điểm", Some(3)),
            ("1", Some(1)),
            ("5 ạ", Some(5)),
            ("6", None),
            ("0", None),
            ("5/10", None),
            ("rất hài lòng", Some(5)),
            ("Rất hài lòng", Some(5)),
            ("RAT HAI LONG", Some(5)),
            ("rat hai long", Some(5)),
            ("hài lòng", Some(4)),
            ("hai long", Some(4)),
            ("Hài Lòng!", Some(4)),
            ("không hài lòng", Some(2)),
            ("khong hai long", Some(2)),
            ("ko hài lòng", Some(2)),
            ("rất không hài lòng", Some(1)),
            ("rat khong hai long", Some(1)),
            ("bình thường", Some(3)),
            ("binh thuong", Some(3)),
            ("tạm được", Some(3)),
            ("tốt", Some(4)),
            ("tot", Some(4)),
            ("rất tốt", Some(5)),
            ("không tốt", Some(2)),
            ("tôi rất hài lòng ạ", Some(5)),
            ("không hài lòng lắm", Some(2)),
            ("chưa hài lòng", Some(2)),
            ("không rất hài lòng", None),
            ("5 rất hài lòng", Some(5)),
            ("1 rất hài lòng", None),
            ("xin chào", None),
            ("", None),
            ("?!", None),
            ("hông hài lòng", Some(2)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_typed_answer(scale, input), expected, "input {input:?}");
        }
    }

    #[test]
    fn parses_typed_answers_on_other_scales() {
        let catalog = catalog();
        let scale = |id: &str| catalog.scale(id).expect("scale").clone();
        let cases = [
            ("three-level", "rất hài lòng", Some(3)),
            ("three-level", "hai long", Some(2)),
            ("three-level", "KHÔNG HÀI LÒNG", Some(1)),
            ("three-level", "rất không hài lòng", Some(1)),
            ("three-level", "3", Some(3)),
            ("three-level", "5 sao", None),
            ("three-level", "bình thường", None),
            ("yes-no", "có", Some(1)),
            ("yes-no", "co", Some(1)),
            ("yes-no", "không", Some(0)),
            ("yes-no", "ko", Some(0)),
            ("yes-no", "0", Some(0)),
            ("expectation-3", "rất nhiều", Some(3)),
            ("expectation-3", "nhieu", Some(2)),
            ("expectation-3", "ít", Some(1)),
            ("expectation-3", "không nhiều", Some(1)),
        ];
        for (id, input, expected) in cases {
            assert_eq!(parse_typed_answer(&scale(id), input), expected, "{id}: {input:?}");
        }
    }

    #[test]
    fn tells_satisfied_values() {
        let catalog = catalog();
        let scale = |id: &str| catalog.scale(id).expect("scale").clone();
        let cases = [
            ("satisfaction-5", 5, Some(true)),
            ("satisfaction-5", 4, Some(true)),
            ("satisfaction-5", 3, Some(false)),
            ("satisfaction-5", 1, Some(false)),
            ("satisfaction-5", 9, None),
            ("three-level", 3, Some(true)),
            ("three-level", 2, Some(true)),
            ("three-level", 1, Some(false)),
            ("yes-no", 1, Some(true)),
            ("yes-no", 0, Some(false)),
            ("expectation-3", 3, None),
            ("expectation-3", 1, None),
        ];
        for (id, value, expected) in cases {
            assert_eq!(is_satisfied(&scale(id), value), expected, "{id}: {value}");
        }
    }

    fn answers(items: &[(&str, AnswerValue)]) -> BTreeMap<String, AnswerValue> {
        items.iter().map(|(code, value)| ((*code).to_owned(), value.clone())).collect()
    }

    fn text(s: &str) -> AnswerValue {
        AnswerValue::Text(s.to_owned())
    }

    #[test]
    fn requires_reason_when_not_satisfied_per_dossier() {
        let catalog = catalog();
        let def = catalog.get("danh-gia-3-muc").expect("survey");
        let reason_missing = AnswerError::MissingReason { code: "LY_DO".into(), question: "DG".into(), value: 1 };
        let cases = [
            (answers(&[("DG", AnswerValue::Score(3))]), Ok(())),
            (answers(&[("DG", AnswerValue::Score(2))]), Ok(())),
            (answers(&[("DG", AnswerValue::Score(1))]), Err(vec![reason_missing.clone()])),
            (answers(&[("DG", AnswerValue::Score(1)), ("LY_DO", text("   "))]), Err(vec![reason_missing])),
            (answers(&[("DG", AnswerValue::Score(1)), ("LY_DO", text("Chờ quá lâu"))]), Ok(())),
            (answers(&[]), Err(vec![AnswerError::MissingRequired { code: "DG".into() }])),
        ];
        for (given, expected) in cases {
            assert_eq!(validate_answers(def, &catalog, &given), expected, "{given:?}");
        }
    }

    #[test]
    fn reports_each_answer_problem() {
        let catalog = catalog();
        let def = catalog.get("danh-gia-3-muc").expect("survey");
        let long = "a".repeat(def.free_text_item("LY_DO").expect("item").max_length() + 1);
        let cases = [
            (
                answers(&[("DG", AnswerValue::Score(5))]),
                vec![AnswerError::ValueNotInScale { code: "DG".into(), scale: "three-level".into(), value: 5 }],
            ),
            (
                answers(&[("DG", AnswerValue::Score(2)), ("XX", AnswerValue::Score(2))]),
                vec![AnswerError::UnknownCode { code: "XX".into() }],
            ),
            (answers(&[("DG", text("tốt"))]), vec![AnswerError::ExpectedScore { code: "DG".into() }]),
            (
                answers(&[("DG", AnswerValue::Score(2)), ("LY_DO", AnswerValue::Score(1))]),
                vec![AnswerError::ExpectedText { code: "LY_DO".into() }],
            ),
            (
                answers(&[("DG", AnswerValue::Score(2)), ("LY_DO", text(&long))]),
                vec![AnswerError::TooLong { code: "LY_DO".into(), length: long.len(), max_length: long.len() - 1 }],
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(validate_answers(def, &catalog, &given), Err(expected), "{given:?}");
        }
    }

    #[test]
    fn chat_short_needs_all_six_scores_but_not_the_suggestion() {
        let catalog = catalog();
        let def = catalog.get("chat-short").expect("survey");
        let mut given: BTreeMap<String, AnswerValue> =
            def.questions.iter().map(|q| (q.code().to_owned(), AnswerValue::Score(4))).collect();
        assert_eq!(validate_answers(def, &catalog, &given), Ok(()));
        let first = def.questions[0].code().to_owned();
        given.remove(&first);
        assert_eq!(validate_answers(def, &catalog, &given), Err(vec![AnswerError::MissingRequired { code: first }]));
    }

    #[test]
    fn required_free_text_must_be_present() {
        let scales = r#"[[scales]]
id = "yn"
name = "Có/Không"
measures_satisfaction = true
satisfied = [1]
[[scales.options]]
value = 1
label = "Có"
short_label = "Có"
"#;
        let survey = r#"id = "r"
version = 1
year = 2024
title = "R"
description = "R"
source = "test"
[[elements]]
code = "E"
name = "E"
[[questions]]
code = "Q"
text = "Q?"
element = "E"
scale = "yn"
required = false
[[free_text]]
code = "T"
text = "Ý kiến"
max_length = 5
required = true
"#;
        let catalog = crate::surveys::load::load_from_strs(&[("s.toml", scales), ("r.toml", survey)]).expect("valid");
        let def = catalog.get("r").expect("survey");
        assert_eq!(
            validate_answers(def, &catalog, &answers(&[])),
            Err(vec![AnswerError::MissingRequired { code: "T".into() }])
        );
        assert_eq!(validate_answers(def, &catalog, &answers(&[("T", text("ổn"))])), Ok(()));
    }
}

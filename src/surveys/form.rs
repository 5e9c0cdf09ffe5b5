//! The web form's submitted fields read against the web survey, without I/O: `q_<code>` carries a
//! scale value, `t_<code>` a free text. Answers are checked with `validate_answers`; problems come
//! back per field, in Vietnamese, to be shown next to the field with the values kept.

use std::collections::BTreeMap;

use super::answer::{validate_answers, AnswerError, AnswerValue};
use super::definition::{SurveyCatalog, SurveyDefinition};
use super::model::NewAnswer;

/// Form field name of a question.
pub fn question_field(code: &str) -> String {
    format!("q_{code}")
}

/// Form field name of a free-text item.
pub fn text_field(code: &str) -> String {
    format!("t_{code}")
}

/// A submission that cannot be accepted: messages by question/item code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormErrors {
    pub errors: BTreeMap<String, String>,
}

/// Reads the submitted `fields` into answers, or the problems by code.
pub fn read_form(
    def: &SurveyDefinition,
    catalog: &SurveyCatalog,
    fields: &BTreeMap<String, String>,
) -> Result<Vec<NewAnswer>, FormErrors> {
    let mut answers = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for question in &def.questions {
        let Some(raw) = fields.get(&question_field(question.code())).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        match raw.parse::<i64>() {
            Ok(value) => {
                answers.insert(question.code().to_owned(), AnswerValue::Score(value));
            }
            Err(_) => {
                errors.insert(question.code().to_owned(), INVALID.to_owned());
            }
        }
    }
    for item in &def.free_text {
        let text = fields.get(&text_field(item.code())).map(|v| v.trim()).unwrap_or_default();
        if !text.is_empty() {
            answers.insert(item.code().to_owned(), AnswerValue::Text(text.to_owned()));
        }
    }
    if let Err(problems) = validate_answers(def, catalog, &answers) {
        for problem in problems {
            let (code, message) = describe(def, &problem);
            errors.entry(code).or_insert(message);
        }
    }
    if !errors.is_empty() {
        return Err(FormErrors { errors });
    }
    Ok(answers.into_iter().map(|(question_code, value)| NewAnswer { question_code, value }).collect())
}

const INVALID: &str = "Giá trị không hợp lệ.";

fn describe(def: &SurveyDefinition, problem: &AnswerError) -> (String, String) {
    match problem {
        AnswerError::MissingRequired { code } if def.question(code).is_some() => {
            (code.clone(), "Vui lòng chọn một mức trả lời.".to_owned())
        }
        AnswerError::MissingRequired { code } => (code.clone(), "Vui lòng nhập nội dung.".to_owned()),
        AnswerError::MissingReason { code, .. } => (code.clone(), "Vui lòng cho biết lý do.".to_owned()),
        AnswerError::TooLong { code, length, max_length } => {
            (code.clone(), format!("Tối đa {max_length} ký tự (Ông/Bà đã nhập {length})."))
        }
        AnswerError::ValueNotInScale { code, .. } => (code.clone(), "Giá trị không có trong thang trả lời.".to_owned()),
        AnswerError::UnknownCode { code }
        | AnswerError::ExpectedScore { code }
        | AnswerError::ExpectedText { code }
        | AnswerError::UnknownScale { code, .. } => (code.clone(), INVALID.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::load::embedded;

    fn complete_fields(def: &SurveyDefinition) -> BTreeMap<String, String> {
        def.questions.iter().filter(|q| q.required).map(|q| (question_field(q.code()), "4".to_owned())).collect()
    }

    #[test]
    fn a_complete_form_gives_its_answers() {
        let catalog = embedded().expect("embedded");
        let def = catalog.get("sipas-2022-service").expect("survey");
        let mut fields = complete_fields(def);
        fields.insert(question_field("C10.1"), "3".into());
        fields.insert(text_field("Y_KIEN_KHAC"), "  Cần thêm chỗ để xe.  ".into());
        fields.insert("_action".into(), "submit".into());
        let answers = read_form(def, &catalog, &fields).expect("valid");
        assert_eq!(answers.len(), 19 + 2);
        let suggestion = answers.iter().find(|a| a.question_code == "Y_KIEN_KHAC").expect("text");
        assert_eq!(suggestion.value, AnswerValue::Text("Cần thêm chỗ để xe.".into()));
    }

    #[test]
    fn problems_are_reported_per_field() {
        let catalog = embedded().expect("embedded");
        let def = catalog.get("sipas-2022-service").expect("survey");
        let mut fields = complete_fields(def);
        fields.remove(&question_field("C9.15"));
        fields.insert(question_field("C9.16"), "9".into());
        fields.insert(question_field("C9.17"), "abc".into());
        fields.insert(text_field("Y_KIEN_KHAC"), "x".repeat(2001));
        let errors = read_form(def, &catalog, &fields).expect_err("invalid").errors;
        assert_eq!(errors.get("C9.15").map(String::as_str), Some("Vui lòng chọn một mức trả lời."));
        assert_eq!(errors.get("C9.16").map(String::as_str), Some("Giá trị không có trong thang trả lời."));
        assert_eq!(errors.get("C9.17").map(String::as_str), Some("Giá trị không hợp lệ."));
        assert_eq!(errors.get("Y_KIEN_KHAC").map(String::as_str), Some("Tối đa 2000 ký tự (Ông/Bà đã nhập 2001)."));
        assert_eq!(errors.len(), 4);
    }
}

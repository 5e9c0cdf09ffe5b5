//! Satisfaction surveys as versioned data: definitions read from `surveys/*.toml`, loading with
//! file:line:column validation errors, and reading/checking citizens' answers.

pub mod answer;
pub mod definition;
pub mod load;
mod validate;

pub use answer::{is_satisfied, parse_typed_answer, validate_answers, AnswerError, AnswerValue};
pub use definition::{
    Element, FreeTextItem, Question, RequiredIf, Scale, ScaleOption, SurveyCatalog, SurveyDefinition,
};
pub use load::{embedded, load_dir, load_from_strs, LoadError, Position, Problem};

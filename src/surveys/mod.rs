//! Satisfaction surveys: definitions as versioned data (`surveys/*.toml`) with validated loading,
//! typed-answer reading; dossiers in, one survey per dossier scheduled by the send policy,
//! dispatched as `zalo.send` jobs, answered in the chat, on a signed web form or by a ZNS rating,
//! stored raw with the dossier's dimensions; opt-outs; dossier files uploaded in the console and
//! what the console shows of surveys.

pub mod answer;
pub mod chat;
pub mod csv_import;
pub mod definition;
pub mod dispatch;
pub mod dossiers;
pub mod form;
pub mod import_cli;
pub mod import_job;
pub mod imports;
pub mod link;
pub mod load;
pub mod messages;
pub mod model;
pub mod overview;
pub mod planning;
pub mod service;
pub mod settings;
mod validate;

pub use answer::{is_satisfied, parse_typed_answer, validate_answers, AnswerError, AnswerValue};
pub use chat::{is_opt_out, is_survey_payload};
pub use definition::{
    Element, FreeTextItem, Question, RequiredIf, Scale, ScaleOption, SurveyCatalog, SurveyDefinition,
};
pub use load::{embedded, load_dir, load_from_strs, LoadError, Position, Problem};
pub use service::{ChatResult, FeedbackOutcome, SurveyService};

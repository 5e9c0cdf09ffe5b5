//! The anonymised raw data of a survey slice, for the export: the store's raw answers read page by
//! page (keyset on the instance id, whole instances per page, so memory stays constant however
//! many answers there are) and folded into one [`RawRow`] per answered dossier, free text scrubbed
//! of personal data. No dossier code, name, phone or Zalo id is ever read.
//!
//! One row per answered dossier (rather than per answer) because that is how an analyst reads a
//! questionnaire in a spreadsheet — one respondent per line, one column per question — and it keeps
//! a million answers (≈ 45,000 respondents of a 22-question survey) far below Excel's 1,048,576
//! rows a sheet, where one row per answer would fill a sheet.

use chrono::{DateTime, Utc};

use super::model::{RawAnswer, StatsSlice, StatsStore};
use super::scrub::scrub;
use crate::store::StoreResult;

/// Answers read per page.
pub const PAGE_ANSWERS: u32 = 10_000;

/// One answer of a row: a scale value, or free text already scrubbed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Score(i64),
    Text(String),
}

/// The answers of one dossier to the survey, with the dossier's dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub agency_code: String,
    pub agency_name: String,
    pub level: String,
    pub field: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub dossier_channel: String,
    pub completed_at: DateTime<Utc>,
    /// When the last of its answers was given (the survey's completion).
    pub answered_at: DateTime<Utc>,
    /// The channel of its first answer.
    pub channel: String,
    /// Question or free-text item code and value, in the order they were stored.
    pub answers: Vec<(String, RawValue)>,
}

impl RawRow {
    fn start(answer: &RawAnswer) -> Self {
        Self {
            agency_code: answer.agency_code.clone(),
            agency_name: answer.agency_name.clone(),
            level: answer.level.clone(),
            field: answer.field.clone(),
            procedure_code: answer.procedure_code.clone(),
            procedure_name: answer.procedure_name.clone(),
            dossier_channel: answer.dossier_channel.clone(),
            completed_at: answer.completed_at,
            answered_at: answer.answered_at,
            channel: answer.channel.clone(),
            answers: Vec::new(),
        }
    }

    fn add(&mut self, answer: RawAnswer) {
        self.answered_at = self.answered_at.max(answer.answered_at);
        let value = match (answer.value_int, answer.value_text) {
            (Some(score), _) => RawValue::Score(score),
            (None, Some(text)) => RawValue::Text(scrub(&text)),
            (None, None) => return,
        };
        self.answers.push((answer.question_code, value));
    }

    /// The scrubbed free-text answers of the row.
    pub fn texts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.answers.iter().filter_map(|(code, value)| match value {
            RawValue::Text(text) => Some((code.as_str(), text.as_str())),
            RawValue::Score(_) => None,
        })
    }
}

/// Folds answers ordered by instance into rows, one per instance.
pub fn rows_of(answers: Vec<RawAnswer>) -> Vec<RawRow> {
    let mut rows: Vec<RawRow> = Vec::new();
    let mut current = None;
    for answer in answers {
        if current != Some(answer.instance_id) {
            current = Some(answer.instance_id);
            rows.push(RawRow::start(&answer));
        }
        if let Some(row) = rows.last_mut() {
            row.add(answer);
        }
    }
    rows
}

/// Reads the raw answers of a slice in pages of whole instances.
pub struct RawPages<'a> {
    store: &'a dyn StatsStore,
    slice: StatsSlice,
    after_instance: i64,
    page_answers: u32,
    done: bool,
}

impl<'a> RawPages<'a> {
    pub fn new(store: &'a dyn StatsStore, slice: StatsSlice) -> Self {
        Self::with_page_size(store, slice, PAGE_ANSWERS)
    }

    /// Pages of at most `page_answers` answers (at least 1).
    pub fn with_page_size(store: &'a dyn StatsStore, slice: StatsSlice, page_answers: u32) -> Self {
        Self { store, slice, after_instance: 0, page_answers: page_answers.max(1), done: false }
    }

    /// The next rows; `None` once every answer was read. A full page ends with an instance that
    /// may go on in the next page: its answers are left for that page. A full page holding one
    /// instance alone is read again, twice as long.
    pub async fn next(&mut self) -> StoreResult<Option<Vec<RawRow>>> {
        let mut limit = self.page_answers;
        while !self.done {
            let mut answers = self.store.raw_answers(&self.slice, self.after_instance, limit).await?;
            let full = answers.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
            let (Some(first), Some(last)) =
                (answers.first().map(|a| a.instance_id), answers.last().map(|a| a.instance_id))
            else {
                break;
            };
            if full && first == last && limit < u32::MAX {
                limit = limit.saturating_mul(2);
                continue;
            }
            if full && first != last {
                answers.retain(|a| a.instance_id != last);
            } else if !full {
                self.done = true;
            }
            self.after_instance = answers.last().map_or(last, |a| a.instance_id);
            return Ok(Some(rows_of(answers)));
        }
        self.done = true;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn answer(
        instance_id: i64,
        code: &str,
        value_int: Option<i64>,
        value_text: Option<&str>,
        minute: u32,
    ) -> RawAnswer {
        RawAnswer {
            instance_id,
            question_code: code.into(),
            value_int,
            value_text: value_text.map(str::to_owned),
            answered_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, minute, 0).single().expect("date"),
            channel: "chat".into(),
            agency_code: "H27.01".into(),
            agency_name: "Sở Tư pháp".into(),
            level: "tinh".into(),
            field: "Hộ tịch".into(),
            procedure_code: "1.001".into(),
            procedure_name: "Khai sinh".into(),
            dossier_channel: "truc_tiep".into(),
            completed_at: Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).single().expect("date"),
        }
    }

    #[test]
    fn one_row_per_instance_with_scrubbed_text_and_last_answer_time() {
        let rows = rows_of(vec![
            answer(7, "Q1", Some(4), None, 1),
            answer(7, "GOP_Y", None, Some("Gọi 0912 345 678 nhé"), 9),
            answer(7, "Q2", Some(5), None, 5),
            answer(9, "Q1", Some(2), None, 2),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].answers.len(), 3);
        assert_eq!(rows[0].answered_at.format("%M").to_string(), "09");
        assert_eq!(rows[0].texts().collect::<Vec<_>>(), [("GOP_Y", "Gọi [đã ẩn] nhé")]);
        assert_eq!(rows[1].answers, [("Q1".to_owned(), RawValue::Score(2))]);
        assert!(rows_of(Vec::new()).is_empty());
    }
}

//! Maintained aggregates, the write side: the cells a dossier's figures are counted in (the whole
//! province per local day, and each of agency, level, field, procedure and channel per local
//! month) and the [`StatsDelta`] a survey write adds to them in its own transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{local_offset, Dimension};
use crate::surveys::model::Dossier;

/// The `dimension` of the province-wide cube (periods are local days).
pub const PROVINCE: &str = "all";

/// The dimensions with a cube of their own (periods are local months).
pub const CUBE_DIMENSIONS: [Dimension; 5] =
    [Dimension::Agency, Dimension::Level, Dimension::Field, Dimension::Procedure, Dimension::Channel];

/// Local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&local_offset()).date_naive()
}

/// A day period, `YYYY-MM-DD`.
pub fn day_period(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A month period, `YYYY-MM`.
pub fn month_period(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// Where in a cube a figure is counted: the cube (`all` or a dimension), the dimension's value
/// (`""` in the province cube) and the period (local day in the province cube, local month in
/// the others).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub dimension: &'static str,
    pub key: String,
    pub period: String,
}

/// The six cells of a dossier, each with the display name of its key (`""` when there is none).
pub fn cells(dossier: &Dossier) -> Vec<(Cell, String)> {
    let date = local_date(dossier.completed_at);
    let month = month_period(date);
    let mut cells = vec![(Cell { dimension: PROVINCE, key: String::new(), period: day_period(date) }, String::new())];
    for dimension in CUBE_DIMENSIONS {
        let (key, name) = match dimension {
            Dimension::Agency => (dossier.agency_code.clone(), dossier.agency_name.clone()),
            Dimension::Level => (dossier.level.as_str().to_owned(), String::new()),
            Dimension::Field => (dossier.field.clone(), String::new()),
            Dimension::Procedure => (dossier.procedure_code.clone(), dossier.procedure_name.clone()),
            Dimension::Channel => (dossier.channel.as_str().to_owned(), String::new()),
            Dimension::Month | Dimension::Quarter | Dimension::Year => continue,
        };
        cells.push((Cell { dimension: dimension.as_str(), key, period: month.clone() }, name));
    }
    cells
}

/// Change of one cell's instance counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceDelta {
    /// Survey instances (one per dossier, whatever its state).
    pub instances: i64,
    /// Instances that were sent.
    pub sent: i64,
    /// Instances in state `answered`.
    pub answered: i64,
}

impl InstanceDelta {
    fn add(&mut self, other: Self) {
        self.instances += other.instances;
        self.sent += other.sent;
        self.answered += other.answered;
    }

    fn negated(self) -> Self {
        Self { instances: -self.instances, sent: -self.sent, answered: -self.answered }
    }

    fn is_zero(self) -> bool {
        self == Self::default()
    }
}

/// A named counter change; the name replaces the stored one unless it is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<T> {
    pub delta: T,
    pub name: String,
}

/// Key of an answer-count cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnswerCell {
    pub survey_id: String,
    pub cell: Cell,
    pub question_code: String,
    pub value: i64,
}

/// Key of a response-count cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResponseCell {
    pub survey_id: String,
    pub cell: Cell,
}

/// What one store transaction adds to the aggregates. Keys are kept sorted, so concurrent
/// transactions lock the rows in the same order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsDelta {
    /// Integer answers per (survey, cell, question, value).
    pub answers: BTreeMap<AnswerCell, i64>,
    /// Instances with a first answer to a survey, per (survey, cell).
    pub responses: BTreeMap<ResponseCell, Named<i64>>,
    /// Instance counters per cell.
    pub instances: BTreeMap<Cell, Named<InstanceDelta>>,
}

fn merge_name(stored: &mut String, name: &str) {
    if !name.is_empty() {
        name.clone_into(stored);
    }
}

impl StatsDelta {
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty() && self.responses.is_empty() && self.instances.is_empty()
    }

    /// An integer answer to `question_code` of `survey_id` for `dossier`.
    pub fn answer(&mut self, survey_id: &str, dossier: &Dossier, question_code: &str, value: i64) {
        for (cell, _) in cells(dossier) {
            let key =
                AnswerCell { survey_id: survey_id.to_owned(), cell, question_code: question_code.to_owned(), value };
            *self.answers.entry(key).or_default() += 1;
        }
    }

    /// The first answer of an instance to `survey_id`: one more response.
    pub fn response(&mut self, survey_id: &str, dossier: &Dossier) {
        for (cell, name) in cells(dossier) {
            let entry = self
                .responses
                .entry(ResponseCell { survey_id: survey_id.to_owned(), cell })
                .or_insert_with(|| Named { delta: 0, name: String::new() });
            entry.delta += 1;
            merge_name(&mut entry.name, &name);
        }
    }

    /// Instance counters of `dossier` change by `delta`.
    pub fn instance(&mut self, dossier: &Dossier, delta: InstanceDelta) {
        for (cell, name) in cells(dossier) {
            let entry = self
                .instances
                .entry(cell)
                .or_insert_with(|| Named { delta: InstanceDelta::default(), name: String::new() });
            entry.delta.add(delta);
            // A removal keeps the stored name: only additions name a cell.
            if delta.instances >= 0 && delta.sent >= 0 && delta.answered >= 0 {
                merge_name(&mut entry.name, &name);
            }
        }
    }

    /// A dossier's dimensions or completion date changed: its instance (counted as `counted`)
    /// moves from the old cells to the new ones. Answers keep the dimensions they were given.
    pub fn move_instance(&mut self, old: &Dossier, new: &Dossier, counted: InstanceDelta) {
        self.instance(old, counted.negated());
        self.instance(new, counted);
        self.instances.retain(|_, entry| !entry.delta.is_zero() || !entry.name.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::surveys::model::{DossierChannel, Level};

    fn dossier(agency: &str, completed_at: DateTime<Utc>) -> Dossier {
        Dossier {
            code: "D1".into(),
            procedure_code: "1.0001".into(),
            procedure_name: "Khai sinh".into(),
            field: "Hộ tịch".into(),
            agency_code: agency.into(),
            agency_name: format!("Cơ quan {agency}"),
            level: Level::Xa,
            received_at: completed_at,
            completed_at,
            channel: DossierChannel::TrucTuyen,
            citizen_name: None,
            phone: None,
            zalo_user_id: None,
        }
    }

    #[test]
    fn cells_use_local_days_and_months() {
        // 31 Jan 17:30 UTC is 1 Feb 00:30 in Vietnam.
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 17, 30, 0).single().expect("date");
        let cells = cells(&dossier("H27.01", at));
        assert_eq!(cells.len(), 6);
        assert_eq!(cells[0].0, Cell { dimension: "all", key: String::new(), period: "2026-02-01".into() });
        assert_eq!(
            cells[1],
            (Cell { dimension: "agency", key: "H27.01".into(), period: "2026-02".into() }, "Cơ quan H27.01".into())
        );
        let dims: Vec<&str> = cells.iter().map(|(c, _)| c.dimension).collect();
        assert_eq!(dims, ["all", "agency", "level", "field", "procedure", "channel"]);
        assert_eq!(cells[2].0.key, "xa");
        assert_eq!(cells[5].0.key, "truc_tuyen");
    }

    #[test]
    fn answers_add_up_and_moves_cancel() {
        let at = Utc.with_ymd_and_hms(2026, 3, 3, 3, 0, 0).single().expect("date");
        let mut delta = StatsDelta::default();
        delta.answer("s", &dossier("A", at), "Q1", 4);
        delta.answer("s", &dossier("A", at), "Q1", 4);
        assert_eq!(delta.answers.len(), 6);
        assert!(delta.answers.values().all(|n| *n == 2));
        delta.response("s", &dossier("A", at));
        assert_eq!(delta.responses.len(), 6);

        let counted = InstanceDelta { instances: 1, sent: 1, answered: 0 };
        let mut moved = StatsDelta::default();
        moved.move_instance(&dossier("A", at), &dossier("B", at), counted);
        // Only the agency cells change: −1 for A, +1 for B; the others cancel out.
        let changed: Vec<(&str, i64)> = moved
            .instances
            .iter()
            .filter(|(_, e)| !e.delta.is_zero())
            .map(|(c, e)| (c.key.as_str(), e.delta.sent))
            .collect();
        assert_eq!(changed, [("A", -1), ("B", 1)]);
        let a = moved.instances.iter().find(|(c, _)| c.key == "A").expect("A");
        assert_eq!(a.1.name, "", "a removal does not rename");
    }
}

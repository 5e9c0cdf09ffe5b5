//! What the statistics read from the store: the slice (survey, period, filters, grouping), answer
//! counts per (group, question, value) and instance counts per group, and the [`StatsStore`] trait.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Offset as _, Utc};

use crate::store::StoreResult;

/// Offset of Vietnamese local time (no daylight saving): dates, months and quarters are local.
pub const LOCAL_OFFSET_SECONDS: i32 = 7 * 3600;

/// Vietnamese local time as a fixed offset.
pub fn local_offset() -> FixedOffset {
    // 7 h is well inside ±24 h, so `east_opt` cannot fail; UTC is the harmless fallback.
    FixedOffset::east_opt(LOCAL_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix())
}

/// A dimension figures can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Agency,
    Level,
    Field,
    Procedure,
    /// The dossier's channel (trực tiếp / trực tuyến).
    Channel,
    /// Local calendar month of `completed_at`, `YYYY-MM`.
    Month,
    /// Local calendar quarter of `completed_at`, `YYYY-Qn`.
    Quarter,
    /// Local calendar year of `completed_at`, `YYYY`.
    Year,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Self::Agency,
        Self::Level,
        Self::Field,
        Self::Procedure,
        Self::Channel,
        Self::Month,
        Self::Quarter,
        Self::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agency => "agency",
            Self::Level => "level",
            Self::Field => "field",
            Self::Procedure => "procedure",
            Self::Channel => "channel",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// A period of the calendar (month, quarter, year) rather than a property of the dossier.
    pub fn is_period(self) -> bool {
        matches!(self, Self::Month | Self::Quarter | Self::Year)
    }
}

/// Equality filters on the dossier's dimensions; `None` = no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsFilter {
    /// Agency code.
    pub agency: Option<String>,
    /// `tinh`, `huyen` or `xa`.
    pub level: Option<String>,
    pub field: Option<String>,
    /// Procedure code.
    pub procedure: Option<String>,
    /// Dossier channel: `truc_tiep` or `truc_tuyen`.
    pub channel: Option<String>,
    /// Only these agency codes (the caller's department, see [`crate::stats::scope`]); `None` =
    /// every agency, an empty list = none.
    pub agencies: Option<Vec<String>>,
}

/// The answers and instances statistics are computed over. The period is on the dossier's
/// `completed_at` (the date the procedure was completed, which every instance and answer carries),
/// half-open: `from <= completed_at < to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSlice {
    pub survey_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub filter: StatsFilter,
    pub group_by: Option<Dimension>,
}

/// Number of integer answers with `value` to `question` (in `group` when grouped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerCount {
    /// Group key; `None` when the slice is not grouped.
    pub group: Option<String>,
    pub question: String,
    pub value: i64,
    pub count: i64,
}

/// Survey instances of one group (or of the whole slice when not grouped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    pub group: Option<String>,
    /// Display name of the group when the data has one (agency or procedure name).
    pub group_name: Option<String>,
    /// Instances that were sent (any survey: an instance is not tied to one questionnaire).
    pub sent: i64,
    /// Instances in state `answered` (all required questions answered).
    pub answered: i64,
    /// Instances with at least one answer to this survey.
    pub responses: i64,
}

/// One answered dossier written by [`StatsStore::seed_answered`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedDossier {
    pub dossier: crate::surveys::model::Dossier,
    pub survey_id: String,
    pub survey_version: u32,
    /// Sent and answered at this time, by web form.
    pub answered_at: DateTime<Utc>,
    /// Question code and value of each integer answer.
    pub answers: Vec<(String, i64)>,
}

/// One stored answer as the raw-data export reads it: the dossier's dimensions as copied into the
/// answer, but neither the dossier code nor anything about the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The survey instance (one per dossier): groups the answers of one respondent.
    pub instance_id: i64,
    pub question_code: String,
    /// A scale value (closed questions).
    pub value_int: Option<i64>,
    /// Free text, as the citizen wrote it (personal data not yet removed).
    pub value_text: Option<String>,
    pub answered_at: DateTime<Utc>,
    /// `chat`, `web` or `zns`.
    pub channel: String,
    pub agency_code: String,
    pub agency_name: String,
    /// `tinh`, `huyen` or `xa`.
    pub level: String,
    pub field: String,
    pub procedure_code: String,
    pub procedure_name: String,
    /// `truc_tiep` or `truc_tuyen`.
    pub dossier_channel: String,
    pub completed_at: DateTime<Utc>,
}

/// Statistics reads. Counts come from the maintained aggregates (`stats_*_counts`, kept by the
/// survey store in the transaction of each write; see [`crate::stats::plan`]) and, for the days
/// of partial months and for slices on two dimensions, from `survey_answers` and
/// `survey_instances`.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Integer answers of the slice counted by (group, question, value), ordered by those.
    async fn answer_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<AnswerCount>>;
    /// Sent, answered and responding instances of the slice, per group (ordered by group key),
    /// or one row when the slice is not grouped.
    async fn instance_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<InstanceCounts>>;
    /// One page of the slice's raw answers (integer and text; grouping ignored, filters and agency
    /// scope applied): those of instances with an id above `after_instance`, ordered by instance
    /// id then answer id, at most `limit` rows. Keyset pagination: pass the last instance id
    /// of a page whose instances are complete (see [`crate::stats::raw_export`]).
    async fn raw_answers(&self, slice: &StatsSlice, after_instance: i64, limit: u32) -> StoreResult<Vec<RawAnswer>>;
    /// Recomputes the aggregates from the raw rows (the migration's backfill), in one transaction.
    async fn rebuild_aggregates(&self) -> StoreResult<()>;
    /// Benchmarks only: writes answered dossiers (dossier, sent and answered instance, answers)
    /// with multi-row inserts and WITHOUT maintaining the aggregates; call
    /// [`Self::rebuild_aggregates`] afterwards.
    async fn seed_answered(&self, batch: &[SeedDossier]) -> StoreResult<()>;
    /// Tickets received in `[from, to)` inside `scope`, as the complaint figures need them.
    async fn ticket_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: &crate::tickets::filter::Scope,
    ) -> StoreResult<Vec<super::tickets::TicketStatRow>>;
}

/// The table a dimension is read from: the answers (dimensions copied in) or the dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Answers,
    Dossiers,
}

impl StatsFilter {
    /// `(column, value)` pairs of the filters that are set, for `source`.
    pub(crate) fn conditions(&self, source: Source) -> Vec<(&'static str, &str)> {
        let answers = source == Source::Answers;
        [
            ("agency_code", &self.agency),
            ("level", &self.level),
            ("field", &self.field),
            ("procedure_code", &self.procedure),
            (if answers { "dossier_channel" } else { "channel" }, &self.channel),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.as_deref().map(|v| (column, v)))
        .collect()
    }
}

impl Dimension {
    /// The plain column of a non-time dimension in `source`; `None` for the calendar periods.
    pub(crate) fn column(self, source: Source) -> Option<&'static str> {
        match self {
            Self::Agency => Some("agency_code"),
            Self::Level => Some("level"),
            Self::Field => Some("field"),
            Self::Procedure => Some("procedure_code"),
            Self::Channel => Some(if source == Source::Answers { "dossier_channel" } else { "channel" }),
            Self::Month | Self::Quarter | Self::Year => None,
        }
    }

    /// The column holding a display name for the group, when the data has one.
    pub(crate) fn name_column(self) -> Option<&'static str> {
        match self {
            Self::Agency => Some("agency_name"),
            Self::Procedure => Some("procedure_name"),
            _ => None,
        }
    }
}

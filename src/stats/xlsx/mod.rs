//! The statistics workbook (XLSX, Vietnamese headers, native Excel charts): the figure sheets
//! written from survey reports, then the suggestions and the anonymised raw answers streamed in
//! constant memory. [`XlsxWriter`] is synchronous (run it off the async runtime); the export in
//! [`crate::stats::export`] feeds it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{RowNum, Workbook, Worksheet};

use super::model::Dimension;
use super::query::StatsQuery;
use super::raw_export::RawRow;
use super::report::{group_name, SurveyReport};
use crate::surveys::definition::SurveyDefinition;

pub mod report_sheets;
pub mod stream_sheets;
pub mod style;

use stream_sheets::{StreamSheet, EXCEL_ROWS, RAW, SUGGESTIONS};
use style::Formats;

/// Everything the figure sheets show.
#[derive(Debug, Clone)]
pub struct WorkbookInput {
    pub survey_id: String,
    pub survey_title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The filters, in words.
    pub filters: String,
    /// Whose figures these are, in words (the whole province or the caller's agencies).
    pub scope: String,
    pub generated_at: DateTime<Utc>,
    /// The slice's report, ungrouped.
    pub summary: SurveyReport,
    /// One grouped report per breakdown sheet.
    pub breakdowns: Vec<(Dimension, SurveyReport)>,
    /// Codes of the closed questions (raw-data columns).
    pub questions: Vec<String>,
    /// Codes of the free-text items (raw-data columns).
    pub free_text: Vec<String>,
}

/// The filters of `query` in words; "Không lọc" without any.
pub fn describe_filters(query: &StatsQuery) -> String {
    let filter = &query.filter;
    let parts: Vec<String> = [
        ("Cơ quan", filter.agency.clone()),
        ("Cấp", filter.level.as_deref().map(|l| group_name(Dimension::Level, l, None))),
        ("Lĩnh vực", filter.field.clone()),
        ("Thủ tục", filter.procedure.clone()),
        ("Hình thức nộp", filter.channel.as_deref().map(|c| group_name(Dimension::Channel, c, None))),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| format!("{label}: {v}")))
    .collect();
    if parts.is_empty() {
        "Không lọc".to_owned()
    } else {
        parts.join("; ")
    }
}

/// The agency scope of `query` in words.
pub fn describe_scope(query: &StatsQuery) -> String {
    match &query.filter.agencies {
        None => "Toàn tỉnh".to_owned(),
        Some(agencies) if agencies.is_empty() => "Không có cơ quan nào".to_owned(),
        Some(agencies) => format!("Chỉ các cơ quan: {}", agencies.join(", ")),
    }
}

impl WorkbookInput {
    /// The input for `survey` and `query` (the reports come from [`crate::stats::report`]).
    pub fn new(
        survey: &SurveyDefinition,
        query: &StatsQuery,
        generated_at: DateTime<Utc>,
        summary: SurveyReport,
        breakdowns: Vec<(Dimension, SurveyReport)>,
    ) -> Self {
        Self {
            survey_id: survey.id().to_owned(),
            survey_title: survey.title.clone(),
            from: query.from,
            to: query.to,
            filters: describe_filters(query),
            scope: describe_scope(query),
            generated_at,
            summary,
            breakdowns,
            questions: survey.questions.iter().map(|q| q.code().to_owned()).collect(),
            free_text: survey.free_text.iter().map(|item| item.code().to_owned()).collect(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkbookCounts {
    /// Rows of the raw-data sheets (answered dossiers).
    pub respondents: u64,
    /// Rows of the suggestions sheets.
    pub suggestions: u64,
    /// Sheet names, in order.
    pub sheets: Vec<String>,
}

/// Writes one workbook: the figure sheets at once, then raw rows as they come.
pub struct XlsxWriter {
    workbook: Workbook,
    formats: Formats,
    suggestions: StreamSheet,
    raw: StreamSheet,
    /// Raw-data column (after the dossier's) of each question and free-text code.
    columns: HashMap<String, usize>,
    counts: WorkbookCounts,
}

impl XlsxWriter {
    /// A workbook with the figure sheets written; constant-memory temporary files go to
    /// `tempdir` (the system's temporary folder when `None`).
    pub fn new(input: &WorkbookInput, tempdir: Option<&Path>) -> anyhow::Result<Self> {
        Self::with_sheet_rows(input, tempdir, EXCEL_ROWS)
    }

    /// As [`Self::new`], with at most `sheet_rows` rows (header included) per streamed sheet.
    pub fn with_sheet_rows(input: &WorkbookInput, tempdir: Option<&Path>, sheet_rows: RowNum) -> anyhow::Result<Self> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(dir).with_context(|| format!("using {} for temporary files", dir.display()))?;
        }
        let formats = Formats::default();
        report_sheets::summary(&mut workbook, input, &formats).context("writing the summary sheet")?;
        for (dimension, report) in &input.breakdowns {
            report_sheets::breakdown(&mut workbook, *dimension, report, &formats)
                .with_context(|| format!("writing the breakdown by {}", dimension.as_str()))?;
        }
        report_sheets::questions(&mut workbook, &input.summary, &formats).context("writing the questions sheet")?;
        let columns: HashMap<String, usize> =
            input.questions.iter().chain(&input.free_text).enumerate().map(|(i, code)| (code.clone(), i)).collect();
        Ok(Self {
            workbook,
            suggestions: StreamSheet::new(SUGGESTIONS, stream_sheets::suggestion_columns(), sheet_rows),
            raw: StreamSheet::new(RAW, stream_sheets::raw_columns(&input.questions, &input.free_text), sheet_rows),
            formats,
            columns,
            counts: WorkbookCounts::default(),
        })
    }

    /// Writes one raw row per answered dossier and one suggestions row per free-text answer.
    pub fn add_rows(&mut self, rows: &[RawRow]) -> anyhow::Result<()> {
        let column_of = |code: &str| self.columns.get(code).copied();
        for raw in rows {
            let (sheet, r) = self.raw.next_row(&mut self.workbook, &self.formats)?;
            stream_sheets::write_raw_dossier(sheet, r, raw, &self.formats)?;
            stream_sheets::write_raw_answers(sheet, r, raw, &column_of, &self.formats)?;
            self.counts.respondents += 1;
            for (code, text) in raw.texts().filter(|(_, text)| !text.trim().is_empty()) {
                let (sheet, r) = self.suggestions.next_row(&mut self.workbook, &self.formats)?;
                stream_sheets::write_suggestion(sheet, r, raw, code, text, &self.formats)?;
                self.counts.suggestions += 1;
            }
        }
        Ok(())
    }

    /// Adds the streamed sheets and saves the workbook to `out`.
    pub fn finish(self, out: &Path) -> anyhow::Result<WorkbookCounts> {
        let Self { mut workbook, formats, suggestions, raw, mut counts, .. } = self;
        let mut sheets: Vec<String> = workbook.worksheets().iter().map(Worksheet::name).collect();
        sheets.extend(suggestions.finish(&mut workbook, &formats)?);
        sheets.extend(raw.finish(&mut workbook, &formats)?);
        workbook.save(out).with_context(|| format!("saving the workbook to {}", out.display()))?;
        counts.sheets = sheets;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, DataType as _, Reader, Xlsx};
    use chrono::TimeZone;

    use super::*;
    use crate::stats::raw_export::RawValue;
    use crate::stats::report::IndexOut;

    fn empty_report(group_by: Option<&'static str>) -> SurveyReport {
        SurveyReport {
            survey: "s".into(),
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            group_by,
            sent: 0,
            answered: 0,
            responses: 0,
            response_rate: None,
            overall: IndexOut { index: None, mean: None, n: 0 },
            elements: Vec::new(),
            questions: Vec::new(),
            groups: Vec::new(),
        }
    }

    fn raw_row(i: u32) -> RawRow {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, i, 0).single().expect("date");
        RawRow {
            agency_code: "H27.01".into(),
            agency_name: "Sở Tư pháp".into(),
            level: "tinh".into(),
            field: "Hộ tịch".into(),
            procedure_code: "1.001".into(),
            procedure_name: "Khai sinh".into(),
            dossier_channel: "truc_tuyen".into(),
            completed_at: at,
            answered_at: at,
            channel: "web".into(),
            answers: vec![
                ("Q1".into(), RawValue::Score(i64::from(i))),
                ("GOP_Y".into(), RawValue::Text(format!("Góp ý {i}"))),
                ("KHAC".into(), RawValue::Score(9)),
            ],
        }
    }

    #[test]
    fn streamed_sheets_go_on_past_their_row_limit() {
        let dir =
            std::env::temp_dir().join(format!("tongdai_xlsx_{}_{:08x}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).expect("folder");
        let input = WorkbookInput {
            survey_id: "s".into(),
            survey_title: "Khảo sát".into(),
            from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            to: NaiveDate::from_ymd_opt(2026, 1, 31).expect("date"),
            filters: describe_filters(
                &StatsQuery::from_params(&[
                    ("survey".to_owned(), "s".to_owned()),
                    ("from".to_owned(), "2026-01-01".to_owned()),
                    ("to".to_owned(), "2026-01-31".to_owned()),
                    ("level".to_owned(), "xa".to_owned()),
                ])
                .expect("valid"),
            ),
            scope: "Toàn tỉnh".into(),
            generated_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).single().expect("date"),
            summary: empty_report(None),
            breakdowns: vec![(Dimension::Month, empty_report(Some("month")))],
            questions: vec!["Q1".into()],
            free_text: vec!["GOP_Y".into()],
        };
        assert_eq!(input.filters, "Cấp: Cấp xã");
        // Two data rows per streamed sheet.
        let mut writer = XlsxWriter::with_sheet_rows(&input, Some(&dir), 3).expect("writer");
        writer.add_rows(&(0..5).map(raw_row).collect::<Vec<_>>()).expect("rows");
        let out = dir.join("out.xlsx");
        let counts = writer.finish(&out).expect("saved");
        assert_eq!((counts.respondents, counts.suggestions), (5, 5));
        let expected = [
            "Tổng hợp",
            "Theo tháng",
            "Câu hỏi",
            "Góp ý",
            "Góp ý (2)",
            "Góp ý (3)",
            "Dữ liệu thô",
            "Dữ liệu thô (2)",
            "Dữ liệu thô (3)",
        ];
        assert_eq!(counts.sheets, expected);

        let mut book: Xlsx<_> = open_workbook(&out).expect("readable");
        assert_eq!(book.sheet_names(), expected);
        let raw = book.worksheet_range("Dữ liệu thô").expect("raw sheet");
        let rows: Vec<&[Data]> = raw.rows().collect();
        assert_eq!(rows.len(), 3, "header and two rows");
        assert_eq!(rows[0][10].to_string(), "Q1");
        assert_eq!(rows[0][11].to_string(), "GOP_Y");
        assert_eq!(rows[1][2].to_string(), "Cấp tỉnh");
        assert_eq!(rows[1][6].to_string(), "Trực tuyến");
        assert_eq!(rows[1][9].to_string(), "Phiếu trên web");
        assert_eq!(rows[2][10].as_f64(), Some(1.0));
        assert_eq!(rows[2][11].to_string(), "Góp ý 1");
        assert_eq!(rows[1].len(), 12, "a code outside the survey gets no column");
        let last = book.worksheet_range("Dữ liệu thô (3)").expect("third sheet");
        assert_eq!(last.rows().count(), 2, "header and the fifth row");
        let month = book.worksheet_range("Theo tháng").expect("breakdown");
        assert!(month.rows().flatten().any(|c| matches!(c, Data::String(s) if s == "Không có số liệu trong kỳ.")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

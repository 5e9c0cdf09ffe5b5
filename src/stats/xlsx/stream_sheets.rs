//! The sheets written row by row in constant memory ("Góp ý" and "Dữ liệu thô"): each is a
//! constant-memory worksheet whose rows go to a temporary file as they are written; past Excel's
//! 1,048,576 rows the data goes on in "<name> (2)", "(3)"…

use rust_xlsxwriter::{RowNum, Workbook, Worksheet};

use super::style::{
    answer_channel_name, col, dossier_channel_name, level_name, write_count, write_header, write_local_date,
    write_local_time, Formats,
};
use crate::stats::raw_export::{RawRow, RawValue};

/// Name of the suggestions sheet.
pub const SUGGESTIONS: &str = "Góp ý";
/// Name of the raw-data sheet.
pub const RAW: &str = "Dữ liệu thô";
/// Rows in one Excel sheet, the header included.
pub const EXCEL_ROWS: RowNum = 1_048_576;

/// A sheet written row by row, continued on new sheets when full.
pub struct StreamSheet {
    base_name: &'static str,
    columns: Vec<(String, f64)>,
    sheets: Vec<Worksheet>,
    next_row: RowNum,
    /// Rows per sheet, the header included.
    max_rows: RowNum,
}

impl StreamSheet {
    pub fn new(base_name: &'static str, columns: Vec<(String, f64)>, max_rows: RowNum) -> Self {
        Self { base_name, columns, sheets: Vec::new(), next_row: 0, max_rows: max_rows.max(2) }
    }

    fn start(&mut self, workbook: &mut Workbook, formats: &Formats) -> anyhow::Result<()> {
        let mut sheet = workbook.new_worksheet_with_constant_memory();
        let name = match self.sheets.len() {
            0 => self.base_name.to_owned(),
            n => format!("{} ({})", self.base_name, n + 1),
        };
        sheet.set_name(name)?;
        write_header(&mut sheet, 0, &self.columns, formats)?;
        sheet.set_freeze_panes(1, 0)?;
        self.sheets.push(sheet);
        self.next_row = 1;
        Ok(())
    }

    /// The sheet and row of the next data row.
    pub fn next_row(&mut self, workbook: &mut Workbook, formats: &Formats) -> anyhow::Result<(&mut Worksheet, RowNum)> {
        if self.sheets.is_empty() || self.next_row >= self.max_rows {
            self.start(workbook, formats)?;
        }
        let row = self.next_row;
        self.next_row += 1;
        let sheet = self.sheets.last_mut().ok_or_else(|| anyhow::anyhow!("no sheet was started"))?;
        Ok((sheet, row))
    }

    /// Adds the sheets to the workbook (one with the header alone when no row was written);
    /// returns their names.
    pub fn finish(mut self, workbook: &mut Workbook, formats: &Formats) -> anyhow::Result<Vec<String>> {
        if self.sheets.is_empty() {
            self.start(workbook, formats)?;
        }
        let mut names = Vec::new();
        for sheet in self.sheets {
            names.push(sheet.name());
            workbook.push_worksheet(sheet);
        }
        Ok(names)
    }
}

fn titled(columns: &[(&str, f64)]) -> Vec<(String, f64)> {
    columns.iter().map(|(title, width)| ((*title).to_owned(), *width)).collect()
}

/// The dossier columns of a raw row, in sheet order.
const DOSSIER_COLUMNS: [(&str, f64); 10] = [
    ("Mã cơ quan", 12.0),
    ("Tên cơ quan", 30.0),
    ("Cấp", 11.0),
    ("Lĩnh vực", 20.0),
    ("Mã thủ tục", 12.0),
    ("Tên thủ tục", 30.0),
    ("Hình thức nộp", 12.0),
    ("Ngày hoàn thành", 12.0),
    ("Ngày trả lời", 16.0),
    ("Kênh trả lời", 18.0),
];

/// Columns of the raw sheet: the dossier's, then one per question code and one per free-text item.
pub fn raw_columns(questions: &[String], free_text: &[String]) -> Vec<(String, f64)> {
    let mut columns = titled(&DOSSIER_COLUMNS);
    columns.extend(questions.iter().map(|code| (code.clone(), 8.0)));
    columns.extend(free_text.iter().map(|code| (code.clone(), 40.0)));
    columns
}

/// Columns of the suggestions sheet.
pub fn suggestion_columns() -> Vec<(String, f64)> {
    titled(&[
        ("Ngày trả lời", 16.0),
        ("Ngày hoàn thành", 12.0),
        ("Mã cơ quan", 12.0),
        ("Tên cơ quan", 30.0),
        ("Cấp", 11.0),
        ("Lĩnh vực", 20.0),
        ("Tên thủ tục", 30.0),
        ("Kênh trả lời", 18.0),
        ("Mục", 12.0),
        ("Nội dung góp ý (đã ẩn thông tin cá nhân)", 90.0),
    ])
}

/// The dossier cells of `raw` (columns 0–9).
pub fn write_raw_dossier(sheet: &mut Worksheet, r: RowNum, raw: &RawRow, formats: &Formats) -> anyhow::Result<()> {
    let texts = [
        raw.agency_code.clone(),
        raw.agency_name.clone(),
        level_name(&raw.level),
        raw.field.clone(),
        raw.procedure_code.clone(),
        raw.procedure_name.clone(),
        dossier_channel_name(&raw.dossier_channel),
    ];
    for (c, text) in (0..).zip(texts) {
        sheet.write_string_with_format(r, c, text, &formats.text)?;
    }
    write_local_date(sheet, r, 7, raw.completed_at, formats)?;
    write_local_time(sheet, r, 8, raw.answered_at, formats)?;
    sheet.write_string_with_format(r, 9, answer_channel_name(&raw.channel), &formats.text)?;
    Ok(())
}

/// The answer cells of `raw`: each answer under its code's column (`column_of`); codes without a
/// column are left out.
pub fn write_raw_answers(
    sheet: &mut Worksheet,
    r: RowNum,
    raw: &RawRow,
    column_of: &dyn Fn(&str) -> Option<usize>,
    formats: &Formats,
) -> anyhow::Result<()> {
    for (code, value) in &raw.answers {
        let Some(index) = column_of(code) else { continue };
        let c = col(DOSSIER_COLUMNS.len() + index);
        match value {
            RawValue::Score(score) => write_count(sheet, r, c, *score, formats)?,
            RawValue::Text(text) => {
                sheet.write_string_with_format(r, c, text, &formats.text)?;
            }
        }
    }
    Ok(())
}

/// One suggestions row: where and when, the item code and the scrubbed text.
pub fn write_suggestion(
    sheet: &mut Worksheet,
    r: RowNum,
    raw: &RawRow,
    code: &str,
    text: &str,
    formats: &Formats,
) -> anyhow::Result<()> {
    write_local_time(sheet, r, 0, raw.answered_at, formats)?;
    write_local_date(sheet, r, 1, raw.completed_at, formats)?;
    let texts = [
        raw.agency_code.clone(),
        raw.agency_name.clone(),
        level_name(&raw.level),
        raw.field.clone(),
        raw.procedure_name.clone(),
        answer_channel_name(&raw.channel),
        code.to_owned(),
    ];
    for (c, text) in (2..).zip(texts) {
        sheet.write_string_with_format(r, c, text, &formats.text)?;
    }
    sheet.write_string_with_format(r, 9, text, &formats.wrap)?;
    Ok(())
}

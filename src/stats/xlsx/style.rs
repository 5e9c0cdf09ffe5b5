//! Cell formats of the statistics workbook (Vietnamese number display is left to Excel: the
//! formats are the standard ones, shown with the reader's separators) and the helpers that write
//! the report's figures as numbers: percentages as fractions under `0.00%`, means under `0.00`,
//! counts under `#,##0`, times in Vietnamese local time.

use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{ColNum, Color, Format, FormatAlign, FormatBorder, RowNum, Worksheet, XlsxError};

use crate::stats::model::local_offset;
use crate::stats::report::round2;
use crate::surveys::model::{AnswerChannel, DossierChannel, Level};
use crate::surveys::overview::{answer_channel_label, channel_label, level_label};

/// The formats used across the sheets.
#[derive(Debug, Clone)]
pub struct Formats {
    pub title: Format,
    pub subtitle: Format,
    pub header: Format,
    pub label: Format,
    pub text: Format,
    pub wrap: Format,
    pub percent: Format,
    pub mean: Format,
    pub count: Format,
    pub date: Format,
    pub datetime: Format,
    pub note: Format,
}

impl Default for Formats {
    fn default() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new().set_italic(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0x00DD_EBF7))
                .set_border_bottom(FormatBorder::Thin),
            label: Format::new().set_bold(),
            text: Format::new().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            percent: Format::new().set_num_format("0.00%").set_align(FormatAlign::Top),
            mean: Format::new().set_num_format("0.00").set_align(FormatAlign::Top),
            count: Format::new().set_num_format("#,##0").set_align(FormatAlign::Top),
            date: Format::new().set_num_format("dd/mm/yyyy").set_align(FormatAlign::Top),
            datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm").set_align(FormatAlign::Top),
            note: Format::new().set_italic().set_font_color(Color::RGB(0x0059_5959)),
        }
    }
}

/// A percentage of the report (0–100, rounded to 2 decimals as the API writes it) as a fraction
/// under `0.00%`; nothing for `None`.
pub fn write_percent(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Option<f64>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    if let Some(value) = value {
        sheet.write_number_with_format(row, col, round2(value) / 100.0, &formats.percent)?;
    }
    Ok(())
}

/// A mean rounded to 2 decimals under `0.00`; nothing for `None`.
pub fn write_mean(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Option<f64>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    if let Some(value) = value {
        sheet.write_number_with_format(row, col, round2(value), &formats.mean)?;
    }
    Ok(())
}

/// A count under `#,##0`.
pub fn write_count(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: i64,
    formats: &Formats,
) -> Result<(), XlsxError> {
    // Counts stay far below 2^53, where f64 is exact.
    sheet.write_number_with_format(row, col, value as f64, &formats.count)?;
    Ok(())
}

/// An instant as a local date and time.
pub fn write_local_time(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    at: DateTime<Utc>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.write_datetime_with_format(row, col, at.with_timezone(&local_offset()).naive_local(), &formats.datetime)?;
    Ok(())
}

/// An instant's local date.
pub fn write_local_date(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    at: DateTime<Utc>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    write_date(sheet, row, col, at.with_timezone(&local_offset()).date_naive(), formats)
}

/// A calendar date.
pub fn write_date(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    date: NaiveDate,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.write_datetime_with_format(row, col, date, &formats.date)?;
    Ok(())
}

/// Header cells from `col` on, with their column widths.
pub fn write_header(
    sheet: &mut Worksheet,
    row: RowNum,
    columns: &[(String, f64)],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (col, (title, width)) in (0..).zip(columns) {
        sheet.write_string_with_format(row, col, title, &formats.header)?;
        sheet.set_column_width(col, *width)?;
    }
    Ok(())
}

/// `tinh` → "Cấp tỉnh"; unknown codes as stored.
pub fn level_name(code: &str) -> String {
    Level::parse(code).map_or_else(|| code.to_owned(), |level| level_label(level).to_owned())
}

/// `truc_tiep` → "Trực tiếp"; unknown codes as stored.
pub fn dossier_channel_name(code: &str) -> String {
    DossierChannel::parse(code).map_or_else(|| code.to_owned(), |channel| channel_label(channel).to_owned())
}

/// `chat` → "Trò chuyện Zalo"; unknown codes as stored.
pub fn answer_channel_name(code: &str) -> String {
    let Some(channel) = AnswerChannel::parse(code) else { return code.to_owned() };
    let label = answer_channel_label(channel);
    let mut chars = label.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// A sheet's column index as Excel counts them (`u16`); the sheets never come near the limit.
pub fn col(index: usize) -> ColNum {
    ColNum::try_from(index).unwrap_or(ColNum::MAX)
}

/// A sheet's row index (`u32`).
pub fn row(index: usize) -> RowNum {
    RowNum::try_from(index).unwrap_or(RowNum::MAX)
}

//! The figure sheets of the workbook, written from survey reports: "Tổng hợp" (the slice's
//! figures and the element indices, with a bar chart), one sheet per breakdown (a row per group,
//! with a bar chart sorted by index, or a line chart over months and quarters) and "Câu hỏi"
//! (per question, with a bar chart of the satisfied shares).

use std::collections::BTreeSet;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{Chart, ChartType, Workbook, Worksheet};

use super::style::{
    col, row, write_count, write_date, write_header, write_local_time, write_mean, write_percent, Formats,
};
use super::WorkbookInput;
use crate::stats::model::Dimension;
use crate::stats::report::{GroupOut, SurveyReport};

/// Name of the summary sheet.
pub const SUMMARY: &str = "Tổng hợp";
/// Name of the questions sheet.
pub const QUESTIONS: &str = "Câu hỏi";

/// Name of a breakdown's sheet.
pub fn breakdown_sheet(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Agency => "Theo cơ quan",
        Dimension::Level => "Theo cấp",
        Dimension::Field => "Theo lĩnh vực",
        Dimension::Procedure => "Theo thủ tục",
        Dimension::Channel => "Theo hình thức nộp",
        Dimension::Month => "Theo tháng",
        Dimension::Quarter => "Theo quý",
        Dimension::Year => "Theo năm",
    }
}

/// A value of the summary's label column.
#[derive(Clone, Copy)]
enum Value<'a> {
    Text(&'a str),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Count(i64),
    Percent(Option<f64>),
    Mean(Option<f64>),
}

fn write_value(sheet: &mut Worksheet, r: u32, value: Value<'_>, formats: &Formats) -> anyhow::Result<()> {
    match value {
        Value::Text(text) => {
            sheet.write_string_with_format(r, 1, text, &formats.text)?;
        }
        Value::Date(date) => write_date(sheet, r, 1, date, formats)?,
        Value::Time(at) => write_local_time(sheet, r, 1, at, formats)?,
        Value::Count(n) => write_count(sheet, r, 1, n, formats)?,
        Value::Percent(p) => write_percent(sheet, r, 1, p, formats)?,
        Value::Mean(m) => write_mean(sheet, r, 1, m, formats)?,
    }
    Ok(())
}

/// Chart height for `bars` categories, in pixels.
fn bar_chart_height(bars: usize) -> u32 {
    u32::try_from(80 + 24 * bars).unwrap_or(u32::MAX).max(288)
}

/// A horizontal bar chart of `values` (a percentage column) against `categories`, first row on top.
fn bar_chart(sheet: &str, title: &str, first: u32, last: u32, categories: u16, values: u16) -> Chart {
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_categories((sheet, first, categories, last, categories))
        .set_values((sheet, first, values, last, values))
        .set_name(title);
    chart.title().set_name(title);
    chart.legend().set_hidden();
    chart.x_axis().set_reverse();
    chart.y_axis().set_num_format("0%").set_min(0).set_max(1);
    chart.set_width(640).set_height(bar_chart_height(usize::try_from(last - first + 1).unwrap_or(0)));
    chart
}

/// "Tổng hợp": the request, the slice's figures, the element table and its chart.
pub fn summary(workbook: &mut Workbook, input: &WorkbookInput, formats: &Formats) -> anyhow::Result<()> {
    let report = &input.summary;
    let sheet = workbook.add_worksheet();
    sheet.set_name(SUMMARY)?;
    sheet.write_string_with_format(0, 0, "Kết quả khảo sát mức độ hài lòng", &formats.title)?;
    sheet.write_string_with_format(1, 0, format!("{} ({})", input.survey_title, input.survey_id), &formats.subtitle)?;
    sheet.set_freeze_panes(2, 0)?;
    let lines = [
        ("Khảo sát", Value::Text(&input.survey_id)),
        ("Từ ngày (hoàn thành hồ sơ)", Value::Date(input.from)),
        ("Đến ngày (hoàn thành hồ sơ)", Value::Date(input.to)),
        ("Bộ lọc", Value::Text(&input.filters)),
        ("Phạm vi số liệu", Value::Text(&input.scope)),
        ("Thời điểm xuất", Value::Time(input.generated_at)),
        ("Số phiếu đã gửi", Value::Count(report.sent)),
        ("Số phiếu có trả lời", Value::Count(report.responses)),
        ("Số phiếu trả lời đủ", Value::Count(report.answered)),
        ("Tỷ lệ phản hồi", Value::Percent(report.response_rate)),
        ("Chỉ số hài lòng chung", Value::Percent(report.overall.index)),
        ("Điểm trung bình chung", Value::Mean(report.overall.mean)),
        ("Số câu trả lời hợp lệ", Value::Count(report.overall.n)),
    ];
    let mut r = 3;
    for (label, value) in lines {
        sheet.write_string_with_format(r, 0, label, &formats.label)?;
        write_value(sheet, r, value, formats)?;
        r += 1;
    }
    r += 1;
    let columns = [
        ("Mã yếu tố", 34.0),
        ("Yếu tố", 60.0),
        ("Chỉ số hài lòng", 16.0),
        ("Điểm trung bình", 16.0),
        ("Số câu trả lời hợp lệ", 18.0),
    ]
    .map(|(title, width)| (title.to_owned(), width));
    write_header(sheet, r, &columns, formats)?;
    let first = r + 1;
    for (i, element) in report.elements.iter().enumerate() {
        let r = first + row(i);
        sheet.write_string_with_format(r, 0, &element.code, &formats.text)?;
        sheet.write_string_with_format(r, 1, &element.name, &formats.wrap)?;
        write_percent(sheet, r, 2, element.index, formats)?;
        write_mean(sheet, r, 3, element.mean, formats)?;
        write_count(sheet, r, 4, element.n, formats)?;
    }
    let after = first + row(report.elements.len());
    sheet.write_string_with_format(
        after + 1,
        0,
        "Tỷ lệ hài lòng của một câu hỏi = số câu trả lời ở mức hài lòng ÷ số câu trả lời hợp lệ; chỉ số yếu tố và \
         chỉ số chung tính theo quy tắc tổng hợp đã cấu hình. Kỳ báo cáo tính theo ngày hoàn thành hồ sơ.",
        &formats.note,
    )?;
    if !report.elements.is_empty() {
        let chart = bar_chart(SUMMARY, "Chỉ số hài lòng theo yếu tố", first, after - 1, 1, 2);
        sheet.insert_chart(3, 6, &chart).context("placing the element chart")?;
    }
    Ok(())
}

/// Groups in sheet order: categories by index, highest first (none last); periods in time order.
fn ordered(report: &SurveyReport, timeline: bool) -> Vec<&GroupOut> {
    let mut groups: Vec<&GroupOut> = report.groups.iter().collect();
    if !timeline {
        groups.sort_by(|a, b| {
            let index = |g: &GroupOut| g.overall.index.unwrap_or(f64::NEG_INFINITY);
            index(b).total_cmp(&index(a)).then_with(|| a.key.cmp(&b.key))
        });
    }
    groups
}

/// One breakdown: a row per group, with a chart.
pub fn breakdown(
    workbook: &mut Workbook,
    dimension: Dimension,
    report: &SurveyReport,
    formats: &Formats,
) -> anyhow::Result<()> {
    let name = breakdown_sheet(dimension);
    let timeline = dimension.is_period();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    let mut columns: Vec<(String, f64)> = [
        ("Mã", 14.0),
        ("Tên", 36.0),
        ("Phiếu đã gửi", 12.0),
        ("Phiếu có trả lời", 12.0),
        ("Tỷ lệ phản hồi", 12.0),
        ("Chỉ số hài lòng chung", 14.0),
        ("Điểm trung bình chung", 14.0),
        ("Số câu trả lời hợp lệ", 14.0),
    ]
    .iter()
    .map(|(title, width)| ((*title).to_owned(), *width))
    .collect();
    columns.extend(report.elements.iter().map(|e| (format!("Chỉ số: {}", e.name), 22.0)));
    write_header(sheet, 0, &columns, formats)?;
    sheet.set_row_height(0, 60)?;
    sheet.set_freeze_panes(1, 2)?;
    let groups = ordered(report, timeline);
    for (i, group) in groups.iter().enumerate() {
        let r = row(i + 1);
        sheet.write_string_with_format(r, 0, &group.key, &formats.text)?;
        sheet.write_string_with_format(r, 1, &group.name, &formats.wrap)?;
        write_count(sheet, r, 2, group.sent, formats)?;
        write_count(sheet, r, 3, group.responses, formats)?;
        write_percent(sheet, r, 4, group.response_rate, formats)?;
        write_percent(sheet, r, 5, group.overall.index, formats)?;
        write_mean(sheet, r, 6, group.overall.mean, formats)?;
        write_count(sheet, r, 7, group.overall.n, formats)?;
        for (j, element) in group.elements.iter().enumerate() {
            write_percent(sheet, r, col(8 + j), element.index, formats)?;
        }
    }
    if groups.is_empty() {
        sheet.write_string_with_format(1, 0, "Không có số liệu trong kỳ.", &formats.note)?;
        return Ok(());
    }
    let last = row(groups.len());
    let place = col(columns.len() + 1);
    if timeline {
        let mut chart = Chart::new(ChartType::Line);
        let mut series = vec![(5, "Chỉ số hài lòng chung".to_owned())];
        series.extend(report.elements.iter().enumerate().map(|(j, e)| (col(8 + j), e.name.clone())));
        for (column, title) in series {
            chart
                .add_series()
                .set_categories((name, 1, 1, last, 1))
                .set_values((name, 1, column, last, column))
                .set_name(title.as_str());
        }
        chart.title().set_name("Chỉ số hài lòng theo thời gian");
        chart.y_axis().set_num_format("0%").set_min(0).set_max(1);
        chart.set_width(720).set_height(400);
        sheet.insert_chart(1, place, &chart).context("placing the time chart")?;
    } else {
        let chart = bar_chart(name, "Chỉ số hài lòng chung", 1, last, 1, 5);
        sheet.insert_chart(1, place, &chart).context("placing the breakdown chart")?;
    }
    Ok(())
}

/// "Câu hỏi": per question the element, wording, n, mean, satisfied %, margin and counts.
pub fn questions(workbook: &mut Workbook, report: &SurveyReport, formats: &Formats) -> anyhow::Result<()> {
    let values: BTreeSet<i64> = report.questions.iter().flat_map(|q| q.distribution.keys().copied()).collect();
    let sheet = workbook.add_worksheet();
    sheet.set_name(QUESTIONS)?;
    let mut columns: Vec<(String, f64)> = [
        ("Yếu tố", 30.0),
        ("Mã câu hỏi", 11.0),
        ("Câu hỏi", 60.0),
        ("Số trả lời hợp lệ", 12.0),
        ("Điểm trung bình", 11.0),
        ("Tỷ lệ hài lòng", 11.0),
        ("Sai số ±95%", 11.0),
    ]
    .iter()
    .map(|(title, width)| ((*title).to_owned(), *width))
    .collect();
    columns.extend(values.iter().map(|v| (format!("Số chọn mức {v}"), 10.0)));
    write_header(sheet, 0, &columns, formats)?;
    sheet.set_row_height(0, 32)?;
    sheet.set_freeze_panes(1, 3)?;
    for (i, question) in report.questions.iter().enumerate() {
        let r = row(i + 1);
        let element = question.element.as_deref().and_then(|code| report.elements.iter().find(|e| e.code == code));
        sheet.write_string_with_format(r, 0, element.map_or("", |e| e.name.as_str()), &formats.wrap)?;
        sheet.write_string_with_format(r, 1, &question.code, &formats.text)?;
        sheet.write_string_with_format(r, 2, &question.text, &formats.wrap)?;
        write_count(sheet, r, 3, question.n, formats)?;
        write_mean(sheet, r, 4, question.mean, formats)?;
        write_percent(sheet, r, 5, question.satisfied_pct, formats)?;
        write_percent(sheet, r, 6, question.margin_of_error, formats)?;
        for (j, value) in values.iter().enumerate() {
            if let Some(count) = question.distribution.get(value) {
                write_count(sheet, r, col(7 + j), *count, formats)?;
            }
        }
    }
    if !report.questions.is_empty() {
        let chart = bar_chart(QUESTIONS, "Tỷ lệ hài lòng theo câu hỏi", 1, row(report.questions.len()), 1, 5);
        sheet.insert_chart(1, col(columns.len() + 1), &chart).context("placing the question chart")?;
    }
    Ok(())
}

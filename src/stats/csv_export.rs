//! CSV export of a survey report for Excel: UTF-8 with a byte-order mark, Vietnamese headers, one
//! row per question (per group and question when grouped), numbers with 2 decimals.

use std::collections::BTreeSet;

use super::report::{round2, GroupOut, QuestionOut, SurveyReport};

/// The UTF-8 byte-order mark Excel needs to read the file as UTF-8.
pub const BOM: &str = "\u{feff}";

fn decimal(value: Option<f64>) -> String {
    value.map(|v| format!("{:.2}", round2(v))).unwrap_or_default()
}

/// The report as CSV bytes (BOM first).
pub fn to_csv(report: &SurveyReport) -> anyhow::Result<Vec<u8>> {
    let values: BTreeSet<i64> = report.questions.iter().flat_map(|q| q.distribution.keys().copied()).collect();
    let mut writer = csv::Writer::from_writer(BOM.as_bytes().to_vec());
    let mut header: Vec<String> = [
        "Khảo sát",
        "Từ ngày",
        "Đến ngày",
        "Nhóm",
        "Tên nhóm",
        "Yếu tố",
        "Mã câu hỏi",
        "Câu hỏi",
        "Số trả lời hợp lệ",
        "Điểm trung bình",
        "Tỷ lệ hài lòng (%)",
        "Sai số ±95% (điểm %)",
        "Chỉ số yếu tố (%)",
        "Chỉ số chung (%)",
        "Phiếu đã gửi",
        "Phiếu trả lời",
        "Tỷ lệ phản hồi (%)",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    header.extend(values.iter().map(|v| format!("Số chọn mức {v}")));
    writer.write_record(&header)?;

    let mut write = |group: Option<&GroupOut>, question: &QuestionOut| -> anyhow::Result<()> {
        let (elements, overall, sent, responses, rate) = match group {
            Some(g) => (&g.elements, g.overall.index, g.sent, g.responses, g.response_rate),
            None => (&report.elements, report.overall.index, report.sent, report.responses, report.response_rate),
        };
        let element = question.element.as_deref().and_then(|code| elements.iter().find(|e| e.code == code));
        let mut row = vec![
            report.survey.clone(),
            report.from.clone(),
            report.to.clone(),
            group.map(|g| g.key.clone()).unwrap_or_default(),
            group.map_or_else(|| "Toàn bộ".to_owned(), |g| g.name.clone()),
            element.map(|e| e.name.clone()).unwrap_or_default(),
            question.code.clone(),
            question.text.clone(),
            question.n.to_string(),
            decimal(question.mean),
            decimal(question.satisfied_pct),
            decimal(question.margin_of_error),
            decimal(element.and_then(|e| e.index)),
            decimal(overall),
            sent.to_string(),
            responses.to_string(),
            decimal(rate),
        ];
        row.extend(values.iter().map(|v| question.distribution.get(v).map(i64::to_string).unwrap_or_default()));
        writer.write_record(&row)?;
        Ok(())
    };
    if report.groups.is_empty() {
        for question in &report.questions {
            write(None, question)?;
        }
    } else {
        for group in &report.groups {
            for question in &group.questions {
                write(Some(group), question)?;
            }
        }
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))
}

//! What the statistics page shows: the filter form, the figures of a [`Dashboard`] as cards,
//! server-drawn charts (`crate::stats::charts`) each with its data table, and the download form.

use askama::Template;

use super::paths;
use super::stats_form::{day_vi, StatsForm};
use super::survey_views::thousands;
use super::views::{Choice, Chrome};
use crate::stats::charts::{bar_chart, decimal, line_chart, Bar, BarChart, LineChart, Series};
use crate::stats::dashboard::{Dashboard, Ranked, TicketSummary, MAX_AGENCY_BARS};
use crate::stats::report::GroupOut;
use crate::surveys::definition::SurveyCatalog;

const ACCENT: &str = "#0b57d0";
const LOW: &str = "#b3261e";
const RATE: &str = "#17693a";
const TICKETS: &str = "#7a4a00";

/// A percentage for people: `56,25 %`, or `—` without a figure.
pub fn percent(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{}\u{a0}%", decimal(v, decimals)))
}

fn count(n: i64) -> String {
    thousands(u64::try_from(n).unwrap_or_default())
}

/// One figure in a card.
#[derive(Debug, Clone)]
pub struct Kpi {
    /// `kpi-{id}` on the page.
    pub id: String,
    pub label: String,
    pub value: String,
    pub detail: Option<String>,
}

impl Kpi {
    fn new(id: &str, label: &str, value: String, detail: Option<String>) -> Self {
        Self { id: id.to_owned(), label: label.to_owned(), value, detail }
    }
}

/// A cell of a data table.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// Right-aligned figure.
    pub num: bool,
    /// A name or wording that must keep a readable width (the table scrolls instead).
    pub long: bool,
}

fn text(value: impl Into<String>) -> Cell {
    Cell { text: value.into(), href: None, num: false, long: false }
}

fn long(value: impl Into<String>) -> Cell {
    Cell { long: true, ..text(value) }
}

fn num(value: impl Into<String>) -> Cell {
    Cell { num: true, ..text(value) }
}

/// A chart with its heading, an optional note and its figures as a table.
#[derive(Debug, Clone)]
pub struct ChartView {
    pub id: &'static str,
    pub heading: String,
    pub note: Option<String>,
    /// The SVG (escaped by the chart module).
    pub svg: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The complaint part of the page.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub kpis: Vec<Kpi>,
    pub charts: Vec<ChartView>,
}

/// Everything drawn from the figures.
#[derive(Debug, Clone)]
pub struct FiguresView {
    pub kpis: Vec<Kpi>,
    pub elements: Vec<Kpi>,
    pub charts: Vec<ChartView>,
    pub tickets: Option<TicketView>,
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub chrome: Chrome,
    pub form: StatsForm,
    pub surveys: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub errors: Vec<String>,
    /// What the figures cover (period, survey).
    pub period_note: String,
    /// Limits of the user's scope.
    pub notes: Vec<String>,
    pub figures: Option<FiguresView>,
    pub export_action: &'static str,
    pub export_fields: Vec<(&'static str, String)>,
    pub groupings: Vec<Choice>,
}

fn choices(options: &[(&str, &str)], selected: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == selected,
        })
        .collect()
}

impl StatsPage {
    /// The page with its form; no figures yet.
    pub fn new(chrome: Chrome, form: StatsForm, catalog: &SurveyCatalog) -> Self {
        let surveys = catalog
            .ids()
            .into_iter()
            .map(|id| Choice {
                value: id.to_owned(),
                label: catalog.get(id).map_or_else(|| id.to_owned(), |s| format!("{} ({id})", s.title)),
                selected: id == form.survey,
            })
            .collect();
        let levels =
            choices(&[("", "Tất cả"), ("tinh", "Cấp tỉnh"), ("huyen", "Cấp huyện"), ("xa", "Cấp xã")], &form.level);
        let channels =
            choices(&[("", "Tất cả"), ("truc_tiep", "Trực tiếp"), ("truc_tuyen", "Trực tuyến")], &form.channel);
        let groupings = choices(
            &[
                ("", "Không chia nhóm"),
                ("agency", "Cơ quan"),
                ("level", "Cấp"),
                ("field", "Lĩnh vực"),
                ("procedure", "Thủ tục"),
                ("channel", "Hình thức nộp"),
                ("month", "Tháng"),
                ("quarter", "Quý"),
                ("year", "Năm"),
            ],
            "agency",
        );
        Self {
            chrome,
            export_fields: form.params(),
            form,
            surveys,
            levels,
            channels,
            errors: Vec::new(),
            period_note: String::new(),
            notes: Vec::new(),
            figures: None,
            export_action: paths::STATS_EXPORT,
            groupings,
        }
    }

    /// The page showing `dashboard`.
    pub fn with_figures(mut self, dashboard: &Dashboard, survey_title: &str) -> Self {
        let report = &dashboard.survey;
        self.period_note = format!(
            "Phiếu “{survey_title}”, hồ sơ hoàn thành từ {} đến {}.",
            iso_to_vi(&report.from),
            iso_to_vi(&report.to)
        );
        let kpis = vec![
            Kpi::new(
                "index",
                "Chỉ số hài lòng chung",
                percent(report.overall.index, 2),
                Some(format!("{} câu trả lời được tính", count(report.overall.n))),
            ),
            Kpi::new(
                "response-rate",
                "Tỷ lệ phản hồi",
                percent(report.response_rate, 2),
                Some(format!("{} / {} phiếu đã gửi", count(report.responses), count(report.sent))),
            ),
            Kpi::new("responses", "Số phiếu trả lời", count(report.responses), None),
        ];
        let elements = report
            .elements
            .iter()
            .map(|e| Kpi::new(&format!("element-{}", e.code), &e.name, percent(e.index, 2), Some(e.code.clone())))
            .collect();
        let charts = vec![
            trend_chart(dashboard),
            agencies_chart(&dashboard.agencies, &dashboard.agency_chart, &self.form),
            lowest_chart(dashboard),
            response_rate_chart(&dashboard.response_rates),
        ];
        let tickets = dashboard.tickets.as_ref().map(ticket_view);
        self.figures = Some(FiguresView { kpis, elements, charts, tickets });
        self
    }
}

fn iso_to_vi(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_or_else(|_| date.to_owned(), day_vi)
}

fn trend_chart(dashboard: &Dashboard) -> ChartView {
    let months = &dashboard.months;
    let elements = &dashboard.survey.elements;
    let x_labels: Vec<String> = months
        .iter()
        .enumerate()
        .map(
            |(i, m)| if i == 0 || m.month == 1 { format!("T{}\n{}", m.month, m.year) } else { format!("T{}", m.month) },
        )
        .collect();
    let x_names: Vec<String> = months.iter().map(|m| m.name.clone()).collect();
    let mut series = vec![Series {
        name: "Chỉ số hài lòng chung".to_owned(),
        values: months.iter().map(|m| m.index).collect(),
        emphasis: true,
    }];
    series.extend(elements.iter().enumerate().map(|(i, e)| Series {
        name: e.name.clone(),
        values: months.iter().map(|m| m.elements.get(i).copied().flatten()).collect(),
        emphasis: false,
    }));
    let title = "Chỉ số hài lòng theo tháng (%)";
    let svg = line_chart(&LineChart {
        id: "chart-trend",
        title,
        x_labels: &x_labels,
        x_names: &x_names,
        series: &series,
        max: 100.0,
    });
    let mut headers = vec!["Tháng".to_owned(), "Chỉ số chung".to_owned()];
    headers.extend(elements.iter().map(|e| e.name.clone()));
    let rows = months
        .iter()
        .map(|m| {
            let mut row = vec![text(m.name.clone()), num(percent(m.index, 2))];
            row.extend(m.elements.iter().map(|v| num(percent(*v, 2))));
            row
        })
        .collect();
    ChartView {
        id: "chart-trend",
        heading: "Chỉ số hài lòng theo tháng".to_owned(),
        note: Some(
            "Đường đậm là chỉ số chung; các đường mảnh là từng yếu tố. Tháng không có câu trả lời để trống.".to_owned(),
        ),
        svg,
        headers,
        rows,
    }
}

fn agency_label(group: &GroupOut) -> String {
    if group.name == group.key {
        group.key.clone()
    } else {
        format!("{} ({})", group.name, group.key)
    }
}

fn omitted_note(ranked: &Ranked<GroupOut>, what: &str) -> Option<String> {
    (ranked.omitted > 0).then(|| {
        format!("Biểu đồ hiện {what} trong số {} cơ quan; bảng số liệu có đủ.", ranked.shown.len() + ranked.omitted)
    })
}

fn agencies_chart(all: &[GroupOut], ranked: &Ranked<GroupOut>, form: &StatsForm) -> ChartView {
    let bars: Vec<Bar> = ranked
        .shown
        .iter()
        .map(|g| Bar { label: agency_label(g), value: g.overall.index, value_text: percent(g.overall.index, 1) })
        .collect();
    let title = "So sánh chỉ số hài lòng giữa các cơ quan (%)";
    let svg = bar_chart(&BarChart { id: "chart-agencies", title, bars: &bars, max: Some(100.0), color: ACCENT });
    let rows = all
        .iter()
        .map(|g| {
            let mut params = form.params();
            params.retain(|(key, _)| *key != "agency");
            let mut pairs: Vec<(&str, Option<&str>)> = params.iter().map(|(k, v)| (*k, Some(v.as_str()))).collect();
            pairs.push(("agency", Some(g.key.as_str())));
            vec![
                Cell { href: Some(paths::with_query(paths::STATS, &pairs)), ..long(g.name.clone()) },
                text(g.key.clone()),
                num(percent(g.overall.index, 2)),
                num(count(g.responses)),
            ]
        })
        .collect();
    let half = MAX_AGENCY_BARS / 2;
    ChartView {
        id: "chart-agencies",
        heading: "So sánh các cơ quan".to_owned(),
        note: omitted_note(ranked, &format!("{half} cơ quan cao nhất và {half} cơ quan thấp nhất")).or_else(|| {
            Some("Xếp từ cao xuống thấp. Chọn tên cơ quan trong bảng số liệu để xem riêng cơ quan đó.".to_owned())
        }),
        svg,
        headers: ["Cơ quan", "Mã", "Chỉ số chung", "Phiếu trả lời"].map(str::to_owned).to_vec(),
        rows,
    }
}

fn lowest_chart(dashboard: &Dashboard) -> ChartView {
    let questions = &dashboard.lowest_criteria;
    let bars: Vec<Bar> = questions
        .iter()
        .map(|q| Bar {
            label: format!("{}. {}", q.code, q.text),
            value: q.satisfied_pct,
            value_text: percent(q.satisfied_pct, 1),
        })
        .collect();
    let title = "Các tiêu chí có tỷ lệ hài lòng thấp nhất (%)";
    let svg = bar_chart(&BarChart { id: "chart-lowest", title, bars: &bars, max: Some(100.0), color: LOW });
    let rows = questions
        .iter()
        .map(|q| {
            vec![
                text(q.code.clone()),
                long(q.text.clone()),
                num(percent(q.satisfied_pct, 2)),
                num(q.margin_of_error.map_or_else(|| "—".to_owned(), |m| format!("±{}", decimal(m, 2)))),
                num(count(q.n)),
            ]
        })
        .collect();
    ChartView {
        id: "chart-lowest",
        heading: "Tiêu chí có tỷ lệ hài lòng thấp nhất".to_owned(),
        note: Some("Tỷ lệ người trả lời hài lòng hoặc rất hài lòng với từng tiêu chí; tiêu chí chưa có câu trả lời không được xếp.".to_owned()),
        svg,
        headers: ["Mã", "Tiêu chí", "Hài lòng", "Sai số (95 %)", "Số trả lời"].map(str::to_owned).to_vec(),
        rows,
    }
}

/// By agency rather than by month: an agency can act on its rate (collecting citizens' Zalo or
/// phone numbers with the dossier, telling them about the survey), and a low rate says how far
/// its index can be trusted; the month-to-month rate mostly follows the send settings.
fn response_rate_chart(ranked: &Ranked<GroupOut>) -> ChartView {
    let bars: Vec<Bar> = ranked
        .shown
        .iter()
        .map(|g| Bar {
            label: format!("{} · {}/{} phiếu", agency_label(g), count(g.responses), count(g.sent)),
            value: g.response_rate,
            value_text: percent(g.response_rate, 1),
        })
        .collect();
    let title = "Tỷ lệ phản hồi khảo sát theo cơ quan (%)";
    let svg = bar_chart(&BarChart { id: "chart-response", title, bars: &bars, max: Some(100.0), color: RATE });
    let rows = ranked
        .shown
        .iter()
        .map(|g| {
            vec![long(g.name.clone()), num(count(g.sent)), num(count(g.responses)), num(percent(g.response_rate, 2))]
        })
        .collect();
    ChartView {
        id: "chart-response",
        heading: "Tỷ lệ phản hồi theo cơ quan".to_owned(),
        note: omitted_note(ranked, &format!("{MAX_AGENCY_BARS} cơ quan có tỷ lệ thấp nhất")).or_else(|| {
            Some("Số phiếu có trả lời trên số phiếu đã gửi, thấp nhất trước: nơi cần nhắc người dân hoặc thu thập số liên lạc.".to_owned())
        }),
        svg,
        headers: ["Cơ quan", "Đã gửi", "Có trả lời", "Tỷ lệ"].map(str::to_owned).to_vec(),
        rows,
    }
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{} ngày", decimal(v, 1)))
}

fn ticket_view(summary: &TicketSummary) -> TicketView {
    let figures = &summary.report.figures;
    let t = &figures.timeliness;
    let kpis = vec![
        Kpi::new("tickets-received", "Phản ánh đã tiếp nhận", count(figures.received), None),
        Kpi::new(
            "tickets-on-time",
            "Trả lời đúng hạn",
            percent(t.on_time_pct, 1),
            Some(format!(
                "{} / {} phản ánh đã trả lời hoặc đã quá hạn",
                count(t.on_time),
                count(t.answered + t.open_overdue)
            )),
        ),
        Kpi::new(
            "tickets-median",
            "Thời gian trả lời (trung vị)",
            days(t.median_working_days),
            Some("ngày làm việc".into()),
        ),
        Kpi::new("tickets-p90", "90 % được trả lời trong", days(t.p90_working_days), Some("ngày làm việc".into())),
        Kpi::new("tickets-overdue", "Quá hạn, chưa trả lời", count(t.open_overdue), None),
        Kpi::new(
            "tickets-misconduct",
            "Phản ánh về cán bộ",
            count(figures.misconduct),
            Some("chuyển Tổ kiểm tra".into()),
        ),
    ];
    let bars: Vec<Bar> = if figures.received == 0 {
        Vec::new()
    } else {
        summary
            .branches
            .iter()
            .map(|b| Bar {
                label: format!("{}. {}", b.key, b.name),
                value: Some(b.count as f64),
                value_text: count(b.count),
            })
            .collect()
    };
    let title = "Phản ánh, kiến nghị tiếp nhận theo nhánh";
    let svg = bar_chart(&BarChart { id: "chart-branches", title, bars: &bars, max: None, color: TICKETS });
    let rows =
        summary.branches.iter().map(|b| vec![long(format!("{}. {}", b.key, b.name)), num(count(b.count))]).collect();
    let chart = ChartView {
        id: "chart-branches",
        heading: "Theo nhánh".to_owned(),
        note: None,
        svg,
        headers: ["Nhánh", "Số phản ánh"].map(str::to_owned).to_vec(),
        rows,
    };
    TicketView { kpis, charts: vec![chart] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_for_people() {
        assert_eq!(percent(Some(56.25), 2), "56,25\u{a0}%");
        assert_eq!(percent(None, 2), "—");
    }
}

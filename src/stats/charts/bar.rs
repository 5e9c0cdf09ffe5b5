//! Horizontal bar charts: one row per item, its label (wrapped, full width) above a bar whose
//! length is proportional to the value, the value written at the right end of the row.

use std::fmt::Write as _;

use super::svg::{self, coord, escape, text, FONT, LINE_HEIGHT, MUTED_COLOR, TEXT_COLOR, TRACK_COLOR, WIDTH};

/// Room kept on the right for the value.
const VALUE_COLUMN: f64 = 64.0;
/// Thickness of a bar.
const BAR_HEIGHT: f64 = 14.0;
/// Space between two rows.
const ROW_GAP: f64 = 12.0;
/// Characters of a label line.
const LABEL_CHARS: usize = 50;

/// One row of a bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// `None`: no figure (nothing drawn, `value_text` still written).
    pub value: Option<f64>,
    /// The value as the reader sees it (`56,25 %`, `12`, `—`).
    pub value_text: String,
}

/// A bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart<'a> {
    /// Unique on the page (ids of the title and description).
    pub id: &'a str,
    pub title: &'a str,
    pub bars: &'a [Bar],
    /// The value of a full-length bar (100 for percentages); `None` = the largest value.
    pub max: Option<f64>,
    pub color: &'a str,
}

/// The longest bar, in the chart's units.
pub const BAR_SPACE: f64 = WIDTH - VALUE_COLUMN;

/// Length of the bar of `value` when a full bar is `max`.
fn length(value: f64, max: f64) -> f64 {
    if max <= 0.0 || !value.is_finite() {
        return 0.0;
    }
    (value / max * BAR_SPACE).clamp(0.0, BAR_SPACE)
}

/// Draws `chart`; the chart of no data when no bar has a value.
pub fn bar_chart(chart: &BarChart<'_>) -> String {
    if chart.bars.iter().all(|bar| bar.value.is_none()) {
        return svg::empty(chart.id, chart.title);
    }
    let largest = chart.bars.iter().filter_map(|bar| bar.value).fold(0.0_f64, f64::max);
    let max = chart.max.unwrap_or(largest);
    let mut body = String::new();
    let mut y = 4.0;
    for bar in chart.bars {
        body.push_str("<g class=\"chart-row\">");
        for line in svg::wrap(&bar.label, LABEL_CHARS) {
            text(&mut body, 0.0, y + FONT, FONT, &format!(r#"fill="{TEXT_COLOR}""#), &line);
            y += LINE_HEIGHT;
        }
        let top = y + 2.0;
        let _ = write!(
            body,
            r#"<rect x="0" y="{}" width="{}" height="{}" rx="3" fill="{TRACK_COLOR}"/>"#,
            coord(top),
            coord(BAR_SPACE),
            coord(BAR_HEIGHT)
        );
        if let Some(value) = bar.value {
            let _ = write!(
                body,
                r#"<rect class="chart-bar" x="0" y="{}" width="{}" height="{}" rx="3" fill="{}"/>"#,
                coord(top),
                coord(length(value, max)),
                coord(BAR_HEIGHT),
                escape(chart.color)
            );
        }
        let color = if bar.value.is_some() { TEXT_COLOR } else { MUTED_COLOR };
        let attributes = format!(r#"text-anchor="end" font-weight="700" fill="{color}""#);
        text(&mut body, WIDTH, top + BAR_HEIGHT - 2.0, FONT, &attributes, &bar.value_text);
        body.push_str("</g>");
        y = top + BAR_HEIGHT + ROW_GAP;
    }
    let description: Vec<String> = chart.bars.iter().map(|bar| format!("{}: {}", bar.label, bar.value_text)).collect();
    let mut out = svg::open(chart.id, chart.title, &format!("{}.", description.join("; ")), y);
    out.push_str(&body);
    out.push_str(svg::CLOSE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<f64>) -> Bar {
        Bar { label: label.into(), value, value_text: value.map_or("—".into(), |v| svg::decimal(v, 2)) }
    }

    /// The widths of the drawn bars, in order.
    fn widths(svg: &str) -> Vec<f64> {
        svg.split(r#"class="chart-bar""#)
            .skip(1)
            .map(|rest| {
                let start = rest.find("width=\"").unwrap() + 7;
                rest[start..].split('"').next().unwrap().parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_their_values() {
        let bars = [bar("Sở Tư pháp", Some(75.0)), bar("UBND phường I", Some(37.5)), bar("Sở Xây dựng", Some(0.0))];
        let chart = BarChart { id: "a", title: "Chỉ số", bars: &bars, max: Some(100.0), color: "#0b57d0" };
        let svg = bar_chart(&chart);
        let w = widths(&svg);
        assert_eq!(w.len(), 3);
        assert!((w[0] - 0.75 * BAR_SPACE).abs() < 0.1, "{w:?}");
        assert!((w[0] / w[1] - 2.0).abs() < 0.01, "{w:?}");
        assert_eq!(w[2], 0.0);
        assert!(svg.contains(">75,00<") && svg.contains(">37,50<"));
        assert!(svg.contains("<desc id=\"a-desc\">Sở Tư pháp: 75,00; UBND phường I: 37,50; Sở Xây dựng: 0,00.</desc>"));

        // Without a fixed scale the largest value fills the row.
        let counts = [bar("Nhánh 3", Some(3.0)), bar("Nhánh 1", Some(1.0))];
        let w = widths(&bar_chart(&BarChart { max: None, bars: &counts, ..chart }));
        assert!((w[0] - BAR_SPACE).abs() < 0.1 && (w[0] / w[1] - 3.0).abs() < 0.01, "{w:?}");
    }

    #[test]
    fn labels_are_escaped_and_wrapped() {
        let long = "Tiêu chí <b>rất</b> dài & \"khó\": cán bộ tiếp nhận hồ sơ có thái độ giao tiếp lịch sự, hướng dẫn kê khai đầy đủ";
        let bars = [bar(long, Some(40.0))];
        let svg =
            bar_chart(&BarChart { id: "q", title: "Thấp <nhất>", bars: &bars, max: Some(100.0), color: "#b3261e" });
        assert!(
            !svg.contains("<b>") && svg.contains("&lt;b&gt;rất&lt;/b&gt;") && svg.contains("&amp; &quot;khó&quot;")
        );
        assert!(svg.contains("Thấp &lt;nhất&gt;"));
        let label_lines = svg.matches(&format!(r#"font-size="14" fill="{TEXT_COLOR}""#)).count();
        assert!(label_lines >= 3, "the label is wrapped over several lines: {svg}");
    }

    #[test]
    fn no_value_no_chart() {
        let svg = bar_chart(&BarChart { id: "e", title: "Trống", bars: &[], max: None, color: "#000" });
        assert!(svg.contains(svg::NO_DATA) && !svg.contains("chart-bar"));
        let bars = [bar("Sở Tư pháp", None)];
        let svg = bar_chart(&BarChart { id: "e", title: "Trống", bars: &bars, max: None, color: "#000" });
        assert!(svg.contains(svg::NO_DATA));
        // A row without a figure among others: no bar, its text kept.
        let bars = [bar("A", Some(10.0)), bar("B", None)];
        let svg = bar_chart(&BarChart { id: "m", title: "Một phần", bars: &bars, max: None, color: "#000" });
        assert_eq!(widths(&svg).len(), 1);
        assert!(svg.contains(">—<"));
    }
}

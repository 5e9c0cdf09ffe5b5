//! Line charts over a sequence of periods (months): a fixed vertical scale from 0 to `max` with
//! grid lines, one line per series broken where a period has no figure, the emphasised series
//! thicker and with its values written above the points, and a legend below.

use std::fmt::Write as _;

use super::svg::{
    self, coord, text, ACCENT_COLOR, FONT, GRID_COLOR, LINE_HEIGHT, MUTED_COLOR, SMALL_FONT, TEXT_COLOR, WIDTH,
};

const LEFT: f64 = 34.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 16.0;
const PLOT_HEIGHT: f64 = 190.0;
/// Space between the plot's edges and the first and last points.
const INSET: f64 = 12.0;
/// Most periods labelled on the horizontal axis.
const MAX_X_LABELS: usize = 12;
/// Most points with their value written above them.
const MAX_VALUE_LABELS: usize = 12;
const LEGEND_CHARS: usize = 46;

/// Colours and dash patterns of the series that are not emphasised (told apart without colour too).
const PALETTE: [(&str, &str); 6] = [
    ("#b26b00", "7 4"),
    ("#17693a", "2 3"),
    ("#8e3ab3", "10 3 2 3"),
    ("#b3261e", "4 4"),
    ("#00838f", "1 2"),
    ("#5f6b7a", "12 4"),
];

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One value per period; `None` breaks the line.
    pub values: Vec<Option<f64>>,
    /// Drawn thicker, in the accent colour, with its values written.
    pub emphasis: bool,
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart<'a> {
    /// Unique on the page.
    pub id: &'a str,
    pub title: &'a str,
    /// Each period's axis label; a `\n` starts a second line (the year).
    pub x_labels: &'a [String],
    /// Each period's name in the description (`Tháng 01/2026`).
    pub x_names: &'a [String],
    pub series: &'a [Series],
    /// Top of the vertical scale (100 for percentages).
    pub max: f64,
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

/// Horizontal position of period `i` of `n`.
pub fn x_of(i: usize, n: usize) -> f64 {
    if n <= 1 {
        return LEFT + plot_width() / 2.0;
    }
    LEFT + INSET + i as f64 * (plot_width() - 2.0 * INSET) / (n - 1) as f64
}

/// Vertical position of `value` on a scale of 0…`max`.
pub fn y_of(value: f64, max: f64) -> f64 {
    let share = if max > 0.0 { (value / max).clamp(0.0, 1.0) } else { 0.0 };
    TOP + PLOT_HEIGHT * (1.0 - share)
}

/// Draws `chart`; the chart of no data when no series has a value.
pub fn line_chart(chart: &LineChart<'_>) -> String {
    let n = chart.x_labels.len();
    if n == 0 || chart.series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return svg::empty(chart.id, chart.title);
    }
    let mut body = String::new();
    grid(&mut body, chart.max);
    x_axis(&mut body, chart.x_labels);
    let mut styles = Vec::new();
    let mut others = PALETTE.iter().cycle();
    for series in chart.series {
        let style = if series.emphasis {
            (ACCENT_COLOR, "", 3.0, 4.0)
        } else {
            let (color, dash) = others.next().copied().unwrap_or(("#5f6b7a", ""));
            (color, dash, 1.75, 2.5)
        };
        styles.push(style);
    }
    // The emphasised series last, on top of the others.
    let order = (0..chart.series.len())
        .filter(|&i| !chart.series[i].emphasis)
        .chain((0..chart.series.len()).filter(|&i| chart.series[i].emphasis));
    for i in order {
        let (series, (color, dash, width, radius)) = (&chart.series[i], styles[i]);
        draw_series(&mut body, series, n, chart.max, color, dash, width, radius);
    }
    let mut height = TOP + PLOT_HEIGHT + 40.0;
    if chart.series.len() > 1 {
        height = legend(&mut body, chart.series, &styles, height);
    }
    let description: Vec<String> = chart
        .series
        .iter()
        .map(|series| {
            let points: Vec<String> = chart
                .x_names
                .iter()
                .zip(&series.values)
                .map(|(name, value)| format!("{name} {}", value.map_or("chưa có".to_owned(), |v| svg::decimal(v, 2))))
                .collect();
            format!("{}: {}", series.name, points.join(", "))
        })
        .collect();
    let mut out = svg::open(chart.id, chart.title, &format!("{}.", description.join("; ")), height);
    out.push_str(&body);
    out.push_str(svg::CLOSE);
    out
}

/// Horizontal grid lines at every quarter of the scale, labelled on the left.
fn grid(out: &mut String, max: f64) {
    for step in 0..=4 {
        let value = max * f64::from(step) / 4.0;
        let y = y_of(value, max);
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{GRID_COLOR}" stroke-width="1"{}/>"#,
            coord(LEFT),
            coord(WIDTH - RIGHT),
            if step == 0 { "" } else { r#" stroke-dasharray="3 3""# },
            y = coord(y),
        );
        let attributes = format!(r#"text-anchor="end" fill="{MUTED_COLOR}""#);
        text(out, LEFT - 6.0, y + SMALL_FONT / 3.0, SMALL_FONT, &attributes, &svg::decimal(value, 0));
    }
}

/// The periods' labels under the plot, thinned out to at most [`MAX_X_LABELS`].
fn x_axis(out: &mut String, labels: &[String]) {
    let n = labels.len();
    let every = n.div_ceil(MAX_X_LABELS).max(1);
    let base = TOP + PLOT_HEIGHT + SMALL_FONT + 6.0;
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = x_of(i, n);
        for (line, part) in label.split('\n').enumerate() {
            let color = if line == 0 { TEXT_COLOR } else { MUTED_COLOR };
            let attributes = format!(r#"text-anchor="middle" fill="{color}""#);
            text(out, x, base + line as f64 * (SMALL_FONT + 2.0), SMALL_FONT, &attributes, part);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_series(
    out: &mut String,
    series: &Series,
    n: usize,
    max: f64,
    color: &str,
    dash: &str,
    width: f64,
    radius: f64,
) {
    let dash = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
    let points: Vec<Option<(f64, f64)>> =
        (0..n).map(|i| series.values.get(i).copied().flatten().map(|v| (x_of(i, n), y_of(v, max)))).collect();
    for run in points.split(Option::is_none).filter(|run| run.len() > 1) {
        let coords: Vec<String> = run.iter().flatten().map(|(x, y)| format!("{},{}", coord(*x), coord(*y))).collect();
        let _ = write!(
            out,
            r#"<polyline class="chart-line" points="{}" fill="none" stroke="{color}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#,
            coords.join(" "),
            coord(width)
        );
    }
    let write_values = series.emphasis && n <= MAX_VALUE_LABELS;
    for (i, (x, y)) in points.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))) {
        let _ = write!(
            out,
            r##"<circle class="chart-point" cx="{}" cy="{}" r="{}" fill="{color}" stroke="#fff" stroke-width="1.5"/>"##,
            coord(x),
            coord(y),
            coord(radius)
        );
        if let (true, Some(value)) = (write_values, series.values.get(i).copied().flatten()) {
            let attributes = format!(
                r##"text-anchor="middle" font-weight="700" fill="{color}" stroke="#fff" stroke-width="3" paint-order="stroke""##
            );
            text(out, x, y - 8.0, SMALL_FONT, &attributes, &svg::decimal(value, 1));
        }
    }
}

/// One legend row per series under the axis; returns the chart's height.
fn legend(out: &mut String, series: &[Series], styles: &[(&str, &str, f64, f64)], top: f64) -> f64 {
    let mut y = top;
    for (series, (color, dash, width, _)) in series.iter().zip(styles) {
        let dash = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
        let _ = write!(
            out,
            r#"<line x1="0" y1="{y}" x2="26" y2="{y}" stroke="{color}" stroke-width="{}"{dash}/>"#,
            coord(*width),
            y = coord(y + FONT / 2.0 - 1.0)
        );
        for line in svg::wrap(&series.name, LEGEND_CHARS) {
            let weight = if series.emphasis { r#" font-weight="700""# } else { "" };
            text(out, 34.0, y + FONT - 2.0, FONT - 1.0, &format!(r#"fill="{TEXT_COLOR}"{weight}"#), &line);
            y += LINE_HEIGHT;
        }
        y += 4.0;
    }
    y + 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> (Vec<String>, Vec<String>) {
        let short = (1..=n).map(|m| format!("T{m}\n2026")).collect();
        let long = (1..=n).map(|m| format!("Tháng {m:02}/2026")).collect();
        (short, long)
    }

    fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split(r#"class="chart-line" points=""#)
            .skip(1)
            .map(|rest| {
                rest.split('"')
                    .next()
                    .unwrap()
                    .split(' ')
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn points_sit_at_their_values_and_gaps_break_the_line() {
        let (short, long) = labels(4);
        let overall = Series {
            name: "Chỉ số chung".into(),
            values: vec![Some(50.0), Some(100.0), None, Some(25.0)],
            emphasis: true,
        };
        let chart = LineChart {
            id: "t",
            title: "Theo tháng",
            x_labels: &short,
            x_names: &long,
            series: &[overall],
            max: 100.0,
        };
        let svg = line_chart(&chart);
        let lines = polylines(&svg);
        assert_eq!(lines.len(), 1, "the gap in March leaves April a point alone: {svg}");
        let expected = [(x_of(0, 4), y_of(50.0, 100.0)), (x_of(1, 4), TOP)];
        assert_eq!(lines[0].len(), 2);
        for ((x, y), (ex, ey)) in lines[0].iter().zip(expected) {
            assert!((x - ex).abs() < 0.06 && (y - ey).abs() < 0.06, "{lines:?} vs {expected:?}");
        }
        assert!((y_of(50.0, 100.0) - (TOP + PLOT_HEIGHT / 2.0)).abs() < 1e-9);
        assert_eq!(svg.matches("class=\"chart-point\"").count(), 3);
        assert!(svg.contains(">50,0<") && svg.contains(">25,0<"), "values above the points");
        assert!(svg.contains(
            "Chỉ số chung: Tháng 01/2026 50,00, Tháng 02/2026 100,00, Tháng 03/2026 chưa có, Tháng 04/2026 25,00."
        ));
        assert!(!svg.contains("stroke-dasharray=\"7 4\""), "one series, no legend");
    }

    #[test]
    fn several_series_get_a_legend_and_distinct_strokes() {
        let (short, long) = labels(2);
        let series = [
            Series { name: "Chỉ số chung".into(), values: vec![Some(60.0), Some(70.0)], emphasis: true },
            Series { name: "Tiếp cận <dịch vụ>".into(), values: vec![Some(55.0), Some(65.0)], emphasis: false },
            Series { name: "Thủ tục hành chính".into(), values: vec![None, Some(80.0)], emphasis: false },
        ];
        let chart =
            LineChart { id: "m", title: "Yếu tố", x_labels: &short, x_names: &long, series: &series, max: 100.0 };
        let svg = line_chart(&chart);
        assert!(svg.contains("Tiếp cận &lt;dịch vụ&gt;") && !svg.contains("<dịch"));
        assert!(svg.contains(r#"stroke-dasharray="7 4""#) && svg.contains(r#"stroke-dasharray="2 3""#));
        assert_eq!(polylines(&svg).len(), 2, "a series with one point has no line");
        // The emphasised series is drawn last (on top).
        let strokes: Vec<&str> = svg
            .split("<polyline")
            .skip(1)
            .map(|rest| rest.split("stroke=\"").nth(1).unwrap().split('"').next().unwrap())
            .collect();
        assert_eq!(strokes, ["#b26b00", ACCENT_COLOR]);
    }

    #[test]
    fn long_periods_thin_the_axis_labels() {
        let (short, long) = labels(36);
        let values = (0..36).map(|i| Some(f64::from(i))).collect();
        let series = [Series { name: "Chỉ số".into(), values, emphasis: true }];
        let svg = line_chart(&LineChart {
            id: "l",
            title: "3 năm",
            x_labels: &short,
            x_names: &long,
            series: &series,
            max: 100.0,
        });
        assert_eq!(svg.matches(">2026</text>").count(), 12, "every third month labelled");
        assert!(!svg.contains(">1,0<"), "no values written above 36 points");
    }

    #[test]
    fn nothing_to_draw() {
        let (short, long) = labels(3);
        let series = [Series { name: "Chỉ số".into(), values: vec![None, None, None], emphasis: true }];
        let svg = line_chart(&LineChart {
            id: "n",
            title: "Trống",
            x_labels: &short,
            x_names: &long,
            series: &series,
            max: 100.0,
        });
        assert!(svg.contains(svg::NO_DATA) && !svg.contains("chart-line"));
    }
}

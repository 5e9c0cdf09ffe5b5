//! What the charts share: XML escaping, labels wrapped into lines, numbers as Vietnamese write
//! them, the `<svg>` element with its title and description, and the chart of no data.

use std::fmt::Write as _;

/// Width of every chart's coordinate system; charts scale to their container through `viewBox`.
/// Narrow on purpose, so that text stays readable when a phone shrinks the chart.
pub const WIDTH: f64 = 400.0;
/// Size of labels, in the chart's units.
pub const FONT: f64 = 14.0;
/// Size of axis ticks and point values.
pub const SMALL_FONT: f64 = 12.0;
/// Distance between two lines of a wrapped label.
pub const LINE_HEIGHT: f64 = 18.0;

pub const TEXT_COLOR: &str = "#18212b";
pub const MUTED_COLOR: &str = "#4f5b68";
pub const GRID_COLOR: &str = "#d5dce4";
pub const TRACK_COLOR: &str = "#e8edf3";
pub const ACCENT_COLOR: &str = "#0b57d0";

/// What a chart shows when it has nothing to draw.
pub const NO_DATA: &str = "Chưa có dữ liệu";

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Splits `text` into lines of at most `max_chars` characters, between words (a word longer
/// than a line is cut).
pub fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > max_chars {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..max_chars).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > max_chars && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A number as Vietnamese write it: `1.234,56` (`decimals` digits after the comma).
pub fn decimal(value: f64, decimals: usize) -> String {
    let fixed = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::with_capacity(fixed.len() + whole.len() / 3 + 1);
    let rounds_to_zero = fixed.chars().all(|c| c == '0' || c == '.');
    if value < 0.0 && !rounds_to_zero {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(',');
        out.push_str(fraction);
    }
    out
}

/// A coordinate: at most one decimal, no trailing zero.
pub fn coord(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Opens a chart: the `<svg>` element sized by its `viewBox`, announced as one image labelled by
/// its `<title>` and described by its `<desc>` (the data in words).
pub fn open(id: &str, title: &str, description: &str, height: f64) -> String {
    let id = escape(id);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        w = coord(WIDTH),
        h = coord(height),
        title = escape(title),
        desc = escape(description),
    )
}

/// Closes what [`open`] opened.
pub const CLOSE: &str = "</svg>";

/// A `<text>` element at (`x`, `y`) (the baseline), escaped.
pub fn text(out: &mut String, x: f64, y: f64, size: f64, attributes: &str, content: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="{}"{}{}>{}</text>"#,
        coord(x),
        coord(y),
        coord(size),
        if attributes.is_empty() { "" } else { " " },
        attributes,
        escape(content)
    );
}

/// The chart of no data: its title, and "Chưa có dữ liệu" where the figures would be.
pub fn empty(id: &str, title: &str) -> String {
    let height = 96.0;
    let mut out = open(id, title, &format!("{NO_DATA} cho khoảng thời gian và bộ lọc đã chọn."), height);
    let _ = write!(
        out,
        r#"<rect x="1" y="1" width="{}" height="{}" rx="6" fill="none" stroke="{GRID_COLOR}" stroke-dasharray="6 4"/>"#,
        coord(WIDTH - 2.0),
        coord(height - 2.0)
    );
    let attributes = format!(r#"text-anchor="middle" fill="{MUTED_COLOR}" class="chart-empty""#);
    text(&mut out, WIDTH / 2.0, height / 2.0 + FONT / 3.0, FONT + 1.0, &attributes, NO_DATA);
    out.push_str(CLOSE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tư & 'pháp'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tư &amp; &#39;pháp&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("dòng\nmới"), "dòng mới");
    }

    #[test]
    fn wraps_between_words() {
        let lines = wrap("Cán bộ tiếp nhận hồ sơ có thái độ giao tiếp lịch sự khi hướng dẫn người dân", 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), "Cán bộ tiếp nhận hồ sơ có thái độ giao tiếp lịch sự khi hướng dẫn người dân");
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn numbers_in_vietnamese() {
        assert_eq!(decimal(56.25, 2), "56,25");
        assert_eq!(decimal(75.0, 2), "75,00");
        assert_eq!(decimal(1_234_567.891, 1), "1.234.567,9");
        assert_eq!(decimal(100.0, 0), "100");
        assert_eq!(decimal(-2.5, 1), "-2,5");
        assert_eq!(decimal(-0.001, 1), "0,0");
        assert_eq!(coord(12.34), "12.3");
        assert_eq!(coord(12.0), "12");
    }

    #[test]
    fn the_empty_chart_says_so() {
        let svg = empty("c1", "Chỉ số <theo> tháng");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains(r#"aria-labelledby="c1-title c1-desc""#));
        assert!(svg.contains("<title id=\"c1-title\">Chỉ số &lt;theo&gt; tháng</title>"));
        assert!(svg.contains(NO_DATA));
    }
}

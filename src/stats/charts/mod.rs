//! Charts drawn on the server as inline SVG, for the console's statistics page (no JavaScript,
//! no chart library): pure functions from figures to an SVG string. Every text is XML-escaped;
//! each chart is one image for assistive technology, named by its `<title>` and described, figures
//! included, by its `<desc>`; charts are sized by their `viewBox` and scale to their container;
//! a chart without figures says "Chưa có dữ liệu".

pub mod bar;
pub mod line;
pub mod svg;

pub use bar::{bar_chart, Bar, BarChart};
pub use line::{line_chart, LineChart, Series};
pub use svg::{decimal, NO_DATA};

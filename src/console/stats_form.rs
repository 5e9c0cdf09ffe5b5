//! The statistics page's filter form: the values as given (shown back in the form, carried by the
//! export links) and the request they make, with defaults for what is left empty (the web form's
//! survey, 1 January of this year to today) and a Vietnamese message for each problem.

use chrono::{Datelike as _, NaiveDate};

use super::pages::audit::parse_day;
use crate::stats::query::{StatsQuery, MAX_PERIOD_DAYS};
use crate::surveys::definition::SurveyCatalog;
use crate::surveys::dossiers::{parse_channel, parse_level};

/// The form's values, trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsForm {
    pub survey: String,
    pub from: String,
    pub to: String,
    pub agency: String,
    /// `tinh`, `huyen`, `xa` (other spellings of a level are turned into these).
    pub level: String,
    pub field: String,
    pub procedure: String,
    /// `truc_tiep` or `truc_tuyen` (likewise).
    pub channel: String,
}

/// What an empty field means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub survey: String,
    /// Today, local date.
    pub today: NaiveDate,
}

/// A local date as officials write it: `06/04/2026`.
pub fn day_vi(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

impl StatsForm {
    /// Reads the query string's values (the first of a repeated key; unknown keys are ignored).
    pub fn read(params: &[(String, String)], defaults: &Defaults) -> Self {
        let get =
            |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
        let or = |value: String, default: String| if value.is_empty() { default } else { value };
        let level = get("level");
        let channel = get("channel");
        Self {
            survey: or(get("survey"), defaults.survey.clone()),
            from: or(
                get("from"),
                NaiveDate::from_ymd_opt(defaults.today.year(), 1, 1).unwrap_or(defaults.today).to_string(),
            ),
            to: or(get("to"), defaults.today.to_string()),
            agency: get("agency"),
            level: parse_level(&level).map_or(level, |l| l.as_str().to_owned()),
            field: get("field"),
            procedure: get("procedure"),
            channel: parse_channel(&channel).map_or(channel, |c| c.as_str().to_owned()),
        }
    }

    /// The set values by parameter name, in the order of the statistics API.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        [
            ("survey", &self.survey),
            ("from", &self.from),
            ("to", &self.to),
            ("agency", &self.agency),
            ("level", &self.level),
            ("field", &self.field),
            ("procedure", &self.procedure),
            ("channel", &self.channel),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key, value.clone()))
        .collect()
    }

    /// The request, or every problem of the form.
    pub fn query(&self, catalog: &SurveyCatalog) -> Result<StatsQuery, Vec<String>> {
        let mut problems = Vec::new();
        if catalog.get(&self.survey).is_none() {
            problems.push(format!("Không có phiếu khảo sát “{}”. Hãy chọn một phiếu trong danh sách.", self.survey));
        }
        let mut day = |text: &str| {
            parse_day(text).unwrap_or_else(|e| {
                problems.push(e);
                None
            })
        };
        let (from, to) = (day(&self.from), day(&self.to));
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                problems.push(format!(
                    "Ngày kết thúc ({}) ở trước ngày bắt đầu ({}). Hãy chọn lại khoảng thời gian.",
                    day_vi(to),
                    day_vi(from)
                ));
            } else if (to - from).num_days() >= MAX_PERIOD_DAYS {
                problems.push(format!("Khoảng thời gian dài quá {MAX_PERIOD_DAYS} ngày. Hãy chọn khoảng ngắn hơn."));
            }
        }
        if !self.level.is_empty() && parse_level(&self.level).is_none() {
            problems.push(format!("Cấp “{}” không hợp lệ (tỉnh, huyện hoặc xã).", self.level));
        }
        if !self.channel.is_empty() && parse_channel(&self.channel).is_none() {
            problems.push(format!("Hình thức nộp “{}” không hợp lệ (trực tiếp hoặc trực tuyến).", self.channel));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let params: Vec<(String, String)> =
            self.params().into_iter().map(|(key, value)| (key.to_owned(), value)).collect();
        // The checks above cover the parser's; a message from it would still be shown.
        StatsQuery::from_params(&params).map_err(|e| vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn defaults() -> Defaults {
        Defaults { survey: "sipas-2017".into(), today: NaiveDate::from_ymd_opt(2026, 4, 6).unwrap() }
    }

    fn catalog() -> SurveyCatalog {
        crate::surveys::settings::load_catalog(&crate::config::Config::default().survey).unwrap()
    }

    #[test]
    fn empty_means_this_year_to_date() {
        let form = StatsForm::read(&[], &defaults());
        assert_eq!(
            (form.survey.as_str(), form.from.as_str(), form.to.as_str()),
            ("sipas-2017", "2026-01-01", "2026-04-06")
        );
        let query = form.query(&catalog()).unwrap();
        assert_eq!(
            (query.from.to_string(), query.to.to_string(), query.group_by),
            ("2026-01-01".into(), "2026-04-06".into(), None)
        );
    }

    #[test]
    fn filters_are_read_and_spellings_normalised() {
        let form = StatsForm::read(
            &params(&[
                ("agency", " H27.01 "),
                ("level", "xã"),
                ("channel", "Trực tuyến"),
                ("group_by", "month"),
                ("x", "1"),
            ]),
            &defaults(),
        );
        assert_eq!((form.agency.as_str(), form.level.as_str(), form.channel.as_str()), ("H27.01", "xa", "truc_tuyen"));
        let query = form.query(&catalog()).unwrap();
        assert_eq!(query.filter.agency.as_deref(), Some("H27.01"));
        assert_eq!(query.filter.channel.as_deref(), Some("truc_tuyen"));
        assert_eq!(
            form.params().iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["survey", "from", "to", "agency", "level", "channel"]
        );
    }

    #[test]
    fn problems_in_vietnamese() {
        let problems =
            |pairs: &[(&str, &str)]| StatsForm::read(&params(pairs), &defaults()).query(&catalog()).unwrap_err();
        assert!(problems(&[("from", "2026-02-30")])[0].contains("Ngày “2026-02-30” không hợp lệ"));
        assert!(
            problems(&[("from", "2026-03-01"), ("to", "2026-02-01")])[0].contains("ở trước ngày bắt đầu (01/03/2026)")
        );
        assert!(problems(&[("from", "2000-01-01"), ("to", "2026-01-01")])[0].contains("dài quá"));
        assert!(problems(&[("survey", "khong-co")])[0].contains("Không có phiếu khảo sát “khong-co”"));
        assert!(problems(&[("level", "ấp")])[0].contains("Cấp “ấp”"));
        assert_eq!(problems(&[("to", "hôm qua"), ("channel", "bưu điện")]).len(), 2);
    }
}

//! What the survey pages of the console show: the overview with counts by status, the dossier
//! list, the dossier file upload with its progress and error report, and the opt-out list.

use askama::Template;

use super::paths;
use super::views::{Choice, Chrome};
use crate::surveys::overview::{DossierAccess, SurveyStatus};

/// A count as officials write it: `1.234.567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A stored `84…` mobile number as people write it: `0912 345 678` (others unchanged).
pub fn phone_display(phone: &str) -> String {
    match phone.strip_prefix("84") {
        Some(rest) if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            format!("0{} {} {}", &rest[..3], &rest[3..6], &rest[6..])
        }
        _ => phone.to_owned(),
    }
}

/// A tab of the survey section.
#[derive(Debug, Clone)]
pub struct Tab {
    pub label: &'static str,
    pub href: &'static str,
    pub active: bool,
}

/// Which survey page is shown (for the tabs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyTab {
    Overview,
    Dossiers,
    Imports,
    OptOuts,
}

/// The section's tabs the user may use.
pub fn tabs(access: DossierAccess, current: SurveyTab) -> Vec<Tab> {
    let mut tabs = vec![
        Tab { label: "Tổng quan", href: paths::SURVEYS, active: current == SurveyTab::Overview },
        Tab { label: "Hồ sơ", href: paths::SURVEY_DOSSIERS, active: current == SurveyTab::Dossiers },
    ];
    if access == DossierAccess::Full {
        tabs.push(Tab {
            label: "Nhập hồ sơ từ tệp",
            href: paths::SURVEY_IMPORTS,
            active: current == SurveyTab::Imports,
        });
        tabs.push(Tab {
            label: "Từ chối khảo sát",
            href: paths::SURVEY_OPT_OUTS,
            active: current == SurveyTab::OptOuts,
        });
    }
    tabs
}

/// A status as a CSS modifier.
pub fn survey_status_class(status: SurveyStatus) -> &'static str {
    match status {
        SurveyStatus::Scheduled => "scheduled",
        SurveyStatus::Skipped => "skipped",
        SurveyStatus::Sent | SurveyStatus::Answering => "sent",
        SurveyStatus::Answered => "answered",
        SurveyStatus::Expired => "expired",
        SurveyStatus::Unreachable => "unreachable",
    }
}

/// One status with its count, linking to its dossiers.
#[derive(Debug, Clone)]
pub struct StatusCard {
    pub label: &'static str,
    pub description: &'static str,
    pub count: String,
    pub href: String,
    pub class: &'static str,
}

/// A skip reason with its count.
#[derive(Debug, Clone)]
pub struct ReasonRow {
    pub label: &'static str,
    pub count: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
pub struct SurveysPage {
    pub chrome: Chrome,
    pub tabs: Vec<Tab>,
    pub from: String,
    pub to: String,
    pub period_note: String,
    pub error: Option<String>,
    pub dossiers: String,
    pub dispatched: String,
    pub response_rate: Option<String>,
    pub cards: Vec<StatusCard>,
    pub reasons: Vec<ReasonRow>,
    pub dossiers_href: String,
    pub can_import: bool,
}

/// The citizen of a dossier, for users who may see it.
#[derive(Debug, Clone)]
pub struct ContactView {
    pub name: String,
    pub phone: String,
    pub zalo: bool,
}

#[derive(Debug, Clone)]
pub struct DossierRowView {
    pub code: String,
    pub procedure_name: String,
    pub procedure_code: String,
    pub field: String,
    pub agency_name: String,
    pub level: &'static str,
    pub channel: &'static str,
    pub completed: String,
    pub contact: Option<ContactView>,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// When and how: "Gửi 03/03/2026 08:00", "Lý do: …".
    pub status_detail: String,
}

#[derive(Template)]
#[template(path = "survey_dossiers.html")]
pub struct DossiersPage {
    pub chrome: Chrome,
    pub tabs: Vec<Tab>,
    pub q: String,
    pub statuses: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub show_contact: bool,
    pub rows: Vec<DossierRowView>,
    pub total: String,
    pub page: u64,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub error: Option<String>,
    pub filtered: bool,
}

/// An import in the list of recent ones.
#[derive(Debug, Clone)]
pub struct ImportRowView {
    pub href: String,
    pub file_name: String,
    pub uploaded: String,
    pub uploaded_by: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "survey_imports.html")]
pub struct ImportsPage {
    pub chrome: Chrome,
    pub tabs: Vec<Tab>,
    pub error: Option<String>,
    pub max_mb: usize,
    pub rows: Vec<ImportRowView>,
}

/// One problem of a refused file.
#[derive(Debug, Clone)]
pub struct ProblemRow {
    pub line: u64,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "survey_import.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub tabs: Vec<Tab>,
    /// Seconds until the page reloads itself while the import runs.
    pub refresh: Option<u32>,
    pub file_name: String,
    pub size: String,
    pub uploaded: String,
    pub uploaded_by: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub running: bool,
    pub rows_total: Option<String>,
    pub rows_checked: String,
    pub rows_stored: String,
    pub checked_percent: u32,
    pub stored_percent: u32,
    pub imported: bool,
    pub created: String,
    pub updated: String,
    pub unchanged: String,
    pub rejected: bool,
    pub problem_count: String,
    pub problems: Vec<ProblemRow>,
    /// Only the first problems are kept and shown.
    pub problems_cut: bool,
    pub failed: Option<String>,
    pub finished: String,
}

#[derive(Debug, Clone)]
pub struct OptOutRowView {
    pub kind: &'static str,
    pub value: String,
    pub source: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "survey_opt_outs.html")]
pub struct OptOutsPage {
    pub chrome: Chrome,
    pub tabs: Vec<Tab>,
    pub q: String,
    pub searched: bool,
    pub rows: Vec<OptOutRowView>,
    pub total: String,
    pub page: u64,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1.000");
        assert_eq!(thousands(1234567), "1.234.567");
    }

    #[test]
    fn phones_read_the_local_way() {
        assert_eq!(phone_display("84912345678"), "0912 345 678");
        assert_eq!(phone_display("1234567890123"), "1234567890123");
    }
}

//! The survey pages: `GET /console/surveys` (counts by status over a completion period),
//! `GET /console/surveys/dossiers` (the dossiers with their survey: filters, paging; names and
//! phones only for full access, each such view audited) and `GET /console/surveys/opt-outs`
//! (the opt-out list, full access, audited). Who sees what is `surveys::overview::access_for`;
//! the store applies it in the query. The dossier file upload is in `survey_imports.rs`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::audit::{day_start, parse_day};
use super::{chrome, require};
use crate::app::AppState;
use crate::auth::audit::{AuditAction, NewAuditEntry};
use crate::console::error::{ConsoleError, ConsoleResult};
use crate::console::paths;
use crate::console::request::CurrentUser;
use crate::console::survey_views::{
    phone_display, survey_status_class, tabs, thousands, ContactView, DossierRowView, DossiersPage, OptOutRowView,
    OptOutsPage, ReasonRow, StatusCard, SurveyTab, SurveysPage,
};
use crate::console::views::{local_time, render, Choice, Place, Section};
use crate::surveys::dossiers::{parse_channel, parse_level};
use crate::surveys::model::{DossierChannel, Level, SkipReason};
use crate::surveys::overview::{
    access_for, answer_channel_label, channel_label, level_label, opt_out_source_label, skip_reason_label,
    DossierAccess, DossierFilter, DossierSummary, OptOutKind, SurveyStatus,
};
use crate::zalo::phone::normalize_vn_phone;

/// Dossiers per page.
pub const PAGE_SIZE: u32 = 25;
/// Opt-out entries per page.
pub const OPT_OUT_PAGE_SIZE: u32 = 50;

/// What the user may see of surveys; 403 for roles that see none.
pub fn survey_access(user: &CurrentUser) -> ConsoleResult<DossierAccess> {
    access_for(&user.principal).ok_or(ConsoleError::Forbidden)
}

/// The survey section's title in the layout.
pub const TITLE: &str = "Khảo sát mức độ hài lòng";

#[derive(Debug, Default, Deserialize)]
pub struct DossierQuery {
    q: Option<String>,
    status: Option<String>,
    level: Option<String>,
    channel: Option<String>,
    agency: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The completion period `from`…`to` (local days, inclusive) as UTC bounds.
fn read_period(
    from: Option<&String>,
    to: Option<&String>,
    tz: Tz,
    problems: &mut Vec<String>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let mut day = |text: Option<&String>| {
        parse_day(text.map_or("", String::as_str)).unwrap_or_else(|e| {
            problems.push(e);
            None
        })
    };
    let from_day = day(from);
    let to_day = day(to);
    let start = from_day.and_then(|d| day_start(d, tz));
    let until = to_day.and_then(|d| d.checked_add_days(Days::new(1))).and_then(|d| day_start(d, tz));
    (start, until)
}

/// The filter the query asks for, the problems found in it, and the page number.
fn read_dossier_query(query: &DossierQuery, tz: Tz) -> (DossierFilter, Vec<String>, u64) {
    let mut problems = Vec::new();
    let mut filter = DossierFilter { text: given(query.q.as_ref()).map(str::to_owned), ..DossierFilter::default() };
    if let Some(code) = given(query.status.as_ref()) {
        match SurveyStatus::parse(code) {
            Some(status) => filter.status = Some(status),
            None => problems.push(format!("Không có tình trạng “{code}”.")),
        }
    }
    if let Some(text) = given(query.level.as_ref()) {
        match parse_level(text) {
            Some(level) => filter.level = Some(level),
            None => problems.push(format!("Cấp “{text}” không hợp lệ.")),
        }
    }
    if let Some(text) = given(query.channel.as_ref()) {
        match parse_channel(text) {
            Some(channel) => filter.channel = Some(channel),
            None => problems.push(format!("Hình thức “{text}” không hợp lệ.")),
        }
    }
    filter.agency = given(query.agency.as_ref()).map(str::to_owned);
    (filter.completed_from, filter.completed_until) =
        read_period(query.from.as_ref(), query.to.as_ref(), tz, &mut problems);
    let page = given(query.page.as_ref()).and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    (filter, problems, page)
}

/// A survey page's URL for these query values (empty ones left out).
fn href(base: &str, pairs: &[(&str, Option<&str>)]) -> String {
    paths::with_query(base, pairs)
}

fn dossiers_href(query: &DossierQuery, page: u64) -> String {
    let page = page.to_string();
    href(
        paths::SURVEY_DOSSIERS,
        &[
            ("q", query.q.as_deref()),
            ("status", query.status.as_deref()),
            ("level", query.level.as_deref()),
            ("channel", query.channel.as_deref()),
            ("agency", query.agency.as_deref()),
            ("from", query.from.as_deref()),
            ("to", query.to.as_deref()),
            ("page", Some(&page)),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// The overview

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<PeriodQuery>,
) -> ConsoleResult<Response> {
    let access = survey_access(&user)?;
    let mut problems = Vec::new();
    let (completed_from, completed_until) =
        read_period(query.from.as_ref(), query.to.as_ref(), state.config.timezone(), &mut problems);
    let filter = DossierFilter { completed_from, completed_until, ..DossierFilter::default() };
    let counts = state.store.survey_overview.survey_counts(&filter).await?;
    let status_href = |status: Option<SurveyStatus>| {
        href(
            paths::SURVEY_DOSSIERS,
            &[
                ("status", status.map(SurveyStatus::as_str)),
                ("from", query.from.as_deref()),
                ("to", query.to.as_deref()),
            ],
        )
    };
    let cards = SurveyStatus::ALL
        .into_iter()
        .map(|status| StatusCard {
            label: status.label(),
            description: status.description(),
            count: thousands(status.state().map_or(counts.unreachable, |s| counts.state(s))),
            href: status_href(Some(status)),
            class: survey_status_class(status),
        })
        .collect();
    let reasons = SkipReason::ALL
        .into_iter()
        .map(|reason| ReasonRow { label: skip_reason_label(reason), count: thousands(counts.reason(reason)) })
        .collect();
    let period_note = match (given(query.from.as_ref()), given(query.to.as_ref())) {
        (None, None) => "Mọi hồ sơ đã nhận.".to_owned(),
        (from, to) => format!(
            "Hồ sơ hoàn thành {}{}.",
            from.map(|f| format!("từ ngày {f} ")).unwrap_or_default(),
            to.map(|t| format!("đến hết ngày {t}")).unwrap_or_default()
        ),
    };
    let view = SurveysPage {
        chrome: chrome(&state, &user, TITLE, Place::Section(Section::Surveys)).await?,
        tabs: tabs(access, SurveyTab::Overview),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        period_note,
        error: (!problems.is_empty()).then(|| problems.join(" ")),
        dossiers: thousands(counts.dossiers),
        dispatched: thousands(counts.dispatched()),
        response_rate: counts.response_rate().map(|r| format!("{r:.1}").replace('.', ",")),
        cards,
        reasons,
        dossiers_href: status_href(None),
        can_import: access == DossierAccess::Full,
    };
    render(&view, StatusCode::OK)
}

// ---------------------------------------------------------------------------------------------
// The dossiers

fn status_detail(d: &DossierSummary, tz: Tz) -> String {
    let at = |t: Option<DateTime<Utc>>| t.map(|t| local_time(t, tz)).unwrap_or_default();
    match d.status() {
        SurveyStatus::Scheduled => format!("Dự kiến gửi {}", at(d.due_at)),
        SurveyStatus::Skipped => d.skip_reason.map(skip_reason_label).unwrap_or_default().to_owned(),
        SurveyStatus::Sent => format!("Gửi {} · nhận trả lời đến {}", at(d.sent_at), at(d.expires_at)),
        SurveyStatus::Answering => format!("Gửi {} · đã trả lời một phần", at(d.sent_at)),
        SurveyStatus::Answered => {
            let channel = d.answer_channel.map(answer_channel_label).unwrap_or_default();
            format!("Trả lời {} qua {channel}", at(d.answered_at))
        }
        SurveyStatus::Expired => format!("Gửi {} · hết hạn {}", at(d.sent_at), at(d.expires_at)),
        SurveyStatus::Unreachable => format!("Đến lượt gửi {}; không kênh nào liên lạc được", at(d.sent_at)),
    }
}

fn dossier_row(d: &DossierSummary, access: DossierAccess, tz: Tz) -> DossierRowView {
    let status = d.status();
    DossierRowView {
        code: d.code.clone(),
        procedure_name: d.procedure_name.clone(),
        procedure_code: d.procedure_code.clone(),
        field: d.field.clone(),
        agency_name: d.agency_name.clone(),
        level: level_label(d.level),
        channel: channel_label(d.channel),
        completed: local_time(d.completed_at, tz),
        contact: (access == DossierAccess::Full).then(|| ContactView {
            name: d.citizen_name.clone().unwrap_or_default(),
            phone: d.phone.as_deref().map(phone_display).unwrap_or_default(),
            zalo: d.has_zalo,
        }),
        status_label: status.label(),
        status_class: survey_status_class(status),
        status_detail: status_detail(d, tz),
    }
}

/// Writes the audit entry of a page that showed personal data.
async fn audit_view(
    state: &AppState,
    user: &CurrentUser,
    target: &str,
    details: serde_json::Value,
) -> ConsoleResult<()> {
    let entry = NewAuditEntry::new(state.clock.now(), &user.actor(), AuditAction::SurveyDataViewed)
        .target(target)
        .details(details);
    state.store.audit.append(&entry).await?;
    Ok(())
}

pub async fn dossiers(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DossierQuery>,
) -> ConsoleResult<Response> {
    let access = survey_access(&user)?;
    let tz = state.config.timezone();
    let (filter, problems, page) = read_dossier_query(&query, tz);
    let overview = &state.store.survey_overview;
    let size = u64::from(PAGE_SIZE);
    let mut found = overview.list_dossiers(&filter, access, PAGE_SIZE, (page - 1) * size).await?;
    let pages = found.total.div_ceil(size).max(1);
    let page = if page > pages {
        found = overview.list_dossiers(&filter, access, PAGE_SIZE, (pages - 1) * size).await?;
        pages
    } else {
        page
    };
    if access == DossierAccess::Full {
        let mut shown = Vec::new();
        if found.items.iter().any(|d| d.citizen_name.is_some()) {
            shown.push("citizen_name");
        }
        if found.items.iter().any(|d| d.phone.is_some()) {
            shown.push("phone");
        }
        if !shown.is_empty() {
            let details = json!({"page": page, "rows": found.items.len(), "shown": shown});
            audit_view(&state, &user, "survey_dossiers", details).await?;
        }
    }
    let choice = |value: &str, label: &str, selected: bool| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    };
    let statuses =
        SurveyStatus::ALL.into_iter().map(|s| choice(s.as_str(), s.label(), filter.status == Some(s))).collect();
    let levels = [Level::Tinh, Level::Huyen, Level::Xa]
        .into_iter()
        .map(|l| choice(l.as_str(), level_label(l), filter.level == Some(l)))
        .collect();
    let channels = [DossierChannel::TrucTiep, DossierChannel::TrucTuyen]
        .into_iter()
        .map(|c| choice(c.as_str(), channel_label(c), filter.channel == Some(c)))
        .collect();
    let agencies = overview
        .dossier_agencies()
        .await?
        .into_iter()
        .map(|a| {
            let label = format!("{} ({})", a.name, a.code);
            choice(&a.code, &label, filter.agency.as_deref() == Some(a.code.as_str()))
        })
        .collect();
    let filtered = filter != DossierFilter::default();
    let view = DossiersPage {
        chrome: chrome(&state, &user, "Hồ sơ khảo sát", Place::Section(Section::Surveys)).await?,
        tabs: tabs(access, SurveyTab::Dossiers),
        q: filter.text.clone().unwrap_or_default(),
        statuses,
        levels,
        channels,
        agencies,
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        show_contact: access == DossierAccess::Full,
        rows: found.items.iter().map(|d| dossier_row(d, access, tz)).collect(),
        total: thousands(found.total),
        page,
        pages,
        prev_href: (page > 1).then(|| dossiers_href(&query, page - 1)),
        next_href: (page < pages).then(|| dossiers_href(&query, page + 1)),
        error: (!problems.is_empty()).then(|| problems.join(" ")),
        filtered,
    };
    render(&view, StatusCode::OK)
}

// ---------------------------------------------------------------------------------------------
// The opt-out list

#[derive(Debug, Default, Deserialize)]
pub struct OptOutQuery {
    q: Option<String>,
    page: Option<String>,
}

/// What a search of the opt-out list looks for: a phone number (normalised) or a Zalo id.
fn opt_out_search(text: &str) -> String {
    normalize_vn_phone(text).unwrap_or_else(|_| text.trim().to_owned())
}

pub async fn opt_outs(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<OptOutQuery>,
) -> ConsoleResult<Response> {
    let access = survey_access(&user)?;
    require(access == DossierAccess::Full)?;
    let search = given(query.q.as_ref()).map(opt_out_search);
    let page = given(query.page.as_ref()).and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let size = u64::from(OPT_OUT_PAGE_SIZE);
    let overview = &state.store.survey_overview;
    let (mut rows, total) = overview.list_opt_outs(search.as_deref(), OPT_OUT_PAGE_SIZE, (page - 1) * size).await?;
    let pages = total.div_ceil(size).max(1);
    let page = if page > pages {
        rows = overview.list_opt_outs(search.as_deref(), OPT_OUT_PAGE_SIZE, (pages - 1) * size).await?.0;
        pages
    } else {
        page
    };
    if !rows.is_empty() {
        let details = json!({"page": page, "rows": rows.len(), "search": search.is_some()});
        audit_view(&state, &user, "survey_opt_outs", details).await?;
    }
    let tz = state.config.timezone();
    let page_href = |page: u64| {
        let page = page.to_string();
        href(paths::SURVEY_OPT_OUTS, &[("q", query.q.as_deref()), ("page", Some(&page))])
    };
    let view = OptOutsPage {
        chrome: chrome(&state, &user, "Từ chối khảo sát", Place::Section(Section::Surveys)).await?,
        tabs: tabs(access, SurveyTab::OptOuts),
        q: query.q.clone().unwrap_or_default(),
        searched: search.is_some(),
        rows: rows
            .iter()
            .map(|r| OptOutRowView {
                kind: r.kind.label(),
                value: match r.kind {
                    OptOutKind::Phone => phone_display(&r.value),
                    OptOutKind::ZaloUserId => r.value.clone(),
                },
                source: opt_out_source_label(&r.source).to_owned(),
                at: local_time(r.created_at, tz),
            })
            .collect(),
        total: thousands(total),
        page,
        pages,
        prev_href: (page > 1).then(|| page_href(page - 1)),
        next_href: (page < pages).then(|| page_href(page + 1)),
    };
    render(&view, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_becomes_a_filter() {
        let query = DossierQuery {
            q: Some(" H27 ".into()),
            status: Some("unreachable".into()),
            level: Some("xã".into()),
            channel: Some("truc_tuyen".into()),
            agency: Some("H27.12".into()),
            from: Some("2026-03-01".into()),
            to: Some("2026-03-31".into()),
            page: Some("2".into()),
        };
        let (filter, problems, page) = read_dossier_query(&query, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(page, 2);
        assert_eq!(filter.text.as_deref(), Some("H27"));
        assert_eq!(filter.status, Some(SurveyStatus::Unreachable));
        assert_eq!((filter.level, filter.channel), (Some(Level::Xa), Some(DossierChannel::TrucTuyen)));
        assert_eq!(filter.completed_from.map(|t| t.to_rfc3339()).as_deref(), Some("2026-02-28T17:00:00+00:00"));
        assert_eq!(filter.completed_until.map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-31T17:00:00+00:00"));
        assert_eq!(
            dossiers_href(&query, 3),
            "/console/surveys/dossiers?q=H27&status=unreachable&level=x%C3%A3&channel=truc_tuyen&agency=H27.12&from=2026-03-01&to=2026-03-31&page=3"
        );
    }

    #[test]
    fn bad_filters_are_reported_not_fatal() {
        let query = DossierQuery {
            status: Some("xong".into()),
            level: Some("phường".into()),
            from: Some("01/03/2026".into()),
            ..DossierQuery::default()
        };
        let (filter, problems, page) = read_dossier_query(&query, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(filter, DossierFilter::default());
        assert_eq!(page, 1);
    }

    #[test]
    fn opt_out_searches_normalise_phones() {
        assert_eq!(opt_out_search(" 0912 345 678 "), "84912345678");
        assert_eq!(opt_out_search("2512523625412515"), "2512523625412515");
    }
}

//! The audit log page (administrators only): `GET /console/audit` with filters by user,
//! action and date range (days in the configured time zone), newest first, paged.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::{chrome, require};
use crate::app::AppState;
use crate::auth::audit::{AuditAction, AuditEntry, AuditFilter};
use crate::console::error::ConsoleResult;
use crate::console::paths::{self, encode_component};
use crate::console::request::CurrentUser;
use crate::console::views::{local_time_precise, render, AuditPage, AuditRow, Choice, Place, Section};

/// Entries per page.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

/// The start of a local calendar day, in UTC.
pub(super) fn day_start(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|at| at.with_timezone(&Utc))
}

pub(crate) fn parse_day(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("Ngày “{text}” không hợp lệ (cần dạng năm-tháng-ngày, ví dụ 2026-03-02)."))
}

/// The filter the query asks for, the problems found in it, and the page number.
fn read_query(query: &AuditQuery, tz: Tz) -> (AuditFilter, Vec<String>, u64) {
    let mut problems = Vec::new();
    let actor = query.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned);
    let action = match query.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(code) => {
            let parsed = AuditAction::parse(code);
            if parsed.is_none() {
                problems.push(format!("Không có loại thao tác “{code}”."));
            }
            parsed
        }
    };
    let mut day = |text: Option<&str>| {
        parse_day(text.unwrap_or_default()).unwrap_or_else(|e| {
            problems.push(e);
            None
        })
    };
    let from_day = day(query.from.as_deref());
    let to_day = day(query.to.as_deref());
    let from = from_day.and_then(|d| day_start(d, tz));
    let until = to_day.and_then(|d| d.checked_add_days(Days::new(1))).and_then(|d| day_start(d, tz));
    let page = query.page.as_deref().and_then(|p| p.trim().parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    (AuditFilter { actor, action, from, until }, problems, page)
}

/// The audit page's URL for the same filters and another page.
fn page_href(query: &AuditQuery, page: u64) -> String {
    let mut parts = Vec::new();
    for (key, value) in [("actor", &query.actor), ("action", &query.action), ("from", &query.from), ("to", &query.to)] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{key}={}", encode_component(value)));
        }
    }
    parts.push(format!("page={page}"));
    format!("{}?{}", paths::AUDIT, parts.join("&"))
}

fn row(entry: AuditEntry, tz: Tz) -> AuditRow {
    let action = AuditAction::parse(&entry.action).map_or_else(|| entry.action.clone(), |a| a.label().to_owned());
    let details = describe_details(&entry.details);
    AuditRow {
        at: local_time_precise(entry.at, tz),
        actor: entry.actor,
        action,
        target: entry.target.unwrap_or_default(),
        details,
        ip: entry.ip.unwrap_or_default(),
    }
}

/// Details as officials read them: `role: officer · department: STP`, with sign-in failure
/// reasons in words.
fn describe_details(details: &serde_json::Value) -> String {
    let serde_json::Value::Object(map) = details else {
        return if details.is_null() { String::new() } else { details.to_string() };
    };
    map.iter()
        .map(|(key, value)| match (key.as_str(), value.as_str()) {
            ("reason", Some(code)) => format!("lý do: {}", failure_reason(code)),
            (_, Some(text)) => format!("{key}: {text}"),
            (_, None) => format!("{key}: {value}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn failure_reason(code: &str) -> &str {
    match code {
        "wrong_password" => "sai mật khẩu",
        "wrong_password_now_locked" => "sai mật khẩu, tài khoản bị tạm khóa",
        "locked" => "tài khoản đang tạm khóa",
        "disabled" => "tài khoản đã bị khóa",
        "unknown_user" => "không có tài khoản này",
        other => other,
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> ConsoleResult<Response> {
    require(user.principal.can_view_audit())?;
    let tz = state.config.timezone();
    let (filter, problems, page) = read_query(&query, tz);
    let total = state.store.audit.count(&filter).await?;
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let page = page.min(pages);
    let offset = (page - 1) * u64::from(PAGE_SIZE);
    let entries = state.store.audit.query(&filter, PAGE_SIZE, offset).await?;
    let actions = AuditAction::ALL
        .into_iter()
        .map(|a| Choice {
            value: a.as_str().to_owned(),
            label: a.label().to_owned(),
            selected: filter.action == Some(a),
        })
        .collect();
    let view = AuditPage {
        chrome: chrome(&state, &user, "Nhật ký", Place::Section(Section::Audit)).await?,
        actor: filter.actor.clone().unwrap_or_default(),
        actions,
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        rows: entries.into_iter().map(|e| row(e, tz)).collect(),
        total,
        page,
        pages,
        prev_href: (page > 1).then(|| page_href(&query, page - 1)),
        next_href: (page < pages).then(|| page_href(&query, page + 1)),
        error: (!problems.is_empty()).then(|| problems.join(" ")),
    };
    render(&view, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_in_the_local_time_zone() {
        let query = AuditQuery {
            from: Some("2026-03-02".into()),
            to: Some("2026-03-02".into()),
            action: Some("sign_in".into()),
            actor: Some("  Admin ".into()),
            page: Some("3".into()),
        };
        let (filter, problems, page) = read_query(&query, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(page, 3);
        assert_eq!(filter.actor.as_deref(), Some("Admin"));
        assert_eq!(filter.action, Some(AuditAction::SignIn));
        assert_eq!(filter.from, Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).single());
        assert_eq!(filter.until, Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).single());
    }

    #[test]
    fn bad_filters_are_reported_not_fatal() {
        let query =
            AuditQuery { from: Some("02/03/2026".into()), action: Some("nope".into()), ..AuditQuery::default() };
        let (filter, problems, page) = read_query(&query, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(filter, AuditFilter::default());
        assert_eq!(page, 1);
    }

    #[test]
    fn details_read_as_words() {
        let details = serde_json::json!({"reason": "wrong_password_now_locked", "role": "officer", "n": 3});
        assert_eq!(describe_details(&details), "n: 3 · lý do: sai mật khẩu, tài khoản bị tạm khóa · role: officer");
        assert_eq!(describe_details(&serde_json::json!({})), "");
    }

    #[test]
    fn paging_links_keep_the_filters() {
        let query = AuditQuery { actor: Some("an.nv".into()), action: Some("sign_in".into()), ..AuditQuery::default() };
        assert_eq!(page_href(&query, 2), "/console/audit?actor=an.nv&action=sign_in&page=2");
    }
}

//! The console's pages as compile-time checked templates (`templates/*.html`, askama), the
//! shared layout's data ([`Chrome`]) and the sections of the navigation, shown by role.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::error::{ConsoleError, ErrorPage};
use super::{assets, catalogue_facts, paths};
use crate::auth::sessions::{ActiveSession, Flash, FlashKind};
use crate::auth::users::Principal;
use crate::console::settings::ConsoleConfig;

/// A part of the console. Sections whose pages do not exist yet have no link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Tickets,
    Chat,
    Surveys,
    Stats,
    Audit,
    Users,
}

impl Section {
    pub const ALL: [Self; 6] = [Self::Tickets, Self::Chat, Self::Surveys, Self::Stats, Self::Audit, Self::Users];

    pub fn title(self) -> &'static str {
        match self {
            Self::Tickets => "Phản ánh, kiến nghị",
            Self::Chat => "Trò chuyện với người dân",
            Self::Surveys => "Khảo sát",
            Self::Stats => "Thống kê",
            Self::Audit => "Nhật ký",
            Self::Users => "Người dùng",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Tickets => "Tiếp nhận, xử lý, chuyển và trả lời phản ánh, kiến nghị của người dân.",
            Self::Chat => "Nhắn tin với người dân qua Zalo OA khi họ cần gặp cán bộ.",
            Self::Surveys => "Theo dõi khảo sát mức độ hài lòng (SIPAS) về thủ tục hành chính.",
            Self::Stats => "Chỉ số hài lòng, số liệu phản ánh theo lĩnh vực, đơn vị, thời hạn; xuất báo cáo.",
            Self::Audit => "Ai đã đăng nhập, xem thông tin cá nhân hoặc thay đổi dữ liệu, khi nào, từ đâu.",
            Self::Users => "Tạo tài khoản, phân vai trò và đơn vị, khóa tài khoản, đặt lại mật khẩu.",
        }
    }

    /// The section's page, once it exists.
    pub fn href(self) -> Option<&'static str> {
        match self {
            Self::Audit => Some(paths::AUDIT),
            Self::Users => Some(paths::USERS),
            Self::Tickets => Some(paths::TICKETS),
            Self::Chat => Some(paths::CHATS),
            Self::Surveys => Some(paths::SURVEYS),
            Self::Stats => Some(paths::STATS),
        }
    }

    /// Whether the user's role may use the section.
    pub fn allowed(self, principal: &Principal) -> bool {
        match self {
            Self::Tickets => principal.department_scope() != crate::auth::users::TicketScope::None,
            Self::Chat => crate::handoff::ChatScope::of(principal) != crate::handoff::ChatScope::None,
            Self::Surveys => crate::surveys::overview::access_for(principal).is_some(),
            Self::Stats => principal.can_view_stats(),
            Self::Audit => principal.can_view_audit(),
            Self::Users => principal.can_manage_users(),
        }
    }
}

/// Which navigation entry the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Home,
    Section(Section),
    Password,
    Elsewhere,
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub active: bool,
    /// A count shown beside the label (citizens waiting for an officer).
    pub badge: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct UserBadge {
    pub display_name: String,
    pub username: String,
    pub role_label: &'static str,
    pub department_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FlashView {
    /// `success` or `error` (CSS modifier).
    pub class: &'static str,
    pub text: String,
}

impl From<Flash> for FlashView {
    fn from(flash: Flash) -> Self {
        let class = match flash.kind {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
        };
        Self { class, text: flash.text }
    }
}

/// What the shared layout shows around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub site_name: String,
    pub hotline: String,
    pub title: String,
    pub stylesheet: String,
    pub user: Option<UserBadge>,
    pub nav: Vec<NavLink>,
    /// The CSRF token every form carries.
    pub csrf: String,
    pub flash: Option<FlashView>,
}

impl Chrome {
    /// The layout for a visitor who is not signed in.
    pub fn anonymous(config: &ConsoleConfig, title: &str) -> Self {
        Self {
            site_name: config.site_name.clone(),
            hotline: catalogue_facts().hotline.clone(),
            title: title.to_owned(),
            stylesheet: assets::stylesheet_href(),
            user: None,
            nav: Vec::new(),
            csrf: String::new(),
            flash: None,
        }
    }

    /// The layout for a signed-in user.
    pub fn signed_in(
        config: &ConsoleConfig,
        session: &ActiveSession,
        title: &str,
        place: Place,
        flash: Option<Flash>,
    ) -> Self {
        let principal = session.user.principal();
        let mut nav =
            vec![NavLink { label: "Trang chính", href: paths::HOME, active: place == Place::Home, badge: None }];
        if !session.user.must_change_password {
            for section in Section::ALL {
                if let (Some(href), true) = (section.href(), section.allowed(&principal)) {
                    nav.push(NavLink {
                        label: section.title(),
                        href,
                        active: place == Place::Section(section),
                        badge: None,
                    });
                }
            }
        }
        nav.push(NavLink {
            label: "Đổi mật khẩu",
            href: paths::PASSWORD,
            active: place == Place::Password,
            badge: None,
        });
        let user = UserBadge {
            display_name: session.user.display_name.clone(),
            username: session.user.username.clone(),
            role_label: session.user.role.label(),
            department_name: session.user.department.as_deref().map(department_name),
        };
        Self {
            user: Some(user),
            nav,
            csrf: session.csrf_token.clone(),
            flash: flash.map(FlashView::from),
            ..Self::anonymous(config, title)
        }
    }
}

/// A department's name from the catalogue (the code itself when the catalogue lacks it).
pub fn department_name(code: &str) -> String {
    catalogue_facts().departments.iter().find(|d| d.code == code).map_or_else(|| code.to_owned(), |d| d.name.clone())
}

/// A time as officials read it, in the configured time zone: `02/03/2026 08:05`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// A time to the second, for the audit log: `02/03/2026 08:05:09`.
pub fn local_time_precise(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string()
}

/// A choice in a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Renders a template as an HTML response with `status`.
pub fn render(template: &impl Template, status: StatusCode) -> Result<Response, ConsoleError> {
    Ok((status, Html(template.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

pub struct SectionCard {
    pub title: &'static str,
    pub description: &'static str,
    pub href: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub display_name: String,
    pub role_label: &'static str,
    pub department_name: Option<String>,
    pub last_login: Option<String>,
    pub cards: Vec<SectionCard>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub chrome: Chrome,
    pub must_change: bool,
    pub min_length: usize,
    pub error: Option<String>,
}

pub struct UserRow {
    pub username: String,
    pub display_name: String,
    pub role_label: &'static str,
    pub department_name: String,
    /// `active`, `locked` or `disabled` (CSS modifier).
    pub status_class: &'static str,
    pub status_label: &'static str,
    pub last_login: String,
    pub disabled: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub rows: Vec<UserRow>,
    pub roles: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub username: String,
    pub display_name: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "password_shown.html")]
pub struct PasswordShownPage {
    pub chrome: Chrome,
    pub heading: &'static str,
    pub username: String,
    pub display_name: String,
    pub password: String,
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub actor: String,
    pub actions: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: &'static str,
    pub message: &'static str,
    pub incident: Option<String>,
}

impl ErrorView {
    pub fn new(chrome: Chrome, page: &ErrorPage, csrf: bool) -> Self {
        let (heading, message) = if csrf {
            (
                "Phiên làm việc không hợp lệ",
                "Biểu mẫu đã cũ hoặc không được gửi từ trang quản trị. Hãy tải lại trang rồi thực hiện lại.",
            )
        } else {
            page.text()
        };
        Self { chrome, status: page.status.as_u16(), heading, message, incident: page.incident.clone() }
    }
}

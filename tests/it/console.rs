//! The officials' console through the real router (`oneshot`) on both backends, with a manual
//! clock: signing in and out, lock-out, CSRF, session expiry, password change, open redirects,
//! the role access matrix, error pages and the audit trail of every audited action.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use tongdai::auth::audit::{Actor, AuditAction, AuditFilter, NewAuditEntry};
use tongdai::auth::users::{self, Role, UserInput};
use tongdai::clock::{Clock, ManualClock, SharedClock};
use tongdai::config::Config;
use tongdai::console::paths::encode_component;

use crate::support::{on_both_backends, TestDb};

/// The address a (trusted) proxy reports for every test request.
const CLIENT_IP: &str = "203.0.113.9";
const FAILED: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";
const CSRF_PAGE: &str = "Phiên làm việc không hợp lệ";

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    /// The value of cookie `name` set by this reply.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
    }

    fn set_cookie_header(&self, name: &str) -> Option<&String> {
        self.cookies.iter().find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The first CSRF token in the page's forms.
    fn csrf(&self) -> String {
        let start = self.body.find(r#"name="_csrf" value=""#).expect("a form with a CSRF field") + 20;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A browser with a session.
#[derive(Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

struct Harness {
    db: TestDb,
    clock: Arc<ManualClock>,
    router: Router,
    config: Config,
}

impl Harness {
    fn new(db: TestDb) -> Self {
        let mut config = Config::default();
        config.console.trust_proxy = true;
        Self::with_config(db, config)
    }

    fn with_config(db: TestDb, config: Config) -> Self {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()));
        let shared: SharedClock = clock.clone();
        let state = crate::support::app_state_with_clock(&db, config.clone(), None, shared);
        Self { router: tongdai::web::router(state), db, clock, config }
    }

    /// Adds an account (as the command line would) and returns its password.
    async fn user(&self, username: &str, role: Role, department: Option<&str>) -> String {
        let password = format!("mật khẩu của {username}");
        let input = UserInput {
            username: username.to_owned(),
            display_name: format!("Cán bộ {username}"),
            role,
            department: department.map(str::to_owned),
            password: password.clone(),
            must_change_password: false,
        };
        let departments = tongdai::bot::catalogue::default_catalogue().unwrap().departments().to_vec();
        users::add_user(
            &self.db.store,
            &Actor::cli(),
            input,
            self.config.console.password_rules(),
            &departments,
            self.clock.now(),
        )
        .await
        .unwrap();
        password
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let cookies = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, location, cookies, headers, body: String::from_utf8_lossy(&body).into_owned() }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path).header("x-forwarded-for", CLIENT_IP);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let body: Vec<String> =
            form.iter().map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v))).collect();
        let mut request = Request::post(path)
            .header("x-forwarded-for", CLIENT_IP)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body.join("&"))).unwrap()).await
    }

    /// Opens the sign-in page: the login cookie and the form's token.
    async fn login_form(&self) -> (String, String) {
        let page = self.get("/console/login", None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let token = page.cookie("tongdai_login").expect("the sign-in page sets its CSRF cookie");
        assert_eq!(page.csrf(), token);
        (format!("tongdai_login={token}"), token)
    }

    async fn try_sign_in(&self, username: &str, password: &str, next: Option<&str>) -> Reply {
        let (cookie, token) = self.login_form().await;
        let mut form = vec![("_csrf", token.as_str()), ("username", username), ("password", password)];
        if let Some(next) = next {
            form.push(("next", next));
        }
        self.post("/console/login", Some(&cookie), &form).await
    }

    async fn sign_in(&self, username: &str, password: &str) -> Browser {
        let reply = self.try_sign_in(username, password, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let session = reply.cookie("tongdai_session").expect("a session cookie");
        let cookie = format!("tongdai_session={session}");
        let home = self.get("/console/password", Some(&cookie)).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        Browser { csrf: home.csrf(), cookie }
    }

    async fn audit(&self, action: AuditAction) -> Vec<tongdai::auth::audit::AuditEntry> {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        self.db.store.audit.query(&filter, 100, 0).await.unwrap()
    }
}

async fn signing_in_succeeds_or_fails_alike_for_every_cause(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("lan.nt", Role::Officer, Some("SNV")).await;
    h.user("tat", Role::Viewer, None).await;
    let disabled = h.user("nghi", Role::Viewer, None).await;
    users::set_user_disabled(&h.db.store, &Actor::cli(), "nghi", true, h.clock.now()).await.unwrap();

    for (username, tried) in [("lan.nt", "sai mật khẩu"), ("khong.co", "bất kỳ mật khẩu"), ("nghi", disabled.as_str())]
    {
        let reply = h.try_sign_in(username, tried, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{username}");
        assert!(reply.body.contains(FAILED), "{}", reply.body);
        assert!(reply.cookie("tongdai_session").is_none());
        assert!(reply.body.contains(&format!(r#"value="{username}""#)), "the username is kept in the form");
    }

    let reply = h.try_sign_in("  LAN.NT ", &password, None).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/console/"));
    let set_cookie = reply.set_cookie_header("tongdai_session").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/console") && !set_cookie.contains("Secure"), "{set_cookie}");
    let session_id = reply.cookie("tongdai_session").unwrap();
    assert_eq!(session_id.len(), 64, "256 random bits in hex");

    let home = h.get("/console/", Some(&format!("tongdai_session={session_id}"))).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Xin chào, Cán bộ lan.nt") && home.body.contains("Sở Nội vụ"), "{}", home.body);
    assert_eq!(home.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(home.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("frame-ancestors"));
    let user = h.db.store.users.user_by_username("lan.nt").await.unwrap().unwrap();
    assert_eq!(user.last_login_at, Some(h.clock.now()));

    // Only the hash of the session id is stored.
    let hash = tongdai::auth::sessions::hash_session_id(&session_id);
    assert!(h.db.store.sessions.session_with_user(&hash).await.unwrap().is_some());
    assert!(h.db.store.sessions.session_with_user(&session_id).await.unwrap().is_none());

    // Signed in already: the sign-in page moves on.
    let again = h.get("/console/login", Some(&format!("tongdai_session={session_id}"))).await;
    assert_eq!(again.location.as_deref(), Some("/console/"));

    // Signing in again from the same browser replaces its session.
    let (login_cookie, token) = h.login_form().await;
    let both = format!("{login_cookie}; tongdai_session={session_id}");
    let form = [("_csrf", token.as_str()), ("username", "lan.nt"), ("password", password.as_str())];
    let replaced = h.post("/console/login", Some(&both), &form).await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER);
    assert_ne!(replaced.cookie("tongdai_session").unwrap(), session_id);
    assert!(h.db.store.sessions.session_with_user(&hash).await.unwrap().is_none(), "the old session is gone");
}

async fn secure_cookies_when_configured(db: TestDb) {
    let mut config = Config::default();
    config.console.secure_cookies = true;
    let h = Harness::with_config(db, config);
    let password = h.user("an.qt", Role::Admin, None).await;
    let page = h.get("/console/login", None).await;
    assert!(page.set_cookie_header("tongdai_login").unwrap().ends_with("; Secure"));
    let reply = h.try_sign_in("an.qt", &password, None).await;
    assert!(reply.set_cookie_header("tongdai_session").unwrap().ends_with("; Secure"));
}

async fn five_failures_lock_the_account_for_the_lockout_period(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("binh.tt", Role::Inspector, None).await;
    // A success clears the count: four failures, a success, four failures do not lock.
    for _ in 0..4 {
        assert_eq!(h.try_sign_in("binh.tt", "sai", None).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(h.try_sign_in("binh.tt", &password, None).await.status, StatusCode::SEE_OTHER);
    for _ in 0..4 {
        assert_eq!(h.try_sign_in("binh.tt", "sai", None).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(h.try_sign_in("binh.tt", &password, None).await.status, StatusCode::SEE_OTHER);

    for _ in 0..5 {
        h.clock.advance(Duration::seconds(10));
        assert_eq!(h.try_sign_in("binh.tt", "sai", None).await.status, StatusCode::UNAUTHORIZED);
    }
    let locked = h.try_sign_in("binh.tt", &password, None).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED, "locked: even the right password fails");
    assert!(locked.body.contains(FAILED), "the same message as a wrong password");

    h.clock.advance(Duration::minutes(14));
    assert_eq!(h.try_sign_in("binh.tt", &password, None).await.status, StatusCode::UNAUTHORIZED);
    h.clock.advance(Duration::minutes(1));
    assert_eq!(h.try_sign_in("binh.tt", &password, None).await.status, StatusCode::SEE_OTHER, "unlocked");

    let reasons: Vec<String> = h
        .audit(AuditAction::SignInFailed)
        .await
        .iter()
        .map(|e| e.details["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(reasons.contains(&"wrong_password_now_locked".to_owned()), "{reasons:?}");
    assert_eq!(reasons.iter().filter(|r| *r == "locked").count(), 2, "{reasons:?}");
}

async fn every_post_needs_the_csrf_token(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("quantri", Role::Admin, None).await;
    h.user("muc.tieu", Role::Viewer, None).await;
    let admin = h.sign_in("quantri", &password).await;
    let add = [("username", "moi.tao"), ("display_name", "Người mới"), ("role", "viewer"), ("department", "")];
    let change = [("current", password.as_str()), ("new", "mật khẩu mới dài"), ("confirm", "mật khẩu mới dài")];
    let routes: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/console/logout", vec![]),
        ("/console/password", change.to_vec()),
        ("/console/users", add.to_vec()),
        ("/console/users/muc.tieu/disable", vec![]),
        ("/console/users/muc.tieu/enable", vec![]),
        ("/console/users/muc.tieu/reset-password", vec![]),
    ];
    for (path, fields) in &routes {
        let without = h.post(path, Some(&admin.cookie), fields).await;
        assert_eq!(without.status, StatusCode::FORBIDDEN, "{path} without a token");
        assert!(without.body.contains(CSRF_PAGE), "{}", without.body);
        let mut wrong = fields.clone();
        let forged = "0".repeat(64);
        wrong.push(("_csrf", forged.as_str()));
        assert_eq!(h.post(path, Some(&admin.cookie), &wrong).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing happened.
    assert_eq!(h.get("/console/", Some(&admin.cookie)).await.status, StatusCode::OK, "still signed in");
    assert!(h.db.store.users.user_by_username("moi.tao").await.unwrap().is_none());
    let target = h.db.store.users.user_by_username("muc.tieu").await.unwrap().unwrap();
    assert!(!target.disabled);
    assert_eq!(h.sign_in("quantri", &password).await.cookie.len(), "tongdai_session=".len() + 64);

    // The sign-in form: its token must match its cookie.
    let (cookie, token) = h.login_form().await;
    let form = |t: &str| vec![("_csrf", t.to_owned()), ("username", "quantri".into()), ("password", password.clone())];
    let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    for (cookie, fields) in [
        (None, form(&token)),
        (Some(cookie.as_str()), form(&"f".repeat(64))),
        (Some(cookie.as_str()), vec![("username", "quantri".into()), ("password", password.clone())]),
    ] {
        let fields = as_refs(&fields);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = h.post("/console/login", cookie, &refs).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.cookie("tongdai_session").is_none());
    }

    // The token may also come in a header (for forms that are not URL-encoded).
    let request = Request::post("/console/logout")
        .header(header::COOKIE, &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(request).await.status, StatusCode::SEE_OTHER);
    assert_eq!(h.get("/console/", Some(&admin.cookie)).await.status, StatusCode::SEE_OTHER, "signed out");
}

async fn sessions_end_after_idling_and_at_their_absolute_end(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("cuong", Role::Viewer, None).await;
    let browser = h.sign_in("cuong", &password).await;
    h.clock.advance(Duration::minutes(29));
    assert_eq!(h.get("/console/", Some(&browser.cookie)).await.status, StatusCode::OK);
    h.clock.advance(Duration::minutes(29));
    assert_eq!(h.get("/console/", Some(&browser.cookie)).await.status, StatusCode::OK, "activity extends it");
    h.clock.advance(Duration::minutes(30));
    let idle = h.get("/console/", Some(&browser.cookie)).await;
    assert_eq!(idle.status, StatusCode::SEE_OTHER);
    assert_eq!(idle.location.as_deref(), Some("/console/login"));
    assert_eq!(h.get("/console/", Some(&browser.cookie)).await.status, StatusCode::SEE_OTHER, "deleted, not revived");

    let browser = h.sign_in("cuong", &password).await;
    let started = h.clock.now();
    loop {
        h.clock.advance(Duration::minutes(25));
        let reply = h.get("/console/", Some(&browser.cookie)).await;
        if h.clock.now() - started < Duration::hours(12) {
            assert_eq!(reply.status, StatusCode::OK, "at {}", h.clock.now() - started);
        } else {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "12 hours after sign-in the session ends");
            break;
        }
    }
}

async fn signing_out_ends_the_session(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("dao", Role::Coordinator, Some("SNV")).await;
    let browser = h.sign_in("dao", &password).await;
    let reply = h.post("/console/logout", Some(&browser.cookie), &[("_csrf", &browser.csrf)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/console/login?signed_out=1"));
    assert!(reply.set_cookie_header("tongdai_session").unwrap().contains("Max-Age=0"));
    let page = h.get("/console/login?signed_out=1", None).await;
    assert!(page.body.contains("Bạn đã đăng xuất."));
    let after = h.get("/console/", Some(&browser.cookie)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    let user = h.db.store.users.user_by_username("dao").await.unwrap().unwrap();
    assert_eq!(h.db.store.sessions.count_user_sessions(user.id).await.unwrap(), 0);
    let logout = h.post("/console/logout", Some(&browser.cookie), &[("_csrf", &browser.csrf)]).await;
    assert_eq!(logout.location.as_deref(), Some("/console/login"), "a stale session just goes to sign in");
}

async fn changing_the_password_ends_the_other_sessions(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("em.ht", Role::Officer, Some("VPUBND")).await;
    let laptop = h.sign_in("em.ht", &password).await;
    let phone = h.sign_in("em.ht", &password).await;
    let change = |current: &str, new: &str, confirm: &str| {
        vec![
            ("_csrf", laptop.csrf.clone()),
            ("current", current.into()),
            ("new", new.into()),
            ("confirm", confirm.into()),
        ]
    };
    let cases = [
        (change(&password, "mật khẩu mới an toàn", "mật khẩu khác"), "không khớp"),
        (change("không phải mật khẩu", "mật khẩu mới an toàn", "mật khẩu mới an toàn"), "Mật khẩu hiện tại không đúng"),
        (change(&password, "ngắn", "ngắn"), "ít nhất 10 ký tự"),
        (change(&password, &password, &password), "phải khác mật khẩu hiện tại"),
    ];
    for (fields, message) in cases {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = h.post("/console/password", Some(&laptop.cookie), &refs).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains(message), "expected {message:?} in {}", reply.body);
    }
    assert_eq!(h.get("/console/", Some(&phone.cookie)).await.status, StatusCode::OK, "nothing changed yet");

    let fields = change(&password, "mật khẩu mới an toàn", "mật khẩu mới an toàn");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = h.post("/console/password", Some(&laptop.cookie), &refs).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let home = h.get("/console/", Some(&laptop.cookie)).await;
    assert_eq!(home.status, StatusCode::OK, "this session goes on");
    assert!(home.body.contains("Đã đổi mật khẩu."), "the flash message is shown");
    assert!(!h.get("/console/", Some(&laptop.cookie)).await.body.contains("Đã đổi mật khẩu."), "…once");
    assert_eq!(h.get("/console/", Some(&phone.cookie)).await.status, StatusCode::SEE_OTHER, "the other one ended");
    assert_eq!(h.try_sign_in("em.ht", &password, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.try_sign_in("em.ht", "mật khẩu mới an toàn", None).await.status, StatusCode::SEE_OTHER);
}

async fn next_never_leaves_the_console(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("giao", Role::Admin, None).await;
    let away = h.get("/console/audit?action=sign_in&page=1", None).await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert_eq!(away.location.as_deref(), Some("/console/login?next=/console/audit%3Faction%3Dsign_in%26page%3D1"));
    let page = h.get(away.location.as_deref().unwrap(), None).await;
    assert!(page.body.contains(r#"name="next" value="/console/audit?action=sign_in&amp;page=1""#), "{}", page.body);

    let back = h.try_sign_in("giao", &password, Some("/console/audit?action=sign_in")).await;
    assert_eq!(back.location.as_deref(), Some("/console/audit?action=sign_in"));
    for evil in
        ["https://evil.example/", "//evil.example/console/", "/\\evil.example", "http:/console", "/console/../..//x"]
    {
        let reply = h.try_sign_in("giao", &password, Some(evil)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.location.as_deref(), Some("/console/"), "{evil:?} must not be followed");
    }
    let query = h.get(&format!("/console/login?next={}", encode_component("https://evil.example")), None).await;
    assert!(query.body.contains(r#"name="next" value="/console/""#));
}

/// Which status each role gets on each page.
async fn every_role_gets_exactly_its_pages(db: TestDb) {
    let h = Harness::new(db);
    let roles = [
        ("r.admin", Role::Admin, None),
        ("r.coordinator", Role::Coordinator, Some("SNV")),
        ("r.officer", Role::Officer, Some("STP")),
        ("r.inspector", Role::Inspector, None),
        ("r.viewer", Role::Viewer, Some("VPUBND")),
    ];
    h.user("target", Role::Viewer, None).await;
    let pages = ["/console/", "/console/password", "/console/users", "/console/audit"];
    for page in pages {
        let reply = h.get(page, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page} anonymous");
        assert!(reply.location.unwrap().starts_with("/console/login"), "{page}");
    }
    for (username, role, department) in roles {
        let password = h.user(username, role, department).await;
        let browser = h.sign_in(username, &password).await;
        let admin = role == Role::Admin;
        let expect = |allowed: bool, ok: StatusCode| if allowed { ok } else { StatusCode::FORBIDDEN };
        for (page, status) in [
            ("/console/", StatusCode::OK),
            ("/console/password", StatusCode::OK),
            ("/console/users", expect(admin, StatusCode::OK)),
            ("/console/audit", expect(admin, StatusCode::OK)),
        ] {
            let reply = h.get(page, Some(&browser.cookie)).await;
            assert_eq!(reply.status, status, "{username} on {page}");
            if status == StatusCode::FORBIDDEN {
                assert!(reply.body.contains("Không có quyền truy cập"), "{}", reply.body);
                assert!(reply.body.contains(&format!("Cán bộ {username}")), "the 403 page keeps the layout");
            }
        }
        let new_name = format!("new.{}", role.as_str());
        let add = [
            ("_csrf", browser.csrf.as_str()),
            ("username", new_name.as_str()),
            ("display_name", "Người mới"),
            ("role", "viewer"),
            ("department", ""),
        ];
        let token = [("_csrf", browser.csrf.as_str())];
        for (path, form, ok) in [
            ("/console/users", &add[..], StatusCode::CREATED),
            ("/console/users/target/disable", &token[..], StatusCode::SEE_OTHER),
            ("/console/users/target/enable", &token[..], StatusCode::SEE_OTHER),
            ("/console/users/target/reset-password", &token[..], StatusCode::OK),
        ] {
            let reply = h.post(path, Some(&browser.cookie), form).await;
            assert_eq!(reply.status, expect(admin, ok), "{username} posting {path}");
        }

        // The navigation offers exactly what the role may use, and every link works.
        let home = h.get("/console/", Some(&browser.cookie)).await;
        assert_eq!(home.body.contains(r#"href="/console/users""#), admin, "{username}");
        assert_eq!(home.body.contains(r#"href="/console/audit""#), admin, "{username}");
        let sees_tickets = role != Role::Viewer;
        assert_eq!(home.body.contains("Phản ánh, kiến nghị"), sees_tickets, "{username}");
        for href in home.body.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            if href.starts_with("tel:") || href == "#main" {
                continue;
            }
            let href = href.replace("&amp;", "&");
            assert_eq!(h.get(&href, Some(&browser.cookie)).await.status, StatusCode::OK, "{username}: {href}");
        }
    }
    let target = h.db.store.users.user_by_username("target").await.unwrap().unwrap();
    assert!(target.must_change_password && !target.disabled);
    assert!(h.db.store.users.user_by_username("new.officer").await.unwrap().is_none());
    assert!(h.db.store.users.user_by_username("new.admin").await.unwrap().is_some());
}

async fn every_audited_action_is_in_the_log(db: TestDb) {
    let h = Harness::new(db);
    let admin_password = h.user("qt.vien", Role::Admin, None).await;
    assert_eq!(h.try_sign_in("ai.do", "đoán thử mật khẩu", None).await.status, StatusCode::UNAUTHORIZED);
    let admin = h.sign_in("qt.vien", &admin_password).await;

    let add = [
        ("_csrf", admin.csrf.as_str()),
        ("username", "Hanh.PT"),
        ("display_name", "Phạm Thị Hạnh"),
        ("role", "officer"),
        ("department", ""),
    ];
    let refused = h.post("/console/users", Some(&admin.cookie), &add).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("phải thuộc một đơn vị"), "{}", refused.body);
    assert!(refused.body.contains(r#"value="Phạm Thị Hạnh""#), "the form keeps what was typed");

    let mut add = add.to_vec();
    add[4] = ("department", "STP");
    let created = h.post("/console/users", Some(&admin.cookie), &add).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let temporary = created.body.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert_eq!(temporary.len(), 14, "{temporary}");
    let token = [("_csrf", admin.csrf.as_str())];
    assert_eq!(
        h.post("/console/users/hanh.pt/disable", Some(&admin.cookie), &token).await.status,
        StatusCode::SEE_OTHER
    );
    let listing = h.get("/console/users", Some(&admin.cookie)).await;
    assert!(listing.body.contains("Đã khóa tài khoản hanh.pt."), "flash after the action");
    assert_eq!(
        h.post("/console/users/hanh.pt/enable", Some(&admin.cookie), &token).await.status,
        StatusCode::SEE_OTHER
    );
    let reset = h.post("/console/users/hanh.pt/reset-password", Some(&admin.cookie), &token).await;
    assert_eq!(reset.status, StatusCode::OK);
    let temporary = reset.body.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert_eq!(
        h.post("/console/users/nobody/reset-password", Some(&admin.cookie), &token).await.status,
        StatusCode::NOT_FOUND
    );
    let own = h.post("/console/users/qt.vien/disable", Some(&admin.cookie), &token).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert!(h.get("/console/users", Some(&admin.cookie)).await.body.contains("Không thể tự khóa"));

    // The new officer must choose a password before anything else.
    let officer = h.sign_in("hanh.pt", &temporary).await;
    let forced = h.get("/console/", Some(&officer.cookie)).await;
    assert_eq!(forced.location.as_deref(), Some("/console/password"));
    let change = [
        ("_csrf", officer.csrf.as_str()),
        ("current", temporary.as_str()),
        ("new", "Hạnh đổi mật khẩu"),
        ("confirm", "Hạnh đổi mật khẩu"),
    ];
    assert_eq!(h.post("/console/password", Some(&officer.cookie), &change).await.status, StatusCode::SEE_OTHER);
    assert_eq!(h.get("/console/", Some(&officer.cookie)).await.status, StatusCode::OK);
    assert_eq!(
        h.post("/console/logout", Some(&officer.cookie), &[("_csrf", &officer.csrf)]).await.status,
        StatusCode::SEE_OTHER
    );

    let failed = h.audit(AuditAction::SignInFailed).await;
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].actor.as_str(), failed[0].details["reason"].as_str()), ("ai.do", Some("unknown_user")));
    assert_eq!(failed[0].ip.as_deref(), Some(CLIENT_IP), "X-Forwarded-For is trusted when configured");
    let sign_ins = h.audit(AuditAction::SignIn).await;
    assert_eq!(sign_ins.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(), vec!["hanh.pt", "qt.vien"]);
    let added = h.audit(AuditAction::UserAdded).await;
    let admin_id = h.db.store.users.user_by_username("qt.vien").await.unwrap().unwrap().id;
    let web_added = added.iter().find(|e| e.target.as_deref() == Some("user:hanh.pt")).unwrap();
    assert_eq!((web_added.actor.as_str(), web_added.actor_user_id), ("qt.vien", Some(admin_id)));
    assert_eq!(web_added.details["department"], "STP");
    assert!(added.iter().any(|e| e.actor == "cli" && e.target.as_deref() == Some("user:qt.vien")));
    for action in [AuditAction::UserDisabled, AuditAction::UserEnabled, AuditAction::PasswordReset] {
        let entries = h.audit(action).await;
        assert_eq!(entries.len(), 1, "{action:?}");
        assert_eq!((entries[0].actor.as_str(), entries[0].target.as_deref()), ("qt.vien", Some("user:hanh.pt")));
    }
    let changed = h.audit(AuditAction::PasswordChanged).await;
    assert_eq!((changed.len(), changed[0].actor.as_str()), (1, "hanh.pt"));
    let out = h.audit(AuditAction::SignOut).await;
    assert_eq!((out.len(), out[0].actor.as_str()), (1, "hanh.pt"));
    for entry in h.db.store.audit.query(&AuditFilter::default(), 100, 0).await.unwrap() {
        let text = entry.details.to_string();
        assert!(!text.contains(&temporary) && !text.contains("Hạnh đổi"), "no password in the log: {text}");
    }

    // The audit page: filters and paging.
    let page = h.get("/console/audit?action=user_disabled", Some(&admin.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("user:hanh.pt") && page.body.contains("1 mục"), "{}", page.body);
    let by_actor = h.get("/console/audit?actor=HANH.PT", Some(&admin.cookie)).await;
    assert!(by_actor.body.contains("3 mục"), "sign-in, password change, sign-out: {}", by_actor.body);
    let today = h.get("/console/audit?from=2026-03-02&to=2026-03-02", Some(&admin.cookie)).await;
    let tomorrow = h.get("/console/audit?from=2026-03-03", Some(&admin.cookie)).await;
    assert!(!today.body.contains(" 0 mục") && tomorrow.body.contains("Không có mục nào"), "{}", tomorrow.body);
    let bad = h.get("/console/audit?from=hôm-qua", Some(&admin.cookie)).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("không hợp lệ"));
    for i in 0..60 {
        let entry =
            NewAuditEntry::new(h.clock.now(), &Actor::cli(), AuditAction::TicketViewed).target(format!("ticket:{i}"));
        h.db.store.audit.append(&entry).await.unwrap();
    }
    let first = h.get("/console/audit?action=ticket_viewed", Some(&admin.cookie)).await;
    assert!(
        first.body.contains("Trang 1 / 2") && first.body.contains("ticket:59") && !first.body.contains("ticket:9<")
    );
    assert!(first.body.contains(r#"href="/console/audit?action=ticket_viewed&amp;page=2""#), "{}", first.body);
    let second = h.get("/console/audit?action=ticket_viewed&page=2", Some(&admin.cookie)).await;
    assert!(
        second.body.contains("Trang 2 / 2") && second.body.contains("ticket:9<") && !second.body.contains("ticket:59")
    );
}

async fn disabled_users_lose_their_sessions(db: TestDb) {
    let h = Harness::new(db);
    let admin_password = h.user("admin.x", Role::Admin, None).await;
    let password = h.user("khoa", Role::Officer, Some("SNV")).await;
    let admin = h.sign_in("admin.x", &admin_password).await;
    let officer = h.sign_in("khoa", &password).await;
    let token = [("_csrf", admin.csrf.as_str())];
    h.post("/console/users/khoa/disable", Some(&admin.cookie), &token).await;
    assert_eq!(h.get("/console/", Some(&officer.cookie)).await.status, StatusCode::SEE_OTHER);
    assert_eq!(h.try_sign_in("khoa", &password, None).await.status, StatusCode::UNAUTHORIZED);
    h.post("/console/users/khoa/enable", Some(&admin.cookie), &token).await;
    assert_eq!(h.try_sign_in("khoa", &password, None).await.status, StatusCode::SEE_OTHER);
}

async fn error_pages_and_the_stylesheet(db: TestDb) {
    let h = Harness::new(db);
    let password = h.user("loan", Role::Viewer, None).await;
    let browser = h.sign_in("loan", &password).await;
    let missing = h.get("/console/khong-co-trang-nay", Some(&browser.cookie)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Không tìm thấy trang") && missing.body.contains("Cán bộ loan"), "{}", missing.body);
    assert!(missing.body.contains("<html lang=\"vi\">"));
    let anonymous = h.get("/console/khong-co", None).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert!(anonymous.body.contains("Không tìm thấy trang") && !anonymous.body.contains("Đăng xuất"));
    assert_eq!(h.get("/console", None).await.location.as_deref(), Some("/console/"));

    let css = h.get("/console/static/app.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers.get(header::CONTENT_TYPE).unwrap(), "text/css; charset=utf-8");
    assert!(css.headers.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("max-age="));
    assert!(css.body.contains(":focus-visible"));
    let etag = css.headers.get(header::ETAG).unwrap().clone();
    let request =
        Request::get("/console/static/app.css").header(header::IF_NONE_MATCH, etag).body(Body::empty()).unwrap();
    assert_eq!(h.send(request).await.status, StatusCode::NOT_MODIFIED);
    let home = h.get("/console/", Some(&browser.cookie)).await;
    assert!(home.body.contains(&tongdai::console::assets::stylesheet_href()));
}

on_both_backends!(
    signing_in_succeeds_or_fails_alike_for_every_cause,
    secure_cookies_when_configured,
    five_failures_lock_the_account_for_the_lockout_period,
    every_post_needs_the_csrf_token,
    sessions_end_after_idling_and_at_their_absolute_end,
    signing_out_ends_the_session,
    changing_the_password_ends_the_other_sessions,
    next_never_leaves_the_console,
    every_role_gets_exactly_its_pages,
    every_audited_action_is_in_the_log,
    disabled_users_lose_their_sessions,
    error_pages_and_the_stylesheet,
);

#[tokio::test]
async fn demo_accounts_are_made_once_with_fresh_passwords() {
    let db = TestDb::sqlite().await;
    let rules = Config::default().console.password_rules();
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    let first = tongdai::console::demo::create_demo_accounts(&db.store, rules, now).await.unwrap();
    let roles: Vec<Role> = first.iter().map(|a| a.role).collect();
    assert_eq!(
        roles,
        vec![Role::Admin, Role::Coordinator, Role::Officer, Role::Officer, Role::Inspector, Role::Viewer]
    );
    let departments: Vec<Option<&str>> = first.iter().map(|a| a.department.as_deref()).collect();
    assert!(departments.contains(&Some("SNV")) && departments.contains(&Some("VPUBND")));
    users::set_user_disabled(&db.store, &Actor::cli(), &first[5].username, true, now).await.unwrap();
    let second = tongdai::console::demo::create_demo_accounts(&db.store, rules, now).await.unwrap();
    assert_eq!(db.store.users.list_users().await.unwrap().len(), 6, "no duplicates");
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.username, b.username);
        assert_ne!(a.password, b.password, "fresh password on each run");
        let user = db.store.users.user_by_username(&b.username).await.unwrap().unwrap();
        assert!(users::verify_password(&b.password, &user.password_hash));
        assert!(!user.disabled && !user.must_change_password);
    }
}

/// The ticket pages, in their own file.
#[path = "console_tickets.rs"]
mod tickets;

/// The statistics page, in its own file.
#[path = "console_stats.rs"]
mod stats;

/// The officer chat pages and the conversation behind them, in their own file.
#[path = "officer_chat.rs"]
mod officer_chat;

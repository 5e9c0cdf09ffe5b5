//! The console's survey pages through the real router on both backends, with a manual clock:
//! who may see what (names and phones only for full access, applied in the store's query), the
//! dossier file upload (CSRF on the multipart form, the queued import run by the job worker, the
//! progress page, all rows imported or none with the per-row report), counts by status including
//! "unreachable", the opt-out list, and the audit trail of imports and views of personal data.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use tongdai::auth::audit::{Actor, AuditAction, AuditFilter};
use tongdai::auth::users::{self, Role, UserInput};
use tongdai::clock::{Clock, ManualClock, SharedClock};
use tongdai::config::Config;
use tongdai::console::paths::encode_component;
use tongdai::surveys::imports::ImportStatus;
use tongdai::surveys::overview::{DossierAccess, DossierFilter, SurveyStatus};

use crate::support::{on_both_backends, TestDb};

const BOUNDARY: &str = "----tongdaiTestBoundary7MA4YWxk";

/// Three dossiers with Vietnamese headers (as Excel saves them): two with contacts, one without.
const GOOD_CSV: &str = "\u{feff}Mã hồ sơ,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mã cơ quan,Tên cơ quan,Cấp,Ngày tiếp nhận,Ngày hoàn thành,Hình thức,Họ tên,Số điện thoại,Zalo\r\n\
HG-0001,1.001766,Đăng ký khai sinh,Hộ tịch,H27.12,UBND phường I,xã,2026-02-25T08:30:00+07:00,2026-02-27T10:00:00+07:00,trực tiếp,Nguyễn Văn An,0912 345 678,\r\n\
HG-0002,1.000894,\"Chứng thực bản sao, chữ ký\",Chứng thực,H27.12,UBND phường I,xa,2026-02-26T08:30:00+07:00,2026-02-27T15:00:00+07:00,truc_tuyen,Trần Thị Bình,0987654321,\r\n\
HG-0003,2.001,Cấp giấy phép xây dựng,Xây dựng,H27.01,Sở Xây dựng,tỉnh,2026-02-20T08:30:00+07:00,2026-02-26T09:00:00+07:00,trực tiếp,,,\r\n";

/// Line 3 has a bad level and a bad completion time; line 4 repeats line 2's code: three problems.
const BAD_CSV: &str = "code,procedure_code,procedure_name,field,agency_code,agency_name,level,received_at,completed_at,channel,citizen_name,phone,zalo_user_id\n\
HG-1,1.001,Khai sinh,Hộ tịch,X1,UBND xã,xa,2026-02-25T08:00:00+07:00,2026-02-27T10:00:00+07:00,truc_tiep,Lê Văn C,0912345679,\n\
HG-2,1.001,Khai sinh,Hộ tịch,X1,UBND xã,ấp,2026-02-25T08:00:00+07:00,hôm qua,truc_tiep,,,\n\
HG-1,1.001,Khai sinh,Hộ tịch,X1,UBND xã,xa,2026-02-25T08:00:00+07:00,2026-02-27T10:00:00+07:00,truc_tiep,,,\n";

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    cookies: Vec<String>,
    pub(crate) headers: header::HeaderMap,
    pub(crate) body: String,
    pub(crate) bytes: Vec<u8>,
}

impl Reply {
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
    }

    fn csrf(&self) -> String {
        let start = self.body.find(r#"name="_csrf" value=""#).expect("a form with a CSRF field") + 20;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

pub(crate) struct Browser {
    pub(crate) cookie: String,
    csrf: String,
}

/// The console's router on a test database, with a manual clock; also used by the statistics
/// download tests.
pub(crate) struct Harness {
    pub(crate) db: TestDb,
    clock: Arc<ManualClock>,
    router: Router,
    config: Config,
}

impl Harness {
    fn new(db: TestDb) -> Self {
        Self::with_config(db, Config::default())
    }

    pub(crate) fn with_config(db: TestDb, config: Config) -> Self {
        // Monday 2 March 2026, 08:00 in Vietnam: inside the send window.
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()));
        let shared: SharedClock = clock.clone();
        let state = crate::support::app_state_with_clock(&db, config.clone(), None, shared);
        Self { router: tongdai::web::router(state), db, clock, config }
    }

    pub(crate) async fn user(&self, username: &str, role: Role, department: Option<&str>) -> Browser {
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
        let page = self.get("/console/login", None).await;
        let token = page.cookie("tongdai_login").unwrap();
        let form = [("_csrf", token.as_str()), ("username", username), ("password", password.as_str())];
        let reply = self.post("/console/login", &format!("tongdai_login={token}"), &form).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let cookie = format!("tongdai_session={}", reply.cookie("tongdai_session").unwrap());
        let csrf = self.get("/console/password", Some(&cookie)).await.csrf();
        Browser { cookie, csrf }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let cookies = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            cookies,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            bytes: body.to_vec(),
        }
    }

    /// The router's answer to `method path` with its body not read yet: a download keeps what it
    /// holds (its export slot) until the body is read or dropped.
    pub(crate) async fn unread(
        &self,
        method: axum::http::Method,
        path: &str,
        cookie: &str,
    ) -> axum::response::Response {
        let request = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
        self.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Reply {
        let body: Vec<String> =
            form.iter().map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v))).collect();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(request).await
    }

    /// Uploads `content` as the browser's file form would (`csrf` as its hidden field).
    async fn upload(&self, browser: &Browser, csrf: Option<&str>, file_name: &str, content: &[u8]) -> Reply {
        let mut body = Vec::new();
        if let Some(csrf) = csrf {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = Request::post("/console/surveys/imports")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::COOKIE, &browser.cookie)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Runs the queued jobs (the import) as the service's workers would.
    async fn run_jobs(&self) {
        let surveys = Arc::new(crate::support::survey_service(&self.db, &self.config));
        let mut registry = tongdai::jobs::Registry::new();
        let job = tongdai::surveys::import_job::ImportJob {
            surveys,
            imports: self.db.store.survey_imports.clone(),
            clock: self.clock.clone(),
        };
        registry.register(tongdai::surveys::imports::IMPORT_JOB_KIND, Arc::new(job));
        let pool = tongdai::jobs::worker::WorkerPool::new(
            self.db.store.jobs.clone(),
            registry,
            self.clock.clone(),
            tongdai::jobs::worker::WorkerSettings::from_config(&self.config.jobs, chrono::Duration::seconds(5)),
            tongdai::metrics::Metrics::new(),
            "test-worker",
        );
        pool.run_once().await.unwrap();
    }

    pub(crate) async fn audit(&self, action: AuditAction) -> Vec<tongdai::auth::audit::AuditEntry> {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        self.db.store.audit.query(&filter, 100, 0).await.unwrap()
    }

    /// Uploads `content`, runs the import and returns the import page's path.
    async fn import(&self, browser: &Browser, content: &str) -> String {
        let reply = self.upload(browser, Some(&browser.csrf), "ho-so.csv", content.as_bytes()).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        self.run_jobs().await;
        reply.location.unwrap()
    }
}

async fn each_role_sees_what_it_may(db: TestDb) {
    let h = Harness::new(db);
    let coordinator = h.user("dieu.phoi", Role::Coordinator, Some("SNV")).await;
    h.import(&coordinator, GOOD_CSV).await;
    let pages =
        ["/console/surveys", "/console/surveys/dossiers", "/console/surveys/imports", "/console/surveys/opt-outs"];
    for (username, role, department, expected) in [
        ("quan.tri", Role::Admin, None, [200, 200, 200, 200]),
        ("lanh.dao", Role::Viewer, None, [200, 200, 403, 403]),
        ("lanh.dao.stp", Role::Viewer, Some("STP"), [403; 4]),
        ("can.bo", Role::Officer, Some("STP"), [403; 4]),
        ("thanh.tra", Role::Inspector, None, [403; 4]),
    ] {
        let browser = h.user(username, role, department).await;
        for (page, status) in pages.iter().zip(expected) {
            let reply = h.get(page, Some(&browser.cookie)).await;
            assert_eq!(reply.status.as_u16(), status, "{username} on {page}");
        }
        let home = h.get("/console/", Some(&browser.cookie)).await;
        assert_eq!(home.body.contains(r#"href="/console/surveys""#), expected[0] == 200, "{username}'s navigation");
        let upload = h.upload(&browser, Some(&browser.csrf), "x.csv", GOOD_CSV.as_bytes()).await;
        assert_eq!(upload.status.as_u16(), if role == Role::Admin { 303 } else { 403 }, "{username} uploading");
    }

    // Full access: names and phones, each view audited; figures only: neither, in the query.
    let list = h.get("/console/surveys/dossiers", Some(&coordinator.cookie)).await;
    assert!(list.body.contains("Nguyễn Văn An") && list.body.contains("0912 345 678"), "{}", list.body);
    let viewed: Vec<_> =
        h.audit(AuditAction::SurveyDataViewed).await.into_iter().filter(|e| e.actor == "dieu.phoi").collect();
    assert_eq!(viewed.len(), 1);
    assert_eq!(viewed[0].target.as_deref(), Some("survey_dossiers"));
    assert_eq!(viewed[0].details["shown"], serde_json::json!(["citizen_name", "phone"]));
    assert!(!viewed[0].details.to_string().contains("8491"), "no personal data in the audit log");
    let audited = h.audit(AuditAction::SurveyDataViewed).await.len();
    let viewer = h.user("lanh.dao.2", Role::Viewer, None).await;
    let list = h.get("/console/surveys/dossiers", Some(&viewer.cookie)).await;
    assert!(list.body.contains("HG-0001") && list.body.contains("Đăng ký khai sinh"), "{}", list.body);
    assert!(!list.body.contains("Nguyễn Văn An") && !list.body.contains("0912 345 678"));
    assert!(!list.body.contains("Nhập hồ sơ từ tệp"), "no upload tab for figures-only access");
    assert_eq!(h.audit(AuditAction::SurveyDataViewed).await.len(), audited, "nothing personal was shown");
    let page =
        h.db.store
            .survey_overview
            .list_dossiers(&DossierFilter::default(), DossierAccess::FiguresOnly, 10, 0)
            .await
            .unwrap();
    assert_eq!(page.total, 3);
    assert!(page.items.iter().all(|d| d.citizen_name.is_none() && d.phone.is_none()));
}

async fn an_uploaded_file_is_imported_in_the_background(db: TestDb) {
    let h = Harness::new(db);
    let browser = h.user("dieu.phoi", Role::Coordinator, Some("SNV")).await;
    let form = h.get("/console/surveys/imports", Some(&browser.cookie)).await;
    assert!(form.body.contains(r#"enctype="multipart/form-data""#) && form.body.contains(r#"type="file""#));

    let reply = h.upload(&browser, Some(&browser.csrf), "Hồ sơ tháng 2.csv", GOOD_CSV.as_bytes()).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page_path = reply.location.unwrap();
    assert!(page_path.starts_with("/console/surveys/imports/"), "{page_path}");
    let waiting = h.get(&page_path, Some(&browser.cookie)).await;
    assert_eq!(waiting.status, StatusCode::OK);
    assert!(waiting.body.contains("Đang chờ xử lý") && waiting.body.contains("Hồ sơ tháng 2.csv"));
    assert!(waiting.body.contains(r#"<meta http-equiv="refresh" content="2">"#), "reloads itself while it runs");
    assert!(h.db.store.surveys.dossier("HG-0001").await.unwrap().is_none(), "nothing stored before the job");

    h.run_jobs().await;
    let done = h.get(&page_path, Some(&browser.cookie)).await;
    assert!(done.body.contains("Đã nhập") && done.body.contains("3 hồ sơ mới"), "{}", done.body);
    assert!(!done.body.contains("http-equiv=\"refresh\""), "a finished import stops reloading");
    assert!(done.body.contains("3 / 3 dòng") && done.body.contains("3 / 3 hồ sơ"), "{}", done.body);
    let dossier = h.db.store.surveys.dossier("HG-0002").await.unwrap().unwrap();
    assert_eq!(dossier.procedure_name, "Chứng thực bản sao, chữ ký");
    assert_eq!(dossier.phone.as_deref(), Some("84987654321"));
    let id: i64 = page_path.rsplit('/').next().unwrap().parse().unwrap();
    let import = h.db.store.survey_imports.import(id).await.unwrap().unwrap();
    assert_eq!(import.status, ImportStatus::Imported);
    assert_eq!((import.counts.created, import.rows_total, import.rows_checked), (3, Some(3), 3));
    assert!(h.db.store.survey_imports.import_content(id).await.unwrap().is_none(), "the file is dropped");

    // Who uploaded what, and how it ended.
    let entries = h.audit(AuditAction::DossiersImported).await;
    let statuses: Vec<&str> = entries.iter().map(|e| e.details["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["imported", "queued"], "newest first");
    assert!(entries.iter().all(|e| e.actor == "dieu.phoi" && e.target == Some(format!("dossier_import:{id}"))));
    assert_eq!(entries[0].details["created"], 3);

    // The same file again: nothing new, no second survey.
    let again = h.import(&browser, GOOD_CSV).await;
    let again = h.get(&again, Some(&browser.cookie)).await;
    assert!(again.body.contains("0 hồ sơ mới") && again.body.contains("3 không thay đổi"), "{}", again.body);
    let list = h.get("/console/surveys/imports", Some(&browser.cookie)).await;
    assert_eq!(list.body.matches("Hồ sơ tháng 2.csv").count(), 1);
    assert_eq!(list.body.matches("ho-so.csv").count(), 1);
    assert!(list.body.contains("3 hồ sơ: 3 mới, 0 cập nhật, 0 không đổi"), "{}", list.body);

    // The dossiers with their surveys; the overview's counts.
    let dossiers = h.get("/console/surveys/dossiers?status=skipped", Some(&browser.cookie)).await;
    assert!(dossiers.body.contains("1 hồ sơ") && dossiers.body.contains("HG-0003"), "{}", dossiers.body);
    assert!(dossiers.body.contains("Không có Zalo, số điện thoại"), "the skip reason is shown");
    let overview = h.get("/console/surveys", Some(&browser.cookie)).await;
    assert!(overview.body.contains(r#"href="/console/surveys/dossiers?status=scheduled""#), "{}", overview.body);
    let counts = h.db.store.survey_overview.survey_counts(&DossierFilter::default()).await.unwrap();
    assert_eq!((counts.dossiers, counts.state(tongdai::surveys::model::InstanceState::Scheduled)), (3, 2));
    let filtered = h.get("/console/surveys/dossiers?q=hg-0002&level=xa&agency=H27.12", Some(&browser.cookie)).await;
    assert!(filtered.body.contains("1 hồ sơ") && filtered.body.contains("HG-0002"), "{}", filtered.body);
    let period = h.get("/console/surveys/dossiers?from=2026-02-27&to=2026-02-27", Some(&browser.cookie)).await;
    assert!(period.body.contains("2 hồ sơ"), "two completed on 27/02 local time: {}", period.body);
}

async fn a_file_with_problems_is_refused_whole_with_every_problem(db: TestDb) {
    let h = Harness::new(db);
    let browser = h.user("quan.tri", Role::Admin, None).await;
    let page_path = h.import(&browser, BAD_CSV).await;
    let page = h.get(&page_path, Some(&browser.cookie)).await;
    assert!(
        page.body.contains("Bị từ chối") && page.body.contains("Tệp có 3 lỗi, không nhập hồ sơ nào"),
        "{}",
        page.body
    );
    let row = |line: u64, column: &str| format!(r#"class="num">{line}</td><td data-label="Cột">{column}</td>"#);
    for expected in [row(3, "G (level)"), row(3, "I (completed_at)"), row(4, "A (code)")] {
        assert!(page.body.contains(&expected), "{expected}: {}", page.body);
    }
    assert!(page.body.contains("&quot;ấp&quot; không hợp lệ") && page.body.contains("trùng với dòng 2 của tệp"));
    assert!(h.db.store.surveys.dossier("HG-1").await.unwrap().is_none(), "the valid row is not imported either");
    let entries = h.audit(AuditAction::DossiersImported).await;
    assert_eq!(entries[0].details["status"], "rejected");
    assert_eq!(entries[0].details["problems"], 3);

    // A file that is no CSV at all is refused at once; no file is asked for again.
    let xlsx = h.upload(&browser, Some(&browser.csrf), "bao-cao.xlsx", b"PK\x03\x04...").await;
    assert_eq!(xlsx.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(xlsx.body.contains("Chỉ nhận tệp CSV"), "{}", xlsx.body);
    let empty = h.upload(&browser, Some(&browser.csrf), "trong.csv", b"").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Chưa chọn tệp, hoặc tệp trống."), "{}", empty.body);
    // A header that is not the dossier format: refused by the job with the columns named.
    let page_path = h.import(&browser, "ho ten;so dien thoai\nAn;0912345678\n").await;
    let page = h.get(&page_path, Some(&browser.cookie)).await;
    assert!(page.body.contains("tiêu đề không được hỗ trợ") && page.body.contains("thiếu cột"), "{}", page.body);
    assert_eq!(h.db.store.survey_imports.recent_imports(10).await.unwrap().len(), 2, "refused uploads keep no file");
}

async fn the_upload_form_needs_its_csrf_token(db: TestDb) {
    let h = Harness::new(db);
    let browser = h.user("dieu.phoi", Role::Coordinator, None).await;
    for csrf in [None, Some("forged")] {
        let reply = h.upload(&browser, csrf, "ho-so.csv", GOOD_CSV.as_bytes()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(reply.body.contains("Phiên làm việc không hợp lệ"), "{}", reply.body);
    }
    assert!(h.db.store.survey_imports.recent_imports(10).await.unwrap().is_empty());
    // Without a session the upload goes nowhere.
    let anonymous = Browser { cookie: String::new(), csrf: String::new() };
    let reply = h.upload(&anonymous, Some("x"), "ho-so.csv", GOOD_CSV.as_bytes()).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/console/login"));
    // Too large for an upload.
    let huge = vec![b'a'; tongdai::surveys::imports::MAX_IMPORT_BYTES + 200 * 1024];
    let reply = h.upload(&browser, Some(&browser.csrf), "ho-so.csv", &huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn undeliverable_surveys_count_as_unreachable(db: TestDb) {
    let h = Harness::new(db);
    let browser = h.user("dieu.phoi", Role::Coordinator, None).await;
    h.import(&browser, GOOD_CSV).await;
    let surveys = crate::support::survey_service(&h.db, &h.config);
    let summary = surveys.dispatch(h.clock.now()).await.unwrap();
    assert_eq!(summary.sent, 2, "{summary:?}");
    // The first survey could not be delivered; the second was.
    for (code, status) in [
        ("HG-0001", tongdai::zalo::records::OutboundStatus::Undeliverable),
        ("HG-0002", tongdai::zalo::records::OutboundStatus::Sent),
    ] {
        let record = tongdai::zalo::records::NewOutboundRecord {
            job_id: None,
            part: 0,
            user_id: None,
            phone_masked: None,
            channel: tongdai::zalo::records::OutboundChannel::None,
            purpose: tongdai::surveys::messages::SEND_PURPOSE.to_owned(),
            reference: Some(code.to_owned()),
            zalo_message_id: None,
            tracking_id: None,
            status,
            error_code: None,
            error_message: None,
            at: h.clock.now(),
        };
        h.db.store.zalo_outbound.record_attempt(&record).await.unwrap();
    }
    let counts = h.db.store.survey_overview.survey_counts(&DossierFilter::default()).await.unwrap();
    assert_eq!(counts.unreachable, 1);
    assert_eq!(counts.state(tongdai::surveys::model::InstanceState::Sent), 2);
    assert_eq!(counts.response_rate(), Some(0.0));
    let filter = DossierFilter { status: Some(SurveyStatus::Unreachable), ..DossierFilter::default() };
    let page = h.db.store.survey_overview.list_dossiers(&filter, DossierAccess::Full, 10, 0).await.unwrap();
    assert_eq!(page.items.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["HG-0001"]);
    let list = h.get("/console/surveys/dossiers?status=unreachable", Some(&browser.cookie)).await;
    assert!(list.body.contains("HG-0001") && !list.body.contains("HG-0002") && list.body.contains("Không gửi được"));
    let overview = h.get("/console/surveys", Some(&browser.cookie)).await;
    assert!(overview.body.contains("Không gửi được") && overview.body.contains("Phiếu đã gửi"), "{}", overview.body);
}

async fn the_opt_out_list_is_searchable_and_audited(db: TestDb) {
    let h = Harness::new(db);
    let browser = h.user("dieu.phoi", Role::Coordinator, None).await;
    let empty = h.get("/console/surveys/opt-outs", Some(&browser.cookie)).await;
    assert!(empty.body.contains("Chưa ai từ chối khảo sát"), "{}", empty.body);
    assert!(h.audit(AuditAction::SurveyDataViewed).await.is_empty(), "an empty list shows nobody");
    let surveys = &h.db.store.surveys;
    surveys.opt_out(Some("1234567890123"), None, "chat", h.clock.now()).await.unwrap();
    surveys.opt_out(None, Some("84912345678"), "web", h.clock.now()).await.unwrap();
    let all = h.get("/console/surveys/opt-outs", Some(&browser.cookie)).await;
    assert!(all.body.contains("2 mục") && all.body.contains("1234567890123") && all.body.contains("0912 345 678"));
    assert!(all.body.contains("Nhắn “dừng khảo sát” trên Zalo"), "{}", all.body);
    let found = h.get("/console/surveys/opt-outs?q=0912+345+678", Some(&browser.cookie)).await;
    assert!(found.body.contains("1 kết quả") && !found.body.contains("1234567890123"), "{}", found.body);
    let missing = h.get("/console/surveys/opt-outs?q=0987654321", Some(&browser.cookie)).await;
    assert!(missing.body.contains("không có trong danh sách"), "{}", missing.body);
    let viewed = h.audit(AuditAction::SurveyDataViewed).await;
    assert_eq!(viewed.len(), 2, "two pages showed entries");
    assert!(viewed.iter().all(|e| e.target.as_deref() == Some("survey_opt_outs")));
    assert_eq!(viewed[0].details["search"], true);
}

on_both_backends!(
    each_role_sees_what_it_may,
    an_uploaded_file_is_imported_in_the_background,
    a_file_with_problems_is_refused_whole_with_every_problem,
    the_upload_form_needs_its_csrf_token,
    undeliverable_surveys_count_as_unreachable,
    the_opt_out_list_is_searchable_and_audited,
);

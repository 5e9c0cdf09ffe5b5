//! The statistics export on the HAND-COMPUTED example of `stats.rs`, on both backends: the
//! store's raw-answer pages (keyset on the instance, filters, agency scope), the XLSX workbook
//! read back with calamine (sheet names, headers, figures equal to the JSON report for the same
//! query, one raw row per answered dossier without dossier code or contact, suggestions without
//! phone numbers or e-mails), the CSV read back with the csv crate, `stats export --format xlsx`,
//! and the console download (a coordinator's file, a department viewer's file holding only its
//! agencies and 403 outside them, 400 for bad parameters, the audit entry, no file left behind;
//! at most `stats.max_concurrent_exports` at once, 503 with `Retry-After` beyond; `HEAD` answers
//! the headers without making a file).

use std::io::Cursor;

use axum::http::{header, StatusCode};
use calamine::{Data, DataType as _, Reader, Xlsx};
use serde_json::Value;

use tongdai::auth::audit::AuditAction;
use tongdai::auth::users::Role;
use tongdai::config::Config;
use tongdai::stats::compute::AggregationRules;
use tongdai::stats::export::{export_to_file, ExportFormat, ExportJob};
use tongdai::stats::model::{Dimension, RawAnswer, StatsFilter, StatsSlice};
use tongdai::stats::query::StatsQuery;
use tongdai::stats::raw_export::RawPages;
use tongdai::stats::report::survey_report;
use tongdai::stats::settings::DepartmentAgencies;

use crate::console_surveys::Harness;
use crate::stats::{catalog, now, query, seed, suggestion, SURVEY};
use crate::support::{on_both_backends, TestDb};

type Sheet = Vec<Vec<Data>>;

/// Whether `cell` holds the string `text`.
fn is(cell: &Data, text: &str) -> bool {
    matches!(cell, Data::String(s) if s == text)
}

/// Every sheet of a workbook, in order.
fn read_workbook(bytes: &[u8]) -> Vec<(String, Sheet)> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(book: &'a [(String, Sheet)], name: &str) -> &'a Sheet {
    &book.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("sheet {name}")).1
}

fn names(book: &[(String, Sheet)]) -> Vec<&str> {
    book.iter().map(|(n, _)| n.as_str()).collect()
}

fn column(sheet: &Sheet, title: &str) -> usize {
    sheet[0].iter().position(|c| is(c, title)).unwrap_or_else(|| panic!("column {title}"))
}

/// A cell against the report's value: a percentage (`scale` 100: the cell holds a fraction), a
/// mean or a count (`scale` 1); an empty cell for `null`.
fn assert_figure(cell: &Data, expected: &Value, scale: f64, what: &str) {
    match expected.as_f64() {
        None => assert_eq!(cell, &Data::Empty, "{what}"),
        Some(value) => {
            let got = cell.as_f64().unwrap_or_else(|| panic!("{what}: {cell:?} is not a number"));
            assert!((got * scale - value).abs() < 1e-9, "{what}: {got} × {scale} ≠ {value}");
        }
    }
}

fn report_json(report: &tongdai::stats::report::SurveyReport) -> Value {
    serde_json::to_value(report).unwrap()
}

/// The summary sheet against the ungrouped report.
fn check_summary(summary: &Sheet, report: &Value) {
    let value = |label: &str| &summary.iter().find(|r| is(&r[0], label)).unwrap_or_else(|| panic!("{label}"))[1];
    assert_eq!(value("Khảo sát").to_string(), SURVEY);
    assert_figure(value("Số phiếu đã gửi"), &report["sent"], 1.0, "sent");
    assert_figure(value("Số phiếu có trả lời"), &report["responses"], 1.0, "responses");
    assert_figure(value("Số phiếu trả lời đủ"), &report["answered"], 1.0, "answered");
    assert_figure(value("Tỷ lệ phản hồi"), &report["response_rate"], 100.0, "response rate");
    assert_figure(value("Chỉ số hài lòng chung"), &report["overall"]["index"], 100.0, "overall index");
    assert_figure(value("Điểm trung bình chung"), &report["overall"]["mean"], 1.0, "overall mean");
    assert_figure(value("Số câu trả lời hợp lệ"), &report["overall"]["n"], 1.0, "overall n");
    for element in report["elements"].as_array().unwrap() {
        let row = summary.iter().find(|r| is(&r[0], element["code"].as_str().unwrap())).unwrap();
        assert_eq!(row[1].to_string(), element["name"].as_str().unwrap());
        assert_figure(&row[2], &element["index"], 100.0, "element index");
        assert_figure(&row[3], &element["mean"], 1.0, "element mean");
        assert_figure(&row[4], &element["n"], 1.0, "element n");
    }
}

/// A breakdown sheet against the grouped report: a row per group, in index order for categories.
fn check_breakdown(sheet: &Sheet, report: &Value, timeline: bool) {
    assert_eq!(
        sheet[0][..8].iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "Mã",
            "Tên",
            "Phiếu đã gửi",
            "Phiếu có trả lời",
            "Tỷ lệ phản hồi",
            "Chỉ số hài lòng chung",
            "Điểm trung bình chung",
            "Số câu trả lời hợp lệ"
        ]
    );
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(sheet.len(), groups.len() + 1, "{report}");
    for group in groups {
        let key = group["key"].as_str().unwrap();
        let row = sheet.iter().find(|r| is(&r[0], key)).unwrap_or_else(|| panic!("group {key}"));
        assert_eq!(row[1].to_string(), group["name"].as_str().unwrap());
        assert_figure(&row[2], &group["sent"], 1.0, "sent");
        assert_figure(&row[3], &group["responses"], 1.0, "responses");
        assert_figure(&row[4], &group["response_rate"], 100.0, "response rate");
        assert_figure(&row[5], &group["overall"]["index"], 100.0, "index");
        assert_figure(&row[6], &group["overall"]["mean"], 1.0, "mean");
        assert_figure(&row[7], &group["overall"]["n"], 1.0, "n");
        for (j, element) in group["elements"].as_array().unwrap().iter().enumerate() {
            assert_figure(&row[8 + j], &element["index"], 100.0, "element index");
        }
    }
    let keys: Vec<String> = sheet[1..].iter().map(|r| r[0].to_string()).collect();
    if timeline {
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "periods in order: {keys:?}");
    } else {
        let indices: Vec<f64> = sheet[1..].iter().map(|r| r[5].as_f64().unwrap_or(-1.0)).collect();
        assert!(indices.windows(2).all(|w| w[0] >= w[1]), "highest index first: {indices:?}");
    }
}

/// The questions sheet against the report's questions.
fn check_questions(sheet: &Sheet, report: &Value) {
    let questions = report["questions"].as_array().unwrap();
    assert_eq!(sheet.len(), questions.len() + 1);
    for question in questions {
        let code = question["code"].as_str().unwrap();
        let row = sheet.iter().find(|r| is(&r[1], code)).unwrap();
        assert_eq!(row[2].to_string(), question["text"].as_str().unwrap());
        assert_figure(&row[3], &question["n"], 1.0, "n");
        assert_figure(&row[4], &question["mean"], 1.0, "mean");
        assert_figure(&row[5], &question["satisfied_pct"], 100.0, "satisfied");
        assert_figure(&row[6], &question["margin_of_error"], 100.0, "margin");
        for (value, count) in question["distribution"].as_object().unwrap() {
            assert_figure(&row[column(sheet, &format!("Số chọn mức {value}"))], count, 1.0, "count");
        }
    }
}

/// Dossier codes and Zalo ids of the example: none may appear in an export.
fn identifiers() -> Vec<String> {
    ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4", "B5", "B6", "C1"]
        .iter()
        .flat_map(|code| [(*code).to_owned(), format!("u-{code}"), format!("tok-{code}")])
        .collect()
}

/// Suggestions: one row per GOP_Y answer of `agencies`, personal data replaced.
fn check_suggestions(sheet: &Sheet, codes: &[&str]) {
    let expected: Vec<&str> = codes.iter().filter_map(|code| suggestion(code)).collect();
    assert_eq!(sheet.len(), expected.len() + 1);
    let text = column(sheet, "Nội dung góp ý (đã ẩn thông tin cá nhân)");
    let texts: Vec<String> = sheet[1..].iter().map(|r| r[text].to_string()).collect();
    let strings = sheet.iter().flatten().filter_map(|c| if let Data::String(s) = c { Some(s) } else { None });
    for cell in strings {
        for personal in ["0912", "345 678", "@", "gmail", "079123456789", "facebook", "987", "+84"] {
            assert!(!cell.contains(personal), "{personal} in {cell:?}");
        }
    }
    let hidden = texts.iter().filter(|t| t.contains("[đã ẩn]")).count();
    assert_eq!(hidden, expected.iter().filter(|t| **t != "Tốt").count(), "{texts:?}");
    assert!(texts.contains(&"Cán bộ nhiệt tình. Gọi tôi: [đã ẩn] hoặc [đã ẩn]".to_owned()) || !codes.contains(&"A1"));
}

/// Raw data: one row per answered dossier of `codes`, no identifier.
fn check_raw(sheet: &Sheet, codes: &[&str], agency: Option<&str>) {
    assert_eq!(sheet.len(), codes.len() + 1);
    for title in ["Mã cơ quan", "Cấp", "Ngày hoàn thành", "Ngày trả lời", "Kênh trả lời", "TC1.1", "TC2.1", "GOP_Y"]
    {
        column(sheet, title);
    }
    let identifiers = identifiers();
    for cell in sheet.iter().flatten().map(ToString::to_string) {
        assert!(!identifiers.contains(&cell), "{cell} identifies a dossier");
    }
    if let Some(agency) = agency {
        assert!(sheet[1..].iter().all(|r| is(&r[0], agency)));
    }
    let tc = column(sheet, "TC1.1");
    let mut values: Vec<i64> = sheet[1..].iter().map(|r| r[tc].as_i64().unwrap()).collect();
    values.sort_unstable();
    let all = [("A1", 5), ("A2", 4), ("A3", 3), ("A4", 5), ("B1", 2), ("B2", 4), ("B3", 1), ("B4", 5)];
    let mut expected: Vec<i64> = all.iter().filter(|(c, _)| codes.contains(c)).map(|(_, v)| *v).collect();
    expected.sort_unstable();
    assert_eq!(values, expected);
}

const ANSWERED: [&str; 8] = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"];

/// The store's raw pages: keyset order, the period, filters and scope; whole instances per page.
async fn stats_raw_answer_pages(db: TestDb) {
    seed(&db).await;
    let stats = db.store.stats.as_ref();
    let slice = |filter: StatsFilter| StatsSlice { filter, ..query(&[]).slice() };
    let read_all = |slice: StatsSlice, limit: u32| async move {
        let mut all: Vec<RawAnswer> = Vec::new();
        let mut after = 0;
        loop {
            let page = stats.raw_answers(&slice, after, limit).await.unwrap();
            assert!(page.len() <= limit as usize);
            assert!(page.iter().all(|a| a.instance_id > after));
            let Some(last) = page.last() else { break };
            after = last.instance_id;
            // Only whole pages can stop inside an instance: resume after the last whole one.
            if page.len() == limit as usize {
                after = page.iter().rev().find(|a| a.instance_id != last.instance_id).map_or(after, |a| a.instance_id);
                all.extend(page.into_iter().filter(|a| a.instance_id <= after));
            } else {
                all.extend(page);
                break;
            }
        }
        all
    };
    let everything = read_all(slice(StatsFilter::default()), 1000).await;
    // 8 respondents × 3 scores + 7 suggestions; C1 (March) is outside the period.
    assert_eq!(everything.len(), 31);
    assert!(everything.windows(2).all(|w| w[0].instance_id <= w[1].instance_id), "keyset order");
    assert_eq!(everything.iter().filter(|a| a.value_text.is_some()).count(), 7);
    assert_eq!(read_all(slice(StatsFilter::default()), 5).await, everything, "small pages give the same answers");
    let texts: Vec<&str> = everything.iter().filter_map(|a| a.value_text.as_deref()).collect();
    assert!(texts.contains(&suggestion("A1").unwrap()), "the store gives the text as written");

    let xa = read_all(slice(StatsFilter { level: Some("xa".into()), ..StatsFilter::default() }), 6).await;
    assert_eq!(xa.len(), 12 + 4);
    assert!(xa.iter().all(|a| a.agency_code == "H27.12" && a.level == "xa"));
    let scoped = StatsFilter { agencies: Some(vec!["H27.01".into()]), ..StatsFilter::default() };
    let own = read_all(slice(scoped), 5).await;
    assert_eq!(own.len(), 12 + 3, "A1–A4 with three suggestions (A2 left none)");
    assert!(own.iter().all(|a| a.agency_code == "H27.01"));
    let nothing = StatsFilter { agencies: Some(Vec::new()), ..StatsFilter::default() };
    assert!(stats.raw_answers(&slice(nothing), 0, 100).await.unwrap().is_empty(), "an empty scope sees nothing");
    let outside =
        StatsFilter { agency: Some("H27.12".into()), agencies: Some(vec!["H27.01".into()]), ..StatsFilter::default() };
    assert!(stats.raw_answers(&slice(outside), 0, 100).await.unwrap().is_empty());

    // The pager folds whole instances into rows, whatever the page size (even smaller than one
    // instance's answers).
    for page in [1, 2, 7, 1000] {
        let mut pages = RawPages::with_page_size(stats, query(&[]).slice(), page);
        let mut rows = Vec::new();
        while let Some(more) = pages.next().await.unwrap() {
            rows.extend(more);
        }
        assert_eq!(rows.len(), 8, "page size {page}");
        assert_eq!(rows.iter().map(|r| r.answers.len()).sum::<usize>(), 31, "page size {page}");
    }
}

/// The XLSX workbook of the whole period, of one breakdown and of one agency's scope.
async fn stats_xlsx_workbook(db: TestDb) {
    seed(&db).await;
    let catalog = catalog();
    let rules = AggregationRules::default();
    let dir = tempdir("xlsx");
    let export = |query: StatsQuery, format: ExportFormat| {
        let (catalog, rules, store, out) =
            (&catalog, &rules, db.store.stats.clone(), dir.join(format!("e.{}", format.as_str())));
        async move {
            let job =
                ExportJob { store: store.as_ref(), catalog, rules, query: &query, generated_at: now(), tempdir: None };
            let outcome = export_to_file(&job, format, &out, &|_, _| {}).await.unwrap();
            (std::fs::read(&out).unwrap(), outcome)
        }
    };
    let report = |pairs: &'static [(&'static str, &'static str)]| {
        let (catalog, rules, store) = (&catalog, &rules, db.store.stats.clone());
        async move { report_json(&survey_report(store.as_ref(), catalog, &query(pairs), rules).await.unwrap()) }
    };

    let (bytes, outcome) = export(query(&[]), ExportFormat::Xlsx).await;
    let book = read_workbook(&bytes);
    assert_eq!(
        names(&book),
        [
            "Tổng hợp",
            "Theo cơ quan",
            "Theo cấp",
            "Theo lĩnh vực",
            "Theo thủ tục",
            "Theo hình thức nộp",
            "Theo tháng",
            "Theo quý",
            "Theo năm",
            "Câu hỏi",
            "Góp ý",
            "Dữ liệu thô"
        ]
    );
    assert_eq!((outcome.respondents, outcome.suggestions, outcome.groups), (8, 7, 8));
    let whole = report(&[]).await;
    crate::stats::check_report(&whole);
    check_summary(sheet(&book, "Tổng hợp"), &whole);
    check_questions(sheet(&book, "Câu hỏi"), &whole);
    let dimensions: [(&str, &[(&str, &str)]); 8] = [
        ("Theo cơ quan", &[("group_by", "agency")]),
        ("Theo cấp", &[("group_by", "level")]),
        ("Theo lĩnh vực", &[("group_by", "field")]),
        ("Theo thủ tục", &[("group_by", "procedure")]),
        ("Theo hình thức nộp", &[("group_by", "channel")]),
        ("Theo tháng", &[("group_by", "month")]),
        ("Theo quý", &[("group_by", "quarter")]),
        ("Theo năm", &[("group_by", "year")]),
    ];
    for (name, pairs) in dimensions {
        let grouped = report(pairs).await;
        let timeline = ["Theo tháng", "Theo quý", "Theo năm"].contains(&name);
        check_breakdown(sheet(&book, name), &grouped, timeline);
    }
    let by_agency = report(&[("group_by", "agency")]).await;
    crate::stats::check_agency_groups(&by_agency);
    assert_eq!(sheet(&book, "Theo cơ quan")[1][0].to_string(), "H27.01", "75 % before 37.5 %");
    check_suggestions(sheet(&book, "Góp ý"), &ANSWERED);
    check_raw(sheet(&book, "Dữ liệu thô"), &ANSWERED, None);

    // One breakdown asked: that sheet only.
    let (bytes, _) = export(query(&[("group_by", "month")]), ExportFormat::Xlsx).await;
    let book = read_workbook(&bytes);
    assert_eq!(names(&book), ["Tổng hợp", "Theo tháng", "Câu hỏi", "Góp ý", "Dữ liệu thô"]);
    check_breakdown(sheet(&book, "Theo tháng"), &report(&[("group_by", "month")]).await, true);

    // A department's scope: only its agency, in every sheet.
    let mut scoped = query(&[]);
    scoped.filter.agencies = Some(vec!["H27.12".into()]);
    let (bytes, _) = export(scoped.clone(), ExportFormat::Xlsx).await;
    let book = read_workbook(&bytes);
    let own = report_json(&survey_report(db.store.stats.as_ref(), &catalog, &scoped, &rules).await.unwrap());
    check_summary(sheet(&book, "Tổng hợp"), &own);
    assert_eq!(own["sent"], 6);
    assert_eq!(sheet(&book, "Theo cơ quan").len(), 2, "one agency row");
    check_suggestions(sheet(&book, "Góp ý"), &["B1", "B2", "B3", "B4"]);
    check_raw(sheet(&book, "Dữ liệu thô"), &["B1", "B2", "B3", "B4"], Some("H27.12"));

    // CSV: BOM, header, every figure equal to the report's.
    let (bytes, outcome) = export(query(&[("group_by", "agency")]), ExportFormat::Csv).await;
    assert_eq!(outcome.groups, 2);
    check_csv(&bytes, &by_agency);
    let (bytes, _) = export(query(&[("group_by", "agency")]), ExportFormat::Json).await;
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), by_agency);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CSV read back: BOM, header, and for every group and question the report's figures.
fn check_csv(bytes: &[u8], report: &Value) {
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Khảo sát");
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let decimal = |v: &Value| v.as_f64().map(|v| format!("{v:.2}")).unwrap_or_default();
    let mut seen = 0;
    for group in report["groups"].as_array().unwrap() {
        for question in group["questions"].as_array().unwrap() {
            let row = records
                .iter()
                .find(|r| {
                    r[at("Nhóm")] == *group["key"].as_str().unwrap()
                        && r[at("Mã câu hỏi")] == *question["code"].as_str().unwrap()
                })
                .unwrap();
            assert_eq!(&row[at("Tên nhóm")], group["name"].as_str().unwrap());
            assert_eq!(row[at("Số trả lời hợp lệ")], question["n"].to_string());
            assert_eq!(row[at("Điểm trung bình")], decimal(&question["mean"]));
            assert_eq!(row[at("Tỷ lệ hài lòng (%)")], decimal(&question["satisfied_pct"]));
            assert_eq!(row[at("Sai số ±95% (điểm %)")], decimal(&question["margin_of_error"]));
            assert_eq!(row[at("Chỉ số chung (%)")], decimal(&group["overall"]["index"]));
            assert_eq!(row[at("Phiếu đã gửi")], group["sent"].to_string());
            assert_eq!(row[at("Tỷ lệ phản hồi (%)")], decimal(&group["response_rate"]));
            for (value, count) in question["distribution"].as_object().unwrap() {
                assert_eq!(row[at(&format!("Số chọn mức {value}"))], count.to_string());
            }
            seen += 1;
        }
    }
    assert_eq!(records.len(), seen);
}

fn tempdir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tongdai_{what}_{}_{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BASE: &str = "survey=sipas-2017&from=2026-01-01&to=2026-02-28";

/// The console download: who gets what, 403 and 400, the audit entry, no file left behind.
async fn stats_console_download(db: TestDb) {
    seed(&db).await;
    let data = tempdir("console_export");
    let mut config = Config::default();
    config.general.data_dir = data.display().to_string();
    config.stats.department_agencies =
        vec![DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into()] }];
    let h = Harness::with_config(db, config);
    let coordinator = h.user("dieu.phoi", Role::Coordinator, None).await;
    let viewer = h.user("stp.xem", Role::Viewer, Some("STP")).await;
    let api = |cookie: &str, extra: &str| {
        let path = format!("/api/v1/stats/surveys?{BASE}{extra}");
        let cookie = cookie.to_owned();
        let h = &h;
        async move {
            let reply = h.get(&path, Some(&cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_slice::<Value>(&reply.bytes).unwrap()
        }
    };

    let path = format!("/console/stats/export?{BASE}&group_by=agency&format=xlsx");
    let reply = h.get(&path, Some(&coordinator.cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        reply.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"thong-ke-sipas-2017-2026-01-01-2026-02-28.xlsx\""
    );
    assert_eq!(reply.headers[header::CONTENT_LENGTH], reply.bytes.len().to_string().as_str());
    let book = read_workbook(&reply.bytes);
    assert_eq!(names(&book), ["Tổng hợp", "Theo cơ quan", "Câu hỏi", "Góp ý", "Dữ liệu thô"]);
    let by_agency = api(&coordinator.cookie, "&group_by=agency").await;
    check_breakdown(sheet(&book, "Theo cơ quan"), &by_agency, false);
    check_summary(sheet(&book, "Tổng hợp"), &api(&coordinator.cookie, "").await);
    check_raw(sheet(&book, "Dữ liệu thô"), &ANSWERED, None);
    check_suggestions(sheet(&book, "Góp ý"), &ANSWERED);

    // The department's viewer: its agency only, the same figures as the API gives it.
    let reply = h.get(&path, Some(&viewer.cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let book = read_workbook(&reply.bytes);
    let own = api(&viewer.cookie, "&group_by=agency").await;
    assert_eq!(own["groups"].as_array().unwrap().len(), 1);
    check_breakdown(sheet(&book, "Theo cơ quan"), &own, false);
    check_summary(sheet(&book, "Tổng hợp"), &api(&viewer.cookie, "").await);
    assert!(sheet(&book, "Tổng hợp").iter().any(|r| is(&r[1], "Chỉ các cơ quan: H27.01")));
    check_raw(sheet(&book, "Dữ liệu thô"), &["A1", "A2", "A3", "A4"], Some("H27.01"));
    check_suggestions(sheet(&book, "Góp ý"), &["A1", "A2", "A3", "A4"]);
    let csv = h.get(&format!("/console/stats/export?{BASE}&group_by=agency&format=csv"), Some(&viewer.cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    check_csv(&csv.bytes, &own);
    let json = h.get(&format!("/console/stats/export?{BASE}&group_by=agency&format=json"), Some(&viewer.cookie)).await;
    assert_eq!(serde_json::from_slice::<Value>(&json.bytes).unwrap(), own);

    // Another agency, bad parameters, not signed in.
    let other = h.get(&format!("/console/stats/export?{BASE}&agency=H27.12"), Some(&viewer.cookie)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.body.contains("Không có quyền truy cập"), "the console's 403 page");
    for bad in [
        format!("/console/stats/export?{BASE}&format=pdf"),
        format!("/console/stats/export?{BASE}&format=csv&format=xlsx"),
        "/console/stats/export?from=2026-01-01&to=2026-02-28".to_owned(),
        "/console/stats/export?survey=khong-co&from=2026-01-01&to=2026-02-28".to_owned(),
        format!("/console/stats/export?{BASE}&group_by=week"),
    ] {
        let reply = h.get(&bad, Some(&coordinator.cookie)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.body.contains("Yêu cầu không hợp lệ"), "{bad}");
    }
    let anonymous = h.get(&path, None).await;
    assert!(anonymous.location.unwrap().starts_with("/console/login"));

    // Four downloads, four entries; no personal data; the files are gone.
    let entries = h.audit(AuditAction::StatsExported).await;
    assert_eq!(entries.len(), 4);
    let actors: Vec<&str> = entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors.iter().filter(|a| **a == "stp.xem").count(), 3);
    let viewer_xlsx = entries.iter().find(|e| e.actor == "stp.xem" && e.details["format"] == "xlsx").unwrap();
    assert_eq!(viewer_xlsx.target.as_deref(), Some("survey:sipas-2017"));
    assert_eq!(viewer_xlsx.details["scope_agencies"], serde_json::json!(["H27.01"]));
    assert_eq!(viewer_xlsx.details["respondents"], 4);
    for entry in &entries {
        let text = entry.details.to_string();
        assert!(!text.contains("0912") && !text.contains("@") && !text.contains("A1"), "{text}");
    }
    let left: Vec<_> = std::fs::read_dir(data.join("exports")).unwrap().collect();
    assert!(left.is_empty(), "temporary files are deleted: {left:?}");
    let _ = std::fs::remove_dir_all(&data);
}

/// At most `stats.max_concurrent_exports` downloads at once: two downloads whose files are not
/// read yet hold both slots; a third is turned away at once (503, `Retry-After`, the Vietnamese
/// page, no audit entry); once one is dropped and the other read to its end, downloads start
/// again. `HEAD` makes no export: it answers while every slot is taken, with the type and name of
/// the file and no body, checks the request as GET does, and leaves no audit entry or file.
async fn stats_export_slots_and_head(db: TestDb) {
    use axum::http::Method;
    use http_body_util::BodyExt as _;

    seed(&db).await;
    let data = tempdir("export_slots");
    let mut config = Config::default();
    config.general.data_dir = data.display().to_string();
    config.stats.max_concurrent_exports = 2;
    config.stats.department_agencies =
        vec![DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into()] }];
    let h = Harness::with_config(db, config);
    let coordinator = h.user("dieu.phoi", Role::Coordinator, None).await;
    let viewer = h.user("stp.xem", Role::Viewer, Some("STP")).await;
    let xlsx = format!("/console/stats/export?{BASE}&group_by=agency&format=xlsx");
    let csv = format!("/console/stats/export?{BASE}&group_by=agency&format=csv");

    let first = h.unread(Method::GET, &xlsx, &coordinator.cookie).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = h.unread(Method::GET, &csv, &viewer.cookie).await;
    assert_eq!(second.status(), StatusCode::OK);
    for (path, cookie) in [(&xlsx, &coordinator.cookie), (&csv, &viewer.cookie)] {
        let busy = h.get(path, Some(cookie)).await;
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE, "{}", busy.body);
        assert_eq!(busy.headers[header::RETRY_AFTER], "30");
        assert!(
            busy.body.contains("Hệ thống đang bận") && busy.body.contains("Hãy thử lại sau ít phút"),
            "{}",
            busy.body
        );
    }
    assert_eq!(h.audit(AuditAction::StatsExported).await.len(), 2, "the refused downloads are not audited");

    // HEAD while both slots are taken: the headers, nothing made.
    let head = h.unread(Method::HEAD, &xlsx, &coordinator.cookie).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::CONTENT_TYPE], ExportFormat::Xlsx.content_type());
    assert_eq!(
        head.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"thong-ke-sipas-2017-2026-01-01-2026-02-28.xlsx\""
    );
    assert!(head.into_body().collect().await.unwrap().to_bytes().is_empty());
    let checked = [
        (format!("/console/stats/export?{BASE}&format=pdf"), &coordinator.cookie, StatusCode::BAD_REQUEST),
        (
            "/console/stats/export?survey=khong-co&from=2026-01-01&to=2026-02-28".to_owned(),
            &coordinator.cookie,
            StatusCode::BAD_REQUEST,
        ),
        (format!("/console/stats/export?{BASE}&agency=H27.12"), &viewer.cookie, StatusCode::FORBIDDEN),
    ];
    for (path, cookie, status) in checked {
        assert_eq!(h.unread(Method::HEAD, &path, cookie).await.status(), status, "HEAD {path}");
    }
    let anonymous = h.unread(Method::HEAD, &xlsx, "tongdai_session=nope").await;
    assert!(anonymous.headers()[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    assert_eq!(h.audit(AuditAction::StatsExported).await.len(), 2, "HEAD makes no export");

    // A slot comes back when a download is dropped (client gone) or read to its end.
    drop(first);
    let third = h.get(&xlsx, Some(&coordinator.cookie)).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);
    check_breakdown(
        sheet(&read_workbook(&third.bytes), "Theo cơ quan"),
        &serde_json::from_slice::<Value>(
            &h.get(&format!("/api/v1/stats/surveys?{BASE}&group_by=agency"), Some(&coordinator.cookie)).await.bytes,
        )
        .unwrap(),
        false,
    );
    let bytes = second.into_body().collect().await.unwrap().to_bytes();
    let own = h.get(&format!("/api/v1/stats/surveys?{BASE}&group_by=agency"), Some(&viewer.cookie)).await;
    check_csv(&bytes, &serde_json::from_slice(&own.bytes).unwrap());
    let (a, b) =
        (h.unread(Method::GET, &csv, &viewer.cookie).await, h.unread(Method::GET, &xlsx, &coordinator.cookie).await);
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK), "both slots free again");
    drop((a, b));
    assert_eq!(h.audit(AuditAction::StatsExported).await.len(), 5);
    let left: Vec<_> = std::fs::read_dir(data.join("exports")).unwrap().collect();
    assert!(left.is_empty(), "temporary files are deleted: {left:?}");
    let _ = std::fs::remove_dir_all(&data);
}

on_both_backends!(stats_raw_answer_pages, stats_xlsx_workbook, stats_console_download, stats_export_slots_and_head);

/// `tongdai stats export --format xlsx`: the workbook, the summary line, the audit entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_export_xlsx_command() {
    let db = TestDb::sqlite().await;
    seed(&db).await;
    let dir = tempdir("xlsx_cli");
    let out = dir.join("thong-ke.xlsx");
    let args = [
        "stats",
        "export",
        "--survey",
        SURVEY,
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-28",
        "--level",
        "xa",
        "--format",
        "xlsx",
        "--out",
    ];
    let mut args = args.to_vec();
    args.push(out.to_str().unwrap());
    let run = crate::stats::run_cli(&dir, &db.config.url, &args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("4 answered dossiers, 4 suggestions"), "{stderr}");
    let book = read_workbook(&std::fs::read(&out).unwrap());
    assert_eq!(names(&book).len(), 12);
    let xa = query(&[("level", "xa")]);
    let report = report_json(
        &survey_report(db.store.stats.as_ref(), &catalog(), &xa, &AggregationRules::default()).await.unwrap(),
    );
    check_summary(sheet(&book, "Tổng hợp"), &report);
    assert!(sheet(&book, "Tổng hợp").iter().any(|r| is(&r[1], "Cấp: Cấp xã")));
    check_raw(sheet(&book, "Dữ liệu thô"), &["B1", "B2", "B3", "B4"], Some("H27.12"));
    let by_level = StatsQuery { group_by: Some(Dimension::Level), ..xa };
    let grouped = report_json(
        &survey_report(db.store.stats.as_ref(), &catalog(), &by_level, &AggregationRules::default()).await.unwrap(),
    );
    check_breakdown(sheet(&book, "Theo cấp"), &grouped, false);
    let filter = tongdai::auth::audit::AuditFilter { action: Some(AuditAction::StatsExported), ..Default::default() };
    let entries = db.store.audit.query(&filter, 10, 0).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].actor.as_str(), entries[0].details["level"].as_str()), ("cli", Some("xa")));
    let _ = std::fs::remove_dir_all(&dir);
}

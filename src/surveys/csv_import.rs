//! Dossiers from a CSV file: UTF-8 with or without BOM, Excel-style quoting, a header row with the
//! API's field names (or Vietnamese headers such as "Mã hồ sơ", "Số điện thoại"), every problem
//! reported with its line and column. Checking is all-or-nothing: the caller stores the file only
//! when it has no problem at all.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::dossiers::{validate_row, FIELDS};
use super::model::Dossier;
use crate::bot::text::fold;

/// Vietnamese header aliases (matched after folding: case, diacritics and punctuation ignored).
const ALIASES: [(&str, &str); 26] = [
    ("ma ho so", "code"),
    ("so ho so", "code"),
    ("ma thu tuc", "procedure_code"),
    ("ma tthc", "procedure_code"),
    ("ten thu tuc", "procedure_name"),
    ("thu tuc", "procedure_name"),
    ("ten tthc", "procedure_name"),
    ("linh vuc", "field"),
    ("ma co quan", "agency_code"),
    ("ma don vi", "agency_code"),
    ("ten co quan", "agency_name"),
    ("co quan", "agency_name"),
    ("don vi", "agency_name"),
    ("cap", "level"),
    ("ngay tiep nhan", "received_at"),
    ("thoi diem tiep nhan", "received_at"),
    ("ngay hoan thanh", "completed_at"),
    ("ngay tra ket qua", "completed_at"),
    ("thoi diem hoan thanh", "completed_at"),
    ("hinh thuc", "channel"),
    ("kenh", "channel"),
    ("ho ten", "citizen_name"),
    ("ho va ten", "citizen_name"),
    ("so dien thoai", "phone"),
    ("dien thoai", "phone"),
    ("zalo", "zalo_user_id"),
];

/// A problem at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// Column letter and header, e.g. `C (procedure_name)`; `None` for the whole row.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "dòng {}, cột {column}: {}", self.line, self.message),
            None => write!(f, "dòng {}: {}", self.line, self.message),
        }
    }
}

/// A parsed file: which column holds which field, and the rows as field maps.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvFile {
    /// Field name → (0-based column index, header as written).
    pub columns: BTreeMap<&'static str, (usize, String)>,
    /// (line, fields) per data row.
    pub rows: Vec<(u64, Map<String, Value>)>,
}

impl CsvFile {
    fn column_label(&self, field: &str) -> Option<String> {
        self.columns.get(field).map(|(index, header)| format!("{} ({header})", column_letter(*index)))
    }
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based index.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The field a header names: a field name (`procedure_code`, `Procedure Code`) or an alias.
pub fn header_field(header: &str) -> Option<&'static str> {
    let folded = fold(header);
    FIELDS
        .iter()
        .copied()
        .find(|field| fold(field) == folded)
        .or_else(|| ALIASES.iter().find(|(alias, _)| *alias == folded).map(|(_, field)| *field))
}

/// Parses the file's bytes (header + rows); any problem of structure is reported by line/column.
pub fn read_csv(bytes: &[u8]) -> Result<CsvFile, Vec<CsvProblem>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.records();
    let mut problems = Vec::new();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(vec![csv_problem(&e)]),
        None => {
            return Err(vec![CsvProblem {
                line: 1, column: None, message: "tệp trống, thiếu dòng tiêu đề".into()
            }])
        }
    };
    let mut columns: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    for (index, name) in header.iter().enumerate() {
        let label = format!("{} ({name})", column_letter(index));
        match header_field(name) {
            Some(field) => {
                if let Some((first, _)) = columns.get(field) {
                    problems.push(CsvProblem {
                        line: 1,
                        column: Some(label),
                        message: format!("trùng với cột {} (cùng là {field})", column_letter(*first)),
                    });
                } else {
                    columns.insert(field, (index, name.trim().to_owned()));
                }
            }
            None if name.trim().is_empty() => {}
            None => problems.push(CsvProblem {
                line: 1,
                column: Some(label),
                message: format!("tiêu đề không được hỗ trợ; dùng: {}", FIELDS.join(", ")),
            }),
        }
    }
    for field in &FIELDS[..10] {
        if !columns.contains_key(field) {
            problems.push(CsvProblem { line: 1, column: None, message: format!("thiếu cột {field}") });
        }
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::default();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(csv_problem(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_at(bytes, p.byte()));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut fields = Map::new();
        for (field, (index, _)) in &columns {
            if let Some(cell) = record.get(*index).filter(|c| !c.trim().is_empty()) {
                fields.insert((*field).to_owned(), Value::String(cell.to_owned()));
            }
        }
        rows.push((line, fields));
    }
    if problems.is_empty() {
        Ok(CsvFile { columns, rows })
    } else {
        Err(problems)
    }
}

/// Line numbers from byte offsets (the csv crate's own line count drifts with CRLF endings).
#[derive(Default)]
struct LineCounter {
    byte: usize,
    newlines: u64,
}

impl LineCounter {
    /// The 1-based line of the record reported at byte `offset` (which may point at the line
    /// break before it); offsets must not decrease between calls.
    fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
        while bytes.get(offset).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.byte {
            self.newlines += bytes[self.byte..offset].iter().filter(|b| **b == b'\n').count() as u64;
            self.byte = offset;
        }
        self.newlines + 1
    }
}

fn csv_problem(error: &csv::Error) -> CsvProblem {
    let line = error.position().map_or(0, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "không phải văn bản UTF-8 (hãy lưu tệp dạng CSV UTF-8)".to_owned(),
        _ => format!("không đọc được dòng CSV: {error}"),
    };
    CsvProblem { line, column: None, message }
}

/// Validates every row of the file; the dossiers when all are valid, else every problem.
pub fn check_rows(file: &CsvFile, now: DateTime<Utc>) -> Result<Vec<Dossier>, Vec<CsvProblem>> {
    let mut checker = RowChecker::new(file, now);
    checker.check_next(usize::MAX);
    checker.finish()
}

/// Checks a file's rows a part at a time, so that a long file can report progress, with the
/// same result as checking them all at once: every problem of every row, codes repeated within
/// the file included (the later row is in error).
pub struct RowChecker<'a> {
    file: &'a CsvFile,
    now: DateTime<Utc>,
    next: usize,
    /// Dossier code → the line where it first appeared.
    first_line: BTreeMap<String, u64>,
    dossiers: Vec<Dossier>,
    problems: Vec<CsvProblem>,
}

impl<'a> RowChecker<'a> {
    pub fn new(file: &'a CsvFile, now: DateTime<Utc>) -> Self {
        Self {
            file,
            now,
            next: 0,
            first_line: BTreeMap::new(),
            dossiers: Vec::with_capacity(file.rows.len()),
            problems: Vec::new(),
        }
    }

    /// Checks up to `count` more rows; returns how many rows are checked so far.
    pub fn check_next(&mut self, count: usize) -> usize {
        let end = self.next.saturating_add(count).min(self.file.rows.len());
        for (line, fields) in &self.file.rows[self.next..end] {
            match validate_row(fields, self.now) {
                Ok(dossier) => match self.first_line.get(&dossier.code) {
                    Some(first) => self.problems.push(CsvProblem {
                        line: *line,
                        column: self.file.column_label("code"),
                        message: format!("mã hồ sơ \"{}\" trùng với dòng {first} của tệp", dossier.code),
                    }),
                    None => {
                        self.first_line.insert(dossier.code.clone(), *line);
                        self.dossiers.push(dossier);
                    }
                },
                Err(errors) => self.problems.extend(errors.into_iter().map(|e| CsvProblem {
                    line: *line,
                    column: self.file.column_label(&e.field),
                    message: e.message,
                })),
            }
        }
        self.next = end;
        end
    }

    /// Whether every row has been checked.
    pub fn is_done(&self) -> bool {
        self.next >= self.file.rows.len()
    }

    /// Problems found so far.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// The dossiers when every row checked is valid, else every problem found.
    pub fn finish(self) -> Result<Vec<Dossier>, Vec<CsvProblem>> {
        if self.problems.is_empty() {
            Ok(self.dossiers)
        } else {
            Err(self.problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).single().expect("valid")
    }

    #[test]
    fn bom_quoting_and_vietnamese_headers() {
        let text = "\u{feff}Mã hồ sơ,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mã cơ quan,Tên cơ quan,Cấp,Ngày tiếp nhận,Ngày hoàn thành,Hình thức,Họ tên,Số điện thoại,zalo_user_id\r\n\
            HS-1,1.001,\"Đăng ký khai sinh, kết hôn\",Hộ tịch,X1,\"UBND xã \"\"Vị Thủy\"\"\",xã,2026-03-05T08:00:00+07:00,2026-03-09T10:00:00+07:00,trực tiếp,\"Nguyễn\nVăn An\",0912345678,\r\n\
            ,,,,,,,,,,,,\r\n";
        let file = read_csv(text.as_bytes()).expect("valid file");
        assert_eq!(file.rows.len(), 1, "the blank row is ignored");
        assert_eq!(file.columns.get("code").map(|(i, h)| (*i, h.as_str())), Some((0, "Mã hồ sơ")));
        let dossiers = check_rows(&file, now()).expect("valid rows");
        assert_eq!(dossiers[0].procedure_name, "Đăng ký khai sinh, kết hôn");
        assert_eq!(dossiers[0].agency_name, "UBND xã \"Vị Thủy\"");
        assert_eq!(dossiers[0].citizen_name.as_deref(), Some("Nguyễn\nVăn An"));
        assert_eq!(dossiers[0].phone.as_deref(), Some("84912345678"));
        assert_eq!(dossiers[0].zalo_user_id, None);
    }

    #[test]
    fn problems_name_line_and_column() {
        let header = FIELDS.join(",");
        let good = "HS-1,1.001,Khai sinh,Hộ tịch,X1,UBND xã,xa,2026-03-05T08:00:00+07:00,2026-03-09T10:00:00+07:00,truc_tiep,,,";
        let bad = "HS-2,1.001,\"Khai sinh\nđa dòng\",Hộ tịch,X1,UBND xã,phường,2026-03-05T08:00:00+07:00,hôm qua,truc_tiep,,0243,";
        for newline in ["\n", "\r\n"] {
            let text = [header.as_str(), good, bad, good, ""].join(newline);
            let file = read_csv(text.as_bytes()).expect("structure is fine");
            let problems: Vec<String> =
                check_rows(&file, now()).expect_err("invalid").iter().map(ToString::to_string).collect();
            assert_eq!(problems.len(), 4, "{problems:?}");
            assert!(problems[0].starts_with("dòng 3, cột G (level): \"phường\" không hợp lệ"), "{problems:?}");
            assert!(problems[1].starts_with("dòng 3, cột I (completed_at): \"hôm qua\""), "{problems:?}");
            assert!(problems[2].starts_with("dòng 3, cột L (phone): "), "{problems:?}");
            assert_eq!(problems[3], "dòng 5, cột A (code): mã hồ sơ \"HS-1\" trùng với dòng 2 của tệp");
        }
    }

    #[test]
    fn checking_part_by_part_finds_what_checking_at_once_finds() {
        let header = FIELDS.join(",");
        let row = |code: &str, level: &str| {
            format!("{code},1.001,Khai sinh,Hộ tịch,X1,UBND xã,{level},2026-03-05T08:00:00+07:00,2026-03-09T10:00:00+07:00,truc_tiep,,,")
        };
        let lines = [header, row("A", "xa"), row("B", "ấp"), row("C", "xa"), row("A", "xa"), row("D", "tinh")];
        let file = read_csv(lines.join("\n").as_bytes()).expect("structure is fine");
        let at_once: Vec<String> =
            check_rows(&file, now()).expect_err("invalid").iter().map(ToString::to_string).collect();
        let mut checker = RowChecker::new(&file, now());
        let mut progress = Vec::new();
        while !checker.is_done() {
            progress.push(checker.check_next(2));
        }
        assert_eq!(progress, [2, 4, 5]);
        assert_eq!(checker.problem_count(), 2);
        let by_parts: Vec<String> = checker.finish().expect_err("invalid").iter().map(ToString::to_string).collect();
        assert_eq!(by_parts, at_once);
        assert_eq!(at_once[1], "dòng 5, cột A (code): mã hồ sơ \"A\" trùng với dòng 2 của tệp");
    }

    #[test]
    fn structural_problems() {
        let problems = read_csv(b"code,nonsense,level\n").expect_err("bad header");
        let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(rendered[0].starts_with("dòng 1, cột B (nonsense): tiêu đề không được hỗ trợ"), "{rendered:?}");
        assert!(rendered.contains(&"dòng 1: thiếu cột procedure_code".to_owned()), "{rendered:?}");
        let problems = read_csv(b"").expect_err("empty");
        assert_eq!(problems[0].to_string(), "dòng 1: tệp trống, thiếu dòng tiêu đề");
        let mut latin1 = FIELDS.join(",").into_bytes();
        latin1.extend_from_slice(b"\nHS-\xe9,1\n");
        let problems = read_csv(&latin1).expect_err("not UTF-8");
        assert!(problems[0].to_string().contains("UTF-8"), "{problems:?}");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(header_field("Procedure Code"), Some("procedure_code"));
        assert_eq!(header_field("SỐ ĐIỆN THOẠI"), Some("phone"));
    }
}

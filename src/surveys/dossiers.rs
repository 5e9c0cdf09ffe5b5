//! Completed dossiers coming in (API or CSV): field-by-field validation with Vietnamese messages
//! naming the field, and the import service that stores the valid ones. A dossier code is stored
//! once: the same code again is `unchanged` (same content) or `updated` (content replaced, the
//! survey decision taken when it was first seen stands) and never gets a second survey.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::model::{Dossier, DossierChannel, DossierOutcome, Level};
use super::service::SurveyService;
use crate::bot::text::fold;
use crate::store::StoreResult;
use crate::zalo::phone::normalize_vn_phone;

/// Field names of a dossier row, in the order of the CSV header.
pub const FIELDS: [&str; 13] = [
    "code",
    "procedure_code",
    "procedure_name",
    "field",
    "agency_code",
    "agency_name",
    "level",
    "received_at",
    "completed_at",
    "channel",
    "citizen_name",
    "phone",
    "zalo_user_id",
];

/// Most dossiers accepted in one API request.
pub const MAX_BATCH: usize = 1000;
/// Longest dossier code.
const MAX_CODE_CHARS: usize = 100;
/// Longest name or other text value.
const MAX_TEXT_CHARS: usize = 500;
/// Longest Zalo user id.
const MAX_USER_ID_CHARS: usize = 40;
/// Completion times later than now by more than this are refused (clock skew allowance).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// A problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Unchanged,
    Updated,
    Error,
}

/// The result of one row of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowResult {
    pub index: usize,
    pub code: Option<String>,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl From<DossierOutcome> for RowStatus {
    fn from(outcome: DossierOutcome) -> Self {
        match outcome {
            DossierOutcome::Created { .. } => Self::Created,
            DossierOutcome::Unchanged => Self::Unchanged,
            DossierOutcome::Updated => Self::Updated,
        }
    }
}

/// Reads one row (JSON object, or a CSV row turned into string values) into a dossier, or every
/// problem found in it. Empty strings and `null` count as missing.
pub fn validate_row(row: &Map<String, Value>, now: DateTime<Utc>) -> Result<Dossier, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in row.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key,
                format!("trường không được hỗ trợ; các trường hợp lệ: {}", FIELDS.join(", ")),
            ));
        }
    }
    let mut text = |name: &str, required: bool, max_chars: usize| -> Option<String> {
        let value = match row.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                errors.push(FieldError::new(name, "phải là chuỗi ký tự"));
                return None;
            }
        };
        match value {
            None if required => {
                errors.push(FieldError::new(name, "bắt buộc, không được để trống"));
                None
            }
            Some(v) if v.chars().count() > max_chars => {
                errors.push(FieldError::new(name, format!("dài quá {max_chars} ký tự")));
                None
            }
            other => other,
        }
    };
    let code = text("code", true, MAX_CODE_CHARS);
    let procedure_code = text("procedure_code", true, MAX_TEXT_CHARS);
    let procedure_name = text("procedure_name", true, MAX_TEXT_CHARS);
    let field = text("field", true, MAX_TEXT_CHARS);
    let agency_code = text("agency_code", true, MAX_TEXT_CHARS);
    let agency_name = text("agency_name", true, MAX_TEXT_CHARS);
    let level_text = text("level", true, MAX_TEXT_CHARS);
    let received_text = text("received_at", true, MAX_TEXT_CHARS);
    let completed_text = text("completed_at", true, MAX_TEXT_CHARS);
    let channel_text = text("channel", true, MAX_TEXT_CHARS);
    let citizen_name = text("citizen_name", false, MAX_TEXT_CHARS);
    let phone_text = text("phone", false, MAX_TEXT_CHARS);
    let zalo_user_id = text("zalo_user_id", false, MAX_USER_ID_CHARS);

    let level = level_text.and_then(|t| {
        let parsed = parse_level(&t);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "level",
                format!("\"{t}\" không hợp lệ; dùng tinh, huyen hoặc xa (tỉnh, huyện, xã)"),
            ));
        }
        parsed
    });
    let channel = channel_text.and_then(|t| {
        let parsed = parse_channel(&t);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "channel",
                format!("\"{t}\" không hợp lệ; dùng truc_tiep hoặc truc_tuyen (trực tiếp, trực tuyến)"),
            ));
        }
        parsed
    });
    let mut time = |name: &str, value: Option<String>| {
        value.and_then(|t| match parse_time(&t) {
            Some(at) => Some(at),
            None => {
                errors.push(FieldError::new(
                    name,
                    format!("\"{t}\" không phải thời điểm RFC 3339 có múi giờ, ví dụ 2026-03-09T10:00:00+07:00"),
                ));
                None
            }
        })
    };
    let received_at = time("received_at", received_text);
    let completed_at = time("completed_at", completed_text);
    if let (Some(received), Some(completed)) = (received_at, completed_at) {
        if completed < received {
            errors.push(FieldError::new("completed_at", "sớm hơn thời điểm tiếp nhận (received_at)"));
        }
    }
    if completed_at.is_some_and(|at| at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES)) {
        errors.push(FieldError::new("completed_at", "ở tương lai; chỉ gửi hồ sơ đã giải quyết xong"));
    }
    let phone = phone_text.and_then(|t| match normalize_vn_phone(&t) {
        Ok(normalized) => Some(normalized),
        Err(e) => {
            errors.push(FieldError::new("phone", e.to_string()));
            None
        }
    });
    if zalo_user_id.as_deref().is_some_and(|id| !id.bytes().all(|b| b.is_ascii_digit())) {
        errors.push(FieldError::new("zalo_user_id", "chỉ gồm chữ số (user id của người dân theo OA)"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match (
        code,
        procedure_code,
        procedure_name,
        field,
        agency_code,
        agency_name,
        level,
        received_at,
        completed_at,
        channel,
    ) {
        (
            Some(code),
            Some(procedure_code),
            Some(procedure_name),
            Some(field),
            Some(agency_code),
            Some(agency_name),
            Some(level),
            Some(received_at),
            Some(completed_at),
            Some(channel),
        ) => Ok(Dossier {
            code,
            procedure_code,
            procedure_name,
            field,
            agency_code,
            agency_name,
            level,
            received_at,
            completed_at,
            channel,
            citizen_name,
            phone,
            zalo_user_id,
        }),
        _ => Err(vec![FieldError::new("code", "hồ sơ không hợp lệ")]),
    }
}

/// `tinh`/`huyen`/`xa`, also "tỉnh", "Huyện", "cấp xã", with or without diacritics.
pub fn parse_level(text: &str) -> Option<Level> {
    let folded = fold(text);
    match folded.strip_prefix("cap ").unwrap_or(&folded) {
        "tinh" => Some(Level::Tinh),
        "huyen" => Some(Level::Huyen),
        "xa" => Some(Level::Xa),
        _ => None,
    }
}

/// `truc_tiep`/`truc_tuyen`, also "trực tiếp", "Trực tuyến", with or without diacritics.
pub fn parse_channel(text: &str) -> Option<DossierChannel> {
    match fold(text).as_str() {
        "truc tiep" => Some(DossierChannel::TrucTiep),
        "truc tuyen" => Some(DossierChannel::TrucTuyen),
        _ => None,
    }
}

/// RFC 3339 with an offset (a space instead of `T` is accepted), truncated to milliseconds so a
/// stored time compares equal to the one sent again.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(text.trim()).ok()?.with_timezone(&Utc);
    at.duration_trunc(Duration::milliseconds(1)).ok()
}

/// Validates a whole batch: each row on its own, plus codes repeated within the batch.
/// Returns, per row, the dossier or its errors.
pub fn validate_batch(rows: &[Map<String, Value>], now: DateTime<Utc>) -> Vec<Result<Dossier, Vec<FieldError>>> {
    let mut first_index: BTreeMap<String, usize> = BTreeMap::new();
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let dossier = validate_row(row, now)?;
            if let Some(first) = first_index.get(&dossier.code) {
                return Err(vec![FieldError::new(
                    "code",
                    format!("mã hồ sơ \"{}\" trùng với phần tử {first} của cùng lô", dossier.code),
                )]);
            }
            first_index.insert(dossier.code.clone(), index);
            Ok(dossier)
        })
        .collect()
}

/// Validates and stores a batch from the API: valid rows are stored in one transaction, invalid
/// ones (including elements that are not objects) reported; one result per element, in order.
pub async fn import_batch(service: &SurveyService, rows: &[Value], now: DateTime<Utc>) -> StoreResult<Vec<RowResult>> {
    let empty = Map::new();
    let maps: Vec<&Map<String, Value>> = rows.iter().map(|row| row.as_object().unwrap_or(&empty)).collect();
    let owned: Vec<Map<String, Value>> = maps.iter().map(|m| (*m).clone()).collect();
    let checked: Vec<Result<Dossier, Vec<FieldError>>> = validate_batch(&owned, now)
        .into_iter()
        .zip(rows)
        .map(|(result, row)| {
            if row.is_object() {
                result
            } else {
                Err(vec![FieldError::new("", "mỗi phần tử phải là một đối tượng JSON")])
            }
        })
        .collect();
    let valid: Vec<Dossier> = checked.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let mut outcomes = service.store_dossiers(&valid, now, &|| {}).await?.into_iter();
    Ok(checked
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Ok(dossier) => RowResult {
                index,
                code: Some(dossier.code),
                status: outcomes.next().map_or(RowStatus::Error, RowStatus::from),
                errors: Vec::new(),
            },
            Err(errors) => RowResult { index, code: code_of(maps[index]), status: RowStatus::Error, errors },
        })
        .collect())
}

fn code_of(row: &Map<String, Value>) -> Option<String> {
    row.get("code").and_then(Value::as_str).map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).single().expect("valid")
    }

    fn row(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn good() -> Value {
        json!({
            "code": "000.00.12.H27-260309-0001",
            "procedure_code": "1.001766",
            "procedure_name": "Đăng ký khai sinh",
            "field": "Hộ tịch",
            "agency_code": "H27.12",
            "agency_name": "UBND phường I, Vị Thanh",
            "level": "Xã",
            "received_at": "2026-03-05T08:30:00+07:00",
            "completed_at": "2026-03-09 10:00:00.123456+07:00",
            "channel": "trực tiếp",
            "citizen_name": "Nguyễn Văn An",
            "phone": "0912 345 678",
            "zalo_user_id": "2512523625412515"
        })
    }

    #[test]
    fn valid_row_is_normalised() {
        let dossier = validate_row(&row(good()), now()).expect("valid");
        assert_eq!(dossier.level, Level::Xa);
        assert_eq!(dossier.channel, DossierChannel::TrucTiep);
        assert_eq!(dossier.phone.as_deref(), Some("84912345678"));
        assert_eq!(
            dossier.completed_at,
            Utc.with_ymd_and_hms(2026, 3, 9, 3, 0, 0).single().expect("valid") + Duration::milliseconds(123)
        );
        let mut minimal = row(good());
        for key in ["citizen_name", "phone", "zalo_user_id"] {
            minimal.remove(key);
        }
        minimal.insert("phone".into(), Value::Null);
        let dossier = validate_row(&minimal, now()).expect("optional fields may be absent");
        assert!(!dossier.has_contact());
    }

    #[test]
    fn aliases_for_level_and_channel() {
        for (text, level) in [
            ("tinh", Level::Tinh),
            ("Tỉnh", Level::Tinh),
            ("huyện", Level::Huyen),
            ("HUYEN", Level::Huyen),
            ("xa", Level::Xa),
            ("cấp xã", Level::Xa),
        ] {
            assert_eq!(parse_level(text), Some(level), "{text}");
        }
        assert_eq!(parse_level("phường"), None);
        for (text, channel) in [
            ("truc_tiep", DossierChannel::TrucTiep),
            ("Trực tiếp", DossierChannel::TrucTiep),
            ("truc tuyen", DossierChannel::TrucTuyen),
            ("TRỰC TUYẾN", DossierChannel::TrucTuyen),
        ] {
            assert_eq!(parse_channel(text), Some(channel), "{text}");
        }
        assert_eq!(parse_channel("bưu chính"), None);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut bad = row(good());
        bad.insert("code".into(), json!("  "));
        bad.insert("level".into(), json!("phường"));
        bad.insert("channel".into(), json!(true));
        bad.insert("received_at".into(), json!("09/03/2026"));
        bad.insert("completed_at".into(), json!("2026-03-04T10:00:00+07:00"));
        bad.insert("phone".into(), json!("024 3825 1234"));
        bad.insert("zalo_user_id".into(), json!("abc"));
        bad.insert("agency".into(), json!("x"));
        let errors = validate_row(&bad, now()).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["agency", "code", "channel", "level", "received_at", "phone", "zalo_user_id"],
            "{errors:?}"
        );
        assert!(errors[1].message.contains("bắt buộc"));
        assert!(errors[4].message.contains("RFC 3339"));
        assert!(errors[5].message.contains("máy bàn"), "{}", errors[5].message);
        assert!(!errors.iter().any(|e| e.message.contains("3825")), "a phone number never appears in a message");

        let mut backwards = row(good());
        backwards.insert("completed_at".into(), json!("2026-03-04T10:00:00+07:00"));
        let errors = validate_row(&backwards, now()).expect_err("completed before received");
        assert_eq!(errors, [FieldError::new("completed_at", "sớm hơn thời điểm tiếp nhận (received_at)")]);
        let mut future = row(good());
        future.insert("completed_at".into(), json!("2026-03-11T10:00:00+07:00"));
        assert_eq!(validate_row(&future, now()).expect_err("future")[0].field, "completed_at");
        let mut naive = row(good());
        naive.insert("completed_at".into(), json!("2026-03-09T10:00:00"));
        assert!(validate_row(&naive, now()).expect_err("no offset")[0].message.contains("múi giờ"));
    }

    #[test]
    fn repeated_codes_in_a_batch_are_errors() {
        let rows = vec![row(good()), row(good())];
        let results = validate_batch(&rows, now());
        assert!(results[0].is_ok());
        let errors = results[1].as_ref().expect_err("duplicate");
        assert_eq!(errors[0].field, "code");
        assert!(errors[0].message.contains("phần tử 0"), "{}", errors[0].message);
    }
}

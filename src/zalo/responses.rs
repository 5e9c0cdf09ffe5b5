//! Parsing of Zalo API responses: the `{error, message, data}` envelope (errors arrive
//! with HTTP 200 too), send results (CS / ZBS by UID and ZNS by phone), OAuth token and
//! error bodies, user detail, per-user quota and rating data. Numbers that Zalo sends as
//! strings are accepted as strings or numbers.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::zalo::errors::{classify_api_error, describe, ErrorClass};
use crate::zalo::wire::{de_i64, de_opt_i64, de_opt_string, de_string, string_at, value_to_i64, value_to_string};

/// A non-zero `error` in an API envelope.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Zalo API error {code}: {message}")]
pub struct ApiError {
    pub code: i64,
    /// The body's `message`, or our description of the code when the body has none.
    pub message: String,
}

impl ApiError {
    /// How the caller should react (refresh token, back off, switch channel, give up).
    pub fn class(&self) -> ErrorClass {
        classify_api_error(self.code)
    }
}

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    #[error("response body is not the expected JSON: {0}")]
    Malformed(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("successful response has no `data`")]
    MissingData,
}

/// The generic envelope, with `data` left as JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiEnvelope {
    #[serde(deserialize_with = "de_i64")]
    pub error: i64,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
}

/// Parses the envelope only.
pub fn parse_envelope(raw: &[u8]) -> Result<ApiEnvelope, ResponseError> {
    serde_json::from_slice(raw).map_err(|err| ResponseError::Malformed(err.to_string()))
}

/// Parses an API response: `Err(Api)` when `error != 0`, otherwise `data` as `T`.
pub fn parse_api_response<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ResponseError> {
    let envelope = parse_envelope(raw)?;
    if envelope.error != 0 {
        return Err(ResponseError::Api(ApiError {
            code: envelope.error,
            message: envelope.message.unwrap_or_else(|| describe(envelope.error).to_owned()),
        }));
    }
    let data = envelope.data.ok_or(ResponseError::MissingData)?;
    serde_json::from_value(data).map_err(|err| ResponseError::Malformed(format!("data: {err}")))
}

/// `data` of a CS or ZBS-by-UID send (`/v3.0/oa/message/cs`, `/v3.0/oa/message/template`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SendResponse {
    /// Later seen as `msg_id` in receipts, echoes and `user_feedback`.
    #[serde(deserialize_with = "de_string")]
    pub message_id: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub sent_time: Option<String>,
    #[serde(default)]
    pub quota: Option<SendQuota>,
}

impl SendResponse {
    pub fn sent_time_ms(&self) -> Option<i64> {
        parse_i64(self.sent_time.as_deref())
    }
}

/// `data.quota` of a send (`quota_type` `reply`, `sub_quota`, `purchase_quota`, …).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SendQuota {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub quota_type: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub remain: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub total: Option<i64>,
}

/// `data` of a ZNS send by phone (`business.openapi.zalo.me/message/template`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ZnsSendResponse {
    #[serde(deserialize_with = "de_string")]
    pub msg_id: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub sent_time: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub sending_mode: Option<String>,
    #[serde(default)]
    pub quota: Option<ZnsQuota>,
}

impl ZnsSendResponse {
    pub fn sent_time_ms(&self) -> Option<i64> {
        parse_i64(self.sent_time.as_deref())
    }
}

/// `data.quota` of a ZNS send; values are strings on the wire.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ZnsQuota {
    #[serde(default, rename = "dailyQuota", deserialize_with = "de_opt_string")]
    pub daily_quota: Option<String>,
    #[serde(default, rename = "remainingQuota", deserialize_with = "de_opt_string")]
    pub remaining_quota: Option<String>,
}

impl ZnsQuota {
    pub fn daily_quota_count(&self) -> Option<i64> {
        parse_i64(self.daily_quota.as_deref())
    }

    pub fn remaining_quota_count(&self) -> Option<i64> {
        parse_i64(self.remaining_quota.as_deref())
    }
}

/// Access/refresh token pair from `oauth.zaloapp.com/v4/oa/access_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthTokenResponse {
    pub access_token: String,
    /// Single use: the previous refresh token is invalid once this one is issued.
    pub refresh_token: String,
    /// `expires_in` (a string of seconds on the wire, e.g. "90000" = 25 h).
    pub expires_in_secs: u64,
}

/// OAuth error body (`error` non-zero); treat any refresh error as terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthErrorBody {
    pub error: i64,
    pub error_name: Option<String>,
    pub error_reason: Option<String>,
    pub error_description: Option<String>,
    pub ref_doc: Option<String>,
}

/// What the OAuth endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthResponse {
    Tokens(OAuthTokenResponse),
    Error(OAuthErrorBody),
}

/// Parses an OAuth token response or error body.
pub fn parse_oauth_response(raw: &[u8]) -> Result<OAuthResponse, ResponseError> {
    let body: Value = serde_json::from_slice(raw).map_err(|err| ResponseError::Malformed(err.to_string()))?;
    if !body.is_object() {
        return Err(ResponseError::Malformed("OAuth body is not a JSON object".into()));
    }
    let error_code = body.get("error").and_then(value_to_i64).unwrap_or(0);
    if error_code != 0 {
        return Ok(OAuthResponse::Error(OAuthErrorBody {
            error: error_code,
            error_name: string_at(&body, &["error_name"]),
            error_reason: string_at(&body, &["error_reason"]),
            error_description: string_at(&body, &["error_description"]),
            ref_doc: string_at(&body, &["ref_doc"]),
        }));
    }
    let required = |key: &str| {
        string_at(&body, &[key]).ok_or_else(|| ResponseError::Malformed(format!("OAuth response has no `{key}`")))
    };
    let expires_in = body
        .get("expires_in")
        .and_then(value_to_string)
        .ok_or_else(|| ResponseError::Malformed("OAuth response has no `expires_in`".into()))?;
    let expires_in_secs = expires_in
        .trim()
        .parse()
        .map_err(|_| ResponseError::Malformed(format!("`expires_in` is not a number of seconds: {expires_in}")))?;
    Ok(OAuthResponse::Tokens(OAuthTokenResponse {
        access_token: required("access_token")?,
        refresh_token: required("refresh_token")?,
        expires_in_secs,
    }))
}

/// `data` of `GET /v3.0/oa/user/detail`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserDetail {
    #[serde(deserialize_with = "de_string")]
    pub user_id: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub user_id_by_app: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub user_alias: Option<String>,
    #[serde(default)]
    pub is_sensitive: Option<bool>,
    #[serde(default)]
    pub user_is_follower: Option<bool>,
    /// "DD/MM/YYYY" as sent.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub user_last_interaction_date: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub avatar: Option<String>,
    #[serde(default)]
    pub shared_info: Option<SharedInfo>,
}

impl UserDetail {
    /// `user_last_interaction_date` as a calendar date, when it is a valid DD/MM/YYYY.
    pub fn last_interaction_date(&self) -> Option<CalendarDate> {
        self.user_last_interaction_date.as_deref().and_then(CalendarDate::parse_dd_mm_yyyy)
    }
}

/// Information the user shared with the OA (`request_user_info`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedInfo {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub district: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name: Option<String>,
}

/// A calendar date (no time zone), as Zalo writes "DD/MM/YYYY".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl CalendarDate {
    /// Parses "DD/MM/YYYY" (one-digit day/month accepted); `None` for impossible dates.
    pub fn parse_dd_mm_yyyy(text: &str) -> Option<Self> {
        let mut fields = text.trim().split('/');
        let day: u8 = fields.next()?.parse().ok()?;
        let month: u8 = fields.next()?.parse().ok()?;
        let year_text = fields.next()?;
        if fields.next().is_some() || year_text.len() != 4 {
            return None;
        }
        let year: i32 = year_text.parse().ok()?;
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `data` of `POST /v3.0/oa/quota/message` for one user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserMessageQuota {
    /// Epoch milliseconds of the user's last interaction, as a string.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub last_interaction: Option<String>,
    #[serde(default)]
    pub cs_reply: Option<CsReplyQuota>,
    #[serde(default)]
    pub promotion: Option<PromotionQuota>,
}

impl UserMessageQuota {
    pub fn last_interaction_ms(&self) -> Option<i64> {
        parse_i64(self.last_interaction.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CsReplyQuota {
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub remain: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub total: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PromotionQuota {
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub daily_remain: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub daily_total: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub monthly_remain: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub monthly_total: Option<i64>,
}

/// `data` of `POST business.openapi.zalo.me/rating/get`: `{total, data[…]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RatingPage {
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub total: Option<i64>,
    #[serde(default)]
    pub data: Vec<RatingItem>,
}

/// One rating answer as pulled from the rating API (camelCase ids, unlike the webhook).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RatingItem {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub rating_type: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub option: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub note: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub rate: Option<i64>,
    #[serde(default, rename = "submitDate", deserialize_with = "de_opt_string")]
    pub submit_date: Option<String>,
    #[serde(default, rename = "msgId", deserialize_with = "de_opt_string")]
    pub msg_id: Option<String>,
    #[serde(default)]
    pub feedbacks: Vec<String>,
    #[serde(default, rename = "trackingId", deserialize_with = "de_opt_string")]
    pub tracking_id: Option<String>,
}

fn parse_i64(text: Option<&str>) -> Option<i64> {
    text.and_then(|t| t.trim().parse().ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn samples_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zalo-samples")
    }

    fn response_samples() -> Vec<(String, Vec<u8>)> {
        let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(samples_dir())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?.to_owned();
                let wanted =
                    name.starts_with("api-") && (name.ends_with("-response.json") || name.starts_with("api-oauth-"));
                wanted.then(|| (name, std::fs::read(&path).unwrap()))
            })
            .collect();
        samples.sort();
        samples
    }

    #[test]
    fn every_response_sample_parses() {
        let samples = response_samples();
        assert!(samples.len() >= 7, "only {} response samples", samples.len());
        for (name, raw) in &samples {
            match name.as_str() {
                "api-oa-message-cs-response.json" => check_cs_send(raw),
                "api-oa-quota-message-user-response.json" => check_user_quota(raw),
                "api-oa-user-detail-response.json" => check_user_detail(raw),
                "api-oauth-error-invalid-refresh-token.json" => check_oauth_error(raw),
                "api-oauth-oa-access_token-response.json" => check_oauth_tokens(raw),
                "api-zns-message-template-response.json" => check_zns_send(raw),
                "api-zns-rating-get-esms-wrapper-response.json" => check_rating_items(raw),
                // A new sample without a typed check must at least be valid JSON.
                _ => assert!(serde_json::from_slice::<Value>(raw).is_ok(), "{name}"),
            }
        }
    }

    fn check_cs_send(raw: &[u8]) {
        let sent: SendResponse = parse_api_response(raw).unwrap();
        assert_eq!(sent.message_id, "63ecf43f0df7dba892e6");
        assert_eq!(sent.user_id.as_deref(), Some("2512523625412515"));
        assert_eq!(sent.sent_time_ms(), Some(1_626_926_349_402));
        let quota = sent.quota.unwrap();
        assert_eq!(quota.quota_type.as_deref(), Some("reply"));
        assert_eq!((quota.remain, quota.total), (Some(8), Some(8)));
        let envelope = parse_envelope(raw).unwrap();
        assert_eq!((envelope.error, envelope.message.as_deref()), (0, Some("Success")));
    }

    fn check_user_quota(raw: &[u8]) {
        let quota: UserMessageQuota = parse_api_response(raw).unwrap();
        assert_eq!(quota.last_interaction_ms(), Some(1_690_184_100_000));
        let cs = quota.cs_reply.unwrap();
        assert_eq!((cs.remain, cs.total), (Some(8), Some(8)));
        let promotion = quota.promotion.unwrap();
        assert_eq!(promotion.daily_total, Some(1));
        assert_eq!(promotion.monthly_remain, Some(4));
    }

    fn check_user_detail(raw: &[u8]) {
        let user: UserDetail = parse_api_response(raw).unwrap();
        assert_eq!(user.user_id, "4572947693969771653");
        assert_eq!(user.user_id_by_app.as_deref(), Some("4604138790644222978"));
        assert_eq!(user.display_name.as_deref(), Some("Tên hiển thị của người dùng"));
        assert_eq!(user.user_is_follower, Some(false));
        assert_eq!(user.is_sensitive, Some(false));
        assert_eq!(user.last_interaction_date(), Some(CalendarDate { year: 2023, month: 7, day: 6 }));
        assert_eq!(user.shared_info.unwrap().phone.as_deref(), Some("..."));
    }

    fn check_oauth_error(raw: &[u8]) {
        let OAuthResponse::Error(error) = parse_oauth_response(raw).unwrap() else { panic!("expected an error body") };
        assert_eq!(error.error, -14014);
        assert_eq!(error.error_name.as_deref(), Some("Invalid refresh token"));
        assert_eq!(error.error_description, None);
    }

    fn check_oauth_tokens(raw: &[u8]) {
        let OAuthResponse::Tokens(tokens) = parse_oauth_response(raw).unwrap() else { panic!("expected tokens") };
        assert_eq!(tokens.access_token, "RfBh5NdqsWzhcX8bDDe_1A463Z34Fhy1GVi63AoTU1InwujqF");
        assert_eq!(tokens.refresh_token, "L2Y2BO9Prn_I1SkM08T4J99bZQYVbOBPfTVeRgrLdPK4ZqGX9G");
        assert_eq!(tokens.expires_in_secs, 90_000);
    }

    fn check_zns_send(raw: &[u8]) {
        let sent: ZnsSendResponse = parse_api_response(raw).unwrap();
        assert_eq!(sent.msg_id, "a4d0243feee163bd3af2");
        assert_eq!(sent.sent_time_ms(), Some(1_626_926_349_402));
        assert_eq!(sent.sending_mode.as_deref(), Some("1"));
        let quota = sent.quota.unwrap();
        assert_eq!(quota.daily_quota.as_deref(), Some("500"));
        assert_eq!(quota.remaining_quota.as_deref(), Some("499"));
        assert_eq!(quota.remaining_quota_count(), Some(499));
    }

    /// The eSMS wrapper carries Zalo's rating items under `Data`.
    fn check_rating_items(raw: &[u8]) {
        let body: Value = serde_json::from_slice(raw).unwrap();
        let items: Vec<RatingItem> = serde_json::from_value(body["Data"].clone()).unwrap();
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(item.rate, Some(5));
        assert_eq!(item.msg_id.as_deref(), Some("5dcf84fe1fd8bd85e4ca"));
        assert_eq!(item.submit_date.as_deref(), Some("1659750276218"));
        assert_eq!(item.feedbacks.len(), 5);
        assert_eq!(item.note, None);
        assert_eq!(item.tracking_id, None);
    }

    #[test]
    fn api_errors_come_back_as_typed_errors() {
        let raw = br#"{"error":-216,"message":"Access token is invalid"}"#;
        let err = parse_api_response::<SendResponse>(raw).unwrap_err();
        let ResponseError::Api(api) = &err else { panic!("{err:?}") };
        assert_eq!(api.code, -216);
        assert_eq!(api.class(), ErrorClass::Token);
        assert_eq!(err.to_string(), "Zalo API error -216: Access token is invalid");

        // Error with an unexpected `data` shape and no message still gives the code.
        let raw = br#"{"error":"-230","data":{}}"#;
        let ResponseError::Api(api) = parse_api_response::<SendResponse>(raw).unwrap_err() else { panic!() };
        assert_eq!(api.code, -230);
        assert_eq!(api.class(), ErrorClass::OutsideWindow);
        assert!(!api.message.is_empty());
    }

    #[test]
    fn malformed_and_incomplete_bodies() {
        assert!(matches!(parse_api_response::<SendResponse>(b"<html>502</html>"), Err(ResponseError::Malformed(_))));
        assert_eq!(
            parse_api_response::<SendResponse>(br#"{"error":0,"message":"Success"}"#),
            Err(ResponseError::MissingData)
        );
        assert!(matches!(
            parse_api_response::<SendResponse>(br#"{"error":0,"data":{"user_id":"1"}}"#),
            Err(ResponseError::Malformed(msg)) if msg.contains("message_id")
        ));
    }

    #[test]
    fn zbs_uid_send_response_shape() {
        let raw = br#"{"error":0,"message":"Success","data":{"message_id":"abc","user_id":"25125",
            "sent_time":1626926349402,"quota":{"quota_type":"sub_quota","remain":"3","total":10}}}"#;
        let sent: SendResponse = parse_api_response(raw).unwrap();
        assert_eq!(sent.sent_time.as_deref(), Some("1626926349402"));
        let quota = sent.quota.unwrap();
        assert_eq!((quota.remain, quota.total), (Some(3), Some(10)));
    }

    #[test]
    fn oauth_variants() {
        let numeric = br#"{"access_token":"a","refresh_token":"r","expires_in":90000}"#;
        assert!(matches!(
            parse_oauth_response(numeric),
            Ok(OAuthResponse::Tokens(OAuthTokenResponse { expires_in_secs: 90_000, .. }))
        ));
        let with_zero_error = br#"{"error":0,"access_token":"a","refresh_token":"r","expires_in":"3600"}"#;
        assert!(matches!(parse_oauth_response(with_zero_error), Ok(OAuthResponse::Tokens(_))));
        let described = br#"{"error":-14002,"error_name":"Invalid appId","error_reason":"x",
            "error_description":"app id invalid","ref_doc":"https://doc"}"#;
        let Ok(OAuthResponse::Error(error)) = parse_oauth_response(described) else { panic!() };
        assert_eq!(error.error_description.as_deref(), Some("app id invalid"));
        assert_eq!(error.ref_doc.as_deref(), Some("https://doc"));

        let cases: [(&[u8], &str); 4] = [
            (br#"{"refresh_token":"r","expires_in":"1"}"#, "access_token"),
            (br#"{"access_token":"a","refresh_token":"r"}"#, "expires_in"),
            (br#"{"access_token":"a","refresh_token":"r","expires_in":"soon"}"#, "seconds"),
            (br#"[1]"#, "not a JSON object"),
        ];
        for (raw, expected) in cases {
            let err = parse_oauth_response(raw).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} ~ {expected}");
        }
    }

    #[test]
    fn calendar_dates() {
        let cases = [
            ("06/07/2023", Some((2023, 7, 6))),
            ("6/7/2023", Some((2023, 7, 6))),
            ("29/02/2024", Some((2024, 2, 29))),
            ("29/02/2023", None),
            ("31/04/2023", None),
            ("00/01/2023", None),
            ("01/13/2023", None),
            ("2023-07-06", None),
            ("01/01/23", None),
            ("01/01/2023/1", None),
        ];
        for (text, expected) in cases {
            let parsed = CalendarDate::parse_dd_mm_yyyy(text).map(|d| (d.year, d.month, d.day));
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn rating_page_shape() {
        let raw = r#"{"error":0,"message":"Success","data":{"total":1,"data":[{"rating_type":"csat",
            "option":"five_emotions","note":"Tốt","rate":4,"submitDate":"1659750276218",
            "msgId":"m1","feedbacks":["Nhanh"],"trackingId":"t1"}]}}"#;
        let page: RatingPage = parse_api_response(raw.as_bytes()).unwrap();
        assert_eq!(page.total, Some(1));
        assert_eq!(page.data[0].tracking_id.as_deref(), Some("t1"));
        assert_eq!(page.data[0].rate, Some(4));
    }
}

//! Classification of Zalo error codes (reference §4) into what the sender should do —
//! refresh the token, back off, switch to a template channel, retry later, or give up —
//! and short Vietnamese descriptions for dead-letter messages and the admin UI.

/// What to do about a failed Zalo call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Access token invalid/expired: refresh once, retry once.
    Token,
    /// Rate limit reached: back off and retry.
    RateLimited,
    /// The citizen is outside the CS messaging window: use a ZBS/ZNS template instead.
    OutsideWindow,
    /// Server-side failure (HTTP 5xx): retry later.
    Transient,
    /// Retrying the same request will not help.
    Permanent,
}

/// Classifies an `error` code of the OA Open API or ZNS/ZBS (call it for non-zero codes).
/// Token: -216, -220 (OA), -124 (ZNS). Rate: -32. Outside window: -213, -230, -232.
/// Everything else is permanent.
pub fn classify_api_error(code: i64) -> ErrorClass {
    match code {
        -216 | -220 | -124 => ErrorClass::Token,
        -32 => ErrorClass::RateLimited,
        -213 | -230 | -232 => ErrorClass::OutsideWindow,
        _ => ErrorClass::Permanent,
    }
}

/// Classifies an HTTP status before the body is read: 429 → rate limited, 5xx →
/// transient; anything else (Zalo answers errors with HTTP 200) → `None`, read the body.
pub fn classify_http_status(status: u16) -> Option<ErrorClass> {
    match status {
        429 => Some(ErrorClass::RateLimited),
        500..=599 => Some(ErrorClass::Transient),
        _ => None,
    }
}

/// Description used for codes missing from the table.
pub const UNKNOWN_CODE_DESCRIPTION: &str = "Mã lỗi Zalo chưa được mô tả";

/// Known codes of the OA Open API, ZNS/ZBS and OAuth with a short description.
/// -100 means "attachment expired" on the OA API and "unknown error" on ZNS.
const DESCRIPTIONS: &[(i64, &str)] = &[
    (0, "Thành công"),
    (-32, "Vượt giới hạn tần suất gọi API (4.000 yêu cầu/phút)"),
    (-100, "attachment_id đã hết hạn (OA) hoặc lỗi không xác định (ZNS)"),
    (-101, "ZNS: ứng dụng không hợp lệ"),
    (-102, "ZNS: ứng dụng không tồn tại"),
    (-103, "ZNS: ứng dụng chưa được kích hoạt"),
    (-104, "ZNS: secret key của ứng dụng không hợp lệ"),
    (-105, "ZNS: ứng dụng chưa liên kết với OA"),
    (-106, "ZNS: phương thức không được hỗ trợ"),
    (-107, "ZNS: ID thông báo không hợp lệ"),
    (-108, "ZNS: số điện thoại không hợp lệ"),
    (-109, "ZNS: ID template không hợp lệ"),
    (-110, "ZNS: phiên bản Zalo của người nhận không được hỗ trợ"),
    (-111, "ZNS: dữ liệu template rỗng"),
    (-1121, "ZNS: tham số vượt quá độ dài tối đa"),
    (-1122, "ZNS: thiếu tham số bắt buộc"),
    (-114, "ZNS: người dùng không thể nhận tin (trạng thái, từ chối nhận hoặc Zalo cũ)"),
    (-115, "ZNS: hết hạn mức hoặc hết số dư"),
    (-117, "ZNS: OA hoặc ứng dụng không có quyền dùng template này"),
    (-118, "ZNS: tài khoản Zalo không tồn tại"),
    (-119, "ZNS: tài khoản không thể nhận tin"),
    (-124, "ZNS: access token không hợp lệ"),
    (-125, "ZNS: ID OA không hợp lệ"),
    (-126, "ZNS: hết hạn mức của chế độ phát triển"),
    (-127, "ZNS: người nhận không phải quản trị viên (chế độ phát triển)"),
    (-131, "ZNS: template chưa được duyệt"),
    (-133, "ZNS: không được gửi vào ban đêm (22:00–06:00)"),
    (-135, "ZNS: OA chưa được phép gửi ZNS"),
    (-136, "ZNS: chưa liên kết Zalo Cloud Account"),
    (-137, "ZNS: trừ phí Zalo Cloud Account thất bại"),
    (-139, "ZNS: người dùng đã từ chối nhận tin"),
    (-140, "ZNS: người dùng không đủ điều kiện nhận tin"),
    (-141, "ZNS: người dùng đã từ chối nhận tin từ OA này"),
    (-144, "ZNS: OA đã hết hạn mức gửi trong ngày"),
    (-146, "ZNS: template bị vô hiệu hóa do chất lượng thấp"),
    (-147, "ZNS: template đã hết hạn mức gửi trong ngày"),
    (-200, "Gửi tin thất bại"),
    (-201, "Tham số không hợp lệ"),
    (-202, "Mã MAC không hợp lệ"),
    (-204, "OA đã bị vô hiệu hóa"),
    (-205, "OA không tồn tại"),
    (-209, "API không được hỗ trợ (ứng dụng chưa được kích hoạt)"),
    (-210, "Tham số vượt quá giới hạn cho phép"),
    (-211, "Đã hết hạn mức"),
    (-212, "Ứng dụng chưa đăng ký API này"),
    (-213, "Người dùng chưa quan tâm OA"),
    (-215, "App ID không hợp lệ"),
    (-216, "Access token không hợp lệ"),
    (-217, "Người dùng đã chặn lời mời từ OA"),
    (-218, "Người dùng đã hết hạn mức nhận tin"),
    (-219, "Ứng dụng đã bị gỡ hoặc vô hiệu hóa"),
    (-220, "Access token đã hết hạn hoặc bị thu hồi"),
    (-221, "OA cần được xác thực để dùng tính năng này"),
    (-223, "OA chưa cấp quyền cho API này"),
    (-224, "OA cần nâng cấp gói dịch vụ"),
    (-227, "Người dùng bị khóa hoặc không hoạt động quá 45 ngày"),
    (-230, "Người dùng không tương tác với OA trong 7 ngày qua"),
    (-232, "Người dùng chưa tương tác với OA hoặc lần tương tác cuối đã hết hạn"),
    (-233, "Loại tin không hợp lệ hoặc không được hỗ trợ"),
    (-234, "Không được gửi loại tin này vào ban đêm (22:00–06:00)"),
    (-240, "API gửi tin V2 đã ngừng, cần dùng V3"),
    (-242, "appsecret_proof không hợp lệ"),
    (-244, "Người dùng đã chặn loại tin này từ OA"),
    (-248, "Vi phạm tiêu chuẩn nền tảng"),
    (-249, "Template không hỗ trợ gửi qua UID"),
    (-305, "Không thể trả lời người dùng sau 48 giờ (quy định cũ)"),
    (-311, "Hết hạn mức trả lời (quy định cũ)"),
    (-320, "Ứng dụng cần liên kết Zalo Cloud Account"),
    (-321, "Zalo Cloud Account đã hết tiền"),
    (-14002, "OAuth: App ID không hợp lệ"),
    (-14003, "OAuth: redirect URI không hợp lệ"),
    (-14014, "OAuth: refresh token không hợp lệ"),
    (-14020, "OAuth: refresh token đã được sử dụng"),
];

/// Short Vietnamese description of a code; [`UNKNOWN_CODE_DESCRIPTION`] for unknown codes.
pub fn describe(code: i64) -> &'static str {
    DESCRIPTIONS
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(UNKNOWN_CODE_DESCRIPTION, |(_, description)| *description)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn api_codes_are_classified() {
        let cases = [
            (-216, ErrorClass::Token),
            (-220, ErrorClass::Token),
            (-124, ErrorClass::Token),
            (-32, ErrorClass::RateLimited),
            (-213, ErrorClass::OutsideWindow),
            (-230, ErrorClass::OutsideWindow),
            (-232, ErrorClass::OutsideWindow),
            (-201, ErrorClass::Permanent),
            (-108, ErrorClass::Permanent),
            (-133, ErrorClass::Permanent),
            (-144, ErrorClass::Permanent),
            (-249, ErrorClass::Permanent),
            (-14014, ErrorClass::Permanent),
            (-99999, ErrorClass::Permanent),
        ];
        for (code, expected) in cases {
            assert_eq!(classify_api_error(code), expected, "{code}");
        }
    }

    #[test]
    fn http_statuses_are_classified() {
        let cases = [
            (200, None),
            (400, None),
            (401, None),
            (404, None),
            (429, Some(ErrorClass::RateLimited)),
            (500, Some(ErrorClass::Transient)),
            (502, Some(ErrorClass::Transient)),
            (503, Some(ErrorClass::Transient)),
            (599, Some(ErrorClass::Transient)),
            (600, None),
        ];
        for (status, expected) in cases {
            assert_eq!(classify_http_status(status), expected, "{status}");
        }
    }

    #[test]
    fn descriptions() {
        let cases = [
            (-216, "Access token không hợp lệ"),
            (-230, "Người dùng không tương tác với OA trong 7 ngày qua"),
            (-108, "ZNS: số điện thoại không hợp lệ"),
            (-1121, "ZNS: tham số vượt quá độ dài tối đa"),
            (-14014, "OAuth: refresh token không hợp lệ"),
            (-424242, UNKNOWN_CODE_DESCRIPTION),
        ];
        for (code, expected) in cases {
            assert_eq!(describe(code), expected, "{code}");
        }
    }

    #[test]
    fn every_classified_code_has_a_description_and_codes_are_unique() {
        for code in [-216, -220, -124, -32, -213, -230, -232] {
            assert_ne!(describe(code), UNKNOWN_CODE_DESCRIPTION, "{code}");
        }
        let mut seen = HashSet::new();
        for (code, description) in DESCRIPTIONS {
            assert!(seen.insert(code), "duplicate {code}");
            assert!(!description.trim().is_empty(), "{code}");
        }
    }
}

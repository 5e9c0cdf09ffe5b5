//! The console's URLs in one place, and the check that keeps the sign-in page's `next`
//! parameter on this site (no open redirect).

pub const HOME: &str = "/console/";
pub const LOGIN: &str = "/console/login";
pub const LOGOUT: &str = "/console/logout";
pub const PASSWORD: &str = "/console/password";
pub const USERS: &str = "/console/users";
pub const AUDIT: &str = "/console/audit";
pub const TICKETS: &str = "/console/tickets";
pub const CHATS: &str = "/console/chats";
pub const STYLESHEET: &str = "/console/static/app.css";
pub const CHAT_SCRIPT: &str = "/console/static/chat.js";
pub const SURVEYS: &str = "/console/surveys";
pub const SURVEY_DOSSIERS: &str = "/console/surveys/dossiers";
pub const SURVEY_IMPORTS: &str = "/console/surveys/imports";
pub const SURVEY_OPT_OUTS: &str = "/console/surveys/opt-outs";
/// The statistics page (same query parameters as the download, without `format`).
pub const STATS: &str = "/console/stats";
/// Download of survey statistics (`?survey=&from=&to=[&group_by=&agency=&level=&field=&procedure=&channel=]&format=xlsx|csv|json`).
pub const STATS_EXPORT: &str = "/console/stats/export";

/// Room for the multipart framing around an uploaded file.
const UPLOAD_OVERHEAD_BYTES: usize = 64 * 1024;

/// The largest request body accepted at `path`: `default` (`server.body_limit_bytes`), except
/// for the dossier file upload.
pub fn body_limit(path: &str, default: u64) -> usize {
    if path == SURVEY_IMPORTS {
        crate::surveys::imports::MAX_IMPORT_BYTES + UPLOAD_OVERHEAD_BYTES
    } else {
        usize::try_from(default).unwrap_or(usize::MAX)
    }
}

/// A dossier import's status page.
pub fn survey_import(id: i64) -> String {
    format!("{SURVEY_IMPORTS}/{id}")
}

/// A ticket's page.
pub fn ticket(code: &str) -> String {
    format!("{TICKETS}/{}", encode_component(code))
}

/// An officer chat's page.
pub fn chat(id: i64) -> String {
    format!("{CHATS}/{id}")
}

/// The sign-in page, coming back to `target` afterwards.
pub fn login_with_next(target: &str) -> String {
    let target = safe_next(Some(target));
    if target == HOME {
        LOGIN.to_owned()
    } else {
        format!("{LOGIN}?next={}", encode_component(&target))
    }
}

/// Where to go after signing in: `next` when it is a path inside the console, the home page
/// otherwise. Anything that could leave the site (`//host`, `https://…`, backslashes, control
/// characters) or loop back to signing in/out is refused.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else { return HOME.to_owned() };
    let inside = next == "/console" || next.starts_with("/console/") || next.starts_with("/console?");
    let clean = !next.contains('\\') && !next.chars().any(char::is_control) && !next.contains("//");
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let loops = path == LOGIN || path == LOGOUT;
    if inside && clean && !loops {
        next.to_owned()
    } else {
        HOME.to_owned()
    }
}

/// `base` with these query values (empty ones left out), encoded.
pub fn with_query(base: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| {
            value.map(str::trim).filter(|v| !v.is_empty()).map(|v| format!("{key}={}", encode_component(v)))
        })
        .collect();
    if parts.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for query values.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_console() {
        assert_eq!(safe_next(Some("/console/users?page=2")), "/console/users?page=2");
        assert_eq!(safe_next(Some("/console")), "/console");
        for bad in [
            "https://evil.example/console/",
            "//evil.example",
            "/\\evil.example",
            "/console/..//evil",
            "/consolex",
            "/other",
            "javascript:alert(1)",
            "/console/login?next=/console/",
            "/console/logout",
            "/console/\r\nSet-Cookie: x=1",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?} must not be followed");
        }
        assert_eq!(safe_next(None), HOME);
    }

    #[test]
    fn login_links_carry_an_encoded_next() {
        assert_eq!(
            login_with_next("/console/audit?action=sign_in&page=2"),
            "/console/login?next=/console/audit%3Faction%3Dsign_in%26page%3D2"
        );
        assert_eq!(login_with_next("/console/"), "/console/login");
        assert_eq!(login_with_next("//evil"), "/console/login");
        assert_eq!(encode_component("a b&đ"), "a%20b%26%C4%91");
        assert_eq!(
            with_query(STATS, &[("agency", Some("H27.01")), ("level", None), ("field", Some(" "))]),
            "/console/stats?agency=H27.01"
        );
        assert_eq!(with_query(STATS, &[]), STATS);
    }
}

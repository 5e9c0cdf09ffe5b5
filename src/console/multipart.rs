//! Reading a `multipart/form-data` body that is already in memory — the console's file upload
//! form, sent by a browser without JavaScript. Deliberately small: named parts with an optional
//! file name; no nested multiparts and no transfer encodings (browsers send neither).

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// The file's name as the browser sent it, for file fields.
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

/// The body is not the multipart form it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed multipart/form-data body: {0}")]
pub struct MultipartError(&'static str);

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params_of(params)
        .into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value)
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// `key=value` pairs of a header's parameters (`; name="a"; filename="b.csv"`), quotes removed.
fn params_of(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = &rest[end..];
            value
        };
        params.push((key, value));
    }
    params
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|window| window == needle).map(|i| i + from)
}

/// The parts of `body`, in order.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = [b"--", boundary.as_bytes()].concat();
    let next_delimiter = [b"\r\n--", boundary.as_bytes()].concat();
    let mut at = find(body, &delimiter, 0).ok_or(MultipartError("no boundary"))? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        if body.get(at..at + 2) != Some(b"\r\n") {
            return Err(MultipartError("boundary not followed by a line break"));
        }
        let headers_start = at + 2;
        let headers_end = find(body, b"\r\n\r\n", headers_start).ok_or(MultipartError("unterminated part headers"))?;
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, headers_end + 2).ok_or(MultipartError("unterminated part"))?;
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let disposition = headers
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, value)| value.trim().to_owned())
            .ok_or(MultipartError("a part without Content-Disposition"))?;
        let params = params_of(disposition.split_once(';').map_or("", |(_, p)| p));
        let param = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
        let name = param("name").ok_or(MultipartError("a part without a name"))?;
        let data = body.get(data_start.min(data_end)..data_end).unwrap_or_default().to_vec();
        parts.push(Part { name, file_name: param("filename"), data });
        at = data_end + next_delimiter.len();
    }
}

/// The text of the first part named `name`.
pub fn text_field(parts: &[Part], name: &str) -> Option<String> {
    parts
        .iter()
        .find(|p| p.name == name && p.file_name.is_none())
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"preamble\r\n------b0undary\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok3n\r\n------b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"H\xe1\xbb\x93 s\xc6\xa1 \\\"3\\\".csv\"\r\nContent-Type: text/csv\r\n\r\ncode,level\r\nHS-1,xa\r\n\r\n------b0undary--\r\n";

    #[test]
    fn fields_and_files() {
        assert_eq!(boundary("multipart/form-data; boundary=----b0undary").as_deref(), Some("----b0undary"));
        assert_eq!(boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        let parts = parse(BODY, "----b0undary").expect("valid");
        assert_eq!(parts.len(), 2);
        assert_eq!(text_field(&parts, "_csrf").as_deref(), Some("tok3n"));
        assert_eq!(parts[1].file_name.as_deref(), Some("Hồ sơ \"3\".csv"));
        assert_eq!(parts[1].data, b"code,level\r\nHS-1,xa\r\n");
    }

    #[test]
    fn empty_file_and_broken_bodies() {
        let body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--x--";
        let parts = parse(body, "x").expect("valid");
        assert_eq!((parts[0].file_name.as_deref(), parts[0].data.len()), (Some(""), 0));
        assert!(parse(b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "x").is_err());
        assert!(parse(b"nothing here", "x").is_err());
        assert!(parse(b"--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", "x").is_err());
    }
}

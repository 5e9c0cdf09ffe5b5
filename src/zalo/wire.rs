//! Lenient readers for Zalo JSON values: ids, timestamps and counters are strings on the
//! wire (ids exceed 2^53) but some payloads and fixtures carry plain numbers. These helpers
//! accept both without losing digits and treat empty strings as absent.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads a string or an integer/float number as its exact text; empty strings, `null`,
/// booleans, arrays and objects count as absent.
pub fn value_to_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads an integer given as a number or as a numeric string (surrounding spaces allowed).
pub fn value_to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a floating-point number given as a number or as a numeric string.
pub fn value_to_f64(value: &Value) -> Option<f64> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.filter(|f: &f64| f.is_finite())
}

/// Follows a path of object keys; `None` as soon as a step is missing or not an object.
pub fn value_at<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(root, |current, key| current.get(key))
}

/// `value_to_string` of the value at `path`.
pub fn string_at(root: &Value, path: &[&str]) -> Option<String> {
    value_at(root, path).and_then(value_to_string)
}

/// `value_to_i64` of the value at `path`.
pub fn i64_at(root: &Value, path: &[&str]) -> Option<i64> {
    value_at(root, path).and_then(value_to_i64)
}

/// Every element of the array at `path` that reads as a string (others are skipped).
pub fn strings_at(root: &Value, path: &[&str]) -> Vec<String> {
    value_at(root, path)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(value_to_string).collect())
        .unwrap_or_default()
}

/// Serde adapter: optional string field that may arrive as a number.
pub fn de_opt_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(value_to_string))
}

/// Serde adapter: optional integer field that may arrive as a numeric string.
pub fn de_opt_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(value_to_i64))
}

/// Serde adapter: required string field that may arrive as a number.
pub fn de_string<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    value_to_string(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a non-empty string or number, got {value}")))
}

/// Serde adapter: required integer that may arrive as a numeric string.
pub fn de_i64<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    value_to_i64(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected an integer or numeric string, got {value}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_keep_every_digit_of_large_numbers() {
        let body: Value = serde_json::from_str(r#"{"a":"8890635404729405962","b":8890635404729405962}"#).unwrap();
        assert_eq!(string_at(&body, &["a"]).as_deref(), Some("8890635404729405962"));
        assert_eq!(string_at(&body, &["b"]).as_deref(), Some("8890635404729405962"));
    }

    #[test]
    fn empty_and_non_scalar_values_are_absent() {
        for value in [json!(""), json!("  "), json!(null), json!(true), json!([]), json!({})] {
            assert_eq!(value_to_string(&value), None, "{value}");
        }
    }

    #[test]
    fn integers_and_floats_read_from_strings_or_numbers() {
        assert_eq!(value_to_i64(&json!("90000")), Some(90000));
        assert_eq!(value_to_i64(&json!(90000)), Some(90000));
        assert_eq!(value_to_i64(&json!("9x")), None);
        assert_eq!(value_to_f64(&json!("10.7923119")), Some(10.792_311_9));
        assert_eq!(value_to_f64(&json!(106.5)), Some(106.5));
        assert_eq!(value_to_f64(&json!("NaN")), None);
    }

    #[test]
    fn paths_and_arrays() {
        let body = json!({"m":{"ids":["a", 1, null, {"x":1}]}});
        assert_eq!(strings_at(&body, &["m", "ids"]), vec!["a", "1"]);
        assert!(strings_at(&body, &["m", "none"]).is_empty());
        assert_eq!(value_at(&body, &["m", "ids", "x"]), None);
    }
}

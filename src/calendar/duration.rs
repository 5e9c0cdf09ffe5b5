//! Human-written durations such as `"24h"`, `"30m"`, `"90s"`, `"7d"` or `"1h30m"`, used in
//! configuration.

use std::fmt;

use chrono::Duration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration ({reason}); write it like \"90s\", \"30m\", \"24h\", \"7d\" or \"1h30m\"")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses `"1h30m"`-style text into a non-negative duration. Units: `d`, `h`, `m`, `s`, `ms`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError { input: input.to_owned(), reason };
    let text = input.trim();
    if text.is_empty() {
        return Err(err("it is empty"));
    }
    let mut total_ms: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(err("a number must come before each unit"));
        }
        let amount: i64 = rest[..digits_end].parse().map_err(|_| err("the number is too large"))?;
        rest = &rest[digits_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_ms: i64 = match &rest[..unit_end] {
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            "" => return Err(err("a unit (d, h, m, s, ms) must follow each number")),
            _ => return Err(err("unknown unit")),
        };
        rest = &rest[unit_end..];
        total_ms = amount
            .checked_mul(unit_ms)
            .and_then(|part| total_ms.checked_add(part))
            .ok_or_else(|| err("the duration is too large"))?;
    }
    Ok(Duration::milliseconds(total_ms))
}

/// Formats a duration in the shortest form [`parse_duration`] reads back.
pub fn format_duration(duration: Duration) -> String {
    let mut ms = duration.num_milliseconds();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

/// A duration that reads and writes itself as human text in configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn from_secs(secs: i64) -> Self {
        Self(Duration::seconds(secs))
    }

    pub fn to_std(self) -> std::time::Duration {
        self.0.to_std().unwrap_or_default()
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text).map(HumanDuration).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        for (text, secs) in [("90s", 90), ("30m", 1800), ("24h", 86_400), ("7d", 604_800), ("1h30m", 5400)] {
            let parsed = parse_duration(text).expect("test value");
            assert_eq!(parsed.num_seconds(), secs, "{text}");
            assert_eq!(parse_duration(&format_duration(parsed)).expect("test value"), parsed);
        }
        assert_eq!(format_duration(Duration::seconds(5400)), "1h30m");
        assert_eq!(parse_duration("250ms").expect("test value").num_milliseconds(), 250);
    }

    #[test]
    fn rejects_bad_text_with_the_input_quoted() {
        for bad in ["", "h", "10", "10x", "-5s", "1h 30m", "99999999999999999999d"] {
            let err = parse_duration(bad).expect_err("should fail");
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }
}

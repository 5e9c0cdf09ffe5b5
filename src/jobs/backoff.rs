//! Retry delays: exponential growth from a base, capped, with "equal jitter" so that jobs that
//! failed together do not all retry in the same instant.

use chrono::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Delay before the retry that follows failed attempt number `attempt` (1-based).
    /// `jitter` in `[0, 1)` picks a point in the upper half of the exponential step:
    /// `step/2 + jitter·step/2`, where `step = min(base·2^(attempt-1), max)`.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let base_ms = self.base.num_milliseconds().max(1);
        let step_ms = base_ms.saturating_mul(1_i64 << exponent).min(self.max.num_milliseconds().max(base_ms));
        let half = step_ms / 2;
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let jittered = (half as f64 * jitter.clamp(0.0, 1.0)) as i64;
        Duration::milliseconds(step_ms - half + jittered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_then_caps_and_stays_in_the_jitter_band() {
        let backoff = Backoff { base: Duration::seconds(2), max: Duration::seconds(60) };
        let lows: Vec<i64> = (1..=7).map(|a| backoff.delay(a, 0.0).num_milliseconds()).collect();
        let highs: Vec<i64> = (1..=7).map(|a| backoff.delay(a, 1.0).num_milliseconds()).collect();
        assert_eq!(lows, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(highs, [2000, 4000, 8000, 16000, 32000, 60000, 60000]);
        let mid = backoff.delay(3, 0.5).num_milliseconds();
        assert!((4000..=8000).contains(&mid));
        assert_eq!(backoff.delay(1000, 1.0).num_seconds(), 60, "huge attempt counts do not overflow");
    }
}

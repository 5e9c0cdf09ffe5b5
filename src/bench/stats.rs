//! Latency percentiles and throughput of a benchmark run.

use std::time::Duration;

/// Summary of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// Summarises latencies (any order) of the successful requests of a run of `elapsed`.
    pub fn from_latencies(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        let pick = |q: f64| percentile(&latencies, q);
        Self {
            requests: latencies.len(),
            errors,
            elapsed,
            p50: pick(0.50),
            p90: pick(0.90),
            p99: pick(0.99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }

    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let count = self.requests as f64;
            count / seconds
        } else {
            0.0
        }
    }

    /// One line for the terminal and for BENCHMARKS.md.
    pub fn line(&self) -> String {
        format!(
            "{} ok, {} errors in {:.2}s: {:.0}/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.requests,
            self.errors,
            self.elapsed.as_secs_f64(),
            self.throughput(),
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1).
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&values, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&values, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
        let summary = Summary::from_latencies(values, 2, Duration::from_secs(2));
        assert!((summary.throughput() - 50.0).abs() < 1e-9);
        assert_eq!(summary.max, Duration::from_millis(100));
        assert!(summary.line().contains("100 ok, 2 errors"));
    }
}

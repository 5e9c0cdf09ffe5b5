//! In-process counters rendered in the Prometheus text format at `/metrics`: HTTP requests and
//! latency by route, job runs by kind and outcome; job counts by state are read at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::JobCount;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, slot) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *slot += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }
}

#[derive(Debug, Default)]
struct Inner {
    http_requests: BTreeMap<(String, String, u16), u64>,
    http_latency: BTreeMap<(String, String), Histogram>,
    jobs_finished: BTreeMap<(String, &'static str), u64>,
    job_latency: BTreeMap<String, Histogram>,
}

/// Shared metrics registry; cheap to clone.
#[derive(Debug, Default, Clone)]
pub struct Metrics(Arc<Mutex<Inner>>);

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Records one HTTP request by method, matched route (never the raw path) and status.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.with(|m| {
            *m.http_requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
            m.http_latency.entry((method.to_owned(), route.to_owned())).or_default().observe(elapsed);
        });
    }

    /// Records a finished job run (`completed`, `retried` or `discarded`).
    pub fn job_finished(&self, kind: &str, outcome: &'static str, elapsed: Duration) {
        self.with(|m| {
            *m.jobs_finished.entry((kind.to_owned(), outcome)).or_default() += 1;
            m.job_latency.entry(kind.to_owned()).or_default().observe(elapsed);
        });
    }

    /// The Prometheus text exposition, with the job counts read from the database.
    pub fn render(&self, job_counts: &[JobCount]) -> String {
        let mut out = String::new();
        self.with(|m| {
            out.push_str("# HELP tongdai_http_requests_total HTTP requests by method, route and status.\n");
            out.push_str("# TYPE tongdai_http_requests_total counter\n");
            for ((method, route, status), count) in &m.http_requests {
                let _ = writeln!(
                    out,
                    "tongdai_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
            out.push_str("# HELP tongdai_http_request_duration_seconds HTTP request latency by method and route.\n");
            out.push_str("# TYPE tongdai_http_request_duration_seconds histogram\n");
            for ((method, route), hist) in &m.http_latency {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                write_histogram(&mut out, "tongdai_http_request_duration_seconds", &labels, hist);
            }
            out.push_str("# HELP tongdai_jobs_finished_total Job runs by kind and outcome in this process.\n");
            out.push_str("# TYPE tongdai_jobs_finished_total counter\n");
            for ((kind, outcome), count) in &m.jobs_finished {
                let _ = writeln!(
                    out,
                    "tongdai_jobs_finished_total{{kind=\"{}\",outcome=\"{outcome}\"}} {count}",
                    escape(kind)
                );
            }
            out.push_str("# HELP tongdai_job_duration_seconds Job run time by kind in this process.\n");
            out.push_str("# TYPE tongdai_job_duration_seconds histogram\n");
            for (kind, hist) in &m.job_latency {
                write_histogram(&mut out, "tongdai_job_duration_seconds", &format!("kind=\"{}\"", escape(kind)), hist);
            }
        });
        out.push_str("# HELP tongdai_jobs Jobs in the queue by kind and state (whole database).\n");
        out.push_str("# TYPE tongdai_jobs gauge\n");
        for count in job_counts {
            let _ = writeln!(
                out,
                "tongdai_jobs{{kind=\"{}\",state=\"{}\"}} {}",
                escape(&count.kind),
                count.state,
                count.count
            );
        }
        out
    }
}

fn write_histogram(out: &mut String, name: &str, labels: &str, hist: &Histogram) {
    for (bound, count) in BUCKETS.iter().zip(hist.counts.iter()) {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", hist.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", hist.sum_seconds);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", hist.count);
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobState;

    #[test]
    fn renders_counters_histograms_and_job_gauges() {
        let metrics = Metrics::new();
        metrics.http_request("GET", "/healthz", 200, Duration::from_millis(2));
        metrics.http_request("GET", "/healthz", 200, Duration::from_millis(20));
        metrics.job_finished("send", "completed", Duration::from_millis(5));
        let text = metrics.render(&[JobCount { kind: "send".into(), state: JobState::Available, count: 7 }]);
        assert!(
            text.contains("tongdai_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "tongdai_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.0025\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("tongdai_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"),
            "{text}"
        );
        assert!(text.contains("tongdai_jobs_finished_total{kind=\"send\",outcome=\"completed\"} 1"));
        assert!(text.contains("tongdai_jobs{kind=\"send\",state=\"available\"} 7"));
    }
}

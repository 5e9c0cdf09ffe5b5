//! Load generator for `POST /webhooks/zalo`: signed `user_send_text` events from simulated
//! citizens, each with its own msg_id, sent over keep-alive connections either as fast as the
//! server acknowledges them (closed loop) or at a fixed rate (open loop, latency measured from
//! the scheduled send time so a slow server cannot hide its queueing).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http1::Connection;
use super::stats::Summary;
use crate::zalo::signature::sign;

/// What to send and how.
#[derive(Debug, Clone)]
pub struct WebhookLoad {
    /// `host:port` of the service.
    pub address: String,
    pub app_id: String,
    pub oa_secret_key: String,
    /// Distinct citizens the events come from.
    pub citizens: usize,
    pub connections: usize,
    pub events: usize,
    /// Events per second; `None` = as fast as possible.
    pub rate: Option<f64>,
    /// Makes msg_ids unique across runs against the same database.
    pub run_id: String,
}

/// A prepared request: body and signature header.
pub struct Prepared {
    pub body: Vec<u8>,
    pub signature: String,
}

/// Where the driver's events come from: asked once per event, just before it is sent.
pub trait EventSource: Send + Sync + 'static {
    /// Event number `n` (0-based), whose send was scheduled at `scheduled`.
    fn event(&self, n: usize, scheduled: Instant) -> Arc<Prepared>;
}

/// Events built before the run (so building them is not measured).
struct Prebuilt(Vec<Arc<Prepared>>);

impl EventSource for Prebuilt {
    fn event(&self, n: usize, _scheduled: Instant) -> Arc<Prepared> {
        self.0[n % self.0.len()].clone()
    }
}

fn prepare(load: &WebhookLoad) -> Vec<Arc<Prepared>> {
    (0..load.events)
        .map(|n| {
            let citizen = 7_000_000_000_000_000_000_u64 + (n % load.citizens.max(1)) as u64;
            let timestamp = (1_760_000_000_000_u64 + n as u64).to_string();
            let body = serde_json::json!({
                "app_id": load.app_id,
                "sender": {"id": citizen.to_string()},
                "user_id_by_app": citizen.to_string(),
                "recipient": {"id": "388613280878808645"},
                "event_name": "user_send_text",
                "message": {"text": format!("tin nhắn thử {n}"), "msg_id": format!("bench-{}-{n}", load.run_id)},
                "timestamp": timestamp,
            })
            .to_string()
            .into_bytes();
            let signature = sign(&load.app_id, &body, &timestamp, &load.oa_secret_key);
            Arc::new(Prepared { body, signature })
        })
        .collect()
}

/// Runs the load and summarises acknowledged events (HTTP 200) and their latencies.
pub async fn run(load: &WebhookLoad) -> anyhow::Result<Summary> {
    if load.events == 0 {
        return Ok(Summary::from_latencies(Vec::new(), 0, Duration::ZERO));
    }
    let source = Arc::new(Prebuilt(prepare(load)));
    let plan =
        Drive { address: load.address.clone(), connections: load.connections, events: load.events, rate: load.rate };
    drive(&plan, source).await
}

/// How many events to send where, and how fast.
#[derive(Debug, Clone)]
pub struct Drive {
    /// `host:port` of the service.
    pub address: String,
    pub connections: usize,
    pub events: usize,
    /// Events per second; `None` = as fast as possible.
    pub rate: Option<f64>,
}

/// Sends `plan.events` events from `source` to `POST /webhooks/zalo` and summarises the
/// acknowledged ones (HTTP 200) and their latencies (from the scheduled time with a rate).
pub async fn drive(plan: &Drive, source: Arc<dyn EventSource>) -> anyhow::Result<Summary> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut connections = Vec::with_capacity(plan.connections.max(1));
    for _ in 0..plan.connections.max(1) {
        connections.push(Connection::open(&plan.address).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections.len());
    for mut connection in connections {
        let source = source.clone();
        let next = next.clone();
        let (rate, events) = (plan.rate, plan.events);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= events {
                    break;
                }
                let scheduled = match rate {
                    Some(rate) => {
                        #[allow(clippy::cast_precision_loss)]
                        let at = started + Duration::from_secs_f64(n as f64 / rate);
                        tokio::time::sleep_until(at.into()).await;
                        at
                    }
                    None => Instant::now(),
                };
                let request = source.event(n, scheduled);
                let headers = [("X-ZEvent-Signature", request.signature.as_str())];
                match connection.post("/webhooks/zalo", &headers, &request.body).await {
                    Ok(response) if response.status == 200 => latencies.push(scheduled.elapsed()),
                    Ok(_) | Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(plan.events);
    let mut errors = 0;
    for task in tasks {
        let (mut part, part_errors) = task.await?;
        latencies.append(&mut part);
        errors += part_errors;
    }
    Ok(Summary::from_latencies(latencies, errors, started.elapsed()))
}

//! The process-wide pace of Zalo API calls: at most `zalo.rate_limit_per_minute`, evenly spaced
//! (a burst of one second's worth allowed), and a pause of the whole OA's sending after Zalo says
//! the limit was reached (-32 or HTTP 429). The pause is read against the injected clock, so it is
//! tested without sleeping; the spacing sleeps for real (milliseconds).

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

/// How long sending pauses after a rate-limit answer without `Retry-After` (Zalo counts per minute).
pub const DEFAULT_PAUSE_SECS: i64 = 60;

#[derive(Debug)]
struct State {
    /// Theoretical arrival time of the next call (GCRA).
    next_at: Instant,
    paused_until: Option<DateTime<Utc>>,
}

/// Paces calls; share one per process.
#[derive(Debug)]
pub struct RateLimiter {
    interval: std::time::Duration,
    burst: std::time::Duration,
    state: Mutex<State>,
}

impl RateLimiter {
    /// `limit` calls per minute, with a burst of one second's worth.
    pub fn per_minute(limit: u32) -> Self {
        Self::with_burst(limit, std::time::Duration::from_secs(1))
    }

    /// `limit` calls per minute; calls may run ahead of the even spacing by `burst`.
    pub fn with_burst(limit: u32, burst: std::time::Duration) -> Self {
        let interval = std::time::Duration::from_secs(60) / limit.max(1);
        Self { interval, burst, state: Mutex::new(State { next_at: Instant::now(), paused_until: None }) }
    }

    /// Waits for this call's slot; `Err(remaining)` when sending is paused (do not call Zalo).
    pub async fn acquire(&self, now: DateTime<Utc>) -> Result<(), Duration> {
        let wait = {
            let mut state = self.lock();
            if let Some(until) = state.paused_until {
                if now < until {
                    return Err(until - now);
                }
                state.paused_until = None;
            }
            let instant = Instant::now();
            let start = state.next_at.max(instant);
            state.next_at = start + self.interval;
            // Calls may run ahead of the even spacing by up to `burst`.
            start.saturating_duration_since(instant).saturating_sub(self.burst)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Pauses all sending until `now + pause` (extends a pause already running, never shortens it).
    pub fn pause(&self, now: DateTime<Utc>, pause: Duration) -> DateTime<Utc> {
        let mut state = self.lock();
        let until = now + pause;
        let until = state.paused_until.map_or(until, |current| current.max(until));
        state.paused_until = Some(until);
        until
    }

    /// Until when sending is paused, if it is.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lock().paused_until.filter(|until| now < *until)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid time")
    }

    #[tokio::test]
    async fn a_pause_stops_every_call_until_it_ends() {
        let limiter = RateLimiter::per_minute(4000);
        assert_eq!(limiter.acquire(t0()).await, Ok(()));
        let until = limiter.pause(t0(), Duration::seconds(60));
        assert_eq!(until, t0() + Duration::seconds(60));
        assert_eq!(limiter.acquire(t0() + Duration::seconds(10)).await, Err(Duration::seconds(50)));
        // A shorter pause does not shorten the running one.
        limiter.pause(t0() + Duration::seconds(10), Duration::seconds(5));
        assert_eq!(limiter.paused_until(t0() + Duration::seconds(20)), Some(until));
        assert_eq!(limiter.acquire(t0() + Duration::seconds(60)).await, Ok(()));
        assert_eq!(limiter.paused_until(t0() + Duration::seconds(60)), None);
    }

    #[tokio::test]
    async fn calls_are_spaced_after_the_burst() {
        // 1,200 per minute = one call per 50 ms; a burst of 100 ms = 3 calls at once.
        let limiter = RateLimiter::with_burst(1200, std::time::Duration::from_millis(100));
        let started = Instant::now();
        for _ in 0..3 {
            limiter.acquire(t0()).await.expect("not paused");
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(40), "{:?}", started.elapsed());
        for _ in 0..4 {
            limiter.acquire(t0()).await.expect("not paused");
        }
        // The 7th call's slot is at 300 ms, 100 ms of burst early: 200 ms.
        let elapsed = started.elapsed();
        assert!(elapsed >= std::time::Duration::from_millis(195), "{elapsed:?}");
        assert!(elapsed < std::time::Duration::from_millis(600), "{elapsed:?}");
    }
}

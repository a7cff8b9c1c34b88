//! A token bucket per API, shared by every stream of that API, and for APIs
//! that limit each operation too (Stripe), a bucket per named operation.
//!
//! Implemented as GCRA (a token bucket stated in times): each request
//! reserves the next free slot, so waiting callers are served in order and no
//! background refill task is needed. A 429 pauses the bucket it names (the
//! whole API's unless the server says the operation's) for its
//! `Retry-After`, because the limits are per account, not per stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Requests per second with a burst allowance.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two requests at the steady rate; `None` means unlimited.
    interval: Option<Duration>,
    /// How far ahead of the steady schedule a burst may run.
    tolerance: Duration,
    /// Theoretical arrival time of the next request.
    tat: Mutex<Instant>,
}

impl RateLimiter {
    /// `rate` requests per second, up to `burst` at once. A rate of zero or
    /// below means unlimited.
    pub fn new(rate: f64, burst: u32) -> Self {
        let interval =
            (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(1.0 / rate));
        let tolerance = interval
            .map(|i| i * burst.saturating_sub(1))
            .unwrap_or_default();
        RateLimiter {
            interval,
            tolerance,
            tat: Mutex::new(Instant::now()),
        }
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves a slot at `now` and says how long to wait for it.
    fn reserve(&self, now: Instant) -> Duration {
        let Ok(mut tat) = self.tat.lock() else {
            return Duration::ZERO;
        };
        let Some(interval) = self.interval else {
            // Unlimited, but a pause set by `pause_for` still applies.
            return tat.saturating_duration_since(now);
        };
        let start = (*tat).max(now);
        let allowed_at = start.checked_sub(self.tolerance).unwrap_or(now);
        *tat = start + interval;
        allowed_at.saturating_duration_since(now)
    }

    /// Holds every caller back for `d` (a 429's `Retry-After`).
    pub fn pause_for(&self, d: Duration) {
        if let Ok(mut tat) = self.tat.lock() {
            let until = Instant::now() + d + self.tolerance;
            if *tat < until {
                *tat = until;
            }
        }
    }
}

/// A bucket per named operation (`GET /v1/charges`, `GET /v1/charges/{id}`),
/// made on first use; every request also counts against the API's global
/// bucket. Stripe limits both ("API endpoints have a default limit of 25
/// requests per second", which count against the global limit:
/// <https://docs.stripe.com/rate-limits>).
#[derive(Debug)]
pub struct OperationLimits {
    rate: f64,
    burst: u32,
    by_operation: Mutex<HashMap<String, Arc<RateLimiter>>>,
}

impl OperationLimits {
    /// `rate` requests per second for each operation (zero: unlimited).
    pub fn new(rate: f64, burst: u32) -> Self {
        OperationLimits {
            rate,
            burst,
            by_operation: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket of `operation`.
    pub fn of(&self, operation: &str) -> Option<Arc<RateLimiter>> {
        let mut m = self.by_operation.lock().ok()?;
        Some(
            m.entry(operation.to_owned())
                .or_insert_with(|| Arc::new(RateLimiter::new(self.rate, self.burst)))
                .clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_operation_has_its_own_bucket() {
        let ops = OperationLimits::new(10.0, 1);
        let charges = ops.of("GET /v1/charges").expect("bucket");
        let again = ops.of("GET /v1/charges").expect("bucket");
        assert!(Arc::ptr_eq(&charges, &again));
        let refunds = ops.of("GET /v1/refunds").expect("bucket");
        // One slot each: charges' second request waits, refunds' first
        // does not.
        assert!(charges.reserve(Instant::now()).is_zero());
        assert!(!again.reserve(Instant::now()).is_zero());
        assert!(refunds.reserve(Instant::now()).is_zero());
    }

    #[tokio::test]
    async fn steady_rate_after_the_burst() {
        let rl = RateLimiter::new(100.0, 5);
        let t0 = Instant::now();
        for _ in 0..5 {
            rl.acquire().await;
        }
        // The burst went through without waiting.
        assert!(
            t0.elapsed() < Duration::from_millis(20),
            "{:?}",
            t0.elapsed()
        );
        for _ in 0..10 {
            rl.acquire().await;
        }
        // Ten more at 100/s take about a tenth of a second.
        let e = t0.elapsed();
        assert!(
            e >= Duration::from_millis(90) && e <= Duration::from_millis(250),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn pause_holds_everyone_back() {
        let rl = RateLimiter::new(0.0, 1);
        let t0 = Instant::now();
        rl.acquire().await;
        assert!(t0.elapsed() < Duration::from_millis(20));
        rl.pause_for(Duration::from_millis(200));
        rl.acquire().await;
        assert!(t0.elapsed() >= Duration::from_millis(200));
    }
}

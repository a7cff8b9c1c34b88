//! A token bucket per API, shared by every stream of that API.
//!
//! Implemented as GCRA (a token bucket stated in times): each request
//! reserves the next free slot, so waiting callers are served in order and no
//! background refill task is needed. A 429 pauses the whole bucket for its
//! `Retry-After`, because the limit is per account, not per stream.

use std::sync::Mutex;
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! When and how long to retry: jittered exponential backoff on 5xx and
//! timeouts, `Retry-After` on 429, nothing on other 4xx.

use std::time::{Duration, SystemTime};

use rand::Rng as _;

/// Retry limits for one API.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub base: Duration,
    /// Upper bound of one backoff.
    pub max: Duration,
    /// Longest `Retry-After` honoured; a longer one is treated as this, so a
    /// misbehaving server cannot park a run for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_millis(250),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1): half
    /// fixed, half random, so concurrent callers spread out but never retry
    /// at once.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max);
        let half = exp / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(extra)
    }

    /// The wait before retrying a 429: the server's `Retry-After` when
    /// given (capped), else the backoff.
    pub fn after_throttle(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

/// What to do about a response status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Retry,
    Throttled,
    Unauthorized,
    Fatal,
}

/// Classifies a non-success HTTP status.
pub fn classify(status: u16) -> Verdict {
    match status {
        429 => Verdict::Throttled,
        401 => Verdict::Unauthorized,
        408 | 409 | 425 | 500..=599 => Verdict::Retry,
        _ => Verdict::Fatal,
    }
}

/// Parses `Retry-After`: delay seconds (fractions accepted) or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            assert!(p.backoff(30) <= Duration::from_millis(1000));
        }
        assert_eq!(
            p.after_throttle(1, Some(Duration::from_secs(999))),
            p.max_retry_after
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(classify(429), Verdict::Throttled);
        assert_eq!(classify(503), Verdict::Retry);
        assert_eq!(classify(401), Verdict::Unauthorized);
        assert_eq!(classify(404), Verdict::Fatal);
    }
}

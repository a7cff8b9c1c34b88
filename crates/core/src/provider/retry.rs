//! Retries with jittered exponential backoff for throttling and transient
//! failures; anything else fails at once with the provider's message.

use std::future::Future;
use std::time::Duration;

use super::ProviderError;

/// How hard to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let base_ms = std::env::var(crate::env::RETRY_BASE_MS)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        Self {
            attempts: 8,
            base: Duration::from_millis(base_ms),
            max: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// "Full jitter": a uniform delay up to the exponential bound, so many
    /// clients throttled together do not retry together.
    pub fn delay(&self, attempt: u32) -> Duration {
        let bound = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max);
        let ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::random_range(ms / 2..=ms))
    }

    /// Runs `op` until it succeeds, fails for good, or attempts run out.
    pub async fn run<T, F, Fut>(&self, mut op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt + 1 < self.attempts => {
                    tracing::debug!("retrying after: {e}");
                    tokio::time::sleep(self.delay(attempt)).await;
                    attempt += 1;
                }
                Err(e) if e.is_retryable() => {
                    return Err(ProviderError::Other(format!(
                        "{e} (gave up after {} attempts)",
                        self.attempts
                    )));
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(1),
            max: Duration::from_millis(4),
        }
    }

    #[tokio::test]
    async fn retries_throttling_then_succeeds() {
        let n = AtomicU32::new(0);
        let r = fast()
            .run(|| async {
                if n.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(ProviderError::Throttled {
                        service: "glue".into(),
                        operation: "GetTable".into(),
                    })
                } else {
                    Ok(5)
                }
            })
            .await;
        assert_eq!(r.expect("succeeds"), 5);
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_with_a_clear_error_and_never_retries_api_errors() {
        let n = AtomicU32::new(0);
        let r: Result<(), _> = fast()
            .run(|| async {
                n.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::Throttled {
                    service: "quicksight".into(),
                    operation: "UpdateDataSet".into(),
                })
            })
            .await;
        assert_eq!(
            r.expect_err("fails").to_string(),
            "quicksight throttled `UpdateDataSet` (gave up after 4 attempts)"
        );
        assert_eq!(n.load(Ordering::SeqCst), 4);
        let m = AtomicU32::new(0);
        let r: Result<(), _> = fast()
            .run(|| async {
                m.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::Api {
                    service: "glue".into(),
                    operation: "CreateTable".into(),
                    message: "bad".into(),
                })
            })
            .await;
        assert!(r.is_err());
        assert_eq!(m.load(Ordering::SeqCst), 1);
    }
}

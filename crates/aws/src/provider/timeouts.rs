//! Time limits of every AWS call, shared by the SDK configuration
//! ([`super::aws`]) and the error classification ([`super::aws_common`]),
//! which names the limit when a call times out.

use std::time::Duration;

/// Default limit on one attempt of one API call: a request that hangs
/// (a lost answer, a stuck connection) becomes a timeout, which twh retries
/// like any transient failure, instead of stalling a sync for ever.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The attempt timeout: [`ATTEMPT_TIMEOUT`] unless `TWH_ATTEMPT_TIMEOUT_MS`
/// says otherwise (tests that inject hangs shorten it).
pub fn attempt_timeout() -> Duration {
    std::env::var(twh_core::env::ATTEMPT_TIMEOUT_MS)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(ATTEMPT_TIMEOUT, Duration::from_millis)
}

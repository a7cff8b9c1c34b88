//! Every environment variable twh reads, declared once.

/// Default for `--env`.
pub const ENV: &str = "TWH_ENV";
/// Use the in-memory provider persisted in this JSON file instead of AWS
/// (tests and offline demos).
pub const MEMORY_PROVIDER: &str = "TWH_MEMORY_PROVIDER";
/// Base delay of retry backoff in milliseconds (tests shorten it).
pub const RETRY_BASE_MS: &str = "TWH_RETRY_BASE_MS";
/// Limit on one attempt of one AWS API call, in milliseconds (default
/// 30000); a hung call then fails as a timeout and is retried.
pub const ATTEMPT_TIMEOUT_MS: &str = "TWH_ATTEMPT_TIMEOUT_MS";
/// How long, in seconds, a Glue or QuickSight write naming an IAM role is
/// retried while the service cannot assume the role yet (IAM eventual
/// consistency after the role is created); default 120, as Terraform.
pub const IAM_PROPAGATION_TIMEOUT: &str = "TWH_IAM_PROPAGATION_TIMEOUT";
/// Disable colour (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Log filter for `tracing` (e.g. `twh=debug`).
pub const LOG: &str = "TWH_LOG";

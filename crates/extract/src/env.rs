//! Every environment variable twh-extract reads, declared once.

/// Ticketsauce OAuth client id.
pub const TICKETSAUCE_CLIENT_ID: &str = "TICKETSAUCE_CLIENT_ID";
/// Ticketsauce OAuth client secret.
pub const TICKETSAUCE_CLIENT_SECRET: &str = "TICKETSAUCE_CLIENT_SECRET";
/// Stripe secret or restricted key.
pub const STRIPE_API_KEY: &str = "STRIPE_API_KEY";
/// Ticketsauce API base URL (tests and the demo point it at the fake).
pub const TICKETSAUCE_API_BASE: &str = "TICKETSAUCE_API_BASE";
/// Stripe API base URL (tests and the demo point it at the fake).
pub const STRIPE_API_BASE: &str = "STRIPE_API_BASE";
/// `--credentials`: a file of `KEY=VALUE` lines or `secretsmanager://ARN`,
/// read for the credentials the variables lack.
pub const CREDENTIALS_FILE: &str = "TWH_EXTRACT_CREDENTIALS";
/// Default `--sink`.
pub const SINK: &str = "TWH_EXTRACT_SINK";
/// Log filter for `tracing` (e.g. `twh=debug`).
pub const LOG: &str = "TWH_LOG";
/// Standard AWS endpoint override; when set, S3 uses path-style addressing.
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// S3-only endpoint override, preferred over [`AWS_ENDPOINT_URL`].
pub const AWS_ENDPOINT_URL_S3: &str = "AWS_ENDPOINT_URL_S3";
/// Set by Lambda to the Runtime API's `host:port`: twh-extract started
/// without arguments where it is set answers invocations (`lambda`).
pub const AWS_LAMBDA_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// `twh-extract lambda --margin-secs`.
pub const LAMBDA_MARGIN_SECS: &str = "TWH_LAMBDA_MARGIN_SECS";
/// Set by Lambda: the execution environment's log stream, one per
/// environment; part of who holds the run lock.
pub const AWS_LAMBDA_LOG_STREAM_NAME: &str = "AWS_LAMBDA_LOG_STREAM_NAME";

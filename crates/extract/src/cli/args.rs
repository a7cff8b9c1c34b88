//! Command line of `twh-extract` (clap derive; doc comments are the help).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::env;
use crate::partition;

const EXAMPLES: &str = "\
Examples:
  # Everything, into S3 (credentials from the environment)
  twh-extract run --source all --sink s3://twh-lake-dev/raw

  # Stripe charges and refunds since 2024 into a local directory
  twh-extract run --source stripe --streams charges,refunds --since 2024-01-01 --sink ./lake

  # Against the bundled fakes (see examples/sample-data/README.md)
  twh-extract run --source all --sink ./lake \\
      --credentials examples/sample-data/credentials.env \\
      --ticketsauce-api-base http://127.0.0.1:8700/ticketsauce/v2 \\
      --stripe-api-base http://127.0.0.1:8700/stripe

  # Cursors, last run and counts of a sink
  twh-extract status --sink ./lake

  # On AWS Lambda (what `bootstrap` runs; see the README, Running twh-extract on AWS)
  twh-extract lambda

Credentials: TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET and STRIPE_API_KEY
from the environment, else from --credentials: a file (KEY=VALUE lines) or
`secretsmanager://ARN` (a secret holding a JSON object of those names).
They are never logged or written. S3 follows the AWS SDK's configuration
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).

Stripe: requests are paced to Stripe's published limits
(https://docs.stripe.com/rate-limits): 100 requests/s in all for a live key,
25 for a test key, and 25/s for each endpoint (each named operation, such as
`GET /v1/charges`), which counts against the global one; a 429's
`Retry-After` and `Stripe-Rate-Limited-Reason` are honoured. After the first
backfill, changes come from /v1/events; deleted customers and products land as
tombstones (`\"deleted\": true`, `deleted_at`). A 400, 403 or 404 is never
skipped: the stream fails naming the request, the others go on.
A dense `created` window is split into sub-ranges read at once
(--window-concurrency pages in flight), so a burst of sales is read at the
pace, not one page after another; a run stopped mid-split resumes with the
pieces it had not finished.

Exit status: 0 when every stream finished, 1 when one failed (the others still
ran; rerun to resume), 2 on a usage error, 130 when interrupted.";

/// Pulls Ticketsauce and Stripe into a Glue-ready lake, incrementally:
/// gzipped NDJSON under `<source>/<table>/dt=YYYY-MM-DD/`, every record once.
#[derive(Debug, Parser)]
#[command(name = "twh-extract", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors and the final summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Plain log lines instead of progress bars, even on a terminal.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract from the sources into the sink, from where the last run stopped.
    Run(Box<RunArgs>),
    /// Show each stream's cursor, last run and counts.
    Status(StatusArgs),
    /// Answer the AWS Lambda Runtime API: each invocation's event names
    /// what `run` would be given (`{"source": "stripe", "sink": "s3://…"}`);
    /// a run stops before the invocation's deadline with its cursors saved
    /// and the next invocation resumes. Started without arguments where
    /// `AWS_LAMBDA_RUNTIME_API` is set, as Lambda starts `bootstrap`.
    Lambda(LambdaArgs),
}

#[derive(Debug, Args)]
pub struct LambdaArgs {
    /// Seconds kept free before each invocation's deadline for the last
    /// flush, the cursors and the answer: the run stops this long before it.
    #[arg(long, env = env::LAMBDA_MARGIN_SECS, default_value_t = 60.0)]
    pub margin_secs: f64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which API to read.
    #[arg(long, default_value = "all", value_parser = ["ticketsauce", "stripe", "all"])]
    pub source: String,
    /// `s3://bucket/prefix` or a local directory.
    #[arg(long, env = env::SINK)]
    pub sink: String,
    /// Start date (`YYYY-MM-DD` or RFC 3339, UTC) for streams without a
    /// cursor; an earlier date than a Stripe stream's start backfills again.
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Only these streams (or the streams of these tables), comma-separated:
    /// events, orders, checkin_ids, charges, balance_transactions, refunds,
    /// payouts, disputes, customers, products.
    #[arg(long, value_delimiter = ',')]
    pub streams: Vec<String>,
    /// Where to read the credentials the environment lacks: a file of
    /// `KEY=VALUE` lines, or `secretsmanager://` and a secret's ARN or name
    /// (its value a JSON object of the same names, or such lines).
    #[arg(long, env = env::CREDENTIALS_FILE)]
    pub credentials: Option<String>,
    /// Ticketsauce API base URL.
    #[arg(long, env = env::TICKETSAUCE_API_BASE, default_value = "https://api.ticketsauce.com/v2")]
    pub ticketsauce_api_base: String,
    /// Stripe API base URL.
    #[arg(long, env = env::STRIPE_API_BASE, default_value = "https://api.stripe.com")]
    pub stripe_api_base: String,
    /// Stripe requests per second in all (0: unpaced) [default: Stripe's
    /// global limit, 100 for live keys, 25 for test keys; see
    /// https://docs.stripe.com/rate-limits].
    #[arg(long)]
    pub stripe_rps: Option<f64>,
    /// Stripe requests per second of each endpoint, that is each named
    /// operation such as `GET /v1/charges` (0: unpaced), counted against
    /// `--stripe-rps` too [default: Stripe's endpoint limit, 25; unpaced
    /// when `--stripe-rps 0`].
    #[arg(long)]
    pub stripe_endpoint_rps: Option<f64>,
    /// The `Stripe-Version` sent with every request; each record stores the
    /// version it was rendered at as `api_version`.
    #[arg(long, default_value = crate::sources::stripe::API_VERSION)]
    pub stripe_api_version: String,
    /// How far before its cursor each Stripe run reads `created` windows
    /// again, in minutes: Stripe lists an object some time after its
    /// `created`, and the merge by id absorbs the repeats.
    #[arg(long, default_value_t = 10)]
    pub stripe_late_minutes: u64,
    /// Ticketsauce requests per second (0: unpaced).
    #[arg(long, default_value_t = 100.0)]
    pub ticketsauce_rps: f64,
    /// Ticketsauce order details fetched at once.
    #[arg(long, default_value_t = 32)]
    pub detail_concurrency: usize,
    /// Ticketsauce events worked on at once.
    #[arg(long, default_value_t = 4)]
    pub event_concurrency: usize,
    /// Stripe pages in flight at once per stream: `created` windows, and
    /// the sub-ranges a dense window (a burst of sales) is split into once
    /// a page shows it holds many more pages. The rate limits still pace
    /// every request.
    #[arg(long, default_value_t = 16)]
    pub window_concurrency: usize,
    /// Width of a Stripe created window, in days.
    #[arg(long, default_value_t = 30)]
    pub window_days: u32,
    /// How far before its cursor each Ticketsauce run starts again, in minutes.
    #[arg(long, default_value_t = 60)]
    pub overlap_minutes: u64,
    /// Days of Stripe windows re-read to catch changes without events.
    #[arg(long, default_value_t = 90)]
    pub reread_days: u32,
    /// Run the Stripe re-read once every this many days.
    #[arg(long, default_value_t = 7)]
    pub reread_every_days: u64,
    /// Attempts per request before a stream gives up.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: u32,
    /// First retry backoff in milliseconds (doubles each attempt).
    #[arg(long, default_value_t = 250, hide = true)]
    pub retry_base_ms: u64,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub timeout_secs: f64,
    /// Memory for buffered rows per stream, in MiB.
    #[arg(long, default_value_t = 4)]
    pub buffer_mb: usize,
    /// Also write the JSON summary to this file.
    #[arg(long)]
    pub summary_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// `s3://bucket/prefix` or a local directory.
    #[arg(long, env = env::SINK)]
    pub sink: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    partition::parse_timestamp(s)
        .ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD) or RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn since_accepts_dates_and_times() {
        assert_eq!(
            parse_since("2024-01-31").map(|d| d.to_rfc3339()),
            Ok("2024-01-31T00:00:00+00:00".to_owned())
        );
        assert!(parse_since("31/01/2024").is_err());
    }
}

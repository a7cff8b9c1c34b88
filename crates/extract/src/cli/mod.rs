//! The `twh-extract` command: parses arguments, resolves settings, picks a
//! reporter, runs, prints the JSON summary on stdout and sets the exit code.
//! Everything else goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod args;
pub mod reporter;
pub mod status;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser as _;

use super::credentials::Credentials;
use super::error::render;
use super::http::HttpSettings;
use super::progress::{LogLines, Reporter, Silent};
use super::retry::RetryPolicy;
use super::run::RunSettings;
use super::sources::stripe::StripeSettings;
use super::sources::ticketsauce::TicketsauceSettings;
use super::summary::StreamStatus;
use super::writer::WriterSettings;
use super::{Error, env};
use args::{Cli, Command, RunArgs};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Lambda starts `bootstrap` without arguments, with the Runtime API's
    // address in the environment: that is `twh-extract lambda`.
    let lambda_start =
        std::env::args_os().len() == 1 && std::env::var_os(env::AWS_LAMBDA_RUNTIME_API).is_some();
    let cli = if lambda_start {
        Cli::parse_from(["twh-extract", "lambda"])
    } else {
        Cli::parse()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bars = !cli.quiet
        && !cli.no_progress
        && cli.verbose == 0
        && std::io::stderr().is_terminal()
        && matches!(cli.command, Command::Run(_));
    init_logging(&cli, bars);
    runtime.block_on(async move {
        match cli.command {
            Command::Run(a) => run(*a, cli.quiet, bars).await,
            Command::Status(a) => status::status(a).await,
            Command::Lambda(a) => super::lambda::serve(a).await,
        }
    })
}

fn init_logging(cli: &Cli, bars: bool) {
    let default = match (cli.quiet, cli.verbose, bars) {
        (true, _, _) => "error",
        (_, 0, true) => "warn",
        (_, 0, false) => "info",
        (_, 1, _) => "twh=debug,info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(env::LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn report(err: &Error) {
    eprintln!("{}", render(err, err.hint()));
}

/// Resolves flags, environment, files and secrets into the run's settings.
pub async fn settings(a: &RunArgs) -> Result<RunSettings, Error> {
    if a.timeout_secs <= 0.0 || !a.timeout_secs.is_finite() {
        return Err(Error::Settings(
            "--timeout-secs must be positive".to_owned(),
        ));
    }
    if a.max_attempts == 0 {
        return Err(Error::Settings(
            "--max-attempts must be at least 1".to_owned(),
        ));
    }
    let overlap = Duration::from_secs(a.overlap_minutes * 60);
    Ok(RunSettings {
        source: a.source.clone(),
        streams: a
            .streams
            .iter()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect(),
        since: a.since,
        stripe: StripeSettings {
            base: a.stripe_api_base.clone(),
            api_version: a.stripe_api_version.clone(),
            rps: a.stripe_rps,
            endpoint_rps: a.stripe_endpoint_rps,
            window_days: a.window_days.max(1),
            window_concurrency: a.window_concurrency.max(1),
            overlap: Duration::from_secs(a.stripe_late_minutes * 60),
            reread_days: a.reread_days,
            reread_every: Duration::from_secs(a.reread_every_days * 86_400),
            ..StripeSettings::default()
        },
        ticketsauce: TicketsauceSettings {
            base: a.ticketsauce_api_base.clone(),
            rps: a.ticketsauce_rps,
            detail_concurrency: a.detail_concurrency.max(1),
            event_concurrency: a.event_concurrency.max(1),
            overlap,
            ..TicketsauceSettings::default()
        },
        http: HttpSettings {
            timeout: Duration::from_secs_f64(a.timeout_secs),
            retry: RetryPolicy {
                max_attempts: a.max_attempts,
                base: Duration::from_millis(a.retry_base_ms),
                ..RetryPolicy::default()
            },
            ..HttpSettings::default()
        },
        writer: WriterSettings {
            buffer_bytes: a.buffer_mb.max(1) * 1024 * 1024,
            ..WriterSettings::default()
        },
        credentials: Credentials::resolve(a.credentials.as_deref()).await?,
        stop_at: None,
    })
}

async fn run(a: RunArgs, quiet: bool, bars: bool) -> ExitCode {
    let settings = match settings(&a).await {
        Ok(s) => s,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    let sink = match super::sink::open(&a.sink).await {
        Ok(s) => s,
        Err(e) => {
            report(&e);
            return ExitCode::FAILURE;
        }
    };
    let bar_reporter = bars.then(reporter::Bars::new).map(Arc::new);
    let reporter: Arc<dyn Reporter> = match (&bar_reporter, quiet) {
        (Some(b), _) => b.clone(),
        (None, true) => Arc::new(Silent),
        (None, false) => Arc::new(LogLines::new(Duration::from_secs(5))),
    };
    let result = tokio::select! {
        r = super::run(&settings, sink, reporter) => r,
        _ = tokio::signal::ctrl_c() => {
            if let Some(b) = &bar_reporter {
                b.clear();
            }
            eprintln!(
                "interrupted: everything up to the last checkpoint is kept; \
                 run the same command again to resume"
            );
            return ExitCode::from(130);
        }
    };
    if let Some(b) = &bar_reporter {
        b.clear();
    }
    match result {
        Ok(summary) => {
            let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
            if let Some(path) = &a.summary_file
                && let Err(e) = fs_err::write(path, &json)
            {
                eprintln!("warning: cannot write the summary: {e}");
            }
            println!("{json}");
            for (name, s) in &summary.streams {
                if let Some(e) = &s.error {
                    eprintln!("error: stream `{name}` failed: {e}");
                }
            }
            if summary.quarantined > 0 {
                eprintln!(
                    "warning: {} records failed validation and are in `_quarantine/`",
                    summary.quarantined
                );
            }
            if summary.status == StreamStatus::Ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

//! `twh-fakes`: the fake Ticketsauce and Stripe APIs as a process, for the
//! demo, the sample data and the benchmark (`serve`), and the check that a
//! local lake holds every fake record exactly once (`verify`). Dev-only: it is
//! not part of `twh` or `twh-extract`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use twh_fakes::{FakeConfig, FakeServer, Faults};

/// Fake Ticketsauce and Stripe APIs on 127.0.0.1 (tests, demo, benchmarks).
#[derive(Debug, Parser)]
#[command(name = "twh-fakes", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve fake Ticketsauce and Stripe APIs on 127.0.0.1 until SIGTERM or
    /// Ctrl-C; prints `ready ticketsauce=URL stripe=URL` once listening.
    Serve(FakeArgs),
    /// Check a local lake against the fakes' data (same seed and sizes):
    /// every record exactly once, current, in its partition.
    Verify(FakeVerifyArgs),
}

#[derive(Debug, Args)]
struct FakeVerifyArgs {
    /// The local directory the run wrote to.
    #[arg(long)]
    sink: PathBuf,
    #[command(flatten)]
    fake: FakeArgs,
}

#[derive(Clone, Debug, Args)]
struct FakeArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 5)]
    events: u64,
    #[arg(long, default_value_t = 40)]
    orders_per_event: u64,
    #[arg(long, default_value_t = 500)]
    charges: u64,
    /// Added to every data request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, default_value_t = 0)]
    throttle_every: u64,
    #[arg(long, default_value_t = 1.0)]
    retry_after: f64,
    #[arg(long, default_value_t = 0)]
    error_every: u64,
    #[arg(long, default_value_t = 0)]
    slow_every: u64,
    #[arg(long, default_value_t = 0)]
    slow_ms: u64,
    #[arg(long, default_value_t = 0)]
    malformed_every: u64,
    #[arg(long)]
    token_ttl_ms: Option<u64>,
    /// Requests whose path contains this always get a 503 (repeatable).
    #[arg(long)]
    fail_path: Vec<String>,
    /// Stripe's rate limits, enforced: `GLOBAL,PER_ENDPOINT` requests per
    /// second (Stripe's own: 100,25 live, 25,25 test; docs.stripe.com/rate-limits).
    #[arg(long, value_parser = parse_limits)]
    stripe_rate_limits: Option<(f64, f64)>,
    /// When the Stripe data starts, Unix seconds [default: 2025-01-01].
    #[arg(long)]
    stripe_epoch: Option<i64>,
    /// Days the Stripe data spans, evenly [default: 365]; 3 is a dense
    /// burst (an on-sale), 1095 three years of uniform sales.
    #[arg(long)]
    stripe_span_days: Option<f64>,
}

fn parse_limits(s: &str) -> Result<(f64, f64), String> {
    let (g, e) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected GLOBAL,PER_ENDPOINT, e.g. 100,25"))?;
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n > 0.0 && n.is_finite())
            .ok_or_else(|| format!("`{v}` is not a positive rate"))
    };
    Ok((num(g)?, num(e)?))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify(a) => fake_verify(&a),
        Command::Serve(a) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(fake_sources(a)),
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn fake_config(a: FakeArgs) -> FakeConfig {
    FakeConfig {
        seed: a.seed,
        events: a.events,
        orders_per_event: a.orders_per_event,
        charges: a.charges,
        latency: Duration::from_millis(a.latency_ms),
        faults: Faults {
            throttle_every: a.throttle_every,
            retry_after: a.retry_after,
            error_every: a.error_every,
            slow_every: a.slow_every,
            slow: Duration::from_millis(a.slow_ms),
            malformed_every: a.malformed_every,
            token_ttl: a.token_ttl_ms.map(Duration::from_millis),
            fail_paths: a.fail_path,
            stripe_rate_limits: a.stripe_rate_limits,
            ..Faults::default()
        },
        stripe_epoch: a.stripe_epoch,
        // Whole seconds (a fraction of a day is allowed).
        stripe_span: a.stripe_span_days.map(|d| (d * 86_400.0) as i64),
    }
}

fn fake_verify(a: &FakeVerifyArgs) -> ExitCode {
    let (stripe, ticketsauce) = twh_fakes::data_only(&fake_config(a.fake.clone()));
    match twh_fakes::lake::verify(&a.sink, &stripe, &ticketsauce) {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            eprintln!("ok: every record is in the lake exactly once");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn fake_sources(a: FakeArgs) -> ExitCode {
    let port = a.port;
    let cfg = fake_config(a);
    let server = match FakeServer::start(cfg, port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "ready ticketsauce={} stripe={}",
        server.ticketsauce_base(),
        server.stripe_base()
    );
    let _ = std::io::stdout().flush();
    let stop = async {
        #[cfg(unix)]
        {
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    };
    stop.await;
    server.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}

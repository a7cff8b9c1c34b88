//! `twh-extract lambda`: the same extraction, driven by the AWS Lambda
//! Runtime API instead of a command line ([`runtime_api`]).
//!
//! Each invocation's event names what `twh-extract run` would be given
//! ([`event`]) and runs it with a stop time: the invocation's deadline less
//! a margin. At the stop time every stream stops reading, its writer
//! flushes what it has and saves the cursors covering it, and the answer
//! says `"status": "partial"`; the next invocation resumes from those
//! cursors. An invocation that overlaps a running one finds the sink's run
//! lock (a conditional `PutObject` on S3) held and answers
//! `"status": "skipped"` without touching anything.
//!
//! Answers: `ok`, `partial` and `skipped` are responses; a bad event, bad
//! credentials, a sink that cannot be opened, or a stream that failed are
//! invocation errors (`errorType`, `errorMessage`), so Lambda's `Errors`
//! metric and an async invocation's retries and destinations see them.

pub mod event;
pub mod runtime_api;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::Error;
use crate::cli::args::LambdaArgs;
use crate::error::render;
use crate::progress::LogLines;
use crate::summary::{RunSummary, StreamStatus};
use runtime_api::{ErrorBody, Invocation, RuntimeApi};

/// What an invocation answers when it did not fail.
#[derive(Debug, Serialize)]
pub struct Answer {
    /// `ok`, `partial` (stopped before the deadline; the next invocation
    /// resumes) or `skipped` (another run holds the sink).
    pub status: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<RunSummary>,
}

/// A failed invocation: Lambda's `errorType` and `errorMessage`.
#[derive(Debug)]
pub struct Failure {
    pub error_type: &'static str,
    pub message: String,
}

impl Failure {
    fn new(error_type: &'static str, message: impl Into<String>) -> Self {
        Failure {
            error_type,
            message: message.into(),
        }
    }

    fn from_error(error_type: &'static str, err: &Error) -> Self {
        Failure::new(error_type, render(err, err.hint()))
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error_message: self.message.clone(),
            error_type: self.error_type.to_owned(),
            stack_trace: Vec::new(),
        }
    }
}

/// Serves invocations until the Runtime API goes away. Returns the process's
/// exit code: Lambda restarts an environment whose runtime exits.
pub async fn serve(args: LambdaArgs) -> std::process::ExitCode {
    let Some(host) = std::env::var(crate::env::AWS_LAMBDA_RUNTIME_API)
        .ok()
        .filter(|h| !h.trim().is_empty())
    else {
        eprintln!(
            "error: `{}` is not set: `twh-extract lambda` runs inside AWS Lambda, which \
             sets it; to extract from a shell, use `twh-extract run`",
            crate::env::AWS_LAMBDA_RUNTIME_API
        );
        return std::process::ExitCode::from(2);
    };
    let api = match RuntimeApi::new(&host) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("error: {}", crate::run::chain(&e));
            return std::process::ExitCode::FAILURE;
        }
    };
    if !args.margin_secs.is_finite() || args.margin_secs < 0.0 {
        let f = Failure::new(
            "InvalidSetting",
            format!(
                "--margin-secs ({}) must be zero or more seconds",
                crate::env::LAMBDA_MARGIN_SECS
            ),
        );
        eprintln!("error: {}", f.message);
        let _ = api.init_failed(&f.body()).await;
        return std::process::ExitCode::from(2);
    }
    let margin = Duration::from_secs_f64(args.margin_secs);
    tracing::info!("answering the Lambda Runtime API at {host}");
    loop {
        let inv = match api.next().await {
            Ok(inv) => inv,
            Err(e) => {
                eprintln!("error: {}", crate::run::chain(&e));
                return std::process::ExitCode::FAILURE;
            }
        };
        let id = inv.request_id.clone();
        // Its own task, so a panic becomes this invocation's error and the
        // runtime goes on to the next one.
        let outcome = tokio::spawn(invoke(inv, margin)).await;
        let sent = match outcome {
            Ok(Ok(answer)) => {
                tracing::info!("invocation {id}: {}", answer.message);
                api.respond(&id, &answer).await
            }
            Ok(Err(f)) => {
                tracing::error!("invocation {id} failed ({}): {}", f.error_type, f.message);
                api.fail(&id, &f.body()).await
            }
            Err(e) => {
                let f = Failure::new("Panic", format!("twh-extract stopped unexpectedly: {e}"));
                tracing::error!("invocation {id}: {}", f.message);
                api.fail(&id, &f.body()).await
            }
        };
        if let Err(e) = sent {
            eprintln!("error: {}", crate::run::chain(&e));
            return std::process::ExitCode::FAILURE;
        }
    }
}

/// One invocation: the run its event names, stopped `margin` before its
/// deadline.
pub async fn invoke(inv: Invocation, margin: Duration) -> Result<Answer, Failure> {
    // Where the time goes: what is left now, less the margin.
    let left = inv
        .deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    let Some(budget) = left.checked_sub(margin).filter(|b| !b.is_zero()) else {
        return Err(Failure::new(
            "DeadlineTooShort",
            format!(
                "the invocation has {:.1} s left, not more than the {:.1} s margin kept for \
                 saving cursors: raise the function's timeout, or lower `{}`",
                left.as_secs_f64(),
                margin.as_secs_f64(),
                crate::env::LAMBDA_MARGIN_SECS
            ),
        ));
    };
    let stop_at = tokio::time::Instant::now() + budget;

    let event: Value = serde_json::from_slice(&inv.body)
        .map_err(|e| Failure::new("InvalidEvent", format!("the event is not JSON: {e}")))?;
    let args = event::run_args(&event).map_err(|e| Failure::new("InvalidEvent", e.0))?;
    let mut settings = crate::cli::settings(&args).await.map_err(|e| {
        let kind = match e {
            Error::Secret { .. } | Error::CredentialsFile { .. } => "CredentialsError",
            _ => "InvalidEvent",
        };
        Failure::from_error(kind, &e)
    })?;
    settings.stop_at = Some(stop_at);
    let sink = crate::sink::open(&args.sink)
        .await
        .map_err(|e| Failure::from_error("SinkError", &e))?;
    tracing::info!(
        "running {} into {} for at most {:.1} s",
        args.source,
        sink.describe(),
        budget.as_secs_f64()
    );
    let reporter = Arc::new(LogLines::new(Duration::from_secs(5)));
    let summary = match crate::run(&settings, sink, reporter).await {
        Ok(s) => s,
        Err(e @ Error::Locked { .. }) => {
            return Ok(Answer {
                status: "skipped",
                message: format!("{e}: another invocation is running; this one changed nothing"),
                summary: None,
            });
        }
        Err(e) => return Err(Failure::from_error("RunError", &e)),
    };
    match summary.status {
        StreamStatus::Ok => Ok(Answer {
            status: "ok",
            message: format!("{} records, every stream finished", summary.records),
            summary: Some(summary),
        }),
        StreamStatus::Partial => Ok(Answer {
            status: "partial",
            message: format!(
                "{} records; stopped before the deadline with the cursors saved: partial, \
                 the next invocation resumes",
                summary.records
            ),
            summary: Some(summary),
        }),
        StreamStatus::Failed => {
            let failed: Vec<String> = summary
                .streams
                .iter()
                .filter_map(|(name, s)| s.error.as_ref().map(|e| format!("`{name}`: {e}")))
                .collect();
            Err(Failure::new(
                "StreamsFailed",
                format!(
                    "{} of {} streams failed (the others ran; the next invocation retries \
                     from the saved cursors): {}",
                    failed.len(),
                    summary.streams.len(),
                    failed.join("; ")
                ),
            ))
        }
    }
}

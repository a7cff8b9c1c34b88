//! An invocation's event → the arguments of `twh-extract run`.
//!
//! The event is a JSON object whose keys are `run`'s long options, in
//! snake_case or kebab-case: `{"source": "stripe", "streams": ["charges"],
//! "sink": "s3://lake/raw", "credentials": "secretsmanager://arn:…"}`. It is
//! parsed by the same command line parser as `run`, so defaults, checks and
//! environment variables (`TWH_EXTRACT_SINK`, `TWH_EXTRACT_CREDENTIALS`, set
//! on the function) are the same; an event may be `{}`.
//!
//! Schedules deliver it two ways, both accepted:
//! - EventBridge Scheduler passes its target's `Input` as the event itself
//!   (<https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html>).
//! - An EventBridge rule's schedule delivers the "Scheduled Event" envelope
//!   (`"detail-type": "Scheduled Event"`, `"source": "aws.events"`,
//!   `"detail": {}`;
//!   <https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-scheduled.html>):
//!   then `detail` is the event.

use clap::{CommandFactory as _, Parser as _};
use serde_json::Value;

use crate::cli::args::{Cli, Command, RunArgs};

/// Why an event cannot be run; the message says what to change.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EventError(pub String);

/// The `run` arguments an event names.
pub fn run_args(event: &Value) -> Result<RunArgs, EventError> {
    let Value::Object(map) = unwrap_envelope(event) else {
        return Err(EventError(format!(
            "the event must be a JSON object of `twh-extract run` options, such as \
             {{\"source\": \"stripe\", \"sink\": \"s3://bucket/prefix\"}}; got {}",
            kind(event)
        )));
    };
    let known = run_options();
    let mut argv = vec!["twh-extract".to_owned(), "run".to_owned()];
    for (key, value) in map {
        let long = key.replace('_', "-");
        let Some((_, takes_value)) = known.iter().find(|(name, _)| *name == long) else {
            let names: Vec<String> = known.iter().map(|(n, _)| n.replace('-', "_")).collect();
            let near = names
                .iter()
                .max_by(|a, b| strsim_cmp(key, a).total_cmp(&strsim_cmp(key, b)))
                .filter(|n| strsim_cmp(key, n) > 0.7)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(EventError(format!(
                "unknown key `{key}` in the event{near}; the keys are `twh-extract run`'s \
                 options: {}",
                names.join(", ")
            )));
        };
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) if !takes_value => {
                if *b {
                    argv.push(format!("--{long}"));
                }
                continue;
            }
            Value::Array(items) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => parts.push(s.clone()),
                        Value::Number(n) => parts.push(n.to_string()),
                        other => {
                            return Err(EventError(format!(
                                "`{key}` in the event: a list of strings is expected, got {}",
                                kind(other)
                            )));
                        }
                    }
                }
                parts.join(",")
            }
            other => {
                return Err(EventError(format!(
                    "`{key}` in the event: a string or number is expected, got {}",
                    kind(other)
                )));
            }
        };
        // `--key=value`: a value that starts with `-` stays a value.
        argv.push(format!("--{long}={text}"));
    }
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid event")
            .trim_start_matches("error: ")
            .to_owned();
        EventError(format!(
            "the event is not a valid `twh-extract run`: {}",
            first.replace("--", "")
        ))
    })?;
    match cli.command {
        Command::Run(args) => Ok(*args),
        _ => Err(EventError("the event did not name a run".to_owned())),
    }
}

/// The scheduled-event envelope's `detail`, else the event itself.
fn unwrap_envelope(event: &Value) -> &Value {
    match event {
        Value::Object(m) if m.contains_key("detail-type") => m.get("detail").unwrap_or(event),
        _ => event,
    }
}

/// `run`'s long options (kebab-case) and whether each takes a value.
fn run_options() -> Vec<(String, bool)> {
    let cmd = Cli::command();
    let Some(run) = cmd.find_subcommand("run") else {
        return Vec::new();
    };
    run.get_arguments()
        .filter(|a| !a.is_global_set() && !a.is_hide_set())
        .filter_map(|a| {
            let long = a.get_long()?;
            if matches!(
                long,
                "help" | "version" | "quiet" | "verbose" | "no-progress"
            ) {
                return None;
            }
            Some((long.to_owned(), a.get_action().takes_values()))
        })
        .collect()
}

fn strsim_cmp(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_names_run_options_in_either_case() {
        let a = run_args(&json!({
            "source": "stripe",
            "streams": ["charges", "refunds"],
            "sink": "s3://lake/raw",
            "window-days": 1,
            "stripe_api_base": "http://127.0.0.1:1/stripe",
        }))
        .expect("valid");
        assert_eq!(a.source, "stripe");
        assert_eq!(a.streams, ["charges", "refunds"]);
        assert_eq!(a.sink, "s3://lake/raw");
        assert_eq!(a.window_days, 1);
        assert_eq!(a.stripe_api_base, "http://127.0.0.1:1/stripe");
    }

    #[test]
    fn a_scheduled_event_envelope_carries_the_event_in_detail() {
        let a = run_args(&json!({
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2015-10-08T16:53:06Z",
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
            "detail": {"source": "ticketsauce", "sink": "./lake"}
        }))
        .expect("valid");
        assert_eq!(
            (a.source.as_str(), a.sink.as_str()),
            ("ticketsauce", "./lake")
        );
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        let msg = |v: Value| run_args(&v).err().map(|e| e.0).unwrap_or_default();
        assert!(
            msg(json!([1])).contains("must be a JSON object"),
            "{}",
            msg(json!([1]))
        );
        let typo = msg(json!({"sink": "./l", "sorce": "stripe"}));
        assert!(
            typo.contains("unknown key `sorce` in the event (did you mean `source`?)"),
            "{typo}"
        );
        let bad = msg(json!({"sink": "./l", "source": "paypal"}));
        assert!(bad.contains("paypal"), "{bad}");
        let nested = msg(json!({"sink": {"bucket": "b"}}));
        assert!(
            nested.contains("`sink`") && nested.contains("an object"),
            "{nested}"
        );
        assert!(msg(json!({"help": true, "sink": "./l"})).contains("unknown key `help`"));
    }
}

//! `twh-extract status`: each stream's cursor, last run and counts.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use serde_json::{Value, json};

use super::args::StatusArgs;
use crate::cursor::StateStore;
use crate::error::render;
use crate::sources::STREAMS;

pub async fn status(a: StatusArgs) -> ExitCode {
    match collect(&a.sink).await {
        Ok(v) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print!("{}", table(&v));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", render(&e, e.hint()));
            ExitCode::FAILURE
        }
    }
}

async fn collect(sink: &str) -> Result<Value, crate::Error> {
    let sink = crate::sink::open(sink).await?;
    let store = StateStore::new(sink.clone());
    let states = store.all().await?;
    let last_run = store.last_run().await?;
    let mut streams = Vec::new();
    for def in STREAMS {
        let name = def.full_name();
        let state = states.iter().find(|s| s.stream == name);
        let mut files = serde_json::Map::new();
        for table in def.tables {
            let n = sink
                .list(&format!("{}/{table}/", def.source))
                .await?
                .iter()
                .filter(|k| k.ends_with(".json.gz"))
                .count();
            files.insert((*table).to_owned(), json!(n));
        }
        streams.push(json!({
            "stream": name,
            "cursor": state.map(|s| s.cursor.clone()),
            "updated_at": state.and_then(|s| s.updated_at),
            "last_run": state.and_then(|s| s.last_run.clone()),
            "partition_files": files,
        }));
    }
    Ok(json!({"sink": sink.describe(), "streams": streams, "last_run": last_run}))
}

fn cursor_text(c: &Value) -> String {
    let s = |k: &str| c.get(k).and_then(Value::as_i64);
    let t = |k: &str| c.get(k).and_then(Value::as_str);
    let iso = |ts: i64| {
        chrono::DateTime::from_timestamp(ts, 0).map_or_else(
            || ts.to_string(),
            |d| d.format("%Y-%m-%dT%H:%MZ").to_string(),
        )
    };
    if let Some(u) = s("backfilled_until") {
        let mut out = format!("created < {}", iso(u));
        if let Some(e) = s("events_since") {
            out.push_str(&format!(", events ≥ {}", iso(e)));
        }
        return out;
    }
    if let Some(p) = c.get("pending").filter(|p| !p.is_null()) {
        let n = p
            .get("done_events")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        return format!("interrupted run, {n} events done");
    }
    let short = |ts: &str| {
        ts.get(..16)
            .map_or_else(|| ts.to_owned(), |s| format!("{s}Z"))
    };
    if let Some(m) = t("modified_since") {
        return format!("modified ≥ {}", short(m));
    }
    if let Some(r) = t("last_read_at") {
        return format!("read at {}", short(r));
    }
    if c.is_null() || c.as_object().is_some_and(serde_json::Map::is_empty) {
        return "-".to_owned();
    }
    c.to_string()
}

fn table(v: &Value) -> String {
    let mut out = format!("sink: {}\n\n", v["sink"].as_str().unwrap_or("?"));
    out.push_str(&format!(
        "{:<28} {:<56} {:<20} {:>9} {:>6} {:>6}\n",
        "STREAM", "CURSOR", "LAST RUN", "RECORDS", "QUAR.", "FILES"
    ));
    for s in v["streams"].as_array().into_iter().flatten() {
        let lr = &s["last_run"];
        let last = if lr.is_null() {
            "never".to_owned()
        } else {
            format!(
                "{} {}",
                lr["finished_at"]
                    .as_str()
                    .map_or("?", |t| t.get(..16).unwrap_or(t)),
                lr["status"].as_str().unwrap_or("?")
            )
        };
        let files: u64 = s["partition_files"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        out.push_str(&format!(
            "{:<28} {:<56} {:<20} {:>9} {:>6} {:>6}\n",
            s["stream"].as_str().unwrap_or("?"),
            cursor_text(&s["cursor"]),
            last,
            lr["records"]
                .as_u64()
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            lr["quarantined"]
                .as_u64()
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            files,
        ));
    }
    if let Some(r) = v["last_run"].as_object() {
        out.push_str(&format!(
            "\nlast run: {} → {}, {}, {} records, {} quarantined\n",
            r.get("started_at").and_then(Value::as_str).unwrap_or("?"),
            r.get("finished_at").and_then(Value::as_str).unwrap_or("?"),
            r.get("status").and_then(Value::as_str).unwrap_or("?"),
            r.get("records").and_then(Value::as_u64).unwrap_or(0),
            r.get("quarantined").and_then(Value::as_u64).unwrap_or(0),
        ));
    }
    out
}

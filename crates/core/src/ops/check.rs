//! `twh check`: run every `data_check` query through Athena in its
//! workgroup and database, read all of its result pages, and fail a check
//! whose rows exceed its `MaxRows` (default 0). Checks run a few at a time.

use std::time::Duration;

use futures::StreamExt as _;

use super::provider::{OpsProvider, Query, QueryRows};
use super::{Progress, spec_str};
use crate::plan::resolve::Desired;

const KIND: &str = "data_check";
/// Queries run at once (Athena's default quota is 20 active DML queries per
/// account; leave room for everyone else).
const CONCURRENCY: usize = 4;

/// Options of a check run.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Violating rows kept per check, to show.
    pub sample: usize,
    /// Per query.
    pub timeout: Duration,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckOutcome {
    pub address: String,
    pub name: String,
    pub description: Option<String>,
    pub max_rows: u64,
    /// `passed`, `failed` (too many rows) or `error` (the query failed).
    pub status: CheckStatus,
    pub query_execution_id: Option<String>,
    #[serde(flatten)]
    pub rows: QueryRows,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passed,
    Failed,
    Error,
}

/// Runs `checks`; every check gets an outcome, a failing query included.
pub async fn check(
    aws: &dyn OpsProvider,
    checks: &[&Desired],
    opts: CheckOptions,
    progress: &dyn Progress,
) -> Vec<CheckOutcome> {
    progress.begin(
        &super::counted("Running", checks.len(), "check"),
        checks.len(),
    );
    for d in checks {
        progress.status(&d.attributes.id, "running");
    }
    let outcomes: Vec<CheckOutcome> = futures::stream::iter(checks.iter().map(|d| async move {
        let o = run_one(aws, d, opts).await;
        // The result itself is the command's output; progress only counts.
        progress.finished(&o.name, o.status == CheckStatus::Passed, "");
        o
    }))
    .buffered(CONCURRENCY)
    .collect()
    .await;
    progress.end();
    outcomes
}

async fn run_one(aws: &dyn OpsProvider, d: &Desired, opts: CheckOptions) -> CheckOutcome {
    let name = d.attributes.id.clone();
    let max_rows = d
        .spec
        .get("MaxRows")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let mut o = CheckOutcome {
        address: d.addr.to_string(),
        name: name.clone(),
        description: spec_str(d, "/Description").map(str::to_string),
        max_rows,
        status: CheckStatus::Error,
        query_execution_id: None,
        rows: QueryRows::default(),
        error: None,
    };
    let q = Query {
        kind: KIND,
        id: &name,
        workgroup: spec_str(d, "/WorkGroup").unwrap_or("primary"),
        database: spec_str(d, "/Database").unwrap_or_default(),
        catalog: "AwsDataCatalog",
        sql: spec_str(d, "/Query").unwrap_or_default(),
        timeout: opts.timeout,
    };
    let result = match aws.run_query(&q).await {
        Ok(qid) => {
            o.query_execution_id = Some(qid.clone());
            aws.query_rows(&q, &qid, opts.sample).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(rows) => {
            o.status = if rows.count > max_rows {
                CheckStatus::Failed
            } else {
                CheckStatus::Passed
            };
            o.rows = rows;
        }
        Err(e) => o.error = Some(e.to_string()),
    }
    o
}

/// One line about a check.
pub fn summary(o: &CheckOutcome) -> String {
    let rows = |n: u64| format!("{n} row{}", if n == 1 { "" } else { "s" });
    match o.status {
        CheckStatus::Passed if o.max_rows == 0 => format!("{}: passed", o.name),
        CheckStatus::Passed => format!(
            "{}: passed ({}, {} allowed)",
            o.name,
            rows(o.rows.count),
            o.max_rows
        ),
        CheckStatus::Failed => format!(
            "{}: FAILED: {} (at most {} allowed)",
            o.name,
            rows(o.rows.count),
            o.max_rows
        ),
        CheckStatus::Error => format!(
            "{}: ERROR: {}",
            o.name,
            o.error.as_deref().unwrap_or("the query failed")
        ),
    }
}

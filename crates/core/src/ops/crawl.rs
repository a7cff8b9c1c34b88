//! `twh crawl`: start the declared Glue crawlers, wait for them, and say
//! what each did (tables created, updated, deleted; how long; its error).
//!
//! One [`OpsProvider::crawlers`] read per poll for all of them (100 names a
//! call), one [`OpsProvider::crawler_metrics`] at the end. A crawler that is
//! already running is waited for, not started again (Glue would refuse with
//! CrawlerRunningException).

use std::collections::BTreeMap;
use std::time::Instant;

use super::provider::{CRAWLER_BATCH, Crawler, CrawlerMetrics, OpsProvider, Start};
use super::{OpsError, Progress, Waiting};
use crate::plan::resolve::Desired;

/// How one crawler's run ended (or that it was only started).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CrawlOutcome {
    pub address: String,
    pub name: String,
    /// `false` when it was already running and twh only waited for it.
    pub started: bool,
    /// `SUCCEEDED`, `FAILED`, `CANCELLED`, or `RUNNING` without `--wait`.
    pub status: String,
    pub error: Option<String>,
    pub tables_created: Option<i32>,
    pub tables_updated: Option<i32>,
    pub tables_deleted: Option<i32>,
    pub seconds: Option<f64>,
}

impl CrawlOutcome {
    /// Still running (not waited for) or succeeded.
    pub fn ok(&self) -> bool {
        matches!(self.status.as_str(), "SUCCEEDED" | "RUNNING")
    }
}

/// Starts `crawlers` and, with `wait`, waits for all of them.
pub async fn crawl(
    aws: &dyn OpsProvider,
    crawlers: &[&Desired],
    wait: Option<Waiting>,
    progress: &dyn Progress,
) -> Result<Vec<CrawlOutcome>, OpsError> {
    let names: Vec<String> = crawlers.iter().map(|d| d.attributes.id.clone()).collect();
    let live = batch_get(aws, &names).await?;
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !live.contains_key(*n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(OpsError::Missing {
            what: format!(
                "crawler{}",
                if missing.len() == 1 { " does" } else { "s do" }
            ),
            names: missing.join(", "),
        });
    }
    let began = Instant::now();
    let mut outcomes = Vec::new();
    for d in crawlers {
        let name = &d.attributes.id;
        let running = live.get(name).is_some_and(|c| !c.is_ready());
        let started = !running && aws.start_crawler(name).await? == Start::Started;
        outcomes.push(CrawlOutcome {
            address: d.addr.to_string(),
            name: name.clone(),
            started,
            status: "RUNNING".into(),
            error: None,
            tables_created: None,
            tables_updated: None,
            tables_deleted: None,
            seconds: None,
        });
    }
    let Some(waiting) = wait else {
        return Ok(outcomes);
    };

    progress.begin(
        &super::counted("Waiting for", outcomes.len(), "crawler"),
        outcomes.len(),
    );
    for o in &outcomes {
        let how = if o.started {
            "started"
        } else {
            "already running; waiting"
        };
        progress.status(&o.name, how);
    }
    // Glue is eventually consistent: right after StartCrawler a read may
    // still show READY and the previous crawl. A crawl counts as finished
    // only once its LastCrawl is newer than the one seen before starting.
    let before: BTreeMap<&str, Option<i128>> = live
        .iter()
        .map(|(n, c)| (n.as_str(), c.last_start()))
        .collect();
    let started: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.started)
        .map(|o| o.name.as_str())
        .collect();
    let mut pending: Vec<String> = names.clone();
    let mut last_state: BTreeMap<String, String> = BTreeMap::new();
    let mut finished: BTreeMap<String, Crawler> = BTreeMap::new();
    let mut poller = waiting.start();
    while !pending.is_empty() {
        if !poller.tick().await {
            progress.end();
            return Err(OpsError::TimedOut {
                what: "crawlers",
                secs: waiting.timeout.as_secs(),
                names: pending.join(", "),
            });
        }
        let now = batch_get(aws, &pending).await?;
        for name in std::mem::take(&mut pending) {
            let Some(c) = now.get(&name) else {
                return Err(OpsError::Vanished {
                    what: "crawler",
                    name,
                });
            };
            if c.is_ready() {
                // Finished, unless Glue still shows the crawl before ours.
                let ours = !started.contains(&name.as_str())
                    || c.last_start() != before.get(name.as_str()).copied().flatten();
                if ours {
                    finished.insert(name, c.clone());
                } else {
                    pending.push(name);
                }
            } else {
                let text = c
                    .state
                    .as_ref()
                    .map_or("RUNNING", |s| s.as_str())
                    .to_string();
                if last_state.get(&name) != Some(&text) {
                    progress.status(&name, &text);
                    last_state.insert(name.clone(), text);
                }
                pending.push(name);
            }
        }
    }
    let metrics = metrics(aws, &names).await?;
    let waited = began.elapsed().as_secs_f64();
    for o in &mut outcomes {
        let last = finished.get(&o.name).and_then(|c| c.last_crawl.as_ref());
        o.status = last
            .and_then(|l| l.status.as_deref())
            .unwrap_or("UNKNOWN")
            .to_string();
        o.error = last.and_then(|l| l.error.clone());
        let m = metrics.get(&o.name);
        if o.status == "SUCCEEDED"
            && let Some(m) = m
        {
            // Glue's metrics describe the last successful crawl: only
            // meaningful when this crawl is that one.
            o.tables_created = Some(m.tables_created);
            o.tables_updated = Some(m.tables_updated);
            o.tables_deleted = Some(m.tables_deleted);
            o.seconds = Some(m.last_runtime_seconds);
        } else {
            o.seconds = Some(waited);
        }
        progress.finished(&o.name, o.ok(), &summary(o));
    }
    progress.end();
    Ok(outcomes)
}

/// One line about a finished crawl.
pub fn summary(o: &CrawlOutcome) -> String {
    match (&o.status[..], &o.error) {
        ("SUCCEEDED", _) => format!(
            "{}: succeeded in {:.1}s: {} table(s) created, {} updated, {} deleted",
            o.name,
            o.seconds.unwrap_or_default(),
            o.tables_created.unwrap_or_default(),
            o.tables_updated.unwrap_or_default(),
            o.tables_deleted.unwrap_or_default()
        ),
        (status, Some(e)) => format!("{}: {}: {e}", o.name, status.to_lowercase()),
        (status, None) => format!("{}: {}", o.name, status.to_lowercase()),
    }
}

/// The live crawlers among `names`, by name, [`CRAWLER_BATCH`] a call.
async fn batch_get(
    aws: &dyn OpsProvider,
    names: &[String],
) -> Result<BTreeMap<String, Crawler>, OpsError> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(CRAWLER_BATCH) {
        out.extend(aws.crawlers(chunk).await?);
    }
    Ok(out)
}

/// The metrics of `names`, by name, [`CRAWLER_BATCH`] a call.
async fn metrics(
    aws: &dyn OpsProvider,
    names: &[String],
) -> Result<BTreeMap<String, CrawlerMetrics>, OpsError> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(CRAWLER_BATCH) {
        out.extend(aws.crawler_metrics(chunk).await?);
    }
    Ok(out)
}

//! `twh crawl`: start the declared Glue crawlers, wait for them, and say
//! what each did (tables created, updated, deleted; how long; its error).
//!
//! One BatchGetCrawlers per poll for all of them (100 names a call), one
//! GetCrawlerMetrics at the end. A crawler that is already running is waited
//! for, not started again (Glue would refuse with CrawlerRunningException).

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_glue::types::{Crawler, CrawlerState, LastCrawlStatus};

use crate::provider::aws::Clients;
use crate::provider::aws_common::Op;
use twh_core::ops::{OpsError, Progress, Waiting};
use twh_core::plan::resolve::Desired;
use twh_core::provider::ProviderError;

const SVC: &str = "glue";
const KIND: &str = "glue_crawler";
/// BatchGetCrawlers and GetCrawlerMetrics take at most this many names.
const BATCH: usize = 100;

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
    clients: &Clients,
    crawlers: &[&Desired],
    wait: Option<Waiting>,
    progress: &dyn Progress,
) -> Result<Vec<CrawlOutcome>, OpsError> {
    let names: Vec<String> = crawlers.iter().map(|d| d.attributes.id.clone()).collect();
    let live = batch_get(clients, &names).await?;
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
        let running = live
            .get(name)
            .is_some_and(|c| !matches!(c.state, Some(CrawlerState::Ready) | None));
        let started = !running && start(clients, name).await?;
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
        &twh_core::ops::counted("Waiting for", outcomes.len(), "crawler"),
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
    let before: BTreeMap<&str, Option<aws_smithy_types::DateTime>> = live
        .iter()
        .map(|(n, c)| (n.as_str(), last_start(c)))
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
        let now = batch_get(clients, &pending).await?;
        for name in std::mem::take(&mut pending) {
            let Some(c) = now.get(&name) else {
                return Err(OpsError::Other(format!(
                    "crawler `{name}` was deleted while twh waited for it"
                )));
            };
            match c.state {
                Some(CrawlerState::Ready) | None
                    if !started.contains(&name.as_str())
                        || last_start(c) != before.get(name.as_str()).copied().flatten() =>
                {
                    finished.insert(name, c.clone());
                }
                Some(CrawlerState::Ready) | None => pending.push(name),
                ref s => {
                    let text = s.as_ref().map_or("RUNNING", |s| s.as_str()).to_string();
                    if last_state.get(&name) != Some(&text) {
                        progress.status(&name, &text);
                        last_state.insert(name.clone(), text);
                    }
                    pending.push(name);
                }
            }
        }
    }
    let metrics = metrics(clients, &names).await?;
    let waited = began.elapsed().as_secs_f64();
    for o in &mut outcomes {
        let last = finished.get(&o.name).and_then(|c| c.last_crawl.as_ref());
        o.status = last
            .and_then(|l| l.status.as_ref())
            .map_or("UNKNOWN", LastCrawlStatus::as_str)
            .to_string();
        o.error = last.and_then(|l| l.error_message.clone());
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

fn last_start(c: &Crawler) -> Option<aws_smithy_types::DateTime> {
    c.last_crawl.as_ref().and_then(|l| l.start_time)
}

/// StartCrawler; `false` when Glue says it is already running (started by
/// someone else between our read and our start).
async fn start(clients: &Clients, name: &str) -> Result<bool, OpsError> {
    let r = clients
        .caller
        .call(Op::write(SVC, "StartCrawler", KIND, name), || {
            clients.glue.start_crawler().name(name).send()
        })
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(ProviderError::Api { message, .. }) if message.contains("CrawlerRunningException") => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// The live crawlers among `names`, by name (BatchGetCrawlers, 100 a call).
async fn batch_get(
    clients: &Clients,
    names: &[String],
) -> Result<BTreeMap<String, Crawler>, OpsError> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(BATCH) {
        let page = clients
            .caller
            .call(Op::read(SVC, "BatchGetCrawlers", KIND, "*"), || {
                clients
                    .glue
                    .batch_get_crawlers()
                    .set_crawler_names(Some(chunk.to_vec()))
                    .send()
            })
            .await?;
        for c in page.crawlers.unwrap_or_default() {
            if let Some(n) = c.name.clone() {
                out.insert(n, c);
            }
        }
    }
    Ok(out)
}

/// GetCrawlerMetrics for `names` (100 a call, paged), by name.
async fn metrics(
    clients: &Clients,
    names: &[String],
) -> Result<BTreeMap<String, aws_sdk_glue::types::CrawlerMetrics>, OpsError> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(BATCH) {
        let mut token: Option<String> = None;
        loop {
            let page = clients
                .caller
                .call(Op::read(SVC, "GetCrawlerMetrics", KIND, "*"), || {
                    clients
                        .glue
                        .get_crawler_metrics()
                        .set_crawler_name_list(Some(chunk.to_vec()))
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            for m in page.crawler_metrics_list.unwrap_or_default() {
                if let Some(n) = m.crawler_name.clone() {
                    out.insert(n, m);
                }
            }
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

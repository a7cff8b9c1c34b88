//! `twh refresh`: start a QuickSight SPICE ingestion (a full refresh) for
//! the declared datasets and wait for them. Direct-query datasets have no
//! SPICE copy to refresh and are skipped with a note.

use std::collections::BTreeMap;

use super::provider::{IngestionRef, OpsProvider};
use super::{OpsError, Progress, Waiting, spec_str};
use crate::plan::resolve::Desired;

/// How one dataset's refresh ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RefreshOutcome {
    pub address: String,
    pub data_set_id: String,
    /// Why it was not refreshed (a direct-query dataset).
    pub skipped: Option<String>,
    pub ingestion_id: Option<String>,
    /// QuickSight's ingestion status: `COMPLETED`, `FAILED`, `CANCELLED`, or
    /// `INITIALIZED`/`QUEUED`/`RUNNING` without `--wait`.
    pub status: String,
    pub error: Option<String>,
    pub rows_ingested: Option<i64>,
    pub rows_dropped: Option<i64>,
    pub seconds: Option<i64>,
    /// The account the dataset is in (its spec's `AwsAccountId`).
    #[serde(skip)]
    account: String,
}

impl RefreshOutcome {
    pub fn ok(&self) -> bool {
        !matches!(self.status.as_str(), "FAILED" | "CANCELLED")
    }
}

/// Starts a full refresh of every SPICE dataset in `data_sets` and, with
/// `wait`, waits for all of them.
pub async fn refresh(
    aws: &dyn OpsProvider,
    data_sets: &[&Desired],
    wait: Option<Waiting>,
    progress: &dyn Progress,
) -> Result<Vec<RefreshOutcome>, OpsError> {
    let account = aws.account();
    let mut outcomes = Vec::new();
    for d in data_sets {
        let id = d.attributes.id.clone();
        let mut o = RefreshOutcome {
            address: d.addr.to_string(),
            data_set_id: id.clone(),
            skipped: None,
            ingestion_id: None,
            status: "SKIPPED".into(),
            error: None,
            rows_ingested: None,
            rows_dropped: None,
            seconds: None,
            account: spec_str(d, "/AwsAccountId").unwrap_or(&account).to_string(),
        };
        let mode = spec_str(d, "/ImportMode").unwrap_or("SPICE");
        if mode != "SPICE" {
            o.skipped = Some(format!(
                "{mode} dataset: queries go to the source, there is no SPICE copy to refresh"
            ));
            outcomes.push(o);
            continue;
        }
        let ingestion_id = format!("twh-{}", uuid::Uuid::new_v4().simple());
        let status = aws
            .start_ingestion(IngestionRef {
                account: &o.account,
                data_set_id: &id,
                ingestion_id: &ingestion_id,
            })
            .await?;
        o.status = status.as_str().to_string();
        o.ingestion_id = Some(ingestion_id);
        outcomes.push(o);
    }
    let Some(waiting) = wait else {
        return Ok(outcomes);
    };

    let mut pending: Vec<usize> = (0..outcomes.len())
        .filter(|i| outcomes[*i].skipped.is_none())
        .collect();
    progress.begin(
        &super::counted("Waiting for", pending.len(), "ingestion"),
        pending.len(),
    );
    let mut last: BTreeMap<usize, String> = BTreeMap::new();
    let mut poller = waiting.start();
    while !pending.is_empty() {
        if !poller.tick().await {
            progress.end();
            return Err(OpsError::TimedOut {
                what: "ingestions",
                secs: waiting.timeout.as_secs(),
                names: pending
                    .iter()
                    .map(|i| outcomes[*i].data_set_id.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        for i in std::mem::take(&mut pending) {
            let o = &mut outcomes[i];
            let ing = aws
                .ingestion(IngestionRef {
                    account: &o.account,
                    data_set_id: &o.data_set_id,
                    ingestion_id: o.ingestion_id.as_deref().unwrap_or_default(),
                })
                .await?;
            let status = ing.status.as_str().to_string();
            if ing.status.is_done() {
                o.status = status;
                o.error = ing.error;
                o.rows_ingested = ing.rows_ingested;
                o.rows_dropped = ing.rows_dropped;
                o.seconds = ing.seconds;
                progress.finished(&o.data_set_id, o.ok(), &summary(o));
            } else {
                if last.get(&i) != Some(&status) {
                    progress.status(&o.data_set_id, &status);
                    last.insert(i, status);
                }
                pending.push(i);
            }
        }
    }
    progress.end();
    Ok(outcomes)
}

/// One line about a refresh.
pub fn summary(o: &RefreshOutcome) -> String {
    if let Some(why) = &o.skipped {
        return format!("{}: skipped ({why})", o.data_set_id);
    }
    match (&o.status[..], &o.error) {
        ("COMPLETED", _) => format!(
            "{}: completed in {}s: {} row(s) ingested, {} dropped",
            o.data_set_id,
            o.seconds.unwrap_or_default(),
            o.rows_ingested.unwrap_or_default(),
            o.rows_dropped.unwrap_or_default()
        ),
        (status, Some(e)) => format!("{}: {}: {e}", o.data_set_id, status.to_lowercase()),
        (status, None) => format!("{}: {}", o.data_set_id, status.to_lowercase()),
    }
}

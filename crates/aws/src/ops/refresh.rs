//! `twh refresh`: start a QuickSight SPICE ingestion (a full refresh) for
//! the declared datasets and wait for them. Direct-query datasets have no
//! SPICE copy to refresh and are skipped with a note.

use std::collections::BTreeMap;

use aws_sdk_quicksight::types::{Ingestion, IngestionStatus, IngestionType};

use crate::provider::aws::Clients;
use crate::provider::aws_common::Op;
use twh_core::ops::{OpsError, Progress, Waiting, spec_str};
use twh_core::plan::resolve::Desired;

const SVC: &str = "quicksight";
const KIND: &str = "quicksight_data_set";

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

fn done(s: &IngestionStatus) -> bool {
    matches!(
        s,
        IngestionStatus::Completed | IngestionStatus::Failed | IngestionStatus::Cancelled
    )
}

/// Starts a full refresh of every SPICE dataset in `data_sets` and, with
/// `wait`, waits for all of them.
pub async fn refresh(
    clients: &Clients,
    data_sets: &[&Desired],
    wait: Option<Waiting>,
    progress: &dyn Progress,
) -> Result<Vec<RefreshOutcome>, OpsError> {
    let account = clients.caller.account().to_string();
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
        let started = clients
            .caller
            .call(Op::write(SVC, "CreateIngestion", KIND, &id), || {
                clients
                    .quicksight
                    .create_ingestion()
                    .aws_account_id(&o.account)
                    .data_set_id(&id)
                    .ingestion_id(&ingestion_id)
                    .ingestion_type(IngestionType::FullRefresh)
                    .send()
            })
            .await?;
        o.status = started
            .ingestion_status
            .as_ref()
            .map_or("INITIALIZED", IngestionStatus::as_str)
            .to_string();
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
        &twh_core::ops::counted("Waiting for", pending.len(), "ingestion"),
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
            let ing = describe(clients, o).await?;
            let status = ing.ingestion_status.as_str().to_string();
            if done(&ing.ingestion_status) {
                o.status = status;
                o.error = ing.error_info.as_ref().and_then(|e| {
                    let kind = e.r#type.as_ref().map(|t| t.as_str().to_string());
                    match (kind, e.message.clone()) {
                        (Some(k), Some(m)) => Some(format!("{k}: {m}")),
                        (k, m) => m.or(k),
                    }
                });
                o.rows_ingested = ing.row_info.as_ref().and_then(|r| r.rows_ingested);
                o.rows_dropped = ing.row_info.as_ref().and_then(|r| r.rows_dropped);
                o.seconds = ing.ingestion_time_in_seconds;
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

async fn describe(clients: &Clients, o: &RefreshOutcome) -> Result<Ingestion, OpsError> {
    let ingestion_id = o.ingestion_id.as_deref().unwrap_or_default();
    let out = clients
        .caller
        .call(
            Op::read(SVC, "DescribeIngestion", KIND, &o.data_set_id),
            || {
                clients
                    .quicksight
                    .describe_ingestion()
                    .aws_account_id(&o.account)
                    .data_set_id(&o.data_set_id)
                    .ingestion_id(ingestion_id)
                    .send()
            },
        )
        .await?;
    out.ingestion.ok_or_else(|| {
        OpsError::Other(format!(
            "QuickSight returned no ingestion `{ingestion_id}` for dataset `{}`",
            o.data_set_id
        ))
    })
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

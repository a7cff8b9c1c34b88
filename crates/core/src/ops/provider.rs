//! What the operator commands need from AWS, and nothing else: start and
//! read Glue crawlers, start and read QuickSight ingestions, run an Athena
//! query and read its rows, list and drop Glue tables, list and delete S3
//! objects. `twh-aws` implements it over the SDK (one call log, one retry
//! policy, shared with the providers); [`crate::provider::memory`] implements
//! it in-process, so the commands' logic (what to purge, what to refuse, in
//! which order, when a crawl is finished) runs and is tested without AWS.
//!
//! The types are the few members the commands read, not the SDK's shapes,
//! so that nothing above this trait depends on an AWS crate.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::provider::ProviderError;

/// A Glue crawler's state (`READY`, `RUNNING`, `STOPPING`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrawlerState {
    Ready,
    Running,
    Stopping,
    /// A state this version does not know; treated as busy.
    Other(String),
}

impl CrawlerState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Ready => "READY",
            Self::Running => "RUNNING",
            Self::Stopping => "STOPPING",
            Self::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "READY" => Self::Ready,
            "RUNNING" => Self::Running,
            "STOPPING" => Self::Stopping,
            other => Self::Other(other.to_string()),
        }
    }
}

/// A crawler as BatchGetCrawlers describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crawler {
    pub name: String,
    /// `None` when Glue leaves it out: treated as ready.
    pub state: Option<CrawlerState>,
    pub last_crawl: Option<LastCrawl>,
}

impl Crawler {
    pub fn is_ready(&self) -> bool {
        matches!(self.state, Some(CrawlerState::Ready) | None)
    }

    /// When its last crawl began, to tell a new crawl from the previous one.
    pub fn last_start(&self) -> Option<i128> {
        self.last_crawl.as_ref().and_then(|l| l.started)
    }
}

/// A crawler's last crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastCrawl {
    /// `SUCCEEDED`, `FAILED` or `CANCELLED`.
    pub status: Option<String>,
    pub error: Option<String>,
    /// When it began, in nanoseconds since the epoch; only compared.
    pub started: Option<i128>,
}

/// GetCrawlerMetrics of a crawler: about its last successful crawl.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlerMetrics {
    pub tables_created: i32,
    pub tables_updated: i32,
    pub tables_deleted: i32,
    pub last_runtime_seconds: f64,
}

/// What StartCrawler did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Started,
    /// Glue refused: the crawler is running (started by someone else
    /// between our read and our start).
    AlreadyRunning,
}

/// A QuickSight ingestion's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestionStatus {
    Initialized,
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Other(String),
}

impl IngestionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Initialized => "INITIALIZED",
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "INITIALIZED" => Self::Initialized,
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            other => Self::Other(other.to_string()),
        }
    }

    /// It will not change any more.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// One ingestion, as DescribeIngestion describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingestion {
    pub status: IngestionStatus,
    /// `TYPE: message` when QuickSight gives both.
    pub error: Option<String>,
    pub rows_ingested: Option<i64>,
    pub rows_dropped: Option<i64>,
    pub seconds: Option<i64>,
}

/// Which dataset, and which ingestion of it.
#[derive(Debug, Clone, Copy)]
pub struct IngestionRef<'a> {
    pub account: &'a str,
    pub data_set_id: &'a str,
    pub ingestion_id: &'a str,
}

/// An Athena query to run to completion.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// What it is run for (`data_check`) and its id: for the call log and
    /// error messages.
    pub kind: &'a str,
    pub id: &'a str,
    pub workgroup: &'a str,
    pub database: &'a str,
    pub catalog: &'a str,
    pub sql: &'a str,
    /// Give up (and stop the query) after this long.
    pub timeout: Duration,
}

/// A query's result: its columns, how many rows, and the first few.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueryRows {
    pub columns: Vec<String>,
    pub count: u64,
    pub sample: Vec<Vec<Option<String>>>,
}

/// A Glue table of a database, as purge reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// A view (`VIRTUAL_VIEW`): it has no data of its own.
    pub view: bool,
    /// Its storage descriptor's location.
    pub location: Option<String>,
}

/// An S3 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub size: i64,
}

/// One item a batch call did not do, and the service's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub name: String,
    pub message: String,
}

/// At most this many names per [`OpsProvider::crawlers`] and
/// [`OpsProvider::crawler_metrics`] call (BatchGetCrawlers' and
/// GetCrawlerMetrics' limit).
pub const CRAWLER_BATCH: usize = 100;
/// At most this many tables per [`OpsProvider::drop_tables`] call
/// (BatchDeleteTable's limit).
pub const TABLE_BATCH: usize = 100;
/// At most this many keys per [`OpsProvider::delete_objects`] call
/// (DeleteObjects' limit).
pub const DELETE_BATCH: usize = 1000;

/// The AWS calls of the operator commands. Every call goes through the
/// implementation's call log; errors are the providers' [`ProviderError`].
#[async_trait::async_trait]
pub trait OpsProvider: Send + Sync {
    /// The account the credentials are for (a dataset's default account).
    fn account(&self) -> String;

    /// The crawlers among `names` (at most [`CRAWLER_BATCH`]) that exist, by name.
    async fn crawlers(&self, names: &[String]) -> Result<BTreeMap<String, Crawler>, ProviderError>;
    async fn start_crawler(&self, name: &str) -> Result<Start, ProviderError>;
    /// Metrics of the crawlers among `names` (at most [`CRAWLER_BATCH`]), by name.
    async fn crawler_metrics(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, CrawlerMetrics>, ProviderError>;

    /// Starts a full refresh; returns its first status.
    async fn start_ingestion(&self, i: IngestionRef<'_>) -> Result<IngestionStatus, ProviderError>;
    async fn ingestion(&self, i: IngestionRef<'_>) -> Result<Ingestion, ProviderError>;

    /// Runs `q` to completion; its execution id, or the query's own error.
    async fn run_query(&self, q: &Query<'_>) -> Result<String, ProviderError>;
    /// Every row of a finished query (all pages, the header row left out),
    /// keeping the first `keep`.
    async fn query_rows(
        &self,
        q: &Query<'_>,
        execution_id: &str,
        keep: usize,
    ) -> Result<QueryRows, ProviderError>;

    /// The tables of `database`; `None` when the database does not exist.
    async fn tables(&self, database: &str) -> Result<Option<Vec<Table>>, ProviderError>;
    /// Drops `names` (at most [`TABLE_BATCH`]) from `database`; the ones it
    /// could not drop. A table already gone is not a failure.
    async fn drop_tables(
        &self,
        database: &str,
        names: &[String],
    ) -> Result<Vec<Failure>, ProviderError>;

    /// Every object under `prefix`; `None` when the bucket does not exist.
    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<Object>>, ProviderError>;
    /// Deletes `keys` (at most [`DELETE_BATCH`]); the ones it could not delete.
    async fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<Failure>, ProviderError>;
}

//! Counters kept while a stream runs and the JSON summary made from them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Version of the summary's JSON shape.
pub const FORMAT_VERSION: u32 = 1;

/// Live counters of one stream, updated from many tasks.
#[derive(Debug, Default)]
pub struct StreamMetrics {
    pub records: AtomicU64,
    pub quarantined: AtomicU64,
    pub pages: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub bytes_written: AtomicU64,
    pub files_written: AtomicU64,
    pub files_unchanged: AtomicU64,
    tables: Mutex<BTreeMap<String, u64>>,
}

impl StreamMetrics {
    pub fn add(counter: &AtomicU64, n: u64) -> u64 {
        counter.fetch_add(n, Ordering::Relaxed) + n
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts `n` valid records landed in `table`.
    pub fn table_records(&self, table: &str, n: u64) {
        if let Ok(mut t) = self.tables.lock() {
            *t.entry(table.to_owned()).or_default() += n;
        }
    }

    pub fn snapshot(&self) -> StreamSummary {
        StreamSummary {
            status: StreamStatus::Ok,
            records: Self::get(&self.records),
            tables: self.tables.lock().map(|t| t.clone()).unwrap_or_default(),
            quarantined: Self::get(&self.quarantined),
            pages: Self::get(&self.pages),
            requests: Self::get(&self.requests),
            retries: Self::get(&self.retries),
            bytes_written: Self::get(&self.bytes_written),
            files_written: Self::get(&self.files_written),
            files_unchanged: Self::get(&self.files_unchanged),
            duration_ms: 0,
            error: None,
        }
    }
}

/// How a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Ok,
    Failed,
    /// Stopped at the run's stop time (a Lambda invocation's deadline) with
    /// the cursors of what landed saved; the next run resumes.
    Partial,
}

/// One stream's figures in the final summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamSummary {
    pub status: StreamStatus,
    /// Valid records extracted (all tables of the stream).
    pub records: u64,
    /// Valid records per table.
    pub tables: BTreeMap<String, u64>,
    /// Records that failed validation, written to `_quarantine/`.
    pub quarantined: u64,
    pub pages: u64,
    pub requests: u64,
    pub retries: u64,
    /// Compressed bytes of the partition files written.
    pub bytes_written: u64,
    /// Partition files written (new or changed).
    pub files_written: u64,
    /// Partition files whose merged content was already there (not written).
    pub files_unchanged: u64,
    pub duration_ms: u64,
    /// The error that stopped the stream, with its causes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole run, printed as JSON on stdout at the end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub format_version: u32,
    pub sink: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// `ok` when every stream finished, `failed` when one failed, else
    /// `partial` (stopped at the stop time; the next run resumes).
    pub status: StreamStatus,
    pub records: u64,
    pub quarantined: u64,
    pub retries: u64,
    pub bytes_written: u64,
    pub streams: BTreeMap<String, StreamSummary>,
}

impl RunSummary {
    pub fn new(
        sink: String,
        started_at: chrono::DateTime<chrono::Utc>,
        streams: BTreeMap<String, StreamSummary>,
    ) -> Self {
        let finished = chrono::Utc::now();
        let sum = |f: fn(&StreamSummary) -> u64| streams.values().map(f).sum::<u64>();
        RunSummary {
            format_version: FORMAT_VERSION,
            sink,
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished_at: finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: u64::try_from((finished - started_at).num_milliseconds()).unwrap_or(0),
            status: if streams.values().any(|s| s.status == StreamStatus::Failed) {
                StreamStatus::Failed
            } else if streams.values().any(|s| s.status == StreamStatus::Partial) {
                StreamStatus::Partial
            } else {
                StreamStatus::Ok
            },
            records: sum(|s| s.records),
            quarantined: sum(|s| s.quarantined),
            retries: sum(|s| s.retries),
            bytes_written: sum(|s| s.bytes_written),
            streams,
        }
    }
}

//! Progress as a trait: the library reports, the CLI decides how to show it
//! (indicatif bars on a terminal, plain lines otherwise, nothing in tests).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::summary::{StreamMetrics, StreamSummary};

/// Receives progress of every stream; called from many tasks.
pub trait Reporter: Send + Sync {
    fn stream_started(&self, _stream: &str) {}
    /// A page arrived: `records` new valid records; totals so far.
    fn page(&self, _stream: &str, _records: u64, _total_records: u64, _total_pages: u64) {}
    /// Something worth a line: a phase starts, a retry, a quarantined record.
    fn note(&self, _stream: &str, _message: &str) {}
    fn stream_finished(&self, _stream: &str, _summary: &StreamSummary) {}
}

/// Reports nothing.
pub struct Silent;
impl Reporter for Silent {}

/// Plain `tracing` lines: a progress line per stream at most every
/// `every`, notes as they come.
pub struct LogLines {
    every: Duration,
    last: Mutex<HashMap<String, Instant>>,
}

impl LogLines {
    pub fn new(every: Duration) -> Self {
        LogLines {
            every,
            last: Mutex::new(HashMap::new()),
        }
    }
}

impl Reporter for LogLines {
    fn stream_started(&self, stream: &str) {
        tracing::info!(stream, "started");
    }
    fn page(&self, stream: &str, _records: u64, total_records: u64, total_pages: u64) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        let due = last
            .get(stream)
            .is_none_or(|t| now.duration_since(*t) >= self.every);
        if due {
            last.insert(stream.to_owned(), now);
            tracing::info!(
                stream,
                records = total_records,
                pages = total_pages,
                "progress"
            );
        }
    }
    fn note(&self, stream: &str, message: &str) {
        tracing::info!(stream, "{message}");
    }
    fn stream_finished(&self, stream: &str, s: &StreamSummary) {
        match &s.error {
            None => tracing::info!(
                stream,
                records = s.records,
                quarantined = s.quarantined,
                retries = s.retries,
                files_written = s.files_written,
                "finished"
            ),
            Some(e) => tracing::error!(stream, records = s.records, "failed: {e}"),
        }
    }
}

/// A stream's handle on its counters and the reporter.
#[derive(Clone)]
pub struct StreamCtx {
    pub name: String,
    pub metrics: Arc<StreamMetrics>,
    pub reporter: Arc<dyn Reporter>,
}

impl StreamCtx {
    pub fn new(name: impl Into<String>, reporter: Arc<dyn Reporter>) -> Self {
        StreamCtx {
            name: name.into(),
            metrics: Arc::new(StreamMetrics::default()),
            reporter,
        }
    }

    /// A page with `records` valid records went to the writer.
    pub fn page_done(&self, records: u64) {
        let total = StreamMetrics::add(&self.metrics.records, records);
        let pages = StreamMetrics::add(&self.metrics.pages, 1);
        self.reporter.page(&self.name, records, total, pages);
    }

    /// `records` valid records went to the writer, within a page still
    /// being worked on (order details arrive one by one).
    pub fn records_done(&self, records: u64) {
        let total = StreamMetrics::add(&self.metrics.records, records);
        let pages = StreamMetrics::get(&self.metrics.pages);
        self.reporter.page(&self.name, records, total, pages);
    }

    pub fn request(&self) {
        StreamMetrics::add(&self.metrics.requests, 1);
    }

    pub fn retry(&self, message: &str) {
        StreamMetrics::add(&self.metrics.retries, 1);
        self.reporter.note(&self.name, message);
    }

    pub fn quarantined(&self, reason: &str) {
        let n = StreamMetrics::add(&self.metrics.quarantined, 1);
        // The first says what happens; the rest are counted in the summary.
        if n == 1 {
            self.reporter.note(
                &self.name,
                &format!("quarantined a record ({reason}); further ones are counted"),
            );
        }
    }

    pub fn note(&self, message: &str) {
        self.reporter.note(&self.name, message);
    }
}

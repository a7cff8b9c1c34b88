//! The writer of one stream: buffers rows per partition (bounded), merges
//! them into the partition files, and only then applies the checkpoints that
//! arrived before the flush and saves the stream's state.
//!
//! Sources send rows and checkpoints through one bounded channel. A
//! checkpoint follows the rows it covers in the channel, so once a flush has
//! written everything received so far, every checkpoint received so far is
//! covered: that is the whole "cursor advances only after the data is
//! durable" rule. The bounded channel also gives back-pressure: a slow sink
//! slows the source instead of growing memory.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Error;
use super::cursor::{StateStore, StreamState};
use super::progress::StreamCtx;
use super::sink::{Sink, merge, part_key, sink_err};
use super::summary::StreamMetrics;

/// One record on its way to a partition file.
#[derive(Clone, Debug)]
pub struct Row {
    /// `<source>/<table>/dt=…`, or a quarantine folder.
    pub dir: String,
    /// The key field inside `line`, for reading the existing file.
    pub pk_field: &'static str,
    pub pk: String,
    /// One JSON object, no newline.
    pub line: Vec<u8>,
}

/// A change to the stream's state, applied once the rows before it are durable.
pub type Checkpoint<S> = Box<dyn FnOnce(&mut S) + Send>;

enum Msg<S> {
    Row(Row),
    Checkpoint(Checkpoint<S>),
}

/// Buffer and flush limits.
#[derive(Clone, Debug)]
pub struct WriterSettings {
    /// Flush when the buffered lines reach this many bytes.
    pub buffer_bytes: usize,
    /// Flush at least this often while checkpoints wait, so progress is
    /// saved during slow runs.
    pub flush_interval: Duration,
    /// Messages in flight between the source and the writer.
    pub channel: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            buffer_bytes: 4 * 1024 * 1024,
            flush_interval: Duration::from_secs(15),
            channel: 512,
        }
    }
}

/// The source's end of a writer.
pub struct WriterHandle<S> {
    tx: mpsc::Sender<Msg<S>>,
    stream: String,
}

impl<S> Clone for WriterHandle<S> {
    fn clone(&self) -> Self {
        WriterHandle {
            tx: self.tx.clone(),
            stream: self.stream.clone(),
        }
    }
}

impl<S: Send + 'static> WriterHandle<S> {
    pub async fn row(&self, row: Row) -> Result<(), Error> {
        self.tx
            .send(Msg::Row(row))
            .await
            .map_err(|_| Error::WriterGone {
                stream: self.stream.clone(),
            })
    }

    /// Applies `f` to the state once every row sent before it is durable.
    pub async fn checkpoint(&self, f: impl FnOnce(&mut S) + Send + 'static) -> Result<(), Error> {
        self.tx
            .send(Msg::Checkpoint(Box::new(f)))
            .await
            .map_err(|_| Error::WriterGone {
                stream: self.stream.clone(),
            })
    }
}

/// Starts the writer of one stream. It ends when every handle is dropped,
/// after a last flush, and returns the final state.
pub fn spawn<S>(
    ctx: StreamCtx,
    sink: Arc<dyn Sink>,
    store: StateStore,
    state: StreamState<S>,
    settings: WriterSettings,
) -> (
    WriterHandle<S>,
    tokio::task::JoinHandle<Result<StreamState<S>, Error>>,
)
where
    S: Serialize + Send + 'static,
{
    let (tx, rx) = mpsc::channel(settings.channel.max(1));
    let handle = WriterHandle {
        tx,
        stream: ctx.name.clone(),
    };
    let task = tokio::spawn(async move {
        let mut w = Writer {
            ctx,
            sink,
            store,
            state,
            settings,
            buffer: BTreeMap::new(),
            buffered_bytes: 0,
            pending: Vec::new(),
        };
        w.run(rx).await?;
        Ok(w.state)
    });
    (handle, task)
}

struct Partition {
    pk_field: &'static str,
    rows: BTreeMap<String, Vec<u8>>,
}

struct Writer<S> {
    ctx: StreamCtx,
    sink: Arc<dyn Sink>,
    store: StateStore,
    state: StreamState<S>,
    settings: WriterSettings,
    buffer: BTreeMap<String, Partition>,
    buffered_bytes: usize,
    pending: Vec<Checkpoint<S>>,
}

impl<S: Serialize + Send + 'static> Writer<S> {
    async fn run(&mut self, mut rx: mpsc::Receiver<Msg<S>>) -> Result<(), Error> {
        let mut last_flush = Instant::now();
        loop {
            let deadline = last_flush + self.settings.flush_interval;
            let msg = if self.pending.is_empty() {
                rx.recv().await
            } else {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(m) => m,
                    Err(_) => {
                        self.flush().await?;
                        last_flush = Instant::now();
                        continue;
                    }
                }
            };
            match msg {
                None => break,
                Some(Msg::Row(row)) => {
                    self.add(row);
                    if self.buffered_bytes >= self.settings.buffer_bytes {
                        self.flush().await?;
                        last_flush = Instant::now();
                    }
                }
                // Applied with the next flush: when the buffer fills, when
                // `flush_interval` has passed, or at the end. Saving state for
                // every checkpoint would cost a write each (an S3 request).
                Some(Msg::Checkpoint(f)) => self.pending.push(f),
            }
        }
        self.flush().await
    }

    fn add(&mut self, row: Row) {
        let part = self.buffer.entry(row.dir).or_insert_with(|| Partition {
            pk_field: row.pk_field,
            rows: BTreeMap::new(),
        });
        self.buffered_bytes += row.line.len() + row.pk.len();
        // A later version of the same key replaces the earlier one: rows of
        // one stream arrive in the order they were read.
        if let Some(old) = part.rows.insert(row.pk, row.line) {
            self.buffered_bytes = self.buffered_bytes.saturating_sub(old.len());
        }
    }

    /// Writes every buffered partition, then applies and saves checkpoints.
    async fn flush(&mut self) -> Result<(), Error> {
        let buffer = std::mem::take(&mut self.buffer);
        self.buffered_bytes = 0;
        let sink = self.sink.clone();
        let metrics = self.ctx.metrics.clone();
        let mut jobs = futures::stream::iter(buffer)
            .map(|(dir, part)| write_partition(sink.clone(), metrics.clone(), dir, part))
            .buffer_unordered(self.sink.parallelism().max(1));
        while let Some(result) = jobs.next().await {
            result?;
        }
        drop(jobs);
        if self.pending.is_empty() {
            return Ok(());
        }
        for f in self.pending.drain(..) {
            f(&mut self.state.cursor);
        }
        self.store.save(&mut self.state).await
    }
}

async fn write_partition(
    sink: Arc<dyn Sink>,
    metrics: Arc<StreamMetrics>,
    dir: String,
    part: Partition,
) -> Result<(), Error> {
    let key = part_key(&dir);
    let existing = sink.fetch(&key).await?;
    let staging = sink.staging_dir().to_path_buf();
    let loc = key.clone();
    let (staged, _outcome) = tokio::task::spawn_blocking(move || {
        let r = merge::merge(
            existing.as_ref().map(|f| f.path()),
            &part.rows,
            part.pk_field,
            &staging,
        );
        drop(existing);
        r
    })
    .await
    .map_err(|e| sink_err(loc.clone(), "merge", e))?
    .map_err(|e| sink_err(loc, "merge", e))?;
    match staged {
        Some(staged) => {
            let bytes = sink.publish(staged, &key).await?;
            StreamMetrics::add(&metrics.bytes_written, bytes);
            StreamMetrics::add(&metrics.files_written, 1);
        }
        None => {
            StreamMetrics::add(&metrics.files_unchanged, 1);
        }
    }
    Ok(())
}

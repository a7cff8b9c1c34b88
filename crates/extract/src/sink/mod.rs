//! Where the lake lives: a local directory or `s3://bucket/prefix`, with the
//! same layout. A sink stores whole files atomically: readers (and a rerun
//! after a crash) see the old file or the new one, never a part.

pub mod local;
pub mod merge;
pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use tempfile::TempPath;

use super::Error;

/// Folder of cursors and run records inside the sink.
pub const STATE_ROOT: &str = "_state";

/// A file the merge can read: the object itself (local) or a downloaded
/// copy that is deleted when dropped (S3).
pub enum Fetched {
    InPlace(PathBuf),
    Copy(TempPath),
}

impl Fetched {
    pub fn path(&self) -> &Path {
        match self {
            Fetched::InPlace(p) => p,
            Fetched::Copy(t) => t,
        }
    }
}

/// Storage for partition files and state.
#[async_trait]
pub trait Sink: Send + Sync {
    /// `s3://bucket/prefix` or the directory, for messages and the summary.
    fn describe(&self) -> String;
    /// Partition files a writer merges at once: more where each file costs
    /// round trips (S3) than where it costs disk and CPU (local).
    fn parallelism(&self) -> usize {
        2
    }
    /// Called once a run holds the lock: clears what a killed run left.
    async fn prepare(&self) -> Result<(), Error> {
        Ok(())
    }
    /// Where merged files are staged before [`Sink::publish`]; on the same
    /// file system as the target for a local sink, so publishing is a rename.
    fn staging_dir(&self) -> &Path;
    /// The object at `key` as a readable file, if it exists.
    async fn fetch(&self, key: &str) -> Result<Option<Fetched>, Error>;
    /// Makes the staged file the object at `key`, atomically and durably.
    /// Returns the bytes stored.
    async fn publish(&self, staged: TempPath, key: &str) -> Result<u64, Error>;
    /// A small object (state), if it exists.
    async fn read_small(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;
    /// Writes a small object (state) atomically.
    async fn write_small(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error>;
    /// Creates a small object only if it does not exist; `false` if it did.
    async fn create_small(&self, key: &str, bytes: Vec<u8>) -> Result<bool, Error>;
    async fn delete(&self, key: &str) -> Result<(), Error>;
    /// Keys under `prefix`, relative to the sink's root, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;
}

/// Opens `s3://bucket/prefix` (S3 through the SDK's standard configuration,
/// `AWS_ENDPOINT_URL` included) or a local directory.
pub async fn open(spec: &str) -> Result<Arc<dyn Sink>, Error> {
    if let Some(rest) = spec.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::InvalidSink {
                sink: spec.to_owned(),
                reason: "no bucket name".to_owned(),
            });
        }
        let sink = s3::S3Sink::from_env(bucket, prefix).await?;
        return Ok(Arc::new(sink));
    }
    if spec.contains("://") {
        return Err(Error::InvalidSink {
            sink: spec.to_owned(),
            reason: "only `s3://bucket/prefix` and local directories are supported".to_owned(),
        });
    }
    Ok(Arc::new(local::LocalSink::open(Path::new(spec))?))
}

/// The partition file of `dir` (`<source>/<table>/dt=…`). One file per
/// partition, named the same every time: a rerun replaces, never adds.
pub fn part_key(dir: &str) -> String {
    format!("{dir}/part-00000.json.gz")
}

pub(crate) fn sink_err(
    location: impl Into<String>,
    action: &'static str,
    source: impl Into<super::error::SinkError>,
) -> Error {
    Error::Sink {
        location: location.into(),
        action,
        source: source.into(),
    }
}

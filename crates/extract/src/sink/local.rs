//! A local directory with the lake's layout. Files are written to `_tmp/`
//! inside the root, synced, and renamed into place (then the directory is
//! synced), so a crash leaves either the old file or the new one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tempfile::TempPath;

use super::{Fetched, Sink, sink_err};
use crate::Error;

/// Staging folder inside the root; Glue include paths never cover it.
pub const STAGING: &str = "_tmp";

pub struct LocalSink {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalSink {
    /// Opens (creating) `root`.
    pub fn open(root: &Path) -> Result<Self, Error> {
        let staging = root.join(STAGING);
        fs_err::create_dir_all(&staging)
            .map_err(|e| sink_err(root.display().to_string(), "create", e))?;
        Ok(LocalSink {
            root: root.to_path_buf(),
            staging,
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // Directory fsync makes the rename itself durable (POSIX).
    std::fs::File::open(dir)?.sync_all()
}

fn place(staged: TempPath, target: &Path) -> std::io::Result<u64> {
    let parent = target.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent)?;
    fs_err::File::open(&*staged)?.sync_all()?;
    let size = fs_err::metadata(&*staged)?.len();
    staged.persist(target).map_err(|e| e.error)?;
    sync_dir(parent)?;
    Ok(size)
}

#[async_trait]
impl Sink for LocalSink {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// Each file costs two fsyncs, which wait on the disk, not the CPU.
    fn parallelism(&self) -> usize {
        4
    }

    /// Removes staging files left by a run that was killed. Only called
    /// while holding the sink's lock, so no live run owns them.
    async fn prepare(&self) -> Result<(), Error> {
        let entries = fs_err::read_dir(&self.staging)
            .map_err(|e| sink_err(self.staging.display().to_string(), "list", e))?;
        for entry in entries.flatten() {
            let _ = fs_err::remove_file(entry.path());
        }
        Ok(())
    }

    async fn fetch(&self, key: &str) -> Result<Option<Fetched>, Error> {
        let p = self.path(key);
        Ok(p.is_file().then_some(Fetched::InPlace(p)))
    }

    async fn publish(&self, staged: TempPath, key: &str) -> Result<u64, Error> {
        let target = self.path(key);
        let loc = target.display().to_string();
        tokio::task::spawn_blocking(move || place(staged, &target))
            .await
            .map_err(|e| sink_err(loc.clone(), "write", e))?
            .map_err(|e| sink_err(loc, "write", e))
    }

    async fn read_small(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let p = self.path(key);
        match fs_err::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(sink_err(p.display().to_string(), "read", e)),
        }
    }

    async fn write_small(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let target = self.path(key);
        let loc = target.display().to_string();
        let staging = self.staging.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
            let mut f = tempfile::Builder::new()
                .prefix(".state-")
                .tempfile_in(&staging)?;
            f.write_all(&bytes)?;
            place(f.into_temp_path(), &target)
        })
        .await
        .map_err(|e| sink_err(loc.clone(), "write", e))?
        .map(|_| ())
        .map_err(|e| sink_err(loc, "write", e))
    }

    async fn create_small(&self, key: &str, bytes: Vec<u8>) -> Result<bool, Error> {
        let target = self.path(key);
        let loc = target.display().to_string();
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent).map_err(|e| sink_err(loc.clone(), "create", e))?;
        }
        match fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
        {
            Ok(mut f) => {
                f.write_all(&bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| sink_err(loc, "write", e))?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(sink_err(loc, "create", e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        let p = self.path(key);
        match fs_err::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(sink_err(p.display().to_string(), "delete", e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let base = self.path(prefix);
        let mut out = Vec::new();
        if !base.exists() {
            return Ok(out);
        }
        for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
            let entry = entry.map_err(|e| {
                sink_err(base.display().to_string(), "list", std::io::Error::other(e))
            })?;
            if entry.file_type().is_file()
                && let Ok(rel) = entry.path().strip_prefix(&self.root)
            {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        out.sort();
        Ok(out)
    }
}

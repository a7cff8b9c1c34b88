//! The local state backend: `state/<env>.json` beside `state/<env>.lock`.
//! Writes go to a temporary file in the same directory, are flushed, and
//! renamed over the state (atomic on POSIX), created with mode 0600 because
//! state names every resource of an account.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Backend, LockInfo, StateError, StateFile, parse};

pub struct LocalBackend {
    path: PathBuf,
    lock_path: PathBuf,
}

impl LocalBackend {
    pub fn new(dir: &Path, env: &str) -> Self {
        Self {
            path: dir.join(format!("{env}.json")),
            lock_path: dir.join(format!("{env}.lock")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `bytes` to `path` atomically with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".twh-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    async fn read(&self) -> Result<Option<StateFile>, StateError> {
        match fs_err::read_to_string(&self.path) {
            Ok(text) => parse(&self.describe(), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                path: self.describe(),
                source,
            }),
        }
    }

    async fn write(&self, state: &StateFile) -> Result<(), StateError> {
        let mut text =
            serde_json::to_string_pretty(state).map_err(|e| StateError::Backend(e.to_string()))?;
        text.push('\n');
        write_atomic(&self.path, text.as_bytes()).map_err(|source| StateError::Write {
            path: self.describe(),
            source,
        })
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        if let Some(dir) = self.lock_path.parent() {
            fs_err::create_dir_all(dir).map_err(|source| StateError::Write {
                path: self.describe(),
                source,
            })?;
        }
        // create_new is the atomic test-and-set: exactly one process wins.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.lock_path);
        match file {
            Ok(mut f) => {
                let text = serde_json::to_string_pretty(info)
                    .map_err(|e| StateError::Backend(e.to_string()))?;
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|source| StateError::Write {
                        path: self.lock_path.display().to_string(),
                        source,
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                match self.lock_holder().await? {
                    Some(holder) => Err(StateError::Locked {
                        holder: Box::new(holder),
                    }),
                    // Released between our attempt and the read: try once more.
                    None => Box::pin(self.lock(info)).await,
                }
            }
            Err(source) => Err(StateError::Write {
                path: self.lock_path.display().to_string(),
                source,
            }),
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        match self.lock_holder().await? {
            Some(h) if h.id == id => {
                fs_err::remove_file(&self.lock_path).map_err(|source| StateError::Write {
                    path: self.lock_path.display().to_string(),
                    source,
                })
            }
            other => Err(StateError::NotLocked {
                id: id.into(),
                current: other.map(Box::new),
            }),
        }
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        match fs_err::read_to_string(&self.lock_path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StateError::Corrupt {
                    path: self.lock_path.display().to_string(),
                    message: format!("{e}; if no twh is running, delete the file"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                path: self.lock_path.display().to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance_local() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = LocalBackend::new(dir.path(), "dev");
        crate::state::tests::conformance(&b).await;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs_err::metadata(b.path())
                .expect("state exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

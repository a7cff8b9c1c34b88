//! The local state backend: `state/<env>.json` beside `state/<env>.lock`.
//! Writes go to a temporary file in the same directory, are flushed, and
//! renamed over the state (atomic on POSIX), created with mode 0600 because
//! state names every resource of an account.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Backend, Overwrite, StateError, StateFile, Version, check_successor, parse, render};

pub struct LocalBackend {
    path: PathBuf,
    lock_path: PathBuf,
    /// The state as this run last read or wrote it; a write finding
    /// anything else on disk stops (the local form of S3's `If-Match`).
    seen: Mutex<Seen>,
}

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Unknown,
    Saw(Option<Version>),
    /// Someone else wrote; every later write fails until a read.
    Lost,
}

impl LocalBackend {
    pub fn new(dir: &Path, env: &str) -> Self {
        Self {
            path: dir.join(format!("{env}.json")),
            lock_path: dir.join(format!("{env}.lock")),
            seen: Mutex::new(Seen::Unknown),
        }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().map_or(Seen::Unknown, |s| s.clone())
    }

    fn remember(&self, seen: Seen) {
        if let Ok(mut s) = self.seen.lock() {
            *s = seen;
        }
    }

    /// The stored state, without remembering it.
    fn load(&self) -> Result<Option<StateFile>, StateError> {
        match fs_err::read_to_string(&self.path) {
            Ok(text) => parse(&self.describe(), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                path: self.describe(),
                source,
            }),
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

impl LocalBackend {
    fn lock_error(&self, source: std::io::Error) -> StateError {
        StateError::Write {
            path: self.describe_lock(),
            source,
        }
    }
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn describe_lock(&self) -> String {
        self.lock_path.display().to_string()
    }

    async fn read(&self) -> Result<Option<StateFile>, StateError> {
        let state = self.load()?;
        self.remember(Seen::Saw(state.as_ref().map(Version::from)));
        Ok(state)
    }

    async fn store(&self, state: &StateFile, overwrite: Overwrite) -> Result<(), StateError> {
        // Under the lock nobody else writes; this catches a run whose lock
        // was force-unlocked, and hand edits.
        let stored = self.load()?.as_ref().map(Version::from);
        let conflict = match self.seen() {
            Seen::Lost => true,
            Seen::Saw(v) => v != stored,
            Seen::Unknown => false,
        };
        if conflict {
            self.remember(Seen::Lost);
            return Err(StateError::Conflict {
                path: self.describe(),
            });
        }
        if overwrite == Overwrite::Successor {
            check_successor(&self.describe(), stored.as_ref(), state)?;
        }
        write_atomic(&self.path, render(state)?.as_bytes()).map_err(|source| {
            StateError::Write {
                path: self.describe(),
                source,
            }
        })?;
        self.remember(Seen::Saw(Some(Version::from(state))));
        Ok(())
    }

    async fn create_lock(&self, text: &str) -> Result<bool, StateError> {
        // The lock appears complete or not at all: its text goes to a
        // temporary file first, which is then hard-linked into place.
        // link(2) fails if the lock exists, so exactly one process wins, and
        // a reader never sees a half-written lock.
        let dir = self.lock_path.parent().unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir).map_err(|e| self.lock_error(e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".twh-lock-")
            .tempfile_in(dir)
            .map_err(|e| self.lock_error(e))?;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.lock_error(e))?;
        match std::fs::hard_link(tmp.path(), &self.lock_path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(self.lock_error(e)),
        }
    }

    async fn read_lock(&self) -> Result<Option<(String, String)>, StateError> {
        match fs_err::read_to_string(&self.lock_path) {
            // A file has no version tag; its text serves as one.
            Ok(text) => Ok(Some((text.clone(), text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                path: self.describe_lock(),
                source,
            }),
        }
    }

    async fn delete_lock(&self, tag: &str) -> Result<bool, StateError> {
        match self.read_lock().await? {
            Some((text, _)) if text == tag => {
                fs_err::remove_file(&self.lock_path).map_err(|e| self.lock_error(e))?;
                Ok(true)
            }
            _ => Ok(false),
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
        crate::state::conformance::conformance(&b).await;
        // Another writer (say, a run that force-unlocked this one).
        let mut theirs = b.read().await.expect("read").expect("state");
        theirs.serial += 10;
        LocalBackend::new(dir.path(), "dev")
            .write(&theirs)
            .await
            .expect("their write");
        let mut ours = theirs.clone();
        ours.serial -= 9;
        assert!(matches!(
            b.write(&ours).await,
            Err(StateError::Conflict { .. })
        ));
        ours.serial += 100;
        assert!(
            matches!(b.write(&ours).await, Err(StateError::Conflict { .. })),
            "a conflict sticks: a higher serial must not write over theirs"
        );
        assert_eq!(b.read().await.expect("read"), Some(theirs));
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

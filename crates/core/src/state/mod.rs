//! State: what twh last applied, per environment. A versioned file with a
//! serial (bumped on every write) and a lineage (fixed at creation, so a
//! state pushed from another estate is refused), written atomically after
//! every successful mutation, behind a lock held for the whole sync.
//!
//! The rules every backend shares live here: a write must succeed the
//! stored state (same lineage, higher serial) unless forced, and a lock is
//! taken by an atomic create-if-absent, reported by its holder, and removed
//! only by the run (or `force-unlock`) that names its ID. Backends provide
//! the storage primitives: [`local`] a file, [`s3`] an object written with
//! S3 conditional writes.

pub mod conformance;
pub mod local;
pub mod lock;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::addr::Address;
use crate::config::Lifecycle;
use crate::kinds::Attributes;
pub use lock::LockInfo;

/// Version 2 added `observed` (what AWS answered after the last apply; see
/// `plan::expect`). Version 1 states are migrated when read: a resource
/// without `observed` is planned two ways, as version 1 did, until its next
/// apply records one. The migrated state is stored by the next write.
pub const FORMAT_VERSION: u32 = 2;

/// The oldest format this twh reads (and migrates).
const OLDEST_READABLE: u64 = 1;

/// The state file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateFile {
    pub format_version: u32,
    pub serial: u64,
    pub lineage: String,
    pub env: String,
    /// Salt for fingerprints of sensitive values (a changed secret is
    /// detected without the secret ever being stored).
    pub salt: String,
    #[serde(default)]
    pub resources: BTreeMap<Address, ResourceState>,
}

/// One managed resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceState {
    pub kind: String,
    /// The resource's identity in AWS.
    pub id: String,
    pub attributes: Attributes,
    /// The normalized spec last applied; sensitive values as fingerprints.
    pub applied: Value,
    /// What AWS answered right after that apply (a read after the write),
    /// normalized like a live value. AWS rewrites some of what it is sent
    /// (view SQL reformatted, defaults filled, `2` stored as `2.0`, a role
    /// read back with its path): drift is live against this, never against
    /// the file, so a rewrite is not a change. `None` until the first apply
    /// under format version 2, or when that read failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Value>,
    #[serde(default)]
    pub depends_on: Vec<Address>,
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// `creating` is written before a create call, so a sync killed between
    /// the call and its record still knows the resource is twh's.
    pub status: ResourceStatus,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    Creating,
    Applied,
}

impl StateFile {
    pub fn new(env: &str) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            env: env.to_string(),
            salt: hex::encode(rand::random::<[u8; 16]>()),
            resources: BTreeMap::new(),
        }
    }

    /// Moves the record at `from` to `to`, and points every `depends_on`
    /// that named `from` at `to`, so deletes stay ordered. Nothing in AWS
    /// changes. `false` (and nothing changed) when there is no record at
    /// `from`. The caller checks that `to` is free.
    pub fn rename(&mut self, from: &Address, to: &Address) -> bool {
        let Some(r) = self.resources.remove(from) else {
            return false;
        };
        self.resources.insert(to.clone(), r);
        for r in self.resources.values_mut() {
            for d in &mut r.depends_on {
                if d == from {
                    *d = to.clone();
                }
            }
        }
        true
    }
}

/// Errors of state backends.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write state `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("state `{path}` is not valid: {message}")]
    Corrupt { path: String, message: String },
    #[error(
        "state `{path}` has format version {found}; this twh reads versions {OLDEST_READABLE} to {FORMAT_VERSION}"
    )]
    Version { path: String, found: u64 },
    #[error(
        "state `{path}` belongs to another estate: it has lineage {stored}, the state to write has lineage {given}"
    )]
    Lineage {
        path: String,
        stored: String,
        given: String,
    },
    #[error(
        "state `{path}` is at serial {stored}; the state to write has serial {given}, which is not newer"
    )]
    NotNewer {
        path: String,
        stored: u64,
        given: u64,
    },
    /// The stored state is not the version this run read: another writer
    /// (a run that force-unlocked this one's lock, or a hand edit) changed it.
    #[error(
        "state `{path}` was changed by another writer since this run read it; twh stopped instead of overwriting it"
    )]
    Conflict { path: String },
    #[error("state is locked by {holder}")]
    Locked { holder: Box<LockInfo> },
    #[error("no lock with ID `{id}` is held{}", current.as_ref().map(|c| format!(" (the current lock is {c})")).unwrap_or_default())]
    NotLocked {
        id: String,
        current: Option<Box<LockInfo>>,
    },
    #[error("{0}")]
    Backend(String),
}

impl crate::report::Hint for StateError {
    fn hint(&self) -> Option<String> {
        match self {
            StateError::Read { path, .. } => Some(format!(
                "check that `{path}` exists and that you may read it (for the S3 backend: the bucket, key and credentials)"
            )),
            StateError::Write { path, .. } => Some(format!(
                "check that you may write `{path}`; the state was not changed"
            )),
            StateError::Corrupt { .. } => Some(
                "restore the state from its backup or version history, or `twh state push FILE` a good copy".into(),
            ),
            StateError::Version { .. } => Some("use the twh version that wrote this state, or a newer one".into()),
            StateError::Lineage { .. } | StateError::NotNewer { .. } => Some(
                "`twh state pull` shows the stored state; raise `serial` above it, or pass --force to replace it anyway".into(),
            ),
            StateError::Conflict { .. } => Some("run the command again: it reads the new state first".into()),
            StateError::Locked { holder } => Some(format!(
                "wait for that run to finish (or pass --lock-timeout 5m); if it died, remove the lock with `twh force-unlock {}`",
                holder.id
            )),
            StateError::NotLocked { .. } | StateError::Backend(_) => None,
        }
    }
}

/// What a write may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Only a state this one succeeds: same lineage, lower serial. Every
    /// sync, import, `state rm` and `state push` writes this way.
    Successor,
    /// Whatever is stored (`twh state push --force`).
    Any,
}

/// The lineage and serial of a stored state: what a new write is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub lineage: String,
    pub serial: u64,
}

impl From<&StateFile> for Version {
    fn from(s: &StateFile) -> Self {
        Self {
            lineage: s.lineage.clone(),
            serial: s.serial,
        }
    }
}

/// Refuses to replace `stored` with `next` unless `next` succeeds it.
pub fn check_successor(
    path: &str,
    stored: Option<&Version>,
    next: &StateFile,
) -> Result<(), StateError> {
    let Some(stored) = stored else {
        return Ok(());
    };
    if stored.lineage != next.lineage {
        return Err(StateError::Lineage {
            path: path.into(),
            stored: stored.lineage.clone(),
            given: next.lineage.clone(),
        });
    }
    if next.serial <= stored.serial {
        return Err(StateError::NotNewer {
            path: path.into(),
            stored: stored.serial,
            given: next.serial,
        });
    }
    Ok(())
}

/// The stored form of a state: pretty JSON ending in a newline.
pub fn render(state: &StateFile) -> Result<String, StateError> {
    let mut text =
        serde_json::to_string_pretty(state).map_err(|e| StateError::Backend(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Where state is stored and locked. The local file backend and the S3
/// backend implement the storage primitives; the locking protocol and the
/// successor rule are shared. One conformance suite tests both.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A human name for messages (`state/dev.json`, `s3://b/k`).
    fn describe(&self) -> String;
    /// Where the lock lives, for messages (`state/dev.lock`, `s3://b/k.lock`).
    fn describe_lock(&self) -> String;
    async fn read(&self) -> Result<Option<StateFile>, StateError>;
    /// Writes atomically if `overwrite` allows replacing what is stored;
    /// bumps nothing (the caller owns the serial).
    async fn store(&self, state: &StateFile, overwrite: Overwrite) -> Result<(), StateError>;
    /// Creates the lock with `text` only if there is none: `Ok(false)` when
    /// one exists. Must be atomic: of two racing callers, at most one wins.
    async fn create_lock(&self, text: &str) -> Result<bool, StateError>;
    /// The lock's text and a tag naming that exact version of it.
    async fn read_lock(&self) -> Result<Option<(String, String)>, StateError>;
    /// Deletes the lock if it is still the version `tag`: `Ok(false)` when
    /// it changed or vanished meanwhile.
    async fn delete_lock(&self, tag: &str) -> Result<bool, StateError>;

    /// Writes a state that succeeds the stored one.
    async fn write(&self, state: &StateFile) -> Result<(), StateError> {
        self.store(state, Overwrite::Successor).await
    }

    /// Takes the lock or fails naming the holder.
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let text =
            serde_json::to_string_pretty(info).map_err(|e| StateError::Backend(e.to_string()))?;
        // A lock released between our failed create and the read of its
        // holder is retried; a few rounds of that means heavy churn.
        for _ in 0..5 {
            if self.create_lock(&text).await? {
                return Ok(());
            }
            if let Some(holder) = self.lock_holder().await? {
                if holder.id == info.id {
                    // Our create went through but its answer was lost and
                    // the retry found the lock: it is ours.
                    return Ok(());
                }
                return Err(StateError::Locked {
                    holder: Box::new(holder),
                });
            }
        }
        Err(StateError::Backend(format!(
            "the lock `{}` keeps appearing and disappearing; retry in a moment",
            self.describe_lock()
        )))
    }

    /// Releases the lock `id`; refuses if the lock is someone else's.
    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        if let Some((text, tag)) = self.read_lock().await? {
            let holder = parse_lock(&self.describe_lock(), &text)?;
            if holder.id == id && self.delete_lock(&tag).await? {
                return Ok(());
            }
        }
        Err(StateError::NotLocked {
            id: id.into(),
            current: self.lock_holder().await?.map(Box::new),
        })
    }

    /// Who holds the lock, if anyone.
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        match self.read_lock().await? {
            Some((text, _)) => parse_lock(&self.describe_lock(), &text).map(Some),
            None => Ok(None),
        }
    }
}

/// Parses a lock's text; a damaged lock names the way out.
fn parse_lock(path: &str, text: &str) -> Result<LockInfo, StateError> {
    serde_json::from_str(text).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: format!("{e}; if no twh is running, delete it"),
    })
}

/// Parses state text, checking the format version first so a newer file is
/// refused with a clear message instead of a field error, and migrating an
/// older one.
pub fn parse(path: &str, text: &str) -> Result<StateFile, StateError> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: e.to_string(),
    })?;
    let found = v.get("format_version").and_then(Value::as_u64).unwrap_or(0);
    if !(OLDEST_READABLE..=u64::from(FORMAT_VERSION)).contains(&found) {
        return Err(StateError::Version {
            path: path.into(),
            found,
        });
    }
    migrate(&mut v, found);
    serde_json::from_value(v).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: e.to_string(),
    })
}

/// Brings a state of format `from` to the current format, in place. Each
/// step is the smallest change that keeps every resource and its meaning.
fn migrate(v: &mut Value, from: u64) {
    // 1 -> 2: `observed` is new and optional; nothing else changed.
    if from < 2
        && let Some(m) = v.as_object_mut()
    {
        m.insert("format_version".into(), Value::from(FORMAT_VERSION));
    }
}

/// Takes the lock, retrying until `timeout` while someone else holds it.
pub async fn lock_with_timeout(
    backend: &dyn Backend,
    info: &LockInfo,
    timeout: std::time::Duration,
) -> Result<(), StateError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match backend.lock(info).await {
            Err(StateError::Locked { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// Checks that `bucket` and `key` name an object; on error, the field at
/// fault (`bucket` or `key`) and what is wrong.
pub fn check_location(bucket: &str, key: &str) -> Result<(), (&'static str, String)> {
    if bucket.is_empty() {
        return Err(("bucket", "the S3 state backend needs a `bucket`".into()));
    }
    if key.is_empty() || key.ends_with('/') {
        return Err((
            "key",
            format!("state key `{key}` does not name an object; use a key such as `twh/dev.json`"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_versions() {
        let err = parse("s.json", r#"{"format_version": 99}"#).expect_err("newer");
        assert_eq!(
            err.to_string(),
            "state `s.json` has format version 99; this twh reads versions 1 to 2"
        );
    }

    #[test]
    fn a_version_1_state_is_migrated_with_every_resource_kept() {
        let v1 = r#"{"format_version": 1, "serial": 7, "lineage": "l", "env": "dev", "salt": "s",
            "resources": {"glue_database.raw": {"kind": "glue_database", "id": "raw",
            "attributes": {"id": "raw", "name": "raw", "arn": "arn:aws:glue:r:1:database/raw"},
            "applied": {"DatabaseInput": {"Name": "raw"}}, "status": "applied",
            "updated_at": "2026-01-01T00:00:00Z"}}}"#;
        let st = parse("s.json", v1).expect("a version 1 state is read");
        assert_eq!(st.format_version, FORMAT_VERSION);
        assert_eq!(st.serial, 7, "migration is not a write: the serial stays");
        let r = &st.resources[&"glue_database.raw".parse().expect("address")];
        assert_eq!(
            r.applied,
            serde_json::json!({"DatabaseInput": {"Name": "raw"}})
        );
        assert_eq!(r.observed, None, "planned two ways until its next apply");
        let again = parse("s.json", &render(&st).expect("render")).expect("round trip");
        assert_eq!(again, st);
    }
}

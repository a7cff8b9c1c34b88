//! State: what twh last applied, per environment. A versioned file with a
//! serial (bumped on every write) and a lineage (fixed at creation, so a
//! state pushed from another estate is refused), written atomically after
//! every successful mutation, behind a lock held for the whole sync.

pub mod local;
pub mod lock;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::addr::Address;
use crate::config::Lifecycle;
use crate::kinds::Attributes;
pub use lock::LockInfo;

pub const FORMAT_VERSION: u32 = 1;

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
    #[error("state `{path}` has format version {found}; this twh reads version {FORMAT_VERSION}")]
    Version { path: String, found: u64 },
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

/// Where state is stored and locked. The local file backend and the S3
/// backend implement it; one conformance suite tests both.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A human name for messages (`state/dev.json`, `s3://b/k`).
    fn describe(&self) -> String;
    async fn read(&self) -> Result<Option<StateFile>, StateError>;
    /// Writes atomically; bumps nothing (the caller owns the serial).
    async fn write(&self, state: &StateFile) -> Result<(), StateError>;
    /// Takes the lock or fails naming the holder.
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError>;
    async fn unlock(&self, id: &str) -> Result<(), StateError>;
    /// Who holds the lock, if anyone.
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError>;
}

/// Parses state text, checking the format version first so a newer file is
/// refused with a clear message instead of a field error.
pub fn parse(path: &str, text: &str) -> Result<StateFile, StateError> {
    let v: Value = serde_json::from_str(text).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: e.to_string(),
    })?;
    let found = v.get("format_version").and_then(Value::as_u64).unwrap_or(0);
    if found != u64::from(FORMAT_VERSION) {
        return Err(StateError::Version {
            path: path.into(),
            found,
        });
    }
    serde_json::from_value(v).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: e.to_string(),
    })
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One suite every backend must pass (Terraform's `statemgr.TestFull`).
    pub(crate) async fn conformance(b: &dyn Backend) {
        assert!(b.read().await.expect("read empty").is_none());
        let mut s = StateFile::new("dev");
        s.serial = 7;
        b.write(&s).await.expect("write");
        assert_eq!(b.read().await.expect("read").expect("present"), s);

        let first = LockInfo::new("sync");
        b.lock(&first).await.expect("first lock");
        let second = LockInfo::new("sync");
        match b.lock(&second).await {
            Err(StateError::Locked { holder }) => assert_eq!(holder.id, first.id),
            other => panic!("second lock must fail naming the holder, got {other:?}"),
        }
        assert!(matches!(
            b.unlock(&second.id).await,
            Err(StateError::NotLocked { .. })
        ));
        b.unlock(&first.id).await.expect("unlock");
        assert!(b.lock_holder().await.expect("holder").is_none());
        b.lock(&second).await.expect("lock after unlock");
        b.unlock(&second.id).await.expect("unlock again");
    }

    #[test]
    fn refuses_other_versions() {
        let err = parse("s.json", r#"{"format_version": 99}"#).expect_err("newer");
        assert_eq!(
            err.to_string(),
            "state `s.json` has format version 99; this twh reads version 1"
        );
    }
}

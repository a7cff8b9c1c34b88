//! Per-stream state (the cursor) stored in the sink under `_state/`, and the
//! run lock. The writer saves a stream's state only after the data it covers
//! is durable, so a crash can repeat work but never skip it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Error;
use super::sink::{STATE_ROOT, Sink};
use super::summary::{RunSummary, StreamStatus, StreamSummary};

/// Version of the state files' shape.
pub const STATE_VERSION: u32 = 1;

/// What a stream remembers between runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StreamState<C> {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub stream: String,
    /// The source-specific cursor.
    #[serde(default)]
    pub cursor: C,
    /// When the cursor was last saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<LastRun>,
}

/// The last run of one stream, for `twh-extract status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LastRun {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: StreamStatus,
    pub records: u64,
    pub quarantined: u64,
    pub retries: u64,
    pub files_written: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LastRun {
    pub fn from_summary(started_at: DateTime<Utc>, s: &StreamSummary) -> Self {
        LastRun {
            started_at,
            finished_at: Utc::now(),
            status: s.status,
            records: s.records,
            quarantined: s.quarantined,
            retries: s.retries,
            files_written: s.files_written,
            error: s.error.clone(),
        }
    }
}

/// The key of a stream's state: `stripe.charges` → `_state/stripe/charges.json`.
pub fn state_key(stream: &str) -> String {
    format!("{STATE_ROOT}/{}.json", stream.replace('.', "/"))
}

/// Key of the last run's summary.
pub const LAST_RUN_KEY: &str = "_state/last_run.json";
/// Key of the run lock.
pub const LOCK_KEY: &str = "_state/lock.json";

/// Reads and writes states in a sink.
#[derive(Clone)]
pub struct StateStore {
    sink: Arc<dyn Sink>,
}

impl StateStore {
    pub fn new(sink: Arc<dyn Sink>) -> Self {
        StateStore { sink }
    }

    pub async fn load<C: DeserializeOwned + Default>(
        &self,
        stream: &str,
    ) -> Result<StreamState<C>, Error> {
        let key = state_key(stream);
        let Some(bytes) = self.sink.read_small(&key).await? else {
            return Ok(StreamState {
                version: STATE_VERSION,
                stream: stream.to_owned(),
                ..StreamState::default()
            });
        };
        serde_json::from_slice(&bytes).map_err(|source| Error::State {
            stream: stream.to_owned(),
            key,
            source,
        })
    }

    pub async fn save<C: Serialize>(&self, state: &mut StreamState<C>) -> Result<(), Error> {
        state.version = STATE_VERSION;
        state.updated_at = Some(Utc::now());
        let key = state_key(&state.stream);
        let bytes = serde_json::to_vec_pretty(state).map_err(|source| Error::State {
            stream: state.stream.clone(),
            key: key.clone(),
            source,
        })?;
        self.sink.write_small(&key, bytes).await
    }

    pub async fn save_run(&self, summary: &RunSummary) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(summary).map_err(|source| Error::State {
            stream: "run".to_owned(),
            key: LAST_RUN_KEY.to_owned(),
            source,
        })?;
        self.sink.write_small(LAST_RUN_KEY, bytes).await
    }

    pub async fn last_run(&self) -> Result<Option<RunSummary>, Error> {
        let Some(bytes) = self.sink.read_small(LAST_RUN_KEY).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::State {
                stream: "run".to_owned(),
                key: LAST_RUN_KEY.to_owned(),
                source,
            })
    }

    /// Every stream state in the sink, as loose JSON (for `status`).
    pub async fn all(&self) -> Result<Vec<StreamState<serde_json::Value>>, Error> {
        let mut out = Vec::new();
        for key in self.sink.list(&format!("{STATE_ROOT}/")).await? {
            if key == LAST_RUN_KEY || key == LOCK_KEY || !key.ends_with(".json") {
                continue;
            }
            let Some(rel) = key
                .strip_prefix(&format!("{STATE_ROOT}/"))
                .and_then(|k| k.strip_suffix(".json"))
            else {
                continue;
            };
            out.push(self.load(&rel.replace('/', ".")).await?);
        }
        Ok(out)
    }
}

/// Who holds the run lock.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
}

/// A lock is stale when its holder stopped refreshing it this long ago.
pub const LOCK_STALE_AFTER: Duration = Duration::from_secs(120);
const HEARTBEAT: Duration = Duration::from_secs(30);

/// The sink's run lock: two runs merging into the same files at once could
/// lose an update. Held for the whole run, refreshed by a heartbeat, taken
/// over when its holder is gone (same host, dead pid) or stale.
pub struct RunLock {
    sink: Arc<dyn Sink>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl RunLock {
    pub async fn acquire(sink: Arc<dyn Sink>) -> Result<RunLock, Error> {
        let host = here();
        let now = Utc::now();
        let me = LockInfo {
            host: host.clone(),
            pid: std::process::id(),
            started_at: now,
            heartbeat_at: now,
        };
        let bytes = serde_json::to_vec_pretty(&me).unwrap_or_default();
        if !sink.create_small(LOCK_KEY, bytes.clone()).await? {
            let holder: Option<LockInfo> = sink
                .read_small(LOCK_KEY)
                .await?
                .and_then(|b| serde_json::from_slice(&b).ok());
            match holder {
                Some(h) if !is_gone(&h, &host) => {
                    return Err(Error::Locked {
                        sink: sink.describe(),
                        holder: format!(
                            "pid {} on `{}` since {}",
                            h.pid,
                            h.host,
                            h.started_at.to_rfc3339()
                        ),
                    });
                }
                _ => {
                    tracing::warn!("taking over the lock of a run that is gone");
                    sink.write_small(LOCK_KEY, bytes).await?;
                }
            }
        }
        let hb_sink = sink.clone();
        let heartbeat = tokio::spawn(async move {
            let mut info = me;
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                info.heartbeat_at = Utc::now();
                if let Ok(b) = serde_json::to_vec_pretty(&info) {
                    let _ = hb_sink.write_small(LOCK_KEY, b).await;
                }
            }
        });
        Ok(RunLock { sink, heartbeat })
    }

    pub async fn release(self) -> Result<(), Error> {
        self.heartbeat.abort();
        self.sink.delete(LOCK_KEY).await
    }
}

/// Who "here" is, for deciding a holder's pid can be checked: the host name,
/// and on Lambda also the execution environment (its log stream, one per
/// environment). Environments may share a host name and pid numbers, yet
/// none sees another's processes: without this, one would take a running
/// environment's lock for a crashed one's.
fn here() -> String {
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::env::var(super::env::AWS_LAMBDA_LOG_STREAM_NAME) {
        Ok(stream) if !stream.is_empty() => format!("{host} ({stream})"),
        _ => host,
    }
}

fn is_gone(h: &LockInfo, my_host: &str) -> bool {
    let stale = Utc::now()
        .signed_duration_since(h.heartbeat_at)
        .to_std()
        .is_ok_and(|age| age > LOCK_STALE_AFTER);
    let dead_here = h.host == my_host && twh_core::state::lock::process_gone_here(h.pid);
    stale || dead_here
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::local::LocalSink;

    fn holder(pid: u32, host: &str, age: Duration) -> Vec<u8> {
        let t = Utc::now() - chrono::Duration::from_std(age).unwrap_or_default();
        serde_json::to_vec(&LockInfo {
            host: host.to_owned(),
            pid,
            started_at: t,
            heartbeat_at: t,
        })
        .expect("json")
    }

    #[tokio::test]
    async fn a_live_holder_keeps_the_lock_a_dead_or_stale_one_loses_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink: Arc<dyn Sink> = Arc::new(LocalSink::open(dir.path()).expect("sink"));
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();

        let lock = RunLock::acquire(sink.clone()).await.expect("free lock");
        let err = RunLock::acquire(sink.clone()).await.err().expect("held");
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        lock.release().await.expect("release");
        RunLock::acquire(sink.clone())
            .await
            .expect("released")
            .release()
            .await
            .expect("release");

        // Another host, fresh heartbeat: cannot know it is gone, so wait.
        sink.write_small(LOCK_KEY, holder(1, "elsewhere", Duration::ZERO))
            .await
            .expect("write");
        assert!(matches!(
            RunLock::acquire(sink.clone()).await,
            Err(Error::Locked { .. })
        ));
        // The same host and a pid that does not exist: it crashed.
        sink.write_small(LOCK_KEY, holder(u32::MAX - 1, &host, Duration::ZERO))
            .await
            .expect("write");
        RunLock::acquire(sink.clone())
            .await
            .expect("dead holder")
            .release()
            .await
            .expect("release");
        // Another host, silent for longer than the stale limit.
        let old = LOCK_STALE_AFTER + Duration::from_secs(5);
        sink.write_small(LOCK_KEY, holder(1, "elsewhere", old))
            .await
            .expect("write");
        RunLock::acquire(sink)
            .await
            .expect("stale holder")
            .release()
            .await
            .expect("release");
    }
}

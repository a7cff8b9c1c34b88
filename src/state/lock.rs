//! Lock metadata: who holds a state lock, since when, doing what.

/// Written into the lock so a second run can name the holder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub who: String,
    pub host: String,
    pub pid: u32,
    pub created: String,
}

impl LockInfo {
    pub fn new(operation: &str) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{user}@{host}"),
            host,
            pid: std::process::id(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// How long ago the lock was taken, for "stale lock" messages.
    pub fn age(&self) -> Option<chrono::Duration> {
        chrono::DateTime::parse_from_rfc3339(&self.created)
            .ok()
            .map(|t| chrono::Utc::now() - t.with_timezone(&chrono::Utc))
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let age = self
            .age()
            .map(|a| format!(", {} ago", human_duration(a)))
            .unwrap_or_default();
        write!(
            f,
            "`{}` (pid {}) running `{}` since {}{age}; lock ID `{}`",
            self.who, self.pid, self.operation, self.created, self.id
        )
    }
}

fn human_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}

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

    /// Whether the holder is known to be gone: it ran on this host and no
    /// process has its pid any more. `false` when that cannot be known
    /// (another host, or no `/proc`): only its age can hint then.
    pub fn holder_is_dead(&self) -> bool {
        let here = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        !here.is_empty() && self.host == here && process_gone_here(self.pid)
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

/// Whether no process of this host has `pid` (known only where `/proc`
/// exists; `false` elsewhere). Pids are reused, so a `false` is a hint.
pub fn process_gone_here(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_on_this_host_without_a_process_is_dead() {
        let mut info = LockInfo::new("sync");
        assert!(!info.holder_is_dead(), "this very process holds it");
        // Above any pid_max Linux allows (2^22).
        info.pid = 4_194_305;
        assert_eq!(
            info.holder_is_dead(),
            std::path::Path::new("/proc/self").exists()
        );
        info.host = "elsewhere.invalid".into();
        assert!(
            !info.holder_is_dead(),
            "another host's processes are unknown"
        );
    }
}

//! Saved plans: `twh diff --out plan.json` writes the plan as a versioned
//! document, and `twh sync plan.json` applies exactly that plan or nothing.
//!
//! Terraform's saved plan is the model: what was reviewed is what is
//! applied. A plan is only right for the world it was made against, so the
//! document records that world — the environment and account, the state's
//! lineage and serial, a content hash of every file read, and per planned
//! resource its action, the desired value (secrets as fingerprints) and
//! fingerprints of the live value it was compared with — and [`prepare`]
//! re-checks each of them under the state lock, before any mutating call.
//! If anything moved, nothing is applied and the refusal names what moved.
//!
//! Applying does not trust the document's values: it re-resolves the files
//! (secrets included, read from the environment again), re-reads only the
//! planned resources and plans them again with the same code as `twh diff`;
//! that fresh plan is applied only if it equals the saved one in every
//! checked respect. So a saved plan holds no secret and no credential, only
//! salted fingerprints, and a plan file edited by hand cannot make sync do
//! anything the files and AWS do not already say.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{Action, Change, Plan, PlanOptions};
use crate::addr::Address;
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::pointer::{display_path, to_pointer};
use crate::provider::Providers;
use crate::secret;
use crate::state::StateFile;

/// Version of the saved plan document. Any change to what it records is a
/// new version: a plan is refused by a twh that does not read its version,
/// rather than applied with a check missing.
pub const FORMAT_VERSION: u32 = 1;

/// The saved plan document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// The twh that wrote it (information only).
    pub twh_version: String,
    pub created_at: String,
    pub env: String,
    pub account: String,
    pub region: String,
    /// The state the plan was made from; `None` before the first sync.
    pub state: Option<StateVersion>,
    /// Before the first sync only: the salt the new state is created with,
    /// so the secrets' fingerprints in this plan match the state's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_state_salt: Option<String>,
    /// `--target` the plan was made with (information only: the planned
    /// resources are `changes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
    /// Content hash of every file read (environment and resource files),
    /// by path relative to the repository.
    pub files: BTreeMap<String, String>,
    /// The planned resources: every change that is not a no-op.
    pub changes: Vec<SavedChange>,
    /// The plan as `twh diff --output json` prints it (UI only: never an
    /// input of apply).
    pub plan: Value,
}

/// The state a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateVersion {
    pub lineage: String,
    pub serial: u64,
}

/// One planned resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedChange {
    pub address: Address,
    pub kind: String,
    pub id: String,
    pub action: Action,
    /// The desired spec planned with, resolved (references, stack outputs)
    /// and with secrets as salted fingerprints; `None` for delete and forget.
    pub desired: Option<Value>,
    /// Fingerprints of the live value it was planned against, one per leaf
    /// (JSON pointer → salted SHA-256), so a changed field can be named
    /// without the plan holding live values; `None`: absent from AWS.
    pub live: Option<BTreeMap<String, String>>,
    /// Fields left to AWS (not compared, not checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<String>,
}

impl SavedPlan {
    /// The document for `plan`, made from `stored` (the state read, `None`
    /// when there was none yet) and the files of `cfg`. Refuses a plan with
    /// errors: it could not be applied.
    pub fn new(plan: &Plan, cfg: &Config, stored: Option<&StateFile>) -> Result<Self, String> {
        if plan.errors.has_errors() {
            return Err("the plan has errors, so it cannot be saved".into());
        }
        let changes = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| SavedChange {
                address: c.address.clone(),
                kind: c.kind.clone(),
                id: c.id.clone(),
                action: c.action,
                desired: desired_of(plan, c),
                live: c
                    .live_cmp
                    .as_ref()
                    .map(|l| digests(&plan.salt, l, &c.unmanaged)),
                unmanaged: c.unmanaged.clone(),
            })
            .collect();
        Ok(Self {
            format_version: FORMAT_VERSION,
            twh_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at: plan.created_at.clone(),
            env: plan.env.clone(),
            account: plan.identity.account.clone(),
            region: plan.identity.region.clone(),
            state: stored.map(|s| StateVersion {
                lineage: s.lineage.clone(),
                serial: s.serial,
            }),
            new_state_salt: stored.is_none().then(|| plan.salt.clone()),
            targets: plan.targets.clone(),
            files: cfg.sources.fingerprints(),
            changes,
            plan: serde_json::to_value(plan).map_err(|e| e.to_string())?,
        })
    }

    /// The document's text: pretty JSON ending in a newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the document to `path` atomically (a temporary file renamed
    /// over it, mode 0600): a reader never sees half a plan.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::state::local::write_atomic(path, self.render().as_bytes())
    }

    /// Parses a saved plan, checking its format version before anything
    /// else, so a plan from another twh is refused by name rather than by a
    /// missing field.
    pub fn parse(path: &str, text: &str) -> Result<Self, Rejection> {
        let v: Value = serde_json::from_str(text).map_err(|e| Rejection::Malformed {
            path: path.into(),
            message: e.to_string(),
        })?;
        let found = v.get("format_version").and_then(Value::as_u64);
        if found != Some(u64::from(FORMAT_VERSION)) {
            return Err(Rejection::Format {
                path: path.into(),
                found: found.map_or_else(
                    || {
                        v.get("format_version")
                            .map_or("none".into(), Value::to_string)
                    },
                    |n| n.to_string(),
                ),
            });
        }
        serde_json::from_value(v).map_err(|e| Rejection::Malformed {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// Refuses a plan made for another environment than `env`.
    pub fn check_env(&self, env: &str) -> Result<(), Rejection> {
        if self.env == env {
            Ok(())
        } else {
            Err(Rejection::Env {
                planned: self.env.clone(),
                given: env.into(),
            })
        }
    }

    fn planned(&self) -> BTreeSet<Address> {
        self.changes.iter().map(|c| c.address.clone()).collect()
    }
}

/// The desired value a change was planned with, secrets fingerprinted.
fn desired_of(plan: &Plan, c: &Change) -> Option<Value> {
    if matches!(c.action, Action::Delete | Action::Forget) {
        return None;
    }
    plan.desired
        .get(&c.address)
        .map(|d| secret::redact(&d.spec, &d.sensitive, &plan.salt))
}

/// A plan that is not for this run at all: refused before anything is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("`{path}` is not a saved plan: {message}")]
    Malformed { path: String, message: String },
    #[error(
        "`{path}` is a saved plan of format version {found}; this twh applies version {FORMAT_VERSION}"
    )]
    Format { path: String, found: String },
    #[error("the plan was made for environment `{planned}`, not `{given}`")]
    Env { planned: String, given: String },
    #[error("the plan was made for AWS account `{planned}`; these credentials are for `{given}`")]
    Account { planned: String, given: String },
    #[error("the plan was made for region `{planned}`, not `{given}`")]
    Region { planned: String, given: String },
}

impl crate::report::Hint for Rejection {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Rejection::Malformed { .. } => {
                "pass a file written by `twh diff --out FILE`".into()
            }
            Rejection::Format { .. } => {
                "apply it with the twh that made it, or make the plan again with `twh diff --out FILE`".into()
            }
            Rejection::Env { planned, .. } => format!(
                "pass `--env {planned}` to apply it there, or make a plan for this environment"
            ),
            Rejection::Account { .. } | Rejection::Region { .. } => {
                "use the credentials (`--profile`, `AWS_*`) and `--region` the plan was made with".into()
            }
        })
    }
}

/// One thing that changed since the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Stale {
    /// A file was edited, added or removed.
    File { path: String, change: FileChange },
    /// Another run (a sync, `state rm`, `state push`) wrote the state.
    Serial { planned: u64, now: u64 },
    /// The stored state is another estate's, or was created or removed.
    State { planned: String, now: String },
    /// A planned resource's live value changed (`field`: which, when it
    /// still exists in both).
    Live {
        address: Address,
        change: LiveChange,
        fields: Vec<String>,
    },
    /// A planned resource's desired value resolves differently: a secret
    /// (`${env_var:...}`) or a stack output (`${cfn:...}`) changed.
    Desired {
        address: Address,
        fields: Vec<String>,
        secret: bool,
    },
    /// Planning it again gives another action (when none of the above
    /// explains why).
    Action {
        address: Address,
        planned: Action,
        now: Action,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    Edited,
    Added,
    Removed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveChange {
    Changed,
    /// Absent when planned, present now.
    Created,
    /// Present when planned, gone now.
    Deleted,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::File { path, change } => {
                let how = match change {
                    FileChange::Edited => "was edited",
                    FileChange::Added => "was added",
                    FileChange::Removed => "was removed",
                };
                write!(f, "file `{path}` {how}")
            }
            Stale::Serial { planned, now } => write!(
                f,
                "state serial moved from {planned} to {now}: another run wrote the state"
            ),
            Stale::State { planned, now } => write!(f, "state was {planned}, is now {now}"),
            Stale::Live {
                address,
                change,
                fields,
            } => match change {
                LiveChange::Changed => {
                    write!(f, "`{address}`: {} changed in AWS", field_list(fields))
                }
                LiveChange::Created => write!(
                    f,
                    "`{address}`: it exists in AWS now; it did not when planned"
                ),
                LiveChange::Deleted => write!(
                    f,
                    "`{address}`: it is gone from AWS; it existed when planned"
                ),
            },
            Stale::Desired {
                address,
                fields,
                secret: true,
            } => write!(
                f,
                "`{address}`: the secret at {} is not the one planned with (its fingerprint differs)",
                field_list(fields)
            ),
            Stale::Desired {
                address, fields, ..
            } => write!(
                f,
                "`{address}`: {} resolves to another value than planned (a `${{cfn:...}}` output or a referenced resource changed)",
                field_list(fields)
            ),
            Stale::Action {
                address,
                planned,
                now,
            } => write!(
                f,
                "`{address}`: planned to {}, would now {}",
                planned.word(),
                now.word()
            ),
        }
    }
}

/// `` `A`, `B` and 3 more `` for messages.
fn field_list(fields: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut out = fields
        .iter()
        .take(SHOWN)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if fields.len() > SHOWN {
        out.push_str(&format!(" and {} more", fields.len() - SHOWN));
    }
    if out.is_empty() {
        out.push_str("its value");
    }
    out
}

/// Why a saved plan was not applied.
#[derive(Debug, Clone)]
pub enum Refused {
    Rejected(Rejection),
    /// Everything that changed since the plan (never empty).
    Stale(Vec<Stale>),
    /// Resolving the files or reading AWS failed.
    Failed(Diagnostics),
}

/// Checks `saved` against the world under the state lock and, when nothing
/// it depends on has changed, returns the plan to apply and the state to
/// apply it to. `stored` is the state just read under the lock. Makes only
/// reads: stack outputs and the planned resources' live values.
pub async fn prepare(
    saved: &SavedPlan,
    cfg: &Config,
    stored: Option<StateFile>,
    providers: &Providers,
) -> Result<(Plan, StateFile), Refused> {
    saved.check_env(&cfg.env_name).map_err(Refused::Rejected)?;
    let id = &providers.identity;
    if saved.account != id.account {
        return Err(Refused::Rejected(Rejection::Account {
            planned: saved.account.clone(),
            given: id.account.clone(),
        }));
    }
    if saved.region != id.region {
        return Err(Refused::Rejected(Rejection::Region {
            planned: saved.region.clone(),
            given: id.region.clone(),
        }));
    }

    // The inputs first: the state and the files. If either moved, the
    // plan's resources are not worth reading.
    let mut stale = Vec::new();
    let state = match (&saved.state, stored) {
        (Some(p), Some(s)) if p.lineage != s.lineage => {
            stale.push(Stale::State {
                planned: format!("lineage {}", p.lineage),
                now: format!("lineage {} (another estate's state)", s.lineage),
            });
            s
        }
        (Some(p), Some(s)) => {
            if p.serial != s.serial {
                stale.push(Stale::Serial {
                    planned: p.serial,
                    now: s.serial,
                });
            }
            s
        }
        (Some(p), None) => {
            stale.push(Stale::State {
                planned: format!("at serial {}", p.serial),
                now: "gone".into(),
            });
            StateFile::new(&cfg.env_name)
        }
        (None, Some(s)) => {
            stale.push(Stale::State {
                planned: "not created yet".into(),
                now: format!("at serial {} (another run synced first)", s.serial),
            });
            s
        }
        (None, None) => {
            let mut s = StateFile::new(&cfg.env_name);
            if let Some(salt) = &saved.new_state_salt {
                s.salt.clone_from(salt);
            }
            s
        }
    };
    stale.extend(file_changes(&saved.files, &cfg.sources.fingerprints()));
    if !stale.is_empty() {
        return Err(Refused::Stale(stale));
    }

    // Then the planned resources, planned again from fresh reads.
    let plan = super::plan(
        cfg,
        &state,
        providers,
        &PlanOptions {
            targets: Vec::new(),
            only: Some(saved.planned()),
        },
    )
    .await
    .map_err(Refused::Failed)?;
    let fresh: BTreeMap<&Address, &Change> = plan.changes.iter().map(|c| (&c.address, c)).collect();
    for s in &saved.changes {
        let Some(now) = fresh.get(&s.address) else {
            stale.push(Stale::Action {
                address: s.address.clone(),
                planned: s.action,
                now: Action::NoOp,
            });
            continue;
        };
        stale.extend(change_drift(s, now, &plan));
    }
    if !stale.is_empty() {
        return Err(Refused::Stale(stale));
    }
    Ok((plan, state))
}

/// What differs between a saved change and the same resource planned now.
fn change_drift(s: &SavedChange, now: &Change, plan: &Plan) -> Vec<Stale> {
    let mut out = Vec::new();
    let unmanaged: Vec<String> = s.unmanaged.iter().chain(&now.unmanaged).cloned().collect();
    let live_now = now
        .live_cmp
        .as_ref()
        .map(|l| digests(&plan.salt, l, &unmanaged));
    let live_then = s.live.as_ref().map(|l| without(l, &unmanaged));
    match (&live_then, &live_now) {
        (None, Some(_)) => out.push(Stale::Live {
            address: s.address.clone(),
            change: LiveChange::Created,
            fields: Vec::new(),
        }),
        (Some(_), None) => out.push(Stale::Live {
            address: s.address.clone(),
            change: LiveChange::Deleted,
            fields: Vec::new(),
        }),
        (Some(a), Some(b)) if a != b => out.push(Stale::Live {
            address: s.address.clone(),
            change: LiveChange::Changed,
            fields: differing(a, b),
        }),
        _ => {}
    }
    let desired_now = desired_of(plan, now);
    if let (Some(a), Some(b)) = (&s.desired, &desired_now) {
        let salt = "";
        let (a, b) = (digests(salt, a, &unmanaged), digests(salt, b, &unmanaged));
        if a != b {
            let pointers = differing_pointers(&a, &b);
            let sensitive = plan
                .desired
                .get(&s.address)
                .map(|d| d.sensitive.clone())
                .unwrap_or_default();
            let (secrets, others): (Vec<String>, Vec<String>) = pointers
                .into_iter()
                .partition(|p| sensitive.iter().any(|q| under(p, q)));
            for (fields, secret) in [(secrets, true), (others, false)] {
                if !fields.is_empty() {
                    out.push(Stale::Desired {
                        address: s.address.clone(),
                        fields: fields.iter().map(|p| display_path(p)).collect(),
                        secret,
                    });
                }
            }
        }
    }
    if out.is_empty() && s.action != now.action {
        out.push(Stale::Action {
            address: s.address.clone(),
            planned: s.action,
            now: now.action,
        });
    }
    out
}

/// The files added, removed or edited between two sets of fingerprints.
fn file_changes(then: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<Stale> {
    let mut out = Vec::new();
    for (path, hash) in then {
        match now.get(path) {
            None => out.push(Stale::File {
                path: path.clone(),
                change: FileChange::Removed,
            }),
            Some(h) if h != hash => out.push(Stale::File {
                path: path.clone(),
                change: FileChange::Edited,
            }),
            Some(_) => {}
        }
    }
    for path in now.keys().filter(|p| !then.contains_key(*p)) {
        out.push(Stale::File {
            path: path.clone(),
            change: FileChange::Added,
        });
    }
    out
}

/// A salted fingerprint of every leaf of `value` (scalars, and empty
/// objects and arrays), by JSON pointer, leaving out the `unmanaged` display
/// paths. The salt is the state's, which a plan does not hold (except before
/// the first sync), so a fingerprint does not give a short value away.
fn digests(salt: &str, value: &Value, unmanaged: &[String]) -> BTreeMap<String, String> {
    fn walk(salt: &str, v: &Value, at: &mut String, out: &mut BTreeMap<String, String>) {
        let mut each = |key: &str, child: &Value, at: &mut String| {
            let len = at.len();
            at.push('/');
            at.push_str(&key.replace('~', "~0").replace('/', "~1"));
            walk(salt, child, at, out);
            at.truncate(len);
        };
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    each(k, child, at);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, child) in a.iter().enumerate() {
                    each(&i.to_string(), child, at);
                }
            }
            leaf => {
                let digest = Sha256::digest(format!("{salt}\u{0}{at}\u{0}{leaf}").as_bytes());
                out.insert(at.clone(), hex::encode(&digest[..16]));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(salt, value, &mut String::new(), &mut out);
    without(&out, unmanaged)
}

/// `digests` without the leaves under the `unmanaged` display paths.
fn without(d: &BTreeMap<String, String>, unmanaged: &[String]) -> BTreeMap<String, String> {
    let skip: Vec<String> = unmanaged.iter().map(|u| to_pointer(u)).collect();
    d.iter()
        .filter(|(p, _)| !skip.iter().any(|s| under(p, s)))
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect()
}

/// Whether pointer `p` is `prefix` or below it.
fn under(p: &str, prefix: &str) -> bool {
    p == prefix
        || (p.starts_with(prefix) && p.as_bytes().get(prefix.len()) == Some(&b'/'))
        || prefix.is_empty()
}

fn differing_pointers(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The display paths of the leaves that differ.
fn differing(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    differing_pointers(a, b)
        .iter()
        .map(|p| display_path(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digests_name_the_leaf_that_changed_and_skip_unmanaged_fields() {
        let a = json!({"Name": "x", "Targets": {"S3Targets": [{"Path": "s3://a/"}]}, "Tags": {}});
        let mut b = a.clone();
        b["Targets"]["S3Targets"][0]["Path"] = json!("s3://b/");
        let (da, db) = (digests("s", &a, &[]), digests("s", &b, &[]));
        assert_eq!(differing(&da, &db), vec!["Targets.S3Targets[0].Path"]);
        assert!(da.contains_key("/Tags"), "an empty object is a leaf");
        let skipped = ["Targets.S3Targets".to_string()];
        assert_eq!(digests("s", &a, &skipped), digests("s", &b, &skipped));
        assert_ne!(digests("s", &a, &[]), digests("t", &a, &[]), "salted");
    }

    #[test]
    fn another_format_version_is_refused_by_name() {
        let err = SavedPlan::parse("p.json", r#"{"format_version": 99}"#).expect_err("newer");
        assert_eq!(
            err.to_string(),
            "`p.json` is a saved plan of format version 99; this twh applies version 1"
        );
        let err = SavedPlan::parse("p.json", r#"{"plan": {}}"#).expect_err("no version");
        assert!(matches!(err, Rejection::Format { .. }), "{err}");
        let err = SavedPlan::parse("p.json", "{").expect_err("not json");
        assert!(matches!(err, Rejection::Malformed { .. }), "{err}");
    }
}

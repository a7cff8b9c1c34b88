//! Applying a plan: every change in dependency order (deletes in reverse),
//! independent ones concurrently up to `parallelism`. State is written after
//! every successful mutation (and a `creating` record before every create),
//! so a crash at any point leaves a state from which the next sync converges
//! without duplicates. A failed resource stops only what depends on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Mutex;

use crate::addr::Address;
use crate::kinds;
use crate::plan::expect::{Rewrite, rewrites};
use crate::plan::{Action, Change, Plan, comparable_live, state_record};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ProviderError, Providers};
use crate::state::{Backend, ResourceStatus, StateFile};

/// Progress events; indicatif lives at the CLI edge.
pub trait Reporter: Send + Sync {
    fn start(&self, _addr: &Address, _action: Action) {}
    fn finish(&self, _addr: &Address, _action: Action, _result: &Result<(), String>) {}
}

/// Reports nothing.
pub struct Silent;
impl Reporter for Silent {}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub parallelism: usize,
    pub allow_replace: bool,
    pub retry: RetryPolicy,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: 4,
            allow_replace: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// What happened.
#[derive(Debug, Default, serde::Serialize)]
pub struct ApplyReport {
    pub applied: Vec<Address>,
    pub failed: Vec<(Address, String)>,
    /// Not attempted because something they depend on failed.
    pub skipped: Vec<Address>,
    /// Where AWS stored something other than what it was sent, read right
    /// after the write. Reported once, here; recorded in state as
    /// `observed`, so later plans never show it as a change.
    pub stored_by_aws: Vec<StoredByAws>,
}

/// AWS's rewrites of one resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredByAws {
    pub address: Address,
    pub rewrites: Vec<Rewrite>,
}

impl ApplyReport {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// Changes that need approval the plan was not given: a replace forced by a
/// change of AWS identity (any kind: AWS cannot rename, so the resource is
/// deleted and made again, and what refers to it by name or ARN in AWS
/// loses it), and any replace of a kind whose dependents break (databases,
/// tables, datasets).
pub fn refused(plan: &Plan, opts: &ApplyOptions) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action == Action::Replace && !opts.allow_replace)
        .filter(|c| {
            let identity_changed = c.old_id.as_deref().is_some_and(|o| o != c.id);
            identity_changed || kinds::kind(&c.kind).is_some_and(|k| k.replace_needs_approval)
        })
        .map(|c| {
            let deps = if c.dependents.is_empty() {
                String::new()
            } else {
                format!(
                    "; it affects {}",
                    c.dependents
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!(
                "`{}` would be replaced ({}){deps}",
                c.address,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect()
}

struct Shared {
    state: Mutex<StateFile>,
    backend: Arc<dyn Backend>,
}

impl Shared {
    /// One state mutation, written through at once.
    async fn commit(&self, f: impl FnOnce(&mut StateFile)) -> Result<(), String> {
        let mut s = self.state.lock().await;
        f(&mut s);
        s.serial += 1;
        self.backend
            .write(&s)
            .await
            .map_err(|e| match error_chain(&e) {
                chain if chain.is_empty() => e.to_string(),
                chain => format!("{e}: {chain}"),
            })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

/// Applies `plan`. `state` must be the state the plan was made from, held
/// under the lock.
pub async fn apply(
    plan: &Plan,
    state: StateFile,
    backend: Arc<dyn Backend>,
    providers: &Providers,
    opts: &ApplyOptions,
    reporter: Arc<dyn Reporter>,
) -> (ApplyReport, StateFile) {
    let ops: BTreeMap<Address, Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.address.clone(), c.clone()))
        .collect();
    // Edges: creates and updates wait for their dependencies; a delete waits
    // for the deletes of resources that depended on it.
    let mut waits: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for (addr, c) in &ops {
        let mut w = BTreeSet::new();
        if let Some(d) = plan.desired.get(addr) {
            w.extend(
                d.depends_on
                    .iter()
                    .filter(|x| {
                        ops.get(*x)
                            .is_some_and(|o| !matches!(o.action, Action::Delete | Action::Forget))
                    })
                    .cloned(),
            );
        }
        if matches!(c.action, Action::Delete | Action::Forget) {
            for (other, rs) in &state.resources {
                if rs.depends_on.contains(addr)
                    && ops
                        .get(other)
                        .is_some_and(|o| matches!(o.action, Action::Delete | Action::Forget))
                {
                    w.insert(other.clone());
                }
            }
        }
        waits.insert(addr.clone(), w);
    }

    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        backend,
    });
    let mut report = ApplyReport::default();
    let mut done: BTreeSet<Address> = BTreeSet::new();
    let mut failed: BTreeSet<Address> = BTreeSet::new();
    let mut running = tokio::task::JoinSet::new();
    let mut pending: BTreeSet<Address> = ops.keys().cloned().collect();
    loop {
        // Skip what can never run; start what is ready.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for addr in pending.clone() {
                let w = &waits[&addr];
                if w.iter().any(|x| failed.contains(x)) {
                    pending.remove(&addr);
                    failed.insert(addr.clone());
                    report.skipped.push(addr);
                    progressed = true;
                } else if w.iter().all(|x| done.contains(x))
                    && running.len() < opts.parallelism.max(1)
                {
                    pending.remove(&addr);
                    let change = ops[&addr].clone();
                    let desired = plan.desired.get(&addr).cloned();
                    let providers = providers.clone();
                    let shared = shared.clone();
                    let reporter = reporter.clone();
                    let retry = opts.retry;
                    let salt = plan.salt.clone();
                    reporter.start(&addr, change.action);
                    running.spawn(async move {
                        let r =
                            run_one(&change, desired.as_ref(), &providers, &shared, retry, &salt)
                                .await;
                        reporter.finish(
                            &change.address,
                            change.action,
                            &r.as_ref().map(|_| ()).map_err(Clone::clone),
                        );
                        (change.address, r)
                    });
                    progressed = true;
                }
            }
        }
        match running.join_next().await {
            Some(Ok((addr, Ok(stored)))) => {
                done.insert(addr.clone());
                if !stored.is_empty() {
                    report.stored_by_aws.push(StoredByAws {
                        address: addr.clone(),
                        rewrites: stored,
                    });
                }
                report.applied.push(addr);
            }
            Some(Ok((addr, Err(e)))) => {
                failed.insert(addr.clone());
                report.failed.push((addr, e));
            }
            Some(Err(join)) => report
                .failed
                .push((Address::new("twh", "internal"), join.to_string())),
            None => break,
        }
    }
    report
        .stored_by_aws
        .sort_by(|a, b| a.address.cmp(&b.address));
    let state = shared.state.lock().await.clone();
    (report, state)
}

/// Applies one change. `Ok` carries AWS's rewrites of what was written.
async fn run_one(
    c: &Change,
    desired: Option<&crate::plan::Desired>,
    providers: &Providers,
    shared: &Shared,
    retry: RetryPolicy,
    salt: &str,
) -> Result<Vec<Rewrite>, String> {
    let kind = kinds::kind(&c.kind).ok_or_else(|| format!("unknown kind {}", c.kind))?;
    let provider = providers.for_kind(kind).map_err(|e| e.to_string())?;
    let addr = c.address.clone();
    let fail = |e: ProviderError| format!("{e}");
    if let Some(old) = &c.moved_from {
        // First the record follows the rename, whole (`applied`, `observed`),
        // so a failure below leaves it at its new address, planned three
        // ways from there. Nothing in AWS changes for the move itself.
        shared
            .commit(|s| {
                if !s.resources.contains_key(&addr) {
                    s.rename(old, &addr);
                }
            })
            .await?;
    }
    match c.action {
        Action::NoOp | Action::Move => Ok(Vec::new()),
        Action::Forget => shared
            .commit(|s| {
                s.resources.remove(&addr);
            })
            .await
            .map(|()| Vec::new()),
        Action::Delete => {
            let id = c.old_id.clone().unwrap_or_else(|| c.id.clone());
            match retry.run(|| provider.delete(kind, &id)).await {
                Ok(()) | Err(ProviderError::NotFound { .. }) => {}
                Err(e) => return Err(fail(e)),
            }
            shared
                .commit(|s| {
                    s.resources.remove(&addr);
                })
                .await
                .map(|()| Vec::new())
        }
        Action::Adopt | Action::Create | Action::Update | Action::Replace => {
            let d = desired.ok_or_else(|| format!("`{addr}` has no desired value"))?;
            let applied = c.applied.clone().unwrap_or(Value::Null);
            if c.action == Action::Replace {
                let id = c.old_id.clone().unwrap_or_else(|| c.id.clone());
                match retry.run(|| provider.delete(kind, &id)).await {
                    Ok(()) | Err(ProviderError::NotFound { .. }) => {}
                    Err(e) => return Err(fail(e)),
                }
                shared
                    .commit(|s| {
                        s.resources.remove(&addr);
                    })
                    .await?;
            }
            match c.action {
                Action::Update => {
                    let live = c.live_raw.clone().unwrap_or(Value::Null);
                    retry
                        .run(|| provider.update(kind, &d.spec, &live))
                        .await
                        .map_err(fail)?;
                }
                Action::Create | Action::Replace => {
                    // Write-ahead: a crash after AWS accepts the create but
                    // before the record below still leaves this resource
                    // known as twh's, so the rerun updates instead of
                    // refusing an "unmanaged" resource.
                    let record = state_record(d, &applied, None, ResourceStatus::Creating);
                    if !shared.state.lock().await.resources.contains_key(&addr) {
                        shared
                            .commit(|s| {
                                s.resources.insert(addr.clone(), record);
                            })
                            .await?;
                    }
                    match retry.run(|| provider.create(kind, &d.spec)).await {
                        Ok(()) => {}
                        Err(ProviderError::AlreadyExists { .. }) => {
                            // An earlier run's create went through: make it match.
                            let live = retry
                                .run(|| provider.read(kind, std::slice::from_ref(&d.attributes.id)))
                                .await
                                .map_err(fail)?;
                            let live = live.into_iter().next().flatten().unwrap_or(Value::Null);
                            retry
                                .run(|| provider.update(kind, &d.spec, &live))
                                .await
                                .map_err(fail)?;
                        }
                        Err(e) => return Err(fail(e)),
                    }
                }
                _ => {}
            }
            // What AWS holds now: live, as adopt found it, or read back
            // after the write. A failed read records nothing, and the next
            // plan compares the file with live, as format version 1 did.
            let observed = match c.action {
                Action::Adopt => c.observed.clone(),
                _ => retry
                    .run(|| provider.read(kind, std::slice::from_ref(&d.attributes.id)))
                    .await
                    .ok()
                    .and_then(|v| v.into_iter().next().flatten())
                    .map(|live| comparable_live(d, &live, Some(&applied), salt)),
            };
            let stored = observed
                .as_ref()
                .map(|o| {
                    rewrites(&applied, o)
                        .into_iter()
                        .filter(|r| !c.unmanaged.iter().any(|u| r.path.starts_with(u.as_str())))
                        .collect()
                })
                .unwrap_or_default();
            let record = state_record(d, &applied, observed, ResourceStatus::Applied);
            shared
                .commit(|s| {
                    s.resources.insert(addr.clone(), record);
                })
                .await
                .map(|()| stored)
        }
    }
}

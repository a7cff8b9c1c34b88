//! The plan: what sync would do, as a value. Built from three inputs —
//! desired (files), last applied (state) and live (AWS, batch reads) — after
//! normalizing each side. Human, JSON and Markdown views all render this one
//! value, and apply takes it rather than re-deciding anything.

pub mod expect;
pub mod moved;
pub mod ownership;
pub mod render;
pub mod resolve;
pub mod saved;
pub mod unmanaged;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::addr::Address;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::normalize::normalize;
use crate::kinds::{self, KindDef};
use crate::provider::{CallCounts, Identity, Providers};
use crate::secret;
use crate::state::{ResourceStatus, StateFile};
pub use resolve::{Desired, resolve};

/// Version of the `--output json` plan format. Minor bumps add fields only
/// (1.2: `cloudformation`, the stacks read for ownership; 1.3: `moved_from`
/// on a change, `moved` in the summary).
pub const FORMAT_VERSION: &str = "1.3";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete, then create (AWS cannot change a field in place).
    Replace,
    Delete,
    /// The resource exists exactly as declared; only recorded in state.
    Adopt,
    /// Gone from files and from AWS; only removed from state.
    Forget,
    /// Only the address changed (see `Change::moved_from`): the state
    /// record is moved, AWS is not called.
    Move,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Adopt => "=",
            Action::Forget => "x",
            Action::Move => ">",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Action::NoOp => "no change",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Adopt => "adopt",
            Action::Forget => "forget",
            Action::Move => "move",
        }
    }

    /// Whether applying it calls AWS.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Replace | Action::Delete
        )
    }
}

/// One resource's planned change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub address: Address,
    pub kind: String,
    pub id: String,
    pub action: Action,
    /// Live differs from what twh last applied: someone changed AWS.
    pub drifted: bool,
    /// The files differ from what twh last applied.
    pub pending: bool,
    /// Live (or last applied) value, normalized; sensitive values shown as
    /// `(sensitive)`. UI only.
    pub before: Option<Value>,
    /// Desired value, normalized and redacted. UI only.
    pub after: Option<Value>,
    /// Fields forcing a replace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<String>,
    /// Resources built on this one (what a replace or delete affects).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependents: Vec<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Replace/delete: the identity of the live resource to remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    /// The address state knew this resource under: apply moves its record
    /// here (with `observed`, so the plan stays three-way) before anything
    /// else. Set by a declared move or, for a rename without one, by the
    /// resource's AWS identity. With action `move` nothing else happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
    /// Fields left as they are in AWS (see `plan::unmanaged`): not
    /// compared, and kept by full-replace updates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<String>,
    /// Comparable forms, kept for apply and state (not serialized: they
    /// carry fingerprints, not values, but are no one's business).
    #[serde(skip)]
    pub applied: Option<Value>,
    /// Adopt: live, comparable, recorded as what AWS holds (no read needed).
    #[serde(skip)]
    pub observed: Option<Value>,
    #[serde(skip)]
    pub live_raw: Option<Value>,
    /// Live in the form it was compared in (normalized, secrets as
    /// fingerprints): what a saved plan fingerprints, so that `twh sync
    /// plan.json` sees a live value changed since the plan.
    #[serde(skip)]
    pub live_cmp: Option<Value>,
    /// A field in the kind's `view_columns` changes (a table's columns, a
    /// view's SQL): the views that read it must be re-created.
    #[serde(skip)]
    pub reshapes: bool,
    /// What drift is measured against (comparable): AWS's answer after the
    /// last apply, or what was applied when there is none. `twh accept`
    /// reads the drifted fields from it and `live_cmp`.
    #[serde(skip)]
    pub baseline: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub adopt: usize,
    pub forget: usize,
    pub no_op: usize,
    pub drifted: usize,
    /// Resources whose address changes (`moved_from` set), whatever else
    /// happens to them.
    pub moved: usize,
    /// Of those, the ones with nothing else to do (action `move`).
    #[serde(skip)]
    pub moved_only: usize,
}

impl Summary {
    /// Resources apply has something to do for (a move alone is one).
    pub fn changes(&self) -> usize {
        self.create
            + self.update
            + self.replace
            + self.delete
            + self.adopt
            + self.forget
            + self.moved_only
    }
}

/// The plan.
#[derive(Debug, serde::Serialize)]
pub struct Plan {
    pub format_version: &'static str,
    pub env: String,
    pub created_at: String,
    pub identity: Identity,
    pub changes: Vec<Change>,
    pub summary: Summary,
    pub api_calls: CallCounts,
    /// The CloudFormation stacks read to learn what they own, and the
    /// calls it took (absent when no stack was read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudformation: Option<ownership::Ownership>,
    /// Set by `--target`: the plan covers only these and what they need.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
    /// Problems that make the plan unappliable (prevent_destroy, conflicts).
    pub errors: Diagnostics,
    #[serde(skip)]
    pub desired: BTreeMap<Address, Desired>,
    #[serde(skip)]
    pub salt: String,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.changes() > 0 || self.summary.drifted > 0
    }
}

/// Options that shape a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub targets: Vec<Address>,
    /// Plan these resources and nothing else, with no dependency closure:
    /// a saved plan's resources, re-read and re-planned by `twh sync
    /// plan.json` (see [`saved`]). `None`: every resource (or `targets`).
    pub only: Option<BTreeSet<Address>>,
}

/// Builds the plan: resolves the desired specs, reads live AWS in batches,
/// compares. Diagnostics are errors in resolution or reads.
pub async fn plan(
    cfg: &Config,
    state: &StateFile,
    providers: &Providers,
    opts: &PlanOptions,
) -> Result<Plan, Diagnostics> {
    let mut desired = resolve(cfg, providers).await?;
    let owners = ownership::learn(cfg, providers).await?;
    let targets = match &opts.only {
        Some(only) => Some(only.clone()),
        None => target_closure(cfg, &opts.targets)?,
    };
    let in_scope = |a: &Address| targets.as_ref().is_none_or(|t| t.contains(a));

    // Batch reads: one call per kind with every id twh cares about.
    let mut wanted: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for d in desired
        .values()
        .filter(|d| d.kind.managed && in_scope(&d.addr))
    {
        wanted
            .entry(d.kind.name)
            .or_default()
            .insert(d.attributes.id.clone());
    }
    for (addr, rs) in &state.resources {
        if in_scope(addr) && kinds::kind(&rs.kind).is_some_and(|k| k.managed) {
            wanted
                .entry(kinds::kind(&rs.kind).map_or("", |k| k.name))
                .or_default()
                .insert(rs.id.clone());
        }
    }
    let mut live: BTreeMap<(&'static str, String), Value> = BTreeMap::new();
    let reads = wanted.iter().map(|(kind_name, ids)| async move {
        let kind = kinds::kind(kind_name).ok_or_else(|| format!("unknown kind {kind_name}"))?;
        let ids: Vec<String> = ids.iter().cloned().collect();
        let provider = providers.for_kind(kind).map_err(|e| e.to_string())?;
        let policy = crate::provider::retry::RetryPolicy::default();
        let values = policy
            .run(|| provider.read(kind, &ids))
            .await
            .map_err(|e| format!("reading {kind_name}: {e}"))?;
        Ok::<_, String>((kind.name, ids, values))
    });
    let mut diags = Diagnostics::default();
    for r in futures::future::join_all(reads).await {
        match r {
            Ok((k, ids, values)) => {
                if values.len() != ids.len() {
                    diags.push(Diagnostic::error(format!(
                        "reading {k}: {} answers for {} resources asked; nothing was changed",
                        values.len(),
                        ids.len()
                    )));
                    continue;
                }
                for (id, v) in ids.into_iter().zip(values) {
                    if let Some(v) = v {
                        match answered_for(k, &id, &v) {
                            Ok(()) => {
                                live.insert((k, id), v);
                            }
                            Err(d) => diags.push(d),
                        }
                    }
                }
            }
            Err(e) => diags.push(Diagnostic::error(e)),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }

    let mut changes = Vec::new();
    let mut errors = Diagnostics::default();
    let moves = moved::moves(cfg, state, &desired, &mut errors);
    let consumed = moves.consumed();
    // The AWS identities declared resources claim: a record elsewhere in
    // state for one of them is a duplicate to forget, never a delete.
    let claimed: BTreeMap<(String, String), Address> = desired
        .values()
        .filter(|d| d.kind.managed)
        .map(|d| {
            (
                (d.kind.name.to_string(), d.attributes.id.clone()),
                d.addr.clone(),
            )
        })
        .collect();
    for d in desired
        .values_mut()
        .filter(|d| d.kind.managed && in_scope(&d.addr))
    {
        let moved_from = moves.into.get(&d.addr).cloned();
        let mut rs = state
            .resources
            .get(&d.addr)
            .or_else(|| moved_from.as_ref().and_then(|m| state.resources.get(m)))
            .cloned();
        let mut live_owned = live.get(&(d.kind.name, d.attributes.id.clone())).cloned();
        // Unmanaged fields take AWS's value on the desired side (so updates
        // keep them) and on the last-applied side (so they are not drift).
        let unmanaged = live_owned.as_ref().map_or_else(Vec::new, |l| {
            let mut baselines: Vec<&mut Value> = match rs.as_mut() {
                Some(r) => std::iter::once(&mut r.applied)
                    .chain(r.observed.as_mut())
                    .collect(),
                None => Vec::new(),
            };
            unmanaged::graft(d.kind, &d.lifecycle, &mut d.spec, &mut baselines, l)
        });
        let rs = rs.as_ref();
        if let Some(stack) = owner(&owners, d.kind, &d.attributes.id, live_owned.as_mut())
            && !d.lifecycle.adopt_from_cloudformation
        {
            errors.push(
                Diagnostic::error(format!(
                    "`{}`: {} `{}` belongs to CloudFormation stack `{stack}`; twh refuses to manage it, so twh and CloudFormation/CDK do not fight over it",
                    d.addr, d.kind.name, d.attributes.id
                ))
                .hint("refer to it with `${cfn:STACK.OUTPUT}` instead, or, if the stack no longer manages it, set `\"lifecycle\": {\"adopt_from_cloudformation\": true}`"),
            );
        }
        let live_v = live_owned.as_ref();
        let mut c = compare(d, rs, live_v, &state.salt);
        c.unmanaged = unmanaged;
        c.dependents = cfg.graph.dependents(&d.addr).into_iter().collect();
        if c.action == Action::NoOp && moved_from.is_some() {
            c.action = Action::Move;
        }
        c.moved_from = moved_from;
        if let Some(rs) = rs
            && rs.id != d.attributes.id
        {
            // The identity changed: AWS cannot rename the resource, so the
            // old one goes and the new one comes. The fields that changed
            // are named, since that is what to undo to keep the resource.
            let applied = normalize(d.kind, &rs.applied);
            let fields: Vec<String> = d
                .kind
                .identity
                .iter()
                .filter(|p| applied.pointer(p) != c.applied.as_ref().and_then(|a| a.pointer(p)))
                .map(|p| crate::pointer::display_path(p))
                .collect();
            c.action = Action::Replace;
            c.old_id = Some(rs.id.clone());
            // Live was read at the new identity, where nothing of this
            // resource is yet: that says nothing about whether the old one
            // was changed outside twh, so it is not drift.
            c.drifted = false;
            c.reason = Some(if fields.is_empty() {
                format!(
                    "its identity changed from `{}` to `{}`",
                    rs.id, d.attributes.id
                )
            } else {
                format!(
                    "{} changed from `{}` to `{}`: AWS cannot rename an existing {} in place, so it is replaced",
                    fields
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(" and "),
                    rs.id,
                    d.attributes.id,
                    d.kind.name
                )
            });
            for f in fields {
                if !c.replace_paths.contains(&f) {
                    c.replace_paths.push(f);
                }
            }
        }
        if rs.is_none() && live_v.is_some() && c.action != Action::Adopt {
            errors.push(
                Diagnostic::error(format!(
                    "`{}`: {} `{}` already exists in AWS but is not managed by twh, and differs from the file",
                    d.addr, d.kind.name, d.attributes.id
                ))
                .hint(format!(
                    "adopt it with `twh import {} {}`, then review the diff; or give the resource another name",
                    d.kind.name, d.attributes.id
                )),
            );
        }
        if matches!(c.action, Action::Replace)
            && (d.lifecycle.prevent_destroy || rs.is_some_and(|r| r.lifecycle.prevent_destroy))
        {
            errors.push(
                Diagnostic::error(format!(
                    "`{}` must be replaced, but its lifecycle has `prevent_destroy`",
                    d.addr
                ))
                .hint("set `\"prevent_destroy\": false` if replacing it is really intended"),
            );
        }
        changes.push(c);
    }
    for (addr, rs) in &state.resources {
        if desired.contains_key(addr) || !in_scope(addr) || consumed.contains(addr) {
            continue;
        }
        let Some(kind) = kinds::kind(&rs.kind) else {
            continue;
        };
        let mut live_owned = live.get(&(kind.name, rs.id.clone())).cloned();
        if let Some(stack) = owner(&owners, kind, &rs.id, live_owned.as_mut()) {
            errors.push(
                Diagnostic::error(format!("`{addr}` was removed from the files, but it belongs to CloudFormation stack `{stack}`; twh does not delete it"))
                    .hint(format!("remove it from the stack instead, and run `twh state rm {addr}`")),
            );
        }
        let live_v = live_owned.as_ref();
        let applied = normalize(kind, &rs.applied);
        let claimant = claimed.get(&(rs.kind.clone(), rs.id.clone()));
        let action = if live_v.is_some() && claimant.is_none() {
            Action::Delete
        } else {
            Action::Forget
        };
        if action == Action::Delete && rs.lifecycle.prevent_destroy {
            errors.push(
                Diagnostic::error(format!("`{addr}` was removed from the files, but its lifecycle has `prevent_destroy`"))
                    .hint(format!("restore its file, or run `twh state rm {addr}` to stop managing it without deleting it")),
            );
        }
        changes.push(Change {
            address: addr.clone(),
            kind: rs.kind.clone(),
            id: rs.id.clone(),
            action,
            drifted: live_v.is_none(),
            pending: true,
            before: Some(secret::for_display(&applied)),
            after: None,
            replace_paths: Vec::new(),
            dependents: Vec::new(),
            reason: Some(match claimant {
                Some(other) => format!(
                    "a second record of {} `{}`, which is managed as `{other}`; only the record is removed",
                    rs.kind, rs.id
                ),
                None if action == Action::Forget => {
                    "removed from the files and already gone from AWS".into()
                }
                None => "removed from the files".into(),
            }),
            old_id: Some(rs.id.clone()),
            moved_from: None,
            unmanaged: Vec::new(),
            applied: None,
            observed: None,
            live_raw: live_v.cloned(),
            live_cmp: live_v.map(|l| normalize(kind, l)),
            reshapes: false,
            baseline: None,
        });
    }
    stale_views(&mut changes, cfg);
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let mut summary = Summary::default();
    for c in &changes {
        match c.action {
            Action::NoOp => summary.no_op += 1,
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Replace => summary.replace += 1,
            Action::Delete => summary.delete += 1,
            Action::Adopt => summary.adopt += 1,
            Action::Forget => summary.forget += 1,
            Action::Move => summary.moved_only += 1,
        }
        summary.drifted += usize::from(c.drifted);
        summary.moved += usize::from(c.moved_from.is_some());
    }
    errors.sort();
    Ok(Plan {
        format_version: FORMAT_VERSION,
        env: cfg.env_name.clone(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        identity: providers.identity.clone(),
        changes,
        summary,
        api_calls: providers.calls.counts(),
        cloudformation: (!owners.stacks.is_empty()).then_some(owners),
        targets: opts.targets.clone(),
        errors,
        desired,
        salt: state.salt.clone(),
    })
}

/// The stack that owns a live resource: by the stack tag CloudFormation
/// puts on what it can tag (taken out of `live` so it is never compared),
/// else by what the stacks list (`ownership`). A resource that is not live
/// is owned by no one.
fn owner(
    owners: &ownership::Ownership,
    kind: &KindDef,
    id: &str,
    live: Option<&mut Value>,
) -> Option<String> {
    let live = live?;
    crate::provider::take_cfn_owner(live).or_else(|| owners.owner(kind, id).map(str::to_string))
}

/// `--target`: the targets and everything they depend on.
fn target_closure(
    cfg: &Config,
    targets: &[Address],
) -> Result<Option<BTreeSet<Address>>, Diagnostics> {
    if targets.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeSet::new();
    let mut diags = Diagnostics::default();
    let mut todo: Vec<Address> = Vec::new();
    for t in targets {
        if cfg.resource(t).is_none() {
            diags.push(
                Diagnostic::error(format!("`--target {t}` names no declared resource"))
                    .hint("`twh state list` and the files list the addresses"),
            );
        }
        todo.push(t.clone());
    }
    while let Some(a) = todo.pop() {
        if out.insert(a.clone()) {
            todo.extend(cfg.graph.dependencies(&a).cloned());
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(Some(out))
    }
}

/// Compares one declared resource with its state and live value, three
/// ways where state holds what AWS answered after the last apply (see
/// [`expect`]), two ways (normalized file against live) where it does not.
fn compare(
    d: &Desired,
    rs: Option<&crate::state::ResourceState>,
    live: Option<&Value>,
    salt: &str,
) -> Change {
    let kind = d.kind;
    let desired_red = secret::redact(&d.spec, &d.sensitive, salt);
    let desired_cmp = normalize(kind, &desired_red);
    let state_cmp = rs.map(|r| normalize(kind, &r.applied));
    let applied_before = rs.is_some_and(|r| r.status == ResourceStatus::Applied);
    let observed_cmp = rs
        .filter(|_| applied_before)
        .and_then(|r| r.observed.as_ref())
        .map(|o| normalize(kind, o));
    let live_cmp = live.map(|l| comparable_live(d, l, rs.map(|r| &r.applied), salt));
    let managed_before =
        rs.is_some_and(|r| matches!(r.status, ResourceStatus::Applied | ResourceStatus::Creating));
    // Drift: live against what AWS answered after the last apply, or, with
    // no such record, against what was applied.
    let baseline = observed_cmp.as_ref().or(state_cmp.as_ref());
    let drifted = applied_before
        && match (baseline, &live_cmp) {
            (Some(b), Some(l)) => b != l,
            (Some(_), None) => true,
            _ => false,
        };
    let pending = state_cmp.as_ref() != Some(&desired_cmp);
    let expected = match (&state_cmp, &observed_cmp) {
        (Some(a), Some(o)) => expect::expected(a, &desired_cmp, o),
        _ => desired_cmp.clone(),
    };
    let (action, replace_paths, reason) = match &live_cmp {
        None => (
            Action::Create,
            Vec::new(),
            drifted.then(|| "deleted outside twh".to_string()),
        ),
        Some(l) if *l == expected => {
            if applied_before {
                (Action::NoOp, Vec::new(), None)
            } else {
                (
                    Action::Adopt,
                    Vec::new(),
                    Some("exists in AWS exactly as declared".into()),
                )
            }
        }
        Some(l) if managed_before => {
            let changed: Vec<String> = kind
                .replace_paths
                .iter()
                .filter(|p| l.pointer(p) != expected.pointer(p))
                .map(|p| crate::pointer::display_path(p))
                .collect();
            // Set in AWS, gone from the file, and AWS has no way to clear it
            // in place: only a new resource is without it.
            let removed: Vec<String> = kind
                .removal_replaces
                .iter()
                .filter(|p| l.pointer(p).is_some() && expected.pointer(p).is_none())
                .map(|p| crate::pointer::display_path(p))
                .collect();
            let mut reasons = Vec::new();
            if !changed.is_empty() {
                reasons.push(format!("{} cannot change in place", changed.join(", ")));
            }
            if !removed.is_empty() {
                reasons.push(format!(
                    "{} cannot be removed in place (AWS has no way to clear it)",
                    removed.join(", ")
                ));
            }
            let paths: Vec<String> = changed.into_iter().chain(removed).collect();
            if paths.is_empty() {
                (Action::Update, paths, None)
            } else {
                (Action::Replace, paths, Some(reasons.join("; ")))
            }
        }
        Some(_) => (
            Action::Update,
            Vec::new(),
            Some("not managed by twh".into()),
        ),
    };
    let reason = match (&live_cmp, action) {
        (Some(l), Action::Update | Action::Replace) => {
            join_reasons(reason, orphaned_trust(kind, l, &expected))
        }
        _ => reason,
    };
    // Shown: live (or, for a resource deleted outside twh, what it was)
    // against what AWS should hold, so AWS's own forms are not shown as
    // changes either.
    let reshapes = matches!(action, Action::Update | Action::Replace)
        && live_cmp.as_ref().is_some_and(|l| {
            kind.view_columns
                .iter()
                .any(|p| l.pointer(p) != expected.pointer(p))
        });
    let before = live_cmp
        .clone()
        .or_else(|| baseline.cloned().filter(|_| drifted));
    let (before_disp, after_disp) = match &before {
        Some(b) => {
            let (b, a) = secret::display_pair(b, &expected);
            (Some(b), Some(a))
        }
        None => (None, Some(secret::for_display(&expected))),
    };
    Change {
        address: d.addr.clone(),
        kind: kind.name.to_string(),
        id: d.attributes.id.clone(),
        action,
        drifted,
        pending,
        before: before_disp,
        after: after_disp,
        replace_paths,
        dependents: Vec::new(),
        reason,
        old_id: None,
        moved_from: None,
        unmanaged: Vec::new(),
        applied: Some(desired_cmp),
        observed: (action == Action::Adopt)
            .then(|| live_cmp.clone())
            .flatten(),
        live_raw: live.cloned(),
        live_cmp,
        reshapes,
        baseline: baseline.cloned(),
    }
}

/// A trust policy that names a principal by its unique id where twh expects
/// an ARN: the role or user it trusted was deleted (see
/// [`normalize::orphaned_principals`]). Said in the plan, since re-creating
/// that role does not bring the trust back and only re-writing the policy
/// does.
fn orphaned_trust(kind: &KindDef, live: &Value, expected: &Value) -> Option<String> {
    if kind.name != "iam_role" {
        return None;
    }
    let ids = crate::kinds::normalize::orphaned_principals(live, expected);
    if ids.is_empty() {
        return None;
    }
    Some(format!(
        "its trust policy names {}, the unique id IAM shows for a role or user that was deleted: re-creating that role or user does not restore the trust; this update writes the file's policy again (IAM refuses it until the principal exists)",
        ids.iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn join_reasons(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// Athena stores a view's columns when the view is created, and a query
/// that reads the view fails with `VIEW_IS_STALE` once the columns its SQL
/// gives no longer match them (Trino re-analyses the stored SQL on every
/// read; AWS's advice is to re-create the view). So when a change alters
/// what a view reads (a table's columns, another view's SQL), every
/// declared view that depends on it and would otherwise be left alone is
/// re-created in the same run, after the change (apply orders it after its
/// dependencies), and so on down through views that read those views.
///
/// "Depends on" is the graph: `${ref:...}` and `depends_on`, which also
/// order the apply. The view's SQL is not parsed for table names: a name
/// there is resolved against the view's database at query time, may be a
/// CTE or an alias, and may be built from `${env}`, so matching it against
/// declared tables would miss some views and re-create others for nothing.
fn stale_views(changes: &mut [Change], cfg: &Config) {
    let mut reshaped: BTreeSet<Address> = changes
        .iter()
        .filter(|c| c.reshapes)
        .map(|c| c.address.clone())
        .collect();
    loop {
        let mut progressed = false;
        for c in changes.iter_mut() {
            if c.kind != "athena_view"
                || reshaped.contains(&c.address)
                || matches!(c.action, Action::Delete | Action::Forget)
            {
                continue;
            }
            let Some(read) = cfg
                .graph
                .dependencies(&c.address)
                .find(|d| reshaped.contains(*d))
                .cloned()
            else {
                continue;
            };
            if c.action == Action::NoOp {
                c.action = Action::Update;
                c.reason = Some(if read.kind == "athena_view" {
                    format!("re-created: reads {read}, which is re-created")
                } else {
                    format!("re-created: reads {read} whose columns change")
                });
            }
            // Re-created either way (every view change is CREATE OR
            // REPLACE VIEW), so what reads it must follow.
            reshaped.insert(c.address.clone());
            progressed = true;
        }
        if !progressed {
            return;
        }
    }
}

/// A live value in the form it is compared in: sensitive values AWS returns
/// fingerprinted, write-only ones (never read back) taken from what was
/// last applied (or, for a resource twh never applied, from the file), then
/// normalized. Used for the plan's live side and for the read after a
/// write that becomes `observed`.
pub fn comparable_live(d: &Desired, live: &Value, applied: Option<&Value>, salt: &str) -> Value {
    let kind = d.kind;
    let mut v = secret::redact(live, &readable_sensitive(kind, &d.sensitive, live), salt);
    let source = match applied {
        Some(a) => a.clone(),
        None => secret::redact(&d.spec, &d.sensitive, salt),
    };
    fill_write_only(kind, &mut v, &source);
    normalize(kind, &v)
}

/// Sensitive pointers whose value AWS does return (not write-only): they are
/// fingerprinted on the live side too, so a change made in AWS is seen.
fn readable_sensitive(kind: &KindDef, sensitive: &[String], live: &Value) -> Vec<String> {
    sensitive
        .iter()
        .filter(|p| !kind.write_only.iter().any(|w| p.starts_with(w)) && live.pointer(p).is_some())
        .cloned()
        .collect()
}

/// Write-only fields are never read back; compare them against what was
/// last applied (or, for a resource twh never applied, assume they match).
fn fill_write_only(kind: &KindDef, live: &mut Value, source: &Value) {
    for p in kind.write_only {
        let Some((parent, key)) = p.rsplit_once('/') else {
            continue;
        };
        if live.pointer(p).is_some() {
            continue;
        }
        if let (Some(v), Some(Value::Object(m))) =
            (source.pointer(p).cloned(), live.pointer_mut(parent))
        {
            m.insert(key.to_string(), v);
        }
    }
}

/// The state record for a resource after its change was applied.
pub fn state_record(
    d: &Desired,
    applied: &Value,
    observed: Option<Value>,
    status: ResourceStatus,
) -> crate::state::ResourceState {
    crate::state::ResourceState {
        kind: d.kind.name.to_string(),
        id: d.attributes.id.clone(),
        attributes: d.attributes.clone(),
        applied: applied.clone(),
        observed,
        depends_on: d.depends_on.clone(),
        lifecycle: d.lifecycle.clone(),
        status,
        updated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// A live value must name the resource that was asked for. One that names
/// another (or none: a member dropped from a malformed answer and defaulted
/// to `""` by the SDK) would be planned against as if it were this one, so
/// it is refused before anything is planned.
fn answered_for(kind: &str, id: &str, live: &Value) -> Result<(), Diagnostic> {
    let Some(def) = kinds::kind(kind) else {
        return Ok(());
    };
    match def.identity_parts(live).map(|p| p.join(".")) {
        Some(got) if got == id => Ok(()),
        Some(got) if got.is_empty() => Err(malformed_answer(kind, id, "a resource without a name")),
        Some(got) => Err(malformed_answer(
            kind,
            id,
            &format!("`{}`", crate::diag::printable(&got)),
        )),
        None => Err(malformed_answer(kind, id, "a resource without a name")),
    }
}

fn malformed_answer(kind: &str, id: &str, got: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "reading {kind} `{id}`: AWS answered with {got}; the answer is malformed and nothing was changed"
    ))
    .hint("retry later; if it persists, check proxies between twh and AWS (`-v` logs every call)")
}

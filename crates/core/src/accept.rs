//! `twh accept`: drift accepted into the resource files.
//!
//! Someone changed AWS in the console and the team wants to keep it. The
//! plan already knows what drifted: per resource, the fields where live
//! differs from AWS's answer after the last apply (`Change::baseline`, see
//! [`crate::plan::expect`]). This module turns those fields into edits of
//! the file the resource is declared in, and into the state record that
//! goes with them:
//!
//! - **What is written** is what the drift diff shows as drift, and only
//!   that. Each place where the resolved file and the live value differ is
//!   tried on its own: written into the resolved spec, does it change the
//!   comparable form (normalized, secrets fingerprinted) at a drifted field?
//!   A difference normalization absorbs (a role ARN for its name, a server
//!   default, set order) changes nothing and is left; one the three-way plan
//!   absorbs (AWS's rewrite, recorded in `observed`) is not drift and is
//!   left; a change the file makes that was not synced yet is the file's
//!   and is left. Fields the file does not declare are written when they
//!   drifted (someone set them), because the file must describe the
//!   resource by itself: a new environment, or a state without the record,
//!   is planned from the file alone.
//! - **Placeholders stay** wherever their values still match: a value that
//!   did not change keeps its text, and in a string that changed, the parts
//!   that are still a placeholder's value are written as that placeholder
//!   (`s3://${var.lake_bucket}/orders2/`). Other variable values in new text
//!   are written as `${var.NAME}`, as `twh import` does.
//! - **Never written:** secrets (`${env_var:...}` values and write-only
//!   fields; a changed one is reported and its drift stays visible), fields
//!   in `lifecycle.ignore_changes` and a kind's unmanaged fields (the plan
//!   takes AWS's value there already), account fields.
//! - **The state record** moves with the file: the accepted fields are
//!   recorded as applied, and AWS's current answer as observed, so the next
//!   diff is clean (Terraform's `apply -refresh-only` does the same to
//!   state). Changes in the file not synced yet stay pending.
//!
//! The text is edited in place ([`crate::config::edit`]), so the commit
//! shows the accepted lines and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::addr::Address;
use crate::config::interpolate::{Piece, Placeholder, split};
use crate::config::locate::{Positions, escape};
use crate::config::{Config, InputFile, Inputs, edit};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::KindDef;
use crate::kinds::normalize::normalize;
use crate::plan::{Action, Change, Desired, Plan};
use crate::pointer::display_path;
use crate::secret;
use crate::state::StateFile;

/// What to accept.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These resources (each must be declared).
    Addresses(Vec<Address>),
    /// Every declared resource that drifted.
    AllDrift,
}

/// How a field of the file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldChange {
    Changed,
    Added,
    Removed,
}

impl FieldChange {
    pub fn word(self) -> &'static str {
        match self {
            FieldChange::Changed => "changed",
            FieldChange::Added => "added",
            FieldChange::Removed => "removed",
        }
    }
}

/// One field written into a file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// Spec path as users write it (`Configuration.BytesScannedCutoffPerQuery`).
    pub field: String,
    pub change: FieldChange,
    /// Line of the field in the new text (of its object when removed).
    pub line: usize,
    /// JSON pointer of the field in the file.
    #[serde(skip)]
    pub pointer: String,
}

/// One resource whose drift is accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AcceptedResource {
    pub address: Address,
    pub file: PathBuf,
    pub fields: Vec<Written>,
    /// Drifted fields holding secrets: not written, still drift.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets_left: Vec<String>,
    /// Drifted spec pointers (comparable form) accepted; checked again
    /// against the next plan.
    #[serde(skip)]
    pub drifted: Vec<String>,
}

/// Everything `twh accept` would do: the new file texts, the new state.
#[derive(Debug)]
pub struct Proposal {
    pub resources: Vec<AcceptedResource>,
    /// Per file changed: the old text and the new.
    pub files: BTreeMap<PathBuf, (String, String)>,
    /// The state with the accepted resources' records updated.
    pub state: StateFile,
    /// Named resources with nothing to accept, and why.
    pub notes: Vec<String>,
}

impl Proposal {
    /// The repository's files with the new texts: what the next load reads.
    pub fn inputs(&self, cfg: &Config) -> Inputs {
        let env_file = PathBuf::from(format!("resources/environments/{}.json", cfg.env_name));
        let mut inputs = Inputs::default();
        for path in cfg.sources.paths() {
            let text = match self.files.get(path) {
                Some((_, new)) => new.as_str(),
                None => cfg.sources.text(path).unwrap_or_default(),
            };
            let f = InputFile {
                path: path.to_path_buf(),
                bytes: text.as_bytes().to_vec(),
            };
            if path == env_file {
                inputs.environment = Some(f);
            } else {
                inputs.resources.push(f);
            }
        }
        inputs
    }
}

/// Works out the edits and the state for `selection` from a plan of the
/// current files. Nothing is written here.
pub fn propose(
    cfg: &Config,
    plan: &Plan,
    state: &StateFile,
    selection: &Selection,
) -> Result<Proposal, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut notes = Vec::new();
    let by_addr: BTreeMap<&Address, &Change> =
        plan.changes.iter().map(|c| (&c.address, c)).collect();
    let chosen: Vec<&Change> = match selection {
        Selection::AllDrift => plan
            .changes
            .iter()
            .filter(|c| c.drifted && plan.desired.contains_key(&c.address))
            .collect(),
        Selection::Addresses(addrs) => {
            let mut out = Vec::new();
            for a in addrs {
                match by_addr.get(a) {
                    Some(c) if c.drifted => out.push(*c),
                    Some(c) if c.pending => notes.push(format!(
                        "`{a}`: no drift; the file differs from what was last synced, not AWS from what was synced (`twh sync` applies it)"
                    )),
                    Some(_) => notes.push(format!("`{a}`: no drift; nothing to accept")),
                    None => notes.push(format!("`{a}`: no drift; nothing to accept")),
                }
            }
            out
        }
    };
    let vars = cfg.environment().variables;
    let mut docs: BTreeMap<PathBuf, Value> = BTreeMap::new();
    let mut new_state = state.clone();
    let mut resources = Vec::new();
    for c in chosen {
        let (Some(d), Some(r)) = (plan.desired.get(&c.address), cfg.resource(&c.address)) else {
            continue;
        };
        let state_addr = if state.resources.contains_key(&c.address) {
            c.address.clone()
        } else {
            match c.moved_from.clone() {
                Some(m) => m,
                None => continue,
            }
        };
        let Some(record) = state.resources.get(&state_addr) else {
            continue;
        };
        let (Some(base), Some(live_cmp), Some(live_raw)) = (&c.baseline, &c.live_cmp, &c.live_raw)
        else {
            diags.push(
                Diagnostic::error(format!(
                    "`{}` was deleted outside twh; accept writes values into files and has no value to write",
                    c.address
                ))
                .hint(format!(
                    "to keep it deleted, remove it from `{}` and run `twh state rm {}`; to restore it, `twh sync`",
                    r.origin.file.display(),
                    state_addr
                )),
            );
            continue;
        };
        if c.action == Action::Create {
            continue;
        }
        let file = &r.origin.file;
        let doc = match docs.get_mut(file) {
            Some(doc) => doc,
            None => {
                let text = cfg.sources.text(file).unwrap_or_default();
                let body = text.strip_prefix('\u{feff}').unwrap_or(text);
                match serde_json::from_str::<Value>(body) {
                    Ok(v) => docs.entry(file.clone()).or_insert(v),
                    Err(e) => {
                        diags.push(Diagnostic::error(format!(
                            "cannot read `{}` again: {e}",
                            file.display()
                        )));
                        continue;
                    }
                }
            }
        };
        let spec_ptr = format!("{}/spec", r.origin.pointer);
        let Some(file_spec) = doc.pointer(&spec_ptr).cloned() else {
            continue;
        };
        let one = accept_one(d, &file_spec, base, live_cmp, live_raw, &vars, &plan.salt);
        if let Some(slot) = doc.pointer_mut(&spec_ptr) {
            *slot = one.spec.clone();
        }
        let mut rec = record.clone();
        rec.applied = one.applied_from(&normalize(d.kind, &record.applied), live_cmp);
        rec.observed = Some(one.observed_from(live_cmp, base));
        rec.updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        new_state.resources.insert(state_addr, rec);
        resources.push(AcceptedResource {
            address: c.address.clone(),
            file: file.clone(),
            fields: one
                .written
                .into_iter()
                .map(|(p, change)| Written {
                    field: display_path(&p),
                    change,
                    line: 0,
                    pointer: format!("{spec_ptr}{p}"),
                })
                .collect(),
            secrets_left: one.secrets.iter().map(|p| display_path(p)).collect(),
            drifted: one.accepted,
        });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mut files = BTreeMap::new();
    for (file, doc) in docs {
        let old = cfg.sources.text(&file).unwrap_or_default().to_string();
        let new = edit::rewrite(&old, &doc).map_err(|e| {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::error(format!(
                "cannot edit `{}`: {e}",
                file.display()
            )));
            d
        })?;
        let positions = Positions::scan(&new);
        for r in resources.iter_mut().filter(|r| r.file == file) {
            for w in &mut r.fields {
                w.line = positions.value(&w.pointer).map_or(1, |(l, _)| l);
            }
        }
        if new != old {
            files.insert(file, (old, new));
        }
    }
    if !resources.is_empty() {
        new_state.serial += 1;
    }
    Ok(Proposal {
        resources,
        files,
        state: new_state,
        notes,
    })
}

/// Checks the proposal against a plan of the new files and state (the
/// next `twh diff`, made before anything is written): each accepted
/// resource has no drift left but its secrets, and the file now says what
/// AWS holds at every accepted field.
pub fn verify(proposal: &Proposal, next: &Plan) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    for r in &proposal.resources {
        let Some(c) = next.changes.iter().find(|c| c.address == r.address) else {
            continue;
        };
        let (Some(live), Some(file)) = (&c.live_cmp, &c.applied) else {
            continue;
        };
        let wrong: Vec<String> = r
            .drifted
            .iter()
            .filter(|p| live.pointer(p) != file.pointer(p))
            .map(|p| format!("`{}`", display_path(p)))
            .collect();
        if wrong.is_empty() && c.drifted && r.secrets_left.is_empty() {
            diags.push(
                Diagnostic::error(format!(
                    "`{}`: after accepting, AWS would still differ from what state records for it; nothing was written",
                    r.address
                ))
                .hint("run `twh diff` to see the drift, edit the file by hand, then `twh sync`; please report this with `twh diff`'s output"),
            );
        }
        if !wrong.is_empty() {
            diags.push(
                Diagnostic::error(format!(
                    "`{}`: accept could not write {} so that the file reads as AWS holds it; nothing was written",
                    r.address,
                    wrong.join(", ")
                ))
                .hint("edit the file by hand (`twh diff` shows AWS's value), then `twh sync`; please report this with the field and its value"),
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(())
    }
}

/// The outcome for one resource.
struct One {
    /// The file's new spec.
    spec: Value,
    /// Spec pointers written, with how.
    written: Vec<(String, FieldChange)>,
    /// Drifted comparable pointers accepted.
    accepted: Vec<String>,
    /// Drifted comparable pointers holding secrets (left as they are).
    secrets: Vec<String>,
}

impl One {
    /// The new `applied`: the old with the accepted fields as AWS has them,
    /// so other changes the file has not synced yet stay pending.
    fn applied_from(&self, applied: &Value, live: &Value) -> Value {
        let mut out = applied.clone();
        for p in &self.accepted {
            put(&mut out, p, live.pointer(p).cloned());
        }
        out
    }

    /// The new `observed`: AWS's answer now, but where a secret drifted,
    /// the old answer, so that drift is still shown.
    fn observed_from(&self, live: &Value, baseline: &Value) -> Value {
        let mut out = live.clone();
        for p in &self.secrets {
            put(&mut out, p, baseline.pointer(p).cloned());
        }
        out
    }
}

/// One place where the resolved file and live differ, and live's value
/// there (`None`: live has no such member).
struct Candidate {
    pointer: String,
    live: Option<Value>,
}

fn accept_one(
    d: &Desired,
    file_spec: &Value,
    baseline: &Value,
    live_cmp: &Value,
    live_raw: &Value,
    vars: &BTreeMap<String, Value>,
    salt: &str,
) -> One {
    let kind = d.kind;
    let comparable = |v: &Value| normalize(kind, &secret::redact(v, &d.sensitive, salt));
    let mut drifted = Vec::new();
    leaves(Some(baseline), Some(live_cmp), String::new(), &mut drifted);
    let is_secret = |p: &str| {
        d.sensitive.iter().any(|s| overlaps(p, s)) || kind.write_only.iter().any(|w| overlaps(p, w))
    };
    let (secrets, accepted): (Vec<String>, Vec<String>) =
        drifted.into_iter().partition(|p| is_secret(p));

    let mut candidates = Vec::new();
    differences(
        kind,
        Some(&d.spec),
        Some(live_raw),
        String::new(),
        &mut candidates,
    );
    let before = comparable(&d.spec);
    let mut spec = file_spec.clone();
    let mut written = Vec::new();
    for cand in candidates {
        if is_secret(&cand.pointer)
            || kind
                .account_field
                .is_some_and(|a| overlaps(&cand.pointer, a))
        {
            continue;
        }
        let mut trial = d.spec.clone();
        put(&mut trial, &cand.pointer, cand.live.clone());
        let mut moved = Vec::new();
        leaves(
            Some(&before),
            Some(&comparable(&trial)),
            String::new(),
            &mut moved,
        );
        if !moved
            .iter()
            .any(|m| accepted.iter().any(|a| overlaps(m, a)))
        {
            // Nothing comparable moved (normalization absorbs it), or only
            // what is not drift: AWS's own form, or the file's unsynced
            // change.
            continue;
        }
        let resolved = d.spec.pointer(&cand.pointer);
        let value = cand.live.as_ref().map(|l| {
            let reuse = match (resolved, file_at(file_spec, &cand.pointer)) {
                (Some(Value::String(r)), Some(Value::String(f))) => placeholder_values(f, r),
                _ => Vec::new(),
            };
            match (l, resolved, file_at(file_spec, &cand.pointer)) {
                (Value::Array(la), Some(Value::Array(ra)), f) => {
                    let fa = f.and_then(Value::as_array);
                    let set = kind.sets.iter().any(|s| matches_pattern(s, &cand.pointer));
                    Value::Array(
                        keep_elements(ra, fa, la, |a, b| {
                            a == b
                                || (set && same_in_set(&comparable, &d.spec, &cand.pointer, a, b))
                        })
                        .into_iter()
                        .map(|e| e.unwrap_or_else(|j| literal(&la[j], &[], vars)))
                        .collect(),
                    )
                }
                _ => literal(l, &reuse, vars),
            }
        });
        if value.is_none() && file_at(file_spec, &cand.pointer).is_none() {
            continue;
        }
        let change = match (file_at(file_spec, &cand.pointer), &value) {
            (None, Some(_)) => FieldChange::Added,
            (_, None) => FieldChange::Removed,
            _ => FieldChange::Changed,
        };
        let at = write_into(&mut spec, &cand.pointer, value, live_raw, vars);
        if !written.iter().any(|(p, _)| *p == at) {
            written.push((at, change));
        }
    }
    One {
        spec,
        written,
        accepted,
        secrets,
    }
}

/// Whether two elements of the set at `pointer` are one element to AWS:
/// alone in the set, they give the same comparable form.
fn same_in_set(
    comparable: &dyn Fn(&Value) -> Value,
    spec: &Value,
    pointer: &str,
    a: &Value,
    b: &Value,
) -> bool {
    let with = |e: &Value| {
        let mut s = spec.clone();
        put(&mut s, pointer, Some(Value::Array(vec![e.clone()])));
        comparable(&s)
    };
    with(a) == with(b)
}

/// Live's elements in order, each `Ok` with the file's element (its text,
/// placeholders and all) when one resolved element matches it, else
/// `Err(index)` into live.
fn keep_elements(
    resolved: &[Value],
    file: Option<&Vec<Value>>,
    live: &[Value],
    same: impl Fn(&Value, &Value) -> bool,
) -> Vec<Result<Value, usize>> {
    let mut used = vec![false; resolved.len()];
    live.iter()
        .enumerate()
        .map(|(j, l)| {
            let hit = resolved
                .iter()
                .enumerate()
                .find(|(i, r)| !used[*i] && same(r, l))
                .map(|(i, _)| i);
            match (hit, file) {
                (Some(i), Some(f)) if i < f.len() => {
                    used[i] = true;
                    Ok(f[i].clone())
                }
                _ => Err(j),
            }
        })
        .collect()
}

/// The file's value at `pointer`, if the file has that member.
fn file_at<'a>(file: &'a Value, pointer: &str) -> Option<&'a Value> {
    file.pointer(pointer)
}

/// Writes `value` (`None`: removes) at `pointer` of the file's spec,
/// creating objects on the way. Where the way passes through a string (a
/// whole-value placeholder such as `"${var.columns}"` whose value no longer
/// matches), that string is replaced by live's value there. Returns the
/// pointer actually written.
fn write_into(
    spec: &mut Value,
    pointer: &str,
    value: Option<Value>,
    live: &Value,
    vars: &BTreeMap<String, Value>,
) -> String {
    let segs: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let mut cur = &mut *spec;
    let mut at = String::new();
    for (n, s) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        if !matches!(cur, Value::Object(_) | Value::Array(_)) {
            *cur = live
                .pointer(&at)
                .map_or(Value::Null, |l| literal(l, &[], vars));
            return at;
        }
        if last {
            match (cur, value) {
                (Value::Object(m), Some(v)) => {
                    m.insert(s.clone(), v);
                }
                (Value::Object(m), None) => {
                    m.shift_remove(s);
                }
                (Value::Array(a), v) => match s.parse::<usize>().ok().filter(|i| *i < a.len()) {
                    Some(i) => match v {
                        Some(v) => a[i] = v,
                        None => {
                            a.remove(i);
                        }
                    },
                    None => {
                        if let Some(v) = v {
                            a.push(v);
                        }
                    }
                },
                _ => {}
            }
            return pointer.to_string();
        }
        at = format!("{at}/{}", escape(s));
        cur = match cur {
            Value::Object(m) => m
                .entry(s.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => match s.parse::<usize>().ok().filter(|i| *i < a.len()) {
                Some(i) => &mut a[i],
                None => return at,
            },
            _ => return at,
        };
    }
    pointer.to_string()
}

/// Where the resolved spec and live differ: objects member by member,
/// lists of equal length element by element (sets, whose order means
/// nothing, and lists that grew or shrank, whole).
fn differences(
    kind: &KindDef,
    resolved: Option<&Value>,
    live: Option<&Value>,
    pointer: String,
    out: &mut Vec<Candidate>,
) {
    if resolved == live {
        return;
    }
    match (resolved, live) {
        (Some(Value::Object(r)), Some(Value::Object(l))) => {
            let mut keys: Vec<&String> = r.keys().collect();
            keys.extend(l.keys().filter(|k| !r.contains_key(*k)));
            for k in keys {
                differences(
                    kind,
                    r.get(k),
                    l.get(k),
                    format!("{pointer}/{}", escape(k)),
                    out,
                );
            }
        }
        (Some(Value::Array(r)), Some(Value::Array(l)))
            if r.len() == l.len() && !kind.sets.iter().any(|s| matches_pattern(s, &pointer)) =>
        {
            for (i, (x, y)) in r.iter().zip(l).enumerate() {
                differences(kind, Some(x), Some(y), format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(Candidate {
            pointer,
            live: live.cloned(),
        }),
    }
}

/// The pointers where `a` and `b` differ (the same walk as [`differences`],
/// on comparable values).
fn leaves(a: Option<&Value>, b: Option<&Value>, pointer: String, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                leaves(x.get(k), y.get(k), format!("{pointer}/{}", escape(k)), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                leaves(Some(p), Some(q), format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(pointer),
    }
}

/// One pointer is the other or inside it.
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| x == y || (x.starts_with(y) && x[y.len()..].starts_with('/'));
    inside(a, b) || inside(b, a)
}

/// A kind's set pattern (`/Permissions/*/Actions`) matches `pointer`.
fn matches_pattern(pattern: &str, pointer: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = pointer.split('/').collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Sets (`Some`) or removes (`None`) the member at `pointer`, creating
/// objects on the way.
fn put(root: &mut Value, pointer: &str, v: Option<Value>) {
    if pointer.is_empty() {
        if let Some(v) = v {
            *root = v;
        }
        return;
    }
    let segs: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = root;
    for s in parents {
        cur = match cur {
            Value::Object(m) => m
                .entry(s.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match (cur, v) {
        (Value::Object(m), Some(v)) => {
            m.insert(last.clone(), v);
        }
        (Value::Object(m), None) => {
            m.shift_remove(last);
        }
        (Value::Array(a), v) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < a.len()) {
                match v {
                    Some(v) => a[i] = v,
                    None => {
                        a.remove(i);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The values the placeholders of the file's string `file` took in the
/// resolved string `resolved`, as (value, placeholder text), found by
/// matching the literal runs around them. Secrets are left out; so is a
/// string whose placeholders cannot be told apart (two side by side).
fn placeholder_values(file: &str, resolved: &str) -> Vec<(String, String)> {
    let Ok(pieces) = split(file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut pos = 0usize;
    for (n, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Lit(l) => {
                let l = l.replace("$${", "${");
                if !resolved[pos..].starts_with(&l) {
                    return Vec::new();
                }
                pos += l.len();
            }
            Piece::Ph(p) => {
                let end = match pieces.get(n + 1) {
                    None => resolved.len(),
                    Some(Piece::Lit(next)) => {
                        let next = next.replace("$${", "${");
                        // The last literal ends the string; others are the
                        // first match after this point.
                        let found = if n + 2 == pieces.len() {
                            resolved
                                .ends_with(&next)
                                .then(|| resolved.len() - next.len())
                                .filter(|e| *e >= pos)
                        } else {
                            resolved[pos..].find(&next).map(|i| pos + i)
                        };
                        match found {
                            Some(e) => e,
                            None => return Vec::new(),
                        }
                    }
                    Some(Piece::Ph(_)) => return Vec::new(),
                };
                if !matches!(p, Placeholder::EnvVar(_)) && end > pos {
                    out.push((resolved[pos..end].to_string(), p.to_string()));
                }
                pos = end;
            }
        }
    }
    if pos == resolved.len() {
        out
    } else {
        Vec::new()
    }
}

/// Live's value as file text: `${` escaped as `$${`, and in strings the
/// values of `reuse` (placeholders of the text it replaces) and of the
/// environment's variables (3 characters or more, as `twh import`) written
/// as their placeholders, longest first, left to right; members that are
/// empty or null left out.
fn literal(v: &Value, reuse: &[(String, String)], vars: &BTreeMap<String, Value>) -> Value {
    let mut table: Vec<(String, String)> = reuse.to_vec();
    for (name, val) in vars {
        if let Some(s) = val.as_str()
            && s.len() >= 3
            && !s.contains("${")
        {
            table.push((s.to_string(), format!("${{var.{name}}}")));
        }
    }
    table.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    fn walk(v: &Value, table: &[(String, String)]) -> Value {
        match v {
            Value::String(s) => Value::String(text(s, table)),
            Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, table)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), walk(x, table))).collect())
            }
            other => other.clone(),
        }
    }
    fn text(s: &str, table: &[(String, String)]) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < s.len() {
            if let Some((val, ph)) = table
                .iter()
                .find(|(val, _)| s[i..].starts_with(val.as_str()))
            {
                out.push_str(ph);
                i += val.len();
                continue;
            }
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            if s[i..].starts_with("${") {
                out.push('$');
            }
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
    // Empty lists and maps and nulls inside it are how AWS answers "none"
    // (`"Exclusions": []`); they mean what their absence means, so the
    // file does not get them.
    let mut out = walk(v, &table);
    crate::kinds::normalize::prune_empty(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_keep_the_parts_whose_values_still_match() {
        assert_eq!(
            placeholder_values(
                "s3://${var.lake}/orders-${env}/",
                "s3://twh-lake/orders-dev/"
            ),
            vec![
                ("twh-lake".to_string(), "${var.lake}".to_string()),
                ("dev".to_string(), "${env}".to_string())
            ]
        );
        assert!(placeholder_values("${env}${var.x}", "devx").is_empty());
        assert!(placeholder_values("${env_var:PW}", "hunter2").is_empty());
        let reuse = placeholder_values("s3://${var.lake}/orders/", "s3://twh-lake/orders/");
        assert_eq!(
            literal(
                &json!("s3://twh-lake/orders2/ ${x}"),
                &reuse,
                &BTreeMap::new()
            ),
            json!("s3://${var.lake}/orders2/ $${x}")
        );
        let vars = [
            ("bucket".to_string(), json!("lake-bucket")),
            ("b".to_string(), json!("la")),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            literal(&json!(["s3://lake-bucket/x", "la"]), &[], &vars),
            json!(["s3://${var.bucket}/x", "la"]),
            "the longest value wins and short ones never rewrite text"
        );
    }

    #[test]
    fn pointers_overlap_only_along_their_segments() {
        assert!(overlaps("/a/b", "/a"));
        assert!(overlaps("/a", "/a/b/0"));
        assert!(!overlaps("/ab", "/a"));
        assert!(matches_pattern(
            "/Permissions/*/Actions",
            "/Permissions/3/Actions"
        ));
        assert!(!matches_pattern("/Permissions/*/Actions", "/Permissions/3"));
    }

    #[test]
    fn only_drift_is_written_not_the_files_unsynced_change_nor_awss_own_forms() {
        let kind = crate::kinds::kind("glue_crawler").expect("kind");
        let file = json!({"Name": "c", "Role": "${ref:iam_role.r.arn}", "Schedule": "cron(0 2 * * ? *)",
            "Description": "old", "Targets": {"S3Targets": [{"Path": "s3://${var.b}/x/"}]}});
        let resolved = json!({"Name": "c", "Role": "arn:aws:iam::123456789012:role/service-role/r",
            "Schedule": "cron(0 2 * * ? *)", "Description": "old",
            "Targets": {"S3Targets": [{"Path": "s3://lake/x/"}]}});
        // AWS's answer after the last sync: the role by name with its path,
        // a default filled, the schedule the file had then.
        let observed = json!({"Name": "c", "Role": "service-role/r", "Schedule": "cron(0 1 * * ? *)",
            "Description": "old", "Targets": {"S3Targets": [{"Path": "s3://lake/x/", "Exclusions": []}]},
            "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"}});
        let mut live = observed.clone();
        live["Description"] = json!("set in the console");
        let d = Desired {
            addr: Address::new("glue_crawler", "c"),
            kind,
            spec: resolved.clone(),
            sensitive: Vec::new(),
            attributes: kind
                .attributes(&resolved, "us-east-1", "123456789012")
                .expect("attributes"),
            lifecycle: Default::default(),
            depends_on: Vec::new(),
        };
        let vars = [("b".to_string(), json!("lake"))].into_iter().collect();
        let one = accept_one(
            &d,
            &file,
            &normalize(kind, &observed),
            &normalize(kind, &live),
            &live,
            &vars,
            "salt",
        );
        let mut expected = file.clone();
        expected["Description"] = json!("set in the console");
        assert_eq!(one.spec, expected);
        assert_eq!(
            one.written,
            vec![("/Description".to_string(), FieldChange::Changed)]
        );
        // State: the accepted field is applied; the file's new schedule is
        // still not, so it stays pending.
        let mut applied_raw = resolved.clone();
        applied_raw["Schedule"] = json!("cron(0 1 * * ? *)");
        let applied = one.applied_from(&normalize(kind, &applied_raw), &normalize(kind, &live));
        assert_eq!(applied["Description"], "set in the console");
        assert_eq!(applied["Schedule"], "cron(0 1 * * ? *)");
    }
}

//! Renames of resource addresses, as Terraform's `moved` blocks: a
//! resource's `"moved_from": "TYPE.OLD"`, or a file's
//! `"moved": [{"from": "TYPE.OLD", "to": "TYPE.NEW"}]`. They say that the
//! object state knows as `from` is the one now declared as `to`, so the plan
//! moves its state record instead of deleting one and creating the other.
//!
//! Checked here, without state, as Terraform's `ValidateMoves`
//! (internal/refactoring/move_validate.go) checks them against the
//! configuration: both ends are addresses of the same type (objects of
//! different types are different AWS resources), `from` differs from `to`
//! and is no longer declared, each address moves to one place and is moved
//! to from one place, and chains have no cycle. One rule is twh's own:
//! every chain ends at a declared resource, since a move to an address no
//! file declares would only turn into a delete. What state holds never
//! makes a move invalid; the plan applies them (`plan::moved`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::addr::Address;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::kinds;

use super::model::{Config, Move, Sources};
use super::validate::json_type;

/// The keys a file holding a list may have.
pub(super) const FILE_KEYS: &[&str] = &["resources", "moved"];

/// The `moved` list of one file, each entry checked for its form.
pub(super) fn parse_file_moves(
    doc: &Value,
    file: &Path,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Vec<Move> {
    let Some(list) = doc.get("moved").filter(|_| doc.get("type").is_none()) else {
        return Vec::new();
    };
    let at = |p: &str, key: bool| sources.locate(file, p, key);
    let Value::Array(items) = list else {
        diags.push(
            Diagnostic::error(format!(
                "`moved` must be a list of moves, found {}",
                json_type(list)
            ))
            .at(Some(at("/moved", false)))
            .hint(r#"write "moved": [{"from": "glue_crawler.old", "to": "glue_crawler.new"}]"#),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = format!("/moved/{i}");
        let Value::Object(m) = item else {
            diags.push(
                Diagnostic::error(format!(
                    "`moved[{i}]` must be an object, found {}",
                    json_type(item)
                ))
                .at(Some(at(&here, false)))
                .hint(r#"write {"from": "glue_crawler.old", "to": "glue_crawler.new"}"#),
            );
            continue;
        };
        let mut ok = true;
        for key in m.keys().filter(|k| !["from", "to"].contains(&k.as_str())) {
            diags.push(
                Diagnostic::error(format!(
                    "unknown field `{}` in `moved[{i}]`",
                    crate::diag::printable(key)
                ))
                .at(Some(at(
                    &format!("{here}/{}", super::locate::escape(key)),
                    true,
                )))
                .hint(match did_you_mean(key, ["from", "to"]) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a move has only `from` and `to`".into(),
                }),
            );
            ok = false;
        }
        let mut end = |name: &str| -> Option<Address> {
            let p = format!("{here}/{name}");
            match m.get(name) {
                Some(Value::String(s)) => match s.parse::<Address>() {
                    Ok(a) => Some(a),
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!("invalid `{name}` in `moved[{i}]`: {e}"))
                                .at(Some(at(&p, false))),
                        );
                        None
                    }
                },
                Some(other) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "`{name}` in `moved[{i}]` must be an address string, found {}",
                            json_type(other)
                        ))
                        .at(Some(at(&p, false)))
                        .hint(r#"e.g. "glue_crawler.orders""#),
                    );
                    None
                }
                None => {
                    diags.push(
                        Diagnostic::error(format!("missing `{name}` in `moved[{i}]`"))
                            .at(Some(at(&here, false)))
                            .hint(r#"a move is {"from": "TYPE.OLD_NAME", "to": "TYPE.NEW_NAME"}"#),
                    );
                    None
                }
            }
        };
        let (from, to) = (end("from"), end("to"));
        if let (Some(from), Some(to), true) = (from, to, ok) {
            out.push(Move {
                from,
                to,
                at: at(&here, false),
            });
        }
    }
    out
}

/// The moves `moved_from` declares on each resource.
pub(super) fn resource_moves(cfg: &Config) -> Vec<Move> {
    let mut out = Vec::new();
    for r in &cfg.resources {
        for (i, from) in r.moved_from.iter().enumerate() {
            let suffix = if r.moved_from.len() == 1 {
                String::new()
            } else {
                format!("/{i}")
            };
            let pointer = format!("{}/moved_from{suffix}", r.origin.pointer);
            out.push(Move {
                from: from.clone(),
                to: r.addr.clone(),
                at: cfg.sources.locate(&r.origin.file, &pointer, false),
            });
        }
    }
    out
}

/// Checks every move against the declared resources and the other moves,
/// and keeps the valid ones in `cfg.moves`.
pub(super) fn check_moves(cfg: &mut Config, moves: Vec<Move>, diags: &mut Diagnostics) {
    let mut by_from: BTreeMap<Address, Move> = BTreeMap::new();
    let mut by_to: BTreeMap<Address, Move> = BTreeMap::new();
    for m in moves {
        let err = |summary: String| Diagnostic::error(summary).at(Some(m.at.clone()));
        if kinds::kind(&m.from.kind).is_none() || kinds::kind(&m.to.kind).is_none() {
            let bad = if kinds::kind(&m.from.kind).is_none() {
                &m.from.kind
            } else {
                &m.to.kind
            };
            diags.push(
                err(format!(
                    "the move from `{}` to `{}` names an unknown resource type `{bad}`",
                    m.from, m.to
                ))
                .hint_opt(
                    did_you_mean(bad, kinds::KINDS.iter().map(|k| k.name))
                        .map(|s| format!("did you mean `{s}`?")),
                ),
            );
            continue;
        }
        if m.from.kind != m.to.kind {
            diags.push(
                err(format!(
                    "cannot move `{}` to `{}`: a move keeps the resource's type",
                    m.from, m.to
                ))
                .detail("resources of different types are different AWS resources; nothing can carry one's state to the other")
                .hint(format!(
                    "to replace a {} with a {}, remove the move: the plan then deletes the old one and creates the new one",
                    m.from.kind, m.to.kind
                )),
            );
            continue;
        }
        if m.from == m.to {
            diags.push(
                err(format!("`{}` is moved to itself", m.from))
                    .hint("a move names the address a resource had before; remove this one"),
            );
            continue;
        }
        if let Some(r) = cfg.resource(&m.from) {
            diags.push(
                err(format!(
                    "`{}` is moved to `{}`, but `{}` is still declared",
                    m.from, m.to, m.from
                ))
                .detail(format!(
                    "declared at {}",
                    cfg.sources.locate(&r.origin.file, &r.origin.pointer, false)
                ))
                .hint(format!(
                    "rename that resource to `{}` (its `name`), or remove the move",
                    m.to.name
                )),
            );
            continue;
        }
        if let Some(first) = by_from.get(&m.from) {
            if first.to != m.to {
                diags.push(
                    err(format!(
                        "`{}` is moved to `{}` here and to `{}` at {}",
                        m.from, m.to, first.to, first.at
                    ))
                    .hint("a resource moves to one address only; remove one of the moves"),
                );
            }
            continue;
        }
        if let Some(first) = by_to.get(&m.to) {
            diags.push(
                err(format!(
                    "`{}` is moved from `{}` here and from `{}` at {}",
                    m.to, m.from, first.from, first.at
                ))
                .hint("two old resources cannot become one; chain them instead (`a` to `b`, then `b` to `c`) if `b` was a rename of `a`"),
            );
            continue;
        }
        by_to.insert(m.to.clone(), m.clone());
        by_from.insert(m.from.clone(), m);
    }
    // Each address has at most one move out, so a chain is a path: follow
    // it to its end, or back to where it started (a cycle).
    let declared: Vec<String> = cfg.resources.iter().map(|r| r.addr.to_string()).collect();
    let mut bad = Vec::new();
    for start in by_from.keys() {
        let mut at = start;
        let mut steps = 0;
        while let Some(m) = by_from.get(at) {
            at = &m.to;
            steps += 1;
            if at == start || steps > by_from.len() {
                break;
            }
        }
        let m = &by_from[start];
        if at == start {
            diags.push(
                Diagnostic::error(format!(
                    "the moves starting at `{start}` form a cycle and never reach a declared resource"
                ))
                .at(Some(m.at.clone()))
                .hint("a chain of moves must end at the address a resource is declared at now"),
            );
            bad.push(start.clone());
        } else if cfg.resource(at).is_none() {
            diags.push(
                Diagnostic::error(format!(
                    "`{}` is moved to `{at}`, which no file declares",
                    m.from
                ))
                .at(Some(m.at.clone()))
                .hint(
                    match did_you_mean(&at.to_string(), declared.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "declare it, or remove the move (the plan then deletes what state knows as the old address)".into(),
                    },
                ),
            );
            bad.push(start.clone());
        }
    }
    for b in bad {
        by_from.remove(&b);
    }
    cfg.moves = by_from;
}

//! Checks across resources: every `${ref:...}` names a declared resource
//! and one of its attributes, and the reference graph has no cycle.

use crate::addr::Address;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::graph::{Graph, cycle_text};
use crate::kinds::{self, ATTRIBUTES};

use super::interpolate::{Placeholder, placeholders};
use super::model::Config;

/// References name declared resources and valid attributes; the graph has
/// no cycle.
pub(super) fn check_references(cfg: &mut Config, diags: &mut Diagnostics) {
    let addrs: std::collections::BTreeSet<Address> =
        cfg.resources.iter().map(|r| r.addr.clone()).collect();
    let mut graph = Graph::default();
    for r in &mut cfg.resources {
        graph.add_node(r.addr.clone());
        let spec_ptr = format!("{}/spec", r.origin.pointer);
        let mut found = Vec::new();
        placeholders(&r.spec, "", &mut found);
        let mut deps: Vec<Address> = r.depends_on.clone();
        for (pointer, ph) in found {
            let Placeholder::Ref { kind, name, attr } = ph else {
                continue;
            };
            let target = Address::new(kind.clone(), name);
            let at = Some(cfg.sources.locate(
                &r.origin.file,
                &format!("{spec_ptr}{pointer}"),
                false,
            ));
            if kinds::kind(&kind).is_none() {
                diags.push(
                    Diagnostic::error(format!(
                        "reference to unknown resource type `{kind}` in `{}`",
                        r.addr
                    ))
                    .at(at)
                    .hint_opt(
                        did_you_mean(&kind, kinds::KINDS.iter().map(|k| k.name))
                            .map(|s| format!("did you mean `{s}`?")),
                    ),
                );
                continue;
            }
            if !addrs.contains(&target) {
                let names: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                diags.push(
                    Diagnostic::error(format!(
                        "reference to undeclared resource `{target}` in `{}`",
                        r.addr
                    ))
                    .at(at)
                    .hint_opt(
                        did_you_mean(&target.to_string(), names.iter().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?")),
                    ),
                );
                continue;
            }
            if !ATTRIBUTES.contains(&attr.as_str()) {
                diags.push(
                    Diagnostic::error(format!(
                        "`{kind}` has no attribute `{attr}` (in `{}`)",
                        r.addr
                    ))
                    .at(at)
                    .hint(
                        match did_you_mean(&attr, ATTRIBUTES.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("attributes: {}", ATTRIBUTES.join(", ")),
                        },
                    ),
                );
                continue;
            }
            if target == r.addr {
                diags.push(Diagnostic::error(format!("`{}` refers to itself", r.addr)).at(at));
                continue;
            }
            deps.push(target);
        }
        for (i, d) in r.depends_on.iter().enumerate() {
            if !addrs.contains(d) {
                diags.push(
                    Diagnostic::error(format!(
                        "`depends_on` names undeclared resource `{d}` in `{}`",
                        r.addr
                    ))
                    .at(Some(cfg.sources.locate(
                        &r.origin.file,
                        &format!("{}/depends_on/{i}", r.origin.pointer),
                        false,
                    ))),
                );
            }
        }
        deps.retain(|d| addrs.contains(d));
        deps.sort();
        deps.dedup();
        for d in &deps {
            graph.add_edge(r.addr.clone(), d.clone());
        }
        r.depends_on = deps;
    }
    if let Err(cycle) = graph.topo_order() {
        let first = cycle.first().and_then(|a| cfg.resource(a));
        diags.push(
            Diagnostic::error(format!("reference cycle: {}", cycle_text(&cycle)))
                .at(first.map(|r| cfg.sources.locate(&r.origin.file, &r.origin.pointer, false)))
                .hint("break the cycle: a resource cannot depend on itself through others"),
        );
    }
    cfg.graph = graph;
}

//! Phase two of interpolation, at plan time: `${ref:...}` from the
//! attributes of resources resolved before (in dependency order),
//! `${cfn:...}` through the output resolver (each output read once), and
//! `${env_var:...}` from the environment, marked sensitive.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::addr::Address;
use crate::config::interpolate::{Placeholder, Resolution, placeholders, substitute, unescape};
use crate::config::{Config, Lifecycle};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::{Attributes, KindDef};
use crate::provider::Providers;

/// A declared resource with every value resolved. Holds secrets in `spec`:
/// never serialized, never printed.
#[derive(Clone)]
pub struct Desired {
    pub addr: Address,
    pub kind: &'static KindDef,
    pub spec: Value,
    /// Pointers into `spec` whose values are secrets.
    pub sensitive: Vec<String>,
    pub attributes: Attributes,
    pub lifecycle: Lifecycle,
    pub depends_on: Vec<Address>,
}

impl std::fmt::Debug for Desired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The spec may hold secrets: show only what is safe.
        f.debug_struct("Desired")
            .field("addr", &self.addr)
            .field("attributes", &self.attributes)
            .field("sensitive", &self.sensitive)
            .finish_non_exhaustive()
    }
}

/// Glue folds database and table names to lowercase when it stores them
/// (the Glue API reference, `DatabaseInput.Name` and `TableInput.Name`:
/// "For Hive compatibility, this is folded to lowercase when it is
/// stored"). twh sends them folded, so the name it reads back, and the
/// `${ref:...name}` other resources get, is the one AWS keeps: a file may
/// say `dbCrawler`, as the CloudFormation user guide's example does.
fn fold_case(kind: &KindDef, spec: &mut Value) {
    for field in kind.lowercase {
        if let Some(Value::String(s)) = spec.pointer_mut(field) {
            *s = s.to_lowercase();
        }
    }
}

/// Stack outputs by (stack, output), or why one could not be read.
type Outputs = HashMap<(String, String), Result<String, String>>;

/// Reads every `${cfn:...}` output `values` use, each once.
async fn stack_outputs<'a>(
    values: impl Iterator<Item = &'a Value>,
    providers: &Providers,
) -> Outputs {
    let mut outputs = Outputs::new();
    for v in values {
        let mut found = Vec::new();
        placeholders(v, "", &mut found);
        for (_, p) in found {
            if let Placeholder::Cfn { stack, output } = p {
                let key = (stack.clone(), output.clone());
                if let std::collections::hash_map::Entry::Vacant(e) = outputs.entry(key) {
                    let v = providers
                        .outputs
                        .output(&stack, &output)
                        .await
                        .map_err(|e| e.to_string());
                    e.insert(v);
                }
            }
        }
    }
    outputs
}

/// What `${cfn:stack.output}` (`p`) resolves to.
fn stack_output(outputs: &Outputs, p: &Placeholder, stack: &str, output: &str) -> Resolution {
    match outputs.get(&(stack.to_string(), output.to_string())) {
        Some(Ok(v)) => Ok(Value::String(v.clone())),
        Some(Err(e)) => Err((
            format!("cannot resolve `{p}`: {e}"),
            Some(
                "check the stack name and output with `aws cloudformation describe-stacks`".into(),
            ),
        )),
        None => Err((format!("cannot resolve `{p}`"), None)),
    }
}

/// The environment's `extract.sink` with its `${cfn:...}` outputs read:
/// the boundary of what `twh purge` may empty. `None` when the environment
/// declares none.
pub async fn extract_sink(
    cfg: &Config,
    providers: &Providers,
) -> Result<Option<String>, Diagnostics> {
    let Some(sink) = cfg.env.as_ref().and_then(|e| e.extract.as_ref()) else {
        return Ok(None);
    };
    let mut value = Value::String(sink.sink.clone());
    let outputs = stack_outputs(std::iter::once(&value), providers).await;
    let mut issues = Vec::new();
    substitute(
        &mut value,
        "",
        &mut |p| match p {
            Placeholder::Cfn { stack, output } => Some(stack_output(&outputs, p, stack, output)),
            _ => None,
        },
        &mut issues,
        &mut Vec::new(),
    );
    unescape(&mut value);
    let mut diags = Diagnostics::default();
    for i in issues {
        diags.push(
            Diagnostic::error(format!(
                "{} (in `extract.sink` of resources/environments/{}.json)",
                i.message, cfg.env_name
            ))
            .hint_opt(i.hint),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(value.as_str().map(str::to_string))
}

/// Resolves every declared resource, dependencies first.
pub async fn resolve(
    cfg: &Config,
    providers: &Providers,
) -> Result<BTreeMap<Address, Desired>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let order = cfg.graph.topo_order().map_err(|cycle| {
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error(format!(
            "reference cycle: {}",
            crate::graph::cycle_text(&cycle)
        )));
        d
    })?;

    // Stack outputs first: the only reads phase two needs, one per output.
    let outputs = stack_outputs(cfg.resources.iter().map(|r| &r.spec), providers).await;

    let identity = &providers.identity;
    let mut done: BTreeMap<Address, Desired> = BTreeMap::new();
    for addr in order {
        let Some(r) = cfg.resource(&addr) else {
            continue;
        };
        let mut spec = r.spec.clone();
        if let (Some(field), Value::Object(m)) = (r.kind.account_field, &mut spec) {
            m.entry(field.trim_start_matches('/'))
                .or_insert_with(|| Value::String(identity.account.clone()));
        }
        let mut issues = Vec::new();
        let mut sensitive = Vec::new();
        substitute(
            &mut spec,
            "",
            &mut |p| match p {
                Placeholder::Ref { kind, name, attr } => {
                    let target = Address::new(kind.clone(), name.clone());
                    Some(
                        match done.get(&target).and_then(|d| d.attributes.get(attr)) {
                            Some(v) => Ok(Value::String(v.to_string())),
                            None => Err((
                                format!("cannot resolve `{p}`: `{target}` did not resolve"),
                                None,
                            )),
                        },
                    )
                }
                Placeholder::Cfn { stack, output } => {
                    Some(stack_output(&outputs, p, stack, output))
                }
                Placeholder::EnvVar(n) => Some(match std::env::var(n) {
                    Ok(v) => Ok(Value::String(v)),
                    Err(_) => Err((
                        format!("environment variable `{n}` is not set"),
                        Some(format!("export {n}=... before running twh")),
                    )),
                }),
                Placeholder::Env | Placeholder::Var(_) => None,
            },
            &mut issues,
            &mut sensitive,
        );
        unescape(&mut spec);
        fold_case(r.kind, &mut spec);
        for i in issues {
            diags.push(Diagnostic::error(format!("{} (in `{addr}`)", i.message)).hint_opt(i.hint));
        }
        let Some(attributes) = r
            .kind
            .attributes(&spec, &identity.region, &identity.account)
        else {
            diags.push(Diagnostic::error(format!(
                "`{addr}` has no identity: its spec needs {}",
                r.kind
                    .identity
                    .iter()
                    .map(|p| format!("`{}`", crate::pointer::display_path(p)))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
            continue;
        };
        done.insert(
            addr.clone(),
            Desired {
                addr: addr.clone(),
                kind: r.kind,
                spec,
                sensitive,
                attributes,
                lifecycle: r.lifecycle.clone(),
                depends_on: r.depends_on.clone(),
            },
        );
    }
    // Two declarations of one AWS resource would fight each other.
    let mut ids: BTreeMap<(&str, &str), &Address> = BTreeMap::new();
    for d in done.values().filter(|d| d.kind.managed) {
        if let Some(other) = ids.insert((d.kind.name, &d.attributes.id), &d.addr) {
            diags.push(
                Diagnostic::error(format!(
                    "`{other}` and `{}` both declare {} `{}`",
                    d.addr, d.kind.name, d.attributes.id
                ))
                .hint("each AWS resource may be declared once"),
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(done)
    }
}

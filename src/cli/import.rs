//! `twh import`: reads live resources, writes resource files with normalized
//! specs (variable values written back as `${var.NAME}`), and records them in
//! state, so an estate made by hand in the console enters the repository and
//! the next diff is clean.
#![allow(clippy::print_stderr)]

use serde_json::Value;

use super::args::Global;
use super::setup::Context;
use crate::addr::{Address, valid_name};
use crate::config::Config;
use crate::kinds::normalize::normalize;
use crate::kinds::{self, KindDef};
use crate::plan::resolve::Desired;
use crate::plan::state_record;
use crate::state::{ResourceStatus, StateFile};

/// Imports `ids` of `kind` (every live one with `all`), under the state
/// lock the caller holds. Returns how many were imported.
pub async fn import(
    g: &Global,
    cfg: &Config,
    ctx: &Context,
    kind: &'static KindDef,
    ids: &[String],
    all: bool,
    workgroup: Option<&str>,
) -> Result<usize, String> {
    if !kind.managed {
        return Err(format!(
            "`{}` is not an AWS resource; nothing to import",
            kind.name
        ));
    }
    let provider = ctx.providers.for_kind(kind).map_err(|e| e.to_string())?;
    let ids: Vec<String> = if all {
        provider.list(kind).await.map_err(|e| e.to_string())?
    } else {
        ids.to_vec()
    };
    let workgroup = view_workgroup(cfg, workgroup);
    import_locked(g, cfg, ctx, kind, &ids, &workgroup).await
}

async fn import_locked(
    g: &Global,
    cfg: &Config,
    ctx: &Context,
    kind: &'static KindDef,
    ids: &[String],
    workgroup: &Workgroup,
) -> Result<usize, String> {
    let provider = ctx.providers.for_kind(kind).map_err(|e| e.to_string())?;
    let mut state = ctx
        .backend
        .read()
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| StateFile::new(&g.env));
    let live = provider.read(kind, ids).await.map_err(|e| e.to_string())?;
    // What a stack owns stays CloudFormation's, tagged or not.
    let owners = crate::plan::ownership::learn(cfg, &ctx.providers)
        .await
        .map_err(|d| {
            crate::diag::render(&d, &cfg.sources, false)
                .trim_end()
                .to_string()
        })?;
    let env = cfg.environment();
    let identity = &ctx.providers.identity;
    let mut imported = 0;
    for (id, live) in ids.iter().zip(live) {
        let Some(mut live) = live else {
            eprintln!("error: {} `{id}` does not exist", kind.name);
            continue;
        };
        if let Some(stack) = crate::provider::take_cfn_owner(&mut live)
            .or_else(|| owners.owner(kind, id).map(str::to_string))
        {
            eprintln!(
                "skipped: {} `{id}` belongs to CloudFormation stack `{stack}`; refer to it with `${{cfn:...}}`, or declare it with `lifecycle.adopt_from_cloudformation`",
                kind.name
            );
            continue;
        }
        let managed = state
            .resources
            .values()
            .any(|r| r.kind == kind.name && r.id == *id);
        let declared = cfg.resources.iter().any(|r| {
            r.kind.name == kind.name
                && r.kind
                    .identity_parts(&r.spec)
                    .map(|p| p.join("."))
                    .as_deref()
                    == Some(id)
        });
        if managed || declared {
            eprintln!(
                "skipped: {} `{id}` is already {}",
                kind.name,
                if managed { "in state" } else { "declared" }
            );
            continue;
        }
        if kind.name == "athena_view"
            && let Value::Object(m) = &mut live
        {
            // Write-only: AWS keeps no record of it (see the kind's facts),
            // so the live value has none and the file needs one.
            m.insert("WorkGroup".into(), Value::String(workgroup.name.clone()));
        }
        let name = unique_name(id, kind, cfg, &state);
        let addr = Address::new(kind.name, name.clone());
        let Some(attributes) = kind.attributes(&live, &identity.region, &identity.account) else {
            eprintln!("error: {} `{id}` came back without its identity", kind.name);
            continue;
        };
        // The file: the live spec (keys sorted; not normalized, which would
        // drop required-but-empty members) without the account (twh fills
        // it), with variable values written back as references to them.
        let mut spec = crate::kinds::normalize::canonical(&live);
        if let (Some(field), Value::Object(m)) = (kind.account_field, &mut spec) {
            m.remove(field.trim_start_matches('/'));
        }
        crate::plan::unmanaged::strip(kind, &mut spec);
        substitute_back(&mut spec, &env.variables);
        if kind.name == "athena_view"
            && let (Some(r), Value::Object(m)) = (&workgroup.reference, &mut spec)
        {
            m.insert("WorkGroup".into(), Value::String(r.clone()));
        }
        let rel = format!("resources/{}/{}.json", kind.name, name);
        let path = g.dir.join(&rel);
        if path.exists() {
            eprintln!("skipped: `{rel}` already exists");
            continue;
        }
        let doc = serde_json::json!({"type": kind.name, "name": name, "spec": spec});
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        fs_err::write(&path, text).map_err(|e| e.to_string())?;
        let desired = Desired {
            addr: addr.clone(),
            kind,
            spec: live.clone(),
            sensitive: Vec::new(),
            attributes,
            lifecycle: Default::default(),
            depends_on: Vec::new(),
        };
        state.resources.insert(
            addr.clone(),
            state_record(
                &desired,
                &normalize(kind, &live),
                Some(normalize(kind, &live)),
                ResourceStatus::Applied,
            ),
        );
        state.serial += 1;
        ctx.backend.write(&state).await.map_err(|e| e.to_string())?;
        eprintln!("imported {} `{id}` as `{addr}` into {rel}", kind.name);
        if kind.name == "athena_view" {
            eprintln!(
                "  its DDL runs in workgroup `{}` ({})",
                workgroup.name, workgroup.why
            );
        }
        imported += 1;
    }
    Ok(imported)
}

/// The workgroup imported views get.
pub struct Workgroup {
    /// Its Athena name.
    name: String,
    /// `${ref:athena_workgroup.NAME.name}` when the files declare it.
    reference: Option<String>,
    /// Why this one, for the message.
    why: &'static str,
}

/// `--workgroup`, else the one workgroup the files declare (referenced, so
/// the view is ordered after it), else `primary`, the workgroup Athena
/// creates in every account and region ("Each account has a primary
/// workgroup", Athena User Guide, "Using workgroups").
fn view_workgroup(cfg: &Config, flag: Option<&str>) -> Workgroup {
    let declared: Vec<_> = cfg
        .resources
        .iter()
        .filter(|r| r.kind.name == "athena_workgroup")
        .collect();
    let by_name = |name: &str| {
        declared
            .iter()
            .find(|r| r.spec.get("Name").and_then(Value::as_str) == Some(name))
            .map(|r| format!("${{ref:{}.name}}", r.addr))
    };
    match (flag, declared.as_slice()) {
        (Some(name), _) => Workgroup {
            name: name.to_string(),
            reference: by_name(name),
            why: "--workgroup",
        },
        (None, [only]) if only.spec.get("Name").and_then(Value::as_str).is_some() => {
            let name = only
                .spec
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Workgroup {
                reference: by_name(&name),
                name,
                why: "the one athena_workgroup the files declare; pass --workgroup for another",
            }
        }
        _ => Workgroup {
            name: "primary".into(),
            reference: None,
            why: "Athena's default; pass --workgroup for another, one with a query result location",
        },
    }
}

/// A resource name from an AWS id: lowercase, invalid characters as `_`,
/// unique among declared and managed addresses.
fn unique_name(id: &str, kind: &KindDef, cfg: &Config, state: &StateFile) -> String {
    let last = id.rsplit('.').next().unwrap_or(id);
    let mut base: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !valid_name(&base) {
        base = format!("r_{base}");
    }
    let taken = |n: &str| {
        let a = Address::new(kind.name, n);
        cfg.resource(&a).is_some() || state.resources.contains_key(&a)
    };
    let mut name = base.clone();
    let mut i = 2;
    while taken(&name) {
        name = format!("{base}_{i}");
        i += 1;
    }
    name
}

/// Replaces variable values inside strings with `${var.NAME}` (longest
/// values first, and only values of 3 characters or more, so short values
/// do not rewrite unrelated text).
fn substitute_back(v: &mut Value, vars: &std::collections::BTreeMap<String, Value>) {
    let mut pairs: Vec<(&String, &str)> = vars
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s)))
        .filter(|(_, s)| s.len() >= 3 && !s.contains("${"))
        .collect();
    pairs.sort_by_key(|(_, s)| std::cmp::Reverse(s.len()));
    fn walk(v: &mut Value, pairs: &[(&String, &str)]) {
        match v {
            Value::String(s) => {
                let mut out = s.replace("${", "$${");
                for (name, value) in pairs {
                    out = out.replace(value, &format!("${{var.{name}}}"));
                }
                *s = out;
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, pairs)),
            Value::Object(m) => m.values_mut().for_each(|x| walk(x, pairs)),
            _ => {}
        }
    }
    walk(v, &pairs);
}

/// Looks the kind up for the command line.
pub fn kind_arg(name: &str) -> Result<&'static KindDef, String> {
    kinds::kind(name).ok_or_else(|| {
        format!(
            "unknown resource type `{name}`; known: {}",
            kinds::KINDS
                .iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_are_written_back() {
        let vars = [
            ("lake_bucket".to_string(), json!("twh-lake-dev")),
            ("n".to_string(), json!("ab")),
        ]
        .into_iter()
        .collect();
        let mut v = json!({"Path": "s3://twh-lake-dev/orders/", "X": "ab", "Y": "${literal}"});
        substitute_back(&mut v, &vars);
        assert_eq!(
            v,
            json!({"Path": "s3://${var.lake_bucket}/orders/", "X": "ab", "Y": "$${literal}"})
        );
    }
}

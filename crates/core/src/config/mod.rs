//! Loading the desired estate: every `*.json` under `resources/`, the chosen
//! environment file, `${...}` interpolation (phase one) and validation. Makes
//! no AWS call. Returns every problem at once as [`Diagnostics`], each placed
//! at its file, line and column.

pub mod edit;
pub mod environment;
mod files;
pub mod interpolate;
pub mod locate;
pub mod model;
mod moves;
pub mod read;
mod references;
mod resource;
pub mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::addr::Address;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
pub use environment::{Environment, StateBackend};
use environment::{parse_environment, read_environment};
use files::{parse_input, read_input, resource_files};
use interpolate::{Placeholder, Resolution, substitute};
pub use model::*;
use references::check_references;
use resource::{parse_resource, resource_objects, validate_spec};

/// Reads and validates the repository at `root` for environment `env`.
pub fn load(root: &Path, env: &str, opts: &LoadOptions) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let res_dir = root.join("resources");
    if !res_dir.is_dir() {
        diags.push(
            Diagnostic::error(format!("no `resources/` directory in `{}`", root.display()))
                .hint("run twh from the repository root, or pass `--dir PATH`"),
        );
        let cfg = Config {
            root: root.to_path_buf(),
            env_name: env.to_string(),
            ..Config::default()
        };
        return (cfg, diags);
    }
    let inputs = Inputs {
        environment: read_environment(root, env, &mut diags),
        resources: resource_files(&res_dir, root, &mut diags)
            .into_iter()
            .filter_map(|rel| read_input(root, rel, &mut diags))
            .collect(),
    };
    let (mut cfg, more) = load_inputs(env, inputs, opts);
    cfg.root = root.to_path_buf();
    diags.extend(more);
    diags.sort();
    (cfg, diags)
}

/// Reads and validates only the environment file of `env`: the one reader
/// of environment files, for commands that need the state backend without
/// loading the resources (`twh state ...`, `force-unlock`). The diagnostics
/// are the same as [`load`] gives for that file.
pub fn load_environment(root: &Path, env: &str) -> (Option<Environment>, Sources, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let parsed = read_environment(root, env, &mut diags)
        .and_then(|f| parse_environment(f, &mut sources, &mut diags));
    diags.sort();
    (parsed.filter(|_| !diags.has_errors()), sources, diags)
}

/// Parses and validates files already in memory: everything [`load`] does
/// after reading the disk. Never panics, whatever the bytes (the fuzz
/// target holds it to that).
pub fn load_inputs(env: &str, inputs: Inputs, opts: &LoadOptions) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut cfg = Config {
        env_name: env.to_string(),
        ..Config::default()
    };
    let env_file = inputs.environment.as_ref().map(|f| f.path.clone());
    cfg.env = inputs
        .environment
        .and_then(|f| parse_environment(f, &mut cfg.sources, &mut diags));
    let vars = cfg
        .env
        .as_ref()
        .map(|e| e.variables.clone())
        .unwrap_or_default();
    if let (Some(e), Some(file)) = (cfg.env.as_mut(), env_file)
        && let Some(x) = e.extract.as_mut()
    {
        interpolate_sink(&mut x.sink, &vars, env, &file, &cfg.sources, &mut diags);
    }

    let mut seen: BTreeMap<Address, Origin> = BTreeMap::new();
    let mut declared_moves = Vec::new();
    for input in inputs.resources {
        let file = input.path.clone();
        let Some(doc) = parse_input(input, &mut cfg.sources, &mut diags) else {
            continue;
        };
        if let Some(list) = doc.get("resources").filter(|v| !v.is_array())
            && doc.get("type").is_none()
        {
            diags.push(
                Diagnostic::error(format!(
                    "`resources` must be an array of resource objects, found {}",
                    validate::json_type(list)
                ))
                .at(Some(cfg.sources.locate(&file, "/resources", false)))
                .hint(r#"write {"resources": [{"type": ..., "name": ..., "spec": {...}}, ...]}"#),
            );
            continue;
        }
        if doc.get("type").is_none()
            && let Value::Object(m) = &doc
            && moves::FILE_KEYS.iter().any(|k| m.contains_key(*k))
        {
            for key in m.keys().filter(|k| !moves::FILE_KEYS.contains(&k.as_str())) {
                diags.push(
                    Diagnostic::error(format!(
                        "unknown field `{}` in a file of resources",
                        crate::diag::printable(key)
                    ))
                    .at(Some(cfg.sources.locate(&file, &format!("/{}", locate::escape(key)), true)))
                    .hint(match did_you_mean(key, moves::FILE_KEYS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => r#"a file holds one resource, or {"resources": [...], "moved": [...]} (both optional)"#.into(),
                    }),
                );
            }
        }
        declared_moves.extend(moves::parse_file_moves(
            &doc,
            &file,
            &cfg.sources,
            &mut diags,
        ));
        for (pointer, obj) in resource_objects(&doc) {
            let origin = Origin {
                file: file.clone(),
                pointer,
            };
            if let Some(r) = parse_resource(obj, &origin, &cfg.sources, &mut diags) {
                if let Some(first) = seen.get(&r.addr) {
                    diags.push(
                        Diagnostic::error(format!("duplicate resource address `{}`", r.addr))
                            .at(Some(cfg.sources.locate(
                                &origin.file,
                                &origin.pointer,
                                false,
                            )))
                            .detail(format!(
                                "first declared at {}",
                                cfg.sources.locate(&first.file, &first.pointer, false)
                            ))
                            .hint("give one of them another `name`"),
                    );
                    continue;
                }
                seen.insert(r.addr.clone(), origin.clone());
                cfg.resources.push(r);
            }
        }
    }

    // Phase one interpolation, then validation of each spec. Without a
    // readable environment file (already an error) every `${var.NAME}` would
    // be one more "undefined variable": they are left as they are instead.
    let env_name = env.to_string();
    let env_read = cfg.env.is_some();
    for r in &mut cfg.resources {
        let spec_ptr = format!("{}/spec", r.origin.pointer);
        let mut issues = Vec::new();
        let mut sensitive = Vec::new();
        let mut secret_warnings = Vec::new();
        substitute(
            &mut r.spec,
            "",
            &mut |p| match p {
                Placeholder::Env => Some(Ok(Value::String(env_name.clone()))),
                Placeholder::Var(n) => env_read.then(|| var_value(&vars, n, &env_name)),
                Placeholder::EnvVar(n) => {
                    if std::env::var_os(n).is_none() {
                        secret_warnings.push(n.clone());
                    }
                    None
                }
                _ => None,
            },
            &mut issues,
            &mut sensitive,
        );
        for i in issues {
            diags.push(
                Diagnostic::error(format!("{} (in `{}`)", i.message, r.addr))
                    .at(Some(cfg.sources.locate(
                        &r.origin.file,
                        &format!("{spec_ptr}{}", i.pointer),
                        false,
                    )))
                    .hint(i.hint.unwrap_or_else(|| {
                        "placeholders are ${env}, ${var.NAME}, ${ref:TYPE.NAME.ATTR}, ${cfn:STACK.OUTPUT} and ${env_var:NAME}; write $${ for a literal ${".into()
                    })),
            );
        }
        for n in secret_warnings {
            let d = if opts.require_secrets {
                Diagnostic::error
            } else {
                Diagnostic::warning
            };
            diags.push(
                d(format!(
                    "environment variable `{n}` is not set (used by `{}`)",
                    r.addr
                ))
                .at(Some(cfg.sources.locate(&r.origin.file, &spec_ptr, false)))
                .hint(format!(
                    "export {n}=... before running twh; its value is never printed or stored"
                )),
            );
        }
        validate_spec(r, &cfg.sources, &mut diags);
    }

    cfg.index = cfg
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.addr.clone(), i))
        .collect();
    check_references(&mut cfg, &mut diags);
    declared_moves.extend(moves::resource_moves(&cfg));
    moves::check_moves(&mut cfg, declared_moves, &mut diags);
    diags.sort();
    (cfg, diags)
}

/// Phase one for the environment file's `extract.sink`: `${env}` and
/// `${var.NAME}` substituted, `${cfn:...}` left for [`crate::plan::resolve`];
/// the other placeholders mean nothing there. The result must be an S3 URL.
fn interpolate_sink(
    sink: &mut String,
    vars: &BTreeMap<String, Value>,
    env: &str,
    file: &Path,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    const POINTER: &str = "/extract/sink";
    let mut value = Value::String(std::mem::take(sink));
    let mut issues = Vec::new();
    substitute(
        &mut value,
        "",
        &mut |p| match p {
            Placeholder::Env => Some(Ok(Value::String(env.to_string()))),
            Placeholder::Var(n) => Some(var_value(vars, n, env)),
            Placeholder::Cfn { .. } => None,
            Placeholder::Ref { .. } | Placeholder::EnvVar(_) => Some(Err((
                format!("`{p}` cannot be used in `extract.sink`"),
                Some("use ${env}, ${var.NAME} or ${cfn:STACK.OUTPUT}".into()),
            ))),
        },
        &mut issues,
        &mut Vec::new(),
    );
    let at = || Some(sources.locate(file, POINTER, false));
    for i in issues {
        diags.push(
            Diagnostic::error(format!("invalid environment file: {}", i.message))
                .at(at())
                .hint_opt(i.hint),
        );
    }
    *sink = match value {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let bucket = sink
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    if bucket.is_empty() {
        diags.push(
            Diagnostic::error(format!(
                "invalid environment file: `extract.sink` is `{}`, not an s3://bucket/prefix URL",
                crate::diag::printable(sink)
            ))
            .at(at())
            .hint_opt(environment::hint_for(POINTER, "")),
        );
    }
}

fn var_value(vars: &BTreeMap<String, Value>, name: &str, env: &str) -> Resolution {
    vars.get(name).cloned().ok_or_else(|| {
        let hint = match did_you_mean(name, vars.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if vars.is_empty() => {
                format!("define it under `variables` in resources/environments/{env}.json")
            }
            None => format!(
                "define it in resources/environments/{env}.json; defined: {}",
                vars.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
        (
            format!("undefined variable `{name}` in environment `{env}`"),
            Some(hint),
        )
    })
}

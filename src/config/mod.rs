//! Loading the desired estate: every `*.json` under `resources/`, the chosen
//! environment file, `${...}` interpolation (phase one) and validation. Makes
//! no AWS call. Returns every problem at once as [`Diagnostics`], each placed
//! at its file, line and column.

pub mod environment;
pub mod interpolate;
pub mod locate;
pub mod validate;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::addr::{Address, valid_name};
use crate::diag::{Diagnostic, Diagnostics, Location, SourceLookup, did_you_mean};
use crate::graph::{Graph, cycle_text};
use crate::kinds::{self, ATTRIBUTES, KindDef};
pub use environment::{Environment, StateBackend};
use interpolate::{Placeholder, Resolution, placeholders, substitute};
use locate::Positions;

/// Where a resource was declared: its file (relative to the repository
/// directory) and the JSON pointer of the resource object in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub pointer: String,
}

/// `lifecycle` settings of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Refuse to delete or replace this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Allow taking over a live resource that a CloudFormation stack created.
    #[serde(default)]
    pub adopt_from_cloudformation: bool,
    /// Spec fields (`A.B` or JSON pointers) left to someone else: twh keeps
    /// AWS's value, never compares it, and lists it as unmanaged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<String>,
}

/// One declared resource after phase-one interpolation.
#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: Address,
    pub kind: &'static KindDef,
    /// The spec with `${env}` and `${var...}` substituted; `${ref:...}`,
    /// `${cfn:...}` and `${env_var:...}` still in place.
    pub spec: Value,
    pub lifecycle: Lifecycle,
    /// Resources this one depends on (references and `depends_on`).
    pub depends_on: Vec<Address>,
    pub origin: Origin,
}

/// The loaded, validated desired estate of one environment.
#[derive(Debug, Default)]
pub struct Config {
    pub root: PathBuf,
    pub env_name: String,
    pub env: Option<Environment>,
    pub resources: Vec<Resource>,
    pub graph: Graph,
    pub sources: Sources,
    /// Address → position in `resources`.
    index: HashMap<Address, usize>,
}

impl Config {
    pub fn resource(&self, addr: &Address) -> Option<&Resource> {
        self.index.get(addr).map(|i| &self.resources[*i])
    }

    pub fn environment(&self) -> Environment {
        self.env.clone().unwrap_or_else(|| Environment {
            region: None,
            account_id: None,
            variables: BTreeMap::new(),
            state: StateBackend::Local,
        })
    }
}

/// The text and value positions of every file read, for placing and
/// rendering diagnostics.
#[derive(Debug, Default)]
pub struct Sources {
    files: HashMap<PathBuf, (String, Positions)>,
}

impl Sources {
    fn add(&mut self, file: PathBuf, text: String) {
        let pos = Positions::scan(&text);
        self.files.insert(file, (text, pos));
    }

    /// The location of `pointer` in `file` (of the member's key if `at_key`).
    pub fn locate(&self, file: &Path, pointer: &str, at_key: bool) -> Location {
        let (line, column) = self
            .files
            .get(file)
            .and_then(|(_, p)| {
                if at_key {
                    p.key(pointer)
                } else {
                    p.value(pointer)
                }
            })
            .unwrap_or((1, 1));
        Location {
            file: file.to_path_buf(),
            line,
            column,
        }
    }
}

impl SourceLookup for Sources {
    fn line(&self, file: &Path, line: usize) -> Option<String> {
        let (text, _) = self.files.get(file)?;
        text.lines().nth(line.checked_sub(1)?).map(str::to_string)
    }
}

/// Options for [`load`].
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Treat an unset `${env_var:...}` as an error (diff, sync) rather than a
    /// warning (validate, which needs no secrets).
    pub require_secrets: bool,
}

/// Reads and validates the repository at `root` for environment `env`.
pub fn load(root: &Path, env: &str, opts: &LoadOptions) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut cfg = Config {
        root: root.to_path_buf(),
        env_name: env.to_string(),
        ..Config::default()
    };
    let res_dir = root.join("resources");
    if !res_dir.is_dir() {
        diags.push(
            Diagnostic::error(format!("no `resources/` directory in `{}`", root.display()))
                .hint("run twh from the repository root, or pass `--dir PATH`"),
        );
        return (cfg, diags);
    }
    cfg.env = load_environment(root, env, &mut cfg.sources, &mut diags);
    let vars = cfg
        .env
        .as_ref()
        .map(|e| e.variables.clone())
        .unwrap_or_default();

    let mut seen: BTreeMap<Address, Origin> = BTreeMap::new();
    for file in resource_files(&res_dir, root, &mut diags) {
        let Some(doc) = read_json(root, &file, &mut cfg.sources, &mut diags) else {
            continue;
        };
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

    // Phase one interpolation, then validation of each spec.
    let env_name = env.to_string();
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
                Placeholder::Var(n) => Some(var_value(&vars, n, &env_name)),
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
                    .hint_opt(i.hint),
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
    diags.sort();
    (cfg, diags)
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

fn load_environment(
    root: &Path,
    env: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Environment> {
    let rel = PathBuf::from(format!("resources/environments/{env}.json"));
    if !root.join(&rel).is_file() {
        let known = environment::available(root);
        diags.push(
            Diagnostic::error(format!(
                "environment `{env}` is not defined: `{}` does not exist",
                rel.display()
            ))
            .hint_opt(Some(
                match did_you_mean(env, known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `--env {s}`?"),
                    None if known.is_empty() => {
                        "create it, e.g. {\"region\": \"us-east-1\", \"variables\": {}}".into()
                    }
                    None => format!("defined environments: {}", known.join(", ")),
                },
            )),
        );
        return None;
    }
    let doc = read_json(root, &rel, sources, diags)?;
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(&doc, &mut track);
    match <Environment as serde::Deserialize>::deserialize(de) {
        Ok(e) => {
            if let StateBackend::S3 { bucket, key, .. } = &e.state
                && let Err((field, msg)) = crate::state::s3::check_location(bucket, key)
            {
                diags.push(
                    Diagnostic::error(format!("invalid environment file: {msg}")).at(Some(
                        sources.locate(&rel, &format!("/state/{field}"), false),
                    )),
                );
                return None;
            }
            Some(e)
        }
        Err(err) => {
            let pointer = serde_pointer(&track.path());
            let msg = err.to_string();
            let hint = unknown_field_hint(&msg);
            diags.push(
                Diagnostic::error(format!("invalid environment file: {msg}"))
                    .at(Some(sources.locate(&rel, &pointer, hint.is_some())))
                    .hint_opt(hint),
            );
            None
        }
    }
}

fn serde_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                Some(format!("/{}", locate::escape(key)))
            }
            Segment::Unknown => None,
        })
        .collect()
}

fn unknown_field_hint(msg: &str) -> Option<String> {
    // serde: "unknown field `x`, expected one of `a`, `b`"
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(field, candidates).map(|s| format!("did you mean `{s}`?"))
}

/// Every `*.json` under `resources/` except environment files, sorted,
/// relative to `root`. Unreadable entries and symlink loops are reported.
fn resource_files(res_dir: &Path, root: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let env_dir = res_dir.join("environments");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(res_dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) => {
                let p = e.path();
                if e.file_type().is_file()
                    && p.extension().and_then(|x| x.to_str()) == Some("json")
                    && !p.starts_with(&env_dir)
                {
                    files.push(p.strip_prefix(root).unwrap_or(p).to_path_buf());
                }
            }
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string());
                let what = if err.loop_ancestor().is_some() {
                    "symlink loop"
                } else {
                    "cannot read"
                };
                diags.push(
                    Diagnostic::error(format!("{what}: `{}`", path.unwrap_or_default()))
                        .detail(err.to_string())
                        .hint("remove the entry or fix the link"),
                );
            }
        }
    }
    files
}

/// Reads and parses one JSON file; syntax and encoding errors are reported
/// with their position.
fn read_json(
    root: &Path,
    rel: &Path,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let bytes = match fs_err::read(root.join(rel)) {
        Ok(b) => b,
        Err(e) => {
            diags.push(
                Diagnostic::error(format!("cannot read `{}`", rel.display())).detail(e.to_string()),
            );
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            diags.push(
                Diagnostic::error(format!("`{}` is not UTF-8 text", rel.display()))
                    .at(Some(Location {
                        file: rel.to_path_buf(),
                        line,
                        column,
                    }))
                    .hint("save the file as UTF-8"),
            );
            return None;
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let parsed = serde_json::from_str::<Value>(body);
    sources.add(rel.to_path_buf(), text.clone());
    match parsed {
        Ok(v) => Some(v),
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            diags.push(
                Diagnostic::error(format!("invalid JSON in `{}`: {msg}", rel.display())).at(Some(
                    Location {
                        file: rel.to_path_buf(),
                        line: e.line().max(1),
                        column: e.column().max(1),
                    },
                )),
            );
            None
        }
    }
}

/// The resource objects in a file: the file itself, or each element of its
/// `resources` array.
fn resource_objects(doc: &Value) -> Vec<(String, &Value)> {
    match doc.get("resources") {
        Some(Value::Array(list)) if doc.get("type").is_none() => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/resources/{i}"), v))
            .collect(),
        _ => vec![(String::new(), doc)],
    }
}

const RESOURCE_FIELDS: &[&str] = &[
    "type",
    "name",
    "spec",
    "lifecycle",
    "depends_on",
    "description",
];

fn parse_resource(
    obj: &Value,
    origin: &Origin,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Option<Resource> {
    let at = |suffix: &str, key: bool| {
        Some(sources.locate(&origin.file, &format!("{}{suffix}", origin.pointer), key))
    };
    let Value::Object(map) = obj else {
        diags.push(
            Diagnostic::error(format!("expected a resource object, found {}", validate::json_type(obj)))
                .at(at("", false))
                .hint(r#"a resource file holds {"type": ..., "name": ..., "spec": {...}} or {"resources": [...]}"#),
        );
        return None;
    };
    let mut ok = true;
    for key in map
        .keys()
        .filter(|k| !RESOURCE_FIELDS.contains(&k.as_str()))
    {
        diags.push(
            Diagnostic::error(format!("unknown field `{key}` in resource"))
                .at(at(&format!("/{}", locate::escape(key)), true))
                .hint(match did_you_mean(key, RESOURCE_FIELDS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("resource fields are: {}", RESOURCE_FIELDS.join(", ")),
                }),
        );
        ok = false;
    }
    let kind_name = match map.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            diags.push(
                Diagnostic::error(format!(
                    "`type` must be a string, found {}",
                    validate::json_type(other)
                ))
                .at(at("/type", false)),
            );
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error("missing required field `type` in resource")
                    .at(at("", false))
                    .hint(format!(
                        "one of: {}",
                        kinds::KINDS
                            .iter()
                            .map(|k| k.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            );
            return None;
        }
    };
    let Some(kind) = kinds::kind(kind_name) else {
        diags.push(
            Diagnostic::error(format!("unknown resource type `{kind_name}`"))
                .at(at("/type", false))
                .hint(
                    match did_you_mean(kind_name, kinds::KINDS.iter().map(|k| k.name)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "known types: {}",
                            kinds::KINDS
                                .iter()
                                .map(|k| k.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                ),
        );
        return None;
    };
    let name = match map.get("name") {
        Some(Value::String(s)) if valid_name(s) => s.clone(),
        Some(Value::String(s)) => {
            diags.push(
                Diagnostic::error(format!("invalid resource name `{s}`"))
                    .at(at("/name", false))
                    .hint("use letters, digits, `_` and `-`, starting with a letter or `_`"),
            );
            return None;
        }
        Some(other) => {
            diags.push(
                Diagnostic::error(format!(
                    "`name` must be a string, found {}",
                    validate::json_type(other)
                ))
                .at(at("/name", false)),
            );
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error("missing required field `name` in resource").at(at("", false)),
            );
            return None;
        }
    };
    let addr = Address::new(kind.name, name);
    let spec = match map.get("spec") {
        Some(v @ Value::Object(_)) => v.clone(),
        Some(other) => {
            diags.push(
                Diagnostic::error(format!(
                    "`spec` of `{addr}` must be an object, found {}",
                    validate::json_type(other)
                ))
                .at(at("/spec", false)),
            );
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error(format!("missing required field `spec` in `{addr}`"))
                    .at(at("", false))
                    .hint(format!(
                        "`spec` is the AWS `{}` input; see `twh schema {}`",
                        kind.spec_shape, kind.name
                    )),
            );
            return None;
        }
    };
    let lifecycle = match map.get("lifecycle") {
        None => Lifecycle::default(),
        Some(v) => match serde_json::from_value::<Lifecycle>(v.clone()) {
            Ok(l) => l,
            Err(e) => {
                let msg = e.to_string();
                diags.push(
                    Diagnostic::error(format!("invalid `lifecycle` in `{addr}`: {msg}"))
                        .at(at("/lifecycle", false))
                        .hint_opt(unknown_field_hint(&msg).or(Some(
                            "fields: prevent_destroy, adopt_from_cloudformation, ignore_changes".into(),
                        ))),
                );
                ok = false;
                Lifecycle::default()
            }
        },
    };
    let mut depends_on = Vec::new();
    match map.get("depends_on") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(str::parse::<Address>) {
                    Some(Ok(a)) => depends_on.push(a),
                    Some(Err(e)) => {
                        diags.push(Diagnostic::error(e).at(at(&format!("/depends_on/{i}"), false)));
                        ok = false;
                    }
                    None => {
                        diags.push(Diagnostic::error("`depends_on` entries must be strings like `glue_database.warehouse`").at(at(&format!("/depends_on/{i}"), false)));
                        ok = false;
                    }
                }
            }
        }
        Some(_) => {
            diags.push(
                Diagnostic::error("`depends_on` must be an array of resource addresses")
                    .at(at("/depends_on", false)),
            );
            ok = false;
        }
    }
    ok.then(|| Resource {
        addr,
        kind,
        spec,
        lifecycle,
        depends_on,
        origin: origin.clone(),
    })
}

/// Shape validation, account fields, lowercase names and identity presence.
fn validate_spec(r: &Resource, sources: &Sources, diags: &mut Diagnostics) {
    let spec_ptr = format!("{}/spec", r.origin.pointer);
    let locate =
        |p: &str, key: bool| Some(sources.locate(&r.origin.file, &format!("{spec_ptr}{p}"), key));
    let mut spec = r.spec.clone();
    // Account fields may be omitted; twh fills them from the caller identity.
    if let (Some(field), Value::Object(m)) = (r.kind.account_field, &mut spec) {
        let key = field.trim_start_matches('/');
        m.entry(key)
            .or_insert_with(|| Value::String("000000000000".into()));
    }
    if let Some(shapes) = r.kind.shapes() {
        let mut problems = Vec::new();
        validate::check(shapes, r.kind.spec_shape, &spec, "", &mut problems);
        for p in problems {
            diags.push(
                Diagnostic::error(format!("{} (in `{}`)", p.message, r.addr))
                    .at(locate(&p.pointer, p.at_key))
                    .hint_opt(p.hint),
            );
        }
        for (i, path) in r.lifecycle.ignore_changes.iter().enumerate() {
            let pointer = crate::plan::unmanaged::to_pointer(path);
            let bad = if pointer.len() < 2 {
                Some(("an empty path".to_string(), None))
            } else {
                validate::check_path(shapes, r.kind.spec_shape, &pointer)
                    .err()
                    .map(|(seg, hint)| (format!("`{seg}`"), hint))
            };
            if let Some((what, hint)) = bad {
                let at = format!("{}/lifecycle/ignore_changes/{i}", r.origin.pointer);
                diags.push(
                    Diagnostic::error(format!(
                        "`lifecycle.ignore_changes` of `{}` names {what}, which is not a field of {}",
                        r.addr, r.kind.spec_shape
                    ))
                    .at(Some(sources.locate(&r.origin.file, &at, false)))
                    .hint_opt(hint.or_else(|| {
                        Some(format!("paths look like `A.B.C`; see `twh schema {}`", r.kind.name))
                    })),
                );
            }
        }
    }
    for field in r.kind.lowercase {
        if let Some(Value::String(s)) = r.spec.pointer(field)
            && !interpolate::has_placeholder(s)
            && s.chars().any(char::is_uppercase)
        {
            diags.push(
                Diagnostic::error(format!(
                    "`{}` must be lowercase in `{}`: Glue stores names in lowercase, so `{s}` would show as a change forever",
                    validate::display_path(field),
                    r.addr
                ))
                .at(locate(field, false))
                .hint(format!("use `{}`", s.to_lowercase())),
            );
        }
    }
}

/// References name declared resources and valid attributes; the graph has
/// no cycle.
fn check_references(cfg: &mut Config, diags: &mut Diagnostics) {
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

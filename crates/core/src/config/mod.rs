//! Loading the desired estate: every `*.json` under `resources/`, the chosen
//! environment file, `${...}` interpolation (phase one) and validation. Makes
//! no AWS call. Returns every problem at once as [`Diagnostics`], each placed
//! at its file, line and column.

pub mod environment;
pub mod interpolate;
pub mod locate;
pub mod read;
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
    fn add(&mut self, file: PathBuf, text: String, positions: Positions) {
        self.files.insert(file, (text, positions));
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

/// One input file, already read: its path relative to the repository and
/// its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// A repository's files, read but not yet parsed: what [`load`] reads from
/// disk, or what a caller that has no disk (the fuzz target) makes up.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The environment file; `None` when it could not be read (reported).
    pub environment: Option<InputFile>,
    /// Resource files, in the order they are to be read.
    pub resources: Vec<InputFile>,
}

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

/// Parses and validates files already in memory: everything [`load`] does
/// after reading the disk. Never panics, whatever the bytes (the fuzz
/// target holds it to that).
pub fn load_inputs(env: &str, inputs: Inputs, opts: &LoadOptions) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut cfg = Config {
        env_name: env.to_string(),
        ..Config::default()
    };
    cfg.env = inputs
        .environment
        .and_then(|f| parse_environment(f, &mut cfg.sources, &mut diags));
    let vars = cfg
        .env
        .as_ref()
        .map(|e| e.variables.clone())
        .unwrap_or_default();

    let mut seen: BTreeMap<Address, Origin> = BTreeMap::new();
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

/// The environment file's bytes, or a diagnostic naming the defined
/// environments when it does not exist.
fn read_environment(root: &Path, env: &str, diags: &mut Diagnostics) -> Option<InputFile> {
    let rel = PathBuf::from(format!("resources/environments/{env}.json"));
    if !root.join(&rel).is_file() {
        let known = environment::available(root);
        diags.push(
            Diagnostic::error(format!(
                "environment `{}` is not defined: `{}` does not exist",
                crate::diag::printable(env),
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
    read_input(root, rel, diags)
}

/// Parses and checks an environment file.
fn parse_environment(
    file: InputFile,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Environment> {
    let rel = file.path.clone();
    let doc = parse_input(file, sources, diags)?;
    // serde would also read the struct from an array.
    if !doc.is_object() {
        diags.push(
            Diagnostic::error(format!(
                "invalid environment file: expected an object, found {}",
                validate::json_type(&doc)
            ))
            .at(Some(sources.locate(&rel, "", false)))
            .hint_opt(environment::hint_for("", "invalid type")),
        );
        return None;
    }
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(&doc, &mut track);
    match <Environment as serde::Deserialize>::deserialize(de) {
        Ok(e) => {
            let mut problems = environment::check(&e);
            if let StateBackend::S3 { bucket, key, .. } = &e.state
                && let Err((field, msg)) = crate::state::check_location(bucket, key)
            {
                problems.push(environment::Problem {
                    pointer: format!("/state/{field}"),
                    message: msg,
                    hint: if field == "bucket" {
                        "the bucket must exist (versioning on); twh never creates it".into()
                    } else {
                        "each environment keeps its state in one object of its own".into()
                    },
                });
            }
            for p in &problems {
                diags.push(
                    Diagnostic::error(format!("invalid environment file: {}", p.message))
                        .at(Some(sources.locate(&rel, &p.pointer, false)))
                        .hint(p.hint.clone()),
                );
            }
            problems.is_empty().then_some(e)
        }
        Err(err) => {
            let pointer = serde_pointer(&track.path());
            let msg = err.to_string();
            let hint = unknown_field_hint(&msg);
            let at_key = hint.is_some();
            let hint = hint.or_else(|| environment::hint_for(&pointer, &msg));
            diags.push(
                Diagnostic::error(format!("invalid environment file: {msg}"))
                    .at(Some(sources.locate(&rel, &pointer, at_key)))
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
            Err(err) => diags.push(walk_error(&err, root)),
        }
    }
    files
}

/// A directory entry under `resources/` that cannot be followed: a symlink
/// loop, a dangling symlink, or an unreadable entry. Named relative to the
/// repository, with where a link points.
fn walk_error(err: &walkdir::Error, root: &Path) -> Diagnostic {
    let path = err.path().unwrap_or(root);
    let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let target = fs_err::read_link(path).ok();
    let shown_target = target
        .as_ref()
        .map(|t| format!(" → `{}`", t.display()))
        .unwrap_or_default();
    let is_loop = err.loop_ancestor().is_some()
        || err
            .io_error()
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(|c| c == 40); // ELOOP
    let (summary, hint) = if is_loop {
        (
            format!("symlink loop at `{}`{shown_target}", rel.display()),
            "a link under `resources/` points back at itself or a parent directory; remove it or point it at a file",
        )
    } else if target.is_some()
        && err
            .io_error()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        (
            format!("dangling symlink `{}`{shown_target}", rel.display()),
            "the link's target does not exist; restore the target or remove the link",
        )
    } else {
        let why = err
            .io_error()
            .map(|e| format!(": {}", e.kind()))
            .unwrap_or_default();
        (
            format!("cannot read `{}`{why}", rel.display()),
            "check its permissions, or remove it from `resources/`",
        )
    };
    Diagnostic::error(summary)
        .at(Some(Location {
            file: rel,
            line: 1,
            column: 1,
        }))
        .hint(hint)
}

/// Reads one file from disk, refusing one over [`read::MAX_FILE_BYTES`]
/// before reading it.
fn read_input(root: &Path, rel: PathBuf, diags: &mut Diagnostics) -> Option<InputFile> {
    use std::io::Read as _;
    let path = root.join(&rel);
    let result = fs_err::File::open(&path).and_then(|f| {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len > read::MAX_FILE_BYTES as u64 {
            return Ok(Err(len));
        }
        // `take`: a file that grows while being read still stops here.
        let mut bytes = Vec::new();
        f.take(read::MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)?;
        Ok(Ok(bytes))
    });
    match result {
        Ok(Ok(bytes)) => Some(InputFile { path: rel, bytes }),
        Ok(Err(len)) => {
            diags.push(read::too_big(&rel, len).at(Some(Location {
                file: rel.clone(),
                line: 1,
                column: 1,
            })));
            None
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(format!("cannot read `{}`", rel.display()))
                    .at(Some(Location {
                        file: rel.clone(),
                        line: 1,
                        column: 1,
                    }))
                    .detail(e.kind().to_string())
                    .hint("check the file's permissions, or remove it from `resources/`"),
            );
            None
        }
    }
}

/// Parses one input; size, encoding, syntax and duplicate-key errors are
/// reported with their position.
fn parse_input(file: InputFile, sources: &mut Sources, diags: &mut Diagnostics) -> Option<Value> {
    let rel = file.path;
    match read::parse_file(&rel, file.bytes) {
        Ok(p) => {
            sources.add(rel, p.text, p.positions);
            Some(p.value)
        }
        Err(f) => {
            if let Some(text) = f.text {
                sources.add(rel.clone(), text, Positions::default());
            }
            for mut d in f.diags {
                if d.location.is_none() {
                    d.location = Some(Location {
                        file: rel.clone(),
                        line: 1,
                        column: 1,
                    });
                }
                diags.push(d);
            }
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

fn kind_names() -> String {
    kinds::KINDS
        .iter()
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
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
            Diagnostic::error(format!(
                "unknown field `{}` in resource",
                crate::diag::printable(key)
            ))
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
                .at(at("/type", false))
                .hint(format!(
                    "write one kind, e.g. `\"type\": \"glue_database\"`; kinds: {}",
                    kind_names()
                )),
            );
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error("missing required field `type` in resource")
                    .at(at("", false))
                    .hint(format!("one of: {}", kind_names())),
            );
            return None;
        }
    };
    let Some(kind) = kinds::kind(kind_name) else {
        diags.push(
            Diagnostic::error(format!(
                "unknown resource type `{}`",
                crate::diag::printable(kind_name)
            ))
            .at(at("/type", false))
            .hint(
                match did_you_mean(kind_name, kinds::KINDS.iter().map(|k| k.name)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("known types: {}", kind_names()),
                },
            ),
        );
        return None;
    };
    let name = match map.get("name") {
        Some(Value::String(s)) if valid_name(s) => s.clone(),
        Some(Value::String(s)) => {
            diags.push(
                Diagnostic::error(format!(
                    "invalid resource name `{}`",
                    crate::diag::printable(s)
                ))
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
                .at(at("/spec", false))
                .hint(format!(
                    "`spec` is the AWS `{}` input as an object; `twh schema {}` shows its fields",
                    kind.spec_shape, kind.name
                )),
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
        // serde would also read a struct from an array (`[true]`).
        Some(v) if !v.is_object() => {
            diags.push(
                Diagnostic::error(format!(
                    "`lifecycle` of `{addr}` must be an object, found {}",
                    validate::json_type(v)
                ))
                .at(at("/lifecycle", false))
                .hint(r#"e.g. "lifecycle": {"prevent_destroy": true}"#),
            );
            ok = false;
            Lifecycle::default()
        }
        Some(v) => match serde_json::from_value::<Lifecycle>(v.clone()) {
            Ok(l) => l,
            Err(e) => {
                let msg = e.to_string();
                diags.push(
                    Diagnostic::error(format!("invalid `lifecycle` in `{addr}`: {msg}"))
                        .at(at("/lifecycle", false))
                        .hint_opt(unknown_field_hint(&msg).or(Some(
                            "`lifecycle` holds `prevent_destroy` and `adopt_from_cloudformation` (each `true` or `false`, without quotes) and `ignore_changes` (a list of field paths)".into(),
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
                        diags.push(
                            Diagnostic::error(e)
                                .at(at(&format!("/depends_on/{i}"), false))
                                .hint("name a resource declared in this repository as TYPE.NAME"),
                        );
                        ok = false;
                    }
                    None => {
                        diags.push(
                            Diagnostic::error("`depends_on` entries must be strings")
                                .at(at(&format!("/depends_on/{i}"), false))
                                .hint("write an address as a string, e.g. `\"glue_database.warehouse\"`"),
                        );
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
                    .hint(p.hint.unwrap_or_else(|| {
                        format!(
                            "`spec` is the AWS `{}` input; `twh schema {}` lists every field with its type and limits",
                            r.kind.spec_shape, r.kind.name
                        )
                    })),
            );
        }
        for (i, path) in r.lifecycle.ignore_changes.iter().enumerate() {
            let pointer = crate::plan::unmanaged::to_pointer(path);
            let bad = if pointer.len() < 2 {
                Some(("an empty path".to_string(), None))
            } else if r
                .kind
                .identity
                .iter()
                .any(|id| id.starts_with(&pointer) || pointer.starts_with(id))
            {
                // The identity names the resource: leaving it to AWS would
                // make twh manage a different resource than the file names.
                Some((
                    format!("`{path}`, the resource's identity, which cannot be left to AWS"),
                    Some("remove it from `ignore_changes`; to change the identity, rename it in the file".to_string()),
                ))
            } else {
                validate::check_path(shapes, r.kind.spec_shape, &pointer)
                    .err()
                    .map(|(seg, hint)| {
                        (
                            format!("`{seg}`, which is not a field of {}", r.kind.spec_shape),
                            hint,
                        )
                    })
            };
            if let Some((what, hint)) = bad {
                let at = format!("{}/lifecycle/ignore_changes/{i}", r.origin.pointer);
                diags.push(
                    Diagnostic::error(format!(
                        "`lifecycle.ignore_changes` of `{}` names {what}",
                        r.addr
                    ))
                    .at(Some(sources.locate(&r.origin.file, &at, false)))
                    .hint_opt(hint.or_else(|| {
                        Some(format!(
                            "paths look like `A.B.C`; see `twh schema {}`",
                            r.kind.name
                        ))
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

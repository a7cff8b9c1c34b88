//! One resource object of a file: its envelope (`type`, `name`, `spec`,
//! `lifecycle`, `depends_on`, `moved_from`), the spec parsed against its kind's shape with
//! serde's positions, and the per-field validation of the spec.

use serde_json::Value;

use crate::addr::{Address, valid_name};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::kinds::{self};

use super::model::{Lifecycle, Origin, Resource, Sources};
use super::{locate, validate};

pub(super) fn serde_pointer(path: &serde_path_to_error::Path) -> String {
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

pub(super) fn unknown_field_hint(msg: &str) -> Option<String> {
    // serde: "unknown field `x`, expected one of `a`, `b`"
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(field, candidates).map(|s| format!("did you mean `{s}`?"))
}

/// The resource objects in a file: the file itself, or each element of its
/// `resources` array (none in a file that holds only `moved`).
pub(super) fn resource_objects(doc: &Value) -> Vec<(String, &Value)> {
    match doc.get("resources") {
        Some(Value::Array(list)) if doc.get("type").is_none() => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/resources/{i}"), v))
            .collect(),
        None if doc.get("type").is_none() && doc.get("moved").is_some() => Vec::new(),
        _ => vec![(String::new(), doc)],
    }
}

pub(super) fn kind_names() -> String {
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
    "moved_from",
    "description",
];

pub(super) fn parse_resource(
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
    let moved_from = parse_moved_from(map.get("moved_from"), &addr, &at, diags, &mut ok);
    ok.then(|| Resource {
        addr,
        kind,
        spec,
        lifecycle,
        depends_on,
        moved_from,
        origin: origin.clone(),
    })
}

/// `"moved_from": "TYPE.OLD"` or a list of them (a resource renamed more
/// than once keeps every old address, so a state from any earlier version
/// still follows it). Only the form is checked here; what the addresses
/// name is checked with the other moves (`config::moves`).
fn parse_moved_from(
    value: Option<&Value>,
    addr: &Address,
    at: &dyn Fn(&str, bool) -> Option<crate::diag::Location>,
    diags: &mut Diagnostics,
    ok: &mut bool,
) -> Vec<Address> {
    let items: Vec<(String, &Value)> = match value {
        None => return Vec::new(),
        Some(v @ Value::String(_)) => vec![("/moved_from".to_string(), v)],
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/moved_from/{i}"), v))
            .collect(),
        Some(other) => {
            diags.push(
                Diagnostic::error(format!(
                    "`moved_from` of `{addr}` must be an address or a list of addresses, found {}",
                    validate::json_type(other)
                ))
                .at(at("/moved_from", false))
                .hint(format!(
                    "write the address this resource had before, e.g. `\"moved_from\": \"{}.old_name\"`",
                    addr.kind
                )),
            );
            *ok = false;
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (pointer, item) in items {
        match item.as_str().map(str::parse::<Address>) {
            Some(Ok(a)) => out.push(a),
            Some(Err(e)) => {
                diags.push(
                    Diagnostic::error(format!("invalid `moved_from` of `{addr}`: {e}"))
                        .at(at(&pointer, false))
                        .hint("write the address this resource had before, as TYPE.NAME"),
                );
                *ok = false;
            }
            None => {
                diags.push(
                    Diagnostic::error(format!("`moved_from` entries of `{addr}` must be strings"))
                        .at(at(&pointer, false))
                        .hint(format!(
                            "write an address as a string, e.g. `\"{}.old_name\"`",
                            addr.kind
                        )),
                );
                *ok = false;
            }
        }
    }
    out
}

/// Shape validation, account fields and identity presence. (Mixed-case
/// Glue names are accepted: resolve folds them as Glue stores them.)
pub(super) fn validate_spec(r: &Resource, sources: &Sources, diags: &mut Diagnostics) {
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
    for (i, actions) in crate::kinds::permissions::invalid_entries(r.kind.permission_sets, &r.spec)
    {
        diags.push(
            Diagnostic::error(format!(
                "`Permissions[{i}].Actions` of `{}` is not a permission set QuickSight accepts: [{}]",
                r.addr,
                actions.join(", ")
            ))
            .at(locate(&format!("/Permissions/{i}/Actions"), false))
            .hint(format!(
                "QuickSight accepts only whole sets: {}",
                crate::kinds::permissions::describe_sets(r.kind.permission_sets)
            )),
        );
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
            let pointer = crate::pointer::to_pointer(path);
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
}

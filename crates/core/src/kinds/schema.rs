//! JSON Schemas for editors and CI: a resource file (either shape, every
//! kind), one kind's `spec`, and an environment file.
//!
//! The spec schemas are written from the same facts `twh validate` walks (the
//! model shapes of `twh-spec`, and twh's own in [`super::custom`]), not from
//! a second description of the types. So the schema and the validator agree
//! on every member, required field, enum and limit, and the places where
//! twh is more lenient than the raw model are lenient in both:
//! - an account field (`AwsAccountId`, `CatalogId`) may be omitted: twh fills
//!   it from the caller's identity;
//! - any value may be a string with a placeholder (`${var.x}`, `${ref:...}`,
//!   `${cfn:...}`), checked once it is resolved.
//!
//! Every shape becomes one entry of the root `$defs` (`glue.Column`,
//! `quicksight.DataSetSpec`, ...) and every `$ref` is `#/$defs/<entry>` of
//! the document it is in, so each reference resolves in any validator.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{KINDS, KindDef};
use crate::spec::model::{ServiceShapes, ShapeKind};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A string holding a placeholder: accepted in place of any value, as the
/// validator does (`interpolate::has_placeholder`).
const PLACEHOLDER: &str = r"\$\{[^}]*\}";

/// The schema of one kind's spec, or of a whole resource file for all kinds.
pub fn json_schema(kind: Option<&str>) -> Result<Value, String> {
    match kind {
        Some(k) => {
            let def = super::kind(k).ok_or_else(|| {
                format!(
                    "unknown resource type `{k}`; known: {}",
                    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                )
            })?;
            let mut defs = Defs::default();
            defs.spec(def);
            // The spec's own entry is the document itself.
            let root = defs
                .0
                .remove(&format!("{}.{}", def.name, def.spec_shape))
                .unwrap_or_else(|| json!({"type": "object"}));
            Ok(document(
                &format!("twh {} spec", def.name),
                &format!(
                    "The `spec` of a `{}` resource: the AWS `{}` input.",
                    def.name, def.spec_shape
                ),
                root,
                defs,
            ))
        }
        None => Ok(resource_file_schema()),
    }
}

/// The schema of an environment file, `resources/environments/<env>.json`,
/// from the type the loader reads it into.
pub fn environment_schema() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(crate::config::Environment))
        .unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("$schema".into(), json!(DRAFT));
        m.insert("title".into(), json!("twh environment file"));
    }
    // The checks serde cannot make (`environment::check`), as patterns.
    use crate::config::environment::{ACCOUNT_PATTERN, REGION_PATTERN, VARIABLE_PATTERN};
    add_patterns(
        &mut v,
        &[("region", REGION_PATTERN), ("account_id", ACCOUNT_PATTERN)],
    );
    v["properties"]["variables"]["propertyNames"] = json!({"pattern": VARIABLE_PATTERN});
    v
}

/// Sets `pattern` on every property of these names, wherever it is
/// declared (the state backend's `region` is inside a variant).
fn add_patterns(v: &mut Value, rules: &[(&str, &str)]) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get_mut("properties") {
                for (name, pattern) in rules {
                    if let Some(Value::Object(p)) = props.get_mut(*name) {
                        p.insert("pattern".into(), json!(pattern));
                    }
                }
            }
            m.values_mut().for_each(|c| add_patterns(c, rules));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| add_patterns(c, rules)),
        _ => {}
    }
}

fn resource_file_schema() -> Value {
    let mut defs = Defs::default();
    let mut by_kind = Vec::new();
    for k in KINDS {
        let spec = defs.spec(k);
        by_kind.push(json!({
            "if": {"properties": {"type": {"const": k.name}}, "required": ["type"]},
            "then": {"properties": {"spec": spec}}
        }));
    }
    let lifecycle = serde_json::to_value(schemars::schema_for!(crate::config::Lifecycle))
        .unwrap_or(Value::Null);
    defs.insert("twh.Lifecycle", strip_meta(lifecycle));
    defs.insert(
        "twh.Resource",
        json!({
            "type": "object",
            "description": "One resource: its kind, its name (the address is TYPE.NAME) and its spec.",
            "required": ["type", "name", "spec"],
            "additionalProperties": false,
            "properties": {
                "type": {"enum": KINDS.iter().map(|k| k.name).collect::<Vec<_>>(),
                         "description": "The resource kind."},
                "name": {"type": "string", "pattern": crate::addr::NAME_PATTERN,
                         "description": "The resource's name in the files; with the type, its address (TYPE.NAME)."},
                "description": {"type": "string"},
                "spec": {"type": "object", "description": "The AWS input, as the API takes it."},
                "lifecycle": {"$ref": "#/$defs/twh.Lifecycle"},
                "depends_on": {
                    "type": "array",
                    "description": "Resources to create first, besides those referenced with ${ref:...}.",
                    "items": {"$ref": "#/$defs/twh.Address"}
                },
                "moved_from": {
                    "description": "The address this resource had before a rename (TYPE.OLD), or several: the rename is a move, not a delete and a create.",
                    "anyOf": [
                        {"$ref": "#/$defs/twh.Address"},
                        {"type": "array", "items": {"$ref": "#/$defs/twh.Address"}}
                    ]
                }
            },
            "allOf": by_kind
        }),
    );
    defs.insert(
        "twh.Address",
        json!({"type": "string", "pattern": crate::addr::ADDRESS_PATTERN,
               "description": "A resource address, TYPE.NAME."}),
    );
    defs.insert(
        "twh.ResourceList",
        json!({
            "type": "object",
            "description": "Several resources in one file, and renames (`moved`), both optional.",
            "additionalProperties": false,
            "properties": {
                "resources": {"type": "array", "items": {"$ref": "#/$defs/twh.Resource"}},
                "moved": {
                    "type": "array",
                    "description": "Renames, as Terraform's moved blocks: the resource at `from` is now at `to`.",
                    "items": {
                        "type": "object",
                        "required": ["from", "to"],
                        "additionalProperties": false,
                        "properties": {
                            "from": {"$ref": "#/$defs/twh.Address"},
                            "to": {"$ref": "#/$defs/twh.Address"}
                        }
                    }
                }
            }
        }),
    );
    // The loader's rule: `resources` or `moved` and no `type` is a list
    // file (config::moves::FILE_KEYS).
    let root = json!({
        "if": {"type": "object",
               "anyOf": [{"required": ["resources"]}, {"required": ["moved"]}],
               "not": {"required": ["type"]}},
        "then": {"$ref": "#/$defs/twh.ResourceList"},
        "else": {"$ref": "#/$defs/twh.Resource"}
    });
    document(
        "twh resource file",
        "One resource ({\"type\", \"name\", \"spec\"}) or several ({\"resources\": [...]}).",
        root,
        defs,
    )
}

fn document(title: &str, description: &str, root: Value, defs: Defs) -> Value {
    let mut doc = Map::new();
    doc.insert("$schema".into(), json!(DRAFT));
    doc.insert("title".into(), json!(title));
    doc.insert("description".into(), json!(description));
    if let Value::Object(m) = root {
        doc.extend(m);
    }
    doc.insert(
        "$defs".into(),
        Value::Object(defs.0.into_iter().collect::<Map<_, _>>()),
    );
    Value::Object(doc)
}

/// schemars' own `$schema` and `title` belong to a root, not to a `$defs`
/// entry.
fn strip_meta(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("$schema");
        m.remove("title");
    }
    v
}

/// The `$defs` of one document, filled as shapes are reached.
#[derive(Default)]
struct Defs(BTreeMap<String, Value>);

impl Defs {
    fn insert(&mut self, name: &str, v: Value) {
        self.0.insert(name.to_string(), v);
    }

    /// The schema of a kind's spec: its root shape, with the account field
    /// (which twh fills) not required.
    fn spec(&mut self, kind: &KindDef) -> Value {
        let Some(shapes) = kind.shapes() else {
            return json!({"type": "object"});
        };
        let entry = format!("{}.{}", kind.name, kind.spec_shape);
        if !self.0.contains_key(&entry) {
            let mut root = self.shape(shapes, kind.spec_shape);
            // The loader needs the spec itself to be an object.
            root["type"] = json!("object");
            if let Value::Object(m) = &mut root {
                m.remove("pattern");
            }
            let account = kind.account_field.map(|f| f.trim_start_matches('/'));
            if let (Some(field), Some(Value::Array(req))) = (account, root.get_mut("required")) {
                req.retain(|r| r != field);
            }
            self.insert(&entry, root);
        }
        json!({"$ref": format!("#/$defs/{entry}")})
    }

    /// A reference to `shape`, writing its entry (and those it reaches) once.
    fn reference(&mut self, shapes: &'static ServiceShapes, shape: &str) -> Value {
        let entry = format!("{}.{shape}", shapes.service);
        if !self.0.contains_key(&entry) {
            // Reserve the entry first: shapes may be recursive.
            self.insert(&entry, Value::Null);
            let v = self.shape(shapes, shape);
            self.insert(&entry, v);
        }
        json!({"$ref": format!("#/$defs/{entry}")})
    }

    /// The schema of one shape. Each type also admits a placeholder string:
    /// `pattern` applies only to strings and `properties`, `items` and
    /// `minimum` only to their own types, so a type list says both at once.
    fn shape(&mut self, shapes: &'static ServiceShapes, name: &str) -> Value {
        let Some(def) = shapes.get(name) else {
            return json!({});
        };
        match &def.kind {
            ShapeKind::Structure { members } => {
                let mut props = Map::new();
                for m in members.iter() {
                    props.insert(m.name.to_string(), self.reference(shapes, m.shape));
                }
                let required: Vec<&str> = members
                    .iter()
                    .filter(|m| m.required)
                    .map(|m| m.name)
                    .collect();
                let mut v = json!({
                    "type": ["object", "string"],
                    "pattern": PLACEHOLDER,
                    "properties": props,
                    "additionalProperties": false
                });
                if !required.is_empty() {
                    v["required"] = json!(required);
                }
                v
            }
            ShapeKind::List { member, min, max } => {
                let mut v = json!({
                    "type": ["array", "string"],
                    "pattern": PLACEHOLDER,
                    "items": self.reference(shapes, member)
                });
                limit(&mut v, "minItems", *min);
                limit(&mut v, "maxItems", *max);
                v
            }
            ShapeKind::Map {
                key,
                value,
                min,
                max,
            } => {
                let mut v = json!({
                    "type": ["object", "string"],
                    "pattern": PLACEHOLDER,
                    "propertyNames": self.reference(shapes, key),
                    "additionalProperties": self.reference(shapes, value)
                });
                limit(&mut v, "minProperties", *min);
                limit(&mut v, "maxProperties", *max);
                v
            }
            ShapeKind::String {
                enum_values,
                min,
                max,
                pattern,
            } => {
                let mut real = if enum_values.is_empty() {
                    json!({"type": "string"})
                } else {
                    json!({"enum": enum_values})
                };
                limit(&mut real, "minLength", *min);
                limit(&mut real, "maxLength", *max);
                if let Some(p) = pattern.filter(|p| portable(p)) {
                    real["pattern"] = json!(format!("^(?:{p})$"));
                }
                if real.as_object().is_some_and(|m| m.len() == 1) && enum_values.is_empty() {
                    return real;
                }
                json!({"anyOf": [real, {"type": "string", "pattern": PLACEHOLDER}]})
            }
            ShapeKind::Integer { min, max } => {
                let mut v = json!({"type": ["integer", "string"], "pattern": PLACEHOLDER});
                limit(&mut v, "minimum", *min);
                limit(&mut v, "maximum", *max);
                v
            }
            ShapeKind::Float { min, max } => {
                let mut v = json!({"type": ["number", "string"], "pattern": PLACEHOLDER});
                if let Some(m) = min {
                    v["minimum"] = json!(m);
                }
                if let Some(m) = max {
                    v["maximum"] = json!(m);
                }
                v
            }
            ShapeKind::Boolean => json!({"type": ["boolean", "string"], "pattern": PLACEHOLDER}),
            // RFC 3339 text or epoch seconds (the validator checks the text).
            ShapeKind::Timestamp => json!({"type": ["string", "number"]}),
            ShapeKind::Blob => json!({"type": "string"}),
            ShapeKind::Document => json!({}),
        }
    }
}

fn limit(v: &mut Value, key: &str, n: Option<i64>) {
    if let Some(n) = n {
        v[key] = json!(n);
    }
}

/// Whether a model pattern means the same in the validator (Rust `regex`)
/// and in the regex dialects schema validators use (ECMA 262 in editors,
/// Python's `re` in `jsonschema`). A pattern that is not is left out of the
/// schema: `twh validate` still checks it.
fn portable(p: &str) -> bool {
    regex::Regex::new(&format!("^(?:{p})$")).is_ok()
        && ![
            "\\p{", "\\P{", "\\A", "\\z", "\\Z", "(?", "\\h", "[[:", "&&", "\\U",
        ]
        .iter()
        .any(|x| p.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` names an entry of the same document's `$defs`.
    fn dangling(doc: &Value) -> Vec<String> {
        fn walk(v: &Value, defs: &Map<String, Value>, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        let ok = r
                            .strip_prefix("#/$defs/")
                            .is_some_and(|name| defs.get(name).is_some_and(|d| !d.is_null()));
                        if !ok {
                            out.push(r.clone());
                        }
                    }
                    m.values().for_each(|c| walk(c, defs, out));
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, defs, out)),
                _ => {}
            }
        }
        let empty = Map::new();
        let defs = doc
            .get("$defs")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut out = Vec::new();
        walk(doc, defs, &mut out);
        out
    }

    #[test]
    fn every_reference_resolves_in_every_schema() {
        let mut docs = vec![json_schema(None).expect("schema"), environment_schema()];
        docs.extend(
            KINDS
                .iter()
                .map(|k| json_schema(Some(k.name)).expect("schema")),
        );
        for doc in &docs {
            assert_eq!(dangling(doc), Vec::<String>::new(), "{}", doc["title"]);
        }
    }

    #[test]
    fn account_fields_are_not_required() {
        for k in KINDS.iter().filter(|k| k.account_field.is_some()) {
            let doc = json_schema(Some(k.name)).expect("schema");
            let entry = format!("{}.{}", k.name, k.spec_shape);
            let whole = json_schema(None).expect("schema");
            assert_eq!(
                whole["$defs"][&entry]["required"], doc["required"],
                "{entry}"
            );
            let required = &doc["required"];
            let field = k.account_field.expect("schema").trim_start_matches('/');
            assert!(
                required.as_array().is_some_and(|r| !r.is_empty()),
                "{entry}: {required}"
            );
            assert!(
                !required
                    .as_array()
                    .expect("schema")
                    .iter()
                    .any(|r| r == field),
                "{entry} requires {field}"
            );
        }
    }

    #[test]
    fn lifecycle_lists_every_member_of_the_type() {
        let doc = json_schema(None).expect("schema");
        let props = doc["$defs"]["twh.Lifecycle"]["properties"]
            .as_object()
            .expect("schema");
        let from_type = serde_json::to_value(crate::config::Lifecycle {
            prevent_destroy: true,
            adopt_from_cloudformation: true,
            ignore_changes: vec!["A".into()],
        })
        .expect("schema");
        for member in from_type.as_object().expect("schema").keys() {
            assert!(
                props.contains_key(member),
                "lifecycle schema lacks {member}"
            );
        }
    }
}

//! Reads a botocore `service-2.json.gz` model into the few facts the generator uses.
//!
//! botocore's JSON is the AWS model in a compact form: every shape is named, structures
//! list their members (in documentation order) and which are required, strings carry enum
//! values and limits. Parsing by hand from `serde_json::Value` keeps the xtask free of a
//! derive for a format we only read a handful of keys from.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::Result;

#[derive(Debug, Clone)]
pub struct Model {
    /// Operation name → its input shape, for operations that have one.
    pub operation_inputs: BTreeMap<String, String>,
    pub shapes: BTreeMap<String, Shape>,
}

#[derive(Debug, Clone)]
pub struct Shape {
    pub doc: Option<String>,
    pub kind: Kind,
    pub min: Option<Number>,
    pub max: Option<Number>,
    pub pattern: Option<String>,
}

/// A limit as written in the model; integers stay exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone)]
pub enum Kind {
    Structure {
        members: Vec<Member>,
    },
    List {
        member: String,
    },
    Map {
        key: String,
        value: String,
    },
    String {
        enum_values: Vec<String>,
    },
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    /// A structure marked `"document": true`, or a shape twh synthesizes: any JSON.
    Document,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub shape: String,
    pub doc: Option<String>,
    pub required: bool,
}

impl Model {
    pub fn load(path: &Path) -> Result<Model> {
        let mut text = String::new();
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_json(&json).map_err(|e| format!("{}: {e}", path.display()).into())
    }

    fn from_json(json: &Value) -> Result<Model> {
        let mut operation_inputs = BTreeMap::new();
        for (name, op) in object(json, "operations")? {
            if let Some(input) = op.pointer("/input/shape").and_then(Value::as_str) {
                operation_inputs.insert(name.clone(), input.to_owned());
            }
        }
        let mut shapes = BTreeMap::new();
        for (name, shape) in object(json, "shapes")? {
            shapes.insert(
                name.clone(),
                parse_shape(shape).map_err(|e| format!("shape {name}: {e}"))?,
            );
        }
        Ok(Model {
            operation_inputs,
            shapes,
        })
    }

    pub fn shape(&self, name: &str) -> Result<&Shape> {
        Ok(self
            .shapes
            .get(name)
            .ok_or_else(|| format!("no shape `{name}` in the model"))?)
    }

    /// The operation whose input is `shape`, if any.
    pub fn operation_for_input(&self, shape: &str) -> Option<&str> {
        self.operation_inputs
            .iter()
            .find(|(_, input)| *input == shape)
            .map(|(op, _)| op.as_str())
    }
}

fn object<'a>(json: &'a Value, key: &str) -> Result<&'a serde_json::Map<String, Value>> {
    Ok(json
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("no `{key}` object"))?)
}

fn text(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The shape a member, list member, map key or value refers to: `{"shape": "Name", ...}`.
fn shape_ref(reference: &Value) -> Option<String> {
    reference
        .get("shape")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn target(json: &Value, key: &str) -> Result<String> {
    Ok(json
        .get(key)
        .and_then(shape_ref)
        .ok_or_else(|| format!("no `{key}.shape`"))?)
}

fn number(json: &Value, key: &str) -> Option<Number> {
    let v = json.get(key)?;
    v.as_i64()
        .map(Number::Int)
        .or_else(|| v.as_f64().map(Number::Float))
}

fn parse_shape(json: &Value) -> Result<Shape> {
    let ty = json
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no `type`")?;
    let kind = match ty {
        "structure" if json.get("document").and_then(Value::as_bool) == Some(true) => {
            Kind::Document
        }
        "structure" => {
            let required: Vec<&str> = json
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut members = Vec::new();
            for (name, m) in object(json, "members")? {
                members.push(Member {
                    name: name.clone(),
                    shape: shape_ref(m).ok_or("a member without `shape`")?,
                    doc: text(m, "documentation"),
                    required: required.contains(&name.as_str()),
                });
            }
            Kind::Structure { members }
        }
        "list" => Kind::List {
            member: target(json, "member")?,
        },
        "map" => Kind::Map {
            key: target(json, "key")?,
            value: target(json, "value")?,
        },
        "string" => Kind::String {
            enum_values: json
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        },
        "integer" => Kind::Integer,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "boolean" => Kind::Boolean,
        "timestamp" => Kind::Timestamp,
        "blob" => Kind::Blob,
        other => return Err(format!("unsupported shape type `{other}`").into()),
    };
    Ok(Shape {
        doc: text(json, "documentation"),
        kind,
        min: number(json, "min"),
        max: number(json, "max"),
        pattern: text(json, "pattern"),
    })
}

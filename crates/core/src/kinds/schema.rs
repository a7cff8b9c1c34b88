//! JSON Schema of every kind's `spec`, from the same types validation and
//! conversion use (schemars), so editors complete and check resource files.

use serde_json::{Value, json};

use super::KINDS;

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
            Ok(spec_schema(def.name))
        }
        None => {
            let variants: Vec<Value> = KINDS
                .iter()
                .map(|k| {
                    json!({
                        "type": "object",
                        "required": ["type", "name", "spec"],
                        "additionalProperties": false,
                        "properties": {
                            "type": {"const": k.name},
                            "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
                            "description": {"type": "string"},
                            "spec": spec_schema(k.name),
                            "lifecycle": {"type": "object", "additionalProperties": false, "properties": {
                                "prevent_destroy": {"type": "boolean"},
                                "adopt_from_cloudformation": {"type": "boolean"}}},
                            "depends_on": {"type": "array", "items": {"type": "string"}}
                        }
                    })
                })
                .collect();
            Ok(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "twh resource file",
                "oneOf": [
                    {"oneOf": variants},
                    {"type": "object", "required": ["resources"], "properties": {"resources": {"type": "array", "items": {"oneOf": variants}}}}
                ]
            }))
        }
    }
}

fn spec_schema(kind: &str) -> Value {
    let schema = match kind {
        "athena_view" => schemars::schema_for!(super::AthenaViewSpec),
        "data_check" => schemars::schema_for!(super::DataCheckSpec),
        other => return crate::spec::schema_for_kind(other),
    };
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

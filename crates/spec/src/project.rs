//! Moving values between AWS shapes by their facts: project an output shape
//! (what Get/Describe returns) onto an input shape (what a spec holds), and
//! overlay a desired spec on a live one so full-replace updates keep the
//! fields twh does not manage.

use serde_json::{Map, Value};

use super::model::{ServiceShapes, ShapeKind};

/// Keeps only what `shape` accepts, recursively: output-only members
/// (ARNs, timestamps, status) fall away, and the result reads like a spec.
pub fn project(shapes: &ServiceShapes, shape: &str, value: &Value) -> Value {
    let Some(def) = shapes.get(shape) else {
        return value.clone();
    };
    match (&def.kind, value) {
        (ShapeKind::Structure { members }, Value::Object(m)) => {
            let mut out = Map::new();
            for member in *members {
                if let Some(v) = m.get(member.name)
                    && !v.is_null()
                {
                    out.insert(member.name.to_string(), project(shapes, member.shape, v));
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List { member, .. }, Value::Array(items)) => {
            Value::Array(items.iter().map(|i| project(shapes, member, i)).collect())
        }
        (ShapeKind::Map { value: vshape, .. }, Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), project(shapes, vshape, v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The body of a full-replace update: `desired`, plus the members of `live`
/// that `shape` does not model (settings twh cannot express survive the
/// update instead of being wiped). Members the shape models come from
/// `desired` alone, so a member removed from the file is removed from AWS.
/// Nested structures present on both sides are merged the same way.
pub fn overlay(shapes: &ServiceShapes, shape: &str, live: &Value, desired: &Value) -> Value {
    let members = match shapes.get(shape).map(|s| &s.kind) {
        Some(ShapeKind::Structure { members }) => *members,
        _ => return desired.clone(),
    };
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = Map::new();
            for (k, lv) in l {
                if !members.iter().any(|m| m.name == k) {
                    out.insert(k.clone(), lv.clone());
                }
            }
            for (k, dv) in d {
                let merged = match (members.iter().find(|m| m.name == k), l.get(k)) {
                    (Some(m), Some(lv)) => overlay(shapes, m.shape, lv, dv),
                    _ => dv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, d) => d.clone(),
    }
}

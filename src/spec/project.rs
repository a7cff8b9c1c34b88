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

/// `desired` laid over `live`: objects merge member by member (desired
/// wins), anything else is taken from desired. Members only live has
/// survive, as the "fields twh does not manage" of a full-replace update.
pub fn overlay(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = l.clone();
            for (k, dv) in d {
                let merged = match l.get(k) {
                    Some(lv) => overlay(lv, dv),
                    None => dv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, d) => d.clone(),
    }
}

/// Pointers of members live has and desired does not: reported as
/// unmanaged so a user sees what an update keeps.
pub fn unmanaged(live: &Value, desired: &Value, pointer: &str, out: &mut Vec<String>) {
    if let (Value::Object(l), Value::Object(d)) = (live, desired) {
        for (k, lv) in l {
            let p = format!("{pointer}/{}", crate::config::locate::escape(k));
            match d.get(k) {
                None if !lv.is_null() => out.push(p),
                Some(dv) => unmanaged(lv, dv, &p, out),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn project_drops_output_only_members() {
        let shapes = &crate::kinds::CUSTOM_SHAPES;
        let live = json!({"Name": "v", "Database": "d", "WorkGroup": "w", "Sql": "select 1",
                          "CreateTime": "2026-01-01T00:00:00Z", "Arn": "arn:x"});
        assert_eq!(
            project(shapes, "AthenaViewSpec", &live),
            json!({"Name": "v", "Database": "d", "WorkGroup": "w", "Sql": "select 1"})
        );
    }

    #[test]
    fn overlay_keeps_unmanaged_fields() {
        let live = json!({"Name": "c", "Schedule": "cron(1)", "Targets": {"S3Targets": [{"Path": "a"}], "JdbcTargets": [{"x": 1}]}});
        let desired = json!({"Name": "c", "Targets": {"S3Targets": [{"Path": "b"}]}});
        assert_eq!(
            overlay(&live, &desired),
            json!({"Name": "c", "Schedule": "cron(1)", "Targets": {"S3Targets": [{"Path": "b"}], "JdbcTargets": [{"x": 1}]}})
        );
        let mut out = Vec::new();
        unmanaged(&live, &desired, "", &mut out);
        assert_eq!(out, ["/Schedule", "/Targets/JdbcTargets"]);
    }
}

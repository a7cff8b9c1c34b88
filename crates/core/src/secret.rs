//! Sensitive values (`${env_var:...}`): used for API calls, never shown,
//! logged or stored. Plans and state hold a salted fingerprint instead, so a
//! changed secret is still detected.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a person sees in place of a sensitive value.
pub const SHOWN: &str = "(sensitive)";
const PREFIX: &str = "(sensitive:";

/// The fingerprint stored in place of a sensitive value.
pub fn fingerprint(salt: &str, value: &Value) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let digest = Sha256::digest(format!("{salt}\u{0}{text}").as_bytes());
    Value::String(format!("{PREFIX}sha256:{})", hex::encode(digest)))
}

/// Replaces the values at `pointers` with their fingerprints.
pub fn redact(value: &Value, pointers: &[String], salt: &str) -> Value {
    let mut v = value.clone();
    for p in pointers {
        if let Some(slot) = v.pointer_mut(p) {
            *slot = fingerprint(salt, slot);
        }
    }
    v
}

/// Fingerprints become `(sensitive)` for display; a changed secret still
/// shows as a changed line because [`display_pair`] marks it.
pub fn for_display(value: &Value) -> Value {
    match value {
        Value::String(s) if s.starts_with(PREFIX) => Value::String(SHOWN.into()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), for_display(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(for_display).collect()),
        other => other.clone(),
    }
}

/// Display forms of a before/after pair: where both hold different
/// fingerprints at the same place, the after side reads
/// `(sensitive, changed)` so the diff shows a line without the value.
pub fn display_pair(before: &Value, after: &Value) -> (Value, Value) {
    fn walk(b: &Value, a: &Value) -> Value {
        match (b, a) {
            (Value::String(x), Value::String(y))
                if x.starts_with(PREFIX) && y.starts_with(PREFIX) && x != y =>
            {
                Value::String("(sensitive, changed)".into())
            }
            (Value::Object(bm), Value::Object(am)) => Value::Object(
                am.iter()
                    .map(|(k, av)| {
                        (
                            k.clone(),
                            bm.get(k).map_or_else(|| for_display(av), |bv| walk(bv, av)),
                        )
                    })
                    .collect(),
            ),
            _ => for_display(a),
        }
    }
    (for_display(before), walk(before, after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_hide_and_still_detect_change() {
        let a = redact(
            &json!({"Credentials": {"Password": "hunter2"}}),
            &["/Credentials/Password".into()],
            "salt",
        );
        let b = redact(
            &json!({"Credentials": {"Password": "hunter3"}}),
            &["/Credentials/Password".into()],
            "salt",
        );
        assert!(!a.to_string().contains("hunter2"));
        assert_ne!(a, b);
        let (before, after) = display_pair(&a, &b);
        assert_eq!(before, json!({"Credentials": {"Password": "(sensitive)"}}));
        assert_eq!(
            after,
            json!({"Credentials": {"Password": "(sensitive, changed)"}})
        );
        // The same secret under another salt has another fingerprint.
        assert_ne!(fingerprint("a", &json!("x")), fingerprint("b", &json!("x")));
    }
}

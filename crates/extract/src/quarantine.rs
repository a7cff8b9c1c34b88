//! Records that fail validation go to `_quarantine/<source>/<stream>/dt=…/`
//! with the reason, keyed by a hash of their content: the same bad record
//! seen by two runs is stored once, and nothing is silently dropped.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::partition;
use super::writer::Row;

/// Top-level folder of quarantined records.
pub const ROOT: &str = "_quarantine";

/// The key field of quarantine records.
pub const KEY_FIELD: &str = "key";

/// A quarantine row for `raw`, rejected for `reason`.
pub fn row(source: &str, stream: &str, raw: &Value, reason: &str) -> Row {
    // serde_json keeps key order (preserve_order), and the API sends the
    // same record the same way, so its text is a stable identity.
    let text = raw.to_string();
    let digest = Sha256::digest(text.as_bytes());
    let key: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let record = json!({
        KEY_FIELD: key,
        "source": source,
        "stream": stream,
        "reason": reason,
        "record": raw,
    });
    Row {
        dir: format!("{ROOT}/{source}/{stream}/{}", partition::of_raw(raw)),
        pk_field: KEY_FIELD,
        pk: key,
        line: record.to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_record_same_key_and_place() {
        let raw = json!({"id": "ch_1", "amount": "x", "created": 1_706_745_600});
        let a = row("stripe", "charges", &raw, "bad amount");
        let b = row("stripe", "charges", &raw, "bad amount");
        assert_eq!(a.pk, b.pk);
        assert_eq!(a.dir, "_quarantine/stripe/charges/dt=2024-02-01");
        let line: Value = serde_json::from_slice(&a.line).expect("json");
        assert_eq!(line["reason"], "bad amount");
        assert_eq!(line["record"], raw);
        let c = row("stripe", "charges", &json!({"id": "ch_2"}), "x");
        assert_ne!(a.pk, c.pk);
        assert!(c.dir.ends_with("/dt=unknown"));
    }
}

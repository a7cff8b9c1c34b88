//! Fields twh leaves as they are in AWS, and says so.
//!
//! Two sources:
//! - a kind's `unmanaged` fields, when the file leaves them out: settings
//!   other actors own (crawler statistics and Iceberg pointers in table
//!   parameters; QuickSight dataset parameters, folders and row-level
//!   security set in the console). Set one in the file and twh manages it.
//! - a resource's `lifecycle.ignore_changes`: fields the user hands to
//!   someone else, whatever the file says (as Terraform's `ignore_changes`).
//!
//! Both are handled the same way, before comparing: the live value is copied
//! into the desired spec (so it is neither a diff nor wiped by a
//! full-replace update such as UpdateTable or UpdateDataSet, whose body is
//! built from the spec), and into the last-applied value (so a change AWS
//! makes there is not drift). The plan lists the paths as `unmanaged`.

use serde_json::{Map, Value};

use crate::config::Lifecycle;
use crate::kinds::KindDef;
use crate::pointer::{display_path, to_pointer};

/// The pointers twh leaves to AWS for this resource, given the file's spec.
fn candidates(kind: &KindDef, lifecycle: &Lifecycle, desired: &Value) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = kind
        .unmanaged
        .iter()
        .filter(|p| desired.pointer(p).is_none())
        .map(|p| ((*p).to_string(), false))
        .collect();
    for p in &lifecycle.ignore_changes {
        let p = to_pointer(p);
        if !out.iter().any(|(q, _)| *q == p) {
            out.push((p, true));
        }
    }
    out
}

/// Copies live's values at the unmanaged paths into `desired` and into each
/// of `baselines` (what was last applied, and what AWS answered then).
/// Returns the display paths that live actually holds, for the plan.
pub fn graft(
    kind: &KindDef,
    lifecycle: &Lifecycle,
    desired: &mut Value,
    baselines: &mut [&mut Value],
    live: &Value,
) -> Vec<String> {
    let paths = candidates(kind, lifecycle, desired);
    let mut shown = Vec::new();
    for (p, ignored) in &paths {
        match live.pointer(p).filter(|v| !v.is_null()) {
            Some(v) => {
                set(desired, p, v.clone());
                for b in baselines.iter_mut() {
                    set(b, p, v.clone());
                }
                shown.push(display_path(p));
            }
            None => {
                // Nothing in AWS: an ignored field is not sent either, so
                // the next read cannot show it as a difference.
                if *ignored {
                    remove(desired, p);
                }
                for b in baselines.iter_mut() {
                    remove(b, p);
                }
            }
        }
    }
    shown
}

/// Removes a kind's unmanaged fields from a spec about to be written to a
/// file (`twh import`), so they stay unmanaged instead of becoming a
/// perpetual diff the next time a crawler runs.
pub fn strip(kind: &KindDef, spec: &mut Value) {
    for p in kind.unmanaged {
        remove(spec, p);
    }
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Sets `pointer` in `root`, creating objects on the way.
fn set(root: &mut Value, pointer: &str, v: Value) {
    let segs: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = root;
    for s in parents {
        cur = match cur {
            Value::Object(m) => m
                .entry(s.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match cur {
        Value::Object(m) => {
            m.insert(last.clone(), v);
        }
        Value::Array(a) => {
            if let Some(x) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *x = v;
            }
        }
        _ => {}
    }
}

fn remove(root: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(m)) = root.pointer_mut(parent) {
        m.remove(&unescape(last));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> &'static KindDef {
        crate::kinds::kind("glue_table").expect("kind")
    }

    #[test]
    fn crawler_statistics_are_kept_from_live_when_the_file_omits_them() {
        let mut desired =
            json!({"TableInput": {"Name": "t", "Parameters": {"classification": "json"}}});
        let mut applied = json!({"TableInput": {"Name": "t", "Parameters": {"classification": "json", "recordCount": "5"}}});
        let live = json!({"TableInput": {"Name": "t", "Parameters": {"classification": "json", "recordCount": "9", "UPDATED_BY_CRAWLER": "c"}}});
        let shown = graft(
            table(),
            &Lifecycle::default(),
            &mut desired,
            &mut [&mut applied],
            &live,
        );
        assert_eq!(desired, live);
        assert_eq!(applied, live, "an unmanaged change in AWS is not drift");
        assert_eq!(
            shown,
            vec![
                "TableInput.Parameters.UPDATED_BY_CRAWLER",
                "TableInput.Parameters.recordCount"
            ]
        );
    }

    #[test]
    fn a_field_the_file_sets_stays_managed() {
        let mut desired = json!({"TableInput": {"Parameters": {"recordCount": "1"}}});
        let live = json!({"TableInput": {"Parameters": {"recordCount": "9"}}});
        let shown = graft(table(), &Lifecycle::default(), &mut desired, &mut [], &live);
        assert!(shown.is_empty());
        assert_eq!(desired["TableInput"]["Parameters"]["recordCount"], "1");
    }

    #[test]
    fn ignore_changes_wins_over_the_file_and_drops_what_aws_lacks() {
        let lc = Lifecycle {
            ignore_changes: vec!["TableInput.Description".into(), "/TableInput/Owner".into()],
            ..Lifecycle::default()
        };
        let mut desired =
            json!({"TableInput": {"Name": "t", "Description": "mine", "Owner": "me"}});
        let live = json!({"TableInput": {"Name": "t", "Description": "theirs"}});
        let shown = graft(table(), &lc, &mut desired, &mut [], &live);
        assert_eq!(
            desired,
            json!({"TableInput": {"Name": "t", "Description": "theirs"}})
        );
        assert_eq!(shown, vec!["TableInput.Description"]);
    }

    #[test]
    fn paths_convert_to_pointers() {
        assert_eq!(to_pointer("a.b"), "/a/b");
        assert_eq!(to_pointer("/a/b"), "/a/b");
        assert_eq!(
            to_pointer("Targets.S3Targets[0].Path"),
            "/Targets/S3Targets/0/Path"
        );
        assert_eq!(to_pointer("Tags.a/b"), "/Tags/a~1b");
    }
}

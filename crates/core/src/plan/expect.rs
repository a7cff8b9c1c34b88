//! The three-way plan's one rule: what AWS should hold now.
//!
//! AWS does not store what it is sent. Athena keeps a view's SQL as Trino
//! formatted it, Glue fills storage-descriptor defaults and reads a role back
//! with its path, QuickSight fills permissions and ids, numbers come back as
//! `2.0`. A planner that compares the file with live sees each rewrite as a
//! change forever; one normalization rule per rewrite is a list that is
//! never complete. So twh records, after every apply, what AWS answered
//! (`observed` in state) next to what the file said (`applied`), and plans
//! from those instead of guessing:
//!
//! - where the file has not changed since the last apply, AWS should hold
//!   what it answered then, whatever form it chose;
//! - where the file has changed, AWS should hold the file's new value.
//!
//! [`expected`] merges the two into one value; live differing from it is
//! a change to make. Where the file is unchanged that can only be drift (live
//! differs from what AWS answered), so no rewrite of AWS's is ever a diff.

use serde_json::{Map, Value};

/// What AWS should hold: `observed` (AWS's answer after the last apply of
/// `applied`) with the file's changes since then (`applied` → `desired`)
/// laid over it. All three are normalized comparable values.
pub fn expected(applied: &Value, desired: &Value, observed: &Value) -> Value {
    if applied == desired {
        return observed.clone();
    }
    match (applied, desired, observed) {
        (Value::Object(a), Value::Object(d), Value::Object(o)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                match (a.get(k), o.get(k)) {
                    (Some(av), Some(ov)) => {
                        out.insert(k.clone(), expected(av, dv, ov));
                    }
                    // Unchanged in the file and absent from AWS's answer:
                    // AWS drops it (a `0` it does not return), so expect
                    // it absent.
                    (Some(av), None) if av == dv => {}
                    // New in the file (or changed and not stored by AWS
                    // before): the file's value.
                    _ => {
                        out.insert(k.clone(), dv.clone());
                    }
                }
            }
            for (k, ov) in o {
                // Filled by AWS and never in the file: still expected. A
                // member the file removed since is expected gone.
                if !d.contains_key(k) && !a.contains_key(k) {
                    out.insert(k.clone(), ov.clone());
                }
            }
            Value::Object(out)
        }
        // Lists of the same length pair up element by element, so changing
        // one column keeps AWS's form of the others; a list that grew or
        // shrank is the file's.
        (Value::Array(a), Value::Array(d), Value::Array(o))
            if a.len() == d.len() && d.len() == o.len() =>
        {
            Value::Array(
                a.iter()
                    .zip(d)
                    .zip(o)
                    .map(|((av, dv), ov)| expected(av, dv, ov))
                    .collect(),
            )
        }
        _ => desired.clone(),
    }
}

/// One place where AWS stored something other than what it was sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rewrite {
    /// Display path (`TableInput.StorageDescriptor.Compressed`).
    pub path: String,
    /// What the file said; `None` where it said nothing (AWS filled it).
    pub sent: Option<Value>,
    /// What AWS answered; `None` where it dropped the member.
    pub stored: Option<Value>,
}

/// Where `stored` (AWS's answer after a write) differs from `sent` (the
/// file, normalized): the leaves that differ, objects compared member by
/// member and lists of equal length element by element.
pub fn rewrites(sent: &Value, stored: &Value) -> Vec<Rewrite> {
    let mut out = Vec::new();
    walk(String::new(), Some(sent), Some(stored), &mut out);
    out
}

fn walk(path: String, sent: Option<&Value>, stored: Option<&Value>, out: &mut Vec<Rewrite>) {
    if sent == stored {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (sent, stored) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(join(k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        _ => out.push(Rewrite {
            path: if path.is_empty() {
                "(whole value)".into()
            } else {
                path
            },
            sent: sent.cloned(),
            stored: stored.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unchanged_file_expects_what_aws_answered() {
        let applied = json!({"ViewOriginalText": "select a from t", "Retention": 0});
        let observed = json!({"ViewOriginalText": "SELECT a\nFROM\n  t\n"});
        assert_eq!(expected(&applied, &applied, &observed), observed);
    }

    #[test]
    fn a_changed_member_is_the_files_and_the_rest_stays_aws_form() {
        let applied = json!({"Role": "crawler", "Schedule": "cron(0 1 * * ? *)", "Retention": 0});
        let desired = json!({"Role": "crawler", "Schedule": "cron(0 2 * * ? *)", "Retention": 0});
        let observed = json!({"Role": "service-role/crawler", "Schedule": "cron(0 1 * * ? *)", "Compressed": false});
        assert_eq!(
            expected(&applied, &desired, &observed),
            json!({"Role": "service-role/crawler", "Schedule": "cron(0 2 * * ? *)", "Compressed": false}),
            "the path AWS added, the default it filled and the 0 it dropped stay as AWS has them"
        );
    }

    #[test]
    fn members_the_file_adds_or_removes_are_expected_added_or_removed() {
        let applied = json!({"a": 1, "b": 2});
        let desired = json!({"a": 1, "c": 3});
        let observed = json!({"a": 1.0, "b": 2.0, "filled": true});
        assert_eq!(
            expected(&applied, &desired, &observed),
            json!({"a": 1.0, "c": 3, "filled": true})
        );
    }

    #[test]
    fn lists_pair_up_only_when_no_element_was_added_or_removed() {
        let applied =
            json!({"Columns": [{"Name": "a", "Type": "INT"}, {"Name": "b", "Type": "string"}]});
        let observed =
            json!({"Columns": [{"Name": "a", "Type": "int"}, {"Name": "b", "Type": "string"}]});
        let renamed =
            json!({"Columns": [{"Name": "a", "Type": "INT"}, {"Name": "c", "Type": "string"}]});
        assert_eq!(
            expected(&applied, &renamed, &observed),
            json!({"Columns": [{"Name": "a", "Type": "int"}, {"Name": "c", "Type": "string"}]})
        );
        let grown = json!({"Columns": [{"Name": "a", "Type": "INT"}, {"Name": "b", "Type": "string"}, {"Name": "c", "Type": "int"}]});
        assert_eq!(expected(&applied, &grown, &observed), grown);
    }

    #[test]
    fn rewrites_name_each_leaf_aws_changed() {
        let sent = json!({"Name": "dbCrawler", "Role": "r", "Cols": [{"Type": "INT"}]});
        let stored =
            json!({"Name": "dbcrawler", "Role": "r", "Cols": [{"Type": "int"}], "Filled": 1});
        let r = rewrites(&sent, &stored);
        let paths: Vec<&str> = r.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, vec!["Cols[0].Type", "Filled", "Name"]);
        assert_eq!(r[1].sent, None);
        assert_eq!(r[2].stored, Some(json!("dbcrawler")));
        assert!(rewrites(&sent, &sent).is_empty());
    }
}

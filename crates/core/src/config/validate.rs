//! Checks a spec against the facts of its AWS input shape: unknown members
//! (with the closest valid name), missing required members, JSON types, enum
//! values, length, range and pattern limits. Every problem is collected; the
//! caller places each at its file, line and column.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::Value;

use super::interpolate::has_placeholder;
use super::locate::escape;
use crate::diag::did_you_mean;
use crate::pointer::display_path;
use crate::spec::model::{ServiceShapes, ShapeKind};

/// One problem at a JSON pointer inside the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub pointer: String,
    /// Place the problem at the member's key rather than its value.
    pub at_key: bool,
    pub message: String,
    pub hint: Option<String>,
}

/// Validates `value` (at `pointer`) against `shape` of `shapes`.
pub fn check(
    shapes: &ServiceShapes,
    shape: &str,
    value: &Value,
    pointer: &str,
    out: &mut Vec<Problem>,
) {
    let Some(def) = shapes.get(shape) else {
        return;
    };
    let path = display_path(pointer);
    let problem = |message: String| Problem {
        pointer: pointer.to_string(),
        at_key: false,
        message,
        hint: None,
    };
    // A placeholder resolved later (`${ref:...}`, `${cfn:...}`) may stand for
    // any value: its final form is checked when it is known.
    if let Value::String(s) = value
        && has_placeholder(s)
    {
        return;
    }
    match (&def.kind, value) {
        (ShapeKind::Structure { members }, Value::Object(map)) => {
            for (key, child) in map {
                let child_ptr = format!("{pointer}/{}", escape(key));
                match members.iter().find(|m| m.name == key) {
                    Some(m) => check(shapes, m.shape, child, &child_ptr, out),
                    None => {
                        let suggestion = did_you_mean(key, members.iter().map(|m| m.name));
                        out.push(Problem {
                            pointer: child_ptr,
                            at_key: true,
                            message: format!(
                                "unknown field `{}` in {}",
                                shorten(key),
                                where_(&path)
                            ),
                            hint: Some(match suggestion {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "valid fields here: {}",
                                    members
                                        .iter()
                                        .map(|m| m.name)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            }),
                        });
                    }
                }
            }
            for m in members.iter().filter(|m| m.required) {
                if !map.contains_key(m.name) {
                    out.push(problem(format!(
                        "missing required field `{}` in {}",
                        m.name,
                        where_(&path)
                    )));
                }
            }
        }
        (ShapeKind::List { member, min, max }, Value::Array(items)) => {
            check_count(items.len(), *min, *max, "items", &path, pointer, out);
            for (i, item) in items.iter().enumerate() {
                check(shapes, member, item, &format!("{pointer}/{i}"), out);
            }
        }
        (
            ShapeKind::Map {
                key,
                value: vshape,
                min,
                max,
            },
            Value::Object(map),
        ) => {
            check_count(map.len(), *min, *max, "entries", &path, pointer, out);
            for (k, v) in map {
                let child_ptr = format!("{pointer}/{}", escape(k));
                check(shapes, key, &Value::String(k.clone()), &child_ptr, out);
                check(shapes, vshape, v, &child_ptr, out);
            }
        }
        (
            ShapeKind::String {
                enum_values,
                min,
                max,
                pattern,
            },
            Value::String(s),
        ) => {
            if !enum_values.is_empty() && !enum_values.contains(&s.as_str()) {
                out.push(Problem {
                    hint: Some(match did_you_mean(s, enum_values.iter().copied()) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("expected one of: {}", enum_values.join(", ")),
                    }),
                    ..problem(format!(
                        "`{}` is not a valid value for {}",
                        shorten(s),
                        where_(&path)
                    ))
                });
                return;
            }
            let len = s.chars().count() as i64;
            if let Some(min) = min
                && len < *min
            {
                out.push(problem(format!(
                    "{} is too short: {len} characters, at least {min}",
                    capital(&where_(&path))
                )));
            }
            if let Some(max) = max
                && len > *max
            {
                out.push(Problem {
                    hint: Some(format!(
                        "AWS rejects more than {max} characters here; shorten it"
                    )),
                    ..problem(format!(
                        "{} is too long: {len} characters, at most {max}",
                        capital(&where_(&path))
                    ))
                });
            }
            if let Some(p) = pattern
                && let Some(re) = compiled(p)
                && !re.is_match(s)
            {
                out.push(Problem {
                    hint: Some(
                        "AWS rejects a value that does not match; change it to fit the pattern"
                            .into(),
                    ),
                    ..problem(format!(
                        "`{}` does not match the pattern AWS requires for {}: {p}",
                        shorten(s),
                        where_(&path)
                    ))
                });
            }
        }
        (ShapeKind::Integer { min, max }, Value::Number(n)) => match n.as_i64() {
            Some(i) => {
                if min.is_some_and(|m| i < m) || max.is_some_and(|m| i > m) {
                    out.push(problem(format!(
                        "{i} is out of range for {}: {}",
                        where_(&path),
                        range_text(*min, *max)
                    )));
                }
            }
            None => out.push(Problem {
                hint: Some("write a whole number, such as `2`".into()),
                ..problem(format!(
                    "expected an integer for {}, found {n}",
                    where_(&path)
                ))
            }),
        },
        (ShapeKind::Float { min, max }, Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            if min.is_some_and(|m| f < m) || max.is_some_and(|m| f > m) {
                out.push(problem(format!(
                    "{f} is out of range for {}",
                    where_(&path)
                )));
            }
        }
        (ShapeKind::Boolean, Value::Bool(_)) | (ShapeKind::Document, _) => {}
        (ShapeKind::Timestamp, Value::String(s)) => {
            if chrono::DateTime::parse_from_rfc3339(s).is_err()
                && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_err()
            {
                out.push(problem(format!(
                    "`{}` is not a timestamp for {}; use RFC 3339, e.g. 2026-01-31T06:00:00Z",
                    shorten(s),
                    where_(&path)
                )));
            }
        }
        (ShapeKind::Timestamp, Value::Number(_)) | (ShapeKind::Blob, Value::String(_)) => {}
        (kind, found) => out.push(Problem {
            hint: Some(format!("use {}", example(kind))),
            ..problem(format!(
                "expected {} for {}, found {}",
                expected(kind),
                where_(&path),
                json_type(found)
            ))
        }),
    }
}

fn check_count(
    n: usize,
    min: Option<i64>,
    max: Option<i64>,
    what: &str,
    path: &str,
    pointer: &str,
    out: &mut Vec<Problem>,
) {
    let n = n as i64;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        out.push(Problem {
            pointer: pointer.to_string(),
            at_key: false,
            message: format!(
                "{} has {n} {what}, allowed {}",
                capital(&where_(path)),
                range_text(min, max)
            ),
            hint: None,
        });
    }
}

fn range_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any".into(),
    }
}

fn expected(kind: &ShapeKind) -> &'static str {
    match kind {
        ShapeKind::Structure { .. } => "an object",
        ShapeKind::List { .. } => "an array",
        ShapeKind::Map { .. } => "an object (map)",
        ShapeKind::String { .. } | ShapeKind::Blob => "a string",
        ShapeKind::Integer { .. } => "an integer",
        ShapeKind::Float { .. } => "a number",
        ShapeKind::Boolean => "true or false",
        ShapeKind::Timestamp => "a timestamp string",
        ShapeKind::Document => "any JSON",
    }
}

/// What a value of `kind` looks like, for hints.
fn example(kind: &ShapeKind) -> &'static str {
    match kind {
        ShapeKind::Structure { .. } | ShapeKind::Map { .. } => "an object (`{...}`)",
        ShapeKind::List { .. } => "an array (`[...]`)",
        ShapeKind::String { .. } | ShapeKind::Blob => "a string in double quotes",
        ShapeKind::Integer { .. } => "a whole number without quotes, such as `2`",
        ShapeKind::Float { .. } => "a number without quotes, such as `2.5`",
        ShapeKind::Boolean => "`true` or `false` without quotes",
        ShapeKind::Timestamp => "an RFC 3339 time such as \"2026-01-31T06:00:00Z\"",
        ShapeKind::Document => "any JSON value",
    }
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        "spec".to_string()
    } else {
        // Keys come from the user's file: no control character reaches the
        // terminal.
        let shown: String = path
            .chars()
            .flat_map(|c| {
                let esc: Vec<char> = if c.is_control() {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                esc
            })
            .collect();
        format!("`{shown}`")
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn shorten(s: &str) -> String {
    crate::diag::printable(s)
}

/// AWS patterns are Java regexes matched against the whole value. Some use
/// features Rust's engine lacks (UTF-16 surrogate ranges); those are skipped
/// rather than guessed at.
fn compiled(pattern: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().ok()?;
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(&format!("^(?:{pattern})$")).ok())
        .clone()
}

/// Whether `pointer` names a member of `shape` (any key of a map, any index
/// of a list); on failure, the unknown segment and the closest valid name.
pub fn check_path(
    shapes: &ServiceShapes,
    shape: &str,
    pointer: &str,
) -> Result<(), (String, Option<String>)> {
    let mut cur = shape;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let Some(def) = shapes.get(cur) else {
            return Ok(());
        };
        cur = match &def.kind {
            ShapeKind::Structure { members } => match members.iter().find(|m| m.name == seg) {
                Some(m) => m.shape,
                None => {
                    let hint = did_you_mean(&seg, members.iter().map(|m| m.name))
                        .map(|s| format!("did you mean `{s}`?"));
                    return Err((seg, hint));
                }
            },
            ShapeKind::List { member, .. } if seg.parse::<usize>().is_ok() => member,
            ShapeKind::Map { value, .. } => value,
            _ => return Err((seg, None)),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::{Member, Shape};
    use serde_json::json;

    static TEST: ServiceShapes = ServiceShapes {
        service: "test",
        shapes: &[
            Shape {
                name: "Behavior",
                kind: ShapeKind::String {
                    enum_values: &["LOG", "UPDATE_IN_DATABASE"],
                    min: None,
                    max: None,
                    pattern: None,
                },
            },
            Shape {
                name: "Count",
                kind: ShapeKind::Integer {
                    min: Some(1),
                    max: Some(10),
                },
            },
            Shape {
                name: "Name",
                kind: ShapeKind::String {
                    enum_values: &[],
                    min: Some(1),
                    max: Some(5),
                    pattern: Some("[a-z]+"),
                },
            },
            Shape {
                name: "Names",
                kind: ShapeKind::List {
                    member: "Name",
                    min: None,
                    max: Some(2),
                },
            },
            Shape {
                name: "Root",
                kind: ShapeKind::Structure {
                    members: &[
                        Member {
                            name: "Name",
                            shape: "Name",
                            required: true,
                        },
                        Member {
                            name: "Behavior",
                            shape: "Behavior",
                            required: false,
                        },
                        Member {
                            name: "Count",
                            shape: "Count",
                            required: false,
                        },
                        Member {
                            name: "Names",
                            shape: "Names",
                            required: false,
                        },
                    ],
                },
            },
        ],
    };

    fn problems(v: Value) -> Vec<String> {
        let mut out = Vec::new();
        check(&TEST, "Root", &v, "", &mut out);
        out.into_iter()
            .map(|p| format!("{} {}", p.pointer, p.message))
            .collect()
    }

    #[test]
    fn collects_every_problem() {
        let got = problems(
            json!({"Nmae": "x", "Behavior": "LOGG", "Count": 11, "Names": ["ab", "Ab", "c"]}),
        );
        assert_eq!(
            got,
            [
                "/Nmae unknown field `Nmae` in spec",
                "/Behavior `LOGG` is not a valid value for `Behavior`",
                "/Count 11 is out of range for `Count`: 1 to 10",
                "/Names `Names` has 3 items, allowed at most 2",
                "/Names/1 `Ab` does not match the pattern AWS requires for `Names[1]`: [a-z]+",
                " missing required field `Name` in spec",
            ]
        );
    }

    #[test]
    fn types_and_lengths() {
        assert_eq!(
            problems(json!({"Name": 5})),
            ["/Name expected a string for `Name`, found a number"]
        );
        assert_eq!(
            problems(json!({"Name": "abcdefg"})),
            ["/Name `Name` is too long: 7 characters, at most 5"]
        );
        assert_eq!(
            problems(json!([])),
            [" expected an object for spec, found an array"]
        );
    }

    #[test]
    fn placeholders_wait_for_resolution() {
        assert!(problems(json!({"Name": "${ref:x.y.name}", "Count": "${var.n}"})).is_empty());
    }
}

//! `${...}` interpolation in resource files, in two phases.
//!
//! Phase one (no AWS): `${env}` and `${var.NAME}` are substituted, and every
//! `${ref:TYPE.NAME.ATTR}`, `${cfn:STACK.OUTPUT}` and `${env_var:NAME}` is
//! parsed and recorded (references build the graph) but left in place.
//! Phase two (planning): the remaining placeholders are resolved through a
//! callback; values from `${env_var:...}` are marked sensitive by pointer.
//! `$${` writes a literal `${`.

use serde_json::Value;

use super::locate::escape;

/// A parsed placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    Env,
    Var(String),
    Ref {
        kind: String,
        name: String,
        attr: String,
    },
    Cfn {
        stack: String,
        output: String,
    },
    EnvVar(String),
}

impl std::fmt::Display for Placeholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Placeholder::Env => write!(f, "${{env}}"),
            Placeholder::Var(n) => write!(f, "${{var.{n}}}"),
            Placeholder::Ref { kind, name, attr } => write!(f, "${{ref:{kind}.{name}.{attr}}}"),
            Placeholder::Cfn { stack, output } => write!(f, "${{cfn:{stack}.{output}}}"),
            Placeholder::EnvVar(n) => write!(f, "${{env_var:{n}}}"),
        }
    }
}

impl Placeholder {
    fn parse(inner: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`${{{inner}}}` is not a valid interpolation; use ${{env}}, ${{var.NAME}}, \
                 ${{ref:TYPE.NAME.ATTR}}, ${{cfn:STACK.OUTPUT}} or ${{env_var:NAME}}"
            )
        };
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if inner == "env" {
            return Ok(Self::Env);
        }
        if let Some(name) = inner.strip_prefix("var.") {
            return if ident(name) {
                Ok(Self::Var(name.into()))
            } else {
                Err(bad())
            };
        }
        if let Some(rest) = inner.strip_prefix("ref:") {
            let parts: Vec<&str> = rest.split('.').collect();
            return match parts.as_slice() {
                [k, n, a] if ident(k) && ident(n) && ident(a) => Ok(Self::Ref {
                    kind: (*k).into(),
                    name: (*n).into(),
                    attr: (*a).into(),
                }),
                _ => Err(format!(
                    "`${{{inner}}}` is not a valid reference; expected ${{ref:TYPE.NAME.ATTR}}, e.g. ${{ref:iam_role.crawler.arn}}"
                )),
            };
        }
        if let Some(rest) = inner.strip_prefix("cfn:") {
            return match rest.split_once('.') {
                Some((s, o)) if ident(s) && ident(o) => Ok(Self::Cfn {
                    stack: s.into(),
                    output: o.into(),
                }),
                _ => Err(format!(
                    "`${{{inner}}}` is not a valid stack output; expected ${{cfn:STACK.OUTPUT}}"
                )),
            };
        }
        if let Some(name) = inner.strip_prefix("env_var:") {
            return if ident(name) {
                Ok(Self::EnvVar(name.into()))
            } else {
                Err(bad())
            };
        }
        Err(bad())
    }
}

/// A run of a string: literal text (with `$${` still escaped) or a
/// placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(String),
    Ph(Placeholder),
}

/// A string's literal runs and placeholders, in order; `Err` for a string
/// that is not valid interpolation.
pub fn split(s: &str) -> Result<Vec<Piece>, String> {
    pieces(s)
}

/// Splits a string into literal text and placeholders. `$${` stays literal
/// (and is kept escaped, so a later phase does not read it as a placeholder).
fn pieces(s: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest[..i].ends_with('$') {
            lit.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        lit.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!(
                "unterminated `${{` in `{s}`; close it with `}}` or write `$${{` for a literal"
            ));
        };
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(Piece::Ph(Placeholder::parse(&after[..end])?));
        rest = &after[end + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// Whether a string still holds a placeholder to resolve.
pub fn has_placeholder(s: &str) -> bool {
    pieces(s)
        .map(|p| p.iter().any(|x| matches!(x, Piece::Ph(_))))
        .unwrap_or(true)
}

/// An interpolation problem at a pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub pointer: String,
    pub message: String,
    pub hint: Option<String>,
}

/// What a placeholder resolves to, or why it cannot be.
pub type Resolution = Result<Value, (String, Option<String>)>;

/// Walks every string in `value`, replacing the placeholders `resolve`
/// answers `Some` for; `None` leaves one in place for a later phase. A string
/// that is exactly one placeholder takes the resolved JSON value whole (so a
/// variable can be a number or a list); inside text it is spliced as text.
/// Returns the pointers whose value came from a sensitive placeholder.
pub fn substitute(
    value: &mut Value,
    pointer: &str,
    resolve: &mut dyn FnMut(&Placeholder) -> Option<Resolution>,
    issues: &mut Vec<Issue>,
    sensitive: &mut Vec<String>,
) {
    match value {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                substitute(
                    v,
                    &format!("{pointer}/{}", escape(k)),
                    resolve,
                    issues,
                    sensitive,
                );
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter_mut().enumerate() {
                substitute(v, &format!("{pointer}/{i}"), resolve, issues, sensitive);
            }
        }
        Value::String(s) => {
            let ps = match pieces(s) {
                Ok(p) => p,
                Err(message) => {
                    issues.push(Issue {
                        pointer: pointer.into(),
                        message,
                        hint: None,
                    });
                    return;
                }
            };
            if !ps.iter().any(|p| matches!(p, Piece::Ph(_))) {
                return;
            }
            let mut text = String::new();
            let mut whole: Option<Value> = None;
            let single = ps.len() == 1;
            for p in ps {
                match p {
                    Piece::Lit(l) => text.push_str(&l),
                    Piece::Ph(ph) => match resolve(&ph) {
                        None => text.push_str(&ph.to_string()),
                        Some(Err((message, hint))) => {
                            issues.push(Issue {
                                pointer: pointer.into(),
                                message,
                                hint,
                            });
                            text.push_str(&ph.to_string());
                        }
                        Some(Ok(v)) => {
                            if matches!(ph, Placeholder::EnvVar(_))
                                && !sensitive.iter().any(|p| p == pointer)
                            {
                                sensitive.push(pointer.to_string());
                            }
                            match v {
                                Value::String(s) => text.push_str(&s),
                                other if single => whole = Some(other),
                                other => text.push_str(&other.to_string()),
                            }
                        }
                    },
                }
            }
            *value = whole.unwrap_or(Value::String(text));
        }
        _ => {}
    }
}

/// Turns `$${` back into `${` once every phase is done.
pub fn unescape(value: &mut Value) {
    match value {
        Value::Object(m) => m.values_mut().for_each(unescape),
        Value::Array(a) => a.iter_mut().for_each(unescape),
        Value::String(s) if s.contains("$${") => *s = s.replace("$${", "${"),
        _ => {}
    }
}

/// Every placeholder left in `value`, with its pointer.
pub fn placeholders(value: &Value, pointer: &str, out: &mut Vec<(String, Placeholder)>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                placeholders(v, &format!("{pointer}/{}", escape(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                placeholders(v, &format!("{pointer}/{i}"), out);
            }
        }
        Value::String(s) => {
            for p in pieces(s).unwrap_or_default() {
                if let Piece::Ph(ph) = p {
                    out.push((pointer.to_string(), ph));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut v: Value, vars: &Value) -> (Value, Vec<String>, Vec<String>) {
        let mut issues = Vec::new();
        let mut sensitive = Vec::new();
        substitute(
            &mut v,
            "",
            &mut |p| match p {
                Placeholder::Env => Some(Ok(json!("dev"))),
                Placeholder::Var(n) => Some(
                    vars.get(n)
                        .cloned()
                        .ok_or((format!("undefined variable `{n}`"), None)),
                ),
                Placeholder::EnvVar(_) => Some(Ok(json!("hunter2"))),
                _ => None,
            },
            &mut issues,
            &mut sensitive,
        );
        unescape(&mut v);
        (
            v,
            issues
                .into_iter()
                .map(|i| format!("{} {}", i.pointer, i.message))
                .collect(),
            sensitive,
        )
    }

    #[test]
    fn substitutes_text_and_whole_values() {
        let vars = json!({"bucket": "lake", "dpu": 10});
        let (v, issues, sensitive) = run(
            json!({"Path": "s3://${var.bucket}/x-${env}/", "Max": "${var.dpu}", "Role": "${ref:iam_role.r.arn}",
                   "Lit": "$${not}", "Pw": "${env_var:PW}"}),
            &vars,
        );
        assert_eq!(
            v,
            json!({"Path": "s3://lake/x-dev/", "Max": 10, "Role": "${ref:iam_role.r.arn}", "Lit": "${not}", "Pw": "hunter2"})
        );
        assert!(issues.is_empty());
        assert_eq!(sensitive, ["/Pw"]);
    }

    #[test]
    fn reports_bad_placeholders() {
        let (_, issues, _) = run(
            json!({"a": "${var.nope}", "b": ["${ref:x}"], "c": "${oops", "d": "${foo}"}),
            &json!({}),
        );
        assert_eq!(issues.len(), 4);
        assert_eq!(issues[0], "/a undefined variable `nope`");
        assert!(issues[1].starts_with("/b/0 `${ref:x}` is not a valid reference"));
        assert!(issues[2].starts_with("/c unterminated"));
        assert!(issues[3].starts_with("/d `${foo}` is not a valid interpolation"));
    }

    #[test]
    fn lists_remaining_placeholders() {
        let mut out = Vec::new();
        placeholders(
            &json!({"x": ["a ${ref:glue_database.w.name} ${cfn:S.O}"]}),
            "",
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, "/x/0");
        assert!(!has_placeholder("plain $${x}"));
        assert!(has_placeholder("${env_var:A}"));
    }
}

//! Environment files, `resources/environments/<env>.json`: each
//! environment's variables, region, account and state backend.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::files::{parse_input, read_input};
use super::model::{InputFile, Sources};
use super::resource::{serde_pointer, unknown_field_hint};
use super::validate;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};

use serde_json::Value;

/// One environment.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// AWS region; `--region` and the SDK's own configuration override it.
    #[serde(default)]
    pub region: Option<String>,
    /// The AWS account this environment must run against. When set, twh
    /// refuses to plan against any other account (a wrong profile is caught
    /// before anything is read or changed).
    #[serde(default)]
    pub account_id: Option<String>,
    /// Values for `${var.NAME}`.
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
    /// Where state is kept.
    #[serde(default)]
    pub state: StateBackend,
    /// How twh-extract runs for this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<Extract>,
    /// Which CloudFormation stacks twh asks what they own, besides those
    /// named in `${cfn:STACK.OUTPUT}` (README, "Resources CloudFormation
    /// owns").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudformation: Option<CloudFormation>,
}

/// The stacks whose resources twh refuses to manage.
#[derive(
    Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct CloudFormation {
    /// Stack names (or stack ids) read with ListStackResources.
    #[serde(default)]
    pub stacks: Vec<String>,
    /// Read every stack of the account and region (ListStacks, then
    /// ListStackResources for each).
    #[serde(default)]
    pub all_stacks: bool,
    /// At most this many CloudFormation calls to learn ownership (default
    /// 100); a plan that would need more stops with an error rather than
    /// guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<usize>,
}

/// twh-extract's settings for an environment.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Where twh-extract lands the data: its `--sink`, `s3://bucket/prefix`
    /// (`${env}`, `${var.NAME}` and `${cfn:STACK.OUTPUT}` allowed). `twh
    /// purge` and `twh reset` empty only the crawler targets under it, since
    /// only what twh-extract lands can be landed again; reset's extract step
    /// writes there.
    pub sink: String,
}

/// Where an environment's state lives.
#[derive(
    Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
pub enum StateBackend {
    /// `state/<env>.json` in the repository directory (or `path`).
    #[default]
    Local,
    /// The S3 object `s3://bucket/key`, locked by `key.lock` beside it with
    /// conditional writes. Use a versioned bucket (README, State backends).
    S3 {
        /// The bucket; shared by every environment is fine.
        bucket: String,
        /// The state object's key, e.g. `twh/production.json`.
        key: String,
        /// The bucket's region, when it differs from the environment's.
        #[serde(default)]
        region: Option<String>,
    },
}

/// The environment names defined under `resources/environments/`.
pub fn available(root: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(root.join("resources/environments"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let p = e.path();
                    (p.extension().and_then(|x| x.to_str()) == Some("json"))
                        .then(|| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A problem with a well-formed environment file's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
    pub hint: String,
}

/// Checks the values serde cannot: region and account formats, and
/// variable names `${var.NAME}` can reach.
pub fn check(env: &Environment) -> Vec<Problem> {
    let mut out = Vec::new();
    let region_problem = |pointer: &str, r: &str| Problem {
        pointer: pointer.into(),
        message: format!("`{}` is not an AWS region name", crate::diag::printable(r)),
        hint: "write a region code such as `us-east-1` or `eu-west-2`".into(),
    };
    if let Some(r) = &env.region
        && !is_region(r)
    {
        out.push(region_problem("/region", r));
    }
    if let StateBackend::S3 {
        region: Some(r), ..
    } = &env.state
        && !is_region(r)
    {
        out.push(region_problem("/state/region", r));
    }
    if let Some(a) = &env.account_id
        && !(a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
    {
        out.push(Problem {
            pointer: "/account_id".into(),
            message: format!("`{}` is not an AWS account id", crate::diag::printable(a)),
            hint: "an account id is 12 digits, written as a string: \"123456789012\"".into(),
        });
    }
    if let Some(cfn) = &env.cloudformation {
        for (i, stack) in cfn.stacks.iter().enumerate() {
            if stack.trim().is_empty() {
                out.push(Problem {
                    pointer: format!("/cloudformation/stacks/{i}"),
                    message: "an empty stack name".into(),
                    hint: "write the stack's name as CloudFormation shows it, or remove the entry"
                        .into(),
                });
            }
        }
        if cfn.max_calls == Some(0) {
            out.push(Problem {
                pointer: "/cloudformation/max_calls".into(),
                message: "`max_calls` is 0, so no stack could be read".into(),
                hint: "leave it out (100 calls) or allow at least one call per stack".into(),
            });
        }
    }
    for name in env.variables.keys() {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            out.push(Problem {
                pointer: format!("/variables/{}", super::locate::escape(name)),
                message: format!(
                    "variable name `{}` cannot be used as `${{var.NAME}}`",
                    crate::diag::printable(name)
                ),
                hint: "use letters, digits, `_` and `-` in variable names".into(),
            });
        }
    }
    out
}

/// [`is_region`], [`check`]'s account rule and its variable-name rule as
/// regular expressions, for the environment file's JSON Schema.
pub const REGION_PATTERN: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";
pub const ACCOUNT_PATTERN: &str = "^[0-9]{12}$";
pub const VARIABLE_PATTERN: &str = "^[A-Za-z0-9_-]+$";

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`...
pub fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// What to do about a serde error at `pointer` of an environment file.
pub fn hint_for(pointer: &str, msg: &str) -> Option<String> {
    let h = |s: &str| Some(s.to_string());
    if pointer.starts_with("/state") {
        return h(
            r#"`state` is {"backend": "local"} or {"backend": "s3", "bucket": "...", "key": "...", "region": "..."}"#,
        );
    }
    match pointer {
        "/region" => h("`region` is a string such as \"us-east-1\""),
        "/account_id" => h("`account_id` is 12 digits as a string: \"123456789012\""),
        "/variables" => h(r#"`variables` is an object: {"lake_bucket": "twh-lake-dev"}"#),
        p if p.starts_with("/cloudformation") => h(
            r#"`cloudformation` is {"stacks": ["STACK", ...], "all_stacks": false, "max_calls": 100}"#,
        ),
        "/extract" | "/extract/sink" => {
            h(r#"`extract` is {"sink": "s3://BUCKET/PREFIX"}, the `--sink` twh-extract writes to"#)
        }
        "" if msg.starts_with("invalid type") => h(
            r#"an environment file is an object: {"region": "us-east-1", "variables": {...}, "state": {"backend": "local"}}"#,
        ),
        _ => None,
    }
}

/// The environment file's bytes, or a diagnostic naming the defined
/// environments when it does not exist.
pub(super) fn read_environment(
    root: &Path,
    env: &str,
    diags: &mut Diagnostics,
) -> Option<InputFile> {
    let rel = PathBuf::from(format!("resources/environments/{env}.json"));
    if !root.join(&rel).is_file() {
        let known = available(root);
        diags.push(
            Diagnostic::error(format!(
                "environment `{}` is not defined: `{}` does not exist",
                crate::diag::printable(env),
                rel.display()
            ))
            .hint_opt(Some(
                match did_you_mean(env, known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `--env {s}`?"),
                    None if known.is_empty() => {
                        "create it, e.g. {\"region\": \"us-east-1\", \"variables\": {}}".into()
                    }
                    None => format!("defined environments: {}", known.join(", ")),
                },
            )),
        );
        return None;
    }
    read_input(root, rel, diags)
}

/// Parses and checks an environment file.
pub(super) fn parse_environment(
    file: InputFile,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Environment> {
    let rel = file.path.clone();
    let doc = parse_input(file, sources, diags)?;
    // serde would also read the struct from an array.
    if !doc.is_object() {
        diags.push(
            Diagnostic::error(format!(
                "invalid environment file: expected an object, found {}",
                validate::json_type(&doc)
            ))
            .at(Some(sources.locate(&rel, "", false)))
            .hint_opt(hint_for("", "invalid type")),
        );
        return None;
    }
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(&doc, &mut track);
    match <Environment as serde::Deserialize>::deserialize(de) {
        Ok(e) => {
            let mut problems = check(&e);
            if let StateBackend::S3 { bucket, key, .. } = &e.state
                && let Err((field, msg)) = crate::state::check_location(bucket, key)
            {
                problems.push(Problem {
                    pointer: format!("/state/{field}"),
                    message: msg,
                    hint: if field == "bucket" {
                        "the bucket must exist (versioning on); twh never creates it".into()
                    } else {
                        "each environment keeps its state in one object of its own".into()
                    },
                });
            }
            for p in &problems {
                diags.push(
                    Diagnostic::error(format!("invalid environment file: {}", p.message))
                        .at(Some(sources.locate(&rel, &p.pointer, false)))
                        .hint(p.hint.clone()),
                );
            }
            problems.is_empty().then_some(e)
        }
        Err(err) => {
            let pointer = serde_pointer(&track.path());
            let msg = err.to_string();
            let hint = unknown_field_hint(&msg);
            let at_key = hint.is_some();
            let hint = hint.or_else(|| hint_for(&pointer, &msg));
            diags.push(
                Diagnostic::error(format!("invalid environment file: {msg}"))
                    .at(Some(sources.locate(&rel, &pointer, at_key)))
                    .hint_opt(hint),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["us-east-1", "us-gov-west-1", "eu-central-2", "il-central-1"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-1a",
            "",
            "u-east-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn the_schema_patterns_accept_what_the_checks_accept() {
        let region = regex::Regex::new(REGION_PATTERN).expect("a valid pattern");
        for r in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "eu-central-2",
            "us-east1",
            "useast-1",
            "us-east-",
            "US-east-1",
            "u-east-1",
            "us--east-1",
            "us-east-1a",
            "",
        ] {
            assert_eq!(region.is_match(r), is_region(r), "{r:?}");
        }
        let account = regex::Regex::new(ACCOUNT_PATTERN).expect("a valid pattern");
        for a in ["123456789012", "12345", "1234567890123", "12345678901a"] {
            let env = Environment {
                region: None,
                account_id: Some(a.into()),
                variables: BTreeMap::new(),
                state: StateBackend::Local,
                extract: None,
                cloudformation: None,
            };
            assert_eq!(account.is_match(a), check(&env).is_empty(), "{a:?}");
        }
        let var = regex::Regex::new(VARIABLE_PATTERN).expect("a valid pattern");
        for v in ["lake_bucket", "a-b", "", "a.b", "a b"] {
            let env = Environment {
                region: None,
                account_id: None,
                variables: BTreeMap::from([(v.to_string(), Value::Null)]),
                state: StateBackend::Local,
                extract: None,
                cloudformation: None,
            };
            assert_eq!(var.is_match(v), check(&env).is_empty(), "{v:?}");
        }
    }
}

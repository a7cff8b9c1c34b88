//! Environment files, `resources/environments/<env>.json`: each
//! environment's variables, region, account and state backend.

use std::collections::BTreeMap;

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

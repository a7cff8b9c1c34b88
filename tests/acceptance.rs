//! Acceptance against real AWS. Ignored by default (CI and `.ci/run` never
//! reach AWS); to run, with credentials for a sandbox account:
//!
//! ```sh
//! TWH_AWS_ACCEPTANCE=1 AWS_REGION=eu-west-1 cargo test --test acceptance -- --ignored
//! ```
//!
//! It creates a Glue database, a table and an Athena workgroup with a unique
//! suffix, checks the clean diff and the quiet second sync, then deletes them
//! through twh (removed files → planned delete → sync), so nothing is left.

mod common;

use assert_cmd::Command;
use common::Repo;
use serde_json::json;

fn twh(repo: &Repo, env: &str, args: &[&str]) -> (i32, String) {
    let o = Command::cargo_bin("twh")
        .expect("binary")
        .current_dir(repo.path())
        .env_remove("TWH_MEMORY_PROVIDER")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1")
        .args(args)
        .args(["--env", env, "--no-progress"])
        .output()
        .expect("run twh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

#[test]
#[ignore = "reaches real AWS: run with TWH_AWS_ACCEPTANCE=1 and `-- --ignored`"]
fn real_aws_create_noop_delete() {
    assert_eq!(
        std::env::var("TWH_AWS_ACCEPTANCE").as_deref(),
        Ok("1"),
        "this test reaches real AWS; set TWH_AWS_ACCEPTANCE=1 to run it on purpose"
    );
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let env = format!("acc{suffix}");
    let repo = Repo::new();
    repo.write(
        &format!("resources/environments/{env}.json"),
        &json!({"region": region, "variables": {}, "state": {"backend": "local"}}),
    );
    repo.write(
        "resources/all.json",
        &json!({"resources": [
            {"type": "glue_database", "name": "db", "spec": {"DatabaseInput": {
                "Name": "twh_acceptance_${env}", "Description": "twh acceptance test; safe to delete"}}},
            {"type": "glue_table", "name": "t", "spec": {"DatabaseName": "${ref:glue_database.db.name}",
                "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"classification": "json"},
                    "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                    "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}],
                        "Location": "s3://twh-acceptance-does-not-exist/orders/",
                        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}},
            {"type": "athena_workgroup", "name": "wg", "spec": {"Name": "twh-acceptance-${env}",
                "Description": "twh acceptance test; safe to delete",
                "Configuration": {"PublishCloudWatchMetricsEnabled": false}}}
        ]}),
    );
    let (code, out) = twh(&repo, &env, &["sync", "--auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = twh(&repo, &env, &["diff"]);
    assert_eq!(code, 0, "a diff right after sync must be clean:\n{out}");
    let (code, out) = twh(&repo, &env, &["sync", "--auto-approve", "-v"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 mutating)"), "second sync mutated:\n{out}");
    repo.remove("resources/all.json");
    let (code, out) = twh(&repo, &env, &["sync", "--auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = twh(&repo, &env, &["state", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("glue_database.db"), "{out}");
}

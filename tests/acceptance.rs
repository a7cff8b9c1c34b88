//! Acceptance against real AWS, for a user with a sandbox account: every
//! kind twh manages, synced from nothing, a clean diff, a second sync that
//! makes no mutating call (counted from the calls the whole run made, `sync
//! --output json` `api_calls`), drift made with the SDK and repaired, and
//! everything deleted again, even when a step fails midway.
//!
//! Ignored by default: `cargo test` and `.ci/run` never reach AWS. To run it
//! (README, "Acceptance on real AWS": permissions and cost):
//!
//! ```sh
//! TWH_AWS_ACCEPTANCE=1 AWS_PROFILE=sandbox AWS_REGION=eu-west-1 \
//!     cargo test --test acceptance -- --ignored --nocapture
//! # the same against the emulator:
//! TWH_AWS_ACCEPTANCE=1 AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=testing \
//!     AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 cargo test --test acceptance -- --ignored
//! ```
//!
//! What it makes, all named `twh-acc-<8 hex>` (or `twh_acc_<8 hex>` where
//! Glue wants underscores): an S3 bucket (the table's location and Athena's
//! results), an IAM role with the path `/service-role/`, a Glue database, a
//! table, a crawler and a job (neither is ever run), an Athena workgroup and
//! a view, a QuickSight Athena data source and a SPICE data set with a daily
//! refresh schedule. Set `TWH_ACCEPTANCE_QUICKSIGHT_PRINCIPAL` to a
//! QuickSight user or group ARN to grant it the owner sets (so the data set
//! shows in the console while the test runs).

mod common;

use std::sync::Arc;

use assert_cmd::Command;
use common::Repo;
use serde_json::{Value, json};

const ENABLE: &str = "TWH_AWS_ACCEPTANCE";

/// Every name the test uses, from one random suffix.
struct Names {
    env: String,
    bucket: String,
    role: String,
    database: String,
    crawler: String,
    job: String,
    workgroup: String,
    data_source: String,
    data_set: String,
}

impl Names {
    fn new() -> Self {
        let s = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let dash = format!("twh-acc-{s}");
        Self {
            env: format!("acc{s}"),
            bucket: dash.clone(),
            role: format!("{dash}-crawler"),
            database: format!("twh_acc_{s}"),
            crawler: format!("{dash}-orders"),
            job: format!("{dash}-etl"),
            workgroup: dash.clone(),
            data_source: format!("{dash}-athena"),
            data_set: format!("{dash}-orders"),
        }
    }
}

/// One resource of every kind, wired by references.
fn estate(n: &Names, principal: Option<&str>) -> Value {
    let b = &n.bucket;
    let mut data_source = json!({"type": "quicksight_data_source", "name": "athena", "spec": {
        "DataSourceId": n.data_source, "Name": "twh acceptance (safe to delete)", "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg.name}"}}}});
    let mut data_set = json!({"type": "quicksight_data_set", "name": "orders", "spec": {
        "DataSetId": n.data_set, "Name": "twh acceptance orders (safe to delete)", "ImportMode": "SPICE",
        "PhysicalTableMap": {"orders": {"RelationalTable": {
            "DataSourceArn": "${ref:quicksight_data_source.athena.arn}", "Catalog": "AwsDataCatalog",
            "Schema": "${ref:glue_database.db.name}", "Name": "orders_v",
            "InputColumns": [{"Name": "id", "Type": "STRING"}, {"Name": "total", "Type": "DECIMAL"}]}}},
        "LogicalTableMap": {"orders": {"Alias": "orders", "Source": {"PhysicalTableId": "orders"}}},
        "RefreshSchedules": [{"ScheduleId": "daily", "RefreshType": "FULL_REFRESH",
            "ScheduleFrequency": {"Interval": "DAILY", "TimeOfTheDay": "06:30", "Timezone": "UTC"}}]},
        "depends_on": ["athena_view.orders_v"]});
    if let Some(p) = principal {
        data_source["spec"]["Permissions"] = json!([{"Principal": p, "Actions": [
            "quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions",
            "quicksight:PassDataSource", "quicksight:UpdateDataSource",
            "quicksight:DeleteDataSource", "quicksight:UpdateDataSourcePermissions"]}]);
        data_set["spec"]["Permissions"] = json!([{"Principal": p, "Actions": [
            "quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions",
            "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions",
            "quicksight:UpdateDataSet", "quicksight:DeleteDataSet", "quicksight:CreateIngestion",
            "quicksight:CancelIngestion", "quicksight:UpdateDataSetPermissions"]}]);
    }
    json!({"resources": [
        {"type": "iam_role", "name": "crawler", "spec": {
            "RoleName": n.role, "Path": "/service-role/",
            "Description": "twh acceptance test; safe to delete",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": {"read-bucket": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")]}]}},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]}},
        {"type": "glue_database", "name": "db", "spec": {"DatabaseInput": {
            "Name": n.database, "Description": "twh acceptance test; safe to delete"}}},
        {"type": "glue_table", "name": "orders", "spec": {"DatabaseName": "${ref:glue_database.db.name}",
            "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE", "Retention": 0,
                "Parameters": {"classification": "json"},
                "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}],
                    "Location": format!("s3://{b}/orders/"),
                    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}},
        {"type": "glue_crawler", "name": "orders", "spec": {
            "Name": n.crawler, "Role": "${ref:iam_role.crawler.arn}",
            "DatabaseName": "${ref:glue_database.db.name}",
            "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
            "Targets": {"S3Targets": [{"Path": format!("s3://{b}/orders/")}]}}},
        {"type": "glue_job", "name": "etl", "spec": {
            "Name": n.job, "Role": "${ref:iam_role.crawler.arn}",
            "Command": {"Name": "glueetl", "ScriptLocation": format!("s3://{b}/scripts/etl.py")},
            "GlueVersion": "4.0", "WorkerType": "G.1X", "NumberOfWorkers": 2}},
        {"type": "athena_workgroup", "name": "wg", "spec": {
            "Name": n.workgroup, "Description": "twh acceptance test; safe to delete",
            "Configuration": {"ResultConfiguration": {"OutputLocation": format!("s3://{b}/athena/")},
                "EnforceWorkGroupConfiguration": true, "PublishCloudWatchMetricsEnabled": false,
                "BytesScannedCutoffPerQuery": 10_000_000}}},
        {"type": "athena_view", "name": "orders_v", "spec": {
            "Name": "orders_v", "Database": "${ref:glue_database.db.name}",
            "WorkGroup": "${ref:athena_workgroup.wg.name}",
            "Sql": "select id, cast(total as decimal(10, 2)) as total from orders where total > 0"},
            "depends_on": ["glue_table.orders"]},
        data_source,
        data_set
    ]})
}

/// The SDK configuration twh itself uses (the default chain, and
/// `AWS_ENDPOINT_URL` for an emulator), on the region the test runs in.
async fn sdk(region: &str) -> aws_config::SdkConfig {
    twh::provider::aws::sdk_config(None, Some(region), None).await
}

/// Deletes everything the test made when dropped, also when a step panics
/// midway: first through twh (the files removed, so it deletes what its
/// state says it made), then with the SDK, by name, whatever is left (twh's
/// state may not know a resource whose create was cut short).
struct Cleanup {
    rt: Arc<tokio::runtime::Runtime>,
    repo: Arc<Repo>,
    names: Arc<Names>,
    region: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        eprintln!("acceptance: cleaning up `{}`", self.names.env);
        let _ = std::fs::remove_file(self.repo.path().join("resources/all.json"));
        let (code, out) = twh(&self.repo, &self.names.env, &["sync", "--auto-approve"]);
        if code != 0 {
            eprintln!("acceptance: twh could not delete everything (exit {code}):\n{out}");
        }
        self.rt
            .block_on(sweep(&self.names, &self.region))
            .into_iter()
            .for_each(|left| eprintln!("acceptance: could not delete {left}; delete it by hand"));
    }
}

/// Deletes each named resource that still exists; returns what could not
/// be deleted (a missing one is not a failure).
async fn sweep(n: &Names, region: &str) -> Vec<String> {
    let cfg = sdk(region).await;
    let account = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|o| o.account)
        .unwrap_or_default();
    let (glue, athena) = (
        aws_sdk_glue::Client::new(&cfg),
        aws_sdk_athena::Client::new(&cfg),
    );
    let (qs, iam) = (
        aws_sdk_quicksight::Client::new(&cfg),
        aws_sdk_iam::Client::new(&cfg),
    );
    let s3 = twh::provider::aws::s3_client(&cfg);
    let mut left = Vec::new();
    let mut check = |what: String, r: Result<(), String>| {
        if let Err(e) = r
            && ![
                "NotFound",
                "not found",
                "NoSuchEntity",
                "EntityNotFound",
                "NoSuchBucket",
                "does not exist",
            ]
            .iter()
            .any(|m| e.contains(m))
        {
            left.push(format!("{what} ({e})"));
        }
    };
    let err = |e: &dyn std::fmt::Debug| format!("{e:?}");
    check(
        format!("data set {}", n.data_set),
        qs.delete_data_set()
            .aws_account_id(&account)
            .data_set_id(&n.data_set)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    check(
        format!("data source {}", n.data_source),
        qs.delete_data_source()
            .aws_account_id(&account)
            .data_source_id(&n.data_source)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    check(
        format!("crawler {}", n.crawler),
        glue.delete_crawler()
            .name(&n.crawler)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    check(
        format!("job {}", n.job),
        glue.delete_job()
            .job_name(&n.job)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    // Deleting the database deletes its table and view.
    check(
        format!("database {}", n.database),
        glue.delete_database()
            .name(&n.database)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    check(
        format!("workgroup {}", n.workgroup),
        athena
            .delete_work_group()
            .work_group(&n.workgroup)
            .recursive_delete_option(true)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    let policies = iam
        .list_attached_role_policies()
        .role_name(&n.role)
        .send()
        .await
        .map(|o| o.attached_policies.unwrap_or_default())
        .unwrap_or_default();
    for p in policies.into_iter().filter_map(|p| p.policy_arn) {
        let _ = iam
            .detach_role_policy()
            .role_name(&n.role)
            .policy_arn(p)
            .send()
            .await;
    }
    let inline = iam
        .list_role_policies()
        .role_name(&n.role)
        .send()
        .await
        .map(|o| o.policy_names)
        .unwrap_or_default();
    for p in inline {
        let _ = iam
            .delete_role_policy()
            .role_name(&n.role)
            .policy_name(p)
            .send()
            .await;
    }
    check(
        format!("role {}", n.role),
        iam.delete_role()
            .role_name(&n.role)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    let objects = s3
        .list_objects_v2()
        .bucket(&n.bucket)
        .send()
        .await
        .map(|o| o.contents.unwrap_or_default())
        .unwrap_or_default();
    for key in objects.into_iter().filter_map(|o| o.key) {
        let _ = s3.delete_object().bucket(&n.bucket).key(key).send().await;
    }
    check(
        format!("bucket {}", n.bucket),
        s3.delete_bucket()
            .bucket(&n.bucket)
            .send()
            .await
            .map(drop)
            .map_err(|e| err(&e)),
    );
    left
}

/// Runs `twh ARGS --env ENV` with the caller's AWS configuration (including
/// `AWS_ENDPOINT_URL`, so the same test runs against an emulator).
fn twh(repo: &Repo, env: &str, args: &[&str]) -> (i32, String) {
    let o = Command::cargo_bin("twh")
        .expect("binary")
        .current_dir(repo.path())
        .env_remove("TWH_MEMORY_PROVIDER")
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

/// `twh sync --output json`: its one document.
fn sync_json(repo: &Repo, env: &str) -> Value {
    let o = Command::cargo_bin("twh")
        .expect("binary")
        .current_dir(repo.path())
        .env_remove("TWH_MEMORY_PROVIDER")
        .env("NO_COLOR", "1")
        .args([
            "sync",
            "--auto-approve",
            "--output",
            "json",
            "--env",
            env,
            "--no-progress",
        ])
        .output()
        .expect("run twh");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "sync failed:\n{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("sync --output json: {e}:\n{stdout}"))
}

#[test]
#[ignore = "reaches real AWS: set TWH_AWS_ACCEPTANCE=1 and pass `-- --ignored` (README, Acceptance on real AWS)"]
fn every_kind_on_real_aws() {
    assert_eq!(
        std::env::var(ENABLE).as_deref(),
        Ok("1"),
        "this test creates and deletes resources in the AWS account your credentials reach; \
         set {ENABLE}=1 to run it on purpose (README, Acceptance on real AWS)"
    );
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into());
    let rt = Arc::new(tokio::runtime::Runtime::new().expect("runtime"));
    let names = Arc::new(Names::new());
    let repo = Arc::new(Repo::new());
    let env = names.env.clone();
    repo.write(
        &format!("resources/environments/{env}.json"),
        &json!({"region": region, "variables": {}, "state": {"backend": "local"}}),
    );
    // From here on, whatever happens, everything is deleted.
    let _cleanup = Cleanup {
        rt: rt.clone(),
        repo: repo.clone(),
        names: names.clone(),
        region: region.clone(),
    };
    let cfg = rt.block_on(sdk(&region));
    let s3 = twh::provider::aws::s3_client(&cfg);
    rt.block_on(async {
        let mut create = s3.create_bucket().bucket(&names.bucket);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        region.as_str(),
                    ))
                    .build(),
            );
        }
        create.send().await.expect("create the test bucket");
    });
    let principal = std::env::var("TWH_ACCEPTANCE_QUICKSIGHT_PRINCIPAL").ok();
    repo.write("resources/all.json", &estate(&names, principal.as_deref()));

    let (code, out) = twh(&repo, &env, &["validate"]);
    assert_eq!(code, 0, "{out}");
    let first = sync_json(&repo, &env);
    assert!(
        first["api_calls"]["apply"]["mutations"].as_u64() > Some(0),
        "{first:#}"
    );
    let (code, out) = twh(&repo, &env, &["diff"]);
    assert_eq!(code, 0, "a diff right after sync must be clean:\n{out}");
    let second = sync_json(&repo, &env);
    assert_eq!(
        second["api_calls"]["total"]["mutations"],
        json!(0),
        "the second sync made mutating calls (counted over the whole run):\n{:#}",
        second["api_calls"]
    );

    // Drift, made with the SDK: the database's description and the
    // workgroup's. twh sees it, labels it, and repairs it.
    let glue = aws_sdk_glue::Client::new(&cfg);
    let athena = aws_sdk_athena::Client::new(&cfg);
    rt.block_on(async {
        glue.update_database()
            .name(&names.database)
            .database_input(
                aws_sdk_glue::types::DatabaseInput::builder()
                    .name(&names.database)
                    .description("changed by hand")
                    .build()
                    .expect("input"),
            )
            .send()
            .await
            .expect("update the database by hand");
        athena
            .update_work_group()
            .work_group(&names.workgroup)
            .description("changed by hand")
            .send()
            .await
            .expect("update the workgroup by hand");
    });
    let (code, out) = twh(&repo, &env, &["diff"]);
    assert_eq!(code, 2, "drift not seen:\n{out}");
    for addr in ["glue_database.db", "athena_workgroup.wg"] {
        assert!(
            out.contains(&format!("~ {addr} (update; drifted: changed outside twh")),
            "{addr} not reported as drift:\n{out}"
        );
    }
    let repair = sync_json(&repo, &env);
    assert!(
        repair["api_calls"]["apply"]["mutations"].as_u64() >= Some(2),
        "{:#}",
        repair["api_calls"]
    );
    let (code, out) = twh(&repo, &env, &["diff"]);
    assert_eq!(code, 0, "drift not repaired:\n{out}");
    let description = rt.block_on(async {
        glue.get_database()
            .name(&names.database)
            .send()
            .await
            .expect("database")
            .database
            .and_then(|d| d.description)
    });
    assert_eq!(
        description.as_deref(),
        Some("twh acceptance test; safe to delete")
    );

    // Deleted through twh: the files removed, the plan deletes what twh made.
    repo.remove("resources/all.json");
    let (code, out) = twh(&repo, &env, &["sync", "--auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = twh(&repo, &env, &["state", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains('.'),
        "state still lists resources after deleting them:\n{out}"
    );
    let left = rt.block_on(async {
        glue.get_database()
            .name(&names.database)
            .send()
            .await
            .is_ok()
    });
    assert!(!left, "twh left the database behind");
}

//! End-to-end tests of the AWS providers: the real `twh` binary and the
//! real SDK against the project's emulator (`emulator/`).
//!
//! `TWH_EMULATOR_URL` must name a running emulator (`bash .ci/run` starts
//! one and sets it, with AWS_ENDPOINT_URL and dummy credentials); without it
//! every test here fails rather than passing silently. Each test uses its own
//! environment name, so its resources have unique names and tests run in
//! parallel without resetting the emulator.

mod common;

use assert_cmd::Command;
use common::Repo;
use serde_json::{Value, json};

/// The emulator's URL, or a failure telling how to get one.
fn emulator() -> String {
    match std::env::var("TWH_EMULATOR_URL") {
        Ok(u) if !u.is_empty() => u.trim_end_matches('/').to_string(),
        _ => panic!(
            "TWH_EMULATOR_URL is not set: these end-to-end tests need the AWS emulator; \
             run them with `bash .ci/run` (it starts the emulator and sets the variables)"
        ),
    }
}

/// A repository whose environment `env` is unique to one test.
struct Estate {
    repo: Repo,
    env: String,
    url: String,
}

impl Estate {
    fn new(tag: &str) -> Self {
        let url = emulator();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let env = format!("{tag}{}", &suffix[..8]);
        let repo = Repo::new();
        repo.write(
            &format!("resources/environments/{env}.json"),
            &json!({"region": "us-east-1", "variables": {"lake_bucket": format!("twh-lake-{env}")},
                    "state": {"backend": "local"}}),
        );
        Self { repo, env, url }
    }

    fn twh(&self, args: &[&str]) -> std::process::Output {
        let mut c = Command::cargo_bin("twh").expect("binary");
        c.current_dir(self.repo.path())
            .env_remove("TWH_MEMORY_PROVIDER")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_REGION", "us-east-1")
            .env("NO_COLOR", "1")
            .env("TWH_RETRY_BASE_MS", "20")
            .args(args)
            .args(["--env", &self.env, "--no-progress"]);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            c.env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing");
        }
        c.output().expect("run twh")
    }

    /// Runs twh and checks its exit code; returns stdout + stderr.
    fn run(&self, args: &[&str], code: i32) -> String {
        let o = self.twh(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            o.status.code(),
            Some(code),
            "`twh {}` exited {:?}, expected {code}:\n{text}",
            args.join(" "),
            o.status.code()
        );
        text
    }

    fn sync(&self) -> String {
        self.run(&["sync", "--auto-approve", "-v"], 0)
    }

    fn clean(&self) {
        let out = self.run(&["diff"], 0);
        assert!(out.contains("No changes"), "{out}");
    }

    /// A second sync finds nothing to do and makes no mutating call.
    fn quiet_sync(&self) {
        let out = self.sync();
        assert!(
            out.contains(" 0 mutating)"),
            "second sync mutated something:\n{out}"
        );
        assert!(
            !out.contains(": update done") && !out.contains(": create done"),
            "{out}"
        );
    }

    fn name(&self, base: &str) -> String {
        format!("{base}-{}", self.env)
    }

    fn db(&self) -> String {
        format!("wh_{}", self.env)
    }

    fn write(&self, resources: Vec<Value>) {
        self.repo
            .write("resources/all.json", &json!({ "resources": resources }));
    }

    async fn bucket(&self) {
        let r = reqwest::Client::new()
            .put(format!("{}/twh-lake-{}", self.url, self.env))
            .send()
            .await
            .expect("create bucket");
        assert!(r.status().is_success(), "bucket: {}", r.status());
    }
}

async fn sdk() -> aws_config::SdkConfig {
    let mut l = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emulator());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        l = l.credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ));
    }
    l.load().await
}

fn role() -> Value {
    json!({"type": "iam_role", "name": "crawler", "spec": {
        "RoleName": "twh-crawler-${env}",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": {"read-lake": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

fn database() -> Value {
    json!({"type": "glue_database", "name": "wh", "spec": {
        "DatabaseInput": {"Name": "wh_${env}", "Description": "Warehouse"}, "Tags": {"team": "data"}}})
}

fn crawler() -> Value {
    json!({"type": "glue_crawler", "name": "orders", "spec": {
        "Name": "orders-${env}", "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.wh.name}", "Schedule": "cron(0 1 * * ? *)",
        "Configuration": "{\"Version\": 1.0, \"CrawlerOutput\": {\"Partitions\": {\"AddOrUpdateBehavior\": \"InheritFromTable\"}}}",
        "SchemaChangePolicy": {"UpdateBehavior": "LOG"},
        "Targets": {"S3Targets": [{"Path": "s3://${var.lake_bucket}/orders/"}]}, "Tags": {"team": "data"}}})
}

fn table() -> Value {
    json!({"type": "glue_table", "name": "orders", "spec": {
        "DatabaseName": "${ref:glue_database.wh.name}",
        "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "json"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}],
                "Location": "s3://${var.lake_bucket}/orders/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}})
}

fn workgroup() -> Value {
    json!({"type": "athena_workgroup", "name": "wg", "spec": {
        "Name": "wg-${env}", "Description": "analysts",
        "Configuration": {"ResultConfiguration": {"OutputLocation": "s3://${var.lake_bucket}/athena/"},
                          "BytesScannedCutoffPerQuery": 10_000_000_000_i64},
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

fn view() -> Value {
    json!({"type": "athena_view", "name": "orders_v", "spec": {
        "Name": "orders_v", "Database": "${ref:glue_database.wh.name}",
        "WorkGroup": "${ref:athena_workgroup.wg.name}",
        "Sql": "SELECT id,\n       total\n  FROM orders\n WHERE total > 0;"}})
}

fn job() -> Value {
    json!({"type": "glue_job", "name": "etl", "spec": {
        "Name": "etl-${env}", "Role": "${ref:iam_role.crawler.arn}",
        "Command": {"Name": "glueetl", "ScriptLocation": "s3://${var.lake_bucket}/scripts/etl.py"},
        "GlueVersion": "4.0", "WorkerType": "G.1X", "NumberOfWorkers": 2,
        "DefaultArguments": {"--job-language": "python"}, "Tags": {"team": "data"}}})
}

/// sync from empty → diff clean → second sync makes no mutating call.
async fn golden(tag: &str, resources: Vec<Value>) -> Estate {
    let e = Estate::new(tag);
    e.bucket().await;
    e.write(resources);
    let out = e.sync();
    assert!(out.contains("Sync complete"), "{out}");
    e.clean();
    e.quiet_sync();
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_database() {
    golden("gdb", vec![database()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_iam_role() {
    golden("grole", vec![role()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_crawler() {
    golden("gcr", vec![role(), database(), crawler()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_table() {
    golden("gtb", vec![database(), table()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_athena_workgroup() {
    golden("gwg", vec![workgroup()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_athena_view() {
    golden("gvw", vec![database(), table(), workgroup(), view()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_job() {
    golden("gjob", vec![role(), job()]).await;
}

/// Out-of-band changes to every kind, made with the Rust SDK: diff labels
/// each as drift (exit 2), sync repairs, the next sync is quiet.
#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_changes_are_drift_and_sync_repairs_them() {
    let e = golden(
        "drift",
        vec![
            role(),
            database(),
            crawler(),
            table(),
            workgroup(),
            view(),
            job(),
        ],
    )
    .await;
    let cfg = sdk().await;
    let glue = aws_sdk_glue::Client::new(&cfg);
    let athena = aws_sdk_athena::Client::new(&cfg);
    let iam = aws_sdk_iam::Client::new(&cfg);
    glue.update_crawler()
        .name(e.name("orders"))
        .schedule("cron(0 5 * * ? *)")
        .send()
        .await
        .expect("update crawler");
    glue.update_database()
        .name(e.db())
        .database_input(
            aws_sdk_glue::types::DatabaseInput::builder()
                .name(e.db())
                .description("changed by hand")
                .build()
                .expect("input"),
        )
        .send()
        .await
        .expect("update database");
    let t = glue
        .get_table()
        .database_name(e.db())
        .name("orders")
        .send()
        .await
        .expect("get table")
        .table
        .expect("table");
    let sd = t.storage_descriptor.clone().expect("sd");
    let cols: Vec<_> = sd.columns().iter().take(1).cloned().collect();
    glue.update_table()
        .database_name(e.db())
        .skip_archive(true)
        .table_input(
            aws_sdk_glue::types::TableInput::builder()
                .name("orders")
                .table_type("EXTERNAL_TABLE")
                .storage_descriptor(
                    aws_sdk_glue::types::StorageDescriptor::builder()
                        .set_columns(Some(cols))
                        .set_location(sd.location.clone())
                        .set_input_format(sd.input_format.clone())
                        .set_output_format(sd.output_format.clone())
                        .set_serde_info(sd.serde_info.clone())
                        .build(),
                )
                .set_partition_keys(t.partition_keys.clone())
                .set_parameters(t.parameters.clone())
                .build()
                .expect("input"),
        )
        .send()
        .await
        .expect("update table");
    athena
        .update_work_group()
        .work_group(e.name("wg"))
        .description("changed by hand")
        .send()
        .await
        .expect("update workgroup");
    iam.delete_role_policy()
        .role_name(format!("twh-crawler-{}", e.env))
        .policy_name("read-lake")
        .send()
        .await
        .expect("delete role policy");
    glue.tag_resource()
        .resource_arn(format!(
            "arn:aws:glue:us-east-1:123456789012:job/{}",
            e.name("etl")
        ))
        .tags_to_add("team", "ops")
        .send()
        .await
        .expect("tag job");
    let q = athena
        .start_query_execution()
        .query_string(format!(
            "CREATE OR REPLACE VIEW {}.orders_v AS SELECT id FROM orders",
            e.db()
        ))
        .work_group(e.name("wg"))
        .query_execution_context(
            aws_sdk_athena::types::QueryExecutionContext::builder()
                .database(e.db())
                .build(),
        )
        .send()
        .await
        .expect("replace view")
        .query_execution_id
        .expect("id");
    let mut state = None;
    for _ in 0..100 {
        state = athena
            .get_query_execution()
            .query_execution_id(&q)
            .send()
            .await
            .expect("poll")
            .query_execution
            .and_then(|x| x.status)
            .and_then(|s| s.state);
        if matches!(
            state,
            Some(
                aws_sdk_athena::types::QueryExecutionState::Succeeded
                    | aws_sdk_athena::types::QueryExecutionState::Failed
            )
        ) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        state,
        Some(aws_sdk_athena::types::QueryExecutionState::Succeeded)
    );

    let out = e.run(&["diff"], 2);
    for addr in [
        "glue_crawler.orders",
        "glue_database.wh",
        "glue_table.orders",
        "athena_workgroup.wg",
        "iam_role.crawler",
        "glue_job.etl",
        "athena_view.orders_v",
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains(addr) && l.contains("drifted")),
            "{addr} not shown as drift:\n{out}"
        );
    }
    assert!(out.contains("cron(0 5 * * ? *)"), "{out}");
    assert!(out.contains("7 drifted"), "{out}");
    e.sync();
    e.clean();
    e.quiet_sync();
}

/// Editing a file shows exactly that change; removing a field clears it in
/// AWS (crawler `Schedule` with `""`, workgroup cutoff with its `Remove*`
/// flag); removing a file deletes what twh made.
#[tokio::test(flavor = "multi_thread")]
async fn edits_clear_removed_fields_and_removed_files_are_deleted() {
    let e = golden("edit", vec![role(), database(), crawler(), workgroup()]).await;
    let mut c = crawler();
    c["spec"].as_object_mut().expect("spec").remove("Schedule");
    let mut w = workgroup();
    w["spec"]["Configuration"]
        .as_object_mut()
        .expect("config")
        .remove("BytesScannedCutoffPerQuery");
    e.write(vec![role(), database(), c, w]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("~ glue_crawler.orders (update)"), "{out}");
    assert!(out.contains("~ athena_workgroup.wg (update)"), "{out}");
    assert!(out.contains("cron(0 1 * * ? *)"), "{out}");
    assert!(out.contains("2 to update"), "{out}");
    e.sync();
    e.clean();
    let cfg = sdk().await;
    let live = aws_sdk_glue::Client::new(&cfg)
        .get_crawler()
        .name(e.name("orders"))
        .send()
        .await
        .expect("get crawler")
        .crawler
        .expect("crawler");
    assert!(
        live.schedule
            .and_then(|s| s.schedule_expression)
            .is_none_or(|s| s.is_empty()),
        "schedule not cleared"
    );
    let wg = aws_sdk_athena::Client::new(&cfg)
        .get_work_group()
        .work_group(e.name("wg"))
        .send()
        .await
        .expect("get wg")
        .work_group
        .and_then(|w| w.configuration)
        .expect("config");
    assert_eq!(wg.bytes_scanned_cutoff_per_query, None);

    // Remove the crawler's file entry: a planned delete, then gone.
    e.write(vec![role(), database(), workgroup_without_cutoff()]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("- glue_crawler.orders"), "{out}");
    e.sync();
    e.clean();
    let gone = aws_sdk_glue::Client::new(&cfg)
        .get_crawler()
        .name(e.name("orders"))
        .send()
        .await;
    assert!(gone.is_err(), "crawler still exists");
}

fn workgroup_without_cutoff() -> Value {
    let mut w = workgroup();
    w["spec"]["Configuration"]
        .as_object_mut()
        .map(|c| c.remove("BytesScannedCutoffPerQuery"));
    w
}

/// A resource a CloudFormation stack owns is refused with a clear error.
#[tokio::test(flavor = "multi_thread")]
async fn cloudformation_owned_resources_are_refused() {
    let e = Estate::new("cfn");
    let cfg = sdk().await;
    aws_sdk_glue::Client::new(&cfg)
        .create_database()
        .database_input(
            aws_sdk_glue::types::DatabaseInput::builder()
                .name(e.db())
                .build()
                .expect("input"),
        )
        .tags("aws:cloudformation:stack-name", "platform")
        .send()
        .await
        .expect("create database");
    e.write(vec![database()]);
    let out = e.run(&["diff"], 1);
    assert!(out.contains("CloudFormation stack `platform`"), "{out}");
    // The file may opt in: the database as the stack made it is adopted.
    e.write(vec![json!({"type": "glue_database", "name": "wh",
        "spec": {"DatabaseInput": {"Name": "wh_${env}"}},
        "lifecycle": {"adopt_from_cloudformation": true}})]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("= glue_database.wh (adopt"), "{out}");
    e.run(&["sync", "--auto-approve"], 0);
    e.run(&["diff"], 0);
}

/// A failing view DDL shows Athena's own message.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_view_shows_athenas_error() {
    let e = Estate::new("vfail");
    e.bucket().await;
    let mut v = view();
    v["spec"]["Sql"] = json!("SELECT id FROM no_such_table");
    e.write(vec![database(), workgroup(), v]);
    let out = e.run(&["sync", "--auto-approve"], 1);
    assert!(out.contains("TABLE_NOT_FOUND"), "{out}");
}

const ADMIN: &str = "arn:aws:quicksight:us-east-1:123456789012:user/default/admin";

fn data_source() -> Value {
    json!({"type": "quicksight_data_source", "name": "athena", "spec": {
        "DataSourceId": "athena-${env}", "Name": "Athena", "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg.name}"}},
        "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSource", "quicksight:PassDataSource"]}],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

fn data_set() -> Value {
    json!({"type": "quicksight_data_set", "name": "orders", "spec": {
        "DataSetId": "orders-${env}", "Name": "Orders", "ImportMode": "SPICE",
        "PhysicalTableMap": {"t1": {"RelationalTable": {
            "DataSourceArn": "${ref:quicksight_data_source.athena.arn}", "Catalog": "AwsDataCatalog",
            "Schema": "wh_${env}", "Name": "orders",
            "InputColumns": [{"Name": "id", "Type": "STRING"}, {"Name": "total", "Type": "DECIMAL"}]}}},
        "LogicalTableMap": {"l1": {"Alias": "orders", "Source": {"PhysicalTableId": "t1"}}},
        "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSet", "quicksight:PassDataSet"]}],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_quicksight_data_source() {
    golden("gqds", vec![workgroup(), data_source()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_quicksight_data_set() {
    golden(
        "gqset",
        vec![database(), table(), workgroup(), data_source(), data_set()],
    )
    .await;
}

/// A data set without a `LogicalTableMap`: QuickSight generates one (under a
/// hashed id), which is unmanaged, not a perpetual diff.
#[tokio::test(flavor = "multi_thread")]
async fn golden_quicksight_data_set_without_logical_table_map() {
    let mut d = data_set();
    d["spec"]
        .as_object_mut()
        .map(|m| m.remove("LogicalTableMap"));
    let e = golden(
        "gqnolog",
        vec![database(), table(), workgroup(), data_source(), d],
    )
    .await;
    let plan: Value = serde_json::from_str(&e.run(&["diff", "--output", "json"], 0)).expect("json");
    let set = plan["changes"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["address"] == "quicksight_data_set.orders")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(set["unmanaged"], json!(["LogicalTableMap"]), "{set}");
}

/// Permissions revoked and a name changed in the console are drift; sync
/// grants them back through the grant/revoke API and restores the name.
#[tokio::test(flavor = "multi_thread")]
async fn quicksight_drift_is_repaired() {
    let e = golden(
        "qsdrift",
        vec![database(), table(), workgroup(), data_source(), data_set()],
    )
    .await;
    let qs = aws_sdk_quicksight::Client::new(&sdk().await);
    qs.update_data_set_permissions()
        .aws_account_id("123456789012")
        .data_set_id(e.name("orders"))
        .revoke_permissions(
            aws_sdk_quicksight::types::ResourcePermission::builder()
                .principal(ADMIN)
                .actions("quicksight:PassDataSet")
                .build()
                .expect("perm"),
        )
        .send()
        .await
        .expect("revoke");
    qs.tag_resource()
        .resource_arn(format!(
            "arn:aws:quicksight:us-east-1:123456789012:datasource/{}",
            e.name("athena")
        ))
        .tags(
            aws_sdk_quicksight::types::Tag::builder()
                .key("team")
                .value("ops")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag");
    let out = e.run(&["diff"], 2);
    assert!(out.contains("2 drifted"), "{out}");
    e.sync();
    e.clean();
    e.quiet_sync();
}

/// A data set made with the new data-preparation experience cannot be
/// described: the error names it instead of crashing.
#[tokio::test(flavor = "multi_thread")]
async fn new_data_prep_data_sets_get_a_clear_error() {
    let e = golden(
        "qsprep",
        vec![database(), table(), workgroup(), data_source(), data_set()],
    )
    .await;
    let r = reqwest::Client::new()
        .post(format!("{}/_twh/quicksight/new-data-prep", e.url))
        .json(&json!({"data_set_id": e.name("orders")}))
        .send()
        .await
        .expect("switch");
    assert!(r.status().is_success());
    let out = e.run(&["diff"], 1);
    assert!(
        out.contains(&format!("quicksight_data_set `{}`", e.name("orders")))
            && out.contains("new data-preparation experience"),
        "{out}"
    );
}

/// Full-replace updates take modeled members from the file alone: a
/// description or table parameter removed from the file is removed from AWS
/// (regression: an overlay on live kept them, so the diff never cleared).
#[tokio::test(flavor = "multi_thread")]
async fn members_removed_from_the_file_are_removed_by_full_replace_updates() {
    let e = golden("rmfield", vec![database(), table()]).await;
    let mut db = database();
    db["spec"]["DatabaseInput"]
        .as_object_mut()
        .map(|m| m.remove("Description"));
    let mut t = table();
    t["spec"]["TableInput"]["Parameters"] = json!({});
    e.write(vec![db, t]);
    e.run(&["diff"], 2);
    e.run(&["sync", "--auto-approve"], 0);
    e.run(&["diff"], 0);
    let glue = aws_sdk_glue::Client::new(&sdk().await);
    let got = glue
        .get_database()
        .name(e.db())
        .send()
        .await
        .expect("database")
        .database
        .expect("present");
    assert_eq!(got.description, None);
    let table = glue
        .get_table()
        .database_name(e.db())
        .name("orders")
        .send()
        .await
        .expect("table")
        .table
        .expect("present");
    assert!(
        !table
            .parameters
            .unwrap_or_default()
            .contains_key("classification")
    );
}

/// SPICE refresh schedules (by `ScheduleId`) and refresh properties are part
/// of the data set: created, compared, changed and removed with it.
#[tokio::test(flavor = "multi_thread")]
async fn data_set_refresh_schedules_and_properties_are_managed() {
    // An incremental refresh looks back along a DATETIME column.
    let spice_set = || {
        let mut d = data_set();
        if let Some(c) =
            d["spec"]["PhysicalTableMap"]["t1"]["RelationalTable"]["InputColumns"].as_array_mut()
        {
            c.push(json!({"Name": "updated_at", "Type": "DATETIME"}));
        }
        d
    };
    let with_refresh = |interval: &str, props: bool| {
        let mut d = spice_set();
        d["spec"]["RefreshSchedules"] = json!([{
            "ScheduleId": "daily", "RefreshType": "FULL_REFRESH",
            "ScheduleFrequency": {"Interval": interval, "TimeOfTheDay": "06:00"}}]);
        if interval == "WEEKLY" {
            d["spec"]["RefreshSchedules"][0]["ScheduleFrequency"]["RefreshOnDay"] =
                json!({"DayOfWeek": "MONDAY"});
        }
        if props {
            d["spec"]["RefreshProperties"] = json!({"RefreshConfiguration": {"IncrementalRefresh": {
                "LookbackWindow": {"ColumnName": "updated_at", "Size": 1, "SizeUnit": "DAY"}}}});
        }
        d
    };
    let base = [database(), table(), workgroup(), data_source()];
    let e = golden(
        "qsref",
        base.iter()
            .cloned()
            .chain([with_refresh("DAILY", true)])
            .collect(),
    )
    .await;
    e.write(
        base.iter()
            .cloned()
            .chain([with_refresh("WEEKLY", true)])
            .collect(),
    );
    let out = e.run(&["diff"], 2);
    assert!(out.contains("WEEKLY"), "{out}");
    e.run(&["sync", "--auto-approve"], 0);
    e.run(&["diff"], 0);
    // Removing them from the file removes them from QuickSight.
    e.write(base.iter().cloned().chain([spice_set()]).collect());
    e.run(&["sync", "--auto-approve"], 0);
    e.run(&["diff"], 0);
    let qs = aws_sdk_quicksight::Client::new(&sdk().await);
    let left = qs
        .list_refresh_schedules()
        .aws_account_id("123456789012")
        .data_set_id(e.name("orders"))
        .send()
        .await
        .expect("list")
        .refresh_schedules
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

/// Crawler statistics written into a declared table's parameters are
/// unmanaged: not a diff, listed in the plan, and kept by UpdateTable when
/// the file changes. A field under `lifecycle.ignore_changes` is left to
/// whoever changes it in AWS.
#[tokio::test(flavor = "multi_thread")]
async fn unmanaged_fields_are_kept_and_reported() {
    let mut c = crawler();
    c["lifecycle"] = json!({"ignore_changes": ["Schedule"]});
    let e = golden("unmanaged", vec![role(), database(), table(), c]).await;
    let glue = aws_sdk_glue::Client::new(&sdk().await);
    let get_table = || async {
        glue.get_table()
            .database_name(e.db())
            .name("orders")
            .send()
            .await
            .expect("table")
            .table
            .expect("present")
    };
    // A crawler run records its statistics; an operator moves the schedule.
    let live = get_table().await;
    let mut params = live.parameters.clone().unwrap_or_default();
    params.insert("recordCount".into(), "42".into());
    params.insert("UPDATED_BY_CRAWLER".into(), "orders-crawler".into());
    let input = aws_sdk_glue::types::TableInput::builder()
        .name("orders")
        .table_type(live.table_type.clone().unwrap_or_default())
        .set_parameters(Some(params))
        .set_partition_keys(live.partition_keys.clone())
        .set_storage_descriptor(live.storage_descriptor.clone())
        .build()
        .expect("input");
    glue.update_table()
        .database_name(e.db())
        .table_input(input)
        .send()
        .await
        .expect("update table");
    glue.update_crawler()
        .name(e.name("orders"))
        .schedule("cron(30 5 * * ? *)")
        .send()
        .await
        .expect("update crawler");

    let out = e.run(&["diff"], 0);
    assert!(out.contains("unmanaged"), "{out}");
    let plan: Value = serde_json::from_str(&e.run(&["diff", "--output", "json"], 0)).expect("json");
    let unmanaged = |addr: &str| {
        plan["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["address"] == addr)
            .map(|c| c["unmanaged"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        unmanaged("glue_table.orders"),
        json!([
            "TableInput.Parameters.UPDATED_BY_CRAWLER",
            "TableInput.Parameters.recordCount"
        ])
    );
    assert_eq!(unmanaged("glue_crawler.orders"), json!(["Schedule"]));

    // A change to the file is applied; the unmanaged values survive it.
    let mut t = table();
    t["spec"]["TableInput"]["Description"] = json!("orders, one row per order");
    let mut c = crawler();
    c["lifecycle"] = json!({"ignore_changes": ["Schedule"]});
    c["spec"]["Description"] = json!("crawls orders");
    e.write(vec![role(), database(), t, c]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("unmanaged (kept as they are in AWS)"), "{out}");
    e.sync();
    e.clean();
    let after = get_table().await;
    assert_eq!(
        after.description.as_deref(),
        Some("orders, one row per order")
    );
    let p = after.parameters.unwrap_or_default();
    assert_eq!(p.get("recordCount").map(String::as_str), Some("42"));
    assert_eq!(p.get("classification").map(String::as_str), Some("json"));
    let crawler = glue
        .get_crawler()
        .name(e.name("orders"))
        .send()
        .await
        .expect("crawler")
        .crawler
        .expect("present");
    assert_eq!(crawler.description.as_deref(), Some("crawls orders"));
    assert_eq!(
        crawler
            .schedule
            .and_then(|s| s.schedule_expression)
            .as_deref(),
        Some("cron(30 5 * * ? *)")
    );
}

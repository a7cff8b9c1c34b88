//! End-to-end tests of the AWS providers: the real `twh` binary and the
//! real SDK against the project's emulator (`emulator/`).
//!
//! `TWH_EMULATOR_URL` must name a running emulator (`bash .ci/run` starts
//! one and sets it, with AWS_ENDPOINT_URL and dummy credentials); without it
//! every test here fails rather than passing silently. Each test uses its own
//! environment name, so its resources have unique names and tests run in
//! parallel without resetting the emulator.

mod common;

use common::aws_fixtures::*;
use common::emulator::{self, Estate, PrivateEmulator};
use serde_json::{Value, json};

/// The shared emulator's URL, or a failure telling how to get one.
fn emulator() -> String {
    emulator::shared_url()
}

fn estate(tag: &str) -> Estate {
    Estate::new(&emulator(), tag)
}

async fn sdk() -> aws_config::SdkConfig {
    emulator::sdk(&emulator()).await
}

/// sync from empty → diff clean → second sync makes no mutating call.
async fn golden(tag: &str, resources: Vec<Value>) -> Estate {
    let e = estate(tag);
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

/// What AWS stores instead of what it was sent — the view's SQL as Trino
/// formats it, a mixed-case database name — is
/// reported once by the sync that caused it and is never a change: the diff
/// right after is clean and a second sync makes no mutating call. Against
/// the verbatim emulator (`TWH_EMULATOR_VERBATIM=1`, no rewrites) this test
/// fails on its first assertion, which is how it proves that the emulator
/// rewrites and twh absorbs it.
#[tokio::test(flavor = "multi_thread")]
async fn what_aws_rewrites_is_reported_once_and_never_a_change() {
    let e = estate("rewr");
    e.bucket().await;
    let mut role = role();
    role["spec"]["Path"] = json!("/service-role/");
    let mut db = database();
    db["spec"]["DatabaseInput"]["Name"] = json!("Wh_${env}");
    let mut view = view();
    view["spec"]["Sql"] = json!("select id, total from orders where total > 0");
    e.write(vec![role, db, crawler(), table(), workgroup(), view]);
    let out = e.sync();
    let note = "note: athena_view.orders_v: Sql stored by AWS as";
    assert!(out.contains(note), "missing `{note}` in:\n{out}");
    // GetCrawler names the role with its path (`service-role/NAME`); twh
    // compares the file's ARN in that form, so it is the same value, not a
    // rewrite (and a plan with no record, after import, agrees).
    assert!(
        !out.contains("glue_crawler.orders: Role stored by AWS"),
        "the role with its path is the role the file names:\n{out}"
    );
    e.clean();
    e.quiet_sync();
    let again = e.sync();
    assert!(
        !again.contains("stored by AWS"),
        "reported once, not on every sync:\n{again}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_job() {
    golden("gjob", vec![role(), job()]).await;
}

/// Issue 11: `"Retention": 0` is sent, and GetTable answers without it
/// where twh's read drops the 0; the table must not diff after its sync.
#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_table_with_retention_zero() {
    let mut t = table();
    t["spec"]["TableInput"]["Retention"] = json!(0);
    golden("gret", vec![database(), t]).await;
}

/// Issue 11: `"MaxCapacity": 2` comes back from Glue as the double `2.0`;
/// the job must not diff after its sync.
#[tokio::test(flavor = "multi_thread")]
async fn golden_glue_job_with_an_integer_capacity() {
    let mut j = job();
    for k in ["WorkerType", "NumberOfWorkers"] {
        j["spec"].as_object_mut().expect("spec").remove(k);
    }
    j["spec"]["GlueVersion"] = json!("1.0");
    j["spec"]["MaxCapacity"] = json!(2);
    golden("gcap", vec![role(), j]).await;
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

/// A CDK-style stack that owns a Glue database (and a table in it), made
/// with CreateStack. CloudFormation puts no tag on either
/// (`AWS::Glue::Database` has no `Tags`): only the stack knows it owns them.
async fn stack_owning_the_database(e: &Estate, stack: &str) {
    let template = json!({
        "Resources": {
            "Db": {"Type": "AWS::Glue::Database", "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {"Name": e.db(), "Description": "Warehouse"}}},
            "Orders": {"Type": "AWS::Glue::Table", "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseName": {"Ref": "Db"},
                "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
                    "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}],
                        "Location": format!("s3://twh-lake-{}/orders/", e.env)}}}}},
        "Outputs": {"DatabaseName": {"Value": {"Ref": "Db"}}}});
    aws_sdk_cloudformation::Client::new(&sdk().await)
        .create_stack()
        .stack_name(stack)
        .template_body(template.to_string())
        .send()
        .await
        .expect("create stack");
}

/// A database and a table a CloudFormation stack owns are refused, and the
/// error names the stack: twh learns it from ListStackResources of the
/// stacks the environment file lists, not from a tag. On main (tag only)
/// `diff` planned an adopt of the database and exited 2.
#[tokio::test(flavor = "multi_thread")]
async fn resources_a_stack_owns_are_refused() {
    let e = estate("cfn");
    let stack = format!("platform-{}", e.env);
    stack_owning_the_database(&e, &stack).await;
    e.repo.write(
        &format!("resources/environments/{}.json", e.env),
        &json!({"region": "us-east-1", "variables": {"lake_bucket": format!("twh-lake-{}", e.env)},
                "cloudformation": {"stacks": [stack]}, "state": {"backend": "local"}}),
    );
    let mut t = table();
    t["spec"]["TableInput"]["StorageDescriptor"]["Location"] = json!("s3://elsewhere/orders/");
    e.write(vec![database(), t]);
    let out = e.run(&["diff"], 1);
    for addr in ["glue_database.wh", "glue_table.orders"] {
        assert!(
            out.contains(&format!("`{addr}`: "))
                && out.contains(&format!("belongs to CloudFormation stack `{stack}`")),
            "{addr} not refused:\n{out}"
        );
    }
    // The file may opt in: the database as the stack made it is adopted.
    e.write(vec![json!({"type": "glue_database", "name": "wh",
        "spec": {"DatabaseInput": {"Name": "wh_${env}", "Description": "Warehouse"}},
        "lifecycle": {"adopt_from_cloudformation": true}})]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("= glue_database.wh (adopt"), "{out}");
    assert!(
        out.contains(&format!(
            "CloudFormation: 1 stack(s) checked for what they own ({stack}), 1 call(s)"
        )),
        "the ownership calls are printed:\n{out}"
    );
    e.run(&["sync", "--auto-approve"], 0);
    e.run(&["diff"], 0);
    // Removed from the files, it is still the stack's: never deleted.
    e.write(vec![]);
    let out = e.run(&["sync", "--auto-approve"], 1);
    assert!(
        out.contains(&format!("`glue_database.wh` was removed from the files, but it belongs to CloudFormation stack `{stack}`")),
        "{out}"
    );
    let db = aws_sdk_glue::Client::new(&sdk().await)
        .get_database()
        .name(e.db())
        .send()
        .await;
    assert!(db.is_ok(), "the stack's database was deleted");
}

/// A stack named only in a `${cfn:STACK.OUTPUT}` placeholder is read too.
#[tokio::test(flavor = "multi_thread")]
async fn stacks_named_in_cfn_placeholders_are_read_for_ownership() {
    let e = estate("cfnref");
    let stack = format!("platform-{}", e.env);
    stack_owning_the_database(&e, &stack).await;
    let mut db = database();
    db["spec"]["DatabaseInput"]["Name"] = json!(format!("${{cfn:{stack}.DatabaseName}}"));
    e.write(vec![db]);
    let out = e.run(&["diff"], 1);
    assert!(
        out.contains(&format!(
            "`glue_database.wh`: glue_database `{}` belongs to CloudFormation stack `{stack}`",
            e.db()
        )),
        "{out}"
    );
}

/// AWS refuses user tags with the `aws:` prefix (the Glue API reference,
/// Tag: the key "must not contain the prefix aws"), so only CloudFormation
/// can put the stack tag on a resource, and the emulator refuses it too: a
/// test can no longer fake ownership by tagging.
#[tokio::test(flavor = "multi_thread")]
async fn the_reserved_aws_tag_prefix_is_refused() {
    let e = estate("awstag");
    let err = aws_sdk_glue::Client::new(&sdk().await)
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
        .expect_err("an aws: tag was accepted");
    assert_eq!(
        aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&err),
        Some("InvalidInputException"),
        "{err:?}"
    );
}

/// A failing view DDL shows Athena's own message.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_view_shows_athenas_error() {
    let e = estate("vfail");
    e.bucket().await;
    let mut v = view();
    v["spec"]["Sql"] = json!("SELECT id FROM no_such_table");
    e.write(vec![database(), workgroup(), v]);
    let out = e.run(&["sync", "--auto-approve"], 1);
    assert!(out.contains("TABLE_NOT_FOUND"), "{out}");
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
                // The whole viewer set: QuickSight revokes only whole sets.
                .set_actions(Some(
                    [
                        "quicksight:DescribeDataSet",
                        "quicksight:DescribeDataSetPermissions",
                        "quicksight:PassDataSet",
                        "quicksight:DescribeIngestion",
                        "quicksight:ListIngestions",
                    ]
                    .map(String::from)
                    .to_vec(),
                ))
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

/// `"Version"`-`"Statement"` trust policy of one `AWS` principal.
fn trust_of(aws: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}]})
}

/// IAM stores an account-id principal as the account's root ARN. The two
/// are one principal, so a role made outside twh with the short form, and
/// declared with it, is adopted as it is: no record of what AWS answered
/// is needed for them to compare equal.
#[tokio::test(flavor = "multi_thread")]
async fn an_account_id_principal_equals_the_root_arn_iam_stores() {
    let e = estate("acctp");
    let name = e.name("twh-cross");
    let iam = aws_sdk_iam::Client::new(&sdk().await);
    iam.create_role()
        .role_name(&name)
        .assume_role_policy_document(trust_of(json!("123456789012")).to_string())
        .send()
        .await
        .expect("create role");
    let got = iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .expect("get role");
    let stored = urlencoding_decode(
        got.role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default(),
    );
    assert!(
        stored.contains("arn:aws:iam::123456789012:root"),
        "the emulator does not store the root ARN as IAM does: {stored}"
    );
    e.write(vec![json!({"type": "iam_role", "name": "cross", "spec": {
        "RoleName": "twh-cross-${env}", "AssumeRolePolicyDocument": trust_of(json!("123456789012"))}})]);
    let out = e.run(&["diff"], 2);
    assert!(
        out.contains("iam_role.cross (adopt; exists in AWS exactly as declared)"),
        "{out}"
    );
    e.sync();
    e.clean();
    e.quiet_sync();
}

fn urlencoding_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A role trusted by another's trust policy is deleted outside twh: IAM
/// shows the trusting policy with the deleted role's unique id (`AROA…`)
/// instead of its ARN. The plan says so, and that re-creating the role does
/// not restore the trust; sync re-creates the role and writes the trust
/// policy again, and the next diff is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_trusted_role_is_drift_that_says_why() {
    let ci = json!({"type": "iam_role", "name": "ci", "spec": {
        "RoleName": "twh-ci-${env}", "AssumeRolePolicyDocument": trust_of(json!("123456789012"))}});
    let deployer = json!({"type": "iam_role", "name": "deployer", "spec": {
        "RoleName": "twh-deployer-${env}",
        "AssumeRolePolicyDocument": trust_of(json!("${ref:iam_role.ci.arn}"))}});
    let e = golden("orphan", vec![ci, deployer]).await;
    let iam = aws_sdk_iam::Client::new(&sdk().await);
    iam.delete_role()
        .role_name(e.name("twh-ci"))
        .send()
        .await
        .expect("delete role");
    let out = e.run(&["diff"], 2);
    let head = out
        .lines()
        .find(|l| l.contains("iam_role.deployer ("))
        .unwrap_or_else(|| panic!("no change for the trusting role:\n{out}"));
    for part in [
        "drifted: changed outside twh",
        "its trust policy names `AROA",
        "re-creating that role or user does not restore the trust",
    ] {
        assert!(head.contains(part), "missing `{part}` in: {head}\n{out}");
    }
    e.sync();
    e.clean();
}

/// A tag-only change of a SPICE data set writes the tags and nothing else:
/// the live refresh schedule carries what QuickSight filled (`Arn`,
/// `StartAfterDateTime`, `TimeOfTheDay`, `Timezone`) and is not rewritten.
/// A real schedule change is written once. Counted from the emulator's
/// call log. The schedule leaves `TimeOfTheDay` and `Timezone` out, so the
/// golden part also checks that those defaults never become a diff.
#[tokio::test(flavor = "multi_thread")]
async fn a_tag_change_on_a_spice_data_set_sends_no_schedule_write() {
    let emu = PrivateEmulator::start();
    let e = Estate::new(&emu.url, "qstag");
    e.bucket().await;
    let with = |interval: &str, team: &str| {
        let mut d = data_set();
        d["spec"]["RefreshSchedules"] = json!([{"ScheduleId": "nightly",
            "RefreshType": "FULL_REFRESH", "ScheduleFrequency": {"Interval": interval}}]);
        d["spec"]["Tags"] = json!([{"Key": "team", "Value": team}]);
        d
    };
    let base = || vec![database(), table(), workgroup(), data_source()];
    e.write(base().into_iter().chain([with("DAILY", "data")]).collect());
    e.sync();
    e.clean();
    e.quiet_sync();
    let writes = |calls: &[Value]| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c["mutating"] == true)
            .filter_map(|c| c["operation"].as_str().map(String::from))
            .collect()
    };
    emu.control(reqwest::Method::DELETE, "/_twh/calls", None)
        .await;
    e.write(
        base()
            .into_iter()
            .chain([with("DAILY", "finance")])
            .collect(),
    );
    e.sync();
    let sent = writes(&emu.calls().await);
    assert!(sent.iter().any(|o| o == "TagResource"), "{sent:?}");
    assert!(
        !sent
            .iter()
            .any(|o| o == "UpdateRefreshSchedule" || o == "UpdateDataSet"),
        "a tag change rewrote more than the tags: {sent:?}"
    );
    e.clean();
    emu.control(reqwest::Method::DELETE, "/_twh/calls", None)
        .await;
    e.write(
        base()
            .into_iter()
            .chain([with("HOURLY", "finance")])
            .collect(),
    );
    e.sync();
    let sent = writes(&emu.calls().await);
    assert_eq!(
        sent.iter()
            .filter(|o| *o == "UpdateRefreshSchedule")
            .count(),
        1,
        "{sent:?}"
    );
    e.clean();
    e.quiet_sync();
}

/// A workgroup created with no `Configuration`: Athena fills
/// `EnforceWorkGroupConfiguration` and `PublishCloudWatchMetricsEnabled`
/// (both `true`, as Terraform's TestAccAthenaWorkGroup_basic asserts) and
/// the engine version; none of it is a diff or a write afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn golden_athena_workgroup_without_configuration() {
    let e = golden(
        "wgbare",
        vec![json!({"type": "athena_workgroup", "name": "bare", "spec": {"Name": "bare-${env}"}})],
    )
    .await;
    let athena = aws_sdk_athena::Client::new(&sdk().await);
    let wg = athena
        .get_work_group()
        .work_group(e.name("bare"))
        .send()
        .await
        .expect("workgroup");
    let cfg = wg.work_group().and_then(|w| w.configuration()).cloned();
    assert_eq!(
        cfg.and_then(|c| c.publish_cloud_watch_metrics_enabled()),
        Some(true),
        "the emulator does not fill what Athena fills"
    );
}

/// `sync -v` counts the calls of the whole run, and its count is the one
/// the emulator logged: the first sync's mutating calls are all there, and
/// the second sync's "0 mutating" is a count of calls made, not of calls
/// planned.
#[tokio::test(flavor = "multi_thread")]
async fn sync_counts_every_call_it_makes_as_the_emulator_logs_them() {
    let emu = PrivateEmulator::start();
    let e = Estate::new(&emu.url, "count");
    e.bucket().await;
    e.write(full_estate());
    let counted = |out: &str| -> (u64, u64) {
        let line = out
            .lines()
            .find(|l| l.starts_with("API calls: "))
            .unwrap_or_else(|| panic!("no call count:\n{out}"));
        let num = |after: &str, before: &str| -> u64 {
            line.split(after)
                .nth(1)
                .and_then(|r| r.split(before).next())
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("cannot read `{line}`"))
        };
        (num("API calls: ", "("), num("reads, ", "mutating"))
    };
    for (run, first) in [(1, true), (2, false)] {
        emu.control(reqwest::Method::DELETE, "/_twh/calls", None)
            .await;
        let out = e.sync();
        let log = emu.calls().await;
        let logged_mutating = log.iter().filter(|c| c["mutating"] == true).count() as u64;
        let (total, mutating) = counted(&out);
        assert_eq!(
            (total, mutating),
            (log.len() as u64, logged_mutating),
            "run {run}: twh's count differs from the emulator's log:\n{out}"
        );
        if first {
            assert!(mutating >= 8, "run {run}: {out}");
        } else {
            assert_eq!(mutating, 0, "run {run}: {out}");
        }
    }
}

/// Runs `sql` in the estate's workgroup and database; Athena's final state
/// and, when it failed, why.
async fn query(e: &Estate, sql: &str) -> (String, String) {
    let athena = aws_sdk_athena::Client::new(&sdk().await);
    let id = athena
        .start_query_execution()
        .query_string(sql)
        .work_group(e.name("wg"))
        .query_execution_context(
            aws_sdk_athena::types::QueryExecutionContext::builder()
                .database(e.db())
                .build(),
        )
        .send()
        .await
        .expect("start query")
        .query_execution_id
        .expect("query id");
    loop {
        let status = athena
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .expect("get query")
            .query_execution
            .and_then(|q| q.status)
            .expect("status");
        let state = status.state.clone().expect("state");
        if !matches!(
            state,
            aws_sdk_athena::types::QueryExecutionState::Queued
                | aws_sdk_athena::types::QueryExecutionState::Running
        ) {
            let why = status
                .athena_error
                .and_then(|a| a.error_message)
                .or(status.state_change_reason)
                .unwrap_or_default();
            return (state.as_str().to_string(), why);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Issue 11, stale views: a sync that changes a table's columns re-creates
/// the views that depend on it, in the same run, so the view can still be
/// read (Athena answers `VIEW_IS_STALE` for a view whose stored columns no
/// longer match its SQL, and so does the emulator); the next sync is quiet.
#[tokio::test(flavor = "multi_thread")]
async fn a_column_change_re_creates_the_views_that_read_the_table() {
    let mut v = view();
    v["spec"]["Sql"] = json!("SELECT * FROM orders");
    v["depends_on"] = json!(["glue_table.orders"]);
    let e = golden("stale", vec![database(), table(), workgroup(), v.clone()]).await;
    let (state, why) = query(&e, "SELECT * FROM orders_v").await;
    assert_eq!(state, "SUCCEEDED", "{why}");

    let mut t = table();
    t["spec"]["TableInput"]["StorageDescriptor"]["Columns"]
        .as_array_mut()
        .expect("columns")
        .push(json!({"Name": "currency", "Type": "string"}));
    e.write(vec![database(), t, workgroup(), v]);
    let out = e.run(&["diff"], 2);
    assert!(
        out.contains(
            "~ athena_view.orders_v (update; re-created: reads glue_table.orders whose columns change)"
        ),
        "{out}"
    );
    e.sync();
    let (state, why) = query(&e, "SELECT * FROM orders_v").await;
    assert_eq!(
        state, "SUCCEEDED",
        "the view is stale after the sync: {why}"
    );
    e.clean();
    e.quiet_sync();
}

/// Issue 11: a crawler's `CrawlerSecurityConfiguration` removed from the
/// file is cleared in AWS (UpdateCrawler with `""`), and the next sync is
/// quiet.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_crawler_security_configuration_is_cleared() {
    let mut c = crawler();
    c["spec"]["CrawlerSecurityConfiguration"] = json!("lake-kms");
    let e = golden("csc", vec![role(), database(), c]).await;
    e.write(vec![role(), database(), crawler()]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("~ glue_crawler.orders (update)"), "{out}");
    e.sync();
    let live = aws_sdk_glue::Client::new(&sdk().await)
        .get_crawler()
        .name(e.name("orders"))
        .send()
        .await
        .expect("get crawler")
        .crawler
        .expect("crawler");
    assert!(
        live.crawler_security_configuration
            .is_none_or(|s| s.is_empty()),
        "security configuration not cleared"
    );
    e.clean();
    e.quiet_sync();
}

/// Issue 11, workgroup fields without a `Remove*` flag: a monitoring
/// configuration removed from the file is switched off (each logging block
/// sent with `Enabled: false`, as Terraform does); an `ExecutionRole`
/// removed, which AWS cannot clear, replaces the workgroup and the plan
/// says why. Each sync is followed by a clean diff and a quiet sync.
#[tokio::test(flavor = "multi_thread")]
async fn workgroup_fields_without_a_remove_flag_are_cleared_honestly() {
    let mut w = workgroup();
    w["spec"]["Configuration"]["MonitoringConfiguration"] = json!({
        "CloudWatchLoggingConfiguration": {"Enabled": true, "LogGroup": "/athena/twh"}});
    w["spec"]["Configuration"]["ExecutionRole"] =
        json!("arn:aws:iam::123456789012:role/athena-spark");
    let e = golden("wgrm", vec![workgroup_with(&w, &[])]).await;

    e.write(vec![workgroup_with(&w, &["MonitoringConfiguration"])]);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("~ athena_workgroup.wg (update)"), "{out}");
    e.sync();
    let logging = workgroup_config(&e)
        .await
        .monitoring_configuration
        .and_then(|m| m.cloud_watch_logging_configuration);
    assert_eq!(logging.map(|l| l.enabled), Some(false), "logging still on");
    e.clean();
    e.quiet_sync();

    e.write(vec![workgroup_with(
        &w,
        &["MonitoringConfiguration", "ExecutionRole"],
    )]);
    let out = e.run(&["diff"], 2);
    assert!(
        out.contains("-/+ athena_workgroup.wg (replace; Configuration.ExecutionRole cannot be removed in place"),
        "{out}"
    );
    e.sync();
    assert_eq!(
        workgroup_config(&e).await.execution_role,
        None,
        "execution role not cleared"
    );
    e.clean();
    e.quiet_sync();
}

async fn workgroup_config(e: &Estate) -> aws_sdk_athena::types::WorkGroupConfiguration {
    aws_sdk_athena::Client::new(&sdk().await)
        .get_work_group()
        .work_group(e.name("wg"))
        .send()
        .await
        .expect("get wg")
        .work_group
        .and_then(|w| w.configuration)
        .expect("config")
}

fn workgroup_with(w: &Value, without: &[&str]) -> Value {
    let mut w = w.clone();
    for k in without {
        w["spec"]["Configuration"]
            .as_object_mut()
            .map(|c| c.remove(*k));
    }
    w
}

/// Issue 12, part 3: a resource renamed in the files (a new `name`, in
/// another file) is a move in state, with no AWS mutation; `twh state mv`
/// renames it back; a changed AWS identity (RoleName) is a replacement that
/// sync refuses without --allow-replace, naming the field and what depends
/// on it.
#[tokio::test]
async fn renames_are_moves_and_identity_changes_need_allow_replace() {
    let e = golden("mv", vec![role(), database(), crawler()]).await;
    let mut c = crawler();
    c["name"] = json!("ticket_orders");
    e.write(vec![role(), database()]);
    e.repo
        .write("resources/glue/crawlers/ticket_orders.json", &c);
    let out = e.run(&["diff"], 2);
    assert!(
        out.contains("> glue_crawler.ticket_orders (moved from glue_crawler.orders)"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to move;"),
        "{out}"
    );
    let out = e.sync();
    assert!(
        out.contains(" 0 mutating)"),
        "a move calls AWS for nothing:\n{out}"
    );
    e.clean();

    let out = e.run(
        &[
            "state",
            "mv",
            "glue_crawler.ticket_orders",
            "glue_crawler.orders",
        ],
        0,
    );
    assert!(out.contains("nothing in AWS changed"), "{out}");
    e.repo.remove("resources/glue/crawlers/ticket_orders.json");
    e.write(vec![role(), database(), crawler()]);
    e.clean();

    let mut r = role();
    r["spec"]["RoleName"] = json!("twh-glue-${env}");
    e.write(vec![r, database(), crawler()]);
    let out = e.run(&["sync", "--auto-approve"], 1);
    assert!(
        out.contains(&format!(
            "`iam_role.crawler` would be replaced (`RoleName` changed from `twh-crawler-{env}` to `twh-glue-{env}`",
            env = e.env
        )) && out.contains("it affects glue_crawler.orders")
            && out.contains("--allow-replace"),
        "{out}"
    );
    assert!(
        e.managed()
            .contains(&format!("iam_role twh-crawler-{}", e.env))
    );
    e.run(&["sync", "--auto-approve", "--allow-replace"], 0);
    e.clean();
}

/// Issue 12, part 7: every kind made outside twh (here by a twh of another
/// repository) imports with `--all` into an empty repository; the files
/// validate and the diff right after is clean. A private emulator, so
/// `--all` finds this estate's resources and no other test's.
#[tokio::test]
async fn every_kind_imports_into_files_that_validate_and_diff_clean() {
    let emu = emulator::PrivateEmulator::start();
    let made = Estate::new(&emu.url, "imp");
    made.bucket().await;
    let mut all = full_estate();
    all.push(job());
    made.write(all);
    made.sync();
    let fresh = Estate {
        repo: common::Repo::new(),
        env: made.env.clone(),
        url: emu.url.clone(),
        vars: Vec::new(),
    };
    let env_file = format!("resources/environments/{}.json", made.env);
    let text = std::fs::read_to_string(made.repo.file(&env_file)).expect("env file");
    fresh.repo.write_text(&env_file, &text);
    let kinds = [
        "iam_role",
        "glue_database",
        "glue_table",
        "glue_crawler",
        "glue_job",
        "athena_workgroup",
        "athena_view",
        "quicksight_data_source",
        "quicksight_data_set",
    ];
    assert_eq!(
        kinds.len(),
        twh::kinds::KINDS.iter().filter(|k| k.managed).count(),
        "every kind twh manages is imported here"
    );
    let wg = made.name("wg");
    for kind in kinds {
        let mut args = vec!["import", "--all", kind];
        if kind == "athena_view" {
            args.extend(["--workgroup", &wg]);
        }
        let out = fresh.run(&args, 0);
        assert!(out.contains(&format!("imported {kind} ")), "{kind}: {out}");
        assert!(
            std::fs::read_dir(fresh.repo.file(&format!("resources/{kind}")))
                .is_ok_and(|mut d| d.next().is_some()),
            "{kind}: no file written:\n{out}"
        );
    }
    let view: Value = serde_json::from_str(
        &std::fs::read_to_string(fresh.repo.file("resources/athena_view/orders_v.json"))
            .expect("view file"),
    )
    .expect("json");
    assert!(
        view["spec"]["WorkGroup"]
            .as_str()
            .is_some_and(|w| w.starts_with("${ref:athena_workgroup.")),
        "{view}"
    );
    fresh.run(&["validate"], 0);
    let out = fresh.run(&["diff"], 0);
    assert!(out.contains("No changes"), "{out}");
}

/// The path QuickSight definitions will take (issue 13): a body written as
/// the API's JSON replaces what the typed builder serialized, is signed and
/// accepted, and the answer is read back as the JSON AWS sent.
#[tokio::test(flavor = "multi_thread")]
async fn raw_json_bodies_go_through_the_sdk_and_come_back_as_sent() {
    use aws_sdk_quicksight::types::DataSourceType;
    use twh_aws::raw_json::{CaptureBody, JsonBody};

    let qs = aws_sdk_quicksight::Client::new(&sdk().await);
    let account = "123456789012";
    // Its own id, so a rerun on the same emulator starts from nothing.
    let id = format!("raw-json-{}", uuid::Uuid::new_v4());
    let body = json!({
        "DataSourceId": id, "Name": "from the JSON body", "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "raw-json-wg"}}
    });
    qs.create_data_source()
        .aws_account_id(account)
        .data_source_id(&id)
        .name("from the typed builder")
        .r#type(DataSourceType::Athena)
        .customize()
        .interceptor(JsonBody::new(&body))
        .send()
        .await
        .expect("the JSON body is signed and accepted");

    let captured = CaptureBody::default();
    let typed = qs
        .describe_data_source()
        .aws_account_id(account)
        .data_source_id(&id)
        .customize()
        .interceptor(captured.clone())
        .send()
        .await
        .expect("describe");
    let source = typed.data_source.expect("a data source");
    assert_eq!(source.name.as_deref(), Some("from the JSON body"));
    let raw = captured.json().expect("a body was captured").expect("JSON");
    assert_eq!(raw["DataSource"]["Name"], "from the JSON body");
    assert_eq!(
        raw["DataSource"]["DataSourceParameters"],
        json!({"AthenaParameters": {"WorkGroup": "raw-json-wg"}})
    );
}

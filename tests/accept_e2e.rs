//! `twh accept` end to end: drift made with the AWS SDK against the
//! emulator, accepted into hand-written files, the files compared as text
//! (placeholders, layout, key order and the other resources kept), then a
//! clean diff.
//!
//! Needs `TWH_EMULATOR_URL` (see tests/aws_e2e.rs).

mod common;

use common::aws_fixtures::*;
use common::emulator::{self, Estate};

fn estate(tag: &str) -> Estate {
    Estate::new(&emulator::shared_url(), tag)
}

async fn sdk() -> aws_config::SdkConfig {
    emulator::sdk(&emulator::shared_url()).await
}

/// A one-resource file, aligned by hand.
const CRAWLER: &str = r#"{
    "type": "glue_crawler",
    "name": "orders",
    "spec": {
        "Name":         "orders-${env}",
        "Role":         "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.wh.name}",
        "Schedule":     "cron(0 1 * * ? *)",
        "SchemaChangePolicy": { "UpdateBehavior": "LOG" },
        "Targets": { "S3Targets": [ { "Path": "s3://${var.lake_bucket}/orders/" } ] }
    }
}
"#;

/// A file of resources with a `moved` list, columns one per line.
const LAKE: &str = r#"{
  "resources": [
    {
      "type": "glue_table",
      "name": "orders",
      "spec": {
        "DatabaseName": "${ref:glue_database.wh.name}",
        "TableInput": {
          "Name": "orders",
          "TableType": "EXTERNAL_TABLE",
          "Parameters": {"classification": "json"},
          "PartitionKeys": [{"Name": "dt", "Type": "string"}],
          "StorageDescriptor": {
            "Columns": [
              {"Name": "id",    "Type": "string", "Comment": "la clé ✓"},
              {"Name": "total", "Type": "double"}
            ],
            "Location": "s3://${var.lake_bucket}/orders/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
          }
        }
      }
    },
    {
      "type": "athena_workgroup",
      "name": "wg",
      "spec": {
        "Name": "wg-${env}",
        "Description": "analysts",
        "Configuration": {
          "ResultConfiguration": {"OutputLocation": "s3://${var.lake_bucket}/athena/"},
          "BytesScannedCutoffPerQuery": 10000000000
        }
      },
      "lifecycle": {"ignore_changes": ["Description"]}
    }
  ],
  "moved": [{"from": "athena_workgroup.old_wg", "to": "athena_workgroup.wg"}]
}
"#;

fn read(e: &Estate, rel: &str) -> String {
    std::fs::read_to_string(e.repo.file(rel)).expect("read")
}

#[tokio::test(flavor = "multi_thread")]
async fn console_edits_are_written_into_the_files_in_place_and_the_next_diff_is_clean() {
    let e = estate("accept");
    e.bucket().await;
    e.repo.write(
        "resources/base.json",
        &serde_json::json!({"resources": [role(), database()]}),
    );
    e.repo
        .write_text("resources/glue/orders_crawler.json", CRAWLER);
    e.repo.write_text("resources/lake.json", LAKE);
    let base = read(&e, "resources/base.json");
    e.sync();
    e.clean();

    let cfg = sdk().await;
    let glue = aws_sdk_glue::Client::new(&cfg);
    let athena = aws_sdk_athena::Client::new(&cfg);
    // The console: a new schedule and a new target folder on the crawler.
    glue.update_crawler()
        .name(e.name("orders"))
        .schedule("cron(0 5 * * ? *)")
        .targets(
            aws_sdk_glue::types::CrawlerTargets::builder()
                .s3_targets(
                    aws_sdk_glue::types::S3Target::builder()
                        .path(format!("s3://twh-lake-{}/orders_v2/", e.env))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("update crawler");
    // A column added between the two.
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
    let mut cols = sd.columns().to_vec();
    cols.insert(
        1,
        aws_sdk_glue::types::Column::builder()
            .name("currency")
            .r#type("string")
            .build()
            .expect("column"),
    );
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
    // A workgroup setting, and the description, which the file leaves to
    // others (`ignore_changes`).
    athena
        .update_work_group()
        .work_group(e.name("wg"))
        .description("set in the console")
        .configuration_updates(
            aws_sdk_athena::types::WorkGroupConfigurationUpdates::builder()
                .bytes_scanned_cutoff_per_query(20_000_000_000)
                .build(),
        )
        .send()
        .await
        .expect("update workgroup");
    let out = e.run(&["diff"], 2);
    assert!(out.contains("3 drifted"), "{out}");

    let addrs = [
        "glue_crawler.orders",
        "glue_table.orders",
        "athena_workgroup.wg",
    ];
    let crawler = CRAWLER
        .replace("cron(0 1 * * ? *)", "cron(0 5 * * ? *)")
        .replace(
            "\"s3://${var.lake_bucket}/orders/\"",
            "\"s3://${var.lake_bucket}/orders_v2/\"",
        );
    let lake = LAKE
        .replace(
            "\"Comment\": \"la clé ✓\"},\n",
            "\"Comment\": \"la clé ✓\"},\n              {\"Name\": \"currency\", \"Type\": \"string\"},\n",
        )
        .replace("10000000000", "20000000000");

    // --dry-run: the diff of the files, nothing written.
    let mut dry = vec!["accept", "--dry-run"];
    dry.extend(addrs);
    let out = e.run(&dry, 0);
    assert!(
        out.contains("-        \"Schedule\":     \"cron(0 1 * * ? *)\",\n+        \"Schedule\":     \"cron(0 5 * * ? *)\","),
        "{out}"
    );
    assert!(
        out.contains("+              {\"Name\": \"currency\", \"Type\": \"string\"},"),
        "{out}"
    );
    assert!(out.contains("Dry run: nothing was written."), "{out}");
    assert_eq!(read(&e, "resources/glue/orders_crawler.json"), CRAWLER);
    assert_eq!(read(&e, "resources/lake.json"), LAKE);
    e.run(&["diff"], 2);

    let mut args = vec!["accept"];
    args.extend(addrs);
    let out = e.run(&args, 0);
    assert_eq!(read(&e, "resources/glue/orders_crawler.json"), crawler);
    assert_eq!(read(&e, "resources/lake.json"), lake);
    assert_eq!(
        read(&e, "resources/base.json"),
        base,
        "other files untouched"
    );
    for line in [
        "resources/glue/orders_crawler.json:8: glue_crawler.orders: Schedule (changed)",
        "resources/glue/orders_crawler.json:10: glue_crawler.orders: Targets.S3Targets (changed)",
        "resources/lake.json:14: glue_table.orders: TableInput.StorageDescriptor.Columns (changed)",
        "resources/lake.json:35: athena_workgroup.wg: Configuration.BytesScannedCutoffPerQuery (changed)",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing `{line}` in:\n{out}"
        );
    }
    assert!(
        !out.contains("Description"),
        "an ignored field is not written:\n{out}"
    );
    e.clean();
    e.quiet_sync();
    // Accepting again finds nothing to do.
    let out = e.run(&["accept", "--all-drift"], 0);
    assert!(out.contains("Nothing to accept"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn quicksight_fields_changed_in_the_console_are_accepted() {
    let e = estate("acceptqs");
    e.bucket().await;
    e.write(vec![
        database(),
        table(),
        workgroup(),
        data_source(),
        data_set(),
    ]);
    e.sync();
    e.clean();
    let before = read(&e, "resources/all.json");
    let qs = aws_sdk_quicksight::Client::new(&sdk().await);
    qs.update_data_source()
        .aws_account_id("123456789012")
        .data_source_id(e.name("athena"))
        .name("Athena (analysts)")
        .data_source_parameters(
            aws_sdk_quicksight::types::DataSourceParameters::AthenaParameters(
                aws_sdk_quicksight::types::AthenaParameters::builder()
                    .work_group(e.name("wg"))
                    .build(),
            ),
        )
        .send()
        .await
        .expect("update data source");
    let out = e.run(&["diff"], 2);
    assert!(out.contains("1 drifted"), "{out}");
    let out = e.run(&["accept", "--all-drift"], 0);
    assert!(
        out.lines()
            .any(|l| l.ends_with(": quicksight_data_source.athena: Name (changed)")),
        "{out}"
    );
    let after = read(&e, "resources/all.json");
    let expected = before.replacen("\"Name\": \"Athena\"", "\"Name\": \"Athena (analysts)\"", 1);
    assert_eq!(after, expected);
    assert!(
        after.contains("\"WorkGroup\": \"${ref:athena_workgroup.wg.name}\""),
        "the reference stays where its value still matches:\n{after}"
    );
    e.clean();
}

/// A secret is never written into a file: its drift is named and stays
/// drift, while the other drifted fields of the same resource are accepted.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_never_written_back_and_their_drift_stays() {
    let mut e = estate("acceptsecret");
    e.vars
        .push(("TWH_TEST_API_KEY".into(), "key-from-the-environment".into()));
    e.bucket().await;
    let mut j = job();
    j["spec"]["DefaultArguments"]["--api-key"] = serde_json::json!("${env_var:TWH_TEST_API_KEY}");
    e.write(vec![role(), j]);
    e.sync();
    e.clean();
    let before = read(&e, "resources/all.json");
    let glue = aws_sdk_glue::Client::new(&sdk().await);
    let live = glue
        .get_job()
        .job_name(e.name("etl"))
        .send()
        .await
        .expect("get job")
        .job
        .expect("job");
    let mut args = live.default_arguments.clone().unwrap_or_default();
    args.insert("--api-key".into(), "typed-into-the-console".into());
    glue.update_job()
        .job_name(e.name("etl"))
        .job_update(
            aws_sdk_glue::types::JobUpdate::builder()
                .set_role(live.role.clone())
                .set_command(live.command.clone())
                .set_glue_version(live.glue_version.clone())
                .set_worker_type(live.worker_type.clone())
                .number_of_workers(3)
                .set_default_arguments(Some(args))
                .build(),
        )
        .send()
        .await
        .expect("update job");
    let out = e.run(&["accept", "glue_job.etl"], 0);
    assert!(
        out.contains(
            "warning: `glue_job.etl`: the secret at `DefaultArguments.--api-key` differs in AWS"
        ),
        "{out}"
    );
    assert!(
        out.contains("glue_job.etl: NumberOfWorkers (changed)"),
        "{out}"
    );
    let after = read(&e, "resources/all.json");
    assert!(!after.contains("typed-into-the-console"), "{after}");
    assert_eq!(
        after,
        before.replacen("\"NumberOfWorkers\": 2", "\"NumberOfWorkers\": 3", 1),
        "the secret keeps its placeholder"
    );
    let state = std::fs::read_to_string(e.state_path()).expect("state");
    assert!(!state.contains("typed-into-the-console"), "{state}");
    // The secret's drift is still there for `twh sync` to repair.
    let out = e.run(&["diff"], 2);
    assert!(out.contains("1 drifted"), "{out}");
    assert!(!out.contains("NumberOfWorkers"), "{out}");
    e.sync();
    e.clean();
}

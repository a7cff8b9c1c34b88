//! End-to-end tests of the operator commands (`twh crawl`, `refresh`,
//! `check`, `purge`): the real `twh` binary against the project's emulator,
//! which really crawls S3 data into tables, completes QuickSight ingestions
//! and answers Athena queries (with canned rows a test registers).
//!
//! `TWH_EMULATOR_URL` must name a running emulator (`bash .ci/run` starts
//! one); without it every test here fails rather than passing silently. Each
//! test uses its own environment name (so its own bucket, database, crawlers
//! and datasets) and never touches the emulator's global switches, so the
//! tests run in parallel on the shared emulator.

mod common;

use std::io::Write as _;

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt as _;
use common::Repo;
use serde_json::{Value, json};

/// A repository whose environment is unique to one test, with its own lake bucket.
struct Estate {
    repo: Repo,
    env: String,
    url: String,
    http: reqwest::Client,
}

impl Estate {
    async fn new(tag: &str, resources: Vec<Value>) -> Self {
        let url = common::emulator::shared_url();
        let env = common::emulator::unique_env(tag);
        let repo = Repo::new();
        repo.write(
            &format!("resources/environments/{env}.json"),
            &json!({"region": "us-east-1", "variables": {"lake": format!("twh-lake-{env}")},
                    "extract": {"sink": "s3://${var.lake}/lake"},
                    "state": {"backend": "local"}}),
        );
        repo.write("resources/all.json", &json!({ "resources": resources }));
        let e = Self {
            repo,
            env,
            url,
            http: reqwest::Client::new(),
        };
        let r = e
            .http
            .put(format!("{}/{}", e.url, e.bucket()))
            .send()
            .await
            .expect("create bucket");
        assert!(r.status().is_success(), "bucket: {}", r.status());
        e
    }

    fn bucket(&self) -> String {
        format!("twh-lake-{}", self.env)
    }

    fn db(&self) -> String {
        format!("wh_{}", self.env)
    }

    /// `twh ARGS --env ENV` against the emulator, not yet run.
    fn command(&self, args: &[&str], envs: &[(&str, &str)]) -> std::process::Command {
        let mut c = std::process::Command::cargo_bin("twh").expect("binary");
        c.envs(envs.iter().copied());
        c.current_dir(self.repo.path())
            .env_remove("TWH_MEMORY_PROVIDER")
            .env_remove("TWH_EXTRACT_SINK")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_REGION", "us-east-1")
            .env("NO_COLOR", "1")
            .env("TWH_RETRY_BASE_MS", "20")
            // Before the command's own: `reset` passes what follows `--` on.
            .args(["--env", &self.env, "--no-progress"])
            .args(args);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            c.env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing");
        }
        c
    }

    fn twh_with(&self, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
        self.command(args, envs).output().expect("run twh")
    }

    /// Runs twh, checks its exit code, returns (stdout, stderr).
    fn run(&self, args: &[&str], code: i32) -> (String, String) {
        self.run_with(args, &[], code)
    }

    fn run_with(&self, args: &[&str], envs: &[(&str, &str)], code: i32) -> (String, String) {
        let o = self.twh_with(args, envs);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        );
        assert_eq!(
            o.status.code(),
            Some(code),
            "`twh {}` exited {:?}, expected {code}:\n{out}{err}",
            args.join(" "),
            o.status.code()
        );
        (out, err)
    }

    fn sync(&self) {
        self.run(&["sync", "--auto-approve"], 0);
    }

    /// Puts a gzipped NDJSON object into the lake bucket.
    async fn put_ndjson(&self, key: &str, records: &[Value]) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for r in records {
            writeln!(gz, "{r}").expect("gzip");
        }
        let body = gz.finish().expect("gzip");
        let r = self
            .http
            .put(format!("{}/{}/{key}", self.url, self.bucket()))
            .body(body)
            .send()
            .await
            .expect("put object");
        assert!(r.status().is_success(), "put {key}: {}", r.status());
    }

    /// Keys in the lake bucket under `prefix`.
    async fn keys(&self, prefix: &str) -> Vec<String> {
        let s3 = twh::provider::aws::s3_client(&sdk(&self.url).await);
        let out = s3
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(prefix)
            .send()
            .await
            .expect("list");
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    }

    /// Table names of the estate's database.
    async fn tables(&self) -> Vec<String> {
        let glue = aws_sdk_glue::Client::new(&sdk(&self.url).await);
        let out = glue
            .get_tables()
            .database_name(self.db())
            .send()
            .await
            .expect("get tables");
        let mut names: Vec<String> = out.table_list().iter().map(|t| t.name.clone()).collect();
        names.sort();
        names
    }

    /// Registers rows the emulator's Athena returns for queries containing `sql`.
    async fn canned(&self, sql: &str, columns: &[&str], rows: Value) {
        let r = self
            .http
            .post(format!("{}/_twh/athena/results", self.url))
            .json(&json!({"sql_contains": sql, "columns": columns, "rows": rows}))
            .send()
            .await
            .expect("canned results");
        assert!(r.status().is_success(), "canned: {}", r.status());
    }

    /// Three days of orders in the lake, Hive-partitioned, gzipped NDJSON.
    async fn orders(&self) {
        for day in 1..=3 {
            let records: Vec<Value> = (0..4)
                .map(|i| json!({"id": format!("o{day}{i}"), "total": 10.5 * f64::from(i)}))
                .collect();
            self.put_ndjson(
                &format!("lake/orders/dt=2024-01-0{day}/part-00000.json.gz"),
                &records,
            )
            .await;
        }
    }
}

async fn sdk(url: &str) -> aws_config::SdkConfig {
    let mut l = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        l = l.credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ));
    }
    l.load().await
}

// ---- the estate -------------------------------------------------------------

fn role() -> Value {
    json!({"type": "iam_role", "name": "crawler", "spec": {
        "RoleName": "twh-crawler-${env}",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}})
}

fn database() -> Value {
    json!({"type": "glue_database", "name": "wh", "spec": {"DatabaseInput": {"Name": "wh_${env}"}}})
}

fn crawler(name: &str, database: &str, path: &str) -> Value {
    json!({"type": "glue_crawler", "name": name, "spec": {
        "Name": format!("{name}-${{env}}"), "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": database,
        "Targets": {"S3Targets": [{"Path": format!("s3://${{var.lake}}/{path}")}]}}})
}

fn orders_crawler() -> Value {
    crawler("orders", "${ref:glue_database.wh.name}", "lake/orders/")
}

fn workgroup() -> Value {
    json!({"type": "athena_workgroup", "name": "wg", "spec": {
        "Name": "wg-${env}",
        "Configuration": {"ResultConfiguration": {"OutputLocation": "s3://${var.lake}/athena/"}}}})
}

/// A table declared in the files whose data lives under the crawled prefix:
/// purge empties the prefix but must keep the table.
fn declared_table() -> Value {
    json!({"type": "glue_table", "name": "curated", "spec": {
        "DatabaseName": "${ref:glue_database.wh.name}",
        "TableInput": {"Name": "curated", "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}],
                "Location": "s3://${var.lake}/lake/orders/",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}})
}

fn view() -> Value {
    json!({"type": "athena_view", "name": "curated_v", "spec": {
        "Name": "curated_v", "Database": "${ref:glue_database.wh.name}",
        "WorkGroup": "${ref:athena_workgroup.wg.name}",
        "Sql": "SELECT id, total FROM ${ref:glue_table.curated.name}"}})
}

fn data_source() -> Value {
    json!({"type": "quicksight_data_source", "name": "athena", "spec": {
        "DataSourceId": "athena-${env}", "Name": "Athena", "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg.name}"}}}})
}

fn data_set(name: &str, mode: &str) -> Value {
    json!({"type": "quicksight_data_set", "name": name, "spec": {
        "DataSetId": format!("{name}-${{env}}"), "Name": name, "ImportMode": mode,
        "PhysicalTableMap": {"t1": {"RelationalTable": {
            "DataSourceArn": "${ref:quicksight_data_source.athena.arn}", "Catalog": "AwsDataCatalog",
            "Schema": "wh_${env}", "Name": "curated",
            "InputColumns": [{"Name": "id", "Type": "STRING"}, {"Name": "total", "Type": "DECIMAL"}]}}},
        "LogicalTableMap": {"l1": {"Alias": "orders", "Source": {"PhysicalTableId": "t1"}}}}})
}

/// Orders without an id; the query names the env's database, so canned rows
/// registered for it match this test's query only.
fn check() -> Value {
    json!({"type": "data_check", "name": "orders_have_ids", "spec": {
        "Name": "orders_have_ids", "Description": "Orders without an id cannot be joined to tickets.",
        "WorkGroup": "${ref:athena_workgroup.wg.name}", "Database": "${ref:glue_database.wh.name}",
        "Query": "SELECT id, total FROM wh_${env}.orders WHERE id IS NULL"}})
}

fn estate() -> Vec<Value> {
    vec![
        role(),
        database(),
        orders_crawler(),
        workgroup(),
        declared_table(),
        view(),
        data_source(),
        data_set("orders_spice", "SPICE"),
        data_set("orders_live", "DIRECT_QUERY"),
        check(),
    ]
}

// ---- tests ------------------------------------------------------------------

/// The whole operator loop on one estate: crawl makes the table, refresh
/// completes, check passes on zero rows and fails on canned violations,
/// purge removes crawled data and tables but nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn crawl_refresh_check_and_purge_an_estate() {
    let e = Estate::new("ops", estate()).await;
    e.sync();
    e.orders().await;
    e.put_ndjson("other/keep.json.gz", &[json!({"id": "unmanaged"})])
        .await;

    // crawl --wait: the crawler makes `orders` and says so.
    let (out, err) = e.run(&["crawl", "--wait"], 0);
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("orders-{}", e.env)))
        .unwrap_or_else(|| panic!("no line for the crawler:\n{out}{err}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[1..5], ["SUCCEEDED", "1", "0", "0"], "{out}");
    assert!(out.starts_with("CRAWLER"), "{out}");
    assert!(err.contains("succeeded in"), "{err}");
    assert_eq!(e.tables().await, ["curated", "curated_v", "orders"]);

    // A second crawl updates the table rather than creating it.
    let (out, _) = e.run(&["crawl", "orders", "--wait", "--output", "json"], 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["crawlers"][0]["status"], "SUCCEEDED");
    assert_eq!(v["crawlers"][0]["tables_created"], 0);
    assert_eq!(v["crawlers"][0]["tables_updated"], 1);

    // refresh --wait: the SPICE dataset completes; direct query is skipped.
    let (out, err) = e.run(&["refresh", "--wait"], 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("orders_spice-{} ", e.env)) && l.contains("COMPLETED")),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "note: skipped `orders_live-{}`: DIRECT_QUERY",
            e.env
        )),
        "{err}"
    );

    // check: zero rows passes...
    let (out, _) = e.run(&["check"], 0);
    assert_eq!(out.trim(), "✓ orders_have_ids: passed");
    // ...and rows registered for its query fail it, showing them.
    e.canned(
        &format!("FROM wh_{}.orders WHERE id IS NULL", e.env),
        &["id", "total"],
        json!([[null, "12.5"], [null, "3"], [null, "7"]]),
    )
    .await;
    let (out, err) = e.run(&["check", "--rows", "2"], 1);
    assert!(
        out.contains("✗ orders_have_ids: FAILED: 3 rows (at most 0 allowed)"),
        "{out}"
    );
    assert!(
        out.contains("Orders without an id cannot be joined"),
        "{out}"
    );
    assert!(out.contains("NULL  12.5"), "{out}");
    assert!(out.contains("... and 1 more row"), "{out}");
    assert!(
        err.contains("Checks: 0 passed, 1 failed, 0 errors."),
        "{err}"
    );
    let (out, _) = e.run(&["check", "--output", "json"], 1);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["checks"][0]["status"], "failed");
    assert_eq!(v["checks"][0]["count"], 3);
    assert_eq!(v["checks"][0]["columns"], json!(["id", "total"]));
    assert_eq!(v["summary"]["failed"], 1);

    // purge: lists first, refuses without a terminal or --auto-approve.
    let (out, err) = e.run(&["purge"], 1);
    assert!(out.contains("  - 3 object(s), "), "{out}");
    assert!(
        out.contains(&format!("under s3://{}/lake/orders/", e.bucket())),
        "{out}"
    );
    assert!(out.contains(&format!("- table {}.orders", e.db())), "{out}");
    assert!(
        out.contains(&format!(
            "Kept: table {}.curated (declared as `glue_table.curated`)",
            e.db()
        )),
        "{out}"
    );
    assert!(err.contains("--auto-approve"), "{err}");
    assert_eq!(e.keys("lake/orders/").await.len(), 3, "nothing deleted yet");

    let (_, err) = e.run(&["purge", "--auto-approve"], 0);
    assert!(
        err.contains("1 table(s) dropped, 3 object(s) deleted"),
        "{err}"
    );
    assert!(e.keys("lake/orders/").await.is_empty());
    assert_eq!(e.keys("other/").await, ["other/keep.json.gz"]);
    assert!(!e.keys("athena/").await.is_empty(), "Athena results stay");
    assert_eq!(e.tables().await, ["curated", "curated_v"]);

    // Nothing left: a second purge has nothing to do and needs no approval.
    let (out, _) = e.run(&["purge"], 0);
    assert!(out.starts_with("Nothing to purge"), "{out}");
}

/// A crawler that fails (its database does not exist) makes `crawl --wait`
/// exit 1 with Glue's message; the other crawler still succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_crawler_exits_1_with_its_error() {
    let e = Estate::new(
        "crawlfail",
        vec![
            role(),
            database(),
            orders_crawler(),
            crawler("broken", "no_such_db_${env}", "lake/broken/"),
        ],
    )
    .await;
    e.sync();
    e.orders().await;
    let (out, err) = e.run(&["crawl", "--wait"], 1);
    assert!(
        err.contains(&format!(
            "error: crawler `broken-{env}` (glue_crawler.broken) failed: Database no_such_db_{env} not found.",
            env = e.env
        )),
        "{err}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("orders-{} ", e.env)) && l.contains("SUCCEEDED")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("broken-{} ", e.env)) && l.contains("FAILED")),
        "{out}"
    );
}

/// Without --wait crawl only starts; a crawler already running is then
/// waited for, not an error. Unknown names get a suggestion.
#[tokio::test(flavor = "multi_thread")]
async fn running_crawlers_are_waited_for_and_unknown_names_suggested() {
    let e = Estate::new("crawlrun", vec![role(), database(), orders_crawler()]).await;
    e.sync();
    e.orders().await;
    let (out, err) = e.run(&["crawl"], 0);
    assert!(out.contains("RUNNING"), "{out}");
    assert!(err.contains("Started 1 crawler(s)"), "{err}");
    let (out, err) = e.run(&["crawl", "glue_crawler.orders", "--wait"], 0);
    assert!(err.contains("already running; waiting"), "{err}");
    assert!(out.contains("SUCCEEDED"), "{out}");
    assert_eq!(e.tables().await, ["orders"]);

    let (_, err) = e.run(&["crawl", "ordres"], 1);
    assert!(
        err.contains(&format!(
            "environment `{}` declares no glue_crawler `ordres`",
            e.env
        )),
        "{err}"
    );
    assert!(err.contains("did you mean `orders`?"), "{err}");
    let (_, err) = e.run(&["refresh", "nope"], 1);
    assert!(err.contains("declares no quicksight_data_set"), "{err}");
}

/// A check whose query Athena rejects is an error (exit 1) with Athena's
/// message, and MaxRows tolerates that many rows.
#[tokio::test(flavor = "multi_thread")]
async fn check_errors_and_max_rows() {
    let mut tolerant = check();
    tolerant["name"] = json!("few_nulls");
    tolerant["spec"]["Name"] = json!("few_nulls");
    tolerant["spec"]["MaxRows"] = json!(2);
    tolerant["spec"]["Query"] = json!("SELECT id FROM wh_${env}.curated WHERE total IS NULL");
    let mut broken = check();
    broken["name"] = json!("broken");
    broken["spec"]["Name"] = json!("broken");
    broken["spec"]["Query"] = json!("SELECT id FROM wh_${env}.no_such_table");
    let e = Estate::new(
        "checks",
        vec![database(), workgroup(), declared_table(), tolerant, broken],
    )
    .await;
    e.sync();
    e.canned(
        &format!("FROM wh_{}.curated WHERE total IS NULL", e.env),
        &["id"],
        json!([["a"], ["b"]]),
    )
    .await;
    let (out, err) = e.run(&["check", "few_nulls"], 0);
    assert_eq!(
        out.trim(),
        "✓ few_nulls: passed (2 rows, 2 allowed)",
        "{err}"
    );
    let (out, err) = e.run(&["check"], 1);
    assert!(out.contains("✗ broken: ERROR: "), "{out}");
    assert!(out.contains("no_such_table"), "{out}");
    assert!(
        err.contains("Checks: 1 passed, 0 failed, 1 error."),
        "{err}"
    );
}

/// An ingestion that ends CANCELLED (someone cancels it while twh waits)
/// makes `refresh --wait` exit 1 and say so.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_ingestion_exits_1() {
    let e = Estate::new(
        "refcancel",
        vec![
            database(),
            workgroup(),
            declared_table(),
            data_source(),
            data_set("orders_spice", "SPICE"),
        ],
    )
    .await;
    e.sync();
    let child = e
        .command(&["refresh", "--wait"], &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn twh");
    let qs = aws_sdk_quicksight::Client::new(&sdk(&e.url).await);
    let data_set_id = format!("orders_spice-{}", e.env);
    let mut cancelled = None;
    for _ in 0..100 {
        let list = qs
            .list_ingestions()
            .aws_account_id("123456789012")
            .data_set_id(&data_set_id)
            .send()
            .await
            .expect("list ingestions");
        if let Some(i) = list
            .ingestions()
            .iter()
            .find(|i| i.ingestion_id().is_some_and(|id| id.starts_with("twh-")))
        {
            let id = i.ingestion_id().unwrap_or_default().to_string();
            qs.cancel_ingestion()
                .aws_account_id("123456789012")
                .data_set_id(&data_set_id)
                .ingestion_id(&id)
                .send()
                .await
                .expect("cancel");
            cancelled = Some(id);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let id = cancelled.expect("twh started an ingestion");
    let o = child.wait_with_output().expect("twh");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "error: ingestion `{id}` of dataset `{data_set_id}` cancelled"
        )),
        "{err}"
    );
    assert!(out.contains("CANCELLED"), "{out}");
}

/// A stand-in for twh-extract: records its arguments, lands one new
/// object in the lake (with curl, as an S3 PUT to the emulator) and exits
/// with `EXIT`.
fn fake_extract(e: &Estate, exit: i32) -> (std::path::PathBuf, std::path::PathBuf) {
    let args = e.repo.file("extract-args.txt");
    let script = e.repo.file("fake-extract.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nprintf '{{\"id\":\"r1\",\"total\":1.5}}\\n' | gzip | curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @- '{}/{}/lake/orders/dt=2024-02-01/part-00000.json.gz' || exit 9\nexit {exit}\n",
            args.display(),
            e.url,
            e.bucket()
        ),
    )
    .expect("script");
    let mut perm = std::fs::metadata(&script).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).expect("chmod");
    (script, args)
}

/// reset: purge, extract (arguments after `--` passed through), crawl,
/// refresh, check; it stops at the first failing step, and skips extract
/// with a note when it is not configured.
#[tokio::test(flavor = "multi_thread")]
async fn reset_purges_extracts_crawls_refreshes_and_checks() {
    let e = Estate::new(
        "reset",
        vec![
            role(),
            database(),
            orders_crawler(),
            workgroup(),
            declared_table(),
            data_source(),
            data_set("orders_spice", "SPICE"),
            check(),
        ],
    )
    .await;
    e.sync();
    e.orders().await;
    e.run(&["crawl", "--wait"], 0);
    let (script, args) = fake_extract(&e, 0);
    let sink = format!("s3://{}/lake", e.bucket());
    let bin = script.to_string_lossy().to_string();
    let (out, err) = e.run_with(
        &[
            "reset",
            "--auto-approve",
            "--",
            "--source",
            "all",
            "--sink",
            &sink,
        ],
        &[("TWH_EXTRACT_BIN", &bin)],
        0,
    );
    assert_eq!(
        std::fs::read_to_string(&args).expect("args").trim(),
        format!("run --source all --sink {sink}")
    );
    // The old three objects went, the extract's one came and was crawled.
    assert_eq!(
        e.keys("lake/orders/").await,
        ["lake/orders/dt=2024-02-01/part-00000.json.gz"]
    );
    assert_eq!(e.tables().await, ["curated", "orders"]);
    for step in ["purge", "extract", "crawl", "refresh", "check"] {
        assert!(err.contains(&format!("==> {step}")), "{err}");
    }
    assert!(out.contains("✓ orders_have_ids: passed"), "{out}");
    assert!(
        err.contains(&format!("Reset of `{}` complete.", e.env)),
        "{err}"
    );

    // A failing extract stops the reset there: nothing is crawled.
    let (script, _) = fake_extract(&e, 3);
    let bin = script.to_string_lossy().to_string();
    let (_, err) = e.run_with(
        &["reset", "--auto-approve", "--", "--sink", &sink],
        &[("TWH_EXTRACT_BIN", &bin)],
        1,
    );
    assert!(err.contains("exited with 3"), "{err}");
    assert!(err.contains("reset stopped at `extract`"), "{err}");
    assert!(!err.contains("==> crawl"), "{err}");
    assert_eq!(e.tables().await, ["curated"]);

    // Without arguments the extract lands in the declared sink.
    let (script, args) = fake_extract(&e, 0);
    let bin = script.to_string_lossy().to_string();
    e.run_with(
        &["reset", "--auto-approve"],
        &[("TWH_EXTRACT_BIN", &bin)],
        0,
    );
    assert_eq!(
        std::fs::read_to_string(&args).expect("args").trim(),
        format!("run --sink {sink}")
    );

    // --no-extract: extract is skipped with a note and the rest runs on an
    // empty lake, so the crawl makes no table and the check's query fails:
    // reset stops at `check`.
    let (out, err) = e.run(
        &[
            "reset",
            "--auto-approve",
            "--no-extract",
            "--output",
            "json",
        ],
        1,
    );
    assert!(err.contains("note: extract skipped: --no-extract"), "{err}");
    assert!(err.contains("reset stopped at `check`"), "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let steps: Vec<(String, bool)> = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or("").to_string(),
                s["ok"] == json!(true),
            )
        })
        .collect();
    let expected: Vec<(String, bool)> = [
        ("purge", true),
        ("extract", true),
        ("crawl", true),
        ("refresh", true),
        ("check", false),
    ]
    .iter()
    .map(|(s, ok)| ((*s).to_string(), *ok))
    .collect();
    assert_eq!(steps, expected);
    assert_eq!(v["steps"][2]["result"]["crawlers"][0]["tables_created"], 0);
    assert_eq!(v["steps"][4]["result"]["checks"][0]["status"], "error");
}

/// An environment that declares no twh-extract sink purges nothing: purge
/// and reset are refused, naming the crawler targets and the setting that
/// allows them, before anything is listed or deleted.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_declared_sink_purge_and_reset_are_refused() {
    let e = Estate::new("nosink", vec![role(), database(), orders_crawler()]).await;
    e.repo.write(
        &format!("resources/environments/{}.json", e.env),
        &json!({"region": "us-east-1", "variables": {"lake": e.bucket()},
                "state": {"backend": "local"}}),
    );
    e.sync();
    e.orders().await;
    for args in [
        &["purge", "--auto-approve"][..],
        &["reset", "--auto-approve"],
    ] {
        let (out, err) = e.run(args, 1);
        assert!(out.is_empty(), "nothing listed: {out}");
        assert!(
            err.contains(&format!(
                "resources/environments/{}.json declares no twh-extract sink, so twh purge may empty none of its 1 crawler target(s): glue_crawler.orders (s3://{}/lake/orders/)",
                e.env,
                e.bucket()
            )),
            "{err}"
        );
        assert!(
            err.contains(r#""extract": {"sink": "s3://BUCKET/PREFIX"}"#),
            "{err}"
        );
        assert_eq!(e.keys("lake/orders/").await.len(), 3, "nothing deleted");
    }
}

/// The operator commands run on the in-memory provider too (its crawlers
/// go RUNNING then READY): `twh crawl --wait` after `twh sync` succeeds
/// with no AWS and no emulator.
#[test]
fn operator_commands_run_on_the_memory_provider() {
    let repo = Repo::new();
    repo.small_estate();
    let world = repo.file("world.json");
    let twh = |args: &[&str]| {
        Command::cargo_bin("twh")
            .expect("binary")
            .current_dir(repo.path())
            .env("TWH_MEMORY_PROVIDER", &world)
            .env("NO_COLOR", "1")
            .args(["--no-progress"])
            .args(args)
            .output()
            .expect("run")
    };
    let out = twh(&["sync", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = twh(&["crawl", "--wait"]);
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ticket_warehouse_orders-dev ") && l.contains("SUCCEEDED")),
        "{stdout}{err}"
    );
}

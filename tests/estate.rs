//! The real estates on the emulator: the Ticket Warehouse (`resources/`)
//! bootstrapped from an empty account in one `twh sync`, and the example
//! estates (`examples/{tickit,chargebee,medallion}`). Each test copies the
//! estate into a temp directory and adds a uniquely named environment derived
//! from one of the estate's own environment files, so the tests share the
//! emulator (`TWH_EMULATOR_URL`, started by `.ci/run`) without resetting it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::emulator;
use serde_json::Value;

/// The emulator's account (moto's default).
const ACCOUNT: &str = "123456789012";

/// An estate copied into a temp directory with a unique environment.
struct Estate {
    dir: tempfile::TempDir,
    env: String,
}

impl Estate {
    /// Copies `<repo root>/<src>/resources` and writes the environment
    /// `<tag><random>` from `resources/environments/<base>.json`, with `edit`
    /// applied to its text (stack and bucket names) and then to its JSON.
    fn derive(
        src: &str,
        base: &str,
        tag: &str,
        edit_text: impl FnOnce(&str, &str) -> String,
        edit_json: impl FnOnce(&mut Value, &str),
    ) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&root.join("resources"), &dir.path().join("resources"));
        let env = emulator::unique_env(tag);
        let envs = dir.path().join("resources/environments");
        let text = std::fs::read_to_string(envs.join(format!("{base}.json"))).expect("base env");
        let mut v: Value = serde_json::from_str(&edit_text(&text, &env)).expect("env json");
        // Local state in the temp dir, and the emulator's account.
        v["state"] = serde_json::json!({"backend": "local"});
        if v.get("account_id").is_some() {
            v["account_id"] = ACCOUNT.into();
        }
        if v["variables"].get("account_id").is_some() {
            v["variables"]["account_id"] = ACCOUNT.into();
        }
        edit_json(&mut v, &env);
        std::fs::write(
            envs.join(format!("{env}.json")),
            serde_json::to_string_pretty(&v).expect("json"),
        )
        .expect("write env");
        Self { dir, env }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str], code: i32) -> String {
        emulator::run_in(self.path(), &emulator::shared_url(), &self.env, args, code)
    }

    /// One sync builds everything, the diff right after is clean, and a
    /// second sync makes no mutating call. Returns the first sync's output.
    fn converges(&self) -> String {
        let first = self.run(&["sync", "--auto-approve", "-v"], 0);
        assert!(first.contains("Sync complete"), "{first}");
        let diff = self.run(&["diff"], 0);
        assert!(diff.contains("No changes"), "{diff}");
        let second = self.run(&["sync", "--auto-approve", "-v"], 0);
        assert!(
            second.contains(" 0 mutating)") && !second.contains(" done"),
            "the second sync changed something:\n{second}"
        );
        first
    }

    /// Every `data_check` query of the estate runs in Athena and succeeds
    /// (the emulator fails a query on a missing database, table or view).
    /// `refs` resolves the `${ref:...}` placeholders the checks use.
    async fn checks_run(&self, refs: &[(&str, String)]) -> usize {
        let athena = aws_sdk_athena::Client::new(&emulator::sdk(&emulator::shared_url()).await);
        let mut ran = 0;
        for check in resources_of_type(&self.path().join("resources"), "data_check") {
            let field = |k: &str| {
                let mut s = check["spec"][k].as_str().expect("string field").to_owned();
                s = s.replace("${env}", &self.env);
                for (from, to) in refs {
                    s = s.replace(from, to);
                }
                assert!(!s.contains("${"), "unresolved placeholder in {k}: {s}");
                s
            };
            let id = athena
                .start_query_execution()
                .query_string(field("Query"))
                .work_group(field("WorkGroup"))
                .query_execution_context(
                    aws_sdk_athena::types::QueryExecutionContext::builder()
                        .database(field("Database"))
                        .build(),
                )
                .send()
                .await
                .expect("start query")
                .query_execution_id
                .expect("id");
            let state = loop {
                let q = athena
                    .get_query_execution()
                    .query_execution_id(&id)
                    .send()
                    .await
                    .expect("get query")
                    .query_execution
                    .expect("execution");
                let status = q.status.expect("status");
                match status.state {
                    Some(aws_sdk_athena::types::QueryExecutionState::Queued)
                    | Some(aws_sdk_athena::types::QueryExecutionState::Running) => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    s => break (s, status.state_change_reason),
                };
            };
            assert_eq!(
                state.0,
                Some(aws_sdk_athena::types::QueryExecutionState::Succeeded),
                "data check {}: {:?}",
                check["name"],
                state.1
            );
            ran += 1;
        }
        ran
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let dest = to.join(entry.path().strip_prefix(from).expect("prefix"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// The resources of one type in an estate's files (one resource or
/// `{"resources": [...]}` per file; environment files skipped).
fn resources_of_type(resources: &Path, kind: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(resources).sort_by_file_name() {
        let entry = entry.expect("walk");
        let p: PathBuf = entry.path().into();
        if p.extension().and_then(|e| e.to_str()) != Some("json")
            || p.parent().is_some_and(|d| d.ends_with("environments"))
        {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).expect("read"))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let list = match v.get("resources") {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![v],
        };
        out.extend(list.into_iter().filter(|r| r["type"] == kind));
    }
    out
}

/// Creates an empty bucket on the emulator.
async fn bucket(name: &str) {
    let r = reqwest::Client::new()
        .put(format!("{}/{name}", emulator::shared_url()))
        .send()
        .await
        .expect("create bucket");
    assert!(r.status().is_success(), "bucket {name}: {}", r.status());
}

/// The CDK application stack the Ticket Warehouse estate reads its buckets
/// from (`${cfn:<stage>-ticket-warehouse.BucketNameOutput}` and
/// `VaultBucketNameOutput`).
const CDK_STACK: &str = r#"{
  "Resources": {"Lake": {"Type": "AWS::S3::Bucket"}, "Vault": {"Type": "AWS::S3::Bucket"}},
  "Outputs": {
    "BucketNameOutput": {"Value": {"Ref": "Lake"}, "Export": {"Name": "TicketWarehouseBucketName-STAGE"}},
    "VaultBucketNameOutput": {"Value": {"Ref": "Vault"}}
  }
}"#;

/// The Ticket Warehouse in a new environment derived from `staging`, with
/// what CDK owns already there: the stack with the two bucket outputs.
async fn ticket_warehouse(tag: &str) -> Estate {
    let e = Estate::derive(
        "",
        "staging",
        tag,
        |text, env| {
            text.replace(
                "staging-ticket-warehouse",
                &format!("{env}-ticket-warehouse"),
            )
        },
        |_, _| {},
    );
    let sdk = emulator::sdk(&emulator::shared_url()).await;
    aws_sdk_cloudformation::Client::new(&sdk)
        .create_stack()
        .stack_name(format!("{}-ticket-warehouse", e.env))
        .template_body(CDK_STACK.replace("STAGE", &e.env))
        .send()
        .await
        .expect("create the CDK stack");
    e
}

/// An output of the estate's CDK stack: `BucketNameOutput` (the lake) or
/// `VaultBucketNameOutput`.
async fn stack_output(e: &Estate, key: &str) -> String {
    let sdk = emulator::sdk(&emulator::shared_url()).await;
    aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stacks()
        .stack_name(format!("{}-ticket-warehouse", e.env))
        .send()
        .await
        .expect("stack")
        .stacks
        .unwrap_or_default()
        .into_iter()
        .flat_map(|s| s.outputs.unwrap_or_default())
        .find(|o| o.output_key.as_deref() == Some(key))
        .and_then(|o| o.output_value)
        .unwrap_or_else(|| panic!("no stack output {key}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn ticket_warehouse_bootstraps_from_an_empty_account_in_one_sync() {
    let e = ticket_warehouse("tw").await;
    let env = e.env.clone();
    let sdk = emulator::sdk(&emulator::shared_url()).await;

    // Nothing of the estate exists yet: the plan creates every resource
    // (everything but the data checks, which are never synced).
    let files = resources_of_type(&e.path().join("resources"), "data_check").len();
    assert_eq!(
        files, 8,
        "data checks: orphans (2), null keys, duplicates (5)"
    );
    let plan = e.run(&["diff"], 2);
    assert!(
        plan.contains("Plan: 114 to create, 0 to update, 0 to replace, 0 to delete"),
        "{plan}"
    );

    e.converges();

    // What was built, read back with plain SDK clients.
    let glue = aws_sdk_glue::Client::new(&sdk);
    let db = format!("ticket_warehouse_{env}");
    let mut names: Vec<String> = Vec::new();
    let mut token = None;
    loop {
        let page = glue
            .get_tables()
            .database_name(&db)
            .set_next_token(token)
            .send()
            .await
            .expect("tables");
        names.extend(
            page.table_list
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.name),
        );
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    names.sort();
    for want in [
        "ticket_warehouse_events",
        "ticket_warehouse_tickets",
        "ticket_warehouse_stripe_charges",
        "tickets",
        "orders",
        "marketing_contacts",
        "remittance",
        "order_payments",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    // Every crawler of the files exists, with its schedule.
    let declared: Vec<String> = resources_of_type(&e.path().join("resources"), "glue_crawler")
        .iter()
        .map(|c| {
            c["spec"]["Name"]
                .as_str()
                .expect("crawler name")
                .replace("${env}", &env)
        })
        .collect();
    assert_eq!(declared.len(), 91, "10 lake + 81 vault crawlers");
    assert_eq!(
        declared.iter().filter(|c| c.starts_with("vault_")).count(),
        81
    );
    for names in declared.chunks(100) {
        let got = glue
            .batch_get_crawlers()
            .set_crawler_names(Some(names.to_vec()))
            .send()
            .await
            .expect("crawlers");
        assert!(
            got.crawlers_not_found.unwrap_or_default().is_empty(),
            "missing crawlers"
        );
        for c in got.crawlers.unwrap_or_default() {
            assert!(
                c.schedule.and_then(|s| s.schedule_expression).is_some(),
                "{:?} has no schedule",
                c.name
            );
        }
    }

    let qs = aws_sdk_quicksight::Client::new(&sdk);
    let set = qs
        .describe_data_set()
        .aws_account_id(ACCOUNT)
        .data_set_id(format!("ticket-warehouse-tickets-{env}"))
        .send()
        .await
        .expect("tickets data set")
        .data_set
        .expect("data set");
    assert_eq!(
        set.import_mode,
        Some(aws_sdk_quicksight::types::DataSetImportMode::Spice)
    );
    let perms = qs
        .describe_data_set_permissions()
        .aws_account_id(ACCOUNT)
        .data_set_id(format!("ticket-warehouse-tickets-{env}"))
        .send()
        .await
        .expect("permissions")
        .permissions
        .unwrap_or_default();
    assert!(
        perms.iter().any(|p| p.principal
            == format!(
                "arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/ticket-warehouse-analysts"
            )),
        "{perms:?}"
    );

    // A crawl registers the partitions twh-extract landed and leaves the
    // declared schema alone: the diff stays clean.
    let lake = stack_output(&e, "BucketNameOutput").await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        br#"{"id":"o1","event_id":"e1","created":"2024-11-01 10:00:00","total_paid":"10.00","surprise":1}"#,
    )
    .expect("gzip");
    aws_sdk_s3::Client::new(&sdk)
        .put_object()
        .bucket(&lake)
        .key("lake/ticketsauce/orders/dt=2024-11-01/part-00000.json.gz")
        .body(gz.finish().expect("gzip").into())
        .send()
        .await
        .expect("land a part");
    let crawler = format!("ticket_warehouse_orders-{env}");
    glue.start_crawler()
        .name(&crawler)
        .send()
        .await
        .expect("start crawler");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let c = glue
            .get_crawler()
            .name(&crawler)
            .send()
            .await
            .expect("crawler")
            .crawler
            .expect("crawler");
        let done = c.last_crawl.as_ref().and_then(|l| l.status.clone());
        if c.state == Some(aws_sdk_glue::types::CrawlerState::Ready) && done.is_some() {
            assert_eq!(
                done,
                Some(aws_sdk_glue::types::LastCrawlStatus::Succeeded),
                "{c:?}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "crawl did not end");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let partitions = glue
        .get_partitions()
        .database_name(&db)
        .table_name("ticket_warehouse_orders")
        .send()
        .await
        .expect("partitions")
        .partitions
        .unwrap_or_default();
    let values: Vec<Vec<String>> = partitions
        .into_iter()
        .map(|p| p.values.unwrap_or_default())
        .collect();
    assert_eq!(values, vec![vec!["2024-11-01".to_owned()]]);
    let diff = e.run(&["diff"], 0);
    assert!(diff.contains("No changes"), "{diff}");

    // The data checks reference tables that exist.
    let ran = e
        .checks_run(&[
            ("${ref:glue_database.warehouse.name}", db.clone()),
            (
                "${ref:athena_workgroup.warehouse.name}",
                format!("TicketWarehouse-{env}"),
            ),
        ])
        .await;
    assert_eq!(ran, 8);
}

// ---- purge and reset keep the vault -----------------------------------------

/// Gzipped NDJSON, as twh-extract and the vault exports write it.
fn ndjson(lines: &[&str]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for l in lines {
        std::io::Write::write_all(&mut gz, format!("{l}\n").as_bytes()).expect("gzip");
    }
    gz.finish().expect("gzip")
}

async fn s3() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::new(&emulator::sdk(&emulator::shared_url()).await)
}

async fn put(bucket: &str, key: &str, body: Vec<u8>) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
}

/// Every object of `bucket` under `prefix`: key → (size, ETag).
async fn objects(bucket: &str, prefix: &str) -> BTreeMap<String, (i64, String)> {
    let s3 = s3().await;
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .expect("list objects");
        for o in page.contents.unwrap_or_default() {
            out.insert(
                o.key.unwrap_or_default(),
                (o.size.unwrap_or_default(), o.e_tag.unwrap_or_default()),
            );
        }
        token = page.next_continuation_token;
        if token.is_none() {
            return out;
        }
    }
}

/// Every table of `db`: name → what a purge could change (type, location,
/// columns, partition keys) and its partitions.
async fn tables(db: &str) -> BTreeMap<String, String> {
    let glue = aws_sdk_glue::Client::new(&emulator::sdk(&emulator::shared_url()).await);
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = glue
            .get_tables()
            .database_name(db)
            .set_next_token(token)
            .send()
            .await
            .expect("tables");
        for t in page.table_list.unwrap_or_default() {
            let partitions = glue
                .get_partitions()
                .database_name(db)
                .table_name(&t.name)
                .send()
                .await
                .expect("partitions")
                .partitions
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.values.unwrap_or_default())
                .collect::<Vec<_>>();
            let sd = t.storage_descriptor.as_ref();
            out.insert(
                t.name.clone(),
                format!(
                    "{:?} {:?} {:?} {:?} {partitions:?}",
                    t.table_type,
                    sd.and_then(|d| d.location.as_ref()),
                    sd.and_then(|d| d.columns.as_ref()),
                    t.partition_keys
                ),
            );
        }
        token = page.next_token;
        if token.is_none() {
            return out;
        }
    }
}

/// Runs `twh --env ENV ARGS` with extra environment variables; the global
/// flags come first so that what follows `--` goes to twh-extract whole.
fn run_with(e: &Estate, args: &[&str], vars: &[(&str, &str)], code: i32) -> String {
    let mut c = emulator::command_in(e.path(), &emulator::shared_url(), &e.env, &[]);
    c.args(args).envs(vars.iter().copied());
    emulator::expect_exit(&c.output().expect("run twh"), args, code)
}

/// A stand-in for twh-extract that records its arguments and lands nothing.
fn fake_extract(e: &Estate) -> (PathBuf, PathBuf) {
    let args = e.path().join("extract-args.txt");
    let script = e.path().join("fake-extract.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", args.display()),
    )
    .expect("script");
    let mut perm = std::fs::metadata(&script).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).expect("chmod");
    (script, args)
}

/// What twh-extract lands in the lake (and its cursors), and Athena results.
async fn land(lake: &str) {
    let order =
        r#"{"id":"o1","event_id":"e1","created":"2024-11-01 10:00:00","total_paid":"10.00"}"#;
    let charge = r#"{"id":"ch_1","amount":1000,"created":1730455200}"#;
    for (key, line) in [
        (
            "lake/ticketsauce/orders/dt=2024-11-01/part-00000.json.gz",
            order,
        ),
        (
            "lake/ticketsauce/orders/dt=2024-11-02/part-00000.json.gz",
            order,
        ),
        (
            "lake/stripe/charges/dt=2024-11-01/part-00000.json.gz",
            charge,
        ),
    ] {
        put(lake, key, ndjson(&[line])).await;
    }
    put(
        lake,
        "lake/_state/ticketsauce/orders.json",
        br#"{"cursor":"2024-11-02"}"#.to_vec(),
    )
    .await;
    put(lake, "athena-query-results/q1.csv", b"id\no1\n".to_vec()).await;
}

/// The other system's exports in the vault.
async fn land_vault(vault: &str) {
    put(
        vault,
        "util_schema_info/part-0.json.gz",
        ndjson(&[r#"{"table_name":"contacts","column_count":12}"#]),
    )
    .await;
    put(
        vault,
        "hotspot_contacts/2024/11/contacts.json.gz",
        ndjson(&[r#"{"email":"a@example.com","venue":"v1"}"#]),
    )
    .await;
    put(
        vault,
        "README.txt",
        b"exports of the other system\n".to_vec(),
    )
    .await;
}

/// The lake keys twh-extract's tables hold (under `lake/`, not its cursors).
fn extracted(lake: &BTreeMap<String, (i64, String)>) -> Vec<&String> {
    lake.keys()
        .filter(|k| k.starts_with("lake/") && !k.starts_with("lake/_state/"))
        .collect()
}

/// The data-loss case of issue 12: on the Ticket Warehouse, `twh purge` and
/// `twh reset` empty what twh-extract lands (`extract.sink`,
/// `s3://<lake>/lake`) and leave every object of the vault bucket and every
/// table its 81 crawlers made exactly as they were.
#[tokio::test(flavor = "multi_thread")]
async fn ticket_warehouse_purge_and_reset_keep_the_vault() {
    let e = ticket_warehouse("twp").await;
    let env = e.env.clone();
    let db = format!("ticket_warehouse_{env}");
    let lake = stack_output(&e, "BucketNameOutput").await;
    let vault = stack_output(&e, "VaultBucketNameOutput").await;
    e.run(&["sync", "--auto-approve"], 0);
    land(&lake).await;
    land_vault(&vault).await;
    // The vault crawlers make their tables; a table a crawler made under
    // the lake (not declared) is what purge must drop.
    e.run(
        &[
            "crawl",
            "vault_util_schema_info",
            "vault_hotspot_contacts",
            "orders",
            "--wait",
        ],
        0,
    );
    let glue = aws_sdk_glue::Client::new(&emulator::sdk(&emulator::shared_url()).await);
    glue.create_table()
        .database_name(&db)
        .table_input(
            aws_sdk_glue::types::TableInput::builder()
                .name("ticket_warehouse_orders_dt_2024_11_01")
                .table_type("EXTERNAL_TABLE")
                .storage_descriptor(
                    aws_sdk_glue::types::StorageDescriptor::builder()
                        .location(format!(
                            "s3://{lake}/lake/ticketsauce/orders/dt=2024-11-01/"
                        ))
                        .build(),
                )
                .build()
                .expect("table input"),
        )
        .send()
        .await
        .expect("a crawled table under the lake");
    let vault_objects = objects(&vault, "").await;
    assert_eq!(vault_objects.len(), 3, "{vault_objects:?}");
    let vault_tables = |all: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        all.iter()
            .filter(|(n, _)| n.starts_with("vault_"))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect()
    };
    let before = tables(&db).await;
    let vault_before = vault_tables(&before);
    assert_eq!(
        vault_before.keys().collect::<Vec<_>>(),
        ["vault_hotspot_contacts", "vault_util_schema_info"],
        "the vault crawlers made their tables"
    );
    assert!(
        vault_before
            .values()
            .all(|t| t.contains(&format!("s3://{vault}/"))),
        "{vault_before:?}"
    );
    let vault_kept = |when: &str| {
        let vault = vault.clone();
        let vault_objects = vault_objects.clone();
        let vault_before = vault_before.clone();
        let db = db.clone();
        let when = when.to_string();
        async move {
            assert_eq!(
                objects(&vault, "").await,
                vault_objects,
                "vault objects after {when}"
            );
            assert_eq!(
                vault_tables(&tables(&db).await),
                vault_before,
                "vault tables after {when}"
            );
        }
    };

    // The list: the lake prefixes to empty, and the 81 vault targets kept.
    let out = e.run(&["purge"], 1);
    assert!(
        out.contains(&format!(
            "Kept: 81 crawler target(s) outside twh-extract's sink s3://{lake}/lake/"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  - s3://{vault}/util_schema_info/ (glue_crawler.vault_util_schema_info)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("under s3://{lake}/lake/ticketsauce/orders/")),
        "{out}"
    );
    assert!(!out.contains(&format!("under s3://{vault}/")), "{out}");
    assert!(out.contains("--auto-approve"), "{out}");

    // A vault crawler asked for by name is refused, naming it and how to
    // allow it; with a lake crawler beside it, nothing at all is deleted.
    let out = e.run(
        &[
            "purge",
            "orders",
            "vault_util_schema_info",
            "--auto-approve",
        ],
        1,
    );
    assert!(
        out.contains(&format!(
            "refused to purge glue_crawler.vault_util_schema_info (s3://{vault}/util_schema_info/)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "make `extract.sink` in resources/environments/{env}.json"
        )),
        "{out}"
    );
    assert_eq!(
        extracted(&objects(&lake, "").await).len(),
        3,
        "nothing deleted"
    );
    vault_kept("a refused purge").await;

    // purge: the lake's extracted data and the crawled table under it go;
    // its cursors, the Athena results and the declared tables stay.
    let out = e.run(&["purge", "--auto-approve"], 0);
    assert!(
        out.contains("1 table(s) dropped, 3 object(s) deleted"),
        "{out}"
    );
    let left = objects(&lake, "").await;
    assert!(extracted(&left).is_empty(), "{left:?}");
    assert!(
        left.contains_key("lake/_state/ticketsauce/orders.json"),
        "{left:?}"
    );
    assert!(left.contains_key("athena-query-results/q1.csv"), "{left:?}");
    let after = tables(&db).await;
    assert!(!after.contains_key("ticket_warehouse_orders_dt_2024_11_01"));
    assert!(after.contains_key("ticket_warehouse_orders") && after.contains_key("tickets"));
    vault_kept("purge").await;

    // reset: refused when its extract would land somewhere else than the
    // sink it purges...
    land(&lake).await;
    let (script, args) = fake_extract(&e);
    let bin = script.to_string_lossy().to_string();
    let elsewhere = format!("s3://{vault}/lake");
    let out = run_with(
        &e,
        &["reset", "--auto-approve", "--", "--sink", &elsewhere],
        &[("TWH_EXTRACT_BIN", &bin)],
        1,
    );
    assert!(
        out.contains("refused: reset would purge under twh-extract's sink"),
        "{out}"
    );
    assert_eq!(
        extracted(&objects(&lake, "").await).len(),
        3,
        "nothing deleted"
    );
    assert!(!args.exists(), "nothing extracted");
    // ...and otherwise purges the lake, extracts into the declared sink,
    // crawls all 91 crawlers, refreshes and checks, the vault untouched.
    let out = run_with(
        &e,
        &["reset", "--auto-approve"],
        &[("TWH_EXTRACT_BIN", &bin)],
        0,
    );
    assert!(
        out.contains(&format!("Reset of `{env}` complete.")),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&args).expect("extract ran").trim(),
        format!("run --sink s3://{lake}/lake")
    );
    let left = objects(&lake, "").await;
    assert!(extracted(&left).is_empty(), "{left:?}");
    assert!(
        left.contains_key("lake/_state/ticketsauce/orders.json"),
        "{left:?}"
    );
    vault_kept("reset").await;
}

/// An example estate whose environment `dev` names its bucket in `bucket`:
/// the derived environment gets its own bucket.
async fn example(name: &str, tag: &str) -> Estate {
    let e = Estate::derive(
        &format!("examples/{name}"),
        "dev",
        tag,
        |text, _| text.replace("111111111111", ACCOUNT),
        |v, env| v["variables"]["bucket"] = format!("{env}-lake").into(),
    );
    bucket(&format!("{}-lake", e.env)).await;
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn tickit_example_syncs_and_converges() {
    let e = example("tickit", "tickit").await;
    let out = e.converges();
    assert!(
        out.contains("glue_job.sales_to_parquet: create done"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chargebee_example_syncs_and_converges() {
    let e = example("chargebee", "cb").await;
    let out = e.converges();
    assert!(
        out.contains("athena_view.subscriptions_latest: create done")
            && out.contains("quicksight_data_set.subscriptions: create done"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn medallion_example_syncs_converges_and_its_checks_run() {
    let e = example("medallion", "med").await;
    e.converges();
    let env = e.env.clone();
    let ran = e
        .checks_run(&[
            (
                "${ref:glue_database.silver.name}",
                format!("medallion_silver_{env}"),
            ),
            (
                "${ref:glue_database.gold.name}",
                format!("medallion_gold_{env}"),
            ),
            (
                "${ref:athena_workgroup.analysts.name}",
                format!("medallion-{env}"),
            ),
        ])
        .await;
    assert_eq!(ran, 5);
}

//! The behaviour every [`OpsProvider`] must have for the operator commands,
//! written once as the commands see it (like `state::conformance` for state
//! backends): the in-memory provider's unit tests run it, and
//! `tests/ops_conformance.rs` runs it against the AWS emulator through the
//! AWS implementation. It drives the commands' own functions
//! ([`crawl::crawl`], [`refresh::refresh`], [`check::check`],
//! [`purge::plan`] and [`purge::execute`]) on one small estate.
#![allow(clippy::panic)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::check::{self, CheckOptions, CheckStatus};
use super::provider::OpsProvider;
use super::purgeable::{self, ExtractSink};
use super::{OpsError, Silent, Waiting, crawl, purge, refresh};
use crate::addr::Address;
use crate::kinds::kind;
use crate::plan::resolve::Desired;
use crate::provider::Providers;

/// The AWS under test, and how the suite arranges it.
#[async_trait::async_trait]
pub trait Fixture: Send + Sync {
    /// The operator calls under test.
    fn ops(&self) -> &dyn OpsProvider;
    /// Creates the estate's resources, as `twh sync` does.
    fn providers(&self) -> &Providers;
    async fn create_bucket(&self, bucket: &str);
    /// Lands gzipped NDJSON `records` at `key`.
    async fn put_ndjson(&self, bucket: &str, key: &str, records: &[Value]);
    /// Makes the queries whose SQL contains `sql` answer these rows.
    async fn canned(&self, sql: &str, columns: &[&str], rows: Vec<Vec<Option<String>>>);
}

/// A resource of the estate, resolved.
fn desired(f: &dyn Fixture, kind_name: &str, name: &str, spec: Value) -> Desired {
    let k = kind(kind_name).unwrap_or_else(|| panic!("kind {kind_name}"));
    let id = &f.providers().identity;
    let addr = Address::new(kind_name, name);
    Desired {
        attributes: k
            .attributes(&spec, &id.region, &id.account)
            .unwrap_or_else(|| panic!("attributes of {addr}")),
        addr,
        kind: k,
        spec,
        sensitive: vec![],
        lifecycle: Default::default(),
        depends_on: vec![],
    }
}

async fn create(f: &dyn Fixture, d: &Desired) {
    let p = f.providers().for_kind(d.kind).expect("a provider");
    p.create(d.kind, &d.spec)
        .await
        .unwrap_or_else(|e| panic!("create {}: {e}", d.addr));
}

fn waiting() -> Option<Waiting> {
    Some(Waiting {
        first: Duration::from_millis(10),
        max: Duration::from_millis(200),
        timeout: Duration::from_secs(120),
    })
}

async fn table_names(f: &dyn Fixture, db: &str) -> Vec<String> {
    let mut t: Vec<String> = f
        .ops()
        .tables(db)
        .await
        .expect("tables")
        .expect("the database exists")
        .into_iter()
        .map(|t| t.name)
        .collect();
    t.sort();
    t
}

async fn keys(f: &dyn Fixture, bucket: &str, prefix: &str) -> Vec<String> {
    f.ops()
        .list_objects(bucket, prefix)
        .await
        .expect("list")
        .expect("the bucket exists")
        .into_iter()
        .map(|o| o.key)
        .collect()
}

fn cell(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// Runs the suite; `tag` (lowercase letters and digits) makes every name
/// unique, so runs can share one emulator. Panics on the first difference.
pub async fn conformance(f: &dyn Fixture, tag: &str) {
    let bucket = format!("twh-lake-{tag}");
    let db = format!("wh_{tag}");
    let account = f.providers().identity.account.clone();
    let region = f.providers().identity.region.clone();
    f.create_bucket(&bucket).await;

    let role = desired(
        f,
        "iam_role",
        "crawler",
        json!({"RoleName": format!("twh-crawler-{tag}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                 "Action": "sts:AssumeRole"}]}}),
    );
    let database = desired(
        f,
        "glue_database",
        "wh",
        json!({"DatabaseInput": {"Name": db}}),
    );
    let crawler = |name: &str, database: &str, path: &str| {
        desired(
            f,
            "glue_crawler",
            name,
            json!({"Name": format!("{name}-{tag}"), "Role": role.attributes.arn,
                "DatabaseName": database,
                "Targets": {"S3Targets": [{"Path": format!("s3://{bucket}/{path}")}]}}),
        )
    };
    let orders = crawler("orders", &db, "lake/orders/");
    let broken = crawler("broken", &format!("no_such_db_{tag}"), "lake/broken/");
    let workgroup = desired(
        f,
        "athena_workgroup",
        "wg",
        json!({"Name": format!("wg-{tag}"), "Configuration": {"ResultConfiguration":
            {"OutputLocation": format!("s3://{bucket}/athena/")}}}),
    );
    // Declared, with its data under the crawled prefix: purge keeps it.
    let curated = desired(
        f,
        "glue_table",
        "curated",
        json!({"DatabaseName": db, "TableInput": {"Name": "curated",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"},
                                              {"Name": "total", "Type": "double"}],
                "Location": format!("s3://{bucket}/lake/orders/"),
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}),
    );
    // A view of it: no data of its own, never dropped.
    let view = desired(
        f,
        "athena_view",
        "curated_v",
        json!({"Name": "curated_v", "Database": db, "WorkGroup": format!("wg-{tag}"),
            "Sql": "SELECT id, total FROM curated"}),
    );
    let source_id = format!("athena-{tag}");
    let source = desired(
        f,
        "quicksight_data_source",
        "athena",
        json!({"DataSourceId": source_id, "Name": "Athena", "Type": "ATHENA",
            "AwsAccountId": account,
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": format!("wg-{tag}")}}}),
    );
    let data_set = |name: &str, mode: &str| {
        desired(
            f,
            "quicksight_data_set",
            name,
            json!({"DataSetId": format!("{name}-{tag}"), "Name": name, "ImportMode": mode,
                "AwsAccountId": account,
                "PhysicalTableMap": {"t1": {"RelationalTable": {
                    "DataSourceArn": format!("arn:aws:quicksight:{region}:{account}:datasource/{source_id}"),
                    "Catalog": "AwsDataCatalog", "Schema": db, "Name": "curated",
                    "InputColumns": [{"Name": "id", "Type": "STRING"},
                                     {"Name": "total", "Type": "DECIMAL"}]}}},
                "LogicalTableMap": {"l1": {"Alias": "orders", "Source": {"PhysicalTableId": "t1"}}}}),
        )
    };
    let spice = data_set("orders_spice", "SPICE");
    let live = data_set("orders_live", "DIRECT_QUERY");
    for d in [
        &role, &database, &orders, &broken, &workgroup, &curated, &view, &source, &spice, &live,
    ] {
        create(f, d).await;
    }
    let check = |name: &str, sql: &str, max_rows: u64| {
        desired(
            f,
            "data_check",
            name,
            json!({"Name": name, "Description": "Orders need ids.",
                "WorkGroup": format!("wg-{tag}"), "Database": db, "Query": sql,
                "MaxRows": max_rows}),
        )
    };
    let estate: BTreeMap<Address, Desired> = [
        &role, &database, &orders, &broken, &workgroup, &curated, &view, &source, &spice, &live,
    ]
    .into_iter()
    .map(|d| (d.addr.clone(), d.clone()))
    .collect();

    for day in 1..=3 {
        let records: Vec<Value> = (0..4)
            .map(|i| json!({"id": format!("o{day}{i}"), "total": 10.5 * f64::from(i)}))
            .collect();
        f.put_ndjson(
            &bucket,
            &format!("lake/orders/dt=2024-01-0{day}/part-00000.json.gz"),
            &records,
        )
        .await;
    }
    f.put_ndjson(&bucket, "other/keep.json.gz", &[json!({"id": "x"})])
        .await;

    // ---- crawl ---------------------------------------------------------
    // A crawler that is not there is refused before anything starts.
    let ghost = crawler("ghost", &db, "lake/ghost/");
    match crawl::crawl(f.ops(), &[&orders, &ghost], waiting(), &Silent).await {
        Err(OpsError::Missing { names, .. }) => assert_eq!(names, format!("ghost-{tag}")),
        other => panic!("a missing crawler must be refused, got {other:?}"),
    }
    // Waiting: the crawl makes `orders` and says so; the failing one says why.
    let out = crawl::crawl(f.ops(), &[&orders, &broken], waiting(), &Silent)
        .await
        .expect("crawl");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].status, "SUCCEEDED", "{:?}", out[0]);
    assert!(out[0].started && out[0].ok());
    assert_eq!(out[0].tables_created, Some(1), "{:?}", out[0]);
    assert_eq!(out[1].status, "FAILED", "{:?}", out[1]);
    assert!(!out[1].ok());
    assert_eq!(
        out[1].error.as_deref(),
        Some(format!("Database no_such_db_{tag} not found.").as_str())
    );
    assert_eq!(
        table_names(f, &db).await,
        ["curated", "curated_v", "orders"]
    );
    // A second crawl updates the table rather than creating it.
    let out = crawl::crawl(f.ops(), &[&orders], waiting(), &Silent)
        .await
        .expect("crawl again");
    assert_eq!(
        (out[0].tables_created, out[0].tables_updated),
        (Some(0), Some(1))
    );
    // Without waiting it only starts; a running crawler is then waited for.
    let out = crawl::crawl(f.ops(), &[&orders], None, &Silent)
        .await
        .expect("start");
    assert_eq!((out[0].started, out[0].status.as_str()), (true, "RUNNING"));
    let out = crawl::crawl(f.ops(), &[&orders], waiting(), &Silent)
        .await
        .expect("wait for it");
    assert!(!out[0].started, "already running: waited for, not started");
    assert_eq!(out[0].status, "SUCCEEDED");

    // ---- refresh -------------------------------------------------------
    let out = refresh::refresh(f.ops(), &[&spice, &live], waiting(), &Silent)
        .await
        .expect("refresh");
    assert_eq!(out[0].status, "COMPLETED", "{:?}", out[0]);
    assert!(out[0].ingestion_id.is_some() && out[0].ok());
    assert!(
        out[1]
            .skipped
            .as_deref()
            .is_some_and(|s| s.starts_with("DIRECT_QUERY")),
        "{:?}",
        out[1]
    );
    assert!(out[1].ingestion_id.is_none());

    // ---- check ---------------------------------------------------------
    let opts = CheckOptions {
        sample: 2,
        timeout: Duration::from_secs(60),
    };
    let nulls = check(
        "orders_have_ids",
        &format!("SELECT id, total FROM {db}.orders WHERE id IS NULL"),
        0,
    );
    let tolerant = check(
        "few_nulls",
        &format!("SELECT id FROM {db}.curated WHERE total IS NULL"),
        2,
    );
    let missing = check("broken", &format!("SELECT id FROM {db}.no_such_table"), 0);
    let out = check::check(f.ops(), &[&nulls], opts, &Silent).await;
    assert_eq!(out[0].status, CheckStatus::Passed, "{:?}", out[0]);
    assert_eq!(out[0].rows.count, 0);
    f.canned(
        &format!("FROM {db}.orders WHERE id IS NULL"),
        &["id", "total"],
        vec![
            vec![None, cell(Some("12.5"))],
            vec![None, cell(Some("3"))],
            vec![None, cell(Some("7"))],
        ],
    )
    .await;
    f.canned(
        &format!("FROM {db}.curated WHERE total IS NULL"),
        &["id"],
        vec![vec![cell(Some("a"))], vec![cell(Some("b"))]],
    )
    .await;
    let out = check::check(f.ops(), &[&nulls, &tolerant, &missing], opts, &Silent).await;
    assert_eq!(out[0].status, CheckStatus::Failed, "{:?}", out[0]);
    assert_eq!(out[0].rows.count, 3);
    assert_eq!(out[0].rows.columns, ["id", "total"]);
    assert_eq!(
        out[0].rows.sample,
        [vec![None, cell(Some("12.5"))], vec![None, cell(Some("3"))]]
    );
    assert!(out[0].query_execution_id.is_some());
    assert_eq!(
        out[1].status,
        CheckStatus::Passed,
        "MaxRows 2 allows 2 rows"
    );
    assert_eq!(out[1].rows.count, 2);
    assert_eq!(out[2].status, CheckStatus::Error, "{:?}", out[2]);
    assert!(
        out[2]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("no_such_table")),
        "{:?}",
        out[2]
    );

    // ---- purge ---------------------------------------------------------
    let sink = ExtractSink::declared("dev", &format!("s3://{bucket}/lake")).expect("sink");
    let crawlers = [&orders, &broken];
    let targets = purgeable::crawler_targets(&crawlers).expect("targets");
    let purgeable = purgeable::decide(targets, Some(&sink), false, "dev").expect("purgeable");
    let before_athena = keys(f, &bucket, "athena/").await;
    let plan = purge::plan(f.ops(), &estate, &purgeable, Some(&sink))
        .await
        .expect("plan");
    assert_eq!(plan.objects(), 3, "{plan:?}");
    let tables: Vec<&str> = plan.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["orders"], "{plan:?}");
    let kept: Vec<(&str, Option<&str>)> = plan
        .kept
        .iter()
        .map(|t| (t.name.as_str(), t.kept_because.as_deref()))
        .collect();
    assert_eq!(
        kept,
        [("curated", Some("declared as `glue_table.curated`"))]
    );
    assert_eq!(
        keys(f, &bucket, "lake/orders/").await.len(),
        3,
        "a plan deletes nothing"
    );

    let done = purge::execute(f.ops(), &plan, &Silent)
        .await
        .expect("purge");
    assert_eq!((done.tables_dropped, done.objects_deleted), (1, 3));
    assert!(keys(f, &bucket, "lake/orders/").await.is_empty());
    assert_eq!(keys(f, &bucket, "other/").await, ["other/keep.json.gz"]);
    assert_eq!(
        keys(f, &bucket, "athena/").await,
        before_athena,
        "Athena results stay"
    );
    assert_eq!(table_names(f, &db).await, ["curated", "curated_v"]);
    let again = purge::plan(f.ops(), &estate, &purgeable, Some(&sink))
        .await
        .expect("plan again");
    assert!(again.is_empty(), "{again:?}");

    // An empty lake crawls to no table, and a check reading it fails.
    let out = crawl::crawl(f.ops(), &[&orders], waiting(), &Silent)
        .await
        .expect("crawl an empty lake");
    assert_eq!(
        (out[0].status.as_str(), out[0].tables_created),
        ("SUCCEEDED", Some(0))
    );
    let gone = check("orders_gone", &format!("SELECT id FROM {db}.orders"), 0);
    let out = check::check(f.ops(), &[&gone], opts, &Silent).await;
    assert_eq!(out[0].status, CheckStatus::Error, "{:?}", out[0]);
    assert!(
        out[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("TABLE_NOT_FOUND")),
        "{:?}",
        out[0]
    );

    // A wait that runs out names what is still running (and leaves it running).
    let now = Some(Waiting::new(Duration::ZERO));
    match crawl::crawl(f.ops(), &[&orders], now, &Silent).await {
        Err(OpsError::TimedOut { names, .. }) => assert_eq!(names, format!("orders-{tag}")),
        other => panic!("the wait must time out, got {other:?}"),
    }

    // A bucket that does not exist has nothing to list.
    assert!(
        f.ops()
            .list_objects(&format!("twh-no-such-bucket-{tag}"), "")
            .await
            .expect("list")
            .is_none()
    );
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::kinds::Service;
    use crate::provider::memory::{ACCOUNT, MemoryProvider, World, ops::Canned};
    use crate::provider::{CallLog, Identity};

    struct Memory {
        mem: Arc<MemoryProvider>,
        providers: Providers,
    }

    impl Memory {
        fn new() -> Self {
            let log = CallLog::default();
            let mem = Arc::new(MemoryProvider::new(World::default(), log.clone()));
            let identity = Identity {
                account: ACCOUNT.into(),
                region: "us-east-1".into(),
            };
            let mut providers = Providers::new(identity, mem.clone(), log);
            for s in [
                Service::Glue,
                Service::Athena,
                Service::QuickSight,
                Service::Iam,
                Service::Twh,
            ] {
                providers = providers.with(s, mem.clone());
            }
            Self { mem, providers }
        }
    }

    #[async_trait::async_trait]
    impl Fixture for Memory {
        fn ops(&self) -> &dyn OpsProvider {
            self.mem.as_ref()
        }
        fn providers(&self) -> &Providers {
            &self.providers
        }
        async fn create_bucket(&self, bucket: &str) {
            self.mem.edit_world(|w| {
                w.ops.buckets.entry(bucket.into()).or_default();
            });
        }
        async fn put_ndjson(&self, bucket: &str, key: &str, records: &[Value]) {
            let mut text = String::new();
            for r in records {
                text.push_str(&format!("{r}\n"));
            }
            let size = i64::try_from(text.len()).unwrap_or(i64::MAX);
            self.mem.edit_world(|w| w.ops.put_object(bucket, key, size));
        }
        async fn canned(&self, sql: &str, columns: &[&str], rows: Vec<Vec<Option<String>>>) {
            self.mem.edit_world(|w| {
                w.ops.canned.push(Canned {
                    sql_contains: sql.into(),
                    columns: columns.iter().map(|c| (*c).to_string()).collect(),
                    rows,
                });
            });
        }
    }

    #[tokio::test]
    async fn the_memory_provider_runs_the_operator_commands() {
        conformance(&Memory::new(), "mem").await;
    }
}

//! The reconciler core against the in-memory provider: create, idempotence,
//! update, replace, delete, drift, failures and reruns, locks, secrets.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};

use common::{Repo, crawler};
use twh::apply::{self, ApplyOptions, ApplyReport, Silent};
use twh::config::{self, LoadOptions};
use twh::plan::{self, Action, Plan, PlanOptions};
use twh::provider::memory::{MemoryProvider, World};
use twh::provider::retry::RetryPolicy;
use twh::provider::{CallLog, Providers};
use twh::state::local::LocalBackend;
use twh::state::{Backend, LockInfo, StateError, StateFile};

struct Harness {
    repo: Repo,
    mem: Arc<MemoryProvider>,
    calls: CallLog,
}

impl Harness {
    fn new(repo: Repo) -> Self {
        Self::with_world(repo, World::default())
    }

    fn with_world(repo: Repo, world: World) -> Self {
        let calls = CallLog::default();
        let mem = Arc::new(MemoryProvider::new(world, calls.clone()));
        Self { repo, mem, calls }
    }

    fn providers(&self) -> Providers {
        common::memory_providers(&self.mem, &self.calls, "123456789012")
    }

    fn backend(&self) -> Arc<dyn Backend> {
        Arc::new(LocalBackend::new(&self.repo.path().join("state"), "dev"))
    }

    async fn state(&self) -> StateFile {
        self.backend()
            .read()
            .await
            .expect("read state")
            .unwrap_or_else(|| StateFile::new("dev"))
    }

    async fn plan(&self) -> Plan {
        self.plan_from(&self.state().await).await
    }

    async fn plan_from(&self, st: &StateFile) -> Plan {
        let (cfg, diags) = config::load(
            self.repo.path(),
            "dev",
            &LoadOptions {
                require_secrets: true,
            },
        );
        assert!(!diags.has_errors(), "config errors: {diags:?}");
        plan::plan(&cfg, st, &self.providers(), &PlanOptions::default())
            .await
            .expect("plan")
    }

    /// Plans and applies from one read of state, as `twh sync` does.
    async fn sync_with(&self, opts: &ApplyOptions) -> (Plan, ApplyReport) {
        let st = self.state().await;
        let p = self.plan_from(&st).await;
        assert!(!p.errors.has_errors(), "plan errors: {:?}", p.errors);
        let (report, _) = apply::apply(
            &p,
            st,
            self.backend(),
            &self.providers(),
            opts,
            Arc::new(Silent),
        )
        .await;
        (p, report)
    }

    async fn sync(&self) -> (Plan, ApplyReport) {
        self.sync_with(&fast()).await
    }

    fn mutations(&self) -> usize {
        self.calls.counts().mutations
    }
}

fn fast() -> ApplyOptions {
    ApplyOptions {
        parallelism: 4,
        allow_replace: false,
        retry: RetryPolicy {
            attempts: 6,
            base: std::time::Duration::from_millis(1),
            max: std::time::Duration::from_millis(5),
        },
    }
}

fn action_of(p: &Plan, addr: &str) -> Action {
    p.changes
        .iter()
        .find(|c| c.address.to_string() == addr)
        .map_or(Action::NoOp, |c| c.action)
}

#[tokio::test]
async fn creates_from_empty_in_dependency_order() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    let (p, report) = h.sync().await;
    assert_eq!(
        p.summary.create,
        4,
        "{}",
        twh::plan::render::summary_line(&p)
    );
    assert!(report.ok(), "{report:?}");
    let world = h.mem.world();
    let crawler = &world.resources["glue_crawler"]["ticket_warehouse_orders-dev"];
    // References resolved to the dependencies' attributes.
    assert_eq!(
        crawler["Role"],
        json!("arn:aws:iam::123456789012:role/twh-crawler-dev")
    );
    assert_eq!(crawler["DatabaseName"], json!("ticket_warehouse_dev"));
    assert_eq!(
        crawler["Targets"]["S3Targets"][0]["Path"],
        json!("s3://twh-lake-dev/ticketsauce/orders/")
    );
    // Account fields are filled from the caller identity.
    assert_eq!(
        world.resources["glue_database"]["ticket_warehouse_dev"]["CatalogId"],
        json!("123456789012")
    );
    // Dependencies were created before their dependents.
    let ops: Vec<String> = world
        .calls
        .iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation.clone())
        .collect();
    let pos = |op: &str| ops.iter().position(|o| o == op).expect(op);
    assert!(pos("create:iam_role") < pos("create:glue_crawler"));
    assert!(pos("create:glue_database") < pos("create:glue_crawler"));
    assert!(pos("create:glue_database") < pos("create:athena_view"));
    let st = h.state().await;
    assert_eq!(st.resources.len(), 4);
    assert!(st.serial >= 4);
}

#[tokio::test]
async fn second_sync_makes_zero_mutating_calls() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    let before = h.mutations();
    let serial = h.state().await.serial;
    let (p, report) = h.sync().await;
    assert!(
        !p.has_changes(),
        "{}",
        twh::plan::render::human(&p, twh::plan::render::Style { color: false })
    );
    assert!(report.applied.is_empty());
    assert_eq!(
        h.mutations(),
        before,
        "a second sync must not call a mutating API"
    );
    assert_eq!(
        h.state().await.serial,
        serial,
        "nothing to do, nothing written"
    );
}

#[tokio::test]
async fn a_changed_file_updates_in_place() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 6 * * ? *)")),
    );
    let p = h.plan().await;
    assert_eq!(action_of(&p, "glue_crawler.orders"), Action::Update);
    let c = p
        .changes
        .iter()
        .find(|c| c.address.to_string() == "glue_crawler.orders")
        .expect("change");
    assert!(c.pending && !c.drifted);
    let text = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        text.contains("+     \"Schedule\": \"cron(0 6 * * ? *)\""),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete; 0 drifted."),
        "{text}"
    );
    let (_, report) = h.sync().await;
    assert!(report.ok());
    assert_eq!(
        h.mem.world().resources["glue_crawler"]["ticket_warehouse_orders-dev"]["Schedule"],
        json!("cron(0 6 * * ? *)")
    );
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn out_of_band_change_is_drift_and_sync_repairs_it() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    // Someone edits the crawler in the console.
    let mut world = h.mem.world();
    world
        .resources
        .get_mut("glue_crawler")
        .expect("kind")
        .get_mut("ticket_warehouse_orders-dev")
        .expect("crawler")["Schedule"] = json!("cron(0 1 * * ? *)");
    let h = Harness::with_world(h.repo, world);
    let p = h.plan().await;
    let c = p
        .changes
        .iter()
        .find(|c| c.address.to_string() == "glue_crawler.orders")
        .expect("change");
    assert_eq!(c.action, Action::Update);
    assert!(c.drifted, "live differs from last applied: drift");
    assert!(!c.pending, "the files did not change");
    assert_eq!(p.summary.drifted, 1);
    h.sync().await;
    assert!(
        h.mem.world().resources["glue_crawler"]["ticket_warehouse_orders-dev"]
            .get("Schedule")
            .is_none()
    );
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn removed_file_deletes_only_what_twh_manages() {
    let repo = Repo::new();
    repo.small_estate();
    let mut world = World::default();
    // A crawler made by hand: never twh's to delete.
    world
        .resources
        .entry("glue_crawler".into())
        .or_default()
        .insert("handmade".into(), json!({"Name": "handmade", "Role": "r"}));
    let h = Harness::with_world(repo, world);
    h.sync().await;
    h.repo.remove("resources/glue/crawlers/orders.json");
    let p = h.plan().await;
    assert_eq!(action_of(&p, "glue_crawler.orders"), Action::Delete);
    assert_eq!(p.summary.delete, 1);
    h.sync().await;
    let w = h.mem.world();
    assert!(!w.resources["glue_crawler"].contains_key("ticket_warehouse_orders-dev"));
    assert!(w.resources["glue_crawler"].contains_key("handmade"));
    assert!(
        !h.state()
            .await
            .resources
            .keys()
            .any(|a| a.to_string() == "glue_crawler.orders")
    );
}

#[tokio::test]
async fn prevent_destroy_refuses_delete() {
    let repo = Repo::new();
    repo.small_estate();
    let mut db: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.file("resources/glue/database.json")).expect("read"),
    )
    .expect("json");
    db["lifecycle"] = json!({"prevent_destroy": true});
    repo.write("resources/glue/database.json", &db);
    let h = Harness::new(repo);
    h.sync().await;
    h.repo.remove("resources/glue/database.json");
    h.repo.remove("resources/glue/crawlers/orders.json");
    h.repo.remove("resources/athena/views.json");
    let p = h.plan().await;
    let msgs: Vec<String> = p.errors.errors().map(|d| d.summary.clone()).collect();
    assert_eq!(
        msgs,
        [
            "`glue_database.warehouse` was removed from the files, but its lifecycle has `prevent_destroy`"
        ]
    );
}

#[tokio::test]
async fn identity_change_replaces_and_tables_need_approval() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write(
        "resources/glue/tables/orders.json",
        &json!({"type": "glue_table", "name": "orders", "spec": {
            "DatabaseName": "${ref:glue_database.warehouse.name}",
            "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
                "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}], "Location": "s3://${var.lake_bucket}/orders/"}}}}),
    );
    let h = Harness::new(repo);
    h.sync().await;
    h.repo.write(
        "resources/glue/tables/orders.json",
        &json!({"type": "glue_table", "name": "orders", "spec": {
            "DatabaseName": "${ref:glue_database.warehouse.name}",
            "TableInput": {"Name": "orders_v2", "TableType": "EXTERNAL_TABLE",
                "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}], "Location": "s3://${var.lake_bucket}/orders/"}}}}),
    );
    let p = h.plan().await;
    let c = p
        .changes
        .iter()
        .find(|c| c.address.to_string() == "glue_table.orders")
        .expect("change");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.old_id.as_deref(), Some("ticket_warehouse_dev.orders"));
    let refused = apply::refused(&p, &fast());
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("`glue_table.orders` would be replaced"));
    let opts = ApplyOptions {
        allow_replace: true,
        ..fast()
    };
    assert!(apply::refused(&p, &opts).is_empty());
    let (_, report) = h.sync_with(&opts).await;
    assert!(report.ok(), "{report:?}");
    let tables = &h.mem.world().resources["glue_table"];
    assert!(tables.contains_key("ticket_warehouse_dev.orders_v2"));
    assert!(!tables.contains_key("ticket_warehouse_dev.orders"));
}

#[tokio::test]
async fn a_replace_only_field_forces_replace() {
    let repo = Repo::new();
    repo.write(
        "resources/quicksight/source.json",
        &json!({"type": "quicksight_data_source", "name": "athena", "spec": {
            "DataSourceId": "twh-athena-${env}", "Name": "Athena", "Type": "ATHENA",
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}}}}),
    );
    let h = Harness::new(repo);
    h.sync().await;
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(h.repo.file("resources/quicksight/source.json")).expect("r"),
    )
    .expect("j");
    v["spec"]["Type"] = json!("S3");
    v["spec"]["DataSourceParameters"] =
        json!({"S3Parameters": {"ManifestFileLocation": {"Bucket": "b", "Key": "k"}}});
    h.repo.write("resources/quicksight/source.json", &v);
    let p = h.plan().await;
    let c = p
        .changes
        .iter()
        .find(|c| c.address.to_string() == "quicksight_data_source.athena")
        .expect("change");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.replace_paths, ["Type"]);
}

#[tokio::test]
async fn a_failure_stops_only_dependents_and_a_rerun_converges() {
    let repo = Repo::new();
    repo.small_estate();
    let mut world = World::default();
    // The first mutating call fails; with parallelism 1 and sorted order
    // that is the glue database, which the crawler and the view need.
    world.faults.fail_mutation = Some(1);
    let h = Harness::with_world(repo, world);
    let opts = ApplyOptions {
        parallelism: 1,
        ..fast()
    };
    let (_, report) = h.sync_with(&opts).await;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].0.to_string(), "glue_database.warehouse");
    let skipped: Vec<String> = report.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(skipped, ["athena_view.orders_v", "glue_crawler.orders"]);
    assert_eq!(
        report.applied.len(),
        1,
        "the role does not depend on the database"
    );
    // Rerun (the fault is spent): converges, nothing duplicated.
    let (_, report) = h.sync_with(&opts).await;
    assert!(report.ok(), "{report:?}");
    let w = h.mem.world();
    let total: usize = w.resources.values().map(|m| m.len()).sum();
    assert_eq!(total, 4);
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn throttling_is_retried() {
    let repo = Repo::new();
    repo.small_estate();
    let mut world = World::default();
    world.faults.throttle_rate = 0.3;
    world.faults.seed = 7;
    let h = Harness::with_world(repo, world);
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    let w = h.mem.world();
    assert!(
        w.calls.len() > h.calls.counts().mutations,
        "some calls were throttled and retried"
    );
    let total: usize = w.resources.values().map(|m| m.len()).sum();
    assert_eq!(total, 4);
}

#[tokio::test]
async fn a_create_that_crashed_before_its_record_is_adopted_not_duplicated() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    // Simulate: the write-ahead record exists and AWS has the resource, but
    // the run died before recording success.
    h.sync().await;
    let backend = h.backend();
    let mut st = h.state().await;
    for r in st.resources.values_mut() {
        r.status = twh::state::ResourceStatus::Creating;
    }
    st.serial += 1;
    backend.write(&st).await.expect("write");
    let p = h.plan().await;
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.summary.adopt, 4);
    let before = h.mutations();
    h.sync().await;
    assert_eq!(h.mutations(), before, "adopting makes no AWS call");
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn an_unmanaged_resource_that_differs_is_a_conflict() {
    let repo = Repo::new();
    repo.small_estate();
    let mut world = World::default();
    world.resources.entry("glue_database".into()).or_default().insert(
        "ticket_warehouse_dev".into(),
        json!({"CatalogId": "123456789012", "DatabaseInput": {"Name": "ticket_warehouse_dev", "Description": "someone else's"}}),
    );
    let h = Harness::with_world(repo, world);
    let p = h.plan().await;
    let msgs: Vec<String> = p.errors.errors().map(|d| d.summary.clone()).collect();
    assert_eq!(
        msgs,
        [
            "`glue_database.warehouse`: glue_database `ticket_warehouse_dev` already exists in AWS but is not managed by twh, and differs from the file"
        ]
    );
}

#[tokio::test]
async fn lock_contention_names_the_holder() {
    let repo = Repo::new();
    let b = LocalBackend::new(&repo.path().join("state"), "dev");
    let first = LockInfo::new("sync");
    b.lock(&first).await.expect("lock");
    let err = b.lock(&LockInfo::new("sync")).await.expect_err("contended");
    match &err {
        StateError::Locked { holder } => assert_eq!(holder.id, first.id),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(err.to_string().contains(&first.id));
    let waited = twh::state::lock_with_timeout(
        &b,
        &LockInfo::new("sync"),
        std::time::Duration::from_millis(300),
    )
    .await;
    assert!(matches!(waited, Err(StateError::Locked { .. })));
}

#[tokio::test]
#[allow(unsafe_code)] // std::env::set_var: the variable is this test's own
async fn secrets_never_reach_output_or_state() {
    let secret = "s3cr3t-P@ssw0rd-4242";
    // A variable name unique to this test: tests run in parallel threads.
    unsafe { std::env::set_var("TWH_TEST_DS_PASSWORD", secret) };
    let repo = Repo::new();
    repo.write(
        "resources/quicksight/redshift.json",
        &json!({"type": "quicksight_data_source", "name": "redshift", "spec": {
            "DataSourceId": "twh-redshift-${env}", "Name": "Redshift", "Type": "REDSHIFT",
            "DataSourceParameters": {"RedshiftParameters": {"Host": "h.example", "Port": 5439, "Database": "dw"}},
            "Credentials": {"CredentialPair": {"Username": "twh", "Password": "${env_var:TWH_TEST_DS_PASSWORD}"}}}}),
    );
    let h = Harness::new(repo);
    let (p, report) = h.sync().await;
    assert!(report.ok());
    // AWS got the real value...
    assert_eq!(
        h.mem.world().resources["quicksight_data_source"]["twh-redshift-dev"]["Credentials"]["CredentialPair"]
            ["Password"],
        json!(secret)
    );
    // ...nothing else did.
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    let json_out = twh::plan::render::json(&p);
    let state_text = std::fs::read_to_string(h.repo.file("state/dev.json")).expect("state");
    for (what, text) in [
        ("human plan", &human),
        ("json plan", &json_out),
        ("state", &state_text),
        ("debug", &format!("{:?}", p.desired)),
    ] {
        assert!(!text.contains(secret), "secret leaked into {what}");
    }
    assert!(human.contains("(sensitive)"));
    // No change while the secret is the same (it is write-only: never read back).
    assert!(!h.plan().await.has_changes());
    // A new secret is detected and shown without its value.
    unsafe { std::env::set_var("TWH_TEST_DS_PASSWORD", "another-secret-9999") };
    let p = h.plan().await;
    assert_eq!(
        action_of(&p, "quicksight_data_source.redshift"),
        Action::Update
    );
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(human.contains("(sensitive, changed)"), "{human}");
    assert!(!human.contains("another-secret-9999"));
    unsafe { std::env::remove_var("TWH_TEST_DS_PASSWORD") };
}

/// AWS's rewrites of what it was sent: Athena's formatted view SQL and a
/// crawler role read back with its path (as Glue does for `/service-role/`).
fn rewriting_world() -> World {
    World {
        stores_as: vec![
            twh::provider::memory::StoresAs {
                kind: "athena_view".into(),
                pointer: "/Sql".into(),
                value: json!("SELECT\n  id\n, total\nFROM\n  orders\n"),
            },
            twh::provider::memory::StoresAs {
                kind: "glue_crawler".into(),
                pointer: "/Role".into(),
                value: json!("service-role/twh-crawler-dev"),
            },
        ],
        ..World::default()
    }
}

fn change<'a>(p: &'a Plan, addr: &str) -> &'a plan::Change {
    p.changes
        .iter()
        .find(|c| c.address.to_string() == addr)
        .expect("change")
}

#[tokio::test]
async fn what_aws_stores_instead_of_what_it_was_sent_is_reported_once_and_never_a_change() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::with_world(repo, rewriting_world());
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    let stored: Vec<(String, Vec<String>)> = report
        .stored_by_aws
        .iter()
        .map(|s| {
            (
                s.address.to_string(),
                s.rewrites.iter().map(|r| r.path.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            ("athena_view.orders_v".to_string(), vec!["Sql".to_string()]),
            ("glue_crawler.orders".to_string(), vec!["Role".to_string()]),
        ],
        "each rewrite is reported once, by the sync that caused it"
    );
    let p = h.plan().await;
    assert!(
        !p.has_changes(),
        "a rewrite must never be a change:\n{}",
        twh::plan::render::human(&p, twh::plan::render::Style { color: false })
    );
    let before = h.mutations();
    let (_, again) = h.sync().await;
    assert_eq!(
        h.mutations(),
        before,
        "the second sync calls no mutating API"
    );
    assert!(
        again.stored_by_aws.is_empty(),
        "said once, not on every sync"
    );

    // A change to the file is one change: the members AWS rewrote stay in
    // AWS's form, and are neither shown nor sent as a difference.
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 6 * * ? *)")),
    );
    let p = h.plan().await;
    let c = change(&p, "glue_crawler.orders");
    assert_eq!(c.action, Action::Update);
    assert!(c.pending && !c.drifted);
    assert_eq!(
        c.before.as_ref().and_then(|b| b.get("Role")),
        c.after.as_ref().and_then(|a| a.get("Role")),
        "the role path AWS added is not shown as a change"
    );
    assert_eq!(action_of(&p, "athena_view.orders_v"), Action::NoOp);
    h.sync().await;
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn drift_is_live_against_what_aws_answered_not_against_the_file() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::with_world(repo, rewriting_world());
    h.sync().await;
    // Someone edits the view in the console: live now differs from what
    // AWS answered after the apply.
    let mut world = h.mem.world();
    world.stores_as.clear();
    let view = world
        .resources
        .get_mut("athena_view")
        .expect("kind")
        .values_mut()
        .next()
        .expect("view");
    view["Sql"] = json!("SELECT id FROM orders");
    let h = Harness::with_world(h.repo, world);
    let p = h.plan().await;
    let c = change(&p, "athena_view.orders_v");
    assert!(c.drifted && !c.pending, "{c:?}");
    assert_ne!(c.action, Action::NoOp);
    h.sync().await;
    assert!(!h.plan().await.has_changes(), "the repair is recorded");
}

#[tokio::test]
async fn a_version_1_state_plans_two_ways_until_its_next_apply() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::with_world(repo, rewriting_world());
    h.sync().await;
    // The same state as format version 1 wrote it: no `observed`.
    let path = h.repo.path().join("state/dev.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    v["format_version"] = json!(1);
    for r in v["resources"]
        .as_object_mut()
        .expect("resources")
        .values_mut()
    {
        r.as_object_mut().expect("record").remove("observed");
    }
    std::fs::write(&path, serde_json::to_vec(&v).expect("json")).expect("write");
    let st = h.state().await;
    assert_eq!(
        st.format_version,
        twh::state::FORMAT_VERSION,
        "migrated on read"
    );
    assert_eq!(st.resources.len(), 4, "every resource kept");
    // Without a record of AWS's answer, the rewrites look like changes,
    // once; the apply records them and the next plan is clean.
    let p = h.plan().await;
    assert_eq!(action_of(&p, "athena_view.orders_v"), Action::Update);
    h.sync().await;
    assert!(!h.plan().await.has_changes());
    let stored: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    assert_eq!(
        stored["format_version"],
        json!(2),
        "stored in the new format"
    );
}

#[tokio::test]
async fn a_mixed_case_glue_name_is_sent_as_glue_stores_it() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write(
        "resources/glue/database.json",
        &json!({"type": "glue_database", "name": "warehouse",
                "spec": {"DatabaseInput": {"Name": "Ticket_Warehouse_${env}", "Description": "Ticket Warehouse"}}}),
    );
    let h = Harness::new(repo);
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    let dbs: Vec<String> = h.mem.world().resources["glue_database"]
        .keys()
        .cloned()
        .collect();
    assert_eq!(dbs, vec!["ticket_warehouse_dev"]);
    let crawler = &h.mem.world().resources["glue_crawler"]["ticket_warehouse_orders-dev"];
    assert_eq!(
        crawler["DatabaseName"],
        json!("ticket_warehouse_dev"),
        "references get the stored name"
    );
    assert!(!h.plan().await.has_changes());
}

/// A world where stack `platform` owns the Glue database the small estate
/// declares, as a CDK stack would: the database is live, untagged, and only
/// ListStackResources says whose it is. `page` items per page.
fn stack_world(page: usize) -> World {
    let sr = |t: &str, id: &str| twh::provider::StackResource {
        resource_type: t.into(),
        physical_id: id.into(),
    };
    let mut w = World {
        stack_page_size: Some(page),
        ..World::default()
    };
    w.stack_resources.insert(
        "platform".into(),
        vec![
            sr("AWS::S3::Bucket", "platform-lake-1a2b"),
            sr("AWS::Glue::Database", "ticket_warehouse_dev"),
        ],
    );
    w.stacks.insert("other".into(), Default::default());
    w.resources.entry("glue_database".into()).or_default().insert(
        "ticket_warehouse_dev".into(),
        json!({"CatalogId": "123456789012",
               "DatabaseInput": {"Name": "ticket_warehouse_dev", "Description": "Ticket Warehouse"}}),
    );
    w
}

fn env_with_cloudformation(repo: &Repo, cloudformation: Value) {
    repo.write(
        "resources/environments/dev.json",
        &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"},
                "cloudformation": cloudformation, "state": {"backend": "local"}}),
    );
}

fn errors(p: &Plan) -> String {
    p.errors
        .0
        .iter()
        .map(|d| d.summary.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A database a stack owns carries no tag (`AWS::Glue::Database` has no
/// `Tags`); the plan learns its owner from the stack, every page of it, and
/// refuses it naming the stack. On main it was adopted.
#[tokio::test]
async fn a_database_a_stack_owns_is_refused_though_untagged() {
    let repo = Repo::new();
    repo.small_estate();
    env_with_cloudformation(&repo, json!({"stacks": ["platform"]}));
    let h = Harness::with_world(repo, stack_world(1));
    let p = h.plan().await;
    assert!(
        errors(&p).contains("`glue_database.warehouse`: glue_database `ticket_warehouse_dev` belongs to CloudFormation stack `platform`"),
        "{}",
        errors(&p)
    );
    let o = p.cloudformation.as_ref().expect("ownership was read");
    assert_eq!(
        (o.stacks.clone(), o.calls),
        (vec!["platform".to_string()], 2)
    );
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        human.contains("CloudFormation: 1 stack(s) checked for what they own (platform), 2 call(s) of at most 100."),
        "{human}"
    );
}

/// `all_stacks` lists every stack (ListStacks) and reads each, within
/// `max_calls`; past the bound the plan stops instead of guessing.
#[tokio::test]
async fn all_stacks_are_read_within_the_call_bound() {
    let repo = Repo::new();
    repo.small_estate();
    env_with_cloudformation(&repo, json!({"all_stacks": true}));
    let h = Harness::with_world(repo, stack_world(100));
    let p = h.plan().await;
    assert!(errors(&p).contains("belongs to CloudFormation stack `platform`"));
    let o = p.cloudformation.as_ref().expect("ownership was read");
    // One ListStacks page, one ListStackResources per stack.
    assert_eq!((o.stacks.len(), o.calls), (2, 3));

    env_with_cloudformation(&h.repo, json!({"all_stacks": true, "max_calls": 2}));
    let (cfg, diags) = config::load(
        h.repo.path(),
        "dev",
        &LoadOptions {
            require_secrets: true,
        },
    );
    assert!(!diags.has_errors(), "{diags:?}");
    let err = plan::plan(
        &cfg,
        &StateFile::new("dev"),
        &h.providers(),
        &PlanOptions::default(),
    )
    .await
    .expect_err("over the bound");
    assert!(
        err.0[0].summary.contains("needs more than 2 calls"),
        "{:?}",
        err.0
    );
}

/// `lifecycle.adopt_from_cloudformation` still opts in, and a stack-owned
/// resource removed from the files is never deleted.
#[tokio::test]
async fn adopt_from_cloudformation_opts_in_and_removal_never_deletes() {
    let repo = Repo::new();
    repo.small_estate();
    env_with_cloudformation(&repo, json!({"stacks": ["platform"]}));
    repo.write(
        "resources/glue/database.json",
        &json!({"type": "glue_database", "name": "warehouse",
                "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "Ticket Warehouse"}},
                "lifecycle": {"adopt_from_cloudformation": true}}),
    );
    let h = Harness::with_world(repo, stack_world(100));
    let (p, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(action_of(&p, "glue_database.warehouse"), Action::Adopt);
    h.repo.remove("resources/glue/database.json");
    h.repo.remove("resources/glue/crawlers/orders.json");
    h.repo.remove("resources/athena/views.json");
    let p = h.plan().await;
    assert!(
        errors(&p).contains("`glue_database.warehouse` was removed from the files, but it belongs to CloudFormation stack `platform`; twh does not delete it"),
        "{}",
        errors(&p)
    );
}

fn orders_table(columns: Value) -> Value {
    json!({"type": "glue_table", "name": "orders", "spec": {
        "DatabaseName": "${ref:glue_database.warehouse.name}",
        "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": columns, "Location": "s3://${var.lake_bucket}/orders/"}}}})
}

fn views_reading_orders() -> Value {
    json!({"resources": [
        {"type": "athena_view", "name": "orders_v", "spec": {
            "Name": "orders_v", "Database": "${ref:glue_database.warehouse.name}", "WorkGroup": "primary",
            "Sql": "SELECT * FROM orders"}, "depends_on": ["glue_table.orders"]},
        {"type": "athena_view", "name": "orders_daily", "spec": {
            "Name": "orders_daily", "Database": "${ref:glue_database.warehouse.name}", "WorkGroup": "primary",
            "Sql": "SELECT count(*) AS n FROM orders_v"}, "depends_on": ["athena_view.orders_v"]},
        {"type": "athena_view", "name": "unrelated", "spec": {
            "Name": "unrelated", "Database": "${ref:glue_database.warehouse.name}", "WorkGroup": "primary",
            "Sql": "SELECT 1 AS one"}}]})
}

/// Issue 11, stale views: Athena refuses to read a view once the columns of
/// what it reads change (`VIEW_IS_STALE`) until it is re-created. A sync
/// that changes a table's columns re-creates the views that depend on it,
/// and the views that read those, in the same run; the plan says why; the
/// next sync is quiet.
#[tokio::test]
async fn a_column_change_re_creates_the_views_that_read_the_table() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write(
        "resources/glue/tables/orders.json",
        &orders_table(json!([{"Name": "id", "Type": "string"}])),
    );
    repo.write("resources/athena/views.json", &views_reading_orders());
    let h = Harness::new(repo);
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");

    // A change that is not to the columns leaves the views alone.
    let mut described = orders_table(json!([{"Name": "id", "Type": "string"}]));
    described["spec"]["TableInput"]["Description"] = json!("orders");
    h.repo
        .write("resources/glue/tables/orders.json", &described);
    let p = h.plan().await;
    assert_eq!(
        action_of(&p, "glue_table.orders"),
        Action::Update,
        "{}",
        twh::plan::render::human(&p, twh::plan::render::Style { color: false })
    );
    assert_eq!(action_of(&p, "athena_view.orders_v"), Action::NoOp);
    h.sync().await;

    let mut wider = orders_table(
        json!([{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}]),
    );
    wider["spec"]["TableInput"]["Description"] = json!("orders");
    h.repo.write("resources/glue/tables/orders.json", &wider);
    let p = h.plan().await;
    assert_eq!(action_of(&p, "glue_table.orders"), Action::Update);
    let v = change(&p, "athena_view.orders_v");
    assert_eq!(v.action, Action::Update);
    assert_eq!(
        v.reason.as_deref(),
        Some("re-created: reads glue_table.orders whose columns change")
    );
    let daily = change(&p, "athena_view.orders_daily");
    assert_eq!(daily.action, Action::Update);
    assert_eq!(
        daily.reason.as_deref(),
        Some("re-created: reads athena_view.orders_v, which is re-created")
    );
    assert_eq!(action_of(&p, "athena_view.unrelated"), Action::NoOp);
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        human.contains(
            "~ athena_view.orders_v (update; re-created: reads glue_table.orders whose columns change)"
        ),
        "{human}"
    );

    let before = h.mem.world().calls.iter().filter(|c| c.mutating).count();
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    let ops: Vec<String> = h
        .mem
        .world()
        .calls
        .iter()
        .filter(|c| c.mutating)
        .skip(before)
        .map(|c| c.operation.clone())
        .collect();
    // The table first, then its two views (apply orders by dependency).
    assert_eq!(
        ops,
        [
            "update:glue_table",
            "update:athena_view",
            "update:athena_view"
        ],
        "{ops:?}"
    );
    assert!(!h.plan().await.has_changes());
    let before = h.mutations();
    h.sync().await;
    assert_eq!(
        h.mutations(),
        before,
        "the second sync calls no mutating API"
    );
}

fn workgroup(config: Value) -> Value {
    json!({"type": "athena_workgroup", "name": "wg", "spec": {"Name": "wg-${env}", "Configuration": config}})
}

/// Issue 11, workgroup fields that cannot be cleared: UpdateWorkGroup has
/// no `Remove*` flag for `ExecutionRole`, so removing it from the file was
/// an update that left it in place, planned again on every sync. Removing
/// it is a replace that names the field; changing it stays an update.
#[tokio::test]
async fn removing_a_workgroup_field_aws_cannot_clear_is_a_replace_that_says_why() {
    let repo = Repo::new();
    let out = json!({"ResultConfiguration": {"OutputLocation": "s3://b/athena/"}});
    let mut with_role = out.clone();
    with_role["ExecutionRole"] = json!("arn:aws:iam::123456789012:role/spark");
    repo.write("resources/athena/wg.json", &workgroup(with_role.clone()));
    let h = Harness::new(repo);
    h.sync().await;

    let mut other_role = out.clone();
    other_role["ExecutionRole"] = json!("arn:aws:iam::123456789012:role/spark2");
    h.repo
        .write("resources/athena/wg.json", &workgroup(other_role));
    assert_eq!(
        action_of(&h.plan().await, "athena_workgroup.wg"),
        Action::Update
    );

    h.repo.write("resources/athena/wg.json", &workgroup(out));
    let p = h.plan().await;
    let c = change(&p, "athena_workgroup.wg");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.replace_paths, ["Configuration.ExecutionRole"]);
    assert_eq!(
        c.reason.as_deref(),
        Some("Configuration.ExecutionRole cannot be removed in place (AWS has no way to clear it)")
    );
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    assert!(!h.plan().await.has_changes());
}

// ---- refactors: renames are moves, never delete + create -------------------

/// The crawler file rewritten with another `name` (and whatever else `edit`
/// does to it).
fn rename_crawler(h: &Harness, path: &str, name: &str, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(h.repo.file("resources/glue/crawlers/orders.json")).expect("r"),
    )
    .expect("json");
    v["name"] = json!(name);
    edit(&mut v);
    h.repo.remove("resources/glue/crawlers/orders.json");
    h.repo.write(path, &v);
}

#[tokio::test]
async fn renaming_a_resource_moves_its_record_and_calls_no_mutation() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    let observed = h.state().await.resources[&"glue_crawler.orders".parse().expect("a")]
        .observed
        .clone();
    assert!(observed.is_some());
    // Only the name in the files changes: no moved_from, no file move.
    rename_crawler(
        &h,
        "resources/glue/crawlers/orders.json",
        "ticket_orders",
        |_| {},
    );
    let p = h.plan().await;
    assert!(!p.errors.has_errors(), "{:?}", p.errors);
    let c = change(&p, "glue_crawler.ticket_orders");
    assert_eq!(c.action, Action::Move);
    assert_eq!(
        c.moved_from.as_ref().map(ToString::to_string).as_deref(),
        Some("glue_crawler.orders")
    );
    assert!(
        p.changes
            .iter()
            .all(|c| !matches!(c.action, Action::Delete | Action::Create | Action::Replace)),
        "{:?}",
        p.changes
            .iter()
            .map(|c| (&c.address, c.action))
            .collect::<Vec<_>>()
    );
    assert_eq!((p.summary.moved, p.summary.changes()), (1, 1));
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        human.contains("> glue_crawler.ticket_orders (moved from glue_crawler.orders)"),
        "{human}"
    );
    let before = h.mutations();
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(h.mutations(), before, "a move calls AWS for nothing");
    let st = h.state().await;
    let rec = &st.resources[&"glue_crawler.ticket_orders".parse().expect("a")];
    assert_eq!(rec.observed, observed, "the three-way record moves with it");
    assert!(
        !st.resources
            .contains_key(&"glue_crawler.orders".parse().expect("a"))
    );
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn moving_a_file_to_another_folder_keeps_the_address() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    rename_crawler(&h, "resources/crawlers/lake/orders.json", "orders", |_| {});
    let p = h.plan().await;
    assert!(!p.has_changes(), "{:?}", p.summary);
}

#[tokio::test]
async fn moved_from_with_a_spec_change_is_one_update_at_the_new_address() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    rename_crawler(
        &h,
        "resources/glue/crawlers/tickets.json",
        "ticket_orders",
        |v| {
            v["moved_from"] = json!("glue_crawler.orders");
            v["spec"]["Schedule"] = json!("cron(15 * * * ? *)");
        },
    );
    let p = h.plan().await;
    let c = change(&p, "glue_crawler.ticket_orders");
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        c.moved_from.as_ref().map(ToString::to_string).as_deref(),
        Some("glue_crawler.orders")
    );
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        human.contains("~ glue_crawler.ticket_orders (moved from glue_crawler.orders; update)"),
        "{human}"
    );
    let before = h.mutations();
    let (_, report) = h.sync().await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(
        h.mutations() - before,
        1,
        "one update, nothing deleted or created"
    );
    assert!(!h.plan().await.has_changes());
}

#[tokio::test]
async fn a_moved_list_chains_and_a_move_state_does_not_know_is_a_no_op() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    // orders -> lake_orders -> ticket_orders, recorded in a file of its own;
    // the crawler's AWS Name changes nothing, the chain alone finds it.
    rename_crawler(
        &h,
        "resources/glue/crawlers/orders.json",
        "ticket_orders",
        |_| {},
    );
    h.repo.write(
        "resources/moves.json",
        &json!({"moved": [
            {"from": "glue_crawler.lake_orders", "to": "glue_crawler.ticket_orders"},
            {"from": "glue_crawler.orders", "to": "glue_crawler.lake_orders"}]}),
    );
    let p = h.plan().await;
    let c = change(&p, "glue_crawler.ticket_orders");
    assert_eq!(c.action, Action::Move);
    assert_eq!(
        c.moved_from.as_ref().map(ToString::to_string).as_deref(),
        Some("glue_crawler.orders")
    );
    // A new estate never had the old addresses: the moves do nothing there.
    h.repo.remove("state/dev.json");
    let fresh = Harness::new(h.repo);
    let p = fresh.plan().await;
    assert!(!p.errors.has_errors(), "{:?}", p.errors);
    assert_eq!(action_of(&p, "glue_crawler.ticket_orders"), Action::Create);
    assert_eq!(p.summary.moved, 0);
}

fn load_errors(repo: &Repo) -> Vec<String> {
    let (_, diags) = config::load(
        repo.path(),
        "dev",
        &LoadOptions {
            require_secrets: false,
        },
    );
    diags.errors().map(|d| d.summary.clone()).collect()
}

#[test]
fn moves_across_types_onto_declared_or_missing_addresses_are_refused() {
    let repo = Repo::new();
    repo.small_estate();
    let mut c = crawler("orders", None);
    c["moved_from"] = json!("glue_job.orders");
    repo.write("resources/glue/crawlers/orders.json", &c);
    repo.write(
        "resources/moves.json",
        &json!({"moved": [{"from": "iam_role.crawler", "to": "iam_role.glue"},
                          {"from": "glue_crawler.old", "to": "glue_crawler.ordrs"}]}),
    );
    let mut errors = load_errors(&repo);
    errors.sort();
    assert_eq!(
        errors,
        [
            "`glue_crawler.old` is moved to `glue_crawler.ordrs`, which no file declares",
            "`iam_role.crawler` is moved to `iam_role.glue`, but `iam_role.crawler` is still declared",
            "cannot move `glue_job.orders` to `glue_crawler.orders`: a move keeps the resource's type",
        ]
    );
}

#[tokio::test]
async fn a_move_onto_an_address_state_already_has_is_refused() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write(
        "resources/glue/crawlers/events.json",
        &crawler("events", None),
    );
    let h = Harness::new(repo);
    h.sync().await;
    // `events` claims to be the old `orders`, but state has both.
    h.repo.remove("resources/glue/crawlers/orders.json");
    let mut e = crawler("events", None);
    e["moved_from"] = json!("glue_crawler.orders");
    h.repo.write("resources/glue/crawlers/events.json", &e);
    let p = h.plan().await;
    let msgs: Vec<String> = p.errors.errors().map(|d| d.summary.clone()).collect();
    assert_eq!(
        msgs,
        [
            "`glue_crawler.orders` is moved to `glue_crawler.events`, but state already has a resource at `glue_crawler.events`"
        ]
    );
}

#[tokio::test]
async fn an_identity_change_is_a_replace_that_names_the_field_and_its_dependents() {
    let repo = Repo::new();
    repo.small_estate();
    let h = Harness::new(repo);
    h.sync().await;
    let mut role = common::role("crawler");
    role["spec"]["RoleName"] = json!("twh-glue-crawler-${env}");
    h.repo.write("resources/iam/crawler.json", &role);
    let p = h.plan().await;
    let c = change(&p, "iam_role.crawler");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.replace_paths, ["RoleName"]);
    assert_eq!(
        c.dependents
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["glue_crawler.orders"]
    );
    let human = twh::plan::render::human(&p, twh::plan::render::Style { color: false });
    assert!(
        human.contains("`RoleName` changed from `twh-crawler-dev` to `twh-glue-crawler-dev`"),
        "{human}"
    );
    assert!(
        human.contains("    affects: glue_crawler.orders"),
        "{human}"
    );
    // Any kind: a role is not a table or a dataset, and still needs approval.
    let refused = apply::refused(&p, &fast());
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("`iam_role.crawler` would be replaced (`RoleName` changed")
            && refused[0].ends_with("; it affects glue_crawler.orders"),
        "{}",
        refused[0]
    );
    let opts = ApplyOptions {
        allow_replace: true,
        ..fast()
    };
    let (_, report) = h.sync_with(&opts).await;
    assert!(report.ok(), "{report:?}");
    assert!(h.mem.world().resources["iam_role"].contains_key("twh-glue-crawler-dev"));
}

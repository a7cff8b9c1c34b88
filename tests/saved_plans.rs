//! Saved plans on the in-memory provider: `twh diff --out` then `twh sync
//! PLAN` applies exactly the plan, and every way a plan goes stale (a file
//! edited, the state serial moved by another sync, a live value changed by
//! hand, a secret changed) or does not belong to this run (another
//! environment, account or format version) is refused with exit 1, no
//! mutating call, the lock released, and the change named.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};

use common::{Repo, crawler, twh_in, world_mutations};
use twh::apply::{self, ApplyOptions, Silent};
use twh::config::{self, LoadOptions};
use twh::plan::saved::{FileChange, LiveChange, Refused, Rejection, SavedPlan, Stale};
use twh::plan::{self, Action, PlanOptions};
use twh::provider::memory::{MemoryProvider, World};
use twh::provider::{CallLog, Providers};
use twh::state::local::LocalBackend;
use twh::state::{Backend, StateFile};

const PW_VAR: &str = "TWH_SAVED_PLAN_TEST_PASSWORD";

struct Harness {
    repo: Repo,
    mem: Arc<MemoryProvider>,
    calls: CallLog,
    account: String,
}

impl Harness {
    fn new() -> Self {
        let repo = Repo::new();
        repo.small_estate();
        let calls = CallLog::default();
        let mem = Arc::new(MemoryProvider::new(World::default(), calls.clone()));
        Self {
            repo,
            mem,
            calls,
            account: "123456789012".into(),
        }
    }

    fn providers(&self) -> Providers {
        common::memory_providers(&self.mem, &self.calls, &self.account)
    }

    fn backend(&self) -> Arc<dyn Backend> {
        Arc::new(LocalBackend::new(&self.repo.path().join("state"), "dev"))
    }

    fn config(&self) -> config::Config {
        let (cfg, diags) = config::load(
            self.repo.path(),
            "dev",
            &LoadOptions {
                require_secrets: true,
            },
        );
        assert!(!diags.has_errors(), "config errors: {diags:?}");
        cfg
    }

    /// `twh diff --out`: the saved plan, through its text and back.
    async fn save(&self) -> SavedPlan {
        let stored = self.backend().read().await.expect("read state");
        let st = stored.clone().unwrap_or_else(|| StateFile::new("dev"));
        let cfg = self.config();
        let p = plan::plan(&cfg, &st, &self.providers(), &PlanOptions::default())
            .await
            .expect("plan");
        let saved = SavedPlan::new(&p, &cfg, stored.as_ref()).expect("saved");
        SavedPlan::parse("plan.json", &saved.render()).expect("parse what was written")
    }

    /// `twh sync PLAN` up to the first mutating call.
    async fn prepare(&self, saved: &SavedPlan) -> Result<(plan::Plan, StateFile), Refused> {
        let stored = self.backend().read().await.expect("read state");
        plan::saved::prepare(saved, &self.config(), stored, &self.providers()).await
    }

    /// `twh sync PLAN`, all of it.
    async fn apply(&self, saved: &SavedPlan) -> apply::ApplyReport {
        let (p, st) = self.prepare(saved).await.expect("the plan applies");
        let (report, _) = apply::apply(
            &p,
            st,
            self.backend(),
            &self.providers(),
            &ApplyOptions::default(),
            Arc::new(Silent),
        )
        .await;
        assert!(report.ok(), "{report:?}");
        report
    }

    /// A plain `twh sync`.
    async fn sync(&self) {
        let saved = self.save().await;
        self.apply(&saved).await;
    }

    fn mutations(&self) -> usize {
        self.calls.counts().mutations
    }

    /// The refusal of `saved`, after checking it made no mutating call.
    async fn refusal(&self, saved: &SavedPlan) -> Refused {
        let before = self.mutations();
        let r = match self.prepare(saved).await {
            Ok(_) => panic!("a stale plan was accepted"),
            Err(r) => r,
        };
        assert_eq!(self.mutations(), before, "refusing made a mutating call");
        r
    }

    async fn stale(&self, saved: &SavedPlan) -> Vec<Stale> {
        match self.refusal(saved).await {
            Refused::Stale(list) => list,
            other => panic!("expected stale, got {other:?}"),
        }
    }

    /// Replaces the live world, as changes made by hand (the console) do:
    /// no call is logged.
    fn set_world(&mut self, w: World) {
        self.mem = Arc::new(MemoryProvider::new(w, self.calls.clone()));
    }

    /// Changes a live crawler by hand.
    fn edit_live_crawler(&mut self, f: impl FnOnce(&mut Value)) {
        let mut w = self.mem.world();
        let crawler = w
            .resources
            .get_mut("glue_crawler")
            .and_then(|m| m.get_mut("ticket_warehouse_orders-dev"))
            .expect("the crawler is live");
        f(crawler);
        self.set_world(w);
    }
}

#[tokio::test]
async fn a_saved_plan_applies_exactly_and_the_next_diff_is_clean() {
    let h = Harness::new();
    let saved = h.save().await;
    assert_eq!(saved.changes.len(), 4);
    assert!(saved.changes.iter().all(|c| c.action == Action::Create));
    assert_eq!(saved.state, None, "made before the first sync");
    assert!(
        saved
            .files
            .contains_key("resources/glue/crawlers/orders.json")
            && saved.files.contains_key("resources/environments/dev.json"),
        "{:?}",
        saved.files.keys()
    );
    let report = h.apply(&saved).await;
    assert_eq!(report.applied.len(), 4);

    // The next plan is clean, and a plan of a change applies too.
    let again = h.save().await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 5 * * ? *)")),
    );
    let update = h.save().await;
    let serial = h.backend().read().await.expect("read").map(|s| s.serial);
    assert_eq!(update.state.as_ref().map(|s| s.serial), serial);
    assert_eq!(
        update
            .changes
            .iter()
            .map(|c| (c.address.to_string(), c.action))
            .collect::<Vec<_>>(),
        vec![("glue_crawler.orders".to_string(), Action::Update)]
    );
    h.apply(&update).await;
    assert!(h.save().await.changes.is_empty());
}

#[tokio::test]
async fn sync_re_reads_only_the_planned_resources() {
    let h = Harness::new();
    h.sync().await;
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 5 * * ? *)")),
    );
    let saved = h.save().await;
    let before = h.calls.calls().len();
    h.prepare(&saved).await.expect("applies");
    let reads: Vec<String> = h.calls.calls()[before..]
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    assert_eq!(
        reads,
        vec!["read:glue_crawler"],
        "only the crawler is re-read"
    );
}

#[tokio::test]
async fn an_edited_file_is_refused_by_name() {
    let h = Harness::new();
    let saved = h.save().await;
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 6 * * ? *)")),
    );
    h.repo
        .write("resources/iam/extra.json", &common::role("extra"));
    let stale = h.stale(&saved).await;
    assert_eq!(
        stale,
        vec![
            Stale::File {
                path: "resources/glue/crawlers/orders.json".into(),
                change: FileChange::Edited
            },
            Stale::File {
                path: "resources/iam/extra.json".into(),
                change: FileChange::Added
            },
        ]
    );
    assert_eq!(
        stale[0].to_string(),
        "file `resources/glue/crawlers/orders.json` was edited"
    );
}

#[tokio::test]
async fn a_serial_moved_by_another_sync_is_refused_with_both_serials() {
    let h = Harness::new();
    h.sync().await;
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 5 * * ? *)")),
    );
    let saved = h.save().await;
    let planned = saved.state.as_ref().expect("state").serial;
    // Another sync (here a plain one) applies the same change first.
    h.sync().await;
    let now = h
        .backend()
        .read()
        .await
        .expect("read")
        .expect("state")
        .serial;
    assert!(now > planned);
    let stale = h.stale(&saved).await;
    assert_eq!(stale, vec![Stale::Serial { planned, now }]);
    assert_eq!(
        stale[0].to_string(),
        format!("state serial moved from {planned} to {now}: another run wrote the state")
    );
}

#[tokio::test]
async fn a_live_value_changed_by_hand_is_refused_naming_the_field() {
    let mut h = Harness::new();
    h.sync().await;
    h.repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 5 * * ? *)")),
    );
    let saved = h.save().await;
    h.edit_live_crawler(|c| {
        c["Targets"]["S3Targets"][0]["Path"] = json!("s3://elsewhere/");
    });
    let stale = h.stale(&saved).await;
    assert_eq!(
        stale,
        vec![Stale::Live {
            address: "glue_crawler.orders".parse().expect("address"),
            change: LiveChange::Changed,
            fields: vec!["Targets.S3Targets[0].Path".into()],
        }]
    );
    assert_eq!(
        stale[0].to_string(),
        "`glue_crawler.orders`: `Targets.S3Targets[0].Path` changed in AWS"
    );

    // Deleted by hand is named too.
    let mut w = h.mem.world();
    w.resources
        .get_mut("glue_crawler")
        .expect("crawlers")
        .clear();
    h.set_world(w);
    let stale = h.stale(&saved).await;
    assert!(
        matches!(
            &stale[..],
            [Stale::Live {
                change: LiveChange::Deleted,
                ..
            }]
        ),
        "{stale:?}"
    );
}

#[tokio::test]
async fn a_resource_created_by_hand_since_the_plan_is_refused() {
    let h = Harness::new();
    let saved = h.save().await;
    // Someone creates the database the plan was going to create.
    h.sync().await;
    std::fs::remove_file(h.repo.file("state/dev.json")).expect("forget the state");
    let stale = h.stale(&saved).await;
    assert!(
        stale.iter().any(|s| matches!(s, Stale::Live { address, change: LiveChange::Created, .. } if address.to_string() == "glue_database.warehouse")),
        "{stale:?}"
    );
}

#[tokio::test]
async fn another_environment_account_or_format_is_rejected() {
    let mut h = Harness::new();
    let saved = h.save().await;

    let mut other_env = saved.clone();
    other_env.env = "production".into();
    assert_eq!(
        h.refusal(&other_env).await.rejection(),
        Some(Rejection::Env {
            planned: "production".into(),
            given: "dev".into()
        })
    );

    h.account = "999999999999".into();
    assert_eq!(
        h.refusal(&saved).await.rejection(),
        Some(Rejection::Account {
            planned: "123456789012".into(),
            given: "999999999999".into()
        })
    );

    let mut doc: Value = serde_json::from_str(&saved.render()).expect("json");
    doc["format_version"] = json!(2);
    let err = SavedPlan::parse("plan.json", &doc.to_string()).expect_err("format 2");
    assert_eq!(
        err.to_string(),
        "`plan.json` is a saved plan of format version 2; this twh applies version 1"
    );
}

trait RejectionOf {
    fn rejection(self) -> Option<Rejection>;
}

impl RejectionOf for Refused {
    fn rejection(self) -> Option<Rejection> {
        match self {
            Refused::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

// --- the command line ------------------------------------------------------

fn run(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    let o = twh_in(repo).args(args).output().expect("run twh");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `twh sync plan.json` refused: exit 1, no mutating call, lock released,
/// `needle` in stderr.
fn assert_refused(repo: &Repo, args: &[&str], needle: &str) {
    let before = world_mutations(repo);
    let (code, _, err) = run(repo, args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    assert!(
        err.contains("Nothing was changed") || err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(world_mutations(repo), before, "a refused plan mutated AWS");
    assert!(
        !repo.file("state/dev.lock").exists(),
        "the lock was not released"
    );
}

#[test]
fn cli_diff_out_then_sync_plan_then_clean() {
    let repo = Repo::new();
    repo.small_estate();
    let (code, out, err) = run(&repo, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("+ glue_crawler.orders"), "{out}");
    assert!(
        err.contains("Saved the plan (4 changes) to `plan.json`"),
        "{err}"
    );
    let (code, out, err) = run(&repo, &["sync", "plan.json", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("sync prints one JSON document");
    assert_eq!(doc["format_version"], "2.1");
    assert_eq!(doc["plan_file"], "plan.json");
    assert_eq!(doc["refused"], Value::Null);
    assert_eq!(doc["result"]["applied"].as_array().map(Vec::len), Some(4));
    let (code, out, _) = run(&repo, &["diff"]);
    assert_eq!(code, 0, "{out}");
    // Applying the same plan again: the serial it was made at is gone.
    assert_refused(
        &repo,
        &["sync", "plan.json"],
        "state was not created yet, is now at serial",
    );
}

#[test]
fn cli_refusals_exit_1_change_nothing_and_release_the_lock() {
    let repo = Repo::new();
    repo.small_estate();
    let (code, _, err) = run(&repo, &["sync", "--auto-approve"]);
    assert_eq!(code, 0, "{err}");
    repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 5 * * ? *)")),
    );
    let (code, _, err) = run(&repo, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 2, "{err}");
    let plan_text = std::fs::read_to_string(repo.file("plan.json")).expect("plan");

    // A file edited since the plan.
    let crawler_file =
        std::fs::read_to_string(repo.file("resources/glue/crawlers/orders.json")).expect("read");
    repo.write_text(
        "resources/glue/crawlers/orders.json",
        &crawler_file.replace("0 5", "0 6"),
    );
    assert_refused(
        &repo,
        &["sync", "plan.json"],
        "file `resources/glue/crawlers/orders.json` was edited",
    );
    repo.write_text("resources/glue/crawlers/orders.json", &crawler_file);

    // A live value changed by hand.
    let world_text = std::fs::read_to_string(repo.file("aws.json")).expect("world");
    let mut world: Value = serde_json::from_str(&world_text).expect("world json");
    world["resources"]["glue_crawler"]["ticket_warehouse_orders-dev"]["Description"] =
        json!("edited in the console");
    repo.write("aws.json", &world);
    assert_refused(
        &repo,
        &["sync", "plan.json"],
        "`glue_crawler.orders`: `Description` changed in AWS",
    );
    repo.write_text("aws.json", &world_text);

    // Another environment, and another format version.
    repo.write(
        "resources/environments/staging.json",
        &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-staging"}, "state": {"backend": "local"}}),
    );
    let before = world_mutations(&repo);
    let (code, _, err) = run(&repo, &["sync", "plan.json", "--env", "staging"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the plan was made for environment `dev`, not `staging`")
            && err.contains("--env dev"),
        "{err}"
    );
    assert_eq!(world_mutations(&repo), before);
    repo.remove("resources/environments/staging.json");
    let mut doc: Value = serde_json::from_str(&plan_text).expect("plan json");
    doc["format_version"] = json!(0);
    repo.write("old-plan.json", &doc);
    assert_refused(
        &repo,
        &["sync", "old-plan.json"],
        "is a saved plan of format version 0; this twh applies version 1",
    );

    // The serial moved: another sync applied first. JSON still prints one
    // document, naming both serials.
    let (code, _, err) = run(&repo, &["sync", "--auto-approve"]);
    assert_eq!(code, 0, "{err}");
    let before = world_mutations(&repo);
    let (code, out, err) = run(&repo, &["sync", "plan.json", "--output", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("state serial moved from"), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["refused"]["reason"], "stale");
    assert_eq!(doc["refused"]["changed"][0]["what"], "serial");
    assert_eq!(doc["result"], Value::Null);
    assert_eq!(world_mutations(&repo), before);
    assert!(!repo.file("state/dev.lock").exists());

    // And with everything as planned, the plan applies.
    let (code, _, err) = run(&repo, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&repo, &["sync", "plan.json"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn cli_a_secret_is_only_a_fingerprint_and_a_changed_one_is_refused() {
    let repo = Repo::new();
    repo.write(
        "resources/quicksight/pg.json",
        &json!({"type": "quicksight_data_source", "name": "pg", "spec": {
            "DataSourceId": "pg-${env}", "Name": "Orders DB", "Type": "POSTGRESQL",
            "DataSourceParameters": {"PostgreSqlParameters": {"Host": "db.example.internal", "Port": 5432, "Database": "orders"}},
            "Credentials": {"CredentialPair": {"Username": "twh_reader", "Password": format!("${{env_var:{PW_VAR}}}")}}}}),
    );
    let with_secret = |secret: &str, args: &[&str]| {
        let o = twh_in(&repo)
            .env(PW_VAR, secret)
            .args(args)
            .output()
            .expect("run twh");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = with_secret("hunter2-first", &["diff", "--out", "plan.json"]);
    assert_eq!(code, 2, "{err}");
    let text = std::fs::read_to_string(repo.file("plan.json")).expect("plan");
    assert!(
        !text.contains("hunter2"),
        "the secret is in the plan:\n{text}"
    );
    assert!(
        text.contains("(sensitive:sha256:"),
        "its fingerprint is not:\n{text}"
    );

    let (code, err) = with_secret("hunter2-second", &["sync", "plan.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "`quicksight_data_source.pg`: the secret at `Credentials.CredentialPair.Password` is not the one planned with"
        ),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!repo.file("aws.json").exists() || world_mutations(&repo) == 0);
    assert!(!repo.file("state/dev.lock").exists());

    let (code, err) = with_secret("hunter2-first", &["sync", "plan.json"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = with_secret("hunter2-first", &["diff"]);
    assert_eq!(code, 0, "{err}");
}

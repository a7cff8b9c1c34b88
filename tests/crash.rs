//! `twh sync` killed with SIGKILL at every mutating call of a multi-resource
//! estate (and at seeded random moments), then run again as a user would:
//! force-unlock the lock the dead run left, sync, and the estate converges
//! with no duplicate resource, nothing live-but-unmanaged, and a clean diff.
//!
//! The kill points are exact: the private emulator applies the Nth mutating
//! call and holds its answer (`hang_after_mutations`), so the kill lands
//! after AWS changed and before twh heard of it, the worst moment for state.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::aws_fixtures::*;
use common::emulator::{Estate, PrivateEmulator, output_text, sdk};
use rand::{Rng as _, SeedableRng as _};
use serde_json::Value;

/// One resource of each kind twh creates with several calls or through a
/// query, wired by references.
fn estate_resources() -> Vec<Value> {
    let mut v = view();
    // The view's SQL reads the table; nothing else orders them.
    v["depends_on"] = serde_json::json!(["glue_table.orders"]);
    vec![
        role(),
        database(),
        table(),
        crawler(),
        workgroup(),
        v,
        data_source(),
        data_set(),
    ]
}

const SYNC: &[&str] = &["sync", "--auto-approve", "--parallelism", "1"];

/// Starts a sync and SIGKILLs it while the answer to its `n`th mutating
/// call is held.
async fn killed_sync(emu: &PrivateEmulator, e: &Estate, n: usize) {
    emu.faults(serde_json::json!({ "hang_after_mutations": n }))
        .await;
    let mut child = e
        .command(SYNC)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn twh sync");
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("sync ended ({status}) before mutating call {n} was reached");
        }
        if emu.calls().await.iter().any(|c| c["fault"] == "hang") {
            child.kill().expect("SIGKILL");
            let status = child.wait().expect("reap");
            assert_eq!(status.code(), None, "killed by a signal");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "kill point {n} not reached in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    emu.clear_faults().await;
}

/// The rerun a user makes after a crash: if the dead run's lock is still
/// there, the error names it and how to remove it; then sync converges.
fn recover(e: &Estate) -> usize {
    let mut unlocks = 0;
    loop {
        let o = e.twh(SYNC);
        let text = output_text(&o);
        match o.status.code() {
            Some(0) => return unlocks,
            Some(1) if text.contains("the state is locked by") && unlocks == 0 => {
                let id = text
                    .split("twh force-unlock ")
                    .nth(1)
                    .and_then(|rest| rest.split(['`', ' ', '\n']).next())
                    .unwrap_or_else(|| panic!("no lock ID to force-unlock in:\n{text}"));
                assert!(text.contains("if it died"), "{text}");
                e.run(&["force-unlock", id], 0);
                unlocks += 1;
            }
            _ => panic!("rerun after the crash failed:\n{text}"),
        }
    }
}

/// Every live resource of the estate, as `kind id` (the ids state uses).
async fn live_resources(e: &Estate) -> BTreeSet<String> {
    let cfg = sdk(&e.url).await;
    let mut out = BTreeSet::new();
    let iam = aws_sdk_iam::Client::new(&cfg);
    for r in iam.list_roles().send().await.expect("roles").roles() {
        if r.role_name().ends_with(&e.env) {
            out.insert(format!("iam_role {}", r.role_name()));
        }
    }
    let glue = aws_sdk_glue::Client::new(&cfg);
    for db in glue
        .get_databases()
        .send()
        .await
        .expect("databases")
        .database_list()
    {
        if !db.name().ends_with(&e.env) {
            continue;
        }
        out.insert(format!("glue_database {}", db.name()));
        let tables = glue
            .get_tables()
            .database_name(db.name())
            .send()
            .await
            .expect("tables");
        for t in tables.table_list() {
            let kind = if t.table_type() == Some("VIRTUAL_VIEW") {
                "athena_view"
            } else {
                "glue_table"
            };
            out.insert(format!("{kind} {}.{}", db.name(), t.name()));
        }
    }
    for name in glue
        .list_crawlers()
        .send()
        .await
        .expect("crawlers")
        .crawler_names()
    {
        if name.ends_with(&e.env) {
            out.insert(format!("glue_crawler {name}"));
        }
    }
    let athena = aws_sdk_athena::Client::new(&cfg);
    for wg in athena
        .list_work_groups()
        .send()
        .await
        .expect("workgroups")
        .work_groups()
    {
        if wg.name().is_some_and(|n| n.ends_with(&e.env)) {
            out.insert(format!(
                "athena_workgroup {}",
                wg.name().unwrap_or_default()
            ));
        }
    }
    let qs = aws_sdk_quicksight::Client::new(&cfg);
    for ds in qs
        .list_data_sources()
        .aws_account_id("123456789012")
        .send()
        .await
        .expect("data sources")
        .data_sources()
    {
        if let Some(id) = ds.data_source_id().filter(|i| i.ends_with(&e.env)) {
            out.insert(format!("quicksight_data_source {id}"));
        }
    }
    for ds in qs
        .list_data_sets()
        .aws_account_id("123456789012")
        .send()
        .await
        .expect("data sets")
        .data_set_summaries()
    {
        if let Some(id) = ds.data_set_id().filter(|i| i.ends_with(&e.env)) {
            out.insert(format!("quicksight_data_set {id}"));
        }
    }
    out
}

/// `twh state list` as `kind id`.
fn managed(e: &Estate) -> BTreeSet<String> {
    e.run(&["state", "list"], 0)
        .lines()
        .filter_map(|l| {
            let (addr, id) = l.split_once('\t')?;
            Some(format!("{} {id}", addr.split('.').next()?))
        })
        .collect()
}

/// After recovery: converged, nothing duplicated or unmanaged, diff clean.
async fn assert_converged(e: &Estate, what: &str) {
    let out = e.run(&["diff"], 0);
    assert!(out.contains("No changes"), "{what}: {out}");
    let live = live_resources(e).await;
    let managed = managed(e);
    assert_eq!(
        live, managed,
        "{what}: live resources differ from the managed ones"
    );
    assert_eq!(
        live.len(),
        estate_resources().len(),
        "{what}: expected exactly one live resource per declared one: {live:#?}"
    );
    let state = e.state().expect("state exists");
    let statuses: Vec<&Value> = state["resources"]
        .as_object()
        .expect("resources")
        .values()
        .map(|r| &r["status"])
        .collect();
    assert!(
        statuses.iter().all(|s| *s == "applied"),
        "{what}: unresolved records in state: {statuses:?}"
    );
}

/// A fresh estate on a reset emulator.
async fn fresh(emu: &PrivateEmulator, tag: &str) -> Estate {
    emu.reset().await;
    let e = Estate::new(&emu.url, tag);
    e.bucket().await;
    e.write(estate_resources());
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_killed_at_every_mutating_call_converges_on_rerun() {
    let emu = PrivateEmulator::start();
    // A clean run counts the estate's mutating calls: one kill point each.
    let e = fresh(&emu, "crashcount").await;
    emu.control(reqwest::Method::DELETE, "/_twh/calls", None)
        .await;
    e.run(SYNC, 0);
    let mutations = emu
        .calls()
        .await
        .iter()
        .filter(|c| c["mutating"] == true)
        .count();
    assert!(mutations >= 8, "only {mutations} mutating calls");
    assert_converged(&e, "clean run").await;

    let started = Instant::now();
    let mut unlocks = 0;
    for n in 1..=mutations {
        let e = fresh(&emu, "crash").await;
        killed_sync(&emu, &e, n).await;
        if let Some(s) = e.state() {
            // Valid JSON (checked by state()) and no record claims a
            // change AWS has not seen.
            assert!(s["resources"].is_object(), "{s}");
        }
        unlocks += recover(&e);
        assert_converged(&e, &format!("kill at mutating call {n}/{mutations}")).await;
    }
    assert_eq!(unlocks, mutations, "every killed run leaves its lock");
    eprintln!(
        "crash points: {mutations} (every mutating call), {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_killed_at_seeded_random_moments_converges_on_rerun() {
    let emu = PrivateEmulator::start();
    // Some latency on every call widens the window a kill can land in; the
    // kill times are drawn across one clean run's duration.
    let latency = serde_json::json!({"latency_ms": [10, 60]});
    // The first run on a new emulator is slower (moto loads its data
    // lazily): time the second.
    let mut clean_ms = 0;
    for tag in ["crashwarm", "crashtime"] {
        let e = fresh(&emu, tag).await;
        emu.faults(latency.clone()).await;
        let t0 = Instant::now();
        e.run(&["sync", "--auto-approve"], 0);
        clean_ms = u64::try_from(t0.elapsed().as_millis()).expect("ms");
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_129);
    let mut interrupted = 0;
    let points = 6;
    for i in 0..points {
        let e = fresh(&emu, "crashrnd").await;
        emu.faults(latency.clone()).await;
        // Default parallelism here: kills land among concurrent changes.
        let at = Duration::from_millis(rng.random_range(clean_ms / 10..clean_ms));
        let mut child = e
            .command(&["sync", "--auto-approve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        tokio::time::sleep(at).await;
        match child.try_wait().expect("wait") {
            None => {
                child.kill().expect("SIGKILL");
                interrupted += 1;
            }
            Some(status) => eprintln!("random kill {i} at {at:?}: the run had ended ({status})"),
        }
        child.wait().expect("reap");
        recover(&e);
        assert_converged(&e, &format!("random kill {i} at {at:?}")).await;
    }
    eprintln!("random kills: {interrupted} of {points} landed mid-run (clean run {clean_ms} ms)");
    assert!(
        interrupted >= points / 2,
        "only {interrupted} runs were interrupted"
    );
}

//! `twh sync` killed with SIGKILL at every mutating call of a multi-resource
//! estate (and at seeded random moments), then run again as a user would:
//! force-unlock the lock the dead run left, sync, and the estate converges
//! with no duplicate resource, nothing live-but-unmanaged, and a clean diff.
//!
//! The kill points are exact. The private emulator holds the Nth mutating
//! call either after applying it (`hang_after_mutations`: AWS changed, twh
//! never heard) or before (`hang_before_mutation`: twh decided, AWS never
//! heard), and the test kills twh while it waits for that answer.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::aws_fixtures::*;
use common::emulator::{Estate, PrivateEmulator, output_text};
use rand::{Rng as _, SeedableRng as _};

const SYNC: &[&str] = &["sync", "--auto-approve", "--parallelism", "1"];

/// Where the held call stands when twh is killed.
#[derive(Debug, Clone, Copy)]
enum Held {
    /// Applied in AWS, answer held.
    Applied,
    /// Held before AWS applied it.
    Unapplied,
}

/// Starts a sync and SIGKILLs it while its `n`th mutating call is held.
async fn killed_sync(emu: &PrivateEmulator, e: &Estate, n: usize, held: Held) {
    let (switch, logged) = match held {
        Held::Applied => ("hang_after_mutations", "hang"),
        Held::Unapplied => ("hang_before_mutation", "hang-before"),
    };
    emu.faults(serde_json::json!({ switch: n })).await;
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
        if emu.calls().await.iter().any(|c| c["fault"] == logged) {
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
                assert!(
                    text.contains("died"),
                    "the error says the holder died: {text}"
                );
                e.run(&["force-unlock", id], 0);
                unlocks += 1;
            }
            _ => panic!("rerun after the crash failed:\n{text}"),
        }
    }
}

/// A fresh estate on a reset emulator.
async fn fresh(emu: &PrivateEmulator, tag: &str) -> Estate {
    emu.reset().await;
    let e = Estate::new(&emu.url, tag);
    e.bucket().await;
    e.write(full_estate());
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
    e.assert_converged(full_estate().len(), "clean run").await;

    let started = Instant::now();
    let mut unlocks = 0;
    let mut points = 0;
    for held in [Held::Applied, Held::Unapplied] {
        for n in 1..=mutations {
            let what = format!("kill at mutating call {n}/{mutations} ({held:?})");
            let e = fresh(&emu, "crash").await;
            killed_sync(&emu, &e, n, held).await;
            points += 1;
            e.assert_state_claims_only_live(&what).await;
            e.assert_no_live_unmanaged(&what).await;
            unlocks += recover(&e);
            e.assert_converged(full_estate().len(), &what).await;
        }
    }
    assert_eq!(unlocks, points, "every killed run leaves its lock");
    eprintln!(
        "crash points: {points} (every mutating call, applied and unapplied), {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// Deletes too: with the crawler and the data set removed from the files,
/// a sync killed at each delete (held applied or unapplied) converges on
/// rerun, and nothing removed is left live or in state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_killed_at_every_delete_converges_on_rerun() {
    let emu = PrivateEmulator::start();
    let kept = || -> Vec<serde_json::Value> {
        full_estate()
            .into_iter()
            .filter(|r| {
                !matches!(
                    r["type"].as_str(),
                    Some("glue_crawler" | "quicksight_data_set")
                )
            })
            .collect()
    };
    let mut points = 0;
    for held in [Held::Applied, Held::Unapplied] {
        for n in 1..=2 {
            let what = format!("kill at delete {n}/2 ({held:?})");
            let e = fresh(&emu, "crashdel").await;
            e.run(SYNC, 0);
            e.write(kept());
            killed_sync(&emu, &e, n, held).await;
            points += 1;
            // A delete AWS made but twh did not record leaves a record of
            // something gone (the rerun forgets it); never the reverse.
            e.assert_no_live_unmanaged(&what).await;
            assert_eq!(recover(&e), 1, "{what}: the lock was left");
            e.assert_converged(kept().len(), &what).await;
        }
    }
    eprintln!("delete crash points: {points}");
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
        e.assert_converged(full_estate().len(), &format!("random kill {i} at {at:?}"))
            .await;
    }
    eprintln!("random kills: {interrupted} of {points} landed mid-run (clean run {clean_ms} ms)");
    assert!(
        interrupted >= points / 2,
        "only {interrupted} runs were interrupted"
    );
}

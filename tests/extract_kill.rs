//! The real `twh-extract` binary, killed halfway (SIGKILL at seeded moments,
//! and once with Ctrl-C), then run again: every record ends up in the lake
//! exactly once, also when the kill lands in the middle of a split (dense)
//! Stripe window.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};
use tokio::process::Command;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh_fakes::{self as fake, FakeConfig, FakeServer, Faults, lake};

fn extract(f: &FakeServer, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_twh-extract"));
    c.args(["run", "--source", "all", "--sink"])
        .arg(dir)
        .args(["--ticketsauce-api-base", &f.ticketsauce_base()])
        .args(["--stripe-api-base", &f.stripe_base()])
        .args([
            "--ticketsauce-rps",
            "500",
            "--stripe-rps",
            "500",
            "--retry-base-ms",
            "10",
        ])
        // Small buffers: many flushes and checkpoints, so a kill lands
        // between them as well as in the middle of one.
        .args([
            "--buffer-mb",
            "1",
            "--window-days",
            "10",
            "--no-progress",
            "-q",
        ])
        .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
        .env(TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET)
        .env(STRIPE_API_KEY, fake::STRIPE_KEY)
        .env_remove("TWH_EXTRACT_CREDENTIALS")
        .env_remove("TICKETSAUCE_API_BASE")
        .env_remove("STRIPE_API_BASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

fn data_files(dir: &Path) -> usize {
    ["stripe", "ticketsauce"]
        .iter()
        .flat_map(|s| {
            walkdir::WalkDir::new(dir.join(s))
                .into_iter()
                .filter_map(Result::ok)
        })
        .filter(|e| e.path().to_string_lossy().ends_with(".json.gz"))
        .count()
}

enum Stop {
    Kill,
    CtrlC,
}

/// Starts a run, stops it `delay` after its first partition file landed,
/// and says whether it was still running then.
async fn interrupted_run(f: &FakeServer, dir: &Path, delay: Duration, how: Stop) -> bool {
    let mut child = extract(f, dir).spawn().expect("spawn twh-extract");
    let t0 = Instant::now();
    while data_files(dir) == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "nothing landed in 30 s"
        );
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(delay).await;
    if child.try_wait().expect("wait").is_some() {
        return false;
    }
    match how {
        Stop::Kill => child.start_kill().expect("SIGKILL"),
        Stop::CtrlC => {
            let pid = child.id().expect("pid").to_string();
            let ok = std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .expect("kill -INT");
            assert!(ok.success());
        }
    }
    let out = child.wait_with_output().await.expect("wait");
    match how {
        Stop::Kill => assert_eq!(out.status.code(), None, "killed by a signal"),
        Stop::CtrlC => {
            // It may have finished in the same instant; otherwise 130.
            let code = out.status.code();
            assert!(code == Some(130) || code == Some(0), "{code:?}");
            if code == Some(130) {
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    err.contains("run the same command again to resume"),
                    "{err}"
                );
            }
        }
    }
    true
}

async fn complete_run(f: &FakeServer, dir: &Path) {
    let out = extract(f, dir).output().await.expect("run twh-extract");
    assert!(
        out.status.success(),
        "rerun failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON summary on stdout");
    assert_eq!(summary["status"], "ok");
}

fn config() -> FakeConfig {
    FakeConfig {
        seed: 11,
        events: 5,
        orders_per_event: 50,
        // Within two days: the Stripe windows are dense and split, so the
        // kills also land in the middle of a split window.
        charges: 4000,
        stripe_span: Some(2 * 86_400),
        latency: Duration::from_millis(15),
        faults: Faults {
            malformed_every: 97,
            ..Faults::default()
        },
        ..FakeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_rerun_to_every_record_exactly_once() {
    let f = FakeServer::start(config(), 0).await.expect("fake");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_240_131);
    let mut interrupted = 0;
    for (i, how) in [Stop::Kill, Stop::Kill, Stop::CtrlC]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let delay = Duration::from_millis(rng.random_range(50..900));
        if interrupted_run(&f, dir.path(), delay, how).await {
            interrupted += 1;
            let partial = lake::verify(dir.path(), f.stripe(), f.ticketsauce());
            assert!(
                partial.is_err(),
                "kill point {i} ({delay:?}) came after the run had finished"
            );
        }
        // A second kill on the resumed run, then the rerun that completes.
        let again = Duration::from_millis(rng.random_range(50..400));
        interrupted_run(&f, dir.path(), again, Stop::Kill).await;
        complete_run(&f, dir.path()).await;
        let v = lake::verify(dir.path(), f.stripe(), f.ticketsauce())
            .unwrap_or_else(|e| panic!("kill point {i} after {delay:?}: {e}"));
        assert!(v.tables["stripe/charges"] > 3900, "{v:?}");
        // No staging leftovers reach the lake's tables, and the lock is gone.
        assert!(!dir.path().join("_state/lock.json").exists());
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} runs were interrupted mid-way"
    );
    f.stop().await;
}

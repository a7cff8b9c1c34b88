//! The `twh-extract` binary as a user meets it: help, status, missing
//! credentials, and secrets that never show.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh_fakes::{self as fake, FakeConfig, FakeServer};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_twh-extract"));
    for v in [
        STRIPE_API_KEY,
        TICKETSAUCE_CLIENT_ID,
        TICKETSAUCE_CLIENT_SECRET,
        "TWH_EXTRACT_CREDENTIALS",
        "TWH_EXTRACT_SINK",
        "TICKETSAUCE_API_BASE",
        "STRIPE_API_BASE",
        "TWH_LOG",
    ] {
        c.env_remove(v);
    }
    c.stdin(Stdio::null()).kill_on_drop(true);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn against(c: &mut Command, f: &FakeServer, sink: &Path) {
    c.args(["run", "--sink"])
        .arg(sink)
        .args(["--ticketsauce-api-base", &f.ticketsauce_base()])
        .args(["--stripe-api-base", &f.stripe_base()])
        .args([
            "--ticketsauce-rps",
            "1000",
            "--stripe-rps",
            "1000",
            "--no-progress",
        ]);
}

#[tokio::test]
async fn help_shows_examples_and_hides_the_fakes() {
    let out = bin().arg("--help").output().await.expect("run");
    assert!(out.status.success());
    let help = text(&out.stdout);
    for want in [
        "Examples:",
        "twh-extract run --source all --sink s3://",
        "status",
        "STRIPE_API_KEY",
        "Exit status",
    ] {
        assert!(help.contains(want), "missing {want:?} in:\n{help}");
    }
    assert!(!help.contains("fake-sources"), "{help}");
    let out = bin().args(["run", "--help"]).output().await.expect("run");
    let help = text(&out.stdout);
    for want in [
        "--since",
        "--streams",
        "--ticketsauce-api-base",
        "TICKETSAUCE_API_BASE",
        "--stripe-api-base",
        "STRIPE_API_BASE",
        "--credentials",
    ] {
        assert!(help.contains(want), "missing {want:?} in:\n{help}");
    }
    let out = bin()
        .args(["run", "--sink", "x", "--source", "shopify"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_cursors_last_run_and_counts() {
    let f = FakeServer::start(FakeConfig::default(), 0)
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = bin();
    against(&mut c, &f, dir.path());
    let out = c
        .env(STRIPE_API_KEY, fake::STRIPE_KEY)
        .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
        .env(TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET)
        .output()
        .await
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bin()
        .args(["status", "--sink"])
        .arg(dir.path())
        .output()
        .await
        .expect("status");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for want in [
        "stripe.charges",
        "created < ",
        "events ≥ ",
        "ticketsauce.orders",
        "modified ≥ ",
        " ok ",
    ] {
        assert!(table.contains(want), "missing {want:?} in:\n{table}");
    }
    let out = bin()
        .args(["status", "--json", "--sink"])
        .arg(dir.path())
        .output()
        .await
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let charges = v["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stream"] == "stripe.charges"))
        .expect("charges");
    assert_eq!(
        charges["last_run"]["records"].as_u64(),
        Some(f.stripe().expected(fake::stripe::Kind::Charge).len() as u64)
    );
    assert!(
        charges["partition_files"]["charges"]
            .as_u64()
            .is_some_and(|n| n > 100)
    );
    assert!(charges["cursor"]["backfilled_until"].is_i64());
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_fail_their_source_with_the_variable_named() {
    let f = FakeServer::start(FakeConfig::default(), 0)
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = bin();
    against(&mut c, &f, dir.path());
    let out = c
        .args(["--source", "stripe", "--streams", "charges"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("missing credential `STRIPE_API_KEY`"), "{err}");
    assert!(err.contains("--credentials"), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary");
    assert_eq!(summary["status"], "failed");
    let out = bin()
        .args(["run", "--sink", "ftp://host/x"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("invalid sink `ftp://host/x`"));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_never_logged_or_written() {
    let f = FakeServer::start(
        FakeConfig {
            faults: fake::Faults {
                token_ttl: Some(Duration::from_millis(50)),
                error_every: 5,
                ..fake::Faults::default()
            },
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = dir.path().join("creds.env");
    std::fs::write(
        &creds,
        format!(
            "{TICKETSAUCE_CLIENT_ID}={}\n{TICKETSAUCE_CLIENT_SECRET}={}\n{STRIPE_API_KEY}={}\n",
            fake::CLIENT_ID,
            fake::CLIENT_SECRET,
            fake::STRIPE_KEY
        ),
    )
    .expect("write");
    let lake = dir.path().join("lake");
    let mut c = bin();
    against(&mut c, &f, &lake);
    let out = c
        .arg("--credentials")
        .arg(&creds)
        .args(["--retry-base-ms", "5"])
        .env("TWH_LOG", "debug")
        .output()
        .await
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut everything = text(&out.stdout) + &text(&out.stderr);
    for e in walkdir::WalkDir::new(&lake)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() {
            let bytes = std::fs::read(e.path()).expect("read");
            if e.path().to_string_lossy().ends_with(".gz") {
                use std::io::Read as _;
                let mut s = String::new();
                flate2::read::MultiGzDecoder::new(&bytes[..])
                    .read_to_string(&mut s)
                    .expect("gunzip");
                everything.push_str(&s);
            } else {
                everything.push_str(&text(&bytes));
            }
        }
    }
    assert!(everything.contains("stripe.charges"), "the output was read");
    for secret in [fake::STRIPE_KEY, fake::CLIENT_SECRET, "tok-"] {
        assert!(!everything.contains(secret), "`{secret}` leaked");
    }
    f.stop().await;
}

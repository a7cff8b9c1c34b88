//! Secrets end to end: a QuickSight data source password from
//! `${env_var:...}` and twh-extract's API keys from their variables never
//! appear in state, plans (text, JSON, Markdown), output at any verbosity,
//! error messages, or any file the runs write; state files are 0600.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::emulator::{Estate, PrivateEmulator, output_text};
use serde_json::json;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh_fakes::{self as fake, FakeConfig, FakeServer};

const PW_VAR: &str = "TWH_TEST_PG_PASSWORD";

/// Every file under `dir` as text (gzip members decompressed).
fn all_files_text(dir: &Path) -> String {
    let mut all = String::new();
    for e in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !e.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(e.path()).expect("read");
        if e.path().to_string_lossy().ends_with(".gz") {
            use std::io::Read as _;
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .expect("gunzip");
            all.push_str(&s);
        } else {
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    all
}

fn assert_absent(secrets: &[&str], text: &str, what: &str) {
    for s in secrets {
        assert!(
            !text.contains(s),
            "secret `{s}` leaked into {what}:\n{text}"
        );
    }
}

fn data_source() -> serde_json::Value {
    json!({"type": "quicksight_data_source", "name": "pg", "spec": {
        "DataSourceId": "pg-${env}", "Name": "Orders DB", "Type": "POSTGRESQL",
        "DataSourceParameters": {"PostgreSqlParameters": {"Host": "db.example.internal", "Port": 5432, "Database": "orders"}},
        "Credentials": {"CredentialPair": {"Username": "twh_reader", "Password": format!("${{env_var:{PW_VAR}}}")}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_source_password_never_leaves_the_api_call() {
    let first = "pw-first-7f3a91c2-never-shown";
    let second = "pw-second-55e0b4d8-never-shown";
    let third = "pw-third-0c9d2e11-never-shown";
    let secrets = [first, second, third];
    let emu = PrivateEmulator::start();
    let mut e = Estate::new(&emu.url, "secret");
    e.write(vec![data_source()]);
    let set_pw = |e: &mut Estate, pw: &str| {
        e.vars.retain(|(k, _)| k != PW_VAR);
        e.vars.push((PW_VAR.into(), pw.into()));
    };
    // A panic would print its message and backtrace: they are scanned too.
    e.vars.push(("RUST_BACKTRACE".into(), "1".into()));
    set_pw(&mut e, first);
    let record = |what: &str, args: &[&str], e: &Estate| {
        let o = e.twh(args);
        let text = output_text(&o);
        assert_absent(&secrets, &text, what);
        (o.status.code(), text)
    };
    let mut seen = String::new();
    for (what, args) in [
        ("plan", &["diff"][..]),
        ("plan -v", &["diff", "-v"]),
        ("plan -vv", &["diff", "-vv"]),
        ("plan JSON", &["diff", "--output", "json"]),
        ("plan Markdown", &["diff", "--output", "markdown"]),
        ("sync -vvv", &["sync", "--auto-approve", "-vvv"]),
        ("plan after sync -vvv", &["diff", "-vvv"]),
        ("state list", &["state", "list"]),
        (
            "state show",
            &["state", "show", "quicksight_data_source.pg"],
        ),
    ] {
        seen.push_str(&record(what, args, &e).1);
    }
    assert!(seen.contains("(sensitive)"), "the password is shown masked");
    assert_eq!(record("plan after sync", &["diff"], &e).0, Some(0));

    // A rotated password is a change, shown without either value...
    set_pw(&mut e, second);
    let out = e.run(&["diff"], 2);
    assert!(out.contains("(sensitive, changed)"), "{out}");
    record("rotated sync -vvv", &["sync", "--auto-approve", "-vvv"], &e);
    // ...and the SDK's own debug log (TWH_LOG) keeps it out too.
    set_pw(&mut e, third);
    e.vars.push(("TWH_LOG".into(), "debug".into()));
    emu.faults(json!({"error_rate": 1.0, "operations": ["UpdateDataSource"]}))
        .await;
    // Error path: the update fails for good; the error names the resource.
    let (code, text) = record(
        "failing sync, debug log",
        &["sync", "--auto-approve", "-vvv"],
        &e,
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("error: quicksight_data_source.pg") && text.contains("UpdateDataSource"),
        "the failure names the resource and call:\n{text}"
    );
    emu.clear_faults().await;
    e.vars.retain(|(k, _)| k != "TWH_LOG");
    assert_eq!(
        record("final sync", &["sync", "--auto-approve"], &e).0,
        Some(0)
    );

    // Nothing written under the repository (state, lock, temp files) holds
    // any of the values, and the state is private to its owner.
    assert_absent(
        &secrets,
        &all_files_text(e.repo.path()),
        "files under the repository",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(e.state_path())
            .expect("state")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "state file mode {mode:o}");
    }
    // The last rotation was applied and recorded, as a fingerprint only.
    let state = e.state().expect("state");
    let ds = &state["resources"]["quicksight_data_source.pg"];
    assert_eq!(ds["status"], "applied");
    let pw = ds["applied"]["Credentials"]["CredentialPair"]["Password"]
        .as_str()
        .unwrap_or_default();
    assert!(pw.starts_with("(sensitive:sha256:"), "{pw}");
}

fn extract(f: &FakeServer, sink: &Path, verbosity: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_twh-extract"));
    for v in ["TWH_EXTRACT_CREDENTIALS", "TWH_EXTRACT_SINK", "TWH_LOG"] {
        c.env_remove(v);
    }
    c.args(["run", "--sink"])
        .arg(sink)
        .args(["--ticketsauce-api-base", &f.ticketsauce_base()])
        .args(["--stripe-api-base", &f.stripe_base()])
        .args(["--ticketsauce-rps", "1000", "--stripe-rps", "1000"])
        .args(["--retry-base-ms", "5", "--no-progress", verbosity])
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_api_keys_never_show_at_any_verbosity_or_on_errors() {
    let f = FakeServer::start(FakeConfig::default(), 0)
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut everything = String::new();
    for v in ["-v", "-vv", "-vvv"] {
        let sink = dir.path().join(format!("lake{v}"));
        let out = extract(&f, &sink, v)
            .env(STRIPE_API_KEY, fake::STRIPE_KEY)
            .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
            .env(TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET)
            .output()
            .await
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        everything.push_str(&String::from_utf8_lossy(&out.stdout));
        everything.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // Error path: keys the APIs refuse; the failure must not echo them.
    let wrong_key = "sk_live_WRONG_9f8e7d6c5b4a";
    let wrong_secret = "wrong-secret-6a5b4c3d2e1f";
    let out = extract(&f, &dir.path().join("lake-denied"), "-vvv")
        .env(STRIPE_API_KEY, wrong_key)
        .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
        .env(TICKETSAUCE_CLIENT_SECRET, wrong_secret)
        .output()
        .await
        .expect("run");
    let denied = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "wrong keys were accepted:\n{denied}");
    everything.push_str(&denied);
    everything.push_str(&all_files_text(dir.path()));
    assert!(everything.contains("stripe.charges") || everything.contains("stripe/charges"));
    assert_absent(
        &[
            fake::STRIPE_KEY,
            fake::CLIENT_SECRET,
            wrong_key,
            wrong_secret,
        ],
        &everything,
        "twh-extract output or files",
    );
    f.stop().await;
}

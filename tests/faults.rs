//! `twh` under injected AWS faults (a private emulator each): throttling,
//! 5xx answers and timeouts (the request applied, its answer lost) at 10%,
//! 30% and 50% of calls, and latency up to 2 s. Sync converges, in one run
//! or a few reruns at 50%; a run that gives up names the resource; after
//! every run the state is valid JSON and records no change that did not
//! happen.

mod common;

use std::time::Instant;

use common::aws_fixtures::full_estate;
use common::emulator::{Estate, PrivateEmulator, output_text};
use serde_json::{Value, json};

/// Attempt timeout for these runs: an injected hang (2 s) outlives it, so
/// it becomes a timeout twh retries.
const ATTEMPT_TIMEOUT_MS: u64 = 800;
const HANG_MS: u64 = 2000;

struct Outcome {
    runs: usize,
    secs: f64,
    faults: usize,
    calls: usize,
}

/// Checks a run left an honest state, seen without faults: valid JSON,
/// nothing recorded as applied that does not exist, and no record live AWS
/// contradicts (a change recorded but not made would show as drift).
async fn assert_state_honest(emu: &PrivateEmulator, e: &Estate, what: &str) {
    emu.clear_faults().await;
    e.assert_state_claims_only_live(what).await;
    let o = e.twh(&["diff", "--output", "json"]);
    let plan: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|err| panic!("{what}: diff JSON: {err}\n{}", output_text(&o)));
    for c in plan["changes"].as_array().expect("changes") {
        assert_ne!(
            c["drifted"], true,
            "{what}: `{}` differs from what state says was applied",
            c["address"]
        );
    }
}

/// Every `error:` line of a failed sync names the resource (or the kind
/// being read) it is about, and says what failed.
fn assert_errors_name_resources(text: &str, what: &str) {
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error")).collect();
    assert!(
        !errors.is_empty(),
        "{what}: failed without an error line:\n{text}"
    );
    for line in errors {
        let names_one = full_estate().iter().any(|r| {
            line.contains(&format!(
                "{}.{}",
                r["type"].as_str().unwrap_or_default(),
                r["name"].as_str().unwrap_or_default()
            )) || line.contains(&format!(
                "reading {}",
                r["type"].as_str().unwrap_or_default()
            ))
        }) || line.contains("cannot find who the AWS credentials belong to");
        assert!(names_one, "{what}: error names no resource: {line}\n{text}");
    }
}

/// Syncs the full estate under `faults` until it succeeds (at most
/// `max_runs` runs), checking the state after each run, then checks the
/// estate converged.
async fn converge_under(
    tag: &str,
    faults: Value,
    attempt_timeout_ms: u64,
    max_runs: usize,
) -> Outcome {
    let emu = PrivateEmulator::start();
    let mut e = Estate::new(&emu.url, tag);
    e.vars.push((
        "TWH_ATTEMPT_TIMEOUT_MS".into(),
        attempt_timeout_ms.to_string(),
    ));
    e.bucket().await;
    e.write(full_estate());
    let started = Instant::now();
    let mut injected = 0;
    let mut calls = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        let mut spec = faults.clone();
        // A new, reproducible sequence for each run.
        spec["seed"] = json!(runs);
        emu.faults(spec).await;
        let o = e.twh(&["sync", "--auto-approve"]);
        let log = emu.calls().await;
        injected += log.iter().filter(|c| !c["fault"].is_null()).count();
        calls += log.len();
        emu.control(reqwest::Method::DELETE, "/_twh/calls", None)
            .await;
        let what = format!("{tag} run {runs}");
        let text = output_text(&o);
        match o.status.code() {
            Some(0) => {
                assert_state_honest(&emu, &e, &what).await;
                break;
            }
            Some(1) => {
                assert_errors_name_resources(&text, &what);
                for l in text.lines().filter(|l| l.starts_with("error")) {
                    eprintln!("{what} stopped: {l}");
                }
                assert_state_honest(&emu, &e, &what).await;
                assert!(runs < max_runs, "{what}: still failing:\n{text}");
            }
            other => panic!("{what}: exit {other:?}:\n{text}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    emu.clear_faults().await;
    e.assert_converged(full_estate().len(), tag).await;
    eprintln!(
        "{tag}: converged in {runs} run(s), {secs:.1}s, {injected} faults injected in {calls} calls"
    );
    Outcome {
        runs,
        secs,
        faults: injected,
        calls,
    }
}

/// Throttling, 5xx and timeouts in equal shares, `rate` in all.
fn mixed(rate: f64) -> Value {
    json!({"throttle_rate": rate / 3.0, "error_rate": rate / 3.0, "timeout_rate": rate / 3.0,
           "hang_ms": HANG_MS})
}

/// Issue 4: with 30% of calls throttled, one sync converges and the diff
/// (itself throttled) is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_throttled_one_sync_converges() {
    let emu = PrivateEmulator::start();
    let e = Estate::new(&emu.url, "throttle");
    e.bucket().await;
    e.write(full_estate());
    emu.faults(json!({"throttle_rate": 0.3, "seed": 4})).await;
    let out = e.run(&["sync", "--auto-approve"], 0);
    assert!(out.contains("Sync complete"), "{out}");
    e.clean();
    let throttled = emu
        .calls()
        .await
        .iter()
        .filter(|c| c["fault"] == "throttle")
        .count();
    assert!(throttled >= 5, "only {throttled} calls were throttled");
    emu.clear_faults().await;
    e.assert_converged(full_estate().len(), "30% throttled")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_faults_converge_in_one_run() {
    let o = converge_under("faults10", mixed(0.1), ATTEMPT_TIMEOUT_MS, 1).await;
    assert_eq!(o.runs, 1);
    assert!(o.faults > 0, "no fault was injected in {} calls", o.calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_faults_converge() {
    let o = converge_under("faults30", mixed(0.3), ATTEMPT_TIMEOUT_MS, 2).await;
    assert!(
        o.faults >= 5,
        "only {} faults in {} calls",
        o.faults,
        o.calls
    );
}

/// Half the calls fail: a run may give up on a resource (naming it), and
/// reruns finish the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_percent_faults_converge_within_four_runs() {
    let o = converge_under("faults50", mixed(0.5), ATTEMPT_TIMEOUT_MS, 4).await;
    assert!(
        o.faults >= 20,
        "only {} faults in {} calls",
        o.faults,
        o.calls
    );
    assert!(o.secs < 120.0, "took {:.0}s", o.secs);
}

/// Latency up to 2 s per call, beyond the attempt timeout (1.5 s) for a
/// quarter of them: those time out and are retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_up_to_two_seconds_converges() {
    let o = converge_under("latency", json!({"latency_ms": [0, 2000]}), 1500, 2).await;
    assert!(o.calls > 0);
}

/// The worst timeout: AWS made the resource, the answer was lost. The
/// retried create meets "already exists" (Athena: "is already created"),
/// and twh adopts what its own first attempt made, in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_whose_answer_was_lost_are_adopted_in_the_same_run() {
    let emu = PrivateEmulator::start();
    let mut e = Estate::new(&emu.url, "lost");
    e.vars.push((
        "TWH_ATTEMPT_TIMEOUT_MS".into(),
        ATTEMPT_TIMEOUT_MS.to_string(),
    ));
    e.bucket().await;
    e.write(full_estate());
    let creates = [
        "CreateRole",
        "CreateDatabase",
        "CreateTable",
        "CreateCrawler",
        "CreateWorkGroup",
        "StartQueryExecution",
        "CreateDataSource",
        "CreateDataSet",
    ];
    // Each create's first answer is lost (later calls go through).
    for op in creates {
        emu.faults(
            json!({"timeout_rate": 1.0, "hang_ms": HANG_MS, "operations": [op], "max_faults": 1}),
        )
        .await;
        e.run(&["sync", "--auto-approve", "--target", &target_of(op)], 0);
        let lost: Vec<Value> = emu
            .calls()
            .await
            .into_iter()
            .filter(|c| c["operation"] == op)
            .collect();
        assert!(
            lost.first().is_some_and(|c| c["fault"] == "timeout"),
            "{op}: its first answer was not lost: {lost:?}"
        );
    }
    emu.clear_faults().await;
    e.assert_converged(full_estate().len(), "lost create answers")
        .await;
}

/// The address whose creation makes the first `op` call of the estate.
fn target_of(op: &str) -> String {
    match op {
        "CreateRole" => "iam_role.crawler",
        "CreateDatabase" => "glue_database.wh",
        "CreateTable" => "glue_table.orders",
        "CreateCrawler" => "glue_crawler.orders",
        "CreateWorkGroup" => "athena_workgroup.wg",
        "StartQueryExecution" => "athena_view.orders_v",
        "CreateDataSource" => "quicksight_data_source.athena",
        _ => "quicksight_data_set.orders",
    }
    .to_string()
}

/// twh-extract into the emulator's S3 with 30% of S3 calls failing
/// (SlowDown and 5xx): runs that give up are rerun, and in the end every
/// record is in the lake exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_to_s3_with_thirty_percent_errors_lands_every_record_once() {
    use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
    use twh_fakes::{self as fake, FakeConfig, FakeServer, lake};

    let emu = PrivateEmulator::start();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&common::emulator::sdk(&emu.url).await)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("lake")
        .send()
        .await
        .expect("bucket");
    let f = FakeServer::start(
        FakeConfig {
            charges: 300,
            events: 3,
            orders_per_event: 20,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .expect("fake");
    let started = Instant::now();
    let (mut runs, mut failed) = (0, 0);
    loop {
        runs += 1;
        emu.faults(
            json!({"throttle_rate": 0.15, "error_rate": 0.15, "services": ["s3"], "seed": runs}),
        )
        .await;
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_twh-extract"))
            .args(["run", "--sink", "s3://lake/raw", "--no-progress", "-q"])
            .args(["--ticketsauce-api-base", &f.ticketsauce_base()])
            .args(["--stripe-api-base", &f.stripe_base()])
            .args(["--ticketsauce-rps", "1000", "--stripe-rps", "1000"])
            .args(["--retry-base-ms", "10", "--buffer-mb", "1"])
            .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
            .env(TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET)
            .env(STRIPE_API_KEY, fake::STRIPE_KEY)
            .env("AWS_ENDPOINT_URL", &emu.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env_remove("TWH_EXTRACT_CREDENTIALS")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("run twh-extract");
        if out.status.success() {
            break;
        }
        failed += 1;
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "extract run {runs} stopped: {}",
            err.lines().last().unwrap_or("")
        );
        assert!(runs < 3, "extract still failing after {runs} runs:\n{err}");
    }
    emu.clear_faults().await;
    let dir = tempfile::tempdir().expect("tempdir");
    common::emulator::s3_download(&s3, "lake", "raw", dir.path()).await;
    let v = lake::verify(dir.path(), f.stripe(), f.ticketsauce())
        .unwrap_or_else(|e| panic!("after {runs} runs: {e}"));
    let injected = emu
        .calls()
        .await
        .iter()
        .filter(|c| !c["fault"].is_null())
        .count();
    eprintln!(
        "extract under 30% S3 errors: {runs} run(s) ({failed} stopped), {:.1}s, {} faults in the last run, {:?}",
        started.elapsed().as_secs_f64(),
        injected,
        v.tables.get("stripe/charges")
    );
    f.stop().await;
}

/// IAM eventual consistency (issue 11): for seconds after CreateRole, Glue
/// and QuickSight refuse a new role ("Service is unable to assume provided
/// role", "Failed to assume your role"). The emulator's propagation fault
/// refuses every role for 3 s after its creation; a first sync creating the
/// roles and the crawler, job and data source that use them still succeeds,
/// saying that it waits, and the next sync has nothing to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_and_what_uses_it_sync_together_while_iam_propagates() {
    use common::aws_fixtures::{crawler, data_source, database, job, role, workgroup};
    let emu = PrivateEmulator::start();
    let e = Estate::new(&emu.url, "iamprop");
    e.bucket().await;
    let mut qs_role = role();
    qs_role["name"] = json!("qs");
    qs_role["spec"]["RoleName"] = json!("twh-qs-${env}");
    qs_role["spec"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] =
        json!({"Service": "quicksight.amazonaws.com"});
    let mut source = data_source();
    source["spec"]["DataSourceParameters"]["AthenaParameters"]["RoleArn"] =
        json!("${ref:iam_role.qs.arn}");
    e.write(vec![
        role(),
        qs_role,
        database(),
        crawler(),
        job(),
        workgroup(),
        source,
    ]);
    emu.faults(json!({"iam_propagation_seconds": 3})).await;
    let out = e.sync();
    for waited in [
        "glue_crawler `orders-",
        "glue_job `etl-",
        "quicksight_data_source `athena-",
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains(waited) && l.contains("for IAM to propagate role `")),
            "no wait for IAM said for {waited}:\n{out}"
        );
    }
    let refused = emu
        .calls()
        .await
        .iter()
        .filter(|c| c["status"].as_u64().is_some_and(|s| s >= 400))
        .filter_map(|c| c["operation"].as_str().map(String::from))
        .collect::<Vec<_>>();
    for op in ["CreateCrawler", "CreateJob", "CreateDataSource"] {
        assert!(
            refused.iter().any(|r| r == op),
            "the fault never refused {op}, so this test proves nothing: {refused:?}"
        );
    }
    e.clean();
    e.quiet_sync();
}

/// A role Glue never accepts (here: refused for an hour, twh bounded to
/// 2 s) fails the crawler's create after the bound, naming the resource, the
/// role, Glue's answer and what to check; the role is made and recorded,
/// the crawler is not.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_never_propagates_fails_clearly_after_the_bound() {
    use common::aws_fixtures::{crawler, database, role};
    let emu = PrivateEmulator::start();
    let mut e = Estate::new(&emu.url, "iamnever");
    e.vars
        .push(("TWH_IAM_PROPAGATION_TIMEOUT".into(), "2".into()));
    e.bucket().await;
    e.write(vec![role(), database(), crawler()]);
    emu.faults(json!({"iam_propagation_seconds": 3600})).await;
    let out = e.run(&["sync", "--auto-approve"], 1);
    let error = out
        .lines()
        .find(|l| l.starts_with("error: glue_crawler.orders:"))
        .unwrap_or_else(|| panic!("no error for the crawler:\n{out}"));
    for part in [
        "glue `CreateCrawler` still refuses role `arn:aws:iam::123456789012:role/twh-crawler-",
        "after waiting 2s for IAM to propagate it",
        "Service is unable to assume provided role",
        "hint: check that the role exists, that its trust policy lets `glue.amazonaws.com` assume it",
        "TWH_IAM_PROPAGATION_TIMEOUT",
    ] {
        assert!(error.contains(part), "missing `{part}` in: {error}");
    }
    emu.clear_faults().await;
    let managed = e.managed();
    assert!(
        managed.iter().any(|m| m.starts_with("iam_role ")),
        "{managed:?}"
    );
    e.assert_state_claims_only_live("after the refused crawler")
        .await;
    // Once Glue accepts the role, the next sync finishes the job.
    e.sync();
    e.clean();
}

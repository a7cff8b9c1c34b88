//! twh-extract end to end, in process, against the fake Ticketsauce and
//! Stripe servers on loopback: what lands, what a rerun does, updates,
//! faults, failures.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use twh::extract::credentials::Credentials;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh::extract::progress::Silent;
use twh::extract::summary::{RunSummary, StreamStatus};
use twh::extract::{self as ex, RunSettings, partition};
use twh_fakes::stripe::Kind;
use twh_fakes::{self as fake, FakeConfig, FakeServer, Faults, lake};

fn settings(f: &FakeServer) -> RunSettings {
    let mut s = RunSettings::default();
    s.stripe.base = f.stripe_base();
    s.ticketsauce.base = f.ticketsauce_base();
    // The fakes are local: pace generously so tests stay fast.
    s.stripe.rps = Some(5000.0);
    s.stripe.endpoint_rps = Some(5000.0);
    s.ticketsauce.rps = 5000.0;
    s.http.timeout = Duration::from_secs(5);
    s.http.retry.base = Duration::from_millis(5);
    s.http.retry.max = Duration::from_millis(100);
    s.credentials = Credentials::from_pairs(&[
        (TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID),
        (TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET),
        (STRIPE_API_KEY, fake::STRIPE_KEY),
    ]);
    s
}

async fn run(s: &RunSettings, dir: &Path) -> RunSummary {
    let sink = ex::sink::open(dir.to_str().expect("utf-8 path"))
        .await
        .expect("open sink");
    ex::run(s, sink, Arc::new(Silent)).await.expect("run")
}

fn assert_all_ok(s: &RunSummary) {
    for (name, st) in &s.streams {
        assert_eq!(st.status, StreamStatus::Ok, "{name}: {:?}", st.error);
    }
}

fn keyed(records: Vec<Value>) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|r| (r["id"].as_str().expect("id").to_owned(), r))
        .collect()
}

/// Every table holds exactly the fake's valid records, once each, in the
/// partition of their creation date (UTC); malformed ones are quarantined.
fn assert_lake_matches(dir: &Path, f: &FakeServer) {
    let v = lake::verify(dir, f.stripe(), f.ticketsauce()).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.tables.values().all(|n| *n > 0), "{v:?}");
}

/// Bytes of every data file (not `_state/`), to prove a run changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .into_owned()
        })
        .filter(|p| !p.starts_with("_state"))
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}

fn small() -> FakeConfig {
    FakeConfig {
        seed: 7,
        events: 4,
        orders_per_event: 30,
        charges: 600,
        faults: Faults {
            malformed_every: 23,
            ..Faults::default()
        },
        ..FakeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_run_lands_exactly_the_fakes_records() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = run(&settings(&f), dir.path()).await;
    assert_all_ok(&s);
    assert_lake_matches(dir.path(), &f);
    let charges = &s.streams["stripe.charges"];
    assert_eq!(
        charges.records,
        f.stripe().expected(Kind::Charge).len() as u64
    );
    assert_eq!(charges.quarantined, f.stripe().malformed(Kind::Charge));
    assert_eq!(
        s.streams["ticketsauce.orders"].quarantined,
        f.ticketsauce().malformed_orders()
    );
    assert!(s.quarantined > 0 && s.bytes_written > 0);
    // Files are where Glue expects them: one include path per table, Hive
    // partitions, nothing else beside them.
    for l in lake::read_table(dir.path(), "stripe", "charges").expect("read") {
        assert!(
            l.file.ends_with(&format!(
                "/stripe/charges/{}/part-00000.json.gz",
                l.partition
            )),
            "{}",
            l.file
        );
    }
    assert!(
        !dir.path()
            .join("_tmp")
            .read_dir()
            .expect("staging")
            .any(|_| true),
        "staging left over"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_run_without_source_changes_writes_nothing() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let st = settings(&f);
    assert_all_ok(&run(&st, dir.path()).await);
    let before = snapshot(dir.path());
    let requests_before = f.stats().requests;
    let second = run(&st, dir.path()).await;
    assert_all_ok(&second);
    for (name, s) in &second.streams {
        assert_eq!(s.files_written, 0, "{name} wrote files");
    }
    assert_eq!(second.bytes_written, 0);
    assert!(before == snapshot(dir.path()), "data files changed");
    // Incremental: the second run asks for little, not everything again.
    let second_requests = f.stats().requests - requests_before;
    assert!(
        second_requests < requests_before / 4,
        "{second_requests} vs {requests_before}"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_records_appear_after_the_next_incremental_run() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let st = settings(&f);
    assert_all_ok(&run(&st, dir.path()).await);
    let charges = f.stripe().mutate(Kind::Charge, 5);
    let refunds = f.stripe().mutate(Kind::Refund, 2);
    let orders = f.ticketsauce().mutate(4);
    let second = run(&st, dir.path()).await;
    assert_all_ok(&second);
    assert_lake_matches(dir.path(), &f);
    let landed = lake::by_key(
        &lake::read_table(dir.path(), "stripe", "charges").expect("read"),
        "id",
    )
    .0;
    for id in &charges {
        assert_eq!(
            landed[id]["refunded"],
            Value::Bool(true),
            "{id} not updated"
        );
    }
    let landed = lake::by_key(
        &lake::read_table(dir.path(), "stripe", "refunds").expect("read"),
        "id",
    )
    .0;
    for id in &refunds {
        assert!(
            landed[id]["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("changed_")),
            "{id}"
        );
    }
    let landed = lake::by_key(
        &lake::read_table(dir.path(), "ticketsauce", "orders").expect("read"),
        "id",
    )
    .0;
    for id in &orders {
        assert_eq!(landed[id]["status"], "refunded", "{id} not updated");
    }
    // Only the partitions holding changed records were rewritten.
    let written: u64 = second.streams.values().map(|s| s.files_written).sum();
    assert!(
        written > 0 && written <= 5 + 2 + 4 * 3,
        "{written} files written"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_errors_timeouts_and_token_expiry_are_survived() {
    let cfg = FakeConfig {
        latency: Duration::from_millis(1),
        faults: Faults {
            throttle_every: 9,
            retry_after: 0.05,
            error_every: 7,
            slow_every: 29,
            slow: Duration::from_millis(800),
            malformed_every: 23,
            token_ttl: Some(Duration::from_millis(200)),
            ..Faults::default()
        },
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.http.timeout = Duration::from_millis(400);
    let s = run(&st, dir.path()).await;
    assert_all_ok(&s);
    assert_lake_matches(dir.path(), &f);
    let stats = f.stats();
    assert!(stats.throttled > 0 && stats.errors > 0, "{stats:?}");
    assert!(
        stats.tokens_issued >= 2 && stats.unauthorized > 0,
        "{stats:?}"
    );
    assert!(
        s.retries >= stats.throttled + stats.errors,
        "{} retries, {stats:?}",
        s.retries
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_stays_down_fails_its_stream_only() {
    let cfg = FakeConfig {
        faults: Faults {
            fail_paths: vec!["/v1/refunds".to_owned()],
            ..Faults::default()
        },
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.http.retry.max_attempts = 3;
    let s = run(&st, dir.path()).await;
    assert_eq!(s.status, StreamStatus::Failed);
    let refunds = &s.streams["stripe.refunds"];
    assert_eq!(refunds.status, StreamStatus::Failed);
    let err = refunds.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("stream `stripe.refunds` gave up at probe [")
            && err.contains("after 3 attempts")
            && err.contains("HTTP 503"),
        "{err}"
    );
    for (name, st) in s.streams.iter().filter(|(n, _)| *n != "stripe.refunds") {
        assert_eq!(st.status, StreamStatus::Ok, "{name}");
    }
    let landed = lake::read_table(dir.path(), "stripe", "charges").expect("read");
    assert_eq!(landed.len(), f.stripe().expected(Kind::Charge).len());
    // Its cursor did not move past what it could not read.
    let state: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("_state/stripe/refunds.json")).expect("state"),
    )
    .expect("json");
    assert!(state["cursor"].get("backfilled_until").is_none(), "{state}");
    assert_eq!(state["last_run"]["status"], "failed");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_details_are_fetched_concurrently() {
    let cfg = FakeConfig {
        latency: Duration::from_millis(10),
        events: 2,
        orders_per_event: 120,
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.streams = vec!["orders".to_owned()];
    st.source = "ticketsauce".to_owned();
    st.ticketsauce.detail_concurrency = 16;
    let s = run(&st, dir.path()).await;
    assert_all_ok(&s);
    let stats = f.stats();
    assert_eq!(stats.detail_requests, 240);
    // The fake saw many details in flight at once, never more than the
    // bound (wall time is the benchmark's business: it depends on load).
    assert!(stats.max_details_in_flight >= 8, "{stats:?}");
    assert!(
        stats.max_details_in_flight <= 16,
        "bound exceeded: {stats:?}"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_that_source_and_say_so() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.credentials = Credentials::from_pairs(&[
        (TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID),
        (TICKETSAUCE_CLIENT_SECRET, "not-the-secret-xyz"),
        (STRIPE_API_KEY, fake::STRIPE_KEY),
    ]);
    let s = run(&st, dir.path()).await;
    for (name, st) in &s.streams {
        if name.starts_with("ticketsauce.") {
            let err = st.error.as_deref().unwrap_or_default();
            assert!(
                err.contains("Ticketsauce rejected the credentials"),
                "{name}: {err}"
            );
            assert!(!err.contains("not-the-secret-xyz"));
        } else {
            assert_eq!(st.status, StreamStatus::Ok, "{name}");
        }
    }
    let everything = serde_json::to_string(&s).expect("json");
    assert!(!everything.contains("not-the-secret-xyz") && !everything.contains(fake::STRIPE_KEY));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_since_rereads_landed_windows_without_duplicates() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.source = "stripe".to_owned();
    st.since = partition::parse_timestamp("2025-07-01");
    assert_all_ok(&run(&st, dir.path()).await);
    let half = lake::read_table(dir.path(), "stripe", "charges").expect("read");
    assert!(!half.is_empty() && half.len() < f.stripe().expected(Kind::Charge).len());
    assert!(half.iter().all(|l| l.partition.as_str() >= "dt=2025-07-01"));
    // Starting earlier re-reads July onwards too: the windows overlap the
    // landed data completely, and the merge keeps one copy of each record.
    st.since = partition::parse_timestamp("2025-01-01");
    let s = run(&st, dir.path()).await;
    assert_all_ok(&s);
    let all = lake::read_table(dir.path(), "stripe", "charges").expect("read");
    let (got, dups) = lake::by_key(&all, "id");
    assert!(dups.is_empty(), "{dups:?}");
    assert_eq!(got, keyed(f.stripe().expected(Kind::Charge)));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_reread_catches_changes_that_have_no_events() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.source = "stripe".to_owned();
    st.streams = vec!["balance_transactions".to_owned()];
    assert_all_ok(&run(&st, dir.path()).await);
    // Balance transactions change without events (Stripe sends none).
    let changed = f.stripe().mutate(Kind::BalanceTransaction, 3);
    // Not due yet: the change is not seen.
    let s = run(&st, dir.path()).await;
    assert_eq!(s.streams["stripe.balance_transactions"].files_written, 0);
    // Due (every 0 s here), reaching back over the fake's whole year.
    st.stripe.reread_every = Duration::ZERO;
    st.stripe.reread_days = 3 * 365;
    assert_all_ok(&run(&st, dir.path()).await);
    let landed = lake::by_key(
        &lake::read_table(dir.path(), "stripe", "balance_transactions").expect("read"),
        "id",
    )
    .0;
    for id in &changed {
        assert!(
            landed[id]["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("changed_")),
            "{id}"
        );
    }
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_longer_than_the_events_retention_rereads_everything() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.source = "stripe".to_owned();
    st.streams = vec!["balance_transactions".to_owned()];
    assert_all_ok(&run(&st, dir.path()).await);
    let changed = f.stripe().mutate(Kind::BalanceTransaction, 2);
    // The last run was 40 days ago: changes since may have left the events
    // API, so the stream must read everything again.
    let path = dir.path().join("_state/stripe/balance_transactions.json");
    let mut state: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    let forty_days_ago = chrono::Utc::now().timestamp() - 40 * 86_400;
    state["cursor"]["events_since"] = forty_days_ago.into();
    std::fs::write(&path, serde_json::to_vec(&state).expect("json")).expect("write");
    assert_all_ok(&run(&st, dir.path()).await);
    let landed = lake::by_key(
        &lake::read_table(dir.path(), "stripe", "balance_transactions").expect("read"),
        "id",
    )
    .0;
    for id in &changed {
        assert!(
            landed[id]["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("changed_")),
            "{id}"
        );
    }
    let state: Value = serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    assert!(state["cursor"]["events_since"].as_i64() > Some(forty_days_ago));
    f.stop().await;
}

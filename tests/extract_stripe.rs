//! twh-extract's Stripe streams against the fake Stripe, on what peers got
//! wrong: requests that are refused are never skipped, changes and deletions
//! come from the events feed, the pace matches Stripe's published limits,
//! objects listed late are still read, and the API version is pinned and
//! stored.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use twh::extract::credentials::Credentials;
use twh::extract::env::STRIPE_API_KEY;
use twh::extract::progress::Silent;
use twh::extract::sources::stripe::API_VERSION;
use twh::extract::summary::{RunSummary, StreamStatus};
use twh::extract::{self as ex, RunSettings};
use twh_fakes::stripe::Kind;
use twh_fakes::{self as fake, FakeConfig, FakeServer, Faults, SPAN, lake};

/// Stripe streams only, paced generously (the fake is local) unless a test
/// asks for the defaults.
fn settings(f: &FakeServer) -> RunSettings {
    let mut s = RunSettings {
        source: "stripe".to_owned(),
        credentials: Credentials::from_pairs(&[(STRIPE_API_KEY, fake::STRIPE_KEY)]),
        ..RunSettings::default()
    };
    s.stripe.base = f.stripe_base();
    s.stripe.rps = Some(5000.0);
    s.stripe.endpoint_rps = Some(5000.0);
    s.http.timeout = Duration::from_secs(5);
    s.http.retry.base = Duration::from_millis(5);
    s.http.retry.max = Duration::from_millis(100);
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

fn small() -> FakeConfig {
    FakeConfig {
        seed: 11,
        charges: 600,
        ..FakeConfig::default()
    }
}

fn landed(dir: &Path, table: &str) -> std::collections::BTreeMap<String, Value> {
    let (got, dups) = lake::by_key(&lake::read_table(dir, "stripe", table).expect("read"), "id");
    assert!(dups.is_empty(), "{table}: {dups:?}");
    got
}

fn state(dir: &Path, stream: &str) -> Value {
    serde_json::from_slice(
        &std::fs::read(dir.join(format!("_state/stripe/{stream}.json"))).expect("state"),
    )
    .expect("json")
}

/// Every Stripe table holds exactly what the fake says (tombstones and
/// `api_version` included).
fn assert_stripe_lake_matches(dir: &Path, f: &FakeServer) {
    for kind in Kind::ALL {
        let want: std::collections::BTreeMap<String, Value> = f
            .stripe()
            .expected(kind)
            .into_iter()
            .map(|r| (r["id"].as_str().expect("id").to_owned(), r))
            .collect();
        let got = landed(dir, kind.table());
        assert_eq!(got.len(), want.len(), "{}", kind.table());
        for (id, w) in &want {
            assert_eq!(got.get(id), Some(w), "{}: `{id}`", kind.table());
        }
    }
}

/// A 400, 403 or 404 is never skipped: the stream fails naming the cause
/// and the request, its cursor stays, and the other streams go on. (Before,
/// a 404 on re-reading a changed object was noted and skipped: the change
/// was lost and the cursor moved past it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_fail_their_stream_and_name_the_request() {
    let cfg = FakeConfig {
        faults: Faults {
            status_paths: vec![
                ("/v1/charges/".to_owned(), 404),
                ("/v1/payouts".to_owned(), 403),
                ("/v1/disputes".to_owned(), 400),
            ],
            ..Faults::default()
        },
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let st = settings(&f);
    let first = run(&st, dir.path()).await;
    assert_eq!(first.status, StreamStatus::Failed);
    for (stream, status, path) in [
        ("payouts", 403, "/v1/payouts"),
        ("disputes", 400, "/v1/disputes"),
    ] {
        let s = &first.streams[&format!("stripe.{stream}")];
        assert_eq!(s.status, StreamStatus::Failed, "{stream}");
        let err = s.error.as_deref().unwrap_or_default();
        assert!(
            err.contains(&format!("stream `stripe.{stream}` failed at probe ["))
                && err.contains(&format!("HTTP {status} from `"))
                && err.contains(path),
            "{err}"
        );
    }
    // The others ran to the end.
    for stream in [
        "charges",
        "refunds",
        "balance_transactions",
        "customers",
        "products",
    ] {
        assert_eq!(
            first.streams[&format!("stripe.{stream}")].status,
            StreamStatus::Ok,
            "{stream}"
        );
    }
    // Charges changed at another API version are re-read by id, and the
    // retrieve answers 404.
    f.stripe().set_account_api_version("2020-08-27");
    let changed = f.stripe().mutate(Kind::Charge, 3);
    let before = state(dir.path(), "charges")["cursor"]["events_since"].clone();
    let second = run(&st, dir.path()).await;
    let charges = &second.streams["stripe.charges"];
    assert_eq!(charges.status, StreamStatus::Failed);
    let err = charges.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("stream `stripe.charges` failed at charge `")
            && err.contains("HTTP 404 from `")
            && err.contains("/v1/charges/")
            && changed.iter().any(|id| err.contains(id.as_str())),
        "{err}"
    );
    // Its events cursor did not move past the change it could not read.
    assert_eq!(
        state(dir.path(), "charges")["cursor"]["events_since"],
        before
    );
    f.stop().await;
}

/// After the backfill, changes come from `/v1/events`: deletions land as
/// tombstones (the object as the event carried it, `deleted: true`,
/// `deleted_at`), changes rendered at the pinned version land from the
/// event, changes rendered at another version are re-read by id so the table
/// keeps one version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_feed_lands_changes_and_deletions_as_tombstones() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let st = settings(&f);
    assert_all_ok(&run(&st, dir.path()).await);
    assert_stripe_lake_matches(dir.path(), &f);

    let customers_gone = f.stripe().delete(Kind::Customer, 3);
    let products_gone = f.stripe().delete(Kind::Product, 2);
    let customers_changed = f.stripe().mutate(Kind::Customer, 2);
    // The account moves to an old version: its events render charges with
    // the `refunds` sublist that the pinned version no longer has.
    f.stripe().set_account_api_version("2020-08-27");
    let charges_changed = f.stripe().mutate(Kind::Charge, 4);
    let requests_before = f.stats().requests;
    let second = run(&st, dir.path()).await;
    assert_all_ok(&second);
    assert_stripe_lake_matches(dir.path(), &f);

    let customers = landed(dir.path(), "customers");
    for id in &customers_gone {
        let c = &customers[id];
        assert_eq!(c["deleted"], Value::Bool(true), "{c}");
        assert!(
            c["deleted_at"].as_i64().is_some() && c["created"].as_i64().is_some(),
            "{c}"
        );
        assert_eq!(c["api_version"], API_VERSION, "{c}");
    }
    for id in &customers_changed {
        assert_eq!(
            customers[id]["metadata"]["change"].as_u64().map(|_| ()),
            Some(()),
            "{id}"
        );
    }
    let products = landed(dir.path(), "products");
    for id in &products_gone {
        assert_eq!(products[id]["deleted"], Value::Bool(true), "{id}");
    }
    let charges = landed(dir.path(), "charges");
    for id in &charges_changed {
        let c = &charges[id];
        assert_eq!(c["refunded"], Value::Bool(true), "{id} not updated");
        // Re-read at the pinned version, not the event's old rendering.
        assert_eq!(c["api_version"], API_VERSION, "{c}");
        assert!(c.get("refunds").is_none(), "{c}");
    }
    // Incremental: events pages, a few re-reads, no backfill again.
    let used = f.stats().requests - requests_before;
    assert!(used < 60, "{used} requests");
    f.stop().await;
}

/// The default pace is Stripe's published limits
/// (<https://docs.stripe.com/rate-limits>): 100 requests/s in all for a live
/// key and 25/s for each endpoint. Against a fake that enforces exactly
/// those, a run that re-reads many objects through one endpoint
/// (`GET /v1/charges/{id}`) is never refused. (Before: 80/s in all and no
/// endpoint limit, so one stream alone exceeded the endpoint's 25/s.) A
/// faster pace is refused with `Stripe-Rate-Limited-Reason: endpoint-rate`,
/// honoured, and still lands everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_pace_stays_within_stripes_published_limits() {
    let cfg = FakeConfig {
        faults: Faults {
            stripe_rate_limits: Some((100.0, 25.0)),
            ..Faults::default()
        },
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.streams = vec!["charges".to_owned()];
    st.stripe.rps = None;
    st.stripe.endpoint_rps = None;
    assert_all_ok(&run(&st, dir.path()).await);
    f.stripe().set_account_api_version("2020-08-27");
    f.stripe().mutate(Kind::Charge, 70);
    let s = run(&st, dir.path()).await;
    assert_all_ok(&s);
    assert_eq!(f.stats().throttled, 0, "{:?}", f.stats());

    // Four times the endpoint limit: refused, retried, nothing lost.
    f.stripe().mutate(Kind::Charge, 70);
    st.stripe.endpoint_rps = Some(100.0);
    st.http.retry.max_attempts = 30;
    let s = run(&st, dir.path()).await;
    assert_all_ok(&s);
    assert!(f.stats().throttled > 0, "{:?}", f.stats());
    assert!(s.retries >= f.stats().throttled, "{} retries", s.retries);
    let want: std::collections::BTreeMap<String, Value> = f
        .stripe()
        .expected(Kind::Charge)
        .into_iter()
        .map(|r| (r["id"].as_str().expect("id").to_owned(), r))
        .collect();
    assert!(
        landed(dir.path(), "charges") == want,
        "charges differ from the fake's"
    );
    f.stop().await;
}

/// Stripe lists an object some time after its `created`. The newest charge
/// is not listed during the first run; the next run starts its windows the
/// late margin (10 minutes by default) before the cursor, so it is read then,
/// once. (With no margin, it would never be read: it is older than the
/// cursor.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_listed_late_are_read_by_the_next_run() {
    let charges = 600u64;
    let now = chrono::Utc::now().timestamp();
    let step = SPAN / i64::try_from(charges).expect("fits");
    // The newest charge was created two minutes ago.
    let epoch = now - 120 - (i64::try_from(charges).expect("fits") - 1) * step;
    let cfg = FakeConfig {
        charges,
        stripe_epoch: Some(epoch),
        faults: Faults {
            stripe_list_delay_secs: 300,
            ..Faults::default()
        },
        ..small()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.streams = vec!["charges".to_owned()];
    assert_eq!(
        st.stripe.overlap,
        Duration::from_secs(600),
        "the default margin"
    );
    assert_all_ok(&run(&st, dir.path()).await);
    let newest = f.stripe().id(Kind::Charge, charges - 1);
    let first = landed(dir.path(), "charges");
    assert_eq!(first.len() as u64, charges - 1);
    assert!(!first.contains_key(&newest));
    // Now it is listed.
    f.stripe().set_list_delay(0);
    assert_all_ok(&run(&st, dir.path()).await);
    let second = landed(dir.path(), "charges");
    assert_eq!(second.len() as u64, charges, "the late charge is missing");
    assert!(second.contains_key(&newest));
    f.stop().await;
}

/// `Stripe-Version` is the configured one, and every record stores the
/// version it was rendered at: a run pinned to 2020-08-27 gets that
/// version's shapes (charges with their `refunds` sublist) and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_version_is_pinned_and_stored_with_each_record() {
    let f = FakeServer::start(small(), 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.streams = vec!["charges".to_owned()];
    assert_eq!(st.stripe.api_version, API_VERSION);
    assert_all_ok(&run(&st, dir.path()).await);
    for c in landed(dir.path(), "charges").values() {
        assert_eq!(c["api_version"], API_VERSION, "{c}");
        assert!(c.get("refunds").is_none(), "{c}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    st.stripe.api_version = "2020-08-27".to_owned();
    assert_all_ok(&run(&st, dir.path()).await);
    for c in landed(dir.path(), "charges").values() {
        assert_eq!(c["api_version"], "2020-08-27", "{c}");
        assert_eq!(c["refunds"]["object"], "list", "{c}");
    }
    f.stop().await;
}

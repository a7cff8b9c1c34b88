//! Adaptive windows: a `created` window dense with Stripe objects (a burst
//! of sales within days) is split into sub-ranges read at once, every
//! object still lands exactly once (also when the run stops mid-split), and
//! the rate limiter still bounds the pace. A Ticketsauce event dense with
//! orders keeps its details in flight across page boundaries.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use twh::extract::credentials::Credentials;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh::extract::progress::Silent;
use twh::extract::summary::{RunSummary, StreamStatus};
use twh::extract::{self as ex, RunSettings};
use twh_fakes::stripe::Kind;
use twh_fakes::{self as fake, FakeConfig, FakeServer, Faults, lake};

const DAY: i64 = 86_400;

fn settings(f: &FakeServer) -> RunSettings {
    let mut s = RunSettings {
        credentials: Credentials::from_pairs(&[
            (TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID),
            (TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET),
            (STRIPE_API_KEY, fake::STRIPE_KEY),
        ]),
        ..RunSettings::default()
    };
    s.stripe.base = f.stripe_base();
    s.ticketsauce.base = f.ticketsauce_base();
    s.stripe.rps = Some(5000.0);
    s.stripe.endpoint_rps = Some(5000.0);
    s.ticketsauce.rps = 5000.0;
    s.http.timeout = Duration::from_secs(5);
    s.http.retry.base = Duration::from_millis(5);
    s.http.retry.max = Duration::from_millis(100);
    s
}

fn charges_only(f: &FakeServer) -> RunSettings {
    let mut s = settings(f);
    s.source = "stripe".to_owned();
    s.streams = vec!["charges".to_owned()];
    s.stripe.window_concurrency = 8;
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

/// `n` charges created within `days` days.
fn burst(n: u64, days: i64, latency_ms: u64) -> FakeConfig {
    FakeConfig {
        seed: 5,
        charges: n,
        latency: Duration::from_millis(latency_ms),
        stripe_span: Some(days * DAY),
        ..FakeConfig::default()
    }
}

/// The distinct ranges page requests asked for that start where the
/// charges are (the first `days` days of the fake's data): the grid's
/// windows there, and the pieces they were split into.
fn dense_ranges(f: &FakeServer, days: i64) -> Vec<(i64, i64)> {
    f.stripe()
        .ranges(Kind::Charge)
        .into_iter()
        .filter(|(lo, _)| *lo < fake::EPOCH + days * DAY)
        .collect()
}

/// The charges table is exactly the fake's charges, each once.
fn assert_charges_exactly_once(dir: &Path, f: &FakeServer) {
    let (got, dups) = lake::by_key(
        &lake::read_table(dir, "stripe", "charges").expect("read"),
        "id",
    );
    assert!(dups.is_empty(), "duplicated: {dups:?}");
    let want: BTreeMap<String, Value> = f
        .stripe()
        .expected(Kind::Charge)
        .into_iter()
        .map(|r| (r["id"].as_str().expect("id").to_owned(), r))
        .collect();
    assert_eq!(got.len(), want.len(), "charges landed");
    assert!(got == want, "charges differ from the fake's");
}

/// 10,000 charges within two days are one or two 30-day windows. They are
/// read as many sub-ranges at once, with about one page request per 100
/// charges (a piece costs at most one part-full page), not as one chain of
/// 100 requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dense_window_is_split_into_sub_ranges_read_at_once() {
    let f = FakeServer::start(burst(10_000, 2, 2), 0)
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = run(&charges_only(&f), dir.path()).await;
    assert_all_ok(&s);
    assert_charges_exactly_once(dir.path(), &f);

    let ranges = dense_ranges(&f, 2);
    let requests = f.stripe().list_requests(Kind::Charge);
    // The grid gives at most two windows over two days; the rest are pieces.
    assert!(ranges.len() >= 8, "{} ranges: {ranges:?}", ranges.len());
    assert!(f.stats().max_stripe_lists_in_flight >= 4, "{:?}", f.stats());
    // Every range (the empty windows after the burst too) costs at most one
    // page that is not full.
    let all = f.stripe().ranges(Kind::Charge).len();
    assert!(
        requests <= 100 + all,
        "{requests} page requests for 100 pages in {all} ranges"
    );
    // A rerun of the same data reads only the late margin: no split.
    let before = f.stripe().list_requests(Kind::Charge);
    assert_all_ok(&run(&charges_only(&f), dir.path()).await);
    assert!(f.stripe().list_requests(Kind::Charge) - before <= 2);
    assert_charges_exactly_once(dir.path(), &f);
    f.stop().await;
}

/// A run that stops in the middle of a split window (the oldest piece's
/// pages refused until the stream gives up, while the other pieces finish)
/// keeps the pieces it finished: the rerun never asks for them again, and
/// every charge lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_mid_split_resumes_without_reading_finished_pieces_again() {
    let f = FakeServer::start(burst(8_000, 1, 1), 0)
        .await
        .expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = charges_only(&f);
    // Small buffers: pieces become durable, with their checkpoints, often.
    st.writer.buffer_bytes = 128 * 1024;
    st.http.retry.max_attempts = 40;
    // The oldest 500 of 8,000 charges: inside the lowest piece only.
    f.stripe()
        .refuse_below(Some(f.stripe().created(Kind::Charge, 500)));
    let s = run(&st, dir.path()).await;
    assert_eq!(s.streams["stripe.charges"].status, StreamStatus::Failed);
    let state: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("_state/stripe/charges.json")).expect("state"),
    )
    .expect("json");
    let cursor = &state["cursor"];
    let done: Vec<(i64, i64)> = cursor["done_ahead"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(s, e)| (s.parse().expect("start"), e.as_i64().expect("end")))
                .collect()
        })
        .unwrap_or_default();
    // Pieces of the dense window (the charges' one day), not only the
    // empty windows after it.
    let data_end = fake::EPOCH + DAY;
    assert!(
        done.iter().any(|(s, _)| *s < data_end),
        "no finished piece of the dense window was saved: {state}"
    );
    let until = cursor["backfilled_until"]
        .as_i64()
        .expect("backfilled_until");

    f.stripe().refuse_below(None);
    let seen = f.stripe().range_log(Kind::Charge).len();
    assert_all_ok(&run(&st, dir.path()).await);
    let rerun = &f.stripe().range_log(Kind::Charge)[seen..];
    for (lo, hi) in rerun {
        assert!(*hi > until, "[{lo}, {hi}) is below the cursor {until}");
        for (s, e) in &done {
            assert!(
                hi <= s || lo >= e,
                "[{lo}, {hi}) reads the finished piece [{s}, {e}) again"
            );
        }
    }
    assert_charges_exactly_once(dir.path(), &f);
    f.stop().await;
}

/// Sixteen pages in flight against a fake that enforces 40 requests a
/// second per endpoint: paced at that rate, the split window is never
/// refused. The pieces share the stream's limiter; they do not multiply it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limiter_still_bounds_a_split_window() {
    let cfg = FakeConfig {
        faults: Faults {
            stripe_rate_limits: Some((100.0, 40.0)),
            ..Faults::default()
        },
        ..burst(6_000, 1, 2)
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = charges_only(&f);
    st.stripe.window_concurrency = 16;
    st.stripe.rps = Some(100.0);
    st.stripe.endpoint_rps = Some(40.0);
    assert_all_ok(&run(&st, dir.path()).await);
    assert!(dense_ranges(&f, 1).len() >= 4, "not split");
    assert_eq!(f.stats().throttled, 0, "{:?}", f.stats());
    assert_charges_exactly_once(dir.path(), &f);
    f.stop().await;
}

/// One event with 5,000 orders (ten pages of 500): the next page is asked
/// for while the last page's details are still in flight, so the details
/// never drain at a page boundary. Every order lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dense_event_keeps_its_details_in_flight_across_pages() {
    let cfg = FakeConfig {
        seed: 3,
        events: 1,
        orders_per_event: 5_000,
        charges: 0,
        latency: Duration::from_millis(2),
        ..FakeConfig::default()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = settings(&f);
    st.source = "ticketsauce".to_owned();
    st.streams = vec!["orders".to_owned()];
    st.ticketsauce.detail_concurrency = 16;
    assert_all_ok(&run(&st, dir.path()).await);
    let stats = f.stats();
    assert!(stats.max_details_at_page > 0, "{stats:?}");
    assert!(stats.max_details_in_flight <= 16, "{stats:?}");
    assert_eq!(stats.detail_requests, 5_000);
    let (got, dups) = lake::by_key(
        &lake::read_table(dir.path(), "ticketsauce", "orders").expect("read"),
        "id",
    );
    assert!(dups.is_empty(), "{dups:?}");
    let want = f.ticketsauce().expected("orders");
    assert_eq!(got.len(), want.len());
    for w in &want {
        let id = w["id"].as_str().expect("id");
        assert_eq!(got.get(id), Some(w), "order `{id}`");
    }
    f.stop().await;
}

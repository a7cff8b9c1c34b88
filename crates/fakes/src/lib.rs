//! Fake Ticketsauce and Stripe APIs on loopback, for tests, the demo and the
//! benchmark. Data is a pure function of a seed (records are generated from
//! their index, so a million charges cost no memory); latency, 429s, 5xx,
//! slow responses, malformed records and token expiry are injectable.
//!
//! Both APIs share one port: Stripe under `/stripe` (its `/v1/...` paths
//! below that), Ticketsauce under `/ticketsauce/v2`. `/_fake/...` changes
//! records (as a user editing them in the dashboard would) and reports
//! request counts.

pub mod lake;
pub mod lambda;
pub mod stripe;
pub mod ticketsauce;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::oneshot;

/// 2025-01-01T00:00:00Z: the fake's data starts here.
pub const EPOCH: i64 = 1_735_689_600;
/// The fake's data spans a year.
pub const SPAN: i64 = 365 * 86_400;

/// Credentials the fake accepts (the demo's sample credentials file).
pub const CLIENT_ID: &str = "demo-client";
pub const CLIENT_SECRET: &str = "demo-secret";
pub const STRIPE_KEY: &str = "sk_fake_demo";

/// Faults injected into data requests (never into token or admin calls).
/// "Every n" counts requests per API; 0 disables.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub throttle_every: u64,
    /// `Retry-After` of a 429, in seconds (fractions allowed).
    pub retry_after: f64,
    pub error_every: u64,
    pub slow_every: u64,
    pub slow: Duration,
    /// Every n-th record of a kind is malformed (fails validation).
    pub malformed_every: u64,
    /// Tokens stop working this long after they were issued.
    pub token_ttl: Option<Duration>,
    /// Requests whose path contains one of these always get a 503 (an
    /// outage of one endpoint).
    pub fail_paths: Vec<String>,
    /// Requests whose path contains the first always get the status of the
    /// second (a 400, 403 or 404 that retrying cannot fix).
    pub status_paths: Vec<(String, u16)>,
    /// Stripe objects created less than this many seconds ago are not
    /// listed yet (Stripe lists objects some time after their `created`).
    pub stripe_list_delay_secs: i64,
    /// Stripe's rate limits enforced: (global, per endpoint) requests per
    /// second.
    pub stripe_rate_limits: Option<(f64, f64)>,
}

/// What the fakes serve.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    pub seed: u64,
    pub events: u64,
    pub orders_per_event: u64,
    pub charges: u64,
    /// Added to every data request.
    pub latency: Duration,
    pub faults: Faults,
    /// When the Stripe data starts (Unix seconds); [`EPOCH`] unless set, so
    /// a test can place the newest objects just before now.
    pub stripe_epoch: Option<i64>,
    /// Seconds the Stripe data spans ([`SPAN`], a year, unless set): a few
    /// days is a dense burst of sales, years the uniform shape.
    pub stripe_span: Option<i64>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            seed: 1,
            events: 5,
            orders_per_event: 40,
            charges: 500,
            latency: Duration::ZERO,
            faults: Faults::default(),
            stripe_epoch: None,
            stripe_span: None,
        }
    }
}

/// Counters of what the fakes served.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub errors: AtomicU64,
    pub unauthorized: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub detail_requests: AtomicU64,
    pub details_in_flight: AtomicU64,
    pub max_details_in_flight: AtomicU64,
    /// The most order details in flight when a Ticketsauce orders page was
    /// asked for: zero while pages wait for the last page's details.
    pub max_details_at_page: AtomicU64,
    pub stripe_lists_in_flight: AtomicU64,
    pub max_stripe_lists_in_flight: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub throttled: u64,
    pub errors: u64,
    pub unauthorized: u64,
    pub tokens_issued: u64,
    pub detail_requests: u64,
    pub max_details_in_flight: u64,
    pub max_details_at_page: u64,
    pub max_stripe_lists_in_flight: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            throttled: g(&self.throttled),
            errors: g(&self.errors),
            unauthorized: g(&self.unauthorized),
            tokens_issued: g(&self.tokens_issued),
            detail_requests: g(&self.detail_requests),
            max_details_in_flight: g(&self.max_details_in_flight),
            max_details_at_page: g(&self.max_details_at_page),
            max_stripe_lists_in_flight: g(&self.max_stripe_lists_in_flight),
        }
    }
}

/// Decides the fault of one data request; shared by both fakes.
pub(crate) struct FaultGate {
    faults: Faults,
    latency: Duration,
    counter: AtomicU64,
    pub(crate) stats: Arc<Stats>,
}

impl FaultGate {
    fn new(cfg: &FakeConfig, stats: Arc<Stats>) -> Self {
        FaultGate {
            faults: cfg.faults.clone(),
            latency: cfg.latency,
            counter: AtomicU64::new(0),
            stats,
        }
    }

    /// Sleeps the latency; returns the error response to send instead of
    /// the real one, if this request draws a fault.
    pub(crate) async fn enter(&self, path: &str) -> Option<Response> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let f = &self.faults;
        if f.fail_paths.iter().any(|p| path.contains(p.as_str())) {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            return Some((StatusCode::SERVICE_UNAVAILABLE, "endpoint down").into_response());
        }
        if let Some((_, status)) = f
            .status_paths
            .iter()
            .find(|(p, _)| path.contains(p.as_str()))
        {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            return Some(error(status, "refused by the fake (status_paths)"));
        }
        let mut delay = self.latency;
        if f.slow_every > 0 && n.is_multiple_of(f.slow_every) {
            delay += f.slow;
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if f.throttle_every > 0 && n.is_multiple_of(f.throttle_every) {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(serde_json::json!({"error": {"type": "rate_limit_error", "message": "Too many requests"}})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{}", f.retry_after)) {
                r.headers_mut().insert("retry-after", v);
            }
            return Some(r);
        }
        if f.error_every > 0 && n.is_multiple_of(f.error_every) {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            let status = if n.is_multiple_of(2) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            return Some((status, "upstream hiccup").into_response());
        }
        None
    }
}

/// SplitMix64: a stable hash of (seed, a, b) to generate data from indices.
pub fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` letters and digits from a hash, for realistic-looking ids.
pub fn alnum(mut h: u64, n: usize) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        s.push(char::from(CHARS[usize::try_from(h % 62).unwrap_or(0)]));
        h /= 62;
        if h == 0 {
            h = mix(n as u64, s.len() as u64, 7);
        }
    }
    s
}

/// The fakes' data without a server: what a run against them must land
/// (`fake-verify`, the benchmark).
pub fn data_only(cfg: &FakeConfig) -> (stripe::StripeFake, ticketsauce::TicketsauceFake) {
    let stats = Arc::new(Stats::default());
    (
        stripe::StripeFake::new(cfg, FaultGate::new(cfg, stats.clone())),
        ticketsauce::TicketsauceFake::new(cfg, FaultGate::new(cfg, stats)),
    )
}

/// The running fakes.
pub struct FakeServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    stripe: Arc<stripe::StripeFake>,
    ticketsauce: Arc<ticketsauce::TicketsauceFake>,
    stats: Arc<Stats>,
}

impl FakeServer {
    /// Serves the fakes on `127.0.0.1:port` (0 picks a free port).
    pub async fn start(cfg: FakeConfig, port: u16) -> std::io::Result<FakeServer> {
        let stats = Arc::new(Stats::default());
        let stripe = Arc::new(stripe::StripeFake::new(
            &cfg,
            FaultGate::new(&cfg, stats.clone()),
        ));
        let ticketsauce = Arc::new(ticketsauce::TicketsauceFake::new(
            &cfg,
            FaultGate::new(&cfg, stats.clone()),
        ));
        let app = Router::new()
            .merge(stripe::routes(stripe.clone()))
            .merge(ticketsauce::routes(ticketsauce.clone()))
            .route(
                "/_fake/stats",
                axum::routing::get({
                    let stats = stats.clone();
                    move || async move { axum::Json(stats.snapshot()) }
                }),
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeServer {
            addr,
            stop: Some(tx),
            task,
            stripe,
            ticketsauce,
            stats,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for `--stripe-api-base`.
    pub fn stripe_base(&self) -> String {
        format!("http://{}/stripe", self.addr)
    }

    /// Base URL for `--ticketsauce-api-base`.
    pub fn ticketsauce_base(&self) -> String {
        format!("http://{}/ticketsauce/v2", self.addr)
    }

    pub fn stripe(&self) -> &stripe::StripeFake {
        &self.stripe
    }

    pub fn ticketsauce(&self) -> &ticketsauce::TicketsauceFake {
        &self.ticketsauce
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Stops serving and waits for open connections to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the process is asked to stop (Ctrl-C), for the
    /// `fake-sources` command.
    pub async fn serve_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.stop().await;
    }
}

/// A JSON error response in the fakes' style.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"message": message}})),
    )
        .into_response()
}

/// Unix seconds now.
pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

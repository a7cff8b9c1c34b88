//! Stripe: charges, balance transactions, refunds, payouts, disputes,
//! customers and products.
//!
//! Three phases per stream, each checkpointed:
//!
//! 1. **Created windows.** `[since, now)` is cut into windows aligned to a
//!    fixed grid of whole UTC days (so two windows never share a partition),
//!    read with `limit=100` and `starting_after`. A window is one chain of
//!    pages only while it is sparse: when a page shows that what is left of
//!    its range holds many more pages (a burst of sales), the rest below the
//!    page's oldest `created` is cut into sub-ranges read at once, again and
//!    again while a piece stays dense ([`split_dense`]), up to
//!    `window_concurrency` pages in flight; the pace is the only limit. The
//!    cursor `backfilled_until` advances over the contiguous prefix of
//!    finished ranges; ranges finished ahead of it are remembered, so a run
//!    that is stopped, even mid-split, resumes where it was. The next run starts `overlap` (the late
//!    margin, 10 minutes by default) before the cursor on purpose: Stripe
//!    lists an object some time after its `created`, so the newest objects of
//!    one run's last window may only be listed by the next. The merge by key
//!    absorbs the repeats.
//! 2. **Events.** Objects changed since the last run are found through
//!    `/v1/events` (30-day retention), filtered to the stream's table of
//!    event types ([`Kind::event_types`], tested against Stripe's published
//!    list in `stripe_event_types.tsv`). The newest event of each object
//!    wins: a `*.deleted` event lands a tombstone (the object it carries,
//!    `deleted: true`, `deleted_at`); any other lands the object it carries
//!    when it was rendered at the pinned API version, else the object is
//!    re-read by id so the table keeps one version.
//! 3. **Re-read.** Every `reread_every`, the last `reread_days` of windows are
//!    read again: this catches changes the events missed (a gap longer than
//!    the retention, objects without events such as balance transactions).
//!
//! Every record carries `api_version`: the version it was rendered at (the
//! pinned `Stripe-Version` for lists and retrieves, the event's own for
//! objects taken from events, which Stripe renders "according to Stripe API
//! version at its creation time").

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{STRIPE, land};
use crate::Error;
use crate::http::ApiClient;
use crate::models::{self, Model};
use crate::progress::StreamCtx;
use crate::writer::WriterHandle;

/// The API version requested (`Stripe-Version`) unless
/// `--stripe-api-version` says otherwise, so the shapes landed do not change
/// under the crawler when the account's default version moves.
pub const API_VERSION: &str = "2024-06-20";
/// Stripe's global limit in live mode, requests per second
/// (<https://docs.stripe.com/rate-limits>).
pub const LIVE_GLOBAL_RPS: f64 = 100.0;
/// Stripe's global limit in test mode (sandboxes).
pub const TEST_GLOBAL_RPS: f64 = 25.0;
/// Stripe's default limit of each endpoint (named operation, such as
/// `GET /v1/charges`), which counts against the global one too.
pub const ENDPOINT_RPS: f64 = 25.0;
/// Stripe keeps events this long.
pub const EVENTS_RETENTION: Duration = Duration::from_secs(30 * 86_400);
/// Stripe's largest page.
pub const PAGE_LIMIT: u32 = 100;

/// Settings of the Stripe streams.
#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub base: String,
    /// The `Stripe-Version` sent with every request.
    pub api_version: String,
    /// Requests per second in all; `None` is Stripe's global limit for the
    /// key's mode (live 100/s, test 25/s); zero is unpaced.
    pub rps: Option<f64>,
    /// Requests per second of each operation; `None` is Stripe's default
    /// endpoint limit (25/s); zero is unpaced.
    pub endpoint_rps: Option<f64>,
    pub burst: u32,
    /// Width of a created window, in days.
    pub window_days: u32,
    /// Pages in flight at once per stream: created windows, and the
    /// sub-ranges dense ones are split into.
    pub window_concurrency: usize,
    /// Objects re-read at once in the events phase.
    pub fetch_concurrency: usize,
    /// How far before the cursor the next run starts again.
    pub overlap: Duration,
    pub reread_days: u32,
    pub reread_every: Duration,
    /// Start of the backfill when neither `--since` nor a cursor says.
    pub default_since: DateTime<Utc>,
}

impl Default for StripeSettings {
    fn default() -> Self {
        StripeSettings {
            base: "https://api.stripe.com".to_owned(),
            api_version: API_VERSION.to_owned(),
            rps: None,
            endpoint_rps: None,
            burst: 10,
            window_days: 30,
            window_concurrency: 16,
            fetch_concurrency: 8,
            overlap: Duration::from_secs(10 * 60),
            reread_days: 90,
            reread_every: Duration::from_secs(7 * 86_400),
            default_since: Utc
                .with_ymd_and_hms(2011, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }
}

impl StripeSettings {
    /// The global request rate for `key`: Stripe's global limit of the
    /// key's mode (test keys are `sk_test_…` or `rk_test_…`).
    pub fn rate_for(&self, key: &str) -> f64 {
        self.rps.unwrap_or(if key.contains("_test_") {
            TEST_GLOBAL_RPS
        } else {
            LIVE_GLOBAL_RPS
        })
    }

    /// The rate of each operation: Stripe's endpoint limit, or unpaced
    /// when the global rate was set to zero (unpaced) and this was not set.
    pub fn endpoint_rate(&self) -> f64 {
        match (self.endpoint_rps, self.rps) {
            (Some(r), _) => r,
            (None, Some(g)) if g <= 0.0 => 0.0,
            (None, _) => ENDPOINT_RPS,
        }
    }
}

/// The operation a request path names, as Stripe counts its endpoint limit:
/// `v1/charges` is `GET /v1/charges`, `v1/charges/ch_1` is
/// `GET /v1/charges/{id}` ("requests to `GET /v1/payment_intents/{id}` for
/// different PaymentIntent IDs count toward the same endpoint limit").
pub fn operation(path: &str) -> String {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [v, resource, _id] => format!("GET /{v}/{resource}/{{id}}"),
        _ => format!("GET /{}", parts.join("/")),
    }
}

/// A Stripe stream's cursor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StripeCursor {
    /// Lower bound of the backfill, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Every object created in `[since, backfilled_until)` has landed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfilled_until: Option<i64>,
    /// Windows finished ahead of `backfilled_until`: start → end.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub done_ahead: BTreeMap<i64, i64>,
    /// Changes from events created at or after this (less the overlap) are
    /// read next run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_since: Option<i64>,
    /// When the re-read window last ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reread_at: Option<i64>,
}

impl StripeCursor {
    /// Records that window `[start, end)` is durable and advances
    /// `backfilled_until` over every finished window that now touches it.
    pub fn mark_done(&mut self, start: i64, end: i64) {
        let entry = self.done_ahead.entry(start).or_insert(end);
        *entry = (*entry).max(end);
        let mut until = self.backfilled_until.or(self.since).unwrap_or(start);
        while let Some((&s, &e)) = self.done_ahead.iter().find(|(s, _)| **s <= until) {
            self.done_ahead.remove(&s);
            until = until.max(e);
        }
        self.backfilled_until = Some(until);
    }

    /// The parts of window `[start, end)` not yet done: none when the
    /// window ends at or below `backfilled_until`, else the window less the
    /// ranges finished ahead of the cursor (a split window that was
    /// interrupted leaves several).
    pub fn gaps(&self, start: i64, end: i64) -> Vec<(i64, i64)> {
        if self.backfilled_until.is_some_and(|u| end <= u) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut at = start;
        for (&s, &e) in &self.done_ahead {
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                out.push((at, s));
            }
            at = at.max(e);
            if at >= end {
                break;
            }
        }
        if at < end {
            out.push((at, end));
        }
        out
    }
}

/// One Stripe object kind.
pub struct Kind {
    pub stream: &'static str,
    pub path: &'static str,
    pub object: &'static str,
    /// Every event type whose `data.object` is this kind (the `*.deleted`
    /// one included, for kinds Stripe deletes); empty when none exist. A
    /// type missing here is a change never seen, so the test holds this to
    /// Stripe's published list.
    pub event_types: &'static [&'static str],
    /// Fields the lists expand (`expand[]`). An event's object never has
    /// them expanded, so changed objects of such a kind are re-read by id.
    pub expand: &'static [&'static str],
    land: for<'a> fn(&'a Value, &'a StreamCtx, &'a WriterHandle<StripeCursor>) -> LandFuture<'a>,
}

type LandFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Result<bool, Error>> + Send + 'a>>;

fn land_as<'a, M: Model + Send + Sync + 'static>(
    raw: &'a Value,
    ctx: &'a StreamCtx,
    w: &'a WriterHandle<StripeCursor>,
) -> LandFuture<'a> {
    Box::pin(land::<M>(STRIPE, raw, None, ctx, w))
}

pub const KINDS: &[Kind] = &[
    Kind {
        stream: "charges",
        path: "v1/charges",
        object: "charge",
        event_types: &[
            "charge.captured",
            "charge.expired",
            "charge.failed",
            "charge.pending",
            "charge.refunded",
            "charge.succeeded",
            "charge.updated",
        ],
        expand: &[],
        land: land_as::<models::Charge>,
    },
    Kind {
        stream: "balance_transactions",
        path: "v1/balance_transactions",
        object: "balance_transaction",
        event_types: &[],
        expand: &[],
        land: land_as::<models::BalanceTransaction>,
    },
    Kind {
        stream: "refunds",
        path: "v1/refunds",
        object: "refund",
        event_types: &[
            "charge.refund.updated",
            "refund.created",
            "refund.updated",
            "refund.failed",
        ],
        expand: &[],
        land: land_as::<models::Refund>,
    },
    Kind {
        stream: "payouts",
        path: "v1/payouts",
        object: "payout",
        event_types: &[
            "payout.canceled",
            "payout.created",
            "payout.failed",
            "payout.paid",
            "payout.reconciliation_completed",
            "payout.updated",
        ],
        expand: &[],
        land: land_as::<models::Payout>,
    },
    Kind {
        stream: "disputes",
        path: "v1/disputes",
        object: "dispute",
        event_types: &[
            "charge.dispute.closed",
            "charge.dispute.created",
            "charge.dispute.funds_reinstated",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
        ],
        expand: &[],
        land: land_as::<models::Dispute>,
    },
    Kind {
        stream: "customers",
        path: "v1/customers",
        object: "customer",
        event_types: &["customer.created", "customer.deleted", "customer.updated"],
        expand: &[],
        land: land_as::<models::Customer>,
    },
    Kind {
        stream: "products",
        path: "v1/products",
        object: "product",
        event_types: &["product.created", "product.deleted", "product.updated"],
        expand: &[],
        land: land_as::<models::Product>,
    },
];

pub fn kind(stream: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.stream == stream)
}

#[derive(Deserialize)]
struct ListPage {
    data: Vec<Value>,
    #[serde(default)]
    has_more: bool,
}

/// Cuts `[lower, upper)` into windows on a grid of `width` seconds from the
/// Unix epoch (whole UTC days, so windows never share a partition).
pub fn windows(lower: i64, upper: i64, width: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut s = lower;
    let width = width.max(86_400);
    while s < upper {
        let e = ((s.div_euclid(width) + 1) * width).min(upper);
        out.push((s, e));
        s = e;
    }
    out
}

/// The created ranges phase 1 reads over `[lower, upper)`, on the window
/// grid. Windows that lie wholly below `backfilled_until` are the late margin
/// and are read again whole, on purpose; a window that an interrupted run had
/// split and partly finished ahead of the cursor is read only where it is not
/// done. (Leaving out every window below the cursor as done skipped the
/// margin whenever it was a window of its own: a run in the same second as
/// the last one, or the last run ending less than the margin after midnight
/// UTC. The object listed late was then never read.)
pub fn created_ranges(cur: &StripeCursor, lower: i64, upper: i64, width: i64) -> Vec<(i64, i64)> {
    windows(lower, upper, width)
        .into_iter()
        .flat_map(|(s, e)| {
            if cur.backfilled_until.is_some_and(|u| e <= u) {
                vec![(s, e)]
            } else {
                cur.gaps(s, e)
            }
        })
        .collect()
}

/// What is left to read of a created window: objects created in
/// `[lo, hi)`, after the object `after` when set (Stripe lists newest
/// first, so `after` is the oldest object read so far).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Range {
    /// Which of the run's windows it is part of.
    window: usize,
    lo: i64,
    hi: i64,
    after: Option<String>,
}

/// A page read: its range, and where to go on when it has more.
struct Page {
    range: Range,
    more: Option<More>,
}

struct More {
    last_id: String,
    /// `created` of the page's oldest and newest objects (seconds).
    last_created: Option<i64>,
    newest_created: Option<i64>,
    count: usize,
}

/// A piece cut from a dense range is worth a request that may come back
/// part full only when it holds this many pages or more.
pub const MIN_PIECE_PAGES: u64 = 8;

/// Splits the rest of a range being read newest first. Its last page held
/// `count` objects created in `[last, newest]`; what is left is `[lo, last]`
/// (objects created at `last` after the page's last id included). When that
/// holds, at the same density, enough pages for two pieces or more, it is cut
/// into up to `free + 1` equal spans of at least [`MIN_PIECE_PAGES`] pages
/// each. Returns the new lower bound of the range being read (its chain goes
/// on with `starting_after`, now over `[cut, hi)` only) and the pieces below
/// `cut` to read on their own; no pieces when it is not worth it.
pub fn split_dense(
    lo: i64,
    last: i64,
    newest: i64,
    count: usize,
    free: usize,
) -> (i64, Vec<(i64, i64)>) {
    let rest_secs = last.saturating_add(1).saturating_sub(lo);
    if rest_secs < 2 || free == 0 || count == 0 {
        return (lo, Vec::new());
    }
    // Objects per second on the page just read (one second at least: many
    // objects can share a `created`).
    let seen_secs = newest.saturating_sub(last).saturating_add(1).max(1);
    let rest = u128::from(count as u64) * u128::try_from(rest_secs).unwrap_or(0)
        / u128::try_from(seen_secs).unwrap_or(1);
    let pages = u64::try_from(rest / u128::from(PAGE_LIMIT)).unwrap_or(u64::MAX);
    let pieces = (pages / MIN_PIECE_PAGES)
        .min(free as u64 + 1)
        .min(u64::try_from(rest_secs).unwrap_or(0));
    if pieces < 2 {
        return (lo, Vec::new());
    }
    let pieces = i64::try_from(pieces).unwrap_or(2);
    let width = rest_secs / pieces;
    let cuts: Vec<i64> = (0..pieces).map(|i| lo + i * width).collect();
    let children = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    (cuts[cuts.len() - 1], children)
}

fn iso(ts: i64) -> String {
    Utc.timestamp_opt(ts, 0)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ts.to_string())
}

/// One run of one Stripe stream.
pub struct StripeStream<'a> {
    pub kind: &'static Kind,
    pub api: Arc<ApiClient>,
    pub ctx: &'a StreamCtx,
    pub writer: WriterHandle<StripeCursor>,
    pub settings: &'a StripeSettings,
}

impl StripeStream<'_> {
    /// Runs the three phases from `cursor` (the state when the run began).
    pub async fn run(
        &self,
        cursor: StripeCursor,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let run_start = Utc::now().timestamp();
        let overlap = i64::try_from(self.settings.overlap.as_secs()).unwrap_or(0);
        let width = i64::from(self.settings.window_days.max(1)) * 86_400;

        // Where the backfill starts; an earlier `--since` than the stored one
        // starts it over (the merge keeps it free of duplicates).
        let mut cur = cursor;
        let asked = since.map(|s| s.timestamp());
        let stored = cur.since;
        let effective_since = match (stored, asked) {
            (Some(s), Some(a)) if a < s => {
                self.ctx.note(&format!(
                    "--since {} is before the stored start; backfilling again",
                    iso(a)
                ));
                cur.backfilled_until = None;
                cur.done_ahead.clear();
                a
            }
            (Some(s), _) => s,
            (None, Some(a)) => a,
            (None, None) => self.settings.default_since.timestamp(),
        };
        cur.since = Some(effective_since);
        let reset = cur.backfilled_until.is_none();
        self.writer
            .checkpoint(move |c: &mut StripeCursor| {
                if c.since != Some(effective_since) {
                    c.since = Some(effective_since);
                }
                if reset {
                    c.backfilled_until = None;
                    c.done_ahead.clear();
                }
            })
            .await?;

        // Phase 1: created windows from the cursor (less the overlap) to now.
        let mut lower = cur
            .backfilled_until
            .map_or(effective_since, |u| (u - overlap).max(effective_since));
        if cur.backfilled_until.is_none() {
            // A first backfill from years back: find where the data starts
            // (a few requests) instead of reading one empty window a month.
            let first = self
                .first_day_with_data(lower, run_start)
                .await?
                .unwrap_or(run_start);
            if first > lower {
                let (from, to) = (lower, first);
                self.writer
                    .checkpoint(move |c: &mut StripeCursor| c.mark_done(from, to))
                    .await?;
                lower = first;
            }
        }
        let todo = created_ranges(&cur, lower, run_start, width);
        if !todo.is_empty() {
            self.ctx.note(&format!(
                "{} created windows from {} to {}",
                todo.len(),
                iso(lower),
                iso(run_start)
            ));
        }
        self.read_ranges(todo, Some(run_start)).await?;
        self.writer
            .checkpoint(move |c: &mut StripeCursor| {
                c.events_since.get_or_insert(run_start);
                c.last_reread_at.get_or_insert(run_start);
            })
            .await?;

        // Phase 2: changes through the events API.
        let reread_every = i64::try_from(self.settings.reread_every.as_secs()).unwrap_or(i64::MAX);
        let mut reread_from = match cur.last_reread_at {
            Some(t) if run_start - t >= reread_every => Some(
                (run_start - i64::from(self.settings.reread_days) * 86_400).max(effective_since),
            ),
            _ => None,
        };
        if let Some(es) = cur.events_since {
            let retention = i64::try_from(EVENTS_RETENTION.as_secs()).unwrap_or(i64::MAX);
            if run_start - es > retention - 86_400 {
                self.ctx.note(&format!(
                    "last events read {} is beyond Stripe's 30-day retention of events; \
                     re-reading every object created since {} instead (deletions in the gap \
                     are not seen)",
                    iso(es),
                    iso(effective_since)
                ));
                reread_from = Some(effective_since);
            } else if !self.kind.event_types.is_empty() {
                self.read_events(es - overlap).await?;
            }
            self.writer
                .checkpoint(move |c: &mut StripeCursor| c.events_since = Some(run_start))
                .await?;
        }

        // Phase 3: the periodic re-read of recent windows.
        if let Some(from) = reread_from
            && from < lower
        {
            let again = windows(from, lower, width);
            self.ctx.note(&format!(
                "re-reading {} windows from {}",
                again.len(),
                iso(from)
            ));
            self.read_ranges(again, None).await?;
            self.writer
                .checkpoint(move |c: &mut StripeCursor| c.last_reread_at = Some(run_start))
                .await?;
        }
        Ok(())
    }

    /// Whether any object was created in `[start, end)`.
    async fn any_in(&self, start: i64, end: i64) -> Result<bool, Error> {
        let q = [
            ("limit", "1".to_owned()),
            ("created[gte]", start.to_string()),
            ("created[lt]", end.to_string()),
        ];
        let describe = || format!("probe [{}, {})", iso(start), iso(end));
        let page: ListPage = self
            .api
            .get_json(self.kind.path, &q, self.ctx, &describe)
            .await?;
        Ok(!page.data.is_empty())
    }

    /// The start of the first UTC day in `[lo, hi)` with an object, by
    /// bisection over days: about log2(days) requests.
    async fn first_day_with_data(&self, lo: i64, hi: i64) -> Result<Option<i64>, Error> {
        const DAY: i64 = 86_400;
        if lo >= hi || !self.any_in(lo, hi).await? {
            return Ok(None);
        }
        // [lo, a) is empty and [lo, b) is not; `a` stays on the day grid.
        let mut a = lo.div_euclid(DAY) * DAY;
        let mut b = hi;
        while b - a > DAY {
            let mid = a + ((b - a) / (2 * DAY)).max(1) * DAY;
            if self.any_in(lo, mid).await? {
                b = mid;
            } else {
                a = mid;
            }
        }
        Ok(Some(a.max(lo)))
    }

    /// Reads every object created in each of `windows`, splitting dense
    /// ones (see [`split_dense`]) so that up to `window_concurrency` pages
    /// are in flight; the rate limiters pace them. With `checkpoint` (the
    /// run's start), each finished range is marked done in the cursor once
    /// its rows are durable.
    ///
    /// Depth before breadth: the pieces of open windows go first, and at
    /// most a quarter of `window_concurrency` windows are open at once. Each
    /// flush of the writer rewrites every partition it touches, so chains
    /// spread over few days cost less than as many chains over many months.
    async fn read_ranges(
        &self,
        windows: Vec<(i64, i64)>,
        checkpoint: Option<i64>,
    ) -> Result<(), Error> {
        let cap = self.settings.window_concurrency.max(1);
        let max_open = (cap / 4).max(1);
        let mut windows: VecDeque<(usize, (i64, i64))> = windows.into_iter().enumerate().collect();
        // Ranges still to read, and per open window how many it has left.
        let mut pieces: VecDeque<Range> = VecDeque::new();
        let mut open: HashMap<usize, usize> = HashMap::new();
        let mut running = futures::stream::FuturesUnordered::new();
        let mut splits = 0u64;
        loop {
            while running.len() < cap {
                if let Some(r) = pieces.pop_front() {
                    running.push(self.read_page(r));
                } else if open.len() < max_open
                    && let Some((w, (lo, hi))) = windows.pop_front()
                {
                    open.insert(w, 1);
                    running.push(self.read_page(Range {
                        window: w,
                        lo,
                        hi,
                        after: None,
                    }));
                } else {
                    break;
                }
            }
            let Some(page) = running.next().await else {
                break;
            };
            let Page { mut range, more } = page?;
            let Some(more) = more else {
                // The range is read to its end: every object created in
                // [lo, hi) has been sent to the writer, ahead of this.
                if let Some(left) = open.get_mut(&range.window) {
                    *left -= 1;
                    if *left == 0 {
                        open.remove(&range.window);
                    }
                }
                if let Some(run_start) = checkpoint {
                    let (s, e) = (range.lo, range.hi);
                    self.writer
                        .checkpoint(move |c: &mut StripeCursor| {
                            c.mark_done(s, e);
                            // A first backfill is also a full re-read, and the
                            // events from its start on are what the next run reads.
                            c.events_since.get_or_insert(run_start);
                            c.last_reread_at.get_or_insert(run_start);
                        })
                        .await?;
                }
                continue;
            };
            // Room for more chains than are running or waiting: split what
            // this one still has to read, if it is dense enough to pay.
            let free = cap.saturating_sub(running.len() + pieces.len() + 1);
            if free > 0
                && let (Some(last), Some(newest)) = (more.last_created, more.newest_created)
            {
                let (cut, children) = split_dense(range.lo, last, newest, more.count, free);
                if !children.is_empty() {
                    splits += 1;
                    range.lo = cut;
                    *open.entry(range.window).or_default() += children.len();
                    pieces.extend(children.into_iter().map(|(lo, hi)| Range {
                        window: range.window,
                        lo,
                        hi,
                        after: None,
                    }));
                }
            }
            range.after = Some(more.last_id);
            // The continuing chain first: it is the oldest work.
            pieces.push_front(range);
        }
        if splits > 0 {
            self.ctx
                .note(&format!("dense created ranges split {splits} time(s)"));
        }
        Ok(())
    }

    /// Reads one page of `range` and lands it.
    async fn read_page(&self, range: Range) -> Result<Page, Error> {
        let mut q = vec![
            ("limit", PAGE_LIMIT.to_string()),
            ("created[gte]", range.lo.to_string()),
            ("created[lt]", range.hi.to_string()),
        ];
        for f in self.kind.expand {
            q.push(("expand[]", format!("data.{f}")));
        }
        if let Some(a) = &range.after {
            q.push(("starting_after", a.clone()));
        }
        let describe = || {
            format!(
                "window [{}, {}) after `{}`",
                iso(range.lo),
                iso(range.hi),
                range.after.as_deref().unwrap_or("(start)")
            )
        };
        let mut page: ListPage = self
            .api
            .get_json(self.kind.path, &q, self.ctx, &describe)
            .await?;
        let mut valid = 0;
        for item in &mut page.data {
            stamp_version(item, &self.settings.api_version);
            if (self.kind.land)(item, self.ctx, &self.writer).await? {
                valid += 1;
            }
        }
        self.ctx.page_done(valid);
        if !page.has_more || page.data.is_empty() {
            return Ok(Page { range, more: None });
        }
        let created = |v: Option<&Value>| v.and_then(|v| v.get("created")).and_then(Value::as_i64);
        let last_id = page
            .data
            .last()
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(last_id) = last_id else {
            return Err(Error::Protocol {
                stream: self.ctx.name.clone(),
                cursor: describe(),
                reason: "the last record of a page has no `id` to continue from".to_owned(),
            });
        };
        let more = More {
            last_id,
            last_created: created(page.data.last()),
            newest_created: created(page.data.first()),
            count: page.data.len(),
        };
        Ok(Page {
            range,
            more: Some(more),
        })
    }

    /// Lands the changes of events created at or after `since`: for each
    /// object, its newest event decides (events are listed newest first).
    async fn read_events(&self, since: i64) -> Result<(), Error> {
        self.ctx
            .note(&format!("reading changes since {}", iso(since)));
        let mut after: Option<String> = None;
        // Ids already decided by a newer event; only ids, so the memory is
        // one string per changed object, not its body.
        let mut seen: HashSet<String> = HashSet::new();
        let mut to_fetch: BTreeSet<String> = BTreeSet::new();
        let mut tombstones = 0u64;
        loop {
            let mut q = vec![
                ("limit", PAGE_LIMIT.to_string()),
                ("created[gte]", since.to_string()),
            ];
            for t in self.kind.event_types {
                q.push(("types[]", (*t).to_owned()));
            }
            if let Some(a) = &after {
                q.push(("starting_after", a.clone()));
            }
            let describe = || {
                format!(
                    "events since {} after `{}`",
                    iso(since),
                    after.as_deref().unwrap_or("(start)")
                )
            };
            let page: ListPage = self
                .api
                .get_json("v1/events", &q, self.ctx, &describe)
                .await?;
            let mut valid = 0;
            for ev in &page.data {
                let Some(obj) = ev.pointer("/data/object") else {
                    continue;
                };
                if obj.get("object").and_then(Value::as_str) != Some(self.kind.object) {
                    continue;
                }
                let Some(id) = obj.get("id").and_then(Value::as_str) else {
                    continue;
                };
                if !seen.insert(id.to_owned()) {
                    continue; // an older event of an object already decided
                }
                let ev_type = ev.get("type").and_then(Value::as_str).unwrap_or_default();
                let ev_version = ev.get("api_version").and_then(Value::as_str);
                let mut obj = obj.clone();
                if ev_type.ends_with(".deleted") {
                    // Gone from the lists and (products) from retrieve: the
                    // event's copy is the last there will ever be.
                    if let Some(m) = obj.as_object_mut() {
                        m.insert("deleted".to_owned(), Value::Bool(true));
                        m.insert(
                            "deleted_at".to_owned(),
                            ev.get("created").cloned().unwrap_or(Value::Null),
                        );
                    }
                    stamp_version(&mut obj, ev_version.unwrap_or_default());
                    if (self.kind.land)(&obj, self.ctx, &self.writer).await? {
                        valid += 1;
                        tombstones += 1;
                    }
                } else if ev_version == Some(self.settings.api_version.as_str())
                    && self.kind.expand.is_empty()
                {
                    // Rendered at the pinned version with nothing to expand:
                    // the event's copy is what a retrieve would answer then.
                    stamp_version(&mut obj, &self.settings.api_version);
                    if (self.kind.land)(&obj, self.ctx, &self.writer).await? {
                        valid += 1;
                    }
                } else {
                    to_fetch.insert(id.to_owned());
                }
            }
            self.ctx.page_done(valid);
            // Bounded: re-read in chunks instead of collecting every id.
            if to_fetch.len() >= 200 {
                self.refetch(std::mem::take(&mut to_fetch)).await?;
            }
            if !page.has_more || page.data.is_empty() {
                break;
            }
            let next = page
                .data
                .last()
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let Some(next) = next else {
                return Err(Error::Protocol {
                    stream: self.ctx.name.clone(),
                    cursor: describe(),
                    reason: "the last event of a page has no `id` to continue from".to_owned(),
                });
            };
            after = Some(next);
        }
        if tombstones > 0 {
            self.ctx.note(&format!(
                "{tombstones} deleted {}(s) landed as tombstones",
                self.kind.object
            ));
        }
        self.refetch(to_fetch).await
    }

    /// Re-reads objects by id at the pinned version, a few at a time. A
    /// 400, 403 or 404 fails the stream like any other request: an object
    /// an event named that cannot be read is a change that would be lost.
    async fn refetch(&self, ids: BTreeSet<String>) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut results = futures::stream::iter(ids)
            .map(|id| async move {
                let path = format!("{}/{id}", self.kind.path);
                let q: Vec<(&str, String)> = self
                    .kind
                    .expand
                    .iter()
                    .map(|f| ("expand[]", (*f).to_owned()))
                    .collect();
                let describe = || format!("{} `{id}` (GET /{path})", self.kind.object);
                let r = self
                    .api
                    .get_json::<Value>(&path, &q, self.ctx, &describe)
                    .await;
                (id, r)
            })
            .buffer_unordered(self.settings.fetch_concurrency.max(1));
        let mut valid = 0;
        while let Some((id, r)) = results.next().await {
            let mut v = r?;
            if v.get("deleted").and_then(Value::as_bool) == Some(true) {
                // Deleted after its events were listed (a customer stub
                // has no `created` to land by): its `*.deleted` event is
                // newer than this run's events cursor, so the next run
                // lands the tombstone.
                self.ctx.note(&format!(
                    "{} `{id}` was deleted during the run; its tombstone lands next run",
                    self.kind.object
                ));
                continue;
            }
            stamp_version(&mut v, &self.settings.api_version);
            if (self.kind.land)(&v, self.ctx, &self.writer).await? {
                valid += 1;
            }
        }
        self.ctx.page_done(valid);
        Ok(())
    }
}

/// Records the API version `v` rendered at (Stripe objects do not say).
fn stamp_version(v: &mut Value, version: &str) {
    if let Some(m) = v.as_object_mut() {
        m.insert("api_version".to_owned(), Value::String(version.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_a_day_aligned_grid() {
        let day = 86_400;
        // From mid-day 1 to mid-day 5 with 2-day windows: the first is
        // clipped, the others on the grid, the last clipped to the upper bound.
        let w = windows(day + 100, 5 * day + 7, 2 * day);
        assert_eq!(
            w,
            [
                (day + 100, 2 * day),
                (2 * day, 4 * day),
                (4 * day, 5 * day + 7)
            ]
        );
        assert!(windows(10, 10, day).is_empty());
    }

    #[test]
    fn cursor_advances_only_over_a_contiguous_prefix() {
        let mut c = StripeCursor {
            since: Some(0),
            ..StripeCursor::default()
        };
        c.mark_done(20, 30);
        assert_eq!(c.backfilled_until, Some(0));
        assert!(c.gaps(20, 30).is_empty());
        c.mark_done(0, 10);
        assert_eq!(c.backfilled_until, Some(10));
        c.mark_done(10, 20);
        assert_eq!(c.backfilled_until, Some(30));
        assert!(c.done_ahead.is_empty());
        // An overlapping re-read window that starts before the cursor.
        c.mark_done(25, 40);
        assert_eq!(c.backfilled_until, Some(40));
    }

    #[test]
    fn the_late_margin_is_read_again_even_as_a_window_of_its_own() {
        let day = 86_400;
        let done = |until| StripeCursor {
            since: Some(0),
            backfilled_until: Some(until),
            ..StripeCursor::default()
        };
        // The next run in the same second: the margin is all there is.
        let at = 10 * day + 3_600;
        assert_eq!(
            created_ranges(&done(at), at - 600, at, day),
            [(at - 600, at)]
        );
        // The last run ended 5 minutes after midnight: the margin's part
        // before midnight is a window of its own, below the cursor.
        let at = 10 * day + 300;
        assert_eq!(
            created_ranges(&done(at), at - 600, at + 7_200, day),
            [(at - 600, 10 * day), (10 * day, at + 7_200)]
        );
        // Ranges finished ahead of the cursor are still left out.
        let mut c = done(at);
        c.done_ahead.insert(at + 60, at + 120);
        assert_eq!(
            created_ranges(&c, at - 600, at + 7_200, day),
            [
                (at - 600, 10 * day),
                (10 * day, at + 60),
                (at + 120, at + 7_200)
            ]
        );
    }

    #[test]
    fn gaps_leave_out_what_an_interrupted_split_finished() {
        let mut c = StripeCursor {
            since: Some(0),
            ..StripeCursor::default()
        };
        c.mark_done(0, 10);
        // A split window [10, 100): two of its pieces were durable.
        c.mark_done(40, 60);
        c.mark_done(80, 90);
        assert_eq!(c.gaps(10, 100), [(10, 40), (60, 80), (90, 100)]);
        assert_eq!(c.gaps(50, 85), [(60, 80)]);
        assert!(c.gaps(0, 10).is_empty());
        assert_eq!(c.gaps(100, 200), [(100, 200)]);
        // Finishing the gaps moves the cursor over the whole window.
        for (s, e) in c.gaps(10, 100) {
            c.mark_done(s, e);
        }
        assert_eq!(c.backfilled_until, Some(100));
        assert!(c.done_ahead.is_empty());
    }

    #[test]
    fn only_dense_rests_are_split() {
        // A page of 100 spanning one second, 10,000 seconds left: about a
        // million objects, cut into free + 1 equal pieces.
        let (cut, pieces) = split_dense(0, 9_999, 9_999, 100, 3);
        assert_eq!(pieces, [(0, 2_500), (2_500, 5_000), (5_000, 7_500)]);
        assert_eq!(cut, 7_500);
        // A page of 100 spanning 1,000 seconds with 1,000 left: one page
        // more, not worth a split.
        assert_eq!(split_dense(0, 999, 1_999, 100, 8), (0, Vec::new()));
        // One object a second: enough left for two pieces of
        // MIN_PIECE_PAGES, not for nine.
        let pages = 2 * MIN_PIECE_PAGES as i64;
        let last = pages * 100 - 1;
        let (cut, pieces) = split_dense(0, last, last + 99, 100, 8);
        assert_eq!((cut, pieces.len()), (pages * 50, 1));
        // Everything left shares one second: nothing to cut.
        assert_eq!(split_dense(5, 5, 5, 100, 8), (5, Vec::new()));
        // No free capacity, no split.
        assert_eq!(split_dense(0, 9_999, 9_999, 100, 0), (0, Vec::new()));
        // The pieces and the rest tile [lo, last] with no gap or overlap.
        let (cut, pieces) = split_dense(17, 1_000_016, 1_000_016, 100, 7);
        assert_eq!(pieces.first().map(|p| p.0), Some(17));
        assert!(pieces.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!(pieces.last().map(|p| p.1), Some(cut));
        assert!(cut <= 1_000_016);
    }

    #[test]
    fn default_rates_are_stripes_published_limits() {
        // https://docs.stripe.com/rate-limits: 100/s live, 25/s test in all,
        // and 25/s for each endpoint.
        let s = StripeSettings::default();
        assert_eq!(s.rate_for("sk_live_x"), 100.0);
        assert_eq!(s.rate_for("rk_live_x"), 100.0);
        assert_eq!(s.rate_for("sk_test_x"), 25.0);
        assert_eq!(s.endpoint_rate(), 25.0);
        let s = StripeSettings {
            rps: Some(5.0),
            ..StripeSettings::default()
        };
        assert_eq!(s.rate_for("sk_live_x"), 5.0);
        assert_eq!(s.endpoint_rate(), 25.0);
        // `--stripe-rps 0` is unpaced, the endpoints too unless told.
        let s = StripeSettings {
            rps: Some(0.0),
            ..StripeSettings::default()
        };
        assert_eq!(s.endpoint_rate(), 0.0);
    }

    #[test]
    fn operations_are_named_as_stripe_counts_them() {
        assert_eq!(operation("v1/charges"), "GET /v1/charges");
        assert_eq!(operation("/v1/charges/ch_123"), "GET /v1/charges/{id}");
        assert_eq!(operation("v1/charges/ch_9"), operation("v1/charges/ch_1"));
        assert_eq!(operation("v1/events"), "GET /v1/events");
    }

    /// Stripe's published event types (`stripe_event_types.tsv`, with its
    /// source and date) against each stream's table: every type whose
    /// `data.object` is the stream's object must be read, or its changes are
    /// lost without a word (Airbyte's source-stripe missed types for years:
    /// airbytehq/airbyte#49811, #36070, #39393; so did tap-stripe). And no
    /// type in a table may be unknown to Stripe.
    #[test]
    fn event_tables_cover_stripes_published_event_types() {
        let published: Vec<(&str, &str)> = include_str!("stripe_event_types.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split_once('\t'))
            .collect();
        assert!(published.len() > 200, "{} types", published.len());
        // stripe-node names the object's type in CamelCase.
        let camel = |object: &str| -> String {
            object
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect::<String>())
                        .unwrap_or_default()
                })
                .collect()
        };
        let mut problems = Vec::new();
        for kind in KINDS {
            let want: BTreeSet<&str> = published
                .iter()
                .filter(|(_, o)| *o == camel(kind.object))
                .map(|(t, _)| *t)
                .collect();
            let have: BTreeSet<&str> = kind.event_types.iter().copied().collect();
            for t in want.difference(&have) {
                problems.push(format!(
                    "{}: `{t}` changes a {} but is not read",
                    kind.stream, kind.object
                ));
            }
            for t in have.difference(&want) {
                problems.push(format!(
                    "{}: `{t}` is not a published {} event",
                    kind.stream, kind.object
                ));
            }
            // Stripe's `types[]` filter takes up to 20 types.
            assert!(kind.event_types.len() <= 20, "{}", kind.stream);
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // Kinds Stripe deletes have their `*.deleted` type, which lands the
        // tombstone.
        for stream in ["customers", "products"] {
            let k = kind(stream).expect("kind");
            assert!(
                k.event_types.iter().any(|t| t.ends_with(".deleted")),
                "{stream}"
            );
        }
    }
}

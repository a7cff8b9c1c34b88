//! The fake Stripe API: charges, balance transactions, refunds, payouts,
//! disputes, customers and products generated from their index; list with
//! `created` filters and `starting_after`; retrieve by id; `/v1/events` for
//! changes and deletions. What it fakes follows Stripe's documentation:
//!
//! - Events (<https://docs.stripe.com/api/events>): every change records an
//!   event of a published type (`charge.updated`, `customer.deleted`, ...)
//!   whose `data.object` is the object as it was, rendered at the account's
//!   API version of that moment (the event's `api_version`), never at the
//!   request's `Stripe-Version`. `GET /v1/events` lists only the last 30 days
//!   ("We only guarantee access to events through the Retrieve Event API for
//!   30 days"), newest first.
//! - Deletions (<https://docs.stripe.com/api/customers/delete>,
//!   <https://docs.stripe.com/api/products/delete>): a deleted object leaves
//!   its list; retrieving a deleted customer answers
//!   `{"id", "object": "customer", "deleted": true}`, a deleted product 404.
//! - Versions (<https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand>):
//!   before `2022-11-15` a charge carries its `refunds` sublist; from that
//!   version on it does not. Lists and retrieves render at the request's
//!   `Stripe-Version`, else the account's version.
//! - Rate limits (<https://docs.stripe.com/rate-limits>): when set, a global
//!   limit and a limit per named operation (`GET /v1/charges` and
//!   `GET /v1/charges/{id}` are two), each request counting against both; a
//!   refused request is a 429 with `Stripe-Rate-Limited-Reason`
//!   (`global-rate` or `endpoint-rate`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::{EPOCH, FakeConfig, FaultGate, SPAN, STRIPE_KEY, alnum, error, mix, now_unix};

/// The account's API version unless a test changes it: the version
/// twh-extract pins, so events render as the lists do.
pub const ACCOUNT_API_VERSION: &str = twh_extract::sources::stripe::API_VERSION;
/// From this version on a charge no longer carries its `refunds` sublist.
const CHARGE_REFUNDS_DROPPED: &str = "2022-11-15";

/// The object kinds, in the order of their paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Charge,
    BalanceTransaction,
    Refund,
    Payout,
    Dispute,
    Customer,
    Product,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Charge,
        Kind::BalanceTransaction,
        Kind::Refund,
        Kind::Payout,
        Kind::Dispute,
        Kind::Customer,
        Kind::Product,
    ];

    pub fn from_path(p: &str) -> Option<Kind> {
        Some(match p {
            "charges" => Kind::Charge,
            "balance_transactions" => Kind::BalanceTransaction,
            "refunds" => Kind::Refund,
            "payouts" => Kind::Payout,
            "disputes" => Kind::Dispute,
            "customers" => Kind::Customer,
            "products" => Kind::Product,
            _ => return None,
        })
    }

    /// The table / stream name.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Charge => "charges",
            Kind::BalanceTransaction => "balance_transactions",
            Kind::Refund => "refunds",
            Kind::Payout => "payouts",
            Kind::Dispute => "disputes",
            Kind::Customer => "customers",
            Kind::Product => "products",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Kind::Charge => "ch_",
            Kind::BalanceTransaction => "txn_",
            Kind::Refund => "re_",
            Kind::Payout => "po_",
            Kind::Dispute => "dp_",
            Kind::Customer => "cus_",
            Kind::Product => "prod_",
        }
    }

    fn object(self) -> &'static str {
        match self {
            Kind::Charge => "charge",
            Kind::BalanceTransaction => "balance_transaction",
            Kind::Refund => "refund",
            Kind::Payout => "payout",
            Kind::Dispute => "dispute",
            Kind::Customer => "customer",
            Kind::Product => "product",
        }
    }

    fn update_event(self) -> Option<&'static str> {
        match self {
            Kind::Charge => Some("charge.updated"),
            Kind::Refund => Some("refund.updated"),
            Kind::Payout => Some("payout.updated"),
            Kind::Dispute => Some("charge.dispute.updated"),
            Kind::Customer => Some("customer.updated"),
            Kind::Product => Some("product.updated"),
            Kind::BalanceTransaction => None,
        }
    }

    /// The `*.deleted` event, for the kinds Stripe can delete.
    fn delete_event(self) -> Option<&'static str> {
        match self {
            Kind::Customer => Some("customer.deleted"),
            Kind::Product => Some("product.deleted"),
            _ => None,
        }
    }

    fn salt(self) -> u64 {
        self as u64 + 11
    }
}

/// The fake's data and changes.
pub struct StripeFake {
    seed: u64,
    charges: u64,
    malformed_every: u64,
    gate: FaultGate,
    epoch: i64,
    span: i64,
    /// `(created[gte], created[lt])` of every list request, per kind: the
    /// ranges a run read (tests count the sub-ranges of a split).
    ranges: Mutex<HashMap<Kind, Vec<(i64, i64)>>>,
    overrides: Mutex<HashMap<(Kind, u64), Map<String, Value>>>,
    /// Deleted objects: the event's `created` and the version it rendered at.
    deleted: Mutex<HashMap<(Kind, u64), (i64, String)>>,
    events: Mutex<Vec<Value>>,
    mutations: Mutex<u64>,
    account_version: Mutex<String>,
    /// Objects created less than this many seconds ago are not listed yet.
    list_delay: AtomicI64,
    /// List pages that would hold an object created before this (Unix
    /// seconds; 0: never) get a 503, so one piece of a split window never
    /// finishes while the others do, and the run stops mid-split.
    refuse_below: AtomicI64,
    limits: Option<Limits>,
}

/// Stripe's rate limits, as token buckets per second.
struct Limits {
    global: Bucket,
    per_endpoint: f64,
    endpoints: Mutex<HashMap<String, Bucket>>,
}

/// A token bucket holding at most one second of tokens.
struct Bucket {
    rate: f64,
    state: Mutex<(f64, std::time::Instant)>,
}

impl Bucket {
    fn new(rate: f64) -> Self {
        Bucket {
            rate,
            state: Mutex::new((rate, std::time::Instant::now())),
        }
    }

    fn take(&self) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return true;
        };
        let now = std::time::Instant::now();
        let refill = now.duration_since(st.1).as_secs_f64() * self.rate;
        st.0 = (st.0 + refill).min(self.rate.max(1.0));
        st.1 = now;
        if st.0 >= 1.0 {
            st.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

impl StripeFake {
    pub(crate) fn new(cfg: &FakeConfig, gate: FaultGate) -> Self {
        StripeFake {
            seed: cfg.seed,
            charges: cfg.charges,
            malformed_every: cfg.faults.malformed_every,
            gate,
            epoch: cfg.stripe_epoch.unwrap_or(EPOCH),
            span: cfg.stripe_span.unwrap_or(SPAN).max(1),
            ranges: Mutex::new(HashMap::new()),
            overrides: Mutex::new(HashMap::new()),
            deleted: Mutex::new(HashMap::new()),
            events: Mutex::new(Vec::new()),
            mutations: Mutex::new(0),
            account_version: Mutex::new(ACCOUNT_API_VERSION.to_owned()),
            list_delay: AtomicI64::new(cfg.faults.stripe_list_delay_secs),
            refuse_below: AtomicI64::new(0),
            limits: cfg
                .faults
                .stripe_rate_limits
                .map(|(global, per_endpoint)| Limits {
                    global: Bucket::new(global),
                    per_endpoint,
                    endpoints: Mutex::new(HashMap::new()),
                }),
        }
    }

    /// Changes the account's API version: events created from now on render
    /// their object at it (as upgrading the account in the Dashboard does).
    pub fn set_account_api_version(&self, v: &str) {
        if let Ok(mut a) = self.account_version.lock() {
            *a = v.to_owned();
        }
    }

    fn account_api_version(&self) -> String {
        self.account_version
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Objects created less than `secs` ago stay out of lists (Stripe lists
    /// a new object some time after its `created`).
    pub fn set_list_delay(&self, secs: i64) {
        self.list_delay.store(secs, Ordering::Relaxed);
    }

    /// A 429 when the request exceeds a limit, naming which one.
    fn rate_limited(&self, operation: &str) -> Option<Response> {
        let l = self.limits.as_ref()?;
        let endpoint_ok = match l.endpoints.lock() {
            Ok(mut m) => m
                .entry(operation.to_owned())
                .or_insert_with(|| Bucket::new(l.per_endpoint))
                .take(),
            Err(_) => true,
        };
        let reason = if !endpoint_ok {
            "endpoint-rate"
        } else if !l.global.take() {
            "global-rate"
        } else {
            return None;
        };
        self.gate
            .stats
            .throttled
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        );
        r.headers_mut().insert(
            "stripe-rate-limited-reason",
            HeaderValue::from_static(reason),
        );
        Some(r)
    }

    /// List pages that would hold an object created before `t` are
    /// refused with a 503 (retried, then the stream fails); `None` lifts it.
    pub fn refuse_below(&self, t: Option<i64>) {
        self.refuse_below.store(t.unwrap_or(0), Ordering::Relaxed);
    }

    /// The distinct `created` ranges page requests of `kind` asked for
    /// (first pages and continuations alike; probes left out), sorted.
    pub fn ranges(&self, kind: Kind) -> Vec<(i64, i64)> {
        let mut v = self
            .ranges
            .lock()
            .map(|r| r.get(&kind).cloned().unwrap_or_default())
            .unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The `created` range of every page request of `kind`, in the order
    /// they came.
    pub fn range_log(&self, kind: Kind) -> Vec<(i64, i64)> {
        self.ranges
            .lock()
            .map(|r| r.get(&kind).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Page requests of `kind` served.
    pub fn list_requests(&self, kind: Kind) -> usize {
        self.ranges
            .lock()
            .map(|r| r.get(&kind).map_or(0, Vec::len))
            .unwrap_or_default()
    }

    /// How many objects of `kind` exist.
    pub fn count(&self, kind: Kind) -> u64 {
        let c = self.charges;
        match kind {
            Kind::Charge | Kind::BalanceTransaction => c,
            Kind::Refund => c / 10,
            Kind::Payout => c.div_ceil(200),
            Kind::Dispute => c.div_ceil(250),
            Kind::Customer => c.div_ceil(5),
            Kind::Product => c.div_ceil(100),
        }
    }

    fn charge_created(&self, i: u64) -> i64 {
        let c = i64::try_from(self.charges.max(1)).unwrap_or(i64::MAX);
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        self.epoch + i.saturating_mul(self.span) / c
    }

    /// Creation time; non-decreasing in the index within a kind.
    pub fn created(&self, kind: Kind, i: u64) -> i64 {
        let last = self.charges.saturating_sub(1);
        match kind {
            Kind::Charge | Kind::BalanceTransaction => self.charge_created(i),
            Kind::Refund => self.charge_created((i * 10 + 3).min(last)) + 3600,
            Kind::Dispute => self.charge_created((i * 250 + 7).min(last)) + 2 * 86_400,
            Kind::Payout | Kind::Customer | Kind::Product => {
                let n = i64::try_from(self.count(kind).max(1)).unwrap_or(1);
                let offset = match kind {
                    Kind::Payout => 43_200,
                    Kind::Customer => 600,
                    _ => 0,
                };
                self.epoch + i64::try_from(i).unwrap_or(0) * self.span / n + offset
            }
        }
    }

    pub fn id(&self, kind: Kind, i: u64) -> String {
        format!(
            "{}{i:010}{}",
            kind.prefix(),
            alnum(mix(self.seed, kind.salt(), i), 14)
        )
    }

    fn index_of(&self, kind: Kind, id: &str) -> Option<u64> {
        let rest = id.strip_prefix(kind.prefix())?;
        let i: u64 = rest.get(..10)?.parse().ok()?;
        (i < self.count(kind) && self.id(kind, i) == id).then_some(i)
    }

    /// Whether record `i` of `kind` is generated malformed.
    pub fn is_malformed(&self, i: u64) -> bool {
        self.malformed_every > 0 && (i + 1).is_multiple_of(self.malformed_every)
    }

    /// The current state of an object, changes included, rendered at the
    /// API version twh-extract pins.
    pub fn object(&self, kind: Kind, i: u64) -> Value {
        self.render(kind, i, ACCOUNT_API_VERSION)
    }

    /// The current state of an object rendered at API version `version`.
    pub fn render(&self, kind: Kind, i: u64, version: &str) -> Value {
        let h = mix(self.seed, kind.salt(), i);
        let created = self.created(kind, i);
        let currency = if h.is_multiple_of(7) { "eur" } else { "usd" };
        let amount = 500 + i64::try_from(h % 20_000).unwrap_or(0);
        let mut v = match kind {
            Kind::Charge => json!({
                "id": self.id(kind, i),
                "object": "charge",
                "amount": amount,
                "amount_captured": amount,
                "amount_refunded": 0,
                "balance_transaction": self.id(Kind::BalanceTransaction, i),
                "captured": true,
                "created": created,
                "currency": currency,
                "customer": format!("cus_{}", alnum(h >> 3, 14)),
                "description": format!("Ticket order {i}"),
                "livemode": false,
                "metadata": {"order_ref": format!("TS-{i}")},
                "paid": true,
                "refunded": false,
                "status": "succeeded",
                "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": format!("{:04}", h % 10_000)}},
            }),
            Kind::BalanceTransaction => json!({
                "id": self.id(kind, i),
                "object": "balance_transaction",
                "amount": amount,
                "available_on": created + 2 * 86_400,
                "created": created,
                "currency": currency,
                "fee": amount * 29 / 1000 + 30,
                "net": amount - (amount * 29 / 1000 + 30),
                "reporting_category": "charge",
                "source": self.id(Kind::Charge, i),
                "status": "available",
                "type": "charge",
            }),
            Kind::Refund => json!({
                "id": self.id(kind, i),
                "object": "refund",
                "amount": amount / 2,
                "charge": self.id(Kind::Charge, (i * 10 + 3).min(self.charges.saturating_sub(1))),
                "created": created,
                "currency": currency,
                "reason": "requested_by_customer",
                "status": "succeeded",
            }),
            Kind::Payout => json!({
                "id": self.id(kind, i),
                "object": "payout",
                "amount": amount * 150,
                "arrival_date": created + 2 * 86_400,
                "created": created,
                "currency": "usd",
                "method": "standard",
                "status": "paid",
            }),
            Kind::Dispute => json!({
                "id": self.id(kind, i),
                "object": "dispute",
                "amount": amount,
                "charge": self.id(Kind::Charge, (i * 250 + 7).min(self.charges.saturating_sub(1))),
                "created": created,
                "currency": currency,
                "reason": "fraudulent",
                "status": "needs_response",
            }),
            Kind::Customer => json!({
                "id": self.id(kind, i),
                "object": "customer",
                "created": created,
                "email": format!("buyer{i}@example.com"),
                "name": format!("Buyer {i}"),
                "livemode": false,
                "metadata": {},
            }),
            Kind::Product => json!({
                "id": self.id(kind, i),
                "object": "product",
                "active": true,
                "created": created,
                "name": format!("Ticket type {i}"),
                "livemode": false,
                "updated": created,
            }),
        };
        if kind == Kind::Charge
            && version < CHARGE_REFUNDS_DROPPED
            && let Some(m) = v.as_object_mut()
        {
            let id = self.id(kind, i);
            m.insert(
                "refunds".to_owned(),
                json!({"object": "list", "data": [], "has_more": false,
                       "url": format!("/v1/charges/{id}/refunds")}),
            );
        }
        if self.is_malformed(i)
            && let Some(m) = v.as_object_mut()
        {
            if matches!(kind, Kind::Customer | Kind::Product) {
                // A date string where Stripe sends Unix seconds.
                m.insert("created".to_owned(), json!("2025-01-01T00:00:00Z"));
            } else {
                // A decimal string where Stripe sends an integer.
                m.insert("amount".to_owned(), json!(format!("{}.00", amount / 100)));
            }
        }
        if let (Ok(o), Some(m)) = (self.overrides.lock(), v.as_object_mut())
            && let Some(patch) = o.get(&(kind, i))
        {
            for (k, val) in patch {
                m.insert(k.clone(), val.clone());
            }
        }
        v
    }

    /// Every valid object of `kind` as it should land (tests): rendered at
    /// the pinned version with `api_version` stamped, and each deleted
    /// object as its tombstone (the object as its `*.deleted` event carried
    /// it, `deleted: true`, `deleted_at` the event's time).
    pub fn expected(&self, kind: Kind) -> Vec<Value> {
        let deleted = self.deleted.lock().map(|d| d.clone()).unwrap_or_default();
        (0..self.count(kind))
            .filter(|i| !self.is_malformed(*i))
            .map(|i| match deleted.get(&(kind, i)) {
                Some((at, version)) => {
                    let mut v = self.render(kind, i, version);
                    if let Some(m) = v.as_object_mut() {
                        m.insert("api_version".to_owned(), json!(version));
                        m.insert("deleted".to_owned(), json!(true));
                        m.insert("deleted_at".to_owned(), json!(at));
                    }
                    v
                }
                None => {
                    let mut v = self.object(kind, i);
                    if let Some(m) = v.as_object_mut() {
                        m.insert("api_version".to_owned(), json!(ACCOUNT_API_VERSION));
                    }
                    v
                }
            })
            .collect()
    }

    fn is_deleted(&self, kind: Kind, i: u64) -> bool {
        self.deleted
            .lock()
            .is_ok_and(|d| d.contains_key(&(kind, i)))
    }

    /// Records an event of type `t` for object `i`, rendered at the
    /// account's version now.
    fn record_event(&self, t: &str, kind: Kind, i: u64) -> (i64, String) {
        let version = self.account_api_version();
        let created = now_unix();
        let object = self.render(kind, i, &version);
        if let Ok(mut ev) = self.events.lock() {
            let seq = ev.len() as u64;
            ev.push(json!({
                "id": format!("evt_{seq:010}{}", alnum(mix(self.seed, 77, seq), 10)),
                "object": "event",
                "api_version": version,
                "type": t,
                "created": created,
                "livemode": false,
                "pending_webhooks": 0,
                "data": {"object": object},
            }));
        }
        (created, version)
    }

    /// Deletes `n` objects of `kind` (deterministically chosen, valid, not
    /// yet deleted) and records a `*.deleted` event for each. Returns their
    /// ids; nothing for kinds Stripe cannot delete.
    pub fn delete(&self, kind: Kind, n: u64) -> Vec<String> {
        let Some(t) = kind.delete_event() else {
            return Vec::new();
        };
        let count = self.count(kind);
        let mut ids = Vec::new();
        let mut k = 0;
        while (ids.len() as u64) < n && k < count * 2 {
            let i = mix(self.seed, 4242, k) % count;
            k += 1;
            if self.is_malformed(i) || self.is_deleted(kind, i) {
                continue;
            }
            let at = self.record_event(t, kind, i);
            if let Ok(mut d) = self.deleted.lock() {
                d.insert((kind, i), at);
            }
            ids.push(self.id(kind, i));
        }
        ids
    }

    /// How many objects of `kind` are malformed (tests).
    pub fn malformed(&self, kind: Kind) -> u64 {
        (0..self.count(kind))
            .filter(|i| self.is_malformed(*i))
            .count() as u64
    }

    /// Changes `n` objects of `kind` (deterministically chosen) and records
    /// an event for each, as Stripe does. Returns their ids.
    pub fn mutate(&self, kind: Kind, n: u64) -> Vec<String> {
        let count = self.count(kind);
        if count == 0 {
            return Vec::new();
        }
        let round = {
            let Ok(mut m) = self.mutations.lock() else {
                return Vec::new();
            };
            *m += 1;
            *m
        };
        let mut ids = Vec::new();
        for k in 0..n {
            let mut i = mix(self.seed, round * 1000 + k, 99) % count;
            // Malformed records stay malformed, deleted ones deleted; pick
            // the next valid one.
            let mut tries = 0;
            while (self.is_malformed(i) || self.is_deleted(kind, i)) && tries < count {
                i = (i + 1) % count;
                tries += 1;
            }
            let patch = match kind {
                Kind::Charge => {
                    let amount = self.object(kind, i)["amount"].as_i64().unwrap_or(0);
                    json!({"amount_refunded": amount, "refunded": true,
                           "description": format!("refunded in change {round}"),
                           "metadata": {"order_ref": format!("TS-{i}"), "change": round}})
                }
                _ => json!({"status": format!("changed_{round}"), "metadata": {"change": round}}),
            };
            if let (Ok(mut o), Value::Object(p)) = (self.overrides.lock(), patch) {
                o.entry((kind, i)).or_default().extend(p);
            }
            let id = self.id(kind, i);
            if let Some(t) = kind.update_event() {
                self.record_event(t, kind, i);
            }
            ids.push(id);
        }
        ids
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {STRIPE_KEY}"))
    }

    fn list(&self, kind: Kind, q: &[(String, String)], version: &str) -> Response {
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let num = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
        let limit = num("limit").unwrap_or(10);
        if !(1..=100).contains(&limit) {
            return error(StatusCode::BAD_REQUEST, "limit must be between 1 and 100");
        }
        let count = self.count(kind);
        // Indices whose `created` is within the filters form one range.
        let lower_t = num("created[gte]").or_else(|| num("created[gt]").map(|t| t + 1));
        let upper_t = num("created[lt]").or_else(|| num("created[lte]").map(|t| t + 1));
        // Pages, not probes (`limit=1`, looking for where data starts).
        if limit > 1
            && let Ok(mut r) = self.ranges.lock()
        {
            r.entry(kind)
                .or_default()
                .push((lower_t.unwrap_or(i64::MIN), upper_t.unwrap_or(i64::MAX)));
        }
        // Not listed yet: objects created less than the delay ago.
        let visible_until = now_unix() - self.list_delay.load(Ordering::Relaxed);
        let upper_t = Some(upper_t.map_or(visible_until + 1, |t| t.min(visible_until + 1)));
        let lo = lower_t.map_or(0, |t| self.first_at_or_after(kind, t));
        let hi = upper_t.map_or(count, |t| self.first_at_or_after(kind, t));
        // Newest first, as Stripe lists.
        let mut top = hi;
        if let Some(after) = get("starting_after") {
            match self.index_of(kind, after) {
                Some(i) => top = top.min(i),
                None => return error(StatusCode::BAD_REQUEST, "No such object for starting_after"),
            }
        }
        let limit = usize::try_from(limit).unwrap_or(10);
        // Deleted objects are no longer listed.
        let mut data: Vec<Value> = Vec::with_capacity(limit);
        let mut bottom = top;
        while bottom > lo && data.len() < limit {
            bottom -= 1;
            if !self.is_deleted(kind, bottom) {
                data.push(self.render(kind, bottom, version));
            }
        }
        let refuse = self.refuse_below.load(Ordering::Relaxed);
        if refuse > 0 && !data.is_empty() && self.created(kind, bottom) < refuse {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "refused by the fake (refuse_below)",
            );
        }
        let has_more = (lo..bottom).any(|i| !self.is_deleted(kind, i));
        axum::Json(json!({
            "object": "list",
            "url": format!("/v1/{}", kind.table()),
            "has_more": has_more,
            "data": data,
        }))
        .into_response()
    }

    /// The first index created at or after `t` (binary search: creation
    /// times never decrease with the index).
    fn first_at_or_after(&self, kind: Kind, t: i64) -> u64 {
        let (mut lo, mut hi) = (0u64, self.count(kind));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.created(kind, mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn list_events(&self, q: &[(String, String)]) -> Response {
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let limit = get("limit")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(10)
            .clamp(1, 100);
        let gte = get("created[gte]")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(i64::MIN);
        let types: Vec<&str> = q
            .iter()
            .filter(|(n, _)| n == "types[]" || n == "type")
            .map(|(_, v)| v.as_str())
            .collect();
        let Ok(events) = self.events.lock() else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "poisoned");
        };
        let retention = now_unix() - 30 * 86_400;
        let matching: Vec<&Value> = events
            .iter()
            .rev()
            .filter(|e| {
                let created = e["created"].as_i64().unwrap_or(0);
                created >= gte.max(retention)
                    && (types.is_empty() || types.contains(&e["type"].as_str().unwrap_or("")))
            })
            .collect();
        let start = match get("starting_after") {
            Some(id) => match matching.iter().position(|e| e["id"] == id) {
                Some(p) => p + 1,
                None => return error(StatusCode::BAD_REQUEST, "No such event for starting_after"),
            },
            None => 0,
        };
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|e| (*e).clone())
            .collect();
        let has_more = matching.len() > start + page.len();
        axum::Json(
            json!({"object": "list", "url": "/v1/events", "has_more": has_more, "data": page}),
        )
        .into_response()
    }
}

/// The request's `Stripe-Version`, else the account's.
fn version_of(f: &StripeFake, headers: &HeaderMap) -> String {
    headers
        .get("stripe-version")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| f.account_api_version(), str::to_owned)
}

async fn list(
    State(f): State<Arc<StripeFake>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if !f.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    if let Some(r) = f.rate_limited(&format!("GET /v1/{kind}")) {
        return r;
    }
    let stats = &f.gate.stats;
    let now = stats.stripe_lists_in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    stats
        .max_stripe_lists_in_flight
        .fetch_max(now, Ordering::Relaxed);
    let fault = f.gate.enter(&format!("/v1/{kind}")).await;
    stats.stripe_lists_in_flight.fetch_sub(1, Ordering::Relaxed);
    if let Some(r) = fault {
        return r;
    }
    match Kind::from_path(&kind) {
        Some(k) => f.list(k, &q, &version_of(&f, &headers)),
        None => error(StatusCode::NOT_FOUND, "Unrecognized request URL"),
    }
}

async fn retrieve(
    State(f): State<Arc<StripeFake>>,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !f.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    if kind == "accounts" {
        // What a client asks first to check its key (tap-stripe does, in
        // the benchmark): the account, its dashboard name.
        return axum::Json(json!({"id": id, "object": "account",
            "settings": {"dashboard": {"display_name": "Fake Stripe", "timezone": "Etc/UTC"}}}))
        .into_response();
    }
    if let Some(r) = f.rate_limited(&format!("GET /v1/{kind}/{{id}}")) {
        return r;
    }
    if let Some(r) = f.gate.enter(&format!("/v1/{kind}/{id}")).await {
        return r;
    }
    let Some(k) = Kind::from_path(&kind) else {
        return error(StatusCode::NOT_FOUND, "Unrecognized request URL");
    };
    match f.index_of(k, &id) {
        // A deleted customer is still retrievable, as a stub.
        Some(i) if f.is_deleted(k, i) && k == Kind::Customer => {
            axum::Json(json!({"id": id, "object": "customer", "deleted": true})).into_response()
        }
        Some(i) if f.is_deleted(k, i) => error(
            StatusCode::NOT_FOUND,
            &format!("No such {}: '{id}'", k.object()),
        ),
        Some(i) => axum::Json(f.render(k, i, &version_of(&f, &headers))).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No such {}: '{id}'", k.object()),
        ),
    }
}

async fn events(
    State(f): State<Arc<StripeFake>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if !f.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    if let Some(r) = f.rate_limited("GET /v1/events") {
        return r;
    }
    if let Some(r) = f.gate.enter("/v1/events").await {
        return r;
    }
    f.list_events(&q)
}

async fn mutate(
    State(f): State<Arc<StripeFake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let kind = q
        .get("kind")
        .map_or(Some(Kind::Charge), |k| Kind::from_path(k));
    let n = q.get("n").and_then(|n| n.parse().ok()).unwrap_or(1);
    match kind {
        Some(k) if q.contains_key("delete") => {
            axum::Json(json!({"deleted": f.delete(k, n)})).into_response()
        }
        Some(k) => axum::Json(json!({"changed": f.mutate(k, n)})).into_response(),
        None => error(StatusCode::BAD_REQUEST, "unknown kind"),
    }
}

pub(crate) fn routes(f: Arc<StripeFake>) -> Router {
    Router::new()
        .route("/stripe/v1/events", get(events))
        .route("/stripe/v1/{kind}", get(list))
        .route("/stripe/v1/{kind}/{id}", get(retrieve))
        .route("/_fake/stripe/mutate", post(mutate))
        .with_state(f)
}

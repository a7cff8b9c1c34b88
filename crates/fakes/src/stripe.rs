//! The fake Stripe API: charges, balance transactions, refunds, payouts and
//! disputes generated from their index; list with `created` filters and
//! `starting_after`; retrieve by id; `/v1/events` for changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::{EPOCH, FakeConfig, FaultGate, SPAN, STRIPE_KEY, alnum, error, mix, now_unix};

/// The object kinds, in the order of their paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Charge,
    BalanceTransaction,
    Refund,
    Payout,
    Dispute,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Charge,
        Kind::BalanceTransaction,
        Kind::Refund,
        Kind::Payout,
        Kind::Dispute,
    ];

    pub fn from_path(p: &str) -> Option<Kind> {
        Some(match p {
            "charges" => Kind::Charge,
            "balance_transactions" => Kind::BalanceTransaction,
            "refunds" => Kind::Refund,
            "payouts" => Kind::Payout,
            "disputes" => Kind::Dispute,
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
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Kind::Charge => "ch_",
            Kind::BalanceTransaction => "txn_",
            Kind::Refund => "re_",
            Kind::Payout => "po_",
            Kind::Dispute => "dp_",
        }
    }

    fn object(self) -> &'static str {
        match self {
            Kind::Charge => "charge",
            Kind::BalanceTransaction => "balance_transaction",
            Kind::Refund => "refund",
            Kind::Payout => "payout",
            Kind::Dispute => "dispute",
        }
    }

    fn update_event(self) -> Option<&'static str> {
        match self {
            Kind::Charge => Some("charge.updated"),
            Kind::Refund => Some("refund.updated"),
            Kind::Payout => Some("payout.updated"),
            Kind::Dispute => Some("charge.dispute.updated"),
            Kind::BalanceTransaction => None,
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
    overrides: Mutex<HashMap<(Kind, u64), Map<String, Value>>>,
    events: Mutex<Vec<Value>>,
    mutations: Mutex<u64>,
}

impl StripeFake {
    pub(crate) fn new(cfg: &FakeConfig, gate: FaultGate) -> Self {
        StripeFake {
            seed: cfg.seed,
            charges: cfg.charges,
            malformed_every: cfg.faults.malformed_every,
            gate,
            overrides: Mutex::new(HashMap::new()),
            events: Mutex::new(Vec::new()),
            mutations: Mutex::new(0),
        }
    }

    /// How many objects of `kind` exist.
    pub fn count(&self, kind: Kind) -> u64 {
        let c = self.charges;
        match kind {
            Kind::Charge | Kind::BalanceTransaction => c,
            Kind::Refund => c / 10,
            Kind::Payout => c.div_ceil(200),
            Kind::Dispute => c.div_ceil(250),
        }
    }

    fn charge_created(&self, i: u64) -> i64 {
        let c = i64::try_from(self.charges.max(1)).unwrap_or(i64::MAX);
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        EPOCH + i.saturating_mul(SPAN) / c
    }

    /// Creation time; non-decreasing in the index within a kind.
    pub fn created(&self, kind: Kind, i: u64) -> i64 {
        let last = self.charges.saturating_sub(1);
        match kind {
            Kind::Charge | Kind::BalanceTransaction => self.charge_created(i),
            Kind::Refund => self.charge_created((i * 10 + 3).min(last)) + 3600,
            Kind::Dispute => self.charge_created((i * 250 + 7).min(last)) + 2 * 86_400,
            Kind::Payout => {
                let n = i64::try_from(self.count(Kind::Payout).max(1)).unwrap_or(1);
                EPOCH + i64::try_from(i).unwrap_or(0) * SPAN / n + 43_200
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

    /// The current version of an object, changes included.
    pub fn object(&self, kind: Kind, i: u64) -> Value {
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
        };
        if self.is_malformed(i)
            && let Some(m) = v.as_object_mut()
        {
            // A decimal string where Stripe sends an integer.
            m.insert("amount".to_owned(), json!(format!("{}.00", amount / 100)));
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

    /// Every valid object of `kind` as it should land (tests).
    pub fn expected(&self, kind: Kind) -> Vec<Value> {
        (0..self.count(kind))
            .filter(|i| !self.is_malformed(*i))
            .map(|i| self.object(kind, i))
            .collect()
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
            // Malformed records stay malformed; pick the next valid one.
            while self.is_malformed(i) {
                i = (i + 1) % count;
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
            if let (Some(t), Ok(mut ev)) = (kind.update_event(), self.events.lock()) {
                let seq = ev.len() as u64;
                ev.push(json!({
                    "id": format!("evt_{seq:010}{}", alnum(mix(self.seed, 77, seq), 10)),
                    "object": "event",
                    "type": t,
                    "created": now_unix(),
                    "data": {"object": self.object(kind, i)},
                }));
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

    fn list(&self, kind: Kind, q: &[(String, String)]) -> Response {
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
        let limit = u64::try_from(limit).unwrap_or(10);
        let bottom = top.saturating_sub(limit).max(lo);
        let data: Vec<Value> = (bottom..top.max(bottom))
            .rev()
            .map(|i| self.object(kind, i))
            .collect();
        let has_more = bottom > lo;
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

async fn list(
    State(f): State<Arc<StripeFake>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if !f.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    if let Some(r) = f.gate.enter(&format!("/v1/{kind}")).await {
        return r;
    }
    match Kind::from_path(&kind) {
        Some(k) => f.list(k, &q),
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
    if let Some(r) = f.gate.enter(&format!("/v1/{kind}/{id}")).await {
        return r;
    }
    let Some(k) = Kind::from_path(&kind) else {
        return error(StatusCode::NOT_FOUND, "Unrecognized request URL");
    };
    match f.index_of(k, &id) {
        Some(i) => axum::Json(f.object(k, i)).into_response(),
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

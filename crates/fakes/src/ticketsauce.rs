//! The fake Ticketsauce v2 API: OAuth client credentials with expiring
//! tokens, events, orders per event (paged, `modified_after`), order
//! details with tickets and ticket types, and check-in ids (paged).
//! Timestamps are `YYYY-MM-DD HH:MM:SS` in UTC, as the API sends them.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{TimeZone as _, Utc};
use serde_json::{Map, Value, json};

use crate::{CLIENT_ID, CLIENT_SECRET, EPOCH, FakeConfig, FaultGate, SPAN, error, mix};
use twh_extract::partition;

const TYPES: [(&str, &str); 3] = [
    ("General", "45.00"),
    ("VIP", "120.00"),
    ("Student", "25.00"),
];
/// Event ids are this plus the event's index.
const EVENT_BASE: u64 = 10_000;

fn ts(unix: i64) -> String {
    Utc.timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The fake's data and changes.
pub struct TicketsauceFake {
    seed: u64,
    events: u64,
    orders_per_event: u64,
    malformed_every: u64,
    token_ttl: Option<Duration>,
    gate: FaultGate,
    tokens: Mutex<HashMap<String, Instant>>,
    overrides: Mutex<HashMap<(u64, u64), Map<String, Value>>>,
    mutations: Mutex<u64>,
}

impl TicketsauceFake {
    pub(crate) fn new(cfg: &FakeConfig, gate: FaultGate) -> Self {
        TicketsauceFake {
            seed: cfg.seed,
            events: cfg.events,
            orders_per_event: cfg.orders_per_event,
            malformed_every: cfg.faults.malformed_every,
            token_ttl: cfg.faults.token_ttl,
            gate,
            tokens: Mutex::new(HashMap::new()),
            overrides: Mutex::new(HashMap::new()),
            mutations: Mutex::new(0),
        }
    }

    pub fn event_id(&self, e: u64) -> String {
        (EVENT_BASE + e).to_string()
    }

    fn event_index(&self, id: &str) -> Option<u64> {
        let e = id.parse::<u64>().ok()?.checked_sub(EVENT_BASE)?;
        (e < self.events).then_some(e)
    }

    fn event_created(&self, e: u64) -> i64 {
        let n = i64::try_from(self.events.max(1)).unwrap_or(1);
        EPOCH + i64::try_from(e).unwrap_or(0) * SPAN / n + 9 * 3600
    }

    pub fn event(&self, e: u64) -> Value {
        let created = self.event_created(e);
        let start = created + 60 * 86_400;
        json!({
            "id": self.event_id(e),
            "name": format!("Show number {e}"),
            "created": ts(created),
            "modified": ts(created),
            "start": ts(start),
            "end": ts(start + 6 * 3600),
            "timezone": "America/New_York",
            "location": {"name": "The Hall", "city": "Springfield"},
            "active": true,
        })
    }

    pub fn order_id(&self, e: u64, j: u64) -> String {
        format!("{}{j:06}", EVENT_BASE + e)
    }

    fn order_index(&self, id: &str) -> Option<(u64, u64)> {
        let e = id.get(..5)?.parse::<u64>().ok()?.checked_sub(EVENT_BASE)?;
        let j = id.get(5..)?.parse::<u64>().ok()?;
        (e < self.events && j < self.orders_per_event && id.len() == 11).then_some((e, j))
    }

    fn order_created(&self, e: u64, j: u64) -> i64 {
        let o = i64::try_from(self.orders_per_event).unwrap_or(1);
        self.event_created(e) + (i64::try_from(j).unwrap_or(0) + 1) * 59 * 86_400 / (o + 1)
    }

    fn global_index(&self, e: u64, j: u64) -> u64 {
        e * self.orders_per_event + j
    }

    /// Whether order (e, j) is generated malformed.
    pub fn is_malformed(&self, e: u64, j: u64) -> bool {
        self.malformed_every > 0
            && (self.global_index(e, j) + 1).is_multiple_of(self.malformed_every)
    }

    fn tickets_of(&self, e: u64, j: u64) -> u64 {
        1 + mix(self.seed, 5, self.global_index(e, j)) % 3
    }

    fn ticket_type(&self, e: u64, k: usize) -> Value {
        let (name, price) = TYPES[k % TYPES.len()];
        json!({"id": format!("{}-T{k}", self.event_id(e)), "event_id": self.event_id(e),
               "name": name, "price": price})
    }

    /// The order as the detail returns it (changes included).
    pub fn order(&self, e: u64, j: u64) -> Value {
        let g = self.global_index(e, j);
        let h = mix(self.seed, 3, g);
        let n = self.tickets_of(e, j);
        let k = usize::try_from(h % 3).unwrap_or(0);
        let price: f64 = TYPES[k].1.parse().unwrap_or(0.0);
        let created = self.order_created(e, j);
        let mut o = json!({
            "id": self.order_id(e, j),
            "event_id": self.event_id(e),
            "created": ts(created),
            "modified": ts(created),
            "status": "paid",
            "email": format!("buyer{g}@example.com"),
            "first_name": "Pat",
            "last_name": format!("Buyer{g}"),
            "currency": "USD",
            "total_paid": format!("{:.2}", price * n as f64),
            "line_items": [{"description": TYPES[k].0, "quantity": n, "unit_price": TYPES[k].1}],
        });
        if let Some(m) = o.as_object_mut() {
            if self.is_malformed(e, j) {
                m.insert("total_paid".to_owned(), json!("N/A"));
            }
            if let Ok(ov) = self.overrides.lock()
                && let Some(p) = ov.get(&(e, j))
            {
                m.extend(p.clone());
            }
        }
        o
    }

    fn ticket_id(&self, e: u64, j: u64, t: u64) -> String {
        format!("{}-{t}", self.order_id(e, j))
    }

    /// A ticket as it lands: its type referenced by id.
    pub fn ticket(&self, e: u64, j: u64, t: u64) -> Value {
        let k = usize::try_from(mix(self.seed, 3, self.global_index(e, j)) % 3).unwrap_or(0);
        let mut v = json!({
            "id": self.ticket_id(e, j, t),
            "order_id": self.order_id(e, j),
            "event_id": self.event_id(e),
            "ticket_type_id": format!("{}-T{k}", self.event_id(e)),
            "price": TYPES[k].1,
            "attendee_name": format!("Guest {t}"),
        });
        if let (Ok(ov), Some(m)) = (self.overrides.lock(), v.as_object_mut())
            && let Some(status) = ov.get(&(e, j)).and_then(|p| p.get("status"))
        {
            m.insert("status".to_owned(), status.clone());
        }
        v
    }

    fn detail(&self, e: u64, j: u64) -> Value {
        let k = usize::try_from(mix(self.seed, 3, self.global_index(e, j)) % 3).unwrap_or(0);
        let tickets: Vec<Value> = (0..self.tickets_of(e, j))
            .map(|t| {
                let mut v = self.ticket(e, j, t);
                if let Some(m) = v.as_object_mut() {
                    // The API nests the type; the extractor splits it out.
                    m.remove("ticket_type_id");
                    m.insert("ticket_type".to_owned(), self.ticket_type(e, k));
                }
                v
            })
            .collect();
        json!({"order": self.order(e, j), "tickets": tickets})
    }

    fn checkins(&self, e: u64) -> Vec<Value> {
        let mut out = Vec::new();
        for j in 0..self.orders_per_event {
            for t in 0..self.tickets_of(e, j) {
                let tid = self.ticket_id(e, j, t);
                out.push(json!({"id": format!("CK{}", tid.replace('-', "")), "ticket_id": tid}));
            }
        }
        out
    }

    /// Every valid record per table as it should land (tests).
    pub fn expected(&self, table: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for e in 0..self.events {
            match table {
                "events" => out.push(self.event(e)),
                "checkin_ids" => out.extend(self.checkins(e).into_iter().map(|mut c| {
                    if let Some(m) = c.as_object_mut() {
                        m.insert("event_id".to_owned(), json!(self.event_id(e)));
                    }
                    c
                })),
                "ticket_types" => {
                    let mut used: Vec<usize> = (0..self.orders_per_event)
                        .filter(|j| !self.is_malformed(e, *j))
                        .map(|j| {
                            usize::try_from(mix(self.seed, 3, self.global_index(e, j)) % 3)
                                .unwrap_or(0)
                        })
                        .collect();
                    used.sort_unstable();
                    used.dedup();
                    out.extend(used.into_iter().map(|k| self.ticket_type(e, k)));
                }
                _ => {
                    for j in (0..self.orders_per_event).filter(|j| !self.is_malformed(e, *j)) {
                        match table {
                            "orders" => out.push(self.order(e, j)),
                            "tickets" => {
                                out.extend((0..self.tickets_of(e, j)).map(|t| self.ticket(e, j, t)))
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        out
    }

    /// How many orders are malformed (tests).
    pub fn malformed_orders(&self) -> u64 {
        (0..self.events)
            .flat_map(|e| (0..self.orders_per_event).map(move |j| (e, j)))
            .filter(|(e, j)| self.is_malformed(*e, *j))
            .count() as u64
    }

    /// Changes `n` orders (refunds them): their `modified` becomes now.
    /// Returns their ids.
    pub fn mutate(&self, n: u64) -> Vec<String> {
        let total = self.events * self.orders_per_event;
        if total == 0 {
            return Vec::new();
        }
        let round = {
            let Ok(mut m) = self.mutations.lock() else {
                return Vec::new();
            };
            *m += 1;
            *m
        };
        let now = ts(Utc::now().timestamp());
        let mut ids = Vec::new();
        for k in 0..n {
            let mut g = mix(self.seed, round * 1000 + k, 42) % total;
            while self.is_malformed(g / self.orders_per_event, g % self.orders_per_event) {
                g = (g + 1) % total;
            }
            let (e, j) = (g / self.orders_per_event, g % self.orders_per_event);
            if let Ok(mut ov) = self.overrides.lock() {
                ov.entry((e, j)).or_default().extend([
                    ("modified".to_owned(), json!(now)),
                    ("status".to_owned(), json!("refunded")),
                    (
                        "note".to_owned(),
                        json!(format!("refunded in change {round}")),
                    ),
                ]);
            }
            ids.push(self.order_id(e, j));
        }
        ids
    }

    fn check_token(&self, headers: &HeaderMap) -> Option<Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = token.is_some_and(|t| {
            self.tokens.lock().is_ok_and(|tokens| {
                tokens
                    .get(t)
                    .is_some_and(|issued| self.token_ttl.is_none_or(|ttl| issued.elapsed() < ttl))
            })
        });
        if ok {
            None
        } else {
            self.gate.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
            Some(error(StatusCode::UNAUTHORIZED, "invalid or expired token"))
        }
    }
}

async fn token(
    State(f): State<Arc<TicketsauceFake>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !ok {
        return error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let n = f.gate.stats.tokens_issued.fetch_add(1, Ordering::Relaxed) + 1;
    let token = format!("tok-{n}-{}", crate::alnum(mix(f.seed, 9, n), 16));
    if let Ok(mut t) = f.tokens.lock() {
        t.insert(token.clone(), Instant::now());
    }
    let expires = f.token_ttl.map_or(3600, |d| d.as_secs().max(1));
    axum::Json(json!({"access_token": token, "token_type": "bearer", "expires_in": expires}))
        .into_response()
}

async fn events(State(f): State<Arc<TicketsauceFake>>, headers: HeaderMap) -> Response {
    if let Some(r) = f.check_token(&headers) {
        return r;
    }
    if let Some(r) = f.gate.enter("/events").await {
        return r;
    }
    let list: Vec<Value> = (0..f.events)
        .map(|e| json!({"Event": f.event(e)}))
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

fn page_params(q: &HashMap<String, String>, max: usize) -> Result<(usize, usize), Box<Response>> {
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(100);
    if per_page == 0 || per_page > max {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            &format!("per_page must be 1..{max}"),
        )));
    }
    Ok((page, per_page))
}

async fn orders(
    State(f): State<Arc<TicketsauceFake>>,
    Path(event_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = f.check_token(&headers) {
        return r;
    }
    let stats = &f.gate.stats;
    stats.max_details_at_page.fetch_max(
        stats.details_in_flight.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    if let Some(r) = f.gate.enter(&format!("/orders/{event_id}")).await {
        return r;
    }
    let Some(e) = f.event_index(&event_id) else {
        return error(StatusCode::NOT_FOUND, "event not found");
    };
    let (page, per_page) = match page_params(&q, 500) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let after = q
        .get("modified_after")
        .and_then(|t| partition::parse_timestamp(t));
    let before = q
        .get("modified_before")
        .and_then(|t| partition::parse_timestamp(t));
    // Sorted by id, so orders that start matching mid-run only push later
    // pages along (a repeat), never skip one.
    // Without a filter a page is a slice of the indices: a dense event's
    // last pages cost no more to serve than its first.
    let skip = if after.is_none() && before.is_none() {
        (page - 1) * per_page
    } else {
        0
    };
    let list: Vec<Value> = (u64::try_from(skip).unwrap_or(u64::MAX)..f.orders_per_event)
        .map(|j| f.order(e, j))
        .filter(|o| {
            let m = o["modified"].as_str().and_then(partition::parse_timestamp);
            after.is_none_or(|a| m.is_some_and(|m| m > a)) && before.is_none_or(|b| m.is_some_and(|m| m < b))
        })
        .skip((page - 1) * per_page - skip)
        .take(per_page)
        .map(|o| json!({"Order": {"id": o["id"], "event_id": o["event_id"], "modified": o["modified"], "status": o["status"]}}))
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

async fn order(
    State(f): State<Arc<TicketsauceFake>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = f.check_token(&headers) {
        return r;
    }
    let stats = &f.gate.stats;
    stats.detail_requests.fetch_add(1, Ordering::Relaxed);
    let now = stats.details_in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    stats
        .max_details_in_flight
        .fetch_max(now, Ordering::Relaxed);
    let fault = f.gate.enter(&format!("/order/{order_id}")).await;
    stats.details_in_flight.fetch_sub(1, Ordering::Relaxed);
    if let Some(r) = fault {
        return r;
    }
    match f.order_index(&order_id) {
        Some((e, j)) => axum::Json(f.detail(e, j)).into_response(),
        None => error(StatusCode::NOT_FOUND, "order not found"),
    }
}

async fn checkin_ids(
    State(f): State<Arc<TicketsauceFake>>,
    Path(event_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = f.check_token(&headers) {
        return r;
    }
    if let Some(r) = f
        .gate
        .enter(&format!("/tickets/checkin_ids/{event_id}"))
        .await
    {
        return r;
    }
    let Some(e) = f.event_index(&event_id) else {
        return error(StatusCode::NOT_FOUND, "event not found");
    };
    let (page, per_page) = match page_params(&q, 5000) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let list: Vec<Value> = f
        .checkins(e)
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

async fn mutate(
    State(f): State<Arc<TicketsauceFake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = q.get("n").and_then(|n| n.parse().ok()).unwrap_or(1);
    axum::Json(json!({"changed": f.mutate(n)})).into_response()
}

pub(crate) fn routes(f: Arc<TicketsauceFake>) -> Router {
    Router::new()
        .route("/ticketsauce/v2/oauth/token", post(token))
        .route("/ticketsauce/v2/events", get(events))
        .route("/ticketsauce/v2/orders/{event_id}", get(orders))
        .route("/ticketsauce/v2/order/{order_id}", get(order))
        .route(
            "/ticketsauce/v2/tickets/checkin_ids/{event_id}",
            get(checkin_ids),
        )
        .route("/_fake/ticketsauce/mutate", post(mutate))
        .with_state(f)
}

//! Ticketsauce v2: events, orders with their details (tickets and ticket
//! types), and check-in ids.
//!
//! - **events**: the whole list every run (the API has no paging); the merge
//!   writes only what changed.
//! - **orders**: per event, `GET /orders/{event}` paged by `per_page` 500
//!   with `modified_after` on incremental runs; each order's details
//!   (`GET /order/{id}`) fetched concurrently under one bound for the
//!   stream, the next pages read while the details of the last are in
//!   flight, so a dense event (one on-sale day's 50,000 orders) is paced by
//!   the rate and the detail bound, never by its chain of pages. Events finished in an interrupted run are remembered, so the
//!   rerun skips them; the cursor moves to the run's start time (less the
//!   overlap next time) only when every event is done, because a maximum of
//!   `modified` seen across events could skip an order modified mid-run.
//! - **checkin_ids**: per event, paged by 5,000; events over for a week are
//!   read one last time and then left alone.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::{TICKETSAUCE, land, quarantine_raw};
use crate::Error;
use crate::http::ApiClient;
use crate::models::{self, CheckinId, Event, Order, Ticket, TicketType};
use crate::partition;
use crate::progress::StreamCtx;
use crate::writer::WriterHandle;

/// Settings of the Ticketsauce streams.
#[derive(Clone, Debug)]
pub struct TicketsauceSettings {
    pub base: String,
    /// Requests per second (the API publishes no limit; be polite).
    pub rps: f64,
    pub burst: u32,
    /// Order details fetched at once, across all events of the stream.
    pub detail_concurrency: usize,
    /// Events worked on at once.
    pub event_concurrency: usize,
    pub per_page: u32,
    pub checkin_per_page: u32,
    /// How far before the cursor an incremental run starts.
    pub overlap: Duration,
    /// Check-in ids of events over for this long are not read again.
    pub checkins_final_after: Duration,
}

impl Default for TicketsauceSettings {
    fn default() -> Self {
        TicketsauceSettings {
            base: "https://api.ticketsauce.com/v2".to_owned(),
            rps: 100.0,
            burst: 20,
            detail_concurrency: 32,
            event_concurrency: 4,
            per_page: 500,
            checkin_per_page: 5000,
            overlap: Duration::from_secs(3600),
            checkins_final_after: Duration::from_secs(7 * 86_400),
        }
    }
}

/// Pages of order ids read ahead of their details, per event.
pub const PAGES_AHEAD: usize = 2;

/// Format of `modified_after`.
const QUERY_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// Cursor of the events stream.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EventsCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<DateTime<Utc>>,
}

/// Cursor of the orders stream.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OrdersCursor {
    /// Orders modified after this, less the overlap, are read next run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_since: Option<DateTime<Utc>>,
    /// A run in progress (or interrupted): resumed by the next run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingOrders>,
}

/// What an unfinished orders run had done.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PendingOrders {
    /// When the run that opened it began: the next `modified_since`.
    pub started_at: DateTime<Utc>,
    /// The lower bound it reads with (`None`: everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_after: Option<DateTime<Utc>>,
    /// Events whose orders are all durable.
    #[serde(default)]
    pub done_events: BTreeSet<String>,
}

/// Cursor of the check-in ids stream.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckinCursor {
    /// Events over long enough that their check-in ids no longer change.
    #[serde(default)]
    pub final_events: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<DateTime<Utc>>,
}

/// What the order and check-in streams need of an event.
#[derive(Clone, Debug)]
struct EventInfo {
    id: String,
    /// Partition of the event's creation date (ticket types, check-in ids).
    partition: String,
    end: Option<DateTime<Utc>>,
}

/// Ticketsauce wraps objects CakePHP-style (`{"Event": {...}}`) in some
/// responses; accept both the wrapped and the flat form.
fn unwrap_entity(v: &Value, name: &str) -> Value {
    match v.as_object() {
        Some(m) if m.len() == 1 => m
            .get(name)
            .or_else(|| m.get(&name.to_lowercase()))
            .cloned()
            .unwrap_or_else(|| v.clone()),
        _ => v.clone(),
    }
}

/// A list response: a bare array, or an object holding one array.
fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Object(m) => m
            .into_iter()
            .find_map(|(_, v)| match v {
                Value::Array(a) => Some(a),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn first_of<'a>(m: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| m.get(*n))
}

/// One run of one Ticketsauce stream.
pub struct TicketsauceStream<'a, S> {
    pub api: Arc<ApiClient>,
    pub ctx: &'a StreamCtx,
    pub writer: WriterHandle<S>,
    pub settings: &'a TicketsauceSettings,
}

impl<S: Send + 'static> TicketsauceStream<'_, S> {
    async fn raw_events(&self) -> Result<Vec<Value>, Error> {
        let v: Value = self
            .api
            .get_json("events", &[], self.ctx, &|| "the event list".to_owned())
            .await?;
        Ok(as_list(v)
            .iter()
            .map(|e| unwrap_entity(e, "Event"))
            .collect())
    }

    /// Events usable as parents; invalid ones are skipped with a note (the
    /// events stream quarantines them).
    async fn events(&self) -> Result<Vec<EventInfo>, Error> {
        let mut out = Vec::new();
        for raw in self.raw_events().await? {
            match models::parse::<Event>(&raw) {
                Ok(e) => match e.partition() {
                    Some(p) => out.push(EventInfo {
                        end: e.end.as_deref().and_then(partition::parse_timestamp),
                        id: e.id,
                        partition: p,
                    }),
                    None => self
                        .ctx
                        .note(&format!("event `{}` skipped: no creation date", e.id)),
                },
                Err(reason) => self.ctx.note(&format!(
                    "an event was skipped ({reason}); see the events stream's quarantine"
                )),
            }
        }
        Ok(out)
    }
}

use crate::models::Model as _;

impl TicketsauceStream<'_, EventsCursor> {
    pub async fn run_events(&self) -> Result<(), Error> {
        let now = Utc::now();
        let raw = self.raw_events().await?;
        let mut valid = 0;
        for e in &raw {
            if land::<Event>(TICKETSAUCE, e, None, self.ctx, &self.writer).await? {
                valid += 1;
            }
        }
        self.ctx.page_done(valid);
        self.writer
            .checkpoint(move |c: &mut EventsCursor| c.last_read_at = Some(now))
            .await
    }
}

impl TicketsauceStream<'_, OrdersCursor> {
    pub async fn run_orders(
        &self,
        cursor: OrdersCursor,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let overlap = chrono::Duration::from_std(self.settings.overlap).unwrap_or_default();
        let pending = cursor.pending.clone().unwrap_or_else(|| PendingOrders {
            started_at: Utc::now(),
            modified_after: cursor.modified_since.map(|m| m - overlap).or(since),
            done_events: BTreeSet::new(),
        });
        if cursor.pending.is_some() {
            self.ctx.note(&format!(
                "resuming an interrupted run ({} events already done)",
                pending.done_events.len()
            ));
        }
        let events = self.events().await?;
        let todo: Vec<EventInfo> = events
            .into_iter()
            .filter(|e| !pending.done_events.contains(&e.id))
            .collect();
        self.ctx.note(&format!(
            "{} events, orders modified after {}",
            todo.len(),
            pending
                .modified_after
                .map_or_else(|| "the beginning".to_owned(), |t| t.to_rfc3339())
        ));
        let details = Arc::new(Semaphore::new(self.settings.detail_concurrency.max(1)));
        let started_at = pending.started_at;
        let modified_after = pending.modified_after;
        futures::stream::iter(todo.into_iter().map(Ok::<_, Error>))
            .try_for_each_concurrent(self.settings.event_concurrency.max(1), |event| {
                let details = details.clone();
                async move {
                    self.event_orders(&event, modified_after, &details).await?;
                    let id = event.id.clone();
                    self.writer
                        .checkpoint(move |c: &mut OrdersCursor| {
                            c.pending
                                .get_or_insert_with(|| PendingOrders {
                                    started_at,
                                    modified_after,
                                    done_events: BTreeSet::new(),
                                })
                                .done_events
                                .insert(id);
                        })
                        .await
                }
            })
            .await?;
        self.writer
            .checkpoint(move |c: &mut OrdersCursor| {
                let started = c.pending.as_ref().map_or(started_at, |p| p.started_at);
                c.modified_since = Some(started);
                c.pending = None;
            })
            .await
    }

    /// Reads the orders of one event: its pages in order, one chain, and
    /// the details of every page under the stream's detail bound. The pages
    /// are read ahead of the details (up to [`PAGES_AHEAD`] waiting), so a
    /// dense event (tens of thousands of orders) keeps the details, and so
    /// the pace, busy across page boundaries instead of draining them at the
    /// end of every page. One chain is enough: a page of 500 ids feeds 500
    /// detail requests. And it stays in page order on purpose: pages are
    /// offsets into a list sorted by id, where an order that starts to
    /// match mid-run only pushes later pages along (read twice, merged by
    /// id); pages read out of order could skip one instead.
    async fn event_orders(
        &self,
        event: &EventInfo,
        modified_after: Option<DateTime<Utc>>,
        details: &Semaphore,
    ) -> Result<(), Error> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<String>>(PAGES_AHEAD);
        let pages = async move {
            let mut page = 1u32;
            loop {
                let (ids, full) = self.order_ids(event, modified_after, page).await?;
                if tx.send(ids).await.is_err() {
                    // The details side failed; its error is the one to report.
                    return Ok(());
                }
                if !full {
                    return Ok::<(), Error>(());
                }
                page += 1;
            }
        };
        let ids =
            futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).flat_map(futures::stream::iter);
        let landed = async {
            let mut fetched = ids
                .map(|id| async move {
                    // The permit bounds details in flight across all events.
                    let _permit = details.acquire().await.ok();
                    let describe = || format!("order `{id}` of event `{}`", event.id);
                    self.api
                        .get_json::<Value>(&format!("order/{id}"), &[], self.ctx, &describe)
                        .await
                })
                .buffer_unordered(self.settings.detail_concurrency.max(1));
            let mut landed = 0u64;
            while let Some(detail) = fetched.next().await {
                if self.land_detail(detail?, event).await? {
                    self.ctx.records_done(1);
                }
                landed += 1;
                if landed.is_multiple_of(u64::from(self.settings.per_page.max(1))) {
                    self.ctx.page_done(0);
                }
            }
            Ok::<(), Error>(())
        };
        futures::future::try_join(pages, landed).await?;
        Ok(())
    }

    /// The order ids of one page, and whether the page was full (so another
    /// may follow). Summaries without an id go to quarantine.
    async fn order_ids(
        &self,
        event: &EventInfo,
        modified_after: Option<DateTime<Utc>>,
        page: u32,
    ) -> Result<(Vec<String>, bool), Error> {
        let path = format!("orders/{}", event.id);
        let per_page = self.settings.per_page.max(1);
        let mut q = vec![
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
        ];
        if let Some(m) = modified_after {
            q.push(("modified_after", m.format(QUERY_TIME).to_string()));
        }
        let describe = || {
            format!(
                "event `{}` orders page {page}{}",
                event.id,
                modified_after.map_or(String::new(), |m| format!(
                    " modified after {}",
                    m.format(QUERY_TIME)
                ))
            )
        };
        let v: Value = self.api.get_json(&path, &q, self.ctx, &describe).await?;
        let summaries = as_list(v);
        let full = summaries.len() >= per_page as usize;
        let mut ids = Vec::with_capacity(summaries.len());
        for s in &summaries {
            let s = unwrap_entity(s, "Order");
            match s.get("id").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }) {
                Some(id) => ids.push(id),
                None => {
                    quarantine_raw(
                        TICKETSAUCE,
                        &s,
                        "order summary without `id`",
                        self.ctx,
                        &self.writer,
                    )
                    .await?;
                }
            }
        }
        Ok((ids, full))
    }

    /// Lands one order detail: the order, its tickets, their ticket types.
    async fn land_detail(&self, detail: Value, event: &EventInfo) -> Result<bool, Error> {
        let Some(m) = detail.as_object() else {
            quarantine_raw(
                TICKETSAUCE,
                &detail,
                "order detail is not an object",
                self.ctx,
                &self.writer,
            )
            .await?;
            return Ok(false);
        };
        let order_raw = first_of(m, &["order", "Order"])
            .cloned()
            .unwrap_or_else(|| {
                let mut o = m.clone();
                o.remove("tickets");
                o.remove("Ticket");
                Value::Object(o)
            });
        let order = match models::parse::<Order>(&order_raw) {
            Ok(o) => o,
            Err(reason) => {
                // The whole detail goes to quarantine: tickets without a
                // valid order could not be placed.
                quarantine_raw(TICKETSAUCE, &detail, &reason, self.ctx, &self.writer).await?;
                return Ok(false);
            }
        };
        let Some(order_partition) = order.partition() else {
            quarantine_raw(
                TICKETSAUCE,
                &detail,
                "order has no creation date",
                self.ctx,
                &self.writer,
            )
            .await?;
            return Ok(false);
        };
        let tickets = first_of(m, &["tickets", "Ticket"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for t in tickets {
            let Value::Object(mut t) = unwrap_entity(&t, "Ticket") else {
                quarantine_raw(
                    TICKETSAUCE,
                    &t,
                    "ticket is not an object",
                    self.ctx,
                    &self.writer,
                )
                .await?;
                continue;
            };
            if let Some(Value::Object(mut tt)) =
                t.remove("ticket_type").or_else(|| t.remove("TicketType"))
            {
                if let Some(id) = tt.get("id").cloned() {
                    t.entry("ticket_type_id").or_insert(id);
                }
                tt.entry("event_id")
                    .or_insert_with(|| Value::String(event.id.clone()));
                land::<TicketType>(
                    TICKETSAUCE,
                    &Value::Object(tt),
                    Some(&event.partition),
                    self.ctx,
                    &self.writer,
                )
                .await?;
            }
            t.entry("order_id")
                .or_insert_with(|| Value::String(order.id.clone()));
            t.entry("event_id")
                .or_insert_with(|| Value::String(order.event_id.clone()));
            land::<Ticket>(
                TICKETSAUCE,
                &Value::Object(t),
                Some(&order_partition),
                self.ctx,
                &self.writer,
            )
            .await?;
        }
        let row = super::model_row(TICKETSAUCE, &order, &order_partition);
        match row {
            Ok(row) => {
                self.writer.row(row).await?;
                self.ctx.metrics.table_records(Order::TABLE, 1);
                Ok(true)
            }
            Err(reason) => {
                quarantine_raw(TICKETSAUCE, &order_raw, &reason, self.ctx, &self.writer).await?;
                Ok(false)
            }
        }
    }
}

impl TicketsauceStream<'_, CheckinCursor> {
    pub async fn run_checkins(&self, cursor: CheckinCursor) -> Result<(), Error> {
        let now = Utc::now();
        let final_after =
            chrono::Duration::from_std(self.settings.checkins_final_after).unwrap_or_default();
        let events = self.events().await?;
        let todo: Vec<EventInfo> = events
            .into_iter()
            .filter(|e| !cursor.final_events.contains(&e.id))
            .collect();
        futures::stream::iter(todo.into_iter().map(Ok::<_, Error>))
            .try_for_each_concurrent(self.settings.event_concurrency.max(1), |event| async move {
                self.event_checkins(&event).await?;
                if event.end.is_some_and(|end| end + final_after < now) {
                    let id = event.id.clone();
                    self.writer
                        .checkpoint(move |c: &mut CheckinCursor| {
                            c.final_events.insert(id);
                        })
                        .await?;
                }
                Ok(())
            })
            .await?;
        self.writer
            .checkpoint(move |c: &mut CheckinCursor| c.last_read_at = Some(now))
            .await
    }

    async fn event_checkins(&self, event: &EventInfo) -> Result<(), Error> {
        let path = format!("tickets/checkin_ids/{}", event.id);
        let per_page = self.settings.checkin_per_page.max(1);
        let mut page = 1u32;
        loop {
            let q = vec![
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ];
            let describe = || format!("event `{}` check-in ids page {page}", event.id);
            let v: Value = self.api.get_json(&path, &q, self.ctx, &describe).await?;
            let items = as_list(v);
            let n = items.len();
            let mut valid = 0;
            for item in items {
                // The API may list bare ids or objects; land objects either way.
                let mut obj = match item {
                    Value::String(s) => {
                        let mut m = Map::new();
                        m.insert("id".to_owned(), Value::String(s));
                        m
                    }
                    Value::Number(n) => {
                        let mut m = Map::new();
                        m.insert("id".to_owned(), Value::String(n.to_string()));
                        m
                    }
                    Value::Object(m) => m,
                    other => {
                        quarantine_raw(
                            TICKETSAUCE,
                            &other,
                            "check-in id is not a string or object",
                            self.ctx,
                            &self.writer,
                        )
                        .await?;
                        continue;
                    }
                };
                obj.entry("event_id")
                    .or_insert_with(|| Value::String(event.id.clone()));
                if land::<CheckinId>(
                    TICKETSAUCE,
                    &Value::Object(obj),
                    Some(&event.partition),
                    self.ctx,
                    &self.writer,
                )
                .await?
                {
                    valid += 1;
                }
            }
            self.ctx.page_done(valid);
            if n < per_page as usize {
                return Ok(());
            }
            page += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrapped_and_flat_entities() {
        let flat = json!({"id": "1", "name": "x"});
        assert_eq!(
            unwrap_entity(&json!({"Event": flat.clone()}), "Event"),
            flat
        );
        assert_eq!(unwrap_entity(&flat, "Event"), flat);
        assert_eq!(as_list(json!({"data": [1, 2]})), [json!(1), json!(2)]);
        assert_eq!(as_list(json!([3])), [json!(3)]);
    }
}

//! Typed models of the records landed. Parsing checks types and invariants
//! (ids present, amounts integers, dates readable); a record that fails is
//! quarantined with the reason. Fields the model does not name are kept in
//! `extra` and written back, so nothing the API adds is lost.
//!
//! Stripe amounts stay integers in the currency's smallest unit; Ticketsauce
//! amounts stay the decimal strings the API sends.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::partition;

/// A record type landed in one table.
pub trait Model: DeserializeOwned + Serialize {
    /// Table name, also the directory under the source.
    const TABLE: &'static str;
    /// Checks what the types alone do not.
    fn validate(&self) -> Result<(), String>;
    /// The primary key.
    fn key(&self) -> &str;
    /// The creation date's partition when the record carries one.
    fn partition(&self) -> Option<String>;
}

/// Parses and validates a raw record without consuming it (the raw value is
/// what goes to quarantine when this fails).
pub fn parse<M: Model>(raw: &Value) -> Result<M, String> {
    let m = M::deserialize(raw).map_err(|e| format!("{} record: {e}", M::TABLE))?;
    m.validate()
        .map_err(|e| format!("{} record: {e}", M::TABLE))?;
    Ok(m)
}

fn check_id(id: &str, prefixes: &[&str]) -> Result<(), String> {
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(format!("invalid id `{id}`"));
    }
    if !prefixes.is_empty() && !prefixes.iter().any(|p| id.starts_with(p)) {
        return Err(format!(
            "id `{id}` does not start with {}",
            prefixes.join(" or ")
        ));
    }
    Ok(())
}

fn check_object(object: &str, want: &str) -> Result<(), String> {
    if object == want {
        Ok(())
    } else {
        Err(format!("`object` is `{object}`, expected `{want}`"))
    }
}

fn check_currency(c: &str) -> Result<(), String> {
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(format!("invalid currency `{c}`"))
    }
}

/// Stripe timestamps: after Stripe existed, before year 3000.
fn check_created(created: i64) -> Result<(), String> {
    if (1_262_304_000..32_503_680_000).contains(&created) {
        Ok(())
    } else {
        Err(format!("`created` {created} is out of range"))
    }
}

fn check_timestamp(field: &str, value: &str) -> Result<(), String> {
    partition::parse_timestamp(value)
        .map(|_| ())
        .ok_or_else(|| format!("`{field}` is not a timestamp: `{value}`"))
}

fn check_decimal(field: &str, value: &Option<String>) -> Result<(), String> {
    match value {
        Some(v) if v.trim().parse::<f64>().map(f64::is_finite) != Ok(true) => {
            Err(format!("`{field}` is not a decimal amount: `{v}`"))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- Stripe ---

/// `GET /v1/charges`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub object: String,
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_captured: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<i64>,
    pub currency: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub livemode: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Charge {
    const TABLE: &'static str = "charges";
    fn validate(&self) -> Result<(), String> {
        // Charges made through some payment methods carry `py_` ids.
        check_id(&self.id, &["ch_", "py_"])?;
        check_object(&self.object, "charge")?;
        check_currency(&self.currency)?;
        check_created(self.created)?;
        if self.amount < 0 {
            return Err(format!("negative amount {}", self.amount));
        }
        Ok(())
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/balance_transactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BalanceTransaction {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_on: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for BalanceTransaction {
    const TABLE: &'static str = "balance_transactions";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &["txn_"])?;
        check_object(&self.object, "balance_transaction")?;
        check_currency(&self.currency)?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/refunds`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Refund {
    const TABLE: &'static str = "refunds";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &["re_", "pyr_"])?;
        check_object(&self.object, "refund")?;
        check_currency(&self.currency)?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/payouts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payout {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_date: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Payout {
    const TABLE: &'static str = "payouts";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &["po_"])?;
        check_object(&self.object, "payout")?;
        check_currency(&self.currency)?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/disputes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Dispute {
    const TABLE: &'static str = "disputes";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &["dp_", "du_"])?;
        check_object(&self.object, "dispute")?;
        check_currency(&self.currency)?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/customers`; a deleted customer lands as its tombstone (the
/// object as its `customer.deleted` event carried it, with `deleted: true`
/// and `deleted_at`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub object: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Customer {
    const TABLE: &'static str = "customers";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &["cus_"])?;
        check_object(&self.object, "customer")?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

/// `GET /v1/products`; deleted ones land as tombstones, as customers do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub object: String,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Product {
    const TABLE: &'static str = "products";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])?;
        check_object(&self.object, "product")?;
        check_created(self.created)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_unix(self.created)
    }
}

// ----------------------------------------------------------- Ticketsauce ---

/// `GET /events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub name: String,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Event {
    const TABLE: &'static str = "events";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])?;
        check_timestamp("created", &self.created)?;
        for (f, v) in [
            ("modified", &self.modified),
            ("start", &self.start),
            ("end", &self.end),
        ] {
            if let Some(v) = v {
                check_timestamp(f, v)?;
            }
        }
        Ok(())
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_text(&self.created)
    }
}

/// The order part of `GET /order/{id}` (line items stay nested in it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub event_id: String,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_paid: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Order {
    const TABLE: &'static str = "orders";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])?;
        check_id(&self.event_id, &[]).map_err(|e| format!("event_id: {e}"))?;
        check_timestamp("created", &self.created)?;
        if let Some(m) = &self.modified {
            check_timestamp("modified", m)?;
        }
        check_decimal("total_paid", &self.total_paid)
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn partition(&self) -> Option<String> {
        partition::of_text(&self.created)
    }
}

/// A ticket of an order, with its ticket type referenced by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub order_id: String,
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_type_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for Ticket {
    const TABLE: &'static str = "tickets";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])?;
        check_id(&self.order_id, &[]).map_err(|e| format!("order_id: {e}"))?;
        check_decimal("price", &self.price)
    }
    fn key(&self) -> &str {
        &self.id
    }
    /// Tickets take their order's creation date (the caller supplies it).
    fn partition(&self) -> Option<String> {
        None
    }
}

/// A ticket type of an event, as embedded in order details.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketType {
    pub id: String,
    pub event_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for TicketType {
    const TABLE: &'static str = "ticket_types";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])?;
        check_decimal("price", &self.price)
    }
    fn key(&self) -> &str {
        &self.id
    }
    /// Ticket types take their event's creation date.
    fn partition(&self) -> Option<String> {
        None
    }
}

/// One id of `GET /tickets/checkin_ids/{event_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckinId {
    pub id: String,
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Model for CheckinId {
    const TABLE: &'static str = "checkin_ids";
    fn validate(&self) -> Result<(), String> {
        check_id(&self.id, &[])
    }
    fn key(&self) -> &str {
        &self.id
    }
    /// Check-in ids take their event's creation date.
    fn partition(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_the_round_trip() {
        let raw = json!({"id": "ch_1", "object": "charge", "amount": 500, "currency": "usd",
                         "created": 1_706_745_600, "brand_new_field": {"x": [1, 2]}});
        let c: Charge = parse(&raw).expect("valid charge");
        let back = serde_json::to_value(&c).expect("serializes");
        assert_eq!(back, raw);
    }

    #[test]
    fn bad_records_say_why() {
        let e = parse::<Charge>(&json!({"id": "ch_1", "object": "charge", "amount": "5.00",
                                         "currency": "usd", "created": 1_706_745_600}));
        assert!(
            e.as_ref().is_err_and(|e| e.contains("invalid type")),
            "{e:?}"
        );
        let e = parse::<Charge>(&json!({"id": "ch_1", "object": "charge", "amount": 5,
                                         "currency": "USD", "created": 1_706_745_600}));
        assert_eq!(
            e.err().as_deref(),
            Some("charges record: invalid currency `USD`")
        );
        let e = parse::<Order>(
            &json!({"id": "1", "event_id": "e", "created": "2024-01-01 00:00:00",
                                        "total_paid": "abc"}),
        );
        assert!(e.is_err_and(|e| e.contains("total_paid")));
    }

    #[test]
    fn amounts_stay_integers() {
        let raw = json!({"id": "txn_1", "object": "balance_transaction", "amount": 123456789012_i64,
                         "currency": "jpy", "created": 1_706_745_600, "fee": 0, "net": 123456789012_i64});
        let t: BalanceTransaction = parse(&raw).expect("valid transaction");
        let line = serde_json::to_string(&t).expect("serializes");
        assert!(line.contains("\"amount\":123456789012,"), "{line}");
    }
}

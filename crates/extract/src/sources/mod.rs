//! The streams twh-extract knows, and what they share: turning a raw record
//! into a row or a quarantine entry.

pub mod stripe;
pub mod ticketsauce;

use serde_json::Value;

use super::Error;
use super::models::{self, Model};
use super::progress::StreamCtx;
use super::quarantine;
use super::writer::{Row, WriterHandle};

/// One stream: what it reads and the tables it lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamDef {
    pub source: &'static str,
    pub name: &'static str,
    pub tables: &'static [&'static str],
}

impl StreamDef {
    /// `source.name`, as in the summary and the state's key.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.source, self.name)
    }
}

pub const TICKETSAUCE: &str = "ticketsauce";
pub const STRIPE: &str = "stripe";

/// Every stream, in the order they are listed and started.
pub const STREAMS: &[StreamDef] = &[
    StreamDef {
        source: TICKETSAUCE,
        name: "events",
        tables: &["events"],
    },
    StreamDef {
        source: TICKETSAUCE,
        name: "orders",
        tables: &["orders", "tickets", "ticket_types"],
    },
    StreamDef {
        source: TICKETSAUCE,
        name: "checkin_ids",
        tables: &["checkin_ids"],
    },
    StreamDef {
        source: STRIPE,
        name: "charges",
        tables: &["charges"],
    },
    StreamDef {
        source: STRIPE,
        name: "balance_transactions",
        tables: &["balance_transactions"],
    },
    StreamDef {
        source: STRIPE,
        name: "refunds",
        tables: &["refunds"],
    },
    StreamDef {
        source: STRIPE,
        name: "payouts",
        tables: &["payouts"],
    },
    StreamDef {
        source: STRIPE,
        name: "disputes",
        tables: &["disputes"],
    },
    StreamDef {
        source: STRIPE,
        name: "customers",
        tables: &["customers"],
    },
    StreamDef {
        source: STRIPE,
        name: "products",
        tables: &["products"],
    },
];

/// The streams of `source` (`ticketsauce`, `stripe` or `all`), narrowed to
/// `names` when given. A name is a stream (`charges`, `stripe.charges`) or
/// a table it lands (`tickets` selects `orders`).
pub fn select(source: &str, names: &[String]) -> Result<Vec<StreamDef>, Error> {
    let of_source: Vec<StreamDef> = match source {
        "all" => STREAMS.to_vec(),
        s if s == TICKETSAUCE || s == STRIPE => {
            STREAMS.iter().filter(|d| d.source == s).copied().collect()
        }
        other => {
            return Err(Error::Settings(format!(
                "unknown source `{other}` (expected `ticketsauce`, `stripe` or `all`)"
            )));
        }
    };
    if names.is_empty() {
        return Ok(of_source);
    }
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        let found: Vec<StreamDef> = of_source
            .iter()
            .filter(|d| d.name == name || d.full_name() == name || d.tables.contains(&name))
            .copied()
            .collect();
        if found.is_empty() {
            let known: Vec<String> = of_source.iter().map(StreamDef::full_name).collect();
            return Err(Error::Settings(format!(
                "unknown stream `{name}` for source `{source}` (known: {})",
                known.join(", ")
            )));
        }
        for d in found {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// A valid model as a row of `source/<table>/<partition>`.
pub fn model_row<M: Model>(source: &str, m: &M, partition: &str) -> Result<Row, String> {
    let line = serde_json::to_vec(m).map_err(|e| format!("cannot serialize: {e}"))?;
    Ok(Row {
        dir: format!("{source}/{}/{partition}", M::TABLE),
        pk_field: "id",
        pk: m.key().to_owned(),
        line,
    })
}

/// Parses `raw` as `M` and sends it, or quarantines it with the reason.
/// `partition` overrides the model's own (for records dated by a parent).
/// Returns whether the record was valid.
pub async fn land<M: Model>(
    source: &str,
    raw: &Value,
    partition: Option<&str>,
    ctx: &StreamCtx,
    writer: &WriterHandle<impl Send + 'static>,
) -> Result<bool, Error> {
    let row = models::parse::<M>(raw).and_then(|m| {
        let p = partition
            .map(str::to_owned)
            .or_else(|| m.partition())
            .ok_or_else(|| format!("{} record: no creation date to partition by", M::TABLE))?;
        model_row(source, &m, &p)
    });
    match row {
        Ok(row) => {
            writer.row(row).await?;
            ctx.metrics.table_records(M::TABLE, 1);
            Ok(true)
        }
        Err(reason) => {
            quarantine_raw(source, raw, &reason, ctx, writer).await?;
            Ok(false)
        }
    }
}

/// Sends `raw` to quarantine and counts it.
pub async fn quarantine_raw(
    source: &str,
    raw: &Value,
    reason: &str,
    ctx: &StreamCtx,
    writer: &WriterHandle<impl Send + 'static>,
) -> Result<(), Error> {
    let stream = ctx.name.rsplit('.').next().unwrap_or(&ctx.name);
    writer
        .row(quarantine::row(source, stream, raw, reason))
        .await?;
    ctx.quarantined(reason);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_by_source_stream_or_table() {
        let names = |v: Vec<StreamDef>| v.iter().map(StreamDef::full_name).collect::<Vec<_>>();
        assert_eq!(select("stripe", &[]).expect("ok").len(), 7);
        assert_eq!(select("all", &[]).expect("ok").len(), 10);
        assert_eq!(
            names(select("all", &["tickets".into(), "stripe.charges".into()]).expect("ok")),
            ["ticketsauce.orders", "stripe.charges"]
        );
        assert!(select("stripe", &["orders".into()]).is_err());
        assert!(select("shopify", &[]).is_err());
    }
}

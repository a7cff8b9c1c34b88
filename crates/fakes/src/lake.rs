//! Reads a local lake back: every record of a table with the partition it
//! sits in. Used by tests, the demo and the benchmark to check that every
//! record landed exactly once.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::Value;

/// One landed record: the partition folder (`dt=…`) and the record.
#[derive(Clone, Debug, PartialEq)]
pub struct Landed {
    pub partition: String,
    pub file: String,
    pub record: Value,
}

/// Every record of `<root>/<source>/<table>/`, in file order.
pub fn read_table(root: &Path, source: &str, table: &str) -> std::io::Result<Vec<Landed>> {
    read_dir(&root.join(source).join(table))
}

/// Every record of every `.json.gz` file under `dir`.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<Landed>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        let path = entry.path();
        if !entry.file_type().is_file() || !path.to_string_lossy().ends_with(".json.gz") {
            continue;
        }
        let partition = path
            .parent()
            .and_then(Path::file_name)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = path.to_string_lossy().into_owned();
        for line in BufReader::new(MultiGzDecoder::new(fs_err::File::open(path)?)).lines() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            let record = serde_json::from_str(&line).map_err(std::io::Error::other)?;
            out.push(Landed {
                partition: partition.clone(),
                file: file.clone(),
                record,
            });
        }
    }
    Ok(out)
}

/// Records by key; a key seen twice is returned in the second map with its
/// count, so a test can say which records were duplicated.
pub fn by_key(landed: &[Landed], key: &str) -> (BTreeMap<String, Value>, BTreeMap<String, usize>) {
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in landed {
        let k = match &l.record[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        *counts.entry(k.clone()).or_default() += 1;
        seen.insert(k, l.record.clone());
    }
    counts.retain(|_, n| *n > 1);
    (seen, counts)
}

/// What [`verify`] counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// Records per `source/table`.
    pub tables: BTreeMap<String, usize>,
    /// Quarantined records per `source/stream`.
    pub quarantined: BTreeMap<String, usize>,
}

fn keyed(records: Vec<Value>) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|r| {
            let k = r["id"].as_str().unwrap_or_default().to_owned();
            (k, r)
        })
        .collect()
}

fn compare(
    name: &str,
    landed: &[Landed],
    want: BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, String> {
    let (got, dups) = by_key(landed, "id");
    if !dups.is_empty() {
        let some: Vec<_> = dups.iter().take(5).collect();
        return Err(format!(
            "{name}: {} records landed more than once, e.g. {some:?}",
            dups.len()
        ));
    }
    let missing: Vec<&String> = want
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<&String> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .take(5)
        .collect();
    if !missing.is_empty() || !extra.is_empty() || got.len() != want.len() {
        return Err(format!(
            "{name}: {} landed, {} expected; missing e.g. {missing:?}, unexpected e.g. {extra:?}",
            got.len(),
            want.len()
        ));
    }
    if let Some((k, v)) = want.iter().find(|(k, v)| got.get(*k) != Some(*v)) {
        return Err(format!(
            "{name}: `{k}` differs:\n  landed   {}\n  expected {v}",
            got[k]
        ));
    }
    Ok(got)
}

/// Checks a local lake against the fakes: every valid record of every table
/// exactly once, equal to the source's current version, in the partition of
/// its creation date (UTC); every malformed record in quarantine.
pub fn verify(
    root: &Path,
    stripe: &crate::stripe::StripeFake,
    ticketsauce: &crate::ticketsauce::TicketsauceFake,
) -> Result<Verified, String> {
    use crate::stripe::Kind;
    let io = |e: std::io::Error| e.to_string();
    let mut v = Verified::default();
    for kind in Kind::ALL {
        let name = format!("stripe/{}", kind.table());
        let landed = read_table(root, "stripe", kind.table()).map_err(io)?;
        compare(&name, &landed, keyed(stripe.expected(kind)))?;
        for l in &landed {
            let dt = l.record["created"]
                .as_i64()
                .and_then(twh_extract::partition::of_unix);
            if dt.as_deref() != Some(l.partition.as_str()) {
                return Err(format!(
                    "{name}: `{}` is in {} not {dt:?}",
                    l.record["id"], l.partition
                ));
            }
        }
        let q = read_dir(&root.join("_quarantine/stripe").join(kind.table())).map_err(io)?;
        if q.len() as u64 != stripe.malformed(kind) {
            return Err(format!(
                "{name}: {} quarantined, {} malformed",
                q.len(),
                stripe.malformed(kind)
            ));
        }
        v.tables.insert(name.clone(), landed.len());
        v.quarantined.insert(name, q.len());
    }
    let mut order_dt = BTreeMap::new();
    for table in ["events", "orders", "tickets", "ticket_types", "checkin_ids"] {
        let name = format!("ticketsauce/{table}");
        let landed = read_table(root, "ticketsauce", table).map_err(io)?;
        compare(&name, &landed, keyed(ticketsauce.expected(table)))?;
        for l in &landed {
            let id = l.record["id"].as_str().unwrap_or_default();
            let want = match table {
                "events" | "orders" => l.record["created"]
                    .as_str()
                    .and_then(twh_extract::partition::of_text),
                "tickets" => l.record["order_id"]
                    .as_str()
                    .and_then(|o| order_dt.get(o).cloned()),
                _ => Some(l.partition.clone()),
            };
            if want.as_deref() != Some(l.partition.as_str()) {
                return Err(format!("{name}: `{id}` is in {} not {want:?}", l.partition));
            }
            if table == "orders" {
                order_dt.insert(id.to_owned(), l.partition.clone());
            }
        }
        v.tables.insert(name, landed.len());
    }
    let q = read_dir(&root.join("_quarantine/ticketsauce/orders")).map_err(io)?;
    if q.len() as u64 != ticketsauce.malformed_orders() {
        return Err(format!(
            "ticketsauce/orders: {} quarantined, {} malformed",
            q.len(),
            ticketsauce.malformed_orders()
        ));
    }
    v.quarantined
        .insert("ticketsauce/orders".to_owned(), q.len());
    Ok(v)
}

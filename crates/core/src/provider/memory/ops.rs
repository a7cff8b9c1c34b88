//! The in-memory provider's operator side ([`OpsProvider`]): S3 objects in
//! buckets, crawls that run for a few reads and then make tables from the
//! objects under their targets (RUNNING, then STOPPING, then READY),
//! ingestions that complete, Athena queries
//! that answer registered rows. It follows the project's AWS emulator
//! (`emulator/twh_emulator/glue.py`, `athena.py`, `quicksight.py`), which
//! cites AWS for each behaviour, in the few ways the commands can tell:
//!
//! - a crawl names its table after the last folder of its target, creates
//!   it if absent and updates it otherwise, skips `_`/`.`-prefixed keys, and
//!   fails with `Database X not found.` when its database is missing;
//! - StartCrawler on a running crawler is refused (CrawlerRunningException);
//! - a query returns the rows registered for SQL it contains; without
//!   such rows it fails with `TABLE_NOT_FOUND` when a table it reads is
//!   missing, and returns no rows otherwise;
//! - GetCrawlerMetrics describes the last successful crawl.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::MemoryProvider;
use crate::ops::provider::{
    Crawler, CrawlerMetrics, CrawlerState, Failure, Ingestion, IngestionRef, IngestionStatus,
    LastCrawl, Object, OpsProvider, Query, QueryRows, Start, Table,
};
use crate::provider::ProviderError;

/// The operator side of the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpsWorld {
    /// bucket → key → size in bytes. A bucket listed here exists.
    #[serde(default)]
    pub buckets: BTreeMap<String, BTreeMap<String, i64>>,
    /// Crawler name → its runs.
    #[serde(default)]
    pub crawls: BTreeMap<String, CrawlRuns>,
    /// `dataset/ingestion` → its ingestion.
    #[serde(default)]
    pub ingestions: BTreeMap<String, MemIngestion>,
    /// Rows for queries whose SQL contains `sql_contains` (the last
    /// registered match wins, as in the emulator's `/_twh/athena/results`).
    #[serde(default)]
    pub canned: Vec<Canned>,
    /// Execution id → its result.
    #[serde(default)]
    pub queries: BTreeMap<String, QueryRows>,
    /// Reads of a running crawler (or ingestion) until it is finished
    /// (default 3: RUNNING, STOPPING, READY), so that waiting is exercised.
    #[serde(default)]
    pub run_reads: Option<u32>,
    /// A counter standing in for the clock: crawl start times, query ids.
    #[serde(default)]
    pub clock: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrawlRuns {
    /// Reads left before the running crawl ends; `None` when ready.
    pub running: Option<u32>,
    pub last: Option<MemCrawl>,
    /// Of the last successful crawl.
    pub tables_created: i32,
    pub tables_updated: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemCrawl {
    pub started: u64,
    /// `None` while it runs.
    pub status: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemIngestion {
    pub status: String,
    pub reads_left: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canned {
    pub sql_contains: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl OpsWorld {
    pub fn put_object(&mut self, bucket: &str, key: &str, size: i64) {
        self.buckets
            .entry(bucket.into())
            .or_default()
            .insert(key.into(), size);
    }
}

const CRAWLER: &str = "glue_crawler";

fn reads(w: &super::World) -> u32 {
    w.ops.run_reads.unwrap_or(3)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Runs the crawl of `name` to its end: the tables it makes, or its error.
fn finish_crawl(w: &mut super::World, name: &str) {
    let spec = w
        .resources
        .get(CRAWLER)
        .and_then(|m| m.get(name))
        .cloned()
        .unwrap_or(Value::Null);
    let db = str_at(&spec, "/DatabaseName")
        .unwrap_or_default()
        .to_string();
    let has_db = w
        .resources
        .get("glue_database")
        .is_some_and(|m| m.contains_key(&db));
    let (mut created, mut updated) = (0, 0);
    let error = if has_db {
        let targets = spec
            .pointer("/Targets/S3Targets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for t in targets {
            let Some(path) = str_at(&t, "/Path").and_then(|p| p.strip_prefix("s3://")) else {
                continue;
            };
            let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
            let prefix = if prefix.is_empty() || prefix.ends_with('/') {
                prefix.to_string()
            } else {
                format!("{prefix}/")
            };
            let data = w.ops.buckets.get(bucket).is_some_and(|keys| {
                keys.keys().any(|k| {
                    k.strip_prefix(&prefix).is_some_and(|rel| {
                        !rel.is_empty()
                            && !k.ends_with('/')
                            && !rel.split('/').any(|p| p.starts_with(['_', '.']))
                    })
                })
            });
            if !data {
                continue;
            }
            let last = prefix
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("");
            let table = if last.is_empty() { bucket } else { last }
                .to_lowercase()
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
            let tables = w.resources.entry("glue_table".into()).or_default();
            let id = format!("{db}.{table}");
            if tables.contains_key(&id) {
                updated += 1;
            } else {
                created += 1;
            }
            tables.insert(
                id,
                json!({"DatabaseName": db, "TableInput": {"Name": table,
                    "TableType": "EXTERNAL_TABLE",
                    "StorageDescriptor": {"Location": format!("s3://{bucket}/{prefix}")},
                    "Parameters": {"UPDATED_BY_CRAWLER": name}}}),
            );
        }
        None
    } else {
        Some(format!("Database {db} not found."))
    };
    let runs = w.ops.crawls.entry(name.into()).or_default();
    runs.running = None;
    if let Some(last) = &mut runs.last {
        last.status = Some(
            if error.is_some() {
                "FAILED"
            } else {
                "SUCCEEDED"
            }
            .into(),
        );
        last.error = error.clone();
    }
    if error.is_none() {
        runs.tables_created = created;
        runs.tables_updated = updated;
    }
}

fn not_found(kind: &str, id: &str) -> ProviderError {
    ProviderError::NotFound {
        kind: kind.into(),
        id: id.into(),
    }
}

/// Whether the table `name` (`t`, `db.t` or `catalog.db.t`) exists, as a
/// Glue table or an Athena view.
fn table_exists(w: &super::World, database: &str, name: &str) -> bool {
    let name = name.replace('"', "").to_lowercase();
    let parts: Vec<&str> = name.split('.').collect();
    let (db, t) = match parts[..] {
        [t] => (database.to_lowercase(), t),
        [db, t] | [_, db, t] => (db.to_string(), t),
        _ => return false,
    };
    let id = format!("{db}.{t}");
    ["glue_table", "athena_view"]
        .iter()
        .any(|k| w.resources.get(*k).is_some_and(|m| m.contains_key(&id)))
}

/// The tables a query reads: what follows FROM or JOIN.
fn tables_read(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0].eq_ignore_ascii_case("from") || w[0].eq_ignore_ascii_case("join"))
        .map(|w| w[1].trim_end_matches([',', ';', ')']).to_string())
        .filter(|t| !t.starts_with('('))
        .collect()
}

#[async_trait::async_trait]
impl OpsProvider for MemoryProvider {
    fn account(&self) -> String {
        crate::provider::memory::ACCOUNT.into()
    }

    async fn crawlers(&self, names: &[String]) -> Result<BTreeMap<String, Crawler>, ProviderError> {
        self.call_world("glue", "BatchGetCrawlers", false, |w| {
            let mut out = BTreeMap::new();
            for name in names {
                if !w
                    .resources
                    .get(CRAWLER)
                    .is_some_and(|m| m.contains_key(name))
                {
                    continue;
                }
                match w.ops.crawls.get(name).and_then(|r| r.running) {
                    Some(0) => finish_crawl(w, name),
                    Some(left) => {
                        if let Some(r) = w.ops.crawls.get_mut(name) {
                            r.running = Some(left - 1);
                        }
                    }
                    None => {}
                }
                let runs = w.ops.crawls.get(name).cloned().unwrap_or_default();
                out.insert(
                    name.clone(),
                    Crawler {
                        name: name.clone(),
                        // Glue shows STOPPING for a while after the crawl
                        // itself is done (as the emulator does).
                        state: Some(match runs.running {
                            None => CrawlerState::Ready,
                            Some(0) => CrawlerState::Stopping,
                            Some(_) => CrawlerState::Running,
                        }),
                        last_crawl: runs.last.filter(|l| l.status.is_some()).map(|l| LastCrawl {
                            status: l.status,
                            error: l.error,
                            started: Some(i128::from(l.started)),
                        }),
                    },
                );
            }
            Ok(out)
        })
    }

    async fn start_crawler(&self, name: &str) -> Result<Start, ProviderError> {
        self.call_world("glue", "StartCrawler", true, |w| {
            if !w
                .resources
                .get(CRAWLER)
                .is_some_and(|m| m.contains_key(name))
            {
                return Err(not_found(CRAWLER, name));
            }
            let n = reads(w);
            w.ops.clock += 1;
            let started = w.ops.clock;
            let runs = w.ops.crawls.entry(name.into()).or_default();
            if runs.running.is_some() {
                return Ok(Start::AlreadyRunning);
            }
            runs.running = Some(n.saturating_sub(1));
            // LastCrawl keeps describing the previous crawl while this runs.
            runs.last = Some(MemCrawl {
                started,
                status: None,
                error: None,
            });
            Ok(Start::Started)
        })
    }

    async fn crawler_metrics(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, CrawlerMetrics>, ProviderError> {
        self.call_world("glue", "GetCrawlerMetrics", false, |w| {
            Ok(names
                .iter()
                .filter_map(|n| {
                    let r = w.ops.crawls.get(n)?;
                    Some((
                        n.clone(),
                        CrawlerMetrics {
                            tables_created: r.tables_created,
                            tables_updated: r.tables_updated,
                            tables_deleted: 0,
                            last_runtime_seconds: 0.0,
                        },
                    ))
                })
                .collect())
        })
    }

    async fn start_ingestion(&self, i: IngestionRef<'_>) -> Result<IngestionStatus, ProviderError> {
        self.call_world("quicksight", "CreateIngestion", true, |w| {
            let kind = "quicksight_data_set";
            if !w
                .resources
                .get(kind)
                .is_some_and(|m| m.contains_key(i.data_set_id))
            {
                return Err(not_found(kind, i.data_set_id));
            }
            let reads_left = reads(w);
            w.ops.ingestions.insert(
                format!("{}/{}", i.data_set_id, i.ingestion_id),
                MemIngestion {
                    status: "INITIALIZED".into(),
                    reads_left,
                },
            );
            Ok(IngestionStatus::Initialized)
        })
    }

    async fn ingestion(&self, i: IngestionRef<'_>) -> Result<Ingestion, ProviderError> {
        self.call_world("quicksight", "DescribeIngestion", false, |w| {
            let key = format!("{}/{}", i.data_set_id, i.ingestion_id);
            let ing = w
                .ops
                .ingestions
                .get_mut(&key)
                .ok_or_else(|| not_found("ingestion", &key))?;
            if !IngestionStatus::parse(&ing.status).is_done() {
                ing.reads_left = ing.reads_left.saturating_sub(1);
                ing.status = if ing.reads_left == 0 {
                    "COMPLETED"
                } else {
                    "RUNNING"
                }
                .into();
            }
            let status = IngestionStatus::parse(&ing.status);
            let completed = status == IngestionStatus::Completed;
            Ok(Ingestion {
                status,
                error: None,
                rows_ingested: completed.then_some(0),
                rows_dropped: completed.then_some(0),
                seconds: completed.then_some(0),
            })
        })
    }

    async fn run_query(&self, q: &Query<'_>) -> Result<String, ProviderError> {
        self.call_world("athena", "StartQueryExecution", true, |w| {
            let fail = |message: String| ProviderError::Api {
                service: "athena".into(),
                operation: "StartQueryExecution".into(),
                message: format!("{} `{}`: {message}", q.kind, q.id),
            };
            // Registered rows stand in for running the query, so they are
            // answered without resolving its tables (as the emulator does).
            let canned = w
                .ops
                .canned
                .iter()
                .rev()
                .find(|c| q.sql.contains(&c.sql_contains));
            let rows = match canned {
                Some(c) => QueryRows {
                    columns: c.columns.clone(),
                    count: c.rows.len() as u64,
                    sample: c.rows.clone(),
                },
                None => {
                    if let Some(t) = tables_read(q.sql)
                        .into_iter()
                        .find(|t| !table_exists(w, q.database, t))
                    {
                        return Err(fail(format!(
                            "TABLE_NOT_FOUND: Table '{}' does not exist",
                            t.to_lowercase()
                        )));
                    }
                    QueryRows::default()
                }
            };
            w.ops.clock += 1;
            let id = format!("q-{}", w.ops.clock);
            w.ops.queries.insert(id.clone(), rows);
            Ok(id)
        })
    }

    async fn query_rows(
        &self,
        _q: &Query<'_>,
        execution_id: &str,
        keep: usize,
    ) -> Result<QueryRows, ProviderError> {
        self.call_world("athena", "GetQueryResults", false, |w| {
            let mut rows = w
                .ops
                .queries
                .get(execution_id)
                .cloned()
                .ok_or_else(|| not_found("query execution", execution_id))?;
            rows.sample.truncate(keep);
            Ok(rows)
        })
    }

    async fn tables(&self, database: &str) -> Result<Option<Vec<Table>>, ProviderError> {
        self.call_world("glue", "GetTables", false, |w| {
            if !w
                .resources
                .get("glue_database")
                .is_some_and(|m| m.contains_key(database))
            {
                return Ok(None);
            }
            let mut out = Vec::new();
            for (kind, db_at, name_at) in [
                ("glue_table", "/DatabaseName", "/TableInput/Name"),
                ("athena_view", "/Database", "/Name"),
            ] {
                for v in w.resources.get(kind).into_iter().flat_map(|m| m.values()) {
                    if str_at(v, db_at) != Some(database) {
                        continue;
                    }
                    let view = kind == "athena_view"
                        || str_at(v, "/TableInput/TableType") == Some("VIRTUAL_VIEW");
                    out.push(Table {
                        name: str_at(v, name_at).unwrap_or_default().to_string(),
                        view,
                        location: str_at(v, "/TableInput/StorageDescriptor/Location")
                            .map(str::to_string),
                    });
                }
            }
            Ok(Some(out))
        })
    }

    async fn drop_tables(
        &self,
        database: &str,
        names: &[String],
    ) -> Result<Vec<Failure>, ProviderError> {
        self.call_world("glue", "BatchDeleteTable", true, |w| {
            if let Some(tables) = w.resources.get_mut("glue_table") {
                for n in names {
                    // Already gone is what was asked for.
                    tables.remove(&format!("{database}.{n}"));
                }
            }
            Ok(Vec::new())
        })
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<Object>>, ProviderError> {
        self.call_world("s3", "ListObjectsV2", false, |w| {
            Ok(w.ops.buckets.get(bucket).map(|keys| {
                keys.iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .map(|(k, size)| Object {
                        key: k.clone(),
                        size: *size,
                    })
                    .collect()
            }))
        })
    }

    async fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<Failure>, ProviderError> {
        self.call_world("s3", "DeleteObjects", true, |w| {
            if let Some(b) = w.ops.buckets.get_mut(bucket) {
                for k in keys {
                    b.remove(k);
                }
            }
            Ok(Vec::new())
        })
    }
}

//! `twh purge`: empty the lake and drop what the crawlers made, so the next
//! extract and crawl start from nothing — and touch nothing else.
//!
//! The lake is the S3 targets of the declared crawlers that lie under
//! twh-extract's sink, as [`twh_core::ops::purgeable`] decides (pure, before
//! any call here): the other targets (the vault's exports) are kept, and so
//! are the other prefixes of the same bucket (Athena results, extract
//! cursors, anything made by hand). A table is dropped only when it is in a
//! declared database, is not itself declared (`glue_table`, `athena_view`),
//! is not a view, and its location is under one of the prefixes purged.
//! [`plan`] lists it all without changing anything; [`execute`] carries a
//! plan out.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::provider::aws::Clients;
use crate::provider::aws_common::Op;
use twh_core::ops::purgeable::{ExtractSink, Purgeable};
use twh_core::ops::{OpsError, Progress};
use twh_core::plan::resolve::Desired;

/// DeleteObjects takes at most this many keys, BatchDeleteTable this many names.
const DELETE_BATCH: usize = 1000;
const TABLE_BATCH: usize = 100;

/// An S3 prefix a declared crawler crawls.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LakePrefix {
    pub bucket: String,
    /// Ends with `/`.
    pub prefix: String,
    /// Addresses of the crawlers that crawl it.
    pub crawlers: Vec<String>,
    pub objects: u64,
    pub bytes: i64,
    #[serde(skip)]
    keys: Vec<String>,
}

impl LakePrefix {
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A table to drop, or one under the lake that stays, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LakeTable {
    pub database: String,
    pub name: String,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_because: Option<String>,
}

/// A crawler target outside twh-extract's sink: never emptied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeptTarget {
    pub crawler: String,
    pub path: String,
}

/// Everything a purge would delete, read from AWS; nothing changed yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgePlan {
    /// twh-extract's sink, the boundary of what may be purged.
    pub extract_sink: Option<String>,
    pub prefixes: Vec<LakePrefix>,
    pub tables: Vec<LakeTable>,
    /// Tables whose data is under the lake but which are declared: kept.
    pub kept: Vec<LakeTable>,
    /// Crawler targets outside the sink: kept, with their data and tables.
    pub kept_targets: Vec<KeptTarget>,
}

impl PurgePlan {
    pub fn objects(&self) -> u64 {
        self.prefixes.iter().map(|p| p.objects).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.objects() == 0 && self.tables.is_empty()
    }
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeResult {
    pub objects_deleted: u64,
    pub tables_dropped: u64,
}

/// Lists what purging `purgeable` would delete in this estate.
pub async fn plan(
    clients: &Clients,
    desired: &BTreeMap<twh_core::addr::Address, Desired>,
    purgeable: &Purgeable,
    sink: Option<&ExtractSink>,
) -> Result<PurgePlan, OpsError> {
    let of = |kind: &str| -> Vec<&Desired> {
        desired.values().filter(|d| d.kind.name == kind).collect()
    };
    let mut prefixes = Vec::new();
    for g in &purgeable.prefixes {
        let mut p = LakePrefix {
            bucket: g.path.bucket.clone(),
            prefix: g.path.prefix.clone(),
            crawlers: g.crawlers.iter().map(ToString::to_string).collect(),
            objects: 0,
            bytes: 0,
            keys: Vec::new(),
        };
        list_objects(clients, &mut p).await?;
        prefixes.push(p);
    }
    let declared: BTreeMap<String, String> = of("glue_table")
        .into_iter()
        .chain(of("athena_view"))
        .map(|d| (d.attributes.id.clone(), d.addr.to_string()))
        .collect();
    let glue = clients.glue_provider();
    let mut tables = Vec::new();
    let mut kept = Vec::new();
    for db in of("glue_database") {
        let name = &db.attributes.id;
        let Some(live) = glue.tables("glue_table", name).await? else {
            continue;
        };
        for t in live {
            if t.table_type.as_deref() == Some("VIRTUAL_VIEW") {
                continue;
            }
            let location = t
                .storage_descriptor
                .as_ref()
                .and_then(|s| s.location.clone())
                .unwrap_or_default();
            if !purgeable.holds(&location) {
                continue;
            }
            let id = format!("{name}.{}", t.name);
            let mut entry = LakeTable {
                database: name.clone(),
                name: t.name.clone(),
                location,
                kept_because: None,
            };
            match declared.get(&id) {
                Some(addr) => {
                    entry.kept_because = Some(format!("declared as `{addr}`"));
                    kept.push(entry);
                }
                None => tables.push(entry),
            }
        }
    }
    Ok(PurgePlan {
        extract_sink: sink.map(|s| s.path.url()),
        prefixes,
        tables,
        kept,
        kept_targets: purgeable
            .kept
            .iter()
            .map(|t| KeptTarget {
                crawler: t.crawler.to_string(),
                path: t.path.url(),
            })
            .collect(),
    })
}

async fn list_objects(clients: &Clients, p: &mut LakePrefix) -> Result<(), OpsError> {
    let mut token: Option<String> = None;
    let url = p.url();
    loop {
        let page = clients
            .caller
            .call(Op::read("s3", "ListObjectsV2", "s3_prefix", &url), || {
                clients
                    .s3
                    .list_objects_v2()
                    .bucket(&p.bucket)
                    .prefix(&p.prefix)
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await;
        let page = match page {
            Ok(page) => page,
            // No bucket: nothing to empty.
            Err(twh_core::provider::ProviderError::NotFound { .. }) => return Ok(()),
            Err(e) if e.to_string().contains("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for o in page.contents.unwrap_or_default() {
            if let Some(k) = o.key {
                p.objects += 1;
                p.bytes += o.size.unwrap_or_default();
                p.keys.push(k);
            }
        }
        token = page.next_continuation_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(());
        }
    }
}

/// Drops the plan's tables, then deletes its objects.
pub async fn execute(
    clients: &Clients,
    plan: &PurgePlan,
    progress: &dyn Progress,
) -> Result<PurgeResult, OpsError> {
    let mut result = PurgeResult::default();
    let mut by_db: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in &plan.tables {
        by_db.entry(&t.database).or_default().push(t.name.clone());
    }
    progress.begin("Purging", by_db.len() + plan.prefixes.len());
    for (db, names) in by_db {
        for chunk in names.chunks(TABLE_BATCH) {
            let out = clients
                .caller
                .call(
                    Op::write("glue", "BatchDeleteTable", "glue_table", db),
                    || {
                        clients
                            .glue
                            .batch_delete_table()
                            .database_name(db)
                            .set_tables_to_delete(Some(chunk.to_vec()))
                            .send()
                    },
                )
                .await?;
            let failed: Vec<String> = out
                .errors
                .unwrap_or_default()
                .into_iter()
                // Already gone is what we wanted.
                .filter(|e| {
                    e.error_detail
                        .as_ref()
                        .and_then(|d| d.error_code.as_deref())
                        != Some("EntityNotFoundException")
                })
                .map(|e| {
                    format!(
                        "{db}.{}: {}",
                        e.table_name.unwrap_or_default(),
                        e.error_detail
                            .and_then(|d| d.error_message)
                            .unwrap_or_default()
                    )
                })
                .collect();
            if !failed.is_empty() {
                return Err(OpsError::Other(format!(
                    "Glue did not drop {} table(s): {}",
                    failed.len(),
                    failed.join("; ")
                )));
            }
            result.tables_dropped += chunk.len() as u64;
        }
        progress.finished(
            db,
            true,
            &format!("dropped {} table(s) in {db}", names.len()),
        );
    }
    for p in &plan.prefixes {
        let url = p.url();
        for chunk in p.keys.chunks(DELETE_BATCH) {
            let ids = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| OpsError::Other(format!("S3 object key: {e}")))?;
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| OpsError::Other(format!("S3 DeleteObjects: {e}")))?;
            let out = clients
                .caller
                .call(Op::write("s3", "DeleteObjects", "s3_prefix", &url), || {
                    clients
                        .s3
                        .delete_objects()
                        .bucket(&p.bucket)
                        .delete(delete.clone())
                        .send()
                })
                .await?;
            let errors = out.errors.unwrap_or_default();
            if let Some(e) = errors.first() {
                return Err(OpsError::Other(format!(
                    "S3 did not delete {} object(s) under {url}, e.g. `{}`: {}",
                    errors.len(),
                    e.key.as_deref().unwrap_or_default(),
                    e.message.as_deref().unwrap_or_default()
                )));
            }
            result.objects_deleted += chunk.len() as u64;
            progress.status(
                &url,
                &format!("{} of {} deleted", result.objects_deleted, plan.objects()),
            );
        }
        progress.finished(
            &url,
            true,
            &format!("emptied {url} ({} object(s))", p.objects),
        );
    }
    progress.end();
    Ok(result)
}

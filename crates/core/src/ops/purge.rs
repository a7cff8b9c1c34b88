//! `twh purge`: empty the lake and drop what the crawlers made, so the next
//! extract and crawl start from nothing — and touch nothing else.
//!
//! The lake is the S3 targets of the declared crawlers that lie under
//! twh-extract's sink, as [`super::purgeable`] decides (pure, before
//! any call here): the other targets (the vault's exports) are kept, and so
//! are the other prefixes of the same bucket (Athena results, extract
//! cursors, anything made by hand). A table is dropped only when it is in a
//! declared database, is not itself declared (`glue_table`, `athena_view`),
//! is not a view, and its location is under one of the prefixes purged.
//! [`plan`] lists it all without changing anything; [`execute`] carries a
//! plan out.

use std::collections::BTreeMap;

use super::provider::{DELETE_BATCH, OpsProvider, TABLE_BATCH};
use super::purgeable::{ExtractSink, Purgeable};
use super::{OpsError, Progress};
use crate::addr::Address;
use crate::plan::resolve::Desired;

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
    aws: &dyn OpsProvider,
    desired: &BTreeMap<Address, Desired>,
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
        list_objects(aws, &mut p).await?;
        prefixes.push(p);
    }
    let declared: BTreeMap<String, String> = of("glue_table")
        .into_iter()
        .chain(of("athena_view"))
        .map(|d| (d.attributes.id.clone(), d.addr.to_string()))
        .collect();
    let mut tables = Vec::new();
    let mut kept = Vec::new();
    for db in of("glue_database") {
        let name = &db.attributes.id;
        let Some(live) = aws.tables(name).await? else {
            continue;
        };
        for t in live {
            if t.view {
                continue;
            }
            let location = t.location.unwrap_or_default();
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

async fn list_objects(aws: &dyn OpsProvider, p: &mut LakePrefix) -> Result<(), OpsError> {
    // No bucket: nothing to empty.
    for o in aws
        .list_objects(&p.bucket, &p.prefix)
        .await?
        .unwrap_or_default()
    {
        p.objects += 1;
        p.bytes += o.size;
        p.keys.push(o.key);
    }
    Ok(())
}

/// Drops the plan's tables, then deletes its objects.
pub async fn execute(
    aws: &dyn OpsProvider,
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
            let failed = aws.drop_tables(db, chunk).await?;
            if !failed.is_empty() {
                return Err(OpsError::NotDropped {
                    count: failed.len(),
                    details: failed
                        .iter()
                        .map(|f| format!("{db}.{}: {}", f.name, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
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
            let failed = aws.delete_objects(&p.bucket, chunk).await?;
            if let Some(e) = failed.first() {
                return Err(OpsError::NotDeleted {
                    count: failed.len(),
                    url: url.clone(),
                    key: e.name.clone(),
                    message: e.message.clone(),
                });
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

//! `twh purge`: empty the lake and drop what the crawlers made, so the next
//! extract and crawl start from nothing — and touch nothing else.
//!
//! The lake is the S3 targets of the declared crawlers, nothing more: other
//! prefixes of the same bucket (Athena results, extract cursors, anything
//! made by hand) stay. A table is dropped only when it is in a declared
//! database, is not itself declared (`glue_table`, `athena_view`), is not a
//! view, and its location is under one of those targets. [`plan`] lists it
//! all without changing anything; [`execute`] carries a plan out.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::provider::aws::Clients;
use crate::provider::aws_common::Op;
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

/// Everything a purge would delete, read from AWS; nothing changed yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgePlan {
    pub prefixes: Vec<LakePrefix>,
    pub tables: Vec<LakeTable>,
    /// Tables whose data is under the lake but which are declared: kept.
    pub kept: Vec<LakeTable>,
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

/// `s3://bucket/prefix` → (`bucket`, `prefix/`); `None` for anything else.
fn split_s3(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    let mut prefix = prefix.to_string();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Some((bucket.to_string(), prefix))
}

/// The lake: every S3 target of `crawlers`, nested prefixes folded into the
/// outer one. A target that is a whole bucket is refused: emptying a bucket
/// is not something a purge should do by accident.
pub fn lake_prefixes(crawlers: &[&Desired]) -> Result<Vec<LakePrefix>, OpsError> {
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for d in crawlers {
        let targets = d
            .spec
            .pointer("/Targets/S3Targets")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for t in targets {
            let Some(path) = t.get("Path").and_then(serde_json::Value::as_str) else {
                continue;
            };
            let Some((bucket, prefix)) = split_s3(path) else {
                return Err(OpsError::Other(format!(
                    "`{}` has S3 target `{path}`, which is not an s3://bucket/prefix URL",
                    d.addr
                )));
            };
            if prefix.is_empty() {
                return Err(OpsError::Other(format!(
                    "`{}` crawls the whole bucket `s3://{bucket}/`; twh purge empties crawler prefixes and will not empty a bucket",
                    d.addr
                )));
            }
            found
                .entry((bucket, prefix))
                .or_default()
                .push(d.addr.to_string());
        }
    }
    let mut out: Vec<LakePrefix> = Vec::new();
    // Sorted, so an outer prefix comes before the prefixes nested in it.
    for ((bucket, prefix), crawlers) in found {
        if let Some(outer) = out
            .iter_mut()
            .find(|p| p.bucket == bucket && prefix.starts_with(&p.prefix))
        {
            outer.crawlers.extend(crawlers);
            continue;
        }
        out.push(LakePrefix {
            bucket,
            prefix,
            crawlers,
            objects: 0,
            bytes: 0,
            keys: Vec::new(),
        });
    }
    Ok(out)
}

/// Whether `location` (a table's) is in one of `prefixes`.
fn under(location: &str, prefixes: &[LakePrefix]) -> bool {
    split_s3(location).is_some_and(|(bucket, path)| {
        prefixes
            .iter()
            .any(|p| p.bucket == bucket && path.starts_with(&p.prefix))
    })
}

/// Lists what a purge of this estate would delete.
pub async fn plan(
    clients: &Clients,
    desired: &BTreeMap<twh_core::addr::Address, Desired>,
) -> Result<PurgePlan, OpsError> {
    let of = |kind: &str| -> Vec<&Desired> {
        desired.values().filter(|d| d.kind.name == kind).collect()
    };
    let mut prefixes = lake_prefixes(&of("glue_crawler"))?;
    for p in &mut prefixes {
        list_objects(clients, p).await?;
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
            if !under(&location, &prefixes) {
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
        prefixes,
        tables,
        kept,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use twh_core::addr::Address;
    use twh_core::kinds::kind;

    fn crawler(name: &str, paths: &[&str]) -> Desired {
        let k = kind("glue_crawler").expect("kind");
        let targets: Vec<_> = paths.iter().map(|p| json!({"Path": p})).collect();
        let spec = json!({"Name": name, "Targets": {"S3Targets": targets}});
        Desired {
            addr: Address::new("glue_crawler", name),
            kind: k,
            attributes: k.attributes(&spec, "r", "1").expect("attrs"),
            spec,
            sensitive: vec![],
            lifecycle: Default::default(),
            depends_on: vec![],
        }
    }

    #[test]
    fn prefixes_are_normalized_and_nested_ones_folded() {
        let a = crawler("a", &["s3://lake/raw/orders", "s3://lake/raw/orders/2024/"]);
        let b = crawler("b", &["s3://lake/raw/events/"]);
        let got = lake_prefixes(&[&a, &b]).expect("prefixes");
        let urls: Vec<_> = got.iter().map(LakePrefix::url).collect();
        assert_eq!(urls, ["s3://lake/raw/events/", "s3://lake/raw/orders/"]);
        assert_eq!(got[1].crawlers, ["glue_crawler.a", "glue_crawler.a"]);
    }

    #[test]
    fn a_whole_bucket_target_is_refused() {
        let a = crawler("a", &["s3://lake"]);
        let err = lake_prefixes(&[&a]).expect_err("refused");
        assert!(err.to_string().contains("whole bucket"), "{err}");
    }

    #[test]
    fn locations_match_on_folder_boundaries_only() {
        let a = crawler("a", &["s3://lake/raw/orders/"]);
        let p = lake_prefixes(&[&a]).expect("prefixes");
        assert!(under("s3://lake/raw/orders/", &p));
        assert!(under("s3://lake/raw/orders", &p));
        assert!(under("s3://lake/raw/orders/dt=1/", &p));
        assert!(!under("s3://lake/raw/orders_archive/", &p));
        assert!(!under("s3://other/raw/orders/", &p));
        assert!(!under("", &p));
    }
}

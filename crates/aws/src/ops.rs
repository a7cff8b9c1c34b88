//! The operator commands' AWS calls: [`OpsProvider`] over the SDK clients
//! the providers use (one call log, one retry policy). Each method is one
//! API (or one paged API) turned into the trait's small types; what to call
//! when, and what it means, is in [`twh_core::ops`].

use std::collections::BTreeMap;

use aws_sdk_glue::types::CrawlerState as GlueState;
use aws_sdk_quicksight::types::IngestionType;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::provider::aws::Clients;
use crate::provider::aws_athena;
use crate::provider::aws_common::{Op, build_error, required};
use twh_core::ops::provider::{
    Crawler, CrawlerMetrics, CrawlerState, Failure, Ingestion, IngestionRef, IngestionStatus,
    LastCrawl, Object, OpsProvider, Query, QueryRows, Start, Table,
};
use twh_core::provider::ProviderError;

const CRAWLER: &str = "glue_crawler";
const DATA_SET: &str = "quicksight_data_set";

fn crawler(c: aws_sdk_glue::types::Crawler) -> Option<Crawler> {
    Some(Crawler {
        name: c.name?,
        state: c.state.map(|s| match s {
            GlueState::Ready => CrawlerState::Ready,
            GlueState::Running => CrawlerState::Running,
            GlueState::Stopping => CrawlerState::Stopping,
            other => CrawlerState::parse(other.as_str()),
        }),
        last_crawl: c.last_crawl.map(|l| LastCrawl {
            status: l.status.map(|s| s.as_str().to_string()),
            error: l.error_message,
            started: l.start_time.map(|t| t.as_nanos()),
        }),
    })
}

fn query<'a>(q: &Query<'a>) -> aws_athena::Query<'a> {
    aws_athena::Query {
        kind: q.kind,
        id: q.id,
        workgroup: q.workgroup,
        database: q.database,
        catalog: q.catalog,
        sql: q.sql,
        timeout: q.timeout,
    }
}

#[async_trait::async_trait]
impl OpsProvider for Clients {
    fn account(&self) -> String {
        self.caller.account().to_string()
    }

    async fn crawlers(&self, names: &[String]) -> Result<BTreeMap<String, Crawler>, ProviderError> {
        let page = self
            .caller
            .call(Op::read("glue", "BatchGetCrawlers", CRAWLER, "*"), || {
                self.glue
                    .batch_get_crawlers()
                    .set_crawler_names(Some(names.to_vec()))
                    .send()
            })
            .await?;
        Ok(page
            .crawlers
            .unwrap_or_default()
            .into_iter()
            .filter_map(crawler)
            .map(|c| (c.name.clone(), c))
            .collect())
    }

    async fn start_crawler(&self, name: &str) -> Result<Start, ProviderError> {
        let r = self
            .caller
            .call(Op::write("glue", "StartCrawler", CRAWLER, name), || {
                self.glue.start_crawler().name(name).send()
            })
            .await;
        match r {
            Ok(_) => Ok(Start::Started),
            Err(ProviderError::Api { message, .. })
                if message.contains("CrawlerRunningException") =>
            {
                Ok(Start::AlreadyRunning)
            }
            Err(e) => Err(e),
        }
    }

    async fn crawler_metrics(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, CrawlerMetrics>, ProviderError> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read("glue", "GetCrawlerMetrics", CRAWLER, "*"), || {
                    self.glue
                        .get_crawler_metrics()
                        .set_crawler_name_list(Some(names.to_vec()))
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            for m in page.crawler_metrics_list.unwrap_or_default() {
                if let Some(n) = m.crawler_name {
                    out.insert(
                        n,
                        CrawlerMetrics {
                            tables_created: m.tables_created,
                            tables_updated: m.tables_updated,
                            tables_deleted: m.tables_deleted,
                            last_runtime_seconds: m.last_runtime_seconds,
                        },
                    );
                }
            }
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn start_ingestion(&self, i: IngestionRef<'_>) -> Result<IngestionStatus, ProviderError> {
        let started = self
            .caller
            .call(
                Op::write("quicksight", "CreateIngestion", DATA_SET, i.data_set_id),
                || {
                    self.quicksight
                        .create_ingestion()
                        .aws_account_id(i.account)
                        .data_set_id(i.data_set_id)
                        .ingestion_id(i.ingestion_id)
                        .ingestion_type(IngestionType::FullRefresh)
                        .send()
                },
            )
            .await?;
        Ok(started
            .ingestion_status
            .map_or(IngestionStatus::Initialized, |s| {
                IngestionStatus::parse(s.as_str())
            }))
    }

    async fn ingestion(&self, i: IngestionRef<'_>) -> Result<Ingestion, ProviderError> {
        let op = Op::read("quicksight", "DescribeIngestion", DATA_SET, i.data_set_id);
        let out = self
            .caller
            .call(op, || {
                self.quicksight
                    .describe_ingestion()
                    .aws_account_id(i.account)
                    .data_set_id(i.data_set_id)
                    .ingestion_id(i.ingestion_id)
                    .send()
            })
            .await?;
        let ing = required(&op, "Ingestion", out.ingestion)?;
        Ok(Ingestion {
            status: IngestionStatus::parse(ing.ingestion_status.as_str()),
            error: ing.error_info.and_then(|e| {
                let kind = e.r#type.map(|t| t.as_str().to_string());
                match (kind, e.message) {
                    (Some(k), Some(m)) => Some(format!("{k}: {m}")),
                    (k, m) => m.or(k),
                }
            }),
            rows_ingested: ing.row_info.as_ref().and_then(|r| r.rows_ingested),
            rows_dropped: ing.row_info.as_ref().and_then(|r| r.rows_dropped),
            seconds: ing.ingestion_time_in_seconds,
        })
    }

    async fn run_query(&self, q: &Query<'_>) -> Result<String, ProviderError> {
        aws_athena::run_query(&self.athena, &self.caller, &query(q)).await
    }

    async fn query_rows(
        &self,
        q: &Query<'_>,
        execution_id: &str,
        keep: usize,
    ) -> Result<QueryRows, ProviderError> {
        let r =
            aws_athena::query_rows(&self.athena, &self.caller, q.kind, q.id, execution_id, keep)
                .await?;
        Ok(QueryRows {
            columns: r.columns,
            count: r.count,
            sample: r.sample,
        })
    }

    async fn tables(&self, database: &str) -> Result<Option<Vec<Table>>, ProviderError> {
        let live = self.glue_provider().tables("glue_table", database).await?;
        Ok(live.map(|tables| {
            tables
                .into_iter()
                .map(|t| Table {
                    view: t.table_type.as_deref() == Some("VIRTUAL_VIEW"),
                    location: t.storage_descriptor.and_then(|s| s.location),
                    name: t.name,
                })
                .collect()
        }))
    }

    async fn drop_tables(
        &self,
        database: &str,
        names: &[String],
    ) -> Result<Vec<Failure>, ProviderError> {
        let out = self
            .caller
            .call(
                Op::write("glue", "BatchDeleteTable", "glue_table", database),
                || {
                    self.glue
                        .batch_delete_table()
                        .database_name(database)
                        .set_tables_to_delete(Some(names.to_vec()))
                        .send()
                },
            )
            .await?;
        Ok(out
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
            .map(|e| Failure {
                name: e.table_name.unwrap_or_default(),
                message: e
                    .error_detail
                    .and_then(|d| d.error_message)
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<Object>>, ProviderError> {
        let url = format!("s3://{bucket}/{prefix}");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read("s3", "ListObjectsV2", "s3_prefix", &url), || {
                    self.s3
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_continuation_token(token.clone())
                        .send()
                })
                .await;
            let page = match page {
                Ok(page) => page,
                Err(ProviderError::NotFound { .. }) => return Ok(None),
                Err(e) if e.to_string().contains("NoSuchBucket") => return Ok(None),
                Err(e) => return Err(e),
            };
            for o in page.contents.unwrap_or_default() {
                if let Some(key) = o.key {
                    out.push(Object {
                        key,
                        size: o.size.unwrap_or_default(),
                    });
                }
            }
            token = page.next_continuation_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(Some(out));
            }
        }
    }

    async fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<Failure>, ProviderError> {
        let malformed = |e| build_error("S3 DeleteObjects", e);
        let ids = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(malformed)?;
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(malformed)?;
        let url = format!("s3://{bucket}/");
        let out = self
            .caller
            .call(Op::write("s3", "DeleteObjects", "s3_prefix", &url), || {
                self.s3
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete.clone())
                    .send()
            })
            .await?;
        Ok(out
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| Failure {
                name: e.key.unwrap_or_default(),
                message: e.message.unwrap_or_default(),
            })
            .collect())
    }
}

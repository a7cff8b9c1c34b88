//! S3 through aws-sdk-s3, configured by the SDK's standard chain
//! (`AWS_ENDPOINT_URL`, profiles, roles); path-style addressing when an
//! endpoint URL is set, as emulators need.
//!
//! Objects appear whole or not at all: a single `PutObject` for small
//! files, a multipart upload for large ones that is completed only when
//! every part is in (and aborted otherwise).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tempfile::{TempDir, TempPath};

use super::{Fetched, Sink, sink_err};
use crate::Error;
use crate::env;
use crate::error::SinkError;

/// Files larger than this go up in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// Part size of multipart uploads (S3's minimum is 5 MiB).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

pub struct S3Sink {
    client: Client,
    bucket: String,
    prefix: String,
    staging: TempDir,
    multipart_threshold: u64,
    part_size: u64,
}

fn s3_err<E: std::error::Error + Send + Sync + 'static>(op: &'static str, e: E) -> SinkError {
    SinkError::S3 {
        op,
        source: Box::new(e),
    }
}

/// S3 answers bursts with SlowDown and, rarely, 5xx. The SDK's default (3
/// attempts from a 1 s base) fails a run of hundreds of calls under a 30%
/// error rate; ten attempts from 100 ms make each call's failure
/// negligible, and a rerun still resumes whatever gives up.
fn sink_retries() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(10)
        .with_initial_backoff(std::time::Duration::from_millis(100))
}

/// The SDK's standard retry quota (a token bucket shared by the client)
/// stops all retries after about a hundred failures, however far apart:
/// under a steady error rate a long extraction then fails calls that one
/// more attempt would have saved. Attempts per call are bounded above.
fn unlimited_retry_quota() -> aws_sdk_s3::config::retry::RetryPartition {
    use aws_sdk_s3::config::retry::{RetryPartition, TokenBucket};
    RetryPartition::custom("twh-extract-s3")
        .token_bucket(TokenBucket::unlimited())
        .build()
}

impl S3Sink {
    /// A sink on `bucket` under `prefix`, with the SDK's default
    /// configuration from the environment.
    pub async fn from_env(bucket: &str, prefix: &str) -> Result<Self, Error> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(sink_retries())
            .load()
            .await;
        let endpoint_set = config.endpoint_url().is_some()
            || std::env::var_os(env::AWS_ENDPOINT_URL_S3).is_some()
            || std::env::var_os(env::AWS_ENDPOINT_URL).is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(endpoint_set)
            .retry_partition(unlimited_retry_quota())
            .build();
        Self::with_client(Client::from_conf(s3_config), bucket, prefix)
    }

    /// A sink with a given client (tests).
    pub fn with_client(client: Client, bucket: &str, prefix: &str) -> Result<Self, Error> {
        let staging = tempfile::Builder::new()
            .prefix("twh-extract-")
            .tempdir()
            .map_err(|e| sink_err("temporary directory", "create", e))?;
        Ok(S3Sink {
            client,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            staging,
            multipart_threshold: MULTIPART_THRESHOLD,
            part_size: PART_SIZE,
        })
    }

    /// Lowers the multipart threshold and part size (tests).
    pub fn with_multipart(mut self, threshold: u64, part_size: u64) -> Self {
        self.multipart_threshold = threshold;
        self.part_size = part_size.max(5 * 1024 * 1024);
        self
    }

    fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(key))
    }

    async fn get(&self, key: &str) -> Result<Option<ByteStream>, Error> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.body)),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_no_such_key() {
                    Ok(None)
                } else {
                    Err(sink_err(self.url(key), "read", s3_err("GetObject", e)))
                }
            }
        }
    }

    async fn upload_multipart(&self, path: &Path, size: u64, key: &str) -> Result<(), SinkError> {
        let full = self.key(key);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&full)
            .content_type("application/x-ndjson")
            .content_encoding("gzip")
            .send()
            .await
            .map_err(|e| s3_err("CreateMultipartUpload", e.into_service_error()))?;
        let Some(upload_id) = created.upload_id else {
            return Err(SinkError::S3 {
                op: "CreateMultipartUpload",
                source: "no upload id in the response".into(),
            });
        };
        let result = self.upload_parts(path, size, &full, &upload_id).await;
        match result {
            Ok(parts) => self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(&full)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| s3_err("CompleteMultipartUpload", e.into_service_error())),
            Err(e) => {
                // Nothing becomes visible; free the parts already stored.
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&full)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        path: &Path,
        size: u64,
        full: &str,
        upload_id: &str,
    ) -> Result<Vec<CompletedPart>, SinkError> {
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        while offset < size {
            let len = self.part_size.min(size - offset);
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(Length::Exact(len))
                .build()
                .await
                .map_err(|e| s3_err("UploadPart", e))?;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(upload_id)
                .part_number(number)
                .body(body)
                .send()
                .await
                .map_err(|e| s3_err("UploadPart", e.into_service_error()))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag)
                    .build(),
            );
            offset += len;
            number += 1;
        }
        Ok(parts)
    }
}

#[async_trait]
impl Sink for S3Sink {
    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn staging_dir(&self) -> &Path {
        self.staging.path()
    }

    fn parallelism(&self) -> usize {
        8
    }

    async fn fetch(&self, key: &str) -> Result<Option<Fetched>, Error> {
        let Some(mut body) = self.get(key).await? else {
            return Ok(None);
        };
        let url = self.url(key);
        let file = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempfile_in(self.staging.path())
            .map_err(|e| sink_err(url.clone(), "read", e))?;
        let (file, path) = file.into_parts();
        let mut w = std::io::BufWriter::new(file);
        // Streamed to disk chunk by chunk: memory stays flat for any size.
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| sink_err(url.clone(), "read", s3_err("GetObject", e)))?
        {
            w.write_all(&chunk)
                .map_err(|e| sink_err(url.clone(), "read", e))?;
        }
        w.flush().map_err(|e| sink_err(url, "read", e))?;
        Ok(Some(Fetched::Copy(path)))
    }

    async fn publish(&self, staged: TempPath, key: &str) -> Result<u64, Error> {
        let url = self.url(key);
        let path: PathBuf = staged.to_path_buf();
        let size = fs_err::metadata(&path)
            .map_err(|e| sink_err(url.clone(), "write", e))?
            .len();
        if size > self.multipart_threshold {
            self.upload_multipart(&path, size, key)
                .await
                .map_err(|e| sink_err(url.clone(), "write", e))?;
        } else {
            let body = ByteStream::from_path(&path)
                .await
                .map_err(|e| sink_err(url.clone(), "write", s3_err("PutObject", e)))?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .content_type("application/x-ndjson")
                .content_encoding("gzip")
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    sink_err(
                        url.clone(),
                        "write",
                        s3_err("PutObject", e.into_service_error()),
                    )
                })?;
        }
        drop(staged);
        Ok(size)
    }

    async fn read_small(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(body) = self.get(key).await? else {
            return Ok(None);
        };
        let bytes = body
            .collect()
            .await
            .map_err(|e| sink_err(self.url(key), "read", s3_err("GetObject", e)))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn write_small(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .content_type("application/json")
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                sink_err(
                    self.url(key),
                    "write",
                    s3_err("PutObject", e.into_service_error()),
                )
            })
    }

    async fn create_small(&self, key: &str, bytes: Vec<u8>) -> Result<bool, Error> {
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(bytes))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412 | 409)) {
                    Ok(false)
                } else {
                    Err(sink_err(
                        self.url(key),
                        "create",
                        s3_err("PutObject", e.into_service_error()),
                    ))
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                sink_err(
                    self.url(key),
                    "delete",
                    s3_err("DeleteObject", e.into_service_error()),
                )
            })
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let full = self.key(prefix);
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(full)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                sink_err(
                    self.url(prefix),
                    "list",
                    s3_err("ListObjectsV2", e.into_service_error()),
                )
            })?;
            for obj in page.contents() {
                if let Some(k) = obj.key() {
                    out.push(k.strip_prefix(&strip).unwrap_or(k).to_owned());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

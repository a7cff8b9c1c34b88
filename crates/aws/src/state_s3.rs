//! The S3 state backend: the state is the object `s3://BUCKET/KEY`, its lock
//! the object `KEY.lock` beside it. Both rely on S3 conditional writes:
//!
//! - the lock is created with `If-None-Match: *`, so of two runs exactly one
//!   creates it (412 PreconditionFailed, or 409 ConditionalRequestConflict
//!   while racing, means someone else holds it);
//! - the state is written with `If-Match: <ETag of the version this run read
//!   or last wrote>` (or `If-None-Match: *` when there was none), so a run
//!   that lost its lock, or any other writer, cannot overwrite a state it has
//!   not seen;
//! - the lock is deleted with `If-Match` on the ETag of the lock this run
//!   read, so an unlock never removes a lock taken by someone else meanwhile.
//!
//! State objects are only ever overwritten, never deleted: on a versioned
//! bucket every state ever written stays recoverable.

use std::sync::Mutex;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use twh_core::state::{
    Backend, Overwrite, StateError, StateFile, Version, check_location, check_successor, parse,
    render,
};

pub struct S3Backend {
    client: Client,
    bucket: String,
    key: String,
    lock_key: String,
    /// What the stored state was when this run last read or wrote it; the
    /// next write is conditional on it. `None` until the first look.
    seen: Mutex<Option<Seen>>,
}

#[derive(Debug, Clone)]
enum Seen {
    Absent,
    Present {
        etag: String,
        version: Version,
    },
    /// A conditional write failed: someone else wrote. Every later write
    /// fails too (re-reading would let this run write over their state)
    /// until the caller reads again.
    Lost,
}

impl S3Backend {
    /// The backend for `s3://bucket/key`; `key` must name an object.
    pub fn new(client: Client, bucket: &str, key: &str) -> Result<Self, String> {
        check_location(bucket, key).map_err(|(_, msg)| msg)?;
        Ok(Self {
            client,
            bucket: bucket.into(),
            key: key.into(),
            lock_key: format!("{key}.lock"),
            seen: Mutex::new(None),
        })
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn seen(&self) -> Option<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or(None)
    }

    fn remember(&self, seen: Option<Seen>) {
        if let Ok(mut s) = self.seen.lock() {
            *s = seen;
        }
    }

    /// Reads `key`: its text and ETag, `None` if it does not exist.
    async fn get(&self, key: &str) -> Result<Option<(String, String)>, StateError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
            Err(e) => return Err(self.failure("GetObject", key, &e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| StateError::Backend(format!("cannot read {}: {e}", self.url(key))))?
            .into_bytes();
        let text = String::from_utf8(bytes.to_vec()).map_err(|e| StateError::Corrupt {
            path: self.url(key),
            message: e.to_string(),
        })?;
        Ok(Some((text, etag)))
    }

    /// A failed S3 call, with the likely fix for the usual causes.
    fn failure<E>(&self, op: &str, key: &str, err: &SdkError<E, HttpResponse>) -> StateError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().unwrap_or("");
        let detail = err.message().map(str::to_string).unwrap_or_else(|| {
            aws_smithy_types::error::display::DisplayErrorContext(err).to_string()
        });
        let hint = match code {
            "NoSuchBucket" => format!(
                "; bucket `{}` does not exist: create it (with versioning on) or fix `state.bucket` in the environment file",
                self.bucket
            ),
            "AccessDenied" | "Forbidden" => {
                "; the credentials need s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject on the state and lock objects (README, State backends)".into()
            }
            _ => String::new(),
        };
        let code = if code.is_empty() {
            String::new()
        } else {
            format!("{code}: ")
        };
        StateError::Backend(format!(
            "{op} {} failed: {code}{detail}{hint}",
            self.url(key)
        ))
    }
}

/// Whether a failed conditional write means "the condition did not hold":
/// 412 PreconditionFailed, 409 ConditionalRequestConflict (a concurrent
/// conditional write to the same key), or 404 for `If-Match` on an object
/// that is gone.
fn precondition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(
        err.code(),
        Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
    ) || matches!(err, SdkError::ServiceError(_))
        && err
            .raw_response()
            .is_some_and(|r| matches!(r.status().as_u16(), 409 | 412))
}

#[async_trait::async_trait]
impl Backend for S3Backend {
    fn describe(&self) -> String {
        self.url(&self.key)
    }

    fn describe_lock(&self) -> String {
        self.url(&self.lock_key)
    }

    async fn read(&self) -> Result<Option<StateFile>, StateError> {
        match self.get(&self.key).await? {
            None => {
                self.remember(Some(Seen::Absent));
                Ok(None)
            }
            Some((text, etag)) => {
                let state = parse(&self.describe(), &text)?;
                self.remember(Some(Seen::Present {
                    etag,
                    version: Version::from(&state),
                }));
                Ok(Some(state))
            }
        }
    }

    async fn store(&self, state: &StateFile, overwrite: Overwrite) -> Result<(), StateError> {
        let seen = match self.seen() {
            Some(s) => s,
            None => {
                self.read().await?;
                self.seen().unwrap_or(Seen::Absent)
            }
        };
        let conflict = || StateError::Conflict {
            path: self.describe(),
        };
        if matches!(seen, Seen::Lost) {
            return Err(conflict());
        }
        if overwrite == Overwrite::Successor
            && let Seen::Present { version, .. } = &seen
        {
            check_successor(&self.describe(), Some(version), state)?;
        }
        let text = render(state)?;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .body(ByteStream::from(text.clone().into_bytes()));
        let put = match &seen {
            Seen::Present { etag, .. } => put.if_match(etag),
            Seen::Absent | Seen::Lost => put.if_none_match("*"),
        };
        match put.send().await {
            Ok(out) => {
                // Without an ETag the next write re-reads to get one.
                self.remember(out.e_tag().map(|etag| Seen::Present {
                    etag: etag.to_string(),
                    version: Version::from(state),
                }));
                Ok(())
            }
            Err(e) if precondition_failed(&e) => {
                // The SDK retries a write whose answer was lost; the retry
                // then fails its own condition. If what is stored is
                // exactly what we wrote, the write went through.
                if let Some((stored, etag)) = self.get(&self.key).await?
                    && stored == text
                {
                    self.remember(Some(Seen::Present {
                        etag,
                        version: Version::from(state),
                    }));
                    return Ok(());
                }
                self.remember(Some(Seen::Lost));
                Err(conflict())
            }
            Err(e) => Err(self.failure("PutObject", &self.key, &e)),
        }
    }

    async fn create_lock(&self, text: &str) -> Result<bool, StateError> {
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.lock_key)
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if precondition_failed(&e) => Ok(false),
            Err(e) => Err(self.failure("PutObject", &self.lock_key, &e)),
        }
    }

    async fn read_lock(&self) -> Result<Option<(String, String)>, StateError> {
        self.get(&self.lock_key).await
    }

    async fn delete_lock(&self, tag: &str) -> Result<bool, StateError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.lock_key)
            .if_match(tag)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if precondition_failed(&e) => Ok(false),
            Err(e) => Err(self.failure("DeleteObject", &self.lock_key, &e)),
        }
    }
}

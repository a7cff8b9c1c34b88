//! Errors of twh-extract. Messages name the stream and where it stopped (the
//! cursor) in backticks; causes stay in `#[source]` and are not repeated in
//! the message, so a chain renderer prints each once.

use std::path::PathBuf;

/// Everything that can stop a stream or a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Retries ran out on a retryable failure (429, 5xx, timeout).
    #[error("stream `{stream}` gave up at {cursor} after {attempts} attempts")]
    RetriesExhausted {
        stream: String,
        cursor: String,
        attempts: u32,
        #[source]
        source: HttpError,
    },
    /// A failure that retrying cannot fix (400, 403, 404, bad JSON).
    #[error("stream `{stream}` failed at {cursor}")]
    Request {
        stream: String,
        cursor: String,
        #[source]
        source: HttpError,
    },
    /// The API refused the credentials, also after a fresh token.
    #[error("{api} rejected the credentials")]
    Auth {
        api: &'static str,
        #[source]
        source: HttpError,
    },
    /// The API answered in a way the stream cannot continue from.
    #[error("stream `{stream}` cannot continue at {cursor}: {reason}")]
    Protocol {
        stream: String,
        cursor: String,
        reason: String,
    },
    /// A credential is neither in the environment nor in the file.
    #[error(
        "missing credential `{name}`: set it in the environment or in the file given with `--credentials`"
    )]
    MissingCredential { name: &'static str },
    /// The credentials file could not be read.
    #[error("cannot read credentials file `{path}`")]
    CredentialsFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Secrets Manager secret named by `--credentials` could not be read.
    #[error("cannot read secret `{id}` from AWS Secrets Manager")]
    Secret {
        id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `--sink` is neither `s3://bucket/prefix` nor a directory path.
    #[error("invalid sink `{sink}`: {reason}")]
    InvalidSink { sink: String, reason: String },
    /// Reading or writing the sink failed.
    #[error("cannot {action} `{location}`")]
    Sink {
        location: String,
        action: &'static str,
        #[source]
        source: SinkError,
    },
    /// A stream's saved state does not parse (written by another version?).
    #[error("state of stream `{stream}` at `{key}` is not valid")]
    State {
        stream: String,
        key: String,
        #[source]
        source: serde_json::Error,
    },
    /// Another run holds the sink's lock.
    #[error("sink `{sink}` is locked by {holder}")]
    Locked { sink: String, holder: String },
    /// The stream's writer task stopped (it failed; its error is reported).
    #[error("stream `{stream}`: the writer stopped")]
    WriterGone { stream: String },
    /// A setting is out of range or contradicts another.
    #[error("invalid setting: {0}")]
    Settings(String),
    /// Building the HTTP client failed.
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

impl Error {
    /// A hint shown under the error, when there is one worth giving.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::MissingCredential { name } => Some(format!(
                "export `{name}`, or put `{name}=...` in a file passed with `--credentials`"
            )),
            Error::Auth { api, .. } => Some(format!("check the {api} credentials")),
            Error::Secret { .. } => Some(
                "check the ARN (or name) and its region, and that the caller (on Lambda, the \
                 function's role) may `secretsmanager:GetSecretValue` on it"
                    .to_owned(),
            ),
            Error::Request {
                source: HttpError::Status { status, .. },
                ..
            } => match status {
                403 => Some(
                    "the key may not read this resource: grant it read access (restricted \
                     keys), or leave the stream out with `--streams`; the cursor did not move"
                        .to_owned(),
                ),
                404 => Some(
                    "the API does not know this path or object: check `--stripe-api-base` and \
                     `--stripe-api-version`; the cursor did not move, rerun after fixing"
                        .to_owned(),
                ),
                _ => Some(
                    "the API refused the request as sent; retrying cannot fix it, the cursor \
                     did not move"
                        .to_owned(),
                ),
            },
            Error::RetriesExhausted { .. } => Some(
                "rerun later: the cursor was not advanced past this point, nothing is lost"
                    .to_owned(),
            ),
            Error::Locked { .. } => Some(
                "wait for the other run to finish; if it crashed, its lock is taken over \
                 once it is stale"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// One HTTP exchange that went wrong. URLs carry no secrets (keys and tokens
/// travel in headers only).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP {status} from `{url}`{}", body_suffix(body))]
    Status {
        status: u16,
        url: String,
        body: Option<String>,
    },
    #[error("request to `{url}` timed out")]
    Timeout {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("request to `{url}` failed")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("response from `{url}` is not the expected JSON")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// A 429 that said which limit it hit.
    #[error("rate limited (`Stripe-Rate-Limited-Reason: {reason}`)")]
    RateLimited {
        reason: String,
        #[source]
        source: Box<HttpError>,
    },
}

fn body_suffix(body: &Option<String>) -> String {
    body.as_deref()
        .map(|b| format!(": {b}"))
        .unwrap_or_default()
}

/// A sink operation's cause.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("S3 {op} failed")]
    S3 {
        op: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("existing partition file is corrupt: {0}")]
    Corrupt(String),
    #[error("background task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// Renders an error and its causes, one per line, then its hint: the one
/// style both binaries use ([`twh_core::report`]).
pub fn render(err: &(dyn std::error::Error + 'static), hint: Option<String>) -> String {
    twh_core::report::render(err, hint.as_deref())
}

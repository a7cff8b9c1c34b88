//! A client of the Lambda Runtime API, version 2018-06-01: the four calls a
//! custom runtime makes, as AWS documents them in "Using the Lambda runtime
//! API for custom runtimes"
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//!
//! - `GET /2018-06-01/runtime/invocation/next`: blocks until there is an
//!   invocation; the body is the event, the headers carry
//!   `Lambda-Runtime-Aws-Request-Id` and `Lambda-Runtime-Deadline-Ms` (the
//!   deadline in Unix milliseconds). "Do not set a timeout on the GET call":
//!   the client has none.
//! - `POST /2018-06-01/runtime/invocation/{AwsRequestId}/response`.
//! - `POST /2018-06-01/runtime/invocation/{AwsRequestId}/error` and
//!   `POST /2018-06-01/runtime/init/error`, with the body
//!   `{"errorMessage": …, "errorType": …, "stackTrace": []}` and the header
//!   `Lambda-Runtime-Function-Error-Type`.
//!
//! Each POST is answered `202 Accepted`.
//!
//! Why not the `lambda_runtime` crate: it switches on features of serde
//! (`rc`), syn and futures-util that nothing else here asks for, and serde
//! sits under every crate of the build, so adding it recompiles the whole
//! AWS SDK in every build directory; the API it wraps is these four calls.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// The API version in every path.
const VERSION: &str = "2018-06-01";

/// One invocation handed out by `next`.
#[derive(Debug)]
pub struct Invocation {
    pub request_id: String,
    /// When Lambda stops the function (`Lambda-Runtime-Deadline-Ms`).
    pub deadline: SystemTime,
    /// The event, as sent.
    pub body: bytes::Bytes,
}

/// The error body Lambda records for an invocation or the init phase.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_message: String,
    pub error_type: String,
    pub stack_trace: Vec<String>,
}

/// Why talking to the Runtime API failed; the process cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeApiError {
    #[error("the Lambda Runtime API at `{url}` failed")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the Lambda Runtime API answered HTTP {status} to `{url}`")]
    Status { url: String, status: u16 },
    #[error("the invocation from `{url}` lacks a valid `{header}` header")]
    Header { url: String, header: &'static str },
}

/// The Runtime API of one execution environment.
pub struct RuntimeApi {
    http: reqwest::Client,
    base: String,
}

impl RuntimeApi {
    /// `host_port` is `AWS_LAMBDA_RUNTIME_API` (e.g. `127.0.0.1:9001`).
    pub fn new(host_port: &str) -> Result<Self, RuntimeApiError> {
        let base = format!(
            "http://{}/{VERSION}/runtime",
            host_port.trim_end_matches('/')
        );
        // No timeout: `next` waits as long as there is no invocation.
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|source| RuntimeApiError::Transport {
                url: base.clone(),
                source,
            })?;
        Ok(RuntimeApi { http, base })
    }

    /// Waits for the next invocation.
    pub async fn next(&self) -> Result<Invocation, RuntimeApiError> {
        let url = format!("{}/invocation/next", self.base);
        let resp =
            self.http
                .get(&url)
                .send()
                .await
                .map_err(|source| RuntimeApiError::Transport {
                    url: url.clone(),
                    source,
                })?;
        if !resp.status().is_success() {
            return Err(RuntimeApiError::Status {
                url,
                status: resp.status().as_u16(),
            });
        }
        let header = |name: &'static str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or(RuntimeApiError::Header {
                    url: url.clone(),
                    header: name,
                })
        };
        let request_id = header("Lambda-Runtime-Aws-Request-Id")?;
        let deadline_ms: u64 = header("Lambda-Runtime-Deadline-Ms")?
            .trim()
            .parse()
            .map_err(|_| RuntimeApiError::Header {
                url: url.clone(),
                header: "Lambda-Runtime-Deadline-Ms",
            })?;
        let body = resp
            .bytes()
            .await
            .map_err(|source| RuntimeApiError::Transport {
                url: url.clone(),
                source,
            })?;
        Ok(Invocation {
            request_id,
            deadline: UNIX_EPOCH + Duration::from_millis(deadline_ms),
            body,
        })
    }

    /// The invocation's result.
    pub async fn respond(
        &self,
        request_id: &str,
        body: &impl Serialize,
    ) -> Result<(), RuntimeApiError> {
        let url = format!("{}/invocation/{request_id}/response", self.base);
        let req = self.http.post(&url).json(body);
        Self::send(url, req).await
    }

    /// The invocation failed.
    pub async fn fail(&self, request_id: &str, error: &ErrorBody) -> Result<(), RuntimeApiError> {
        let url = format!("{}/invocation/{request_id}/error", self.base);
        let req = self.error_request(&url, error);
        Self::send(url, req).await
    }

    /// The runtime cannot start (before the first `next`).
    pub async fn init_failed(&self, error: &ErrorBody) -> Result<(), RuntimeApiError> {
        let url = format!("{}/init/error", self.base);
        let req = self.error_request(&url, error);
        Self::send(url, req).await
    }

    fn error_request(&self, url: &str, error: &ErrorBody) -> reqwest::RequestBuilder {
        self.http
            .post(url)
            .header("Lambda-Runtime-Function-Error-Type", &error.error_type)
            .json(error)
    }

    async fn send(url: String, req: reqwest::RequestBuilder) -> Result<(), RuntimeApiError> {
        let resp = req
            .send()
            .await
            .map_err(|source| RuntimeApiError::Transport {
                url: url.clone(),
                source,
            })?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(RuntimeApiError::Status {
                url,
                status: resp.status().as_u16(),
            })
        }
    }
}

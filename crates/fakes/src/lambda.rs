//! A local AWS Lambda Runtime API (version 2018-06-01), for the end-to-end
//! tests of `twh-extract lambda`: the four endpoints a custom runtime calls,
//! as "Using the Lambda runtime API for custom runtimes" documents them
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//!
//! - `GET /2018-06-01/runtime/invocation/next` waits until an invocation is
//!   queued and answers its event, with `Lambda-Runtime-Aws-Request-Id`,
//!   `Lambda-Runtime-Deadline-Ms` (now plus the function's timeout, Unix
//!   milliseconds), `Lambda-Runtime-Invoked-Function-Arn` and
//!   `Lambda-Runtime-Trace-Id`.
//! - `POST /2018-06-01/runtime/invocation/{AwsRequestId}/response` and
//!   `.../error`, and `POST /2018-06-01/runtime/init/error`: `202 Accepted`
//!   with `{"status": "OK"}`; an unknown or already answered request id is a
//!   `400` (`InvalidRequestID`), as the documented `400 Bad Request`.
//!
//! Several runtimes (processes) may poll one fake: each invocation goes to
//! one of them, as Lambda gives each to one execution environment.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

/// The function ARN the fake reports.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:twh-extract";

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `POST .../response`: the body.
    Response(Value),
    /// `POST .../error`: the body (`errorType`, `errorMessage`) and the
    /// `Lambda-Runtime-Function-Error-Type` header.
    Error { body: Value, header: Option<String> },
}

/// An answered invocation.
#[derive(Clone, Debug)]
pub struct Answered {
    pub outcome: Outcome,
    /// Whether the answer came before the invocation's deadline (Lambda
    /// would have stopped the function otherwise).
    pub before_deadline: bool,
}

struct Queued {
    id: String,
    event: Value,
    timeout: Duration,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Queued>,
    /// Handed out, not answered: id → deadline.
    running: BTreeMap<String, SystemTime>,
    answered: BTreeMap<String, Answered>,
    init_errors: Vec<Value>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    queued: Notify,
    changed: Notify,
}

/// The running fake.
pub struct FakeRuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    counter: std::sync::atomic::AtomicU64,
}

impl FakeRuntimeApi {
    /// Serves on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeRuntimeApi {
            addr,
            shared,
            stop: Some(tx),
            task,
            counter: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` (`host:port`).
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an invocation of a function whose timeout is `timeout`;
    /// returns its request id.
    pub fn invoke(&self, event: Value, timeout: Duration) -> String {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("8476a536-e9f4-11e8-9739-{n:012x}");
        if let Ok(mut g) = self.shared.inner.lock() {
            g.queue.push_back(Queued {
                id: id.clone(),
                event,
                timeout,
            });
        }
        self.shared.queued.notify_waiters();
        self.shared.queued.notify_one();
        id
    }

    /// Waits until invocation `id` is answered, at most `wait`.
    pub async fn answer(&self, id: &str, wait: Duration) -> Option<Answered> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.shared.changed.notified();
            if let Some(a) = self
                .shared
                .inner
                .lock()
                .ok()
                .and_then(|g| g.answered.get(id).cloned())
            {
                return Some(a);
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                return None;
            }
        }
    }

    /// Waits until invocation `id` has been handed to a runtime.
    pub async fn started(&self, id: &str, wait: Duration) -> bool {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.shared.changed.notified();
            let seen = self
                .shared
                .inner
                .lock()
                .is_ok_and(|g| g.running.contains_key(id) || g.answered.contains_key(id));
            if seen {
                return true;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                return false;
            }
        }
    }

    /// Bodies posted to `/runtime/init/error`.
    pub fn init_errors(&self) -> Vec<Value> {
        self.shared
            .inner
            .lock()
            .map(|g| g.init_errors.clone())
            .unwrap_or_default()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    loop {
        let queued = s.queued.notified();
        let item = s.inner.lock().ok().and_then(|mut g| {
            let q = g.queue.pop_front()?;
            let deadline = SystemTime::now() + q.timeout;
            g.running.insert(q.id.clone(), deadline);
            Some((q, deadline))
        });
        if let Some((q, deadline)) = item {
            s.changed.notify_waiters();
            let mut r = axum::Json(q.event).into_response();
            let h = r.headers_mut();
            for (name, value) in [
                ("lambda-runtime-aws-request-id", q.id),
                ("lambda-runtime-deadline-ms", unix_ms(deadline).to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    FUNCTION_ARN.to_owned(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                        .to_owned(),
                ),
            ] {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(name, v);
                }
            }
            return r;
        }
        queued.await;
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

fn record(s: &Shared, id: &str, outcome: Outcome) -> Response {
    let Ok(mut g) = s.inner.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(deadline) = g.running.remove(id) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "errorMessage": format!("Invalid request ID: \"{id}\""),
                "errorType": "InvalidRequestID",
            })),
        )
            .into_response();
    };
    g.answered.insert(
        id.to_owned(),
        Answered {
            outcome,
            before_deadline: SystemTime::now() <= deadline,
        },
    );
    drop(g);
    s.changed.notify_waiters();
    accepted()
}

fn json_body(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    record(&s, &id, Outcome::Response(json_body(&body)))
}

async fn error(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    record(
        &s,
        &id,
        Outcome::Error {
            body: json_body(&body),
            header,
        },
    )
}

async fn init_error(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Ok(mut g) = s.inner.lock() {
        g.init_errors.push(json_body(&body));
    }
    s.changed.notify_waiters();
    accepted()
}

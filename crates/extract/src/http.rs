//! One HTTP client per API: pacing through the API's token bucket, retries
//! with backoff, `Retry-After` on 429, and OAuth token refresh on 401.
//! Every failure names the stream and its cursor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::credentials::{Secret, TicketsauceCredentials};
use super::error::{Error, HttpError};
use super::progress::StreamCtx;
use super::ratelimit::{OperationLimits, RateLimiter};
use super::retry::{RetryPolicy, Verdict, classify, parse_retry_after};

/// Fresh tokens one request may ask for before giving up.
const MAX_REFRESHES: u32 = 5;

/// How requests authenticate.
pub enum Auth {
    /// A fixed bearer key (Stripe).
    Bearer(Secret),
    /// OAuth client credentials, refreshed when the API says 401 (Ticketsauce).
    OAuth(TokenSource),
    /// No authentication (tests of the client itself).
    None,
}

/// Client settings shared by every API.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// Builds the reqwest client used by all APIs.
pub fn build_client(s: &HttpSettings) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(s.timeout)
        .connect_timeout(s.connect_timeout)
        .user_agent(concat!("twh-extract/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(Error::Client)
}

/// Names the operation a request path calls (for per-operation limits).
pub type OperationOf = fn(&str) -> String;

/// A paced, retrying JSON client for one API.
pub struct ApiClient {
    api: &'static str,
    http: reqwest::Client,
    base: String,
    limiter: Arc<RateLimiter>,
    retry: RetryPolicy,
    auth: Auth,
    extra_headers: Vec<(&'static str, String)>,
    /// Limits per named operation, and how a path names its operation.
    operations: Option<(OperationLimits, OperationOf)>,
}

impl ApiClient {
    pub fn new(
        api: &'static str,
        http: reqwest::Client,
        base: &str,
        limiter: Arc<RateLimiter>,
        retry: RetryPolicy,
        auth: Auth,
    ) -> Self {
        ApiClient {
            api,
            http,
            base: base.trim_end_matches('/').to_owned(),
            limiter,
            retry,
            auth,
            extra_headers: Vec::new(),
            operations: None,
        }
    }

    /// Paces each named operation as well as the whole API: `operation`
    /// turns a request path into its operation's name (Stripe:
    /// `v1/charges/ch_1` is `GET /v1/charges/{id}`).
    pub fn with_operation_limits(
        mut self,
        limits: OperationLimits,
        operation: OperationOf,
    ) -> Self {
        self.operations = Some((limits, operation));
        self
    }

    fn operation_limiter(&self, path: &str) -> Option<Arc<RateLimiter>> {
        let (limits, name) = self.operations.as_ref()?;
        limits.of(&name(path))
    }

    /// Sends `name: value` with every request (Stripe's API version).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra_headers.push((name, value.into()));
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GETs `path` and parses the JSON body as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        ctx: &StreamCtx,
        cursor: &(dyn Fn() -> String + Sync),
    ) -> Result<T, Error> {
        let url = format!("{}/{}", self.base, path.trim_start_matches('/'));
        let operation = self.operation_limiter(path);
        let mut attempt = 0u32;
        let mut refreshes = 0u32;
        loop {
            attempt += 1;
            let failure = match self.send_once(&url, query, ctx, operation.as_deref()).await {
                Ok(body) => match serde_json::from_slice::<T>(&body) {
                    Ok(v) => return Ok(v),
                    // A 200 with a body cut short is worth one more try;
                    // a body of the wrong shape will fail again and stop.
                    Err(source) => Failure::Retry(HttpError::Decode {
                        url: url.clone(),
                        source,
                    }),
                },
                Err(f) => f,
            };
            let (err, wait) = match failure {
                Failure::Fatal(source) => {
                    return Err(Error::Request {
                        stream: ctx.name.clone(),
                        cursor: cursor(),
                        source,
                    });
                }
                Failure::Auth(source) => {
                    return Err(Error::Auth {
                        api: self.api,
                        source,
                    });
                }
                Failure::Retry(err) => (err, self.retry.backoff(attempt)),
                Failure::Throttled(err, retry_after, reason) => {
                    // The limit is the account's: hold every stream of this
                    // API back, not just this request; only the operation's
                    // bucket when the server says the operation's limit
                    // was hit (`Stripe-Rate-Limited-Reason: endpoint-rate`).
                    let wait = self.retry.after_throttle(attempt, retry_after);
                    match (&operation, reason.as_deref()) {
                        (Some(op), Some(r)) if r.starts_with("endpoint") => op.pause_for(wait),
                        _ => self.limiter.pause_for(wait),
                    }
                    let err = match reason {
                        Some(r) => HttpError::RateLimited {
                            reason: r,
                            source: Box::new(err),
                        },
                        None => err,
                    };
                    (err, wait)
                }
                Failure::Refreshed if refreshes < MAX_REFRESHES => {
                    // An expired token is not a failure of this request: get
                    // a fresh one and send again, without backoff and without
                    // spending an attempt (bounded, so a server that refuses
                    // every token still ends).
                    refreshes += 1;
                    attempt -= 1;
                    continue;
                }
                Failure::Refreshed => {
                    return Err(Error::Auth {
                        api: self.api,
                        source: HttpError::Status {
                            status: 401,
                            url,
                            body: Some("every fresh token was refused".to_owned()),
                        },
                    });
                }
            };
            if attempt >= self.retry.max_attempts {
                return Err(Error::RetriesExhausted {
                    stream: ctx.name.clone(),
                    cursor: cursor(),
                    attempts: attempt,
                    source: err,
                });
            }
            ctx.retry(&format!(
                "retry {attempt}/{} in {} ms: {err}",
                self.retry.max_attempts - 1,
                wait.as_millis()
            ));
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        url: &str,
        query: &[(&str, String)],
        ctx: &StreamCtx,
        operation: Option<&RateLimiter>,
    ) -> Result<Bytes, Failure> {
        // The operation's bucket first: waiting there must not hold a slot
        // of the global one that other operations could use.
        if let Some(op) = operation {
            op.acquire().await;
        }
        self.limiter.acquire().await;
        ctx.request();
        let mut req = self.http.get(url).query(query);
        for (k, v) in &self.extra_headers {
            req = req.header(*k, v);
        }
        let token_generation = match &self.auth {
            Auth::Bearer(key) => {
                req = req.bearer_auth(key.expose());
                None
            }
            Auth::OAuth(ts) => {
                let (generation, token) = ts.token(&self.http).await?;
                req = req.bearer_auth(token.expose());
                Some(generation)
            }
            Auth::None => None,
        };
        let resp = req.send().await.map_err(|e| transport(url, e))?;
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            if let Auth::OAuth(ts) = &self.auth {
                ts.succeeded();
            }
            return resp.bytes().await.map_err(|e| transport(url, e));
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let limited_reason = resp
            .headers()
            .get("stripe-rate-limited-reason")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = excerpt(resp.bytes().await.ok());
        let err = HttpError::Status {
            status,
            url: url.to_owned(),
            body,
        };
        match classify(status) {
            Verdict::Throttled => Err(Failure::Throttled(err, retry_after, limited_reason)),
            Verdict::Retry => Err(Failure::Retry(err)),
            Verdict::Unauthorized => match (&self.auth, token_generation) {
                (Auth::OAuth(ts), Some(generation)) if ts.refresh_allowed(generation).await => {
                    ts.invalidate(generation).await;
                    Err(Failure::Refreshed)
                }
                _ => Err(Failure::Auth(err)),
            },
            Verdict::Fatal => Err(Failure::Fatal(err)),
        }
    }
}

enum Failure {
    Retry(HttpError),
    /// A 429, with the server's `Retry-After` and
    /// `Stripe-Rate-Limited-Reason` when it sent them.
    Throttled(HttpError, Option<Duration>, Option<String>),
    Fatal(HttpError),
    Auth(HttpError),
    Refreshed,
}

fn transport(url: &str, e: reqwest::Error) -> Failure {
    let url = url.to_owned();
    if e.is_timeout() {
        Failure::Retry(HttpError::Timeout { url, source: e })
    } else {
        Failure::Retry(HttpError::Transport { url, source: e })
    }
}

/// The start of an error body, for the message; error bodies of these APIs
/// describe the problem and never echo credentials.
fn excerpt(body: Option<Bytes>) -> Option<String> {
    let body = body?;
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    Some(s)
}

/// OAuth client-credentials tokens, fetched lazily and refreshed once per
/// expiry: concurrent requests that all see a 401 share one refresh.
pub struct TokenSource {
    url: String,
    creds: TicketsauceCredentials,
    limiter: Arc<RateLimiter>,
    retry: RetryPolicy,
    state: Mutex<TokenState>,
    /// Refreshes forced by a 401 since the last successful request; a
    /// token that is refused again and again means bad credentials.
    refreshes_without_success: AtomicU32,
}

#[derive(Default)]
struct TokenState {
    token: Option<Secret>,
    /// Bumped on every new token, so a 401 for an old token does not throw
    /// away a newer one.
    generation: u64,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl TokenSource {
    pub fn new(
        url: String,
        creds: TicketsauceCredentials,
        limiter: Arc<RateLimiter>,
        retry: RetryPolicy,
    ) -> Self {
        TokenSource {
            url,
            creds,
            limiter,
            retry,
            state: Mutex::new(TokenState::default()),
            refreshes_without_success: AtomicU32::new(0),
        }
    }

    async fn token(&self, http: &reqwest::Client) -> Result<(u64, Secret), Failure> {
        let mut st = self.state.lock().await;
        if let Some(t) = &st.token {
            return Ok((st.generation, t.clone()));
        }
        let token = self.fetch(http).await?;
        st.generation += 1;
        st.token = Some(token.clone());
        Ok((st.generation, token))
    }

    async fn refresh_allowed(&self, generation: u64) -> bool {
        let st = self.state.lock().await;
        // Another task already replaced this token: just retry with the new one.
        st.generation != generation || self.refreshes_without_success.load(Ordering::Relaxed) < 3
    }

    async fn invalidate(&self, generation: u64) {
        let mut st = self.state.lock().await;
        if st.generation == generation && st.token.is_some() {
            st.token = None;
            self.refreshes_without_success
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A successful request resets the refresh budget (tokens do expire).
    pub fn succeeded(&self) {
        self.refreshes_without_success.store(0, Ordering::Relaxed);
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Secret, Failure> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.limiter.acquire().await;
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.creds.client_id.expose()),
                ("client_secret", self.creds.client_secret.expose()),
            ];
            let result = http.post(&self.url).form(&form).send().await;
            let failure = match result {
                Ok(resp) if resp.status().is_success() => {
                    let body = resp.bytes().await.map_err(|e| transport(&self.url, e))?;
                    return serde_json::from_slice::<TokenResponse>(&body)
                        .map(|t| Secret::new(t.access_token))
                        .map_err(|source| {
                            Failure::Fatal(HttpError::Decode {
                                url: self.url.clone(),
                                source,
                            })
                        });
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    // The token endpoint's body is not shown: it may echo
                    // the request.
                    let err = HttpError::Status {
                        status,
                        url: self.url.clone(),
                        body: None,
                    };
                    match classify(status) {
                        Verdict::Retry | Verdict::Throttled => err,
                        _ => return Err(Failure::Auth(err)),
                    }
                }
                Err(e) => match transport(&self.url, e) {
                    Failure::Retry(err) => err,
                    other => return Err(other),
                },
            };
            if attempt >= self.retry.max_attempts {
                return Err(Failure::Auth(failure));
            }
            tokio::time::sleep(self.retry.backoff(attempt)).await;
        }
    }
}

//! One extraction run: lock the sink, start every selected stream (each with
//! its own writer), wait for all of them, record the summary, unlock.
//! A stream that fails is reported and the others keep going.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;
use super::credentials::Credentials;
use super::cursor::{LastRun, RunLock, StateStore, StreamState};
use super::http::{ApiClient, Auth, HttpSettings, TokenSource, build_client};
use super::progress::{Reporter, StreamCtx};
use super::ratelimit::{OperationLimits, RateLimiter};
use super::sink::Sink;
use super::sources::stripe::{self, StripeCursor, StripeSettings, StripeStream};
use super::sources::ticketsauce::{
    CheckinCursor, EventsCursor, OrdersCursor, TicketsauceSettings, TicketsauceStream,
};
use super::sources::{self, STRIPE, StreamDef, TICKETSAUCE};
use super::summary::{RunSummary, StreamStatus, StreamSummary};
use super::writer::{self, WriterHandle, WriterSettings};

/// Everything a run needs, resolved from flags, environment and files.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// `ticketsauce`, `stripe` or `all`.
    pub source: String,
    /// Streams or tables to run; empty means all of the source.
    pub streams: Vec<String>,
    /// Lower bound for streams without a cursor (and an earlier one restarts
    /// a Stripe backfill).
    pub since: Option<DateTime<Utc>>,
    pub stripe: StripeSettings,
    pub ticketsauce: TicketsauceSettings,
    pub http: HttpSettings,
    pub writer: WriterSettings,
    pub credentials: Credentials,
    /// When to stop (a Lambda invocation's deadline less a margin): every
    /// stream stops reading, its writer flushes and saves the cursors of
    /// what it wrote, and the stream is `partial`. `None`: run to the end.
    pub stop_at: Option<tokio::time::Instant>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            source: "all".to_owned(),
            streams: Vec::new(),
            since: None,
            stripe: StripeSettings::default(),
            ticketsauce: TicketsauceSettings::default(),
            http: HttpSettings::default(),
            writer: WriterSettings::default(),
            credentials: Credentials::default(),
            stop_at: None,
        }
    }
}

/// Runs the selected streams into `sink` and returns the summary. Errors
/// here are setup errors (bad selection, lock held); stream failures are in
/// the summary.
pub async fn run(
    settings: &RunSettings,
    sink: Arc<dyn Sink>,
    reporter: Arc<dyn Reporter>,
) -> Result<RunSummary, Error> {
    let defs = sources::select(&settings.source, &settings.streams)?;
    let started_at = Utc::now();
    let lock = RunLock::acquire(sink.clone()).await?;
    let result = run_locked(settings, &defs, sink.clone(), reporter, started_at).await;
    let released = lock.release().await;
    let summary = result?;
    released?;
    Ok(summary)
}

async fn run_locked(
    settings: &RunSettings,
    defs: &[StreamDef],
    sink: Arc<dyn Sink>,
    reporter: Arc<dyn Reporter>,
    started_at: DateTime<Utc>,
) -> Result<RunSummary, Error> {
    // We hold the lock: anything a killed run left in staging is garbage.
    sink.prepare().await?;
    let http = build_client(&settings.http)?;
    let store = StateStore::new(sink.clone());

    // One client (and so one token bucket) per API, shared by its streams.
    let stripe_api = defs
        .iter()
        .any(|d| d.source == STRIPE)
        .then(|| stripe_client(settings, http.clone()));
    let ts_api = defs
        .iter()
        .any(|d| d.source == TICKETSAUCE)
        .then(|| ticketsauce_client(settings, http.clone()));

    let mut tasks = Vec::new();
    for def in defs.iter().copied() {
        let name = def.full_name();
        let ctx = StreamCtx::new(name.clone(), reporter.clone());
        let api = match def.source {
            STRIPE => stripe_api.clone(),
            _ => ts_api.clone(),
        };
        let settings = settings.clone();
        let sink = sink.clone();
        let store = store.clone();
        tasks.push((
            name,
            tokio::spawn(async move { run_stream(def, api, ctx, sink, store, settings).await }),
        ));
    }
    let mut streams = BTreeMap::new();
    for (name, task) in tasks {
        let summary = match task.await {
            Ok(s) => s,
            Err(e) => failed_summary(format!("the stream's task stopped: {e}")),
        };
        streams.insert(name, summary);
    }
    let summary = RunSummary::new(sink.describe(), started_at, streams);
    store.save_run(&summary).await?;
    Ok(summary)
}

fn stripe_client(settings: &RunSettings, http: reqwest::Client) -> Result<Arc<ApiClient>, String> {
    let key = settings.credentials.stripe().map_err(|e| chain(&e))?;
    // Both of Stripe's limits: the account's global one and each
    // endpoint's, which also counts against the global one.
    let rate = settings.stripe.rate_for(key.expose());
    let limiter = Arc::new(RateLimiter::new(rate, settings.stripe.burst));
    let per_operation =
        OperationLimits::new(settings.stripe.endpoint_rate(), settings.stripe.burst);
    Ok(Arc::new(
        ApiClient::new(
            "Stripe",
            http,
            &settings.stripe.base,
            limiter,
            settings.http.retry.clone(),
            Auth::Bearer(key),
        )
        .with_header("Stripe-Version", settings.stripe.api_version.clone())
        .with_operation_limits(per_operation, stripe::operation),
    ))
}

fn ticketsauce_client(
    settings: &RunSettings,
    http: reqwest::Client,
) -> Result<Arc<ApiClient>, String> {
    let creds = settings.credentials.ticketsauce().map_err(|e| chain(&e))?;
    let limiter = Arc::new(RateLimiter::new(
        settings.ticketsauce.rps,
        settings.ticketsauce.burst,
    ));
    let base = settings.ticketsauce.base.trim_end_matches('/');
    let tokens = TokenSource::new(
        format!("{base}/oauth/token"),
        creds,
        limiter.clone(),
        settings.http.retry.clone(),
    );
    Ok(Arc::new(ApiClient::new(
        "Ticketsauce",
        http,
        base,
        limiter,
        settings.http.retry.clone(),
        Auth::OAuth(tokens),
    )))
}

/// An error and its causes on one line, for the summary.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn failed_summary(error: String) -> StreamSummary {
    let mut s = super::summary::StreamMetrics::default().snapshot();
    s.status = StreamStatus::Failed;
    s.error = Some(error);
    s
}

async fn run_stream(
    def: StreamDef,
    api: Option<Result<Arc<ApiClient>, String>>,
    ctx: StreamCtx,
    sink: Arc<dyn Sink>,
    store: StateStore,
    settings: RunSettings,
) -> StreamSummary {
    let t0 = Instant::now();
    ctx.reporter.stream_started(&ctx.name);
    let api = match api {
        Some(Ok(api)) => Ok(api),
        Some(Err(e)) => Err(e),
        None => Err("no client for the source".to_owned()),
    };
    let mut summary = match api {
        Err(e) => {
            let mut s = ctx.metrics.snapshot();
            s.status = StreamStatus::Failed;
            s.error = Some(e);
            s
        }
        Ok(api) => {
            let ws = settings.writer.clone();
            let since = settings.since;
            let stop_at = settings.stop_at;
            match (def.source, def.name) {
                (STRIPE, name) => {
                    let Some(kind) = stripe::kind(name) else {
                        return failed_summary(format!("unknown Stripe stream `{name}`"));
                    };
                    let st = settings.stripe.clone();
                    drive::<StripeCursor, _, _>(&ctx, sink, store, ws, stop_at, |writer, cursor| {
                        let ctx = ctx.clone();
                        async move {
                            StripeStream {
                                kind,
                                api,
                                ctx: &ctx,
                                writer,
                                settings: &st,
                            }
                            .run(cursor, since)
                            .await
                        }
                    })
                    .await
                }
                (_, "events") => {
                    let ts = settings.ticketsauce.clone();
                    drive::<EventsCursor, _, _>(&ctx, sink, store, ws, stop_at, |writer, _| {
                        let ctx = ctx.clone();
                        async move {
                            TicketsauceStream {
                                api,
                                ctx: &ctx,
                                writer,
                                settings: &ts,
                            }
                            .run_events()
                            .await
                        }
                    })
                    .await
                }
                (_, "orders") => {
                    let ts = settings.ticketsauce.clone();
                    drive::<OrdersCursor, _, _>(&ctx, sink, store, ws, stop_at, |writer, cursor| {
                        let ctx = ctx.clone();
                        async move {
                            TicketsauceStream {
                                api,
                                ctx: &ctx,
                                writer,
                                settings: &ts,
                            }
                            .run_orders(cursor, since)
                            .await
                        }
                    })
                    .await
                }
                (_, _) => {
                    let ts = settings.ticketsauce.clone();
                    drive::<CheckinCursor, _, _>(
                        &ctx,
                        sink,
                        store,
                        ws,
                        stop_at,
                        |writer, cursor| {
                            let ctx = ctx.clone();
                            async move {
                                TicketsauceStream {
                                    api,
                                    ctx: &ctx,
                                    writer,
                                    settings: &ts,
                                }
                                .run_checkins(cursor)
                                .await
                            }
                        },
                    )
                    .await
                }
            }
        }
    };
    summary.duration_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
    ctx.reporter.stream_finished(&ctx.name, &summary);
    summary
}

/// Loads the stream's state, starts its writer, runs `body` (until
/// `stop_at`, if set) and waits for the writer's last flush; then records
/// the stream's last run.
async fn drive<C, F, Fut>(
    ctx: &StreamCtx,
    sink: Arc<dyn Sink>,
    store: StateStore,
    ws: WriterSettings,
    stop_at: Option<tokio::time::Instant>,
    body: F,
) -> StreamSummary
where
    C: Serialize + DeserializeOwned + Default + Clone + Send + 'static,
    F: FnOnce(WriterHandle<C>, C) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let started = Utc::now();
    let state: StreamState<C> = match store.load(&ctx.name).await {
        Ok(s) => s,
        Err(e) => return failed_summary(chain(&e)),
    };
    let cursor = state.cursor.clone();
    let (writer, task) = writer::spawn(ctx.clone(), sink, store.clone(), state, ws);
    // `body` owns the only handle: when it returns, the writer sees the
    // channel close, flushes what is left and ends. Stopping drops `body`
    // between two awaits, which is the same to the writer: every checkpoint
    // it received follows the rows it covers, so what it saves is exactly
    // what it wrote (the rule a killed run relies on too, without losing
    // the buffer).
    let work = body(writer, cursor);
    let (source_result, stopped) = match stop_at {
        None => (work.await, false),
        Some(at) => tokio::select! {
            r = work => (r, false),
            () = tokio::time::sleep_until(at) => (Ok(()), true),
        },
    };
    if stopped {
        ctx.note("stop time reached: saving what landed; the next run resumes");
    }
    let writer_result = match task.await {
        Ok(r) => r,
        Err(e) => Err(Error::WriterGone {
            stream: format!("{} ({e})", ctx.name),
        }),
    };
    let mut summary = ctx.metrics.snapshot();
    let error = match (&source_result, &writer_result) {
        // The writer's failure is the cause of the source's `WriterGone`.
        (_, Err(w)) => Some(chain(w)),
        (Err(s), Ok(_)) => Some(chain(s)),
        (Ok(()), Ok(_)) => None,
    };
    if let Some(e) = error {
        summary.status = StreamStatus::Failed;
        summary.error = Some(e);
    } else if stopped {
        summary.status = StreamStatus::Partial;
    }
    if let Ok(mut state) = writer_result {
        state.last_run = Some(LastRun::from_summary(started, &summary));
        if let Err(e) = store.save(&mut state).await {
            summary.status = StreamStatus::Failed;
            summary.error.get_or_insert(chain(&e));
        }
    }
    summary
}

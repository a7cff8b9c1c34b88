//! `twh-extract` on AWS Lambda, end to end: the real binary, started as
//! Lambda starts `bootstrap` (no arguments, `AWS_LAMBDA_RUNTIME_API` set),
//! against a local Runtime API (`twh_fakes::lambda`, the documented
//! endpoints), the fake Stripe, and the emulator's S3 and Secrets Manager.
//!
//! Needs `TWH_EMULATOR_URL` (set by `bash .ci/run`); fails without it.

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncReadExt as _;
use tokio::process::{Child, Command};
use twh_fakes::lambda::{Answered, FakeRuntimeApi, Outcome};
use twh_fakes::stripe::Kind;
use twh_fakes::{self as fake, FakeConfig, FakeServer, lake};

/// Longest a test waits for one answer (a deadline the runs never reach).
const WAIT: Duration = Duration::from_secs(120);

struct Setup {
    url: String,
    s3: aws_sdk_s3::Client,
    bucket: String,
    secret_arn: String,
    fakes: FakeServer,
    api: FakeRuntimeApi,
}

/// The fakes, a bucket, and a secret holding the Stripe key as the Secrets
/// Manager console stores key/value pairs (a JSON object).
async fn setup(tag: &str, cfg: FakeConfig) -> Setup {
    let url = common::emulator::shared_url();
    let sdk = common::emulator::sdk(&url).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("twh-lambda-{}", common::emulator::unique_env(tag));
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret_arn = sm
        .create_secret()
        .name(format!("twh/extract/{bucket}"))
        .secret_string(json!({ "STRIPE_API_KEY": fake::STRIPE_KEY }).to_string())
        .send()
        .await
        .expect("create secret")
        .arn
        .expect("arn");
    Setup {
        url,
        s3,
        bucket,
        secret_arn,
        fakes: FakeServer::start(cfg, 0).await.expect("fakes"),
        api: FakeRuntimeApi::start().await.expect("runtime api"),
    }
}

impl Setup {
    /// `twh-extract` as Lambda starts `bootstrap`: no arguments. Nothing of
    /// the credentials is in its environment; they come from the secret.
    fn bootstrap(&self, margin_secs: f64) -> Child {
        Command::new(env!("CARGO_BIN_EXE_twh-extract"))
            .env("AWS_LAMBDA_RUNTIME_API", self.api.runtime_api())
            .env("AWS_LAMBDA_FUNCTION_NAME", "twh-extract")
            // One log stream per execution environment, as Lambda names them.
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("2026/12/04/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
            )
            .env("TWH_LAMBDA_MARGIN_SECS", margin_secs.to_string())
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env_remove(twh::extract::env::STRIPE_API_KEY)
            .env_remove(twh::extract::env::CREDENTIALS_FILE)
            .env_remove(twh::extract::env::SINK)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start twh-extract")
    }

    /// The event a schedule would send: Stripe charges into the bucket,
    /// credentials from the secret.
    fn event(&self) -> Value {
        json!({
            "source": "stripe",
            "streams": ["charges"],
            "sink": format!("s3://{}/raw", self.bucket),
            "credentials": format!("secretsmanager://{}", self.secret_arn),
            "stripe_api_base": self.fakes.stripe_base(),
            "stripe_rps": 0,
            "window_days": 1,
            "window_concurrency": 1,
        })
    }

    async fn invoke(&self, event: Value, timeout: Duration) -> Answered {
        let id = self.api.invoke(event, timeout);
        self.api
            .answer(&id, WAIT)
            .await
            .unwrap_or_else(|| panic!("invocation {id} was not answered"))
    }

    /// Every charge in the bucket: (distinct ids, ids landed more than once).
    async fn landed_charges(&self) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        common::emulator::s3_download(&self.s3, &self.bucket, "raw", dir.path()).await;
        let rows = lake::read_table(dir.path(), "stripe", "charges").expect("read lake");
        let (by_id, dups) = lake::by_key(&rows, "id");
        (by_id.into_keys().collect(), dups.into_keys().collect())
    }

    fn expected_charges(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .fakes
            .stripe()
            .expected(Kind::Charge)
            .iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }
}

fn response(a: &Answered) -> &Value {
    match &a.outcome {
        Outcome::Response(v) => v,
        Outcome::Error { body, .. } => panic!("expected a response, got the error {body:#}"),
    }
}

fn error(a: &Answered) -> &Value {
    match &a.outcome {
        Outcome::Error { body, .. } => body,
        Outcome::Response(v) => panic!("expected an error, got the response {v:#}"),
    }
}

/// Stops the runtime and returns what it wrote to stderr (its log).
async fn log_of(mut child: Child) -> String {
    let _ = child.start_kill();
    let _ = child.wait().await;
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err).await;
    }
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut err).await;
    }
    err
}

fn small() -> FakeConfig {
    FakeConfig {
        charges: 120,
        // The year of data ends now, so there are a year of daily windows.
        stripe_epoch: Some(chrono::Utc::now().timestamp() - fake::SPAN - 3600),
        ..FakeConfig::default()
    }
}

#[tokio::test]
async fn a_scheduled_event_lands_every_record() {
    let s = setup("sched", small()).await;
    let child = s.bootstrap(2.0);
    // The envelope of an EventBridge rule's schedule, its `detail` the event
    // (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-scheduled.html).
    let envelope = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-04T04:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/twh-extract"],
        "detail": s.event(),
    });
    let a = s.invoke(envelope, Duration::from_secs(300)).await;
    let r = response(&a);
    assert_eq!(r["status"], "ok", "{r:#}");
    assert!(a.before_deadline);
    let (ids, dups) = s.landed_charges().await;
    assert!(dups.is_empty(), "landed twice: {dups:?}");
    assert_eq!(ids, s.expected_charges());
    assert_eq!(r["summary"]["records"], ids.len());
    let log = log_of(child).await;
    assert!(
        !log.contains(fake::STRIPE_KEY),
        "the key was logged:\n{log}"
    );
}

#[tokio::test]
async fn a_run_cut_by_the_deadline_resumes_next_time_exactly_once() {
    let cfg = FakeConfig {
        latency: Duration::from_millis(15),
        ..small()
    };
    let s = setup("deadline", cfg).await;
    let child = s.bootstrap(2.0);
    let overlap = s.bootstrap(2.0);
    // 4 s of timeout less 2 s of margin: 2 s of work an invocation, far less
    // than a year of daily windows at 15 ms a request.
    let timeout = Duration::from_secs(4);

    // The first invocation, and one that overlaps it from a second
    // execution environment (a schedule firing again before the first
    // ended): the second finds the sink locked and changes nothing.
    let first = s.api.invoke(s.event(), timeout);
    assert!(s.api.started(&first, WAIT).await);
    let lock = format!("raw/{}", twh::extract::cursor::LOCK_KEY);
    while s
        .s3
        .head_object()
        .bucket(&s.bucket)
        .key(&lock)
        .send()
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = s.invoke(s.event(), timeout).await;
    let r2 = response(&second);
    assert_eq!(r2["status"], "skipped", "{r2:#}");

    let a = s.api.answer(&first, WAIT).await.expect("first answered");
    let r = response(&a);
    assert_eq!(r["status"], "partial", "{r:#}");
    assert!(a.before_deadline, "stopped after the deadline");
    assert!(
        r["message"]
            .as_str()
            .is_some_and(|m| m.contains("next invocation resumes")),
        "{r:#}"
    );
    let (after_first, dups) = s.landed_charges().await;
    assert!(dups.is_empty(), "landed twice: {dups:?}");
    let total = s.expected_charges().len();
    assert!(
        !after_first.is_empty() && after_first.len() < total,
        "the first invocation should land part of the {total} charges, landed {}",
        after_first.len()
    );

    // The next invocations resume from the saved cursors until one finishes.
    let mut invocations = 1;
    loop {
        let a = s.invoke(s.event(), timeout).await;
        invocations += 1;
        let r = response(&a);
        assert!(a.before_deadline, "stopped after the deadline: {r:#}");
        match r["status"].as_str() {
            Some("ok") => break,
            Some("partial") => {}
            other => panic!("unexpected status {other:?}: {r:#}"),
        }
        assert!(invocations < 60, "no end after {invocations} invocations");
    }
    let (ids, dups) = s.landed_charges().await;
    assert!(dups.is_empty(), "landed twice: {dups:?}");
    assert_eq!(ids, s.expected_charges(), "after {invocations} invocations");
    drop(overlap);
    drop(child);
}

#[tokio::test]
async fn a_bad_event_is_an_invocation_error_and_the_runtime_goes_on() {
    let s = setup("badevent", small()).await;
    let child = s.bootstrap(2.0);
    let mut typo = s.event();
    typo["sorce"] = typo["source"].take();
    typo.as_object_mut().map(|m| m.remove("source"));
    for (event, wanted) in [
        (
            typo,
            "unknown key `sorce` in the event (did you mean `source`?)",
        ),
        (json!(["stripe"]), "the event must be a JSON object"),
        (
            json!({"source": "paypal", "sink": "s3://b/raw"}),
            "invalid value 'paypal'",
        ),
    ] {
        let a = s.invoke(event, Duration::from_secs(60)).await;
        let e = error(&a);
        assert_eq!(e["errorType"], "InvalidEvent", "{e:#}");
        let msg = e["errorMessage"].as_str().unwrap_or_default();
        assert!(msg.contains(wanted), "`{wanted}` not in: {msg}");
        if let Outcome::Error { header, .. } = &a.outcome {
            assert_eq!(header.as_deref(), Some("InvalidEvent"));
        }
    }
    // Still serving: a good event after the bad ones lands.
    let a = s.invoke(s.event(), Duration::from_secs(300)).await;
    assert_eq!(response(&a)["status"], "ok");
    let log = log_of(child).await;
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn a_wrong_secret_arn_is_a_credentials_error_naming_it() {
    let s = setup("badsecret", small()).await;
    let child = s.bootstrap(2.0);
    let wrong = format!("{}-gone", s.secret_arn);
    let mut event = s.event();
    event["credentials"] = json!(format!("secretsmanager://{wrong}"));
    let a = s.invoke(event, Duration::from_secs(60)).await;
    let e = error(&a);
    assert_eq!(e["errorType"], "CredentialsError", "{e:#}");
    let msg = e["errorMessage"].as_str().unwrap_or_default();
    assert!(msg.contains(&wrong), "{msg}");
    assert!(
        msg.contains("ResourceNotFound") || msg.contains("can't find"),
        "{msg}"
    );
    assert!(
        msg.contains("secretsmanager:GetSecretValue"),
        "the hint: {msg}"
    );
    let (ids, _) = s.landed_charges().await;
    assert!(ids.is_empty(), "nothing may land without credentials");
    drop(child);
}

#[tokio::test]
async fn a_deadline_inside_the_margin_is_refused_before_any_work() {
    let s = setup("margin", small()).await;
    let child = s.bootstrap(30.0);
    let a = s.invoke(s.event(), Duration::from_secs(10)).await;
    let e = error(&a);
    assert_eq!(e["errorType"], "DeadlineTooShort", "{e:#}");
    assert!(a.before_deadline);
    let (ids, _) = s.landed_charges().await;
    assert!(ids.is_empty());
    drop(child);
}

#[tokio::test]
async fn another_environment_s_lock_is_not_taken_over_by_its_pid() {
    // Execution environments can share a host name and pid numbers but
    // never see each other's processes: a lock written by a running one,
    // whose pid does not exist here, must still hold.
    let s = setup("envlock", small()).await;
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = chrono::Utc::now().to_rfc3339();
    let holder = json!({"host": host, "pid": u32::MAX - 1, "started_at": now, "heartbeat_at": now});
    s.s3.put_object()
        .bucket(&s.bucket)
        .key(format!("raw/{}", twh::extract::cursor::LOCK_KEY))
        .body(holder.to_string().into_bytes().into())
        .send()
        .await
        .expect("put lock");
    let child = s.bootstrap(2.0);
    let a = s.invoke(s.event(), Duration::from_secs(60)).await;
    let r = response(&a);
    assert_eq!(r["status"], "skipped", "{r:#}");
    let (ids, _) = s.landed_charges().await;
    assert!(ids.is_empty(), "the held sink was written");
    drop(child);
}

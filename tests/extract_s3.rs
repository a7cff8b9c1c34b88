//! The S3 sink against an S3 emulator (moto): same layout as a local
//! directory, whole objects only (multipart completed or nothing), and a
//! rerun that writes nothing.
//!
//! The emulator's URL comes from `TWH_EMULATOR_URL` (set by `bash .ci/run`).
//! Without it these tests fail: they never pass silently.

mod common;

use std::io::Write as _;
use std::process::Stdio;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use tokio::process::Command;
use twh::extract::env::{STRIPE_API_KEY, TICKETSAUCE_CLIENT_ID, TICKETSAUCE_CLIENT_SECRET};
use twh::extract::sink::Sink as _;
use twh::extract::sink::s3::S3Sink;
use twh_fakes::{self as fake, FakeConfig, FakeServer, Faults, lake};

fn emulator() -> String {
    std::env::var("TWH_EMULATOR_URL").unwrap_or_else(|_| {
        panic!(
            "TWH_EMULATOR_URL is not set: run `bash .ci/run`, or start an S3 emulator \
             (e.g. `moto_server -H 127.0.0.1 -p 5000`) and set TWH_EMULATOR_URL=http://127.0.0.1:5000"
        )
    })
}

fn key_id() -> String {
    std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "testing".to_owned())
}

fn secret() -> String {
    std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "testing".to_owned())
}

fn client(url: &str) -> Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key_id(), secret(), None, None, "test"))
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

async fn new_bucket(c: &Client, name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let bucket = format!("twh-extract-{name}-{nanos}");
    c.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    bucket
}

async fn run_extract(f: &FakeServer, url: &str, sink: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_twh-extract"))
        .args(["run", "--sink", sink, "--no-progress", "-q"])
        .args(["--ticketsauce-api-base", &f.ticketsauce_base()])
        .args(["--stripe-api-base", &f.stripe_base()])
        .args(["--ticketsauce-rps", "1000", "--stripe-rps", "1000"])
        .env(TICKETSAUCE_CLIENT_ID, fake::CLIENT_ID)
        .env(TICKETSAUCE_CLIENT_SECRET, fake::CLIENT_SECRET)
        .env(STRIPE_API_KEY, fake::STRIPE_KEY)
        // The SDK's own endpoint setting: no twh-specific flag.
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", key_id())
        .env("AWS_SECRET_ACCESS_KEY", secret())
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run twh-extract");
    assert!(
        out.status.success(),
        "twh-extract failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("summary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_sink_lands_every_record_once_and_a_rerun_writes_nothing() {
    let url = emulator();
    let c = client(&url);
    let bucket = new_bucket(&c, "lake").await;
    let cfg = FakeConfig {
        charges: 150,
        events: 3,
        orders_per_event: 10,
        faults: Faults {
            malformed_every: 31,
            ..Faults::default()
        },
        ..FakeConfig::default()
    };
    let f = FakeServer::start(cfg, 0).await.expect("fake");
    let sink = format!("s3://{bucket}/raw");
    let first = run_extract(&f, &url, &sink).await;
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(first["sink"], sink);

    let dir = tempfile::tempdir().expect("tempdir");
    let keys = common::emulator::s3_download(&c, &bucket, "raw", dir.path()).await;
    lake::verify(dir.path(), f.stripe(), f.ticketsauce()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        keys.iter()
            .any(|k| k.starts_with("raw/stripe/charges/dt=2025-")),
        "{keys:?}"
    );
    assert!(keys.iter().any(|k| k == "raw/_state/stripe/charges.json"));
    // Nothing half-made or temporary, and the lock was released.
    assert!(
        keys.iter()
            .all(|k| !k.contains("_tmp") && !k.ends_with(".tmp")),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|k| k.ends_with("_state/lock.json")));
    let head = c
        .head_object()
        .bucket(&bucket)
        .key(
            keys.iter()
                .find(|k| k.ends_with(".json.gz"))
                .expect("a part"),
        )
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_encoding(), Some("gzip"));

    let etags = |keys: Vec<String>| {
        let c = c.clone();
        let bucket = bucket.clone();
        async move {
            let mut out = Vec::new();
            for k in keys.into_iter().filter(|k| !k.contains("/_state/")) {
                let h = c
                    .head_object()
                    .bucket(&bucket)
                    .key(&k)
                    .send()
                    .await
                    .expect("head");
                out.push((k, h.e_tag().map(str::to_owned)));
            }
            out
        }
    };
    let before = etags(keys.clone()).await;
    let second = run_extract(&f, &url, &sink).await;
    assert_eq!(second["status"], "ok");
    for (name, s) in second["streams"].as_object().expect("streams") {
        assert_eq!(s["files_written"], 0, "{name}");
    }
    assert_eq!(before, etags(keys).await);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_multipart_upload_completes_whole_objects() {
    let url = emulator();
    let c = client(&url);
    let bucket = new_bucket(&c, "multipart").await;
    let sink = S3Sink::with_client(c.clone(), &bucket, "mp")
        .expect("sink")
        .with_multipart(6 * 1024 * 1024, 5 * 1024 * 1024);
    // 13 MiB of incompressible bytes: three parts (5 + 5 + 3 MiB).
    let mut data = vec![0u8; 13 * 1024 * 1024];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in &mut data {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
    let mut staged = tempfile::NamedTempFile::new_in(sink.staging_dir()).expect("staged");
    staged.write_all(&data).expect("write");
    let size = sink
        .publish(staged.into_temp_path(), "big/part-00000.json.gz")
        .await
        .expect("publish");
    assert_eq!(size, data.len() as u64);
    let fetched = sink
        .fetch("big/part-00000.json.gz")
        .await
        .expect("fetch")
        .expect("exists");
    assert!(
        std::fs::read(fetched.path()).expect("read") == data,
        "round trip differs"
    );
    assert_eq!(
        sink.list("big/").await.expect("list"),
        ["big/part-00000.json.gz"]
    );
    let uploads = c
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("uploads");
    assert!(uploads.uploads().is_empty(), "an upload was left open");
    // A small object goes up in one request and reads back the same.
    sink.write_small("_state/x.json", b"{}".to_vec())
        .await
        .expect("write small");
    assert_eq!(
        sink.read_small("_state/x.json").await.expect("read"),
        Some(b"{}".to_vec())
    );
    assert_eq!(
        sink.read_small("_state/none.json").await.expect("read"),
        None
    );
    // The run lock's conditional create: only the first one wins.
    assert!(
        sink.create_small("_state/lock.json", b"1".to_vec())
            .await
            .expect("create")
    );
    assert!(
        !sink
            .create_small("_state/lock.json", b"2".to_vec())
            .await
            .expect("create")
    );
    assert_eq!(
        sink.read_small("_state/lock.json").await.expect("read"),
        Some(b"1".to_vec())
    );
}

//! The operator commands' conformance suite (`twh_core::ops::conformance`)
//! against the project's AWS emulator, through the AWS implementation of
//! `OpsProvider`: the same suite the in-memory provider passes in
//! `cargo test -p twh-core`. `TWH_EMULATOR_URL` must name a running emulator.

mod common;

use std::io::Write as _;

use serde_json::{Value, json};
use twh::ops::conformance::{Fixture, conformance};
use twh::ops::provider::OpsProvider;
use twh::provider::aws::Clients;
use twh::provider::{CallLog, Providers};

struct Emulator {
    url: String,
    providers: Providers,
    clients: Clients,
    s3: aws_sdk_s3::Client,
    http: reqwest::Client,
}

#[async_trait::async_trait]
impl Fixture for Emulator {
    fn ops(&self) -> &dyn OpsProvider {
        &self.clients
    }

    fn providers(&self) -> &Providers {
        &self.providers
    }

    async fn create_bucket(&self, bucket: &str) {
        self.s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create bucket");
    }

    async fn put_ndjson(&self, bucket: &str, key: &str, records: &[Value]) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for r in records {
            writeln!(gz, "{r}").expect("gzip");
        }
        let body = gz.finish().expect("gzip");
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .expect("put object");
    }

    async fn canned(&self, sql: &str, columns: &[&str], rows: Vec<Vec<Option<String>>>) {
        let r = self
            .http
            .post(format!("{}/_twh/athena/results", self.url))
            .json(&json!({"sql_contains": sql, "columns": columns, "rows": rows}))
            .send()
            .await
            .expect("canned results");
        assert!(r.status().is_success(), "canned: {}", r.status());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_provider_runs_the_operator_commands() {
    let url = common::emulator::shared_url();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&url);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ));
    }
    let sdk = loader.load().await;
    let (providers, clients) = twh::provider::aws::connect(&sdk, CallLog::default())
        .await
        .expect("connect");
    let e = Emulator {
        url,
        providers,
        clients,
        s3: twh::provider::aws::s3_client(&sdk),
        http: reqwest::Client::new(),
    };
    conformance(&e, &common::emulator::unique_env("conf")).await;
}

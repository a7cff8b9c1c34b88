//! `twh-fakes serve` as the demo and the benchmark start it: a process that
//! prints its URLs once listening and answers like the fakes in-process.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn serve_runs_as_a_process_and_prints_its_urls() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twh-fakes"))
        .args(["serve", "--port", "0", "--seed", "3", "--events", "2"])
        .args([
            "--orders-per-event",
            "5",
            "--charges",
            "50",
            "--latency-ms",
            "0",
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("ready in time")
        .expect("read")
        .expect("a line");
    assert!(
        line.starts_with("ready ticketsauce=http://127.0.0.1:"),
        "{line}"
    );
    let stripe = line
        .split("stripe=")
        .nth(1)
        .expect("stripe url")
        .trim()
        .to_owned();
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{stripe}/v1/charges?limit=3"))
        .bearer_auth(twh_fakes::STRIPE_KEY)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["has_more"], true);
    child.start_kill().expect("kill");
    let _ = child.wait().await;
}

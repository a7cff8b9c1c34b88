//! `examples/drift-cron/twh-drift-check`: the real script and the real `twh`
//! (in-memory provider) posting to a local webhook.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

use common::Repo;
use serde_json::{Value, json};

/// A webhook on loopback that answers 200 and hands over each body.
fn webhook() -> (String, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .expect("answer");
            let _ = tx.send(serde_json::from_slice(&body).expect("JSON payload"));
        }
    });
    (url, rx)
}

fn twh_bin() -> String {
    assert_cmd::cargo::cargo_bin("twh").display().to_string()
}

/// Runs the drift check on `repo` (environment `dev`, in-memory AWS).
fn check(repo: &Repo, hook: &str) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/drift-cron/twh-drift-check");
    Command::new("bash")
        .arg(script)
        .env("TWH_ENV", "dev")
        .env("TWH_DRIFT_WEBHOOK", hook)
        .env("TWH_DIR", repo.path())
        .env("TWH_BIN", twh_bin())
        .env("TWH_MEMORY_PROVIDER", repo.file("aws.json"))
        .env("NO_COLOR", "1")
        .env_remove("TWH_DRIFT_ALWAYS")
        .env_remove("TWH_DRIFT_PULL")
        .output()
        .expect("run the drift check")
}

fn sync(repo: &Repo) {
    let o = assert_cmd::Command::cargo_bin("twh")
        .expect("binary")
        .current_dir(repo.path())
        .env("TWH_MEMORY_PROVIDER", repo.file("aws.json"))
        .args(["sync", "--auto-approve", "--env", "dev", "--no-progress"])
        .output()
        .expect("sync");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn drift_is_posted_with_the_plan_and_a_clean_estate_is_quiet() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write("aws.json", &json!({}));
    sync(&repo);
    let (hook, posted) = webhook();

    // Clean: exit 0, nothing posted.
    let o = check(&repo, &hook);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(posted.try_recv().is_err(), "a clean check posted an alert");

    // Someone deletes the crawler behind twh's back: exit 2 and one alert
    // naming it, with the plan of only what differs.
    let mut world: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.file("aws.json")).expect("world"))
            .expect("json");
    let crawlers = world["resources"]["glue_crawler"]
        .as_object_mut()
        .expect("crawlers in the world");
    assert_eq!(crawlers.len(), 1);
    crawlers.clear();
    repo.write("aws.json", &world);
    let o = check(&repo, &hook);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let alert = posted
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("an alert");
    assert_eq!(alert["status"], "drift");
    assert_eq!(alert["env"], "dev");
    let text = alert["text"].as_str().expect("text");
    assert!(
        text.contains("1 to create") && text.contains("glue_crawler.orders (create"),
        "{text}"
    );
    let changes = alert["plan"]["changes"].as_array().expect("changes");
    assert_eq!(
        changes.len(),
        1,
        "no-op resources are left out: {changes:?}"
    );
    assert_eq!(changes[0]["address"], "glue_crawler.orders");
    assert_eq!(alert["plan"]["format_version"], "1.3");
}

#[test]
fn a_failing_check_posts_the_error_and_exits_1() {
    let repo = Repo::new();
    repo.write_text("resources/broken.json", "{ not json");
    repo.write("aws.json", &json!({}));
    let (hook, posted) = webhook();
    let o = check(&repo, &hook);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let alert = posted
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("an alert");
    assert_eq!(alert["status"], "error");
    assert!(
        alert["text"]
            .as_str()
            .is_some_and(|t| t.contains("broken.json")),
        "{alert}"
    );
}

//! The AWS emulator for end-to-end tests: the shared one `.ci/run` starts
//! (`TWH_EMULATOR_URL`), or a private process for tests that switch faults
//! or reset it, and an `Estate`: a repository with a unique environment
//! whose `twh` runs against one emulator.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::Repo;

/// The shared emulator's URL, or a failure telling how to get one.
pub fn shared_url() -> String {
    match std::env::var("TWH_EMULATOR_URL") {
        Ok(u) if !u.is_empty() => u.trim_end_matches('/').to_string(),
        _ => panic!(
            "TWH_EMULATOR_URL is not set: these end-to-end tests need the AWS emulator; \
             run them with `bash .ci/run` (it starts the emulator and sets the variables)"
        ),
    }
}

/// An emulator process of this test's own, killed on drop. Faults and
/// resets here never reach the shared emulator other tests use.
pub struct PrivateEmulator {
    child: Child,
    pub url: String,
    http: reqwest::Client,
    _log: tempfile::NamedTempFile,
}

impl PrivateEmulator {
    /// Starts `python -m twh_emulator` from the repository's `emulator/`
    /// with the venv `.ci/run` makes (`$TWH_VENV`, else
    /// `~/.cache/twh-venv`), on a free port, and waits for `ready URL`.
    pub fn start() -> Self {
        let venv = std::env::var_os("TWH_VENV")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/twh-venv")))
            .expect("neither TWH_VENV nor HOME is set");
        let python = venv.join("bin/python");
        assert!(
            python.exists(),
            "no emulator venv at {}: run `bash .ci/run` once (it creates the venv), or set TWH_VENV",
            venv.display()
        );
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut child = Command::new(&python)
            .args(["-m", "twh_emulator", "--host", "127.0.0.1", "--port", "0"])
            // Fast Athena queries and crawls: these tests wait on them.
            .args(["--query-seconds", "0.05", "--crawl-seconds", "0.2"])
            .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("ready ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => Self {
                child,
                url,
                http: reqwest::Client::new(),
                _log: log,
            },
            Err(_) => {
                let _ = child.kill();
                let text = std::fs::read_to_string(log.path()).unwrap_or_default();
                panic!("the private emulator did not start in 60 s:\n{text}");
            }
        }
    }

    /// One control call (`/_twh/...`), its JSON answer.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    pub async fn faults(&self, spec: Value) {
        self.control(reqwest::Method::POST, "/_twh/faults", Some(spec))
            .await;
    }

    /// Switches faults off (and releases any held answer).
    pub async fn clear_faults(&self) {
        self.control(reqwest::Method::DELETE, "/_twh/faults", None)
            .await;
    }

    pub async fn reset(&self) {
        self.control(reqwest::Method::POST, "/_twh/reset", Some(json!({})))
            .await;
    }

    pub async fn calls(&self) -> Vec<Value> {
        match self
            .control(reqwest::Method::GET, "/_twh/calls", None)
            .await
        {
            Value::Array(a) => a,
            other => panic!("calls: {other}"),
        }
    }
}

impl Drop for PrivateEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SDK configuration aimed at `url` with the emulator's dummy keys.
pub async fn sdk(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

/// A unique environment name: `tag` and 8 random hex digits, so tests share
/// an emulator without resetting it.
pub fn unique_env(tag: &str) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{tag}{}", &suffix[..8])
}

/// `twh ARGS --env ENV --no-progress` in `dir` against the emulator at
/// `url`, ready to run.
pub fn command_in(dir: &std::path::Path, url: &str, env: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_twh"));
    c.current_dir(dir)
        .env_remove("TWH_MEMORY_PROVIDER")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1")
        .env("TWH_RETRY_BASE_MS", "20")
        .args(args)
        .args(["--env", env, "--no-progress"])
        .stdin(Stdio::null());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    c
}

/// Runs twh in `dir` against the emulator at `url` and checks its exit
/// code; returns stdout + stderr.
pub fn run_in(dir: &std::path::Path, url: &str, env: &str, args: &[&str], code: i32) -> String {
    let o = command_in(dir, url, env, args).output().expect("run twh");
    expect_exit(&o, args, code)
}

/// stdout + stderr of a finished twh, after checking it exited `code`.
pub fn expect_exit(o: &Output, args: &[&str], code: i32) -> String {
    let text = output_text(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "`twh {}` exited {:?}, expected {code}:\n{text}",
        args.join(" "),
        o.status.code()
    );
    text
}

/// A repository whose environment `env` is unique to one test, run against
/// the emulator at `url`.
pub struct Estate {
    pub repo: Repo,
    pub env: String,
    pub url: String,
    /// Extra environment for every twh run.
    pub vars: Vec<(String, String)>,
}

impl Estate {
    pub fn new(url: &str, tag: &str) -> Self {
        let env = unique_env(tag);
        let repo = Repo::new();
        repo.write(
            &format!("resources/environments/{env}.json"),
            &json!({"region": "us-east-1", "variables": {"lake_bucket": format!("twh-lake-{env}")},
                    "state": {"backend": "local"}}),
        );
        Self {
            repo,
            env,
            url: url.to_string(),
            vars: Vec::new(),
        }
    }

    /// `twh ARGS --env ENV --no-progress`, ready to run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = command_in(self.repo.path(), &self.url, &self.env, args);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    pub fn twh(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run twh")
    }

    /// Runs twh and checks its exit code; returns stdout + stderr.
    pub fn run(&self, args: &[&str], code: i32) -> String {
        expect_exit(&self.twh(args), args, code)
    }

    pub fn sync(&self) -> String {
        self.run(&["sync", "--auto-approve", "-v"], 0)
    }

    pub fn clean(&self) {
        let out = self.run(&["diff"], 0);
        assert!(out.contains("No changes"), "{out}");
    }

    /// A second sync finds nothing to do and makes no mutating call.
    pub fn quiet_sync(&self) {
        let out = self.sync();
        assert!(
            out.contains(" 0 mutating)"),
            "second sync mutated something:\n{out}"
        );
        assert!(
            !out.contains(": update done") && !out.contains(": create done"),
            "{out}"
        );
    }

    pub fn name(&self, base: &str) -> String {
        format!("{base}-{}", self.env)
    }

    pub fn db(&self) -> String {
        format!("wh_{}", self.env)
    }

    pub fn write(&self, resources: Vec<Value>) {
        self.repo
            .write("resources/all.json", &json!({ "resources": resources }));
    }

    /// The lake bucket the workgroups' output locations point into.
    pub async fn bucket(&self) {
        let r = reqwest::Client::new()
            .put(format!("{}/twh-lake-{}", self.url, self.env))
            .send()
            .await
            .expect("create bucket");
        assert!(r.status().is_success(), "bucket: {}", r.status());
    }

    pub fn state_path(&self) -> PathBuf {
        self.repo.file(&format!("state/{}.json", self.env))
    }

    /// The state file, parsed (panics if it is not valid JSON).
    pub fn state(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.state_path()).ok()?;
        Some(
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("state file is not valid JSON ({e}):\n{text}")),
        )
    }
}

impl Estate {
    /// Every live resource of the estate, as `kind id` (the ids state uses).
    pub async fn live_resources(&self) -> BTreeSet<String> {
        let cfg = sdk(&self.url).await;
        let mut out = BTreeSet::new();
        let iam = aws_sdk_iam::Client::new(&cfg);
        for r in iam.list_roles().send().await.expect("roles").roles() {
            if r.role_name().ends_with(&self.env) {
                out.insert(format!("iam_role {}", r.role_name()));
            }
        }
        let glue = aws_sdk_glue::Client::new(&cfg);
        for db in glue
            .get_databases()
            .send()
            .await
            .expect("databases")
            .database_list()
        {
            if !db.name().ends_with(&self.env) {
                continue;
            }
            out.insert(format!("glue_database {}", db.name()));
            let tables = glue
                .get_tables()
                .database_name(db.name())
                .send()
                .await
                .expect("tables");
            for t in tables.table_list() {
                let kind = if t.table_type() == Some("VIRTUAL_VIEW") {
                    "athena_view"
                } else {
                    "glue_table"
                };
                out.insert(format!("{kind} {}.{}", db.name(), t.name()));
            }
        }
        for name in glue
            .list_crawlers()
            .send()
            .await
            .expect("crawlers")
            .crawler_names()
        {
            if name.ends_with(&self.env) {
                out.insert(format!("glue_crawler {name}"));
            }
        }
        let athena = aws_sdk_athena::Client::new(&cfg);
        for wg in athena
            .list_work_groups()
            .send()
            .await
            .expect("workgroups")
            .work_groups()
        {
            if wg.name().is_some_and(|n| n.ends_with(&self.env)) {
                out.insert(format!(
                    "athena_workgroup {}",
                    wg.name().unwrap_or_default()
                ));
            }
        }
        let qs = aws_sdk_quicksight::Client::new(&cfg);
        for ds in qs
            .list_data_sources()
            .aws_account_id("123456789012")
            .send()
            .await
            .expect("data sources")
            .data_sources()
        {
            if let Some(id) = ds.data_source_id().filter(|i| i.ends_with(&self.env)) {
                out.insert(format!("quicksight_data_source {id}"));
            }
        }
        for ds in qs
            .list_data_sets()
            .aws_account_id("123456789012")
            .send()
            .await
            .expect("data sets")
            .data_set_summaries()
        {
            if let Some(id) = ds.data_set_id().filter(|i| i.ends_with(&self.env)) {
                out.insert(format!("quicksight_data_set {id}"));
            }
        }
        out
    }

    /// The state file is valid JSON (`state()` parses it) and records as
    /// applied only resources that exist: no change recorded that did not
    /// happen.
    pub async fn assert_state_claims_only_live(&self, what: &str) {
        let Some(state) = self.state() else {
            return;
        };
        let live = self.live_resources().await;
        for (addr, r) in state["resources"].as_object().expect("resources") {
            if r["status"] == "applied" {
                let key = format!(
                    "{} {}",
                    r["kind"].as_str().unwrap_or(""),
                    r["id"].as_str().unwrap_or("")
                );
                assert!(
                    live.contains(&key),
                    "{what}: state records `{addr}` as applied, but it does not exist"
                );
            }
        }
    }

    /// Every live resource of the estate has a record in the state file (of
    /// any status): a crash never leaves something made but unknown.
    pub async fn assert_no_live_unmanaged(&self, what: &str) {
        let recorded: BTreeSet<String> = self
            .state()
            .map(|s| {
                s["resources"]
                    .as_object()
                    .expect("resources")
                    .values()
                    .map(|r| {
                        format!(
                            "{} {}",
                            r["kind"].as_str().unwrap_or(""),
                            r["id"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let unknown: Vec<String> = self
            .live_resources()
            .await
            .into_iter()
            .filter(|l| !recorded.contains(l))
            .collect();
        assert!(
            unknown.is_empty(),
            "{what}: live but not in state: {unknown:?}"
        );
    }

    /// `twh state list` as `kind id`.
    pub fn managed(&self) -> BTreeSet<String> {
        self.run(&["state", "list"], 0)
            .lines()
            .filter_map(|l| {
                let (addr, id) = l.split_once('\t')?;
                Some(format!("{} {id}", addr.split('.').next()?))
            })
            .collect()
    }

    /// After recovery: converged, nothing duplicated or unmanaged, diff clean.
    pub async fn assert_converged(&self, expected: usize, what: &str) {
        let out = self.run(&["diff"], 0);
        assert!(out.contains("No changes"), "{what}: {out}");
        let live = self.live_resources().await;
        let managed = self.managed();
        assert_eq!(
            live, managed,
            "{what}: live resources differ from the managed ones"
        );
        assert_eq!(
            live.len(),
            expected,
            "{what}: expected exactly one live resource per declared one: {live:#?}"
        );
        let state = self.state().expect("state exists");
        let statuses: Vec<&Value> = state["resources"]
            .as_object()
            .expect("resources")
            .values()
            .map(|r| &r["status"])
            .collect();
        assert!(
            statuses.iter().all(|s| *s == "applied"),
            "{what}: unresolved records in state: {statuses:?}"
        );
    }
}

/// Copies every object under `prefix/` into `dir`, keys as paths.
pub async fn s3_download(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    dir: &std::path::Path,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("{prefix}/"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for o in page.expect("list").contents() {
            keys.push(o.key().expect("key").to_owned());
        }
    }
    for k in &keys {
        let body = c
            .get_object()
            .bucket(bucket)
            .key(k)
            .send()
            .await
            .expect("get");
        let bytes = body.body.collect().await.expect("body").into_bytes();
        let rel = k.strip_prefix(&format!("{prefix}/")).expect("under prefix");
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    keys
}

/// stdout followed by stderr, as text.
pub fn output_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

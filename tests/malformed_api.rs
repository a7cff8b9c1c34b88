//! Malformed AWS answers: truncated JSON, wrong member types, dropped
//! members, a proxy's HTML, empty and binary bodies, 64 MiB of junk, deep
//! nesting, broken XML, across STS, Glue, Athena, QuickSight, IAM and
//! CloudFormation reads. For each case, `twh diff` and `twh sync` must exit
//! 1 with an error naming the operation, never panic, make no mutating call
//! and leave the state file as it was; once the answers are sound again, the
//! estate is still in sync.
//!
//! The emulator's `/_twh/malform` switch is global, so this file starts its
//! own emulator process (never the shared one of `.ci/run`) and runs the
//! cases one after another.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::Repo;
use serde_json::{Value, json};

/// An emulator process of this test file, stopped when dropped.
struct PrivateEmulator {
    child: Child,
    url: String,
    addr: String,
}

impl PrivateEmulator {
    fn start() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let venv = std::env::var_os("TWH_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/twh-venv")
            });
        let mut child = Command::new(venv.join("bin/python"))
            .args(["-m", "twh_emulator", "--host", "127.0.0.1", "--port", "0"])
            .current_dir(root.join("emulator"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator (run .ci/run once to create its venv)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("emulator output");
        let url = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("emulator did not start: {line:?}"))
            .trim()
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Self { child, url, addr }
    }

    /// One control request (`/_twh/...`); returns the JSON answer.
    fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        let (head, data) = answer.split_once("\r\n\r\n").expect("HTTP answer");
        assert!(
            head.starts_with("HTTP/1.1 2"),
            "{method} {path}: {head}\n{data}"
        );
        serde_json::from_str(data).expect("JSON answer")
    }

    fn mutating_calls(&self) -> Vec<String> {
        self.control("GET", "/_twh/calls", &json!(null))
            .as_array()
            .expect("calls")
            .iter()
            .filter(|c| c["mutating"] == json!(true))
            .map(|c| format!("{}:{}", c["service"], c["operation"]))
            .collect()
    }
}

impl Drop for PrivateEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ENV: &str = "malformed";
const ADMIN: &str = "arn:aws:quicksight:us-east-1:123456789012:user/default/admin";

/// One of every kind that reads through a different operation, plus a
/// database named by a CloudFormation stack output.
fn estate() -> Vec<Value> {
    vec![
        json!({"type": "iam_role", "name": "crawler", "spec": {
            "RoleName": "twh-crawler-${env}",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": {"read-lake": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]}}),
        json!({"type": "glue_database", "name": "wh", "spec": {
            "DatabaseInput": {"Name": "wh_${env}"}, "Tags": {"team": "data"}}}),
        json!({"type": "glue_database", "name": "platform", "spec": {
            "DatabaseInput": {"Name": "${cfn:platform.DatabaseName}"}}}),
        json!({"type": "glue_crawler", "name": "orders", "spec": {
            "Name": "orders-${env}", "Role": "${ref:iam_role.crawler.arn}",
            "DatabaseName": "${ref:glue_database.wh.name}",
            "Targets": {"S3Targets": [{"Path": "s3://${var.lake_bucket}/orders/"}]}}}),
        json!({"type": "glue_table", "name": "orders", "spec": {
            "DatabaseName": "${ref:glue_database.wh.name}",
            "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
                "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}],
                    "Location": "s3://${var.lake_bucket}/orders/"}}}}),
        json!({"type": "glue_job", "name": "etl", "spec": {
            "Name": "etl-${env}", "Role": "${ref:iam_role.crawler.arn}",
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://${var.lake_bucket}/etl.py"},
            "GlueVersion": "4.0", "WorkerType": "G.1X", "NumberOfWorkers": 2}}),
        json!({"type": "athena_workgroup", "name": "wg", "spec": {
            "Name": "wg-${env}",
            "Configuration": {"ResultConfiguration": {"OutputLocation": "s3://${var.lake_bucket}/athena/"}}}}),
        json!({"type": "quicksight_data_source", "name": "athena", "spec": {
            "DataSourceId": "athena-${env}", "Name": "Athena", "Type": "ATHENA",
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg.name}"}},
            "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"]}]}}),
        json!({"type": "quicksight_data_set", "name": "orders", "spec": {
            "DataSetId": "orders-${env}", "Name": "Orders", "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {"t1": {"RelationalTable": {
                "DataSourceArn": "${ref:quicksight_data_source.athena.arn}", "Catalog": "AwsDataCatalog",
                "Schema": "wh_${env}", "Name": "orders",
                "InputColumns": [{"Name": "id", "Type": "STRING"}, {"Name": "total", "Type": "DECIMAL"}]}}},
            "LogicalTableMap": {"l1": {"Alias": "orders", "Source": {"PhysicalTableId": "t1"}}},
            "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions"]}]}}),
    ]
}

/// (service, operation, mode, path): each corrupts every answer of that
/// operation while diff and sync run.
const CASES: &[(&str, &str, &str, &[&str])] = &[
    ("sts", "GetCallerIdentity", "bad_xml", &[]),
    ("glue", "GetDatabase", "truncated", &[]),
    ("glue", "GetDatabase", "empty_body", &[]),
    (
        "glue",
        "GetDatabase",
        "missing_required",
        &["Database", "Name"],
    ),
    ("glue", "GetTags", "wrong_type", &["Tags"]),
    ("glue", "BatchGetCrawlers", "wrong_type", &["Crawlers"]),
    (
        "glue",
        "BatchGetCrawlers",
        "missing_required",
        &["Crawlers", "*", "Name"],
    ),
    ("glue", "BatchGetCrawlers", "html_502", &[]),
    ("glue", "GetTables", "truncated", &[]),
    ("glue", "GetTables", "deep_nesting", &[]),
    ("glue", "BatchGetJobs", "empty_body", &[]),
    ("athena", "GetWorkGroup", "null_body", &[]),
    ("athena", "GetWorkGroup", "html_200", &[]),
    ("quicksight", "DescribeDataSource", "truncated", &[]),
    (
        "quicksight",
        "DescribeDataSet",
        "missing_required",
        &["DataSet"],
    ),
    (
        "quicksight",
        "DescribeDataSetPermissions",
        "wrong_type",
        &["Permissions"],
    ),
    ("iam", "GetRole", "bad_xml", &[]),
    ("iam", "GetRole", "missing_required", &["Role"]),
    ("iam", "ListAttachedRolePolicies", "huge", &[]),
    ("cloudformation", "DescribeStacks", "binary", &[]),
];

fn twh(emu: &PrivateEmulator, repo: &Repo, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twh"))
        .current_dir(repo.path())
        .args(args)
        .args(["--env", ENV, "--no-progress"])
        .env_remove("TWH_MEMORY_PROVIDER")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", &emu.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("NO_COLOR", "1")
        .env("TWH_RETRY_BASE_MS", "1")
        .output()
        .expect("run twh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_answers_fail_clearly_and_change_nothing() {
    let emu = PrivateEmulator::start();
    let repo = Repo::new();
    repo.write(
        &format!("resources/environments/{ENV}.json"),
        &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-malformed"},
                "state": {"backend": "local"}}),
    );
    repo.write("resources/all.json", &json!({ "resources": estate() }));
    platform_stack(&emu).await;

    let (code, out) = twh(&emu, &repo, &["sync", "--auto-approve"]);
    assert_eq!(code, Some(0), "setup sync:\n{out}");
    let (code, out) = twh(&emu, &repo, &["diff"]);
    assert_eq!(code, Some(0), "setup diff:\n{out}");
    let state_file = repo.file(&format!("state/{ENV}.json"));
    let state = std::fs::read(&state_file).expect("state");

    let mut failures = Vec::new();
    for (service, operation, mode, path) in CASES {
        let case = format!("{service} {operation} {mode}");
        emu.control("DELETE", "/_twh/calls", &json!(null));
        emu.control(
            "POST",
            "/_twh/malform",
            &json!({"service": service, "operation": operation, "mode": mode, "path": path}),
        );
        let mut problems = Vec::new();
        for args in [&["diff"][..], &["sync", "--auto-approve"][..]] {
            let (code, out) = twh(&emu, &repo, args);
            let cmd = args.join(" ");
            if code != Some(1) {
                problems.push(format!("`twh {cmd}` exited {code:?}, want 1"));
            }
            if out.contains("panicked") {
                problems.push(format!("`twh {cmd}` panicked"));
            }
            if !out.contains(operation) {
                problems.push(format!("`twh {cmd}` does not name `{operation}`"));
            }
            if !problems.is_empty() {
                problems.push(format!("output of `twh {cmd}`:\n{}", tail(&out)));
                break;
            }
        }
        let called = emu.mutating_calls();
        if !called.is_empty() {
            problems.push(format!("mutating calls: {called:?}"));
        }
        if std::fs::read(&state_file).ok().as_ref() != Some(&state) {
            problems.push("the state file changed".into());
        }
        emu.control("DELETE", "/_twh/malform", &json!(null));
        let (code, out) = twh(&emu, &repo, &["diff"]);
        if code != Some(0) {
            problems.push(format!(
                "afterwards `twh diff` exited {code:?}:\n{}",
                tail(&out)
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{case}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

/// The last lines of a command's output (a 64 MiB answer must not flood
/// the test log).
fn tail(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(12)..]
        .iter()
        .map(|l| l.chars().take(300).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A CloudFormation stack `platform` whose output names a database.
async fn platform_stack(emu: &PrivateEmulator) {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&emu.url)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let template = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"DatabaseName": {"Value": "platform_malformed"}}});
    aws_sdk_cloudformation::Client::new(&cfg)
        .create_stack()
        .stack_name("platform")
        .template_body(template.to_string())
        .send()
        .await
        .expect("create stack");
}

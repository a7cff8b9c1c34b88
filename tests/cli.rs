//! The `twh` binary as a user runs it: exit codes, messages, help.

mod common;

use assert_cmd::Command;
use serde_json::json;

use common::Repo;

fn twh(repo: &Repo) -> Command {
    let mut c = Command::cargo_bin("twh").expect("binary");
    c.current_dir(repo.path())
        .env("TWH_MEMORY_PROVIDER", repo.file("aws.json"))
        .env("TWH_RETRY_BASE_MS", "1")
        .env("NO_COLOR", "1")
        .env_remove("TWH_ENV")
        .env_remove("AWS_REGION")
        .env_remove("AWS_PROFILE");
    c
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn diff_sync_diff_exit_codes() {
    let repo = Repo::new();
    repo.small_estate();
    let o = twh(&repo).arg("diff").output().expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("+ glue_database.warehouse (create)"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o)
            .contains("Plan: 4 to create, 0 to update, 0 to replace, 0 to delete; 0 drifted.")
    );

    // Not a terminal: sync refuses without --auto-approve, and changes nothing.
    let o = twh(&repo).arg("sync").output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("rerun with --auto-approve"),
        "{}",
        stderr(&o)
    );
    assert!(!repo.file("state/dev.json").exists());

    let o = twh(&repo)
        .args(["sync", "--auto-approve"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Sync complete: 4 changed"),
        "{}",
        stderr(&o)
    );

    let o = twh(&repo).arg("plan").output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("No changes. `dev` matches the files (4 resources checked)."));

    // A second sync: nothing to do, and no mutating call (read from the
    // provider's persisted call log).
    let calls_before = mutating_calls(&repo);
    let o = twh(&repo).args(["apply", "-y"]).output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(mutating_calls(&repo), calls_before);
}

fn mutating_calls(repo: &Repo) -> usize {
    let w: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.file("aws.json")).expect("world"))
            .expect("json");
    w["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["mutating"] == json!(true))
        .count()
}

#[test]
fn json_output_is_versioned_and_counts_calls() {
    let repo = Repo::new();
    repo.small_estate();
    let o = twh(&repo)
        .args(["diff", "--output", "json"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json plan");
    assert_eq!(v["format_version"], json!("1.3"));
    assert_eq!(v["summary"]["create"], json!(4));
    assert!(v["api_calls"]["reads"].as_u64().expect("reads") >= 1);
    assert_eq!(v["api_calls"]["mutations"], json!(0));
    assert_eq!(v["changes"][0]["action"], json!("create"));
}

#[test]
fn validate_reports_every_error_with_location() {
    let repo = Repo::new();
    repo.write_text(
        "resources/broken.json",
        "{\n  \"type\": \"glue_database\",\n  \"name\": \"x\"\n  \"spec\": {}\n}\n",
    );
    repo.write(
        "resources/typo.json",
        &json!({"type": "glue_crawlr", "name": "a", "spec": {}}),
    );
    repo.write(
        "resources/var.json",
        &json!({"type": "athena_view", "name": "v", "spec": {
        "Name": "v", "Database": "${var.nope}", "WorkGroup": "primary", "Sql": "select 1"}}),
    );
    repo.write("resources/ref.json", &json!({"type": "athena_view", "name": "w", "spec": {
        "Name": "w", "Database": "${ref:glue_database.missing.name}", "WorkGroup": "primary", "Sql": "select 1"}}));
    let o = twh(&repo).arg("validate").output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error: invalid JSON in `resources/broken.json`: expected `,` or `}`\n  --> resources/broken.json:4:3"), "{err}");
    assert!(
        err.contains("error: unknown resource type `glue_crawlr`\n  --> resources/typo.json:2:11"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `glue_crawler`?"), "{err}");
    assert!(err.contains("error: undefined variable `nope` in environment `dev` (in `athena_view.v`)\n  --> resources/var.json:6:17"), "{err}");
    assert!(
        err.contains(
            "error: reference to undeclared resource `glue_database.missing` in `athena_view.w`"
        ),
        "{err}"
    );
    assert!(
        err.contains("4 errors found; nothing was changed."),
        "{err}"
    );
    // The snippet shows the offending line with a caret.
    assert!(err.contains("4 |   \"spec\": {}\n  |   ^"), "{err}");
}

#[test]
fn a_held_lock_fails_fast_and_force_unlock_clears_it() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write("state/dev.lock", &json!({"ID": "lock-123", "operation": "sync", "who": "ci@runner", "host": "runner", "pid": 4242, "created": "2026-01-01T00:00:00Z"}));
    let o = twh(&repo).args(["sync", "-y"]).output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the state is locked by `ci@runner` (pid 4242) running `sync` since 2026-01-01T00:00:00Z"), "{err}");
    assert!(err.contains("twh force-unlock lock-123"), "{err}");
    let o = twh(&repo)
        .args(["force-unlock", "wrong"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let o = twh(&repo)
        .args(["force-unlock", "lock-123"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = twh(&repo).args(["sync", "-y"]).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn state_list_show_rm() {
    let repo = Repo::new();
    repo.small_estate();
    twh(&repo).args(["sync", "-y"]).assert().success();
    let o = twh(&repo).args(["state", "list"]).output().expect("run");
    assert_eq!(
        stdout(&o),
        "athena_view.orders_v\tticket_warehouse_dev.orders_v\nglue_crawler.orders\tticket_warehouse_orders-dev\nglue_database.warehouse\tticket_warehouse_dev\niam_role.crawler\ttwh-crawler-dev\n"
    );
    let o = twh(&repo)
        .args(["state", "show", "glue_database.warehouse"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["attributes"]["arn"],
        json!("arn:aws:glue:us-east-1:123456789012:database/ticket_warehouse_dev")
    );
    twh(&repo)
        .args(["state", "rm", "glue_crawler.orders"])
        .assert()
        .success();
    // No longer managed: the next plan sees an existing, matching crawler and adopts it.
    let o = twh(&repo).args(["diff"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("= glue_crawler.orders (adopt"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn help_teaches_with_examples() {
    for cmd in [
        "diff",
        "sync",
        "validate",
        "schema",
        "state",
        "force-unlock",
        "completions",
        "state pull",
        "state push",
        "crawl",
        "refresh",
        "check",
        "purge",
        "reset",
        "accept",
    ] {
        let o = Command::cargo_bin("twh")
            .expect("bin")
            .args(cmd.split(' '))
            .arg("--help")
            .output()
            .expect("run");
        assert!(o.status.success());
        let out = stdout(&o);
        assert!(
            out.contains("Example") || cmd == "state",
            "`twh {cmd} --help` has no example:\n{out}"
        );
    }
}

#[test]
fn schema_prints_a_json_schema() {
    let repo = Repo::new();
    let o = twh(&repo)
        .args(["schema", "athena_view"])
        .output()
        .expect("run");
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["required"],
        json!(["Name", "Database", "WorkGroup", "Sql"])
    );
    let o = twh(&repo).args(["schema", "nope"]).output().expect("run");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn every_example_estate_validates() {
    // The root estate and every example with `resources/environments/`, in
    // each of their environments.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.to_path_buf()];
    let mut examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("resources/environments").is_dir())
        .collect();
    examples.sort();
    dirs.extend(examples);
    let mut checked = Vec::new();
    for dir in &dirs {
        for env in twh::config::environment::available(dir) {
            let o = Command::cargo_bin("twh")
                .expect("bin")
                .args(["validate", "--env", &env, "--dir"])
                .arg(dir)
                .env("NO_COLOR", "1")
                .output()
                .expect("run");
            assert!(
                o.status.success(),
                "{} --env {env}: {}",
                dir.display(),
                stderr(&o)
            );
            let name = dir.strip_prefix(root).expect("under root").display();
            checked.push(format!("{name}:{env}"));
        }
    }
    for want in [
        ":dev",
        ":staging",
        ":production",
        "examples/tickit:dev",
        "examples/tickit:production",
        "examples/chargebee:dev",
        "examples/chargebee:production",
        "examples/medallion:dev",
        "examples/medallion:production",
    ] {
        assert!(
            checked.iter().any(|c| c == want),
            "{want} not validated: {checked:?}"
        );
    }
}

#[test]
fn import_writes_files_and_records_state_so_diff_is_clean() {
    let repo = Repo::new();
    // Made by hand in the console: two crawlers, one using the lake bucket.
    repo.write(
        "aws.json",
        &json!({"resources": {"glue_crawler": {
            "hand-made": {"Name": "hand-made", "Role": "arn:aws:iam::123456789012:role/crawler",
                          "Targets": {"S3Targets": [{"Path": "s3://twh-lake-dev/orders/"}]}},
            "other": {"Name": "other", "Role": "crawler", "Targets": {}}}}}),
    );
    let o = twh(&repo)
        .args(["import", "--all", "glue_crawler"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Imported 2 resources."),
        "{}",
        stderr(&o)
    );
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.file("resources/glue_crawler/hand-made.json")).expect("file"),
    )
    .expect("json");
    assert_eq!(file["name"], json!("hand-made"));
    assert_eq!(
        file["spec"]["Targets"]["S3Targets"][0]["Path"],
        json!("s3://${var.lake_bucket}/orders/")
    );
    let o = twh(&repo).arg("diff").output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // Importing again changes nothing.
    let o = twh(&repo)
        .args(["import", "glue_crawler", "other"])
        .output()
        .expect("run");
    assert!(
        stderr(&o).contains("skipped: glue_crawler `other` is already in state"),
        "{}",
        stderr(&o)
    );
}

/// `twh schema | head -1`: a reader that goes away early ends twh quietly
/// (SIGPIPE, as Unix tools do), not with a panic.
#[cfg(unix)]
#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;
    let bin = assert_cmd::cargo::cargo_bin("twh");
    let mut child = std::process::Command::new(bin)
        .arg("schema")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read");
    // The pipe's read end is closed here; twh's next write fails.
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn two_syncs_at_once_one_applies_the_other_fails_fast() {
    let repo = Repo::new();
    let (loser, winner) = common::check_sync_contention(&repo, &|| common::twh_in(&repo));
    eprintln!(
        "local state: the loser failed after {loser:.2}s, the winner finished after {winner:.2}s"
    );
}

#[test]
fn state_pull_and_push_local() {
    let repo = Repo::new();
    common::check_pull_push(&repo, &|| common::twh_in(&repo));
}

#[test]
fn a_stale_local_lock_is_named_and_force_unlock_removes_it() {
    let repo = Repo::new();
    let lock = repo.file("state/dev.lock");
    common::check_stale_lock(
        &repo,
        &|| common::twh_in(&repo),
        &|v| repo.write("state/dev.lock", v),
        &|| lock.exists(),
    );
}

#[test]
fn a_state_overwritten_during_sync_stops_it_without_clobbering() {
    let repo = Repo::new();
    let path = repo.file("state/dev.json");
    common::check_overwrite_during_sync(
        &repo,
        &|| common::twh_in(&repo),
        &|| std::fs::read(&path).ok(),
        &|bytes| std::fs::write(&path, bytes).expect("write"),
    );
}

/// `twh state list` reads the environment file for its backend only, with
/// the same reader and diagnostics as `twh validate` (it used to parse the
/// file a second time and print serde's bare message).
#[test]
fn state_commands_report_a_bad_environment_file_like_validate() {
    let repo = Repo::new();
    repo.small_estate();
    repo.write_text(
        "resources/environments/dev.json",
        "{\n  \"regon\": \"us-east-1\"\n}\n",
    );
    let o = twh(&repo)
        .args(["state", "list", "--env", "dev"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("resources/environments/dev.json:2:"),
        "no line:column: {err}"
    );
    assert!(err.contains("did you mean `region`?"), "no hint: {err}");
}

/// A state file twh cannot read is reported with its io cause and a hint,
/// in the one error style (the cause used to be flattened away).
#[test]
fn an_unreadable_state_shows_its_cause_and_a_hint() {
    let repo = Repo::new();
    repo.small_estate();
    // A directory where the state file should be: reading it fails with an
    // io error on every platform.
    std::fs::create_dir_all(repo.file("state/dev.json")).expect("mkdir");
    let o = twh(&repo).arg("diff").output().expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("error: cannot read state"), "{err}");
    assert!(err.contains("\n  Caused by: "), "no cause: {err}");
    assert!(err.contains("\nhint: check that"), "no hint: {err}");
}

/// `twh state mv OLD NEW`: the record moves whole, nothing in AWS changes,
/// and unknown, taken and cross-type addresses are refused, naming why.
#[test]
fn state_mv_renames_a_record_and_refuses_what_it_cannot_move() {
    let repo = Repo::new();
    repo.small_estate();
    let o = twh(&repo)
        .args(["sync", "--auto-approve"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let refused = |args: &[&str], want: &str| {
        let o = twh(&repo).args(args).output().expect("run");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    };
    refused(
        &["state", "mv", "glue_crawler.ordrs", "glue_crawler.x"],
        "`glue_crawler.ordrs` is not in state",
    );
    refused(
        &["state", "mv", "glue_crawler.ordrs", "glue_crawler.x"],
        "did you mean `glue_crawler.orders`?",
    );
    refused(
        &["state", "mv", "glue_crawler.orders", "iam_role.crawler"],
        "a move keeps the resource's type",
    );
    refused(
        &["state", "mv", "glue_crawler.orders", "glue_crawler.orders"],
        "`glue_crawler.orders` is already in state",
    );
    let before = std::fs::read_to_string(repo.file("aws.json")).expect("world");
    let o = twh(&repo)
        .args([
            "state",
            "mv",
            "glue_crawler.orders",
            "glue_crawler.ticket_orders",
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("Moved `glue_crawler.orders` to `glue_crawler.ticket_orders`"));
    let list = twh(&repo).args(["state", "list"]).output().expect("run");
    assert!(stdout(&list).contains("glue_crawler.ticket_orders\tticket_warehouse_orders-dev"));
    assert!(!stdout(&list).contains("glue_crawler.orders\t"));
    // The files still say `orders`: renamed to match, the diff is clean.
    let mut c = common::crawler("orders", None);
    c["name"] = json!("ticket_orders");
    repo.write("resources/glue/crawlers/orders.json", &c);
    let o = twh(&repo).arg("diff").output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let after = std::fs::read_to_string(repo.file("aws.json")).expect("world");
    let resources =
        |t: &str| serde_json::from_str::<serde_json::Value>(t).expect("json")["resources"].clone();
    assert_eq!(
        resources(&before),
        resources(&after),
        "nothing in AWS changed"
    );
}

//! What `twh` prints, held by insta snapshots (`tests/snapshots/`): the exit
//! code, stdout and stderr of the real binary, for every plan shape in the
//! text, JSON and Markdown views, and for the common failures of every
//! command. A change of wording or of a JSON member shows up as a snapshot
//! diff to review, not as a silent drift.
//!
//! To accept changed output after reviewing it:
//! `INSTA_UPDATE=always cargo test --test snapshots` (or `cargo insta
//! review`). The memory provider is the AWS (`TWH_MEMORY_PROVIDER`), so the
//! account, ids and call counts are fixed; what is not (the temp dir, times,
//! lock ids, ages, durations) is replaced by insta filters, never left out
//! of the output.

mod common;

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use common::{Repo, crawler, twh_in};
use serde_json::{Value, json};

/// Exit code, stdout and stderr as one snapshot text.
fn shown(o: &std::process::Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&o.stdout).trim_end(),
        String::from_utf8_lossy(&o.stderr).trim_end()
    )
}

/// The filters that make a run's output repeatable: the repository's temp
/// path (as given and canonicalized), RFC 3339 times, UUIDs (lock ids,
/// lineages), lock ages and sync durations.
fn filters(repo: &Repo) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let raw = repo.path().display().to_string();
    if let Ok(canon) = repo.path().canonicalize() {
        let canon = canon.display().to_string();
        if canon != raw {
            out.push((regex_escape(&canon), "[REPO]".to_string()));
        }
    }
    out.push((regex_escape(&raw), "[REPO]".to_string()));
    out.extend(
        [
            (
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
                "[TIME]",
            ),
            (
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                "[UUID]",
            ),
            (r", (\d+[dhms])+ ago", ", [AGE] ago"),
            (r" in \d+\.\ds\.", " in [SECS]s."),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    out
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Snapshots `shown(o)` under `name` with the repository's filters.
fn snap(repo: &Repo, name: &str, o: &std::process::Output) {
    let mut settings = insta::Settings::clone_current();
    for (re, with) in filters(repo) {
        settings.add_filter(&re, with);
    }
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, shown(o)));
}

fn run(mut c: Command) -> std::process::Output {
    c.output().expect("run twh")
}

/// `twh ARGS` in the repository on the memory provider.
fn twh(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut c = twh_in(repo);
    c.args(args).arg("--no-progress");
    run(c)
}

/// Runs `args` and asserts its exit code (for setup steps).
fn ok(repo: &Repo, args: &[&str], code: i32) {
    let o = twh(repo, args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "`twh {}`:\n{}",
        args.join(" "),
        shown(&o)
    );
}

/// The three views of `twh diff`, each one snapshot `<case>.<view>`.
fn snap_views(repo: &Repo, case: &str, cmd: &[&str]) {
    for (view, extra) in [
        ("text", &[][..]),
        ("json", &["--output", "json"][..]),
        ("markdown", &["--output", "markdown"][..]),
    ] {
        let args: Vec<&str> = cmd.iter().chain(extra).copied().collect();
        snap(repo, &format!("{case}.{view}"), &twh(repo, &args));
    }
}

/// The small estate, synced: the starting point of every change below.
fn synced() -> Repo {
    let repo = Repo::new();
    repo.small_estate();
    ok(&repo, &["sync", "-y", "--parallelism", "1"], 0);
    repo
}

/// Edits the memory provider's world (`aws.json`): a console edit.
fn edit_world(repo: &Repo, f: impl FnOnce(&mut Value)) {
    let path = repo.file("aws.json");
    let mut w: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("world")).expect("world json");
    f(&mut w);
    std::fs::write(&path, serde_json::to_string_pretty(&w).expect("json")).expect("write world");
}

const CRAWLER_ID: &str = "ticket_warehouse_orders-dev";

// --- Plans -------------------------------------------------------------------

#[test]
fn plan_create() {
    let repo = Repo::new();
    repo.small_estate();
    snap_views(&repo, "plan_create", &["diff"]);
}

#[test]
fn plan_update() {
    let repo = synced();
    repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 3 * * ? *)")),
    );
    snap_views(&repo, "plan_update", &["diff"]);
}

#[test]
fn plan_replace() {
    let repo = synced();
    // A database's Name is its AWS identity: AWS cannot rename one.
    repo.write(
        "resources/glue/database.json",
        &json!({"type": "glue_database", "name": "warehouse",
                "spec": {"DatabaseInput": {"Name": "ticket_warehouse_v2_${env}", "Description": "Ticket Warehouse"}}}),
    );
    snap_views(&repo, "plan_replace", &["diff"]);
}

#[test]
fn plan_delete() {
    let repo = synced();
    repo.remove("resources/athena/views.json");
    snap_views(&repo, "plan_delete", &["diff"]);
}

#[test]
fn plan_drift() {
    let repo = synced();
    edit_world(&repo, |w| {
        w["resources"]["glue_crawler"][CRAWLER_ID]["Schedule"] = json!("cron(0 9 * * ? *)");
    });
    snap_views(&repo, "plan_drift", &["diff"]);
}

#[test]
fn plan_unmanaged() {
    let repo = Repo::new();
    repo.small_estate();
    let mut c = crawler("orders", None);
    c["lifecycle"] = json!({"ignore_changes": ["Schedule"]});
    repo.write("resources/glue/crawlers/orders.json", &c);
    ok(&repo, &["sync", "-y", "--parallelism", "1"], 0);
    // Someone else owns the schedule: their change is neither drift nor a
    // change, only listed. The description edit keeps the plan non-empty.
    edit_world(&repo, |w| {
        w["resources"]["glue_crawler"][CRAWLER_ID]["Schedule"] = json!("cron(0 9 * * ? *)");
    });
    repo.write(
        "resources/glue/database.json",
        &json!({"type": "glue_database", "name": "warehouse",
                "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "Ticket Warehouse (sales)"}}}),
    );
    snap_views(&repo, "plan_unmanaged", &["diff"]);
}

/// AWS stores a view's SQL as its engine formatted it: the sync that
/// creates it notes the rewrite once (text: a `note:` line; JSON:
/// `result.stored_by_aws`), and the plan after it is clean.
#[test]
fn plan_stored_by_aws_as() {
    let formatted = "SELECT\n  id\n, total\nFROM\n  orders\n";
    for view in ["text", "json", "markdown"] {
        let repo = Repo::new();
        repo.small_estate();
        repo.write(
            "aws.json",
            &json!({"stores_as": [{"kind": "athena_view", "pointer": "/Sql", "value": formatted}]}),
        );
        let o = twh(
            &repo,
            &["sync", "-y", "--parallelism", "1", "--output", view],
        );
        snap(&repo, &format!("plan_stored_by_aws_as.sync.{view}"), &o);
        if view == "text" {
            snap_views(&repo, "plan_stored_by_aws_as.diff_after", &["diff"]);
        }
    }
}

// --- Common failures of every command -------------------------------------------

/// Every command that reads the environment, with what it needs to get
/// past argument parsing.
const COMMANDS: &[(&str, &[&str])] = &[
    ("validate", &["validate"]),
    ("diff", &["diff"]),
    ("sync", &["sync", "-y"]),
    ("sync_plan", &["sync", "plan.json"]),
    ("import", &["import", "glue_crawler", CRAWLER_ID]),
    ("crawl", &["crawl"]),
    ("refresh", &["refresh"]),
    ("check", &["check"]),
    ("purge", &["purge", "-y"]),
    ("reset", &["reset", "-y", "--no-extract"]),
    ("state_list", &["state", "list"]),
    ("state_show", &["state", "show", "glue_crawler.orders"]),
    ("state_rm", &["state", "rm", "glue_crawler.orders"]),
    (
        "state_mv",
        &["state", "mv", "glue_crawler.orders", "glue_crawler.sales"],
    ),
    ("state_pull", &["state", "pull"]),
    ("state_push", &["state", "push", "pushed.json"]),
    ("force_unlock", &["force-unlock", "lock-123"]),
];

#[test]
fn unknown_environment() {
    let repo = synced();
    ok(&repo, &["diff", "--out", "plan.json"], 0);
    for (name, args) in COMMANDS {
        let mut args = args.to_vec();
        args.extend(["--env", "prod"]);
        snap(
            &repo,
            &format!("unknown_environment.{name}"),
            &twh(&repo, &args),
        );
    }
}

/// Commands that call AWS, run with the real SDK and nothing it could take
/// credentials from: no variables, no profile files, no instance metadata.
#[test]
fn no_credentials() {
    let repo = synced();
    ok(&repo, &["diff", "--out", "plan.json"], 0);
    let home = tempfile::tempdir().expect("home");
    for (name, args) in COMMANDS {
        if matches!(*name, "validate" | "force_unlock") || name.starts_with("state_") {
            continue; // local state and the files only: no AWS call
        }
        let mut c = Command::cargo_bin("twh").expect("binary");
        c.current_dir(repo.path())
            .args(*args)
            .arg("--no-progress")
            .env("NO_COLOR", "1")
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("TWH_RETRY_BASE_MS", "1");
        for v in [
            "TWH_MEMORY_PROVIDER",
            "TWH_ENV",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ENDPOINT_URL",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            c.env_remove(v);
        }
        snap(&repo, &format!("no_credentials.{name}"), &run(c));
    }
}

/// A live lock (its holder on another host, so not known dead): every
/// command that takes the lock fails at once, naming the holder, and
/// changes nothing.
#[test]
fn lock_held() {
    let repo = synced();
    ok(&repo, &["diff", "--out", "plan.json"], 0);
    let o = twh(&repo, &["state", "pull"]);
    repo.write_text("pushed.json", &String::from_utf8_lossy(&o.stdout));
    repo.write(
        "state/dev.lock",
        &json!({"ID": "lock-123", "operation": "sync", "who": "ci@runner", "host": "runner",
                "pid": 4242, "created": "2026-01-01T00:00:00Z"}),
    );
    repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 3 * * ? *)")),
    );
    let before = std::fs::read(repo.file("aws.json")).expect("world");
    for name in [
        "sync",
        "sync_plan",
        "import",
        "state_rm",
        "state_mv",
        "state_push",
    ] {
        let args = COMMANDS
            .iter()
            .find(|(n, _)| *n == name)
            .expect("command")
            .1;
        let o = twh(&repo, args);
        snap(&repo, &format!("lock_held.{name}"), &o);
        assert!(repo.file("state/dev.lock").exists(), "{name} kept the lock");
    }
    let mut c = twh_in(&repo);
    c.args(["sync", "-y", "--output", "json"]);
    snap(&repo, "lock_held.sync.json", &run(c));
    let after: Value =
        serde_json::from_slice(&std::fs::read(repo.file("aws.json")).expect("world"))
            .expect("json");
    let before: Value = serde_json::from_slice(&before).expect("json");
    assert_eq!(
        after["resources"], before["resources"],
        "nothing was changed"
    );
}

/// `twh sync plan.json` after the plan went stale, one way at a time: a
/// resource file edited, the state written by another sync, a live value
/// changed in the console; and a plan for another environment.
#[test]
fn stale_saved_plan() {
    let change = |repo: &Repo| {
        repo.write(
            "resources/glue/crawlers/orders.json",
            &crawler("orders", Some("cron(0 3 * * ? *)")),
        );
    };
    type Staling = fn(&Repo);
    let cases: [(&str, Staling); 3] = [
        ("file_edited", |r| {
            r.write(
                "resources/glue/crawlers/orders.json",
                &crawler("orders", Some("cron(0 4 * * ? *)")),
            );
        }),
        ("state_serial", |r| {
            // Another sync of another change in between.
            r.write(
                "resources/glue/database.json",
                &json!({"type": "glue_database", "name": "warehouse",
                        "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "edited"}}}),
            );
            let o = twh(r, &["sync", "-y"]);
            assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
            r.write(
                "resources/glue/database.json",
                &json!({"type": "glue_database", "name": "warehouse",
                        "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "Ticket Warehouse"}}}),
            );
        }),
        ("live_changed", |r| {
            edit_world(r, |w| {
                w["resources"]["glue_crawler"][CRAWLER_ID]["Description"] =
                    json!("edited in the console");
            });
        }),
    ];
    for (name, make_stale) in cases {
        let repo = synced();
        change(&repo);
        ok(&repo, &["diff", "--out", "plan.json"], 2);
        make_stale(&repo);
        let mutations = common::world_mutations(&repo);
        for (view, extra) in [("text", &[][..]), ("json", &["--output", "json"][..])] {
            let args: Vec<&str> = ["sync", "plan.json"].iter().chain(extra).copied().collect();
            snap(
                &repo,
                &format!("stale_saved_plan.{name}.{view}"),
                &twh(&repo, &args),
            );
        }
        assert_eq!(
            common::world_mutations(&repo),
            mutations,
            "{name}: nothing applied"
        );
        assert!(
            !repo.file("state/dev.lock").exists(),
            "{name}: lock released"
        );
    }

    // Made for another environment.
    let repo = synced();
    change(&repo);
    ok(&repo, &["diff", "--out", "plan.json"], 2);
    repo.write(
        "resources/environments/staging.json",
        &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-staging"}, "state": {"backend": "local"}}),
    );
    snap(
        &repo,
        "stale_saved_plan.other_env.text",
        &twh(&repo, &["sync", "plan.json", "--env", "staging"]),
    );
}

// --- Markdown longer than a pull-request comment ---------------------------------

/// 250 views of 400 characters of SQL each: about 150,000 characters of
/// Markdown, twice what a GitHub comment holds.
fn big_estate(repo: &Repo) {
    repo.small_estate();
    let views: Vec<Value> = (0..250)
        .map(|i| {
            let cols: Vec<String> = (0..40).map(|c| format!("col_{c:02}")).collect();
            json!({"type": "athena_view", "name": format!("v{i:03}"), "spec": {
                "Name": format!("v{i:03}"), "Database": "${ref:glue_database.warehouse.name}",
                "WorkGroup": "primary",
                "Sql": format!("SELECT {} FROM orders", cols.join(", "))}})
        })
        .collect();
    repo.write("resources/athena/many.json", &json!({"resources": views}));
}

#[test]
fn markdown_longer_than_a_comment_is_cut_between_resources() {
    let repo = Repo::new();
    big_estate(&repo);
    let md = |extra: &[&str]| {
        let mut args = vec!["diff", "--output", "markdown"];
        args.extend(extra);
        let o = twh(&repo, &args);
        assert_eq!(o.status.code(), Some(2), "{}", shown(&o));
        String::from_utf8(o.stdout).expect("utf-8")
    };
    let whole = md(&["--markdown-limit", "0"]);
    assert!(
        whole.len() > 2 * 65_536,
        "the plan must exceed the limit: {}",
        whole.len()
    );
    let cut = md(&["--out", "plan.json"]);
    assert!(
        cut.chars().count() <= 65_536,
        "{} characters",
        cut.chars().count()
    );
    assert!(cut.len() > 60_000, "the room is used: {}", cut.len());

    // Whole sections: what is shown is the whole plan's beginning, up to a
    // section's end, and every diff is closed.
    let (shown, note) = cut.split_once("\n---\n").expect("the note");
    assert!(
        whole.starts_with(shown),
        "the shown part is the plan's start"
    );
    assert!(
        shown.trim_end().ends_with("</details>"),
        "cut after a section: {}",
        &shown[shown.len() - 40..]
    );
    assert_eq!(
        shown.matches("<details>").count(),
        shown.matches("</details>").count()
    );
    assert_eq!(shown.matches("```").count() % 2, 0);
    let kept = shown.matches("<details>").count();
    let total = whole.matches("<details>").count();
    assert_eq!(total, 254);
    assert!(
        note.contains(&format!(
            "{kept} of {total} changed resources are shown above"
        )),
        "{note}"
    );
    assert!(
        note.contains("The whole plan is saved in `plan.json` (`twh sync --env dev plan.json` applies exactly it)"),
        "{note}"
    );
    // The rest is listed by address, in plan order, with a count of what
    // did not fit in the list.
    let listed: Vec<&str> = note.lines().filter(|l| l.starts_with("- `")).collect();
    let more: usize = note
        .lines()
        .find_map(|l| {
            l.strip_prefix("- and ")?
                .strip_suffix(" more")?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    assert_eq!(kept + listed.len() + more, total, "{note}");
    let first_left_out = whole
        .split("<details><summary><code>")
        .nth(kept + 1)
        .and_then(|s| s.split("</code>").next())
        .expect("a section after the cut");
    assert!(
        listed[0].starts_with(&format!("- `{first_left_out}`")),
        "{} vs {first_left_out}",
        listed[0]
    );

    // A list longer than its room ends with a count of the rest.
    let small = md(&["--markdown-limit", "3000"]);
    assert!(small.len() <= 3000, "{}", small.len());
    let (shown, note) = small.split_once("\n---\n").expect("the note");
    let kept = shown.matches("<details>").count();
    let listed = note.lines().filter(|l| l.starts_with("- `")).count();
    let more: usize = note
        .lines()
        .find_map(|l| {
            l.strip_prefix("- and ")?
                .strip_suffix(" more")?
                .parse()
                .ok()
        })
        .expect("- and N more");
    assert!(listed > 0 && more > 0, "{note}");
    assert_eq!(kept + listed + more, total, "{note}");
}

/// The note itself, on a small plan cut to a small limit.
#[test]
fn markdown_cut_note() {
    let repo = Repo::new();
    repo.small_estate();
    let o = twh(
        &repo,
        &["diff", "--output", "markdown", "--markdown-limit", "1500"],
    );
    assert!(o.stdout.len() <= 1500, "{}", o.stdout.len());
    snap(&repo, "markdown_cut_note", &o);
}

// --- The published schemas of the JSON documents ---------------------------------

/// `docs/schema/*.schema.json` name the format versions this twh prints (the
/// schemas themselves are checked against real outputs by
/// tests/schema/test_output_schema.py, which `.ci/run` runs).
#[test]
fn published_schemas_name_the_current_format_versions() {
    let schema = |name: &str| -> Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/schema")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(&p).expect("schema")).expect("schema json")
    };
    let version = |s: &Value| s["properties"]["format_version"]["const"].clone();
    let repo = Repo::new();
    repo.small_estate();
    let printed = |args: &[&str]| -> Value {
        let o = twh(&repo, args);
        serde_json::from_slice::<Value>(&o.stdout).expect("json")["format_version"].clone()
    };
    assert_eq!(
        version(&schema("plan.schema.json")),
        json!(twh::plan::FORMAT_VERSION)
    );
    assert_eq!(
        version(&schema("plan.schema.json")),
        printed(&["diff", "--output", "json"])
    );
    assert_eq!(
        version(&schema("result.schema.json")),
        printed(&["sync", "-y", "--output", "json"])
    );
}

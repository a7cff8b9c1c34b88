//! Test fixtures: repositories written into temp directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub mod aws_fixtures;
pub mod emulator;

/// A repository in a temp dir.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        let r = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        r.write(
            "resources/environments/dev.json",
            &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"}, "state": {"backend": "local"}}),
        );
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, v: &Value) {
        self.write_text(rel, &serde_json::to_string_pretty(v).expect("json"));
    }

    pub fn write_text(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).expect("remove");
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A small estate: a role, a database, a crawler using both, a view.
    pub fn small_estate(&self) {
        self.write("resources/iam/crawler.json", &role("crawler"));
        self.write(
            "resources/glue/database.json",
            &json!({"type": "glue_database", "name": "warehouse",
                    "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "Ticket Warehouse"}}}),
        );
        self.write(
            "resources/glue/crawlers/orders.json",
            &crawler("orders", None),
        );
        self.write(
            "resources/athena/views.json",
            &json!({"resources": [{"type": "athena_view", "name": "orders_v", "spec": {
                "Name": "orders_v", "Database": "${ref:glue_database.warehouse.name}", "WorkGroup": "primary",
                "Sql": "SELECT id, total FROM orders"}}]}),
        );
    }
}

pub fn role(name: &str) -> Value {
    json!({"type": "iam_role", "name": name, "spec": {
        "RoleName": format!("twh-{name}-${{env}}"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]}})
}

pub fn crawler(table: &str, schedule: Option<&str>) -> Value {
    let mut spec = json!({
        "Name": format!("ticket_warehouse_{table}-${{env}}"),
        "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.warehouse.name}",
        "Targets": {"S3Targets": [{"Path": format!("s3://${{var.lake_bucket}}/ticketsauce/{table}/")}]}
    });
    if let Some(s) = schedule {
        spec["Schedule"] = json!(s);
    }
    json!({"type": "glue_crawler", "name": table, "spec": spec})
}

/// The real `twh` run in `repo` against the memory-provider world
/// `aws.json`, with no ambient environment or profile.
pub fn twh_in(repo: &Repo) -> std::process::Command {
    use assert_cmd::cargo::CommandCargoExt as _;
    let mut c = std::process::Command::cargo_bin("twh").expect("binary");
    c.current_dir(repo.path())
        .env("TWH_MEMORY_PROVIDER", repo.file("aws.json"))
        .env("TWH_RETRY_BASE_MS", "1")
        .env("NO_COLOR", "1")
        .env_remove("TWH_ENV")
        .env_remove("AWS_REGION")
        .env_remove("AWS_PROFILE");
    c
}

/// A finished process: its output, wall time and pid.
pub struct Finished {
    pub output: std::process::Output,
    pub secs: f64,
    pub pid: u32,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

/// Starts every command at once and waits for all of them.
pub fn run_together(cmds: Vec<std::process::Command>) -> Vec<Finished> {
    use std::process::Stdio;
    let start = std::time::Instant::now();
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn twh")
        })
        .collect();
    let waiters: Vec<_> = children
        .into_iter()
        .map(|child| {
            std::thread::spawn(move || {
                let pid = child.id();
                let output = child.wait_with_output().expect("wait");
                Finished {
                    output,
                    secs: start.elapsed().as_secs_f64(),
                    pid,
                }
            })
        })
        .collect();
    waiters
        .into_iter()
        .map(|w| w.join().expect("waiter"))
        .collect()
}

/// Mutating calls the memory-provider world has seen.
pub fn world_mutations(repo: &Repo) -> usize {
    let w: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.file("aws.json")).expect("world file"))
            .expect("world json");
    w["calls"].as_array().map_or(0, |c| {
        c.iter().filter(|c| c["mutating"] == json!(true)).count()
    })
}

/// Two `twh sync` started together on a slow account (every call 150 ms):
/// one applies, the other fails fast naming the holder. Then, with
/// `--lock-timeout`, the second waits and finds nothing left to do.
/// `twh` builds a command for the repository's state backend. Returns the
/// loser's and the winner's wall times in seconds.
pub fn check_sync_contention(repo: &Repo, twh: &dyn Fn() -> std::process::Command) -> (f64, f64) {
    repo.small_estate();
    repo.write("aws.json", &json!({"faults": {"latency_ms": 150}}));
    let sync = || {
        let mut c = twh();
        c.args(["sync", "-y", "--no-progress"]);
        c
    };
    let runs = run_together(vec![sync(), sync()]);
    let codes: Vec<_> = runs.iter().map(Finished::code).collect();
    let (winner, loser) = match codes.as_slice() {
        [Some(0), Some(1)] => (&runs[0], &runs[1]),
        [Some(1), Some(0)] => (&runs[1], &runs[0]),
        _ => panic!(
            "expected one sync to apply and one to fail, got {codes:?}:\n--- first\n{}\n--- second\n{}",
            runs[0].stderr(),
            runs[1].stderr()
        ),
    };
    let err = loser.stderr();
    assert!(err.contains("the state is locked by"), "{err}");
    assert!(
        err.contains(&format!("(pid {}) running `sync`", winner.pid)),
        "the loser must name the winner (pid {}):\n{err}",
        winner.pid
    );
    assert!(err.contains("twh force-unlock "), "{err}");
    assert!(
        loser.secs < winner.secs,
        "the loser must not wait for the winner: {:.2}s vs {:.2}s",
        loser.secs,
        winner.secs
    );
    let applied = world_mutations(repo);
    assert_eq!(applied, 4, "the estate is created once");
    let o = twh().args(["diff"]).output().expect("diff");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // A change, and two syncs again that both wait for the lock.
    repo.write(
        "resources/glue/crawlers/orders.json",
        &crawler("orders", Some("cron(0 3 * * ? *)")),
    );
    let waiting = || {
        let mut c = sync();
        c.args(["--lock-timeout", "60s"]);
        c
    };
    let runs = run_together(vec![waiting(), waiting()]);
    for r in &runs {
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
    }
    assert_eq!(
        world_mutations(repo),
        applied + 1,
        "the update is applied once, by whichever run took the lock first"
    );
    (loser.secs, winner.secs)
}

/// `state pull` prints the stored state; `state push` replaces it only with
/// a successor (same lineage, higher serial) unless `--force`.
pub fn check_pull_push(repo: &Repo, twh: &dyn Fn() -> std::process::Command) {
    repo.small_estate();
    let run = |args: &[&str], code: i32| -> std::process::Output {
        let o = twh().args(args).output().expect("run twh");
        assert_eq!(
            o.status.code(),
            Some(code),
            "`twh {}`:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    let pull = || -> Value {
        serde_json::from_slice(&run(&["state", "pull"], 0).stdout).expect("pulled json")
    };
    let o = run(&["state", "pull"], 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no state yet"),
        "{o:?}"
    );
    run(&["sync", "-y"], 0);
    let pulled = pull();
    let serial = pulled["serial"].as_u64().expect("serial");
    assert!(serial >= 4, "{pulled}");
    assert_eq!(pulled["resources"].as_object().map(|r| r.len()), Some(4));

    // The same state again: not newer.
    repo.write("pushed.json", &pulled);
    let o = run(&["state", "push", "pushed.json"], 1);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains(&format!(
            "is at serial {serial}; the state to write has serial {serial}, which is not newer"
        )),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");

    // An edited successor is accepted and is what a pull returns.
    let mut edited = pulled.clone();
    edited["serial"] = json!(serial + 1);
    edited["resources"]
        .as_object_mut()
        .expect("resources")
        .remove("athena_view.orders_v");
    repo.write("pushed.json", &edited);
    run(&["state", "push", "pushed.json"], 0);
    assert_eq!(pull(), edited);

    // Another estate's state is refused, even with a higher serial.
    let mut foreign = edited.clone();
    foreign["lineage"] = json!("00000000-0000-4000-8000-000000000000");
    foreign["serial"] = json!(serial + 10);
    repo.write("pushed.json", &foreign);
    let o = run(&["state", "push", "pushed.json"], 1);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(err.contains("belongs to another estate"), "{err}");
    assert_eq!(pull(), edited, "a refused push changes nothing");

    // --force replaces it anyway, e.g. to roll back to an old backup.
    repo.write("pushed.json", &pulled);
    run(&["state", "push", "--force", "pushed.json"], 0);
    assert_eq!(pull(), pulled);

    // Not a state file at all.
    repo.write("pushed.json", &json!({"hello": 1}));
    let o = run(&["state", "push", "pushed.json"], 1);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(err.contains("has format version 0"), "{err}");
    // After all that the lock is free and the estate is in sync again.
    run(&["sync", "-y"], 0);
    run(&["diff"], 0);
}

/// A lock whose holder died on this host is called stale, with its age and
/// the `force-unlock` to run; force-unlock removes only that lock.
/// `put_lock` writes a lock the backend's way; `lock_exists` looks for it.
pub fn check_stale_lock(
    repo: &Repo,
    twh: &dyn Fn() -> std::process::Command,
    put_lock: &dyn Fn(&Value),
    lock_exists: &dyn Fn() -> bool,
) {
    repo.small_estate();
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .expect("hostname");
    let created = (chrono::Utc::now() - chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    put_lock(
        &json!({"ID": "dead-lock-1", "operation": "sync", "who": "ci@here", "host": host,
        "pid": 4_194_305, "created": created}),
    );
    let o = twh().args(["sync", "-y"]).output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains(&format!(
            "the state is locked by `ci@here` (pid 4194305) running `sync` since {created}, 2h0m ago"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "process 4194305 no longer runs on {host}: the lock is stale"
        )),
        "{err}"
    );
    assert!(err.contains("twh force-unlock dead-lock-1"), "{err}");
    let o = twh()
        .args(["force-unlock", "other-id"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(lock_exists(), "a wrong ID removes nothing");
    let o = twh()
        .args(["force-unlock", "dead-lock-1"])
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!lock_exists(), "force-unlock removed the lock");
    let o = twh().args(["sync", "-y"]).output().expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!lock_exists(), "sync released its lock");
}

/// Another writer replaces the state while a sync runs (as a run that
/// force-unlocked it would): the sync fails naming the conflict, and the
/// other writer's state is left as it wrote it. `read_state` and
/// `write_state` reach the stored state the backend's way.
pub fn check_overwrite_during_sync(
    repo: &Repo,
    twh: &dyn Fn() -> std::process::Command,
    read_state: &dyn Fn() -> Option<Vec<u8>>,
    write_state: &dyn Fn(Vec<u8>),
) {
    use std::process::Stdio;
    repo.small_estate();
    // The overwrite must land between the sync's first and last state
    // writes. At 150 ms a call, a loaded 2-core CI machine (polling thread
    // late) saw the sync finish first; 400 ms leaves seconds between them.
    repo.write("aws.json", &json!({"faults": {"latency_ms": 400}}));
    let child = twh()
        .args(["sync", "-y", "--no-progress"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let first = loop {
        if let Some(bytes) = read_state() {
            break bytes;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sync never wrote state"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let mut theirs: Value = serde_json::from_slice(&first).expect("state json");
    theirs["serial"] = json!(theirs["serial"].as_u64().expect("serial") + 100);
    theirs["resources"] = json!({});
    let their_bytes = serde_json::to_vec_pretty(&theirs).expect("json");
    write_state(their_bytes.clone());
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was changed by another writer since this run read it; twh stopped instead of overwriting it"),
        "{err}"
    );
    assert!(
        err.contains(
            "Another writer replaced the state during this run (was its lock force-unlocked?)"
        ),
        "{err}"
    );
    assert_eq!(
        read_state().expect("state"),
        their_bytes,
        "the other writer's state is intact"
    );
}

/// Providers that send every AWS service to one memory provider, as the
/// core tests' harnesses do, for `account` in us-east-1.
pub fn memory_providers(
    mem: &std::sync::Arc<twh::provider::memory::MemoryProvider>,
    calls: &twh::provider::CallLog,
    account: &str,
) -> twh::provider::Providers {
    use twh::kinds::Service;
    let identity = twh::provider::Identity {
        account: account.into(),
        region: "us-east-1".into(),
    };
    let mut p = twh::provider::Providers::new(identity, mem.clone(), calls.clone());
    for s in [
        Service::Glue,
        Service::Athena,
        Service::QuickSight,
        Service::Iam,
    ] {
        p = p.with(s, mem.clone());
    }
    p
}

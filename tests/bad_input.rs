//! The bad-input corpus: each directory under `tests/corpus/bad/` is a
//! broken repository (see its README). For every case, `twh validate`,
//! `twh diff` and `twh sync --auto-approve` must exit 1 without a panic,
//! print the same diagnostics, name the file with line and column and say
//! what to do, and make no AWS call at all (the in-memory provider's call
//! log stays empty, no state is written).
//!
//! The diagnostics are compared with the case's `expected.txt`; after an
//! intended change of wording, rerun with `TWH_BLESS=1` to rewrite them and
//! review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/bad");

/// The environment file written when a case brings none of its own.
const DEFAULT_ENV: &str =
    r#"{"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"}}"#;

#[test]
fn every_broken_repository_is_refused_before_any_aws_call() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(c).err().map(|e| format!("{}: {e}", name(c))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn name(case: &Path) -> String {
    case.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run_case(case: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).map_err(|e| e.to_string())?;
    let setup = std::fs::read_to_string(case.join("setup")).unwrap_or_default();
    let setup: Vec<&str> = setup.lines().map(str::trim).collect();
    copy_tree(&case.join("resources"), &repo.join("resources"))?;
    if !case.join("resources/environments").exists() && !setup.contains(&"no-resources") {
        write(
            &repo.join("resources/environments/dev.json"),
            DEFAULT_ENV.as_bytes(),
        )?;
    }
    for step in &setup {
        prepare(step, &repo)?;
    }
    let world = tmp.path().join("aws.json");
    write(&world, b"{}")?;

    let validate = twh(&repo, &world, &["validate"])?;
    let diff = twh(&repo, &world, &["diff"])?;
    let sync = twh(&repo, &world, &["sync", "--auto-approve"])?;
    let shown = validate.replace(&repo.display().to_string(), "[REPO]");
    compare(case, &shown)?;
    if diff != validate || sync != validate {
        return Err(format!(
            "diff and sync must stop at the same diagnostics as validate\n--- diff:\n{diff}\n--- sync:\n{sync}"
        ));
    }
    check_teaches(&shown, setup.contains(&"no-location"))?;

    let calls: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&world).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if calls
        .get("calls")
        .is_some_and(|c| c != &serde_json::json!([]))
    {
        return Err(format!("AWS calls were made: {}", calls["calls"]));
    }
    if repo.join("state").exists() {
        return Err("a state directory was written".into());
    }
    Ok(())
}

/// Runs one command; it must exit 1 without panicking. Returns stderr.
fn twh(repo: &Path, world: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_twh"))
        .args(["--dir", &repo.display().to_string(), "--env", "dev"])
        .args(args)
        .env("TWH_MEMORY_PROVIDER", world)
        .env("NO_COLOR", "1")
        .env_remove("TWH_ENV")
        .env_remove("TWH_LOG")
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if stderr.contains("panicked") || out.status.code() != Some(1) {
        return Err(format!(
            "`twh {}` exited with {:?} (want 1)\n{stderr}",
            args.join(" "),
            out.status.code()
        ));
    }
    if !stdout.is_empty() {
        return Err(format!(
            "`twh {}` printed on stdout: {stdout}",
            args.join(" ")
        ));
    }
    Ok(stderr)
}

/// Every error names a file with line and column, and says what to do.
fn check_teaches(text: &str, no_file: bool) -> Result<(), String> {
    let mut errors = 0;
    for block in text.split("\n\n").filter(|b| b.starts_with("error:")) {
        errors += 1;
        let located = block.lines().any(|l| {
            l.strip_prefix("  --> ")
                .and_then(|loc| loc.rsplit(':').nth(1))
                .is_some_and(|n| n.parse::<usize>().is_ok())
        });
        if !located && !no_file {
            return Err(format!("error without file:line:col:\n{block}"));
        }
        if !block.contains("hint: ") {
            return Err(format!("error without a hint:\n{block}"));
        }
    }
    if errors == 0 {
        return Err(format!("no error reported:\n{text}"));
    }
    Ok(())
}

fn compare(case: &Path, got: &str) -> Result<(), String> {
    let file = case.join("expected.txt");
    if std::env::var_os("TWH_BLESS").is_some() {
        return write(&file, got.as_bytes());
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    if want == got {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(want.as_str(), got)
        .unified_diff()
        .header("expected.txt", "twh validate")
        .to_string();
    Err(format!(
        "output differs from expected.txt (rerun with TWH_BLESS=1 if intended):\n{diff}"
    ))
}

/// What git cannot store, made at run time.
fn prepare(step: &str, repo: &Path) -> Result<(), String> {
    let res = repo.join("resources");
    let e = |e: std::io::Error| format!("{step}: {e}");
    match step {
        // The error is about a file or directory that does not exist, so
        // it has no line to point at.
        "" | "no-resources" | "no-location" => {}
        // A spec nested 100,000 levels deep: a syntax error, not a stack overflow.
        "deep-nesting" => write(
            &res.join("glue/deep.json"),
            format!(
                "{{\"type\": \"glue_database\", \"name\": \"deep\", \"spec\": {}{}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .as_bytes(),
        )?,
        // Just over the 10 MiB limit: refused before it is read.
        "huge-file" => {
            let mut big =
                b"{\"type\": \"glue_database\", \"name\": \"big\", \"description\": \"".to_vec();
            big.resize(10 * 1024 * 1024 + 1, b'x');
            write(&res.join("glue/big.json"), &big)?;
        }
        "symlink-loop" => {
            std::os::unix::fs::symlink("loop.json", res.join("glue/loop.json")).map_err(e)?
        }
        "dangling-symlink" => {
            std::os::unix::fs::symlink("../moved-away.json", res.join("glue/orders.json"))
                .map_err(e)?
        }
        "symlink-to-parent" => std::os::unix::fs::symlink("..", res.join("glue/up")).map_err(e)?,
        other => return Err(format!("unknown setup step `{other}`")),
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if !from.exists() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            write(&to.join(rel), &bytes)?;
        }
    }
    Ok(())
}

/// AWS endpoint settings are input too: the SDK warns about an empty or
/// invalid `AWS_ENDPOINT_URL*` and then panics resolving an endpoint, so
/// twh checks them first.
#[test]
fn a_bad_endpoint_variable_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    write(
        &repo.join("resources/environments/dev.json"),
        DEFAULT_ENV.as_bytes(),
    )
    .expect("env");
    write(
        &repo.join("resources/db.json"),
        br#"{"type": "glue_database", "name": "wh", "spec": {"DatabaseInput": {"Name": "wh"}}}"#,
    )
    .expect("resource");
    for (name, value, says) in [
        ("AWS_ENDPOINT_URL", "", "AWS_ENDPOINT_URL is set but empty"),
        (
            "AWS_ENDPOINT_URL",
            "localhost:5000",
            "AWS_ENDPOINT_URL is `localhost:5000`, which is not an http(s) URL",
        ),
        (
            "AWS_ENDPOINT_URL_GLUE",
            "http//oops",
            "AWS_ENDPOINT_URL_GLUE is `http//oops`, which is not a URL",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_twh"))
            .args(["--dir", &repo.display().to_string(), "--env", "dev", "diff"])
            .env_remove("TWH_MEMORY_PROVIDER")
            .env_remove("AWS_ENDPOINT_URL")
            .env(name, value)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("NO_COLOR", "1")
            .output()
            .expect("run twh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}={value:?}:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains(says), "{name}={value:?}:\n{stderr}");
        assert!(
            stderr.contains("hint") || stderr.contains("unset it"),
            "{stderr}"
        );
    }
    // The same for a region that cannot be one (the SDK would fail deep in
    // endpoint resolution with a long error).
    let out = Command::new(env!("CARGO_BIN_EXE_twh"))
        .args(["--dir", &repo.display().to_string(), "--env", "dev"])
        .args(["--region", "us-east1", "diff"])
        .env("TWH_MEMORY_PROVIDER", tmp.path().join("aws.json"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run twh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--region `us-east1` is not an AWS region name"),
        "{stderr}"
    );
}

//! `cargo xtask <task>`: repository tasks for twh.
//!
//! - `codegen [--check]`: write `crates/spec/src/generated/` from the AWS models (`--check`: only
//!   compare, exit 1 when the committed files are stale).
//! - `fetch-models [--version X]`: refresh `codegen/models/` from botocore on PyPI.

use std::path::Path;
use std::process::{Command, ExitCode};

use xtask::{BOTOCORE_VERSION, Result, generate, repo_root, stale};

const USAGE: &str = "usage: cargo xtask codegen [--check] | cargo xtask fetch-models [--version X]";

/// The services whose models are kept, as named in botocore's `data/` directory.
const MODELS: &[&str] = &["athena", "glue", "iam", "quicksight"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let repo = repo_root();
    let result = match args.as_slice() {
        ["codegen"] => codegen(&repo, false),
        ["codegen", "--check"] => codegen(&repo, true),
        ["fetch-models"] => fetch_models(&repo, BOTOCORE_VERSION),
        ["fetch-models", "--version", version] => fetch_models(&repo, version),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes (or with `check`, compares) the generated files; `Ok(false)` when stale.
fn codegen(repo: &Path, check: bool) -> Result<bool> {
    let generation = generate(repo)?;
    let stale = stale(repo, &generation.files);
    if check {
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        if !stale.is_empty() {
            eprintln!("run `cargo xtask codegen` and commit the result");
        }
        return Ok(stale.is_empty());
    }
    for file in generation.files.iter().filter(|f| stale.contains(&f.path)) {
        std::fs::write(repo.join(&file.path), &file.contents)
            .map_err(|e| format!("{}: {e}", file.path.display()))?;
        eprintln!("wrote {}", file.path.display());
    }
    for (service, shapes, structures) in &generation.counts {
        eprintln!("{service}: {shapes} shapes ({structures} structures)");
    }
    Ok(true)
}

/// Downloads the botocore wheel with pip and copies the four models out of it.
fn fetch_models(repo: &Path, version: &str) -> Result<bool> {
    let temp = tempfile::tempdir()?;
    let status = Command::new("pip")
        .args(["download", "--no-deps", "--only-binary", ":all:", "--dest"])
        .arg(temp.path())
        .arg(format!("botocore=={version}"))
        .status()
        .map_err(|e| format!("running pip: {e}"))?;
    if !status.success() {
        return Err(format!("pip download botocore=={version} failed").into());
    }
    let wheel = temp
        .path()
        .join(format!("botocore-{version}-py3-none-any.whl"));
    let unpacked = temp.path().join("unpacked");
    // A wheel is a zip; Python (present, since pip is) unpacks it without another crate.
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .status()
        .map_err(|e| format!("running python3: {e}"))?;
    if !status.success() {
        return Err(format!("unpacking {} failed", wheel.display()).into());
    }
    for service in MODELS {
        let dir = unpacked.join("botocore/data").join(service);
        // One directory per API version; the latest date is the current API.
        let mut versions: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("service-2.json.gz").exists())
            .collect();
        versions.sort();
        let source = versions
            .pop()
            .ok_or_else(|| format!("no service-2.json.gz under {}", dir.display()))?;
        let target = repo
            .join("codegen/models")
            .join(format!("{service}.json.gz"));
        std::fs::copy(source.join("service-2.json.gz"), &target)?;
        eprintln!(
            "{} ← botocore {version} {}",
            target.display(),
            source.display()
        );
    }
    if version != BOTOCORE_VERSION {
        eprintln!(
            "now set BOTOCORE_VERSION in xtask/src/lib.rs to {version} and run `cargo xtask codegen`"
        );
    }
    Ok(true)
}

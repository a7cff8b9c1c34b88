//! twh's repository tasks. The library holds the spec-type generator so that
//! `xtask/tests/` can check the committed output without shelling out to `cargo xtask`.
//!
//! The generator reads the AWS models in `codegen/models/` (botocore's `service-2.json`),
//! the roots in [`roots::SERVICES`], and the source of the SDK crates in `Cargo.lock`, and
//! writes `crates/spec/src/generated/`. Pipeline: [`botocore`] parses a model, [`sdk`] reads what
//! the SDK crate offers, [`resolve`] joins them into the shapes to emit, [`emit`] writes
//! Rust, and rustfmt formats it (so `cargo fmt` leaves the files alone).

pub mod botocore;
pub mod docs;
pub mod emit;
pub mod naming;
pub mod resolve;
pub mod roots;
pub mod sdk;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// The botocore release `codegen/models/` comes from (see `codegen/README.md`).
pub const BOTOCORE_VERSION: &str = "1.44.8";

/// Where generated files go, relative to the repository root.
pub const GENERATED_DIR: &str = "crates/spec/src/generated";

/// One file the generator writes.
pub struct GeneratedFile {
    /// Relative to the repository root.
    pub path: PathBuf,
    pub contents: String,
}

/// The repository root (this crate lives in `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// What one run of the generator produces.
pub struct Generation {
    pub files: Vec<GeneratedFile>,
    /// Per service: (name, reachable shapes, structures among them).
    pub counts: Vec<(&'static str, usize, usize)>,
}

/// Everything `cargo xtask codegen` writes, formatted.
pub fn generate(repo: &Path) -> Result<Generation> {
    let mut services = Vec::new();
    for config in roots::SERVICES {
        let model = botocore::Model::load(
            &repo
                .join("codegen/models")
                .join(format!("{}.json.gz", config.name)),
        )?;
        let sdk = sdk::SdkCrate::locate(repo, config.sdk)?;
        services.push(resolve::Service::resolve(config, model, sdk)?);
    }
    let mut files = Vec::new();
    for svc in &services {
        files.push(GeneratedFile {
            path: Path::new(GENERATED_DIR).join(format!("{}.rs", svc.config.name)),
            contents: rustfmt(repo, &emit::service_file(svc, BOTOCORE_VERSION)?)?,
        });
    }
    files.push(GeneratedFile {
        path: Path::new(GENERATED_DIR).join("mod.rs"),
        contents: rustfmt(repo, &emit::mod_file(&services))?,
    });
    let counts = services
        .iter()
        .map(|s| (s.config.name, s.shapes.len(), s.structures.len()))
        .collect();
    Ok(Generation { files, counts })
}

/// Files under `repo` whose contents differ from `files` (missing files count).
pub fn stale(repo: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(repo.join(&f.path)).ok().as_deref() != Some(f.contents.as_str())
        })
        .map(|f| f.path.clone())
        .collect()
}

/// Formats with the toolchain's rustfmt, from the repository root so a `rustfmt.toml`
/// there applies exactly as it does for `cargo fmt`.
fn rustfmt(repo: &Path, source: &str) -> Result<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(&rustfmt)
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = source.to_owned();
    // Write on another thread: rustfmt streams output while reading, and a pipe buffer
    // full on both sides would deadlock.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| "rustfmt: writer thread panicked")??;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

//! Finding and reading the repository's files: every `*.json` under
//! `resources/` (walk errors and symlink loops reported), each read into
//! [`InputFile`] bytes and parsed into JSON with its positions kept.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Location};

use super::locate::Positions;
use super::model::{InputFile, Sources};
use super::read;

/// Every `*.json` under `resources/` except environment files, sorted,
/// relative to `root`. Unreadable entries and symlink loops are reported.
pub(super) fn resource_files(res_dir: &Path, root: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let env_dir = res_dir.join("environments");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(res_dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) => {
                let p = e.path();
                if e.file_type().is_file()
                    && p.extension().and_then(|x| x.to_str()) == Some("json")
                    && !p.starts_with(&env_dir)
                {
                    files.push(p.strip_prefix(root).unwrap_or(p).to_path_buf());
                }
            }
            Err(err) => diags.push(walk_error(&err, root)),
        }
    }
    files
}

/// A directory entry under `resources/` that cannot be followed: a symlink
/// loop, a dangling symlink, or an unreadable entry. Named relative to the
/// repository, with where a link points.
pub(super) fn walk_error(err: &walkdir::Error, root: &Path) -> Diagnostic {
    let path = err.path().unwrap_or(root);
    let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let target = fs_err::read_link(path).ok();
    let shown_target = target
        .as_ref()
        .map(|t| format!(" → `{}`", t.display()))
        .unwrap_or_default();
    let is_loop = err.loop_ancestor().is_some()
        || err
            .io_error()
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(|c| c == 40); // ELOOP
    let (summary, hint) = if is_loop {
        (
            format!("symlink loop at `{}`{shown_target}", rel.display()),
            "a link under `resources/` points back at itself or a parent directory; remove it or point it at a file",
        )
    } else if target.is_some()
        && err
            .io_error()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        (
            format!("dangling symlink `{}`{shown_target}", rel.display()),
            "the link's target does not exist; restore the target or remove the link",
        )
    } else {
        let why = err
            .io_error()
            .map(|e| format!(": {}", e.kind()))
            .unwrap_or_default();
        (
            format!("cannot read `{}`{why}", rel.display()),
            "check its permissions, or remove it from `resources/`",
        )
    };
    Diagnostic::error(summary)
        .at(Some(Location {
            file: rel,
            line: 1,
            column: 1,
        }))
        .hint(hint)
}

/// Reads one file from disk, refusing one over [`read::MAX_FILE_BYTES`]
/// before reading it.
pub(super) fn read_input(root: &Path, rel: PathBuf, diags: &mut Diagnostics) -> Option<InputFile> {
    use std::io::Read as _;
    let path = root.join(&rel);
    let result = fs_err::File::open(&path).and_then(|f| {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len > read::MAX_FILE_BYTES as u64 {
            return Ok(Err(len));
        }
        // `take`: a file that grows while being read still stops here.
        let mut bytes = Vec::new();
        f.take(read::MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)?;
        Ok(Ok(bytes))
    });
    match result {
        Ok(Ok(bytes)) => Some(InputFile { path: rel, bytes }),
        Ok(Err(len)) => {
            diags.push(read::too_big(&rel, len).at(Some(Location {
                file: rel.clone(),
                line: 1,
                column: 1,
            })));
            None
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(format!("cannot read `{}`", rel.display()))
                    .at(Some(Location {
                        file: rel.clone(),
                        line: 1,
                        column: 1,
                    }))
                    .detail(e.kind().to_string())
                    .hint("check the file's permissions, or remove it from `resources/`"),
            );
            None
        }
    }
}

/// Parses one input; size, encoding, syntax and duplicate-key errors are
/// reported with their position.
pub(super) fn parse_input(
    file: InputFile,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let rel = file.path;
    match read::parse_file(&rel, file.bytes) {
        Ok(p) => {
            sources.add(rel, p.text, p.positions);
            Some(p.value)
        }
        Err(f) => {
            if let Some(text) = f.text {
                sources.add(rel.clone(), text, Positions::default());
            }
            for mut d in f.diags {
                if d.location.is_none() {
                    d.location = Some(Location {
                        file: rel.clone(),
                        line: 1,
                        column: 1,
                    });
                }
                diags.push(d);
            }
            None
        }
    }
}

//! The loaded estate as values: [`Config`] (the environment and its
//! resources), each [`Resource`] with its [`Origin`] and [`Lifecycle`], the
//! [`Sources`] kept for rendering diagnostics, and the loader's inputs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::addr::Address;
use crate::diag::{Location, SourceLookup};
use crate::graph::Graph;
use crate::kinds::KindDef;

use super::environment::{Environment, StateBackend};
use super::locate::Positions;

/// Where a resource was declared: its file (relative to the repository
/// directory) and the JSON pointer of the resource object in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub pointer: String,
}

/// `lifecycle` settings of a resource.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Refuse to delete or replace this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Allow taking over a live resource that a CloudFormation stack created.
    #[serde(default)]
    pub adopt_from_cloudformation: bool,
    /// Spec fields (`A.B` or JSON pointers) left to someone else: twh keeps
    /// AWS's value, never compares it, and lists it as unmanaged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<String>,
}

/// One declared resource after phase-one interpolation.
#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: Address,
    pub kind: &'static KindDef,
    /// The spec with `${env}` and `${var...}` substituted; `${ref:...}`,
    /// `${cfn:...}` and `${env_var:...}` still in place.
    pub spec: Value,
    pub lifecycle: Lifecycle,
    /// Resources this one depends on (references and `depends_on`).
    pub depends_on: Vec<Address>,
    /// Addresses this resource had before (`moved_from`), oldest last or
    /// in any order: each is one move to this address or along a chain.
    pub moved_from: Vec<Address>,
    pub origin: Origin,
}

/// The loaded, validated desired estate of one environment.
#[derive(Debug, Default)]
pub struct Config {
    pub root: PathBuf,
    pub env_name: String,
    pub env: Option<Environment>,
    pub resources: Vec<Resource>,
    pub graph: Graph,
    pub sources: Sources,
    /// Address → position in `resources`.
    pub(super) index: HashMap<Address, usize>,
    /// Renames of resource addresses (`moved_from` on a resource, `moved`
    /// lists in files), by old address. Validated at load: same type, one
    /// destination per source and one source per destination, no cycle,
    /// the old address no longer declared, every chain ending at a
    /// declared resource.
    pub moves: BTreeMap<Address, Move>,
}

/// One declared rename: what was `from` is now the resource at `to`, or
/// (in a chain) at whatever `to` has moved to since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: Address,
    pub to: Address,
    /// Where it was declared, for messages.
    pub at: Location,
}

impl Config {
    pub fn resource(&self, addr: &Address) -> Option<&Resource> {
        self.index.get(addr).map(|i| &self.resources[*i])
    }

    /// Where the resource once at `from` is declared now: the end of the
    /// chain of moves starting at `from` (validated acyclic at load), or
    /// `None` when no move starts there.
    pub fn moved_to(&self, from: &Address) -> Option<&Address> {
        let mut at = &self.moves.get(from)?.to;
        // At most one step per move: a bound even if validation was skipped.
        for _ in 0..self.moves.len() {
            match self.moves.get(at) {
                Some(m) => at = &m.to,
                None => break,
            }
        }
        Some(at)
    }

    pub fn environment(&self) -> Environment {
        self.env.clone().unwrap_or_else(|| Environment {
            region: None,
            account_id: None,
            variables: BTreeMap::new(),
            state: StateBackend::Local,
            extract: None,
            cloudformation: None,
        })
    }
}

/// The text and value positions of every file read, for placing and
/// rendering diagnostics.
#[derive(Debug, Default)]
pub struct Sources {
    files: HashMap<PathBuf, (String, Positions)>,
}

impl Sources {
    pub(super) fn add(&mut self, file: PathBuf, text: String, positions: Positions) {
        self.files.insert(file, (text, positions));
    }

    /// A content hash (`sha256:HEX`) of every file read, by its path
    /// relative to the repository (`/`-separated): the environment file and
    /// every resource file. A saved plan records them, so that applying it
    /// after any file changed is refused (`plan::saved`).
    pub fn fingerprints(&self) -> BTreeMap<String, String> {
        use sha2::{Digest as _, Sha256};
        self.files
            .iter()
            .map(|(path, (text, _))| {
                let name = path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let digest = Sha256::digest(text.as_bytes());
                (name, format!("sha256:{}", hex::encode(digest)))
            })
            .collect()
    }

    /// The text of a file read, by its path relative to the repository.
    pub fn text(&self, file: &Path) -> Option<&str> {
        self.files.get(file).map(|(t, _)| t.as_str())
    }

    /// Every file read, by its path relative to the repository, sorted.
    pub fn paths(&self) -> Vec<&Path> {
        let mut v: Vec<&Path> = self.files.keys().map(PathBuf::as_path).collect();
        v.sort();
        v
    }

    /// The location of `pointer` in `file` (of the member's key if `at_key`).
    pub fn locate(&self, file: &Path, pointer: &str, at_key: bool) -> Location {
        let (line, column) = self
            .files
            .get(file)
            .and_then(|(_, p)| {
                if at_key {
                    p.key(pointer)
                } else {
                    p.value(pointer)
                }
            })
            .unwrap_or((1, 1));
        Location {
            file: file.to_path_buf(),
            line,
            column,
        }
    }
}

impl SourceLookup for Sources {
    fn line(&self, file: &Path, line: usize) -> Option<String> {
        let (text, _) = self.files.get(file)?;
        text.lines().nth(line.checked_sub(1)?).map(str::to_string)
    }
}

/// Options for [`load`].
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Treat an unset `${env_var:...}` as an error (diff, sync) rather than a
    /// warning (validate, which needs no secrets).
    pub require_secrets: bool,
}

/// One input file, already read: its path relative to the repository and
/// its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// A repository's files, read but not yet parsed: what [`load`] reads from
/// disk, or what a caller that has no disk (the fuzz target) makes up.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The environment file; `None` when it could not be read (reported).
    pub environment: Option<InputFile>,
    /// Resource files, in the order they are to be read.
    pub resources: Vec<InputFile>,
}

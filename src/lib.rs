//! twh: keeps an AWS analytics estate (Glue, Athena, QuickSight, IAM) equal to
//! the JSON files that describe it.
//!
//! This crate is the command line ([`cli`]); the work is in the crates under
//! `crates/` (docs/ARCHITECTURE.md says which to open for what):
//! `twh-core` (load, validate, plan, apply, state, the Provider trait),
//! `twh-spec` (the generated AWS shapes), `twh-aws` (the AWS providers) and
//! `twh-extract`. Their modules are re-exported here under the names they
//! had before the split, so `twh::config`, `twh::plan`... keep working.

pub mod cli;

pub use twh_core::{accept, addr, apply, config, diag, graph, kinds, plan, report, secret, spec};
pub use twh_extract as extract;

/// The Provider trait and the in-memory provider (`twh-core`) with the AWS
/// providers (`twh-aws`).
pub mod provider {
    pub use twh_aws::provider::*;
    pub use twh_core::provider::*;
}

/// State files, backends and the lock (`twh-core`), with the S3 backend
/// (`twh-aws`).
pub mod state {
    pub use twh_aws::state_s3 as s3;
    pub use twh_core::state::*;
}

/// The operator commands (`twh-core`); their AWS calls are `twh-aws`'s
/// `OpsProvider` for `Clients`.
pub use twh_core::ops;

/// Every environment variable twh reads (`twh-core`), with the two that
/// connect `twh reset` to `twh-extract`.
pub mod env {
    pub use twh_core::env::*;

    /// The `twh-extract` binary `twh reset` runs (default: the one next to
    /// `twh`, else `twh-extract` on PATH).
    pub const EXTRACT_BIN: &str = "TWH_EXTRACT_BIN";
    /// `twh-extract`'s default `--sink`: when set, `twh reset` runs the
    /// extract step even without arguments after `--`.
    pub const EXTRACT_SINK: &str = twh_extract::env::SINK;
}

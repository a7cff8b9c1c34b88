//! twh: keeps an AWS analytics estate (Glue, Athena, QuickSight, IAM) equal to
//! the JSON files that describe it.
//!
//! The flow, one direction: [`config`] loads and validates the files (no AWS
//! call), [`plan`] resolves them, reads live AWS through [`provider`]s and
//! compares against [`state`], [`apply`] carries the plan out. [`extract`] is
//! the companion `twh-extract`, which fills the lake.

pub mod addr;
pub mod apply;
pub mod cli;
pub mod config;
pub mod diag;
pub mod env;
pub mod extract;
pub mod graph;
pub mod kinds;
pub mod ops;
pub mod plan;
pub mod provider;
pub mod secret;
pub mod spec;
pub mod state;

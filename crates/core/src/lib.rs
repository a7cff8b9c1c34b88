//! twh without AWS: everything between the resource files and the Provider
//! trait.
//!
//! The flow, one direction: [`config`] loads and validates the files (no AWS
//! call), [`plan`] resolves them, reads live resources through a
//! [`provider::Provider`] and compares against [`state`], [`apply`] carries
//! the plan out. The AWS implementations of the providers, of the S3 state
//! backend and of the operator commands' calls are in crate `twh-aws`;
//! [`provider::memory`] implements every kind in-process for tests.

pub mod accept;
pub mod addr;
pub mod apply;
pub mod config;
pub mod diag;
pub mod env;
pub mod graph;
pub mod kinds;
pub mod ops;
pub mod plan;
pub mod pointer;
pub mod provider;
pub mod report;
pub mod secret;
pub mod spec;
pub mod state;

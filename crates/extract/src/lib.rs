//! twh-extract: Ticketsauce and Stripe into a Glue-ready lake.
//!
//! The flow, one direction per stream:
//!
//! ```text
//! source API ──http (rate limit, retry)──> typed model ──ok──> Row ──┐
//!                                               └──bad──> quarantine ┤
//!                                                                    v
//!             state (_state/) <──checkpoint after flush── writer ──merge by key──> sink
//! ```
//!
//! - [`sources`] page through the APIs and turn records into [`writer::Row`]s.
//! - [`writer`] buffers rows per partition (bounded), merges them into the
//!   partition's file by primary key and publishes it atomically; only then
//!   does it apply the stream's checkpoints and save its cursor ([`cursor`]).
//! - [`sink`] is a local directory or S3, same layout:
//!   `<source>/<table>/dt=<YYYY-MM-DD>/part-00000.json.gz`.
//! - [`run`] wires the streams together; every stream runs on its own and a
//!   failed stream does not stop the others ([`summary`] reports each).
//! - [`lambda`] answers the AWS Lambda Runtime API: one invocation is one
//!   run, stopped before its deadline with the cursors saved.
//! - The fake Ticketsauce and Stripe APIs are the dev-only crate `twh-fakes`,
//!   never part of the shipped binary.
//!
//! Why merge by key instead of appending files: windows overlap on purpose and
//! a rerun after a crash repeats work, yet every record must land exactly
//! once. Object keys are a pure function of (table, partition), partitions are
//! a pure function of an immutable field (the record's creation date, in UTC),
//! so a repeated record always meets its earlier copy and replaces it.

pub mod cli;
pub mod credentials;
pub mod cursor;
pub mod env;
pub mod error;
pub mod http;
pub mod lambda;
pub mod models;
pub mod partition;
pub mod progress;
pub mod quarantine;
pub mod ratelimit;
pub mod retry;
pub mod run;
pub mod sink;
pub mod sources;
pub mod summary;
pub mod writer;

pub use error::Error;
pub use run::{RunSettings, run};

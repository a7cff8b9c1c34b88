//! twh's AWS side: the providers for Glue, Athena, QuickSight and IAM (the
//! [`twh_core::provider::Provider`] implementations), the S3 state backend,
//! and the AWS calls of the operator commands (`ops.rs`: the
//! [`twh_core::ops::provider::OpsProvider`] of [`provider::aws::Clients`]).
//!
//! This crate and `twh-extract` are the only ones that link the AWS SDK.

mod ops;
pub mod provider;
pub mod raw_json;
pub mod state_s3;

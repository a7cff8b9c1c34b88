//! The AWS providers: one per service behind [`twh_core::provider::Provider`],
//! the SDK configuration they share, and the error classification in
//! [`aws_common`].

pub mod aws;
pub mod aws_athena;
pub mod aws_common;
pub mod aws_glue;
pub mod aws_iam;
pub mod aws_quicksight;
pub mod propagation;
pub mod timeouts;

//! The AWS calls of the operator commands: start Glue crawlers and QuickSight
//! ingestions and poll them, empty S3 prefixes. Selection, waiting and
//! reporting are in [`twh_core::ops`].

pub mod check;
pub mod crawl;
pub mod purge;
pub mod refresh;

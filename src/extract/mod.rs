//! twh-extract: source APIs to a Glue-ready lake (arrives with its own issue).

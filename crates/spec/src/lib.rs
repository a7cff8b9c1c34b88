//! Resource spec types: the AWS input shapes, generated from the service
//! models (`cargo xtask codegen`), plus the facts validation walks.
//!
//! Nothing here calls AWS. The conversions to the SDK's own types are behind
//! the `sdk` feature, which only the AWS providers turn on, so the loader
//! builds without any SDK crate.

pub mod generated;
pub mod model;
pub mod project;

use model::ServiceShapes;

/// The facts table of one generated service (`glue`, `athena`,
/// `quicksight`, `iam`). twh's own kinds keep theirs in `twh-core`.
pub fn generated_shapes_for(service: &str) -> Option<&'static ServiceShapes> {
    generated::ALL
        .iter()
        .copied()
        .find(|s| s.service == service)
}

/// The JSON Schema of a generated kind's spec type.
pub fn schema_for_kind(kind: &str) -> serde_json::Value {
    let schema = match kind {
        "glue_database" => schemars::schema_for!(generated::glue::types::CreateDatabaseRequest),
        "glue_table" => schemars::schema_for!(generated::glue::types::CreateTableRequest),
        "glue_crawler" => schemars::schema_for!(generated::glue::types::CreateCrawlerRequest),
        "glue_job" => schemars::schema_for!(generated::glue::types::CreateJobRequest),
        "athena_workgroup" => schemars::schema_for!(generated::athena::types::WorkGroupSpec),
        "quicksight_data_source" => {
            schemars::schema_for!(generated::quicksight::types::CreateDataSourceRequest)
        }
        "quicksight_data_set" => schemars::schema_for!(generated::quicksight::types::DataSetSpec),
        "iam_role" => schemars::schema_for!(generated::iam::types::RoleSpec),
        _ => return serde_json::Value::Null,
    };
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

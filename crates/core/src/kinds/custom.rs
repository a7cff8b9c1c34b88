//! Spec types of the kinds that are not one AWS input shape: `athena_view`
//! (applied as `CREATE OR REPLACE VIEW` through Athena) and `data_check` (a
//! query twh runs itself). Their facts table is written here by hand in the
//! same form the generator emits for AWS shapes, so one validator serves all.

use crate::spec::model::{Member, ServiceShapes, Shape, ShapeKind};

/// An Athena view: `CREATE OR REPLACE VIEW "Database"."Name" AS <Sql>`, run in
/// `WorkGroup`, read back from the Glue catalog and compared on normalized SQL.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaViewSpec {
    /// The view's name (lowercase; Glue stores names in lowercase).
    #[serde(rename = "Name")]
    pub name: String,
    /// The Glue database the view lives in.
    #[serde(rename = "Database")]
    pub database: String,
    /// The Athena workgroup the DDL runs in (its output location and engine).
    #[serde(rename = "WorkGroup")]
    pub work_group: String,
    /// The view's SELECT statement.
    #[serde(rename = "Sql")]
    pub sql: String,
    /// The data catalog; `AwsDataCatalog` when omitted.
    #[serde(rename = "Catalog", default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// A comment stored with the view.
    #[serde(rename = "Comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A data-quality check: an Athena query whose result must be zero rows
/// (orphans, null keys, duplicate ids). Run by `twh check`, never synced.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCheckSpec {
    /// The check's name, shown in `twh check` output.
    #[serde(rename = "Name")]
    pub name: String,
    /// What a violation means and what to do about it.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The Athena workgroup the query runs in.
    #[serde(rename = "WorkGroup")]
    pub work_group: String,
    /// The Glue database the query runs against.
    #[serde(rename = "Database")]
    pub database: String,
    /// A SELECT returning the violating rows; the check passes on zero rows.
    #[serde(rename = "Query")]
    pub query: String,
    /// Rows tolerated before the check fails (default 0).
    #[serde(rename = "MaxRows", default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<i64>,
}

const fn member(name: &'static str, shape: &'static str, required: bool) -> Member {
    Member {
        name,
        shape,
        required,
    }
}

const fn string(min: i64, max: i64, pattern: Option<&'static str>) -> ShapeKind {
    ShapeKind::String {
        enum_values: &[],
        min: Some(min),
        max: Some(max),
        pattern,
    }
}

/// Facts for the hand-written kinds, sorted by shape name.
pub static SHAPES: ServiceShapes = ServiceShapes {
    service: "twh",
    shapes: &[
        Shape {
            name: "AthenaViewSpec",
            kind: ShapeKind::Structure {
                members: &[
                    member("Name", "GlueName", true),
                    member("Database", "GlueName", true),
                    member("WorkGroup", "WorkGroupName", true),
                    member("Sql", "Sql", true),
                    member("Catalog", "CatalogName", false),
                    member("Comment", "Comment", false),
                ],
            },
        },
        Shape {
            name: "CatalogName",
            kind: string(1, 256, None),
        },
        Shape {
            name: "CheckName",
            kind: string(1, 255, Some("^[A-Za-z0-9_.-]+$")),
        },
        Shape {
            name: "Comment",
            kind: string(0, 2048, None),
        },
        Shape {
            name: "DataCheckSpec",
            kind: ShapeKind::Structure {
                members: &[
                    member("Name", "CheckName", true),
                    member("Description", "Comment", false),
                    member("WorkGroup", "WorkGroupName", true),
                    member("Database", "GlueName", true),
                    member("Query", "Sql", true),
                    member("MaxRows", "RowCount", false),
                ],
            },
        },
        Shape {
            name: "GlueName",
            kind: string(1, 255, None),
        },
        Shape {
            name: "RowCount",
            kind: ShapeKind::Integer {
                min: Some(0),
                max: None,
            },
        },
        Shape {
            name: "Sql",
            // Athena's query string limit.
            kind: string(1, 262_144, None),
        },
        Shape {
            name: "WorkGroupName",
            kind: string(1, 128, Some("^[a-zA-Z0-9._-]{1,128}$")),
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_sorted_and_match_the_structs() {
        let names: Vec<_> = SHAPES.shapes.iter().map(|s| s.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        // Every member named in the facts is accepted by the serde struct.
        let view: AthenaViewSpec = serde_json::from_value(serde_json::json!({
            "Name": "v", "Database": "d", "WorkGroup": "w", "Sql": "select 1",
            "Catalog": "AwsDataCatalog", "Comment": "c"
        }))
        .expect("all facts members deserialize");
        assert_eq!(view.name, "v");
        let check: DataCheckSpec = serde_json::from_value(serde_json::json!({
            "Name": "n", "Description": "d", "WorkGroup": "w", "Database": "d",
            "Query": "select 1", "MaxRows": 0
        }))
        .expect("all facts members deserialize");
        assert_eq!(check.max_rows, Some(0));
    }
}

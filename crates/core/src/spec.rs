//! The spec types (crate `twh-spec`, generated from the AWS models) and the
//! one lookup that also knows twh's own kinds' facts, which live here in
//! [`crate::kinds`].

pub use twh_spec::{generated, model, project, schema_for_kind};

use model::ServiceShapes;

/// The facts table of one service (`glue`, `athena`, `quicksight`, `iam`, or
/// `twh` for twh's own kinds).
pub fn shapes_for(service: &str) -> Option<&'static ServiceShapes> {
    if service == "twh" {
        return Some(&crate::kinds::CUSTOM_SHAPES);
    }
    twh_spec::generated_shapes_for(service)
}

#[cfg(test)]
mod tests {
    use super::project::{overlay, project};
    use serde_json::json;

    #[test]
    fn project_drops_output_only_members() {
        let shapes = &crate::kinds::CUSTOM_SHAPES;
        let live = json!({"Name": "v", "Database": "d", "WorkGroup": "w", "Sql": "select 1",
                          "CreateTime": "2026-01-01T00:00:00Z", "Arn": "arn:x"});
        assert_eq!(
            project(shapes, "AthenaViewSpec", &live),
            json!({"Name": "v", "Database": "d", "WorkGroup": "w", "Sql": "select 1"})
        );
    }

    #[test]
    fn overlay_keeps_only_what_the_shape_does_not_model() {
        let shapes = &crate::kinds::CUSTOM_SHAPES;
        // `Owner` is not an AthenaViewSpec member: it survives. `Comment` is
        // modeled and absent from desired: it is removed.
        let live = json!({"Name": "v", "Sql": "select 1", "Comment": "old", "Owner": "someone"});
        let desired = json!({"Name": "v", "Sql": "select 2"});
        assert_eq!(
            overlay(shapes, "AthenaViewSpec", &live, &desired),
            json!({"Owner": "someone", "Name": "v", "Sql": "select 2"})
        );
    }
}

//! Every class of validation error, with its exact message and location.
//! Validation makes no AWS call: these run with no provider at all.

mod common;

use serde_json::json;

use common::Repo;
use twh::config::{self, LoadOptions};

/// `file:line:col summary [hint]` for every diagnostic.
fn errors(repo: &Repo) -> Vec<String> {
    let (_, diags) = config::load(
        repo.path(),
        "dev",
        &LoadOptions {
            require_secrets: true,
        },
    );
    diags
        .0
        .iter()
        .map(|d| {
            let loc = d
                .location
                .as_ref()
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let hint = d
                .hint
                .as_ref()
                .map(|h| format!(" [{h}]"))
                .unwrap_or_default();
            format!("{loc}{}{hint}", d.summary)
        })
        .collect()
}

fn one(repo: &Repo) -> String {
    let e = errors(repo);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

fn db(name: &str) -> serde_json::Value {
    json!({"type": "glue_database", "name": "warehouse", "spec": {"DatabaseInput": {"Name": name}}})
}

#[test]
fn json_syntax() {
    let r = Repo::new();
    r.write_text("resources/a.json", "{\"type\": \"glue_database\",, }");
    assert_eq!(
        one(&r),
        "resources/a.json:1:26 invalid JSON in `resources/a.json`: key must be a string [object keys must be double-quoted strings (`\"name\": ...`)]"
    );
}

#[test]
fn not_utf8() {
    let r = Repo::new();
    std::fs::write(r.file("resources/bin.json"), b"{\"type\": \"\xff\"}").expect("write");
    assert_eq!(
        one(&r),
        "resources/bin.json:1:11 `resources/bin.json` is not UTF-8 text: byte 0xFF is not UTF-8 [save the file as UTF-8; if it is not a text file, move it out of `resources/`]"
    );
}

#[test]
fn unknown_type_and_resource_field() {
    let r = Repo::new();
    r.write(
        "resources/a.json",
        &json!({"type": "glue_databse", "name": "x", "spec": {}}),
    );
    r.write("resources/b.json", &json!({"type": "glue_database", "name": "y", "spce": {}, "spec": {"DatabaseInput": {"Name": "y"}}}));
    assert_eq!(
        errors(&r),
        [
            "resources/a.json:2:11 unknown resource type `glue_databse` [did you mean `glue_database`?]",
            "resources/b.json:4:3 unknown field `spce` in resource [did you mean `spec`?]",
        ]
    );
}

#[test]
fn duplicate_address() {
    let r = Repo::new();
    r.write("resources/a.json", &db("a"));
    r.write("resources/b.json", &json!({"resources": [db("b")]}));
    assert_eq!(
        one(&r),
        "resources/b.json:3:5 duplicate resource address `glue_database.warehouse` [give one of them another `name`]"
    );
}

#[test]
fn unknown_spec_field_suggests_the_closest() {
    let r = Repo::new();
    r.write(
        "resources/c.json",
        &json!({"type": "glue_crawler", "name": "c", "spec": {
        "Name": "c", "Role": "r", "Targets": {"S3Targets": [{"Pth": "s3://b/"}]}}}),
    );
    assert_eq!(
        one(&r),
        "resources/c.json:10:11 unknown field `Pth` in `Targets.S3Targets[0]` (in `glue_crawler.c`) [did you mean `Path`?]"
    );
}

#[test]
fn missing_required_field() {
    let r = Repo::new();
    r.write(
        "resources/c.json",
        &json!({"type": "glue_crawler", "name": "c", "spec": {"Name": "c", "Targets": {}}}),
    );
    assert_eq!(
        one(&r),
        "resources/c.json:4:11 missing required field `Role` in spec (in `glue_crawler.c`) [`spec` is the AWS `CreateCrawlerRequest` input; `twh schema glue_crawler` lists every field with its type and limits]"
    );
}

#[test]
fn wrong_json_type() {
    let r = Repo::new();
    r.write("resources/c.json", &json!({"type": "glue_crawler", "name": "c", "spec": {"Name": "c", "Role": "r", "Targets": [], "Description": 5}}));
    let e = errors(&r);
    assert_eq!(
        e,
        [
            "resources/c.json:7:16 expected an object for `Targets`, found an array (in `glue_crawler.c`) [use an object (`{...}`)]",
            "resources/c.json:8:20 expected a string for `Description`, found a number (in `glue_crawler.c`) [use a string in double quotes]",
        ]
    );
}

#[test]
fn value_outside_the_enum() {
    let r = Repo::new();
    r.write("resources/c.json", &json!({"type": "glue_crawler", "name": "c", "spec": {"Name": "c", "Role": "r", "Targets": {},
        "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABSE"}}}));
    assert_eq!(
        one(&r),
        "resources/c.json:9:25 `UPDATE_IN_DATABSE` is not a valid value for `SchemaChangePolicy.UpdateBehavior` (in `glue_crawler.c`) [did you mean `UPDATE_IN_DATABASE`?]"
    );
}

#[test]
fn length_and_pattern_limits() {
    let r = Repo::new();
    let max: usize = limit("athena", "WorkGroupDescriptionString")
        .parse()
        .expect("number");
    let long = "x".repeat(max + 1);
    r.write("resources/w.json", &json!({"type": "athena_workgroup", "name": "w", "spec": {"Name": "bad name!", "Description": long}}));
    assert_eq!(
        errors(&r),
        [
            "resources/w.json:5:13 `bad name!` does not match the pattern AWS requires for `Name`: [a-zA-Z0-9._-]{1,128} (in `athena_workgroup.w`) [AWS rejects a value that does not match; change it to fit the pattern]".to_string(),
            format!("resources/w.json:6:20 `Description` is too long: {} characters, at most {max} (in `athena_workgroup.w`) [AWS rejects more than {max} characters here; shorten it]", max + 1),
        ]
    );
}

/// The max length AWS's model gives a string shape (the test states the rule,
/// the model the number).
fn limit(service: &str, shape: &str) -> String {
    let shapes = twh::spec::shapes_for(service).expect("service");
    match &shapes.get(shape).expect("shape").kind {
        twh::spec::model::ShapeKind::String { max, .. } => max.expect("max").to_string(),
        _ => panic!("not a string"),
    }
}

#[test]
fn mixed_case_glue_names_are_accepted_as_aws_accepts_them() {
    // Glue folds them to lowercase when it stores them (the plan sends
    // them folded: see tests/core.rs).
    let r = Repo::new();
    r.write("resources/d.json", &db("dbCrawler"));
    let (_, diags) = twh::config::load(
        r.path(),
        "dev",
        &twh::config::LoadOptions {
            require_secrets: false,
        },
    );
    assert!(!diags.has_errors(), "{diags:?}");
}

#[test]
fn undefined_variable() {
    let r = Repo::new();
    r.write("resources/d.json", &db("db_${var.lake_buckt}"));
    assert_eq!(
        one(&r),
        "resources/d.json:6:15 undefined variable `lake_buckt` in environment `dev` (in `glue_database.warehouse`) [did you mean `lake_bucket`?]"
    );
}

#[test]
fn references_to_missing_resources_and_attributes() {
    let r = Repo::new();
    r.write("resources/d.json", &db("warehouse"));
    r.write("resources/v.json", &json!({"resources": [
        {"type": "athena_view", "name": "a", "spec": {"Name": "a", "Database": "${ref:glue_database.warehous.name}", "WorkGroup": "w", "Sql": "select 1"}},
        {"type": "athena_view", "name": "b", "spec": {"Name": "b", "Database": "${ref:glue_database.warehouse.nmae}", "WorkGroup": "w", "Sql": "select 1"}}
    ]}));
    assert_eq!(
        errors(&r),
        [
            "resources/v.json:8:21 reference to undeclared resource `glue_database.warehous` in `athena_view.a` [did you mean `glue_database.warehouse`?]",
            "resources/v.json:18:21 `glue_database` has no attribute `nmae` (in `athena_view.b`) [did you mean `name`?]",
        ]
    );
}

#[test]
fn reference_cycle_is_printed() {
    let r = Repo::new();
    r.write("resources/v.json", &json!({"resources": [
        {"type": "athena_view", "name": "a", "spec": {"Name": "a", "Database": "${ref:athena_view.b.name}", "WorkGroup": "w", "Sql": "select 1"}},
        {"type": "athena_view", "name": "b", "spec": {"Name": "b", "Database": "${ref:athena_view.a.name}", "WorkGroup": "w", "Sql": "select 1"}}
    ]}));
    let e = one(&r);
    assert!(
        e.starts_with(
            "resources/v.json:3:5 reference cycle: athena_view.a → athena_view.b → athena_view.a"
        ),
        "{e}"
    );
}

#[test]
fn unset_secret_is_an_error_for_diff_and_a_warning_for_validate() {
    let r = Repo::new();
    r.write("resources/s.json", &json!({"type": "quicksight_data_source", "name": "s", "spec": {
        "DataSourceId": "s", "Name": "s", "Type": "REDSHIFT",
        "Credentials": {"CredentialPair": {"Username": "u", "Password": "${env_var:TWH_TEST_NEVER_SET_42}"}}}}));
    assert_eq!(
        one(&r),
        "resources/s.json:4:11 environment variable `TWH_TEST_NEVER_SET_42` is not set (used by `quicksight_data_source.s`) [export TWH_TEST_NEVER_SET_42=... before running twh; its value is never printed or stored]"
    );
    let (_, diags) = config::load(
        r.path(),
        "dev",
        &LoadOptions {
            require_secrets: false,
        },
    );
    assert!(!diags.has_errors());
    assert_eq!(diags.len(), 1);
}

#[test]
fn unknown_environment_lists_the_defined_ones() {
    let r = Repo::new();
    let (_, diags) = config::load(
        r.path(),
        "stagng",
        &LoadOptions {
            require_secrets: true,
        },
    );
    let d = &diags.0[0];
    assert_eq!(
        d.summary,
        "environment `stagng` is not defined: `resources/environments/stagng.json` does not exist"
    );
    assert_eq!(d.hint.as_deref(), Some("defined environments: dev"));
}

#[test]
fn bad_environment_file_field() {
    let r = Repo::new();
    r.write(
        "resources/environments/dev.json",
        &json!({"region": "us-east-1", "varibles": {}}),
    );
    let e = one(&r);
    assert!(
        e.starts_with(
            "resources/environments/dev.json:3:3 invalid environment file: unknown field `varibles`"
        ),
        "{e}"
    );
    assert!(e.ends_with("[did you mean `variables`?]"), "{e}");
}

#[test]
fn an_s3_state_key_must_name_an_object() {
    let r = Repo::new();
    r.write(
        "resources/environments/dev.json",
        &json!({"region": "us-east-1", "state": {"backend": "s3", "bucket": "acme-twh-state", "key": "twh/"}}),
    );
    assert_eq!(
        one(&r),
        "resources/environments/dev.json:6:12 invalid environment file: state key `twh/` does not name an object; use a key such as `twh/dev.json` [each environment keeps its state in one object of its own]"
    );
}

#[test]
fn all_errors_are_reported_together() {
    let r = Repo::new();
    r.write_text("resources/a.json", "{");
    r.write(
        "resources/b.json",
        &json!({"type": "nope", "name": "x", "spec": {}}),
    );
    r.write("resources/c.json", &db(&"x".repeat(300)));
    assert_eq!(errors(&r).len(), 3);
}

#[test]
fn ignore_changes_names_spec_fields() {
    let r = Repo::new();
    r.write_text(
        "resources/a.json",
        r#"{"type": "glue_database", "name": "warehouse",
 "spec": {"DatabaseInput": {"Name": "wh"}},
 "lifecycle": {"ignore_changes": ["DatabaseInput.Description", "DatabaseInput.Descripton"]}}"#,
    );
    assert_eq!(
        one(&r),
        "resources/a.json:3:64 `lifecycle.ignore_changes` of `glue_database.warehouse` names `Descripton`, which is not a field of CreateDatabaseRequest [did you mean `Description`?]"
    );
}

#[test]
fn ignore_changes_cannot_name_the_identity() {
    let r = Repo::new();
    r.write(
        "resources/a.json",
        &json!({"type": "glue_database", "name": "warehouse",
                "spec": {"DatabaseInput": {"Name": "wh"}},
                "lifecycle": {"ignore_changes": ["DatabaseInput.Name"]}}),
    );
    let e = one(&r);
    assert!(
        e.contains(
            "names `DatabaseInput.Name`, the resource's identity, which cannot be left to AWS"
        ),
        "{e}"
    );
    assert!(e.contains("rename it in the file"), "{e}");
}

#[test]
fn a_quicksight_permission_list_that_is_not_a_whole_set_is_refused_at_its_line() {
    let r = Repo::new();
    r.write(
        "resources/ds.json",
        &json!({"type": "quicksight_data_source", "name": "athena", "spec": {
            "DataSourceId": "athena", "Name": "Athena", "Type": "ATHENA",
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}},
            "Permissions": [{"Principal": "arn:aws:quicksight:us-east-1:123456789012:user/default/admin",
                "Actions": ["quicksight:DescribeDataSource", "quicksight:PassDataSource"]}]}}),
    );
    let e = one(&r);
    assert!(
        e.starts_with("resources/ds.json:") && e.contains("`Permissions[0].Actions` of `quicksight_data_source.athena` is not a permission set QuickSight accepts: [quicksight:DescribeDataSource, quicksight:PassDataSource]"),
        "{e}"
    );
    assert!(
        e.contains("[quicksight:DescribeDataSource, quicksight:DescribeDataSourcePermissions, quicksight:PassDataSource] or"),
        "the hint names the valid sets: {e}"
    );
}

//! The generated spec types (`src/spec/generated/`, `cargo xtask codegen`) against real
//! resource specs: JSON → spec type → SDK request builder, and, for shapes AWS also
//! returns, SDK output (built as AWS would echo the request) → spec type → the same JSON.

use aws_smithy_types::DateTime;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use twh::spec::generated::{athena, glue, iam, quicksight};
use twh::spec::model::ShapeKind;

/// Deserializes `json` as a spec type, and checks serializing gives the same JSON back.
fn spec<T: DeserializeOwned + serde::Serialize>(json: &Value) -> T {
    let value: T = serde_json::from_value(json.clone()).expect("spec deserializes");
    assert_eq!(
        &serde_json::to_value(&value).expect("serializes"),
        json,
        "serde round trip"
    );
    value
}

fn to_json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// `live[key] == sent[key]` for every key, with the key in the message.
fn assert_same(live: &Value, sent: &Value, keys: &[&str]) {
    for key in keys {
        assert_eq!(
            live[key], sent[key],
            "`{key}` read back differs from what was sent"
        );
    }
}

fn crawler_spec() -> Value {
    json!({
        "Name": "ticket_warehouse_orders-dev",
        "Role": "arn:aws:iam::123456789012:role/twh-crawler",
        "DatabaseName": "ticket_warehouse_dev",
        "Description": "Ticketsauce orders",
        "Targets": {
            "S3Targets": [{
                "Path": "s3://twh-lake-dev/ticketsauce/orders/",
                "Exclusions": ["**/_tmp/**"],
                "SampleSize": 10
            }]
        },
        "Schedule": "cron(15 3 * * ? *)",
        "SchemaChangePolicy": {
            "UpdateBehavior": "UPDATE_IN_DATABASE",
            "DeleteBehavior": "DEPRECATE_IN_DATABASE"
        },
        "RecrawlPolicy": { "RecrawlBehavior": "CRAWL_EVERYTHING" },
        "Configuration": "{\"Version\":1.0,\"Grouping\":{\"TableGroupingPolicy\":\"CombineCompatibleSchemas\"}}",
        "Tags": { "team": "data", "env": "dev" }
    })
}

#[test]
fn glue_crawler_converts_to_the_request_and_back() {
    use aws_sdk_glue::operation::create_crawler::builders::CreateCrawlerInputBuilder;
    use aws_sdk_glue::types::{Crawler, Schedule, ScheduleState, UpdateBehavior};

    let sent = crawler_spec();
    let request: glue::types::CreateCrawlerRequest = spec(&sent);
    let input = CreateCrawlerInputBuilder::try_from(request).expect("converts to the SDK");
    assert_eq!(
        input.get_name().as_deref(),
        Some("ticket_warehouse_orders-dev")
    );
    assert_eq!(
        input
            .get_schema_change_policy()
            .as_ref()
            .and_then(|p| p.update_behavior()),
        Some(&UpdateBehavior::UpdateInDatabase),
        "enum strings become SDK enums"
    );
    let s3 = &input.get_targets().as_ref().expect("targets").s3_targets()[0];
    assert_eq!(s3.sample_size(), Some(10), "i64 narrowed to the SDK's i32");
    assert_eq!(input.get_tags().as_ref().map(|t| t.len()), Some(2));

    // GetCrawler returns the definition that was sent, with the schedule as a structure.
    let live = Crawler::builder()
        .name(input.get_name().clone().expect("name"))
        .role(input.get_role().clone().expect("role"))
        .set_database_name(input.get_database_name().clone())
        .set_description(input.get_description().clone())
        .set_targets(input.get_targets().clone())
        .set_schema_change_policy(input.get_schema_change_policy().clone())
        .set_recrawl_policy(input.get_recrawl_policy().clone())
        .set_configuration(input.get_configuration().clone())
        .schedule(
            Schedule::builder()
                .set_schedule_expression(input.get_schedule().clone())
                .state(ScheduleState::Scheduled)
                .build(),
        )
        .creation_time(DateTime::from_secs(1_700_000_000))
        .version(3)
        .build();
    let live = to_json(glue::types::Crawler::from(live));
    assert_same(
        &live,
        &sent,
        &[
            "Name",
            "Role",
            "DatabaseName",
            "Description",
            "Targets",
            "SchemaChangePolicy",
            "RecrawlPolicy",
            "Configuration",
        ],
    );
    assert_eq!(
        live["Schedule"],
        json!({ "ScheduleExpression": sent["Schedule"], "State": "SCHEDULED" })
    );
    assert_eq!(
        live["CreationTime"], "2023-11-14T22:13:20Z",
        "timestamps read back as RFC 3339"
    );
    assert_eq!(live["Version"], 3);
}

fn table_spec() -> Value {
    json!({
        "DatabaseName": "ticket_warehouse_dev",
        "TableInput": {
            "Name": "orders",
            "Description": "One row per order",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": { "classification": "json", "compressionType": "gzip" },
            "PartitionKeys": [{ "Name": "dt", "Type": "string", "Comment": "order date" }],
            "StorageDescriptor": {
                "Columns": [
                    { "Name": "order_id", "Type": "bigint" },
                    { "Name": "total", "Type": "decimal(12,2)", "Comment": "in cents" },
                    { "Name": "details", "Type": "struct<event_id:string,qty:int>" }
                ],
                "Location": "s3://twh-lake-dev/ticketsauce/orders/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "Compressed": true,
                "NumberOfBuckets": -1,
                "SerdeInfo": {
                    "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                    "Parameters": { "paths": "order_id,total,details", "ignore.malformed.json": "true" }
                },
                "BucketColumns": [],
                "SortColumns": [{ "Column": "order_id", "SortOrder": 1 }]
            }
        }
    })
}

#[test]
fn glue_table_converts_to_the_request_and_back() {
    use aws_sdk_glue::operation::create_table::builders::CreateTableInputBuilder;
    use aws_sdk_glue::types::Table;

    let sent = table_spec();
    let request: glue::types::CreateTableRequest = spec(&sent);
    let input = CreateTableInputBuilder::try_from(request).expect("converts to the SDK");
    assert_eq!(
        input.get_database_name().as_deref(),
        Some("ticket_warehouse_dev")
    );
    let table_input = input.get_table_input().clone().expect("table input");
    let sd = table_input
        .storage_descriptor()
        .expect("storage descriptor");
    assert_eq!(sd.columns().len(), 3);
    assert!(sd.compressed());
    assert_eq!(sd.number_of_buckets(), -1);

    // GetTable returns the table input as a `Table`.
    let live = Table::builder()
        .name(table_input.name())
        .database_name("ticket_warehouse_dev")
        .set_description(table_input.description().map(str::to_owned))
        .set_table_type(table_input.table_type().map(str::to_owned))
        .set_parameters(table_input.parameters().cloned())
        .set_partition_keys(table_input.partition_keys.clone())
        .set_storage_descriptor(table_input.storage_descriptor.clone())
        .create_time(DateTime::from_secs(1_700_000_000))
        .build()
        .expect("name is set");
    let live = to_json(glue::types::Table::from(live));
    assert_same(
        &live,
        &sent["TableInput"],
        &[
            "Name",
            "Description",
            "TableType",
            "Parameters",
            "PartitionKeys",
            "StorageDescriptor",
        ],
    );
    assert_eq!(live["DatabaseName"], sent["DatabaseName"]);
}

#[test]
fn glue_zero_valued_primitives_read_back_as_absent() {
    // The SDK keeps `StoredAsSubDirectories` as a bare bool and never sends `false`, so
    // `false` and absent are the same request; reading back gives absent.
    let sent = json!({ "Columns": [], "StoredAsSubDirectories": false, "Compressed": false });
    let sd: glue::types::StorageDescriptor = spec(&sent);
    let sdk = aws_sdk_glue::types::StorageDescriptor::try_from(sd).expect("converts");
    assert_eq!(
        to_json(glue::types::StorageDescriptor::from(sdk)),
        json!({ "Columns": [] })
    );
}

fn data_set_spec() -> Value {
    json!({
        "AwsAccountId": "123456789012",
        "DataSetId": "orders",
        "Name": "Orders",
        "ImportMode": "SPICE",
        "PhysicalTableMap": {
            "orders-sql": {
                "CustomSql": {
                    "DataSourceArn": "arn:aws:quicksight:us-east-1:123456789012:datasource/athena",
                    "Name": "orders",
                    "SqlQuery": "SELECT order_id, total, dt FROM ticket_warehouse_dev.orders",
                    "Columns": [
                        { "Name": "order_id", "Type": "INTEGER" },
                        { "Name": "total", "Type": "DECIMAL", "SubType": "FIXED" },
                        { "Name": "dt", "Type": "STRING" }
                    ]
                }
            }
        },
        "LogicalTableMap": {
            "orders": {
                "Alias": "Orders",
                "Source": { "PhysicalTableId": "orders-sql" },
                "DataTransforms": [
                    { "CastColumnTypeOperation": { "ColumnName": "dt", "NewColumnType": "DATETIME", "Format": "yyyy-MM-dd" } },
                    { "RenameColumnOperation": { "ColumnName": "total", "NewColumnName": "order_total" } },
                    { "ProjectOperation": { "ProjectedColumns": ["order_id", "order_total", "dt"] } }
                ]
            }
        },
        "Permissions": [{
            "Principal": "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts",
            "Actions": ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions"]
        }],
        "Tags": [{ "Key": "team", "Value": "data" }]
    })
}

#[test]
// The SDK marks `LogicalTableMap` as the legacy data-preparation experience; specs may
// still use it, and this test exercises it on purpose.
#[allow(deprecated)]
fn quicksight_data_set_converts_to_the_request_and_back() {
    use aws_sdk_quicksight::operation::create_data_set::builders::CreateDataSetInputBuilder;
    use aws_sdk_quicksight::types::{DataSet, PhysicalTable};

    let sent = data_set_spec();
    let request: quicksight::types::CreateDataSetRequest = spec(&sent);
    let input = CreateDataSetInputBuilder::try_from(request).expect("converts to the SDK");
    let physical = input
        .get_physical_table_map()
        .as_ref()
        .expect("physical tables");
    assert!(
        matches!(&physical["orders-sql"], PhysicalTable::CustomSql(sql) if sql.sql_query().starts_with("SELECT")),
        "a one-member object becomes the SDK's union variant"
    );

    // DescribeDataSet returns the definition as a `DataSet`.
    let live = DataSet::builder()
        .arn("arn:aws:quicksight:us-east-1:123456789012:dataset/orders")
        .set_data_set_id(input.get_data_set_id().clone())
        .set_name(input.get_name().clone())
        .set_import_mode(input.get_import_mode().clone())
        .set_physical_table_map(input.get_physical_table_map().clone())
        .set_logical_table_map(input.get_logical_table_map().clone())
        .created_time(DateTime::from_secs(1_700_000_000))
        .build();
    let live = to_json(quicksight::types::DataSet::from(live));
    assert_same(
        &live,
        &sent,
        &[
            "DataSetId",
            "Name",
            "ImportMode",
            "PhysicalTableMap",
            "LogicalTableMap",
        ],
    );
    assert_eq!(live["CreatedTime"], "2023-11-14T22:13:20Z");

    // Permissions and tags are read with their own calls, shape by shape.
    let permissions: Vec<Value> = input
        .get_permissions()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|p| to_json(quicksight::types::ResourcePermission::from(p)))
        .collect();
    assert_eq!(Value::Array(permissions), sent["Permissions"]);
    let tags: Vec<Value> = input
        .get_tags()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|t| to_json(quicksight::types::Tag::from(t)))
        .collect();
    assert_eq!(Value::Array(tags), sent["Tags"]);
}

#[test]
fn quicksight_data_set_spec_adds_refresh_settings() {
    let mut sent = data_set_spec();
    sent["RefreshSchedules"] = json!([{
        "ScheduleId": "daily",
        "ScheduleFrequency": { "Interval": "DAILY", "TimeOfTheDay": "04:00", "Timezone": "America/New_York" },
        "RefreshType": "FULL_REFRESH"
    }]);
    sent["RefreshProperties"] = json!({
        "RefreshConfiguration": {
            "IncrementalRefresh": {
                "LookbackWindow": { "ColumnName": "dt", "Size": 2, "SizeUnit": "DAY" }
            }
        }
    });
    let data_set: quicksight::types::DataSetSpec = spec(&sent);
    let schedules = data_set.refresh_schedules.clone().unwrap_or_default();
    let schedule = aws_sdk_quicksight::types::RefreshSchedule::try_from(schedules[0].clone())
        .expect("converts");
    assert_eq!(
        to_json(quicksight::types::RefreshSchedule::from(schedule)),
        sent["RefreshSchedules"][0]
    );
    let properties = data_set
        .refresh_properties
        .clone()
        .expect("refresh properties");
    let properties = aws_sdk_quicksight::types::DataSetRefreshProperties::try_from(properties)
        .expect("converts");
    assert_eq!(
        to_json(quicksight::types::DataSetRefreshProperties::from(
            properties
        )),
        sent["RefreshProperties"]
    );
}

#[test]
fn quicksight_union_with_two_members_is_refused() {
    let mut sent = data_set_spec();
    sent["PhysicalTableMap"]["orders-sql"]["RelationalTable"] = json!({
        "DataSourceArn": "arn:aws:quicksight:us-east-1:123456789012:datasource/athena",
        "Name": "orders",
        "InputColumns": [{ "Name": "order_id", "Type": "INTEGER" }]
    });
    let table: quicksight::types::PhysicalTable = spec(&sent["PhysicalTableMap"]["orders-sql"]);
    let error = aws_sdk_quicksight::types::PhysicalTable::try_from(table).expect_err("two members");
    assert!(error.to_string().contains("exactly one of"), "{error}");
}

#[test]
fn athena_workgroup_converts_to_the_request_and_back() {
    use aws_sdk_athena::operation::create_work_group::builders::CreateWorkGroupInputBuilder;
    use aws_sdk_athena::types::{WorkGroup, WorkGroupState};

    let sent = json!({
        "Name": "twh-dev",
        "Description": "Ticket Warehouse queries",
        "Configuration": {
            "ResultConfiguration": {
                "OutputLocation": "s3://twh-athena-results-dev/",
                "EncryptionConfiguration": { "EncryptionOption": "SSE_S3" }
            },
            "EnforceWorkGroupConfiguration": true,
            "PublishCloudWatchMetricsEnabled": true,
            "BytesScannedCutoffPerQuery": 10_000_000_000_i64,
            "EngineVersion": { "SelectedEngineVersion": "Athena engine version 3" }
        },
        "Tags": [{ "Key": "team", "Value": "data" }]
    });
    let request: athena::types::CreateWorkGroupInput = spec(&sent);
    let input = CreateWorkGroupInputBuilder::try_from(request).expect("converts to the SDK");
    let configuration = input.get_configuration().clone().expect("configuration");
    assert_eq!(
        configuration.bytes_scanned_cutoff_per_query(),
        Some(10_000_000_000),
        "longs stay i64"
    );

    let live = WorkGroup::builder()
        .name("twh-dev")
        .state(WorkGroupState::Enabled)
        .set_description(input.get_description().clone())
        .configuration(configuration)
        .creation_time(DateTime::from_secs(1_700_000_000))
        .build()
        .expect("name is set");
    let live = to_json(athena::types::WorkGroup::from(live));
    assert_same(&live, &sent, &["Name", "Description", "Configuration"]);
    assert_eq!(live["State"], "ENABLED");
}

#[test]
fn iam_role_spec_takes_policies_as_json() {
    use aws_sdk_iam::operation::create_role::builders::CreateRoleInputBuilder;

    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "Service": "glue.amazonaws.com" }, "Action": "sts:AssumeRole" }]
    });
    let sent = json!({
        "RoleName": "twh-crawler-dev",
        "Path": "/twh/",
        "AssumeRolePolicyDocument": trust,
        "MaxSessionDuration": 3600,
        "Policies": { "lake-read": { "Version": "2012-10-17", "Statement": [] } },
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"],
        "Tags": [{ "Key": "team", "Value": "data" }]
    });
    let role: iam::types::RoleSpec = spec(&sent);
    assert_eq!(role.assume_role_policy_document, trust);

    // The provider's path: the trust policy serialized into CreateRole's string member.
    let request = iam::types::CreateRoleRequest {
        role_name: role.role_name.clone(),
        path: role.path.clone(),
        assume_role_policy_document: role.assume_role_policy_document.to_string(),
        max_session_duration: role.max_session_duration,
        tags: role.tags.clone(),
        ..Default::default()
    };
    let input = CreateRoleInputBuilder::try_from(request).expect("converts to the SDK");
    assert_eq!(input.get_max_session_duration(), &Some(3600));

    let live = aws_sdk_iam::types::Role::builder()
        .path("/twh/")
        .role_name("twh-crawler-dev")
        .role_id("AROAEXAMPLE")
        .arn("arn:aws:iam::123456789012:role/twh/twh-crawler-dev")
        .create_date(DateTime::from_secs(1_700_000_000))
        .set_max_session_duration(input.get_max_session_duration().to_owned())
        .build()
        .expect("required members are set");
    let live = to_json(iam::types::Role::from(live));
    assert_eq!(live["CreateDate"], "2023-11-14T22:13:20Z");
    assert_eq!(live["MaxSessionDuration"], 3600);
}

#[test]
fn an_unknown_field_is_refused() {
    let mut sent = crawler_spec();
    sent["Nmae"] = sent["Name"].clone();
    let error = serde_json::from_value::<glue::types::CreateCrawlerRequest>(sent)
        .expect_err("unknown field");
    assert!(
        error.to_string().contains("unknown field `Nmae`"),
        "{error}"
    );

    let mut nested = table_spec();
    nested["TableInput"]["StorageDescriptor"]["SerdeInfo"]["SerializationLib"] = json!("x");
    let error = serde_json::from_value::<glue::types::CreateTableRequest>(nested)
        .expect_err("unknown nested field");
    assert!(
        error
            .to_string()
            .contains("unknown field `SerializationLib`"),
        "{error}"
    );
}

#[test]
fn a_missing_required_member_is_refused() {
    let mut sent = crawler_spec();
    sent.as_object_mut().expect("object").remove("Role");
    let error =
        serde_json::from_value::<glue::types::CreateCrawlerRequest>(sent).expect_err("no Role");
    assert!(
        error.to_string().contains("missing field `Role`"),
        "{error}"
    );

    let mut sent = data_set_spec();
    sent["PhysicalTableMap"]["orders-sql"]["CustomSql"]
        .as_object_mut()
        .expect("object")
        .remove("SqlQuery");
    let error = serde_json::from_value::<quicksight::types::CreateDataSetRequest>(sent)
        .expect_err("no SqlQuery");
    assert!(
        error.to_string().contains("missing field `SqlQuery`"),
        "{error}"
    );
}

#[test]
fn an_integer_too_large_for_the_sdk_is_an_error_not_a_wrap() {
    let mut sent = crawler_spec();
    sent["Targets"]["S3Targets"][0]["SampleSize"] = json!(1_i64 << 40);
    let request: glue::types::CreateCrawlerRequest = spec(&sent);
    let result =
        aws_sdk_glue::operation::create_crawler::builders::CreateCrawlerInputBuilder::try_from(
            request,
        );
    let error = result.expect_err("out of range");
    assert!(error.to_string().contains("SampleSize"), "{error}");
}

#[test]
fn facts_cover_every_service_sorted() {
    let names: Vec<&str> = twh::spec::generated::ALL
        .iter()
        .map(|s| s.service)
        .collect();
    assert_eq!(names, ["athena", "glue", "iam", "quicksight"]);
    for service in twh::spec::generated::ALL {
        assert!(
            service.shapes.windows(2).all(|w| w[0].name < w[1].name),
            "{} shapes are sorted and unique",
            service.service
        );
    }
    let Some(ShapeKind::Structure { members }) =
        glue::SHAPES.get("CreateCrawlerRequest").map(|s| &s.kind)
    else {
        panic!("CreateCrawlerRequest is a structure");
    };
    assert!(members.iter().any(|m| m.name == "Role" && m.required));
    assert!(members.iter().any(|m| m.name == "Schedule" && !m.required));
    let Some(ShapeKind::String { enum_values, .. }) =
        glue::SHAPES.get("UpdateBehavior").map(|s| &s.kind)
    else {
        panic!("UpdateBehavior is a string");
    };
    assert_eq!(*enum_values, ["LOG", "UPDATE_IN_DATABASE"]);
    let Some(ShapeKind::Structure { members }) =
        quicksight::SHAPES.get("DataSetSpec").map(|s| &s.kind)
    else {
        panic!("DataSetSpec is a structure");
    };
    assert!(
        members
            .iter()
            .any(|m| m.name == "RefreshSchedules" && m.shape == "RefreshSchedules")
    );
    assert!(matches!(
        iam::SHAPES.get("PolicyDocument").map(|s| &s.kind),
        Some(ShapeKind::Document)
    ));
}

#[test]
fn json_schema_has_docs_enums_and_no_extra_properties() {
    let schema = to_json(schemars::schema_for!(glue::types::CreateCrawlerRequest));
    assert_eq!(schema["additionalProperties"], false);
    assert!(
        schema["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("Role")))
    );
    let policy = &schema["$defs"]["SchemaChangePolicy"];
    assert_eq!(policy["additionalProperties"], false);
    let behavior = &policy["properties"]["UpdateBehavior"];
    assert_eq!(behavior["enum"], json!(["LOG", "UPDATE_IN_DATABASE"]));
    assert!(
        behavior["description"]
            .as_str()
            .is_some_and(|d| d.contains("update behavior")),
        "AWS documentation becomes the description: {behavior}"
    );
}

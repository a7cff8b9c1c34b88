//! The AWS estate every end-to-end test builds from: one resource of each
//! kind, named after the test's environment, wired by references.

use serde_json::{Value, json};

pub const ADMIN: &str = "arn:aws:quicksight:us-east-1:123456789012:user/default/admin";

pub fn role() -> Value {
    json!({"type": "iam_role", "name": "crawler", "spec": {
        "RoleName": "twh-crawler-${env}",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": {"read-lake": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

pub fn database() -> Value {
    json!({"type": "glue_database", "name": "wh", "spec": {
        "DatabaseInput": {"Name": "wh_${env}", "Description": "Warehouse"}, "Tags": {"team": "data"}}})
}

pub fn crawler() -> Value {
    json!({"type": "glue_crawler", "name": "orders", "spec": {
        "Name": "orders-${env}", "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.wh.name}", "Schedule": "cron(0 1 * * ? *)",
        "Configuration": "{\"Version\": 1.0, \"CrawlerOutput\": {\"Partitions\": {\"AddOrUpdateBehavior\": \"InheritFromTable\"}}}",
        "SchemaChangePolicy": {"UpdateBehavior": "LOG"},
        "Targets": {"S3Targets": [{"Path": "s3://${var.lake_bucket}/orders/"}]}, "Tags": {"team": "data"}}})
}

pub fn table() -> Value {
    json!({"type": "glue_table", "name": "orders", "spec": {
        "DatabaseName": "${ref:glue_database.wh.name}",
        "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "json"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}, {"Name": "total", "Type": "double"}],
                "Location": "s3://${var.lake_bucket}/orders/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}}}}})
}

pub fn workgroup() -> Value {
    json!({"type": "athena_workgroup", "name": "wg", "spec": {
        "Name": "wg-${env}", "Description": "analysts",
        "Configuration": {"ResultConfiguration": {"OutputLocation": "s3://${var.lake_bucket}/athena/"},
                          "BytesScannedCutoffPerQuery": 10_000_000_000_i64},
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

pub fn view() -> Value {
    json!({"type": "athena_view", "name": "orders_v", "spec": {
        "Name": "orders_v", "Database": "${ref:glue_database.wh.name}",
        "WorkGroup": "${ref:athena_workgroup.wg.name}",
        "Sql": "SELECT id,\n       total\n  FROM orders\n WHERE total > 0;"}})
}

pub fn job() -> Value {
    json!({"type": "glue_job", "name": "etl", "spec": {
        "Name": "etl-${env}", "Role": "${ref:iam_role.crawler.arn}",
        "Command": {"Name": "glueetl", "ScriptLocation": "s3://${var.lake_bucket}/scripts/etl.py"},
        "GlueVersion": "4.0", "WorkerType": "G.1X", "NumberOfWorkers": 2,
        "DefaultArguments": {"--job-language": "python"}, "Tags": {"team": "data"}}})
}

pub fn data_source() -> Value {
    json!({"type": "quicksight_data_source", "name": "athena", "spec": {
        "DataSourceId": "athena-${env}", "Name": "Athena", "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg.name}"}},
        "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"]}],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

pub fn data_set() -> Value {
    json!({"type": "quicksight_data_set", "name": "orders", "spec": {
        "DataSetId": "orders-${env}", "Name": "Orders", "ImportMode": "SPICE",
        "PhysicalTableMap": {"t1": {"RelationalTable": {
            "DataSourceArn": "${ref:quicksight_data_source.athena.arn}", "Catalog": "AwsDataCatalog",
            "Schema": "wh_${env}", "Name": "orders",
            "InputColumns": [{"Name": "id", "Type": "STRING"}, {"Name": "total", "Type": "DECIMAL"}]}}},
        "LogicalTableMap": {"l1": {"Alias": "orders", "Source": {"PhysicalTableId": "t1"}}},
        "Permissions": [{"Principal": ADMIN, "Actions": ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions"]}],
        "Tags": [{"Key": "team", "Value": "data"}]}})
}

/// One resource of each kind twh creates with several calls or through a
/// query, wired by references.
pub fn full_estate() -> Vec<Value> {
    let mut v = view();
    // The view's SQL reads the table; nothing else orders them.
    v["depends_on"] = serde_json::json!(["glue_table.orders"]);
    vec![
        role(),
        database(),
        table(),
        crawler(),
        workgroup(),
        v,
        data_source(),
        data_set(),
    ]
}

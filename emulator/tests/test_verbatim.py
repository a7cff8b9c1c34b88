"""TWH_EMULATOR_VERBATIM=1: the emulator echoes what it was sent, so one can
show what a client does without AWS's rewrites and defaults."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import ACCOUNT, wait_for

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/GlueCrawlerRole"


@pytest.fixture
def v(verbatim_emulator):
    verbatim_emulator.control("POST", "/_twh/reset")
    verbatim_emulator.control("POST", "/_twh/config", {"query_seconds": 0.05, "data_source_seconds": 5})
    yield verbatim_emulator
    # Echoed answers must still match the botocore model.
    assert verbatim_emulator.control("GET", "/_twh/shapecheck")["failures"] == []


def test_the_switch_is_reported(emulator, v):
    assert v.control("GET", "/_twh/config")["verbatim"] is True
    assert emulator.control("GET", "/_twh/config")["verbatim"] is False


def test_glue_echoes_names_roles_and_tables_as_sent(v):
    glue = v.client("glue")
    glue.create_database(DatabaseInput={"Name": "SalesDB"})
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["SalesDB"]
    glue.create_table(DatabaseName="SalesDB", TableInput={"Name": "Orders", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}})
    table = glue.get_table(DatabaseName="SalesDB", Name="Orders")["Table"]
    assert "Retention" not in table and "NumberOfBuckets" not in table["StorageDescriptor"]
    glue.create_crawler(Name="c", Role=ROLE_ARN, DatabaseName="SalesDB", Targets={"S3Targets": [{"Path": "s3://b/"}]})
    crawler = glue.get_crawler(Name="c")["Crawler"]
    assert crawler["Role"] == ROLE_ARN
    assert "SchemaChangePolicy" not in crawler and crawler["Targets"] == {"S3Targets": [{"Path": "s3://b/"}]}
    glue.create_job(Name="j", Role=ROLE_ARN, Command={"Name": "glueetl", "ScriptLocation": "s3://b/j.py"})
    job = glue.get_job(JobName="j")["Job"]
    assert "Timeout" not in job and "MaxCapacity" not in job and "JobMode" not in job


def test_athena_keeps_view_sql_as_sent(v):
    glue, athena, s3 = v.client("glue"), v.client("athena"), v.client("s3")
    s3.create_bucket(Bucket="results")
    glue.create_database(DatabaseInput={"Name": "sales"})
    glue.create_table(DatabaseName="sales", TableInput={"Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}})
    sql = "select a from orders where a > 1"
    qid = athena.start_query_execution(
        QueryString=f"CREATE VIEW v AS {sql}",
        QueryExecutionContext={"Database": "sales"},
        ResultConfiguration={"OutputLocation": "s3://results/"},
    )["QueryExecutionId"]
    q = wait_for(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"], lambda q: q["Status"]["State"] != "RUNNING")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    assert q["QueryExecutionContext"] == {"Database": "sales"}
    text = glue.get_table(DatabaseName="sales", Name="v")["Table"]["ViewOriginalText"]
    assert json.loads(base64.b64decode(text[len("/* Presto View: ") : -3]))["originalSql"] == sql
    athena.create_work_group(Name="bare")
    config = athena.get_work_group(WorkGroup="bare")["WorkGroup"]["Configuration"]
    assert config == {}


def test_quicksight_echoes_and_finishes_at_once(v):
    qs = v.client("quicksight")
    user = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/alice"
    qs.create_data_source(
        AwsAccountId=ACCOUNT,
        DataSourceId="s",
        Name="s",
        Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}},
        Permissions=[{"Principal": user, "Actions": ["quicksight:DescribeDataSource"]}],
    )
    source = qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="s")["DataSource"]
    assert source["Status"] == "CREATION_SUCCESSFUL"
    assert "SslProperties" not in source and "AlternateDataSourceParameters" not in source

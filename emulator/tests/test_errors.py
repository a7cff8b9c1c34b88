"""Not-found and already-exists errors: the code and HTTP status each
service gives, as the botocore model's error shapes say (every answer here
also passes the shape check, which compares codes and statuses with the
model)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def err(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def expect(call, code: str, status: int, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    got = err(exc)
    assert got[:2] == (code, status), got
    if message is not None:
        assert message in got[2], got


def test_glue(glue):
    expect(lambda: glue.get_database(Name="nope"), "EntityNotFoundException", 400)
    glue.create_database(DatabaseInput={"Name": "db"})
    expect(lambda: glue.create_database(DatabaseInput={"Name": "db"}), "AlreadyExistsException", 400)
    expect(lambda: glue.get_table(DatabaseName="db", Name="nope"), "EntityNotFoundException", 400)
    glue.create_table(DatabaseName="db", TableInput={"Name": "t"})
    expect(lambda: glue.create_table(DatabaseName="db", TableInput={"Name": "t"}), "AlreadyExistsException", 400)
    expect(lambda: glue.get_crawler(Name="nope"), "EntityNotFoundException", 400)
    glue.create_crawler(Name="c", Role="R", DatabaseName="db", Targets={"S3Targets": [{"Path": "s3://b/"}]})
    expect(lambda: glue.create_crawler(Name="c", Role="R", DatabaseName="db", Targets={"S3Targets": [{"Path": "s3://b/"}]}), "AlreadyExistsException", 400)
    expect(lambda: glue.get_job(JobName="nope"), "EntityNotFoundException", 400)
    glue.create_job(Name="j", Role="R", Command={"Name": "glueetl", "ScriptLocation": "s3://b/j.py"})
    expect(lambda: glue.create_job(Name="j", Role="R", Command={"Name": "glueetl", "ScriptLocation": "s3://b/j.py"}), "AlreadyExistsException", 400)


def test_athena(athena):
    # InvalidRequestException for both; Terraform's workgroup_test.go
    # checks "is not found", users quote "WorkGroup is already created".
    expect(lambda: athena.get_work_group(WorkGroup="nope"), "InvalidRequestException", 400, "is not found")
    athena.create_work_group(Name="wg")
    expect(lambda: athena.create_work_group(Name="wg"), "InvalidRequestException", 400, "WorkGroup is already created")
    expect(lambda: athena.get_named_query(NamedQueryId="nope"), "InvalidRequestException", 400)
    expect(lambda: athena.get_query_execution(QueryExecutionId="nope"), "InvalidRequestException", 400)


def test_quicksight(qs):
    expect(lambda: qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="nope"), "ResourceNotFoundException", 404)
    expect(lambda: qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="nope"), "ResourceNotFoundException", 404)
    args = {"AwsAccountId": ACCOUNT, "DataSourceId": "s", "Name": "s", "Type": "ATHENA", "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}}}
    qs.create_data_source(**args)
    expect(lambda: qs.create_data_source(**args), "ResourceExistsException", 409)


def test_iam(emulator):
    iam = emulator.client("iam")
    expect(lambda: iam.get_role(RoleName="nope"), "NoSuchEntity", 404)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    expect(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST), "EntityAlreadyExists", 409)
    expect(lambda: iam.get_role_policy(RoleName="r", PolicyName="nope"), "NoSuchEntity", 404)

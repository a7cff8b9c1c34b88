"""CloudFormation stacks that own Glue databases and tables, as a CDK stack
does (twh_emulator/cloudformation.py), and Glue refusing the reserved
``aws:`` tag prefix."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TEMPLATE = {
    "Resources": {
        "Db": {"Type": "AWS::Glue::Database", "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": "Platform_DB", "Description": "made by a stack"}}},
        "Orders": {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseName": {"Ref": "Db"},
                "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}], "Location": "s3://lake/orders/"}},
            },
        },
    },
    "Outputs": {"DatabaseName": {"Value": {"Ref": "Db"}}},
}


def test_a_stack_owns_its_glue_database_and_table(emulator):
    cfn, glue = emulator.client("cloudformation"), emulator.client("glue")
    cfn.create_stack(StackName="platform", TemplateBody=json.dumps(TEMPLATE))
    listed = cfn.list_stack_resources(StackName="platform")["StackResourceSummaries"]
    # Ref of AWS::Glue::Database is the DatabaseInput name, of AWS::Glue::Table
    # the table name: that is the physical id (stored lowercased, as Glue does).
    assert sorted((r["ResourceType"], r["PhysicalResourceId"]) for r in listed) == [("AWS::Glue::Database", "platform_db"), ("AWS::Glue::Table", "orders")]
    assert glue.get_database(Name="platform_db")["Database"]["Description"] == "made by a stack"
    assert glue.get_table(DatabaseName="platform_db", Name="orders")["Table"]["Name"] == "orders"
    outputs = cfn.describe_stacks(StackName="platform")["Stacks"][0]["Outputs"]
    assert outputs == [{"OutputKey": "DatabaseName", "OutputValue": "platform_db"}]
    # AWS::Glue::Database has no Tags: nothing on it names the stack.
    arn = f"arn:aws:glue:us-east-1:123456789012:database/platform_db"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {}
    cfn.delete_stack(StackName="platform")
    with pytest.raises(ClientError) as exc:
        glue.get_database(Name="platform_db")
    assert exc.value.response["Error"]["Code"] == "EntityNotFoundException"


@pytest.mark.parametrize("tags", [{"aws:cloudformation:stack-name": "platform"}, {"AWS:team": "x"}, {"team": "aws:data"}])
def test_glue_refuses_the_reserved_aws_tag_prefix(glue, tags):
    with pytest.raises(ClientError) as exc:
        glue.create_database(DatabaseInput={"Name": "tagged"}, Tags=tags)
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    glue.create_database(DatabaseInput={"Name": "tagged"})
    with pytest.raises(ClientError) as exc:
        glue.tag_resource(ResourceArn="arn:aws:glue:us-east-1:123456789012:database/tagged", TagsToAdd=tags)
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"

"""moto's own answers to the IAM, STS, CloudFormation and Glue operations
twh uses, held to the botocore model by the shape check (conftest turns it
on and fails the test on any mismatch)."""

from __future__ import annotations

import json

from conftest import ACCOUNT

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
MANAGED = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"


def test_iam_role_operations_twh_uses(emulator):
    iam = emulator.client("iam")
    iam.create_role(RoleName="R", Path="/service-role/", AssumeRolePolicyDocument=TRUST, Description="d", MaxSessionDuration=3600,
                    Tags=[{"Key": "a", "Value": "b"}])
    iam.get_role(RoleName="R")
    iam.list_roles(PathPrefix="/service-role/")
    iam.update_role(RoleName="R", Description="e", MaxSessionDuration=7200)
    iam.update_assume_role_policy(RoleName="R", PolicyDocument=TRUST)
    iam.put_role_policy(RoleName="R", PolicyName="p", PolicyDocument=POLICY)
    iam.get_role_policy(RoleName="R", PolicyName="p")
    iam.list_role_policies(RoleName="R")
    iam.attach_role_policy(RoleName="R", PolicyArn=MANAGED)
    iam.list_attached_role_policies(RoleName="R")
    iam.put_role_permissions_boundary(RoleName="R", PermissionsBoundary=MANAGED)
    assert iam.get_role(RoleName="R")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == MANAGED
    iam.delete_role_permissions_boundary(RoleName="R")
    iam.tag_role(RoleName="R", Tags=[{"Key": "x", "Value": "y"}])
    iam.untag_role(RoleName="R", TagKeys=["x"])
    iam.detach_role_policy(RoleName="R", PolicyArn=MANAGED)
    iam.delete_role_policy(RoleName="R", PolicyName="p")
    iam.delete_role(RoleName="R")
    assert emulator.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_cloudformation_and_glue_passthrough(emulator, glue):
    cfn = emulator.client("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}))
    cfn.describe_stacks(StackName="s")
    cfn.list_stack_resources(StackName="s")
    glue.create_database(DatabaseInput={"Name": "db", "Description": "d", "Parameters": {"a": "b"}})
    glue.update_database(Name="db", DatabaseInput={"Name": "db", "Description": "e"})
    glue.create_table(DatabaseName="db", TableInput={"Name": "t", "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                                                     "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "string"}]}})
    glue.get_table_versions(DatabaseName="db", TableName="t")
    glue.get_partitions(DatabaseName="db", TableName="t")
    glue.batch_delete_table(DatabaseName="db", TablesToDelete=["t", "missing"])
    glue.list_crawlers()
    glue.list_jobs()
    glue.delete_database(Name="db")

"""IAM trust policies as IAM stores them (twh_emulator/iam.py)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, wait_for


def trust(aws) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}]}
    )


def stored_principal(iam, name: str):
    doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(unquote(doc))
    return doc["Statement"][0]["Principal"]["AWS"]


def test_an_account_id_principal_is_stored_as_the_root_arn(emulator):
    iam = emulator.client("iam")
    iam.create_role(RoleName="cross", AssumeRolePolicyDocument=trust("210987654321"))
    assert stored_principal(iam, "cross") == "arn:aws:iam::210987654321:root"
    iam.update_assume_role_policy(RoleName="cross", PolicyDocument=trust([ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/cross"]))
    assert stored_principal(iam, "cross") == [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/cross"]


def test_a_deleted_roles_principal_becomes_its_unique_id_and_stays_so(emulator):
    iam = emulator.client("iam")
    ci = iam.create_role(RoleName="ci", AssumeRolePolicyDocument=trust(ACCOUNT))["Role"]
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(ci["Arn"]))
    assert stored_principal(iam, "deployer") == ci["Arn"]
    iam.delete_role(RoleName="ci")
    assert ci["RoleId"].startswith("AROA")
    assert stored_principal(iam, "deployer") == ci["RoleId"]
    # A new role of the same name is another principal: the trust is not back.
    iam.create_role(RoleName="ci", AssumeRolePolicyDocument=trust(ACCOUNT))
    assert stored_principal(iam, "deployer") == ci["RoleId"]
    # Writing the policy again names the new role.
    iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=trust(ci["Arn"]))
    assert stored_principal(iam, "deployer") == ci["Arn"]


def test_verbatim_keeps_principals_as_sent(verbatim_emulator):
    verbatim_emulator.control("POST", "/_twh/reset")
    iam = verbatim_emulator.client("iam")
    iam.create_role(RoleName="cross", AssumeRolePolicyDocument=trust("210987654321"))
    assert stored_principal(iam, "cross") == "210987654321"


def test_iam_propagation_fault_for_data_sources_naming_a_role(emulator, qs):
    iam = emulator.client("iam")
    emulator.control("POST", "/_twh/faults", {"iam_propagation_seconds": 0.6})
    service = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "quicksight.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    arn = iam.create_role(RoleName="QsAthena", AssumeRolePolicyDocument=service)["Role"]["Arn"]
    params = {"AthenaParameters": {"WorkGroup": "primary", "RoleArn": arn}}

    def create():
        return qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="a", Name="A", Type="ATHENA", DataSourceParameters=params)

    with pytest.raises(ClientError) as exc:
        create()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert exc.value.response["Error"]["Message"].startswith("Failed to assume your role.")
    # A data source without a role of its own is not refused.
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="b", Name="B", Type="ATHENA",
                          DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})

    def attempt() -> bool:
        try:
            create()
            return True
        except ClientError:
            return False

    wait_for(attempt, lambda ok: ok, timeout=5, interval=0.1)
    emulator.control("DELETE", "/_twh/faults")

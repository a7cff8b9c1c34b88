"""Secrets Manager, as `twh-extract --credentials secretsmanager://ARN` uses
it (GetSecretValue only). moto answers it itself (the emulator passes the
service through, and the shape check holds the answers to the botocore
model `secretsmanager/2017-10-17/service-2.json`); these tests pin what
twh-extract relies on, so a moto upgrade that changes it fails here.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


def test_get_secret_value_returns_the_secret_string_by_arn_and_name(emulator) -> None:
    sm = emulator.client("secretsmanager")
    name = f"twh/extract/{uuid.uuid4().hex[:8]}"
    value = json.dumps({"STRIPE_API_KEY": "sk_test_1"})
    arn = sm.create_secret(Name=name, SecretString=value)["ARN"]
    # The model's GetSecretValueResponse: ARN, Name, SecretString, VersionStages.
    got = sm.get_secret_value(SecretId=arn)
    assert got["SecretString"] == value
    assert got["ARN"] == arn and got["Name"] == name
    assert "AWSCURRENT" in got["VersionStages"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == value


def test_an_unknown_arn_is_resource_not_found_400(emulator) -> None:
    sm = emulator.client("secretsmanager")
    arn = sm.create_secret(Name=f"twh/x/{uuid.uuid4().hex[:8]}", SecretString="{}")["ARN"]
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=arn + "-gone")
    # GetSecretValue's errors in the model include ResourceNotFoundException;
    # awsJson1_1 errors without an httpStatusCode are 400.
    err = e.value.response
    assert err["Error"]["Code"] == "ResourceNotFoundException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400

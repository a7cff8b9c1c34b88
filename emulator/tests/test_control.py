"""Fault injection, the call log, reset, and the services moto serves as is."""

from __future__ import annotations

import json
import threading
import time
import urllib.error

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from conftest import ACCOUNT, REGION


def err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    "service,call,expected",
    [
        ("quicksight", lambda c: c.list_data_sets(AwsAccountId=ACCOUNT), ("ThrottlingException", 429)),
        ("glue", lambda c: c.get_databases(), ("ThrottlingException", 400)),
        ("athena", lambda c: c.list_work_groups(), ("ThrottlingException", 400)),
        ("athena", lambda c: c.start_query_execution(QueryString="SELECT 1"), ("TooManyRequestsException", 400)),
        ("s3", lambda c: c.list_buckets(), ("SlowDown", 503)),
        ("iam", lambda c: c.list_roles(), ("Throttling", 400)),
        ("sts", lambda c: c.get_caller_identity(), ("Throttling", 400)),
        ("cloudformation", lambda c: c.describe_stacks(), ("Throttling", 400)),
    ],
)
def test_throttling_uses_each_services_error(emulator, service, call, expected):
    emulator.control("POST", "/_twh/faults", {"throttle_rate": 1.0, "services": [service]})
    client = emulator.client(service)
    with pytest.raises(ClientError) as exc:
        call(client)
    assert err(exc) == expected


def test_server_errors_and_retry(emulator, qs):
    emulator.control("POST", "/_twh/faults", {"error_rate": 1.0, "services": ["quicksight"], "seed": 3})
    with pytest.raises(ClientError) as exc:
        qs.list_data_sources(AwsAccountId=ACCOUNT)
    code, status = err(exc)
    assert status in (500, 503)
    assert code in ("InternalFailureException", "ServiceUnavailable")
    # Only the listed services are affected.
    emulator.client("glue").get_databases()
    # max_faults bounds the injected errors: a retrying client gets through.
    emulator.control("POST", "/_twh/faults", {"throttle_rate": 1.0, "services": ["quicksight"], "max_faults": 2})
    retrying = emulator.client("quicksight", retries=5)
    answer = retrying.list_data_sources(AwsAccountId=ACCOUNT)
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2


def test_faults_are_reproducible_with_a_seed(emulator):
    glue = emulator.client("glue")

    def outcomes() -> list[str]:
        emulator.control("POST", "/_twh/faults", {"throttle_rate": 0.3, "error_rate": 0.2, "seed": 42, "services": ["glue"]})
        out = []
        for _ in range(20):
            try:
                glue.get_databases()
                out.append("ok")
            except ClientError as exc:
                out.append(exc.response["Error"]["Code"])
        return out

    first, second = outcomes(), outcomes()
    assert first == second
    assert "ok" in first and "ThrottlingException" in first


def test_operation_filter_and_latency(emulator, glue):
    emulator.control("POST", "/_twh/faults", {"latency_ms": [200, 200], "operations": ["GetDatabases"]})
    start = time.time()
    glue.get_databases()
    assert time.time() - start >= 0.2
    start = time.time()
    with pytest.raises(ClientError):
        glue.get_database(Name="none")  # not in the filter: no delay
    assert time.time() - start < 0.2
    assert emulator.control("DELETE", "/_twh/faults")["throttle_rate"] == 0.0


def test_bad_fault_spec_is_rejected(emulator):
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator.control("POST", "/_twh/faults", {"throttle_rate": 0.8, "error_rate": 0.5})
    assert exc.value.code == 400


def test_call_log(emulator, glue, qs):
    assert emulator.calls() == []
    glue.create_database(DatabaseInput={"Name": "db"})
    glue.get_database(Name="db")
    qs.list_data_sets(AwsAccountId=ACCOUNT)
    emulator.control("POST", "/_twh/faults", {"throttle_rate": 1.0, "services": ["glue"]})
    with pytest.raises(ClientError):
        glue.get_tables(DatabaseName="db")
    calls = emulator.calls()
    assert [(c["service"], c["operation"]) for c in calls] == [
        ("glue", "CreateDatabase"),
        ("glue", "GetDatabase"),
        ("quicksight", "ListDataSets"),
        ("glue", "GetTables"),
    ]
    assert [c["mutating"] for c in calls] == [True, False, False, False]
    assert calls[-1]["fault"] == "throttle" and calls[-1]["status"] == 400
    emulator.control("DELETE", "/_twh/calls")
    glue_ok = emulator.client("s3")
    glue_ok.list_buckets()
    assert [(c["service"], c["operation"]) for c in emulator.calls()] == [("s3", "ListBuckets")]


def test_call_log_by_access_key(emulator, glue):
    """Each call records the access key that signed it, and the log can be
    read for one key: clients running at once are counted apart."""
    other = boto3.client(
        "glue",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="AKIDOTHERCLIENT",
        aws_secret_access_key="secret",
    )
    glue.create_database(DatabaseInput={"Name": "mine"})
    other.create_database(DatabaseInput={"Name": "theirs"})
    other.get_database(Name="theirs")
    assert [c["access_key"] for c in emulator.calls()] == ["AKIDEXAMPLE", "AKIDOTHERCLIENT", "AKIDOTHERCLIENT"]
    theirs = emulator.control("GET", "/_twh/calls?access_key=AKIDOTHERCLIENT")
    assert [(c["operation"], c["mutating"]) for c in theirs] == [("CreateDatabase", True), ("GetDatabase", False)]
    assert emulator.control("GET", "/_twh/calls?access_key=AKIDNOBODY") == []


def test_reset_wipes_everything(emulator, glue, qs, s3):
    glue.create_database(DatabaseInput={"Name": "db"})
    s3.create_bucket(Bucket="bucket-one")
    qs.create_data_source(
        AwsAccountId=ACCOUNT, DataSourceId="x", Name="x", Type="ATHENA", DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}}
    )
    emulator.control("POST", "/_twh/faults", {"latency_ms": [1, 1]})
    emulator.control("POST", "/_twh/reset")
    assert glue.get_databases()["DatabaseList"] == []
    assert s3.list_buckets()["Buckets"] == []
    assert qs.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"] == []
    assert emulator.control("GET", "/_twh/faults")["latency_ms"] == [0, 0]
    assert [c["operation"] for c in emulator.calls()] == ["GetDatabases", "ListBuckets", "ListDataSources"]


# --------------------------------------------------------------------------
# moto's own services, through the same port


def test_iam_roles_with_policies(emulator):
    iam = emulator.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="GlueRole", Path="/service-role/", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="GlueRole",
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    )
    iam.attach_role_policy(RoleName="GlueRole", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")
    role = iam.get_role(RoleName="GlueRole")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service-role/GlueRole"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
    assert iam.list_role_policies(RoleName="GlueRole")["PolicyNames"] == ["inline"]
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="GlueRole")["AttachedPolicies"]] == ["AWSGlueServiceRole"]


def test_sts_caller_identity(emulator):
    assert emulator.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_s3_conditional_writes(emulator, s3):
    s3.create_bucket(Bucket="locks")
    first = s3.put_object(Bucket="locks", Key="lock", Body=b"a", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="locks", Key="lock", Body=b"b", IfNoneMatch="*")
    assert err(exc) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="locks", Key="lock", Body=b"b", IfMatch='"not-the-etag"')
    assert err(exc)[1] == 412
    s3.put_object(Bucket="locks", Key="lock", Body=b"c", IfMatch=first["ETag"])
    assert s3.get_object(Bucket="locks", Key="lock")["Body"].read() == b"c"


def test_cloudformation_stack_outputs(emulator):
    cfn = emulator.client("cloudformation")
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "stack-bucket"}}},
        "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}},
    }
    cfn.create_stack(StackName="twh", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="twh")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "BucketName", "OutputValue": "stack-bucket"}]


def test_timeouts_apply_the_request_and_hold_its_answer(emulator):
    # The client gives up before the answer comes; the change still happened.
    emulator.control("POST", "/_twh/faults", {"timeout_rate": 1.0, "hang_ms": 2000, "services": ["glue"]})
    impatient = boto3.client(
        "glue",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=0.5),
    )
    with pytest.raises(ReadTimeoutError):
        impatient.create_database(DatabaseInput={"Name": "lost_answer"})
    emulator.control("DELETE", "/_twh/faults")
    assert emulator.client("glue").get_database(Name="lost_answer")["Database"]["Name"] == "lost_answer"
    assert [c["fault"] for c in emulator.calls() if c["operation"] == "CreateDatabase"] == ["timeout"]


def test_hang_after_mutations_holds_exactly_the_nth_change_until_released(emulator, glue):
    emulator.control("POST", "/_twh/faults", {"hang_after_mutations": 2})
    glue.get_databases()  # reads do not count
    glue.create_database(DatabaseInput={"Name": "first"})
    done = threading.Event()
    worker = threading.Thread(target=lambda: (glue.create_database(DatabaseInput={"Name": "second"}), done.set()))
    worker.start()
    deadline = time.time() + 10
    while not any(c["fault"] == "hang" for c in emulator.calls()):
        assert time.time() < deadline, "the second change was not held"
        time.sleep(0.05)
    assert not done.is_set()
    # Applied although unanswered.
    assert emulator.client("glue").get_database(Name="second")["Database"]["Name"] == "second"
    emulator.control("DELETE", "/_twh/faults")
    worker.join(timeout=10)
    assert done.is_set()


def test_hang_after_mutations_counts_from_one(emulator):
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator.control("POST", "/_twh/faults", {"hang_after_mutations": 0})
    assert exc.value.code == 400


def test_hang_before_mutation_holds_the_nth_change_unapplied(emulator, glue):
    emulator.control("POST", "/_twh/faults", {"hang_before_mutation": 1})
    outcome: dict[str, str] = {}

    def create() -> None:
        try:
            glue.create_database(DatabaseInput={"Name": "never"})
            outcome["result"] = "ok"
        except ClientError as exc:
            outcome["result"] = exc.response["Error"]["Code"]

    worker = threading.Thread(target=create)
    worker.start()
    deadline = time.time() + 10
    while not any(c["fault"] == "hang-before" for c in emulator.calls()):
        assert time.time() < deadline, "the change was not held"
        time.sleep(0.05)
    emulator.control("DELETE", "/_twh/faults")
    worker.join(timeout=10)
    assert outcome["result"] == "ServiceUnavailable"
    with pytest.raises(ClientError):
        emulator.client("glue").get_database(Name="never")

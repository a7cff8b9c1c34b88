"""S3 conditional writes, as twh's S3 state backend relies on them.

moto answers these itself (the emulator passes S3 through); these tests pin
the behaviour so a moto upgrade that changes it fails here, not in twh.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from botocore.exceptions import ClientError


def _bucket(s3, versioned: bool = True) -> str:
    name = f"twh-cond-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    resp = excinfo.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def test_if_none_match_creates_only_once(s3) -> None:
    b = _bucket(s3)
    s3.put_object(Bucket=b, Key="k.lock", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k.lock", Body=b"second", IfNoneMatch="*")
    assert _error(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=b, Key="k.lock")["Body"].read() == b"first"


def test_if_match_writes_only_over_the_version_read(s3) -> None:
    b = _bucket(s3)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="state.json", Body=b"x", IfMatch='"0"')
    assert _error(e) == ("NoSuchKey", 404)
    first = s3.put_object(Bucket=b, Key="state.json", Body=b"1", IfNoneMatch="*")["ETag"]
    s3.put_object(Bucket=b, Key="state.json", Body=b"2", IfMatch=first)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="state.json", Body=b"3", IfMatch=first)
    assert _error(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=b, Key="state.json")["Body"].read() == b"2"


def test_conditional_delete_and_recreate_on_a_versioned_bucket(s3) -> None:
    b = _bucket(s3)
    tag = s3.put_object(Bucket=b, Key="k.lock", Body=b"mine", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="k.lock", IfMatch='"not-mine"')
    assert _error(e) == ("PreconditionFailed", 412)
    s3.delete_object(Bucket=b, Key="k.lock", IfMatch=tag)
    # The delete left a delete marker; the key counts as absent again.
    s3.put_object(Bucket=b, Key="k.lock", Body=b"next", IfNoneMatch="*")
    versions = s3.list_object_versions(Bucket=b, Prefix="k.lock")
    assert len(versions["Versions"]) == 2
    assert len(versions["DeleteMarkers"]) == 1


def test_racing_creates_have_one_winner(emulator, s3) -> None:
    b = _bucket(s3)
    outcomes: list[str] = []

    def create(n: int) -> None:
        client = emulator.client("s3")
        try:
            client.put_object(Bucket=b, Key="k.lock", Body=str(n).encode(), IfNoneMatch="*")
            outcomes.append("won")
        except ClientError as err:
            # Real S3 may answer a concurrent conditional write with 409.
            outcomes.append(err.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1, outcomes
    assert set(outcomes) <= {"won", "PreconditionFailed", "ConditionalRequestConflict"}, outcomes

"""The malformed-answer switch (/_twh/malform): what each mode does to an
answer, that it touches only the chosen operation, and that it is cleared."""

from __future__ import annotations

import json
import urllib.error

import pytest
from botocore.exceptions import BotoCoreError, ClientError


def test_modes_corrupt_only_the_chosen_operation(emulator, glue):
    glue.create_database(DatabaseInput={"Name": "db"})
    emulator.control("POST", "/_twh/malform", {"operation": "GetDatabase", "mode": "truncated"})
    # botocore reads an unparsable body as empty: the database is gone from it.
    assert "Database" not in glue.get_database(Name="db")
    # Other operations answer normally, and the call log says what was done.
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["db"]
    faults = [c["fault"] for c in emulator.calls() if c["operation"] == "GetDatabase"]
    assert faults == ["malform:truncated"]


def test_missing_required_and_wrong_type_edit_the_json(emulator, glue):
    glue.create_database(DatabaseInput={"Name": "db"})
    emulator.control("POST", "/_twh/malform", {"operation": "GetDatabase", "mode": "missing_required", "path": ["Database", "Name"]})
    assert "Name" not in glue.get_database(Name="db")["Database"]
    emulator.control("POST", "/_twh/malform", {"rules": [{"operation": "GetDatabases", "mode": "wrong_type", "path": "DatabaseList", "times": 1}]})
    with pytest.raises((BotoCoreError, ClientError, ValueError, TypeError, AttributeError)):
        glue.get_databases()
    # `times` bounds a rule: the next answer is sound.
    assert len(glue.get_databases()["DatabaseList"]) == 1


def test_proxy_pages_and_clearing(emulator, glue):
    emulator.control("POST", "/_twh/malform", {"operation": "GetDatabases", "mode": "html_502"})
    with pytest.raises(ClientError) as exc:
        glue.get_databases()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    emulator.control("DELETE", "/_twh/malform")
    assert glue.get_databases()["DatabaseList"] == []


def test_unknown_mode_is_refused(emulator):
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator.control("POST", "/_twh/malform", {"operation": "GetDatabase", "mode": "gibberish"})
    assert exc.value.code == 400
    assert "unknown malform mode" in json.loads(exc.value.read())["error"]

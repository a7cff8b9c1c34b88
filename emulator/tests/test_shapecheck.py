"""The botocore output-shape check (twh_emulator/shapecheck.py): it must
fail on wrong answers, not only pass on right ones, and the server must
turn a wrong answer into an error a client sees."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from twh_emulator import shapecheck


def glue(op: str, body: dict, status: int = 200, headers=None) -> list[str]:
    return shapecheck.check_answer("glue", op, status, headers or [], json.dumps(body).encode())


GOOD_TABLE = {
    "Table": {
        "Name": "t",
        "DatabaseName": "db",
        "CreateTime": 1602730539.0,
        "Retention": 0,
        "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}], "Compressed": False, "NumberOfBuckets": 0, "SortColumns": []},
        "IsRegisteredWithLakeFormation": False,
    }
}


def test_a_sound_answer_passes():
    assert glue("GetTable", GOOD_TABLE) == []


def test_missing_required_member_fails():
    bad = json.loads(json.dumps(GOOD_TABLE))
    del bad["Table"]["Name"]
    assert glue("GetTable", bad) == ["Table.Name: required member missing (Table)"]


def test_member_not_in_the_shape_fails():
    bad = json.loads(json.dumps(GOOD_TABLE))
    bad["Table"]["StorageDescriptor"]["Buckets"] = 3
    assert glue("GetTable", bad) == ["Table.StorageDescriptor.Buckets: not a member of StorageDescriptor"]


@pytest.mark.parametrize(
    "path,value,expected",
    [
        (("Retention",), "0", "expected an integer"),  # string for an integer
        (("Retention",), 0.0, "expected an integer"),  # float for an integer
        (("Retention",), True, "expected an integer"),  # boolean for an integer
        (("Name",), 7, "expected a string"),
        (("CreateTime",), "2024-01-01T00:00:00Z", "expected a timestamp as epoch seconds"),
        (("IsRegisteredWithLakeFormation",), "false", "expected a boolean"),
        (("StorageDescriptor",), [], "expected a structure"),
        (("StorageDescriptor", "Columns"), {"Name": "a"}, "expected a list"),
        (("StorageDescriptor", "SortColumns"), "x", "expected a list"),
        (("Parameters",), ["a"], "expected a map"),
        (("TableType",), None, "null"),
    ],
)
def test_wrong_types_fail(path, value, expected):
    bad = json.loads(json.dumps(GOOD_TABLE))
    target = bad["Table"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problems = glue("GetTable", bad)
    assert len(problems) == 1 and expected in problems[0], problems


def test_doubles_must_be_written_as_doubles():
    job = {"Job": {"Name": "j", "MaxCapacity": 2, "AllocatedCapacity": 2, "Timeout": 2880}}
    assert glue("GetJob", job) == ["Job.MaxCapacity: expected a double written with a fraction (NullableDouble), got integer 2"]
    job["Job"]["MaxCapacity"] = 2.0
    assert glue("GetJob", job) == []


def test_enum_values_are_checked():
    problems = glue("GetCrawler", {"Crawler": {"Name": "c", "State": "SLEEPING"}})
    assert len(problems) == 1 and "'SLEEPING' is not one of CrawlerState's values" in problems[0]


def test_rest_json_status_member_and_body():
    ok = {"DataSource": {"DataSourceId": "x", "Status": "CREATION_SUCCESSFUL"}, "RequestId": "r", "Status": 200}
    body = json.dumps(ok).encode()
    assert shapecheck.check_answer("quicksight", "DescribeDataSource", 200, [], body) == []
    # Status is bound to the HTTP status: repeated in the body it must agree.
    problems = shapecheck.check_answer("quicksight", "DescribeDataSource", 202, [], body)
    assert problems == ["Status: 200 in the body but the HTTP status is 202"]
    ok["DataSource"]["CreatedTime"] = "2024-01-01"
    problems = shapecheck.check_answer("quicksight", "DescribeDataSource", 200, [], json.dumps(ok).encode())
    assert problems and "DataSource.CreatedTime" in problems[0]


def test_error_codes_and_statuses_follow_the_model():
    def qs_error(code: str, status: int) -> list[str]:
        body = json.dumps({"__type": code, "Message": "m"}).encode()
        return shapecheck.check_answer("quicksight", "DescribeDataSource", status, [("x-amzn-ErrorType", code)], body)

    assert qs_error("ResourceNotFoundException", 404) == []
    assert qs_error("ResourceNotFoundException", 400) == [
        "DescribeDataSource: ResourceNotFoundException answered with HTTP 400; the model gives 404"
    ]
    assert "not an error of the quicksight model" in qs_error("NoSuchThing", 400)[0]
    assert qs_error("ThrottlingException", 429) == []
    # Glue's errors carry no status in the model: they are 400s.
    body = json.dumps({"__type": "EntityNotFoundException", "message": "m"}).encode()
    assert shapecheck.check_answer("glue", "GetTable", 400, [], body) == []
    assert shapecheck.check_answer("glue", "GetTable", 404, [], body) == [
        "GetTable: EntityNotFoundException answered with HTTP 404; the model gives 400"
    ]


GET_ROLE_XML = """<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role>
      <Path>/service-role/</Path>
      <RoleName>R</RoleName>
      <RoleId>AROAEXAMPLE</RoleId>
      <Arn>arn:aws:iam::123456789012:role/service-role/R</Arn>
      <CreateDate>2024-01-01T00:00:00Z</CreateDate>
      <MaxSessionDuration>{duration}</MaxSessionDuration>
      <Tags><member><Key>a</Key><Value>b</Value></member></Tags>
      {extra}
    </Role>
  </GetRoleResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</GetRoleResponse>"""


def iam_get_role(duration: str = "3600", extra: str = "") -> list[str]:
    return shapecheck.check_answer("iam", "GetRole", 200, [], GET_ROLE_XML.format(duration=duration, extra=extra).encode())


def test_query_protocol_xml():
    assert iam_get_role() == []
    assert iam_get_role(duration="an hour") == ["GetRoleResult/Role/MaxSessionDuration: expected an integer, got 'an hour'"]
    assert iam_get_role(extra="<Colour>blue</Colour>") == ["GetRoleResult/Role/Colour: not a member of Role"]
    missing = GET_ROLE_XML.format(duration="1", extra="").replace("<RoleName>R</RoleName>", "")
    assert shapecheck.check_answer("iam", "GetRole", 200, [], missing.encode()) == [
        "GetRoleResult/Role/RoleName: required member missing (Role)"
    ]
    error = b"<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message></Error></ErrorResponse>"
    assert shapecheck.check_answer("iam", "GetRole", 404, [], error) == []
    assert shapecheck.check_answer("iam", "GetRole", 400, [], error) == ["GetRole: NoSuchEntity answered with HTTP 400; the model gives 404"]


@pytest.mark.shape_failures_expected
@pytest.mark.parametrize(
    "mode,path,expected",
    [
        ("wrong_type", ["Database", "Name"], "Database.Name: expected a string"),
        ("missing_required", ["Database", "Name"], "Database.Name: required member missing"),
        ("extra_member", ["Database"], "Database.TwhUnexpectedMember: not a member of Database"),
    ],
)
def test_the_server_refuses_an_answer_that_fails_the_check(emulator, glue, mode, path, expected):
    glue.create_database(DatabaseInput={"Name": "db"})
    # A "handler"-stage malform rule plays an emulator bug: the answer is
    # broken before the shape check sees it.
    emulator.control("POST", "/_twh/malform", {"operation": "GetDatabase", "mode": mode, "path": path, "stage": "handler", "times": 1})
    with pytest.raises(ClientError) as exc:
        glue.get_database(Name="db")
    assert exc.value.response["Error"]["Code"] == "TwhEmulatorShapeCheckFailure"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert expected in exc.value.response["Error"]["Message"]
    report = emulator.control("GET", "/_twh/shapecheck")
    assert report["enabled"] is True
    assert [(f["operation"], f["status"]) for f in report["failures"]] == [("GetDatabase", 200)]
    assert expected in report["failures"][0]["problems"][0]
    # The next answer is sound again, and clearing forgets the failure.
    assert glue.get_database(Name="db")["Database"]["Name"] == "db"
    emulator.control("DELETE", "/_twh/shapecheck")
    assert emulator.control("GET", "/_twh/shapecheck")["failures"] == []

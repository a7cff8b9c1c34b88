from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, wait_for

USER = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/alice"
GROUP = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/analysts"
DS_READ = ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"]
DS_OWN = DS_READ + ["quicksight:UpdateDataSource", "quicksight:DeleteDataSource", "quicksight:UpdateDataSourcePermissions"]
SET_READ = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
]
SET_WRITE = [
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
]


def err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def make_source(qs, ds_id: str = "athena", **extra) -> dict:
    args = {
        "AwsAccountId": ACCOUNT,
        "DataSourceId": ds_id,
        "Name": "Athena",
        "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}},
    }
    args.update(extra)
    return qs.create_data_source(**args)


def physical(source_arn: str) -> dict:
    return {
        "orders": {
            "RelationalTable": {
                "DataSourceArn": source_arn,
                "Catalog": "AwsDataCatalog",
                "Schema": "sales",
                "Name": "orders",
                "InputColumns": [
                    {"Name": "order_id", "Type": "INTEGER"},
                    {"Name": "amount", "Type": "DECIMAL"},
                    {"Name": "ordered_at", "Type": "DATETIME"},
                    {"Name": "paid", "Type": "BOOLEAN"},
                ],
            }
        }
    }


def make_set(qs, set_id: str = "orders", mode: str = "SPICE", **extra) -> dict:
    source = make_source(qs, f"src-{set_id}")
    args = {
        "AwsAccountId": ACCOUNT,
        "DataSetId": set_id,
        "Name": "Orders",
        "PhysicalTableMap": physical(source["Arn"]),
        "ImportMode": mode,
    }
    args.update(extra)
    return qs.create_data_set(**args)


# --------------------------------------------------------------------------
# Data sources


def test_data_source_lifecycle(qs):
    created = make_source(
        qs,
        Credentials={"CredentialPair": {"Username": "u", "Password": "secret"}},
        Permissions=[{"Principal": USER, "Actions": DS_READ}],
        Tags=[{"Key": "owner", "Value": "twh"}],
    )
    assert created["Status"] == 202 and created["CreationStatus"] == "CREATION_IN_PROGRESS"
    assert created["Arn"] == f"arn:aws:quicksight:us-east-1:{ACCOUNT}:datasource/athena"
    # Creation finishes asynchronously.
    assert describe_source(qs)["Status"] == "CREATION_IN_PROGRESS"
    with pytest.raises(ClientError) as exc:
        qs.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="athena", Name="Too soon")
    assert err(exc) == ("ConflictException", 409)
    source = wait_for(lambda: describe_source(qs), lambda s: s["Status"] != "CREATION_IN_PROGRESS")
    assert source["Status"] == "CREATION_SUCCESSFUL"
    assert source["SslProperties"] == {"DisableSsl": False}
    assert source["AlternateDataSourceParameters"] == [{"AthenaParameters": {"WorkGroup": "primary"}}]
    assert isinstance(source["CreatedTime"], dt.datetime) and isinstance(source["LastUpdatedTime"], dt.datetime)
    assert "Credentials" not in source and "secret" not in repr(source)

    with pytest.raises(ClientError) as exc:
        make_source(qs)
    assert err(exc) == ("ResourceExistsException", 409)

    updated = qs.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="athena", Name="Renamed")
    assert updated["UpdateStatus"] == "UPDATE_IN_PROGRESS"
    assert describe_source(qs)["Status"] == "UPDATE_IN_PROGRESS"
    source = wait_for(lambda: describe_source(qs), lambda s: s["Status"] != "UPDATE_IN_PROGRESS")
    assert source["Name"] == "Renamed" and source["Status"] == "UPDATE_SUCCESSFUL"
    assert source["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": "primary"}}

    tags = qs.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"]
    assert tags == [{"Key": "owner", "Value": "twh"}]

    qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="athena")
    with pytest.raises(ClientError) as exc:
        qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="athena")
    assert err(exc) == ("ResourceNotFoundException", 404)
    assert exc.value.response["Error"]["Message"]


def describe_source(qs, ds_id: str = "athena") -> dict:
    return qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId=ds_id)["DataSource"]


def test_data_source_with_missing_workgroup_fails_creation(qs):
    make_source(qs, DataSourceParameters={"AthenaParameters": {"WorkGroup": "ghost"}})
    source = wait_for(lambda: describe_source(qs), lambda s: s["Status"] != "CREATION_IN_PROGRESS")
    assert source["Status"] == "CREATION_FAILED"
    assert source["ErrorInfo"]["Type"] == "GENERIC_SQL_FAILURE"
    with pytest.raises(ClientError) as exc:
        make_source(qs, "other", DataSourceParameters={"S3Parameters": {"ManifestFileLocation": {"Bucket": "b", "Key": "k"}}})
    assert err(exc) == ("InvalidParameterValueException", 400)


def test_list_data_sources_paged(qs):
    for i in range(5):
        make_source(qs, f"s{i}")
    seen, token = [], None
    while True:
        kwargs = {"AwsAccountId": ACCOUNT, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = qs.list_data_sources(**kwargs)
        seen += [d["DataSourceId"] for d in page["DataSources"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"s{i}" for i in range(5)]
    paginator = qs.get_paginator("list_data_sources")
    assert sum(len(p["DataSources"]) for p in paginator.paginate(AwsAccountId=ACCOUNT, PaginationConfig={"PageSize": 3})) == 5


def test_data_source_permissions_grant_and_revoke(qs):
    make_source(qs, Permissions=[{"Principal": USER, "Actions": DS_READ}])
    # Viewer -> owner: the grant names the whole owner set, as QuickSight
    # needs (terraform-provider-aws PR #30400).
    qs.update_data_source_permissions(
        AwsAccountId=ACCOUNT,
        DataSourceId="athena",
        GrantPermissions=[{"Principal": USER, "Actions": DS_OWN}, {"Principal": GROUP, "Actions": DS_READ}],
    )
    perms = qs.describe_data_source_permissions(AwsAccountId=ACCOUNT, DataSourceId="athena")["Permissions"]
    assert {p["Principal"]: set(p["Actions"]) for p in perms} == {USER: set(DS_OWN), GROUP: set(DS_READ)}
    # Owner -> viewer: revoke the owner set, grant the viewer set.
    qs.update_data_source_permissions(
        AwsAccountId=ACCOUNT,
        DataSourceId="athena",
        RevokePermissions=[{"Principal": USER, "Actions": DS_OWN}],
        GrantPermissions=[{"Principal": USER, "Actions": DS_READ}],
    )
    perms = qs.describe_data_source_permissions(AwsAccountId=ACCOUNT, DataSourceId="athena")["Permissions"]
    assert {p["Principal"]: set(p["Actions"]) for p in perms} == {USER: set(DS_READ), GROUP: set(DS_READ)}
    qs.update_data_source_permissions(
        AwsAccountId=ACCOUNT, DataSourceId="athena", RevokePermissions=[{"Principal": GROUP, "Actions": DS_READ}]
    )
    perms = qs.describe_data_source_permissions(AwsAccountId=ACCOUNT, DataSourceId="athena")["Permissions"]
    assert [p["Principal"] for p in perms] == [USER], "a principal with no actions left is gone"


@pytest.mark.parametrize(
    "grant,revoke",
    [
        ([{"Principal": GROUP, "Actions": ["quicksight:DescribeDataSource"]}], None),  # not a whole set
        (None, [{"Principal": USER, "Actions": ["quicksight:PassDataSource"]}]),  # a revoke that is not a whole set
        (None, [{"Principal": USER, "Actions": DS_READ}]),  # owner minus viewer is no valid set
    ],
)
def test_partial_permission_sets_are_refused(qs, grant, revoke):
    make_source(qs, Permissions=[{"Principal": USER, "Actions": DS_OWN}])
    kwargs = {"AwsAccountId": ACCOUNT, "DataSourceId": "athena"}
    if grant:
        kwargs["GrantPermissions"] = grant
    if revoke:
        kwargs["RevokePermissions"] = revoke
    with pytest.raises(ClientError) as exc:
        qs.update_data_source_permissions(**kwargs)
    assert err(exc) == ("InvalidParameterValueException", 400)
    message = exc.value.response["Error"]["Message"]
    assert message.startswith("ResourcePermission list contains unsupported permission sets [")
    assert "for this resource. Valid sets : [quicksight:DescribeDataSource, quicksight:DescribeDataSourcePermissions, quicksight:PassDataSource] or [" in message
    # Nothing changed.
    perms = qs.describe_data_source_permissions(AwsAccountId=ACCOUNT, DataSourceId="athena")["Permissions"]
    assert {p["Principal"]: set(p["Actions"]) for p in perms} == {USER: set(DS_OWN)}
    with pytest.raises(ClientError) as exc:
        make_source(qs, "other", Permissions=[{"Principal": USER, "Actions": ["quicksight:DescribeDataSource"]}])
    assert err(exc) == ("InvalidParameterValueException", 400)


# --------------------------------------------------------------------------
# Data sets


def test_data_set_describe_has_output_only_fields(qs):
    created = make_set(qs, Permissions=[{"Principal": USER, "Actions": SET_READ}], Tags=[{"Key": "a", "Value": "1"}])
    assert created["Status"] == 201 and created["IngestionId"]
    data_set = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="orders")["DataSet"]
    assert data_set["Arn"] == f"arn:aws:quicksight:us-east-1:{ACCOUNT}:dataset/orders"
    assert isinstance(data_set["CreatedTime"], dt.datetime)
    assert data_set["OutputColumns"] == [
        {"Name": "order_id", "Type": "INTEGER"},
        {"Name": "amount", "Type": "DECIMAL", "SubType": "FLOAT"},
        {"Name": "ordered_at", "Type": "DATETIME"},
        {"Name": "paid", "Type": "STRING"},
    ]
    assert data_set["DataSetUsageConfiguration"] == {"DisableUseAsDirectQuerySource": False, "DisableUseAsImportedSource": False}
    assert "ConsumedSpiceCapacityInBytes" in data_set
    # QuickSight generates a LogicalTableMap when none was given.
    (logical,) = data_set["LogicalTableMap"].values()
    assert logical == {"Alias": "orders", "Source": {"PhysicalTableId": "orders"}}
    assert "Permissions" not in data_set and "Tags" not in data_set


def test_output_columns_follow_transforms_and_joins(qs):
    source = make_source(qs)
    tables = physical(source["Arn"])
    tables["customers"] = {
        "CustomSql": {
            "DataSourceArn": source["Arn"],
            "Name": "customers",
            "SqlQuery": "SELECT 1",
            "Columns": [{"Name": "cust", "Type": "STRING"}],
        }
    }
    logical = {
        "o": {
            "Alias": "orders",
            "Source": {"PhysicalTableId": "orders"},
            "DataTransforms": [
                {"ProjectOperation": {"ProjectedColumns": ["order_id", "amount"]}},
                {"RenameColumnOperation": {"ColumnName": "amount", "NewColumnName": "total"}},
                {"CastColumnTypeOperation": {"ColumnName": "order_id", "NewColumnType": "STRING"}},
                {"TagColumnOperation": {"ColumnName": "total", "Tags": [{"ColumnDescription": {"Text": "gross"}}]}},
            ],
        },
        "c": {"Alias": "customers", "Source": {"PhysicalTableId": "customers"}},
        "j": {
            "Alias": "joined",
            "Source": {"JoinInstruction": {"LeftOperand": "o", "RightOperand": "c", "Type": "INNER", "OnClause": "1 = 1"}},
        },
    }
    qs.create_data_set(
        AwsAccountId=ACCOUNT, DataSetId="joined", Name="J", PhysicalTableMap=tables, LogicalTableMap=logical, ImportMode="DIRECT_QUERY"
    )
    cols = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="joined")["DataSet"]["OutputColumns"]
    assert cols == [
        {"Name": "order_id", "Type": "STRING"},
        {"Name": "total", "Type": "DECIMAL", "SubType": "FLOAT", "Description": "gross"},
        {"Name": "cust", "Type": "STRING"},
    ]
    bad = dict(logical, x={"Alias": "x", "Source": {"PhysicalTableId": "orders", "DataSetArn": "arn:x"}})
    with pytest.raises(ClientError) as exc:
        qs.create_data_set(
            AwsAccountId=ACCOUNT, DataSetId="bad", Name="B", PhysicalTableMap=tables, LogicalTableMap=bad, ImportMode="SPICE"
        )
    assert err(exc) == ("InvalidParameterValueException", 400)
    assert "Exactly one of PhysicalTableId, JoinInstruction or DataSetArn" in exc.value.response["Error"]["Message"]


def test_update_data_set_replaces_whole_definition(qs):
    make_set(
        qs,
        ColumnGroups=[{"GeoSpatialColumnGroup": {"Name": "g", "Columns": ["order_id"]}}],
        Permissions=[{"Principal": USER, "Actions": SET_READ}],
    )
    before = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="orders")["DataSet"]
    assert "ColumnGroups" in before
    updated = qs.update_data_set(
        AwsAccountId=ACCOUNT, DataSetId="orders", Name="Orders v2", PhysicalTableMap=before["PhysicalTableMap"], ImportMode="SPICE"
    )
    assert updated["IngestionId"], "updating a SPICE data set starts an ingestion"
    after = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="orders")["DataSet"]
    assert after["Name"] == "Orders v2"
    assert "ColumnGroups" not in after, "UpdateDataSet is a full replace"
    assert after["CreatedTime"] == before["CreatedTime"] and after["LastUpdatedTime"] >= before["LastUpdatedTime"]
    perms = qs.describe_data_set_permissions(AwsAccountId=ACCOUNT, DataSetId="orders")["Permissions"]
    assert perms[0]["Principal"] == USER, "permissions are not part of the definition"
    with pytest.raises(ClientError) as exc:
        qs.update_data_set(
            AwsAccountId=ACCOUNT, DataSetId="missing", Name="x", PhysicalTableMap=before["PhysicalTableMap"], ImportMode="SPICE"
        )
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_list_and_delete_data_sets(qs):
    for i in range(3):
        make_set(qs, f"d{i}", mode="DIRECT_QUERY")
    page = qs.list_data_sets(AwsAccountId=ACCOUNT, MaxResults=2)
    assert [s["DataSetId"] for s in page["DataSetSummaries"]] == ["d0", "d1"]
    summary = page["DataSetSummaries"][0]
    assert summary["ImportMode"] == "DIRECT_QUERY" and summary["ColumnLevelPermissionRulesApplied"] is False
    rest = qs.list_data_sets(AwsAccountId=ACCOUNT, MaxResults=2, NextToken=page["NextToken"])
    assert [s["DataSetId"] for s in rest["DataSetSummaries"]] == ["d2"] and "NextToken" not in rest
    deleted = qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="d1")
    assert deleted["Arn"].endswith("dataset/d1")
    assert [s["DataSetId"] for s in qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]] == ["d0", "d2"]
    with pytest.raises(ClientError) as exc:
        qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="d1")
    assert err(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        make_set(qs, "d0")
    assert err(exc)[0] == "ResourceExistsException"


def test_data_set_permissions_grant_and_revoke(qs):
    make_set(qs, Permissions=[{"Principal": USER, "Actions": SET_READ + SET_WRITE}])
    qs.update_data_set_permissions(
        AwsAccountId=ACCOUNT,
        DataSetId="orders",
        GrantPermissions=[{"Principal": GROUP, "Actions": SET_READ}, {"Principal": USER, "Actions": SET_READ}],
        RevokePermissions=[{"Principal": USER, "Actions": SET_READ + SET_WRITE}],
    )
    answer = qs.describe_data_set_permissions(AwsAccountId=ACCOUNT, DataSetId="orders")
    assert answer["DataSetArn"].endswith("dataset/orders")
    by_principal = {p["Principal"]: set(p["Actions"]) for p in answer["Permissions"]}
    assert by_principal == {USER: set(SET_READ), GROUP: set(SET_READ)}
    with pytest.raises(ClientError) as exc:
        qs.update_data_set_permissions(AwsAccountId=ACCOUNT, DataSetId="orders", RevokePermissions=[{"Principal": USER, "Actions": SET_WRITE}])
    assert "unsupported permission sets" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        qs.update_data_set_permissions(
            AwsAccountId=ACCOUNT, DataSetId="orders", GrantPermissions=[{"Principal": "alice", "Actions": SET_READ}]
        )
    assert err(exc) == ("InvalidParameterValueException", 400)


def test_new_data_prep_data_set_cannot_be_described(emulator, qs):
    make_set(qs, Permissions=[{"Principal": USER, "Actions": SET_READ}])
    emulator.control("POST", "/_twh/quicksight/new-data-prep", {"data_set_id": "orders"})
    with pytest.raises(ClientError) as exc:
        qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="orders")
    assert err(exc) == ("InvalidParameterValueException", 400)
    assert "new data preparation experience" in exc.value.response["Error"]["Message"]
    # Permissions and listing still work, as in AWS.
    assert qs.describe_data_set_permissions(AwsAccountId=ACCOUNT, DataSetId="orders")["Permissions"]
    assert qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"][0]["DataSetId"] == "orders"


# --------------------------------------------------------------------------
# Refresh properties, schedules, ingestions


def test_refresh_properties_spice_only(qs):
    make_set(qs, "dq", mode="DIRECT_QUERY")
    for call in (
        lambda: qs.describe_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="dq"),
        lambda: qs.delete_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="dq"),
        lambda: qs.put_data_set_refresh_properties(
            AwsAccountId=ACCOUNT,
            DataSetId="dq",
            DataSetRefreshProperties={"FailureConfiguration": {"EmailAlert": {"AlertStatus": "DISABLED"}}},
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert err(exc) == ("InvalidParameterValueException", 400)
        assert "not a SPICE dataset" in exc.value.response["Error"]["Message"]

    make_set(qs)
    with pytest.raises(ClientError) as exc:
        qs.describe_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="orders")
    assert err(exc) == ("ResourceNotFoundException", 404)
    props = {"RefreshConfiguration": {"IncrementalRefresh": {"LookbackWindow": {"ColumnName": "ordered_at", "Size": 1, "SizeUnit": "DAY"}}}}
    qs.put_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="orders", DataSetRefreshProperties=props)
    got = qs.describe_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="orders")["DataSetRefreshProperties"]
    assert got["RefreshConfiguration"] == props["RefreshConfiguration"]
    qs.delete_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="orders")
    with pytest.raises(ClientError):
        qs.describe_data_set_refresh_properties(AwsAccountId=ACCOUNT, DataSetId="orders")


def test_refresh_schedules(qs):
    make_set(qs)
    schedule = {
        "ScheduleId": "daily",
        "ScheduleFrequency": {"Interval": "DAILY", "TimeOfTheDay": "03:00", "Timezone": "UTC"},
        "RefreshType": "FULL_REFRESH",
    }
    created = qs.create_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", Schedule=schedule)
    assert created["Arn"].endswith("dataset/orders/refresh-schedule/daily") and created["ScheduleId"] == "daily"
    with pytest.raises(ClientError) as exc:
        qs.create_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", Schedule=schedule)
    assert err(exc) == ("ResourceExistsException", 409)
    described = qs.describe_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", ScheduleId="daily")
    assert described["Arn"] == created["Arn"]
    assert "Arn" not in described["RefreshSchedule"]
    assert isinstance(described["RefreshSchedule"]["StartAfterDateTime"], dt.datetime)
    qs.update_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", Schedule=dict(schedule, ScheduleFrequency={"Interval": "HOURLY"}))
    listed = qs.list_refresh_schedules(AwsAccountId=ACCOUNT, DataSetId="orders")["RefreshSchedules"]
    assert [s["ScheduleFrequency"]["Interval"] for s in listed] == ["HOURLY"]
    with pytest.raises(ClientError) as exc:
        qs.create_refresh_schedule(
            AwsAccountId=ACCOUNT, DataSetId="orders", Schedule=dict(schedule, ScheduleId="inc", RefreshType="INCREMENTAL_REFRESH")
        )
    assert err(exc) == ("PreconditionNotMetException", 400)
    qs.delete_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", ScheduleId="daily")
    assert qs.list_refresh_schedules(AwsAccountId=ACCOUNT, DataSetId="orders")["RefreshSchedules"] == []
    with pytest.raises(ClientError) as exc:
        qs.describe_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", ScheduleId="daily")
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_ingestions_run_then_complete(qs):
    make_set(qs)
    created = qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="orders", IngestionId="manual-1")
    assert created["IngestionStatus"] == "INITIALIZED"
    assert (
        qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId="orders", IngestionId="manual-1")["Ingestion"]["IngestionStatus"] == "RUNNING"
    )
    done = wait_for(
        lambda: qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId="orders", IngestionId="manual-1")["Ingestion"],
        lambda i: i["IngestionStatus"] == "COMPLETED",
    )
    assert done["RequestType"] == "FULL_REFRESH" and "RowInfo" in done
    with pytest.raises(ClientError) as exc:
        qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="orders", IngestionId="manual-1")
    assert err(exc)[0] == "ResourceExistsException"
    ingestions = qs.list_ingestions(AwsAccountId=ACCOUNT, DataSetId="orders")["Ingestions"]
    assert {i["RequestType"] for i in ingestions} == {"INITIAL_INGESTION", "FULL_REFRESH"}
    assert qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="orders")["DataSet"]["ConsumedSpiceCapacityInBytes"] > 0


def test_tags(qs):
    arn = make_set(qs)["Arn"]
    qs.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    qs.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert qs.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        qs.list_tags_for_resource(ResourceArn=arn.replace("orders", "missing"))
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_other_quicksight_operations_fall_through_to_moto(emulator, qs):
    qs.register_user(
        AwsAccountId=ACCOUNT, Namespace="default", IdentityType="QUICKSIGHT", Email="a@example.com", UserRole="AUTHOR", UserName="alice"
    )
    user = qs.describe_user(AwsAccountId=ACCOUNT, Namespace="default", UserName="alice")["User"]
    assert user["Arn"] == USER
    assert [c["operation"] for c in emulator.calls()] == ["RegisterUser", "DescribeUser"]


def test_refresh_schedule_time_and_timezone_are_filled(qs):
    make_set(qs)
    qs.create_refresh_schedule(
        AwsAccountId=ACCOUNT,
        DataSetId="orders",
        Schedule={"ScheduleId": "weekly", "ScheduleFrequency": {"Interval": "WEEKLY", "RefreshOnDay": {"DayOfWeek": "MONDAY"}}, "RefreshType": "FULL_REFRESH"},
    )
    freq = qs.describe_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", ScheduleId="weekly")["RefreshSchedule"]["ScheduleFrequency"]
    assert freq["Timezone"] == "UTC"
    assert len(freq["TimeOfTheDay"]) == 5 and freq["TimeOfTheDay"][2] == ":"
    qs.create_refresh_schedule(
        AwsAccountId=ACCOUNT,
        DataSetId="orders",
        Schedule={
            "ScheduleId": "daily",
            "ScheduleFrequency": {"Interval": "DAILY", "TimeOfTheDay": "12:00", "Timezone": "Europe/London"},
            "RefreshType": "FULL_REFRESH",
        },
    )
    freq = qs.describe_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId="orders", ScheduleId="daily")["RefreshSchedule"]["ScheduleFrequency"]
    assert (freq["TimeOfTheDay"], freq["Timezone"]) == ("12:00", "Europe/London")


def test_an_athena_source_needs_no_parameters(qs):
    """The QuickSight developer guide's create-data-source example: an ATHENA
    source with no DataSourceParameters is created (Athena's default
    workgroup), and described without parameters it was never given."""
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="DATASOURCEID", Name="NAME", Type="ATHENA")
    source = wait_for(lambda: describe_source(qs, "DATASOURCEID"), lambda s: s["Status"] != "CREATION_IN_PROGRESS")
    assert source["Status"] == "CREATION_SUCCESSFUL"
    assert "DataSourceParameters" not in source and "AlternateDataSourceParameters" not in source
    with pytest.raises(ClientError) as exc:
        qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="s3-none", Name="S3", Type="S3")
    assert err(exc) == ("InvalidParameterValueException", 400)

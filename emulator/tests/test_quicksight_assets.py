"""QuickSight analyses, dashboards (versions, publishing), templates, themes
and folders with members, through boto3 against the emulator.  Every
answer is also held to the botocore output shape (conftest)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCOUNT, wait_for
from test_quicksight import GROUP, USER, err, make_set

REGION = "us-east-1"
DASH_VIEW = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
DASH_OWN = DASH_VIEW + [
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
]
ANALYSIS_OWN = [
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:UpdateAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:RestoreAnalysis",
]
THEME_VIEW = ["quicksight:DescribeTheme", "quicksight:DescribeThemeAlias", "quicksight:ListThemeAliases", "quicksight:ListThemeVersions"]
THEME_OWN = THEME_VIEW + [
    "quicksight:DeleteTheme",
    "quicksight:UpdateTheme",
    "quicksight:CreateThemeAlias",
    "quicksight:DeleteThemeAlias",
    "quicksight:UpdateThemeAlias",
    "quicksight:UpdateThemePermissions",
    "quicksight:DescribeThemePermissions",
]
FOLDER_VIEW = ["quicksight:DescribeFolder"]
FOLDER_OWN = [
    "quicksight:CreateFolder",
    "quicksight:DescribeFolder",
    "quicksight:UpdateFolder",
    "quicksight:DeleteFolder",
    "quicksight:CreateFolderMembership",
    "quicksight:DeleteFolderMembership",
    "quicksight:DescribeFolderPermissions",
    "quicksight:UpdateFolderPermissions",
]


def data_set_arn(ident: str = "orders") -> str:
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{ident}"


def visual(visual_id: str, title: str, identifier: str = "orders") -> dict:
    return {
        "BarChartVisual": {
            "VisualId": visual_id,
            "Title": {"Visibility": "VISIBLE", "FormatText": {"PlainText": title}},
            "ChartConfiguration": {
                "FieldWells": {
                    "BarChartAggregatedFieldWells": {
                        "Category": [
                            {"CategoricalDimensionField": {"FieldId": f"{visual_id}-cat", "Column": {"DataSetIdentifier": identifier, "ColumnName": "order_id"}}}
                        ],
                        "Values": [
                            {
                                "NumericalMeasureField": {
                                    "FieldId": f"{visual_id}-amount",
                                    "Column": {"DataSetIdentifier": identifier, "ColumnName": "amount"},
                                    "AggregationFunction": {"SimpleNumericalAggregation": "SUM"},
                                }
                            }
                        ],
                    }
                }
            },
        }
    }


def definition(title: str = "Sales", identifier: str = "orders", arn: str | None = None) -> dict:
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": "orders", "DataSetArn": arn or data_set_arn()}],
        "Sheets": [{"SheetId": "sales", "Name": "Sales", "Visuals": [visual("by-event", title, identifier)]}],
        "CalculatedFields": [{"DataSetIdentifier": "orders", "Name": "net", "Expression": "{amount} * 0.9"}],
    }


def template_definition(identifier: str = "orders") -> dict:
    d = definition(identifier=identifier)
    del d["DataSetIdentifierDeclarations"]
    d["DataSetConfigurations"] = [{"Placeholder": "orders"}]
    return d


def make_dashboard(qs, ident: str = "sales", **extra) -> dict:
    args = {"AwsAccountId": ACCOUNT, "DashboardId": ident, "Name": "Sales", "Definition": definition(), "VersionDescription": "v1"}
    args.update(extra)
    return qs.create_dashboard(**args)


def dashboard(qs, ident: str = "sales", **kw) -> dict:
    return qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId=ident, **kw)["Dashboard"]


def settled(qs, ident: str = "sales", **kw) -> dict:
    return wait_for(lambda: dashboard(qs, ident, **kw), lambda d: not d["Version"]["Status"].endswith("IN_PROGRESS"))


def analysis(qs, ident: str = "sales") -> dict:
    return qs.describe_analysis(AwsAccountId=ACCOUNT, AnalysisId=ident)["Analysis"]


def analysis_settled(qs, ident: str = "sales") -> dict:
    return wait_for(lambda: analysis(qs, ident), lambda a: not a["Status"].endswith("IN_PROGRESS"))


# --------------------------------------------------------------------------
# Dashboards


def test_dashboard_create_is_asynchronous_and_published(qs):
    make_set(qs)
    created = make_dashboard(qs, Tags=[{"Key": "team", "Value": "bi"}], Permissions=[{"Principal": USER, "Actions": DASH_OWN}])
    assert created["Status"] == 202 and created["CreationStatus"] == "CREATION_IN_PROGRESS"
    assert created["Arn"] == f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/sales"
    assert created["VersionArn"] == created["Arn"] + "/version/1"
    assert dashboard(qs)["Version"]["Status"] == "CREATION_IN_PROGRESS"
    with pytest.raises(ClientError) as exc:
        qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales", Name="Too soon", Definition=definition())
    assert err(exc) == ("ConflictException", 409)
    d = settled(qs)
    assert d["Version"]["Status"] == "CREATION_SUCCESSFUL" and "Errors" not in d["Version"]
    assert d["Version"]["VersionNumber"] == 1 and d["Version"]["Description"] == "v1"
    assert d["Version"]["DataSetArns"] == [data_set_arn()]
    assert d["Version"]["Sheets"] == [{"SheetId": "sales", "Name": "Sales"}]
    assert d["Name"] == "Sales" and isinstance(d["LastPublishedTime"], dt.datetime)
    assert qs.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"] == [{"Key": "team", "Value": "bi"}]
    with pytest.raises(ClientError) as exc:
        make_dashboard(qs)
    assert err(exc) == ("ResourceExistsException", 409)


def test_dashboard_definition_reads_back_with_what_quicksight_fills(qs):
    make_set(qs)
    sent = definition()
    make_dashboard(qs, Definition=sent, DashboardPublishOptions={"AdHocFilteringOption": {"AvailabilityStatus": "DISABLED"}})
    settled(qs)
    got = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales")
    assert got["ResourceStatus"] == "CREATION_SUCCESSFUL" and got["Name"] == "Sales" and "Errors" not in got
    # A sheet sent without ContentType comes back INTERACTIVE; nothing else changes.
    assert got["Definition"]["Sheets"][0].pop("ContentType") == "INTERACTIVE"
    assert got["Definition"] == sent
    options = got["DashboardPublishOptions"]
    assert options["AdHocFilteringOption"] == {"AvailabilityStatus": "DISABLED"}, "what was sent is kept"
    assert options["ExportToCSVOption"] == {"AvailabilityStatus": "ENABLED"}
    assert options["SheetControlsOption"] == {"VisibilityState": "COLLAPSED"}
    assert options["ExportWithHiddenFieldsOption"] == {"AvailabilityStatus": "DISABLED"}


def test_dashboard_with_undeclared_identifier_or_missing_data_set_fails(qs):
    make_set(qs)
    make_dashboard(qs, "undeclared", Definition=definition(identifier="tickets"))
    d = settled(qs, "undeclared")
    assert d["Version"]["Status"] == "CREATION_FAILED"
    [error] = d["Version"]["Errors"]
    assert error["Type"] == "DATA_SET_NOT_FOUND" and "'tickets'" in error["Message"]
    paths = [e["Path"] for e in error["ViolatedEntities"]]
    assert paths == [
        "Sheets[0].Visuals[0].BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category[0].CategoricalDimensionField.Column.DataSetIdentifier",
        "Sheets[0].Visuals[0].BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values[0].NumericalMeasureField.Column.DataSetIdentifier",
    ]
    failed = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="undeclared")
    assert failed["ResourceStatus"] == "CREATION_FAILED" and failed["Errors"] == d["Version"]["Errors"]

    make_dashboard(qs, "ghost", Definition=definition(arn=data_set_arn("ghost")))
    d = settled(qs, "ghost")
    assert d["Version"]["Status"] == "CREATION_FAILED"
    assert d["Version"]["Errors"] == [
        {
            "Type": "DATA_SET_NOT_FOUND",
            "Message": f"Data set '{data_set_arn('ghost')}' of identifier 'orders' does not exist.",
            "ViolatedEntities": [{"Path": "DataSetIdentifierDeclarations[0].DataSetArn"}],
        }
    ]


def test_update_makes_a_version_that_is_published_only_when_asked(qs):
    make_set(qs)
    make_dashboard(qs)
    settled(qs)
    updated = qs.update_dashboard(
        AwsAccountId=ACCOUNT, DashboardId="sales", Name="Sales v2", Definition=definition("Sales by event"), VersionDescription="v2"
    )
    assert updated["Status"] == 202 and updated["CreationStatus"] == "CREATION_IN_PROGRESS"
    assert updated["VersionArn"].endswith(":dashboard/sales/version/2")
    v2 = settled(qs, VersionNumber=2)
    assert v2["Version"]["Status"] == "CREATION_SUCCESSFUL" and v2["Name"] == "Sales v2"
    # Not published yet: Describe without a version is still version 1.
    published = dashboard(qs)
    assert published["Version"]["VersionNumber"] == 1 and published["Name"] == "Sales"
    title = lambda defn: defn["Sheets"][0]["Visuals"][0]["BarChartVisual"]["Title"]["FormatText"]["PlainText"]  # noqa: E731
    assert title(qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales")["Definition"]) == "Sales"
    assert title(qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales", VersionNumber=2)["Definition"]) == "Sales by event"
    assert dashboard(qs, AliasName="$LATEST")["Version"]["VersionNumber"] == 2
    summary = qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
    assert [(s["DashboardId"], s["PublishedVersionNumber"]) for s in summary] == [("sales", 1)]

    before = published["LastPublishedTime"]
    answer = qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="sales", VersionNumber=2)
    assert answer["DashboardArn"].endswith("dashboard/sales")
    now = dashboard(qs)
    assert now["Version"]["VersionNumber"] == 2 and now["Name"] == "Sales v2" and now["LastPublishedTime"] >= before
    assert title(qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales")["Definition"]) == "Sales by event"
    assert qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"][0]["PublishedVersionNumber"] == 2

    versions = qs.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="sales")["DashboardVersionSummaryList"]
    assert [(v["VersionNumber"], v["Status"], v["Description"]) for v in versions] == [(1, "CREATION_SUCCESSFUL", "v1"), (2, "CREATION_SUCCESSFUL", "v2")]
    assert versions[1]["Arn"] == updated["VersionArn"]

    with pytest.raises(ClientError) as exc:
        qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="sales", VersionNumber=9)
    assert err(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        dashboard(qs, VersionNumber=9)
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_a_failed_update_leaves_the_published_version_alone(qs):
    make_set(qs)
    make_dashboard(qs)
    settled(qs)
    qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales", Name="Broken", Definition=definition(identifier="nope"))
    v2 = settled(qs, VersionNumber=2)
    assert v2["Version"]["Status"] == "CREATION_FAILED" and v2["Version"]["Errors"][0]["Type"] == "DATA_SET_NOT_FOUND"
    assert dashboard(qs)["Version"]["Status"] == "CREATION_SUCCESSFUL"
    assert dashboard(qs)["Version"]["VersionNumber"] == 1


def test_dashboard_list_paged_and_delete(qs):
    make_set(qs)
    for i in range(3):
        make_dashboard(qs, f"d{i}")
    page = qs.list_dashboards(AwsAccountId=ACCOUNT, MaxResults=2)
    assert [s["DashboardId"] for s in page["DashboardSummaryList"]] == ["d0", "d1"]
    rest = qs.list_dashboards(AwsAccountId=ACCOUNT, MaxResults=2, NextToken=page["NextToken"])
    assert [s["DashboardId"] for s in rest["DashboardSummaryList"]] == ["d2"] and "NextToken" not in rest
    deleted = qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="d1")
    assert deleted["Arn"].endswith("dashboard/d1")
    with pytest.raises(ClientError) as exc:
        dashboard(qs, "d1")
    assert err(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        qs.list_tags_for_resource(ResourceArn=deleted["Arn"])
    assert err(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="d1")
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_deleting_one_dashboard_version(qs):
    make_set(qs)
    make_dashboard(qs)
    settled(qs)
    qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales", Name="Sales", Definition=definition("two"))
    settled(qs, VersionNumber=2)
    with pytest.raises(ClientError) as exc:
        qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales", VersionNumber=1)
    assert err(exc) == ("InvalidParameterValueException", 400), "the published version stays"
    qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales", VersionNumber=2)
    versions = qs.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="sales")["DashboardVersionSummaryList"]
    assert [v["VersionNumber"] for v in versions] == [1]


def test_dashboard_permissions_grant_and_revoke(qs):
    make_set(qs)
    make_dashboard(qs, Permissions=[{"Principal": USER, "Actions": DASH_OWN}])
    answer = qs.update_dashboard_permissions(
        AwsAccountId=ACCOUNT, DashboardId="sales", GrantPermissions=[{"Principal": GROUP, "Actions": DASH_VIEW}]
    )
    assert {p["Principal"]: set(p["Actions"]) for p in answer["Permissions"]} == {USER: set(DASH_OWN), GROUP: set(DASH_VIEW)}
    qs.update_dashboard_permissions(
        AwsAccountId=ACCOUNT,
        DashboardId="sales",
        RevokePermissions=[{"Principal": USER, "Actions": DASH_OWN}],
        GrantPermissions=[{"Principal": USER, "Actions": DASH_VIEW}],
    )
    described = qs.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales")
    assert described["DashboardArn"].endswith("dashboard/sales")
    assert {p["Principal"]: set(p["Actions"]) for p in described["Permissions"]} == {USER: set(DASH_VIEW), GROUP: set(DASH_VIEW)}
    with pytest.raises(ClientError) as exc:
        qs.update_dashboard_permissions(
            AwsAccountId=ACCOUNT, DashboardId="sales", GrantPermissions=[{"Principal": GROUP, "Actions": ["quicksight:DescribeDashboard"]}]
        )
    assert err(exc) == ("InvalidParameterValueException", 400)
    assert "unsupported permission sets" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        make_dashboard(qs, "partial", Permissions=[{"Principal": USER, "Actions": DASH_VIEW[:2]}])
    assert err(exc) == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as exc:
        dashboard(qs, "partial")
    assert err(exc)[0] == "ResourceNotFoundException", "a refused create leaves nothing behind"


def test_definition_is_held_to_the_model(emulator, qs):
    """boto3 checks parameters itself; the SDKs twh uses may not, so the
    emulator checks the request body against the input shape too."""
    bad = definition()
    del bad["Sheets"][0]["SheetId"]
    client = boto3.client(
        "quicksight",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}),
    )


    def add_unknown_member(request, **kwargs):
        # botocore cannot serialise a member the model lacks: add it to the
        # JSON body on the way out.
        body = json.loads(request.data)
        body["Definition"]["Sheets"][0]["Visuals"][0]["BarChartVisual"]["Colour"] = "red"
        request.data = json.dumps(body).encode()

    client.meta.events.register("before-sign.quicksight.CreateDashboard", add_unknown_member)
    with pytest.raises(ClientError) as exc:
        client.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="bad", Name="Bad", Definition=bad)
    assert err(exc) == ("InvalidParameterValueException", 400)
    message = exc.value.response["Error"]["Message"]
    assert "Definition.Sheets[0].SheetId: required member missing" in message
    assert "Definition.Sheets[0].Visuals[0].BarChartVisual.Colour: not a member of BarChartVisual" in message
    client.meta.events.unregister("before-sign.quicksight.CreateDashboard", add_unknown_member)
    with pytest.raises(ClientError) as exc:
        client.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="both", Name="Both", Definition=definition(), SourceEntity={})
    assert err(exc) == ("InvalidParameterValueException", 400)
    assert "Exactly one of Definition or SourceEntity" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client.create_theme(AwsAccountId=ACCOUNT, ThemeId="t", Name="T", BaseThemeId="MIDNIGHT")
    assert err(exc) == ("InvalidParameterValueException", 400)
    assert "Configuration: required member missing (CreateThemeRequest)" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        dashboard(qs, "bad")
    assert err(exc)[0] == "ResourceNotFoundException", "a refused request creates nothing"


# --------------------------------------------------------------------------
# Analyses


def test_analysis_lifecycle(qs):
    make_set(qs)
    created = qs.create_analysis(
        AwsAccountId=ACCOUNT,
        AnalysisId="sales",
        Name="Sales",
        Definition=definition(),
        Permissions=[{"Principal": USER, "Actions": ANALYSIS_OWN}],
        Tags=[{"Key": "team", "Value": "bi"}],
    )
    assert created["Status"] == 202 and created["CreationStatus"] == "CREATION_IN_PROGRESS"
    assert analysis(qs)["Status"] == "CREATION_IN_PROGRESS"
    a = analysis_settled(qs)
    assert a["Status"] == "CREATION_SUCCESSFUL" and a["DataSetArns"] == [data_set_arn()]
    assert a["Sheets"] == [{"SheetId": "sales", "Name": "Sales"}] and "Errors" not in a
    got = qs.describe_analysis_definition(AwsAccountId=ACCOUNT, AnalysisId="sales")
    assert got["ResourceStatus"] == "CREATION_SUCCESSFUL"
    assert got["Definition"]["Sheets"][0]["ContentType"] == "INTERACTIVE"

    updated = qs.update_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", Name="Sales 2", Definition=definition("Renamed"))
    assert updated["UpdateStatus"] == "UPDATE_IN_PROGRESS"
    assert analysis(qs)["Status"] == "UPDATE_IN_PROGRESS"
    with pytest.raises(ClientError) as exc:
        qs.update_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", Name="Again", Definition=definition())
    assert err(exc) == ("ConflictException", 409)
    a = analysis_settled(qs)
    assert a["Status"] == "UPDATE_SUCCESSFUL" and a["Name"] == "Sales 2"

    qs.update_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", Name="Sales 3", Definition=definition(identifier="gone"))
    a = analysis_settled(qs)
    assert a["Status"] == "UPDATE_FAILED" and a["Errors"][0]["Type"] == "DATA_SET_NOT_FOUND"
    assert a["Errors"][0]["ViolatedEntities"][0]["Path"].startswith("Sheets[0].Visuals[0].BarChartVisual")

    listed = qs.list_analyses(AwsAccountId=ACCOUNT)["AnalysisSummaryList"]
    assert [(s["AnalysisId"], s["Status"]) for s in listed] == [("sales", "UPDATE_FAILED")]
    assert qs.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"] == [{"Key": "team", "Value": "bi"}]


def test_deleted_analysis_stays_described_until_its_window_ends(qs):
    make_set(qs)
    qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", Name="Sales", Definition=definition())
    analysis_settled(qs)
    deleted = qs.delete_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales")
    window = deleted["DeletionTime"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=29, hours=23) < window <= dt.timedelta(days=30)
    assert analysis(qs)["Status"] == "DELETED"
    with pytest.raises(ClientError) as exc:
        qs.delete_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert err(exc) == ("InvalidParameterValueException", 400)
    qs.restore_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales")
    assert analysis(qs)["Status"] == "CREATION_SUCCESSFUL"
    qs.delete_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as exc:
        analysis(qs)
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_analysis_permissions(qs):
    make_set(qs)
    qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="sales", Name="Sales", Definition=definition())
    answer = qs.update_analysis_permissions(
        AwsAccountId=ACCOUNT, AnalysisId="sales", GrantPermissions=[{"Principal": GROUP, "Actions": ANALYSIS_OWN}]
    )
    assert answer["AnalysisArn"].endswith("analysis/sales")
    described = qs.describe_analysis_permissions(AwsAccountId=ACCOUNT, AnalysisId="sales")
    assert [(p["Principal"], set(p["Actions"])) for p in described["Permissions"]] == [(GROUP, set(ANALYSIS_OWN))]
    qs.update_analysis_permissions(AwsAccountId=ACCOUNT, AnalysisId="sales", RevokePermissions=[{"Principal": GROUP, "Actions": ANALYSIS_OWN}])
    assert qs.describe_analysis_permissions(AwsAccountId=ACCOUNT, AnalysisId="sales")["Permissions"] == []
    with pytest.raises(ClientError) as exc:
        qs.update_analysis_permissions(
            AwsAccountId=ACCOUNT, AnalysisId="sales", GrantPermissions=[{"Principal": GROUP, "Actions": ["quicksight:DescribeAnalysis"]}]
        )
    assert err(exc) == ("InvalidParameterValueException", 400)


# --------------------------------------------------------------------------
# Templates


def test_template_versions_and_dashboard_from_template(qs):
    make_set(qs)
    created = qs.create_template(
        AwsAccountId=ACCOUNT, TemplateId="base", Name="Base", Definition=template_definition(), VersionDescription="one"
    )
    assert created["CreationStatus"] == "CREATION_IN_PROGRESS" and created["VersionArn"].endswith("template/base/version/1")
    t = wait_for(
        lambda: qs.describe_template(AwsAccountId=ACCOUNT, TemplateId="base")["Template"],
        lambda t: t["Version"]["Status"] != "CREATION_IN_PROGRESS",
    )
    assert t["Version"]["Status"] == "CREATION_SUCCESSFUL" and t["Version"]["DataSetConfigurations"] == [{"Placeholder": "orders"}]
    got = qs.describe_template_definition(AwsAccountId=ACCOUNT, TemplateId="base")
    assert got["ResourceStatus"] == "CREATION_SUCCESSFUL" and got["Definition"]["DataSetConfigurations"] == [{"Placeholder": "orders"}]

    qs.update_template(AwsAccountId=ACCOUNT, TemplateId="base", Name="Base", Definition=template_definition("other"), VersionDescription="two")
    v2 = wait_for(
        lambda: qs.describe_template(AwsAccountId=ACCOUNT, TemplateId="base")["Template"],
        lambda t: t["Version"]["Status"] != "CREATION_IN_PROGRESS",
    )
    assert v2["Version"]["VersionNumber"] == 2, "Describe without a version gives the latest"
    assert v2["Version"]["Status"] == "CREATION_FAILED" and "'other'" in v2["Version"]["Errors"][0]["Message"]
    versions = qs.list_template_versions(AwsAccountId=ACCOUNT, TemplateId="base")["TemplateVersionSummaryList"]
    assert [(v["VersionNumber"], v["Description"]) for v in versions] == [(1, "one"), (2, "two")]
    assert qs.list_templates(AwsAccountId=ACCOUNT)["TemplateSummaryList"][0]["LatestVersionNumber"] == 2

    # A dashboard made from version 1: placeholders bound to the data set.
    qs.create_dashboard(
        AwsAccountId=ACCOUNT,
        DashboardId="from-template",
        Name="From template",
        SourceEntity={
            "SourceTemplate": {"Arn": created["VersionArn"], "DataSetReferences": [{"DataSetPlaceholder": "orders", "DataSetArn": data_set_arn()}]}
        },
    )
    d = settled(qs, "from-template")
    assert d["Version"]["Status"] == "CREATION_SUCCESSFUL" and d["Version"]["SourceEntityArn"] == created["VersionArn"]
    defn = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="from-template")["Definition"]
    assert defn["DataSetIdentifierDeclarations"] == [{"Identifier": "orders", "DataSetArn": data_set_arn()}]
    assert "DataSetConfigurations" not in defn

    qs.create_dashboard(
        AwsAccountId=ACCOUNT,
        DashboardId="no-template",
        Name="Missing",
        SourceEntity={"SourceTemplate": {"Arn": created["Arn"].replace("base", "missing"), "DataSetReferences": [{"DataSetPlaceholder": "orders", "DataSetArn": data_set_arn()}]}},
    )
    assert settled(qs, "no-template")["Version"]["Errors"][0]["Type"] == "SOURCE_NOT_FOUND"

    qs.update_template_permissions(
        AwsAccountId=ACCOUNT, TemplateId="base", GrantPermissions=[{"Principal": USER, "Actions": ["quicksight:DescribeTemplate", "quicksight:ListTemplateVersions"]}]
    )
    perms = qs.describe_template_permissions(AwsAccountId=ACCOUNT, TemplateId="base")
    assert perms["TemplateArn"] == created["Arn"] and perms["Permissions"][0]["Principal"] == USER
    qs.delete_template(AwsAccountId=ACCOUNT, TemplateId="base")
    with pytest.raises(ClientError) as exc:
        qs.describe_template(AwsAccountId=ACCOUNT, TemplateId="base")
    assert err(exc) == ("ResourceNotFoundException", 404)


# --------------------------------------------------------------------------
# Themes


THEME = {"DataColorPalette": {"Colors": ["#112233", "#445566"]}, "UIColorPalette": {"PrimaryForeground": "#000000"}}


def test_theme_versions_permissions_and_delete(qs):
    created = qs.create_theme(
        AwsAccountId=ACCOUNT,
        ThemeId="brand",
        Name="Brand",
        BaseThemeId="MIDNIGHT",
        Configuration=THEME,
        Permissions=[{"Principal": USER, "Actions": THEME_OWN}],
        Tags=[{"Key": "team", "Value": "bi"}],
    )
    assert created["CreationStatus"] == "CREATION_IN_PROGRESS" and created["VersionArn"].endswith("theme/brand/version/1")
    theme = lambda **kw: qs.describe_theme(AwsAccountId=ACCOUNT, ThemeId="brand", **kw)["Theme"]  # noqa: E731
    assert theme()["Version"]["Status"] == "CREATION_IN_PROGRESS"
    t = wait_for(theme, lambda t: t["Version"]["Status"] != "CREATION_IN_PROGRESS")
    assert t["Type"] == "CUSTOM" and t["Version"]["Status"] == "CREATION_SUCCESSFUL"
    assert t["Version"]["BaseThemeId"] == "MIDNIGHT" and t["Version"]["Configuration"] == THEME

    darker = copy.deepcopy(THEME)
    darker["UIColorPalette"]["PrimaryForeground"] = "#111111"
    updated = qs.update_theme(AwsAccountId=ACCOUNT, ThemeId="brand", BaseThemeId="MIDNIGHT", Configuration=darker, VersionDescription="darker")
    assert updated["VersionArn"].endswith("/version/2")
    t = wait_for(theme, lambda t: t["Version"]["Status"] != "CREATION_IN_PROGRESS")
    assert t["Version"]["VersionNumber"] == 2 and t["Name"] == "Brand", "a name left out is kept"
    assert theme(VersionNumber=1)["Version"]["Configuration"] == THEME
    versions = qs.list_theme_versions(AwsAccountId=ACCOUNT, ThemeId="brand")["ThemeVersionSummaryList"]
    assert [v["VersionNumber"] for v in versions] == [1, 2]
    assert [s["ThemeId"] for s in qs.list_themes(AwsAccountId=ACCOUNT, Type="CUSTOM")["ThemeSummaryList"]] == ["brand"]
    assert qs.list_themes(AwsAccountId=ACCOUNT, Type="QUICKSIGHT")["ThemeSummaryList"] == []

    qs.update_theme_permissions(
        AwsAccountId=ACCOUNT,
        ThemeId="brand",
        RevokePermissions=[{"Principal": USER, "Actions": THEME_OWN}],
        GrantPermissions=[{"Principal": USER, "Actions": THEME_VIEW}],
    )
    perms = qs.describe_theme_permissions(AwsAccountId=ACCOUNT, ThemeId="brand")
    assert [(p["Principal"], set(p["Actions"])) for p in perms["Permissions"]] == [(USER, set(THEME_VIEW))]
    with pytest.raises(ClientError) as exc:
        qs.update_theme_permissions(AwsAccountId=ACCOUNT, ThemeId="brand", GrantPermissions=[{"Principal": GROUP, "Actions": THEME_VIEW[:1]}])
    assert err(exc) == ("InvalidParameterValueException", 400)

    qs.delete_theme(AwsAccountId=ACCOUNT, ThemeId="brand")
    with pytest.raises(ClientError) as exc:
        theme()
    assert err(exc) == ("ResourceNotFoundException", 404)


# --------------------------------------------------------------------------
# Folders


def test_folders_and_members(qs):
    make_set(qs)
    make_dashboard(qs)
    root = qs.create_folder(
        AwsAccountId=ACCOUNT, FolderId="bi", Name="BI", Permissions=[{"Principal": USER, "Actions": FOLDER_OWN}], Tags=[{"Key": "a", "Value": "b"}]
    )
    assert root["Arn"] == f"arn:aws:quicksight:{REGION}:{ACCOUNT}:folder/bi"
    child = qs.create_folder(AwsAccountId=ACCOUNT, FolderId="sales", Name="Sales", ParentFolderArn=root["Arn"])
    folder = qs.describe_folder(AwsAccountId=ACCOUNT, FolderId="sales")["Folder"]
    assert folder["FolderPath"] == [root["Arn"]] and folder["FolderType"] == "SHARED" and folder["SharingModel"] == "ACCOUNT"
    assert qs.describe_folder(AwsAccountId=ACCOUNT, FolderId="bi")["Folder"]["FolderPath"] == []
    with pytest.raises(ClientError) as exc:
        qs.create_folder(AwsAccountId=ACCOUNT, FolderId="orphan", Name="x", ParentFolderArn=root["Arn"].replace("bi", "nope"))
    assert err(exc) == ("ResourceNotFoundException", 404)

    member = qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="sales", MemberType="DASHBOARD")
    assert member["FolderMember"] == {"MemberId": "sales", "MemberType": "DASHBOARD"} and member["Status"] == 200
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="orders", MemberType="DATASET")
    with pytest.raises(ClientError) as exc:
        qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="sales", MemberType="DASHBOARD")
    assert err(exc) == ("ResourceExistsException", 409)
    with pytest.raises(ClientError) as exc:
        qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="nope", MemberType="ANALYSIS")
    assert err(exc) == ("ResourceNotFoundException", 404)
    dashboard_arn = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/sales"
    assert qs.list_folders_for_resource(AwsAccountId=ACCOUNT, ResourceArn=dashboard_arn)["Folders"] == [child["Arn"]]
    with pytest.raises(ClientError) as exc:
        qs.list_folders_for_resource(AwsAccountId=ACCOUNT, ResourceArn=dashboard_arn.replace("sales", "nope"))
    assert err(exc) == ("ResourceNotFoundException", 404)
    members = qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="sales")["FolderMemberList"]
    assert members == [
        {"MemberId": "sales", "MemberArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/sales"},
        {"MemberId": "orders", "MemberArn": data_set_arn()},
    ]

    with pytest.raises(ClientError) as exc:
        qs.delete_folder(AwsAccountId=ACCOUNT, FolderId="sales")
    assert err(exc) == ("PreconditionNotMetException", 400), "only an empty folder is deleted"
    with pytest.raises(ClientError) as exc:
        qs.delete_folder(AwsAccountId=ACCOUNT, FolderId="bi")
    assert err(exc) == ("PreconditionNotMetException", 400), "a folder with a subfolder is not empty"

    qs.delete_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="orders", MemberType="DATASET")
    with pytest.raises(ClientError) as exc:
        qs.delete_folder_membership(AwsAccountId=ACCOUNT, FolderId="sales", MemberId="orders", MemberType="DATASET")
    assert err(exc) == ("ResourceNotFoundException", 404)
    # Deleting the dashboard takes it out of its folder.
    qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales")
    assert qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="sales")["FolderMemberList"] == []

    qs.update_folder(AwsAccountId=ACCOUNT, FolderId="sales", Name="Sales 2")
    assert qs.describe_folder(AwsAccountId=ACCOUNT, FolderId="sales")["Folder"]["Name"] == "Sales 2"
    assert [f["FolderId"] for f in qs.list_folders(AwsAccountId=ACCOUNT)["FolderSummaryList"]] == ["bi", "sales"]
    qs.delete_folder(AwsAccountId=ACCOUNT, FolderId=child["FolderId"])
    qs.delete_folder(AwsAccountId=ACCOUNT, FolderId="bi")
    assert qs.list_folders(AwsAccountId=ACCOUNT)["FolderSummaryList"] == []


def test_folder_permissions_and_folder_arns_on_create(qs):
    make_set(qs)
    folder = qs.create_folder(AwsAccountId=ACCOUNT, FolderId="bi", Name="BI")
    qs.update_folder_permissions(AwsAccountId=ACCOUNT, FolderId="bi", GrantPermissions=[{"Principal": USER, "Actions": FOLDER_OWN}])
    qs.update_folder_permissions(
        AwsAccountId=ACCOUNT,
        FolderId="bi",
        RevokePermissions=[{"Principal": USER, "Actions": FOLDER_OWN}],
        GrantPermissions=[{"Principal": USER, "Actions": FOLDER_VIEW}],
    )
    perms = qs.describe_folder_permissions(AwsAccountId=ACCOUNT, FolderId="bi")
    assert perms["Arn"] == folder["Arn"] and perms["Permissions"] == [{"Principal": USER, "Actions": FOLDER_VIEW}]
    # The error terraform-provider-aws PR #30400 quotes: a partial revoke.
    with pytest.raises(ClientError) as exc:
        qs.update_folder_permissions(
            AwsAccountId=ACCOUNT, FolderId="bi", GrantPermissions=[{"Principal": GROUP, "Actions": FOLDER_OWN[1:]}]
        )
    assert "Valid sets : [quicksight:DescribeFolder] or [" in exc.value.response["Error"]["Message"]

    make_dashboard(qs, FolderArns=[folder["Arn"]])
    qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="a", Name="A", Definition=definition(), FolderArns=[folder["Arn"]])
    members = qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="bi")["FolderMemberList"]
    assert [m["MemberArn"].split(":")[-1] for m in members] == ["dashboard/sales", "analysis/a"]
    with pytest.raises(ClientError) as exc:
        make_dashboard(qs, "elsewhere", FolderArns=[folder["Arn"] + "x"])
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_verbatim_emulator_echoes_definitions_and_settles_at_once(verbatim_emulator):
    qs = verbatim_emulator.client("quicksight")
    verbatim_emulator.control("POST", "/_twh/reset")
    make_set(qs)
    make_dashboard(qs)
    assert dashboard(qs)["Version"]["Status"] == "CREATION_SUCCESSFUL"
    got = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales")
    assert got["Definition"] == definition() and "DashboardPublishOptions" not in got


# --------------------------------------------------------------------------
# Every operation on a missing resource, and tags on each kind


MISSING = [
    ("describe_dashboard", {"DashboardId": "nope"}),
    ("describe_dashboard_definition", {"DashboardId": "nope"}),
    ("update_dashboard", {"DashboardId": "nope", "Name": "x", "Definition": {"DataSetIdentifierDeclarations": []}}),
    ("update_dashboard_published_version", {"DashboardId": "nope", "VersionNumber": 1}),
    ("list_dashboard_versions", {"DashboardId": "nope"}),
    ("delete_dashboard", {"DashboardId": "nope"}),
    ("describe_dashboard_permissions", {"DashboardId": "nope"}),
    ("update_dashboard_permissions", {"DashboardId": "nope"}),
    ("describe_analysis", {"AnalysisId": "nope"}),
    ("describe_analysis_definition", {"AnalysisId": "nope"}),
    ("update_analysis", {"AnalysisId": "nope", "Name": "x", "Definition": {"DataSetIdentifierDeclarations": []}}),
    ("delete_analysis", {"AnalysisId": "nope"}),
    ("restore_analysis", {"AnalysisId": "nope"}),
    ("describe_analysis_permissions", {"AnalysisId": "nope"}),
    ("update_analysis_permissions", {"AnalysisId": "nope"}),
    ("describe_template", {"TemplateId": "nope"}),
    ("describe_template_definition", {"TemplateId": "nope"}),
    ("update_template", {"TemplateId": "nope", "Definition": {"DataSetConfigurations": []}}),
    ("list_template_versions", {"TemplateId": "nope"}),
    ("delete_template", {"TemplateId": "nope"}),
    ("describe_template_permissions", {"TemplateId": "nope"}),
    ("update_template_permissions", {"TemplateId": "nope"}),
    ("describe_theme", {"ThemeId": "nope"}),
    ("update_theme", {"ThemeId": "nope", "BaseThemeId": "MIDNIGHT"}),
    ("list_theme_versions", {"ThemeId": "nope"}),
    ("delete_theme", {"ThemeId": "nope"}),
    ("describe_theme_permissions", {"ThemeId": "nope"}),
    ("update_theme_permissions", {"ThemeId": "nope"}),
    ("describe_folder", {"FolderId": "nope"}),
    ("update_folder", {"FolderId": "nope", "Name": "x"}),
    ("delete_folder", {"FolderId": "nope"}),
    ("describe_folder_permissions", {"FolderId": "nope"}),
    ("update_folder_permissions", {"FolderId": "nope"}),
    ("list_folder_members", {"FolderId": "nope"}),
    ("create_folder_membership", {"FolderId": "nope", "MemberId": "d", "MemberType": "DASHBOARD"}),
    ("delete_folder_membership", {"FolderId": "nope", "MemberId": "d", "MemberType": "DASHBOARD"}),
]


@pytest.mark.parametrize("operation,args", MISSING, ids=[m[0] for m in MISSING])
def test_missing_resource_is_not_found(qs, operation, args):
    # The shape check (conftest) also holds the error to the operation's
    # declared errors and their HTTP status.
    with pytest.raises(ClientError) as exc:
        getattr(qs, operation)(AwsAccountId=ACCOUNT, **args)
    assert err(exc) == ("ResourceNotFoundException", 404)


def test_tags_on_every_kind(qs):
    make_set(qs)
    arns = [
        make_dashboard(qs)["Arn"],
        qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="a", Name="A", Definition=definition())["Arn"],
        qs.create_template(AwsAccountId=ACCOUNT, TemplateId="t", Name="T", Definition=template_definition())["Arn"],
        qs.create_theme(AwsAccountId=ACCOUNT, ThemeId="th", Name="Th", BaseThemeId="MIDNIGHT", Configuration=THEME)["Arn"],
        qs.create_folder(AwsAccountId=ACCOUNT, FolderId="f", Name="F")["Arn"],
    ]
    for arn in arns:
        assert qs.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
        qs.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "bi"}])
        qs.untag_resource(ResourceArn=arn, TagKeys=["env"])
        assert qs.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "bi"}], arn

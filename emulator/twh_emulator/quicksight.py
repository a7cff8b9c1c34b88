"""Amazon QuickSight data sources, data sets, permissions, refresh schedules,
refresh properties, ingestions and tags, on the emulator's own backend.

moto 5.2.5 sends timestamps the Rust SDK cannot parse and lacks most of
these operations (notes/EMULATORS.md), so they are implemented here from the
botocore model's shapes.  Answers follow the restJson1 protocol: timestamps
as epoch seconds, ``Status`` (bound to the HTTP status) and ``RequestId`` in
the body, errors with an ``x-amzn-ErrorType`` header and a ``__type`` member.
Analyses, dashboards, templates, themes and folders are in
quicksight_assets.py.  QuickSight operations handled by neither (users,
groups) fall through to moto.

AWS behaviour mirrored (notes/AWS_RECONCILER_FACTS.md §4):
- output-only fields in Describe answers (Arn, CreatedTime, LastUpdatedTime,
  Status, OutputColumns, ConsumedSpiceCapacityInBytes) and server defaults
  (DataSetUsageConfiguration, SslProperties, a generated LogicalTableMap);
- credentials are write-only: never returned;
- UpdateDataSet replaces the whole definition, starts an ingestion for SPICE
  data sets, and leaves permissions and tags alone;
- permissions change only through grant/revoke lists;
- refresh properties and schedules are SPICE-only ("not a SPICE dataset");
- data sets made with the new data-preparation experience cannot be read
  with DescribeDataSet (flag one through /_twh/quicksight/new-data-prep).
"""

from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from .common import SCHEDULER, SETTINGS, AwsError, Context, RegionalStore, faithful, paginate, request_id, role_not_propagated

PROTOCOL = "rest-json"

ERROR_STATUS = {
    "AccessDeniedException": 401,
    "ConflictException": 409,
    "InvalidParameterValueException": 400,
    "InvalidNextTokenException": 400,
    "LimitExceededException": 409,
    "PreconditionNotMetException": 400,
    "ResourceExistsException": 409,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "InternalFailureException": 500,
    "UnsupportedUserEditionException": 403,
}


def qs_error(code: str, message: str, resource_type: str | None = None) -> AwsError:
    extra = {"ResourceType": resource_type} if resource_type else None
    return AwsError(code, message, ERROR_STATUS.get(code, 400), extra)


def invalid(message: str) -> AwsError:
    return qs_error("InvalidParameterValueException", message)


# Manual refreshes allowed per data set per 24 hours (Enterprise edition).
MANUAL_REFRESH_QUOTA = 32
MAX_SCHEDULES = 5


@dataclass
class DataSource:
    id: str
    arn: str
    definition: dict[str, Any]  # Name, Type, DataSourceParameters, VpcConnectionProperties, SslProperties
    created: float
    updated: float
    status: str = "CREATION_SUCCESSFUL"
    error: dict[str, str] | None = None
    secret_arn: str | None = None
    credentials_fingerprint: str | None = None
    permissions: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Ingestion:
    id: str
    arn: str
    created: float
    deadline: float
    request_type: str
    request_source: str = "MANUAL"
    status: str = "RUNNING"
    size: int = 0


@dataclass
class DataSet:
    id: str
    arn: str
    definition: dict[str, Any]
    created: float
    updated: float
    use_as: str | None = None
    permissions: dict[str, set[str]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_properties: dict[str, Any] | None = None
    ingestions: dict[str, Ingestion] = field(default_factory=dict)
    new_data_prep: bool = False
    consumed_spice: int = 0

    @property
    def import_mode(self) -> str:
        return self.definition.get("ImportMode", "SPICE")


class QuickSightStore:
    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.data_sources: dict[str, DataSource] = {}
        self.data_sets: dict[str, DataSet] = {}
        self.tags: dict[str, dict[str, str]] = {}
        # Analyses, dashboards, templates, themes and folders
        # (quicksight_assets.py).
        self.analyses: dict[str, Any] = {}
        self.dashboards: dict[str, Any] = {}
        self.templates: dict[str, Any] = {}
        self.themes: dict[str, Any] = {}
        self.folders: dict[str, Any] = {}

    def arn(self, kind: str, ident: str) -> str:
        return f"arn:aws:quicksight:{self.region}:{self.account}:{kind}/{ident}"


STORE = RegionalStore(QuickSightStore)


def _store(ctx: Context) -> QuickSightStore:
    # Resources live under the account in the path, as in AWS.
    account = ctx.uri_params.get("AwsAccountId") or ctx.account
    return STORE(account, ctx.region)


def ok(body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, Any]]:
    body = dict(body)
    body["RequestId"] = request_id()
    body["Status"] = status
    return status, body


def _page(ctx: Context, items: list[Any], default: int = 100, limit: int = 100) -> tuple[list[Any], str | None]:
    max_results = ctx.query_one("max-results")
    try:
        return paginate(items, ctx.query_one("next-token"), int(max_results) if max_results else None, default, limit)
    except ValueError as exc:
        raise invalid(str(exc)) from exc
    except KeyError as exc:
        raise qs_error("InvalidNextTokenException", "The next token is not valid.") from exc


# --------------------------------------------------------------------------
# Permissions


def _validate_permissions(perms: list[dict[str, Any]] | None) -> None:
    for perm in perms or []:
        principal = perm.get("Principal") or ""
        if not principal.startswith("arn:aws:quicksight:") and not principal.startswith("arn:aws:iam::"):
            raise invalid(f"Invalid principal: {principal}")
        if not perm.get("Actions"):
            raise invalid("Actions must contain at least one action")


# The complete action sets QuickSight accepts per resource type (a viewer
# set and an owner set).  QuickSight refuses any other list with
# InvalidParameterValueException "ResourcePermission list contains
# unsupported permission sets [...] for this resource. Valid sets : [...] or
# [...]" -- quoted for folders in hashicorp/terraform-provider-aws PR #30400
# ("all permissions needs to be included in grants, even already present
# actions") and issue #32680 (a revoke list that is not a whole set fails
# the same way).  The sets for data sources and data sets are the ones
# Terraform's acceptance tests use (internal/service/quicksight/
# data_source_test.go testAccDataSourceConfig_permissions: DescribeDataSource,
# DescribeDataSourcePermissions, PassDataSource; the update step adds
# UpdateDataSource, DeleteDataSource, UpdateDataSourcePermissions) and the
# QuickSight API reference examples for CreateDataSet/CreateDataSource.
PERMISSION_SETS = {
    "DATA_SOURCE": [
        ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"],
        [
            "quicksight:DescribeDataSource",
            "quicksight:DescribeDataSourcePermissions",
            "quicksight:PassDataSource",
            "quicksight:UpdateDataSource",
            "quicksight:DeleteDataSource",
            "quicksight:UpdateDataSourcePermissions",
        ],
    ],
    "DATA_SET": [
        [
            "quicksight:DescribeDataSet",
            "quicksight:DescribeDataSetPermissions",
            "quicksight:PassDataSet",
            "quicksight:DescribeIngestion",
            "quicksight:ListIngestions",
        ],
        [
            "quicksight:DescribeDataSet",
            "quicksight:DescribeDataSetPermissions",
            "quicksight:PassDataSet",
            "quicksight:DescribeIngestion",
            "quicksight:ListIngestions",
            "quicksight:UpdateDataSet",
            "quicksight:DeleteDataSet",
            "quicksight:CreateIngestion",
            "quicksight:CancelIngestion",
            "quicksight:UpdateDataSetPermissions",
        ],
        # The owner set the console grants since refresh schedules became API
        # resources: the ten above plus the refresh-schedule and
        # refresh-properties actions.  Terraform and CDK estates applied to
        # real AWS grant exactly this list (for example the
        # aws_quicksight_data_set permissions blocks and CfnDataSet
        # permissions found by the search tool's code corpus), which AWS
        # would refuse if it were not a valid set.
        [
            "quicksight:DescribeDataSet",
            "quicksight:DescribeDataSetPermissions",
            "quicksight:PassDataSet",
            "quicksight:DescribeIngestion",
            "quicksight:ListIngestions",
            "quicksight:UpdateDataSet",
            "quicksight:DeleteDataSet",
            "quicksight:CreateIngestion",
            "quicksight:CancelIngestion",
            "quicksight:UpdateDataSetPermissions",
            "quicksight:CreateRefreshSchedule",
            "quicksight:DescribeRefreshSchedule",
            "quicksight:ListRefreshSchedules",
            "quicksight:UpdateRefreshSchedule",
            "quicksight:DeleteRefreshSchedule",
            "quicksight:PutDataSetRefreshProperties",
            "quicksight:DescribeDataSetRefreshProperties",
            "quicksight:DeleteDataSetRefreshProperties",
        ],
    ],
}


def _check_permission_set(kind: str, actions: Any) -> None:
    valid = PERMISSION_SETS.get(kind)
    if valid is None:
        return  # no evidence of fixed sets for this resource type
    if {a for a in actions} in [set(v) for v in valid]:
        return
    listed = ", ".join(actions)
    sets = " or ".join("[" + ", ".join(v) + "]" for v in valid)
    raise invalid(f"ResourcePermission list contains unsupported permission sets [{listed}] for this resource. Valid sets : {sets}")


def _grant(current: dict[str, set[str]], perms: list[dict[str, Any]] | None) -> None:
    for perm in perms or []:
        current.setdefault(perm["Principal"], set()).update(perm["Actions"])


def _revoke(current: dict[str, set[str]], perms: list[dict[str, Any]] | None) -> None:
    for perm in perms or []:
        actions = current.get(perm["Principal"])
        if actions is None:
            continue
        actions.difference_update(perm["Actions"])
        if not actions:
            del current[perm["Principal"]]


def _render_permissions(current: dict[str, set[str]]) -> list[dict[str, Any]]:
    return [{"Principal": p, "Actions": sorted(a)} for p, a in current.items()]


def _update_permissions(ctx: Context, current: dict[str, set[str]], kind: str) -> None:
    body = ctx.json()
    grant, revoke = body.get("GrantPermissions"), body.get("RevokePermissions")
    for name, perms in (("GrantPermissions", grant), ("RevokePermissions", revoke)):
        if perms is not None and not 1 <= len(perms) <= 64:
            raise invalid(f"{name} must contain between 1 and 64 entries")
    _validate_permissions(grant)
    _validate_permissions(revoke)
    result = {p: set(a) for p, a in current.items()}
    # Revokes first, then grants: "revoke the owner set, grant the viewer
    # set" in one call leaves the viewer set (an inference; see EVIDENCE.md).
    _revoke(result, revoke)
    _grant(result, grant)
    if faithful():
        for perm in (grant or []) + (revoke or []):
            _check_permission_set(kind, perm["Actions"])
        for actions in result.values():
            _check_permission_set(kind, sorted(actions))
    current.clear()
    current.update(result)


# --------------------------------------------------------------------------
# Data sources

DS_DEFINITION = ("Name", "Type", "DataSourceParameters", "VpcConnectionProperties", "SslProperties")


def _data_source(ctx: Context) -> DataSource:
    ds_id = ctx.uri_params.get("DataSourceId")
    ds = _store(ctx).data_sources.get(ds_id or "")
    if ds is None:
        raise qs_error("ResourceNotFoundException", f"DataSource {ds_id} not found", "DATA_SOURCE")
    return ds


def _check_parameters(ctx: Context, ds_type: str, params: dict[str, Any] | None) -> dict[str, str] | None:
    """Validate DataSourceParameters; answer the connection error AWS would
    report in ErrorInfo (None when the source is reachable)."""
    if not params and ds_type == "ATHENA":
        # An ATHENA source needs no parameters: CreateDataSourceRequest's
        # required members are AwsAccountId, DataSourceId, Name and Type
        # only, AthenaParameters has no required member (botocore
        # quicksight model), and the QuickSight developer guide's own
        # example creates one without any: `aws quicksight
        # create-data-source --aws-account-id AWSACCOUNTID --data-source-id
        # DATASOURCEID --name NAME --type ATHENA`
        # (https://docs.aws.amazon.com/quicksight/latest/developerguide/create-data-source.html).
        # Athena then runs in its default workgroup, as with an
        # AthenaParameters that names none.  Nothing is filled in on
        # describe: no evidence says QuickSight adds parameters.
        params = {"AthenaParameters": {}}
    if not params or len(params) != 1:
        raise invalid("DataSourceParameters must contain exactly one set of parameters")
    expected = {"ATHENA": "AthenaParameters", "S3": "S3Parameters"}.get(ds_type)
    if expected and expected not in params:
        raise invalid(f"DataSourceParameters must be {expected} for data source type {ds_type}")
    if ds_type == "ATHENA":
        from moto.athena.models import athena_backends

        workgroup = params["AthenaParameters"].get("WorkGroup") or "primary"
        if workgroup not in athena_backends[ctx.account][ctx.region].work_groups:
            return {"Type": "GENERIC_SQL_FAILURE", "Message": f"WorkGroup {workgroup} is not found."}
    return None


def _credentials(ds: DataSource, creds: dict[str, Any] | None) -> None:
    # Credentials are write-only: keep only what AWS exposes (SecretArn)
    # and a fingerprint, never the secret itself.
    if creds is None:
        return
    ds.secret_arn = creds.get("SecretArn")
    ds.credentials_fingerprint = hashlib.sha256(repr(sorted(creds.items())).encode()).hexdigest()


ASSUME_ROLE_MESSAGE = "Failed to assume your role. Verify the trust relationships of the role in the IAM console."


def _role_arn(v: Any) -> str | None:
    """The first RoleArn in a data source's parameters (AthenaParameters,
    S3Parameters, ...), at any depth."""
    if isinstance(v, dict):
        for key, value in v.items():
            if key == "RoleArn" and isinstance(value, str):
                return value
            found = _role_arn(value)
            if found:
                return found
    elif isinstance(v, list):
        for item in v:
            found = _role_arn(item)
            if found:
                return found
    return None


def check_role_propagated(params: Any) -> None:
    """The opt-in IAM propagation fault (POST /_twh/faults
    {"iam_propagation_seconds": N}) for data sources whose parameters name a
    RoleArn created less than N seconds ago: AccessDeniedException "Failed to
    assume your role. Verify the trust relationships of the role in the IAM
    console." -- the answer hashicorp/terraform-provider-aws
    internal/service/quicksight/data_source.go retries CreateDataSource and
    UpdateDataSource on for its propagationTimeout
    (accessDeniedExceptionAssumeRoleMessage, "the error returned when the IAM
    role has not yet propagated")."""
    if role_not_propagated(_role_arn(params)):
        raise qs_error("AccessDeniedException", ASSUME_ROLE_MESSAGE)


def create_data_source(ctx: Context) -> tuple[int, dict[str, Any]]:
    body = ctx.json()
    for name in ("DataSourceId", "Name", "Type"):
        if not body.get(name):
            raise invalid(f"{name} is required")
    st = _store(ctx)
    ds_id = body["DataSourceId"]
    if ds_id in st.data_sources:
        raise qs_error("ResourceExistsException", f"DataSource {ds_id} already exists", "DATA_SOURCE")
    _validate_permissions(body.get("Permissions"))
    if faithful():
        for perm in body.get("Permissions") or []:
            _check_permission_set("DATA_SOURCE", perm["Actions"])
    error = _check_parameters(ctx, body["Type"], body.get("DataSourceParameters"))
    check_role_propagated(body.get("DataSourceParameters"))
    stamp = time.time()
    ds = DataSource(
        id=ds_id,
        arn=st.arn("datasource", ds_id),
        definition={k: copy.deepcopy(body[k]) for k in DS_DEFINITION if k in body},
        created=stamp,
        updated=stamp,
        status="CREATION_IN_PROGRESS",
    )
    _finish_later(ds, "CREATION", error)
    _credentials(ds, body.get("Credentials"))
    _grant(ds.permissions, body.get("Permissions"))
    st.data_sources[ds_id] = ds
    st.tags[ds.arn] = {t["Key"]: t["Value"] for t in body.get("Tags") or []}
    # Creation is asynchronous in AWS: the answer says IN_PROGRESS, Describe
    # then reports the outcome.
    return ok({"Arn": ds.arn, "DataSourceId": ds_id, "CreationStatus": "CREATION_IN_PROGRESS"}, 202)


def _finish_later(ds: DataSource, phase: str, error: dict[str, str] | None) -> None:
    """Creating and updating a data source finish asynchronously: the
    answer says CREATION_IN_PROGRESS / UPDATE_IN_PROGRESS, DescribeDataSource
    says so for ``data_source_seconds`` and then gives the outcome.
    Sources: the botocore quicksight model (CreateDataSourceResponse
    CreationStatus / UpdateDataSourceResponse UpdateStatus, ResourceStatus
    CREATION_IN_PROGRESS | CREATION_SUCCESSFUL | CREATION_FAILED | ...);
    hashicorp/terraform-provider-aws internal/service/quicksight/
    data_source.go waitDataSourceCreated (Pending
    ResourceStatusCreationInProgress, Target ResourceStatusCreationSuccessful,
    5 minutes) and waitDataSourceUpdated.  With TWH_EMULATOR_VERBATIM=1 the
    outcome is immediate."""
    ds.status = f"{phase}_IN_PROGRESS"
    ds.error = None
    outcome = f"{phase}_FAILED" if error else f"{phase}_SUCCESSFUL"
    token = object()
    ds.pending = token  # type: ignore[attr-defined]

    def finish() -> None:
        if getattr(ds, "pending", None) is token:
            ds.status = outcome
            ds.error = error
            ds.pending = None  # type: ignore[attr-defined]

    delay = SETTINGS.data_source_seconds if faithful() else 0.0
    if delay <= 0:
        finish()
    else:
        SCHEDULER.at(time.time() + delay, finish)


def render_data_source(ds: DataSource) -> dict[str, Any]:
    d = ds.definition
    out: dict[str, Any] = {
        "Arn": ds.arn,
        "DataSourceId": ds.id,
        "Name": d["Name"],
        "Type": d["Type"],
        "Status": ds.status,
        "CreatedTime": ds.created,
        "LastUpdatedTime": ds.updated,
    }
    if d.get("DataSourceParameters"):
        out["DataSourceParameters"] = copy.deepcopy(d["DataSourceParameters"])
        if faithful():
            out["AlternateDataSourceParameters"] = [copy.deepcopy(d["DataSourceParameters"])]
    if d.get("VpcConnectionProperties"):
        out["VpcConnectionProperties"] = copy.deepcopy(d["VpcConnectionProperties"])
    if faithful():
        # Echoed when unset: cds-snc/notification-terraform#880 had to set
        # ssl_properties {disable_ssl = false} to silence a perpetual diff.
        out["SslProperties"] = copy.deepcopy(d.get("SslProperties") or {"DisableSsl": False})
    elif d.get("SslProperties"):
        out["SslProperties"] = copy.deepcopy(d["SslProperties"])
    if ds.error:
        out["ErrorInfo"] = dict(ds.error)
    if ds.secret_arn:
        out["SecretArn"] = ds.secret_arn
    return out


def describe_data_source(ctx: Context) -> tuple[int, dict[str, Any]]:
    return ok({"DataSource": render_data_source(_data_source(ctx))})


def list_data_sources(ctx: Context) -> tuple[int, dict[str, Any]]:
    page, token = _page(ctx, list(_store(ctx).data_sources.values()))
    body: dict[str, Any] = {"DataSources": [render_data_source(ds) for ds in page]}
    if token:
        body["NextToken"] = token
    return ok(body)


def update_data_source(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_source(ctx)
    body = ctx.json()
    if not body.get("Name"):
        raise invalid("Name is required")
    if ds.status.endswith("IN_PROGRESS"):
        raise qs_error("ConflictException", f"DataSource {ds.id} is being updated")
    new = copy.deepcopy(ds.definition)
    for key in ("Name", "DataSourceParameters", "VpcConnectionProperties", "SslProperties"):
        if key in body:
            new[key] = copy.deepcopy(body[key])
    error = _check_parameters(ctx, new["Type"], new.get("DataSourceParameters"))
    check_role_propagated(new.get("DataSourceParameters"))
    ds.definition = new
    _credentials(ds, body.get("Credentials"))
    _finish_later(ds, "UPDATE", error)
    ds.updated = time.time()
    return ok({"Arn": ds.arn, "DataSourceId": ds.id, "UpdateStatus": "UPDATE_IN_PROGRESS"}, 202)


def delete_data_source(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_source(ctx)
    st = _store(ctx)
    del st.data_sources[ds.id]
    st.tags.pop(ds.arn, None)
    return ok({"Arn": ds.arn, "DataSourceId": ds.id})


def describe_data_source_permissions(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_source(ctx)
    return ok({"DataSourceArn": ds.arn, "DataSourceId": ds.id, "Permissions": _render_permissions(ds.permissions)})


def update_data_source_permissions(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_source(ctx)
    _update_permissions(ctx, ds.permissions, "DATA_SOURCE")
    return ok({"DataSourceArn": ds.arn, "DataSourceId": ds.id})


# --------------------------------------------------------------------------
# Data sets

DATASET_DEFINITION = (
    # Everything UpdateDataSet takes: the "whole definition" it replaces.
    "Name",
    "PhysicalTableMap",
    "LogicalTableMap",
    "ImportMode",
    "ColumnGroups",
    "FieldFolders",
    "RowLevelPermissionDataSet",
    "RowLevelPermissionTagConfiguration",
    "ColumnLevelPermissionRules",
    "DataSetUsageConfiguration",
    "DatasetParameters",
    "PerformanceConfiguration",
    "DataPrepConfiguration",
    "SemanticModelConfiguration",
)

OUTPUT_TYPE = {
    "STRING": "STRING",
    "INTEGER": "INTEGER",
    "DECIMAL": "DECIMAL",
    "DATETIME": "DATETIME",
    "BIT": "INTEGER",
    "BOOLEAN": "STRING",
    "JSON": "STRING",
    "SEMISTRUCT": "STRING",
}


def _data_set(ctx: Context) -> DataSet:
    ds_id = ctx.uri_params.get("DataSetId")
    ds = _store(ctx).data_sets.get(ds_id or "")
    if ds is None:
        raise qs_error("ResourceNotFoundException", f"DataSet {ds_id} not found", "DATA_SET")
    return ds


def _physical_columns(table: dict[str, Any]) -> list[dict[str, Any]]:
    for kind, key in (
        ("RelationalTable", "InputColumns"),
        ("CustomSql", "Columns"),
        ("S3Source", "InputColumns"),
        ("SaaSTable", "InputColumns"),
    ):
        if kind in table:
            return table[kind].get(key) or []
    return []


def _validate_data_set(st: QuickSightStore, d: dict[str, Any]) -> None:
    if not d.get("Name"):
        raise invalid("Name is required")
    if d.get("ImportMode") not in ("SPICE", "DIRECT_QUERY"):
        raise invalid("ImportMode must be SPICE or DIRECT_QUERY")
    physical = d.get("PhysicalTableMap") or {}
    if not physical and not d.get("DataPrepConfiguration"):
        raise invalid("PhysicalTableMap must contain at least one table")
    if len(physical) > 32:
        raise invalid("PhysicalTableMap can contain at most 32 tables")
    for pid, table in physical.items():
        kinds = [k for k in ("RelationalTable", "CustomSql", "S3Source", "SaaSTable") if k in table]
        if len(kinds) != 1:
            raise invalid(f"PhysicalTable {pid} must have exactly one of RelationalTable, CustomSql, S3Source, SaaSTable")
        arn = table[kinds[0]].get("DataSourceArn")
        if arn and arn.rsplit("/", 1)[-1] not in st.data_sources:
            raise qs_error("ResourceNotFoundException", f"DataSource {arn} not found", "DATA_SOURCE")
    for lid, logical in (d.get("LogicalTableMap") or {}).items():
        source = logical.get("Source") or {}
        present = [k for k in ("PhysicalTableId", "JoinInstruction", "DataSetArn") if source.get(k)]
        if len(present) != 1:
            raise invalid("Exactly one of PhysicalTableId, JoinInstruction or DataSetArn must be set for LogicalTable")
        if not logical.get("Alias"):
            raise invalid(f"LogicalTable {lid} must have an Alias")
        if source.get("PhysicalTableId") and source["PhysicalTableId"] not in physical:
            raise invalid(f"PhysicalTableId {source['PhysicalTableId']} is not in the PhysicalTableMap")
    if d.get("DataPrepConfiguration") and d.get("LogicalTableMap"):
        raise invalid("A data set cannot have both DataPrepConfiguration and LogicalTableMap")


def _normalise_definition(d: dict[str, Any]) -> dict[str, Any]:
    """Fill what QuickSight fills server-side."""
    d = copy.deepcopy(d)
    # Filled in both modes: the emulator filled these before the verbatim
    # switch existed, and verbatim is that old emulator.
    if not d.get("LogicalTableMap") and not d.get("DataPrepConfiguration"):
        generated = {}
        for pid, table in (d.get("PhysicalTableMap") or {}).items():
            inner = next(iter(table.values()))
            alias = inner.get("Name") or pid
            lid = hashlib.sha1(pid.encode()).hexdigest()[:32]
            generated[lid] = {"Alias": alias, "Source": {"PhysicalTableId": pid}}
        d["LogicalTableMap"] = generated
    # terraform-provider-aws internal/service/quicksight/data_set.go marks
    # logical_table_map and data_set_usage_configuration Optional+Computed
    # because QuickSight fills them (notes/AWS_RECONCILER_FACTS.md §1.2).
    usage = {"DisableUseAsDirectQuerySource": False, "DisableUseAsImportedSource": False}
    usage.update(d.get("DataSetUsageConfiguration") or {})
    d["DataSetUsageConfiguration"] = usage
    return d


def _output_columns(st: QuickSightStore, d: dict[str, Any]) -> list[dict[str, Any]]:
    """OutputColumns as QuickSight computes them: the physical table's input
    columns, through joins and the logical tables' transforms."""
    physical = d.get("PhysicalTableMap") or {}
    logical = d.get("LogicalTableMap") or {}

    def from_physical(pid: str) -> list[dict[str, Any]]:
        cols = []
        for col in _physical_columns(physical.get(pid) or {}):
            out = {"Name": col["Name"], "Type": OUTPUT_TYPE.get(col.get("Type", "STRING"), "STRING")}
            if out["Type"] == "DECIMAL":
                out["SubType"] = col.get("SubType", "FLOAT")
            cols.append(out)
        return cols

    def of(lid: str, depth: int = 0) -> list[dict[str, Any]]:
        if depth > 32 or lid not in logical:
            return []
        table = logical[lid]
        source = table.get("Source") or {}
        if source.get("PhysicalTableId"):
            cols = from_physical(source["PhysicalTableId"])
        elif source.get("JoinInstruction"):
            join = source["JoinInstruction"]
            cols = of(join.get("LeftOperand", ""), depth + 1) + of(join.get("RightOperand", ""), depth + 1)
        elif source.get("DataSetArn"):
            other = st.data_sets.get(source["DataSetArn"].rsplit("/", 1)[-1])
            cols = _output_columns(st, other.definition) if other else []
        else:
            cols = []
        cols = copy.deepcopy(cols)
        for transform in table.get("DataTransforms") or []:
            if "ProjectOperation" in transform:
                wanted = transform["ProjectOperation"].get("ProjectedColumns") or []
                by_name = {c["Name"]: c for c in cols}
                cols = [by_name[n] for n in wanted if n in by_name]
            elif "RenameColumnOperation" in transform:
                op = transform["RenameColumnOperation"]
                for c in cols:
                    if c["Name"] == op.get("ColumnName"):
                        c["Name"] = op.get("NewColumnName")
            elif "CastColumnTypeOperation" in transform:
                op = transform["CastColumnTypeOperation"]
                for c in cols:
                    if c["Name"] == op.get("ColumnName"):
                        c["Type"] = op.get("NewColumnType", c["Type"])
                        c.pop("SubType", None)
                        if c["Type"] == "DECIMAL":
                            c["SubType"] = op.get("SubType", "FLOAT")
            elif "CreateColumnsOperation" in transform:
                for new in transform["CreateColumnsOperation"].get("Columns") or []:
                    cols.append({"Name": new["ColumnName"], "Type": "STRING"})
            elif "TagColumnOperation" in transform:
                op = transform["TagColumnOperation"]
                for tag in op.get("Tags") or []:
                    text = (tag.get("ColumnDescription") or {}).get("Text")
                    if text is not None:
                        for c in cols:
                            if c["Name"] == op.get("ColumnName"):
                                c["Description"] = text
        return cols

    used = set()
    for table in logical.values():
        join = (table.get("Source") or {}).get("JoinInstruction")
        if join:
            used.update([join.get("LeftOperand"), join.get("RightOperand")])
    roots = [lid for lid in logical if lid not in used]
    out: list[dict[str, Any]] = []
    for lid in roots:
        out.extend(of(lid))
    return out


def _start_ingestion(ds: DataSet, ingestion_id: str, request_type: str, st: QuickSightStore) -> Ingestion:
    stamp = time.time()
    ing = Ingestion(
        id=ingestion_id,
        arn=f"{ds.arn}/ingestion/{ingestion_id}",
        created=stamp,
        deadline=stamp + SETTINGS.ingestion_seconds,
        request_type=request_type,
    )
    ds.ingestions[ingestion_id] = ing

    def complete() -> None:
        if ing.status == "RUNNING":
            ing.status = "COMPLETED"
            ing.size = 1024 * max(1, len(_output_columns(st, ds.definition)))
            ds.consumed_spice = ing.size

    SCHEDULER.at(ing.deadline, complete)
    return ing


def create_data_set(ctx: Context) -> tuple[int, dict[str, Any]]:
    body = ctx.json()
    st = _store(ctx)
    ds_id = body.get("DataSetId")
    if not ds_id:
        raise invalid("DataSetId is required")
    if ds_id in st.data_sets:
        raise qs_error("ResourceExistsException", f"DataSet {ds_id} already exists", "DATA_SET")
    definition = {k: copy.deepcopy(body[k]) for k in DATASET_DEFINITION if k in body}
    _validate_data_set(st, definition)
    _validate_permissions(body.get("Permissions"))
    if faithful():
        for perm in body.get("Permissions") or []:
            _check_permission_set("DATA_SET", perm["Actions"])
    stamp = time.time()
    ds = DataSet(
        id=ds_id,
        arn=st.arn("dataset", ds_id),
        definition=_normalise_definition(definition),
        created=stamp,
        updated=stamp,
        use_as=body.get("UseAs"),
    )
    _grant(ds.permissions, body.get("Permissions"))
    st.data_sets[ds_id] = ds
    st.tags[ds.arn] = {t["Key"]: t["Value"] for t in body.get("Tags") or []}
    answer: dict[str, Any] = {"Arn": ds.arn, "DataSetId": ds_id}
    if ds.import_mode == "SPICE":
        ing = _start_ingestion(ds, request_id(), "INITIAL_INGESTION", st)
        answer.update({"IngestionArn": ing.arn, "IngestionId": ing.id})
    return ok(answer, 201)


def render_data_set(st: QuickSightStore, ds: DataSet) -> dict[str, Any]:
    d = ds.definition
    out: dict[str, Any] = {
        "Arn": ds.arn,
        "DataSetId": ds.id,
        "Name": d["Name"],
        "CreatedTime": ds.created,
        "LastUpdatedTime": ds.updated,
    }
    for key in DATASET_DEFINITION:
        if key != "Name" and key in d:
            out[key] = copy.deepcopy(d[key])
    out["OutputColumns"] = _output_columns(st, d)
    out["ConsumedSpiceCapacityInBytes"] = ds.consumed_spice if ds.import_mode == "SPICE" else 0
    if ds.use_as:
        out["UseAs"] = ds.use_as
    return out


def describe_data_set(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    if ds.new_data_prep:
        # aws/aws-cli#9825
        raise invalid("DescribeDataSet is not supported for this dataSet in new data preparation experience")
    return ok({"DataSet": render_data_set(_store(ctx), ds)})


def list_data_sets(ctx: Context) -> tuple[int, dict[str, Any]]:
    page, token = _page(ctx, list(_store(ctx).data_sets.values()))
    summaries = []
    for ds in page:
        d = ds.definition
        summary: dict[str, Any] = {
            "Arn": ds.arn,
            "DataSetId": ds.id,
            "Name": d["Name"],
            "CreatedTime": ds.created,
            "LastUpdatedTime": ds.updated,
            "ImportMode": ds.import_mode,
            "RowLevelPermissionTagConfigurationApplied": bool(d.get("RowLevelPermissionTagConfiguration")),
            "ColumnLevelPermissionRulesApplied": bool(d.get("ColumnLevelPermissionRules")),
        }
        if d.get("RowLevelPermissionDataSet"):
            summary["RowLevelPermissionDataSet"] = copy.deepcopy(d["RowLevelPermissionDataSet"])
        if ds.use_as:
            summary["UseAs"] = ds.use_as
        summaries.append(summary)
    body: dict[str, Any] = {"DataSetSummaries": summaries}
    if token:
        body["NextToken"] = token
    return ok(body)


def update_data_set(ctx: Context) -> tuple[int, dict[str, Any]]:
    """Full replace: members left out are gone afterwards (the generated
    LogicalTableMap and usage defaults come back as on create)."""
    ds = _data_set(ctx)
    st = _store(ctx)
    body = ctx.json()
    definition = {k: copy.deepcopy(body[k]) for k in DATASET_DEFINITION if k in body}
    _validate_data_set(st, definition)
    ds.definition = _normalise_definition(definition)
    ds.updated = time.time()
    answer: dict[str, Any] = {"Arn": ds.arn, "DataSetId": ds.id}
    if ds.import_mode == "SPICE":
        ing = _start_ingestion(ds, request_id(), "EDIT", st)
        answer.update({"IngestionArn": ing.arn, "IngestionId": ing.id})
    else:
        ds.refresh_properties = None
    return ok(answer, 201)


def delete_data_set(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    st = _store(ctx)
    del st.data_sets[ds.id]
    st.tags.pop(ds.arn, None)
    return ok({"Arn": ds.arn, "DataSetId": ds.id})


def describe_data_set_permissions(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)  # works for new data-prep data sets too
    return ok({"DataSetArn": ds.arn, "DataSetId": ds.id, "Permissions": _render_permissions(ds.permissions)})


def update_data_set_permissions(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _update_permissions(ctx, ds.permissions, "DATA_SET")
    return ok({"DataSetArn": ds.arn, "DataSetId": ds.id})


# --------------------------------------------------------------------------
# Refresh properties and schedules (SPICE only)


def _spice(ds: DataSet) -> None:
    if ds.import_mode != "SPICE":
        # terraform-provider-aws #31485: the error Read must swallow.
        raise invalid(f"Dataset {ds.id} is not a SPICE dataset.")


def put_refresh_properties(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _spice(ds)
    props = ctx.json().get("DataSetRefreshProperties")
    if not props:
        raise invalid("DataSetRefreshProperties is required")
    window = (((props.get("RefreshConfiguration") or {}).get("IncrementalRefresh") or {}).get("LookbackWindow")) or {}
    if window:
        names = {c["Name"]: c["Type"] for c in _output_columns(_store(ctx), ds.definition)}
        if window.get("ColumnName") not in names:
            raise invalid(f"LookbackWindow column {window.get('ColumnName')} is not a column of the dataset")
        if names[window["ColumnName"]] != "DATETIME":
            raise invalid(f"LookbackWindow column {window['ColumnName']} must be a DATETIME column")
    ds.refresh_properties = copy.deepcopy(props)
    return ok({})


def describe_refresh_properties(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _spice(ds)
    if ds.refresh_properties is None:
        raise qs_error("ResourceNotFoundException", f"Refresh properties for dataset {ds.id} not found", "DATA_SET")
    return ok({"DataSetRefreshProperties": copy.deepcopy(ds.refresh_properties)})


def delete_refresh_properties(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _spice(ds)
    if ds.refresh_properties is None:
        raise qs_error("ResourceNotFoundException", f"Refresh properties for dataset {ds.id} not found", "DATA_SET")
    if any(s.get("RefreshType") == "INCREMENTAL_REFRESH" for s in ds.schedules.values()):
        raise qs_error("ConflictException", "Refresh properties are used by an incremental refresh schedule")
    ds.refresh_properties = None
    return ok({})


def _schedule_arn(ds: DataSet, sid: str) -> str:
    return f"{ds.arn}/refresh-schedule/{sid}"


def _validate_schedule(ds: DataSet, schedule: dict[str, Any] | None) -> dict[str, Any]:
    if not schedule or not schedule.get("ScheduleId"):
        raise invalid("Schedule.ScheduleId is required")
    freq = schedule.get("ScheduleFrequency") or {}
    if freq.get("Interval") not in ("MINUTE15", "MINUTE30", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"):
        raise invalid("Schedule.ScheduleFrequency.Interval is not valid")
    if freq["Interval"] in ("WEEKLY", "MONTHLY") and not freq.get("RefreshOnDay"):
        raise invalid(f"RefreshOnDay is required for {freq['Interval']} schedules")
    if schedule.get("RefreshType") not in ("FULL_REFRESH", "INCREMENTAL_REFRESH"):
        raise invalid("Schedule.RefreshType must be FULL_REFRESH or INCREMENTAL_REFRESH")
    if schedule["RefreshType"] == "INCREMENTAL_REFRESH":
        incremental = ((ds.refresh_properties or {}).get("RefreshConfiguration") or {}).get("IncrementalRefresh")
        if not incremental:
            raise qs_error(
                "PreconditionNotMetException",
                "Incremental refresh schedules need the dataset's refresh properties to configure incremental refresh",
            )
    out = copy.deepcopy(schedule)
    out.pop("Arn", None)
    if not faithful():
        return out
    # StartAfterDateTime is filled with "now" when left out.
    out.setdefault("StartAfterDateTime", time.time())
    # AWS fills TimeOfTheDay and Timezone when they are left out:
    # hashicorp/terraform-provider-aws internal/service/quicksight/
    # refresh_schedule.go marks both Optional+Computed, and
    # refresh_schedule_test.go's weekly and monthly schedules omit them yet
    # import-verify clean.  The values are not documented: Timezone "UTC"
    # (schedules written without a Timezone are read as UTC by their users)
    # and the time of day of StartAfterDateTime are this emulator's choice
    # (EVIDENCE.md, "inferred").
    freq = out["ScheduleFrequency"]
    freq.setdefault("Timezone", "UTC")
    if "TimeOfTheDay" not in freq:
        start = time.gmtime(out["StartAfterDateTime"])
        freq["TimeOfTheDay"] = f"{start.tm_hour:02d}:{start.tm_min:02d}"
    return out


def create_refresh_schedule(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _spice(ds)
    schedule = _validate_schedule(ds, ctx.json().get("Schedule"))
    sid = schedule["ScheduleId"]
    if sid in ds.schedules:
        raise qs_error("ResourceExistsException", f"Refresh schedule {sid} already exists", "DATA_SET")
    if len(ds.schedules) >= MAX_SCHEDULES:
        raise qs_error("LimitExceededException", f"A dataset can have at most {MAX_SCHEDULES} refresh schedules", "DATA_SET")
    ds.schedules[sid] = schedule
    return ok({"ScheduleId": sid, "Arn": _schedule_arn(ds, sid)}, 201)


def update_refresh_schedule(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    _spice(ds)
    schedule = _validate_schedule(ds, ctx.json().get("Schedule"))
    sid = schedule["ScheduleId"]
    if sid not in ds.schedules:
        raise qs_error("ResourceNotFoundException", f"Refresh schedule {sid} not found", "DATA_SET")
    ds.schedules[sid] = schedule
    return ok({"ScheduleId": sid, "Arn": _schedule_arn(ds, sid)})


def _schedule(ctx: Context, ds: DataSet) -> dict[str, Any]:
    sid = ctx.uri_params.get("ScheduleId")
    if sid not in ds.schedules:
        raise qs_error("ResourceNotFoundException", f"Refresh schedule {sid} not found", "DATA_SET")
    return ds.schedules[sid]


def describe_refresh_schedule(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    schedule = _schedule(ctx, ds)
    # terraform-provider-aws notes RefreshSchedule.Arn is always empty here;
    # the schedule's ARN is the top-level Arn.
    return ok({"RefreshSchedule": copy.deepcopy(schedule), "Arn": _schedule_arn(ds, schedule["ScheduleId"])})


def list_refresh_schedules(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    schedules = []
    for sid, schedule in ds.schedules.items():
        item = copy.deepcopy(schedule)
        item["Arn"] = _schedule_arn(ds, sid)
        schedules.append(item)
    return ok({"RefreshSchedules": schedules})


def delete_refresh_schedule(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    schedule = _schedule(ctx, ds)
    del ds.schedules[schedule["ScheduleId"]]
    return ok({"ScheduleId": schedule["ScheduleId"], "Arn": _schedule_arn(ds, schedule["ScheduleId"])})


# --------------------------------------------------------------------------
# Ingestions


def _render_ingestion(ing: Ingestion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Arn": ing.arn,
        "IngestionId": ing.id,
        "IngestionStatus": ing.status,
        "CreatedTime": ing.created,
        "RequestSource": ing.request_source,
        "RequestType": ing.request_type,
    }
    if ing.status == "COMPLETED":
        out["IngestionTimeInSeconds"] = max(0, int(ing.deadline - ing.created))
        out["IngestionSizeInBytes"] = ing.size
        out["RowInfo"] = {"RowsIngested": 0, "RowsDropped": 0, "TotalRowsInDataset": 0}
    return out


def create_ingestion(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    if ds.import_mode != "SPICE":
        raise invalid(f"Dataset {ds.id} is not a SPICE dataset.")
    ing_id = ctx.uri_params.get("IngestionId") or ""
    if ing_id in ds.ingestions:
        raise qs_error("ResourceExistsException", f"Ingestion {ing_id} already exists", "INGESTION")
    day_ago = time.time() - 86400
    manual = [i for i in ds.ingestions.values() if i.request_type in ("FULL_REFRESH", "INCREMENTAL_REFRESH") and i.created > day_ago]
    if len(manual) >= MANUAL_REFRESH_QUOTA:
        raise qs_error("LimitExceededException", "Manual refresh limit exceeded for this dataset", "INGESTION")
    kind = ctx.json().get("IngestionType") or "FULL_REFRESH"
    ing = _start_ingestion(ds, ing_id, kind, _store(ctx))
    return ok({"Arn": ing.arn, "IngestionId": ing.id, "IngestionStatus": "INITIALIZED"}, 201)


def describe_ingestion(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    ing = ds.ingestions.get(ctx.uri_params.get("IngestionId") or "")
    if ing is None:
        raise qs_error("ResourceNotFoundException", f"Ingestion {ctx.uri_params.get('IngestionId')} not found", "INGESTION")
    return ok({"Ingestion": _render_ingestion(ing)})


def list_ingestions(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    ingestions = sorted(ds.ingestions.values(), key=lambda i: i.created, reverse=True)
    page, token = _page(ctx, ingestions)
    body: dict[str, Any] = {"Ingestions": [_render_ingestion(i) for i in page]}
    if token:
        body["NextToken"] = token
    return ok(body)


def cancel_ingestion(ctx: Context) -> tuple[int, dict[str, Any]]:
    ds = _data_set(ctx)
    ing = ds.ingestions.get(ctx.uri_params.get("IngestionId") or "")
    if ing is None:
        raise qs_error("ResourceNotFoundException", f"Ingestion {ctx.uri_params.get('IngestionId')} not found", "INGESTION")
    if ing.status == "RUNNING":
        ing.status = "CANCELLED"
    return ok({"Arn": ing.arn, "IngestionId": ing.id})


# --------------------------------------------------------------------------
# Tags


def _tagged(ctx: Context) -> tuple[QuickSightStore, str]:
    arn = ctx.uri_params.get("ResourceArn") or ""
    parts = arn.split(":")
    if len(parts) < 6:
        raise invalid(f"Invalid resource arn {arn}")
    st = STORE(parts[4], parts[3])
    if arn not in st.tags:
        raise qs_error("ResourceNotFoundException", f"Resource {arn} not found")
    return st, arn


def tag_resource(ctx: Context) -> tuple[int, dict[str, Any]]:
    st, arn = _tagged(ctx)
    tags = ctx.json().get("Tags") or []
    if not tags:
        raise invalid("Tags must contain at least one tag")
    merged = dict(st.tags[arn])
    merged.update({t["Key"]: t["Value"] for t in tags})
    if len(merged) > 50:
        raise qs_error("LimitExceededException", "A resource can have at most 50 tags")
    st.tags[arn] = merged
    return ok({})


def untag_resource(ctx: Context) -> tuple[int, dict[str, Any]]:
    st, arn = _tagged(ctx)
    for key in ctx.query.get("keys", []):
        st.tags[arn].pop(key, None)
    return ok({})


def list_tags_for_resource(ctx: Context) -> tuple[int, dict[str, Any]]:
    st, arn = _tagged(ctx)
    return ok({"Tags": [{"Key": k, "Value": v} for k, v in st.tags[arn].items()]})


HANDLERS = {
    "CreateDataSource": create_data_source,
    "DescribeDataSource": describe_data_source,
    "UpdateDataSource": update_data_source,
    "DeleteDataSource": delete_data_source,
    "ListDataSources": list_data_sources,
    "DescribeDataSourcePermissions": describe_data_source_permissions,
    "UpdateDataSourcePermissions": update_data_source_permissions,
    "CreateDataSet": create_data_set,
    "DescribeDataSet": describe_data_set,
    "UpdateDataSet": update_data_set,
    "DeleteDataSet": delete_data_set,
    "ListDataSets": list_data_sets,
    "DescribeDataSetPermissions": describe_data_set_permissions,
    "UpdateDataSetPermissions": update_data_set_permissions,
    "PutDataSetRefreshProperties": put_refresh_properties,
    "DescribeDataSetRefreshProperties": describe_refresh_properties,
    "DeleteDataSetRefreshProperties": delete_refresh_properties,
    "CreateRefreshSchedule": create_refresh_schedule,
    "UpdateRefreshSchedule": update_refresh_schedule,
    "DescribeRefreshSchedule": describe_refresh_schedule,
    "ListRefreshSchedules": list_refresh_schedules,
    "DeleteRefreshSchedule": delete_refresh_schedule,
    "CreateIngestion": create_ingestion,
    "DescribeIngestion": describe_ingestion,
    "ListIngestions": list_ingestions,
    "CancelIngestion": cancel_ingestion,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}


def flag_new_data_prep(account: str, region: str, data_set_id: str, value: bool = True) -> None:
    st = STORE(account, region)
    ds = st.data_sets.get(data_set_id)
    if ds is None:
        raise KeyError(data_set_id)
    ds.new_data_prep = value


def reset() -> None:
    STORE.reset()

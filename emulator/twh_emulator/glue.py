"""AWS Glue: the operations moto lacks or answers unlike AWS, implemented on
moto's own Glue backend (so moto's remaining Glue operations see the same
databases, tables, crawlers and jobs).

Corrections over moto 5.2.5 (see notes/EMULATORS.md):
- crawlers: UpdateCrawler (moto: 500), GetCrawlerMetrics (moto: 500), AWS's
  server-side defaults echoed by Get/BatchGet/GetCrawlers, ``Role`` returned
  as the role name, a crawl that really ends (RUNNING -> STOPPING -> READY)
  and creates tables and partitions from the objects in moto's S3;
- tables: UpdateTable honours SkipArchive and VersionId, GetTables pages and
  honours AttributesToGet, Get* carry AWS's output-only fields;
- databases: GetDatabases pages, the Lake Formation default permissions echo;
- jobs: UpdateJob (moto lacks it), CreateJob refuses an existing name (moto
  silently overwrites), GetJob without moto's nulls, AWS's defaults and
  number types;
- database and table names folded to lower case (``prepare``), an opt-in
  IAM propagation fault (``check_role_propagated``).
Sources for each: EVIDENCE.md and the comments next to the code.
"""

from __future__ import annotations

import copy
import datetime as _dt
import fnmatch
import gzip
import json
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.glue.models import FakeCrawler, FakeTable, GlueBackend, glue_backends

from .common import SCHEDULER, SETTINGS, AwsError, Context, caller_arn, faithful, paginate, role_not_propagated, strip_none

PROTOCOL = "json"


def _backend(ctx: Context) -> GlueBackend:
    return glue_backends[ctx.account][ctx.region]


def _utc(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc)


def _require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise AwsError("InvalidInputException", f"{name} is required")


def _page(items: list[Any], params: dict[str, Any], default: int, limit: int) -> tuple[list[Any], str | None]:
    try:
        return paginate(items, params.get("NextToken"), params.get("MaxResults"), default, limit)
    except ValueError as exc:
        raise AwsError("InvalidInputException", str(exc)) from exc
    except KeyError as exc:
        raise AwsError("InvalidInputException", "Invalid NextToken") from exc


# ==========================================================================
# Crawlers

CRAWLER_DEFAULTS = {
    # What AWS echoes for a crawler created without these blocks:
    # hashicorp/terraform-provider-aws internal/service/glue/crawler.go gives
    # these blocks SuppressMissingOptionalConfigurationBlock with the same
    # defaults (delete_behavior DeleteBehaviorDeprecateInDatabase,
    # update_behavior UpdateBehaviorUpdateInDatabase, recrawl_behavior
    # RecrawlBehaviorCrawlEverything, crawler_lineage_settings
    # CrawlerLineageSettingsDisable) because GetCrawler returns them unasked.
    "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
    "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
    "LineageConfiguration": {"CrawlerLineageSettings": "DISABLE"},
    "LakeFormationConfiguration": {"UseLakeFormationCredentials": False, "AccountId": ""},
}

TARGET_KINDS = (
    "S3Targets",
    "JdbcTargets",
    "MongoDBTargets",
    "DynamoDBTargets",
    "CatalogTargets",
    "DeltaTargets",
    "IcebergTargets",
    "HudiTargets",
)

NEW_FOLDERS_POLICY_MESSAGE = (
    'The SchemaChangePolicy for "Crawl new folders only" Amazon S3 target can have only '
    "LOG DeleteBehavior value and LOG UpdateBehavior value."
)


@dataclass
class Crawl:
    started: float
    deadline: float
    status: str = "RUNNING"  # RUNNING | STOPPING | SUCCEEDED | CANCELLED | FAILED
    finished: float | None = None
    error: str | None = None
    message_prefix: str = field(default_factory=lambda: str(uuid.uuid4()))
    tables_created: int = 0
    tables_updated: int = 0


@dataclass
class CrawlerState:
    """What the emulator keeps beside moto's FakeCrawler (attached to it as
    ``crawler.twh`` so it lives and dies with the crawler)."""

    definition: dict[str, Any]
    created: float
    updated: float
    version: int = 1
    crawls: list[Crawl] = field(default_factory=list)

    @property
    def current(self) -> Crawl | None:
        return self.crawls[-1] if self.crawls else None

    def state(self) -> str:
        crawl = self.current
        if crawl is None:
            return "READY"
        if crawl.status == "RUNNING":
            return "RUNNING"
        if crawl.status == "STOPPING":
            return "STOPPING"
        return "READY"


def _role_name(role: str) -> str:
    # GetCrawler answers with the role's name with its path, without
    # "role/", even when the crawler was created with the role ARN:
    # hashicorp/terraform-provider-aws internal/service/glue/crawler.go, the
    # "role" attribute's DiffSuppressFunc ("Glue API always returns name"):
    # old == strings.TrimPrefix(newARN.Resource, "role/"), so
    # arn:aws:iam::123456789012:role/service-role/NAME reads back as
    # "service-role/NAME".  (GetJob returns the Role as sent: job.go's
    # role_arn has no such suppression and job_test.go asserts
    # TestCheckResourceAttrPair(role_arn, aws_iam_role.test, arn).)
    if not faithful():
        return role
    match = re.match(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:(.+)$", role or "")
    if match and match.group(1).startswith("role/"):
        return match.group(1)[len("role/") :]
    return role


ASSUME_ROLE_MESSAGE = "Service is unable to assume provided role. Please verify role's TrustPolicy."


def check_role_propagated(role: str | None) -> None:
    """The opt-in IAM propagation fault: for ``iam_propagation_seconds``
    after a role is created, Glue cannot assume it yet and CreateCrawler,
    UpdateCrawler, CreateJob and UpdateJob naming it fail with
    InvalidInputException "Service is unable to assume provided role.
    Please verify role's TrustPolicy." -- the message
    hashicorp/terraform-provider-aws internal/service/glue/crawler.go retries
    on in resourceCrawlerCreate/Update (errs.IsAErrorMessageContains
    [*awstypes.InvalidInputException](err, "Service is unable to assume
    provided role")), reported in full by users creating a crawler right
    after its role; go-to-k/cdkd's retryable-error list says "Glue Crawler /
    Job / Trigger create validates that the Glue service can assume the
    same-stack IAM role at create time"."""
    if role_not_propagated(role):
        raise AwsError("InvalidInputException", ASSUME_ROLE_MESSAGE)


def _validate_policies(defn: dict[str, Any]) -> None:
    recrawl = (defn.get("RecrawlPolicy") or {}).get("RecrawlBehavior", "CRAWL_EVERYTHING")
    scp = defn.get("SchemaChangePolicy") or CRAWLER_DEFAULTS["SchemaChangePolicy"]
    if recrawl == "CRAWL_NEW_FOLDERS_ONLY":
        if scp.get("UpdateBehavior", "UPDATE_IN_DATABASE") != "LOG" or scp.get("DeleteBehavior", "DEPRECATE_IN_DATABASE") != "LOG":
            raise AwsError("InvalidInputException", NEW_FOLDERS_POLICY_MESSAGE)
    if recrawl in ("CRAWL_NEW_FOLDERS_ONLY", "CRAWL_EVENT_MODE"):
        targets = defn.get("Targets") or {}
        if any(targets.get(kind) for kind in TARGET_KINDS if kind != "S3Targets"):
            raise AwsError(
                "InvalidInputException",
                'RecrawlBehavior "Crawl new folders only" can only apply to Amazon S3 target.',
            )
    if defn.get("Configuration"):
        try:
            json.loads(defn["Configuration"])
        except ValueError as exc:
            raise AwsError("InvalidInputException", "Crawler configuration not valid: not a JSON document") from exc


CRAWLER_FIELDS = (
    "Role",
    "DatabaseName",
    "Description",
    "Targets",
    "Schedule",
    "Classifiers",
    "TablePrefix",
    "SchemaChangePolicy",
    "RecrawlPolicy",
    "LineageConfiguration",
    "LakeFormationConfiguration",
    "Configuration",
    "CrawlerSecurityConfiguration",
)


def _get_crawler(ctx: Context, name: str | None) -> FakeCrawler:
    backend = _backend(ctx)
    crawler = backend.crawlers.get(name or "")
    if crawler is None:
        raise AwsError("EntityNotFoundException", f"Crawler entry with name {name} does not exist")
    if not hasattr(crawler, "twh"):
        # Created before the emulator saw it (cannot happen through the
        # server, kept so a direct moto call does not crash us).
        crawler.twh = CrawlerState(
            definition={"Role": crawler.role, "Targets": crawler.targets, "DatabaseName": crawler.database_name},
            created=time.time(),
            updated=time.time(),
        )
    return crawler


def _render_targets(targets: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    targets = copy.deepcopy(targets or {})
    for kind in TARGET_KINDS:
        items = targets.pop(kind, None) or []
        if kind == "S3Targets":
            for item in items:
                item.setdefault("Exclusions", [])
        out[kind] = items
    out.update(targets)
    return out


def render_crawler(crawler: FakeCrawler) -> dict[str, Any]:
    st: CrawlerState = crawler.twh
    d = st.definition
    state = st.state()
    out: dict[str, Any] = {
        "Name": crawler.name,
        "Role": _role_name(d.get("Role", "")),
        "Targets": _render_targets(d.get("Targets")) if faithful() else copy.deepcopy(d.get("Targets") or {}),
        "DatabaseName": d.get("DatabaseName"),
        "Classifiers": list(d.get("Classifiers") or []),
        "State": state,
        "CrawlElapsedTime": 0,
        "CreationTime": _utc(st.created),
        "LastUpdated": _utc(st.updated),
        "Version": st.version,
    }
    for key, default in CRAWLER_DEFAULTS.items():
        if not faithful():
            if d.get(key):
                out[key] = copy.deepcopy(d[key])
            continue
        value = copy.deepcopy(default)
        value.update(d.get(key) or {})
        out[key] = value
    for key in ("Description", "TablePrefix", "Configuration", "CrawlerSecurityConfiguration"):
        if d.get(key):
            out[key] = d[key]
    if d.get("Schedule"):
        out["Schedule"] = {"ScheduleExpression": d["Schedule"], "State": "SCHEDULED"}
    crawl = st.current
    if crawl is not None and state in ("RUNNING", "STOPPING"):
        out["CrawlElapsedTime"] = int((time.time() - crawl.started) * 1000)
    finished = [c for c in st.crawls if c.status in ("SUCCEEDED", "CANCELLED", "FAILED")]
    if finished:
        last = finished[-1]
        info = {
            "Status": last.status,
            "LogGroup": "/aws-glue/crawlers",
            "LogStream": crawler.name,
            "MessagePrefix": last.message_prefix,
            "StartTime": _utc(last.started),
        }
        if last.error:
            info["ErrorMessage"] = last.error
        out["LastCrawl"] = info
    return strip_none(out)


def create_crawler(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    _require(p, "Name", "Role", "Targets")
    backend = _backend(ctx)
    if p["Name"] in backend.crawlers:
        raise AwsError("AlreadyExistsException", f"{p['Name']} already exists")
    _validate_policies(p)
    check_role_propagated(p.get("Role"))
    backend.create_crawler(
        name=p["Name"],
        role=p["Role"],
        database_name=p.get("DatabaseName"),
        description=p.get("Description"),
        targets=p.get("Targets"),
        schedule=p.get("Schedule"),
        classifiers=p.get("Classifiers"),
        table_prefix=p.get("TablePrefix"),
        schema_change_policy=p.get("SchemaChangePolicy"),
        recrawl_policy=p.get("RecrawlPolicy"),
        lineage_configuration=p.get("LineageConfiguration"),
        configuration=p.get("Configuration"),
        crawler_security_configuration=p.get("CrawlerSecurityConfiguration"),
        tags=p.get("Tags"),
    )
    crawler = backend.crawlers[p["Name"]]
    stamp = time.time()
    crawler.twh = CrawlerState(
        definition={k: copy.deepcopy(p[k]) for k in CRAWLER_FIELDS if p.get(k) not in (None, "")},
        created=stamp,
        updated=stamp,
    )
    return {}


def update_crawler(ctx: Context) -> dict[str, Any]:
    """AWS UpdateCrawler: members present replace the stored ones, absent
    members are kept, and an empty string clears Schedule, TablePrefix,
    Configuration, Description (the way Terraform clears them)."""
    p = ctx.json()
    _require(p, "Name")
    crawler = _get_crawler(ctx, p["Name"])
    st: CrawlerState = crawler.twh
    if st.state() != "READY":
        raise AwsError("CrawlerRunningException", f"Crawler with name {crawler.name} has already started")
    new = copy.deepcopy(st.definition)
    for key in CRAWLER_FIELDS:
        if key not in p:
            continue
        if p[key] in ("", None):
            new.pop(key, None)
        else:
            new[key] = copy.deepcopy(p[key])
    old_recrawl = (st.definition.get("RecrawlPolicy") or {}).get("RecrawlBehavior")
    if (
        old_recrawl == "CRAWL_NEW_FOLDERS_ONLY"
        and "Targets" in p
        and _render_targets(p["Targets"]) != _render_targets(st.definition.get("Targets"))
    ):
        raise AwsError(
            "InvalidInputException",
            'Amazon S3 target is immutable when "Crawl new folders only" recrawl behavior is selected',
        )
    _validate_policies(new)
    if "Role" in p:
        check_role_propagated(p.get("Role"))
    st.definition = new
    st.version += 1
    st.updated = time.time()
    # Keep moto's own view in step, for the moto operations we do not replace.
    crawler.role = new.get("Role")
    crawler.targets = new.get("Targets")
    crawler.database_name = new.get("DatabaseName")
    return {}


def get_crawler(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    return {"Crawler": render_crawler(_get_crawler(ctx, p.get("Name")))}


def get_crawlers(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    crawlers = [_get_crawler(ctx, name) for name in _backend(ctx).crawlers]
    page, token = _page(crawlers, p, 1000, 1000)
    out: dict[str, Any] = {"Crawlers": [render_crawler(c) for c in page]}
    if token:
        out["NextToken"] = token
    return out


def batch_get_crawlers(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    names = p.get("CrawlerNames") or []
    if len(names) > 100:
        raise AwsError("InvalidInputException", "CrawlerNames may contain at most 100 names")
    backend = _backend(ctx)
    found, missing = [], []
    for name in names:
        if name in backend.crawlers:
            found.append(render_crawler(_get_crawler(ctx, name)))
        else:
            missing.append(name)
    return {"Crawlers": found, "CrawlersNotFound": missing}


def delete_crawler(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    crawler = _get_crawler(ctx, p.get("Name"))
    if crawler.twh.state() != "READY":
        raise AwsError("CrawlerRunningException", f"Crawler with name {crawler.name} is running")
    _backend(ctx).delete_crawler(crawler.name)
    return {}


def start_crawler(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    crawler = _get_crawler(ctx, p.get("Name"))
    st: CrawlerState = crawler.twh
    if st.state() != "READY":
        raise AwsError("CrawlerRunningException", f"Crawler with name {crawler.name} has already started")
    started = time.time()
    crawl = Crawl(started=started, deadline=started + SETTINGS.crawl_seconds)
    st.crawls.append(crawl)
    backend = _backend(ctx)
    account, region = ctx.account, ctx.region

    def finish_running() -> None:
        if crawl.status != "RUNNING":
            return
        try:
            _run_crawl(backend, account, region, crawler, crawl)
        except Exception as exc:  # noqa: BLE001 - a crawl must always end
            import traceback

            traceback.print_exc()
            crawl.error = f"Internal Service Exception: {type(exc).__name__}: {exc}"
        # AWS shows STOPPING for a while after the crawl itself is done.
        crawl.status = "STOPPING"
        SCHEDULER.at(time.time() + SETTINGS.crawl_seconds * 0.25, finish_stopping)

    def finish_stopping() -> None:
        if crawl.status == "STOPPING":
            crawl.status = "FAILED" if crawl.error else "SUCCEEDED"
            crawl.finished = time.time()

    SCHEDULER.at(crawl.deadline, finish_running)
    return {}


def stop_crawler(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    crawler = _get_crawler(ctx, p.get("Name"))
    crawl = crawler.twh.current
    if crawl is None or crawl.status not in ("RUNNING", "STOPPING"):
        raise AwsError("CrawlerNotRunningException", f"Crawler with name {crawler.name} isn't running")
    if crawl.status == "STOPPING":
        raise AwsError("CrawlerStoppingException", f"Crawler with name {crawler.name} is stopping")
    crawl.status = "STOPPING"

    def finish() -> None:
        crawl.status = "CANCELLED"
        crawl.finished = time.time()

    SCHEDULER.at(time.time() + SETTINGS.crawl_seconds * 0.25, finish)
    return {}


def get_crawler_metrics(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    backend = _backend(ctx)
    names = p.get("CrawlerNameList") or list(backend.crawlers)
    metrics = []
    for name in names:
        if name not in backend.crawlers:
            continue  # AWS silently leaves unknown names out
        st: CrawlerState = _get_crawler(ctx, name).twh
        done = [c for c in st.crawls if c.finished is not None and c.status == "SUCCEEDED"]
        runtimes = [c.finished - c.started for c in done]  # type: ignore[operator]
        last = done[-1] if done else None
        current = st.current
        left = 0.0
        if current is not None and current.status == "RUNNING":
            left = max(0.0, current.deadline - time.time())
        metrics.append(
            {
                "CrawlerName": name,
                "TimeLeftSeconds": round(left, 3),
                "StillEstimating": False,
                "LastRuntimeSeconds": round(runtimes[-1], 3) if runtimes else 0.0,
                "MedianRuntimeSeconds": round(statistics.median(runtimes), 3) if runtimes else 0.0,
                "TablesCreated": last.tables_created if last else 0,
                "TablesUpdated": last.tables_updated if last else 0,
                "TablesDeleted": 0,
            }
        )
    page, token = _page(metrics, p, 1000, 1000)
    out: dict[str, Any] = {"CrawlerMetricsList": page}
    if token:
        out["NextToken"] = token
    return out


# --------------------------------------------------------------------------
# The crawl itself: an honest, small version of what a Glue crawler does for
# NDJSON data in S3.  One table per S3 include path, named after the path's
# last folder; Hive-style ``k=v/`` folders become partition keys (other
# folders become partition_0, partition_1, ... as Glue names them); columns
# are inferred from the JSON keys of the first records.

SAMPLE_FILES = 10
SAMPLE_RECORDS = 1000


def _table_name(prefix: str, bucket: str, table_prefix: str) -> str:
    last = prefix.rstrip("/").rsplit("/", 1)[-1] or bucket
    return table_prefix + re.sub(r"[^a-z0-9_]", "_", last.lower())


def _json_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        elem: str | None = None
        for item in value:
            elem = _merge_types(elem, _json_type(item))
        return f"array<{elem or 'string'}>"
    if isinstance(value, dict):
        fields = [(k, _json_type(v) or "string") for k, v in value.items()]
        return "struct<" + ",".join(f"{k}:{t}" for k, t in fields) + ">"
    return "string"


def _split_struct(t: str) -> list[tuple[str, str]]:
    inner = t[len("struct<") : -1]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [tuple(p.split(":", 1)) for p in parts]  # type: ignore[misc]


def _merge_types(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    numeric = ("int", "bigint", "double")
    if a in numeric and b in numeric:
        return "double" if "double" in (a, b) else "bigint"
    if a.startswith("array<") and b.startswith("array<"):
        return f"array<{_merge_types(a[6:-1], b[6:-1])}>"
    if a.startswith("struct<") and b.startswith("struct<"):
        fields = dict(_split_struct(a))
        for k, t in _split_struct(b):
            fields[k] = _merge_types(fields.get(k), t) or "string"
        return "struct<" + ",".join(f"{k}:{t}" for k, t in fields.items()) + ">"
    return "string"


def _read_records(data: bytes, key: str) -> list[dict[str, Any]]:
    if key.endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    records = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        value = json.loads(line)
        if isinstance(value, dict):
            records.append(value)
        if len(records) >= SAMPLE_RECORDS:
            break
    return records


def _partition_spec(rel_key: str) -> list[tuple[str, str]]:
    folders = rel_key.split("/")[:-1]
    spec = []
    for i, folder in enumerate(folders):
        if "=" in folder:
            k, v = folder.split("=", 1)
            spec.append((k.lower(), v))
        else:
            spec.append((f"partition_{i}", folder))
    return spec


def _storage_descriptor(location: str, columns: list[dict[str, str]]) -> dict[str, Any]:
    # What a Glue crawler writes for JSON data (classification json).
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Compressed": True,
        "NumberOfBuckets": -1,
        "SerdeInfo": {
            "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
            "Parameters": {"paths": ",".join(c["Name"] for c in columns)},
        },
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": {},
        "StoredAsSubDirectories": False,
    }


def _run_crawl(backend: GlueBackend, account: str, region: str, crawler: FakeCrawler, crawl: Crawl) -> None:
    from moto.s3.models import s3_backends

    st: CrawlerState = crawler.twh
    d = st.definition
    db_name = d.get("DatabaseName")
    if db_name and faithful():
        db_name = db_name.lower()  # Glue folds database names (see prepare)
    if not db_name or db_name not in backend.databases:
        crawl.error = f"Database {db_name} not found."
        return
    s3 = s3_backends[account]["aws"]
    update_behavior = (d.get("SchemaChangePolicy") or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
    for target in (d.get("Targets") or {}).get("S3Targets") or []:
        path = target.get("Path", "")
        if not path.startswith("s3://"):
            continue
        bucket_name, _, prefix = path[5:].partition("/")
        bucket = s3.buckets.get(bucket_name)
        if bucket is None:
            continue  # AWS logs "access denied/not found" and creates nothing
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        exclusions = target.get("Exclusions") or []
        objects = []
        for key in list(bucket.keys.keys()):
            if not key.startswith(prefix) or key.endswith("/"):
                continue
            rel = key[len(prefix) :]
            # Hidden and "_"-prefixed files/folders (_SUCCESS, _temporary) are
            # not data, the way Hadoop-family readers treat them.
            if any(part.startswith(("_", ".")) for part in rel.split("/")):
                continue
            if any(fnmatch.fnmatch(rel, pattern) for pattern in exclusions):
                continue
            objects.append((key, rel))
        if not objects:
            continue
        depth = len(_partition_spec(objects[0][1]))
        objects = [o for o in objects if len(_partition_spec(o[1])) == depth]
        part_keys = [k for k, _ in _partition_spec(objects[0][1])]

        columns: dict[str, str | None] = {}
        records_seen = 0
        total_size = 0
        for key, _ in objects:
            total_size += bucket.keys[key].size
        for key, _ in objects[:SAMPLE_FILES]:
            try:
                records = _read_records(bucket.keys[key].value, key)
            except (ValueError, OSError, EOFError):
                continue
            for record in records:
                records_seen += 1
                for name, value in record.items():
                    col = name.lower()
                    columns[col] = _merge_types(columns.get(col), _json_type(value))
        if not columns:
            continue
        cols = [{"Name": k, "Type": t or "string"} for k, t in columns.items() if k not in part_keys]
        location = f"s3://{bucket_name}/{prefix}"
        table_name = _table_name(prefix, bucket_name, d.get("TablePrefix") or "")
        params = {
            "CrawlerSchemaDeserializerVersion": "1.0",
            "CrawlerSchemaSerializerVersion": "1.0",
            "UPDATED_BY_CRAWLER": crawler.name,
            "averageRecordSize": str(total_size // max(records_seen, 1)),
            "classification": "json",
            "compressionType": "gzip" if objects[0][0].endswith(".gz") else "none",
            "objectCount": str(len(objects)),
            "recordCount": str(records_seen),
            "sizeKey": str(total_size),
            "typeOfData": "file",
        }
        sd = _storage_descriptor(location, cols)
        sd["Parameters"] = dict(params)
        sd["Compressed"] = params["compressionType"] != "none"
        table_input = {
            "Name": table_name,
            "Owner": "owner",
            "Retention": 0,
            "StorageDescriptor": sd,
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in part_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
        }
        db = backend.databases[db_name]
        if table_name in db.tables:
            table = db.tables[table_name]
            if update_behavior == "UPDATE_IN_DATABASE":
                table.update(table_input)
                crawl.tables_updated += 1
        else:
            backend.create_table(db_name, table_name, table_input)
            table = db.tables[table_name]
            table.twh_created_by = f"arn:aws:sts::{account}:assumed-role/{_role_name(d.get('Role', '')).rsplit('/', 1)[-1]}/AWS-Crawler"
            crawl.tables_created += 1
        if part_keys:
            seen = set()
            for _, rel in objects:
                spec = _partition_spec(rel)
                values = [v for _, v in spec]
                if tuple(values) in seen:
                    continue
                seen.add(tuple(values))
                part_location = location + "/".join(rel.split("/")[:-1]) + "/"
                psd = copy.deepcopy(sd)
                psd["Location"] = part_location
                try:
                    table.create_partition({"Values": values, "StorageDescriptor": psd, "Parameters": dict(params)})
                except Exception:  # noqa: BLE001 - partition already registered
                    pass


# ==========================================================================
# Databases and tables


def _default_db_permissions() -> list[dict[str, Any]]:
    # Without Lake Formation defaults changed, Glue echoes this on every
    # database: terraform-provider-aws #27295, and every database of
    # awscli/examples/glue/get-databases.rst carries exactly this list.
    return [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]


def render_database(db: Any) -> dict[str, Any]:
    out = dict(db.as_dict())
    if not faithful():
        return strip_none(out)
    if not out.get("CreateTableDefaultPermissions"):
        out["CreateTableDefaultPermissions"] = _default_db_permissions()
    out["Parameters"] = out.get("Parameters") or {}
    return strip_none(out)


def get_database(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    backend = _backend(ctx)
    name = p.get("Name")
    if name not in backend.databases:
        raise AwsError("EntityNotFoundException", f"Database {name} not found.")
    return {"Database": render_database(backend.databases[name])}


def get_databases(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    dbs = list(_backend(ctx).databases.values())
    page, token = _page(dbs, p, 100, 100)
    out: dict[str, Any] = {"DatabaseList": [render_database(db) for db in page]}
    if token:
        out["NextToken"] = token
    return out


def render_table(account: str, table: FakeTable) -> dict[str, Any]:
    out = copy.deepcopy(dict(table.as_dict()))
    out.setdefault("UpdateTime", table.created_time)
    out["CreatedBy"] = getattr(table, "twh_created_by", caller_arn(account))
    out["IsRegisteredWithLakeFormation"] = False
    if faithful():
        fill_table_defaults(out)
    return strip_none(out)


def fill_table_defaults(table: dict[str, Any]) -> None:
    """What Glue fills in a table it returns when the TableInput left these
    out: ``Retention: 0`` on the table and, in the StorageDescriptor,
    ``Compressed: false``, ``NumberOfBuckets: 0``, ``SortColumns: []`` and
    ``StoredAsSubDirectories: false`` -- every table of the AWS CLI's
    shipped example ``awscli/examples/glue/get-tables.rst`` (tables made
    through the API, one with no SerdeInfo) carries exactly these, and no
    BucketColumns or SerdeInfo that were not sent.  A crawler's tables set
    NumberOfBuckets -1 themselves (_storage_descriptor)."""
    table.setdefault("Retention", 0)
    sd = table.get("StorageDescriptor")
    if isinstance(sd, dict):
        sd.setdefault("Compressed", False)
        sd.setdefault("NumberOfBuckets", 0)
        sd.setdefault("SortColumns", [])
        sd.setdefault("StoredAsSubDirectories", False)


def _table(ctx: Context, db_name: str | None, name: str | None) -> FakeTable:
    backend = _backend(ctx)
    db = backend.databases.get(db_name or "")
    if db is None:
        raise AwsError("EntityNotFoundException", f"Database {db_name} not found.")
    table = db.tables.get(name or "")
    if table is None:
        raise AwsError("EntityNotFoundException", f"Table {name} not found.")
    return table


def get_table(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    return {"Table": render_table(ctx.account, _table(ctx, p.get("DatabaseName"), p.get("Name")))}


def get_tables(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    backend = _backend(ctx)
    db_name = p.get("DatabaseName")
    if db_name not in backend.databases:
        raise AwsError("EntityNotFoundException", f"Database {db_name} not found.")
    tables = backend.get_tables(db_name, p.get("Expression"))
    page, token = _page(tables, p, 100, 100)
    attrs = p.get("AttributesToGet")
    rendered = [render_table(ctx.account, t) for t in page]
    if attrs:
        if "NAME" not in attrs:
            raise AwsError("InvalidInputException", "AttributesToGet must include NAME")
        keep = {"NAME": "Name", "TABLE_TYPE": "TableType"}
        rendered = [{keep[a]: r[keep[a]] for a in attrs if a in keep and keep[a] in r} for r in rendered]
    out: dict[str, Any] = {"TableList": rendered}
    if token:
        out["NextToken"] = token
    return out


def update_table(ctx: Context) -> dict[str, Any]:
    """Full replace of TableInput.  Every update archives the previous
    version (a new VersionId) unless SkipArchive; a VersionId in the request
    must match the current one (optimistic concurrency)."""
    p = ctx.json()
    table_input = p.get("TableInput") or {}
    _require(p, "DatabaseName")
    name = p.get("Name") or table_input.get("Name")
    table = _table(ctx, p.get("DatabaseName"), name)
    if table_input.get("Name") and table_input["Name"] != table.name:
        raise AwsError("InvalidInputException", "Table name cannot be changed by UpdateTable")
    current = str(table._current_version)
    if p.get("VersionId") and p["VersionId"] != current:
        raise AwsError("ConcurrentModificationException", "Update table failed due to concurrent modifications.")
    if p.get("SkipArchive"):
        table.versions.pop(current, None)
    table.update(copy.deepcopy(table_input))
    return {}


# ==========================================================================
# Jobs

JOB_FIELDS = (
    "JobMode",
    "JobRunQueuingEnabled",
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "Timeout",
    "MaxCapacity",
    "WorkerType",
    "NumberOfWorkers",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "CodeGenConfigurationNodes",
    "ExecutionClass",
    "SourceControlDetails",
    "MaintenanceWindow",
)


def _job_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": spec.get("Role"),
        "command": spec.get("Command"),
        "description": spec.get("Description"),
        "log_uri": spec.get("LogUri"),
        "execution_property": spec.get("ExecutionProperty"),
        "default_arguments": spec.get("DefaultArguments"),
        "non_overridable_arguments": spec.get("NonOverridableArguments"),
        "connections": spec.get("Connections"),
        "max_retries": spec.get("MaxRetries"),
        "allocated_capacity": spec.get("AllocatedCapacity"),
        "timeout": spec.get("Timeout"),
        "max_capacity": spec.get("MaxCapacity"),
        "security_configuration": spec.get("SecurityConfiguration"),
        "notification_property": spec.get("NotificationProperty"),
        "glue_version": spec.get("GlueVersion"),
        "number_of_workers": spec.get("NumberOfWorkers"),
        "worker_type": spec.get("WorkerType"),
        "code_gen_configuration_nodes": spec.get("CodeGenConfigurationNodes"),
        "execution_class": spec.get("ExecutionClass"),
        "source_control_details": spec.get("SourceControlDetails"),
    }


def render_job(job: Any) -> dict[str, Any]:
    out = strip_none(job.as_dict())
    for key in ("DefaultArguments", "NonOverridableArguments"):
        if out.get(key) == {}:
            out.pop(key)
    if out.get("ExecutionProperty") == {}:
        out.pop("ExecutionProperty")
    if "ExecutionClass" not in getattr(job, "twh_sent", {"ExecutionClass"}):
        out.pop("ExecutionClass", None)  # moto's own "STANDARD": AWS leaves it out
    # Numbers as the model types them (Job.MaxCapacity is a double,
    # AllocatedCapacity/Timeout/MaxRetries integers): moto echoes a JSON
    # 2 for MaxCapacity 2, AWS writes 2.0 (awscli/examples/glue/get-job.rst:
    # "AllocatedCapacity": 10, "MaxCapacity": 10.0).
    if out.get("MaxCapacity") is not None:
        out["MaxCapacity"] = float(out["MaxCapacity"])
    for key in ("AllocatedCapacity", "Timeout", "MaxRetries", "NumberOfWorkers"):
        if isinstance(out.get(key), float) and out[key].is_integer():
            out[key] = int(out[key])
    if not faithful():
        return out
    fill_job_defaults(out, getattr(job, "twh_job_mode", None))
    return out


SPARK_COMMANDS = ("glueetl", "gluestreaming")


def fill_job_defaults(out: dict[str, Any], job_mode: str | None) -> None:
    """What Glue fills in a job it returns when CreateJob/UpdateJob left
    these out.  Sources:
    - ExecutionProperty {MaxConcurrentRuns: 1}, MaxRetries 0, and for a
      Spark job with neither MaxCapacity nor workers AllocatedCapacity 10 /
      MaxCapacity 10.0: awscli/examples/glue/get-job.rst (a gluestreaming
      job created without them, examples/glue/create-job.rst), and the
      botocore model's Job.AllocatedCapacity doc "the default is 10" and
      Job.MaxCapacity doc (glueetl/gluestreaming "The default is 10 DPUs");
    - pythonshell MaxCapacity 0.0625: the Job.MaxCapacity doc ("The default
      is 0.0625 DPU") and terraform-provider-aws internal/service/glue/
      job_test.go TestAccGlueJob_pythonShell (max_capacity "0.0625");
    - Timeout 2880, none for streaming: job_test.go TestAccGlueJob_basic
      (timeout "2880") and TestAccGlueJob_basicStreaming (timeout "0", i.e.
      absent); the Job.Timeout doc: 2,880 minutes for Glue 4.0 and earlier,
      480 for Glue 5.0 and later;
    - JobMode SCRIPT: the Job.JobMode doc ("When the JobMode field is missing
      or null, SCRIPT is assigned as the default value");
    - ExecutionClass is NOT filled: job_test.go TestAccGlueJob_basic asserts
      execution_class "" for a job created without it."""
    out.setdefault("ExecutionProperty", {"MaxConcurrentRuns": 1})
    out.setdefault("MaxRetries", 0)
    command = (out.get("Command") or {}).get("Name") or "glueetl"
    if command != "gluestreaming" and "Timeout" not in out:
        version = out.get("GlueVersion")
        try:
            recent = version is not None and float(version) >= 5.0
        except ValueError:
            recent = False
        out["Timeout"] = 480 if recent else 2880
    if "MaxCapacity" not in out and not out.get("WorkerType") and not out.get("NumberOfWorkers"):
        if command in SPARK_COMMANDS:
            out["MaxCapacity"] = 10.0
        elif command == "pythonshell":
            out["MaxCapacity"] = 0.0625
    if command in SPARK_COMMANDS and "AllocatedCapacity" not in out and out.get("MaxCapacity") is not None:
        # Kept in step with MaxCapacity, as in the CLI example (10 / 10.0).
        out["AllocatedCapacity"] = int(out["MaxCapacity"])
    out.setdefault("JobMode", job_mode or "SCRIPT")


def create_job(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    _require(p, "Name", "Role", "Command")
    backend = _backend(ctx)
    if p["Name"] in backend.jobs:
        raise AwsError("AlreadyExistsException", f"Job with name {p['Name']} already exists")
    check_role_propagated(p.get("Role"))
    backend.create_job(name=p["Name"], tags=p.get("Tags"), **_job_kwargs(p))
    backend.jobs[p["Name"]].twh_job_mode = p.get("JobMode")
    backend.jobs[p["Name"]].twh_sent = set(p)
    return {"Name": p["Name"]}


def update_job(ctx: Context) -> dict[str, Any]:
    """AWS: "The previous job definition is completely overwritten"."""
    p = ctx.json()
    _require(p, "JobName", "JobUpdate")
    backend = _backend(ctx)
    name = p["JobName"]
    old = backend.jobs.get(name)
    if old is None:
        raise AwsError("EntityNotFoundException", f"Job {name} not found")
    update = p["JobUpdate"]
    if not update.get("Role") or not update.get("Command"):
        raise AwsError("InvalidInputException", "Role and Command are required in JobUpdate")
    check_role_propagated(update.get("Role"))
    backend.create_job(name=name, tags=None, **_job_kwargs(update))
    new = backend.jobs[name]
    new.created_on = old.created_on
    new.job_runs = old.job_runs
    new.twh_job_mode = update.get("JobMode")
    new.twh_sent = set(update)
    return {"JobName": name}


def get_job(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    job = _backend(ctx).jobs.get(p.get("JobName") or "")
    if job is None:
        raise AwsError("EntityNotFoundException", f"Job {p.get('JobName')} not found")
    return {"Job": render_job(job)}


def get_jobs(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    jobs = list(_backend(ctx).jobs.values())
    page, token = _page(jobs, p, 100, 1000)
    out: dict[str, Any] = {"Jobs": [render_job(j) for j in page]}
    if token:
        out["NextToken"] = token
    return out


def batch_get_jobs(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    backend = _backend(ctx)
    names = p.get("JobNames") or []
    return {
        "Jobs": [render_job(backend.jobs[n]) for n in names if n in backend.jobs],
        "JobsNotFound": [n for n in names if n not in backend.jobs],
    }


def delete_job(ctx: Context) -> dict[str, Any]:
    # AWS answers success for a job that does not exist.
    p = ctx.json()
    _backend(ctx).jobs.pop(p.get("JobName") or "", None)
    return {"JobName": p.get("JobName")}


# --------------------------------------------------------------------------
# Classifiers (moto 5.2.5 has none).  Only what a harness needs to create a
# crawler's custom classifier out of band (tests/aws_cli_examples: the
# CloudFormation guide's GrokClassifier): CreateClassifier, GetClassifier,
# DeleteClassifier, for the four kinds the botocore model's
# CreateClassifierRequest has.  Errors as the model lists them per operation
# (CreateClassifier: AlreadyExistsException, InvalidInputException;
# Get/DeleteClassifier: EntityNotFoundException); the answer carries the
# output-only members of GrokClassifier/XMLClassifier/JsonClassifier/
# CsvClassifier (CreationTime, LastUpdated, Version).  No crawler checks
# its classifiers against these: no published evidence says CreateCrawler
# refuses an unknown classifier name.

_CLASSIFIER_KINDS = {
    "GrokClassifier": ("Classification", "Name", "GrokPattern"),
    "XMLClassifier": ("Classification", "Name"),
    "JsonClassifier": ("Name", "JsonPath"),
    "CsvClassifier": ("Name",),
}

_CLASSIFIERS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _classifiers(ctx: Context) -> dict[str, dict[str, Any]]:
    return _CLASSIFIERS.setdefault((ctx.account, ctx.region), {})


def create_classifier(ctx: Context) -> dict[str, Any]:
    p = ctx.json()
    given = [k for k in _CLASSIFIER_KINDS if isinstance(p.get(k), dict)]
    if len(given) != 1:
        # No classifier, or two: the model's members are all optional, so
        # the service decides; InvalidInputException is the one input
        # error CreateClassifier lists.
        raise AwsError("InvalidInputException", "Exactly one classifier type must be specified")
    kind = given[0]
    spec = p[kind]
    _require(spec, *_CLASSIFIER_KINDS[kind])
    store = _classifiers(ctx)
    if spec["Name"] in store:
        raise AwsError("AlreadyExistsException", f"Classifier with name {spec['Name']} already exists")
    now = _utc(time.time())
    store[spec["Name"]] = {kind: {**spec, "CreationTime": now, "LastUpdated": now, "Version": 1}}
    return {}


def get_classifier(ctx: Context) -> dict[str, Any]:
    name = ctx.json().get("Name")
    found = _classifiers(ctx).get(name or "")
    if found is None:
        raise AwsError("EntityNotFoundException", f"Classifier with name {name} not found")
    return {"Classifier": copy.deepcopy(found)}


def delete_classifier(ctx: Context) -> dict[str, Any]:
    name = ctx.json().get("Name")
    if _classifiers(ctx).pop(name or "", None) is None:
        raise AwsError("EntityNotFoundException", f"Classifier with name {name} not found")
    return {}


# Glue folds database and table names to lower case: the botocore model's
# DatabaseInput.Name and TableInput.Name docs ("For Hive compatibility, this
# is folded to lowercase when it is stored"), Table.Name/DatabaseName ("this
# must be entirely lowercase"), and lookups fold the name they are given
# (floci-io/floci issue #1202, checked with the AWS CLI: "get table
# MixedCaseTable: mixedcasetable", "get table MIXEDCASETABLE:
# mixedcasetable").  Athena's own docs say the same of names in queries
# (https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html:
# "Athena accepts mixed case in DDL and DML queries, but lower cases the
# names when it executes the query").  Crawler and job names are not folded.
_FOLD_TOP = {
    # operation -> top-level members that name a database or table
    "CreateDatabase": (), "GetDatabase": ("Name",), "UpdateDatabase": ("Name",), "DeleteDatabase": ("Name",),
    "CreateTable": ("DatabaseName",), "GetTable": ("DatabaseName", "Name"), "GetTables": ("DatabaseName",),
    "UpdateTable": ("DatabaseName", "Name"), "DeleteTable": ("DatabaseName", "Name"),
    "BatchDeleteTable": ("DatabaseName",), "GetTableVersions": ("DatabaseName", "TableName"),
    "GetTableVersion": ("DatabaseName", "TableName"), "DeleteTableVersion": ("DatabaseName", "TableName"),
    "BatchDeleteTableVersion": ("DatabaseName", "TableName"), "GetPartitions": ("DatabaseName", "TableName"),
    "GetPartition": ("DatabaseName", "TableName"), "CreatePartition": ("DatabaseName", "TableName"),
    "BatchCreatePartition": ("DatabaseName", "TableName"), "BatchGetPartition": ("DatabaseName", "TableName"),
    "UpdatePartition": ("DatabaseName", "TableName"), "DeletePartition": ("DatabaseName", "TableName"),
    "BatchDeletePartition": ("DatabaseName", "TableName"), "GetPartitionIndexes": ("DatabaseName", "TableName"),
    "CreatePartitionIndex": ("DatabaseName", "TableName"), "DeletePartitionIndex": ("DatabaseName", "TableName"),
}


def prepare(operation: str, body: bytes) -> bytes:
    """Rewrite a request before the emulator or moto handles it (server.py):
    database and table names folded to lower case."""
    if not faithful() or operation not in _FOLD_TOP or not body:
        return body
    try:
        p = json.loads(body)
    except ValueError:
        return body
    if not isinstance(p, dict):
        return body
    for key in _FOLD_TOP[operation]:
        if isinstance(p.get(key), str):
            p[key] = p[key].lower()
    for key in ("DatabaseInput", "TableInput"):
        if isinstance(p.get(key), dict) and isinstance(p[key].get("Name"), str):
            p[key]["Name"] = p[key]["Name"].lower()
    if operation == "BatchDeleteTable" and isinstance(p.get("TablesToDelete"), list):
        p["TablesToDelete"] = [t.lower() if isinstance(t, str) else t for t in p["TablesToDelete"]]
    return json.dumps(p).encode()


# Operations whose request carries tags, and the member that holds them.
_TAGGED = {
    "CreateDatabase": "Tags",
    "CreateCrawler": "Tags",
    "CreateJob": "Tags",
    "TagResource": "TagsToAdd",
}


def refuse(operation: str, body: bytes) -> AwsError | None:
    """What Glue refuses before it does anything: a tag whose key or value
    starts with ``aws:``. The Glue API reference, data type Tag: "The key is
    case-sensitive, and must not contain the prefix aws." (the same for the
    value); the AWS tagging guide, "Tag naming limits and requirements":
    do not use ``aws:`` in any case as a prefix, it is reserved for AWS use.
    So only AWS itself (CloudFormation's ``aws:cloudformation:*``) can put
    such a tag on a resource. The error code is Glue's validation error for
    a bad input; the message is the emulator's own."""
    member = _TAGGED.get(operation)
    if member is None or not faithful() or not body:
        return None
    try:
        tags = (json.loads(body) or {}).get(member) or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(tags, dict):
        return None
    for key, value in tags.items():
        for what, text in (("key", key), ("value", value)):
            if isinstance(text, str) and text.lower().startswith("aws:"):
                return AwsError("InvalidInputException", f"Tag {what} '{text}' must not start with the reserved prefix aws:")
    return None


HANDLERS = {
    "CreateCrawler": create_crawler,
    "UpdateCrawler": update_crawler,
    "GetCrawler": get_crawler,
    "GetCrawlers": get_crawlers,
    "BatchGetCrawlers": batch_get_crawlers,
    "DeleteCrawler": delete_crawler,
    "StartCrawler": start_crawler,
    "StopCrawler": stop_crawler,
    "GetCrawlerMetrics": get_crawler_metrics,
    "GetDatabase": get_database,
    "GetDatabases": get_databases,
    "GetTable": get_table,
    "GetTables": get_tables,
    "UpdateTable": update_table,
    "CreateJob": create_job,
    "UpdateJob": update_job,
    "GetJob": get_job,
    "GetJobs": get_jobs,
    "BatchGetJobs": batch_get_jobs,
    "DeleteJob": delete_job,
    "CreateClassifier": create_classifier,
    "GetClassifier": get_classifier,
    "DeleteClassifier": delete_classifier,
}


def reset() -> None:
    """Glue state lives in moto's backend; moto's reset wipes it.  The
    classifiers are the emulator's own."""
    _CLASSIFIERS.clear()

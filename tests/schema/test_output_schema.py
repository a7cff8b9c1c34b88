"""The published schemas of twh's JSON outputs, checked by a real validator
(issue 12, part 6): `docs/schema/plan.schema.json` (`twh diff --output
json`) and `docs/schema/result.schema.json` (`twh sync --output json`).

Run by `.ci/run` with the rest of tests/schema (jsonschema, Draft 2020-12,
from the emulator's venv). What is proved:
- both are valid 2020-12 schemas and every `$ref` resolves, the result's
  references into the plan schema included;
- what the real binary prints validates: plans and sync documents made here
  on the memory provider (create, update, no change, a stale saved plan,
  a held lock), and every JSON document held by the insta snapshots
  (tests/snapshots/*.json.snap: replace, delete, drift, unmanaged, stored by
  AWS as, refused plans), and a diff and sync through the real AWS provider
  against the emulator `.ci/run` starts;
- the schemas are strict: a document with a member removed, added, of the
  wrong type or of another format version fails, naming it.
"""

import copy
import json
import os
import pathlib
import subprocess
import tempfile
import uuid

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parents[2]
TWH = os.environ.get("TWH_BIN") or str(
    pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "twh"
)
SCHEMAS = ROOT / "docs" / "schema"
PLAN = json.loads((SCHEMAS / "plan.schema.json").read_text())
RESULT = json.loads((SCHEMAS / "result.schema.json").read_text())
# The result schema refers to the plan schema by its file name, as an editor
# resolves it next to the file.
REGISTRY = Registry().with_resources(
    [
        ("plan.schema.json", Resource.from_contents(PLAN)),
        ("result.schema.json", Resource.from_contents(RESULT)),
    ]
)


def validator(schema):
    return Draft202012Validator(schema, registry=REGISTRY)


def errors(schema, doc):
    return list(validator(schema).iter_errors(doc))


def messages(errs):
    """Every message, those under `anyOf` branches (`plan` or null) included."""
    out = []
    for e in errs:
        out.append(e.message)
        out.extend(messages(e.context))
    return out


def assert_valid(schema, doc, what):
    found = errors(schema, doc)
    assert not found, f"{what}:\n" + "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


def refs(v):
    if isinstance(v, dict):
        if isinstance(v.get("$ref"), str):
            yield v["$ref"]
        for c in v.values():
            yield from refs(c)
    elif isinstance(v, list):
        for c in v:
            yield from refs(c)


@pytest.mark.parametrize("name,schema", [("plan", PLAN), ("result", RESULT)])
def test_schema_is_valid_and_every_ref_resolves(name, schema):
    Draft202012Validator.check_schema(schema)
    resolver = REGISTRY.resolver(base_uri=f"{name}.schema.json")
    found = list(refs(schema))
    assert found
    for r in found:
        resolver.lookup(r)  # raises Unresolvable


# --- Real outputs ------------------------------------------------------------


def write(root, rel, doc):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(doc, indent=2))


def estate(root, schedule=None):
    write(root, "resources/environments/dev.json",
          {"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"}, "state": {"backend": "local"}})
    write(root, "resources/iam/crawler.json", {"type": "iam_role", "name": "crawler", "spec": {
        "RoleName": "twh-crawler-${env}",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]}})
    write(root, "resources/glue/database.json", {"type": "glue_database", "name": "warehouse",
          "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}"}}})
    crawler = {"Name": "ticket_warehouse_orders-${env}", "Role": "${ref:iam_role.crawler.arn}",
               "DatabaseName": "${ref:glue_database.warehouse.name}",
               "Targets": {"S3Targets": [{"Path": "s3://${var.lake_bucket}/ticketsauce/orders/"}]}}
    if schedule:
        crawler["Schedule"] = schedule
    write(root, "resources/glue/crawlers/orders.json", {"type": "glue_crawler", "name": "orders", "spec": crawler})


def twh(root, *args, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TWH_"))}
    env.update({"TWH_MEMORY_PROVIDER": str(root / "aws.json"), "NO_COLOR": "1", "TWH_RETRY_BASE_MS": "1"})
    out = subprocess.run([TWH, *args, "--no-progress"], cwd=root, env=env, capture_output=True, text=True)
    assert out.returncode == code, f"twh {' '.join(args)}: exit {out.returncode}\n{out.stdout}{out.stderr}"
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def outputs():
    """Real documents of each format, by name."""
    docs = {}
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d)
        estate(root)
        docs["diff: create"] = (PLAN, twh(root, "diff", "--output", "json", "--out", "plan.json", code=2))
        docs["sync: a saved plan applied"] = (RESULT, twh(root, "sync", "plan.json", "--output", "json", code=0))
        docs["diff: no change"] = (PLAN, twh(root, "diff", "--output", "json", code=0))
        docs["sync: nothing to do"] = (RESULT, twh(root, "sync", "-y", "--output", "json", code=0))
        estate(root, schedule="cron(0 3 * * ? *)")
        docs["diff: update"] = (PLAN, twh(root, "diff", "--output", "json", "--out", "plan.json", code=2))
        estate(root, schedule="cron(0 4 * * ? *)")
        docs["sync: stale saved plan"] = (RESULT, twh(root, "sync", "plan.json", "--output", "json", code=1))
        docs["sync: update"] = (RESULT, twh(root, "sync", "-y", "--output", "json", code=0))
        (root / "state" / "dev.lock").write_text(json.dumps(
            {"ID": "lock-1", "operation": "sync", "who": "ci@runner", "host": "runner", "pid": 1,
             "created": "2026-01-01T00:00:00Z"}))
        docs["sync: lock held"] = (RESULT, twh(root, "sync", "-y", "--output", "json", code=1))
    return docs


@pytest.fixture(scope="module")
def emulator_outputs():
    """The same documents from the real AWS provider, against the project's
    AWS emulator when `.ci/run` started one (`TWH_EMULATOR_URL`)."""
    url = os.environ.get("TWH_EMULATOR_URL")
    if not url:
        pytest.skip("no emulator (TWH_EMULATOR_URL); .ci/run starts one")
    env_name = "schema" + uuid.uuid4().hex[:8]
    docs = {}
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d)
        write(root, f"resources/environments/{env_name}.json",
              {"region": "us-east-1", "variables": {}, "state": {"backend": "local"}})
        write(root, "resources/glue.json", {"resources": [
            {"type": "glue_database", "name": "wh", "spec": {"DatabaseInput": {"Name": "wh_${env}"}}},
            {"type": "glue_table", "name": "orders", "spec": {
                "DatabaseName": "${ref:glue_database.wh.name}",
                "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
                               "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}],
                                                     "Location": "s3://lake/orders/"}}}}]})
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWH_")}
        env.update({"AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1", "NO_COLOR": "1"})
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

        def run(*args, code):
            out = subprocess.run([TWH, *args, "--env", env_name, "--no-progress", "--output", "json"],
                                 cwd=root, env=env, capture_output=True, text=True)
            assert out.returncode == code, f"twh {' '.join(args)}: exit {out.returncode}\n{out.stdout}{out.stderr}"
            return json.loads(out.stdout)

        docs["diff: create"] = (PLAN, run("diff", code=2))
        docs["sync: create"] = (RESULT, run("sync", "-y", code=0))
        docs["diff: after"] = (PLAN, run("diff", code=0))
    return docs


def test_emulator_outputs_validate(emulator_outputs):
    for what, (schema, doc) in emulator_outputs.items():
        assert_valid(schema, doc, what)
    assert emulator_outputs["sync: create"][1]["result"]["applied"] == ["glue_database.wh", "glue_table.orders"]


def test_real_outputs_validate(outputs):
    for what, (schema, doc) in outputs.items():
        assert_valid(schema, doc, what)
    assert outputs["sync: update"][1]["result"]["applied"] == ["glue_crawler.orders"]
    assert outputs["sync: stale saved plan"][1]["refused"]["reason"] == "stale"


def snapshot_documents():
    """(snapshot, JSON document) for each snapshot of a JSON output."""
    for p in sorted((ROOT / "tests" / "snapshots").glob("*.json.snap")):
        text = p.read_text()
        stdout = text.split("\n--- stdout\n", 1)[1].split("\n--- stderr\n", 1)[0]
        yield p.name, json.loads(stdout)


SNAPSHOTS = list(snapshot_documents())


def test_the_snapshots_cover_both_formats():
    kinds = {"result" if "result" in doc else "plan" for _, doc in SNAPSHOTS}
    assert kinds == {"plan", "result"}, kinds
    assert len(SNAPSHOTS) >= 10


@pytest.mark.parametrize("name,doc", SNAPSHOTS, ids=[n for n, _ in SNAPSHOTS])
def test_snapshot_document_validates(name, doc):
    assert_valid(RESULT if "result" in doc else PLAN, doc, name)


# --- Broken documents fail ------------------------------------------------------


def broken(doc, path, how):
    """`doc` with the member at `path` removed (how=None) or set to `how`."""
    d = copy.deepcopy(doc)
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    if how is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = how
    return d


@pytest.mark.parametrize(
    "path,how,says",
    [
        (["summary"], None, "'summary' is a required property"),
        (["format_version"], "2.0", "'1.3' was expected"),
        (["changes", 0, "action"], "rename", "is not one of"),
        (["changes", 0, "drifted"], "yes", "is not of type 'boolean'"),
        (["changes", 0, "colour"], "red", "('colour' was unexpected)"),
        (["identity", "account"], "12", "does not match"),
    ],
)
def test_a_broken_plan_fails(outputs, path, how, says):
    doc = broken(outputs["diff: create"][1], path, how)
    found = messages(errors(PLAN, doc))
    assert any(says in m for m in found), found


@pytest.mark.parametrize(
    "path,how,says",
    [
        (["api_calls"], None, "'api_calls' is a required property"),
        (["format_version"], "2.0", "'2.1' was expected"),
        (["result", "applied"], "glue_crawler.orders", "is not of type 'array'"),
        (["plan", "summary"], None, "'summary' is a required property"),
        (["refused"], {"reason": "stale", "message": "m"}, "'changed' is a required property"),
    ],
)
def test_a_broken_result_fails(outputs, path, how, says):
    doc = broken(outputs["sync: update"][1], path, how)
    found = messages(errors(RESULT, doc))
    assert any(says in m for m in found), found

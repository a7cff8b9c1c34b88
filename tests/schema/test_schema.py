"""`twh schema` checked by a real JSON Schema validator (issue 12, part 5).

The validator is the `jsonschema` package (Draft 2020-12), pinned in
`emulator/requirements.txt` and run from the emulator's venv by `.ci/run`:

    TWH_BIN=target/debug/twh python -m pytest -q tests/schema

What is proved:
- the schemas are valid 2020-12 schemas and every `$ref` resolves, through
  the validator's own resolver;
- every resource file and environment file under `resources/` and
  `examples/*/resources/` validates (both file shapes, account fields
  omitted, `${...}` placeholders, `lifecycle`, `depends_on`);
- the schema refuses what `twh validate` refuses: the schema-level cases of
  the bad-input corpus, and a misspelled field in every real file, with an
  error that names the field.
"""

import copy
import json
import os
import pathlib
import subprocess

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parents[2]
TWH = os.environ.get("TWH_BIN") or str(
    pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "twh"
)


def twh_schema(*args):
    out = subprocess.run([TWH, "schema", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


RESOURCE = twh_schema()
ENVIRONMENT = twh_schema("--environment")
KINDS = RESOURCE["$defs"]["twh.Resource"]["properties"]["type"]["enum"]


def repositories():
    """Every directory twh can load: the repository and each example."""
    yield ROOT
    for d in sorted((ROOT / "examples").iterdir()):
        if (d / "resources").is_dir():
            yield d


def files():
    """(path, is_environment) for every JSON file the loader reads."""
    for repo in repositories():
        for p in sorted((repo / "resources").rglob("*.json")):
            yield p, p.parent == repo / "resources" / "environments"


ALL_FILES = list(files())
RESOURCE_FILES = [p for p, env in ALL_FILES if not env]


def errors(schema, doc):
    return sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))


def best(schema, doc):
    return jsonschema.exceptions.best_match(Draft202012Validator(schema).iter_errors(doc))


def messages(errs):
    """Every message, those of `anyOf`/`if` branches included."""
    out = []
    for e in errs:
        out.append(e.message)
        out.extend(messages(e.context))
    return out


def rel(p):
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize(
    "schema", [RESOURCE, ENVIRONMENT] + [twh_schema(k) for k in KINDS], ids=lambda s: s["title"]
)
def test_schema_is_valid_and_every_ref_resolves(schema):
    Draft202012Validator.check_schema(schema)
    resolver = Registry().with_resource("urn:twh", Resource.from_contents(schema)).resolver(
        base_uri="urn:twh"
    )
    refs = []

    def walk(v):
        if isinstance(v, dict):
            if isinstance(v.get("$ref"), str):
                refs.append(v["$ref"])
            for c in v.values():
                walk(c)
        elif isinstance(v, list):
            for c in v:
                walk(c)

    walk(schema)
    for r in refs:
        resolver.lookup(r)  # raises Unresolvable
    if schema is RESOURCE:
        assert len(refs) > 100, "the file schema should reach every kind's shapes"


def test_every_kind_and_both_file_shapes_are_covered():
    seen, shapes = set(), set()
    for p in RESOURCE_FILES:
        doc = json.loads(p.read_text())
        is_list = "resources" in doc and "type" not in doc
        items = doc["resources"] if is_list else [doc]
        shapes.add("list" if is_list else "single")
        seen.update(i["type"] for i in items)
    assert seen == set(KINDS), f"kinds no file declares: {set(KINDS) - seen}"
    assert shapes == {"single", "list"}
    assert any(env for _, env in ALL_FILES)


@pytest.mark.parametrize("path,is_env", ALL_FILES, ids=[rel(p) for p, _ in ALL_FILES])
def test_file_validates(path, is_env):
    doc = json.loads(path.read_text())
    found = errors(ENVIRONMENT if is_env else RESOURCE, doc)
    assert not found, "\n".join(f"{rel(path)}: {list(e.path)}: {e.message}" for e in found)


def misspell(key):
    """Two neighbouring letters swapped, as a typing slip does."""
    for i in range(1, len(key) - 1):
        if key[i] != key[i + 1]:
            return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    return key + "x"


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=[rel(p) for p in RESOURCE_FILES])
def test_a_misspelled_spec_field_fails_and_is_named(path):
    doc = json.loads(path.read_text())
    bad = copy.deepcopy(doc)
    item = bad["resources"][0] if "resources" in bad and "type" not in bad else bad
    key = sorted(item["spec"])[0]
    wrong = misspell(key)
    item["spec"][wrong] = item["spec"].pop(key)
    found = messages(errors(RESOURCE, bad))
    assert found, f"{rel(path)}: `{wrong}` accepted"
    # Renaming a required field also reports it missing; the unknown name
    # must be among what the validator says.
    assert any(wrong in m for m in found), f"{rel(path)}: no error names `{wrong}`: {found}"


def test_a_misspelled_nested_field_fails_and_is_named():
    doc = json.loads((ROOT / "resources/glue/tables/stripe.json").read_text())
    cols = doc["resources"][0]["spec"]["TableInput"]["StorageDescriptor"]["Columns"]
    cols[0]["Nmae"] = cols[0].pop("Name")
    e = best(RESOURCE, doc)
    assert e is not None and "Nmae" in e.message, e and e.message
    assert list(e.path)[-3:] == ["StorageDescriptor", "Columns", 0], list(e.path)


# The bad-input corpus cases that are about the content of a valid JSON
# document: the schema must refuse each, as `twh validate` does. (The others
# are bytes, encodings, syntax, references and cycles: not a schema's job.)
CORPUS = ROOT / "tests/corpus/bad"
SCHEMA_LEVEL = {
    "25-resources-not-a-list": "resources/glue/all.json",
    "27-unknown-kind": "resources/glue/database.json",
    "29-missing-spec": "resources/glue/database.json",
    "30-spec-not-an-object": "resources/glue/database.json",
    "31-unknown-spec-field": "resources/glue/crawler.json",
    "32-wrong-value-type": "resources/glue/crawler.json",
    "33-enum-value": "resources/glue/crawler.json",
    "34-missing-required": "resources/glue/crawler.json",
    "35-invalid-resource-name": "resources/glue/database.json",
    "37-value-too-long": "resources/athena/workgroup.json",
    "38-pattern-mismatch": "resources/athena/workgroup.json",
    "46-lifecycle-wrong-type": "resources/glue/database.json",
    "47-depends-on-bad": "resources/glue/database.json",
    "49-integer-out-of-range": "resources/glue/job.json",
    "52-environment-unknown-field": "resources/environments/dev.json",
    "53-environment-bad-backend": "resources/environments/dev.json",
    "54-environment-s3-missing-bucket": "resources/environments/dev.json",
    "55-environment-region-wrong-type": "resources/environments/dev.json",
    "56-environment-unknown-region": "resources/environments/dev.json",
    "57-environment-bad-account": "resources/environments/dev.json",
    "58-environment-not-an-object": "resources/environments/dev.json",
}


@pytest.mark.parametrize("case", sorted(SCHEMA_LEVEL))
def test_the_schema_refuses_what_validate_refuses(case):
    path = CORPUS / case / SCHEMA_LEVEL[case]
    schema = ENVIRONMENT if "/environments/" in str(path) else RESOURCE
    assert errors(schema, json.loads(path.read_text())), f"{case}: the schema accepts it"
    # The case's files are otherwise valid: its own expected output says
    # twh refuses it, so the schema and twh agree.
    assert (CORPUS / case / "expected.txt").read_text().startswith("error:")


def test_renames_validate_and_a_bad_one_is_refused():
    # `moved_from` on a resource, a `moved` list, and a file of moves only,
    # as the loader reads them (config/moves.rs).
    doc = json.loads((ROOT / "resources/glue/database.json").read_text())
    doc["moved_from"] = "glue_database.old"
    assert not errors(RESOURCE, doc)
    doc["moved_from"] = ["glue_database.older", "glue_database.old"]
    assert not errors(RESOURCE, doc)
    moves = {"moved": [{"from": "glue_crawler.a", "to": "glue_crawler.b"}]}
    assert not errors(RESOURCE, moves)
    assert not errors(RESOURCE, {"resources": [doc], **moves})
    for bad in (
        {"moved": [{"from": "glue_crawler.a"}]},
        {"moved": [{"from": "glue_crawler.a", "to": "b"}]},
        {"moved": [{"from": "glue_crawler.a", "to": "glue_crawler.b", "why": "x"}]},
        {"resources": [doc], "extra": 1},
    ):
        assert errors(RESOURCE, bad), f"accepted: {bad}"
    doc["moved_from"] = "old"
    assert errors(RESOURCE, doc), "a moved_from that is not an address was accepted"

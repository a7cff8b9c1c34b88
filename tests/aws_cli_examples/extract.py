#!/usr/bin/env python3
"""Regenerate or check the AWS CLI example corpus in this folder.

    python3 -m venv /root/.cache/awscli-venv
    /root/.cache/awscli-venv/bin/pip install -r tests/aws_cli_examples/requirements.txt
    /root/.cache/awscli-venv/bin/python tests/aws_cli_examples/extract.py           # rewrite
    /root/.cache/awscli-venv/bin/python tests/aws_cli_examples/extract.py --check   # exit 1 if stale

What it does, for each entry of CORPUS below:

1. reads the example from the installed awscli package: the `aws ...` command
   in `awscli/examples/<service>/<op>.rst`, or an entry of the
   `examples-1.json` file of the botocore copy that awscli ships;
2. for a command, turns it into the API request exactly as the CLI does: the
   command is split like a shell would (see `shell_words`), the global
   options that are not request members (--profile, --endpoint, --region,
   --output) are dropped, and awscli's own driver parses the rest (JSON,
   shorthand syntax, file://). A hook on botocore's `provide-client-params`
   event records the parameters and aborts the call before any request is
   built: nothing is sent anywhere;
3. maps the request to a twh resource (`{"type", "name", "spec"}`), changing
   only what the entry's `changes` list says;
4. checks every spec, the hand-transcribed ones under `cloudformation_docs/`
   and `quicksight_docs/` too, against the botocore model's input shape
   (member names, required members, types, enums, lengths, ranges, patterns);
5. writes the files, `manifest.json` and the generated table in README.md,
   or with --check compares them with what is committed.

Nothing here is copied from awscli: the script only imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

AWSCLI_VERSION = "1.46.3"
ACCOUNT = "123456789012"  # the emulator's (moto's) account
HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# The awscli package
# --------------------------------------------------------------------------


def awscli_root() -> Path:
    import awscli

    if awscli.__version__ != AWSCLI_VERSION:
        sys.exit(
            f"awscli {awscli.__version__} is installed; this corpus is pinned to "
            f"{AWSCLI_VERSION} (pip install -r {HERE / 'requirements.txt'})"
        )
    return Path(awscli.__file__).parent


def botocore_data(root: Path) -> Path:
    # awscli 1.46 ships its own copy of botocore inside the package.
    for cand in (root / "botocore" / "data",):
        if cand.is_dir():
            return cand
    import botocore

    return Path(botocore.__file__).parent / "data"


def service_model(root: Path, service: str) -> dict:
    base = botocore_data(root) / service
    (version,) = sorted(p.name for p in base.iterdir() if p.is_dir())[-1:]
    return json.loads((base / version / "service-2.json").read_text())


def botocore_example(root: Path, service: str, op: str, index: int) -> dict:
    base = botocore_data(root) / service
    version = sorted(p.name for p in base.iterdir() if p.is_dir())[-1]
    data = json.loads((base / version / "examples-1.json").read_text())
    return data["examples"][op][index]


# --------------------------------------------------------------------------
# Reading .rst examples
# --------------------------------------------------------------------------


class Command:
    def __init__(self, lines: list[str]):
        self.lines = lines
        # A line that ends in a backslash while a quote is open: bash keeps
        # that backslash (and the newline) inside the argument.
        self.backslash_in_quotes = False
        text = ""
        for line in lines:
            body = line.rstrip()
            if body.endswith("\\"):
                if open_quote(text + body[:-1]):
                    self.backslash_in_quotes = True
                body = body[:-1]
            text += body + "\n"
        self.text = text

    def words(self) -> list[str]:
        return shell_words(self.text)


def open_quote(text: str) -> bool:
    try:
        shlex.split(text)
        return False
    except ValueError:
        return True


def shell_words(text: str) -> list[str]:
    """Splits a command as a POSIX shell would, after the caller removed the
    line-continuation backslashes (also those bash would keep inside single
    quotes: the examples clearly mean them as continuations)."""
    return shlex.split(text, posix=True)


def rst_commands(path: Path, service: str, op: str) -> list[Command]:
    lines = path.read_text().splitlines()
    start = re.compile(rf"^\s*aws\s+{re.escape(service)}\s+{re.escape(op)}(\s|\\|$)")
    out = []
    i = 0
    while i < len(lines):
        if start.match(lines[i]):
            block = [lines[i]]
            while (block[-1].rstrip().endswith("\\") or open_quote(
                    "\n".join(l.rstrip().rstrip("\\") for l in block))) and i + 1 < len(lines):
                i += 1
                block.append(lines[i])
            out.append(Command(block))
        i += 1
    return out


def rst_outputs(path: Path) -> list[object]:
    """The JSON blocks that follow `Output::` lines, in order."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.strip().startswith("Output::"):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            block = []
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                block.append(lines[j])
                j += 1
            try:
                out.append(json.loads("\n".join(block)))
            except json.JSONDecodeError:
                out.append(None)
    return out


# --------------------------------------------------------------------------
# Running the CLI's own argument processing, without sending anything
# --------------------------------------------------------------------------

GLOBAL_OPTIONS_WITH_VALUE = {"--profile", "--endpoint", "--endpoint-url", "--region", "--output"}


class _Stop(Exception):
    pass


def strip_globals(words: list[str]) -> tuple[list[str], list[str]]:
    kept, dropped = [], []
    i = 0
    while i < len(words):
        if words[i] in GLOBAL_OPTIONS_WITH_VALUE and i + 1 < len(words):
            dropped += words[i : i + 2]
            i += 2
        else:
            kept.append(words[i])
            i += 1
    return kept, dropped


def cli_request(argv: list[str], files: dict[str, str]) -> tuple[str, dict]:
    """The operation name and parameters awscli would send for `aws ARGV`."""
    env = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cwd = os.getcwd()
    got: dict = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                Path(tmp, name).write_text(text)
            os.chdir(tmp)
            from awscli.clidriver import create_clidriver

            driver = create_clidriver()

            def capture(params, model, **_):
                got["op"] = model.name
                got["params"] = json.loads(json.dumps(params))
                raise _Stop()

            driver.session.register("provide-client-params", capture)
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                driver.main(list(argv))
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if "params" not in got:
        raise RuntimeError(f"awscli did not accept `aws {' '.join(argv)}`: {err.getvalue().strip()}")
    return got["op"], got["params"]


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def twh_name(aws_name: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_-]", "_", aws_name)
    return n if re.match(r"[A-Za-z_]", n) else "_" + n


def role(name: str, trust, **extra) -> dict:
    spec = {"RoleName": name, "AssumeRolePolicyDocument": trust}
    spec.update(extra)
    return spec


# Each entry: where the example is, which twh kind and file it becomes, what
# else must exist (files of this folder), and every change made to it.
# `build(ctx)` returns the spec; ctx gives the request and the package's
# other texts.
CORPUS: list[dict] = []


def entry(**kw):
    CORPUS.append(kw)
    return kw


class Ctx:
    def __init__(self, root: Path):
        self.root = root
        self.examples = root / "examples"
        self._cache: dict = {}

    def rst(self, rel: str) -> Path:
        return self.examples / rel

    def output(self, rel: str, index: int):
        return rst_outputs(self.rst(rel))[index]

    def request(self, e: dict) -> tuple[str, dict, Command | None, list[str]]:
        src = e["source"]
        if src["from"] == "botocore-examples":
            ex = botocore_example(self.root, src["service"], src["operation"], src["index"])
            return src["operation"], json.loads(json.dumps(ex["input"])), None, []
        service, op = src["path"].split("/")[0], Path(src["path"]).stem
        cmds = rst_commands(self.rst(src["path"]), service, op)
        cmd = cmds[src["example"] - 1]
        words = cmd.words()
        assert words[:3] == ["aws", service, op], words[:3]
        kept, dropped = strip_globals(words[1:])
        files = {k: v(self) if callable(v) else v for k, v in e.get("files", {}).items()}
        operation, params = cli_request(kept, files)
        return operation, params, cmd, dropped


def trust_from_create_role_output(ctx: Ctx) -> dict:
    # create-role.rst, example 3: the trust policy as IAM returned it
    # (example 2 shows the same policy with an 11-digit account id, a typo).
    return ctx.output("iam/create-role.rst", 2)["Role"]["AssumeRolePolicyDocument"]


TRUST_NOTE = (
    "the example shows no trust policy for this role: AssumeRolePolicyDocument is "
    "the one IAM returned in create-role.rst example 3's output "
    "(Principal AWS arn:aws:iam::123456789012:root)"
)

# --- Glue ------------------------------------------------------------------

entry(
    file="awscli/glue/create-database/example-1.json",
    kind="glue_database",
    source={"from": "awscli-rst", "path": "glue/create-database.rst", "example": 1},
    build=lambda ctx, op, p: p,
    name=lambda spec: twh_name(spec["DatabaseInput"]["Name"]),
    exercises="minimal database: DatabaseInput.Name only",
)

for n, desc in [
    (1, "Kinesis stream table: StorageDescriptor with Location, Parameters and SerdeInfo; no TableType"),
    (2, "Kafka table; the connection it names is only a string in Parameters"),
    (3, "S3 JSON table with a Location and a SerDe; no InputFormat/OutputFormat/TableType"),
]:
    entry(
        file=f"awscli/glue/create-table/example-{n}.json",
        kind="glue_table",
        source={"from": "awscli-rst", "path": "glue/create-table.rst", "example": n},
        build=lambda ctx, op, p: {**p, "DatabaseName": "${ref:glue_database.tempdb.name}"},
        name=lambda spec: twh_name(spec["TableInput"]["Name"]),
        estate=["awscli/glue/create-database/example-1.json"],
        changes=[
            "DatabaseName `tempdb` written as `${ref:glue_database.tempdb.name}` (resolves to "
            "`tempdb`, the database of create-database.rst, which must exist first)",
        ],
        exercises=desc + "; table name with hyphens",
    )

entry(
    file="awscli/glue/create-job/example-1.json",
    kind="glue_job",
    source={"from": "awscli-rst", "path": "glue/create-job.rst", "example": 1},
    build=lambda ctx, op, p: {**p, "Role": "${ref:iam_role.AWSGlueServiceRoleDefault.name}"},
    name=lambda spec: twh_name(spec["Name"]),
    estate=["prerequisites/iam_role-AWSGlueServiceRoleDefault.json"],
    changes=[
        "Role `AWSGlueServiceRoleDefault` (a role name, not an ARN) written as "
        "`${ref:iam_role.AWSGlueServiceRoleDefault.name}`: resolves to the same name, "
        "and the role (a prerequisite written here) is created first",
    ],
    exercises="gluestreaming job, Role given by name, DefaultArguments, no Timeout/GlueVersion/WorkerType",
)

# --- Athena ----------------------------------------------------------------

entry(
    file="awscli/athena/create-work-group/example-1.json",
    kind="athena_workgroup",
    source={"from": "awscli-rst", "path": "athena/create-work-group.rst", "example": 1},
    build=lambda ctx, op, p: p,
    name=lambda spec: twh_name(spec["Name"]),
    exercises="mixed-case workgroup name, Configuration from shorthand syntax (booleans from \"true\"), "
    "three tags, a tag value with a space",
)

entry(
    file="awscli/athena/update-work-group/example-1.json",
    kind="athena_workgroup",
    source={"from": "awscli-rst", "path": "athena/update-work-group.rst", "example": 1},
    build=lambda ctx, op, p: {
        **cli_request_of(ctx, "athena/create-work-group.rst", 1),
        "State": p["State"],
    },
    name=lambda spec: twh_name(spec["Name"]),
    changes=[
        "UpdateWorkGroup only changes an existing workgroup: the file is the workgroup of "
        "create-work-group.rst example 1 with this example's `State: DISABLED` added",
    ],
    expect_note="CreateWorkGroupInput has no `State` member; AWS sets State=DISABLED through "
    "UpdateWorkGroup, and so does twh (its athena_workgroup spec is CreateWorkGroupInput plus State). "
    "twh used to refuse the field as unknown, a refusal AWS does not make.",
    exercises="a disabled workgroup (State is an UpdateWorkGroup member only)",
)

# --- IAM (awscli .rst) -----------------------------------------------------


def create_role_build(ctx, op, p):
    spec = dict(p)
    spec["AssumeRolePolicyDocument"] = json.loads(p["AssumeRolePolicyDocument"])
    return spec


TRUST_FILE = {"Test-Role-Trust-Policy.json": lambda ctx: json.dumps(trust_from_create_role_output(ctx), indent=4)}
POLICY_AS_OBJECT = (
    "AssumeRolePolicyDocument (a JSON string in the API) written as the JSON object it holds: "
    "twh's iam_role spec takes policies as objects"
)

for n, desc in [
    (1, "minimal role: RoleName and trust policy"),
    (2, "MaxSessionDuration 7200"),
    (3, "two tags given as JSON, not shorthand"),
]:
    entry(
        file=f"awscli/iam/create-role/example-{n}.json",
        kind="iam_role",
        source={"from": "awscli-rst", "path": "iam/create-role.rst", "example": n},
        files=TRUST_FILE,
        build=create_role_build,
        name=lambda spec: twh_name(spec["RoleName"]),
        changes=[
            "`file://Test-Role-Trust-Policy.json` is not shipped with the example: its content is "
            "the trust policy IAM returned in this page's example 3 output (Sid Statement1, "
            "Principal AWS arn:aws:iam::123456789012:root, Action sts:AssumeRole)",
            POLICY_AS_OBJECT,
        ],
        exercises=desc + "; a trust policy whose principal is an account root ARN",
    )

entry(
    file="awscli/iam/put-role-policy/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/put-role-policy.rst", "example": 1},
    files={"AdminPolicy.json": lambda ctx: botocore_example(ctx.root, "iam", "PutRolePolicy", 0)["input"]["PolicyDocument"]},
    build=lambda ctx, op, p: role(
        p["RoleName"], trust_from_create_role_output(ctx),
        Policies={p["PolicyName"]: json.loads(p["PolicyDocument"])},
    ),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[
        "`file://AdminPolicy.json` is not shipped: its content is the policy document of "
        "botocore's PutRolePolicy example (the same package), "
        '`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`',
        "PutRolePolicy changes an existing role: the file is role Test-Role with the trust policy "
        "of create-role.rst example 3's output, plus this inline policy under `Policies`",
        "the policy document written as the JSON object it holds",
    ],
    exercises="inline policy whose Statement is one object, not a list",
)

entry(
    file="awscli/iam/attach-role-policy/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/attach-role-policy.rst", "example": 1},
    build=lambda ctx, op, p: role(
        p["RoleName"], trust_from_create_role_output(ctx), ManagedPolicyArns=[p["PolicyArn"]]
    ),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[TRUST_NOTE, "the attached policy ARN written under twh's `ManagedPolicyArns`"],
    exercises="an AWS managed policy attached (arn:aws:iam::aws:policy/ReadOnlyAccess)",
)

entry(
    file="awscli/iam/tag-role/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/tag-role.rst", "example": 1},
    build=lambda ctx, op, p: role(p["RoleName"], trust_from_create_role_output(ctx), Tags=p["Tags"]),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[TRUST_NOTE, "TagRole's tags written as the role's `Tags`"],
    exercises="one tag added to an existing role",
)


def production_role_trust(ctx: Ctx) -> dict:
    # update-role-description.rst shows production-role as IAM returns it.
    return ctx.output("iam/update-role-description.rst", 0)["Role"]["AssumeRolePolicyDocument"]


PRODUCTION_NOTE = (
    "the example shows no trust policy: AssumeRolePolicyDocument is production-role's own, as "
    "IAM returned it in update-role-description.rst's output (it has `\"Condition\": {}`)"
)

entry(
    file="awscli/iam/update-role/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/update-role.rst", "example": 1},
    build=lambda ctx, op, p: role(
        p["RoleName"], production_role_trust(ctx),
        Description=p["Description"], MaxSessionDuration=p["MaxSessionDuration"],
    ),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[PRODUCTION_NOTE, "UpdateRole's Description and MaxSessionDuration written as the role's"],
    exercises="MaxSessionDuration at its maximum (43200); a trust statement with an empty Condition",
)

entry(
    file="awscli/iam/update-role-description/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/update-role-description.rst", "example": 1},
    build=lambda ctx, op, p: role(p["RoleName"], production_role_trust(ctx), Description=p["Description"]),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[PRODUCTION_NOTE, "the description written as the role's"],
    exercises="Description only; the same empty Condition",
)

entry(
    file="awscli/iam/update-assume-role-policy/example-1.json",
    kind="iam_role",
    source={"from": "awscli-rst", "path": "iam/update-assume-role-policy.rst", "example": 1},
    files=TRUST_FILE,
    build=lambda ctx, op, p: role(p["RoleName"], json.loads(p["PolicyDocument"])),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[
        "`file://Test-Role-Trust-Policy.json` is not shipped: as for create-role, its content is the "
        "trust policy of create-role.rst example 3's output",
        "the new trust policy written as the role's AssumeRolePolicyDocument (a JSON object)",
    ],
    exercises="the trust policy as the whole role (same as create-role example 1)",
)

# --- IAM (botocore examples-1.json shipped in awscli) -----------------------

entry(
    file="botocore_examples/iam/CreateRole-1.json",
    kind="iam_role",
    source={"from": "botocore-examples", "service": "iam", "operation": "CreateRole", "index": 0},
    build=lambda ctx, op, p: {**p, "AssumeRolePolicyDocument": trust_from_create_role_output(ctx)},
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[
        "AssumeRolePolicyDocument is the placeholder `<Stringified-JSON>` in the example: replaced by "
        "the trust policy of create-role.rst example 3's output, as a JSON object",
    ],
    exercises="Path \"/\" given explicitly (the default)",
)

entry(
    file="botocore_examples/iam/PutRolePolicy-1.json",
    kind="iam_role",
    source={"from": "botocore-examples", "service": "iam", "operation": "PutRolePolicy", "index": 0},
    build=lambda ctx, op, p: role(
        p["RoleName"], trust_from_create_role_output(ctx),
        Policies={p["PolicyName"]: json.loads(p["PolicyDocument"])},
    ),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[TRUST_NOTE, "the inline policy written under `Policies` as a JSON object"],
    exercises="inline policy with `Statement` as a single object and `Action` as a string",
)

entry(
    file="botocore_examples/iam/TagRole-1.json",
    kind="iam_role",
    source={"from": "botocore-examples", "service": "iam", "operation": "TagRole", "index": 0},
    build=lambda ctx, op, p: role(p["RoleName"], trust_from_create_role_output(ctx), Tags=p["Tags"]),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=[TRUST_NOTE, "TagRole's tags written as the role's `Tags`"],
    exercises="two tags, one with a numeric-looking value (\"12345\")",
)

entry(
    file="botocore_examples/iam/UpdateAssumeRolePolicy-1.json",
    kind="iam_role",
    source={"from": "botocore-examples", "service": "iam", "operation": "UpdateAssumeRolePolicy", "index": 0},
    build=lambda ctx, op, p: role(p["RoleName"], json.loads(p["PolicyDocument"])),
    name=lambda spec: twh_name(spec["RoleName"]),
    changes=["the new trust policy written as the role's AssumeRolePolicyDocument (a JSON object)"],
    exercises="trust policy with a one-element Service list and a one-element Action list "
    "(IAM returns them as written; Terraform-style equivalence treats them as strings)",
)


def cli_request_of(ctx: Ctx, rel: str, example: int) -> dict:
    service, op = rel.split("/")[0], Path(rel).stem
    cmd = rst_commands(ctx.rst(rel), service, op)[example - 1]
    kept, _ = strip_globals(cmd.words()[1:])
    return cli_request(kept, {})[1]


# Files written by hand (not generated): transcribed from AWS documentation,
# checked against the model like the rest. See README.md for their sources.
HAND_WRITTEN = [
    "prerequisites/iam_role-AWSGlueServiceRoleDefault.json",
    "cloudformation_docs/glue-crawler-dbCrawler/database.json",
    "cloudformation_docs/glue-crawler-dbCrawler/role.json",
    "cloudformation_docs/glue-crawler-dbCrawler/crawler.json",
    "cloudformation_docs/glue-crawler-dbcrawler/database.json",
    "cloudformation_docs/glue-crawler-dbcrawler/role.json",
    "cloudformation_docs/glue-crawler-dbcrawler/crawler.json",
    "cloudformation_docs/glue-job/role.json",
    "cloudformation_docs/glue-job/job.json",
    "cloudformation_docs/athena-workgroup/workgroup.json",
    "quicksight_docs/create-data-source/athena.json",
]

# --------------------------------------------------------------------------
# Checking specs against the botocore model
# --------------------------------------------------------------------------

KIND_SHAPES = {
    "glue_database": ("glue", "CreateDatabaseRequest"),
    "glue_table": ("glue", "CreateTableRequest"),
    "glue_crawler": ("glue", "CreateCrawlerRequest"),
    "glue_job": ("glue", "CreateJobRequest"),
    "athena_workgroup": ("athena", "CreateWorkGroupInput"),
    "quicksight_data_source": ("quicksight", "CreateDataSourceRequest"),
    "quicksight_data_set": ("quicksight", "CreateDataSetRequest"),
    "iam_role": ("iam", "CreateRoleRequest"),
}
# Members twh adds to an AWS input shape (its RoleSpec, DataSetSpec and
# WorkGroupSpec).
TWH_EXTRA = {
    "athena_workgroup": {"State": ("shape", "WorkGroupState")},
    "iam_role": {"Policies": "policy-map", "ManagedPolicyArns": "arn-list"},
    "quicksight_data_set": {"RefreshSchedules": ("list", "RefreshSchedule"),
                            "RefreshProperties": ("shape", "DataSetRefreshProperties")},
}
ACCOUNT_MEMBERS = {"AwsAccountId", "CatalogId"}  # twh fills them when omitted

# What twh does with these specs today (mirrors `lowercase` in src/kinds/mod.rs),
# for the prediction column only.
TWH_LOWERCASE = {
    "glue_database": ["DatabaseInput.Name"],
    "glue_table": ["DatabaseName", "TableInput.Name"],
    "glue_crawler": ["DatabaseName"],
}


def check_value(model: dict, shape_name: str, value, path: str, issues: list[str]):
    shape = model["shapes"][shape_name]
    t = shape["type"]
    if isinstance(value, str) and "${" in value:
        return  # a twh placeholder, resolved before the call
    if t == "structure":
        if not isinstance(value, dict):
            issues.append(f"{path}: expected an object")
            return
        members = shape.get("members", {})
        for k, v in value.items():
            if k not in members:
                issues.append(f"{path}.{k}: not a member of {shape_name}")
                continue
            check_value(model, members[k]["shape"], v, f"{path}.{k}", issues)
        for req in shape.get("required", []):
            if req not in value and req not in ACCOUNT_MEMBERS:
                issues.append(f"{path}.{req}: required by {shape_name}")
    elif t == "list":
        if not isinstance(value, list):
            issues.append(f"{path}: expected a list")
            return
        check_len(shape, len(value), path, issues)
        for i, v in enumerate(value):
            check_value(model, shape["member"]["shape"], v, f"{path}[{i}]", issues)
    elif t == "map":
        if not isinstance(value, dict):
            issues.append(f"{path}: expected a map")
            return
        check_len(shape, len(value), path, issues)
        for k, v in value.items():
            check_value(model, shape["key"]["shape"], k, f"{path} key {k!r}", issues)
            check_value(model, shape["value"]["shape"], v, f"{path}[{k!r}]", issues)
    elif t == "string":
        if not isinstance(value, str):
            issues.append(f"{path}: expected a string")
            return
        if "enum" in shape and value not in shape["enum"]:
            issues.append(f"{path}: {value!r} not one of {shape['enum']}")
        check_len(shape, len(value), path, issues)
        pat = shape.get("pattern")
        if pat:
            try:
                if not re.fullmatch(pat, value, re.S):
                    issues.append(f"{path}: {value!r} does not match {pat}")
            except re.error:
                pass  # a Java-only construct (surrogate ranges): not checked here
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            issues.append(f"{path}: expected an integer")
            return
        check_range(shape, value, path, issues)
    elif t in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            issues.append(f"{path}: expected a number")
            return
        check_range(shape, value, path, issues)
    elif t == "boolean":
        if not isinstance(value, bool):
            issues.append(f"{path}: expected a boolean")
    elif t == "timestamp":
        if not isinstance(value, (int, float, str)):
            issues.append(f"{path}: expected a timestamp")


def check_len(shape, n, path, issues):
    if "min" in shape and n < shape["min"]:
        issues.append(f"{path}: length {n} < min {shape['min']}")
    if "max" in shape and n > shape["max"]:
        issues.append(f"{path}: length {n} > max {shape['max']}")


def check_range(shape, v, path, issues):
    if "min" in shape and v < shape["min"]:
        issues.append(f"{path}: {v} < min {shape['min']}")
    if "max" in shape and v > shape["max"]:
        issues.append(f"{path}: {v} > max {shape['max']}")


def check_spec(root: Path, kind: str, spec: dict) -> list[str]:
    service, shape_name = KIND_SHAPES[kind]
    model = service_model(root, service)
    issues: list[str] = []
    extra = TWH_EXTRA.get(kind, {})
    base = {k: v for k, v in spec.items() if k not in extra}
    if kind == "iam_role":
        doc = base.pop("AssumeRolePolicyDocument", None)
        if not isinstance(doc, dict):
            issues.append("AssumeRolePolicyDocument: expected a JSON policy object")
        base["AssumeRolePolicyDocument"] = json.dumps(doc, separators=(",", ":"))
    check_value(model, shape_name, base, kind, issues)
    for k, how in extra.items():
        if k not in spec:
            continue
        if how == "policy-map":
            for pname, pdoc in spec[k].items():
                check_value(model, "policyNameType", pname, f"{kind}.{k} key", issues)
                check_value(model, "policyDocumentType", json.dumps(pdoc), f"{kind}.{k}[{pname!r}]", issues)
        elif how == "arn-list":
            for i, arn in enumerate(spec[k]):
                check_value(model, "arnType", arn, f"{kind}.{k}[{i}]", issues)
        elif how[0] == "list":
            for i, v in enumerate(spec[k]):
                check_value(model, how[1], v, f"{kind}.{k}[{i}]", issues)
        else:
            check_value(model, how[1], spec[k], f"{kind}.{k}", issues)
    return issues


def twh_prediction(kind: str, spec: dict) -> list[str]:
    out = []
    for dotted in TWH_LOWERCASE.get(kind, []):
        v = spec
        for part in dotted.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        if isinstance(v, str) and "${" not in v and v != v.lower():
            out.append(f"twh sends {dotted} {v!r} folded to {v.lower()!r}, as Glue stores it")
    return out


# --------------------------------------------------------------------------
# Building everything
# --------------------------------------------------------------------------


def dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def build(root: Path) -> tuple[dict[str, str], list[dict], list[str]]:
    ctx = Ctx(root)
    files: dict[str, str] = {}
    manifest: list[dict] = []
    problems: list[str] = []
    for e in CORPUS:
        op, params, cmd, dropped = ctx.request(e)
        spec = e["build"](ctx, op, params)
        res = {"type": e["kind"], "name": e["name"](spec), "spec": spec}
        files[e["file"]] = dump(res)
        changes = list(e.get("changes", []))
        if dropped:
            changes.insert(0, "dropped the options that are not request members: `" + " ".join(dropped) + "`")
        if cmd is not None and cmd.backslash_in_quotes:
            changes.insert(0, "read the backslash-newlines inside the quoted JSON as line continuations "
                              "(in a POSIX shell they stay in the argument and the CLI rejects the value "
                              "as invalid JSON)")
        src = dict(e["source"])
        src["package"] = f"awscli {AWSCLI_VERSION}"
        if src["from"] == "awscli-rst":
            src["path"] = "awscli/examples/" + src["path"]
        else:
            src["path"] = f"awscli/botocore/data/{src['service']}/*/examples-1.json"
        issues = check_spec(root, e["kind"], spec)
        if e.get("expect") != "refused":  # a refused example states its model issue
            problems += [f"{e['file']}: {i}" for i in issues]
        manifest.append({
            "file": e["file"],
            "kind": e["kind"],
            "address": f"{e['kind']}.{res['name']}",
            "source": src,
            "operation": op,
            "estate": e.get("estate", []),
            "changes": changes,
            "exercises": e["exercises"],
            "expect": e.get("expect", "accepted"),
            "expect_note": e.get("expect_note", ""),
            "twh_prediction": twh_prediction(e["kind"], spec),
            "model_issues": issues,
        })
        if "aws_refusal" in e:  # the refusal AWS itself makes: {message, evidence}
            manifest[-1]["aws_refusal"] = e["aws_refusal"]
    for rel in HAND_WRITTEN:
        doc = json.loads((HERE / rel).read_text())
        for r in doc.get("resources", [doc]):
            problems += [f"{rel}: {i}" for i in check_spec(root, r["type"], r["spec"])]
    extra = json.loads((HERE / "hand_written.json").read_text())
    manifest += extra
    for m in extra:
        doc = json.loads((HERE / m["file"]).read_text())
        m["twh_prediction"] = m.get("twh_prediction") or twh_prediction(doc["type"], doc["spec"])
    files["manifest.json"] = dump({
        "awscli": AWSCLI_VERSION,
        "account": ACCOUNT,
        "examples": manifest,
    })
    files["README.md"] = readme_with_table(manifest)
    return files, manifest, problems


BEGIN, END = "<!-- BEGIN generated by extract.py -->", "<!-- END generated by extract.py -->"


def readme_with_table(manifest: list[dict]) -> str:
    text = (HERE / "README.md").read_text()
    rows = ["| file | kind | from | estate (create first) | exercises | expected |", "|---|---|---|---|---|---|"]
    for m in manifest:
        s = m["source"]
        if s["from"] == "awscli-rst":
            where = f"`{s['path']}` example {s['example']}"
        elif s["from"] == "botocore-examples":
            where = f"`{s['path']}` {s['operation']}[{s['index']}]"
        elif s["from"] == "cloudformation-docs":
            where = f"{s['repo']}@{s['commit'][:8]} `{s['path']}` {s['example']}"
        else:
            where = s["url"]
        expect = m["expect"]
        rows.append(
            f"| `{m['file']}` | {m['kind']} | {where} | "
            + (", ".join(f"`{x}`" for x in m["estate"]) or "—")
            + f" | {m['exercises']} | {expect} |"
        )
    table = "\n".join(rows)
    changes = []
    for m in manifest:
        changes.append(f"- `{m['file']}`:")
        for c in m["changes"] or ["nothing"]:
            changes.append(f"  - {c}")
    block = f"{BEGIN}\n\n### Files\n\n{table}\n\n### Changes, file by file\n\n" + "\n".join(changes) + f"\n\n{END}"
    if BEGIN in text:
        pre, rest = text.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
        return pre + block + post
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when stale")
    args = ap.parse_args()
    root = awscli_root()
    files, manifest, problems = build(root)
    for p in problems:
        print(f"model check: {p}", file=sys.stderr)
    stale = []
    for rel, text in files.items():
        path = HERE / rel
        current = path.read_text() if path.exists() else None
        if current != text:
            stale.append(rel)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    if args.check:
        for rel in stale:
            print(f"stale: {rel}", file=sys.stderr)
        print(f"{len(manifest)} examples, {len(stale)} stale files, {len(problems)} model problems")
        return 1 if stale or problems else 0
    print(f"{len(manifest)} examples; wrote {len(stale)} files; {len(problems)} model problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

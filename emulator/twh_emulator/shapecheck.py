"""Botocore output-shape validation of the emulator's answers.

Every answer the emulator gives (its own handlers' and moto's) can be held
to the botocore service model of the operation it answers, the same model
the AWS SDKs are generated from (the venv's
``botocore/data/<service>/<version>/service-2.json``):

- a success body must match the operation's output shape: every member the
  shape marks required is present, every value has the shape's type
  (string, integer/long, float/double, boolean, timestamp, blob, list, map,
  structure), a string member with an enum holds one of its values, and no
  member appears that the shape does not have;
- an error must carry a code the operation declares (or one of the errors
  every AWS API can answer, ``COMMON_ERRORS``) with the HTTP status the
  model gives that error (``error.httpStatusCode``; 400 when the model
  names none).

Protocols: awsJson1_1 (Glue, Athena) and restJson1 (QuickSight) bodies are
JSON; the query protocol (IAM, STS, CloudFormation) answers XML, checked
element by element.  S3 (rest-xml) is not checked (see EVIDENCE.md).

Types follow the protocols' wire formats (botocore's parsers,
``botocore/parsers.py``): JSON timestamps are epoch-second numbers unless the
member says ``timestampFormat``; a JSON ``double``/``float`` is written with
a fraction (``10.0``), the way AWS's services serialise doubles (the AWS
CLI's ``examples/glue/get-job.rst`` shows ``"MaxCapacity": 10.0`` beside
``"AllocatedCapacity": 10``); an integer is never a float or a boolean.

The server runs the check on every answer when ``TWH_EMULATOR_SHAPECHECK=1``
(server.py): a failing answer is replaced by a 500
``TwhEmulatorShapeCheckFailure`` naming the problems, logged on stderr and
kept for ``GET /_twh/shapecheck``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import threading
import xml.etree.ElementTree as ET
from typing import Any

import botocore.session

# The signing name a request carries -> the botocore service name.
SERVICES = {
    "glue": "glue",
    "athena": "athena",
    "quicksight": "quicksight",
    "iam": "iam",
    "sts": "sts",
    "cloudformation": "cloudformation",
    # twh-extract's `--credentials secretsmanager://ARN` (GetSecretValue).
    "secretsmanager": "secretsmanager",
}

# Errors any AWS API may answer without its model listing them (the
# AWS "Common Errors" list: https://docs.aws.amazon.com/general/latest/gr/api-retries.html
# and each API reference's "Common Errors" page, e.g.
# https://docs.aws.amazon.com/glue/latest/webapi/CommonErrors.html).
COMMON_ERRORS = {
    "AccessDeniedException",
    "IncompleteSignature",
    "InternalFailure",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidParameterCombination",
    "InvalidParameterValue",
    "InvalidQueryParameter",
    "MalformedQueryString",
    "MissingAction",
    "MissingAuthenticationToken",
    "MissingParameter",
    "NotAuthorized",
    "OptInRequired",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "Throttling",
    "ValidationError",
    "ValidationException",
    "SerializationException",
    "UnrecognizedClientException",
}

ENABLED = os.environ.get("TWH_EMULATOR_SHAPECHECK", "") not in ("", "0", "false", "no")

_SESSION = botocore.session.get_session()
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def model(service: str) -> Any | None:
    name = SERVICES.get(service)
    if name is None:
        return None
    with _MODELS_LOCK:
        if name not in _MODELS:
            _MODELS[name] = _SESSION.get_service_model(name)
        return _MODELS[name]


class Failures:
    """Shape failures seen since the last reset (GET /_twh/shapecheck)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, service: str, operation: str | None, status: int, problems: list[str]) -> None:
        with self._lock:
            self._items.append({"service": service, "operation": operation, "status": status, "problems": problems})

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


FAILURES = Failures()


# --------------------------------------------------------------------------
# Entry point


def check_answer(service: str, operation: str | None, status: int, headers: list[tuple[str, str]], body: bytes) -> list[str]:
    """Problems with this answer (empty: it matches the model).  Services
    or operations the model does not know are not checked."""
    svc = model(service)
    if svc is None or not operation:
        return []
    try:
        op = svc.operation_model(operation)
    except Exception:  # noqa: BLE001 - not an operation of this model (e.g. moto's own routes)
        return []
    if status >= 300:
        return check_error(svc, op, status, headers, body)
    if svc.protocol in ("json", "rest-json"):
        return check_json_output(svc, op, status, headers, body)
    if svc.protocol == "query":
        return check_query_output(op, body)
    return []


# --------------------------------------------------------------------------
# JSON protocols


def check_json_output(svc: Any, op: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> list[str]:
    shape = op.output_shape
    if shape is None:
        # No output shape: AWS answers an empty object (or nothing).
        if body.strip() in (b"", b"{}"):
            return []
        return [f"{op.name}: the model has no output, the answer has a body"]
    try:
        doc = json.loads(body or b"{}")
    except ValueError as exc:
        return [f"{op.name}: the body is not JSON ({exc})"]
    problems: list[str] = []
    if svc.protocol == "rest-json":
        payload = shape.serialization.get("payload")
        if payload:
            return validate(shape.members[payload], doc, payload)
        header_names = {k.lower() for k, _ in headers}
        body_members = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "statusCode":
                # QuickSight binds Status to the HTTP status; the
                # emulator also repeats it in the body (tolerated only
                # when it agrees with the status line).
                if name in doc and doc[name] != status:
                    problems.append(f"{name}: {doc[name]!r} in the body but the HTTP status is {status}")
                doc.pop(name, None)
                continue
            if location in ("header", "headers"):
                wire = member.serialization.get("name", name).lower()
                if name in doc:
                    problems.append(f"{name}: bound to the header {wire}, found in the body")
                if name in shape.required_members and wire not in header_names:
                    problems.append(f"{name}: required header {wire} missing")
                continue
            body_members[name] = member
        problems += _validate_structure(shape, doc, "", members=body_members)
        return problems
    return validate(shape, doc, "")


def validate(shape: Any, value: Any, path: str) -> list[str]:
    """Problems of a JSON value against a botocore shape."""
    where = path or "<answer>"
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a structure ({shape.name}), got {_type(value)}"]
        return _validate_structure(shape, value, path)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list ({shape.name}), got {_type(value)}"]
        out: list[str] = []
        for i, item in enumerate(value):
            out += validate(shape.member, item, f"{path}[{i}]")
        return out
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map ({shape.name}), got {_type(value)}"]
        out = []
        for k, v in value.items():
            out += validate(shape.value, v, f"{path}.{k}" if path else k)
        return out
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string ({shape.name}), got {_type(value)}"]
        enum = shape.enum
        if enum and value not in enum:
            return [f"{where}: {value!r} is not one of {shape.name}'s values {sorted(enum)}"]
        return []
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an {kind} ({shape.name}), got {_type(value)} {value!r}"]
        return []
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, float):
            return [f"{where}: expected a {kind} written with a fraction ({shape.name}), got {_type(value)} {value!r}"]
        return []
    if kind == "boolean":
        if not isinstance(value, bool):
            return [f"{where}: expected a boolean ({shape.name}), got {_type(value)} {value!r}"]
        return []
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat")
        if fmt in ("iso8601", "rfc822"):
            if not isinstance(value, str):
                return [f"{where}: expected a {fmt} timestamp string, got {_type(value)}"]
            return []
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: expected a timestamp as epoch seconds, got {_type(value)} {value!r}"]
        return []
    if kind == "blob":
        if not isinstance(value, str):
            return [f"{where}: expected a base64 blob, got {_type(value)}"]
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            return [f"{where}: not base64"]
        return []
    if kind == "document":
        return []
    return [f"{where}: shape type {kind} not checked"]


def _validate_structure(shape: Any, value: dict[str, Any], path: str, members: dict[str, Any] | None = None) -> list[str]:
    members = shape.members if members is None else members
    out: list[str] = []
    for name in shape.required_members:
        if name in members and name not in value:
            out.append(f"{_join(path, name)}: required member missing ({shape.name})")
    for name, item in value.items():
        sub = _join(path, name)
        if name not in members:
            out.append(f"{sub}: not a member of {shape.name}")
            continue
        if item is None:
            # AWS leaves absent members out; a JSON null is a value of the
            # wrong type for every shape.
            out.append(f"{sub}: null (AWS omits absent members)")
            continue
        out += validate(members[name], item, sub)
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "structure"
    return type(value).__name__


# --------------------------------------------------------------------------
# Requests


def check_request(service: str, operation: str, body: dict[str, Any]) -> list[str]:
    """Problems of a JSON request body against the operation's input shape:
    required members missing, members the shape lacks, wrong types, enum
    values.  Members bound to the URI, query string or headers are not in
    the body and are skipped.  Numbers are taken as any client writes them
    (an integer is accepted for a double; a timestamp may be a number or a
    string).  Used for the QuickSight asset operations, whose Definition is
    a deep tree a client (twh) may get wrong in ways the SDK does not stop."""
    svc = model(service)
    if svc is None:
        return []
    shape = svc.operation_model(operation).input_shape
    if shape is None:
        return []
    members = {n: m for n, m in shape.members.items() if not m.serialization.get("location")}
    return _request_structure(shape, body, "", members)


def _request_structure(shape: Any, value: dict[str, Any], path: str, members: dict[str, Any] | None = None) -> list[str]:
    members = shape.members if members is None else members
    out: list[str] = []
    for name in shape.required_members:
        if name in members and value.get(name) is None:
            out.append(f"{_join(path, name)}: required member missing ({shape.name})")
    for name, item in value.items():
        sub = _join(path, name)
        if name not in members:
            out.append(f"{sub}: not a member of {shape.name}")
        elif item is not None:
            out += _request_value(members[name], item, sub)
    return out


def _request_value(shape: Any, value: Any, path: str) -> list[str]:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected a structure ({shape.name}), got {_type(value)}"]
        return _request_structure(shape, value, path)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list ({shape.name}), got {_type(value)}"]
        out: list[str] = []
        for i, item in enumerate(value):
            out += _request_value(shape.member, item, f"{path}[{i}]")
        return out
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map ({shape.name}), got {_type(value)}"]
        out = []
        for k, v in value.items():
            out += _request_value(shape.value, v, f"{path}.{k}")
        return out
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{path}: expected a number ({shape.name}), got {_type(value)}"]
        return []
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return [f"{path}: expected a timestamp, got {_type(value)}"]
        return []
    # strings (with their enums), integers, booleans and blobs as for answers
    return validate(shape, value, path)


# --------------------------------------------------------------------------
# Errors


def _error_code(svc: Any, body: bytes, headers: list[tuple[str, str]]) -> str | None:
    if svc.protocol in ("json", "rest-json"):
        for k, v in headers:
            if k.lower() == "x-amzn-errortype":
                return v.split(":", 1)[0]
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        code = doc.get("__type") or doc.get("code") or doc.get("Code")
        return code.rsplit("#", 1)[-1] if isinstance(code, str) else None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for el in root.iter():
        if _local(el.tag) == "Code":
            return (el.text or "").strip()
    return None


def check_error(svc: Any, op: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> list[str]:
    code = _error_code(svc, body, headers)
    if not code:
        return [f"{op.name}: an error answer ({status}) without an error code"]
    declared = {}
    for shape in op.error_shapes:
        declared[shape.error_code] = (shape.metadata.get("error") or {}).get("httpStatusCode", 400)
    if code in declared:
        if declared[code] != status:
            return [f"{op.name}: {code} answered with HTTP {status}; the model gives {declared[code]}"]
        return []
    if code in COMMON_ERRORS:
        return []
    # Errors of the service the model declares on other operations
    # (models leave some out, e.g. Glue's ConcurrentModificationException on
    # a few Get calls) still need the model's status.
    for shape_name in svc.shape_names:
        shape = svc.shape_for(shape_name)
        if shape.metadata.get("exception") and shape.error_code == code:
            expected = (shape.metadata.get("error") or {}).get("httpStatusCode", 400)
            problems = [f"{op.name}: {code} is not among the operation's errors {sorted(declared)}"]
            if expected != status:
                problems.append(f"{op.name}: {code} answered with HTTP {status}; the model gives {expected}")
            return problems
    return [f"{op.name}: {code} is not an error of the {svc.service_name} model (declared: {sorted(declared)})"]


# --------------------------------------------------------------------------
# Query protocol (XML)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_query_output(op: Any, body: bytes) -> list[str]:
    shape = op.output_shape
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return [f"{op.name}: the body is not XML ({exc})"]
    if _local(root.tag) != f"{op.name}Response":
        return [f"{op.name}: root element {_local(root.tag)}, expected {op.name}Response"]
    children = {_local(c.tag): c for c in root}
    problems = [f"{op.name}Response/{n}: unexpected element" for n in children if n not in (f"{op.name}Result", "ResponseMetadata")]
    if shape is None:
        return problems
    wrapper = shape.serialization.get("resultWrapper")
    result = children.get(wrapper) if wrapper else root
    if result is None:
        return problems + [f"{op.name}: {wrapper} missing"]
    return problems + _xml_structure(shape, result, wrapper or op.name)


def _xml_structure(shape: Any, el: ET.Element, path: str) -> list[str]:
    out: list[str] = []
    by_wire = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}
    seen: dict[str, list[ET.Element]] = {}
    for child in el:
        seen.setdefault(_local(child.tag), []).append(child)
    for wire, elements in seen.items():
        if wire not in by_wire:
            out.append(f"{path}/{wire}: not a member of {shape.name}")
            continue
        name, member = by_wire[wire]
        flattened = member.type_name == "list" and member.serialization.get("flattened")
        if len(elements) > 1 and not flattened:
            out.append(f"{path}/{wire}: repeated")
        for child in elements:
            out += _xml_value(member, child, f"{path}/{wire}")
    for name in shape.required_members:
        wire = shape.members[name].serialization.get("name", name)
        if wire not in seen:
            out.append(f"{path}/{wire}: required member missing ({shape.name})")
    return out


def _xml_value(shape: Any, el: ET.Element, path: str) -> list[str]:
    kind = shape.type_name
    kids = list(el)
    text = (el.text or "").strip()
    if kind == "structure":
        if text:
            return [f"{path}: expected a structure ({shape.name}), got text {text[:40]!r}"]
        return _xml_structure(shape, el, path)
    if kind == "list":
        if shape.serialization.get("flattened"):
            return _xml_value(shape.member, el, path)
        item = shape.member.serialization.get("name", "member")
        out = []
        for child in kids:
            if _local(child.tag) != item:
                out.append(f"{path}/{_local(child.tag)}: expected <{item}> list items")
                continue
            out += _xml_value(shape.member, child, f"{path}/{item}")
        if text:
            out.append(f"{path}: expected a list ({shape.name}), got text {text[:40]!r}")
        return out
    if kind == "map":
        out = []
        for entry in kids:
            parts = {_local(c.tag): c for c in entry}
            if _local(entry.tag) != "entry" or "key" not in parts or "value" not in parts:
                out.append(f"{path}: expected <entry><key/><value/></entry>")
                continue
            out += _xml_value(shape.value, parts["value"], f"{path}/{(parts['key'].text or '').strip()}")
        return out
    if kids:
        return [f"{path}: expected a {kind} ({shape.name}), got nested elements"]
    if kind == "string":
        if shape.enum and text not in shape.enum:
            return [f"{path}: {text!r} is not one of {shape.name}'s values"]
        return []
    if kind in ("integer", "long"):
        try:
            int(text)
        except ValueError:
            return [f"{path}: expected an {kind}, got {text!r}"]
        return []
    if kind in ("float", "double"):
        try:
            float(text)
        except ValueError:
            return [f"{path}: expected a {kind}, got {text!r}"]
        return []
    if kind == "boolean":
        if text not in ("true", "false"):
            return [f"{path}: expected true or false, got {text!r}"]
        return []
    if kind == "timestamp":
        try:
            _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return [f"{path}: expected an ISO 8601 timestamp, got {text!r}"]
        return []
    if kind == "blob":
        try:
            base64.b64decode(text, validate=True)
        except ValueError:
            return [f"{path}: not base64"]
        return []
    return []


# --------------------------------------------------------------------------
# Wire numbers


def coerce_numbers(service: str, operation: str | None, body: bytes) -> bytes:
    """Write every float/double member of a JSON answer with a fraction, as
    AWS's services serialise doubles (``10.0``; awscli/examples/glue/
    get-job.rst), whatever Python or moto made of it (``10``).  Only JSON
    success bodies of operations the model knows are touched."""
    svc = model(service)
    if svc is None or not operation or svc.protocol not in ("json", "rest-json"):
        return body
    try:
        shape = svc.operation_model(operation).output_shape
        doc = json.loads(body or b"{}")
    except Exception:  # noqa: BLE001 - leave anything unexpected to the check
        return body
    if shape is None or not _coerce(shape, doc):
        return body
    return json.dumps(doc, separators=(",", ":")).encode()


def _coerce(shape: Any, value: Any) -> bool:
    changed = False
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                continue
            if member.type_name in ("float", "double") and isinstance(item, int) and not isinstance(item, bool):
                value[name] = float(item)
                changed = True
            else:
                changed |= _coerce(member, item)
    elif kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            if shape.member.type_name in ("float", "double") and isinstance(item, int) and not isinstance(item, bool):
                value[i] = float(item)
                changed = True
            else:
                changed |= _coerce(shape.member, item)
    elif kind == "map" and isinstance(value, dict):
        for k, item in value.items():
            if shape.value.type_name in ("float", "double") and isinstance(item, int) and not isinstance(item, bool):
                value[k] = float(item)
                changed = True
            else:
                changed |= _coerce(shape.value, item)
    return changed

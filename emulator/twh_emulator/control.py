"""The harness's switches, under /_twh/: fault injection, the call log,
reset, timings, canned Athena results and QuickSight data-set flags.

Faults are answered exactly as each service's throttling/5xx errors look on
the wire, so a client's retry classification is exercised, not bypassed.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

from . import athena, glue, quicksight, shapecheck
from .common import DEFAULT_REGION, IAM_PROPAGATION, ROLE_BIRTHS, SCHEDULER, SETTINGS, STATE_LOCK, dumps, request_id

READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Head", "Search", "Lookup")


def is_mutating(operation: str | None) -> bool:
    return bool(operation) and not operation.startswith(READ_PREFIXES)  # type: ignore[union-attr]


# --------------------------------------------------------------------------
# Call log


class CallLog:
    def __init__(self) -> None:
        self._calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, service: str, operation: str | None, status: int, fault: str | None, access_key: str | None = None) -> None:
        with self._lock:
            self._calls.append(
                {
                    "service": service,
                    "operation": operation or "Unknown",
                    "mutating": is_mutating(operation),
                    "status": status,
                    "fault": fault,
                    "time": round(time.time(), 3),
                    # The SigV4 access key that signed it: a harness that
                    # runs several clients at once gives each its own key
                    # and counts each one's calls apart (GET
                    # /_twh/calls?access_key=KEY).
                    "access_key": access_key,
                }
            )

    def snapshot(self, access_key: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self._calls if access_key is None or c["access_key"] == access_key]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


CALLS = CallLog()


# --------------------------------------------------------------------------
# Faults


@dataclass
class FaultConfig:
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: tuple[int, int] = (0, 0)
    services: set[str] = field(default_factory=set)  # empty: every service
    operations: set[str] = field(default_factory=set)  # empty: every operation
    max_faults: int | None = None  # stop injecting errors after this many
    seed: int | None = None
    # A lost response: the request is applied, then its answer is held for
    # hang_ms (longer than the client's attempt timeout), so the client sees
    # a timeout for a change that did happen.
    timeout_rate: float = 0.0
    hang_ms: int = 10_000
    # The Nth successful mutating call (counted from this configuration) is
    # applied and its answer held until the faults are switched off: a test
    # kills the client at that exact point.
    hang_after_mutations: int | None = None
    # The Nth mutating call (counted on arrival) is held before it is
    # applied, until the faults are switched off; then it fails with a 503,
    # unapplied: the client was killed after deciding to change something
    # and before AWS heard of it.
    hang_before_mutation: int | None = None
    # IAM eventual consistency: for this many seconds after a role is
    # created, Glue CreateCrawler/UpdateCrawler/CreateJob/UpdateJob naming
    # it fail with InvalidInputException "Service is unable to assume
    # provided role..." (glue.check_role_propagated), and QuickSight
    # Create/UpdateDataSource naming it as a RoleArn fail with
    # AccessDeniedException (quicksight.check_role_propagated).
    iam_propagation_seconds: float = 0.0

    @classmethod
    def parse(cls, spec: dict[str, Any]) -> "FaultConfig":
        latency = spec.get("latency_ms") or [0, 0]
        if isinstance(latency, (int, float)):
            latency = [latency, latency]
        cfg = cls(
            throttle_rate=float(spec.get("throttle_rate", 0.0)),
            error_rate=float(spec.get("error_rate", 0.0)),
            latency_ms=(int(latency[0]), int(latency[1])),
            services={s.lower() for s in spec.get("services") or []},
            operations=set(spec.get("operations") or []),
            max_faults=spec.get("max_faults"),
            seed=spec.get("seed"),
            timeout_rate=float(spec.get("timeout_rate", 0.0)),
            hang_ms=int(spec.get("hang_ms", 10_000)),
            hang_after_mutations=spec.get("hang_after_mutations"),
            hang_before_mutation=spec.get("hang_before_mutation"),
            iam_propagation_seconds=float(spec.get("iam_propagation_seconds", 0.0)),
        )
        if cfg.iam_propagation_seconds < 0:
            raise ValueError("iam_propagation_seconds must not be negative")
        if not 0 <= cfg.throttle_rate + cfg.error_rate + cfg.timeout_rate <= 1:
            raise ValueError("throttle_rate + error_rate + timeout_rate must be between 0 and 1")
        for key in ("hang_after_mutations", "hang_before_mutation"):
            if getattr(cfg, key) is not None and int(getattr(cfg, key)) < 1:
                raise ValueError(f"{key} counts from 1")
        if cfg.latency_ms[0] > cfg.latency_ms[1] or cfg.latency_ms[0] < 0:
            raise ValueError("latency_ms must be [min, max] with 0 <= min <= max")
        return cfg

    def as_dict(self) -> dict[str, Any]:
        return {
            "throttle_rate": self.throttle_rate,
            "error_rate": self.error_rate,
            "latency_ms": list(self.latency_ms),
            "services": sorted(self.services),
            "operations": sorted(self.operations),
            "max_faults": self.max_faults,
            "seed": self.seed,
            "timeout_rate": self.timeout_rate,
            "hang_ms": self.hang_ms,
            "hang_after_mutations": self.hang_after_mutations,
            "hang_before_mutation": self.hang_before_mutation,
            "iam_propagation_seconds": self.iam_propagation_seconds,
        }


@dataclass
class Decision:
    latency_s: float = 0.0
    fault: str | None = None  # "throttle" | "error" | "timeout"
    status: int = 0


class Faults:
    def __init__(self) -> None:
        self.config = FaultConfig()
        self._rng = random.Random()
        self._injected = 0
        self._mutations = 0
        self._arrivals = 0
        self._lock = threading.Lock()
        # Set while no hang is wanted: held answers wait on it.
        self._release = threading.Event()
        self._release.set()

    def configure(self, cfg: FaultConfig) -> None:
        with self._lock:
            # Answers held by the previous configuration go out now.
            self._release.set()
            self.config = cfg
            IAM_PROPAGATION["seconds"] = cfg.iam_propagation_seconds
            # A seed makes the sequence of decisions reproducible for a
            # given sequence of requests.
            self._rng = random.Random(cfg.seed)
            self._injected = 0
            self._mutations = 0
            self._arrivals = 0
            self._release = threading.Event()
            if not (cfg.timeout_rate or cfg.hang_after_mutations or cfg.hang_before_mutation):
                self._release.set()

    def hold_after(self, operation: str | None, status: int, decision: Decision) -> float | None:
        """Seconds to hold an applied request's answer, or None. Counts
        successful mutating calls for hang_after_mutations."""
        with self._lock:
            cfg = self.config
            if decision.fault == "timeout":
                return cfg.hang_ms / 1000.0
            if cfg.hang_after_mutations is None or not is_mutating(operation) or status >= 400:
                return None
            self._mutations += 1
            if self._mutations == int(cfg.hang_after_mutations):
                return 600.0
            return None

    def hold_before(self, operation: str | None) -> bool:
        """Whether to hold this request unapplied (hang_before_mutation)."""
        with self._lock:
            cfg = self.config
            if cfg.hang_before_mutation is None or not is_mutating(operation):
                return False
            self._arrivals += 1
            return self._arrivals == int(cfg.hang_before_mutation)

    def hold(self, seconds: float) -> None:
        """Waits `seconds`, or until the faults are reconfigured or reset."""
        self._release.wait(seconds)

    def decide(self, service: str, operation: str | None) -> Decision:
        with self._lock:
            cfg = self.config
            if cfg.services and service not in cfg.services:
                return Decision()
            if cfg.operations and operation not in cfg.operations:
                return Decision()
            d = Decision()
            low, high = cfg.latency_ms
            if high:
                d.latency_s = self._rng.uniform(low, high) / 1000.0
            roll = self._rng.random()
            if cfg.max_faults is not None and self._injected >= cfg.max_faults:
                return d
            if roll < cfg.throttle_rate:
                d.fault = "throttle"
            elif roll < cfg.throttle_rate + cfg.error_rate:
                d.fault = "error"
                d.status = 503 if self._rng.random() < 0.5 else 500
            elif roll < cfg.throttle_rate + cfg.error_rate + cfg.timeout_rate:
                d.fault = "timeout"
            if d.fault:
                self._injected += 1
            return d


FAULTS = Faults()

# How each service says "slow down" and "something broke".
THROTTLE = {
    "glue": ("ThrottlingException", 400, "Rate exceeded"),
    "athena": ("ThrottlingException", 400, "Rate exceeded"),
    "quicksight": ("ThrottlingException", 429, "Rate exceeded"),
    "s3": ("SlowDown", 503, "Please reduce your request rate."),
    "iam": ("Throttling", 400, "Rate exceeded"),
    "sts": ("Throttling", 400, "Rate exceeded"),
    "cloudformation": ("Throttling", 400, "Rate exceeded"),
}
# Athena answers its query-rate limits on these with TooManyRequestsException.
ATHENA_TOO_MANY = {"StartQueryExecution", "GetQueryResults"}
SERVER_ERROR = {
    "glue": "InternalServiceException",
    "athena": "InternalServerException",
    "quicksight": "InternalFailureException",
    "s3": "InternalError",
    "iam": "ServiceFailure",
    "sts": "InternalFailure",
    "cloudformation": "InternalFailure",
}
JSON_SERVICES = {"glue": "application/x-amz-json-1.1", "athena": "application/x-amz-json-1.1"}


def fault_response(service: str, operation: str | None, decision: Decision) -> tuple[int, list[tuple[str, str]], bytes]:
    if decision.fault == "throttle":
        code, status, message = THROTTLE.get(service, ("ThrottlingException", 400, "Rate exceeded"))
        if service == "athena" and operation in ATHENA_TOO_MANY:
            code = "TooManyRequestsException"
    else:
        status = decision.status
        code = SERVER_ERROR.get(service, "InternalFailure") if status == 500 else "ServiceUnavailable"
        message = "We encountered an internal error. Please try again." if status == 500 else "Service is unavailable. Please try again."
    return render_error(service, code, message, status, {})


def render_error(service: str, code: str, message: str, status: int, extra: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """An error in the wire format of the service's protocol."""
    rid = request_id()
    if service in JSON_SERVICES:
        body = {"__type": code, "message": message, "Message": message, **extra}
        headers = [("Content-Type", JSON_SERVICES[service]), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
        return status, headers, dumps(body)
    if service == "quicksight":
        body = {"__type": code, "Message": message, "RequestId": rid, "Status": status, **extra}
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
        return status, headers, dumps(body)
    if service == "s3":
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{rid}</RequestId></Error>'
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", rid)], xml.encode()
    # Query protocol (IAM, STS, CloudFormation).
    kind = "Sender" if status < 500 else "Receiver"
    xml = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    )
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], xml.encode()


# --------------------------------------------------------------------------
# Control endpoints


def reset_all() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    with STATE_LOCK:
        SCHEDULER.clear()
        moto_api_backend.reset()
        glue.reset()
        athena.reset()
        quicksight.reset()
        FAULTS.configure(FaultConfig())
        MALFORM.configure([])
        CALLS.clear()
        shapecheck.FAILURES.clear()
        ROLE_BIRTHS.clear()


def _json_reply(status: int, value: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(value).encode()


def handle(method: str, path: str, body: bytes, query: str = "") -> tuple[int, list[tuple[str, str]], bytes]:
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    try:
        spec = json.loads(body) if body.strip() else {}
    except ValueError:
        return _json_reply(400, {"error": "body must be JSON"})
    route: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, Any]]] = {
        ("GET", "/_twh/health"): lambda s: (200, {"status": "ok"}),
        ("POST", "/_twh/reset"): _reset,
        ("GET", "/_twh/faults"): lambda s: (200, FAULTS.config.as_dict()),
        ("POST", "/_twh/faults"): _faults,
        ("DELETE", "/_twh/faults"): lambda s: (FAULTS.configure(FaultConfig()), (200, FAULTS.config.as_dict()))[1],
        ("GET", "/_twh/calls"): lambda s: (200, CALLS.snapshot(params.get("access_key"))),
        ("DELETE", "/_twh/calls"): lambda s: (CALLS.clear(), (200, []))[1],
        ("GET", "/_twh/config"): lambda s: (200, SETTINGS.as_dict()),
        ("POST", "/_twh/config"): _config,
        ("POST", "/_twh/athena/results"): _athena_results,
        ("DELETE", "/_twh/athena/results"): lambda s: (athena.CANNED.clear(), (200, {"results": 0}))[1],
        ("POST", "/_twh/quicksight/new-data-prep"): _new_data_prep,
        ("GET", "/_twh/malform"): lambda s: (200, {"rules": [r.as_dict() for r in MALFORM.rules]}),
        ("POST", "/_twh/malform"): _malform_endpoint,
        ("DELETE", "/_twh/malform"): lambda s: (MALFORM.configure([]), (200, {"rules": []}))[1],
        ("GET", "/_twh/shapecheck"): lambda s: (200, {"enabled": shapecheck.ENABLED, "failures": shapecheck.FAILURES.snapshot()}),
        ("DELETE", "/_twh/shapecheck"): lambda s: (shapecheck.FAILURES.clear(), (200, {"enabled": shapecheck.ENABLED, "failures": []}))[1],
    }
    fn = route.get((method, path.rstrip("/")))
    if fn is None:
        return _json_reply(404, {"error": f"no control endpoint {method} {path}"})
    try:
        status, value = fn(spec)
    except (ValueError, KeyError, TypeError) as exc:
        return _json_reply(400, {"error": f"{type(exc).__name__}: {exc}"})
    return _json_reply(status, value)


def _reset(spec: dict[str, Any]) -> tuple[int, Any]:
    reset_all()
    return 200, {"status": "reset"}


def _faults(spec: dict[str, Any]) -> tuple[int, Any]:
    FAULTS.configure(FaultConfig.parse(spec))
    return 200, FAULTS.config.as_dict()


def _config(spec: dict[str, Any]) -> tuple[int, Any]:
    SETTINGS.update(spec)
    return 200, SETTINGS.as_dict()


def _athena_results(spec: dict[str, Any]) -> tuple[int, Any]:
    with STATE_LOCK:
        canned = athena.register_canned(spec)
    return 201, {"sql_contains": canned.sql_contains, "columns": canned.columns, "rows": len(canned.rows)}


def _new_data_prep(spec: dict[str, Any]) -> tuple[int, Any]:
    from moto.core import DEFAULT_ACCOUNT_ID

    with STATE_LOCK:
        quicksight.flag_new_data_prep(
            spec.get("account_id", DEFAULT_ACCOUNT_ID),
            spec.get("region", DEFAULT_REGION),
            spec["data_set_id"],
            bool(spec.get("enabled", True)),
        )
    return 200, {"data_set_id": spec["data_set_id"], "new_data_prep": bool(spec.get("enabled", True))}


# --------------------------------------------------------------------------
# Malformed answers: POST /_twh/malform
#
# Corrupts the successful answer of chosen operations after the emulator or
# moto has produced it, the way a broken proxy, a truncated connection or a
# service bug would: the client must fail clearly, not crash and not act on
# garbage.  Body: {"operation": "GetCrawler", "mode": "...", "path": [...],
# "service": "glue", "times": N} or {"rules": [such objects]}; DELETE clears.

MALFORM_MODES = (
    "truncated",  # the first half of the body
    "wrong_type",  # the member at `path` (default: the first) gets a value of another type
    "missing_required",  # the member at `path` is removed ("*" walks every list item)
    "extra_member",  # the structure at `path` (default: the answer) gets a member its shape lacks
    "html_502",  # a proxy's 502 page
    "html_200",  # a captive portal's sign-in page, with status 200
    "empty_body",  # status 200, no bytes
    "null_body",  # the JSON literal null
    "binary",  # seeded random bytes
    "huge",  # 64 MiB that is not the service's format
    "deep_nesting",  # 1 MiB of `[`: parsers must not recurse on it
    "bad_xml",  # XML cut inside a tag (any protocol)
)


@dataclass
class MalformRule:
    operation: str
    mode: str
    service: str | None = None
    path: list[str] = field(default_factory=list)
    times: int | None = None  # corrupt this many answers, then stop
    # "answer" (default): after the shape check, a broken answer on the
    # wire; "handler": before it, standing in for an emulator bug the
    # shape check must catch (TWH_EMULATOR_SHAPECHECK=1).
    stage: str = "answer"
    used: int = 0

    @classmethod
    def parse(cls, spec: dict[str, Any]) -> "MalformRule":
        mode = spec["mode"]
        if mode not in MALFORM_MODES:
            raise ValueError(f"unknown malform mode {mode!r}; modes: {', '.join(MALFORM_MODES)}")
        path = spec.get("path") or []
        if isinstance(path, str):
            path = path.split(".")
        stage = spec.get("stage", "answer")
        if stage not in ("answer", "handler"):
            raise ValueError("stage must be answer or handler")
        return cls(
            stage=stage,
            operation=str(spec["operation"]),
            mode=mode,
            service=(spec.get("service") or None) and str(spec["service"]).lower(),
            path=[str(p) for p in path],
            times=spec.get("times"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "mode": self.mode, "service": self.service,
                "path": self.path, "times": self.times, "stage": self.stage, "used": self.used}


class Malformer:
    def __init__(self) -> None:
        self.rules: list[MalformRule] = []
        self._lock = threading.Lock()

    def configure(self, rules: list[MalformRule]) -> None:
        with self._lock:
            self.rules = rules

    def apply(self, service: str, operation: str | None, status: int,
              headers: list[tuple[str, str]], body: bytes, stage: str = "answer") -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """The answer, corrupted if a rule of this stage matches this
        (successful) call."""
        if status >= 300 or not operation:
            return status, headers, body, None
        with self._lock:
            rule = next((r for r in self.rules if r.operation == operation and r.stage == stage
                         and (r.service is None or r.service == service)
                         and (r.times is None or r.used < r.times)), None)
            if rule is None:
                return status, headers, body, None
            rule.used += 1
        status, ctype, body = _malform(rule, status, _header(headers, "content-type"), body)
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        return status, kept + [("Content-Type", ctype), ("Content-Length", str(len(body)))], body, f"malform:{rule.mode}"


MALFORM = Malformer()


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "application/octet-stream")


def _malform(rule: MalformRule, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
    mode = rule.mode
    html = "text/html; charset=utf-8"
    if mode == "truncated":
        return status, ctype, body[: len(body) // 2]
    if mode == "html_502":
        return 502, html, b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
    if mode == "html_200":
        return 200, html, b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body><form>...</form></body></html>"
    if mode == "empty_body":
        return 200, ctype, b""
    if mode == "null_body":
        return 200, ctype, b"null"
    if mode == "binary":
        return 200, ctype, random.Random(7).randbytes(4096)
    if mode == "huge":
        return 200, ctype, b"x" * (64 * 1024 * 1024)
    if mode == "deep_nesting":
        return 200, ctype, b"[" * (1024 * 1024)
    if mode == "bad_xml":
        return 200, "text/xml", b'<?xml version="1.0"?><Response><Result><Name>broken</Na'
    if b"<" in body[:64]:  # query or REST-XML protocol: edit the XML
        return status, ctype, _malform_xml(rule, body)
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return status, ctype, body
    if mode == "wrong_type":
        _edit_json(doc, rule.path, _wrong_type)
    elif mode == "missing_required":
        _edit_json(doc, rule.path, None)
    elif mode == "extra_member":
        target = doc
        for part in rule.path:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target["TwhUnexpectedMember"] = True
    return status, ctype, json.dumps(doc).encode()


def _wrong_type(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return "not-a-" + ("list" if isinstance(value, list) else "structure")
    if isinstance(value, str):
        return {"unexpected": [1, 2, 3]}
    return "not-a-number"


def _edit_json(doc: Any, path: list[str], change: Callable[[Any], Any] | None) -> None:
    """Replace (or with change=None, remove) the member at `path`; "*" walks
    every item of a list; an empty path means the object's first member."""
    if not path:
        if isinstance(doc, dict) and doc:
            path = [next(iter(doc))]
        else:
            return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(doc, list):
        for item in doc:
            _edit_json(item, rest, change) if rest else None
        return
    if not isinstance(doc, dict) or head not in doc:
        return
    if rest:
        _edit_json(doc[head], rest, change)
    elif change is None:
        del doc[head]
    else:
        doc[head] = change(doc[head])


def _malform_xml(rule: MalformRule, body: bytes) -> bytes:
    import re

    tag = (rule.path or ["RoleName"])[-1]
    if rule.mode == "missing_required":
        return re.sub(rb"<%s>.*?</%s>" % (tag.encode(), tag.encode()), b"", body, flags=re.S)
    # wrong_type: a nested element where text is expected.
    return re.sub(rb"<%s>(.*?)</%s>" % (tag.encode(), tag.encode()),
                  rb"<%s><Unexpected>\1</Unexpected></%s>" % (tag.encode(), tag.encode()), body, count=1, flags=re.S)


def _malform_endpoint(spec: dict[str, Any]) -> tuple[int, Any]:
    rules = [MalformRule.parse(r) for r in spec.get("rules", [spec] if spec else [])]
    MALFORM.configure(rules)
    return 200, {"rules": [r.as_dict() for r in MALFORM.rules]}

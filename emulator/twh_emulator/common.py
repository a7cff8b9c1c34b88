"""Shared plumbing: request context, AWS error/JSON encoding, the state lock,
the deferred-work scheduler and the emulator's timing settings.

Everything that changes emulated state runs under ``STATE_LOCK``: moto's
backends are plain dicts and the werkzeug server is threaded, so one coarse
lock is the simplest way to keep a test run deterministic.  Injected latency is
slept *outside* the lock so concurrent clients still overlap.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import io
import itertools
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from werkzeug.wsgi import get_input_stream

STATE_LOCK = threading.RLock()

DEFAULT_REGION = "us-east-1"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


TIMINGS = ("crawl_seconds", "query_seconds", "ingestion_seconds", "data_source_seconds", "asset_seconds")


@dataclass
class Settings:
    """Timings of the asynchronous AWS behaviours.  Short by default so tests
    are fast, long enough that a client must really poll.

    ``verbatim`` (TWH_EMULATOR_VERBATIM=1, read once at startup) switches the
    AWS rewrites off: view SQL stored as sent, role names and names as sent,
    no server-filled defaults (see EVIDENCE.md for what it turns off)."""

    crawl_seconds: float = 1.0
    query_seconds: float = 0.2
    ingestion_seconds: float = 1.0
    # QuickSight CreateDataSource/UpdateDataSource: how long Describe says
    # CREATION_IN_PROGRESS / UPDATE_IN_PROGRESS.
    data_source_seconds: float = 1.0
    # QuickSight analyses, dashboard/template/theme versions: how long
    # Describe says CREATION_IN_PROGRESS / UPDATE_IN_PROGRESS.
    asset_seconds: float = 1.0
    verbatim: bool = field(default_factory=lambda: _truthy(os.environ.get("TWH_EMULATOR_VERBATIM")))

    def update(self, values: dict[str, Any]) -> None:
        for key in TIMINGS:
            if key in values:
                setattr(self, key, float(values[key]))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: getattr(self, key) for key in TIMINGS}
        out["verbatim"] = self.verbatim  # read-only: fixed at startup
        return out


SETTINGS = Settings()


# IAM propagation (an opt-in fault, POST /_twh/faults
# {"iam_propagation_seconds": N}): when each role was created, by role name,
# so Glue can refuse a role younger than N seconds (glue.py).
ROLE_BIRTHS: dict[str, float] = {}
IAM_PROPAGATION = {"seconds": 0.0}


def role_not_propagated(role: str | None) -> bool:
    """Whether the IAM propagation fault is on and ``role`` (a name, a
    name with its path or an ARN) was created less than its seconds ago."""
    seconds = IAM_PROPAGATION["seconds"]
    if not seconds or not role:
        return False
    born = ROLE_BIRTHS.get(role.rsplit("/", 1)[-1])
    return born is not None and time.time() - born < seconds


def faithful() -> bool:
    """True unless TWH_EMULATOR_VERBATIM=1: rewrite and fill answers the way
    AWS does (the default)."""
    return not SETTINGS.verbatim


# --------------------------------------------------------------------------
# Errors


class AwsError(Exception):
    """An error answered the way the service's protocol encodes it.

    ``code`` is the AWS error code (the shape name), ``status`` the HTTP status,
    ``extra`` additional members of the error shape (e.g. ResourceType)."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}


def from_moto_exception(exc: Exception) -> AwsError | None:
    """Translate an exception raised by a moto backend into an AwsError, so
    handlers that call moto's models directly answer with moto's code."""
    from moto.core.exceptions import JsonRESTError, ServiceException

    if isinstance(exc, JsonRESTError):
        status = exc.code if isinstance(exc.code, int) else 400
        return AwsError(exc.error_type, exc.message, status)
    if isinstance(exc, ServiceException):
        return AwsError(exc.code, exc.message, 400)
    return None


# --------------------------------------------------------------------------
# JSON


def to_epoch(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return round(value.timestamp(), 3)
    return value


def _default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return to_epoch(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value)!r}")


def dumps(value: Any) -> bytes:
    """AWS JSON: timestamps are epoch seconds (the default timestampFormat of
    the awsJson1_1 and restJson1 protocols, which the Rust SDK insists on)."""
    return json.dumps(value, default=_default, separators=(",", ":")).encode()


def strip_none(value: Any) -> Any:
    """AWS omits absent members; moto often serialises them as null."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def now() -> float:
    return time.time()


def request_id() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------
# Request context

_SCOPE_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Context:
    """What the middleware learnt about one request before dispatching it."""

    environ: dict[str, Any]
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    service: str
    region: str
    account: str
    operation: str | None = None
    uri_params: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise AwsError("SerializationException", f"malformed JSON: {exc}") from exc
        return value if isinstance(value, dict) else {}

    def query_one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def buffer_body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put it back as a seekable stream, so
    both the emulator and moto can read it.  Chunked uploads are de-chunked by
    werkzeug here, hence the fixed-up headers."""
    if environ.get("CONTENT_LENGTH") or environ.get("wsgi.input_terminated"):
        body = get_input_stream(environ, safe_fallback=False).read()
    else:
        # No length and not chunked: there is no body, and reading the raw
        # socket would block until the client gives up.
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def signing_scope(environ: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(access key, region, service) from a SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _SCOPE_RE.search(auth)
    if not match:
        return None, None, None
    return match.group(1), match.group(2), match.group(3)


def account_for(environ: dict[str, Any], access_key: str | None) -> str:
    """Same precedence as moto's BaseResponse.get_current_account, so our
    handlers and moto's agree on whose backend a request touches."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if header:
        return header
    return account_id_from(access_key or "AKIAEXAMPLE")


def account_id_from(access_key: str) -> str:
    """moto's get_account_id_from without its side effect: moto indexes every
    IAM partition backend (aws, aws-cn, aws-us-gov, aws-iso...) while
    looking, which builds each one with its 1,600 AWS-managed policies and
    costs ~0.7 s after every reset.  Only partitions that exist can hold the
    key, so only those are looked at.  Installed over moto's by server.py."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    for account_id, account in list(iam_backends.items()):
        for backend in list(dict.values(account)):
            if access_key in backend.access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID


def caller_arn(account: str) -> str:
    # moto's STS answers GetCallerIdentity with this principal for unknown keys.
    return f"arn:aws:iam::{account}:user/moto"


# --------------------------------------------------------------------------
# Deferred work (crawls finishing, queries completing, ingestions completing)


class Scheduler:
    """Runs callbacks when their deadline has passed.

    ``settle()`` is called at the start of every request, so a client that
    polls after the deadline always sees the finished state (deterministic),
    and by a background ticker so work also finishes when nobody polls."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def at(self, deadline: float, fn: Callable[[], None]) -> None:
        with STATE_LOCK:
            heapq.heappush(self._heap, (deadline, next(self._seq), fn))

    def settle(self) -> None:
        with STATE_LOCK:
            current = time.time()
            while self._heap and self._heap[0][0] <= current:
                _, _, fn = heapq.heappop(self._heap)
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a failed task must not stall others
                    import traceback

                    traceback.print_exc()

    def clear(self) -> None:
        with STATE_LOCK:
            self._heap.clear()

    def start(self) -> None:
        if self._thread is not None:
            return

        def tick() -> None:
            while not self._stop.wait(0.05):
                self.settle()

        self._thread = threading.Thread(target=tick, name="twh-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


SCHEDULER = Scheduler()


class RegionalStore:
    """Per (account, region) state of the emulator's own backends; wiped by
    /_twh/reset together with moto's."""

    def __init__(self, factory: Callable[[str, str], Any]) -> None:
        self._factory = factory
        self._stores: dict[tuple[str, str], Any] = {}

    def __call__(self, account: str, region: str) -> Any:
        key = (account, region)
        if key not in self._stores:
            self._stores[key] = self._factory(account, region)
        return self._stores[key]

    def values(self) -> list[Any]:
        return list(self._stores.values())

    def reset(self) -> None:
        self._stores.clear()


def paginate(items: list[Any], next_token: str | None, max_results: int | None, default: int, limit: int) -> tuple[list[Any], str | None]:
    """Offset-based paging behind an opaque-looking token."""
    size = default if max_results in (None, 0) else int(max_results)
    if size < 1 or size > limit:
        raise ValueError(f"MaxResults must be between 1 and {limit}")
    start = 0
    if next_token:
        try:
            start = int(next_token.split(".", 1)[1])
        except (IndexError, ValueError) as exc:
            raise KeyError("invalid next token") from exc
    page = items[start : start + size]
    more = start + size < len(items)
    return page, (f"twh.{start + size}" if more else None)

"""The server: one WSGI app on one port in front of moto's dispatcher.

For each request it works out (service, operation), lets the fault switch
delay or fail it, records it in the call log, and then answers either with
the emulator's own handler for that operation (glue.py, athena.py,
quicksight.py) or by passing the request on to moto unchanged.
"""

from __future__ import annotations

import os

# AWS-managed IAM policies (AWSGlueServiceRole, ...) exist in every real
# account; moto only knows them when asked to load them.  Set before moto
# builds any IAM backend.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

# ruff: noqa: E402
import io
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

import moto.iam.models
from moto.core.request import Request
from moto.core.routing import get_service_router
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import athena, cloudformation, control, glue, iam, quicksight, quicksight_assets, secretsmanager, shapecheck
from .common import (
    DEFAULT_REGION,
    ROLE_BIRTHS,
    SCHEDULER,
    STATE_LOCK,
    AwsError,
    Context,
    account_for,
    account_id_from,
    buffer_body,
    dumps,
    from_moto_exception,
    request_id,
    signing_scope,
)

# Stacks can own Glue databases and tables (moto's CloudFormation cannot
# create them); registered before moto's model map is first built.
assert cloudformation.GlueDatabaseModel.cloudformation_type() == "AWS::Glue::Database"

# quicksight_assets adds its operations to quicksight.HANDLERS on import.
assert "CreateDashboard" in quicksight.HANDLERS and quicksight_assets.HANDLERS

MODULES = {"glue": glue, "athena": athena, "quicksight": quicksight, "iam": iam}

# moto's BaseResponse looks this up at call time; see common.account_id_from.
moto.iam.models.get_account_id_from = account_id_from

Reply = tuple[int, list[tuple[str, str]], bytes]

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _status_line(status: int) -> str:
    return f"{status} {STATUS_TEXT.get(status, 'Status')}"


def _operation(service: str, environ: dict[str, Any], body: bytes) -> tuple[str | None, dict[str, Any]]:
    """Name the operation the way the service model does."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1], {}
    probe = dict(environ)
    probe["wsgi.input"] = io.BytesIO(body)
    try:
        operation, params = get_service_router(service).match(Request(probe))
        return operation.name, params
    except Exception:  # noqa: BLE001 - unknown service or route: still log it
        return None, {}


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_twh/") or path == "/_twh":
            status, headers, data = control.handle(environ["REQUEST_METHOD"], path, buffer_body(environ), environ.get("QUERY_STRING", ""))
            start_response(_status_line(status), headers + [("Content-Length", str(len(data)))])
            return [data]
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.moto(environ, start_response)

        body = buffer_body(environ)
        access_key, region, service = signing_scope(environ)
        service = (service or "unknown").lower()
        operation, uri_params = _operation(service, environ, body)
        prepare = getattr(MODULES.get(service), "prepare", None)
        if prepare is not None and operation:
            # The service's own rewriting of a request (e.g. Glue folding
            # names to lower case), seen by our handlers and by moto alike.
            body = prepare(operation, body)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        ctx = Context(
            environ=environ,
            method=environ["REQUEST_METHOD"],
            path=path,
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            body=body,
            service=service,
            region=region or DEFAULT_REGION,
            account=account_for(environ, access_key),
            operation=operation,
            uri_params=uri_params,
        )

        decision = control.FAULTS.decide(service, operation)
        if decision.latency_s:
            time.sleep(decision.latency_s)  # outside the lock: clients overlap
        if control.FAULTS.hold_before(operation):
            control.CALLS.record(service, operation, 503, "hang-before", access_key)
            control.FAULTS.hold(600.0)
            decision = control.Decision(fault="error", status=503)
        if decision.fault in ("throttle", "error"):
            status, headers, data = control.fault_response(service, operation, decision)
            control.CALLS.record(service, operation, status, decision.fault, access_key)
            start_response(_status_line(status), headers + [("Content-Length", str(len(data)))])
            return [data]

        with STATE_LOCK:
            SCHEDULER.settle()
            # The role a DeleteRole names, for rewriting the trust policies
            # that name it once it is gone (iam.role_deleted).
            deleting = iam.role_to_delete(ctx) if service == "iam" and operation == "DeleteRole" else None
            module = MODULES.get(service)
            handler = module.HANDLERS.get(operation) if module and operation else None
            refuse = getattr(module, "refuse", None)
            refused = refuse(operation, body) if refuse is not None and operation else None
            if refused is not None:
                # A request the service refuses whoever handles it (ours or moto).
                status, headers, data = control.render_error(service, refused.code, refused.message, refused.status, refused.extra)
            elif handler is not None:
                status, headers, data = self._run(module, handler, ctx)
            else:
                environ["wsgi.input"] = io.BytesIO(body)
                status, headers, data = self._moto(environ)
                if service == "secretsmanager":
                    status = secretsmanager.fix_status(status, data)
            if deleting is not None and status == 200:
                iam.role_deleted(ctx.account, *deleting)
        # A "handler"-stage malform rule stands in for an emulator bug: it
        # corrupts the answer before the shape check sees it (control.py).
        if status < 300:
            # Doubles written as doubles, as AWS does (shapecheck.coerce_numbers).
            fixed = shapecheck.coerce_numbers(service, operation, data)
            if fixed is not data:
                data = fixed
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(data)))]
        status, headers, data, bug = control.MALFORM.apply(service, operation, status, headers, data, stage="handler")
        if shapecheck.ENABLED:
            status, headers, data = self._shapecheck(service, operation, status, headers, data)
        # A malformed-answer rule may corrupt this answer (control.py):
        # after the check, since these answers are broken on purpose.
        status, headers, data, malformed = control.MALFORM.apply(service, operation, status, headers, data)
        malformed = malformed or bug
        if service == "iam" and operation == "CreateRole" and status == 200:
            # When each role was born, for the opt-in IAM propagation fault.
            names = parse_qs(body.decode("utf-8", "replace")).get("RoleName")
            if names:
                ROLE_BIRTHS[names[0]] = time.time()
        held = control.FAULTS.hold_after(operation, status, decision)
        if held is not None:
            # Applied, logged as such, and answered late (or never, if the
            # client gave up or was killed meanwhile).
            control.CALLS.record(service, operation, status, "timeout" if decision.fault else "hang", access_key)
            control.FAULTS.hold(held)
        else:
            control.CALLS.record(service, operation, status, malformed, access_key)
        start_response(_status_line(status), headers)
        return [data]

    @staticmethod
    def _shapecheck(service: str, operation: str | None, status: int, headers: list[tuple[str, str]], data: bytes) -> Reply:
        """Hold the answer to the botocore model of its operation
        (shapecheck.py); an answer that does not match becomes a 500 that
        names the problems, and is logged and kept for /_twh/shapecheck."""
        try:
            problems = shapecheck.check_answer(service, operation, status, headers, data)
        except Exception as exc:  # noqa: BLE001 - a checker bug must show, not pass
            traceback.print_exc()
            problems = [f"shape check crashed: {type(exc).__name__}: {exc}"]
        if not problems:
            return status, headers, data
        shapecheck.FAILURES.add(service, operation, status, problems)
        print(f"twh-emulator: shape check failed for {service} {operation} ({status}): " + "; ".join(problems), file=sys.stderr, flush=True)
        message = f"answer to {operation} does not match the botocore model: " + "; ".join(problems[:20])
        status, headers, data = control.render_error(service, "TwhEmulatorShapeCheckFailure", message, 500, {})
        return status, headers + [("Content-Length", str(len(data)))], data

    @staticmethod
    def _run(module: Any, handler: Callable[[Context], Any], ctx: Context) -> Reply:
        try:
            result = handler(ctx)
        except AwsError as err:
            return control.render_error(ctx.service, err.code, err.message, err.status, err.extra)
        except Exception as exc:  # noqa: BLE001
            err = from_moto_exception(exc)
            if err is None:
                traceback.print_exc()
                err = AwsError("InternalFailure", f"emulator error: {exc}", 500)
            return control.render_error(ctx.service, err.code, err.message, err.status, err.extra)
        rid = request_id()
        if module.PROTOCOL == "rest-json":
            status, body = result
            data = dumps(body)
            return status, [("Content-Type", "application/json"), ("x-amzn-RequestId", rid), ("Content-Length", str(len(data)))], data
        data = dumps(result)
        return 200, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid), ("Content-Length", str(len(data)))], data

    def _moto(self, environ: dict[str, Any]) -> Reply:
        """Run moto and collect its whole answer while holding the lock."""
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return lambda chunk: None

        chunks = self.moto(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()  # type: ignore[union-attr]
        return captured["status"], captured["headers"], data


class Server:
    """A running emulator (used by __main__ and by the tests)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = EmulatorApp()
        self.httpd = make_server(host, port, self.app, threaded=True, request_handler=QuietHandler)
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        SCHEDULER.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="twh-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        SCHEDULER.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)


class QuietHandler(MotoRequestHandler):
    """moto's request handler (keeps underscore headers) without a log line
    per request; set TWH_EMULATOR_LOG=1 to see them."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        import os

        if os.environ.get("TWH_EMULATOR_LOG"):
            super().log_request(code, size)


def serve(host: str, port: int) -> int:
    server = Server(host, port)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    # The socket is bound and listening before this line: a client that
    # reads it can connect at once.
    print(f"ready {server.url}", flush=True)
    stop.wait()
    server.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0

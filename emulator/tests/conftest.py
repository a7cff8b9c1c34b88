"""Starts the emulator as a subprocess (the real entry point) on a free port
and hands boto3 clients to the tests; state is wiped before every test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
REGION = "us-east-1"


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def client(self, service: str, retries: int = 1) -> Any:
        # One attempt by default: fault tests must see the injected error,
        # not boto3's retry of it.
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    def calls(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_twh/calls")


def _start(extra_env: dict[str, str]) -> tuple[subprocess.Popen, Emulator]:
    # Every answer the tests see is held to the botocore model of its
    # operation (twh_emulator/shapecheck.py).
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR), TWH_EMULATOR_SHAPECHECK="1", **extra_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "twh_emulator", "--port", "0"],
        cwd=EMULATOR_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("ready http://127.0.0.1:"), line
    return proc, Emulator(line.split(" ", 1)[1])


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    proc, emu = _start({"TWH_EMULATOR_VERBATIM": "0"})
    yield emu
    proc.terminate()
    assert proc.wait(timeout=15) == 0


@pytest.fixture(scope="session")
def verbatim_emulator() -> Iterator[Emulator]:
    """A second server started with TWH_EMULATOR_VERBATIM=1: it echoes
    requests as sent (no AWS rewrites or filled defaults)."""
    proc, emu = _start({"TWH_EMULATOR_VERBATIM": "1"})
    yield emu
    proc.terminate()
    assert proc.wait(timeout=15) == 0


@pytest.fixture(autouse=True)
def clean(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[None]:
    emulator.control("POST", "/_twh/reset")
    emulator.control("POST", "/_twh/config", FAST)
    yield
    # No answer of the test may have failed the shape check, even one the
    # test did not look at (tests that provoke failures clear them).
    if "shape_failures_expected" not in request.keywords:
        failures = emulator.control("GET", "/_twh/shapecheck")["failures"]
        assert failures == [], f"answers that do not match the botocore model: {failures}"


# Short timings so tests are fast (the defaults are in common.Settings).
FAST = {"crawl_seconds": 0.3, "query_seconds": 0.05, "ingestion_seconds": 0.3, "data_source_seconds": 0.2, "asset_seconds": 0.2}


def wait_for(fn, predicate, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.time() + timeout
    while True:
        value = fn()
        if predicate(value):
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(interval)


@pytest.fixture
def glue(emulator: Emulator) -> Any:
    return emulator.client("glue")


@pytest.fixture
def athena(emulator: Emulator) -> Any:
    return emulator.client("athena")


@pytest.fixture
def s3(emulator: Emulator) -> Any:
    return emulator.client("s3")


@pytest.fixture
def qs(emulator: Emulator) -> Any:
    return emulator.client("quicksight")

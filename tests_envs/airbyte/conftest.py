"""PyAirbyte test fixtures: offline PyAirbyte, a fake MISO server process, no internet.

PyAirbyte reads its switches at import time, so they are set here, before any test imports it:
``AIRBYTE_OFFLINE_MODE`` (no registry errors, no telemetry), ``DO_NOT_TRACK`` (no telemetry),
``AIRBYTE_LOCAL_REGISTRY=0`` (never fetch the connector registry). With ``local_executable``
PyAirbyte runs the given file and installs nothing.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="tap-miso-pyairbyte-"))
OFFLINE_ENV = {
    "AIRBYTE_OFFLINE_MODE": "1",
    "DO_NOT_TRACK": "1",
    "AIRBYTE_LOCAL_REGISTRY": "0",
    "AIRBYTE_CACHE_ROOT": str(_TMP / "cache"),
    "AIRBYTE_PROJECT_DIR": str(_TMP / "project"),
    "AIRBYTE_TEMP_DIR": str(_TMP / "tmp"),
}
for _name, _value in OFFLINE_ENV.items():
    os.environ[_name] = _value
(_TMP / "tmp").mkdir(exist_ok=True)

ROOT = Path(__file__).resolve().parents[2]
TAP_VENV = Path(os.environ.get("TAP_MISO_VENV", ROOT / ".venv"))
EXECUTABLE = Path(os.environ.get("TAP_MISO_AIRBYTE", TAP_VENV / "bin" / "tap-miso-airbyte"))
NODES = 12


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """Fail any connection from this process to a non-loopback address."""
    attempts: list = []
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> object:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]  # type: ignore[index]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                attempts.append(address)
                raise OSError(f"test forbids connecting to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
    assert attempts == [], f"PyAirbyte tried to reach the internet: {attempts}"


class FakeMiso:
    """`python -m tap_miso.testing.fake_miso` in the tap's venv, on a free port."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(TAP_VENV / "bin" / "python"), "-m", "tap_miso.testing.fake_miso",
             "--port", str(self.port), "--nodes", str(NODES)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()  # type: ignore[union-attr]
            if line.startswith("fake MISO on"):
                return
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the fake MISO server did not start")

    def config(self, **overrides: object) -> dict:
        """Connector config pointing every surface at the fake."""
        return {
            "data_exchange_url": self.base_url,
            "public_api_url": f"{self.base_url}/api",
            "market_reports_url": f"{self.base_url}/marketreports",
            "requests_per_minute": 6000,
            "requests_per_hour": 360000,
            **overrides,
        }

    def requests(self) -> list[dict]:
        """The fake's request log."""
        with urllib.request.urlopen(f"{self.base_url}/_fake/requests", timeout=10) as response:
            return json.load(response)

    def reset_log(self) -> None:
        """Clear the request log."""
        request = urllib.request.Request(f"{self.base_url}/_fake/requests", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        """Stop the server process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeMiso]:
    server = FakeMiso()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def executable() -> Path:
    if not os.access(EXECUTABLE, os.X_OK):
        pytest.fail(f"{EXECUTABLE} not found: install tap-miso in {TAP_VENV} first")
    return EXECUTABLE

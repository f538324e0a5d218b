"""Run the tap as a real process against a fake MISO server and collect its Singer output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_miso.testing.fake_miso import FakeMisoServer

#: Limits that keep tests fast (the Data Exchange ceiling of 100/min per key still applies).
FAST_LIMITS = {"requests_per_minute": 6000, "requests_per_hour": 360000}


@dataclass
class TapRun:
    """Outcome of one tap process."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)

    def records(self, stream: str | None = None) -> list[dict]:
        """RECORD payloads, optionally of one stream, in emission order."""
        return [
            m["record"] for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    def counts(self) -> Counter:
        """Records per stream."""
        return Counter(m["stream"] for m in self.messages if m["type"] == "RECORD")

    @property
    def last_state(self) -> dict | None:
        """Value of the last STATE message."""
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else None

    def summary(self) -> dict:
        """The run summary the tap logs at its end."""
        for line in reversed(self.stderr.splitlines()):
            if "Run summary: " in line:
                return json.loads(line.split("Run summary: ", 1)[1])
        raise AssertionError("no run summary in stderr:\n" + self.stderr[-2000:])


def fake_config(fake: FakeMisoServer, **overrides: Any) -> dict:
    """Config pointing every surface at ``fake``."""
    return {
        "data_exchange_url": fake.data_exchange_url,
        "public_api_url": fake.public_api_url,
        "market_reports_url": fake.market_reports_url,
        "eia_api_url": fake.eia_api_url,
        "eia_workbook_url": fake.eia_workbook_url,
        "eia860_url": fake.eia860_url,
        **FAST_LIMITS,
        **overrides,
    }


def catalog_for(streams: list[str], config: dict) -> dict:
    """Discovered catalog with only ``streams`` selected."""
    out = subprocess.run(
        [sys.executable, "-m", "tap_miso.tap", "--discover", "--config", write_json(config)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    catalog = json.loads(out.stdout)
    for entry in catalog["streams"]:
        selected = entry["tap_stream_id"] in streams
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = selected
    return catalog


def run_tap(
    config: dict,
    *,
    streams: list[str] | None = None,
    state: dict | None = None,
    timeout: float = 300,
    env: dict | None = None,
) -> TapRun:
    """Run ``tap-miso`` once (``python -m tap_miso.tap``) and parse stdout as Singer messages."""
    cmd = [sys.executable, "-m", "tap_miso.tap", "--config", write_json(config)]
    if streams is not None:
        cmd += ["--catalog", write_json(catalog_for(streams, config))]
    if state is not None:
        cmd += ["--state", write_json(state)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return TapRun(proc.returncode, proc.stdout, proc.stderr, messages)


def write_json(payload: dict) -> str:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - must outlive this call
        "w", suffix=".json", delete=False, dir=_tmpdir()
    )
    with handle:
        json.dump(payload, handle)
    return handle.name


def _tmpdir() -> str:
    path = Path(tempfile.gettempdir()) / "tap-miso-harness"
    path.mkdir(exist_ok=True)
    return str(path)

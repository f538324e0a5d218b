"""Run the real `meltano` CLI of this project against a fake MISO server (helpers for tests/e2e).

Every run uses this repository's meltano.yml and plugin venvs (installed once per session by
`meltano install`), its own system database (so state is per test) and `TAP_MISO_*` /
`TARGET_*` environment variables for everything that differs between tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tap_miso.testing.fake_miso import FakeMisoServer

ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(Path(sys.executable).with_name("meltano"))
ENVIRONMENT = "e2e"  # meltano.yml: fast client limits for the local fake


@dataclass
class Result:
    returncode: int
    output: str  # meltano's combined log (stdout + stderr)


class Meltano:
    """`meltano` in this project with one isolated system database (= one state store)."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "MELTANO_CLI_LOG_LEVEL": "info",
            "NO_COLOR": "1",
            **(env or {}),
        }

    def command(self, *args: str) -> list[str]:
        return [MELTANO, f"--environment={ENVIRONMENT}", *args]

    def __call__(self, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 300) -> Result:
        proc = subprocess.run(
            self.command(*args), cwd=ROOT, env={**self.env, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start meltano in its own process group (so the test can kill the whole pipeline)."""
        log = (self.workdir / "popen.log").open("w")
        return subprocess.Popen(
            self.command(*args), cwd=ROOT, env={**self.env, **(env or {})},
            stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )

    def state(self, state_id: str) -> dict | None:
        """`meltano state get` (None when no state was saved)."""
        res = self("state", "get", state_id)
        if res.returncode != 0:
            return None
        for line in reversed(res.output.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        return None


def fake_env(fake: FakeMisoServer, start: date, end: date | None = None,
             select: list[str] | None = None, **settings: object) -> dict[str, str]:
    """`TAP_MISO_*` variables pointing tap-miso (and the tap-miso--* jobs) at ``fake``."""
    env = {
        "TAP_MISO_DATA_EXCHANGE_URL": fake.data_exchange_url,
        "TAP_MISO_PUBLIC_API_URL": fake.public_api_url,
        "TAP_MISO_MARKET_REPORTS_URL": fake.market_reports_url,
        "TAP_MISO_EIA_API_URL": fake.eia_api_url,
        "TAP_MISO_EIA_WORKBOOK_URL": fake.eia_workbook_url,
        "TAP_MISO_EIA860_URL": fake.eia860_url,
        "TAP_MISO_START_DATE": str(start),
    }
    if end is not None:
        env["TAP_MISO_END_DATE"] = str(end)
    if select is not None:
        env["TAP_MISO__SELECT"] = json.dumps([f"{stream}.*" for stream in select])
    for name, value in settings.items():
        env[f"TAP_MISO_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, list | dict) else str(value)
        )
    return env


def read_jsonl(directory: Path, stream: str) -> list[dict]:
    path = directory / f"{stream}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


MR_DATE = re.compile(r"/marketreports/.*?(\d{8})_")


def report_dates(fake: FakeMisoServer, name_regex: str = r"da_ex(ante|post)_lmp") -> set[date]:
    """Market dates of the Market Reports files matching ``name_regex`` that were requested."""
    dates = set()
    for record in fake.requests_for(r"/marketreports/"):
        match = MR_DATE.search(record.path)
        if match and re.search(name_regex, record.path):
            raw = match.group(1)
            dates.add(date(int(raw[:4]), int(raw[4:6]), int(raw[6:])))
    return dates

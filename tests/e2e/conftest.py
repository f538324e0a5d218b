"""Session fixtures for the Meltano end-to-end tests: plugins installed once, one PostgreSQL."""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.meltano import MELTANO, ROOT
from tests.e2e.postgres import PostgresServer


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """`meltano install` once per session (pip only: custom plugin definitions, no hub)."""
    proc = subprocess.run(
        [MELTANO, "install"], cwd=ROOT, capture_output=True, text=True, timeout=1200,
        env={**__import__("os").environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="session")
def postgres():
    with PostgresServer() as server:
        yield server

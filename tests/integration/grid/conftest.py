"""Fixtures of the grid-stream integration tests: one fake MISO server per test module."""

from __future__ import annotations

import pytest

from tap_miso.testing.fake_miso import FakeMisoServer


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=20) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(fake):
    yield
    fake.clear_faults()
    fake.missing_dates.clear()

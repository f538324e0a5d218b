"""Shared fixtures: one small fake per module, restored after every test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import requests

from tap_miso.testing.fake_miso import FakeMisoServer

NOW = datetime(2026, 7, 20, 17, 0, tzinfo=UTC)  # Monday 12:00 EST
D = date(2026, 7, 14)  # a market date well inside every publication window
PRICING_KEY, LGI_KEY = "pk-1", "lk-1"
NODE_COUNT = 40


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMisoServer]:
    with FakeMisoServer(node_count=NODE_COUNT, now=NOW,
                        dx_keys={"pricing": [PRICING_KEY, "pk-2"], "lgi": [LGI_KEY]},
                        dx_page_size=500) as server:
        yield server


@pytest.fixture(autouse=True)
def _restore(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "fake" in request.fixturenames:
        server: FakeMisoServer = request.getfixturevalue("fake")
        server.clear_faults()
        server.reset_log()
        server.reset_limits()
        server.missing_dates.clear()
        server.now = NOW


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def dx_get(http: requests.Session, fake: FakeMisoServer, path: str, key: str | None = None,
           **params: str) -> requests.Response:
    """GET a Data Exchange path with the right product key unless `key` is given."""
    if key is None:
        key = PRICING_KEY if path.startswith("/pricing/") else LGI_KEY
    headers = {"Ocp-Apim-Subscription-Key": key} if key else {}
    return http.get(fake.data_exchange_url + path, headers=headers, params=params, timeout=30)


def dx_all(http: requests.Session, fake: FakeMisoServer, path: str, **params: str) -> list[dict]:
    """Walk every page of a Data Exchange answer."""
    records: list[dict] = []
    number = 1
    while True:
        response = dx_get(http, fake, path, pageNumber=str(number), **params)
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        if body["page"]["lastPage"]:
            return records
        number += 1


def mr_get(http: requests.Session, fake: FakeMisoServer, name: str) -> requests.Response:
    return http.get(f"{fake.market_reports_url}/{name}", timeout=60)


def public_get(http: requests.Session, fake: FakeMisoServer, feed: str) -> requests.Response:
    return http.get(f"{fake.public_api_url}/{feed}", timeout=60)

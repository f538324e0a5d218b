"""The Singer SDK's standard tap test suite, run against the fake MISO server.

The fake server starts when this module is imported (the SDK builds the test class from a
config at import time) and stops when the module's tests are done.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_miso import timeutil
from tap_miso.tap import TapMiso
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config

_FAKE = FakeMisoServer(node_count=12).start()
_DAY = timeutil.market_today() - timedelta(days=3)

TestTapMiso = get_tap_test_class(
    TapMiso,
    config=fake_config(
        _FAKE,
        start_date=str(_DAY),  # no end_date: runs to the latest published, so the
        # latest-only public feeds (today, yesterday) have records too
        pricing_api_key=_FAKE.dx_keys["pricing"][0],
        lgi_api_key=_FAKE.dx_keys["lgi"][0],
    ),
    suite_config=SuiteConfig(max_records_limit=200),
)


@pytest.fixture(scope="module", autouse=True)
def _stop_fake():
    yield
    _FAKE.stop()

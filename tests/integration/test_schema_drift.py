"""Schema drift via the fake server: an added field warns, a missing one falls back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

DA = "lmp_day_ahead_hourly"
DAY = timeutil.market_today() - timedelta(days=3)


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=16) as server:
        yield server


def alerts(run, kind):
    found = []
    for line in run.stderr.splitlines():
        start = line.find("{")
        if start < 0 or '"kind"' not in line:
            continue
        try:
            payload = json.loads(line[start:])
        except ValueError:
            continue
        if payload.get("kind") == kind:
            found.append(payload)
    return found


def test_added_field_is_a_warning_alert_and_records_still_flow(fake):
    fake.clear_faults()
    fake.inject(r"/pricing/v1/day-ahead/.*/lmp-expost", "drift", times=None, mode="add",
                column="mlcForecast")
    run = run_tap(fake_config(fake, start_date=str(DAY), end_date=str(DAY),
                              pricing_api_key=fake.dx_keys["pricing"][0]), streams=[DA])
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["source"] for r in run.records(DA)} == {"data_exchange"}
    drift = run.summary()["schema_drift"]
    assert any("mlcForecast" in cols for cols in drift.values()), drift
    found = alerts(run, "schema_drift")
    assert len(found) == 1, "one alert per condition, not one per page or record"
    assert found[0]["severity"] == "warning"
    assert "mlcForecast" in json.dumps(found[0])


def test_missing_required_field_rejects_the_payload_and_falls_back(fake):
    fake.clear_faults()
    fake.inject(r"/pricing/v1/day-ahead/.*/lmp-expost", "drift", times=None, mode="drop",
                column="lmp")
    run = run_tap(fake_config(fake, start_date=str(DAY), end_date=str(DAY),
                              pricing_api_key=fake.dx_keys["pricing"][0]), streams=[DA])
    assert run.returncode == 0, run.stderr[-2000:]
    by_part = {(r["price_type"], r["source"]) for r in run.records(DA)}
    assert by_part == {("ex_ante", "data_exchange"), ("ex_post", "market_report")}
    assert all(r["lmp"] is not None for r in run.records(DA))
    assert "lmp" in run.stderr and "trying the next source" in run.stderr

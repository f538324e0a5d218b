"""`meltano run tap-miso target-jsonl` against the fake MISO server: records land, counts match."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import Meltano, fake_env, read_jsonl

TODAY = timeutil.market_today()
D1, D2 = TODAY - timedelta(days=9), TODAY - timedelta(days=8)
DAYS = (D1, D2)


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=12) as server:
        yield server


@pytest.fixture(scope="module")
def landed(fake, meltano_installed, tmp_path_factory):
    work = tmp_path_factory.mktemp("jsonl")
    out = work / "out"
    meltano = Meltano(work, {"TARGET_JSONL_DESTINATION_PATH": str(out)})
    result = meltano("run", "tap-miso", "target-jsonl", env=fake_env(fake, D1, D2))
    assert result.returncode == 0, result.output[-4000:]
    return out, result


def test_every_default_stream_lands_with_unique_keys(landed):
    out, _ = landed
    keys = {
        "lmp_day_ahead_hourly": ("node", "interval_start_utc", "price_type"),
        "lmp_real_time_hourly": ("node", "interval_start_utc"),
        "ancillary_mcp_day_ahead_hourly": ("zone", "product", "interval_start_utc",
                                           "price_type"),
        "nodes": ("node",),
        "load_actual_hourly": ("area", "interval_start_utc"),
        "fuel_mix_hourly": ("region", "fuel", "interval_start_utc"),
        "interchange_hourly": ("counterparty", "kind", "interval_start_utc"),
    }
    for stream, key in keys.items():
        records = read_jsonl(out, stream)
        assert records, f"{stream}: nothing landed"
        duplicates = [k for k, n in Counter(tuple(r[f] for f in key) for r in records).items()
                      if n > 1]
        assert duplicates == [], stream


def test_price_counts_and_values_match_the_fake_data_model(fake, landed):
    out, _ = landed
    data = fake.data
    da = read_jsonl(out, "lmp_day_ahead_hourly")
    rt = read_jsonl(out, "lmp_real_time_hourly")
    assert len(da) == sum(len(data.nodes_on(day)) * 24 * 2 for day in DAYS)
    assert len(rt) == sum(len(data.nodes_on(day)) * 24 for day in DAYS)
    assert {r["market_date"] for r in da} == {str(d) for d in DAYS}
    assert {r["revision"] for r in rt} == {"final"}  # both dates are older than D+5
    for record in da[:: max(1, len(da) // 50)]:
        day = date.fromisoformat(record["market_date"])
        want = data.lmp(day, record["hour_ending"], record["node"], record["price_type"])
        assert record["lmp"] == pytest.approx(want.lmp), record
    nodes = read_jsonl(out, "nodes")
    assert {r["node"] for r in nodes} >= {n for n, _ in data.nodes_on(D2)}


def test_meltano_saved_state_for_the_pipeline(landed):
    _, result = landed
    assert "Incremental state has been updated" in result.output
    assert "Run summary: " in result.output

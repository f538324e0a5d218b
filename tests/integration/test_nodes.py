"""The nodes stream: node list per quarterly model, first/last seen, retirement, zones."""

from __future__ import annotations

from datetime import date

import jsonschema
import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

NODES = "nodes"
START = date(2026, 5, 20)  # the 2026-03-01 model is in force; Jun 1 and Sep 1 models follow


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=40) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.reset_log()
    yield


def names(fake, day):
    return {name for name, _ in fake.data.nodes_on(day)}


def observations(end):
    """START, every Mar/Jun/Sep/Dec 1 after it, and the run's last day."""
    models = [date(y, m, 1) for y in range(START.year, end.year + 1) for m in (3, 6, 9, 12)]
    return sorted({START, end, *(d for d in models if START < d <= end)})


def test_first_run_dates_every_node_and_marks_retired_ones(fake):
    today = timeutil.market_today()
    run = run_tap(fake_config(fake, start_date=str(START)), streams=[NODES])
    assert run.returncode == 0, run.stderr[-2000:]
    records = {r["node"]: r for r in run.records(NODES)}
    seen_days = observations(today)
    every = set().union(*(names(fake, d) for d in seen_days))
    assert set(records) == every
    latest = names(fake, seen_days[-1])
    for node, record in records.items():
        present = [d for d in seen_days if node in names(fake, d)]
        assert record["first_seen"] == str(present[0])
        assert record["last_seen"] == str(present[-1])
        assert record["retired"] is (node not in latest)
        assert record["node_type"] == fake.data.node_type(node)  # retired ones keep theirs
        if not record["retired"]:
            assert record["reserve_zone"] == fake.data.reserve_zone(node)
        assert record["is_trading_hub"] is (node in fake.data.trading_hubs)
    assert any(r["retired"] for r in records.values()), "the fake retires nodes each quarter"
    assert any(r["first_seen"] > str(START) for r in records.values()), "and adds new ones"
    fetched = sorted(q.path for q in fake.requests_for(r"da_expost_lmp"))
    assert fetched == [f"/marketreports/{d:%Y%m%d}_da_expost_lmp.csv" for d in seen_days]
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA")
    for record in records.values():
        jsonschema.validate(record, schema)


def test_second_run_is_incremental_keeps_first_seen_and_skips_old_retirements(fake):
    today = timeutil.market_today()
    first = run_tap(fake_config(fake, start_date=str(START)), streams=[NODES])
    state = first.last_state
    assert state["bookmarks"][NODES]["replication_key_value"] == str(today)
    fake.reset_log()
    second = run_tap(fake_config(fake, start_date=str(START),
                                 pricing_api_key=fake.dx_keys["pricing"][0]),
                     streams=[NODES], state=state)
    assert second.returncode == 0, second.stderr[-2000:]
    # Only today's list is read again, from the Data Exchange now that a key is set.
    assert [q.path for q in fake.requests_for(r"aggregated-pnode|da_expost")] == [
        "/pricing/v1/aggregated-pnode"]
    before = {r["node"]: r for r in first.records(NODES)}
    after = {r["node"]: r for r in second.records(NODES)}
    assert set(after) == names(fake, today)  # nodes retired earlier are not re-sent
    for node, record in after.items():
        assert record["first_seen"] == before[node]["first_seen"]
        assert record["source"] == "data_exchange"
        assert record["node_type"] == before[node]["node_type"]

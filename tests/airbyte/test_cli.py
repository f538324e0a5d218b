"""``tap-miso-airbyte`` as a process against the fake MISO server: spec, check, discover, read."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, write_json
from tests.airbyte.protocol import run_airbyte

DA = "lmp_day_ahead_hourly"
MCP = "ancillary_mcp_day_ahead_hourly"
NODES = 12
SECRET = "AIRBYTE-CLI-SECRET-5150"
TODAY = timeutil.market_today()
D1, D2, D3 = (TODAY - timedelta(days=n) for n in (5, 4, 3))


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=NODES) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.reset_log()
    fake.reset_limits()


def config(fake, **overrides):
    return fake_config(fake, **{"start_date": str(D1), "end_date": str(D2), **overrides})


def configured(*streams, mode="incremental"):
    return {"streams": [
        {"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["incremental"]},
         "sync_mode": mode, "destination_sync_mode": "append"} for s in streams]}


def read(cfg, catalog, state=None, **kwargs):
    args = ["read", "--config", write_json(cfg), "--catalog", write_json(catalog)]
    if state is not None:
        args += ["--state", write_json(state)]
    return run_airbyte(*args, **kwargs)


def surfaces(fake) -> Counter:
    """Requests per surface (first path segment) the fake answered."""
    return Counter(r.path.strip("/").split("/")[0] for r in fake.requests)


def test_spec_publishes_settings_schema():
    run = run_airbyte("spec")
    assert run.returncode == 0, run.stderr
    [spec] = run.of_type("SPEC")
    props = spec["spec"]["connectionSpecification"]["properties"]
    assert props["pricing_api_key"]["airbyte_secret"] is True
    assert props["lgi_api_key"]["airbyte_secret"] is True
    assert "airbyte_secret" not in props["start_date"]


@pytest.mark.parametrize(("overrides", "surface"), [
    ({}, "marketreports"),  # no key: the Data Exchange is skipped, Market Reports come next
    ({"source_preference": ["public_api", "market_report"]}, "api"),
    ({"pricing_api_key": "KEY"}, "pricing"),
])
def test_check_succeeds_with_one_request(fake, overrides, surface):
    if overrides.get("pricing_api_key") == "KEY":
        overrides = {**overrides, "pricing_api_key": fake.dx_keys["pricing"][0]}
    run = run_airbyte("check", "--config", write_json(config(fake, **overrides)))
    assert run.returncode == 0, run.stderr
    [status] = run.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "SUCCEEDED", status
    assert surfaces(fake) == Counter({surface: 1})


def test_check_rejected_key_fails_without_the_key(fake):
    run = run_airbyte("check", "--config", write_json(config(fake, pricing_api_key=SECRET)))
    assert run.returncode == 0
    [status] = run.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert "rejected the pricing key" in status["connectionStatus"]["message"]
    assert SECRET not in run.stdout + run.stderr


def test_check_unreachable_source_fails_fast():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    cfg = {"start_date": str(D1), "public_api_url": closed, "source_preference": ["public_api"]}
    started = time.monotonic()
    run = run_airbyte("check", "--config", write_json(cfg))
    assert run.returncode == 0
    [status] = run.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert status["connectionStatus"]["message"].startswith("public_api could not be reached")
    assert time.monotonic() - started < 60


def test_check_and_discover_report_invalid_settings(tmp_path):
    cfg = write_json({"start_date": "yesterday-ish", "pricing_api_key": SECRET, "max_retries": -1})
    check = run_airbyte("check", "--config", cfg)
    [status] = check.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    message = status["connectionStatus"]["message"]
    assert "start_date" in message and "max_retries" in message
    discover = run_airbyte("discover", "--config", cfg)
    assert discover.returncode == 1
    [error] = discover.errors()
    assert error["failure_type"] == "config_error" and "start_date" in error["message"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"start_date": "2026-01-01", "pricing_api_key": "' + SECRET)
    unreadable = run_airbyte("discover", "--config", str(broken))
    assert unreadable.returncode == 1
    assert "not valid JSON" in unreadable.errors()[0]["message"]
    for run in (check, discover, unreadable):
        assert SECRET not in run.stdout + run.stderr
        assert "Traceback" not in run.stderr


def test_discover_lists_every_stream(fake):
    run = run_airbyte("discover", "--config", write_json(config(fake)))
    assert run.returncode == 0, run.stderr
    [catalog] = run.of_type("CATALOG")
    streams = {s["name"]: s for s in catalog["catalog"]["streams"]}
    assert {DA, MCP, "nodes", "load_forecast_hourly"} <= set(streams)
    assert streams[DA]["source_defined_primary_key"] == [
        ["node"], ["interval_start_utc"], ["price_type"]]
    assert streams[DA]["default_cursor_field"] == ["interval_start_utc"]
    assert surfaces(fake) == Counter(), "discover makes no request"


def da_expected(fake, *days):
    return sum(len(fake.data.nodes_on(d)) * 24 * 2 for d in days)


def test_read_then_incremental_read_from_state(fake):
    days = [D1 - timedelta(days=n) for n in (2, 1, 0)] + [D2]
    cfg = config(fake, start_date=str(days[0]), source_preference=["market_report"])
    first = read(cfg, configured(DA, MCP))
    assert first.returncode == 0, first.stdout[-3000:]
    assert len(first.records(DA)) == da_expected(fake, *days)
    assert {r["market_date"] for r in first.records(MCP)} == {str(d) for d in days}
    assert first.statuses() == [
        (MCP, "STARTED"), (MCP, "RUNNING"), (MCP, "COMPLETE"),
        (DA, "STARTED"), (DA, "RUNNING"), (DA, "COMPLETE"),
    ]
    states = first.states(DA)
    assert sum(s["sourceStats"]["recordCount"] for s in states) == len(first.records(DA))
    bookmark = states[-1]["stream"]["stream_state"]["replication_key_value"]
    assert bookmark == max(r["interval_start_utc"] for r in first.records(DA))
    emitted = [m["record"]["emitted_at"] for m in first.of_type("RECORD")]
    assert all(isinstance(t, int) for t in emitted)
    assert abs(emitted[-1] / 1000 - time.time()) < 300

    fake.reset_log()
    second = read(cfg, configured(DA, MCP), state=first.last_states())
    assert second.returncode == 0, second.stdout[-3000:]
    # Day-ahead lookback is one day: the second read fetches only the market dates of
    # (bookmark - 1 day) .. end and sends only the records from (bookmark - 1 day) on.
    floor = timeutil.format_utc(
        datetime.fromisoformat(bookmark.replace("Z", "+00:00")) - timedelta(days=1))
    expected = [r for r in first.records(DA) if r["interval_start_utc"] >= floor]
    assert second.records(DA) == expected
    assert 0 < len(expected) < len(first.records(DA)) / 3
    lmp_files = {r.path for r in fake.requests if "_lmp" in r.path}
    assert lmp_files == {f"/marketreports/{d:%Y%m%d}_da_{kind}_lmp.csv"
                         for d in (D1, D2) for kind in ("exante", "expost")}


def test_full_refresh_ignores_state(fake):
    cfg = config(fake, source_preference=["market_report"])
    first = read(cfg, configured(DA))
    assert first.returncode == 0
    again = read(cfg, configured(DA, mode="full_refresh"), state=first.last_states())
    assert again.returncode == 0
    assert len(again.records(DA)) == len(first.records(DA))


def test_failing_source_gives_incomplete_and_trace_error(fake):
    cfg = config(fake, end_date=str(D3), source_preference=["market_report"], max_retries=0,
                 lookback_days=0, pricing_api_key=SECRET)
    fake.inject(rf"/marketreports/{D2:%Y%m%d}_da_expost_lmp.csv", "html200", times=None)
    run = read(cfg, configured(MCP, DA, "nodes"))
    assert run.returncode == 1
    assert run.statuses() == [
        (MCP, "STARTED"), (MCP, "RUNNING"), (MCP, "COMPLETE"),
        (DA, "STARTED"), (DA, "RUNNING"), (DA, "INCOMPLETE"),
    ]  # nodes is never reached: no status at all
    [error] = run.errors()
    assert run.messages[-1]["trace"]["type"] == "ERROR"
    assert error["failure_type"] == "system_error"
    assert error["stream_descriptor"] == {"name": DA}
    assert f"no source could serve market date {D2}" in error["message"]
    assert error["message"].startswith(f"Sync of stream {DA} failed")
    # the last state kept for the failing stream is the last complete market date, D1
    bookmark = run.states(DA)[-1]["stream"]["stream_state"]["replication_key_value"]
    assert timeutil.market_date_of(datetime.fromisoformat(bookmark.replace("Z", "+00:00"))) == D1
    assert {r["market_date"] for r in run.records(DA)} == {str(D1)}
    assert SECRET not in run.stdout + run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["type"] == "TRACE"


def test_rejected_key_during_read_is_a_config_error(fake):
    cfg = config(fake, source_preference=["data_exchange"], pricing_api_key=SECRET,
                 max_retries=0)
    run = read(cfg, configured(DA))
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error", error
    assert (DA, "INCOMPLETE") in run.statuses()
    assert SECRET not in run.stdout + run.stderr


def test_unknown_stream_in_catalog_is_a_config_error(fake):
    run = read(config(fake), configured("no_such_stream"))
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert "unknown stream 'no_such_stream'" in error["message"]
    assert run.statuses() == []

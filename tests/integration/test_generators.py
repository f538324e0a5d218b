"""generators through the fake EIA: API paging, workbook fallback, state, links, secrets."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest

from tap_miso import timeutil
from tap_miso.http.client import HttpClient
from tap_miso.http.config import ClientSettings
from tap_miso.http.errors import BadPathError
from tap_miso.settings import load_settings
from tap_miso.sources import eia as eia_source
from tap_miso.sources.base import FetchContext
from tap_miso.streams.generators import period_at, period_index, period_of
from tap_miso.testing.fake_miso import FakeMisoServer, eia_api, eia_data, eia_files
from tap_miso.testing.harness import fake_config, run_tap

GEN = "generators"
KEY = "fake-eia-key"
SECRET = "Zq9-EIA-SECRET-7731-xyz"  # distinctive: any leak is found by a plain substring search
API_PATH = r"^/eia/v2/"


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=40) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.reset_log()
    saved = (set(fake.eia.keys), fake.eia.page_max)
    yield
    fake.eia.keys, fake.eia.page_max = saved


def newest_month() -> str:
    """Newest published month (two months of lag) on the real clock both sides follow."""
    return period_at(period_index(period_of(timeutil.market_today())) - 2)


def shift(period: str, n: int) -> str:
    return period_at(period_index(period) + n)


def first_day(period: str) -> str:
    return f"{period}-01"


def expected(period: str, categories=("operating", "planned", "retired", "canceled")):
    return {(u.plant_id, u.generator_id): eia_data.category(u, period) for u in eia_data.UNITS
            if u.ba == "MISO" and eia_data.category(u, period) in categories}


def by_period(records):
    out: dict[str, dict] = {}
    for r in records:
        out.setdefault(r["period"], {})[(r["plant_id"], r["generator_id"])] = r
    return out


def test_keyless_run_reads_workbooks_with_every_category_and_node_links(fake):
    newest = newest_month()
    start = shift(newest, -2)
    run = run_tap(fake_config(fake, start_date=first_day(start)), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    got = by_period(run.records(GEN))
    assert sorted(got) == [start, shift(start, 1), newest]
    for period, units in got.items():
        assert {k: r["status_category"] for k, r in units.items()} == expected(period)
    records = run.records(GEN)
    assert {r["source"] for r in records} == {"eia_workbook"}
    assert {r["status_category"] for r in records} >= {"operating", "planned", "retired",
                                                       "canceled"}
    assert run.last_state["bookmarks"][GEN]["replication_key_value"] == newest
    keys = [(r["period"], r["plant_id"], r["generator_id"]) for r in records]
    assert len(set(keys)) == len(keys)
    assert [r["period"] for r in records] == sorted(r["period"] for r in records)
    # lmp_node only where the annual EIA-860 states it; reserve_zone only for listed CPNodes.
    today = timeutil.market_today()
    stated = eia_files.expected_nodes(fake.data, today)
    listed = {name for name, _ in fake.data.nodes_on(today)}
    for r in records:
        node = stated.get((r["plant_id"], r["generator_id"]))
        assert r["lmp_node"] == node
        assert r["reserve_zone"] == (fake.data.reserve_zone(node) if node in listed else None)
    assert any(r["reserve_zone"] for r in records)
    assert any(r["lmp_node"] and r["reserve_zone"] is None for r in records)  # not a CPNode
    assert any(r["lmp_node"] is None for r in records)
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA"
                  and m["stream"] == GEN)
    for r in records:
        jsonschema.validate(r, schema)
    # The newest month is fetched from /xls/ after the archive answered its HTML page; the
    # month after it is not published: both locations tried once, then the run stops.
    paths = [q.path for q in fake.requests_for(r"eia860m/")]
    month = eia_files.MONTHS[int(newest[5:]) - 1]
    assert f"/eia/electricity/data/eia860m/xls/{month}_generator{newest[:4]}.xlsx" in paths
    assert len(paths) == 3 + 1 + 2
    assert fake.requests_for(API_PATH) == []


def test_api_run_pages_by_total_and_matches_the_workbook(fake):
    newest = newest_month()
    start = shift(newest, -1)
    keyless = run_tap(fake_config(fake, start_date=first_day(start)), streams=[GEN])
    fake.eia.page_max = 2  # forces paging (and EIA's "length out of range" warnings)
    fake.reset_log()
    run = run_tap(fake_config(fake, start_date=first_day(start), eia_api_key=KEY),
                  streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    got = by_period(run.records(GEN))
    assert sorted(got) == [start, newest]
    workbook = by_period(keyless.records(GEN))
    for period, units in got.items():
        assert set(units) == set(expected(period, ("operating",)))
        for key, record in units.items():
            assert record["source"] == "eia_api"
            assert record["record_hash"] == workbook[period][key]["record_hash"]
    calls = [q.query for q in fake.requests_for(API_PATH)]
    first_month = [q for q in calls if q["start"] == start]
    total = len(expected(start, ("operating",)))
    assert [int(q["offset"]) for q in first_month] == list(range(0, total, 2))
    for q in calls:
        assert q["facets[balancing_authority_code][]"] == "MISO" and q["length"] == "5000"
        assert [q[f"sort[{i}][column]"] for i in range(3)] == ["period", "plantid",
                                                               "generatorid"]
        assert len([k for k in q if k.startswith("data[")]) == 12
    assert "parameter out of range: length" in run.stderr
    assert run.last_state["bookmarks"][GEN]["replication_key_value"] == newest


def test_second_run_rereads_the_lookback_months_only(fake):
    newest = newest_month()
    state = {"bookmarks": {GEN: {"replication_key": "period", "replication_key_value": newest}}}
    run = run_tap(fake_config(fake, start_date="2020-01-01", eia_lookback_months=2),
                  streams=[GEN], state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(by_period(run.records(GEN))) == [shift(newest, -2), shift(newest, -1), newest]
    fetched = {q.path.rsplit("/", 1)[1] for q in fake.requests_for(r"eia860m/")}
    names = {f"{eia_files.MONTHS[int(p[5:]) - 1]}_generator{p[:4]}.xlsx"
             for p in (shift(newest, n) for n in (-2, -1, 0, 1))}
    assert fetched == names
    assert run.last_state["bookmarks"][GEN]["replication_key_value"] == newest


def test_unpublished_start_month_gives_the_newest_roster(fake):
    newest = newest_month()
    run = run_tap(fake_config(fake, start_date=str(timeutil.market_today())), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    assert {r["period"] for r in run.records(GEN)} == {newest}
    assert "emitting the newest roster" in run.stderr


def test_a_missing_old_workbook_is_a_gap_and_the_run_goes_on(fake):
    newest = newest_month()
    start = shift(newest, -5)
    name = f"{eia_files.MONTHS[int(start[5:]) - 1]}_generator{start[:4]}"
    fake.inject(name, "html200", times=None)  # both locations answer the HTML page
    run = run_tap(fake_config(fake, start_date=first_day(start)), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    periods = set(by_period(run.records(GEN)))
    assert start not in periods and shift(start, 1) in periods and newest in periods
    gaps = run.summary()["gaps"][GEN]
    assert [g["market_date"] for g in gaps] == [f"{start}-01"]


def test_api_failure_falls_back_to_the_workbook(fake):
    newest = newest_month()
    fake.inject(API_PATH, "status", times=None, code=500)
    run = run_tap(fake_config(fake, start_date=first_day(newest), eia_api_key=KEY,
                              max_retries=0), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    records = run.records(GEN)
    assert records and {r["source"] for r in records} == {"eia_workbook"}
    assert "eia_api failed" in run.stderr


def test_changed_total_is_rewalked_once_then_falls_back(fake):
    newest = newest_month()
    fake.eia.page_max = 2
    changed = json.dumps({"response": {"total": "99", "data": [
        {"period": newest, "plantid": "1", "generatorid": "x"}]}})
    fake.inject_sequence(API_PATH, [("ok", {}), ("status", {"code": 200, "body": changed})])
    run = run_tap(fake_config(fake, start_date=first_day(newest), end_date=first_day(newest),
                              eia_api_key=KEY), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    assert "re-walking once" in run.stderr
    assert {r["source"] for r in run.records(GEN)} == {"eia_api"}
    assert set(by_period(run.records(GEN))[newest]) == set(expected(newest, ("operating",)))
    fake.inject_sequence(API_PATH, [("ok", {}), ("status", {"code": 200, "body": changed}),
                                    ("ok", {}), ("status", {"code": 200, "body": changed})])
    run = run_tap(fake_config(fake, start_date=first_day(newest), end_date=first_day(newest),
                              eia_api_key=KEY), streams=[GEN])
    assert run.returncode == 0, run.stderr[-3000:]
    assert "paging inconsistent on two walks" in run.stderr
    assert {r["source"] for r in run.records(GEN)} == {"eia_workbook"}


def test_rejected_key_fails_the_run_with_one_clear_line(fake):
    newest = newest_month()
    run = run_tap(fake_config(fake, start_date=first_day(newest), eia_api_key=SECRET),
                  streams=[GEN])
    assert run.returncode == 1
    failed = [line for line in run.stderr.splitlines() if "Run failed:" in line]
    assert len(failed) == 1 and "API_KEY_INVALID" in failed[0] and "eia_api_key" in failed[0]
    assert SECRET not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_the_key_never_leaves_the_tap(fake, tmp_path: Path):
    newest = newest_month()
    fake.eia.keys.add(SECRET)
    throttle = eia_api.throttle_body()
    fake.inject_sequence(API_PATH, [("status", {"code": 403, "body": throttle}),
                                    ("status", {"code": 500})])
    metrics, summary = tmp_path / "metrics.prom", tmp_path / "summary.json"
    run = run_tap(fake_config(fake, start_date=first_day(shift(newest, -1)), eia_api_key=SECRET,
                              metrics_textfile=str(metrics), run_summary_file=str(summary)),
                  streams=[GEN], env={"LOGLEVEL": "DEBUG"})  # urllib3 logs every URL
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records(GEN)
    assert all(q.query.get("api_key") == SECRET for q in fake.requests_for(API_PATH))
    assert "api_key=***" in run.stderr  # the retry warnings named the URL, redacted
    assert "urllib3" in run.stderr  # and the DEBUG connection logs ran through redaction
    outputs = {"stdout": run.stdout, "stderr": run.stderr,
               "state": json.dumps(run.last_state), "metrics": metrics.read_text(),
               "summary": summary.read_text()}
    for name, text in outputs.items():
        assert SECRET not in text, name


def test_raised_errors_do_not_carry_the_key(fake, caplog):
    settings = load_settings({"start_date": "2026-01-01", "eia_api_key": SECRET,
                              "eia_api_url": fake.eia_api_url})
    fake.inject(API_PATH, "status", code=400,
                body=json.dumps({"error": f"Invalid facet, api_key={SECRET}", "code": 400}))
    with HttpClient(ClientSettings(max_retries=0)) as client, caplog.at_level(logging.DEBUG):
        ctx = FetchContext(stream=GEN, client=client, settings=settings,
                           logger=logging.getLogger("tap-miso.test"), now=datetime.now(UTC))
        with pytest.raises(BadPathError) as info:
            eia_source.api_month_rows(ctx, SECRET, "2026-01")
    assert "400" in str(info.value) and "Invalid facet" in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in info.value.url
    tap_logs = [r.getMessage() for r in caplog.records
                if r.name.startswith(("tap_miso", "tap-miso"))
                and not r.name.startswith("tap_miso.testing")]  # the fake logs its own URLs
    assert SECRET not in "\n".join(tap_logs)


def test_settings_reject_a_key_list_and_unknown_sources():
    with pytest.raises(ValueError, match="eia_api_key"):
        load_settings({"start_date": "2026-01-01", "eia_api_key": ["a", "b"]})
    settings = load_settings({"start_date": "2026-01-01",
                              "source_preference": ["eia_workbook", "market_report"]})
    assert settings.source_preference == ("eia_workbook", "market_report")
    assert settings.eia_lookback_months == 3
    assert date(2026, 1, 1) == settings.start_date

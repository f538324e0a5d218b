"""Ancillary MCP streams end to end through the fake MISO server (real tap processes).

The fake's clock is frozen at today 12:00 EST; 24 nodes so that every reserve zone has a
pnode in the Market Reports' pnode table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import jsonschema
import pytest
import requests

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

DA = "ancillary_mcp_day_ahead_hourly"
RT = "ancillary_mcp_real_time_hourly"
RT5 = "ancillary_mcp_real_time_5min"
TODAY = timeutil.market_today()
YESTERDAY = TODAY - timedelta(days=1)
D1 = TODAY - timedelta(days=3)
OLD = TODAY - timedelta(days=8)  # RT final published (D+5)
RECENT = TODAY - timedelta(days=2)  # RT preliminary only
FAKE_PRODUCT = {
    "regulation": "Regulation",
    "spin": "Spin",
    "supplemental": "Supplemental",
    "short_term_reserve": "STR",
    "ramp_up": "Ramp-up",
    "ramp_down": "Ramp-down",
}
ZONES = set(range(1, 9))


@pytest.fixture(scope="module")
def fake():
    noon = timeutil.market_day_start(TODAY) + timedelta(hours=12)
    with FakeMisoServer(node_count=24, now=noon) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.missing_dates.clear()
    fake.reset_log()
    fake.reset_limits()
    yield


def key(fake):
    return fake.dx_keys["pricing"][0]


def run(fake, stream, first, last, state=None, **overrides):
    config = fake_config(fake, start_date=str(first), end_date=str(last), **overrides)
    result = run_tap(config, streams=[stream], state=state)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def without(records, *fields):
    drop = {"source", *fields}
    return [{k: v for k, v in r.items() if k not in drop} for r in records]


def validate_schema(result, records):
    schema = next(m["schema"] for m in result.messages if m["type"] == "SCHEMA")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for record in records[:: max(1, len(records) // 200)]:
        validator.validate(record)


def check_hourly(fake, records, kind_of):
    for r in records:
        day = date.fromisoformat(r["market_date"])
        want = fake.data.asm_mcp(
            day, r["hour_ending"], r["zone"], FAKE_PRODUCT[r["product"]], kind_of(r)
        )
        assert r["mcp"] == want
        start = timeutil.hour_ending_interval(day, r["hour_ending"]).start
        assert r["interval_start_utc"] == timeutil.format_utc(start)
        assert r["quality_flags"] == []


# -- day-ahead hourly ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def da_keyless(fake):
    return run(fake, DA, D1, D1)


def test_day_ahead_from_market_reports(fake, da_keyless):
    records = da_keyless.records(DA)
    assert len(records) == 8 * 6 * 24 * 2
    assert {r["source"] for r in records} == {"market_report"}
    assert {r["zone"] for r in records} == ZONES  # the MISO-wide table is not emitted
    assert Counter(r["product"] for r in records) == {p: 8 * 24 * 2 for p in FAKE_PRODUCT}
    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts)
    validate_schema(da_keyless, records)
    check_hourly(fake, records, lambda r: r["price_type"])
    assert {r["revision"] for r in records} == {None}


def test_day_ahead_data_exchange_first_identical_but_for_source(fake, da_keyless):
    result = run(fake, DA, D1, D1, pricing_api_key=key(fake))
    assert {r["source"] for r in result.records(DA)} == {"data_exchange"}
    assert not fake.requests_for(r"/marketreports/")
    assert without(result.records(DA)) == without(da_keyless.records(DA))


def test_day_ahead_falls_back_when_data_exchange_fails(fake, da_keyless):
    fake.inject(r"/pricing/v1/day-ahead/", "status", times=None, code=500)
    result = run(fake, DA, D1, D1, pricing_api_key=key(fake), max_retries=1)
    assert {r["source"] for r in result.records(DA)} == {"market_report"}
    assert without(result.records(DA)) == without(da_keyless.records(DA))
    assert result.summary()["fallbacks"]


@pytest.mark.parametrize("day", [date(2025, 3, 9), date(2025, 11, 2)])
def test_day_ahead_dst_days_have_24_hours(fake, day):
    result = run(fake, DA, day, day)
    per_key = defaultdict(set)
    for r in result.records(DA):
        per_key[(r["zone"], r["product"], r["price_type"])].add(r["interval_start_utc"])
    assert len(per_key) == 8 * 6 * 2
    assert {len(v) for v in per_key.values()} == {24}
    assert min(min(v) for v in per_key.values()) == f"{day}T05:00:00Z"
    assert max(max(v) for v in per_key.values()) == f"{day + timedelta(days=1)}T04:00:00Z"


def _report(fake, day, name):
    return requests.get(f"{fake.market_reports_url}/{day:%Y%m%d}_{name}", timeout=30).text


def test_bad_cell_is_flagged_and_pnode_disagreement_is_flagged(fake):
    lines = _report(fake, D1, "asm_expost_damcp.csv").split("\n")
    # Zone 3 regulation HE 1: every pnode row unreadable -> null + invalid_mcp.
    # Zone 5 spin HE 2: an extra pnode row of the zone disagrees -> pnode_conflict (Q16).
    out = []
    for line in lines:
        cells = line.split(",")
        if len(cells) > 4 and cells[1] == "Zone 3" and cells[2] == "GENREGMCP":
            cells[3] = "abc"
        out.append(",".join(cells))
        if len(cells) > 4 and cells[1] == "Zone 5" and cells[2] == "GENSPINMCP":
            out.append(",".join(["EXTRA.PNODE", *cells[1:4], "999.99", *cells[5:]]))
    lines = out
    zone = 5
    fake.inject(
        rf"{D1:%Y%m%d}_asm_expost_damcp", "status", times=None, code=200, body="\n".join(lines)
    )
    result = run(fake, DA, D1, D1)
    flagged = {
        (r["zone"], r["product"], r["hour_ending"], r["price_type"]): r
        for r in result.records(DA)
        if r["quality_flags"]
    }
    assert set(flagged) == {(3, "regulation", 1, "ex_post"), (zone, "spin", 2, "ex_post")}
    bad = flagged[(3, "regulation", 1, "ex_post")]
    assert bad["mcp"] is None and bad["quality_flags"] == ["invalid_mcp"]
    conflict = flagged[(zone, "spin", 2, "ex_post")]
    assert conflict["quality_flags"] == ["pnode_conflict"]
    assert conflict["mcp"] == fake.data.asm_mcp(D1, 2, zone, "Spin", "ex_post")  # first kept


# -- real-time hourly ----------------------------------------------------------------------------


def test_real_time_hourly_final_then_preliminary_both_sources(fake):
    keyless = run(fake, RT, OLD, RECENT)
    keyed = run(fake, RT, OLD, RECENT, pricing_api_key=key(fake))
    records = keyless.records(RT)
    days = timeutil.date_range(OLD, RECENT)
    assert len(records) == len(days) * 8 * 6 * 24
    revisions = {r["market_date"]: r["revision"] for r in records}
    final_days = [d for d in days if d <= TODAY - timedelta(days=5)]
    assert {d for d, rev in revisions.items() if rev == "final"} == {str(d) for d in final_days}
    assert revisions[str(RECENT)] == "preliminary"
    check_hourly(fake, records, lambda r: r["revision"])
    validate_schema(keyless, records)
    assert {r["source"] for r in keyed.records(RT)} == {"data_exchange"}
    assert without(keyed.records(RT)) == without(records)
    assert keyless.last_state["bookmarks"][RT]["final_dates"] == [str(d) for d in final_days]


def test_real_time_hourly_falls_back_to_market_reports(fake):
    reference = run(fake, RT, RECENT, RECENT)
    fake.inject(r"/pricing/v1/real-time/", "malformed", times=None)
    result = run(fake, RT, RECENT, RECENT, pricing_api_key=key(fake))
    assert {r["source"] for r in result.records(RT)} == {"market_report"}
    assert without(result.records(RT)) == without(reference.records(RT))


def test_real_time_hourly_never_goes_back_to_preliminary(fake):
    state = {"bookmarks": {RT: {"final_dates": [str(RECENT)]}}}
    result = run(fake, RT, RECENT, RECENT, state=state)
    assert result.records(RT) == []
    assert not fake.requests_for(r"asm_rtmcp_prelim")
    assert result.summary()["gap_count"] == 0


# -- real-time 5-minute --------------------------------------------------------------------------


def test_real_time_5min_from_data_exchange(fake):
    result = run(fake, RT5, YESTERDAY, YESTERDAY, pricing_api_key=key(fake))
    records = result.records(RT5)
    kinds = Counter((r["price_type"], r["revision"]) for r in records)
    assert kinds == {("ex_ante", None): 5 * 8 * 288, ("ex_post", "preliminary"): 6 * 8 * 288}
    assert "short_term_reserve" not in {
        r["product"] for r in records if r["price_type"] == "ex_ante"
    }
    per_key = defaultdict(set)
    for r in records:
        per_key[(r["zone"], r["product"], r["price_type"])].add(r["interval_start_utc"])
    assert {len(v) for v in per_key.values()} == {288}
    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts)
    validate_schema(result, records)
    base = timeutil.market_day_start(YESTERDAY)
    for r in records[:: len(records) // 300]:
        index = (timeutil.parse_utc(r["interval_start_utc"]) - base) // timedelta(minutes=5)
        kind = r["revision"] or "ex_ante"
        want = fake.data.asm_mcp_5min(YESTERDAY, index, r["zone"], FAKE_PRODUCT[r["product"]], kind)
        assert r["mcp"] == want
        assert r["hour_ending"] == index // 12 + 1


def test_real_time_5min_public_latest_interval_uses_end_label(fake):
    result = run(fake, RT5, TODAY, TODAY)
    records = result.records(RT5)
    assert len(records) == 8 * 6
    assert {r["source"] for r in records} == {"public_api"}
    # HourAndMin 12:00 (END) -> the interval 11:55-12:00 EST = 16:55Z (index 143).
    assert {r["interval_start_utc"] for r in records} == {f"{TODAY}T16:55:00Z"}
    assert {r["raw_time_label"] for r in records} == {"12:00"}
    for r in records:
        want = fake.data.asm_mcp_5min(
            TODAY, 143, r["zone"], FAKE_PRODUCT[r["product"]], "preliminary"
        )
        assert r["mcp"] == want
    validate_schema(result, records)


def test_real_time_5min_today_falls_back_to_public_when_data_exchange_fails(fake):
    reference = run(fake, RT5, TODAY, TODAY)
    # ex-ante of today is simply not published yet (DX 404); ex-post fails on DX.
    fake.inject(rf"/pricing/v1/real-time/{TODAY}/asm-expost", "status", times=None, code=500)
    result = run(fake, RT5, TODAY, TODAY, pricing_api_key=key(fake), max_retries=1)
    assert {r["source"] for r in result.records(RT5)} == {"public_api"}
    assert result.records(RT5) == reference.records(RT5)
    assert fake.requests_for(r"/pricing/v1/real-time/.*/asm-expost")

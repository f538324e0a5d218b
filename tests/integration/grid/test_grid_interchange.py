"""Interchange streams end to end through the fake MISO server: interchange_hourly and
interchange_5min (sign convention, Ontario code, UTC feed, fallback, DST, gaps)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import requests

from tap_miso.testing.harness import TapRun, fake_config, run_tap
from tests.integration.grid.helpers import DAY, LGI_KEY, TODAY, assert_schema_valid, tap, without

DX, MR, PUBLIC = "data_exchange", "market_report", "public_api"
DX_NSI = {"MHEB", "IESO", "SWPP", "TVA", "AECI", "SOCO", "LGEE", "PJM", "OTHER"}
DX_NAI = {"MHEB", "IESO", "SWPP", "TVA", "AECI", "SOCO", "LGEE", "PJM", "SPA"}
MR_NSI = {"GLHB", "IESO", "MHEB", "PJM", "SOCO", "SWPP", "TVA", "AECI", "LGEE", "OTHER", "TOTAL"}
PROVENANCE = {"source", "counterparty_raw", "sign_convention", "interval_label",
              "source_timezone", "interval_start_local"}  # fmt: skip






def business(record: dict) -> dict:
    return without(record, PROVENANCE)


def key(record: dict) -> tuple:
    return record["counterparty"], record["kind"], record["interval_start_utc"]


# -- interchange_hourly --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hourly_dx(fake) -> TapRun:
    return tap(fake, "interchange_hourly", [DX])


def test_interchange_hourly_from_data_exchange_exact(fake, hourly_dx):
    records = hourly_dx.records("interchange_hourly")
    scheduled = [r for r in records if r["kind"] == "scheduled"]
    actual = [r for r in records if r["kind"] == "actual"]
    assert {r["counterparty"] for r in scheduled} == DX_NSI
    assert {r["counterparty"] for r in actual} == DX_NAI
    assert len(scheduled) == len(actual) == 24 * 9
    for r in records:
        measure = fake.data.nsi if r["kind"] == "scheduled" else fake.data.nai
        # the model is positive = import, as the tap's convention
        assert r["interchange_mw"] == measure(DAY, r["hour_ending"], r["counterparty_raw"])
        assert r["sign_convention"] == "import_positive"
    # Ontario: DX NSI says ONT, DX NAI says IESO: one canonical code (FORMATS §7.11)
    assert {r["counterparty_raw"] for r in records if r["counterparty"] == "IESO"} == {
        "ONT", "IESO"
    }  # fmt: skip
    mheb = [r["interchange_mw"] for r in scheduled if r["counterparty"] == "MHEB"]
    assert min(mheb) > 0  # MHEB exports into MISO: positive = flow into MISO
    assert_schema_valid(hourly_dx, "interchange_hourly")


def test_interchange_hourly_from_report_matches_and_actual_is_unserved(fake, hourly_dx):
    run = tap(fake, "interchange_hourly", [MR])
    records = run.records("interchange_hourly")
    assert {r["kind"] for r in records} == {"scheduled"}
    assert {r["counterparty"] for r in records} == MR_NSI
    assert len(records) == 24 * 11
    dx_records = {key(r): r for r in hourly_dx.records("interchange_hourly")}
    common = [r for r in records if key(r) in dx_records]
    assert len(common) == 24 * 9  # every DX NSI neighbour; MR adds GLHB and TOTAL
    for r in common:
        assert business(r) == business(dx_records[key(r)])
        assert r["record_hash"] == dx_records[key(r)]["record_hash"]
    totals = {r["hour_ending"]: r["interchange_mw"] for r in records
              if r["counterparty"] == "TOTAL"}  # fmt: skip
    parts: dict[int, float] = {}
    for r in records:
        if r["counterparty"] != "TOTAL":
            parts[r["hour_ending"]] = parts.get(r["hour_ending"], 0) + r["interchange_mw"]
    assert all(totals[h] == pytest.approx(parts[h], abs=0.02) for h in totals)
    # Net actual comes only from the Data Exchange, which this run excludes: a configuration
    # choice, reported once (summary + one warning), not a gap per date in MISO's data.
    summary = run.summary()
    assert "interchange_hourly" not in summary["gaps"]
    assert summary["unserved_parts"] == {
        "interchange_hourly": {"actual": "data_exchange is not in source_preference"}}
    assert run.stderr.count("no configured source serves the 'actual' part") == 1
    assert_schema_valid(run, "interchange_hourly")


def test_interchange_hourly_without_a_key_names_the_missing_key_once(fake):
    config = fake_config(fake, start_date=(DAY - timedelta(days=2)).isoformat(),
                         end_date=DAY.isoformat(), max_retries=0)  # no lgi_api_key
    run = run_tap(config, streams=["interchange_hourly"])
    assert run.returncode == 0, run.stderr[-3000:]
    assert {r["kind"] for r in run.records("interchange_hourly")} == {"scheduled"}
    summary = run.summary()
    assert summary["gap_count"] == 0
    assert summary["unserved_parts"] == {
        "interchange_hourly": {"actual": "data_exchange needs lgi_api_key"}}
    assert run.stderr.count("no configured source serves the 'actual' part") == 1


def test_interchange_hourly_scheduled_falls_back_actual_stays(fake):
    fake.inject(r"/historical/.*/interchange/net-scheduled", "status", times=None, code=503)
    run = tap(fake, "interchange_hourly", [DX, MR])
    sources = {(r["kind"], r["source"]) for r in run.records("interchange_hourly")}
    assert sources == {("scheduled", MR), ("actual", DX)}
    assert run.summary()["gap_count"] == 0


@pytest.mark.parametrize(("day", "source"), [(date(2025, 11, 2), DX), (date(2025, 3, 9), MR)])
def test_interchange_hourly_dst_days_have_24_hours(fake, day, source):
    run = tap(fake, "interchange_hourly", [source], first=day, last=day)
    hours: dict[tuple, list[int]] = {}
    for r in run.records("interchange_hourly"):
        hours.setdefault((r["counterparty"], r["kind"]), []).append(r["hour_ending"])
    assert hours and all(sorted(h) == list(range(1, 25)) for h in hours.values())


def test_interchange_hourly_bad_cell_is_flagged(fake):
    url = f"{fake.data_exchange_url}/lgi/v1/real-time/{DAY}/interchange/net-actual"
    body = requests.get(url, headers={"Ocp-Apim-Subscription-Key": LGI_KEY}, timeout=30).json()
    body["data"][3]["nai"] = "abc"
    fake.inject(r"/interchange/net-actual", "status", times=None, code=200, body=json.dumps(body))
    run = tap(fake, "interchange_hourly", [DX])
    flagged = [r for r in run.records("interchange_hourly") if r["quality_flags"]]
    assert len(flagged) == 1
    assert flagged[0]["interchange_mw"] is None
    assert flagged[0]["quality_flags"] == ["invalid_interchange_mw"]
    assert len(run.records("interchange_hourly")) == 2 * 24 * 9


# -- interchange_5min ----------------------------------------------------------------------------


def five_minute_slot(record: dict) -> tuple[date, int]:
    start = datetime.fromisoformat(record["interval_start_utc"].replace("Z", "+00:00"))
    est = start - timedelta(hours=5)
    return est.date(), (est.hour * 60 + est.minute) // 5


@pytest.fixture(scope="module")
def five_min(fake) -> TapRun:
    return tap(fake, "interchange_5min", [PUBLIC], first=DAY, last=TODAY)


def test_interchange_5min_exact(fake, five_min):
    records = five_min.records("interchange_5min")
    assert {r["market_date"] for r in records} <= {
        (TODAY - timedelta(days=1)).isoformat(), TODAY.isoformat()
    }  # fmt: skip
    scheduled = [r for r in records if r["kind"] == "scheduled"]
    actual = [r for r in records if r["kind"] == "actual"]
    assert {r["counterparty"] for r in scheduled} == {
        "AECI", "LGEE", "MHEB", "IESO", "PJM", "SOCO", "SPA", "SWPP", "TVA", "TOTAL"
    }  # fmt: skip
    assert {r["counterparty"] for r in actual} == {"TOTAL"}
    for r in scheduled:
        day, index = five_minute_slot(r)
        ba = "MISO" if r["counterparty"] == "TOTAL" else r["counterparty"]
        # the feed publishes import_negative; the tap converts to positive = import
        assert r["interchange_mw"] == fake.data.nsi_5min(day, index, ba)
        assert r["sign_convention"] == "import_negative"
    for r in actual:
        assert r["interchange_mw"] == pytest.approx(fake.data.nai_5min(*five_minute_slot(r)))
        assert r["source_timezone"] == "EST"
    label = datetime.strptime(scheduled[0]["interval_label"], "%Y-%m-%d %H:%M:%S")
    end = datetime.fromisoformat(scheduled[0]["interval_end_utc"].replace("Z", ""))
    assert end - label == timedelta(hours=5)  # END label, EST
    keys = [key(r) for r in records]
    assert len(keys) == len(set(keys))
    assert_schema_valid(five_min, "interchange_5min")


def test_interchange_5min_nai_imports_is_utc_and_equals_five_minute(fake, five_min):
    fake.inject(r"/api/Interchange/GetNai/FiveMinute$", "status", times=None, code=500)
    run = tap(fake, "interchange_5min", [PUBLIC], first=DAY, last=TODAY)
    actual = {key(r): r for r in run.records("interchange_5min") if r["kind"] == "actual"}
    before = {key(r): r for r in five_min.records("interchange_5min") if r["kind"] == "actual"}
    common = actual.keys() & before.keys()
    assert len(common) >= 200  # the 24 h windows of the two runs overlap almost fully
    for k in common:
        utc, est = actual[k], before[k]
        assert utc["source_timezone"] == "UTC"
        assert business(utc) == business(est)
        assert utc["record_hash"] == est["record_hash"]
        label = datetime.strptime(utc["interval_label"], "%Y-%m-%d %I:%M:%S %p")
        # T7a: Imports labels are UTC: the label IS the UTC end, no 5 h added
        assert label.strftime("%Y-%m-%dT%H:%M:%SZ") == utc["interval_end_utc"]


def test_interchange_5min_repeated_run_advances_without_duplicates(fake, five_min):
    run = tap(fake, "interchange_5min", [PUBLIC], first=DAY, last=TODAY,
              state=five_min.last_state)  # fmt: skip
    first = five_min.last_state["bookmarks"]["interchange_5min"]["replication_key_value"]
    second = run.last_state["bookmarks"]["interchange_5min"]["replication_key_value"]
    assert second >= first
    keys = [key(r) for r in run.records("interchange_5min")]
    assert len(keys) == len(set(keys))

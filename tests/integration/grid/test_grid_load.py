"""Load streams end to end through the fake MISO server: load_actual_hourly,
day_ahead_cleared_demand_hourly, load_forecast_hourly (each source, fallback, DST, gaps)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import requests

from tap_miso.testing.harness import TapRun, fake_config, run_tap
from tests.integration.grid.helpers import DAY, LGI_KEY, assert_schema_valid, tap, without

DX, MR = "data_exchange", "market_report"
REGIONS = ("NORTH", "CENTRAL", "SOUTH")
LRZS = ("LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6", "LRZ8_9_10")
ZONES = tuple(f"Z{i}" for i in range(1, 11))
#: Fields that may differ between sources carrying the same data (provenance, raw spellings).
PROVENANCE = {"source", "area_raw", "region_raw", "derived"}






def business(record: dict) -> dict:
    return without(record, PROVENANCE)


def by_key(records: list[dict], *fields: str) -> dict[tuple, dict]:
    keyed = {tuple(r[f] for f in fields): r for r in records}
    assert len(keyed) == len(records), "duplicate keys"
    return keyed


def hours_of(records: list[dict], day: date) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        if r["market_date"] == day.isoformat():
            out.setdefault(r["area"], []).append(r["hour_ending"])
    return out


# -- load_actual_hourly -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actual_dx(fake) -> TapRun:
    return tap(fake, "load_actual_hourly", [DX])


def test_load_actual_from_data_exchange_exact(fake, actual_dx):
    records = actual_dx.records("load_actual_hourly")
    assert len(records) == 24 * (3 + 6 + 1)
    assert {r["source"] for r in records} == {DX}
    for r in records:
        expected = fake.data.actual_load(DAY, r["hour_ending"], r["area"])
        assert r["load_mw"] == pytest.approx(expected, abs=1e-9)
        assert r["derived"] is (r["area"] == "MISO")
        assert r["area_level"] == {"MISO": "total"}.get(
            r["area"], "region" if r["area"] in REGIONS else "lrz"
        )
        assert r["quality_flags"] == []
    first = records[0]
    assert first["interval_start_utc"] == f"{DAY}T05:00:00Z"
    assert first["interval_start_local"] == f"{DAY}T00:00:00-05:00"
    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts)
    assert_schema_valid(actual_dx, "load_actual_hourly")


def test_load_actual_from_reports_uses_file_dated_next_day(fake, actual_dx):
    fake.reset_log()
    run = tap(fake, "load_actual_hourly", [MR])
    records = run.records("load_actual_hourly")
    assert {r["source"] for r in records} == {MR}
    # FORMATS §4.4: actual load for D is in the df_al/rf_al file dated D+1.
    assert fake.requests_for(f"{DAY + timedelta(days=1):%Y%m%d}_df_al.xls")
    assert fake.requests_for(f"{DAY + timedelta(days=1):%Y%m%d}_rf_al.xls")
    assert not fake.requests_for(f"{DAY:%Y%m%d}_df_al.xls")
    dx_records = by_key(actual_dx.records("load_actual_hourly"), "area", "interval_start_utc")
    mr_records = by_key(records, "area", "interval_start_utc")
    assert mr_records.keys() == dx_records.keys()
    for key, r in mr_records.items():
        assert business(r) == business(dx_records[key])
    miso = [r for r in records if r["area"] == "MISO"]
    assert {(r["derived"], r["area_raw"]) for r in miso} == {(False, "MISO")}
    assert_schema_valid(run, "load_actual_hourly")


def test_load_actual_falls_back_when_data_exchange_fails(fake, actual_dx):
    fake.inject(r"/lgi/v1/real-time/.*/demand/actual", "status", times=None, code=500)
    run = tap(fake, "load_actual_hourly", [DX, MR])
    records = run.records("load_actual_hourly")
    assert {r["source"] for r in records} == {MR}
    expected = [business(r) for r in actual_dx.records("load_actual_hourly")]
    assert [business(r) for r in records] == expected
    assert run.summary()["fallbacks"].get("load_actual_hourly:data_exchange", 0) >= 1


@pytest.mark.parametrize("day", [date(2025, 3, 9), date(2025, 11, 2)])
@pytest.mark.parametrize("source", [DX, MR])
def test_load_actual_dst_days_have_24_hours(fake, day, source):
    run = tap(fake, "load_actual_hourly", [source], first=day, last=day)
    hours = hours_of(run.records("load_actual_hourly"), day)
    assert set(hours) == {*REGIONS, *LRZS, "MISO"}
    assert all(sorted(h) == list(range(1, 25)) for h in hours.values())
    record = next(r for r in run.records("load_actual_hourly") if r["hour_ending"] == 3)
    assert record["interval_start_utc"] == f"{day}T07:00:00Z"  # fixed EST, FORMATS §1.3


def test_load_actual_missing_date_is_a_gap_and_run_succeeds(fake):
    missing = DAY - timedelta(days=1)
    fake.missing_dates.add(missing)
    run = tap(fake, "load_actual_hourly", [DX], first=missing - timedelta(days=1), last=DAY)
    dates = {r["market_date"] for r in run.records("load_actual_hourly")}
    assert dates == {(missing - timedelta(days=1)).isoformat(), DAY.isoformat()}
    gaps = run.summary()["gaps"]["load_actual_hourly"]
    assert [g["market_date"] for g in gaps] == [missing.isoformat()]


def test_load_actual_incremental_second_run(fake, actual_dx):
    state = actual_dx.last_state
    bookmark = state["bookmarks"]["load_actual_hourly"]["replication_key_value"]
    assert bookmark == f"{DAY + timedelta(days=1)}T04:00:00Z"
    config = fake_config(fake, start_date=DAY.isoformat(), end_date=DAY.isoformat(),
                         lgi_api_key=LGI_KEY, lookback_days=0)  # fmt: skip
    run = run_tap(config, streams=["load_actual_hourly"], state=state)
    assert run.returncode == 0, run.stderr[-2000:]
    records = run.records("load_actual_hourly")
    assert {r["interval_start_utc"] for r in records} == {bookmark}
    assert len(records) == 10


# -- day_ahead_cleared_demand_hourly -------------------------------------------------------------


def test_day_ahead_demand_exact(fake):
    run = tap(fake, "day_ahead_cleared_demand_hourly", [DX])
    records = run.records("day_ahead_cleared_demand_hourly")
    assert len(records) == 24 * 4
    for r in records:
        he = r["hour_ending"]
        parts = [fake.data.da_demand(DAY, he, reg) for reg in
                 (REGIONS if r["region"] == "MISO" else (r["region"],))]  # fmt: skip
        assert r["fixed_mw"] == pytest.approx(sum(p.fixed for p in parts), abs=1e-6)
        assert r["price_sensitive_mw"] == pytest.approx(
            sum(p.price_sensitive for p in parts), abs=1e-6
        )
        assert r["virtual_mw"] == pytest.approx(sum(p.virtual for p in parts), abs=1e-6)
        assert r["total_mw"] == pytest.approx(
            r["fixed_mw"] + r["price_sensitive_mw"] + r["virtual_mw"], abs=1e-6
        )
        assert r["derived"] is (r["region"] == "MISO")
    assert_schema_valid(run, "day_ahead_cleared_demand_hourly")


def test_day_ahead_demand_bad_cell_is_flagged_never_a_number(fake):
    url = f"{fake.data_exchange_url}/lgi/v1/day-ahead/{DAY}/demand"
    body = requests.get(url, headers={"Ocp-Apim-Subscription-Key": LGI_KEY}, timeout=30).json()
    bad = body["data"][0]
    bad["fixed"] = "n/a"
    fake.inject(r"/lgi/v1/day-ahead/.*/demand", "status", times=None, code=200,
                body=json.dumps(body))  # fmt: skip
    run = tap(fake, "day_ahead_cleared_demand_hourly", [DX])
    records = run.records("day_ahead_cleared_demand_hourly")
    assert len(records) == 24 * 4
    flagged = [r for r in records if r["quality_flags"]]
    hour = int(bad["timeInterval"]["value"])
    assert {(r["region"], r["hour_ending"]) for r in flagged} == {
        (bad["region"], hour), ("MISO", hour)
    }
    for r in flagged:
        assert r["fixed_mw"] is None and r["total_mw"] is None
        assert r["quality_flags"] == ["invalid_fixed_mw"]
    assert run.summary()["flagged_records"]["day_ahead_cleared_demand_hourly"] == 2


# -- load_forecast_hourly ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forecast_dx(fake) -> TapRun:
    return tap(fake, "load_forecast_hourly", [DX])


def test_load_forecast_from_data_exchange_exact(fake, forecast_dx):
    records = forecast_dx.records("load_forecast_hourly")
    # one vintage (DAY): targets DAY+1..DAY+7, 10 zones + 6 LRZ groups + 3 regions + MISO
    assert len(records) == 7 * 24 * 20
    assert {r["forecast_issued_utc"] for r in records} == {f"{DAY}T05:00:00Z"}
    for r in records:
        day = date.fromisoformat(r["market_date"])
        expected = fake.data.load_forecast(DAY, day, r["hour_ending"], r["area"])
        assert r["load_forecast_mw"] == expected
        assert r["derived"] is (r["area"] not in ZONES)
    zone5 = next(r for r in records if r["area"] == "Z5")
    assert (zone5["area_level"], zone5["lrz_group"]) == ("zone", "LRZ3_5")
    assert_schema_valid(forecast_dx, "load_forecast_hourly")


def test_load_forecast_reports_match_and_cover_file_window(fake, forecast_dx):
    run = tap(fake, "load_forecast_hourly", [MR])
    records = run.records("load_forecast_hourly")
    # df_al dated DAY covers DAY-1..DAY+5: 6 LRZ groups + MISO, rf_al adds 3 regions
    assert len(records) == 7 * 24 * 10
    assert {r["market_date"] for r in records} == {
        (DAY + timedelta(days=i)).isoformat() for i in range(-1, 6)
    }
    dx_records = by_key(forecast_dx.records("load_forecast_hourly"), "area",
                        "interval_start_utc", "forecast_issued_utc")  # fmt: skip
    common = 0
    for r in records:
        key = (r["area"], r["interval_start_utc"], r["forecast_issued_utc"])
        if key in dx_records:
            common += 1
            assert business(r) == business(dx_records[key])
            assert r["record_hash"] == dx_records[key]["record_hash"]
    assert common == 5 * 24 * 10  # DAY+1..DAY+5 in both
    assert_schema_valid(run, "load_forecast_hourly")


def test_load_forecast_malformed_data_exchange_falls_back(fake):
    fake.inject(r"/lgi/v1/forecast/", "malformed", times=None)
    run = tap(fake, "load_forecast_hourly", [DX, MR])
    records = run.records("load_forecast_hourly")
    assert len(records) == 7 * 24 * 10
    assert {r["source"] for r in records} == {MR}


def test_load_forecast_vintages_never_overwrite_each_other(fake):
    run = tap(fake, "load_forecast_hourly", [MR], first=DAY, last=DAY + timedelta(days=1))
    records = run.records("load_forecast_hourly")
    assert len(records) == 2 * 7 * 24 * 10
    issued = [r["forecast_issued_utc"] for r in records]
    assert issued == sorted(issued)  # planned and emitted by vintage
    key = ("MISO", f"{DAY + timedelta(days=2)}T17:00:00Z")
    both = [r for r in records if (r["area"], r["interval_start_utc"]) == key]
    assert [r["forecast_vintage_date"] for r in both] == [
        DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()
    ]
    assert run.last_state["bookmarks"]["load_forecast_hourly"]["replication_key_value"] == (
        f"{DAY + timedelta(days=1)}T05:00:00Z"
    )


def test_day_ahead_demand_and_forecast_dst_days_have_24_hours(fake):
    day = date(2025, 11, 2)
    run = tap(fake, "day_ahead_cleared_demand_hourly", [DX], first=day, last=day)
    hours: dict[str, list[int]] = {}
    for r in run.records("day_ahead_cleared_demand_hourly"):
        hours.setdefault(r["region"], []).append(r["hour_ending"])
    assert set(hours) == {*REGIONS, "MISO"}
    assert all(sorted(h) == list(range(1, 25)) for h in hours.values())
    # the df_al vintage of 2025-03-08 covers 2025-03-07 .. 2025-03-13, DST day included
    vintage = date(2025, 3, 8)
    run = tap(fake, "load_forecast_hourly", [MR], first=vintage, last=vintage)
    spring = hours_of(run.records("load_forecast_hourly"), date(2025, 3, 9))
    assert set(spring) == {*REGIONS, *LRZS, "MISO"}
    assert all(sorted(h) == list(range(1, 25)) for h in spring.values())

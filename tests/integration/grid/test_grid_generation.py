"""Generation streams end to end through the fake MISO server: fuel_mix_hourly,
fuel_mix_5min, generation_forecast_hourly."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import requests

from tap_miso.testing.harness import TapRun
from tests.integration.grid.helpers import DAY, LGI_KEY, TODAY, assert_schema_valid, tap, without

DX, MR, PUBLIC = "data_exchange", "market_report", "public_api"
REGIONS = ("NORTH", "CENTRAL", "SOUTH")
MODEL_FUEL = {"hydro": "water"}  # canonical fuel -> the fake data model's DX name
PUBLIC_CATEGORY = {"coal": "Coal", "gas": "Natural Gas", "nuclear": "Nuclear", "other": "Other",
                   "solar": "Solar", "wind": "Wind", "storage": "Battery Storage",
                   "imports": "Imports"}  # fmt: skip
PROVENANCE = {"source", "region_raw", "fuel_raw", "derived"}






def business(record: dict) -> dict:
    return without(record, PROVENANCE)


def interval_index(record: dict) -> tuple[date, int]:
    start = datetime.fromisoformat(record["interval_start_local"])
    return start.date(), (start.hour * 60 + start.minute) // 5


# -- fuel_mix_hourly -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuel_dx(fake) -> TapRun:
    return tap(fake, "fuel_mix_hourly", [DX])


def test_fuel_mix_hourly_from_data_exchange_exact(fake, fuel_dx):
    records = fuel_dx.records("fuel_mix_hourly")
    assert len(records) == 24 * 4 * 8
    assert {r["fuel"] for r in records} == {
        "coal", "gas", "nuclear", "hydro", "wind", "solar", "other", "storage"
    }  # fmt: skip
    for r in records:
        model_fuel = MODEL_FUEL.get(r["fuel"], r["fuel"])
        expected = fake.data.fuel_mix(DAY, r["hour_ending"], r["region"], model_fuel)
        assert r["generation_mw"] == pytest.approx(expected, abs=1e-9)
        assert r["derived"] is (r["region"] == "MISO")
    assert_schema_valid(fuel_dx, "fuel_mix_hourly")


def test_fuel_mix_hourly_from_report_matches(fake, fuel_dx):
    run = tap(fake, "fuel_mix_hourly", [MR])
    records = run.records("fuel_mix_hourly")
    # sr_gfm: South has no Storage column (FORMATS §4.5): no row rather than a zero
    assert len(records) == 24 * (8 + 8 + 7 + 8)
    assert not [r for r in records if (r["region"], r["fuel"]) == ("SOUTH", "storage")]
    dx_records = {(r["region"], r["fuel"], r["interval_start_utc"]): r
                  for r in fuel_dx.records("fuel_mix_hourly")}  # fmt: skip
    for r in records:
        twin = dx_records[r["region"], r["fuel"], r["interval_start_utc"]]
        assert business(r) == business(twin)
        assert r["record_hash"] == twin["record_hash"]
    assert {r["region_raw"] for r in records if r["region"] == "MISO"} == {"Total"}
    assert_schema_valid(run, "fuel_mix_hourly")


def test_fuel_mix_hourly_drifted_data_exchange_falls_back(fake):
    fake.inject(r"/generation/fuel-type", "drift", times=None, mode="rename", column="fuelTypes")
    run = tap(fake, "fuel_mix_hourly", [DX, MR])
    assert {r["source"] for r in run.records("fuel_mix_hourly")} == {MR}
    assert run.summary()["fallbacks"]["fuel_mix_hourly:data_exchange"] >= 1


@pytest.mark.parametrize(("day", "source"), [(date(2025, 3, 9), DX), (date(2025, 11, 2), MR)])
def test_fuel_mix_hourly_dst_days_have_24_hours(fake, day, source):
    run = tap(fake, "fuel_mix_hourly", [source], first=day, last=day)
    hours: dict[tuple, list[int]] = {}
    for r in run.records("fuel_mix_hourly"):
        hours.setdefault((r["region"], r["fuel"]), []).append(r["hour_ending"])
    assert hours and all(sorted(h) == list(range(1, 25)) for h in hours.values())


def test_fuel_mix_hourly_bad_cell_is_flagged(fake):
    url = f"{fake.data_exchange_url}/lgi/v1/real-time/{DAY}/generation/fuel-type"
    body = requests.get(url, headers={"Ocp-Apim-Subscription-Key": LGI_KEY}, timeout=30).json()
    bad = body["data"][0]
    bad["fuelTypes"]["coal"] = "#N/A"
    fake.inject(r"/generation/fuel-type", "status", times=None, code=200, body=json.dumps(body))
    run = tap(fake, "fuel_mix_hourly", [DX])
    flagged = [r for r in run.records("fuel_mix_hourly") if r["quality_flags"]]
    hour = int(bad["timeInterval"]["value"])
    assert {(r["region"], r["fuel"], r["hour_ending"]) for r in flagged} == {
        (bad["region"], "coal", hour), ("MISO", "coal", hour)
    }
    assert all(r["generation_mw"] is None for r in flagged)
    assert flagged[0]["quality_flags"] == ["invalid_generation_mw"]


def test_fuel_mix_hourly_missing_report_is_a_gap(fake):
    fake.missing_dates.add(DAY)
    run = tap(fake, "fuel_mix_hourly", [MR], first=DAY - timedelta(days=1), last=DAY)
    assert {r["market_date"] for r in run.records("fuel_mix_hourly")} == {
        (DAY - timedelta(days=1)).isoformat()
    }
    assert run.summary()["gap_count"] == 1


# -- fuel_mix_5min -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def five_min(fake) -> TapRun:
    return tap(fake, "fuel_mix_5min", [PUBLIC], first=DAY, last=TODAY)


def test_fuel_mix_5min_yesterday_and_today_exact(fake, five_min):
    records = five_min.records("fuel_mix_5min")
    yesterday = TODAY - timedelta(days=1)
    dates = {r["market_date"] for r in records}
    assert dates <= {yesterday.isoformat(), TODAY.isoformat()}  # older dates: not in the feeds
    per_day: dict[str, set[str]] = {}
    for r in records:
        per_day.setdefault(r["market_date"], set()).add(r["interval_start_utc"])
        day, index = interval_index(r)
        expected = fake.data.fuel_mix_5min(day, index, PUBLIC_CATEGORY[r["fuel"]])
        assert r["generation_mw"] == expected
        assert r["region"] == "MISO"
    assert len(per_day[yesterday.isoformat()]) == 288
    assert len(records) == 8 * sum(len(v) for v in per_day.values())
    first = min(records, key=lambda r: r["interval_start_utc"])
    # INTERVALEST read as the interval START (FORMATS §1.2, unverified): 00:00 opens the day
    assert first["interval_start_utc"] == f"{yesterday}T05:00:00Z"
    assert first["interval_label"] == f"{yesterday} 12:00:00 AM"
    assert_schema_valid(five_min, "fuel_mix_5min")


def test_fuel_mix_5min_repeated_run_does_not_duplicate(fake, five_min):
    state = five_min.last_state
    run = tap(fake, "fuel_mix_5min", [PUBLIC], first=DAY, last=TODAY, state=state)
    first = five_min.last_state["bookmarks"]["fuel_mix_5min"]["replication_key_value"]
    second = run.last_state["bookmarks"]["fuel_mix_5min"]["replication_key_value"]
    assert second >= first
    keys = [(r["fuel"], r["interval_start_utc"]) for r in run.records("fuel_mix_5min")]
    assert len(keys) == len(set(keys))
    old = {(r["fuel"], r["interval_start_utc"]): r for r in five_min.records("fuel_mix_5min")}
    for r in run.records("fuel_mix_5min"):
        if (r["fuel"], r["interval_start_utc"]) in old:
            assert r["record_hash"] == old[r["fuel"], r["interval_start_utc"]]["record_hash"]


def test_fuel_mix_5min_empty_today_falls_back_to_latest(fake):
    empty = {"RefId": "x", "TotalMW": "0", "Fuel": {"Type": []}}
    fake.inject(r"/api/FuelMix/Today$", "status", times=None, code=200, body=json.dumps(empty))
    fake.inject(r"/api/FuelMix/Yesterday$", "status", times=None, code=200,
                body=json.dumps(empty))  # fmt: skip
    run = tap(fake, "fuel_mix_5min", [PUBLIC], first=DAY, last=TODAY)
    records = run.records("fuel_mix_5min")
    assert len({r["interval_start_utc"] for r in records}) == 1  # FuelMix: latest interval
    assert len(records) == 8
    gaps = run.summary()["gaps"]["fuel_mix_5min"]
    assert [g["market_date"] for g in gaps] == [(TODAY - timedelta(days=1)).isoformat()]


# -- generation_forecast_hourly ------------------------------------------------------------------


def test_generation_forecast_from_mom_exact(fake):
    run = tap(fake, "generation_forecast_hourly", [MR])
    records = run.records("generation_forecast_hourly")
    assert len(records) == 7 * 24 * 2 * 4
    assert {r["forecast_issued_utc"] for r in records} == {f"{DAY}T05:00:00Z"}
    for r in records:
        day = date.fromisoformat(r["market_date"])
        expected = fake.data.generation_forecast(r["fuel"], DAY, day, r["hour_ending"],
                                                 r["region"])  # fmt: skip
        assert r["forecast_mw"] == pytest.approx(expected, abs=1e-9)
    starts = [(r["forecast_issued_utc"], r["interval_start_utc"]) for r in records]
    assert starts == sorted(starts)
    assert_schema_valid(run, "generation_forecast_hourly")


def test_generation_forecast_public_is_todays_vintage_and_mom_failure_falls_back(fake):
    fake.inject(r"_mom\.xlsx", "malformed", times=None)
    run = tap(fake, "generation_forecast_hourly", [MR, PUBLIC], first=TODAY, last=TODAY)
    records = run.records("generation_forecast_hourly")
    assert len(records) == 2 * 24 * 2  # today + tomorrow, wind + solar, MISO only
    assert {r["source"] for r in records} == {PUBLIC}
    assert {r["forecast_issued_utc"] for r in records} == {f"{TODAY}T05:00:00Z"}
    for r in records:
        day = date.fromisoformat(r["market_date"])
        expected = fake.data.generation_forecast(r["fuel"], TODAY, day, r["hour_ending"], "MISO")
        assert r["forecast_mw"] == pytest.approx(expected, abs=1e-9)
    assert_schema_valid(run, "generation_forecast_hourly")

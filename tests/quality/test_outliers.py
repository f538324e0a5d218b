"""Outliers: injected spikes are found, clean generated data is never flagged, values untouched."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from tap_miso.quality import OutlierDetector, RunMonitor
from tap_miso.testing.fake_miso import DataModel
from tests.quality.helpers import days, five_min_fields, hourly_fields, lmp_record

MODEL = DataModel(60)
NODES = [name for name, _ in MODEL.nodes][:25]
PRODUCTS = ("Regulation", "Spin", "Supplemental", "STR", "Ramp-up", "Ramp-down")


def lmp_records(first: date, n_days: int, price_type: str = "ex_post"):
    for day in days(first, n_days):
        for he in range(1, 25):
            for node in NODES:
                yield lmp_record(MODEL, day, he, node, price_type)


def flagged(stream: str, records) -> list[dict]:
    checker = RunMonitor().for_stream(stream)
    out = []
    for record in records:
        checker.check(record)
        if "outlier" in record["quality_flags"]:
            out.append(record)
    return out


@pytest.mark.parametrize("first", [date(2026, 1, 3), date(2026, 7, 14)])
@pytest.mark.parametrize("price_type", ["ex_ante", "ex_post"])
def test_clean_day_ahead_lmp_is_never_flagged(first, price_type):
    records = list(lmp_records(first, 10, price_type))
    assert flagged("lmp_day_ahead_hourly", records) == []
    assert all(r["quality_flags"] == [] for r in records)


def test_clean_5min_lmp_and_mcp_are_never_flagged():
    lmp = (
        {**five_min_fields(day, i), "node": node, "price_type": "ex_post",
         **MODEL.lmp_5min(day, i, node, "final")._asdict()}
        for day in days(date(2026, 8, 1), 3) for node in NODES[:8] for i in range(288)
    )
    assert flagged("lmp_real_time_5min", lmp) == []
    mcp = (
        {**five_min_fields(day, i), "zone": zone, "product": product, "price_type": "ex_post",
         "mcp": MODEL.asm_mcp_5min(day, i, zone, product, "final")}
        for day in days(date(2026, 2, 1), 3) for zone in range(1, 9) for product in PRODUCTS
        for i in range(288)
    )
    assert flagged("ancillary_mcp_real_time_5min", mcp) == []


def test_clean_grid_series_are_never_flagged():
    span = days(date(2026, 4, 1), 14)
    fuels = ("coal", "gas", "nuclear", "water", "wind", "solar", "other", "storage")
    fuel = (
        {**hourly_fields(day, he), "region": region, "fuel": f,
         "generation_mw": MODEL.fuel_mix(day, he, region, f)}
        for day in span for he in range(1, 25) for region in ("NORTH", "SOUTH", "MISO")
        for f in fuels
    )
    assert flagged("fuel_mix_hourly", sorted(fuel, key=lambda r: r["interval_start_utc"])) == []
    load = (
        {**hourly_fields(day, he), "area": area, "load_mw": MODEL.actual_load(day, he, area)}
        for day in span for he in range(1, 25) for area in ("Z1", "LRZ8_9_10", "Central", "MISO")
    )
    assert flagged("load_actual_hourly", load) == []
    bas = ("MHEB", "ONT", "SWPP", "TVA", "PJM", "SOCO")
    nsi = (
        {**hourly_fields(day, he), "counterparty": ba, "kind": "scheduled",
         "interchange_mw": MODEL.nsi(day, he, ba)}
        for day in span for he in range(1, 25) for ba in bas
    )
    assert flagged("interchange_hourly", nsi) == []


def test_injected_spikes_are_flagged_and_values_kept():
    records = list(lmp_records(date(2026, 3, 2), 4))
    spikes = {(r["node"], r["interval_start_utc"]) for r in records[24 * 25 + 7 :: 331]}
    assert len(spikes) >= 5
    for record in records:
        if (record["node"], record["interval_start_utc"]) in spikes:
            record["lmp"] = record["lmp"] * 60 + 2500  # thousands in a ~$30 series
    before = copy.deepcopy(records)
    hits = flagged("lmp_day_ahead_hourly", records)
    assert {(r["node"], r["interval_start_utc"]) for r in hits} == spikes
    for old, new in zip(before, records, strict=True):
        assert {k: v for k, v in new.items() if k != "quality_flags"} == {
            k: v for k, v in old.items() if k != "quality_flags"}
    # an outlier is only a warning: check() does not report it as an error
    checker = RunMonitor().for_stream("lmp_day_ahead_hourly")
    outcome = [checker.check(r | {"quality_flags": []}) for r in before]
    assert not any(outcome[: 24 * 25]) and all("outlier" not in e for e in outcome)


def test_interchange_spike_is_flagged_but_a_daily_cycle_is_not():
    span = days(date(2026, 5, 1), 3)
    records = [{**hourly_fields(day, he), "counterparty": "PJM", "kind": "scheduled",
                "interchange_mw": MODEL.nsi(day, he, "PJM")} for day in span
               for he in range(1, 25)]
    records[60]["interchange_mw"] += 20_000  # a unit/sign slip of a neighbour schedule
    hits = flagged("interchange_hourly", records)
    assert [r["interval_start_utc"] for r in hits] == [records[60]["interval_start_utc"]]
    assert records[60]["quality_flags"] == ["outlier"]  # in range: only the outlier flag


def test_detector_warms_up_and_memory_is_bounded():
    detector = OutlierDetector(5.0, window=10, min_samples=5)
    assert not any(detector.observe("s", v) for v in (1.0, 1.0, 1.0, 1.0, 1000.0))  # warm-up
    for i in range(1000):
        detector.observe("s", float(i % 3))
    assert len(detector._series["s"].items()) == 10
    assert detector.observe("s", 500.0)
    assert not detector.observe("s", None)
    assert detector.series_count == 1

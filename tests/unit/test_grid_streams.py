"""Grid vocabularies and the grid streams' row builders on small hand-checked payloads."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import pytest

from tap_miso import grid_vocabulary as gv
from tap_miso.parsers import parse_public_nai_five_minute, parse_public_nai_imports
from tap_miso.sources.base import FetchContext
from tap_miso.streams.generation import parse_public_fuel
from tap_miso.streams.interchange import parse_public_interchange, to_import_positive
from tap_miso.streams.load import parse_dx_actual, parse_dx_forecast, total_of

DAY = date(2026, 7, 14)


def ctx() -> FetchContext:
    return FetchContext(stream="test", client=None, settings=None,  # type: ignore[arg-type]
                        logger=logging.getLogger("test"), now=datetime(2026, 7, 20, tzinfo=UTC))


def dx_page(records: list[dict]) -> bytes:
    page = {"pageNumber": 1, "pageSize": 100, "totalElements": len(records), "totalPages": 1,
            "lastPage": True}  # fmt: skip
    return json.dumps({"data": records, "page": page}).encode()


def hourly(day: date, he: int) -> dict:
    start = f"{day} {he - 1:02d}:00:00.000"
    next_day = date.fromordinal(day.toordinal() + 1)
    end = f"{day} {he:02d}:00:00.000" if he < 24 else f"{next_day} 00:00:00.000"
    return {"resolution": "hourly", "start": start, "end": end, "value": str(he)}


# -- vocabulary ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ONT", "IESO"), ("IESO", "IESO"), (" ont ", "IESO"), ("MISO", "TOTAL"), ("Total", "TOTAL"),
     ("Other", "OTHER"), ("MHEB", "MHEB"), ("SPA", "SPA"), ("GLHB", "GLHB")],
)  # fmt: skip
def test_counterparty_codes(raw, expected):
    assert gv.counterparty(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("water", "hydro"), ("Hydro", "hydro"), ("Natural Gas", "gas"), ("Battery Storage", "storage"),
     ("Imports", "imports"), ("coal", "coal"), ("Total MW", None)],
)  # fmt: skip
def test_fuels(raw, expected):
    assert gv.fuel(raw) == expected


def test_regions_zones_and_lrz_groups():
    assert [gv.region(x) for x in ("North", "CENTRAL", "south", "Total", "MISO", "Midwest")] == [
        "NORTH", "CENTRAL", "SOUTH", "MISO", "MISO", None
    ]  # fmt: skip
    assert [gv.lrz_group(z) for z in gv.MTLF_ZONES] == [
        "LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ3_5", "LRZ6", "LRZ2_7", "LRZ8_9_10", "LRZ8_9_10",
        "LRZ8_9_10",
    ]  # fmt: skip
    assert gv.lrz_group("LRZ8_9_10") == "LRZ8_9_10"
    assert gv.mtlf_zone("z10") == "Z10" and gv.mtlf_zone("LRZ1") is None


def test_sign_conversion_and_totals():
    assert to_import_positive(-1000.0, gv.SIGN_IMPORT_NEGATIVE) == 1000.0
    assert to_import_positive(250.5, gv.SIGN_IMPORT_POSITIVE) == 250.5
    assert str(to_import_positive(0.0, gv.SIGN_IMPORT_NEGATIVE)) == "0.0"  # never -0.0
    assert to_import_positive(None, gv.SIGN_IMPORT_NEGATIVE) is None
    assert total_of([0.1, 0.2]) == 0.3
    assert total_of([1.0, None]) is None and total_of([]) is None


# -- row builders ----------------------------------------------------------------------------


def test_dx_actual_load_regions_gain_a_derived_total_and_bad_cells_are_flagged():
    records = [
        {"timeInterval": hourly(DAY, he), "region": region, "load": value}
        for he, values in ((1, (100.25, 200.5, 300.0)), (2, (110.0, "bad", 310.0)))
        for region, value in zip(("North", "Central", "South"), values, strict=True)
    ]
    rows = list(parse_dx_actual(ctx(), DAY, "region", [dx_page(records)]))
    got = [(r["hour_ending"], r["area"], r["load_mw"], r["derived"], r["_invalid"]) for r in rows]
    assert got == [
        (1, "CENTRAL", 200.5, False, []),
        (1, "MISO", 600.75, True, []),
        (1, "NORTH", 100.25, False, []),
        (1, "SOUTH", 300.0, False, []),
        (2, "CENTRAL", None, False, ["load_mw"]),
        (2, "MISO", None, True, ["load_mw"]),
        (2, "NORTH", 110.0, False, []),
        (2, "SOUTH", 310.0, False, []),
    ]
    assert rows[0]["area_raw"] == "Central" and rows[1]["area_raw"] is None
    assert rows[0]["interval"].start == datetime(2026, 7, 14, 5, tzinfo=UTC)


def test_dx_load_forecast_zones_sum_to_lrz_groups_regions_and_miso():
    region_of = {"Z1": "NORTH", "Z2": "NORTH", "Z3": "NORTH", "Z4": "CENTRAL", "Z5": "CENTRAL",
                 "Z6": "CENTRAL", "Z7": "CENTRAL", "Z8": "SOUTH", "Z9": "SOUTH", "Z10": "SOUTH"}
    target = date(2026, 7, 15)
    records = [
        {"timeInterval": hourly(target, 24), "region": region_of[zone], "localResourceZone": zone,
         "loadForecast": int(zone[1:]) * 1000, "init": "2026-07-14"}
        for zone in gv.MTLF_ZONES
    ]  # fmt: skip
    rows = list(parse_dx_forecast(ctx(), DAY, "all", [(target, [dx_page(records)])]))
    values = {r["area"]: r["load_forecast_mw"] for r in rows}
    assert values["LRZ2_7"] == 9000.0 and values["LRZ3_5"] == 8000.0
    assert values["LRZ8_9_10"] == 27000.0 and values["MISO"] == 55000.0
    assert (values["NORTH"], values["CENTRAL"], values["SOUTH"]) == (6000.0, 22000.0, 27000.0)
    assert len(rows) == 20
    assert {r["forecast_issued_utc"] for r in rows} == {"2026-07-14T05:00:00Z"}
    assert rows[0]["interval"].start == datetime(2026, 7, 16, 4, tzinfo=UTC)  # HE 24


def test_dx_load_forecast_missing_zone_derives_no_partial_sum():
    target = date(2026, 7, 15)
    records = [
        {"timeInterval": hourly(target, 1), "region": "NORTH", "localResourceZone": zone,
         "loadForecast": 1000, "init": "2026-07-14"}
        for zone in gv.MTLF_ZONES if zone != "Z7"
    ]  # fmt: skip
    rows = parse_dx_forecast(ctx(), DAY, "all", [(target, [dx_page(records)])])
    areas = {r["area"] for r in rows}
    assert "LRZ2_7" not in areas and "MISO" not in areas and "NORTH" not in areas
    assert "LRZ3_5" in areas


def test_public_nai_utc_and_est_labels_give_the_same_interval():
    est = json.dumps([{"Time": "2026-07-26 8:15:00 AM", "Value": "-5000.00"}]).encode()
    utc = json.dumps([{"Time": "2026-07-26 1:15:00 PM", "Value": "-5000.00"}]).encode()
    day = date(2026, 7, 26)
    (a,) = parse_public_interchange(ctx(), day, "est", parse_public_nai_five_minute, est, "actual")
    (b,) = parse_public_interchange(ctx(), day, "utc", parse_public_nai_imports, utc, "actual")
    assert a["interval"] == b["interval"]
    assert a["interval"].end == datetime(2026, 7, 26, 13, 15, tzinfo=UTC)
    assert (a["interchange_mw"], b["interchange_mw"]) == (5000.0, 5000.0)
    assert (a["_source_timezone"], b["_source_timezone"]) == ("EST", "UTC")
    assert a["counterparty"] == "TOTAL"


def test_public_fuel_mix_keeps_only_the_planned_market_day():
    feed = {"RefId": "x", "TotalMW": "0", "Fuel": {"Type": [
        {"INTERVALEST": "2026-07-14 11:55:00 PM", "CATEGORY": "Natural Gas", "ACT": "20,000"},
        {"INTERVALEST": "2026-07-15 12:00:00 AM", "CATEGORY": "Natural Gas", "ACT": "21000"},
        {"INTERVALEST": "2026-07-14 11:55:00 PM", "CATEGORY": "Coal", "ACT": "oops"},
    ]}}  # fmt: skip
    rows = list(parse_public_fuel(ctx(), DAY, "FuelMix", json.dumps(feed).encode()))
    got = [(r["fuel"], r["fuel_raw"], r["generation_mw"], r["_invalid"]) for r in rows]
    assert got == [("coal", "Coal", None, ["generation_mw"]), ("gas", "Natural Gas", 20000.0, [])]
    assert rows[0]["interval"].start == datetime(2026, 7, 15, 4, 55, tzinfo=UTC)  # START label

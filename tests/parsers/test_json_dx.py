"""DX envelope, time object and record parsers (FORMATS §2.2-2.5)."""

from __future__ import annotations

from datetime import date, datetime

import orjson
import pytest

from tap_miso.parsers import (
    DxPage,
    DxTime,
    PayloadError,
    dx_time,
    parse_dx_demand_records,
    parse_dx_fuel_type_records,
    parse_dx_interchange_records,
    parse_dx_lmp_records,
    parse_dx_load_forecast_records,
    parse_dx_load_records,
    parse_dx_mcp_records,
    parse_dx_page,
    parse_dx_pnode_records,
)

HOURLY = {"resolution": "hourly", "start": "2026-07-14 13:00:00.000",
          "end": "2026-07-14 14:00:00.000", "value": "14"}


def lmp(node: str, hour: int = 14, **values):
    time = {"resolution": "daily", "start": f"2026-07-14 {hour - 1:02d}:00:00.000",
            "end": f"2026-07-14 {hour:02d}:00:00.000", "value": str(hour)}
    return {"interval": str(hour), "timeInterval": time, "node": node, "lmp": 25.0,
            "mcc": 1.0, "mec": 23.5, "mlc": 0.5, **values}


class TestPage:
    def test_envelope(self):
        body = orjson.dumps({"data": [lmp("A")], "page": {"pageNumber": 1, "pageSize": 1000,
                             "totalElements": 1, "totalPages": 1, "lastPage": True}})
        page = parse_dx_page(body)
        assert page == DxPage(records=[lmp("A")], page_number=1, page_size=1000,
                              total_elements=1, total_pages=1, last_page=True)

    @pytest.mark.parametrize("body", [
        b'{"status": 404, "reason": "Empty data returned for date"}',
        b'{"statusCode": 404, "message": "Resource not found"}',
        b'[1, 2]',
        b'{"data": [], "page": {"pageNumber": "x"}}',
        b'{"data": {"a": 1}, "page": {}}',
        b'{"data": [], "pa',
        b"<html>Service Unavailable</html>",
        b"",
    ])
    def test_not_an_envelope(self, body):
        with pytest.raises(PayloadError):
            parse_dx_page(body)

    def test_backend_reason_in_message(self):
        with pytest.raises(PayloadError, match="Empty data returned"):
            parse_dx_page(b'{"status": 404, "reason": "Empty data returned for date"}')


class TestDxTime:
    def test_time_interval_and_scalar_interval(self):
        assert dx_time({"interval": "14", "timeInterval": HOURLY}) == DxTime(
            resolution="hourly", start=datetime(2026, 7, 14, 13), end=datetime(2026, 7, 14, 14),
            value="14", interval="14")

    def test_time_object_under_interval(self):
        record = {"interval": {"resolution": "5min", "start": "2026-11-01T01:30:00",
                               "end": "2026-11-01T01:35:00", "value": "2026-11-01T01:30:00"},
                  "demand": 1}
        assert dx_time(record) == DxTime("5min", datetime(2026, 11, 1, 1, 30),
                                         datetime(2026, 11, 1, 1, 35), "2026-11-01T01:30:00",
                                         None)

    def test_fractional_and_bad(self):
        time = dx_time({"timeInterval": {"start": "2026-07-14 13:00:00.000", "end": "garbage"}})
        assert time.start == datetime(2026, 7, 14, 13, 0, 0)
        assert time.end is None and time.invalid == ("end",)
        assert dx_time({}) == DxTime(None, None, None, None, None)


class TestLmpRecords:
    def test_rows_and_sorting_within_interval(self):
        records = [lmp("B"), lmp("A", lmp="12.5", mcc=None), lmp("C", hour=15, mlc="abc",
                                                               preliminaryFinal="Final")]
        rows = list(parse_dx_lmp_records(records))
        assert [r["node"] for r in rows] == ["A", "B", "C"]
        assert {k: rows[0][k] for k in ("lmp", "mcc", "mec", "mlc", "preliminary_final",
                                        "_invalid")} == {
            "lmp": 12.5, "mcc": None, "mec": 23.5, "mlc": 0.5, "preliminary_final": None,
            "_invalid": []}
        assert rows[0]["time"].start == datetime(2026, 7, 14, 13)
        assert rows[2]["mlc"] is None and rows[2]["_invalid"] == ["mlc"]
        assert rows[2]["preliminary_final"] == "Final"

    def test_drift_check(self):
        record = lmp("A")
        del record["lmp"]
        with pytest.raises(PayloadError) as info:
            list(parse_dx_lmp_records([record]))
        assert info.value.missing_columns == ["lmp"]
        seen = []
        list(parse_dx_lmp_records([lmp("A", energy=1), lmp("B", other=2)],
                                  on_unexpected_columns=seen.append))
        assert seen == [["energy"]]  # checked once, on the first record

    def test_missing_node_later_is_kept_and_flagged(self):
        rows = list(parse_dx_lmp_records([lmp("A"), lmp(None)]))
        assert rows[1]["node"] is None and rows[1]["_invalid"] == ["node"]  # None sorts last


def test_mcp_records():
    base = {"interval": "1", "timeInterval": HOURLY, "product": "Regulation", "mcp": "9.5"}
    rows = list(parse_dx_mcp_records([
        {**base, "zone": "Zone 3"}, {**base, "zone": "Zone 1"}, {**base, "zone": "Zone X"},
        {**base, "zone": "Zone 9"},
    ]))
    assert [r["zone"] for r in rows] == [1, 3, 9, None]
    assert rows[0]["mcp"] == 9.5 and rows[0]["product"] == "Regulation"
    assert rows[2]["_invalid"] == ["zone"] and rows[3]["_invalid"] == ["zone"]
    summary = list(parse_dx_mcp_records([{**base, "product": "SER"}]))
    assert summary[0]["zone"] is None and summary[0]["_invalid"] == []


def test_pnode_records():
    rows = list(parse_dx_pnode_records([{"node": "B", "nodeType": "Hubs"},
                                        {"node": "A", "nodeType": "Gennode"}]))
    assert rows == [{"node": "A", "node_type": "Gennode", "_invalid": []},
                    {"node": "B", "node_type": "Hubs", "_invalid": []}]


def test_load_records():
    rows = list(parse_dx_load_records([
        {"timeInterval": HOURLY, "localResourceZone": "LRZ3_5", "load": 1000.5},
        {"timeInterval": HOURLY, "region": "North", "load": "None"},
    ]))
    assert [(r["region"], r["local_resource_zone"], r["load"]) for r in rows] == [
        ("North", None, None), (None, "LRZ3_5", 1000.5)]


def test_demand_records_da_and_rt_forecast():
    rows = list(parse_dx_demand_records([
        {"timeInterval": HOURLY, "region": "MISO", "fixed": 1, "priceSens": 2, "virtual": 3}]))
    assert {k: rows[0][k] for k in ("region", "fixed", "price_sens", "virtual", "demand")} == {
        "region": "MISO", "fixed": 1.0, "price_sens": 2.0, "virtual": 3.0, "demand": None}
    rt = list(parse_dx_demand_records([{"interval": {"resolution": "hourly",
                                                     "start": "2026-07-14 00:00:00"},
                                        "demand": 80000}]))
    assert rt[0]["demand"] == 80000.0 and rt[0]["time"].start == datetime(2026, 7, 14)
    with pytest.raises(PayloadError) as info:
        list(parse_dx_demand_records([{"timeInterval": HOURLY, "region": "MISO"}]))
    assert info.value.missing_columns == ["fixed"]


def test_load_forecast_records():
    rows = list(parse_dx_load_forecast_records([
        {"timeInterval": HOURLY, "region": "NORTH", "localResourceZone": "Z1",
         "loadForecast": "5,000.0", "init": "2026-07-13"},
        {"timeInterval": HOURLY, "region": "NORTH", "localResourceZone": "Z2",
         "loadForecast": 1, "init": "soon"},
    ]))
    assert rows[0]["load_forecast"] == 5000.0 and rows[0]["init"] == date(2026, 7, 13)
    assert rows[1]["init"] is None and rows[1]["_invalid"] == ["init"]


def test_fuel_type_records():
    seen = []
    rows = list(parse_dx_fuel_type_records([
        {"timeInterval": HOURLY, "interval": "14", "region": "SOUTH", "totalMw": 300,
         "fuelTypes": {"coal": 100, "gas": "200", "storage": None, "hydrogen": "x"}},
        {"timeInterval": HOURLY, "interval": "14", "region": "NORTH", "totalMw": 1,
         "fuelTypes": None},
    ], on_unexpected_columns=seen.append))
    assert seen == [["fuelTypes.hydrogen"]]
    assert [(r["region"], r["fuel"], r["mw"], r["_invalid"]) for r in rows] == [
        ("NORTH", None, None, ["fuelTypes"]),
        ("SOUTH", "coal", 100.0, []),
        ("SOUTH", "gas", 200.0, []),
        ("SOUTH", "hydrogen", None, ["mw"]),
        ("SOUTH", "storage", None, []),
    ]
    assert rows[1]["total_mw"] == 300.0


def test_interchange_records():
    rows = list(parse_dx_interchange_records([
        {"timeInterval": HOURLY, "adjacentBa": "ONT", "nsi": -100},
        {"timeInterval": HOURLY, "adjacentBa": "MHEB", "nsi": "50"},
    ]))
    assert [(r["adjacent_ba"], r["measure"], r["mw"]) for r in rows] == [
        ("MHEB", "nsi", 50.0), ("ONT", "nsi", -100.0)]
    nai = list(parse_dx_interchange_records([{"timeInterval": HOURLY, "adjacentBa": "IESO",
                                              "nai": 1}]))
    assert nai[0]["measure"] == "nai"


def test_dst_day_24_hourly_records():
    records = [{"interval": str(h), "timeInterval": {
        "resolution": "hourly", "start": f"2026-03-08 {h - 1:02d}:00:00.000",
        "end": (f"2026-03-08 {h:02d}:00:00.000" if h < 24 else "2026-03-09 00:00:00.000"),
        "value": str(h)}, "node": "A", "lmp": h} for h in range(24, 0, -1)]
    rows = list(parse_dx_lmp_records(records))
    assert len({r["time"].start for r in rows}) == 24
    assert rows[0]["time"].end == datetime(2026, 3, 9)

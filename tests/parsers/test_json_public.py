"""Public API parsers (FORMATS §3) and the incremental headers/data reader."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import orjson
import pytest

from tap_miso.parsers import (
    PayloadError,
    parse_public_asm_mcp,
    parse_public_exante_lmp,
    parse_public_five_min_expost,
    parse_public_fuel_mix,
    parse_public_nai_five_minute,
    parse_public_nai_imports,
    parse_public_nsi_five_minute,
    parse_public_wind_solar_forecast,
    parse_refid,
)
from tap_miso.parsers.json_stream import read_headed_table

HEADERS = ["INTERVAL", "CPNODE", "LMP", "MLC", "MCC"]


def expost(rows, headers=HEADERS) -> bytes:
    return orjson.dumps({"headers": headers, "data": rows})


def day_rows(day: date, nodes=("NODE.B", "NODE.A")):
    start = datetime(day.year, day.month, day.day)
    for i in range(288):
        label = (start + timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        for node in nodes:
            yield [label, node, "25.00", "0.50", "1.00"]


class TestFiveMinExpost:
    def test_exact_rows(self):
        data = expost([
            ["2026-07-14T08:15:00", "NODE.B", "25.00", "-.03", "None"],
            ["2026-07-14T08:15:00", "NODE.A", "1,234.5", "abc", ""],
            ["2026-07-14T08:20:00", "NODE.A", "1", "2", "3"],
        ])
        assert list(parse_public_five_min_expost(data)) == [
            {"node": "NODE.A", "raw_label": "2026-07-14T08:15:00",
             "label": datetime(2026, 7, 14, 8, 15), "lmp": 1234.5, "mlc": None, "mcc": None,
             "_invalid": ["mlc"]},
            {"node": "NODE.B", "raw_label": "2026-07-14T08:15:00",
             "label": datetime(2026, 7, 14, 8, 15), "lmp": 25.0, "mlc": -0.03, "mcc": None,
             "_invalid": []},
            {"node": "NODE.A", "raw_label": "2026-07-14T08:20:00",
             "label": datetime(2026, 7, 14, 8, 20), "lmp": 1.0, "mlc": 2.0, "mcc": 3.0,
             "_invalid": []},
        ]

    @pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
    def test_streaming_matches_whole_parse_dst(self, chunk_size, monkeypatch):
        rows = list(day_rows(date(2025, 11, 2)))
        data = orjson.dumps({"headers": HEADERS, "data": rows}, option=orjson.OPT_INDENT_2)
        monkeypatch.setattr("tap_miso.parsers.json_stream.CHUNK_SIZE", chunk_size)
        headers, items = read_headed_table(io.BytesIO(data), "t", chunk_size=chunk_size)
        assert headers == HEADERS and list(items) == rows
        parsed = list(parse_public_five_min_expost(io.BytesIO(data)))
        assert len(parsed) == 576
        assert len({r["label"] for r in parsed if r["node"] == "NODE.A"}) == 288

    def test_strings_with_brackets_and_escapes(self):
        rows = [["2026-07-14T08:15:00", 'we]ird"[node\\', "1", "2", "3"]]
        _headers, items = read_headed_table(expost(rows), "t", chunk_size=3)
        assert list(items) == rows

    def test_data_before_headers_falls_back(self):
        data = b'{"data": [["2026-07-14T08:15:00","N","1","2","3"]], "headers": ' + \
            orjson.dumps(HEADERS) + b"}"
        assert [r["node"] for r in parse_public_five_min_expost(data)] == ["N"]

    def test_trailing_keys_ok(self):
        data = expost([["2026-07-14T08:15:00", "N", "1", "2", "3"]])[:-1] + b', "x": 1}'
        assert len(list(parse_public_five_min_expost(data))) == 1

    def test_truncated_stream(self):
        data = orjson.dumps({"headers": HEADERS, "data": list(day_rows(date(2026, 7, 14)))})
        result = parse_public_five_min_expost(io.BytesIO(data[: len(data) // 2]))
        with pytest.raises(PayloadError, match="truncated"):
            list(result)
        with pytest.raises(PayloadError):
            list(parse_public_five_min_expost(data[:-1]))

    def test_empty_data_is_an_error(self):
        with pytest.raises(PayloadError, match="empty"):
            list(parse_public_five_min_expost(expost([])))
        with pytest.raises(PayloadError, match="empty"):
            list(parse_public_five_min_expost(b'{"error":"no data"}'))

    def test_missing_and_extra_headers(self):
        with pytest.raises(PayloadError) as info:
            parse_public_five_min_expost(expost([], ["INTERVAL", "CPNODE", "LMP", "MLC"]))
        assert info.value.missing_columns == ["MCC"]
        seen = []
        parse_public_five_min_expost(expost([], [*HEADERS, "MEC"]),
                                     on_unexpected_columns=seen.append)
        assert seen == [["MEC"]]

    def test_invalid_json_inside_array(self):
        with pytest.raises(PayloadError):
            list(parse_public_five_min_expost(
                b'{"headers": ["INTERVAL","CPNODE","LMP","MLC","MCC"], "data": [[1,,2]]}'))
        with pytest.raises(PayloadError):
            list(parse_public_five_min_expost(
                b'{"headers": ["INTERVAL","CPNODE","LMP","MLC","MCC"], "data": [[1] [2]]}'))


ZONE_KEYS = {"GenRegMCP": "9.00", "GenSpinMCP": "1.00", "GenSuppMCP": "1.00", "StrMcp": ".10",
             "DemandRegMcp": "9.00", "DemandSpinMcp": "1.00", "DemandSuppMcp": "None",
             "RcpUpMcp": "0.00", "RcpDownMcp": "abc"}


def test_public_asm_mcp():
    data = orjson.dumps({"MCPData": {
        "RefId": "14-Jul-2026 - Interval 08:15 EST", "MktDay": "07-14-2026",
        "RealTimeMCP": {"HourAndMin": "08:15", "Zone": [{"number": "2", **ZONE_KEYS},
                                                        {"number": "1", **ZONE_KEYS}]},
        "DayAheadMCP": {"HourEnding": "9", "Zone": [{"number": "1", **ZONE_KEYS}]},
    }})
    rows = list(parse_public_asm_mcp(data))
    assert len(rows) == 27
    rt = rows[0]
    assert rt == {"section": "RealTimeMCP", "zone": 1, "product": "DemandRegMcp", "mcp": 9.0,
                  "market_date": date(2026, 7, 14), "hour_and_min": "08:15",
                  "hour_ending": None, "raw_label": "08:15",
                  "label": datetime(2026, 7, 14, 8, 15), "_invalid": []}
    da = [r for r in rows if r["section"] == "DayAheadMCP"]
    assert {r["hour_ending"] for r in da} == {9} and all(r["label"] is None for r in da)
    by_product = {r["product"]: r for r in da}
    assert by_product["DemandSuppMcp"]["mcp"] is None
    assert by_product["DemandSuppMcp"]["_invalid"] == []
    assert by_product["RcpDownMcp"]["_invalid"] == ["mcp"]
    assert by_product["StrMcp"]["mcp"] == 0.1


def test_public_exante_lmp():
    data = orjson.dumps({"LMPData": {"RefId": "14-Jul-2026 - Interval 08:15 EST", "ExAnteLMP": {
        "HourAndMin": "08:15", "Hub": [
            {"name": "MINN.HUB", "LMP": "25.00", "loss": "0.50", "congestion": "1.00"},
            {"name": "ARKANSAS.HUB", "LMP": "None", "loss": ".5", "congestion": "-1"}]}}})
    rows = list(parse_public_exante_lmp(data))
    assert rows[0] == {"market_date": date(2026, 7, 14), "node": "ARKANSAS.HUB",
                       "raw_label": "08:15", "label": datetime(2026, 7, 14, 8, 15),
                       "lmp": None, "mlc": 0.5, "mcc": -1.0, "_invalid": []}
    assert rows[1]["node"] == "MINN.HUB" and rows[1]["lmp"] == 25.0


class TestFuelMix:
    def test_rows(self):
        data = orjson.dumps({"RefId": "14-Jul-2026 - Interval 08:10 EST", "TotalMW": "0",
                             "Fuel": {"Type": [
                                 {"INTERVALEST": "2026-07-14 8:10:00 AM", "CATEGORY": "Wind",
                                  "ACT": "5000", "FUEL_CATEGORY": "Wind  (5,000 MW)"},
                                 {"INTERVALEST": "2026-07-14 8:10:00 AM", "CATEGORY": "Coal",
                                  "ACT": "20,000", "FUEL_CATEGORY": "Coal  (20,000 MW)"},
                                 {"INTERVALEST": "2026-07-14 12:05:00 AM", "CATEGORY": "Coal",
                                  "ACT": "x", "FUEL_CATEGORY": "Coal"},
                             ]}})
        rows = list(parse_public_fuel_mix(data))
        assert rows == [
            {"category": "Coal", "raw_label": "2026-07-14 12:05:00 AM",
             "label": datetime(2026, 7, 14, 0, 5), "mw": None, "_invalid": ["mw"]},
            {"category": "Coal", "raw_label": "2026-07-14 8:10:00 AM",
             "label": datetime(2026, 7, 14, 8, 10), "mw": 20000.0, "_invalid": []},
            {"category": "Wind", "raw_label": "2026-07-14 8:10:00 AM",
             "label": datetime(2026, 7, 14, 8, 10), "mw": 5000.0, "_invalid": []},
        ]

    @pytest.mark.parametrize("body", [
        b'{"RefId": "14-Jul-2026 - Interval 08:10 EST", "TotalMW": "0", "Fuel": {}}',
        b'{"RefId": "x", "Fuel": {"Type": []}}',
        b'{"error":"no data"}',
        b"{}",
    ])
    def test_empty_is_payload_error(self, body):
        with pytest.raises(PayloadError, match="empty"):
            parse_public_fuel_mix(body)


def test_nsi_five_minute():
    seen = []
    data = orjson.dumps({"instance": [
        {"timestamp": "2026-07-14 08:05:00", "MHEB": "-1000", "MISO": "-5000", "XYZ": "1"},
        {"timestamp": "2026-07-14 08:00:00", "MHEB": "None", "MISO": "-4,000"},
    ], "RefId": "14-Jul-2026 - Interval 08:05 EST", "MktDay": None})
    rows = list(parse_public_nsi_five_minute(data, on_unexpected_columns=seen.append))
    assert seen == [["XYZ"]]
    assert [(r["label"].minute, r["adjacent_ba"], r["mw"]) for r in rows] == [
        (0, "MHEB", None), (0, "MISO", -4000.0), (5, "MHEB", -1000.0), (5, "MISO", -5000.0),
        (5, "XYZ", 1.0)]
    assert all(r["label_timezone"] == "EST" for r in rows)


def test_nai_five_minute_est_and_imports_utc():
    five = orjson.dumps([{"Time": "2026-07-26 8:15:00 AM", "Value": "-5000.00"}])
    imports = orjson.dumps([{"Time": "2026-07-26 1:15:00 PM", "Value": "-5000.00"}])
    (est,) = parse_public_nai_five_minute(five)
    (utc,) = parse_public_nai_imports(imports)
    assert est == {"label_timezone": "EST", "raw_label": "2026-07-26 8:15:00 AM",
                   "label": datetime(2026, 7, 26, 8, 15), "mw": -5000.0, "_invalid": []}
    # Parsers never convert: the UTC label is returned as written, marked UTC (§1.1 T7a).
    assert utc["label"] == datetime(2026, 7, 26, 13, 15) and utc["label_timezone"] == "UTC"
    with pytest.raises(PayloadError):
        parse_public_nai_imports(b"[]")


def test_wind_solar_forecast_two_days_dst():
    forecast = []
    for day in (date(2026, 3, 8), date(2026, 3, 9)):
        for hour in range(1, 25):
            start = datetime(day.year, day.month, day.day) + timedelta(hours=hour - 1)
            forecast.append({"DateTimeEST": start.strftime("%Y-%m-%d %I:%M:%S %p"),
                             "HourEndingEST": str(hour), "Value": f"{hour * 100}.00"})
    forecast[5]["HourEndingEST"] = "9"
    data = orjson.dumps({"Forecast": forecast, "RefId": "08-Mar-2026 - Interval 10:00 EST",
                         "MktDay": "03-08-2026"})
    rows = list(parse_public_wind_solar_forecast(data))
    assert len(rows) == 48
    assert rows[0] == {"raw_label": "2026-03-08 12:00:00 AM", "label": datetime(2026, 3, 8),
                       "market_date": date(2026, 3, 8), "hour_ending": 1, "mw": 100.0,
                       "_invalid": []}
    assert [r["hour_ending"] for r in rows if r["market_date"] == date(2026, 3, 9)] == list(
        range(1, 25))
    flagged = [r for r in rows if r["_invalid"]]
    assert len(flagged) == 1 and flagged[0]["_invalid"] == ["hour_ending"]


def test_refid():
    assert parse_refid("14-Jul-2026 - Interval 08:15 EST") == (date(2026, 7, 14), "08:15")
    assert parse_refid("01-Nov-2026 - Interval 1:35 EST") == (date(2026, 11, 1), "01:35")
    assert parse_refid("14-Jul-2026 - Total Outage Megawatts: 12345") == (date(2026, 7, 14), None)
    for bad in ("garbage", "31-Feb-2026 - Interval 08:15 EST", ""):
        with pytest.raises(PayloadError):
            parse_refid(bad)

"""EIA Open Data API pages: string values, nulls, -units, both total types, warnings, bad bodies."""

from __future__ import annotations

import orjson
import pytest

from tap_miso.parsers.eia_api import generator_row, parse_api_page, parse_year_month
from tap_miso.parsers.errors import PayloadError

ROW = {
    "period": "2026-05", "stateid": "IA", "sector": "ipp-non-chp", "entityid": "99901",
    "entityName": "Example Wind LLC", "plantid": "69999", "plantName": "Example Ridge Wind",
    "generatorid": "01", "technology": "Onshore Wind Turbine", "energy_source_code": "WND",
    "prime_mover_code": "WT", "balancing_authority_code": "MISO", "status": "OP",
    "statusDescription": "Standy", "nameplate-capacity-mw": "200.1",
    "nameplate-capacity-mw-units": "MW", "net-summer-capacity-mw": "198",
    "net-winter-capacity-mw": None, "operating-year-month": "2020-12",
    "planned-retirement-year-month": None, "county": "Example", "latitude": "42.1234",
    "longitude": "-93.5678",
}  # fmt: skip


def page(total, data=(ROW,), **extra) -> bytes:
    body = {"response": {"total": total, "data": list(data), **extra.pop("response", {})},
            "request": {"params": {"api_key": "SECRET-KEY-123"}}, **extra}
    return orjson.dumps(body)


@pytest.mark.parametrize("total", ["4321", 4321])
def test_total_is_read_as_string_or_number(total):
    parsed = parse_api_page(page(total))
    assert parsed.total == 4321
    assert parsed.rows == [ROW]
    assert parsed.warnings == []


def test_warnings_are_read_at_the_top_level_and_under_response():
    body = page("1", warnings=[{"warning": "incomplete return", "description": "use offset"}],
                response={"warnings": [{"warning": "parameter out of range: length"}]})
    assert parse_api_page(body).warnings == ["incomplete return - use offset",
                                             "parameter out of range: length"]


def test_the_request_echo_with_the_key_is_not_kept():
    parsed = parse_api_page(page("1"))
    assert "SECRET-KEY-123" not in repr(parsed)


@pytest.mark.parametrize(("body", "reason"), [
    (b"<html>busy</html>", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"apiVersion": "2.1.12"}', "no 'response'"),
    (b'{"error": "Invalid facet", "code": 400}', "error object"),
    (b'{"response": {"total": "1", "data": {"a": 1}}}', "not a list"),
    (b'{"response": {"total": "many", "data": []}}', "not a count"),
    (b'{"response": {"data": []}}', "not a count"),
    (b'{"response": {"total": true, "data": []}}', "not a count"),
    (b'{"response": {"total": "1", "data": [', "not JSON"),
])  # fmt: skip
def test_malformed_bodies_raise_a_payload_error(body, reason):
    with pytest.raises(PayloadError, match=reason):
        parse_api_page(body)


def test_row_values_are_parsed_from_strings_and_ids_stay_text():
    row = generator_row(ROW)
    assert row["plant_id"] == "69999" and row["generator_id"] == "01"
    assert row["period"] == "2026-05"
    assert row["nameplate_capacity_mw"] == 200.1 and row["net_summer_capacity_mw"] == 198.0
    assert row["net_winter_capacity_mw"] is None
    assert row["latitude"] == 42.1234 and row["longitude"] == -93.5678
    assert row["operating_year_month"] == "2020-12"
    assert row["planned_retirement_year_month"] is None
    assert row["retirement_year_month"] is None  # the API lists operable units only
    assert row["status"] == "OP" and row["status_category"] == "operating"
    assert row["operator_id"] == "99901" and row["operator_name"] == "Example Wind LLC"
    assert row["_invalid"] == []
    assert not any("units" in name or "Description" in name for name in row)


def test_bad_cells_become_null_and_are_flagged():
    row = generator_row({**ROW, "net-summer-capacity-mw": "n.a.", "latitude": "north",
                         "operating-year-month": "2020-13", "period": "May 2026"})
    assert row["net_summer_capacity_mw"] is None and row["latitude"] is None
    assert row["operating_year_month"] is None and row["period"] is None
    assert set(row["_invalid"]) == {"net_summer_capacity_mw", "latitude",
                                    "operating_year_month", "period"}


def test_missing_ids_are_none_so_the_stream_can_skip_the_row():
    row = generator_row({**ROW, "plantid": None, "generatorid": ""})
    assert row["plant_id"] is None and row["generator_id"] is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2020-12", ("2020-12", False)), ("2020-1", ("2020-01", False)), (None, (None, False)),
    ("", (None, False)), ("2020-00", (None, True)), ("12/2020", (None, True)),
])  # fmt: skip
def test_year_month(text, expected):
    assert parse_year_month(text) == expected

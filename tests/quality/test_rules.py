"""Each record rule with a passing and a failing record."""

from __future__ import annotations

from datetime import date

import pytest

from tap_miso.quality.rules import RuleSet, family_of, is_error
from tests.quality.helpers import five_min_fields, hourly_fields

DAY = date(2026, 1, 5)


def lmp(**values):
    base = {**hourly_fields(DAY, 10), "node": "N1", "price_type": "ex_post",
            "lmp": 30.0, "mec": 28.0, "mcc": 1.5, "mlc": 0.5}
    return {**base, **values}


def check(stream, record, ranges=None):
    return RuleSet.for_stream(stream, ranges).check(record)


def test_clean_lmp_record_passes():
    assert check("lmp_day_ahead_hourly", lmp()) == []


@pytest.mark.parametrize("field", ["lmp", "mec", "mcc", "mlc"])
@pytest.mark.parametrize(("value", "bad"), [(-1000.0, False), (10000.0, False),
                                            (-1000.01, True), (10000.5, True)])
def test_lmp_and_components_range(field, value, bad):
    record = lmp(**{field: value})
    flags = check("lmp_real_time_hourly", record)
    assert ("price_out_of_range" in flags) is bad


def test_component_mismatch_tolerance():
    assert "component_mismatch" not in check("lmp_day_ahead_hourly", lmp(lmp=30.011))
    assert "component_mismatch" in check("lmp_day_ahead_hourly", lmp(lmp=30.02))
    # a source without components carries nulls: not a mismatch
    assert check("lmp_day_ahead_hourly", lmp(lmp=99.0, mec=None, mcc=None, mlc=None)) == []


def test_mcp_range_and_override():
    record = {**hourly_fields(DAY, 3), "zone": 1, "product": "spin", "price_type": "ex_ante",
              "mcp": 0.0}
    assert check("ancillary_mcp_day_ahead_hourly", record) == []
    assert check("ancillary_mcp_day_ahead_hourly", {**record, "mcp": -0.01}) == [
        "mcp_out_of_range"]
    assert check("ancillary_mcp_day_ahead_hourly", {**record, "mcp": 6000.0}) == []
    assert check("ancillary_mcp_day_ahead_hourly", {**record, "mcp": 6000.0},
                 {"mcp": (0.0, 5000.0)}) == ["mcp_out_of_range"]


@pytest.mark.parametrize(("stream", "field"), [
    ("load_actual_hourly", "load_mw"),
    ("fuel_mix_hourly", "generation_mw"),
    ("interchange_hourly", "interchange_mw"),
    ("day_ahead_cleared_demand_hourly", "virtual_mw"),
])
def test_mw_range_default_and_per_stream_override(stream, field):
    record = {**hourly_fields(DAY, 5), "area": "MISO", field: 95_000.0}
    assert check(stream, record) == []
    assert check(stream, {**record, field: 100_001.0}) == ["mw_out_of_range"]
    assert check(stream, {**record, field: -10_001.0}) == ["mw_out_of_range"]
    assert check(stream, record, {stream: (0.0, 90_000.0)}) == ["mw_out_of_range"]
    assert check("load_actual_hourly" if stream != "load_actual_hourly" else "fuel_mix_hourly",
                 {**record}, {stream: (0.0, 90_000.0)}) == []


def test_forecast_must_be_issued_before_the_interval():
    record = {**hourly_fields(DAY, 1), "area": "MISO", "load_forecast_mw": 70_000.0,
              "forecast_issued_utc": "2026-01-05T05:00:00Z"}  # 00:00 EST, HE1 starts then
    assert check("load_forecast_hourly", record) == []
    late = {**record, "forecast_issued_utc": "2026-01-05T06:00:00Z"}
    assert check("load_forecast_hourly", late) == ["forecast_after_interval"]
    assert check("generation_forecast_hourly", {**late, "forecast_mw": 10.0}) == [
        "forecast_after_interval"]


def test_interval_length_must_match_resolution():
    assert check("lmp_real_time_5min", {**five_min_fields(DAY, 7), "node": "N", "lmp": 1.0}) == []
    hourly = lmp()
    assert check("lmp_real_time_5min", hourly) == ["bad_interval"]
    short = {**hourly, "interval_end_utc": "2026-01-05T15:30:00Z"}
    assert check("lmp_day_ahead_hourly", short) == ["bad_interval"]
    assert check("lmp_day_ahead_hourly", {**hourly, "interval_end_utc": "garbage"}) == [
        "bad_interval"]


def test_required_fields_and_types():
    assert check("lmp_day_ahead_hourly", lmp(market_date=None)) == ["missing_required"]
    assert check("lmp_day_ahead_hourly", {**lmp(), "source": ""}) == ["missing_required"]
    assert check("lmp_day_ahead_hourly", lmp(lmp="30.0")) == ["invalid_type"]
    assert check("lmp_day_ahead_hourly", lmp(mcc=True)) == ["invalid_type"]
    assert check("lmp_day_ahead_hourly", lmp(lmp=None)) == []  # null: flagged upstream


def test_families_and_severity():
    assert family_of("lmp_real_time_5min") == "lmp"
    assert family_of("ancillary_mcp_real_time_5min") == "mcp"
    assert family_of("interchange_5min") == "mw"
    assert family_of("nodes") is None
    assert check("nodes", {"node": "X"}) == []
    assert is_error("component_mismatch") and is_error("invalid_lmp")
    assert not is_error("outlier")

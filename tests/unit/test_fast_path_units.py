"""Caches and fast paths of the record path (issue 7) keep the exact results of the slow ones."""

from __future__ import annotations

from datetime import date

import pytest

from tap_miso import timeutil
from tap_miso.parsers.cells import parse_number
from tap_miso.quality.rules import RuleSet, parse_instant, parse_instant_cached


def test_interval_fields_are_cached_but_each_call_gets_its_own_dict():
    interval = timeutil.hour_ending_interval(date(2025, 3, 9), 3)
    first = interval.fields("EST")
    first["node"] = "X"  # callers extend the dict: the cache must not see it
    second = interval.fields("EST")
    assert "node" not in second and first is not second
    assert second == {
        "interval_start_utc": timeutil.format_utc(interval.start),
        "interval_end_utc": timeutil.format_utc(interval.end),
        "market_date": "2025-03-09",
        "interval_start_local": timeutil.format_local(interval.start, "EST"),
        "source_timezone": "EST",
    }
    utc = interval.fields("UTC")
    assert utc["interval_start_local"].endswith("+00:00") and utc["source_timezone"] == "UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31.52", (31.52, False)),
        (" -.03 ", (-0.03, False)),
        (".92", (0.92, False)),
        ("1.e5", (100000.0, False)),
        ("1,234.5", (1234.5, False)),
        ("", (None, False)),
        ("None", (None, False)),
        ("nan", (None, True)),
        ("inf", (None, True)),
        ("1e999", (None, True)),
        ("1_000", (None, True)),
        ("\u0661\u0662", (None, True)),  # Arabic-Indic digits: float() takes them, MISO never
        ("#N/A", (None, True)),
    ],
)
def test_parse_number_fast_path_matches_the_strict_grammar(text, expected):
    assert parse_number(text) == expected


def test_cached_instants_match_parse_instant():
    for text in ("2025-03-09T05:00:00Z", "2025-03-09T05:00:00", "junk", None, 5):
        assert parse_instant_cached(text) == parse_instant(text)
        assert parse_instant_cached(text) == parse_instant(text)  # second call: cached


def _lmp(**fields):
    record = {
        "interval_start_utc": "2025-03-09T05:00:00Z",
        "interval_end_utc": "2025-03-09T06:00:00Z",
        "market_date": "2025-03-09",
        "source": "market_report",
        "lmp": 30.0,
        "mec": 28.0,
        "mcc": 1.5,
        "mlc": 0.5,
    }
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("fields", "flags"),
    [
        ({}, []),
        ({"mcc": None}, []),
        ({"lmp": 40.0}, ["component_mismatch"]),
        ({"lmp": 20000.0, "mec": 19998.0}, ["price_out_of_range"]),
        ({"mcc": "x"}, ["invalid_type"]),
        ({"mcc": True, "lmp": -5000.0}, ["invalid_type", "price_out_of_range"]),
        ({"interval_end_utc": "2025-03-09T05:05:00Z"}, ["bad_interval"]),
        ({"source": ""}, ["missing_required"]),
    ],
)
def test_lmp_rules_flags(fields, flags):
    assert RuleSet.for_stream("lmp_day_ahead_hourly").check(_lmp(**fields)) == flags

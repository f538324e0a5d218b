"""Cell helpers: numbers, nulls, hour-ending and time labels; a seeded property-style fuzz."""

from __future__ import annotations

import random
import string
from datetime import date, datetime

import pytest

from tap_miso.parsers.cells import (
    excel_serial_to_datetime,
    parse_date,
    parse_hour_ending,
    parse_label,
    parse_number,
    parse_zone,
)


@pytest.mark.parametrize(("text", "expected"), [
    (".92", 0.92), ("-.03", -0.03), ("1,234.5", 1234.5), ("-1,234,567", -1234567.0),
    (" 25.00 ", 25.0), ("1e3", 1000.0), ("+5", 5.0), ("0", 0.0), (25, 25.0), (2.5, 2.5),
    ("12.", 12.0),
])
def test_numbers(text, expected):
    assert parse_number(text) == (expected, False)


@pytest.mark.parametrize("text", ["", "   ", "None", "null", "NA", "NULL", "none", None, "\t"])
def test_nulls(text):
    assert parse_number(text) == (None, False)


@pytest.mark.parametrize("text", [
    "abc", "#N/A", "nan", "inf", "-Infinity", "1_000", "1,2", "12,34.5", "1.2.3", "--1", ".",
    "0x10", "1 000", True, float("nan"), [1], "N/A", "١٢",
])
def test_invalid(text):
    assert parse_number(text) == (None, True)


@pytest.mark.parametrize(("text", "hour"), [
    ("HE 7", 7), (" HE 7", 7), ("HE7", 7), ("7", 7), (7, 7), (7.0, 7), ("24", 24), ("25", 25),
    ("he 3", 3), ("7.0", 7),
])
def test_hour_ending(text, hour):
    assert parse_hour_ending(text) == hour


@pytest.mark.parametrize("text", ["HourEnding", "", None, "7.5", 7.5, "HE", "March 09, 2025"])
def test_hour_ending_rejects(text):
    assert parse_hour_ending(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("07/06/2026 00:05", datetime(2026, 7, 6, 0, 5)),
    ("2026-07-14 8:10:00 AM", datetime(2026, 7, 14, 8, 10)),
    ("2026-07-14 12:05:00 AM", datetime(2026, 7, 14, 0, 5)),
    ("2026-07-14 12:05:00 PM", datetime(2026, 7, 14, 12, 5)),
    ("2026-07-14T08:15:00", datetime(2026, 7, 14, 8, 15)),
    ("2026-07-14 13:00:00.000", datetime(2026, 7, 14, 13)),
    ("2026-07-14 24:00", datetime(2026, 7, 15)),  # T8
    ("2026-07-14T18:15:00Z", datetime(2026, 7, 14, 13, 15)),  # explicit zone → fixed EST
    (datetime(2026, 7, 14, 0, 4, 59, 999999), datetime(2026, 7, 14, 0, 5)),
])
def test_labels(text, expected):
    assert parse_label(text) == expected


@pytest.mark.parametrize("text", ["2026-07-14 13:00 PM", "2026-02-30 00:00", "x", "", None])
def test_labels_reject(text):
    assert parse_label(text) is None


def test_dates_and_serials():
    assert parse_date("March 09, 2025") == date(2025, 3, 9)
    assert parse_date("07-14-2026") == date(2026, 7, 14)
    assert parse_date("2013-06-01 00:00:00") == date(2013, 6, 1)
    assert parse_date(45725.0, 0) == date(2025, 3, 9)
    assert parse_date(45725.0) is None  # a bare number is not a date without a datemode
    assert excel_serial_to_datetime(45725.5) == datetime(2025, 3, 9, 12)
    assert excel_serial_to_datetime(-1) is None


def test_zones():
    assert [parse_zone(v) for v in ("Zone 3", "Reserve Zone 8", "RESERVE ZONE 1", "3", 3.0)] == [
        3, 8, 1, 3, 3]
    assert parse_zone("Zone") is None and parse_zone(3.5) is None


def test_fuzz_number_parsing_never_raises_and_rejects_text():
    rng = random.Random(20260714)
    alphabet = string.digits + ".,-+eE " + string.ascii_letters + "#/%$_()\t"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        number, invalid = parse_number(text)
        assert number is None or isinstance(number, float)
        assert not (number is not None and invalid)
        letters = {c for c in text if c.isalpha()} - {"e", "E"}
        if letters and text.strip().casefold() not in {"none", "null", "na"}:
            assert number is None and invalid, text
        if text.strip() == "":
            assert (number, invalid) == (None, False)


def test_fuzz_formatted_numbers_round_trip():
    rng = random.Random(7)
    for _ in range(5000):
        value = round(rng.uniform(-1e7, 1e7), rng.randint(0, 4))
        for text in (f"{value}", f"{value:,}", f"{value:.2f}", f"{value:,.2f}"):
            stripped = text.replace("0.", ".", 1) if abs(value) < 1 else text
            number, invalid = parse_number(stripped)
            assert not invalid and number == pytest.approx(float(text.replace(",", "")))

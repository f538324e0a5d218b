"""Time rules of FORMATS.md §1.3, checked case by case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tap_miso import timeutil as tu


@pytest.mark.parametrize(
    ("market_date", "he", "start", "end"),
    [
        (date(2026, 7, 14), 14, "2026-07-14T18:00:00Z", "2026-07-14T19:00:00Z"),
        (date(2026, 7, 14), 24, "2026-07-15T04:00:00Z", "2026-07-15T05:00:00Z"),
        (date(2026, 3, 8), 3, "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
        (date(2026, 11, 1), 2, "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"),
        (date(2025, 3, 9), 1, "2025-03-09T05:00:00Z", "2025-03-09T06:00:00Z"),
    ],
)
def test_hour_ending_interval(market_date, he, start, end):
    interval = tu.hour_ending_interval(market_date, he)
    assert tu.format_utc(interval.start) == start
    assert tu.format_utc(interval.end) == end
    assert interval.market_date == market_date


@pytest.mark.parametrize(
    "day", [date(2025, 3, 9), date(2025, 11, 2), date(2026, 3, 8), date(2026, 11, 1)]
)
def test_dst_days_have_24_distinct_hours_and_288_five_minute_intervals(day):
    hours = [tu.hour_ending_interval(day, he) for he in range(1, 25)]
    assert len({h.start for h in hours}) == 24
    assert hours[0].start == tu.market_day_start(day)
    assert hours[-1].end == tu.market_day_start(day) + 24 * tu.HOUR
    base = datetime(day.year, day.month, day.day)
    fives = [tu.five_minute_from_start(base + i * tu.FIVE_MINUTES) for i in range(288)]
    assert len({f.start for f in fives}) == 288
    assert all(f.market_date == day for f in fives)


@pytest.mark.parametrize("he", [0, 25, -1])
def test_hour_ending_out_of_range_is_rejected(he):
    with pytest.raises(ValueError, match=r"1\.\.24"):
        tu.hour_ending_interval(date(2026, 7, 14), he)


def test_end_label_and_start_label_dedupe_to_same_interval():
    # FORMATS §1.3: public INTERVAL (END) 01:35 and DX start 01:30 are the same interval.
    public = tu.five_minute_from_end(datetime(2026, 11, 1, 1, 35))
    dx = tu.five_minute_from_start(datetime(2026, 11, 1, 1, 30))
    assert public == dx
    assert tu.format_utc(public.start) == "2026-11-01T06:30:00Z"
    assert tu.format_utc(public.end) == "2026-11-01T06:35:00Z"


def test_end_label_at_midnight_belongs_to_previous_market_day():
    interval = tu.five_minute_from_end(datetime(2026, 7, 15, 0, 0))
    assert interval.market_date == date(2026, 7, 14)


def test_utc_feed_is_not_shifted():
    interval = tu.five_minute_from_end(datetime(2026, 7, 26, 13, 15), tz=UTC)
    assert tu.format_utc(interval.end) == "2026-07-26T13:15:00Z"
    assert tu.format_local(interval.end) == "2026-07-26T08:15:00-05:00"


def test_record_fields_contract():
    fields = tu.hour_ending_interval(date(2025, 3, 9), 1).fields()
    assert fields == {
        "interval_start_utc": "2025-03-09T05:00:00Z",
        "interval_end_utc": "2025-03-09T06:00:00Z",
        "market_date": "2025-03-09",
        "interval_start_local": "2025-03-09T00:00:00-05:00",
        "source_timezone": "EST",
    }


def test_parse_utc_round_trip():
    assert tu.format_utc(tu.parse_utc("2025-03-09T05:00:00Z")) == "2025-03-09T05:00:00Z"
    assert tu.format_utc(tu.parse_utc("2025-03-09T00:00:00-05:00")) == "2025-03-09T05:00:00Z"

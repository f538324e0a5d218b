"""`Interval.fields` keeps its last dict on the instance: callers still get a fresh dict, the
right one per source time zone, and equality/hashing ignore the cache."""

from __future__ import annotations

from datetime import date

from tap_miso import timeutil


def test_fields_is_a_fresh_dict_every_call():
    interval = timeutil.hour_ending_interval(date(2026, 7, 14), 3)
    for _ in range(3):  # the first call fills the cache, later ones read it
        extended = interval.fields()
        extended["node"] = "X"  # the stream extends the dict it gets
    second = interval.fields()
    assert "node" not in second and second is not extended
    assert second == {
        "interval_start_utc": "2026-07-14T07:00:00Z",
        "interval_end_utc": "2026-07-14T08:00:00Z",
        "market_date": "2026-07-14",
        "interval_start_local": "2026-07-14T02:00:00-05:00",
        "source_timezone": "EST",
    }


def test_fields_follow_the_source_time_zone_asked():
    interval = timeutil.hour_ending_interval(date(2026, 7, 14), 3)
    assert interval.fields("EST")["interval_start_local"] == "2026-07-14T02:00:00-05:00"
    utc = interval.fields("UTC")
    assert utc["interval_start_local"] == "2026-07-14T07:00:00+00:00"
    assert utc["source_timezone"] == "UTC"
    assert interval.fields()["interval_start_local"] == "2026-07-14T02:00:00-05:00"


def test_cache_is_not_part_of_equality_or_hash():
    used = timeutil.hour_ending_interval(date(2026, 7, 14), 3)
    used.fields()
    fresh = timeutil.hour_ending_interval(date(2026, 7, 14), 3)
    assert used == fresh and hash(used) == hash(fresh) and len({used, fresh}) == 1
    assert "_last_fields" not in repr(used)

"""Memory of the quality layer stays flat over a long backfill (issue #7).

Per series, an hourly outlier window is allocated once, when the series first appears: two
``array('d')`` buffers of ``window`` doubles, never reallocated, holding no float objects (a
list of floats there grew the peak RSS of a 7-day day-ahead run by ~7 MB over a 1-day run).
Per-date completeness state is released once the stream has moved on and holds no key objects
of its own.
"""

from __future__ import annotations

import gc
import tracemalloc
from array import array
from datetime import date, timedelta

from tap_miso.quality import OutlierDetector, RunMonitor
from tap_miso.quality.outliers import _reserved
from tests.quality.helpers import days, hourly_fields

STREAM = "lmp_day_ahead_hourly"
SERIES = [(f"NODE.{i}", price_type) for i in range(150) for price_type in ("ex_ante", "ex_post")]


def _feed_day(detector: OutlierDetector, day: int) -> None:
    for hour in range(24):
        values = [30.0 + (i % 17) + ((day * 24 + hour) % 11) * 0.5 for i in range(len(SERIES))]
        detector.observe_many(SERIES, values)


def test_reserved_array_keeps_its_buffer_up_to_its_size():
    for size in (3, 15, 16, 17, 48, 288):
        ordered = _reserved(size)
        address, length = ordered.buffer_info()
        assert length == 0
        for i in range(size):
            ordered.insert(i // 2, float(i))
        assert len(ordered) == size
        assert ordered.buffer_info()[0] == address  # the same buffer: never reallocated


def test_hourly_windows_are_compact_and_allocated_once():
    detector = OutlierDetector.for_family("lmp")  # 48 values, sorted window kept
    _feed_day(detector, 0)
    rings = [detector._series[key] for key in SERIES]
    buffers = [(ring.values.buffer_info()[0], ring.ordered.buffer_info()[0]) for ring in rings]
    for day in range(1, 7):
        _feed_day(detector, day)
    for ring, before in zip(rings, buffers, strict=True):
        assert type(ring.values) is array and type(ring.ordered) is array  # no float objects
        assert len(ring.ordered) == ring.count == 48
        assert list(ring.ordered) == sorted(ring.values)
        assert (ring.values.buffer_info()[0], ring.ordered.buffer_info()[0]) == before


def test_detector_memory_does_not_grow_after_the_first_day():
    detector = OutlierDetector.for_family("lmp")
    gc.collect()
    tracemalloc.start()
    try:
        _feed_day(detector, 0)
        one_day = tracemalloc.get_traced_memory()[0]
        for day in range(1, 7):
            _feed_day(detector, day)
        seven_days = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    per_series = one_day / len(SERIES)
    assert per_series < 1400, per_series  # ring + two buffers of 48 doubles + dict entry
    assert seven_days - one_day < 2048, seven_days - one_day


def test_per_date_completeness_state_is_released():
    monitor = RunMonitor()
    checker = monitor.for_stream(STREAM)
    tracker = monitor.completeness
    first = date(2026, 3, 2)
    for day in days(first, 7):
        rows = [
            {
                **hourly_fields(day, he),
                "node": node,
                "price_type": price_type,
                "lmp": 30.0,
                "mec": 30.0,
                "mcc": 0.0,
                "mlc": 0.0,
            }
            for he in range(1, 25)
            for node, price_type in SERIES[:20]
        ]
        checker.check_many(rows)
        assert len(tracker._open[STREAM]) <= 2  # this date and the one before
        assert len(tracker._bounds) <= 2
    assert sorted(tracker._open[STREAM]) == [first + timedelta(days=5), first + timedelta(days=6)]
    checker.finish()
    assert tracker._open[STREAM] == {} and tracker._bounds == {}
    assert tracker.dates_checked[STREAM] == 7


def test_open_dates_share_the_first_seen_key_objects():
    monitor = RunMonitor()
    checker = monitor.for_stream(STREAM)
    first = date(2026, 3, 2)
    for day in days(first, 2):
        rows = [
            {
                **hourly_fields(day, he),
                "node": "".join(["NODE.", str(i)]),
                "price_type": "ex_post",
                "lmp": 30.0,
                "mec": 30.0,
                "mcc": 0.0,
                "mlc": 0.0,
            }
            for he in range(1, 25)
            for i in range(5)
        ]  # each date brings its own (equal) node strings, as each day's parse does
        checker.check_many(rows)
    open_dates = monitor.completeness._open[STREAM]
    day_one, day_two = (list(open_dates[day]) for day in days(first, 2))
    assert day_one == day_two
    assert all(a is b for a, b in zip(day_one, day_two, strict=True))

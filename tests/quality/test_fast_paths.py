"""The quality layer's fast paths decide exactly what the general code decides."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, date, datetime

import pytest

from tap_miso.quality import CompletenessTracker, OutlierDetector, RuleSet
from tap_miso.quality.outliers import FAMILY_FLOORS, MAD_TO_SIGMA, ScaleFloor

from .helpers import five_min_fields, hourly_fields

DAY = date(2026, 1, 5)
ODD_VALUES = (float("nan"), float("inf"), -0.0, 1e9, -5000.0, 10000.0, 10000.01, 3, True, "x", None)


def _lmp_records(rnd: random.Random, count: int) -> list[dict]:
    records = []
    for i in range(count):
        record = {**hourly_fields(DAY, 1 + i % 24), "node": "N", "price_type": "ex_post"}
        mec, mcc, mlc = rnd.uniform(-50, 80), rnd.uniform(-5, 5), rnd.uniform(-2, 2)
        record.update(lmp=mec + mcc + mlc, mec=mec, mcc=mcc, mlc=mlc)
        roll = rnd.random()
        if roll < 0.3:
            record[rnd.choice(("lmp", "mec", "mcc", "mlc"))] = rnd.choice(ODD_VALUES)
        elif roll < 0.4:
            record[rnd.choice(("market_date", "source", "interval_start_utc"))] = rnd.choice(
                (None, "", 0)
            )
        elif roll < 0.5:
            record["interval_end_utc"] = record["interval_start_utc"]
        elif roll < 0.55:
            record["forecast_issued_utc"] = "2030-01-01T00:00:00Z"
        elif roll < 0.6:
            record["mlc"] += rnd.choice((0.005, 0.0105, 0.0115, 0.015, 0.5))
        records.append(record)
    return records


@pytest.mark.parametrize("stream", ["lmp_day_ahead_hourly", "lmp_real_time_5min"])
def test_lmp_fast_path_flags_equal_the_general_rules(stream):
    rules = RuleSet.for_stream(stream, {"lmp": (-500.0, 5000.0)})
    records = _lmp_records(random.Random(7), 3000)
    results = [(rules.check(r), rules._check_general(r)) for r in records]
    assert all(fast == general for fast, general in results)
    flagged = {flag for fast, _ in results for flag in fast}
    assert {
        "price_out_of_range",
        "component_mismatch",
        "bad_interval",
        "invalid_type",
        "missing_required",
    } <= flagged  # the sample reaches every rule


def test_outlier_stats_match_a_plain_median_and_mad():
    detector = OutlierDetector(window=48, min_samples=24, floor=FAMILY_FLOORS["mw"])
    rnd = random.Random(3)
    for size in (24, 47, 48):
        history = [rnd.choice((rnd.gauss(100, 30), 0.0, -0.0, 1e4)) for _ in range(size)]
        median = statistics.median(history)
        mad = statistics.median([abs(v - median) for v in history])
        ordered = sorted(history)
        span = ordered[min(size - 1, size * 95 // 100)] - ordered[size * 5 // 100]
        scale = max(MAD_TO_SIGMA * mad, 50.0, 0.05 * abs(median), 0.2 * span)
        assert detector.stats(history) == (median, scale)


def test_outlier_observe_treats_ints_like_floats_and_ignores_non_numbers():
    as_float, as_int = (
        OutlierDetector(window=5, min_samples=3),
        OutlierDetector(window=5, min_samples=3),
    )
    values = [10, 11, 12, 10, 5000, 11, 12]
    assert [as_float.observe("s", float(v)) for v in values] == [
        as_int.observe("s", v) for v in values
    ]
    assert [as_int.observe("s", v) for v in (True, "9999", None, math.nan)] == [
        False,
        False,
        False,
        False,
    ]


def test_batched_completeness_equals_applying_every_record_at_once():
    """Batches per interval give the same gaps, in the same order, as one record at a time
    (forced here by a snapshot after every observe, which applies any pending batch)."""
    rnd = random.Random(11)
    feed = []
    for day_offset in range(4):
        day = date(2026, 1, 5 + day_offset)
        for index in range(288):
            if rnd.random() < 0.03:
                continue
            fields = five_min_fields(day, index)
            for node in range(6):
                if rnd.random() > 0.02:
                    feed.append((f"N{node}", fields["market_date"], fields["interval_start_utc"]))
    later = lambda: datetime(2026, 2, 1, tzinfo=UTC)  # noqa: E731
    batched_gaps: list = []
    eager_gaps: list = []
    batched = CompletenessTracker(now=later, on_gap=batched_gaps.append)
    eager = CompletenessTracker(now=later, on_gap=eager_gaps.append)
    for step, (node, market_date, start) in enumerate(feed):
        batched.observe("lmp_real_time_5min", (node,), market_date, start)
        eager.observe("lmp_real_time_5min", (node,), market_date, start)
        eager.snapshot()
        if step % 997 == 0:  # gaps found so far agree at any point, not only at the end
            assert batched_gaps == eager_gaps
    assert batched.gaps() == eager.gaps()
    assert batched_gaps == eager_gaps and len(batched_gaps) > 4
    assert batched.snapshot() == eager.snapshot()


@pytest.mark.parametrize("family", ["lmp", "mcp", "mw"])
def test_hourly_outlier_shortcut_flags_exactly_what_full_statistics_flag(family):
    """Hourly detectors skip the MAD when the value is within threshold x floor of the median;
    a detector forced to compute full statistics for every value must flag the same values."""
    fast = OutlierDetector.for_family(family)
    full = OutlierDetector.for_family(family)
    full._bounded = False
    assert fast._bounded
    rnd = random.Random(5)
    flags = []
    for step in range(6000):
        series = step % 7
        base = rnd.choice((30.0, 0.0, 800.0))
        value = base + rnd.gauss(0, rnd.choice((1.0, 40.0, 200.0)))
        if rnd.random() < 0.05:  # around and beyond threshold x floor from the median
            value += rnd.choice((-1, 1)) * rnd.uniform(400.0, 4000.0)
        if rnd.random() < 0.002:
            value = rnd.choice((float("nan"), float("inf")))
        flags.append(fast.observe(series, value))
        assert flags[-1] == full.observe(series, value), step
    assert 0 < sum(flags) < len(flags)


def _reference_observe(window: list[float], value: float, detector: OutlierDetector) -> bool:
    """The detector's decision from the window sorted afresh (the original algorithm)."""
    if len(window) < detector.min_samples:
        return False
    median, scale = detector.stats(window)
    return abs(value - median) / scale > detector.threshold


@pytest.mark.parametrize("batched", [False, True])
def test_sorted_window_of_hourly_detectors_follows_the_ring(batched):
    """Hourly detectors keep each window sorted by bisection (dropped while it holds a NaN):
    the same decisions as sorting the window every time, NaN, infinities and zeros included."""
    detector = OutlierDetector(3.0, window=8, min_samples=3, floor=ScaleFloor(0.5))
    assert detector._bounded
    rnd = random.Random(17)
    # each series' window in ring order (slot = arrival index mod 8), as the detector sorts it
    windows: dict[int, list[float]] = {0: [], 1: []}
    arrivals = {0: 0, 1: 0}
    pool = (0.0, -0.0, 1.0, 1.0, 2.5, -3.0, 40.0, math.inf, -math.inf, math.nan)
    decisions = []
    for _ in range(3000):
        series = rnd.randrange(2)
        value = rnd.choice(pool) if rnd.random() < 0.5 else rnd.gauss(1.0, 2.0)
        expected = _reference_observe(windows[series], value, detector)
        if batched:
            got = detector.observe_many([series], [value]) == [0]
        else:
            got = detector.observe(series, value)
        assert got == expected
        slots = windows[series]
        if len(slots) < 8:
            slots.append(value)
        else:
            slots[arrivals[series] % 8] = value
        arrivals[series] += 1
        ring = detector._series[series]
        if any(math.isnan(v) for v in windows[series]):
            assert ring.ordered is None
        else:
            assert list(ring.ordered) == sorted(windows[series])
        decisions.append(got)
    assert 0 < sum(decisions) < len(decisions)

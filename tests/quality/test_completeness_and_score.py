"""Completeness per series and date; quality score; per-date timing; check() contract."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tap_miso.quality import CompletenessTracker, RunMonitor
from tests.quality.helpers import five_min_fields, hourly_fields

DAY = date(2026, 1, 5)
LATER = lambda: datetime(2026, 2, 1, tzinfo=UTC)  # noqa: E731


def feed(tracker, stream, series, day, intervals):
    for fields in intervals:
        tracker.observe(stream, series, day, fields["interval_start_utc"])


def test_full_hourly_and_5min_dates_have_no_gaps():
    tracker = CompletenessTracker(now=LATER)
    for day in (DAY, date(2026, 1, 6)):
        feed(tracker, "load_actual_hourly", ("MISO",), day,
             [hourly_fields(day, he) for he in range(1, 25)])
        feed(tracker, "fuel_mix_5min", ("MISO", "wind"), day,
             [five_min_fields(day, i) for i in range(288)])
    assert tracker.gaps() == []
    assert tracker.snapshot()["dates_checked"] == {"load_actual_hourly": 2, "fuel_mix_5min": 2}


def test_missing_intervals_are_listed_per_series():
    tracker = CompletenessTracker(now=LATER)
    for node in ("A", "B"):
        hours = [he for he in range(1, 25) if not (node == "B" and he in (5, 6, 24))]
        feed(tracker, "lmp_day_ahead_hourly", (node, "ex_post"), DAY,
             [hourly_fields(DAY, he) for he in hours])
    feed(tracker, "lmp_real_time_5min", ("A", "ex_post"), DAY,
         [five_min_fields(DAY, i) for i in range(288) if i != 100])
    gaps = {(g.stream, g.series): g for g in tracker.gaps()}
    assert set(gaps) == {("lmp_day_ahead_hourly", "B/ex_post"), ("lmp_real_time_5min", "A/ex_post")}
    hourly = gaps[("lmp_day_ahead_hourly", "B/ex_post")]
    assert (hourly.missing, hourly.expected, hourly.first_missing_utc) == (
        3, 24, "2026-01-05T09:00:00Z")
    assert gaps[("lmp_real_time_5min", "A/ex_post")].missing == 1
    assert tracker.snapshot()["missing_intervals"] == {
        "lmp_day_ahead_hourly": 3, "lmp_real_time_5min": 1}


def test_first_date_may_start_mid_day_and_today_is_not_a_gap():
    now = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # market day 2026-01-07 is running
    tracker = CompletenessTracker(now=lambda: now)
    feed(tracker, "lmp_real_time_hourly", ("A",), DAY,
         [hourly_fields(DAY, he) for he in range(10, 25)])  # resumed at HE10 (lookback)
    for day in (date(2026, 1, 6),):
        feed(tracker, "lmp_real_time_hourly", ("A",), day,
             [hourly_fields(day, he) for he in range(1, 25) if he != 2])
    feed(tracker, "lmp_real_time_hourly", ("A",), date(2026, 1, 7),
         [hourly_fields(date(2026, 1, 7), he) for he in range(1, 3)])
    gaps = tracker.gaps()
    assert [(g.market_date, g.missing) for g in gaps] == [("2026-01-06", 1)]


def test_dates_are_closed_as_the_stream_moves_on():
    seen = []
    tracker = CompletenessTracker(now=LATER, on_gap=seen.append)
    feed(tracker, "load_actual_hourly", ("MISO",), DAY, [hourly_fields(DAY, 1)])
    assert seen == []
    third = date(2026, 1, 7)
    feed(tracker, "load_actual_hourly", ("MISO",), third, [hourly_fields(third, 1)])
    assert [g.market_date for g in seen] == ["2026-01-05"]  # closed without waiting the end
    assert list(tracker._open["load_actual_hourly"]) == [third]


def test_score_counts_error_flags_not_outliers_and_check_returns_errors():
    monitor = RunMonitor()
    checker = monitor.for_stream("load_actual_hourly")
    assert monitor.for_stream("load_actual_hourly") is checker
    good = [{**hourly_fields(DAY, he), "area": "MISO", "load_mw": 70_000.0 + he}
            for he in range(1, 20)]
    assert all(checker.check(r) == [] for r in good)
    bad = {**hourly_fields(DAY, 20), "area": "MISO", "load_mw": 500_000.0}
    assert checker.check(bad) == ["mw_out_of_range"]
    upstream = {**hourly_fields(DAY, 21), "area": "MISO", "load_mw": None,
                "quality_flags": ["invalid_load_mw"]}
    assert checker.check(upstream) == ["invalid_load_mw"]
    assert bad["load_mw"] == 500_000.0 and bad["quality_flags"] == ["mw_out_of_range"]
    assert checker.score == 19 / 21
    snap = checker.snapshot()
    assert snap["flags_by_rule"] == {"invalid_load_mw": 1, "mw_out_of_range": 1}
    assert snap["sources_by_date"] == {"2026-01-05": ["market_report"]}


def test_quality_alert_once_below_threshold_and_not_above():
    monitor = RunMonitor(quality_alert_threshold=0.9)
    ok = monitor.for_stream("fuel_mix_hourly")
    poor = monitor.for_stream("interchange_hourly")
    for he in range(1, 11):
        ok.check({**hourly_fields(DAY, he), "region": "MISO", "fuel": "gas",
                  "generation_mw": 1000.0})
        poor.check({**hourly_fields(DAY, he), "counterparty": "PJM", "kind": "actual",
                    "interchange_mw": 1000.0 if he > 2 else 1e9})
    monitor.check_quality()
    monitor.check_quality()
    kinds = [(a.kind, a.stream) for a in monitor.alerts.emitted]
    assert kinds == [("quality_below_threshold", "interchange_hourly")]


def test_per_date_collection_time_and_slow_alert():
    ticks = iter([0.0, 1.0, 5.0, 30.0, 31.0, 100.0])
    monitor = RunMonitor(collection_time_alert_seconds=50, clock=lambda: next(ticks))
    checker = monitor.for_stream("load_actual_hourly")  # start = 0
    for day, he in ((DAY, 1), (DAY, 2), (date(2026, 1, 6), 1), (date(2026, 1, 6), 2),
                    (date(2026, 1, 7), 1)):
        checker.check({**hourly_fields(day, he), "area": "MISO", "load_mw": 1.0})
    checker.finish()
    assert checker.date_seconds == {"2026-01-05": 5.0, "2026-01-06": 26.0, "2026-01-07": 69.0}
    slow = [a.context["market_date"] for a in monitor.alerts.emitted if a.kind == "slow_collection"]
    assert slow == ["2026-01-07"]

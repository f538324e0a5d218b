"""``StreamQuality.check_many`` decides and records exactly what one ``check`` per row does."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from tap_miso import timeutil
from tap_miso.quality import RunMonitor

FIRST_DAY = date(2026, 1, 5)
ODD = ("x", None, True, 5, float("nan"), float("inf"), -0.0, 1e9, -5000.0)


def _records(stream: str, seed: int, nodes: int, days: int) -> Iterator[list[dict]]:
    """Faulty records of ``stream`` in emit order, one list per market date."""
    rnd = random.Random(seed)
    resolution = 300 if stream.endswith("_5min") else 3600
    levels = [20 + 30 * rnd.random() for _ in range(nodes)]
    for offset in range(days):
        day = FIRST_DAY + timedelta(days=offset)
        rows = []
        for index in range(86400 // resolution):
            if rnd.random() < 0.03:
                continue  # a missing interval
            start = timeutil.market_day_start(day) + timedelta(seconds=resolution * index)
            for n in range(nodes):
                for price_type in ("ex_ante", "ex_post"):
                    if rnd.random() < 0.01:
                        continue  # a missing series
                    rows.append(_row(rnd, stream, start, resolution, day, n, price_type,
                                     levels[n]))
        yield rows


def _row(rnd: random.Random, stream: str, start: datetime, resolution: int, day: date,
         n: int, price_type: str, level: float) -> dict:
    mec = level + 5 * rnd.random() + (3000 if rnd.random() < 0.004 else 0)  # rare spikes
    mcc, mlc = rnd.uniform(-3, 3), rnd.uniform(-1, 1)
    row = {
        "interval_start_utc": timeutil.format_utc(start),
        "interval_end_utc": timeutil.format_utc(start + timedelta(seconds=resolution)),
        "market_date": day.isoformat(),
        "source": rnd.choice(("a", "a", "a", "b")),
        "node": f"N{n}",
        "price_type": price_type,
        "lmp": mec + mcc + mlc, "mec": mec, "mcc": mcc, "mlc": mlc,
        "quality_flags": [],
    }
    if stream == "load_actual_hourly":
        row = {k: v for k, v in row.items() if k not in ("node", "price_type", "lmp", "mec",
                                                         "mcc", "mlc")}
        row.update(area=f"A{n}{price_type}", load_mw=1000 + 100 * rnd.random())
    roll = rnd.random()
    fields = [k for k in row if k in ("lmp", "mec", "mcc", "mlc", "load_mw")]
    if roll < 0.02:
        row[rnd.choice(fields)] = rnd.choice(ODD)
    elif roll < 0.03:
        row.pop(rnd.choice(("market_date", "source", "interval_start_utc", "interval_end_utc",
                            "quality_flags", "price_type")), None)
    elif roll < 0.04:
        row["interval_end_utc"] = row["interval_start_utc"]
    elif roll < 0.05:
        row["quality_flags"] = [rnd.choice(("invalid_lmp", "lmp", "pnode_conflict"))]
    elif roll < 0.055:
        row["mlc"] = 0.5 if "mlc" in row else None  # component mismatch
    elif roll < 0.06:
        row["forecast_issued_utc"] = "2030-01-01T00:00:00Z"
    elif roll < 0.065:
        row["market_date"] = ""
    return row


def _monitor() -> RunMonitor:
    ticks = count()
    monitor = RunMonitor(clock=lambda: float(next(ticks)), collection_time_alert_seconds=200)
    monitor.completeness._now = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    return monitor


Splitter = Callable[[random.Random, list[dict]], list[list[dict]]]


def _by_interval(rnd: random.Random, rows: list[dict]) -> list[list[dict]]:
    batches: list[list[dict]] = []
    last = object()
    for row in rows:
        if row.get("interval_start_utc") != last:
            batches.append([])
            last = row.get("interval_start_utc")
        batches[-1].append(row)
    return batches


def _random_sizes(rnd: random.Random, rows: list[dict]) -> list[list[dict]]:
    batches, i = [], 0
    while i < len(rows):
        size = rnd.choice((1, 2, 3, 17, 40, 41, 250))  # most split an interval
        batches.append(rows[i:i + size])
        i += size
    return batches


def _whole_date(rnd: random.Random, rows: list[dict]) -> list[list[dict]]:
    return [rows, []]


def _state(monitor: RunMonitor, stream: str) -> dict:
    checker = monitor.for_stream(stream)
    rings = checker.outliers._series if checker.outliers else {}
    return {
        "quality": monitor.quality_snapshot(),
        "completeness": monitor.completeness.snapshot(),
        "alerts": [(a.kind, a.stream, a.message, a.context) for a in monitor.alerts.emitted],
        "collection": monitor.collection_time.snapshot(),
        "date_seconds": dict(checker.date_seconds),
        # bytes and repr: exact, and NaN compares equal to NaN
        "rings": {k: (r.values.tobytes(), r.count, r.pos, r.stale, repr(r.stats))
                  for k, r in rings.items()},
    }


def _run_both(stream: str, seed: int, split: Splitter, nodes: int, days: int):
    one, many = _monitor(), _monitor()
    rnd = random.Random(seed)
    got_one, got_many = [], []
    for rows in _records(stream, seed, nodes, days):
        copies = [{**r, "quality_flags": list(r["quality_flags"])} if "quality_flags" in r
                  else dict(r) for r in rows]
        checker = one.for_stream(stream)
        got_one += [(checker.check(r), r.get("quality_flags")) for r in rows]
        checker = many.for_stream(stream)
        for batch in split(rnd, copies):
            errors = checker.check_many(batch)
            assert len(errors) == len(batch)
            got_many += [(e, r.get("quality_flags")) for e, r in zip(errors, batch, strict=True)]
    # the states before and after closing the stream (which reports the last dates' gaps)
    middle = (_state(one, stream), _state(many, stream))
    one.for_stream(stream).finish()
    many.for_stream(stream).finish()
    one.check_quality()
    many.check_quality()
    return got_one, got_many, middle, (_state(one, stream), _state(many, stream))


@pytest.mark.parametrize("split", [_by_interval, _random_sizes, _whole_date])
@pytest.mark.parametrize(
    ("stream", "seed", "nodes", "days"),
    [("lmp_day_ahead_hourly", 1, 12, 5), ("lmp_real_time_5min", 2, 4, 3),
     ("load_actual_hourly", 3, 6, 4)],
)
def test_check_many_equals_one_check_per_row(stream, seed, nodes, days, split):
    got_one, got_many, middle, end = _run_both(stream, seed, split, nodes, days)
    assert got_many == got_one
    assert middle[1] == middle[0]
    assert end[1] == end[0]
    # the input reaches every decision the batch path must reproduce
    flags = {f for _, fl in got_one if fl for f in fl}
    expected = {"outlier", "bad_interval", "invalid_type", "missing_required"}
    if stream.startswith("lmp"):
        expected |= {"price_out_of_range", "component_mismatch", "pnode_conflict"}
    assert expected <= flags
    kinds = {a[0] for a in end[0]["alerts"]}
    assert {"incomplete_intervals", "slow_collection"} <= kinds
    assert end[0]["completeness"]["missing_intervals"]


def test_check_many_of_nothing_changes_nothing():
    monitor = _monitor()
    checker = monitor.for_stream("lmp_day_ahead_hourly")
    assert checker.check_many([]) == []
    assert checker.checked == 0


def test_check_many_returns_fresh_error_lists():
    monitor = _monitor()
    rows = next(_records("lmp_day_ahead_hourly", 4, 3, 1))[:6]
    errors = monitor.for_stream("lmp_day_ahead_hourly").check_many(rows)
    assert len({id(e) for e in errors}) == len(errors)
    assert all(e is not r["quality_flags"] for e, r in zip(errors, rows, strict=True))

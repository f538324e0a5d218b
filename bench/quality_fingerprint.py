#!/usr/bin/env python
"""Print every decision of the quality layer on a seeded, perturbed record stream, as JSON.

Records of five streams (LMP hourly and 5-minute, load, ancillary MCP, a forecast) with
injected faults (non-numbers, NaN, out-of-range values, spikes, missing contract fields, bad
intervals, upstream ``invalid_*`` flags, missing intervals and series) go through one
``RunMonitor``; the output holds each record's flags and errors, the quality snapshot, the
completeness snapshot and the alerts. Run it with two trees and compare, e.g.::

    PYTHONPATH=/tmp/old_tree python bench/quality_fingerprint.py 1 > old.json
    PYTHONPATH=. python bench/quality_fingerprint.py 1 > new.json && cmp old.json new.json

A second argument ``N`` > 0 checks the records with ``StreamQuality.check_many`` in batches of
``N`` within a market date (splitting intervals) instead of one ``check`` per record: the output
must be the same as without it.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import count

from tap_miso import timeutil
from tap_miso.quality import RunMonitor

Maker = Callable[[dict, int, int], list[str]]


def fingerprint(seed: int, batch: int = 0) -> dict:
    """The quality layer's decisions on the record stream of ``seed`` (``batch``: see above)."""
    rnd = random.Random(seed)
    ticks = count()
    monitor = RunMonitor(clock=lambda: float(next(ticks)), collection_time_alert_seconds=5000)
    monitor.completeness._now = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    decisions: list = []

    def perturb(record: dict, fields: list[str]) -> None:
        roll = rnd.random()
        if roll < 0.01:
            record[rnd.choice(fields)] = rnd.choice(
                ["x", None, True, 5, float("nan"), 1e9, -5000.0]
            )
        elif roll < 0.02:
            field = rnd.choice(["market_date", "source", "interval_end_utc", "interval_start_utc"])
            record.pop(field, None)
        elif roll < 0.03:
            record["interval_end_utc"] = record["interval_start_utc"]
        elif roll < 0.04:
            record["quality_flags"] = [
                rnd.choice(["invalid_lmp", "lmp", "pnode_conflict", "invalid_mcp"])
            ]
        elif roll < 0.05:
            value = record.get(fields[0])
            record[fields[0]] = value * 40 + 3000 if isinstance(value, float) else 1.0
        elif roll < 0.055:
            record["mec"] = 5.5 if "mec" in record else None

    def run(stream: str, resolution: int, series: int, days: int, make: Maker) -> None:
        checker = monitor.for_stream(stream)
        pending: list[dict] = []

        def flush() -> None:
            for record, errors in zip(pending, checker.check_many(pending), strict=True):
                decisions.append((record.get("quality_flags"), errors))
            pending.clear()

        for offset in range(days):
            day = date(2026, 1, 5) + timedelta(days=offset)
            for index in range(86400 // resolution):
                if rnd.random() < 0.02:
                    continue  # a missing interval
                start = timeutil.market_day_start(day) + timedelta(seconds=resolution * index)
                for n in range(series):
                    if rnd.random() < 0.01:
                        continue
                    record = {
                        "interval_start_utc": timeutil.format_utc(start),
                        "interval_end_utc": timeutil.format_utc(
                            start + timedelta(seconds=resolution)
                        ),
                        "market_date": day.isoformat(),
                        "source": rnd.choice(["a", "a", "a", "b"]),
                        "quality_flags": [],
                    }
                    perturb(record, make(record, n, index))
                    if batch:
                        pending.append(record)
                        if len(pending) == batch:
                            flush()
                        continue
                    errors = checker.check(record)
                    decisions.append((record.get("quality_flags"), errors))
            flush()  # batches never span two market dates
        checker.finish()

    def lmp(record: dict, n: int, index: int) -> list[str]:
        mec = 20 + 10 * rnd.random() + (300 if rnd.random() < 0.003 else 0)
        mcc, mlc = rnd.random(), rnd.random()
        price_type = rnd.choice(["ex_ante", "ex_post"])
        record.update(
            node=f"N{n}", price_type=price_type, lmp=mec + mcc + mlc, mec=mec, mcc=mcc, mlc=mlc
        )
        return ["lmp", "mec", "mcc", "mlc"]

    def load(record: dict, n: int, index: int) -> list[str]:
        record.update(area=f"A{n}", load_mw=1000 + 100 * rnd.random(), other_mw=float(index))
        return ["load_mw", "other_mw"]

    def mcp(record: dict, n: int, index: int) -> list[str]:
        record.update(product=f"P{n}", zone="Z", mcp=rnd.random() * 10)
        return ["mcp"]

    def forecast(record: dict, n: int, index: int) -> list[str]:
        issued = rnd.choice(
            [record["interval_start_utc"], "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "bad"]
        )
        record.update(region=f"R{n}", fuel="wind", forecast_issued_utc=issued, mw=5.0)
        return ["mw"]

    run("lmp_day_ahead_hourly", 3600, 30, 4, lmp)
    run("lmp_real_time_5min", 300, 8, 2, lmp)
    run("load_actual_hourly", 3600, 5, 4, load)
    run("ancillary_mcp_real_time_5min", 300, 4, 2, mcp)
    run("generation_forecast_hourly", 3600, 3, 3, forecast)
    monitor.completeness.close()
    monitor.check_quality()
    return {
        "records": decisions,
        "quality": monitor.quality_snapshot(),
        "completeness": monitor.completeness.snapshot(),
        "alerts": [(a.kind, a.stream, a.message) for a in monitor.alerts.emitted],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("seed", nargs="?", type=int, default=1)
    parser.add_argument("batch", nargs="?", type=int, default=0,
                        help="check_many batch size (0: one check per record)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    print(json.dumps(fingerprint(args.seed, args.batch), sort_keys=True, default=str))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""CPU time per record of the quality layer alone, on realistic LMP records (no I/O, no tap).

Builds ~300k clean LMP records per stream (day-ahead hourly: 1,306 nodes x 2 price types x
120 hours; real-time 5-minute: 500 nodes x 2 price types x 300 intervals), in emit order
(interval, then node), and times ``StreamQuality.check`` per record and, when the tree has it,
``check_many`` per batch (``--batch interval`` = every series of one interval, or a fixed size
that splits intervals). Prints the median of ``--repeats`` runs in CPU microseconds per record.
Compare two trees in the same conditions, e.g.::

    PYTHONPATH=/tmp/ref_tree python bench/quality_micro.py
    PYTHONPATH=. python bench/quality_micro.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from tap_miso import timeutil
from tap_miso.quality import RunMonitor

STREAMS = {
    # stream: (resolution s, nodes, intervals)
    "lmp_day_ahead_hourly": (3600, 1306, 120),
    "lmp_real_time_5min": (300, 500, 300),
}
PRICE_TYPES = ("ex_ante", "ex_post")


def build(stream: str, seed: int = 1) -> list[dict]:
    """Clean records of ``stream`` in emit order (a spike now and then, as real prices have)."""
    resolution, nodes, intervals = STREAMS[stream]
    rnd = random.Random(seed)
    day0 = date(2026, 1, 5)
    base = [20 + 15 * rnd.random() for _ in range(nodes)]
    records = []
    per_day = 86400 // resolution
    for index in range(intervals):
        day = day0 + timedelta(days=index // per_day)
        start = timeutil.market_day_start(day) + timedelta(seconds=resolution * (index % per_day))
        fields = {
            "interval_start_utc": timeutil.format_utc(start),
            "interval_end_utc": timeutil.format_utc(start + timedelta(seconds=resolution)),
            "market_date": day.isoformat(),
            "interval_start_local": "x",
            "source_timezone": "EST",
            "source": "market_report",
        }
        for n in range(nodes):
            for price_type in PRICE_TYPES:
                mec = base[n] + 5 * rnd.random() + (1500 if rnd.random() < 0.0005 else 0)
                mcc, mlc = round(rnd.uniform(-3, 3), 2), round(rnd.uniform(-1, 1), 2)
                records.append({**fields, "node": f"NODE.{n}", "price_type": price_type,
                                "lmp": round(mec + mcc + mlc, 2), "mec": round(mec, 2),
                                "mcc": mcc, "mlc": mlc, "record_hash": "h",
                                "quality_flags": []})
    return records


def batches(records: list[dict], batch: str) -> list[list[dict]]:
    """Split into interval batches (``interval``) or fixed-size slices (a number)."""
    if batch != "interval":
        size = int(batch)
        return [records[i:i + size] for i in range(0, len(records), size)]
    out: list[list[dict]] = []
    last = None
    for record in records:
        if record["interval_start_utc"] != last:
            out.append([])
            last = record["interval_start_utc"]
        out[-1].append(record)
    return out


def run_once(stream: str, template: list[dict], mode: str, batch: str) -> tuple[float, int]:
    """CPU seconds of one pass over fresh copies of ``template``; and flags raised."""
    records = [{**r, "quality_flags": []} for r in template]
    monitor = RunMonitor()
    checker = monitor.for_stream(stream)
    if mode == "check":
        check = checker.check
        started = time.process_time()
        for record in records:
            check(record)
        seconds = time.process_time() - started
    else:
        groups = batches(records, batch)
        check_many = checker.check_many
        started = time.process_time()
        for group in groups:
            check_many(group)
        seconds = time.process_time() - started
    return seconds, sum(len(r["quality_flags"]) for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--streams", default=",".join(STREAMS))
    parser.add_argument("--batch", default="interval", help="'interval' or a batch size")
    args = parser.parse_args()
    from tap_miso.quality import StreamQuality

    modes = ["check"] + (["check_many"] if hasattr(StreamQuality, "check_many") else [])
    for stream in args.streams.split(","):
        template = build(stream)
        for mode in modes:
            runs = [run_once(stream, template, mode, args.batch) for _ in range(args.repeats)]
            times = [s for s, _ in runs]
            label = mode if mode == "check" else f"check_many(batch={args.batch})"
            print(f"{stream:22} {label:30} {len(template):7,} records  "
                  f"{1e6 * statistics.median(times) / len(template):6.2f} us/record CPU "
                  f"(median of {args.repeats}; min {1e6 * min(times) / len(template):.2f})  "
                  f"flags {runs[0][1]}")


if __name__ == "__main__":
    main()

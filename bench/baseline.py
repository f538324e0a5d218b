"""Raw baseline: write N RECORD lines shaped like the tap's with orjson to /dev/null.

    python bench/baseline.py TEMPLATE.json N [--nodes 2612] [--interval-minutes 60]

TEMPLATE.json holds one real RECORD message of the tap (``{"type": "RECORD", ...}``). Every line
gets a fresh record dict with the template's keys: node from a roster, interval fields from
precomputed per-interval strings (as any fast writer would), varying floats, the same
constant-length strings elsewhere. No fetching, parsing, hashing or schema work: this is the floor
the tap's ``tap_time / baseline_time`` ratio is measured against. Prints one JSON line
``{"records": N, "seconds": loop_seconds}`` (interpreter start-up and imports excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta

import orjson


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template")
    parser.add_argument("count", type=int)
    parser.add_argument("--nodes", type=int, default=2612)
    parser.add_argument("--interval-minutes", type=int, default=60)
    args = parser.parse_args()
    with open(args.template, "rb") as fh:
        message = orjson.loads(fh.read())
    stream, template = message["stream"], message["record"]

    nodes = [f"NODE.{i:05d}" for i in range(args.nodes)]
    step = timedelta(minutes=args.interval_minutes)
    per_day = (24 * 60) // args.interval_minutes
    origin = datetime(2026, 1, 1, 5, tzinfo=UTC)
    intervals = []
    for i in range(per_day * 8):
        start = origin + i * step
        intervals.append(
            (
                start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                (start + step).strftime("%Y-%m-%dT%H:%M:%SZ"),
                (start - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S-05:00"),
                (start - timedelta(hours=5)).strftime("%Y-%m-%d"),
                (i % per_day) // max(1, 60 // args.interval_minutes) + 1,
            )
        )
    time_extracted = message.get("time_extracted") or datetime.now(UTC).isoformat()
    n_nodes = len(nodes)

    out = open(os.devnull, "wb")  # noqa: SIM115 - closed below; buffered like sys.stdout
    started = time.perf_counter()
    write = out.write
    dumps = orjson.dumps
    for i in range(args.count):
        start, end, local, market_date, hour = intervals[(i // n_nodes) % len(intervals)]
        value = 20.0 + (i % 997) * 0.01
        record = dict(template)
        record["node"] = nodes[i % n_nodes]
        record["interval_start_utc"] = start
        record["interval_end_utc"] = end
        record["interval_start_local"] = local
        record["market_date"] = market_date
        if "hour_ending" in record:
            record["hour_ending"] = hour
        if "lmp" in record:
            record["lmp"] = value
            record["mcc"] = value * 0.1
            record["mlc"] = value * 0.01
            record["mec"] = value * 0.89
        record["quality_flags"] = []
        write(
            dumps(
                {
                    "type": "RECORD",
                    "stream": stream,
                    "record": record,
                    "time_extracted": time_extracted,
                },
                option=orjson.OPT_APPEND_NEWLINE,
            )
        )
    out.flush()
    seconds = time.perf_counter() - started
    out.close()
    print(json.dumps({"records": args.count, "seconds": seconds}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Every stream of the tap, timed: is any of them limited by the tap rather than by MISO?

Runs ``python -m tap_miso.tap`` (stdout to /dev/null, through ``bench/launch.py`` for the tap's
own CPU and peak RSS) once per stream and per access mode against ``FakeMisoServer`` on
127.0.0.1 at full size (2,612 nodes), over ``--days`` market days ending three weeks back (so
every Market Report, the weekly 5-minute zip included, is published):

* ``keyless``: no key, the stream's default source order (what a first-time user runs);
* ``keyed``: Data Exchange keys (pricing, LGI) and an EIA key;
* ``today`` (not by default): keyless, today's market day only: the public API serves only
  the latest windows, so streams with no other keyless source have records only here.

Each run first gets an untimed cold run that fills the fake's payload cache, so the timed run
measures the tap, not the fake's generators. The fake has no latency and no rate limit here
(``BULK_LIMITS``): the figures are the tap's own cost. Reported per run: records, CPU s, wall s,
records per CPU second, CPU ms per market day, peak RSS, requests and their statuses.

    python bench/all_streams.py --days 7 --json bench/out/all_streams.json \\
        --markdown bench/out/all_streams.md

``lmp_real_time_5min`` is left out by default (``--streams`` takes it): it is 1.5M records a
day and has its own scenarios in ``run_bench.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run_bench import BULK_LIMITS, Tap, bench_clock, machine_notes, span  # noqa: E402

from tap_miso import timeutil  # noqa: E402
from tap_miso.testing.fake_miso import FakeMisoServer  # noqa: E402

EIA_KEY = "fake-eia-key"
SKIPPED_BY_DEFAULT = ("lmp_real_time_5min",)


def stream_names(fake: FakeMisoServer, workdir: Path) -> list[str]:
    """The catalog's stream ids, as discovery lists them."""
    tap = Tap(fake, "nodes", workdir, **BULK_LIMITS)
    catalog = json.loads(Path(tap.catalog_path).read_text())
    return [entry["tap_stream_id"] for entry in catalog["streams"]]


def keys(fake: FakeMisoServer) -> dict[str, str]:
    return {
        "pricing_api_key": fake.dx_keys["pricing"][0],
        "lgi_api_key": fake.dx_keys["lgi"][0],
        "eia_api_key": EIA_KEY,
    }


def run_one(fake: FakeMisoServer, stream: str, mode: str, days: int, repeats: int,
            workdir: Path) -> dict[str, Any]:
    """Cold run, then ``repeats`` timed runs of one stream; medians."""
    now, week = bench_clock()
    if mode == "today":
        days = 1
        first = timeutil.market_date_of(now)
    else:
        first = week - timedelta(days=days - 1)
    config: dict[str, Any] = {**BULK_LIMITS, **span(first, days)}
    if mode == "keyed":
        config.update(keys(fake))
    tap = Tap(fake, stream, workdir, **config)
    tap.run(f"cold {stream} {mode}")
    runs = [tap.run(f"{stream} {mode} {i + 1}") for i in range(repeats)]
    cpu = statistics.median(r.cpu for r in runs)
    records = runs[0].records
    return {
        "stream": stream,
        "mode": mode,
        "days": days,
        "records": records,
        "cpu_s": round(cpu, 2),
        "cpu_runs": [round(r.cpu, 2) for r in runs],
        "wall_s": round(statistics.median(r.wall for r in runs), 2),
        "records_per_cpu_s": round(records / cpu) if cpu else None,
        "cpu_ms_per_day": round(1000 * cpu / days),
        "peak_rss_mb": round(max(r.max_rss_mb for r in runs)),
        "requests": runs[0].requests,
        "statuses": runs[0].extra.get("statuses", {}),
        "exit": max(r.returncode for r in runs),
    }


def markdown(rows: list[dict[str, Any]], notes: dict[str, Any], command: str) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {json.dumps(notes)}",
        "",
        "| stream | mode | days | records | CPU s | wall s | rec/CPU s | CPU ms/day | peak RSS MB"
        " | requests | statuses | exit |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        rate = f"{r['records_per_cpu_s']:,}" if r["records"] else "-"
        lines.append(
            f"| {r['stream']} | {r['mode']} | {r['days']} | {r['records']:,} | {r['cpu_s']} "
            f"| {r['wall_s']} | {rate} | {r['cpu_ms_per_day']:,} "
            f"| {r['peak_rss_mb']} | {r['requests']} | {statuses} | {r['exit']} |"
        )
    return "\n".join(lines) + "\n"


def render(json_path: Path, markdown_path: Path, command: str) -> None:
    """Write the table of a saved ``--json`` result."""
    saved = json.loads(json_path.read_text())
    markdown_path.write_text(markdown(saved["runs"], saved["machine"], command))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--nodes", type=int, default=2612)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--streams", help="comma list (default: all but lmp_real_time_5min)")
    parser.add_argument("--modes", default="keyless,keyed")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    now, _ = bench_clock()
    notes = machine_notes()
    rows: list[dict[str, Any]] = []
    with (
        FakeMisoServer(
            node_count=args.nodes, now=now, dx_rate_per_minute=100000, dx_daily_quota=10**8
        ) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        workdir = Path(tmp)
        names = (
            args.streams.split(",")
            if args.streams
            else [s for s in stream_names(fake, workdir) if s not in SKIPPED_BY_DEFAULT]
        )
        for stream in names:
            for mode in args.modes.split(","):
                row = run_one(fake, stream, mode, args.days, args.repeats, workdir)
                rows.append(row)
                print(
                    f"{stream:34} {mode:8} {row['records']:>9,} rec  cpu {row['cpu_s']:6.2f}s"
                    f"  wall {row['wall_s']:6.2f}s  {row['peak_rss_mb']:4} MB"
                    f"  {row['requests']} req {row['statuses']}  exit {row['exit']}",
                    flush=True,
                )
    command = "python bench/all_streams.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": notes, "runs": rows}, indent=1))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(rows, notes, command.strip()))
    return 1 if any(r["exit"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

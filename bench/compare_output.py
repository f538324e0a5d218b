#!/usr/bin/env python
"""Fingerprint the tap's output for the benchmark's streams, to prove a change keeps it identical.

Runs the tap (``python -m tap_miso.tap``, from ``--repo``: the working tree by default, or an
unpacked ``git archive`` of an older commit) against FakeMisoServer at full size for one day of
``lmp_day_ahead_hourly`` (Market Reports CSV) and one day of ``lmp_real_time_5min`` (Data
Exchange), reads its stdout through a pipe and hashes, per stream:

* the RECORD lines with ``time_extracted`` removed (byte-for-byte otherwise);
* the STATE lines with the run-time ``replication_key_signpost`` removed;
* the end-of-run summary (``run_summary_file``) minus wall-clock figures: quality scores, flag
  counts, completeness gaps and alerts.

Usage::

    python bench/compare_output.py --save bench/out/ref.json --repo /tmp/ref_tree   # before
    python bench/compare_output.py --against bench/out/ref.json                     # after

``--against`` exits 1 and names what differs when any fingerprint changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run_bench import BULK_LIMITS, DA, REPO, RT5, bench_clock, span  # noqa: E402

from tap_miso.testing.fake_miso import FakeMisoServer  # noqa: E402
from tap_miso.testing.harness import catalog_for, fake_config, write_json  # noqa: E402

TIME_EXTRACTED = re.compile(rb',"time_extracted":"[^"]*"')
FLAGS = re.compile(rb'"quality_flags":\[([^\]]*)\]')
#: Summary keys holding wall-clock figures (differ run to run).
# Whole-word suffixes/prefixes only: a stream name such as lmp_real_time_5min must survive.
VOLATILE = re.compile(
    r"((^|_)(seconds|at|utc|duration|latency|elapsed|started|finished|time|timestamp|per_second)$"
    r"|^last_)"
)


def _stable(value: Any) -> Any:
    """``value`` without wall-clock entries (keys matching ``VOLATILE``)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if not VOLATILE.search(k)}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def fingerprint(repo: Path, stream: str, source: str, nodes: int) -> dict[str, Any]:
    """Run the tap once for ``stream`` (1 day from ``source``) and fingerprint its output."""
    now, week = bench_clock()
    first = week.fromordinal(week.toordinal() + 1)
    with (
        FakeMisoServer(
            node_count=nodes, now=now, dx_rate_per_minute=100000, dx_daily_quota=10**8
        ) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        summary_path = Path(tmp) / "summary.json"
        config = {
            **BULK_LIMITS,
            **span(first, 1),
            "source_preference": [source],
            "run_summary_file": str(summary_path),
        }
        if source == "data_exchange":
            config["pricing_api_key"] = fake.dx_keys["pricing"][0]
        config = fake_config(fake, **config)
        cmd = [
            sys.executable, "-m", "tap_miso.tap",
            "--config", write_json(config),
            "--catalog", write_json(catalog_for([stream], config)),
        ]  # fmt: skip
        records, states, flags = hashlib.sha256(), hashlib.sha256(), Counter()
        count = 0
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=repo)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b'{"type":"RECORD"'):
                count += 1
                records.update(TIME_EXTRACTED.sub(b"", line))
                found = FLAGS.search(line)
                if found and found.group(1):
                    flags.update(found.group(1).decode().replace('"', "").split(","))
            elif line.startswith(b'{"type":"STATE"'):
                message = json.loads(line)
                text = json.dumps(message, sort_keys=True)
                states.update(re.sub(r'"replication_key_signpost": "[^"]*"', "", text).encode())
        if proc.wait() != 0:
            raise SystemExit(f"{stream}: tap exited {proc.returncode}")
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    stable = _stable(summary)
    return {
        "records": count,
        "record_sha256": records.hexdigest(),
        "state_sha256": states.hexdigest(),
        "flags": dict(sorted(flags.items())),
        "summary_sha256": hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest(),
        "summary": stable,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="tree whose tap_miso runs")
    parser.add_argument("--nodes", type=int, default=2612)
    parser.add_argument("--streams", default=f"{DA},{RT5}")
    parser.add_argument("--save", type=Path, help="write the fingerprints here")
    parser.add_argument("--against", type=Path, help="compare with saved fingerprints")
    parser.add_argument(
        "--rt5-source",
        choices=["data_exchange", "market_report"],
        default="data_exchange",
        help="source of the 5-minute day (market_report: the keyless xlsx + weekly zip path)",
    )
    args = parser.parse_args(argv)
    sources = {DA: "market_report", RT5: args.rt5_source}
    result = {}
    for stream in args.streams.split(","):
        print(f"{stream}: running ({args.repo})", flush=True)
        result[stream] = fingerprint(args.repo.resolve(), stream, sources[stream], args.nodes)
        print(f"  {result[stream]['records']} records, flags {result[stream]['flags']}")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(result, indent=1, sort_keys=True))
    if not args.against:
        return 0
    reference = json.loads(args.against.read_text())
    differ = 0
    for stream, got in result.items():
        want = reference.get(stream)
        if want is None:
            print(f"{stream}: not in {args.against}")
            differ += 1
            continue
        for key in ("records", "record_sha256", "state_sha256", "flags", "summary_sha256"):
            same = got[key] == want[key]
            differ += not same
            print(f"{stream} {key}: {'same' if same else f'DIFFERS {want[key]} -> {got[key]}'}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""tap-miso benchmark (issue 7): throughput, memory, rate-limited backfill, quality overhead.

Starts FakeMisoServer on 127.0.0.1 in this process (full size: 2,612 nodes) and runs the real
tap as a child process (``python -m tap_miso.tap --config ... --catalog ...``, stdout to
/dev/null, stderr to a file). Per child it records wall time, CPU time and peak RSS
(rusage from `bench/launch.py`), and the records emitted (the SDK's ``record_count`` metric lines in
stderr). Reports medians of ``--repeats`` runs and ratios against baselines measured in the
same invocation. Writes JSON (``--json``) and a Markdown summary (``--markdown``).

Scenarios:
  throughput  lmp_day_ahead_hourly 3 days (Market Reports CSV) and lmp_real_time_5min 1 day
              (``--rt5-source``), each after one untimed warm-up run that fills the fake's
              payload cache; records/s; raw orjson baseline (bench/baseline.py) run right after
              each tap run -> ratio tap_wall / baseline; tap CPU time = tap work without
              waiting on the server; one extra cProfile run per stream (``--no-profile`` skips).
  memory      peak RSS of a 1-day and a 7-day lmp_day_ahead_hourly backfill (Market Reports),
              of the same from the Data Exchange (``--memory-da-dx-days``), and of a 1-day and a
              7-day lmp_real_time_5min backfill from the Data Exchange (``--memory-rt5-*``: 300
              nodes, MISO's 5,000-record pages by default) or, with ``--memory-rt5-mr-days``,
              from Market Reports.
  ratelimit   lmp_day_ahead_hourly from the fake Data Exchange (pricing key), 2 s latency per
              call, 100 calls/min, small pages so >= 200 calls; wall vs the bound
              calls / (100/min), concurrent (max_concurrent_requests 4) vs sequential (1);
              429s counted in the fake's request log. >= 2 min + ~7 min per repetition, so it
              uses ``--rl-repeats`` (default 1).
  quality     the throughput run with quality checks on and off, when the tap has a switch
              (``--quality-off '{"setting": value}'``, or auto-detected); otherwise reported as
              pending with the cost of post_process / record_hash taken from the profile.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import pstats
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))

from tap_miso import timeutil  # noqa: E402
from tap_miso.testing.fake_miso import FakeMisoServer  # noqa: E402
from tap_miso.testing.harness import catalog_for, fake_config  # noqa: E402

DA = "lmp_day_ahead_hourly"
RT5 = "lmp_real_time_5min"
#: Results key of the keyless 5-minute memory case (``--memory-rt5-mr-days``).
RT5_MR = f"{RT5} (market_report)"
#: Results key of the keyed day-ahead memory case (``--memory-da-dx-days``).
DA_DX = f"{DA} (data_exchange)"
SCENARIOS = ("throughput", "memory", "ratelimit", "quality")
#: High client limits for keyless Market Reports: the limiter paces every host. The tap still
#: never exceeds the Data Exchange's own 100/min per key.
BULK_LIMITS = {"requests_per_minute": 100000, "requests_per_hour": 10**7}
#: The fake's payload cache in the throughput runs: a full day of 5-minute pages (~280 MB at
#: 100k-record pages) must fit, or the LRU rebuilds every page on every pass and the tap's wall
#: time measures the fake (round 3: 3.4-4.8 s of page building per timed run).
THROUGHPUT_CACHE_BYTES = 1024 * 1024 * 1024
METRIC_RE = re.compile(r"METRIC: (\{.*\})")
QUALITY_CANDIDATES = ("quality_checks", "validate_records", "quality_rules", "record_validation")


# -- child processes ------------------------------------------------------------------------------


@dataclass
class ChildRun:
    """One child process: wall, CPU, peak RSS, records, exit code."""

    label: str
    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    #: Peak of the summed RSS of the tap and its child processes (`parallel_parsing`), sampled.
    tree_rss_mb: float = 0.0
    records: int = 0
    server_seconds: float = 0.0
    requests: int = 0
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_child(label: str, cmd: list[str], *, timeout: float, stdout: Any = None) -> ChildRun:
    """Run ``cmd`` with stdout to /dev/null (or ``stdout``) through ``bench/launch.py``, which
    reports its CPU and peak RSS (a child of this big process would report this process's RSS
    as its own peak: Linux keeps the high-water mark across exec)."""
    err = tempfile.NamedTemporaryFile("w+b", suffix=".stderr", delete=False)  # noqa: SIM115
    out = stdout if stdout is not None else open(os.devnull, "wb")  # noqa: SIM115
    result = Path(tempfile.mkstemp(suffix=".rusage.json")[1])
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "launch.py"), str(result), *cmd],
        stdout=out,
        stderr=err,
        cwd=REPO,
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the launcher kills the command
        proc.wait()
    wall = time.perf_counter() - started
    if stdout is None:
        out.close()
    err.seek(0)
    text = err.read().decode("utf-8", "replace")
    err.close()
    os.unlink(err.name)
    usage = json.loads(result.read_text() or "{}")
    result.unlink()
    return ChildRun(
        label=label,
        wall=wall,
        cpu=usage.get("cpu", 0.0),
        max_rss_mb=usage.get("max_rss_kib", 0) / 1024,
        tree_rss_mb=usage.get("max_tree_rss_kib", 0) / 1024,
        returncode=proc.returncode,
        records=count_records(text),
        stderr_tail=text[-3000:] if proc.returncode else "",
        extra={"stderr": text} if label.startswith("sample") else {},
    )


def count_records(stderr: str) -> int:
    """Sum of the SDK's ``record_count`` counter lines (each logged value is a delta)."""
    total = 0
    for match in METRIC_RE.finditer(stderr):
        try:
            metric = json.loads(match.group(1))
        except ValueError:
            continue
        if metric.get("metric") == "record_count":
            total += int(metric.get("value") or 0)
    return total


def write_json(payload: Any, directory: Path) -> str:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the file must outlive this call
        "w", suffix=".json", delete=False, dir=directory
    )
    with handle:
        json.dump(payload, handle)
    return handle.name


class Tap:
    """Builds tap command lines for one fake server and stream."""

    def __init__(self, fake: FakeMisoServer, stream: str, workdir: Path, **config: Any) -> None:
        self.fake, self.stream, self.workdir = fake, stream, workdir
        self.config = fake_config(fake, **config)
        self.config_path = write_json(self.config, workdir)
        self.catalog_path = write_json(catalog_for([stream], self.config), workdir)

    def cmd(self, profile: str | None = None) -> list[str]:
        head = [sys.executable]
        if profile:
            head += ["-m", "cProfile", "-o", profile]
        return [
            *head,
            "-m",
            "tap_miso.tap",
            "--config",
            self.config_path,
            "--catalog",
            self.catalog_path,
        ]

    def shell_cmd(self) -> str:
        return " ".join(shlex.quote(c) for c in self.cmd()) + " > /dev/null"

    def run(self, label: str, *, timeout: float = 1800, profile: str | None = None) -> ChildRun:
        before = len(self.fake.requests)
        result = run_child(label, self.cmd(profile), timeout=timeout)
        log = self.fake.requests[before:]
        result.requests = len(log)
        result.server_seconds = sum(r.duration for r in log)
        result.extra["statuses"] = _status_counts(log)
        if result.returncode != 0:
            print(f"  !! {label}: exit {result.returncode}\n{result.stderr_tail}", flush=True)
        return result


def _status_counts(log: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in log:
        counts[str(r.status)] = counts.get(str(r.status), 0) + 1
    return counts


def sample_record(tap: Tap, workdir: Path) -> Path:
    """First RECORD line of a tiny run (same stream, same source) as the baseline template."""
    path = workdir / f"template-{tap.stream}.json"
    proc = subprocess.Popen(tap.cmd(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
    assert proc.stdout is not None
    for line in proc.stdout:
        if b'"type":"RECORD"' in line or b'"type": "RECORD"' in line:
            path.write_bytes(line)
            break
    proc.kill()
    proc.wait()
    if not path.exists():
        raise RuntimeError(f"no RECORD from {tap.stream}")
    return path


def run_baseline(template: Path, count: int, nodes: int, interval_minutes: int) -> float:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "baseline.py"),
            str(template),
            str(count),
            "--nodes",
            str(nodes),
            "--interval-minutes",
            str(interval_minutes),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


# -- dates ----------------------------------------------------------------------------------------


def bench_clock() -> tuple[datetime, date]:
    """Fake `now` (today 12:00 EST) and a Monday three weeks back whose weekly 5-min zip is out."""
    today = timeutil.market_today()
    now = timeutil.market_day_start(today) + timedelta(hours=12)
    back = today - timedelta(days=21)
    week = back - timedelta(days=back.weekday())
    return now, week


def span(first: date, days: int) -> dict[str, str]:
    return {
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=days - 1)).isoformat(),
    }


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- profile --------------------------------------------------------------------------------------

PROFILE_FOCUS = (
    "post_process",
    "record_hash",
    "to_record",
    "_write_record_message",
    "write_message",
    "_conform_record",
    "_conform_primitive_property",
    "conform_record_data_types",
    "_validate_record",
    "_generate_record_messages",
    "get_records",
    "_prefetch",
    "parse_lmp_csv",
    "_emit_rows",
    "format_message",
    "serialize_message",
    "fields",
)


def summarize_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Top functions by own time, and cumulative time of the functions that matter here."""
    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "func": f"{_short(filename)}:{line}({func})",
                "name": func,
                "calls": nc,
                "tottime": tt,
                "cumtime": ct,
            }
        )
    by_own = sorted(rows, key=lambda r: r["tottime"], reverse=True)[:top]
    focus: dict[str, float] = {}
    for r in rows:
        if r["name"] in PROFILE_FOCUS:
            focus[r["func"]] = max(focus.get(r["func"], 0.0), r["cumtime"])
    focus_sorted = dict(sorted(focus.items(), key=lambda kv: kv[1], reverse=True))
    text_path = path.with_suffix(".txt")
    with text_path.open("w") as fh:
        pstats.Stats(str(path), stream=fh).sort_stats("tottime").print_stats(40)
        pstats.Stats(str(path), stream=fh).sort_stats("cumulative").print_stats(40)
    return {
        "total_seconds": total,
        "top_own": by_own,
        "focus_cumulative": focus_sorted,
        "text": str(text_path.relative_to(REPO)),
    }


def summarize_py_spy(path: Path, top: int = 20) -> dict[str, Any]:
    """py-spy raw (collapsed) stacks: own samples per leaf function, inclusive per function."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n

    def pct(d: dict[str, int]) -> list[tuple[str, float]]:
        return [(k, 100 * v / total) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return {
        "samples": total,
        "own_pct": pct(own),
        "inclusive_pct": pct(inclusive),
        "file": str(path.relative_to(REPO)),
    }


def _frame(frame: str) -> str:
    """``func (path/file.py:123)`` -> ``func (short/file.py)``: aggregate per function."""
    name, _, where = frame.partition(" (")
    filename = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({_short(filename)})" if filename else name


def _short(filename: str) -> str:
    for marker in ("site-packages/", "tap_miso/", "lib/python3.11/"):
        if marker in filename:
            return (
                filename.split(marker, 1)[1]
                if marker != "tap_miso/"
                else ("tap_miso/" + filename.split("tap_miso/", 1)[1])
            )
    return filename


# -- scenarios ------------------------------------------------------------------------------------


def throughput(
    args: argparse.Namespace,
    workdir: Path,
    results: dict[str, Any],
    quality_off: dict[str, Any] | None,
) -> None:
    now, week = bench_clock()
    cases = [
        (DA, 3, "market_report", 60),
        (RT5, 1, args.rt5_source, 5),
    ]
    out: dict[str, Any] = {}
    for stream, days, source, minutes in cases:
        if args.streams and stream not in args.streams:
            continue
        first = week + timedelta(days=1)
        print(f"[throughput] {stream}: {days} day(s) from {first} via {source}", flush=True)
        with FakeMisoServer(
            node_count=args.nodes,
            now=now,
            dx_page_size=args.rt5_page_size,
            dx_rate_per_minute=100000,
            dx_daily_quota=10**8,
            cache_bytes=THROUGHPUT_CACHE_BYTES,
            cache_streamed=True,
        ) as fake:
            config = {**BULK_LIMITS, **span(first, days), "source_preference": [source]}
            if source == "data_exchange":
                config["pricing_api_key"] = fake.dx_keys["pricing"][0]
            tap = Tap(fake, stream, workdir, **config)
            template = sample_record(tap, workdir)
            cold = tap.run("cold (fills the fake's cache)")
            print(
                f"  cold: {cold.records} records, {cold.wall:.1f}s wall, "
                f"server {cold.server_seconds:.1f}s",
                flush=True,
            )
            runs, baselines = [], []
            for i in range(args.repeats):
                run = tap.run(f"run {i + 1}")
                base = run_baseline(template, run.records or cold.records, args.nodes, minutes)
                runs.append(run)
                baselines.append(base)
                print(
                    f"  run {i + 1}: {run.records} rec, wall {run.wall:.2f}s, cpu "
                    f"{run.cpu:.2f}s, rss {run.max_rss_mb:.0f} MB (with child processes "
                    f"{run.tree_rss_mb:.0f}), server "
                    f"{run.server_seconds:.2f}s, baseline {base:.2f}s",
                    flush=True,
                )
            quality: dict[str, Any] | None = None
            if quality_off is not None and "quality" in args.scenarios:
                qtap = Tap(fake, stream, workdir, **config, **quality_off)
                qruns = [qtap.run(f"quality off {i + 1}") for i in range(args.repeats)]
                quality = {
                    "off_wall": [r.wall for r in qruns],
                    "off_cpu": [r.cpu for r in qruns],
                    "setting": quality_off,
                    "command": qtap.shell_cmd(),
                }
            profile = None
            if args.py_spy:
                spy_path = BENCH_DIR / "profiles" / f"{stream}.pyspy.txt"
                spy_path.parent.mkdir(exist_ok=True)
                srun = run_child(
                    "py-spy",
                    [
                        args.py_spy,
                        "record",
                        "-r",
                        "100",
                        "-f",
                        "raw",
                        "-o",
                        str(spy_path),
                        "--",
                        *tap.cmd(),
                    ],
                    timeout=3600,
                )
                if srun.returncode != 0:
                    print(f"  py-spy exit {srun.returncode}: {srun.stderr_tail[-500:]}", flush=True)
                if spy_path.exists() and spy_path.stat().st_mtime >= time.time() - srun.wall - 5:
                    out.setdefault("_py_spy", {})[stream] = summarize_py_spy(spy_path)
            if args.profile:
                prof_path = BENCH_DIR / "profiles" / f"{stream}.prof"
                prof_path.parent.mkdir(exist_ok=True)
                prun = tap.run("cProfile", profile=str(prof_path))
                if prun.returncode == 0 and prof_path.exists():
                    profile = summarize_profile(prof_path)
                    profile["wall_under_profiler"] = prun.wall
        records = med([r.records for r in runs])
        entry = {
            "days": days,
            "source": source,
            "first_date": first.isoformat(),
            "records": records,
            "expected_records_from_cold": cold.records,
            "cold_wall": cold.wall,
            "cold_server_seconds": cold.server_seconds,
            "wall": [r.wall for r in runs],
            "cpu": [r.cpu for r in runs],
            "rss_mb": [r.max_rss_mb for r in runs],
            "tree_rss_mb": [r.tree_rss_mb for r in runs],
            "server": [r.server_seconds for r in runs],
            "requests": [r.requests for r in runs],
            "baseline": baselines,
            "returncodes": [r.returncode for r in runs],
            "median_wall": med([r.wall for r in runs]),
            "median_cpu": med([r.cpu for r in runs]),
            "median_baseline": med(baselines),
            "records_per_s_wall": records / med([r.wall for r in runs]) if runs else 0,
            "records_per_s_cpu": records / med([r.cpu for r in runs]) if runs else 0,
            "baseline_records_per_s": records / med(baselines) if baselines else 0,
            "ratio_wall_over_baseline": med(
                [r.wall / b for r, b in zip(runs, baselines, strict=False)]
            ),
            "ratio_cpu_over_baseline": med(
                [r.cpu / b for r, b in zip(runs, baselines, strict=False)]
            ),
            "command": tap.shell_cmd(),
            "profile": profile,
        }
        if quality is not None:
            quality["on_wall"] = entry["wall"]
            quality["overhead_wall"] = entry["median_wall"] / med(quality["off_wall"]) - 1
            quality["overhead_cpu"] = entry["median_cpu"] / med(quality["off_cpu"]) - 1
            entry["quality"] = quality
        out[stream] = entry
        print(
            f"  => {entry['records_per_s_wall']:,.0f} rec/s wall, "
            f"{entry['records_per_s_cpu']:,.0f} rec/s cpu, ratio "
            f"{entry['ratio_wall_over_baseline']:.1f}",
            flush=True,
        )
    results["throughput"] = out


def memory(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> None:
    now, week = bench_clock()
    first = week - timedelta(days=7)
    with FakeMisoServer(node_count=args.nodes, now=now) as fake:
        out = peak_rss_by_days(
            fake, DA, workdir, first, (1, args.memory_days), args.repeats,
            note="via market_report", source_preference=["market_report"],
        )
    if args.memory_rt5_days:
        out[RT5] = memory_rt5(args, workdir)
    if args.memory_rt5_mr_days:
        out[RT5_MR] = memory_rt5_keyless(args, workdir)
    if args.memory_da_dx_days:
        out[DA_DX] = memory_da_keyed(args, workdir)
    results["memory"] = out


def memory_da_keyed(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Peak RSS of 1-day vs N-day keyed day-ahead backfills at full size: both price types of
    each date from the Data Exchange in MISO's 5,000-record pages (~13 pages a part)."""
    now, week = bench_clock()
    with FakeMisoServer(
        node_count=args.nodes, now=now, dx_rate_per_minute=100000, dx_daily_quota=10**8
    ) as fake:
        out = peak_rss_by_days(
            fake, DA, workdir, week - timedelta(days=7), (1, args.memory_da_dx_days),
            args.repeats, note=f"via data_exchange, {args.nodes} nodes, page size 5000",
            source_preference=["data_exchange"], pricing_api_key=fake.dx_keys["pricing"][0],
        )
    return {"nodes": args.nodes, **out}


def memory_rt5_keyless(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Peak RSS of 1-day vs N-day keyless 5-minute backfills at full size (the ex-ante xlsx of
    each date plus the weekly final zip), from a Monday so the dates share one weekly zip."""
    now, week = bench_clock()
    first = week - timedelta(days=7)
    first -= timedelta(days=first.weekday())
    with FakeMisoServer(
        node_count=args.nodes, now=now, cache_bytes=THROUGHPUT_CACHE_BYTES, cache_streamed=True
    ) as fake:
        out = peak_rss_by_days(
            fake, RT5, workdir, first, (1, args.memory_rt5_mr_days), args.repeats,
            note=f"via market_report, {args.nodes} nodes", source_preference=["market_report"],
        )
    return {"nodes": args.nodes, **out}


def memory_rt5(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Peak RSS of 1-day vs N-day 5-minute backfills from the Data Exchange (big day, many
    pages: the path that held a day of decoded pages before they were spooled)."""
    now, week = bench_clock()
    nodes = args.memory_rt5_nodes or args.nodes
    with FakeMisoServer(
        node_count=nodes,
        now=now,
        dx_page_size=args.memory_rt5_page_size,
        dx_rate_per_minute=100000,
        dx_daily_quota=10**8,
    ) as fake:
        out = peak_rss_by_days(
            fake, RT5, workdir, week + timedelta(days=1), (1, args.memory_rt5_days),
            args.repeats,
            note=f"via data_exchange, {nodes} nodes, page size {args.memory_rt5_page_size}",
            source_preference=["data_exchange"], pricing_api_key=fake.dx_keys["pricing"][0],
        )
    return {"nodes": nodes, "page_size": args.memory_rt5_page_size, **out}


def peak_rss_by_days(fake: FakeMisoServer, stream: str, workdir: Path, first: date,
                     spans: tuple[int, int], repeats: int, *, note: str,
                     **config: Any) -> dict[str, Any]:
    """Median peak RSS of ``repeats`` runs of ``stream`` for each number of days in ``spans``,
    and the ratio of the longer span's median to the shorter one's.

    The tap's peak RSS depends on how fast the fake answers (a page the fake has cached comes
    back at once, so more of a date is in flight): an untimed run of the longest span first
    warms every date, then the spans' runs alternate, so both are measured against a warm fake.
    """
    out: dict[str, Any] = {}
    taps = {days: Tap(fake, stream, workdir, **BULK_LIMITS, **span(first, days), **config)
            for days in spans}
    print(f"[memory] {stream}: warm-up run of {max(spans)} days from {first} {note}", flush=True)
    taps[max(spans)].run("warm-up")
    runs_by_days: dict[int, list[Any]] = {days: [] for days in spans}
    for i in range(repeats):
        for days in spans:
            runs_by_days[days].append(taps[days].run(f"{days}d run {i + 1}"))
    for days in spans:
        tap, runs = taps[days], runs_by_days[days]
        print(f"[memory] {stream}: {days} day(s) from {first} {note}", flush=True)
        for r in runs:
            print(f"  {r.label}: rss {r.max_rss_mb:.0f} MB (with child processes "
                  f"{r.tree_rss_mb:.0f}), {r.records} rec, wall {r.wall:.1f}s"
                  f", {r.requests} calls", flush=True)
        out[f"{days}d"] = {
            "rss_mb": [r.max_rss_mb for r in runs],
            "median_rss_mb": med([r.max_rss_mb for r in runs]),
            "tree_rss_mb": [r.tree_rss_mb for r in runs],
            "median_tree_rss_mb": med([r.tree_rss_mb for r in runs]),
            "records": med([r.records for r in runs]),
            "wall": [r.wall for r in runs],
            "command": tap.shell_cmd(),
        }
    one, many = out[f"{spans[0]}d"]["median_rss_mb"], out[f"{spans[1]}d"]["median_rss_mb"]
    out["ratio"] = many / one
    print(f"  => {stream}: {spans[0]}d {one:.0f} MB, {spans[1]}d {many:.0f} MB, "
          f"ratio {many / one:.2f}", flush=True)
    return out


def ratelimit(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> None:
    now, week = bench_clock()
    first = week - timedelta(days=14)
    nodes = args.rl_nodes or args.nodes
    per_part = nodes * 24
    pages_per_day = 2 * math.ceil(per_part / args.rl_page_size)
    days = max(1, math.ceil(args.rl_min_calls / pages_per_day))
    print(
        f"[ratelimit] {DA}: {days} day(s) from {first} via data_exchange, page size "
        f"{args.rl_page_size} ({pages_per_day} pages/day), latency {args.rl_latency}s, "
        f"{args.rl_rate}/min",
        flush=True,
    )
    out: dict[str, Any] = {
        "days": days,
        "nodes": nodes,
        "page_size": args.rl_page_size,
        "latency": args.rl_latency,
        "rate_per_minute": args.rl_rate,
        "runs": {},
    }
    variants = [("concurrent", args.rl_concurrency)]
    if args.rl_sequential:
        variants.append(("sequential", 1))
    with FakeMisoServer(
        node_count=nodes,
        now=now,
        dx_page_size=args.rl_page_size,
        dx_rate_per_minute=args.rl_rate,
        dx_daily_quota=10**7,
    ) as fake:
        # Fill the fake's page cache first (no latency), so runs measure waiting, not generation.
        warm = Tap(
            fake,
            DA,
            workdir,
            **BULK_LIMITS,
            **span(first, days),
            source_preference=["data_exchange"],
            pricing_api_key=fake.dx_keys["pricing"][0],
        )
        print("  warming the fake's page cache (no latency) ...", flush=True)
        warm.run("warm-up")
        fake.inject(r"^/pricing/", "latency", times=None, seconds=args.rl_latency)
        for name, concurrency in variants:
            tap = Tap(
                fake,
                DA,
                workdir,
                **BULK_LIMITS,
                **span(first, days),
                source_preference=["data_exchange"],
                max_concurrent_requests=concurrency,
                pricing_api_key=fake.dx_keys["pricing"][0],
            )
            runs = []
            for i in range(args.rl_repeats):
                fake.reset_limits()  # the fake's window starts empty; the tap is a new process
                fake.reset_log()
                started = time.monotonic()  # the fake logs request times on this clock
                run = tap.run(f"{name} {i + 1}", timeout=3600)
                ended = time.monotonic()
                log = fake.requests
                dx_log = [r for r in log if r.path.startswith("/pricing/")]
                calls = len(dx_log)
                # First request sent -> last response: how long fetching took, vs the whole run.
                fetch_span = (
                    max(r.time + r.duration for r in dx_log) - min(r.time for r in dx_log)
                    if dx_log
                    else 0.0
                )
                n429 = len([r for r in log if r.status == 429])
                bound = calls / args.rl_rate * 60
                # Minimum for a sliding 60 s window that admits a burst: the last window's
                # calls start at 60*floor((calls-1)/rate) s and take one latency.
                burst_floor = 60 * ((calls - 1) // args.rl_rate) + args.rl_latency
                runs.append(
                    {
                        "wall": run.wall,
                        "calls": calls,
                        "429s": n429,
                        "fetch_span_seconds": fetch_span,
                        "cpu": run.cpu,
                        "bound_seconds": bound,
                        "burst_floor_seconds": burst_floor,
                        "wall_over_bound": run.wall / bound,
                        "records": run.records,
                        "returncode": run.returncode,
                        "statuses": run.extra["statuses"],
                        "breakdown": wall_breakdown(dx_log, started, ended, args.rl_rate,
                                                    concurrency),
                    }
                )
                print(
                    f"  {name} {i + 1}: wall {run.wall:.1f}s, {calls} calls, bound "
                    f"{bound:.1f}s ({run.wall / bound:.2f}x), 429s {n429}, "
                    f"{run.records} rec, fetch span {fetch_span:.1f}s, cpu {run.cpu:.1f}s",
                    flush=True,
                )
                print(f"    breakdown: {runs[-1]['breakdown']}", flush=True)
            out["runs"][name] = {
                "concurrency": concurrency,
                "runs": runs,
                "median_wall": med([r["wall"] for r in runs]),
                "median_wall_over_bound": med([r["wall_over_bound"] for r in runs]),
                "command": tap.shell_cmd(),
            }
    if "sequential" in out["runs"]:
        out["sequential_over_concurrent"] = (
            out["runs"]["sequential"]["median_wall"] / out["runs"]["concurrent"]["median_wall"]
        )
    results["ratelimit"] = out


def wall_breakdown(dx_log: list, started: float, ended: float, rate: float,
                   concurrency: int) -> dict[str, float]:
    """Where a rate-limited run's wall goes (seconds): start-up before the first call; the call
    spacing above ``60 / rate`` per call; the last call's latency; the tail after its response.
    Also how long fewer than ``concurrency`` calls were in flight while fetching."""
    if not dx_log:
        return {}
    arrivals = sorted(r.time for r in dx_log)
    last = max(dx_log, key=lambda r: r.time + r.duration)
    spacing = 60.0 / rate
    events = sorted([(r.time, 1) for r in dx_log] + [(r.time + r.duration, -1) for r in dx_log])
    short = 0.0
    inflight, prev = 0, events[0][0]
    for t, delta in events:
        if inflight < concurrency:
            short += t - prev
        inflight += delta
        prev = t
    # Client turnaround: previous page's response sent -> next page of the same walk arrives
    # (reading and spooling the body, limiter wait, semaphore wait).
    by_walk: dict[tuple, list] = {}
    for r in dx_log:
        query = {k: v for k, v in r.query.items() if k != "pageNumber"}
        by_walk.setdefault((r.path, tuple(sorted(query.items()))), []).append(r)
    turns = [b.time - (a.time + a.duration)
             for walk in by_walk.values()
             for a, b in itertools.pairwise(sorted(walk, key=lambda r: r.time))]
    return {
        "turnaround_median": round(statistics.median(turns), 3) if turns else 0.0,
        "turnaround_max": round(max(turns), 3) if turns else 0.0,
        "latency_median": round(statistics.median(r.duration for r in dx_log), 3),
        "startup": round(arrivals[0] - started, 2),
        "pacing_ideal": round((len(arrivals) - 1) * spacing, 2),
        "pacing_extra": round(arrivals[-1] - arrivals[0] - (len(arrivals) - 1) * spacing, 2),
        "gaps_over_spacing": round(sum(max(0.0, b - a - spacing)
                                       for a, b in itertools.pairwise(arrivals)), 2),
        "last_latency": round(last.time + last.duration - arrivals[-1], 2),
        "tail": round(ended - (last.time + last.duration), 2),
        "under_concurrency": round(short, 2),
    }


def detect_quality_switch(explicit: str | None) -> dict[str, Any] | None:
    """Config that switches quality checks off: explicit, or a boolean setting named like one."""
    if explicit:
        return json.loads(explicit)
    try:
        from tap_miso.settings import CONFIG_SCHEMA
    except Exception:
        return None
    props = CONFIG_SCHEMA.get("properties", {})
    for name in QUALITY_CANDIDATES:
        if name in props:
            return {name: False}
    return None


# -- report ---------------------------------------------------------------------------------------


def machine_notes() -> dict[str, Any]:
    load = os.getloadavg()
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "started": datetime.now().isoformat(timespec="seconds"),
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Command: `{results['command']}`",
        "",
        f"Machine: {json.dumps(results['machine'])}",
        "",
    ]
    tp_all = results.get("throughput") or {}
    spy = tp_all.get("_py_spy") or {}
    tp = {k: v for k, v in tp_all.items() if not k.startswith("_")}
    if tp:
        lines += [
            "### Throughput (medians)",
            "",
            "| stream | days | source | records | tap wall s | rec/s wall | tap CPU s | "
            "rec/s CPU | baseline s | wall/baseline | CPU/baseline | peak RSS MB | "
            "with child processes MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for stream, e in tp.items():
            lines.append(
                f"| {stream} | {e['days']} | {e['source']} | {e['records']:,.0f} | "
                f"{e['median_wall']:.2f} | {e['records_per_s_wall']:,.0f} | {e['median_cpu']:.2f} "
                f"| {e['records_per_s_cpu']:,.0f} | {e['median_baseline']:.2f} | "
                f"{e['ratio_wall_over_baseline']:.1f} | {e['ratio_cpu_over_baseline']:.1f} | "
                f"{med(e['rss_mb']):.0f} | {med(e.get('tree_rss_mb') or [0]):.0f} |"
            )
        lines.append("")
        for stream, e in tp.items():
            lines.append(
                f"- {stream}: walls {_fmt(e['wall'])}; CPU {_fmt(e['cpu'])}; baselines "
                f"{_fmt(e['baseline'])}; server time per run {_fmt(e['server'])}; cold "
                f"run {e['cold_wall']:.1f}s (server {e['cold_server_seconds']:.1f}s)"
            )
            q = e.get("quality")
            if q:
                off_cpu = med(q["off_cpu"])
                lines.append(
                    f"- {stream} quality checks off ({json.dumps(q['setting'])}): CPU "
                    f"{_fmt(q['off_cpu'])}, median {off_cpu:.2f}s = "
                    f"{e['records'] / off_cpu:,.0f} rec/s CPU; overhead of the checks "
                    f"{q['overhead_cpu']:+.0%} CPU, {q['overhead_wall']:+.0%} wall"
                )
        lines.append("")
        for stream, e in tp.items():
            p = e.get("profile")
            if not p:
                continue
            lines += [
                f"#### Profile {stream} (cProfile, main thread, "
                f"{p['wall_under_profiler']:.1f}s under profiler; {p['text']})",
                "",
                "| own time s | calls | function |",
                "|---|---|---|",
            ]
            for r in p["top_own"][:15]:
                lines.append(f"| {r['tottime']:.2f} | {r['calls']:,} | `{r['func']}` |")
            lines += ["", "Cumulative time of selected functions:", ""]
            for func, ct in list(p["focus_cumulative"].items())[:14]:
                lines.append(f"- `{func}`: {ct:.2f}s")
            lines.append("")
    for stream, p in spy.items():
        lines += [
            f"#### py-spy {stream} ({p['samples']} samples, all threads; {p['file']})",
            "",
            "Own time (leaf frame):",
            "",
        ]
        lines += [f"- {pct:.1f}% `{func}`" for func, pct in p["own_pct"][:15]]
        lines += ["", "Inclusive:", ""]
        lines += [f"- {pct:.1f}% `{func}`" for func, pct in p["inclusive_pct"][:20]]
        lines.append("")
    mem = results.get("memory")
    if mem:
        lines += ["### Memory (peak RSS, medians)", ""]
        rt5, keyless, keyed = mem.get(RT5), mem.get(RT5_MR), mem.get(DA_DX)
        for key, e in mem.items():
            if key not in ("ratio", RT5, RT5_MR, DA_DX):
                lines.append(
                    f"- {key}: {e['median_rss_mb']:.0f} MB (runs {_fmt(e['rss_mb'])}), "
                    f"{e['records']:,.0f} records"
                )
        lines += [f"- ratio: {mem['ratio']:.2f}", ""]
        titles = []
        if rt5:
            titles.append((rt5, f"{RT5} from the Data Exchange ({rt5['nodes']} nodes, page size "
                                f"{rt5['page_size']}):"))
        if keyless:
            titles.append((keyless, f"{RT5} from Market Reports ({keyless['nodes']} nodes):"))
        if keyed:
            titles.append((keyed, f"{DA} from the Data Exchange ({keyed['nodes']} nodes, page "
                                  "size 5000):"))
        for case, title in titles:
            lines += [title, ""]
            for key, e in case.items():
                if isinstance(e, dict):
                    tree = e.get("median_tree_rss_mb") or 0
                    lines.append(
                        f"- {key}: {e['median_rss_mb']:.0f} MB (runs {_fmt(e['rss_mb'])}), "
                        f"{e['records']:,.0f} records"
                        + (f"; with child processes {tree:.0f} MB (runs "
                           f"{_fmt(e['tree_rss_mb'])})" if tree > e["median_rss_mb"] + 1 else "")
                    )
            lines += [f"- ratio: {case['ratio']:.2f}", ""]
    rl = results.get("ratelimit")
    if rl:
        lines += [
            f"### Rate-limited backfill ({rl['days']} days, {rl.get('nodes', '?')} nodes, "
            f"page size {rl['page_size']}, "
            f"{rl['latency']}s latency, {rl['rate_per_minute']}/min)",
            "",
        ]
        for name, e in rl["runs"].items():
            for r in e["runs"]:
                lines.append(
                    f"- {name} (max_concurrent_requests {e['concurrency']}): wall "
                    f"{r['wall']:.1f}s, {r['calls']} calls, bound {r['bound_seconds']:.1f}s"
                    f" -> {r['wall_over_bound']:.2f}x bound; fetch span "
                    f"{r.get('fetch_span_seconds', float('nan')):.1f}s; tap CPU "
                    f"{r.get('cpu', float('nan')):.1f}s; 429s {r['429s']}; "
                    f"statuses {r['statuses']}"
                )
        if "sequential_over_concurrent" in rl:
            lines.append(f"- sequential / concurrent: {rl['sequential_over_concurrent']:.2f}x")
        lines.append("")
    q = results.get("quality")
    if q:
        lines += ["### Quality checks", "", f"- {q}", ""]
    return "\n".join(lines)


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark tap-miso against the fake MISO server (issue 7).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Scenarios:", 1)[1].join(["Scenarios:", ""]),
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma list of {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--streams", default="", help=f"throughput streams ({DA},{RT5})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--nodes", type=int, default=2612, help="CPNodes in the fake roster")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke check: 120 nodes, 1 repeat, 0.2 s latency, ~40 DX calls",
    )
    parser.add_argument(
        "--rt5-source",
        default="data_exchange",
        choices=["data_exchange", "market_report"],
        help="source of lmp_real_time_5min (default: data_exchange with big "
        "pages; market_report: the day's 750k-row workbook and the 5.3M-row weekly zip, "
        "built by the fake in the cold run and served from its memory after)",
    )
    parser.add_argument(
        "--rt5-page-size",
        type=int,
        default=100000,
        help="fake DX page size for the throughput runs",
    )
    parser.add_argument("--memory-days", type=int, default=7)
    parser.add_argument(
        "--memory-rt5-days",
        type=int,
        default=7,
        help="lmp_real_time_5min memory case from the Data Exchange: 1 day vs this many "
        "(0 skips it)",
    )
    parser.add_argument(
        "--memory-rt5-nodes",
        type=int,
        default=300,
        help="fake roster for the 5-minute memory case (0: --nodes; full size is 750k "
        "records a day)",
    )
    parser.add_argument("--memory-rt5-page-size", type=int, default=5000)
    parser.add_argument(
        "--memory-rt5-mr-days",
        type=int,
        default=0,
        help="keyless lmp_real_time_5min memory case (Market Reports, --nodes): 1 day vs this "
        "many, at most 7 (one weekly zip; ~4 min a 7-day run; 0 skips it, the default)",
    )
    parser.add_argument(
        "--memory-da-dx-days",
        type=int,
        default=7,
        help="keyed lmp_day_ahead_hourly memory case (Data Exchange, --nodes): 1 day vs this "
        "many (0 skips it)",
    )
    parser.add_argument(
        "--rl-repeats",
        type=int,
        default=1,
        help="repetitions of the rate-limited scenario (>= 2 min + ~7 min each)",
    )
    parser.add_argument("--rl-latency", type=float, default=2.0)
    parser.add_argument("--rl-rate", type=int, default=100)
    parser.add_argument("--rl-page-size", type=int, default=5000)
    parser.add_argument(
        "--rl-nodes",
        type=int,
        default=0,
        help="fake roster for the rate-limited scenario (default: --nodes); "
        "fewer nodes with smaller pages = same calls, less record work",
    )
    parser.add_argument("--rl-min-calls", type=int, default=200)
    parser.add_argument("--rl-concurrency", type=int, default=4)
    parser.add_argument(
        "--no-rl-sequential",
        dest="rl_sequential",
        action="store_false",
        help="skip the sequential (max_concurrent_requests 1) comparison",
    )
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="py-spy binary: one extra sampled run "
        "per throughput stream, all threads (pip download py-spy)",
    )
    parser.add_argument(
        "--quality-off",
        help="config that switches quality checks off, e.g. "
        "'{\"quality_checks\": false}' (default: auto-detect)",
    )
    parser.add_argument("--json", default=str(BENCH_DIR / "results.json"))
    parser.add_argument("--markdown", default=str(BENCH_DIR / "results.md"))
    args = parser.parse_args(argv)
    if not 0 <= args.memory_rt5_mr_days <= 7:
        parser.error("--memory-rt5-mr-days must be 0..7 (the dates of one weekly zip)")
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}")
    args.streams = [s for s in args.streams.split(",") if s]
    if args.quick:
        args.nodes = min(args.nodes, 120)
        args.repeats = 1
        args.rl_latency = 0.2
        args.rl_page_size = 300
        args.rl_min_calls = 40
        args.rt5_page_size = 20000
        args.memory_rt5_nodes = min(args.memory_rt5_nodes or args.nodes, 60)
        args.memory_rt5_days = min(args.memory_rt5_days, 2)
        args.memory_da_dx_days = min(args.memory_da_dx_days, 2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tap-miso-bench-"))
    results: dict[str, Any] = {
        "command": " ".join(["python", "bench/run_bench.py", *(argv or sys.argv[1:])]),
        "machine": machine_notes(),
        "args": {k: v for k, v in vars(args).items()},
    }
    started = time.perf_counter()
    quality_off = detect_quality_switch(args.quality_off) if "quality" in args.scenarios else None
    if "quality" in args.scenarios and quality_off is None:
        results["quality"] = {
            "status": "pending: the tap has no switch for quality checks yet "
            "(on_invalid_record flag/drop/fail only changes what happens to flagged "
            "records, and the fake's data has none); see the post_process / "
            "record_hash cumulative times in the throughput profile"
        }
        if "throughput" not in args.scenarios:
            args.scenarios.append("throughput")
    if "throughput" in args.scenarios:
        throughput(args, workdir, results, quality_off)
    if "memory" in args.scenarios:
        memory(args, workdir, results)
    if "ratelimit" in args.scenarios:
        ratelimit(args, workdir, results)
    results["total_seconds"] = time.perf_counter() - started
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    report = markdown(results)
    Path(args.markdown).write_text(report + "\n")
    print("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""kill -9 the tap in the middle of a multi-day `meltano run` backfill into PostgreSQL, run
again: the union of landed rows equals a clean single run (no loss; re-sent rows are upserts of
the same key with the same record_hash)."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import Meltano, fake_env, report_dates

DA = "lmp_day_ahead_hourly"
KEY = "node, interval_start_utc, price_type"
TODAY = timeutil.market_today()
FIRST, LAST = TODAY - timedelta(days=16), TODAY - timedelta(days=11)
STATE_ID = "e2e:tap-miso-to-target-postgres"


def landed(postgres, schema: str) -> dict[tuple, str]:
    rows = postgres.query(f"SELECT node, interval_start_utc::text AS t, price_type, record_hash "
                          f"FROM {schema}.{DA}")
    return {(r["node"], r["t"], r["price_type"]): r["record_hash"] for r in rows}


def children(pid: int) -> list[int]:
    """Descendants of ``pid`` (walks /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, ppid in parents.items() if ppid == current]
        found += kids
        frontier += kids
    return found


def tap_process(meltano_pid: int) -> int | None:
    for pid in children(meltano_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"/bin/tap-miso") for arg in argv) and b"--config" in argv:
            return pid
    return None


def test_killed_backfill_resumes_without_losing_a_row(meltano_installed, postgres, tmp_path):
    with FakeMisoServer(node_count=12) as fake:
        env = fake_env(fake, FIRST, LAST, select=[DA], max_concurrent_requests=1)
        clean = Meltano(tmp_path / "clean", postgres.env("kill_clean"))
        result = clean("run", "tap-miso", "target-postgres", env=env)
        assert result.returncode == 0, result.output[-4000:]
        expected = landed(postgres, "kill_clean")
        days = (LAST - FIRST).days + 1
        assert len(expected) == sum(len(fake.data.nodes_on(FIRST + timedelta(days=n))) * 48
                                    for n in range(days))

        # Slow every report down so the kill lands in the middle of the backfill.
        fake.inject(r"/marketreports/", "latency", times=None, seconds=0.4)
        fake.reset_log()
        meltano = Meltano(tmp_path / "killed", postgres.env("kill_resume"))
        proc = meltano.popen("run", "tap-miso", "target-postgres", env=env)
        try:
            deadline = time.monotonic() + 120
            while len(report_dates(fake)) < 4:  # a few dates complete, the next under way
                assert proc.poll() is None, "meltano ended before the kill"
                assert time.monotonic() < deadline
                time.sleep(0.05)
            tap = tap_process(proc.pid)
            assert tap is not None
            os.kill(tap, signal.SIGKILL)
            assert proc.wait(timeout=120) != 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        output = (meltano.workdir / "popen.log").read_text()
        assert "Extractor failed" in output or "tap-miso" in output
        partial = landed(postgres, "kill_resume") if postgres.query(
            "SELECT 1 AS x FROM information_schema.tables "
            f"WHERE table_schema = 'kill_resume' AND table_name = '{DA}'") else {}
        assert len(partial) < len(expected), "the kill must land before the backfill finished"
        for key, record_hash in partial.items():
            assert expected[key] == record_hash
        state = meltano.state(STATE_ID)
        assert state is not None, "the target drained and Meltano kept its last state"
        bookmark = state["singer_state"]["bookmarks"][DA]["replication_key_value"]
        assert bookmark < f"{LAST}"
        resume_from = timeutil.market_date_of(
            timeutil.parse_utc(bookmark) - timedelta(days=1))  # day-ahead lookback: 1 day
        assert resume_from > FIRST

        fake.clear_faults()
        fake.reset_log()
        resumed = meltano("run", "tap-miso", "target-postgres", env=env)
        assert resumed.returncode == 0, resumed.output[-4000:]
        # resumed from the saved state (bookmark - lookback), not from start_date
        assert min(report_dates(fake)) == resume_from
        assert landed(postgres, "kill_resume") == expected
        dupes = postgres.query(f"SELECT {KEY} FROM kill_resume.{DA} GROUP BY {KEY} "
                               "HAVING count(*) > 1")
        assert dupes == []

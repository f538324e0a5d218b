"""kill -9 the tap in the middle of a multi-day backfill, resume from its last STATE: no loss."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import timedelta

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import catalog_for, fake_config, run_tap, write_json

DA = "lmp_day_ahead_hourly"
KEY = ("node", "interval_start_utc", "price_type")


def test_killed_backfill_resumes_without_losing_a_record():
    today = timeutil.market_today()
    first, last = today - timedelta(days=8), today - timedelta(days=3)
    with FakeMisoServer(node_count=30) as fake:
        # Slow each report down so the kill lands mid-backfill, not after it.
        fake.inject(r"/marketreports/", "latency", times=None, seconds=0.4)
        config = fake_config(fake, start_date=str(first), end_date=str(last),
                             max_concurrent_requests=1)
        full = run_tap(config, streams=[DA])
        assert full.returncode == 0, full.stderr[-2000:]
        expected = {tuple(r[k] for k in KEY): r["record_hash"] for r in full.records(DA)}

        cmd = [sys.executable, "-m", "tap_miso.tap", "--config", write_json(config),
               "--catalog", write_json(catalog_for([DA], config))]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        seen: dict[tuple, str] = {}
        last_state = None
        states = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD":
                r = message["record"]
                seen[tuple(r[k] for k in KEY)] = r["record_hash"]
            elif message["type"] == "STATE":
                last_state, states = message["value"], states + 1
                if states == 3:  # two market dates complete, the third under way
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert last_state is not None
        assert len(seen) < len(expected), "the kill must land before the backfill finished"

        resumed = run_tap(config, streams=[DA], state=last_state)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        bookmark = last_state["bookmarks"][DA]["replication_key_value"]
        resumed_records = resumed.records(DA)
        assert min(r["interval_start_utc"] for r in resumed_records) <= bookmark
        for r in resumed_records:
            seen[tuple(r[k] for k in KEY)] = r["record_hash"]

        assert seen == expected  # every record, with the same hash: nothing lost or altered

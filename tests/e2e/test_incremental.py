"""Incremental under Meltano: the second `meltano run` re-reads only bookmark - lookback_days."""

from __future__ import annotations

from datetime import datetime, timedelta

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import Meltano, fake_env, read_jsonl, report_dates

DA = "lmp_day_ahead_hourly"
TODAY = timeutil.market_today()
D1, D2, D3, D4 = (TODAY - timedelta(days=n) for n in (10, 9, 8, 7))
STATE_ID = "e2e:tap-miso-to-target-jsonl"


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_second_run_fetches_only_the_lookback_window(meltano_installed, tmp_path):
    with FakeMisoServer(node_count=12) as fake:
        first_out, second_out = tmp_path / "first", tmp_path / "second"
        meltano = Meltano(tmp_path)
        first = meltano("run", "tap-miso", "target-jsonl",
                        env={**fake_env(fake, D1, D3, select=[DA]),
                             "TARGET_JSONL_DESTINATION_PATH": str(first_out)})
        assert first.returncode == 0, first.output[-4000:]
        assert report_dates(fake) == {D1, D2, D3}
        state = meltano.state(STATE_ID)
        assert state is not None
        bookmark = state["singer_state"]["bookmarks"][DA]["replication_key_value"]
        assert bookmark.startswith(str(D4))  # D3 hour ending 24 starts D4 04:00Z

        fake.reset_log()
        second = meltano("run", "tap-miso", "target-jsonl",
                         env={**fake_env(fake, D1, D4, select=[DA]),
                              "TARGET_JSONL_DESTINATION_PATH": str(second_out)})
        assert second.returncode == 0, second.output[-4000:]
        # Day-ahead lookback is 1 day: bookmark - 1 day falls on D2 (EST); D1 is not re-read.
        assert report_dates(fake) == {D2, D3, D4}
        records = read_jsonl(second_out, DA)
        floor = utc(bookmark) - timedelta(days=1)
        assert records and min(utc(r["interval_start_utc"]) for r in records) >= floor
        assert {r["market_date"] for r in records} >= {str(D3), str(D4)}
        # D4 is new: every one of its records arrived exactly once.
        d4 = [r for r in records if r["market_date"] == str(D4)]
        assert len(d4) == len(fake.data.nodes_on(D4)) * 24 * 2
        # and what was re-read is identical to the first run (same key, same record_hash)
        before = {(r["node"], r["interval_start_utc"], r["price_type"]): r["record_hash"]
                  for r in read_jsonl(first_out, DA)}
        for r in records:
            key = (r["node"], r["interval_start_utc"], r["price_type"])
            if key in before:
                assert before[key] == r["record_hash"]

"""A source that fails hard fails `meltano run` with the tap's clear message; the state Meltano
saved lets the next run continue from the last complete market date."""

from __future__ import annotations

from datetime import datetime, timedelta

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import Meltano, fake_env, read_jsonl, report_dates

DA = "lmp_day_ahead_hourly"
KEY = ("node", "interval_start_utc", "price_type")
TODAY = timeutil.market_today()
D0, D1, D2, D3 = (TODAY - timedelta(days=n) for n in (13, 12, 11, 10))
STATE_ID = "e2e:tap-miso-to-target-jsonl"


def test_hard_failure_then_continue_from_last_complete_date(meltano_installed, tmp_path):
    with FakeMisoServer(node_count=12) as fake:
        out = tmp_path / "out"
        meltano = Meltano(tmp_path, {"TARGET_JSONL_DESTINATION_PATH": str(out)})
        env = fake_env(fake, D0, D3, select=[DA], lookback_days=0, max_retries=0)
        fake.inject(rf"/marketreports/{D2:%Y%m%d}_da_expost_lmp.csv", "html200", times=None)

        failed = meltano("run", "tap-miso", "target-jsonl", env=env)
        assert failed.returncode != 0
        message = [ln for ln in failed.output.splitlines() if "Run failed" in ln]
        assert len(message) == 1, failed.output[-4000:]
        assert f"{DA}: no source could serve market date {D2}" in message[0]
        assert "Traceback" not in "\n".join(
            ln for ln in failed.output.splitlines() if "tap-miso" in ln)
        assert "Extractor failed" in failed.output

        state = meltano.state(STATE_ID)
        assert state is not None, "Meltano must keep the state the target emitted"
        bookmark = state["singer_state"]["bookmarks"][DA]["replication_key_value"]
        last_complete = datetime.fromisoformat(bookmark.replace("Z", "+00:00"))
        assert timeutil.market_date_of(last_complete) == D1  # D1 complete, D2 failed
        landed = read_jsonl(out, DA)
        assert {r["market_date"] for r in landed} == {str(D0), str(D1)}

        fake.clear_faults()
        fake.reset_log()
        resumed = meltano("run", "tap-miso", "target-jsonl", env=env)
        assert resumed.returncode == 0, resumed.output[-4000:]
        assert D0 not in report_dates(fake)  # continued, not started over
        assert {D2, D3} <= report_dates(fake)

        full_out = tmp_path / "full"
        clean = Meltano(tmp_path / "clean", {"TARGET_JSONL_DESTINATION_PATH": str(full_out)})
        assert clean("run", "tap-miso", "target-jsonl", env=env).returncode == 0
        union = {tuple(r[k] for k in KEY): r["record_hash"] for r in read_jsonl(out, DA)}
        expected = {tuple(r[k] for k in KEY): r["record_hash"] for r in read_jsonl(full_out, DA)}
        assert union == expected

"""The batch record loop (``MisoStream._sync_records``) writes what the SDK's loop writes.

Each case runs the real tap twice against the fake MISO server: once with the batch loop and
once with it switched off (the SDK's record-at-a-time loop), both with a tiny batch size and a
tiny ``STATE_MSG_FREQUENCY`` so batches split at every kind of boundary. The messages must be
the same, in the same order (RECORD and STATE interleaving included), but for
``time_extracted``. A case also checks that it ran the batch loop at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
import requests

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import catalog_for, fake_config, write_json

DA = "lmp_day_ahead_hourly"
RT = "lmp_real_time_hourly"
TODAY = timeutil.market_today()
D1, D2 = TODAY - timedelta(days=3), TODAY - timedelta(days=2)

#: Runs the tap with small batches and state frequency; argv[1] = "batch" or "sdk".
RUNNER = """
import sys
import tap_miso.streams.base as base
from tap_miso.tap import TapMiso
mode = sys.argv.pop(1)
base.BATCH_SIZE = 7
base.MisoStream.STATE_MSG_FREQUENCY = 50
original = base.MisoStream._batch_sync_applies
def applies(self, *args):
    used = mode == "batch" and original(self, *args)
    if used:
        sys.stderr.write("BATCH-LOOP-USED\\n")
    return used
base.MisoStream._batch_sync_applies = applies
TapMiso.cli()
"""


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=12) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.reset_log()
    fake.reset_limits()
    yield


def run(mode: str, config: dict, streams: list[str]) -> tuple[int, list[dict], str]:
    cmd = [
        sys.executable, "-c", RUNNER, mode,
        "--config", write_json(config), "--catalog", write_json(catalog_for(streams, config)),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    messages = []
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        message.pop("time_extracted", None)
        if message["type"] == "STATE":
            for bookmark in message["value"].get("bookmarks", {}).values():
                bookmark.pop("replication_key_signpost", None)
        messages.append(message)
    return proc.returncode, messages, proc.stderr


def same_both_ways(config: dict, streams: list[str]) -> tuple[int, list[dict], str]:
    rc_batch, batch, err_batch = run("batch", config, streams)
    rc_sdk, sdk, err_sdk = run("sdk", config, streams)
    assert "BATCH-LOOP-USED" in err_batch
    assert "BATCH-LOOP-USED" not in err_sdk
    assert rc_batch == rc_sdk, (err_batch[-1500:], err_sdk[-1500:])
    assert [m["type"] for m in batch] == [m["type"] for m in sdk]
    assert batch == sdk
    return rc_batch, batch, err_batch


def test_two_days_with_states_inside_batches(fake):
    config = fake_config(fake, start_date=str(D1), end_date=str(D2))
    rc, messages, err = same_both_ways(config, [DA])
    assert rc == 0, err[-2000:]
    records = [m for m in messages if m["type"] == "RECORD"]
    states = [m for m in messages if m["type"] == "STATE"]
    assert len(records) == 12 * 24 * 2 * 2
    # every 50 records, each date boundary and the end: far more than one STATE
    assert len(states) >= len(records) // 50


def test_revisions_and_a_stream_map_alias(fake):
    old = TODAY - timedelta(days=9)  # final data by now: each date's first record marks it
    config = fake_config(
        fake, start_date=str(old), end_date=str(old + timedelta(days=1)),
        stream_maps={RT: {"__alias__": "rt_alias"}},
    )
    rc, messages, err = same_both_ways(config, [RT])
    assert rc == 0, err[-2000:]
    streams = {m["stream"] for m in messages if m["type"] == "RECORD"}
    assert streams == {"rt_alias"}
    final_dates = messages[-1]["value"]["bookmarks"][RT].get("final_dates")
    assert final_dates == [str(old), str(old + timedelta(days=1))]


def _corrupt(fake, day, node: str) -> None:
    """Serve ``day``'s ex-post CSV with ``node``'s first hour LMP unreadable."""
    report = f"{day:%Y%m%d}_da_expost_lmp.csv"
    body = requests.get(f"{fake.market_reports_url}/{report}", timeout=30).text
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"{node},") and ",LMP," in line:
            cells = line.split(",")
            cells[3] = "abc"
            lines[i] = ",".join(cells)
            break
    else:
        raise AssertionError("node row not found")
    fake.inject(rf"/marketreports/{report}", "status", times=None, code=200,
                body="\n".join(lines))


@pytest.mark.parametrize("policy", ["flag", "drop", "fail"])
def test_invalid_record_policies(fake, policy):
    _corrupt(fake, D2, "MINN.HUB")
    config = fake_config(fake, start_date=str(D1), end_date=str(D2), on_invalid_record=policy)
    rc, messages, err = same_both_ways(config, [DA])
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    if policy == "fail":
        assert rc == 1
        assert "invalid record on market date" in err
        # D1 complete and D2's records before the bad one still went out, as one at a time
        assert len(records) > 12 * 48
    else:
        assert rc == 0, err[-2000:]
        expected = 12 * 48 * 2 - (policy == "drop")
        assert len(records) == expected

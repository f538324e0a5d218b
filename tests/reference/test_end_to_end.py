"""The tap against the fake MISO/EIA servers, piped into tap-miso-reference, twice: once
before the Sep 1 2026 node model (and EIA months up to August), then incrementally to today."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import catalog_for, fake_config, run_tap, write_json
from tests.reference.singer import rows

T1, T2 = "2026-09-01T12:00:00Z", "2026-11-27T12:00:00Z"
STREAMS = ["nodes", "generators"]


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=40) as server:
        yield server


def newest_by_key(records: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in records:
        key = f"{r['plant_id']}/{r['generator_id']}"
        if key not in out or r["period"] >= out[key]["period"]:
            out[key] = r
    return out


def test_two_model_dates_through_the_command(fake, tmp_path):
    nodes_csv, units_csv = tmp_path / "iso_nodes.csv", tmp_path / "generators.csv"
    reference = [sys.executable, "-m", "tap_miso.reference.cli",
                 "--nodes", str(nodes_csv), "--generators", str(units_csv)]
    config = fake_config(fake, start_date="2026-05-20", end_date="2026-08-31")
    first = run_tap(config, streams=STREAMS)
    assert first.returncode == 0, first.stderr[-2000:]
    merged = subprocess.run([*reference, "--now", T1], input=first.stdout.encode(),
                            capture_output=True, timeout=60, check=False)
    assert merged.returncode == 0, merged.stderr.decode()

    # Second run: a real shell pipe, the command passing the messages on.
    config = fake_config(fake, start_date="2026-05-20")
    cmd = [sys.executable, "-m", "tap_miso.tap", "--config", write_json(config),
           "--catalog", write_json(catalog_for(STREAMS, config)),
           "--state", write_json(first.last_state)]
    out = tmp_path / "passed.jsonl"
    pipe = (f"set -o pipefail; {subprocess.list2cmdline(cmd)} 2>/dev/null | "
            f"{subprocess.list2cmdline([*reference, '--now', T2, '--passthrough'])} > {out}")
    second = subprocess.run(["bash", "-c", pipe], capture_output=True, text=True, timeout=300,
                            check=False)
    assert second.returncode == 0, second.stderr
    messages = [json.loads(line) for line in out.read_text().splitlines()]
    second_records = {s: [m["record"] for m in messages
                          if m["type"] == "RECORD" and m["stream"] == s] for s in STREAMS}
    assert messages[-1]["type"] == "STATE"

    # Nodes: every node ever emitted has a row; presence follows the latest tap output.
    today_nodes = {n for n, _ in fake.data.nodes_on(timeutil.market_today())}
    table = rows(nodes_csv)
    emitted_1 = {r["node"]: r for r in first.records("nodes")}
    emitted_2 = {r["node"]: r for r in second_records["nodes"]}
    assert set(table) == set(emitted_1) | set(emitted_2)
    for name, row in table.items():
        assert (row["present"] == "true") is (name in today_nodes), name
        latest = emitted_2.get(name) or emitted_1[name]
        assert row["first_model_date"] == latest["first_model_date"]
        assert row["retired_model_date"] == (latest["retired_model_date"] or "")
        if name in emitted_1 and not emitted_1[name]["retired"]:
            assert row["first_seen"] == T1
        if row["present"] == "false":
            assert row["removed_at"] == (T1 if emitted_1.get(name, {}).get("retired") else T2)
    retired_sep = [n for n, r in table.items() if r["retired_model_date"] == "2026-09-01"]
    added_sep = [n for n, r in table.items() if r["first_model_date"] == "2026-09-01"]
    assert retired_sep and added_sep, "the fake's Sep 1 model retires and adds nodes"
    assert all(table[n]["first_seen"] == T2 for n in added_sep)
    assert all(table[n]["node_type"] for n in retired_sep)  # known type kept on retirement
    assert {table[n]["first_model_date"] for n in table} >= {"2026-03-01", "2026-06-01"}

    # Generators: the newest period's attributes per unit; present = in the newest period.
    units = rows(units_csv)
    expected = newest_by_key(first.records("generators") + second_records["generators"])
    assert set(units) == set(expected) and units
    newest_period = max(r["period"] for r in second_records["generators"])
    assert date.fromisoformat(newest_period + "-01") > date(2026, 8, 1)
    for key, row in units.items():
        record = expected[key]
        assert row["period"] == record["period"]
        assert row["plant_name"] == (record["plant_name"] or "")
        assert row["status_category"] == record["status_category"]
        assert (row["present"] == "true") is (record["period"] == newest_period)
    assert "record_hash" not in units_csv.read_text().splitlines()[0]

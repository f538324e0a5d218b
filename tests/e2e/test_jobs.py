"""Operator jobs and schedules resolve as Meltano (and its Airflow DAG generator) sees them, and
one job runs end to end against the fake server."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tap_miso import timeutil
from tap_miso.streams import STREAM_TYPES
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import Meltano, fake_env

SELECTED = re.compile(r"\[(?:selected|automatic)\s*\] (\w+)\.")
EXPECTED = {
    "miso-prices": ("7 * * * *", {"lmp_day_ahead_hourly", "lmp_real_time_hourly",
                                  "ancillary_mcp_day_ahead_hourly",
                                  "ancillary_mcp_real_time_hourly"}),
    "miso-load-forecasts": ("12 * * * *", {"load_actual_hourly",
                                           "day_ahead_cleared_demand_hourly",
                                           "load_forecast_hourly",
                                           "generation_forecast_hourly"}),
    "miso-interchange": ("*/5 * * * *", {"interchange_5min"}),
    "miso-interchange-hourly": ("17 * * * *", {"interchange_hourly"}),
    "miso-fuel-mix": ("22 * * * *", {"fuel_mix_hourly", "fuel_mix_5min"}),
    "miso-reference": ("30 9 * * *", {"nodes", "generators"}),
}


def test_schedules_list_every_job_with_its_cron(meltano_installed, tmp_path):
    meltano = Meltano(tmp_path)
    res = meltano("schedule", "list", "--format=json")
    assert res.returncode == 0, res.output[-3000:]
    listed = json.loads(res.output[res.output.index("{"):res.output.rindex("}") + 1])
    jobs = {s["job"]["name"]: s for s in listed["schedules"]["job"]}
    assert set(jobs) == set(EXPECTED)
    names = {s.name for s in STREAM_TYPES}
    for job, (cron, streams) in EXPECTED.items():
        assert jobs[job]["cron_interval"] == cron
        (task,) = jobs[job]["job"]["tasks"]
        extractor, loader = task.split()
        assert loader == "target-postgres"
        selected = meltano("select", extractor, "--list")
        assert selected.returncode == 0, selected.output[-3000:]
        chosen = set(SELECTED.findall(selected.output))
        assert chosen == streams <= names, (job, chosen)


def test_reference_job_runs_end_to_end(meltano_installed, postgres, tmp_path):
    day = timeutil.market_today() - timedelta(days=5)
    with FakeMisoServer(node_count=12) as fake:
        meltano = Meltano(tmp_path, postgres.env("job_reference"))
        res = meltano("run", "miso-reference", env=fake_env(fake, day, day))
        assert res.returncode == 0, res.output[-4000:]
        rows = postgres.query("SELECT node FROM job_reference.nodes")
        assert {r["node"] for r in rows} >= {n for n, _ in fake.data.nodes_on(day)}
        state = meltano.state("e2e:tap-miso--reference-to-target-postgres")
        assert state and "nodes" in state["singer_state"]["bookmarks"]

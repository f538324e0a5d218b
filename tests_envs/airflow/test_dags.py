"""The tap-miso DAGs as Airflow loads them: no import errors, schedules equal to meltano.yml,
retries and alerts set, the exact commands and environments the tasks run."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk.definitions.mappedoperator import MappedOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow.serialization.serialized_objects import DagSerialization

from conftest import DAGS

JOB_DAGS = {
    "miso_prices": ("miso-prices", "7 * * * *"),
    "miso_load_forecasts": ("miso-load-forecasts", "12 * * * *"),
    "miso_interchange": ("miso-interchange", "*/5 * * * *"),
    "miso_interchange_hourly": ("miso-interchange-hourly", "17 * * * *"),
    "miso_fuel_mix": ("miso-fuel-mix", "22 * * * *"),
    "miso_reference": ("miso-reference", "30 9 * * *"),
}

RUN = ('"${TAP_MISO_PROJECT_DIR:?set TAP_MISO_PROJECT_DIR to the Meltano project directory}'
       '/orchestrate/airflow/meltano_run.sh" run ')
RUNNER = Path(__file__).resolve().parents[2] / "orchestrate" / "airflow" / "meltano_run.sh"

FAKE_MELTANO = """#!/usr/bin/env bash
python3 - "$@" <<'PY'
import json, os, sys
sys_dir = os.environ.get("MELTANO_SYS_DIR_ROOT", "")
keep = {k: v for k, v in os.environ.items()
        if k.startswith(("TAP_MISO__", "MELTANO_STATE", "MELTANO_DATABASE"))}
links = {n: os.readlink(os.path.join(sys_dir, n)) for n in sorted(os.listdir(sys_dir))} \\
    if sys_dir else {}
with open(os.environ["FAKE_OUT"], "w") as out:
    json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": keep, "sys_dir": sys_dir,
               "links": links}, out)
PY
exit "${FAKE_EXIT:-0}"
"""


def load_bag() -> BundleDagBag:
    """Parse the DAG folder the way Airflow's DAG processor does (dag-folder bundle)."""
    return BundleDagBag(dag_folder=DAGS, bundle_path=DAGS, bundle_name="dags-folder")


@pytest.fixture(scope="module")
def bag() -> BundleDagBag:
    return load_bag()


@pytest.fixture(scope="module")
def backfill(bag):
    return bag.dags["miso_backfill"]


def test_dagbag_loads_every_dag_without_import_errors(bag):
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {*JOB_DAGS, "miso_backfill"}


def test_every_dag_serializes_as_the_dag_processor_stores_it(bag):
    for dag in bag.dags.values():
        assert DagSerialization.to_dict(dag)["dag"]["dag_id"] == dag.dag_id


def test_job_schedules_are_meltano_yml_schedules(bag, meltano_yml):
    from_yml = {s["job"]: s["interval"] for s in meltano_yml["schedules"]}
    assert {job for job, _ in JOB_DAGS.values()} == set(from_yml)
    for dag_id, (job, cron) in JOB_DAGS.items():
        dag = bag.dags[dag_id]
        assert dag.schedule == cron == from_yml[job]
        timetable = DagSerialization.to_dict(dag)["dag"]["timetable"]["__var"]
        assert (timetable["expression"], timetable["timezone"]) == (cron, "UTC")
    assert bag.dags["miso_backfill"].schedule is None


def test_job_dags_run_exactly_meltano_run_job(bag):
    for dag_id, (job, _) in JOB_DAGS.items():
        dag = bag.dags[dag_id]
        assert [t.task_id for t in dag.tasks] == ["meltano_run"]
        task = dag.get_task("meltano_run")
        assert task.bash_command == RUN + job
        assert task.env is None  # everything comes from the worker environment
        assert task.append_env is True
        assert task.skip_on_exit_code == []  # every non-zero exit fails the task


def test_job_dags_retry_alert_and_do_not_pile_up(bag):
    from miso_alerts import on_task_failure

    for dag_id, (job, _) in JOB_DAGS.items():
        dag = bag.dags[dag_id]
        assert dag.catchup is False
        assert dag.max_active_runs == 1
        task = dag.get_task("meltano_run")
        assert task.retries == (1 if job == "miso-interchange" else 3)
        assert task.retry_delay == timedelta(minutes=2)
        assert task.retry_exponential_backoff == 2.0
        assert task.max_retry_delay == timedelta(minutes=30)
        assert task.on_failure_callback == [on_task_failure]
        assert task.execution_timeout is not None
        [alert] = dag.deadline
        assert alert.reference.serialize_reference()["reference_type"] == "DagRunQueuedAtDeadline"
        assert alert.callback.path == "miso_alerts.on_deadline_missed"
        assert alert.callback.kwargs["dag_id"] == dag_id
    assert bag.dags["miso_interchange"].deadline[0].interval == timedelta(minutes=15)
    assert bag.dags["miso_prices"].deadline[0].interval == timedelta(hours=1)


def make_project(tmp_path: Path) -> Path:
    """A Meltano project dir with the real runner script and two installed plugin dirs."""
    project = tmp_path / "project"
    (project / "orchestrate" / "airflow").mkdir(parents=True)
    runner = project / "orchestrate" / "airflow" / "meltano_run.sh"
    runner.write_text(RUNNER.read_text())
    runner.chmod(0o755)
    for name in ("extractors", "loaders", "run", "logs"):
        (project / ".meltano" / name).mkdir(parents=True)
    return project


def run_script(script: str, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run a task's bash_command as BashOperator does (bash -c) with a fake `meltano`."""
    fake = tmp_path / "meltano"
    fake.write_text(FAKE_MELTANO)
    fake.chmod(0o755)
    out = tmp_path / "call.json"
    out.unlink(missing_ok=True)
    base = {"PATH": os.environ["PATH"], "FAKE_OUT": str(out), "TAP_MISO_MELTANO_BIN": str(fake),
            "TMPDIR": str(tmp_path)}
    proc = subprocess.run(["bash", "-c", script], env={**base, **env}, capture_output=True,
                          text=True, timeout=60, check=False)
    return proc, (json.loads(out.read_text()) if out.exists() else {})


def test_job_command_runs_meltano_in_the_project_with_its_own_system_dir(bag, tmp_path):
    project = make_project(tmp_path)
    script = bag.dags["miso_reference"].get_task("meltano_run").bash_command
    proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                            MELTANO_STATE_BACKEND_URI="s3://bucket/state")
    assert proc.returncode == 0, proc.stderr
    assert call["argv"] == ["run", "miso-reference"]
    assert call["cwd"] == str(project)
    assert call["env"] == {"MELTANO_STATE_BACKEND_URI": "s3://bucket/state",
                           "MELTANO_DATABASE_URI": f"sqlite:///{project}/.meltano/meltano.db"}
    # A private system dir: the installed plugins linked, no shared run/ or logs/ ...
    assert Path(call["sys_dir"]).parent == tmp_path
    assert call["links"] == {"extractors": f"{project}/.meltano/extractors",
                             "loaders": f"{project}/.meltano/loaders"}
    # ... removed when the run ends.
    assert not Path(call["sys_dir"]).exists()


def test_concurrent_runs_get_different_system_dirs(bag, tmp_path):
    project = make_project(tmp_path)
    script = bag.dags["miso_prices"].get_task("meltano_run").bash_command
    dirs = set()
    for _ in range(2):
        proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                                MELTANO_DATABASE_URI="postgresql://db/meltano")
        assert proc.returncode == 0, proc.stderr
        assert call["env"] == {"MELTANO_DATABASE_URI": "postgresql://db/meltano"}
        dirs.add(call["sys_dir"])
    assert len(dirs) == 2


def test_job_command_fails_with_meltano_and_refuses_bad_setups(bag, tmp_path):
    project = make_project(tmp_path)
    script = bag.dags["miso_prices"].get_task("meltano_run").bash_command
    proc, call = run_script(script, tmp_path, MELTANO_STATE_BACKEND_URI="s3://b/s")
    assert proc.returncode != 0 and call == {}
    assert "set TAP_MISO_PROJECT_DIR to the Meltano project directory" in proc.stderr
    proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project))
    assert proc.returncode == 2 and call == {}
    assert "set MELTANO_STATE_BACKEND_URI" in proc.stderr
    proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                            TAP_MISO_ALLOW_LOCAL_STATE="0")
    assert proc.returncode == 2 and call == {}
    proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                            TAP_MISO_ALLOW_LOCAL_STATE="1")
    assert proc.returncode == 0 and call["argv"] == ["run", "miso-prices"]
    proc, call = run_script(script, tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                            TAP_MISO_ALLOW_LOCAL_STATE="1", FAKE_EXIT="3")
    assert proc.returncode == 3  # meltano's failure fails the task
    assert not Path(call["sys_dir"]).exists()


def test_backfill_maps_one_capped_task_per_partition(backfill):
    from miso_alerts import on_task_failure

    assert backfill.catchup is False and backfill.max_active_runs == 1
    plan = backfill.get_task("plan_partitions")
    assert plan.op_kwargs == {"max_parallel": 4}
    assert plan.retries == 0  # bad params fail at once
    mapped = backfill.get_task("run_partition")
    assert isinstance(mapped, MappedOperator)
    assert mapped.upstream_task_ids == {"plan_partitions"}
    assert mapped.expand_input.value.operator is plan  # expand_kwargs(plan_partitions(...))
    assert mapped.max_active_tis_per_dag == 4
    assert mapped.partial_kwargs["append_env"] is True
    assert mapped.partial_kwargs["skip_on_exit_code"] is None
    assert mapped.partial_kwargs["retries"] == 3
    assert mapped.partial_kwargs["on_failure_callback"] == [on_task_failure]


def sample_params(backfill, **overrides) -> dict:
    params = copy.deepcopy(backfill.params)
    params.update({"start": "2023-01-01", "end": "2023-05-31", "partition_days": 31, "keys": 2,
                   **overrides})
    params.validate()
    return params.dump()


def test_backfill_partitions_and_limits_through_the_mapped_input(backfill):
    plan = backfill.get_task("plan_partitions")
    kwargs = plan.python_callable(**plan.op_kwargs, params=sample_params(
        backfill, requests_per_minute=200, requests_per_day=48_000))
    # 151 dates in 31-day partitions: 5 partitions, at most 4 at once.
    # 2 keys -> 200/min, 48,000/day; / 4 -> 50/min and 12,000/day; paced daily: 12000//1440 = 8.
    expected_spans = [("2023-01-01", "2023-01-31"), ("2023-02-01", "2023-03-03"),
                      ("2023-03-04", "2023-04-03"), ("2023-04-04", "2023-05-04"),
                      ("2023-05-05", "2023-05-31")]
    assert kwargs == [
        {
            "bash_command": RUN + f"--state-id-suffix backfill-{start}-{end} miso-prices",
            "env": {
                "TAP_MISO__PRICES_START_DATE": start,
                "TAP_MISO__PRICES_END_DATE": end,
                "TAP_MISO__PRICES_LOOKBACK_DAYS": "0",
                "TAP_MISO__PRICES_REQUESTS_PER_MINUTE": "8",
                "TAP_MISO__PRICES_REQUESTS_PER_HOUR": "480",
                "TAP_MISO__PRICES_REQUESTS_PER_DAY": "12000",
            },
        }
        for start, end in expected_spans
    ]
    burst = plan.python_callable(**plan.op_kwargs, params=sample_params(
        backfill, requests_per_minute=200, requests_per_day=48_000, pacing="burst"))
    assert {(k["env"]["TAP_MISO__PRICES_REQUESTS_PER_MINUTE"],
             k["env"]["TAP_MISO__PRICES_REQUESTS_PER_HOUR"],
             k["env"]["TAP_MISO__PRICES_REQUESTS_PER_DAY"]) for k in burst} == {
        ("50", "3000", "12000")}


def test_backfill_partition_runs_meltano_with_its_env(backfill, tmp_path):
    plan = backfill.get_task("plan_partitions")
    [first, *_] = plan.python_callable(**plan.op_kwargs, params=sample_params(
        backfill, job="miso-fuel-mix", streams=["fuel_mix_5min"]))
    project = make_project(tmp_path)
    proc, call = run_script(first["bash_command"], tmp_path, TAP_MISO_PROJECT_DIR=str(project),
                            MELTANO_STATE_BACKEND_URI="postgresql://db/meltano", **first["env"])
    assert proc.returncode == 0, proc.stderr
    assert call["argv"] == ["run", "--state-id-suffix", "backfill-2023-01-01-2023-01-31",
                            "miso-fuel-mix"]
    # Defaults for 2 keys: 150/min and 36,000/day in all; / 4 -> 9,000/day, paced 6/min.
    assert call["env"] == {
        "MELTANO_STATE_BACKEND_URI": "postgresql://db/meltano",
        "MELTANO_DATABASE_URI": f"sqlite:///{project}/.meltano/meltano.db",
        "TAP_MISO__FUEL_MIX_START_DATE": "2023-01-01",
        "TAP_MISO__FUEL_MIX_END_DATE": "2023-01-31",
        "TAP_MISO__FUEL_MIX_LOOKBACK_DAYS": "0",
        "TAP_MISO__FUEL_MIX_REQUESTS_PER_MINUTE": "6",
        "TAP_MISO__FUEL_MIX_REQUESTS_PER_HOUR": "360",
        "TAP_MISO__FUEL_MIX_REQUESTS_PER_DAY": "9000",
        "TAP_MISO__FUEL_MIX__SELECT": '["fuel_mix_5min.*"]',
    }


def test_backfill_bad_params_fail_the_run_without_retry(backfill):
    plan = backfill.get_task("plan_partitions")
    params = sample_params(backfill, start="2023-06-01")
    with pytest.raises(AirflowFailException, match=r"^end 2023-05-31 is before start 2023-06-01$"):
        plan.python_callable(**plan.op_kwargs, params=params)
    params = sample_params(backfill, requests_per_day=3, pacing="burst")
    with pytest.raises(AirflowFailException, match="requests_per_day budget 3 is smaller than"):
        plan.python_callable(**plan.op_kwargs, params=params)


def test_backfill_params_reject_bad_input_at_trigger(backfill):
    with pytest.raises(Exception, match="start"):
        copy.deepcopy(backfill.params).validate()  # start and end have no default
    with pytest.raises(Exception, match="partition_days"):
        sample_params(backfill, partition_days=0)
    with pytest.raises(Exception, match="streams"):
        sample_params(backfill, streams=["not_a_stream"])


def test_max_parallel_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TAP_MISO_BACKFILL_MAX_PARALLEL", "2")
    dag = load_bag().dags["miso_backfill"]
    assert dag.get_task("run_partition").max_active_tis_per_dag == 2
    assert dag.get_task("plan_partitions").op_kwargs == {"max_parallel": 2}
    monkeypatch.setenv("TAP_MISO_BACKFILL_MAX_PARALLEL", "zero")
    errors = load_bag().import_errors
    assert any("TAP_MISO_BACKFILL_MAX_PARALLEL 'zero' must be a whole number from 1 to 64" in e
               for e in errors.values())


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook/secret-token", _Hook.received
    server.shutdown()
    server.server_close()


class _TI:
    dag_id, task_id, map_index, try_number = "miso_backfill", "run_partition", 3, 2


def test_failure_callback_logs_and_posts_to_the_webhook(webhook, monkeypatch, caplog):
    import miso_alerts

    url, received = webhook
    monkeypatch.setenv("TAP_MISO_ALERT_WEBHOOK_URL", url)
    with caplog.at_level(logging.ERROR, logger="tap_miso.airflow"):
        miso_alerts.on_task_failure({"ti": _TI(), "run_id": "manual__1",
                                     "exception": RuntimeError("Bash command failed.\nexit 1")})
    text = "tap-miso task failed: miso_backfill.run_partition[3]: Bash command failed. exit 1"
    assert received == [("/hook/secret-token", "application/json", {
        "text": text, "kind": "task_failed", "dag_id": "miso_backfill",
        "task_id": "run_partition", "map_index": 3, "run_id": "manual__1", "try_number": 2,
        "error": "Bash command failed. exit 1"})]
    assert text in caplog.text
    assert "secret-token" not in caplog.text


def test_webhook_from_airflow_variable(webhook, monkeypatch):
    import miso_alerts

    url, _ = webhook
    monkeypatch.setenv("AIRFLOW_VAR_TAP_MISO_ALERT_WEBHOOK_URL", url)
    assert miso_alerts.webhook_url() == url


def test_failure_callback_survives_a_dead_webhook(monkeypatch, caplog):
    import miso_alerts

    monkeypatch.setenv("TAP_MISO_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/token-xyz")
    with caplog.at_level(logging.ERROR, logger="tap_miso.airflow"):
        miso_alerts.on_task_failure({"ti": _TI(), "exception": "boom"})
    assert "tap-miso task failed: miso_backfill.run_partition[3]: boom" in caplog.text
    assert "webhook post failed: URLError" in caplog.text
    assert "token-xyz" not in caplog.text


def test_deadline_callback_posts(webhook, monkeypatch):
    import miso_alerts

    url, received = webhook
    monkeypatch.setenv("TAP_MISO_ALERT_WEBHOOK_URL", url)
    asyncio.run(miso_alerts.on_deadline_missed(context={}, dag_id="miso_prices",
                                               deadline="1:00:00"))
    assert [r[2] for r in received] == [{
        "text": "tap-miso run late: miso_prices is not done within 1:00:00",
        "kind": "deadline_missed", "dag_id": "miso_prices", "deadline": "1:00:00"}]

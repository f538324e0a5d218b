"""Shared pieces of the tap-miso Airflow DAGs: default task arguments and the job DAG factory.

Every task runs `meltano run` in the Meltano project named by the worker's
`TAP_MISO_PROJECT_DIR` (see miso_meltano.PRELUDE). Meltano state must live in a store every
worker shares: `MELTANO_STATE_BACKEND_URI=postgresql://...` or `s3://...` (or the whole system
database via `MELTANO_DATABASE_URI`); the command refuses to run without one unless
`TAP_MISO_ALLOW_LOCAL_STATE=1` (single host). See orchestrate/README.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, AsyncCallback, DeadlineAlert, DeadlineReference
from miso_alerts import on_deadline_missed, on_task_failure
from miso_meltano import Job, meltano_run_command

START_DATE = datetime(2026, 1, 1)  # no catchup: only the first schedule after deployment runs
TAGS = ["tap-miso", "meltano"]


def default_args(retries: int = 3) -> dict[str, Any]:
    """Task defaults: retries with exponential backoff and the failure alert."""
    return {
        "owner": "tap-miso",
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": on_task_failure,
    }


def deadline_alert(job: Job) -> DeadlineAlert:
    """Alert (triggerer callback) when a run is not finished `job.deadline` after it was queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=job.deadline,
        callback=AsyncCallback(
            on_deadline_missed, kwargs={"dag_id": job.dag_id, "deadline": str(job.deadline)}
        ),
    )


def build_job_dag(job: Job) -> DAG:
    """The DAG of one operator job: one task running `meltano run <job>` on its schedule."""
    with DAG(
        dag_id=job.dag_id,
        description=f"meltano run {job.name} (tap-miso)",
        schedule=job.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(job.retries),
        deadline=deadline_alert(job),
        tags=TAGS,
    ) as dag:
        BashOperator(
            task_id="meltano_run",
            bash_command=meltano_run_command(job.name),
            append_env=True,
            skip_on_exit_code=None,
            execution_timeout=job.execution_timeout,
        )
    return dag

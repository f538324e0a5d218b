"""Airflow DAG `miso_backfill`: a partitioned, quota-aware backfill of one tap-miso job.

Trigger it with params (start, end, job, streams, partition_days, keys, budgets, pacing).
`plan_partitions` splits start..end into partitions and gives each its own limiter settings
(miso_backfill_plan); `run_partition` is mapped over them, one `meltano run` per partition
with its own state id (`...:backfill-<start>-<end>`), at most MAX_PARALLEL at once across the
workers. The budget is shared by min(MAX_PARALLEL, partitions), so the sum of the partitions'
limits never exceeds it. MAX_PARALLEL comes from `TAP_MISO_BACKFILL_MAX_PARALLEL` (default 4)
where the DAG is parsed and is passed to the planner, so both always agree.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowFailException
from miso_backfill_plan import KNOWN_STREAMS, PACING, BackfillError, plan_backfill
from miso_common import START_DATE, TAGS, default_args
from miso_meltano import JOBS_BY_NAME

MAX_PARALLEL_ENV = "TAP_MISO_BACKFILL_MAX_PARALLEL"


def max_parallel_from_env() -> int:
    """Partitions allowed to run at once: `TAP_MISO_BACKFILL_MAX_PARALLEL`, default 4."""
    raw = os.environ.get(MAX_PARALLEL_ENV, "4").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ValueError(f"{MAX_PARALLEL_ENV} {raw!r} must be a whole number from 1 to 64")
    return int(raw)


MAX_PARALLEL = max_parallel_from_env()

PARAMS = {
    "job": Param("miso-prices", enum=list(JOBS_BY_NAME), description="meltano.yml job"),
    "start": Param(type="string", format="date", description="first market date, YYYY-MM-DD"),
    "end": Param(type="string", format="date", description="last market date (inclusive)"),
    "streams": Param([], type="array", items={"type": "string", "enum": sorted(KNOWN_STREAMS)},
                     description="streams to select instead of the job's selection"),
    "partition_days": Param(30, type="integer", minimum=1, description="market dates a task"),
    "keys": Param(1, type="integer", minimum=1,
                  description="Data Exchange keys per product in TAP_MISO_*_API_KEY"),
    "requests_per_minute": Param(None, type=["null", "integer"], minimum=1,
                                 description="calls/min for all partitions (default 75/key)"),
    "requests_per_day": Param(None, type=["null", "integer"], minimum=1,
                              description="calls/day for all partitions (default 18,000/key)"),
    "pacing": Param("daily", enum=list(PACING),
                    description="daily: spread the day budget evenly; burst: per-minute share"),
}


@task(task_id="plan_partitions", retries=0)
def plan_partitions(max_parallel: int, params: dict[str, Any] | None = None) -> list[dict]:
    """BashOperator kwargs of every partition; bad params fail the run with one line, no retry."""
    try:
        return plan_backfill(dict(params or {}), max_parallel)
    except BackfillError as exc:
        raise AirflowFailException(str(exc)) from None


with DAG(
    dag_id="miso_backfill",
    description="Partitioned tap-miso backfill within MISO's quota",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=3),
    params=PARAMS,
    tags=[*TAGS, "backfill"],
) as dag:
    BashOperator.partial(
        task_id="run_partition",
        append_env=True,
        skip_on_exit_code=None,
        max_active_tis_per_dag=MAX_PARALLEL,
    ).expand_kwargs(plan_partitions(max_parallel=MAX_PARALLEL))

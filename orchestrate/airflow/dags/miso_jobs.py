"""Airflow DAGs of the tap-miso operator jobs: one DAG per meltano.yml job, on its schedule.

DAG ids: miso_prices, miso_load_forecasts, miso_interchange, miso_interchange_hourly,
miso_fuel_mix, miso_reference. Each runs `meltano run <job>` (see miso_common).
"""

from __future__ import annotations

from miso_common import build_job_dag
from miso_meltano import JOBS

for _job in JOBS:
    globals()[_job.dag_id] = build_job_dag(_job)

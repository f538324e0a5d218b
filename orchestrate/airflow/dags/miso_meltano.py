"""The tap-miso operator jobs and the shell commands that run them with Meltano.

Plain Python (no Airflow import) so the backfill planner and the tests can use it anywhere.
`JOBS` mirrors the `jobs:` and `schedules:` of the project's meltano.yml; a test compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

#: Worker environment variable naming the Meltano project (this repository) on the worker.
PROJECT_DIR_ENV = "TAP_MISO_PROJECT_DIR"
#: Runs `meltano` in the project: refuses worker-local state, isolates concurrent runs.
RUNNER = "orchestrate/airflow/meltano_run.sh"

_SUFFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Job:
    """One meltano.yml job, its schedule and how Airflow watches it."""

    name: str
    extractor: str
    schedule: str
    deadline: timedelta
    execution_timeout: timedelta
    retries: int = 3

    @property
    def dag_id(self) -> str:
        """Airflow DAG id: the job name with underscores (`miso_prices`)."""
        return self.name.replace("-", "_")


_HOUR = timedelta(hours=1)

JOBS: tuple[Job, ...] = (
    Job("miso-prices", "tap-miso--prices", "7 * * * *", _HOUR, 2 * _HOUR),
    Job("miso-load-forecasts", "tap-miso--load", "12 * * * *", _HOUR, 2 * _HOUR),
    Job("miso-interchange", "tap-miso--interchange", "*/5 * * * *",
        timedelta(minutes=15), timedelta(minutes=30), retries=1),
    Job("miso-interchange-hourly", "tap-miso--interchange-hourly", "17 * * * *",
        _HOUR, 2 * _HOUR),
    Job("miso-fuel-mix", "tap-miso--fuel-mix", "22 * * * *", _HOUR, 2 * _HOUR),
    Job("miso-reference", "tap-miso--reference", "30 9 * * *", 3 * _HOUR, 4 * _HOUR),
)
JOBS_BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}


def env_prefix(extractor: str) -> str:
    """Meltano's environment-variable prefix of a plugin (`tap-miso--prices` -> `TAP_MISO__PRICES`).

    `TAP_MISO__PRICES_START_DATE` wins over the inherited `TAP_MISO_START_DATE`, so the backfill
    sets the variant's own names and a worker-wide `TAP_MISO_*` cannot override its limits.
    """
    return extractor.upper().replace("-", "_")


def meltano_run_command(job: str, state_id_suffix: str | None = None) -> str:
    """Bash command running `meltano run <job>` in the project, with an optional state-id suffix."""
    if job not in JOBS_BY_NAME:
        raise ValueError(f"unknown job {job!r}; one of {', '.join(JOBS_BY_NAME)}")
    args = ["run"]
    if state_id_suffix is not None:
        if not _SUFFIX.match(state_id_suffix):
            raise ValueError(f"state id suffix {state_id_suffix!r} must be letters, digits, . _ -")
        args += ["--state-id-suffix", state_id_suffix]
    args.append(job)
    project = f"${{{PROJECT_DIR_ENV}:?set {PROJECT_DIR_ENV} to the Meltano project directory}}"
    return f'"{project}/{RUNNER}" ' + " ".join(args)

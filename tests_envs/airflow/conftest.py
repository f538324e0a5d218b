"""Test setup: a throw-away AIRFLOW_HOME and the DAG folder on sys.path (as Airflow's dag-folder
bundle does). Set before anything imports Airflow; importing this needs no Airflow."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "orchestrate" / "airflow" / "dags"

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="tap-miso-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ.pop("TAP_MISO_BACKFILL_MAX_PARALLEL", None)
os.environ.pop("TAP_MISO_ALERT_WEBHOOK_URL", None)
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))


@pytest.fixture(scope="session")
def meltano_yml() -> dict:
    """The project's meltano.yml."""
    return yaml.safe_load((REPO / "meltano.yml").read_text())


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throw-away AIRFLOW_HOME."""
    shutil.rmtree(os.environ["AIRFLOW_HOME"], ignore_errors=True)

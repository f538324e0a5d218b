#!/usr/bin/env bash
# Set up from scratch if needed, then run the whole test suite: ruff, pytest over tests/, and the
# PyAirbyte and Airflow suites, each in its own virtualenv (.venv-airbyte, .venv-airflow) so the
# tap's own dependencies stay light. Arguments go to the main pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check tap_miso tests tests_envs orchestrate bench
.venv/bin/python -m pytest "$@"
tests_envs/airbyte/run.sh
tests_envs/airflow/run.sh -q

#!/usr/bin/env bash
# Test the Airflow DAGs (orchestrate/airflow/dags) in their own venv, .venv-airflow at the repo
# root, so the tap's .venv never gets Airflow's dependencies. Creates and fills the venv when it
# is missing or the pins changed, then runs pytest on tests_envs/airflow (extra args: pytest's).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tests_envs/airflow
VENV=.venv-airflow
PYTHON="${PYTHON:-python3}"
UV_VERSION=0.9.30

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
STAMP="$VENV/.tap-miso-pins"
if ! cat "$HERE/requirements.txt" "$HERE/constraints.txt" | cmp -s - "$STAMP"; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" \
    -r "$HERE/requirements.txt" -c "$HERE/constraints.txt"
  cat "$HERE/requirements.txt" "$HERE/constraints.txt" > "$STAMP"
fi
exec "$VENV/bin/python" -m pytest "$HERE" "$@"

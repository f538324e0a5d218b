#!/usr/bin/env bash
# `meltano <args>` in this Meltano project, as the Airflow DAGs (orchestrate/airflow/dags) run it.
# - Refuses to run when Meltano state would die with the worker: set MELTANO_STATE_BACKEND_URI
#   (s3://..., postgresql://...) or MELTANO_DATABASE_URI; TAP_MISO_ALLOW_LOCAL_STATE=1 accepts
#   the project's .meltano/meltano.db (a single host only).
# - Gives every run its own Meltano system directory (linked to the installed plugins): Meltano
#   4.4 writes `meltano run`'s catalog and state.json to .meltano/run/<extractor>/, so two runs
#   of one extractor on a host (backfill partitions, or a partition and the scheduled job) would
#   overwrite each other's files: a wrong catalog or another run's bookmarks.
# The meltano executable: TAP_MISO_MELTANO_BIN, default `meltano` on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
project="$PWD"
if [ -z "${MELTANO_STATE_BACKEND_URI:-}${MELTANO_DATABASE_URI:-}" ] \
    && [ "${TAP_MISO_ALLOW_LOCAL_STATE:-}" != 1 ]; then
  echo "set MELTANO_STATE_BACKEND_URI (or MELTANO_DATABASE_URI) so Meltano state outlives the" \
    "worker; TAP_MISO_ALLOW_LOCAL_STATE=1 only for a single-host deployment" >&2
  exit 2
fi
# The system database (run records: "already running" checks; state without a backend) stays
# the project's unless one is configured.
export MELTANO_DATABASE_URI="${MELTANO_DATABASE_URI:-sqlite:///$project/.meltano/meltano.db}"
sys_dir="$(mktemp -d "${TMPDIR:-/tmp}/tap-miso-meltano.XXXXXX")"
trap 'rm -rf "$sys_dir"' EXIT
trap 'exit 143' TERM INT
for dir in "$project"/.meltano/*/; do
  [ -d "$dir" ] || continue
  name="$(basename "$dir")"
  case "$name" in
    run | logs) ;;
    *) ln -s "${dir%/}" "$sys_dir/$name" ;;
  esac
done
export MELTANO_SYS_DIR_ROOT="$sys_dir"
"${TAP_MISO_MELTANO_BIN:-meltano}" "$@"

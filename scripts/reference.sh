#!/usr/bin/env bash
# Refresh the reference CSV files from MISO: run the Meltano extractor `tap-miso--reference`
# (streams nodes and generators) and merge its output with tap-miso-reference.
#
#   scripts/reference.sh [NODES_CSV] [GENERATORS_CSV]
#       defaults: reference/iso_nodes.csv reference/generators.csv
#   MELTANO_ENVIRONMENT=demo scripts/reference.sh   # against the fake server (scripts/demo.sh)
#
# The extractor's output is kept in a temporary file and merged only if the extractor
# succeeded, so a failed or interrupted extraction never marks rows as removed. `meltano
# invoke` keeps no state of its own, so this script does: the last STATE of a successful
# refresh is saved beside the CSV files (TAP_MISO_REFERENCE_STATE to move it) and passed to
# the next refresh, which then re-reads only each stream's lookback window.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES_CSV="${1:-reference/iso_nodes.csv}"
GENERATORS_CSV="${2:-reference/generators.csv}"
STATE_FILE="${TAP_MISO_REFERENCE_STATE:-$(dirname "$NODES_CSV")/tap-miso-reference.state.json}"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
mkdir -p "$(dirname "$NODES_CSV")" "$(dirname "$GENERATORS_CSV")" "$(dirname "$STATE_FILE")"
MESSAGES="$(mktemp "${TMPDIR:-/tmp}/tap-miso-reference.XXXXXX")"
trap 'rm -f "$MESSAGES" "$STATE_FILE.tmp"' EXIT
STATE_ARGS=()
if [ -s "$STATE_FILE" ]; then
  STATE_ARGS=(--state "$STATE_FILE")
fi
.venv/bin/meltano invoke tap-miso--reference "${STATE_ARGS[@]}" > "$MESSAGES"
.venv/bin/tap-miso-reference --nodes "$NODES_CSV" --generators "$GENERATORS_CSV" \
  --input "$MESSAGES"
# Only after both files are merged: the newest STATE becomes the next refresh's start.
.venv/bin/python -m tap_miso.reference.last_state "$MESSAGES" > "$STATE_FILE.tmp"
if [ -s "$STATE_FILE.tmp" ]; then
  mv "$STATE_FILE.tmp" "$STATE_FILE"
fi

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
# invoke` keeps no state: every refresh reads the whole window from start_date.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES_CSV="${1:-reference/iso_nodes.csv}"
GENERATORS_CSV="${2:-reference/generators.csv}"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
mkdir -p "$(dirname "$NODES_CSV")" "$(dirname "$GENERATORS_CSV")"
MESSAGES="$(mktemp "${TMPDIR:-/tmp}/tap-miso-reference.XXXXXX")"
trap 'rm -f "$MESSAGES"' EXIT
.venv/bin/meltano invoke tap-miso--reference > "$MESSAGES"
.venv/bin/tap-miso-reference --nodes "$NODES_CSV" --generators "$GENERATORS_CSV" \
  --input "$MESSAGES"

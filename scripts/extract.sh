#!/usr/bin/env bash
# The main job: extract recent MISO data (last 3 market days, keyless sources unless keys are
# set in the environment) with Meltano into JSON Lines files under output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export TAP_MISO_START_DATE="${TAP_MISO_START_DATE:-$(date -u -d '3 days ago' +%F)}"
mkdir -p output
.venv/bin/meltano install
exec .venv/bin/meltano run tap-miso target-jsonl "$@"

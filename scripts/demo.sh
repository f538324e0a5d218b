#!/usr/bin/env bash
# Offline demo: the main job (Meltano, tap-miso -> target-jsonl) against the fake MISO server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export TAP_MISO_START_DATE="${TAP_MISO_START_DATE:-$(date -u -d '3 days ago' +%F)}"
PORT=8765
.venv/bin/python -m tap_miso.testing.fake_miso --port "$PORT" --nodes "${FAKE_NODES:-200}" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/_fake/requests" >/dev/null 2>&1 && break
  sleep 0.2
done
mkdir -p output
.venv/bin/meltano install
.venv/bin/meltano --environment=demo run tap-miso target-jsonl "$@"
echo "Records written:"; wc -l output/*.jsonl

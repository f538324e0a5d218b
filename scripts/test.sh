#!/usr/bin/env bash
# Set up from scratch if needed, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check tap_miso tests
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# PyAirbyte tests of tap-miso-airbyte, in their own venv (.venv-airbyte): PyAirbyte pins many
# packages, so it never goes into the tap's venv. Assumes the tap is installed in .venv
# (scripts/setup.sh); creates .venv-airbyte from tests_envs/airbyte/requirements.txt when
# missing or when the requirements changed. Extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests_envs/airbyte"
TAP_VENV="${TAP_MISO_VENV:-$ROOT/.venv}"
VENV="${TAP_MISO_AIRBYTE_VENV:-$ROOT/.venv-airbyte}"
REQUIREMENTS="$HERE/requirements.txt"

if [ ! -x "$TAP_VENV/bin/tap-miso-airbyte" ]; then
    echo "run.sh: $TAP_VENV/bin/tap-miso-airbyte not found; install tap-miso into $TAP_VENV first" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "run.sh: creating $VENV" >&2
    "$TAP_VENV/bin/python" -m venv "$VENV"
fi
STAMP="$VENV/.tap-miso-requirements.sha256"
WANT="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    echo "run.sh: installing $REQUIREMENTS into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$WANT" > "$STAMP"
fi

export TAP_MISO_VENV="$TAP_VENV"
export TAP_MISO_AIRBYTE="$TAP_VENV/bin/tap-miso-airbyte"
# Offline PyAirbyte (also set by conftest.py before PyAirbyte is imported).
export AIRBYTE_OFFLINE_MODE=1 DO_NOT_TRACK=1 AIRBYTE_LOCAL_REGISTRY=0
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$HERE" -q -p no:cacheprovider "$@"

"""The Airbyte image's Dockerfile, parsed with Docker's own parser (no Docker engine here).

Checks what an image needs to run as an Airbyte source: the package installed, the entry point
``tap-miso-airbyte`` (also in AIRBYTE_ENTRYPOINT), the io.airbyte labels matching the package
version, and a build context (.dockerignore) holding what the COPY lines need and no local state.
"""

from __future__ import annotations

import fnmatch
import shlex
import tomllib
from pathlib import Path

import dockerfile
import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def stages() -> list[list[dockerfile.Command]]:
    commands = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    out: list[list[dockerfile.Command]] = []
    for command in commands:
        if command.cmd == "FROM":
            out.append([])
        assert out, "the Dockerfile must start with FROM"
        out[-1].append(command)
    return out


def pairs(command: dockerfile.Command) -> dict[str, str]:
    """KEY=value pairs of an ENV or LABEL instruction, quotes removed."""
    values = command.value
    return {values[i]: " ".join(shlex.split(values[i + 1])) for i in range(0, len(values), 2)}


def merged(stage: list[dockerfile.Command], cmd: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for command in stage:
        if command.cmd == cmd:
            out.update(pairs(command))
    return out


def only(stage: list[dockerfile.Command], cmd: str) -> dockerfile.Command:
    found = [c for c in stage if c.cmd == cmd]
    assert len(found) == 1, f"expected one {cmd} in the final stage, got {len(found)}"
    return found[0]


def test_final_stage_runs_tap_miso_airbyte(stages):
    final = stages[-1]
    entrypoint = only(final, "ENTRYPOINT")
    assert entrypoint.json, "exec form, so arguments (spec, read ...) reach the program"
    assert list(entrypoint.value) == ["tap-miso-airbyte"]
    assert merged(final, "ENV")["AIRBYTE_ENTRYPOINT"] == "tap-miso-airbyte"
    assert PYPROJECT["project"]["scripts"]["tap-miso-airbyte"] == "tap_miso.airbyte.cli:main"
    user = only(final, "USER").value[0]
    assert user not in ("root", "0")


def test_airbyte_labels_match_the_package(stages):
    labels = merged(stages[-1], "LABEL")
    assert labels["io.airbyte.name"] == "airbyte/source-tap-miso"
    assert labels["io.airbyte.version"] == PYPROJECT["project"]["version"]


def test_base_image_is_a_supported_python(stages):
    for stage in stages:
        image = stage[0].value[0]
        assert image.startswith("python:3.11"), image  # requires-python >= 3.11, tested on 3.11
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_the_package_is_built_and_installed(stages):
    build, final = stages[0], stages[-1]
    assert build[0].value[-2:] == ("AS", "build")
    build_runs = " ".join(c.value[0] for c in build if c.cmd == "RUN")
    assert "pip wheel" in build_runs and "--wheel-dir /wheels ." in build_runs
    copied = [c for c in final if c.cmd == "COPY"]
    assert [c.flags for c in copied] == [("--from=build",)]
    assert copied[0].value == ("/wheels", "/tmp/wheels")
    final_runs = " ".join(c.value[0] for c in final if c.cmd == "RUN")
    assert "pip install --no-cache-dir --no-index --find-links /tmp/wheels tap-miso" in final_runs


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.replace("**/", "")):
            ignored = not negate
    return ignored


def test_build_context_has_what_copy_needs_and_no_local_state(stages):
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        src for command in stages[0] if command.cmd == "COPY" and not command.flags
        for src in command.value[:-1]
    ]
    assert sources == ["pyproject.toml", "README.md", "tap_miso"]
    for src in sources:
        assert (ROOT / src).exists(), src
        assert not dockerignored(src, patterns), f"{src} is excluded from the build context"
    for local in (".venv", ".venv-airbyte", ".git", ".env", ".meltano", "output", "tests"):
        assert dockerignored(local, patterns), f"{local} must not be sent to the Docker build"
    assert dockerignored("tap_miso/__pycache__", patterns)

"""README, meltano.yml and the settings schema must agree (names are a contract)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tap_miso.settings import SECRET_SETTINGS, SETTING_NAMES
from tap_miso.streams import STREAM_TYPES

ROOT = Path(__file__).resolve().parents[2]


def meltano_extractor():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-miso")


def test_every_setting_is_declared_in_meltano_yml_with_kind():
    declared = {s["name"]: s for s in meltano_extractor()["settings"]}
    assert set(SETTING_NAMES) == set(declared)
    assert all("kind" in s and s.get("description") for s in declared.values())
    for name in SECRET_SETTINGS:
        if name in declared:
            assert declared[name]["sensitive"] is True
            assert declared[name]["kind"] == "password"


def test_meltano_capabilities():
    capabilities = set(meltano_extractor()["capabilities"])
    assert {"catalog", "discover", "state", "about", "stream-maps", "structured-logging"} <= (
        capabilities
    )


def test_readme_documents_every_setting_and_ready_stream():
    readme = (ROOT / "README.md").read_text()
    for name in SETTING_NAMES:
        stem = name.removesuffix("_per_hour").removesuffix("_per_day")
        assert f"`{stem}" in readme, name
    for stream in STREAM_TYPES:
        assert f"`{stream.name}`" in readme, stream.name


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "scripts/extract.sh" in readme and "scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()

"""The tap's command line: --about, --discover, and bad configs failing with one clear line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tap_miso.settings import SETTING_NAMES

SECRET = "RECOGNISABLE-SECRET-KEY-4242"


def run_tap(*args, config=None, tmp_path=None, timeout=60):
    cmd = [sys.executable, "-m", "tap_miso.tap", *args]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        cmd += ["--config", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def test_about_json_lists_every_setting_and_marks_secrets():
    result = run_tap("--about", "--format", "json")
    assert result.returncode == 0, result.stderr
    about = json.loads(result.stdout)
    assert about["name"] == "tap-miso"
    assert "MISO" in about["description"]
    props = about["settings"]["properties"]
    assert set(SETTING_NAMES) <= set(props)
    assert props["pricing_api_key"].get("secret") is True
    assert props["lgi_api_key"].get("secret") is True
    assert about["settings"]["required"] == ["start_date"]


def test_about_markdown():
    result = run_tap("--about", "--format", "markdown")
    assert result.returncode == 0
    assert "start_date" in result.stdout and "requests_per_minute" in result.stdout


def test_discover_emits_catalog_with_keys(tmp_path):
    result = run_tap("--discover", config={"start_date": "2026-07-01"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    catalog = json.loads(result.stdout)
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    da = streams["lmp_day_ahead_hourly"]
    assert da["key_properties"] == ["node", "interval_start_utc", "price_type"]
    assert da["replication_key"] == "interval_start_utc"
    for field in (
        "interval_start_utc",
        "interval_end_utc",
        "market_date",
        "interval_start_local",
        "source_timezone",
        "source",
        "record_hash",
        "quality_flags",
    ):
        assert field in da["schema"]["properties"]


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "2026-07-01", "end_date": "2026-06-01"}, "end_date"),
        ({"start_date": "2026-07-01", "requests_per_minute": -1}, "requests_per_minute"),
        ({"start_date": "2026-07-01", "on_invalid_record": "explode"}, "on_invalid_record"),
        ({"start_date": "2026-07-01", "data_exchange_url": "not-a-url"}, "data_exchange_url"),
        ({"start_date": "2026-07-01", "pricing_api_key": [SECRET, 12]}, "pricing_api_key"),
        ({}, "start_date"),
    ],
)
def test_bad_config_exits_1_with_one_line_naming_setting(config, setting, tmp_path):
    result = run_tap(config=config, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if f"'{setting}'" in ln]
    assert len(lines) == 1, result.stderr
    assert "Invalid setting" in lines[0]
    assert result.stdout == ""
    assert SECRET not in result.stderr + result.stdout

"""``quality_checks``: the quality rules can be switched off (issue 7, benchmark scenario 4)."""

from __future__ import annotations

from datetime import date, timedelta

import jsonschema
import pytest
import requests

from tap_miso import timeutil
from tap_miso.settings import SettingsError, load_settings
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

DA = "lmp_day_ahead_hourly"
DAY = timeutil.market_today() - timedelta(days=3)
#: A price range every fake price breaks: with the checks on, every record is flagged.
TIGHT = {"lmp": {"min": 1e6, "max": 2e6}}


@pytest.mark.parametrize(
    ("value", "expected"), [(None, True), (True, True), (False, False), ("false", False)]
)
def test_setting_values(value, expected):
    config = {"start_date": "2026-07-01"}
    if value is not None:
        config["quality_checks"] = value
    assert load_settings(config, today=date(2026, 7, 20)).quality_checks is expected


def test_bad_setting_value_names_the_setting():
    with pytest.raises(SettingsError) as info:
        load_settings({"start_date": "2026-07-01", "quality_checks": "sometimes"},
                      today=date(2026, 7, 20))
    assert info.value.problems == [
        "Invalid setting 'quality_checks': must be true or false, got 'sometimes'"
    ]


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=12) as server:
        yield server


def run(fake, **overrides):
    config = fake_config(
        fake, start_date=str(DAY), end_date=str(DAY), quality_ranges=TIGHT, **overrides
    )
    result = run_tap(config, streams=[DA])
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_checks_on_flag_records_and_off_leaves_them_schema_valid_and_unflagged(fake):
    on, off = run(fake), run(fake, quality_checks=False)
    on_records, off_records = on.records(DA), off.records(DA)
    assert on_records and len(on_records) == len(off_records)
    assert all(r["quality_flags"] == ["price_out_of_range"] for r in on_records)
    assert all(r["quality_flags"] == [] for r in off_records)
    assert on.summary()["flagged_records"] == {DA: len(on_records)}
    assert not off.summary().get("flagged_records")
    # Same records otherwise (hash included), and valid against the stream's schema.
    strip = [{k: v for k, v in r.items() if k != "quality_flags"} for r in on_records]
    assert strip == [{k: v for k, v in r.items() if k != "quality_flags"} for r in off_records]
    schema = next(m["schema"] for m in off.messages if m["type"] == "SCHEMA")
    for record in off_records:
        jsonschema.validate(record, schema)


def test_checks_off_still_flags_and_applies_the_policy_to_unreadable_cells(fake):
    url = f"{fake.market_reports_url}/{DAY:%Y%m%d}_da_expost_lmp.csv"
    lines = requests.get(url, timeout=30).text.split("\n")
    row = next(i for i, line in enumerate(lines) if ",LMP," in line)
    cells = lines[row].split(",")
    cells[3] = "abc"
    lines[row] = ",".join(cells)
    fake.inject(rf"/marketreports/{DAY:%Y%m%d}_da_expost_lmp.csv", "status", times=None,
                code=200, body="\n".join(lines))
    try:
        flagged = run(fake, quality_checks=False).records(DA)
        dropped = run(fake, quality_checks=False, on_invalid_record="drop").records(DA)
    finally:
        fake.clear_faults()
    assert [r["quality_flags"] for r in flagged if r["quality_flags"]] == [["invalid_lmp"]]
    assert len(dropped) == len(flagged) - 1

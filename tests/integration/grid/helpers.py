"""Helpers shared by the grid-stream integration tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jsonschema import Draft7Validator

from tap_miso.testing.harness import TapRun, fake_config, run_tap

LGI_KEY = "fake-lgi-key"
TODAY = (datetime.now(UTC) - timedelta(hours=5)).date()  # market date (EST, FORMATS T1)
DAY = TODAY - timedelta(days=3)



def tap(fake, stream, sources, first=DAY, last=DAY, state=None, **overrides) -> TapRun:
    """Run one stream over [first, last] with only ``sources``; the run must succeed."""
    config = fake_config(
        fake, start_date=first.isoformat(), end_date=last.isoformat(), lgi_api_key=LGI_KEY,
        source_preference=list(sources), max_retries=0, **overrides,
    )  # fmt: skip
    run = run_tap(config, streams=[stream], state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def assert_schema_valid(run: TapRun, stream: str) -> None:
    """Every record of ``stream`` validates against the stream's SCHEMA message."""
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA"
                  and m["stream"] == stream)  # fmt: skip
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    for record in run.records(stream):
        validator.validate(record)


def without(record: dict, fields: set[str]) -> dict:
    """``record`` minus provenance ``fields`` (what may differ between sources)."""
    return {k: v for k, v in record.items() if k not in fields}

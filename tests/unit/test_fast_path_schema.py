"""The fast record path (issue 7): SDK type conformance is off, so records must be schema-valid.

``MisoStream`` sets ``TYPE_CONFORMANCE_LEVEL = NONE`` and the tap writes with the SDK's msgspec
writer, so nothing in the SDK coerces or strips record values any more. These tests run the real
tap (every stream, one past market date) against the fake MISO server, keyless and with Data
Exchange keys, and validate every record of every stream against its SCHEMA message.
"""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest

from tap_miso import timeutil
from tap_miso.streams import STREAM_TYPES
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

DAY = timeutil.market_today() - timedelta(days=3)
ALL_STREAMS = [stream_type.name for stream_type in STREAM_TYPES]


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=16) as server:
        yield server


def _keys(fake) -> dict:
    return {
        "pricing_api_key": fake.dx_keys["pricing"][0],
        "lgi_api_key": fake.dx_keys["lgi"][0],
    }


@pytest.fixture(scope="module", params=["keyless", "keyed"])
def run(request, fake):
    extra = _keys(fake) if request.param == "keyed" else {}
    config = fake_config(fake, start_date=str(DAY), end_date=str(DAY), **extra)
    result = run_tap(config, streams=ALL_STREAMS, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_every_record_of_every_stream_validates_against_its_schema(run):
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    validators = {
        stream: jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.FormatChecker()
        )
        for stream, schema in schemas.items()
    }
    counts = run.counts()
    assert set(counts) <= set(schemas)
    problems: list[str] = []
    for message in run.messages:
        if message["type"] != "RECORD":
            continue
        stream, record = message["stream"], message["record"]
        schema = schemas[stream]
        extra = set(record) - set(schema["properties"])
        if extra:  # conformance used to strip these; now nothing does
            problems.append(f"{stream}: properties not in the schema: {sorted(extra)}")
        for error in validators[stream].iter_errors(record):
            problems.append(f"{stream}: {error.message} at {list(error.path)}")
        if len(problems) > 20:
            break
    assert not problems, "\n".join(problems)
    # Most streams must have produced records, or the check proves little.
    assert len(counts) >= len(ALL_STREAMS) // 2, counts


def test_output_lines_are_singer_json(run):
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert lines
    for line in lines:
        message = json.loads(line)  # strict JSON: no NaN/Infinity
        assert message["type"] in {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"}
        if message["type"] == "RECORD":
            assert isinstance(message["stream"], str)
            assert isinstance(message["record"], dict)
            # time_extracted stays an RFC 3339 instant (msgspec writes ``...Z``).
            assert "time_extracted" not in message or timeutil.parse_utc(
                message["time_extracted"]
            )

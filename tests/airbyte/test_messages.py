"""Message-level tests of the Airbyte layer: every message type, against the protocol schema."""

from __future__ import annotations

import io
import json
import logging
import time

import jsonschema
import pytest
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib.messages import (
    ActivateVersionMessage,
    RecordMessage,
    SchemaMessage,
    StateMessage,
)

from tap_miso import secrets
from tap_miso.airbyte import messages
from tap_miso.airbyte.errors import AirbyteInputError, failure_type, trace_error
from tap_miso.airbyte.logs import AirbyteLogHandler
from tap_miso.airbyte.output import MessageOutput
from tap_miso.airbyte.spec import connection_specification
from tap_miso.airbyte.writer import AirbyteWriter
from tap_miso.http.errors import AuthError, RetriesExhaustedError
from tap_miso.settings import SECRET_SETTINGS, SETTING_NAMES
from tap_miso.streams.base import SourceChainError
from tests.airbyte.protocol import validate

SECRET = "AIRBYTE-LAYER-SECRET-7731"


def lines(buffer: io.BytesIO) -> list[dict]:
    out = [json.loads(line) for line in buffer.getvalue().decode().splitlines()]
    for message in out:
        validate(message)
    return out


def make_writer(initial_state=None) -> tuple[AirbyteWriter, io.BytesIO]:
    buffer = io.BytesIO()
    return AirbyteWriter(MessageOutput(buffer), initial_state=initial_state), buffer


def schema(stream: str) -> SchemaMessage:
    return SchemaMessage(stream, {"type": "object", "properties": {}}, ["k"], ["t"])


def state(**bookmarks) -> StateMessage:
    return StateMessage(value={"bookmarks": bookmarks})


def statuses(out: list[dict]) -> list[tuple[str, str]]:
    return [
        (m["trace"]["stream_status"]["stream_descriptor"]["name"],
         m["trace"]["stream_status"]["status"])
        for m in out if m["type"] == "TRACE" and m["trace"]["type"] == "STREAM_STATUS"
    ]


def test_record_becomes_airbyte_record_with_epoch_ms():
    writer, buffer = make_writer()
    before = int(time.time() * 1000)
    writer.write_message(schema("a"))
    writer.write_message(RecordMessage(stream="a", record={"k": 1, "v": 2.5, "f": ["x"]}))
    writer.output.flush()
    records = [m for m in lines(buffer) if m["type"] == "RECORD"]
    assert len(records) == 1
    body = records[0]["record"]
    assert body["stream"] == "a" and body["data"] == {"k": 1, "v": 2.5, "f": ["x"]}
    assert isinstance(body["emitted_at"], int)
    assert before <= body["emitted_at"] <= int(time.time() * 1000)


def test_stream_statuses_started_running_complete_in_order():
    writer, buffer = make_writer()
    writer.write_message(schema("a"))
    writer.write_message(RecordMessage(stream="a", record={"k": 1}))
    writer.write_message(RecordMessage(stream="a", record={"k": 2}))
    writer.write_message(schema("b"))  # b has no records: started, then complete
    writer.finish()
    assert statuses(lines(buffer)) == [
        ("a", "STARTED"), ("a", "RUNNING"), ("a", "COMPLETE"), ("b", "STARTED"), ("b", "COMPLETE"),
    ]


def test_per_stream_state_only_for_changed_bookmarks_with_record_counts():
    start = {"bookmarks": {"a": {"replication_key_value": "1"}, "z": {"x": 1}}}
    writer, buffer = make_writer(initial_state=start)
    writer.write_message(StateMessage(value=start))  # the SDK echoes the input state: no-op
    writer.write_message(schema("a"))
    for k in range(3):
        writer.write_message(RecordMessage(stream="a", record={"k": k}))
    writer.write_message(state(a={"replication_key_value": "2"}, z={"x": 1}))
    writer.write_message(state(a={"replication_key_value": "2"}, z={"x": 1}))  # unchanged
    writer.write_message(RecordMessage(stream="a", record={"k": 9}))
    writer.write_message(state(a={"replication_key_value": "3"}, z={"x": 1}))
    out = [m["state"] for m in lines(buffer) if m["type"] == "STATE"]
    assert [s["type"] for s in out] == ["STREAM", "STREAM"]  # never LEGACY or GLOBAL
    assert [s["stream"]["stream_descriptor"] for s in out] == [{"name": "a"}, {"name": "a"}]
    assert [s["stream"]["stream_state"] for s in out] == [
        {"replication_key_value": "2"}, {"replication_key_value": "3"}]
    assert [s["sourceStats"]["recordCount"] for s in out] == [3, 1]


def test_state_is_a_snapshot_not_a_live_reference():
    writer, buffer = make_writer()
    live = {"bookmarks": {"a": {"v": 1}}}
    writer.write_message(StateMessage(value=live))
    live["bookmarks"]["a"]["v"] = 2  # the SDK mutates its state in place
    writer.write_message(StateMessage(value=live))
    values = [m["state"]["stream"]["stream_state"]["v"] for m in lines(buffer)]
    assert values == [1, 2]


def test_failure_marks_stream_in_progress_incomplete_then_trace_error():
    writer, buffer = make_writer()
    writer.write_message(schema("a"))
    writer.write_message(RecordMessage(stream="a", record={"k": 1}))
    writer.write_message(schema("b"))
    writer.write_message(RecordMessage(stream="b", record={"k": 1}))
    error = SourceChainError("b: no source could serve market date 2026-01-02")
    writer.fail(trace_error(error, stream=writer.current))
    out = lines(buffer)
    assert statuses(out)[-1] == ("b", "INCOMPLETE")
    assert ("a", "COMPLETE") in statuses(out) and ("b", "COMPLETE") not in statuses(out)
    assert out[-1]["type"] == "TRACE" and out[-1]["trace"]["type"] == "ERROR"
    body = out[-1]["trace"]["error"]
    assert body["failure_type"] == "system_error"
    assert body["stream_descriptor"] == {"name": "b"}
    assert "no source could serve market date 2026-01-02" in body["message"]


def test_activate_version_gives_no_message():
    writer, buffer = make_writer()
    writer.write_message(ActivateVersionMessage(stream="a", version=1))
    assert buffer.getvalue() == b""


def test_failure_types():
    assert failure_type(AirbyteInputError("bad catalog")) == "config_error"
    assert failure_type(ConfigValidationError("x", errors=["y"])) == "config_error"
    try:
        try:
            raise AuthError("401", source="data_exchange", url="http://x")
        except AuthError as exc:
            raise SourceChainError("every source failed") from exc
    except SourceChainError as chained:
        assert failure_type(chained) == "config_error"  # a rejected key is the user's to fix
    exhausted = RetriesExhaustedError("down", source="public_api", url="u", attempts=2)
    assert failure_type(exhausted) == "system_error"
    assert failure_type(RuntimeError("bug")) == "system_error"


def test_trace_error_redacts_message_internal_message_and_stack():
    secrets.register_secret(SECRET)
    try:
        raise RuntimeError(f"GET http://h/x?subscription-key={SECRET} failed with {SECRET}")
    except RuntimeError as exc:
        message = trace_error(exc, stream="s")
    validate(message)
    assert SECRET not in json.dumps(message)
    body = message["trace"]["error"]
    assert "***" in body["message"] and "RuntimeError" in body["internal_message"]
    assert "Traceback" in body["stack_trace"]


def test_config_error_message_lists_problems_without_stack():
    message = trace_error(ConfigValidationError("failed", errors=["start_date: missing"]))
    body = message["trace"]["error"]
    assert body["failure_type"] == "config_error"
    assert body["message"] == "Invalid configuration: start_date: missing"
    assert "stack_trace" not in body


def test_log_handler_writes_redacted_log_messages():
    secrets.register_secret(SECRET)
    buffer = io.BytesIO()
    logger = logging.getLogger("tap_miso.airbyte.test")
    handler = AirbyteLogHandler(MessageOutput(buffer))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("key %s rejected", SECRET)
        logger.info("plain")
        logger.error("boom")
        logger.critical("fatal")
    finally:
        logger.removeHandler(handler)
    out = lines(buffer)
    assert [m["log"]["level"] for m in out] == ["WARN", "INFO", "ERROR", "FATAL"]
    assert SECRET not in buffer.getvalue().decode()
    assert out[0]["log"]["message"] == "tap_miso.airbyte.test: key *** rejected"


def test_message_builders_reject_unknown_values():
    with pytest.raises(ValueError, match="stream status"):
        messages.stream_status("a", "DONE")
    with pytest.raises(ValueError, match="failure type"):
        messages.trace_error("x", failure_type="oops")


def test_spec_is_valid_and_marks_every_secret():
    spec = connection_specification()
    message = messages.spec(spec, "https://example.invalid/docs")
    validate(message)
    jsonschema.Draft7Validator.check_schema(spec)
    assert set(spec["properties"]) == set(SETTING_NAMES)  # the SDK's built-ins are left out
    assert spec["required"] == ["start_date"]
    for name in SETTING_NAMES:
        assert spec["properties"][name].get("airbyte_secret", False) is (name in SECRET_SETTINGS)
    validator = jsonschema.Draft7Validator(spec)
    assert not list(validator.iter_errors({"start_date": "2026-01-01", "pricing_api_key": ["a"]}))
    assert list(validator.iter_errors({"pricing_api_key": "a"}))  # start_date is required

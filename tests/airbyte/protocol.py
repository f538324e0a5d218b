"""Check Airbyte messages against the protocol's JSON Schema (airbyte_protocol.schema.json).

The schema is generated from the protocol's own models (tests_envs/airbyte/dump_protocol_schema.py).
Its top level makes every body optional, so each message is also checked to carry the body its
type names, validated against that body's definition.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema

SCHEMA_FILE = Path(__file__).with_name("airbyte_protocol.schema.json")
#: Message type -> (body key, definition of the body).
BODIES = {
    "RECORD": ("record", "AirbyteRecordMessage"),
    "STATE": ("state", "AirbyteStateMessage"),
    "LOG": ("log", "AirbyteLogMessage"),
    "TRACE": ("trace", "AirbyteTraceMessage"),
    "SPEC": ("spec", "ConnectorSpecification"),
    "CATALOG": ("catalog", "AirbyteCatalog"),
    "CONNECTION_STATUS": ("connectionStatus", "AirbyteConnectionStatus"),
}
#: Trace/state sub-type -> key that must then be present.
SUB_BODIES = {"STREAM_STATUS": "stream_status", "ERROR": "error", "STREAM": "stream"}


@cache
def _schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


@cache
def _validator(definition: str | None) -> jsonschema.Validator:
    schema = dict(_schema())
    if definition:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


def validate(message: dict) -> None:
    """Raise if ``message`` is not a valid Airbyte message of its type."""
    _validator(None).validate(message)
    key, definition = BODIES[message["type"]]
    body = message.get(key)
    assert isinstance(body, dict), f"{message['type']} message without {key!r}: {message}"
    _validator(definition).validate(body)
    sub = SUB_BODIES.get(body.get("type"))
    if message["type"] in ("TRACE", "STATE") and sub:
        assert isinstance(body.get(sub), dict), f"{body['type']} without {sub!r}: {message}"


@dataclass
class AirbyteRun:
    """Outcome of one tap-miso-airbyte process, its stdout parsed and validated."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict]:
        """Messages of one type, in order."""
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str | None = None) -> list[dict]:
        """Record data, optionally of one stream."""
        return [
            m["record"]["data"] for m in self.of_type("RECORD")
            if stream is None or m["record"]["stream"] == stream
        ]

    def statuses(self) -> list[tuple[str, str]]:
        """(stream, status) of every STREAM_STATUS trace, in order."""
        return [
            (t["stream_status"]["stream_descriptor"]["name"], t["stream_status"]["status"])
            for t in (m["trace"] for m in self.of_type("TRACE"))
            if t["type"] == "STREAM_STATUS"
        ]

    def errors(self) -> list[dict]:
        """Bodies of TRACE ERROR messages."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def states(self, stream: str | None = None) -> list[dict]:
        """STATE bodies, optionally of one stream."""
        return [
            m["state"] for m in self.of_type("STATE")
            if stream is None or m["state"]["stream"]["stream_descriptor"]["name"] == stream
        ]

    def last_states(self) -> list[dict]:
        """The latest STATE body per stream: what Airbyte would pass to the next read."""
        latest = {s["stream"]["stream_descriptor"]["name"]: s for s in self.states()}
        return list(latest.values())


def run_airbyte(*args: str, timeout: float = 300, env: dict | None = None) -> AirbyteRun:
    """Run ``python -m tap_miso.airbyte.cli ARGS``; every stdout line must be a valid message."""
    proc = subprocess.run(
        [sys.executable, "-m", "tap_miso.airbyte.cli", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )
    messages = []
    for line in proc.stdout.splitlines():
        message = json.loads(line)  # a non-JSON line on stdout breaks the protocol
        validate(message)
        messages.append(message)
    return AirbyteRun(proc.returncode, proc.stdout, proc.stderr, messages)

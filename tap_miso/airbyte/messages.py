"""Airbyte protocol messages as plain dicts (protocol v0.5: records, per-stream state, traces)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

#: Python logging level -> Airbyte LOG level.
LOG_LEVELS = {50: "FATAL", 40: "ERROR", 30: "WARN", 20: "INFO", 10: "DEBUG"}
STREAM_STATUSES = ("STARTED", "RUNNING", "COMPLETE", "INCOMPLETE")
FAILURE_TYPES = ("config_error", "system_error", "transient_error")


def now_ms() -> int:
    """Current time in epoch milliseconds (the protocol's ``emitted_at``)."""
    return int(time.time() * 1000)


def descriptor(stream: str) -> dict[str, str]:
    """Stream descriptor (tap-miso streams have no namespace)."""
    return {"name": stream}


def record(stream: str, data: Mapping[str, Any], emitted_at: int | None = None) -> dict:
    """RECORD message."""
    return {
        "type": "RECORD",
        "record": {"stream": stream, "data": data, "emitted_at": emitted_at or now_ms()},
    }


def stream_state(stream: str, state: Mapping[str, Any], record_count: int | None = None) -> dict:
    """Per-stream STATE message (never LEGACY); ``record_count`` = records since the last one."""
    body: dict[str, Any] = {
        "type": "STREAM",
        "stream": {"stream_descriptor": descriptor(stream), "stream_state": dict(state)},
    }
    if record_count is not None:
        body["sourceStats"] = {"recordCount": float(record_count)}
    return {"type": "STATE", "state": body}


def log(level: int, message: str) -> dict:
    """LOG message; ``level`` is a Python logging level."""
    name = next((v for k, v in LOG_LEVELS.items() if level >= k), "TRACE")
    return {"type": "LOG", "log": {"level": name, "message": message}}


def stream_status(stream: str, status: str) -> dict:
    """TRACE STREAM_STATUS message."""
    if status not in STREAM_STATUSES:
        raise ValueError(f"unknown stream status {status!r}")
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": float(now_ms()),
            "stream_status": {"stream_descriptor": descriptor(stream), "status": status},
        },
    }


def trace_error(
    message: str,
    *,
    failure_type: str,
    internal_message: str | None = None,
    stream: str | None = None,
) -> dict:
    """TRACE ERROR message; every text must already be redacted."""
    if failure_type not in FAILURE_TYPES:
        raise ValueError(f"unknown failure type {failure_type!r}")
    error: dict[str, Any] = {"message": message, "failure_type": failure_type}
    if internal_message:
        error["internal_message"] = internal_message
    if stream:
        error["stream_descriptor"] = descriptor(stream)
    return {
        "type": "TRACE",
        "trace": {"type": "ERROR", "emitted_at": float(now_ms()), "error": error},
    }


def connection_status(succeeded: bool, message: str) -> dict:
    """CONNECTION_STATUS message (the answer to ``check``)."""
    return {
        "type": "CONNECTION_STATUS",
        "connectionStatus": {
            "status": "SUCCEEDED" if succeeded else "FAILED",
            "message": message,
        },
    }


def spec(connection_specification: Mapping[str, Any], documentation_url: str) -> dict:
    """SPEC message."""
    return {
        "type": "SPEC",
        "spec": {
            "documentationUrl": documentation_url,
            "connectionSpecification": dict(connection_specification),
            "supportsIncremental": True,
        },
    }


def catalog(streams: list[dict]) -> dict:
    """CATALOG message (the answer to ``discover``)."""
    return {"type": "CATALOG", "catalog": {"streams": streams}}

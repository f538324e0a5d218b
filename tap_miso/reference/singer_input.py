"""Read Singer messages (one JSON object per line), keep the records of some streams, and
optionally pass every line through unchanged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson

MESSAGE_TYPES = frozenset({"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"})


class SingerInputError(Exception):
    """The input is not a usable Singer message stream (the message starts "line N: ")."""


@dataclass
class StreamCapture:
    """Records of one stream as (input line number, record), in input order."""

    records: list[tuple[int, dict]] = field(default_factory=list)
    #: A STATE message followed the stream's last record: the tap reached a checkpoint after
    #: it, so the records are not the start of an output cut short by a crash.
    checkpointed: bool = False


def read_singer(
    lines: Iterable[bytes], streams: Iterable[str], passthrough: BinaryIO | None = None
) -> dict[str, StreamCapture]:
    """Records of ``streams`` from ``lines``, each line also written to ``passthrough``."""
    captures = {stream: StreamCapture() for stream in streams}
    for number, raw in enumerate(lines, 1):
        if passthrough is not None:
            passthrough.write(raw)
        if not raw.strip():
            continue
        message = _message(raw, number)
        kind = message["type"]
        if kind == "RECORD":
            stream, record = message.get("stream"), message.get("record")
            if not isinstance(stream, str) or not isinstance(record, dict):
                raise SingerInputError(f"line {number}: RECORD without stream or record")
            if stream in captures:
                captures[stream].records.append((number, record))
                captures[stream].checkpointed = False
        elif kind == "STATE":
            for capture in captures.values():
                capture.checkpointed = bool(capture.records)
    return captures


def _message(raw: bytes, number: int) -> dict:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SingerInputError(f"line {number}: not a Singer message (not JSON): "
                               f"{_preview(raw)}") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        raise SingerInputError(f"line {number}: not a Singer message (no SCHEMA/RECORD/"
                               f"STATE type): {_preview(raw)}")
    return message


def _preview(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return repr(text[:60] + ("..." if len(text) > 60 else ""))

"""Incremental reader for the Public API's ``{"headers": [...], "data": [[...], ...]}`` tables.

``GetRealTimeFiveMinExPost/Previous`` is ~47 MB (FORMATS §3.1 Sizes, §7.25). Parsing it with
one ``orjson.loads`` would hold the bytes plus ~750k lists of strings (several hundred MB).
This reader scans the ``data`` array chunk by chunk: each element is a flat JSON array of
scalars, located with a linear regular expression (strings and escapes respected) and decoded
with orjson in batches. Memory is one chunk plus one batch of rows.

Anything that does not look like that layout (``data`` before ``headers``, nested keys, an
error body) falls back to a whole-document ``orjson.loads``, which is always correct.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from .errors import PayloadError, payload_guard

CHUNK_SIZE = 1 << 20

_DATA_KEY_RE = re.compile(rb'"data"\s*:\s*\[')
# Only a top-level prefix of exactly `{ "headers": [flat array of strings], ` is streamed.
_PREFIX_RE = re.compile(rb'\s*\{\s*"headers"\s*:\s*(\[[^\[\]{}]*\])\s*,\s*')
# A flat JSON array: no nested arrays; strings may contain brackets and escaped quotes.
_ELEMENT_RE = re.compile(rb'\[(?:[^\[\]"]|"(?:[^"\\]|\\.)*")*\]')
_WHITESPACE_RE = re.compile(rb"\s*")
_CLOSE, _COMMA = ord("]"), ord(",")


def load_json(data: bytes | str | BinaryIO, format_name: str) -> Any:
    """Parse a whole JSON document from bytes, text or a binary file; `PayloadError` on
    invalid JSON."""
    if hasattr(data, "read"):
        with payload_guard(format_name, "read failed"):
            data = data.read()  # type: ignore[union-attr]
    with payload_guard(format_name, "invalid JSON"):
        return orjson.loads(data)  # type: ignore[arg-type]


def _whole_document(data: bytes, format_name: str) -> tuple[list[Any], Iterator[Any]]:
    with payload_guard(format_name, "invalid JSON"):
        document = orjson.loads(data)
    if isinstance(document, dict) and "error" in document:
        raise PayloadError(format_name, f"empty payload (error: {document['error']!r})")
    if not isinstance(document, dict):
        raise PayloadError(format_name, "expected a JSON object with headers and data")
    headers, rows = document.get("headers"), document.get("data")
    missing = [name for name, value in (("headers", headers), ("data", rows)) if value is None]
    if missing:
        raise PayloadError(format_name, "not a headers/data table", missing_columns=missing)
    if not isinstance(headers, list) or not isinstance(rows, list):
        raise PayloadError(format_name, "headers and data must be arrays")
    return headers, iter(rows)


def read_headed_table(
    source: BinaryIO | bytes, format_name: str, *, chunk_size: int | None = None
) -> tuple[list[Any], Iterator[Any]]:
    """Return ``(headers, rows)`` where ``rows`` lazily yields each element of ``data``.

    The headers are read eagerly (so column checks happen at call time); errors in the body
    (truncation, invalid JSON) raise `PayloadError` while iterating.
    """
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    chunk_size = chunk_size or CHUNK_SIZE
    state = {"buf": b"", "eof": False}

    def more() -> bool:
        if state["eof"]:
            return False
        with payload_guard(format_name, "read failed"):
            chunk = stream.read(chunk_size)
        if not chunk:
            state["eof"] = True
            return False
        state["buf"] += chunk
        return True

    search_from = 0
    while True:
        match = _DATA_KEY_RE.search(state["buf"], search_from)
        if match:
            break
        search_from = max(0, len(state["buf"]) - 16)
        if not more():
            return _whole_document(state["buf"], format_name)
    prefix = _PREFIX_RE.fullmatch(state["buf"], 0, match.start())
    if prefix is None:
        while more():
            pass
        return _whole_document(state["buf"], format_name)
    with payload_guard(format_name, "invalid headers"):
        headers = orjson.loads(prefix.group(1))
    start = match.end()

    def rows() -> Iterator[Any]:
        buf, pos = state["buf"], start
        expect = "first"  # "first" (element or ']'), "element" (after a comma), "separator"
        while True:
            batch: list[bytes] = []
            ended = False
            while True:
                pos = _WHITESPACE_RE.match(buf, pos).end()  # type: ignore[union-attr]
                if pos >= len(buf):
                    break
                if expect == "separator":
                    if buf[pos] == _COMMA:
                        pos, expect = pos + 1, "element"
                        continue
                    if buf[pos] == _CLOSE:
                        pos, ended = pos + 1, True
                        break
                    raise PayloadError(format_name, "invalid JSON in data array")
                if expect == "first" and buf[pos] == _CLOSE:
                    pos, ended = pos + 1, True
                    break
                element = _ELEMENT_RE.match(buf, pos)
                if element is None:
                    break  # a partial element at the end of the buffer, or not a flat array
                batch.append(element.group())
                pos, expect = element.end(), "separator"
            if batch:
                with payload_guard(format_name, "invalid JSON in data array"):
                    decoded = orjson.loads(b"[" + b",".join(batch) + b"]")
                yield from decoded
            if ended:
                state["buf"], tail = b"", buf[pos:]
                while more():
                    tail += state["buf"]
                    state["buf"] = b""
                _check_tail(tail, format_name)
                return
            state["buf"] = buf[pos:]
            if not more():
                raise PayloadError(format_name, "truncated or invalid JSON in data array")
            buf, pos = state["buf"], 0

    return headers, rows()


def _check_tail(tail: bytes, format_name: str) -> None:
    """After the data array: ``}`` or ``, "more": ... }`` and nothing else."""
    tail = tail.strip()
    if tail == b"}":
        return
    if tail.startswith(b","):
        with payload_guard(format_name, "invalid JSON after the data array"):
            orjson.loads(b"{" + tail[1:])
        return
    raise PayloadError(format_name, "truncated or invalid JSON after the data array")

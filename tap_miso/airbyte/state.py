"""Airbyte per-stream state <-> Singer state (``{"bookmarks": {stream: ...}}``)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from tap_miso.airbyte.errors import AirbyteInputError


def singer_state(airbyte_state: Any, *, full_refresh: Iterable[str] = ()) -> dict:
    """Singer state from the ``--state`` input; streams read in ``full_refresh`` start afresh.

    Accepts a list of per-stream STATE messages (``{"type": "STREAM", "stream": ...}``, as
    Airbyte and PyAirbyte send them), an empty list or object, or a LEGACY state whose data is
    a Singer state. GLOBAL state is rejected: tap-miso never emits it.

    Raises:
        AirbyteInputError: The state cannot be read.
    """
    bookmarks: dict[str, Any] = {}
    if isinstance(airbyte_state, dict):
        if "bookmarks" in airbyte_state or not airbyte_state:  # a Singer state as LEGACY data
            bookmarks = dict(airbyte_state.get("bookmarks") or {})
        else:
            airbyte_state = [airbyte_state]
    if isinstance(airbyte_state, list):
        for index, item in enumerate(airbyte_state):
            bookmarks.update(_entry(item, index))
    elif airbyte_state is not None and not isinstance(airbyte_state, dict):
        raise AirbyteInputError("state: expected a list of per-stream STATE messages")
    for stream in full_refresh:
        bookmarks.pop(stream, None)
    return {"bookmarks": copy.deepcopy(bookmarks)} if bookmarks else {}


def _entry(item: Any, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise AirbyteInputError(f"state[{index}]: expected an object")
    kind = item.get("type") or ("STREAM" if item.get("stream") else "LEGACY")
    if kind == "STREAM":
        stream = item.get("stream") or {}
        name = (stream.get("stream_descriptor") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise AirbyteInputError(f"state[{index}]: STREAM state without stream_descriptor.name")
        value = stream.get("stream_state")
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise AirbyteInputError(f"state[{index}]: stream_state of {name!r} is not an object")
        return {name: value}
    if kind == "LEGACY":
        data = item.get("data") or {}
        if not isinstance(data, dict):
            raise AirbyteInputError(f"state[{index}]: LEGACY data is not an object")
        return dict(data.get("bookmarks") or {})
    raise AirbyteInputError(
        f"state[{index}]: {kind} state is not supported; tap-miso keeps per-stream (STREAM) state"
    )

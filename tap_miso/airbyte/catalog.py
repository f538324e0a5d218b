"""Airbyte catalogs <-> the tap's Singer catalog."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tap_miso.airbyte.errors import AirbyteInputError

SYNC_MODES = ("full_refresh", "incremental")


def airbyte_streams(singer_catalog: Mapping[str, Any]) -> list[dict]:
    """AirbyteStream entries of a discovered Singer catalog.

    Every stream is incremental on its replication key (the source defines the cursor) and
    can be read in full (from ``start_date``, ignoring state).
    """
    streams = []
    for entry in singer_catalog["streams"]:
        stream: dict[str, Any] = {
            "name": entry["tap_stream_id"],
            "json_schema": entry["schema"],
            "supported_sync_modes": list(SYNC_MODES),
            "source_defined_cursor": True,
            "source_defined_primary_key": [[key] for key in entry.get("key_properties") or []],
            "is_resumable": True,
        }
        if entry.get("replication_key"):
            stream["default_cursor_field"] = [entry["replication_key"]]
        streams.append(stream)
    return streams


def select_streams(
    singer_catalog: Mapping[str, Any], configured: Any
) -> tuple[dict, dict[str, str]]:
    """The Singer catalog with the configured streams selected, and each one's sync mode.

    Raises:
        AirbyteInputError: The configured catalog is malformed or names an unknown stream.
    """
    entries = configured.get("streams") if isinstance(configured, dict) else None
    if not isinstance(entries, list):
        raise AirbyteInputError("configured catalog: expected an object with a 'streams' list")
    known = {entry["tap_stream_id"] for entry in singer_catalog["streams"]}
    modes: dict[str, str] = {}
    for index, item in enumerate(entries):
        name = _path(item, "stream", "name")
        if not isinstance(name, str):
            raise AirbyteInputError(f"configured catalog: streams[{index}] has no stream.name")
        if name not in known:
            raise AirbyteInputError(
                f"configured catalog: unknown stream {name!r}; streams: {', '.join(sorted(known))}"
            )
        mode = item.get("sync_mode", "incremental")
        if mode not in SYNC_MODES:
            raise AirbyteInputError(
                f"configured catalog: stream {name!r} has sync_mode {mode!r}; "
                f"use {' or '.join(SYNC_MODES)}"
            )
        modes[name] = mode
    if not modes:
        raise AirbyteInputError("configured catalog: no stream is configured")
    selected = copy.deepcopy(dict(singer_catalog))
    for entry in selected["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in modes
    return selected, modes


def _path(item: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item

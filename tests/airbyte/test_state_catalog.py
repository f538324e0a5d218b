"""Airbyte state and catalogs <-> the tap's Singer state and catalog."""

from __future__ import annotations

import copy

import pytest

from tap_miso.airbyte import messages
from tap_miso.airbyte.catalog import airbyte_streams, select_streams
from tap_miso.airbyte.errors import AirbyteInputError
from tap_miso.airbyte.state import singer_state
from tap_miso.tap import TapMiso
from tests.airbyte.protocol import validate

DA = "lmp_day_ahead_hourly"


@pytest.fixture(scope="module")
def singer_catalog():
    return TapMiso(config={"start_date": "2026-01-01"}, setup_mapper=False).catalog_dict


def stream_entry(name, stream_state):
    """A per-stream state as PyAirbyte writes it (model_dump_json: nulls included)."""
    return {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": name, "namespace": None},
                   "stream_state": stream_state},
        "global": None, "data": None, "sourceStats": None, "destinationStats": None,
    }


def configured(*streams, mode="incremental"):
    return {"streams": [
        {"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["incremental"]},
         "sync_mode": mode, "destination_sync_mode": "append"} for s in streams]}


def test_stream_states_become_singer_bookmarks():
    bookmark = {"replication_key": "interval_start_utc", "replication_key_value": "2026-01-02"}
    state = [stream_entry(DA, bookmark), stream_entry("nodes", {"node_history": []})]
    assert singer_state(state) == {"bookmarks": {DA: bookmark, "nodes": {"node_history": []}}}


def test_full_refresh_streams_start_without_state():
    state = [stream_entry(DA, {"replication_key_value": "x"}), stream_entry("nodes", {"a": 1})]
    assert singer_state(state, full_refresh=[DA]) == {"bookmarks": {"nodes": {"a": 1}}}
    assert singer_state(state, full_refresh=[DA, "nodes"]) == {}


@pytest.mark.parametrize("empty", [None, [], {}])
def test_empty_state(empty):
    assert singer_state(empty) == {}


def test_legacy_singer_state_is_accepted():
    legacy = {"type": "LEGACY", "data": {"bookmarks": {DA: {"replication_key_value": "v"}}}}
    assert singer_state([legacy]) == {"bookmarks": {DA: {"replication_key_value": "v"}}}
    assert singer_state({"bookmarks": {DA: {"v": 1}}}) == {"bookmarks": {DA: {"v": 1}}}


@pytest.mark.parametrize(("state", "problem"), [
    ([{"type": "GLOBAL", "global": {}}], "GLOBAL state is not supported"),
    ([{"type": "STREAM", "stream": {"stream_state": {}}}], "without stream_descriptor.name"),
    ([stream_entry(DA, [1, 2])], "is not an object"),
    (["text"], "expected an object"),
    ("text", "expected a list"),
])
def test_bad_state_is_a_clear_error(state, problem):
    with pytest.raises(AirbyteInputError, match=problem):
        singer_state(state)


def test_discovered_streams_are_valid_airbyte_streams(singer_catalog):
    streams = airbyte_streams(singer_catalog)
    validate(messages.catalog(streams))
    by_name = {s["name"]: s for s in streams}
    assert set(by_name) == {e["tap_stream_id"] for e in singer_catalog["streams"]}
    da = by_name[DA]
    assert da["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert da["source_defined_cursor"] is True
    assert da["default_cursor_field"] == ["interval_start_utc"]
    assert da["source_defined_primary_key"] == [["node"], ["interval_start_utc"], ["price_type"]]
    assert by_name["load_forecast_hourly"]["default_cursor_field"] == ["forecast_issued_utc"]
    assert by_name["nodes"]["default_cursor_field"] == ["last_seen"]
    assert "lmp" in da["json_schema"]["properties"]


def test_select_streams_marks_only_configured_streams(singer_catalog):
    before = copy.deepcopy(singer_catalog)
    catalog, modes = select_streams(singer_catalog, configured(DA, "nodes"))
    assert modes == {DA: "incremental", "nodes": "incremental"}
    selected = {
        e["tap_stream_id"] for e in catalog["streams"]
        for m in e["metadata"] if m["breadcrumb"] == [] and m["metadata"].get("selected")
    }
    assert selected == {DA, "nodes"}
    assert singer_catalog == before, "the discovered catalog must not be modified"


@pytest.mark.parametrize(("catalog", "problem"), [
    ({"streams": []}, "no stream is configured"),
    ([], "expected an object"),
    ({"streams": [{"sync_mode": "incremental"}]}, r"streams\[0\] has no stream.name"),
    (configured("no_such_stream"), "unknown stream 'no_such_stream'"),
    (configured(DA, mode="sometimes"), "sync_mode 'sometimes'"),
])
def test_bad_configured_catalog_is_a_clear_error(singer_catalog, catalog, problem):
    with pytest.raises(AirbyteInputError, match=problem):
        select_streams(singer_catalog, catalog)

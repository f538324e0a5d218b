"""tap-miso-airbyte driven by PyAirbyte (``local_executable``, offline) against the fake MISO.

check, discover, read into a DuckDB cache, then a second read that PyAirbyte feeds with the state
of the first: it fetches only the day-ahead lookback window.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import airbyte as ab
import jsonschema
import pytest
from airbyte import exceptions as ab_exc
from airbyte.caches import DuckDBCache
from conftest import NODES, FakeMiso
from dump_protocol_schema import TARGET, protocol_schema

DA = "lmp_day_ahead_hourly"
MCP = "ancillary_mcp_day_ahead_hourly"
SECRET = "PYAIRBYTE-SECRET-9911"
#: MISO market time is EST, UTC-5 all year.
TODAY = (datetime.now(UTC) - timedelta(hours=5)).date()
DAYS = [TODAY - timedelta(days=n) for n in (6, 5, 4)]


def source(fake: FakeMiso, executable: Path, **overrides: object) -> ab.Source:
    config = fake.config(**{"start_date": str(DAYS[0]), "end_date": str(DAYS[-1]),
                            "source_preference": ["market_report"], **overrides})
    return ab.get_source("source-tap-miso", config=config, local_executable=executable)


def lmp_files(requests: list[dict]) -> set[date]:
    """Market dates of the day-ahead LMP files the fake served."""
    dates = set()
    for record in requests:
        name = record["path"].rsplit("/", 1)[-1]
        if name.endswith("_lmp.csv") and "_da_" in name:
            dates.add(datetime.strptime(name[:8], "%Y%m%d").date())
    return dates


def test_protocol_schema_used_by_the_main_suite_is_current() -> None:
    committed = json.loads(TARGET.read_text())
    assert committed == json.loads(json.dumps(protocol_schema())), (
        "regenerate with tests_envs/airbyte/dump_protocol_schema.py")


def test_spec_and_check(fake: FakeMiso, executable: Path) -> None:
    src = source(fake, executable)
    spec = src.config_spec
    jsonschema.Draft7Validator.check_schema(spec)
    assert spec["properties"]["pricing_api_key"]["airbyte_secret"] is True
    src.check()  # raises unless CONNECTION_STATUS is SUCCEEDED


def test_check_rejected_key_fails_without_leaking_it(fake: FakeMiso, executable: Path) -> None:
    src = source(fake, executable, source_preference=["data_exchange"], pricing_api_key=SECRET)
    with pytest.raises(ab_exc.AirbyteConnectorCheckFailedError) as failed:
        src.check()
    assert "rejected the pricing key" in str(failed.value)
    assert SECRET not in str(failed.value)


def test_discover(fake: FakeMiso, executable: Path) -> None:
    src = source(fake, executable)
    assert {DA, MCP, "nodes"} <= set(src.get_available_streams())
    stream = next(s for s in src.discovered_catalog.streams if s.name == DA)
    assert stream.source_defined_cursor is True
    assert stream.default_cursor_field == ["interval_start_utc"]
    assert stream.source_defined_primary_key == [["node"], ["interval_start_utc"], ["price_type"]]


def test_read_then_incremental_read_with_state(
    fake: FakeMiso, executable: Path, tmp_path: Path
) -> None:
    cache = DuckDBCache(db_path=tmp_path / "miso.duckdb", cache_dir=tmp_path / "cache")
    src = source(fake, executable)
    src.select_streams([DA, MCP])

    fake.reset_log()
    first = src.read(cache=cache)
    rows = cache[DA].to_pandas()
    assert len(rows) == NODES * 24 * 2 * len(DAYS)  # every node, hour and ex-ante/ex-post
    assert set(rows["market_date"].astype(str)) == {str(d) for d in DAYS}
    assert rows["node"].nunique() == NODES
    assert not rows.duplicated(["node", "interval_start_utc", "price_type"]).any()
    assert len(cache[MCP].to_pandas()) > 0
    assert first.processed_records == len(rows) + len(cache[MCP].to_pandas())
    assert lmp_files(fake.requests()) == set(DAYS)

    state = cache.get_state_provider(source_name=src.name)
    bookmark = state.get_stream_state(DA).stream.stream_state.replication_key_value
    latest = rows["interval_start_utc"].max().to_pydatetime()
    latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    assert datetime.fromisoformat(bookmark.replace("Z", "+00:00")) == latest

    fake.reset_log()
    second = src.read(cache=cache)
    # lookback for day-ahead is one day before the bookmark: the last day and the one before
    assert lmp_files(fake.requests()) == set(DAYS[-2:])
    assert 0 < second.processed_records < first.processed_records / 2
    again = cache[DA].to_pandas()
    assert len(again) == len(rows), "merged on the primary key: no duplicates"

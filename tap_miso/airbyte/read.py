"""``read``: run the Tap on a configured catalog and state, writing Airbyte messages."""

from __future__ import annotations

from typing import Any

from tap_miso.airbyte.catalog import select_streams
from tap_miso.airbyte.errors import trace_error
from tap_miso.airbyte.output import MessageOutput
from tap_miso.airbyte.state import singer_state
from tap_miso.airbyte.writer import AirbyteWriter
from tap_miso.tap import TapMiso


def read(
    config: dict[str, Any],
    configured_catalog: Any,
    state: Any,
    output: MessageOutput,
) -> int:
    """Sync the configured streams; returns the exit code (0 success, 1 failure).

    ``incremental`` streams resume from their state (bookmark minus the stream's lookback);
    ``full_refresh`` streams ignore it and start at ``start_date``. A failure marks the stream
    in progress INCOMPLETE and ends with a TRACE error; every STATE sent before it stands.
    """
    discovery = TapMiso(config=config, validate_config=True, setup_mapper=False)
    catalog, modes = select_streams(discovery.catalog_dict, configured_catalog)
    full_refresh = [name for name, mode in modes.items() if mode == "full_refresh"]
    start_state = singer_state(state, full_refresh=full_refresh)
    writer = AirbyteWriter(output, initial_state=start_state)
    tap = TapMiso(config=config, catalog=catalog, state=start_state, message_writer=writer)
    try:
        tap.sync_all()
    except SystemExit as stop:
        if stop.code in (0, None):
            writer.finish()
            return 0
        failure = tap.failure or RuntimeError(f"the sync stopped with exit code {stop.code}")
        writer.fail(trace_error(failure, stream=writer.current, context=_context(writer)))
        return 1
    except Exception as exc:
        writer.fail(trace_error(exc, stream=writer.current, context=_context(writer)))
        return 1
    writer.finish()
    return 0


def _context(writer: AirbyteWriter) -> str:
    return f"Sync of stream {writer.current} failed" if writer.current else "Sync failed"

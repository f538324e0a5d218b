"""AirbyteWriter: the SDK's message-writer interface, printing Airbyte messages instead of Singer.

Singer SCHEMA starts a stream (TRACE STREAM_STATUS STARTED; the previous stream is COMPLETE),
RECORD becomes RECORD (``emitted_at`` in epoch ms; the first one also reports RUNNING), and each
Singer STATE (the whole tap state) becomes one per-stream Airbyte STATE for every stream whose
bookmark changed, with ``sourceStats.recordCount`` = records since that stream's last STATE.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.messages import Message, RecordMessage, SchemaMessage, StateMessage

from tap_miso.airbyte import messages
from tap_miso.airbyte.output import MessageOutput


class AirbyteWriter(GenericSingerWriter[bytes, Message]):
    """Turns the Tap's Singer messages into Airbyte messages on ``output``."""

    def __init__(
        self,
        output: MessageOutput | None = None,
        *,
        initial_state: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the writer.

        Args:
            output: Where lines go (stdout by default).
            initial_state: The Singer state the run starts from: bookmarks equal to it are
                not re-sent as Airbyte STATE.
        """
        self.output = output or MessageOutput()
        bookmarks = (initial_state or {}).get("bookmarks") or {}
        self._sent_state: dict[str, Any] = copy.deepcopy(dict(bookmarks))
        self._since_state: Counter[str] = Counter()
        self.record_counts: Counter[str] = Counter()
        self.current: str | None = None
        self.statuses: dict[str, str] = {}

    # -- GenericSingerWriter -----------------------------------------------------------------

    def serialize_message(self, message: Message) -> bytes:
        """The Airbyte lines for ``message`` (updates the writer's bookkeeping)."""
        return b"".join(
            orjson.dumps(m, option=orjson.OPT_APPEND_NEWLINE) for m in self.convert(message)
        )

    def write_message(self, message: Message) -> None:
        """Write the Airbyte messages for one Singer message."""
        for airbyte_message in self.convert(message):
            self.output.write(airbyte_message, flush=airbyte_message["type"] != "RECORD")

    # -- conversion ----------------------------------------------------------------------------

    def convert(self, message: Message) -> Iterator[dict]:
        """Airbyte messages for one Singer message (ACTIVATE_VERSION and BATCH give none)."""
        if isinstance(message, RecordMessage):
            yield from self._record(message)
        elif isinstance(message, SchemaMessage):
            yield from self._begin(message.stream)
        elif isinstance(message, StateMessage):
            yield from self._states(message.value)

    def _record(self, message: RecordMessage) -> Iterator[dict]:
        stream = message.stream
        if self.statuses.get(stream) != "RUNNING":
            yield from self._begin(stream)
            yield self._status(stream, "RUNNING")
        self._since_state[stream] += 1
        self.record_counts[stream] += 1
        yield messages.record(stream, message.record)

    def _begin(self, stream: str) -> Iterator[dict]:
        if self.current is not None and self.current != stream:
            yield from self._complete(self.current)
        self.current = stream
        if stream not in self.statuses:
            yield self._status(stream, "STARTED")

    def _complete(self, stream: str) -> Iterator[dict]:
        if self.statuses.get(stream) in ("STARTED", "RUNNING"):
            yield self._status(stream, "COMPLETE")

    def _status(self, stream: str, status: str) -> dict:
        self.statuses[stream] = status
        return messages.stream_status(stream, status)

    def _states(self, value: Mapping[str, Any]) -> Iterator[dict]:
        for stream, bookmark in (value.get("bookmarks") or {}).items():
            if bookmark == self._sent_state.get(stream):
                continue
            self._sent_state[stream] = copy.deepcopy(bookmark)
            count = self._since_state.pop(stream, 0)
            yield messages.stream_state(stream, bookmark, record_count=count)

    # -- end of run ----------------------------------------------------------------------------

    def finish(self) -> None:
        """The sync succeeded: the stream in progress is COMPLETE."""
        if self.current is not None:
            for message in self._complete(self.current):
                self.output.write(message)
        self.output.flush()

    def fail(self, error: dict) -> None:
        """The sync failed: the stream in progress is INCOMPLETE, then the TRACE ``error``.

        Streams never reached get no status (they were neither started nor completed).
        """
        if self.current is not None and self.statuses.get(self.current) != "COMPLETE":
            self.output.write(self._status(self.current, "INCOMPLETE"))
        self.output.write(error)

"""One Airbyte message per line on stdout, thread-safe (log records come from worker threads)."""

from __future__ import annotations

import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

import orjson


def _default(value: Any) -> Any:
    """JSON for the few non-native values a record or state could hold."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class MessageOutput:
    """Writes messages as JSON lines; records are buffered, everything else is flushed."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @property
    def stream(self) -> BinaryIO:
        """The binary stream written to (stdout unless given)."""
        return self._stream or sys.stdout.buffer

    def write(self, message: dict, *, flush: bool = True) -> None:
        """Write ``message`` as one line; ``flush=False`` for records (state flushes them)."""
        line = orjson.dumps(message, default=_default, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            self.stream.write(line)
            if flush:
                self.stream.flush()

    def flush(self) -> None:
        """Flush buffered lines."""
        with self._lock:
            self.stream.flush()

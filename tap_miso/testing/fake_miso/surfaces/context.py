"""Per-request context handed to routes, with cached JSON / sheet response helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from tap_miso.testing.fake_miso.clock import est_today
from tap_miso.testing.fake_miso.drift import Drift, drift_json, drift_sheets
from tap_miso.testing.fake_miso.formats.sheet import Sheet
from tap_miso.testing.fake_miso.response import JSON, Response
from tap_miso.testing.fake_miso.state import ServerState

_SECRET_PARAMS = {"subscription-key"}


@dataclass
class RequestContext:
    """One request as routes see it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    state: ServerState
    now: datetime
    drift: Drift | None = None

    @property
    def today(self) -> date:
        """Market date (EST) at the fake's current time."""
        return est_today(self.now)

    def cache_key(self, *extra: object) -> tuple[object, ...]:
        params = tuple(sorted((k, v) for k, v in self.query.items() if k not in _SECRET_PARAMS))
        return (self.path, params, *extra)

    def json(self, build: Callable[[], Any], *extra_key: object) -> Response:
        """JSON response built by `build`, cached unless a drift fault applies."""
        if self.drift is not None:
            return Response(200, JSON, orjson.dumps(drift_json(build(), self.drift)))
        body = self.state.cache.get_or_build(self.cache_key(*extra_key),
                                             lambda: orjson.dumps(build()))
        return Response(200, JSON, body)

    def sheets(self, build: Callable[[], list[Sheet]],
               write: Callable[[list[Sheet]], bytes | Iterable[bytes]],
               content_type: str, *, stream: bool = False) -> Response:
        """Report response; `stream=True` sends chunks, cached only when the server keeps
        streamed bodies (``cache_streamed``: a benchmark timing the tap, not the generator)."""
        if stream and self.drift is None and self.state.cache_streamed:
            key = self.cache_key()
            body = self.state.cache.get(key)
            if body is not None:
                return Response(200, content_type, body)
            written = write(build())
            if isinstance(written, bytes):
                self.state.cache.put(key, written)
                return Response(200, content_type, written)
            return Response(200, content_type, chunks=self.state.cache.tee(key, written))
        if self.drift is not None or stream:
            sheets = build()
            if self.drift is not None:
                sheets = drift_sheets(sheets, self.drift)
            written = write(sheets)
            if isinstance(written, bytes):
                return Response(200, content_type, written)
            return Response(200, content_type, chunks=written)
        body = self.state.cache.get_or_build(self.cache_key(), lambda: _as_bytes(write(build())))
        return Response(200, content_type, body)


def _as_bytes(written: bytes | Iterable[bytes]) -> bytes:
    return written if isinstance(written, bytes) else b"".join(written)


def parse_day(text: str) -> date | None:
    """`YYYY-MM-DD` -> date, None when malformed."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None

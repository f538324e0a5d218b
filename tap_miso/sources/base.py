"""What a stream needs to know about one of its sources.

A source of a stream is declared once as a :class:`SourceSpec`: which MISO surface it is, the
key it needs, which market dates it can serve, how to download a market date (network only, so it
can run ahead in a worker thread) and how to turn the downloaded payloads into rows (parsing and
time conversion, on the emitting thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tap_miso.http.client import HttpClient
    from tap_miso.settings import Settings

DATA_EXCHANGE = "data_exchange"
MARKET_REPORT = "market_report"
PUBLIC_API = "public_api"

Row = dict[str, Any]


@dataclass
class FetchContext:
    """Everything a source needs to fetch one market date for one stream."""

    stream: str
    client: HttpClient
    settings: Settings
    logger: logging.Logger
    now: datetime
    on_unexpected_columns: Callable[[str, list[str]], None] = field(
        default=lambda where, cols: None
    )
    #: Run-wide cache shared by the streams (e.g. node types), guarded by ``shared_lock``.
    shared: dict = field(default_factory=dict)
    shared_lock: threading.Lock = field(default_factory=threading.Lock)

    def drift_callback(self, where: str) -> Callable[[list[str]], None]:
        """Callback for parsers: report columns ``where`` sent that nobody expected."""
        return lambda cols: self.on_unexpected_columns(where, cols)


@dataclass(frozen=True)
class SourceSpec:
    """One source of a stream.

    A stream's market date may consist of several parts (say the ex-ante and ex-post files of a
    day-ahead date); each part has its own chain of sources. ``load(ctx, day, part)`` does the
    network part and returns an opaque payload (bytes or a list of bytes); it raises
    ``tap_miso.http.errors.NoDataError`` when MISO has nothing for the date.
    ``parse(ctx, day, part, payload)`` turns the payload into rows: each row holds the business
    fields, an ``interval`` (:class:`tap_miso.timeutil.Interval`) and an ``_invalid`` list; rows
    come out in ascending interval order.
    """

    source: str
    load: Callable[[FetchContext, date, str], Any]
    parse: Callable[[FetchContext, date, str, Any], Iterator[Row]]
    product: str | None = None  # Data Exchange product whose key is required
    serves: Callable[[date, datetime], bool] = field(default=lambda day, now: True)
    description: str = ""

    def available(self, settings: Settings) -> bool:
        """True when the settings allow this source (preference list, key present)."""
        if self.source not in settings.source_preference:
            return False
        if self.product == "pricing":
            return bool(settings.pricing_api_keys)
        if self.product == "lgi":
            return bool(settings.lgi_api_keys)
        return True

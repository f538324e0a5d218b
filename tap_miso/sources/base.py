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
from typing import TYPE_CHECKING, Any, TypeVar

from tap_miso.http.errors import NoDataError
from tap_miso.parsers.errors import PayloadError

if TYPE_CHECKING:
    from tap_miso.http.client import HttpClient
    from tap_miso.settings import Settings

DATA_EXCHANGE = "data_exchange"
MARKET_REPORT = "market_report"
PUBLIC_API = "public_api"

Row = dict[str, Any]
T = TypeVar("T")


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
    #: First and last market date the stream fetches in this run (None: not known). A source
    #: whose file holds several dates (the weekly 5-minute zip) skips the dates outside it.
    planned: tuple[date, date] | None = None

    def drift_callback(self, where: str) -> Callable[[list[str]], None]:
        """Callback for parsers: report columns ``where`` sent that nobody expected."""
        return lambda cols: self.on_unexpected_columns(where, cols)

    def once(self, key: tuple, produce: Callable[[], T]) -> T:
        """Run-wide ``produce()`` result under ``key``, computed once even across worker threads.

        Each key has its own lock, so one slow download does not hold up other keys. "No data"
        and unusable-payload outcomes are cached too (and raised again to every caller), so the
        dates sharing one download (a weekly file, a public window, a node list) do not each
        ask MISO again. Other failures (retries exhausted, breaker open) are not cached: a later
        caller tries again.
        """
        with self.shared_lock:
            lock = self.shared.setdefault((*key, "lock"), threading.Lock())
        with lock:
            outcome = self.shared.get(key)
            if outcome is None:
                try:
                    outcome = ("ok", produce())
                except (NoDataError, PayloadError) as exc:
                    outcome = ("error", exc)
                with self.shared_lock:
                    self.shared[key] = outcome
        kind, value = outcome
        if kind == "error":
            raise value
        return value

    def forget(self, key: tuple) -> None:
        """Drop a :meth:`once` result, so the next caller produces it again."""
        with self.shared_lock:
            self.shared.pop(key, None)


@dataclass(frozen=True)
class SourceSpec:
    """One source of a stream.

    A stream's market date may consist of several parts (say the ex-ante and ex-post files of a
    day-ahead date); each part has its own chain of sources. ``load(ctx, day, part)`` does the
    network part and returns an opaque payload (bytes or a list of bytes); it raises
    ``tap_miso.http.errors.NoDataError`` when MISO has nothing for the date.
    ``parse(ctx, day, part, payload)`` turns the payload into rows: each row holds the business
    fields, an ``interval`` (:class:`tap_miso.timeutil.Interval`) and an ``_invalid`` list; rows
    come out in ascending interval order. ``parts`` names the parts this source serves (None:
    every part); a part's chain holds only the sources that serve it.
    """

    source: str
    load: Callable[[FetchContext, date, str], Any]
    parse: Callable[[FetchContext, date, str, Any], Iterator[Row]]
    product: str | None = None  # Data Exchange product whose key is required
    serves: Callable[[date, datetime], bool] = field(default=lambda day, now: True)
    parts: tuple[str, ...] | None = None
    description: str = ""

    def serves_part(self, part: str) -> bool:
        """True when this source publishes ``part`` of a market date."""
        return self.parts is None or part in self.parts

    def available(self, settings: Settings) -> bool:
        """True when the settings allow this source (preference list, key present)."""
        if self.source not in settings.source_preference:
            return False
        if self.product == "pricing":
            return bool(settings.pricing_api_keys)
        if self.product == "lgi":
            return bool(settings.lgi_api_keys)
        return True

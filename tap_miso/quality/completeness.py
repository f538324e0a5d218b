"""Completeness: expected intervals per series and market date versus those received.

A market date (EST, fixed UTC-5) has 24 hourly or 288 five-minute intervals. Each observed
``(stream, series, market_date)`` keeps a bitmask of the interval indexes received, so
duplicates (a revised record) count once and memory is a few dozen bytes per series and date.
Every date's masks are keyed by the series key object first seen in the run (not each date's
own copy), so an open date holds no key tuples or node names of its own.

Records of a stream arrive in ascending time, so a date is *closed* (its gaps computed and its
masks freed) once the stream has moved more than one market date past it; the rest are closed
by :meth:`CompletenessTracker.close`. Two edges are not gaps:

* the first date a stream emits in a run may start mid-day (incremental runs resume at the
  bookmark minus the lookback): expected intervals start at the earliest interval the stream
  emitted on that date, across all its series;
* a date that has not ended yet (``now`` before its last interval's end) is expected only up to
  the latest interval the stream emitted on it.

A series absent for a whole date is not detected here (the stream reports a missing date as a
gap through ``RunSummary.add_gap``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tap_miso.quality.rules import parse_instant_cached, resolution_seconds
from tap_miso.timeutil import market_day_start

MAX_LISTED = 200
_ONE_DAY = timedelta(days=1)
_SLOT_CACHE_SIZE = 8192


@dataclass(frozen=True)
class Gap:
    """Intervals missing from one series on one market date."""

    stream: str
    market_date: str
    series: str
    missing: int
    expected: int
    first_missing_utc: str

    def as_dict(self) -> dict:
        return {
            "stream": self.stream,
            "market_date": self.market_date,
            "series": self.series,
            "missing_intervals": self.missing,
            "expected_intervals": self.expected,
            "first_missing_utc": self.first_missing_utc,
        }


def _series_label(series: Hashable) -> str:
    if isinstance(series, tuple):
        return "/".join("" if v is None else str(v) for v in series)
    return str(series)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class CompletenessTracker:
    """Thread-safe per-stream completeness bookkeeping (see module doc)."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_gap: Callable[[Gap], None] | None = None,
        max_listed: int = MAX_LISTED,
    ) -> None:
        self._now = now
        self._on_gap = on_gap
        self.max_listed = max_listed
        self._lock = threading.Lock()
        # stream -> market date -> series -> bitmask
        self._open: dict[str, dict[date, dict[Hashable, int]]] = {}
        self._bounds: dict[tuple[str, date], list[int]] = {}
        self._first_date: dict[str, date] = {}
        self._latest: dict[str, date] = {}
        self.listed: list[Gap] = []
        self.missing_intervals: dict[str, int] = {}
        self.incomplete_series: dict[str, int] = {}
        self.dates_checked: dict[str, int] = {}
        self.unlisted = 0
        # (stream, market_date, interval_start) -> (day, interval index), or None when the
        # record is not counted: every series of an interval shares these.
        self._slots: dict[tuple, tuple[date, int] | None] = {}
        # stream -> (market_date, interval_start, series keys) not yet applied
        self._pending: dict[str, tuple[date | str, str, list[Hashable]]] = {}
        # stream -> series key -> the first equal key seen: the key object of every date
        self._keys: dict[str, dict[Hashable, Hashable]] = {}

    @staticmethod
    def expected_intervals(stream: str) -> int:
        """24 for hourly streams, 288 for ``*_5min`` streams."""
        return 86400 // resolution_seconds(stream)

    def observe(
        self, stream: str, series_key: Hashable, market_date: date | str, interval_start: str
    ) -> None:
        """Count one record's interval (``interval_start`` is ISO UTC, e.g. ``...T05:00:00Z``).

        Every series of an interval arrives in a run: the first record of an interval is
        applied at once (dates close, and gaps are reported, exactly when they did one by one);
        the other series of the same interval are batched and applied together when the
        interval changes. :meth:`close` and :meth:`snapshot` apply pending batches first.
        """
        with self._lock:
            batch = self._pending.get(stream)
            if batch is not None and batch[1] == interval_start and batch[0] == market_date:
                batch[2].append(series_key)
                return
        self._flush(stream)
        self._apply(stream, [series_key], market_date, interval_start)
        with self._lock:
            self._pending[stream] = (market_date, interval_start, [])

    def observe_run(
        self, stream: str, keys: list[Hashable], market_date: date | str, interval_start: str
    ) -> None:
        """:meth:`observe` of every series in ``keys`` (one interval), in order, in one call."""
        if not keys:
            return
        with self._lock:
            batch = self._pending.get(stream)
            if batch is not None and batch[1] == interval_start and batch[0] == market_date:
                batch[2].extend(keys)
                return
        self._flush(stream)
        self._apply(stream, [keys[0]], market_date, interval_start)
        with self._lock:
            self._pending[stream] = (market_date, interval_start, keys[1:])

    def _flush(self, stream: str | None = None) -> None:
        """Apply the pending batch of ``stream`` (or of every stream)."""
        with self._lock:
            if stream is None:
                batches = list(self._pending.items())
                self._pending.clear()
            else:
                batch = self._pending.pop(stream, None)
                batches = [(stream, batch)] if batch is not None else []
        for name, (market_date, interval_start, keys) in batches:
            if keys:
                self._apply(name, keys, market_date, interval_start)

    def _cached_slot(
        self, stream: str, market_date: date | str, interval_start: str
    ) -> tuple[date, int] | None:
        slot_key = (stream, market_date, interval_start)
        try:
            return self._slots[slot_key]
        except (KeyError, TypeError):  # TypeError: an unhashable value, never cached
            slot = self._slot(stream, market_date, interval_start)
            try:
                if len(self._slots) >= _SLOT_CACHE_SIZE:
                    self._slots.clear()
                self._slots[slot_key] = slot
            except TypeError:
                pass
            return slot

    def _apply(
        self, stream: str, keys: list[Hashable], market_date: date | str, interval_start: str
    ) -> None:
        """Mark ``interval_start`` received for every series in ``keys``."""
        slot = self._cached_slot(stream, market_date, interval_start)
        if slot is None:
            return
        day, index = slot
        bit = 1 << index
        closable: list[date] = []
        with self._lock:
            self._first_date.setdefault(stream, day)
            dates = self._open.get(stream)
            if dates is None:
                dates = self._open[stream] = {}
            series = dates.get(day)
            if series is None:
                latest = self._latest.get(stream)
                if latest is not None and day < latest - _ONE_DAY:
                    return  # a late record for a closed date
                series = dates[day] = {}
            get = series.get
            known = self._keys.get(stream)
            if known is None:
                known = self._keys[stream] = {}
            canonical = known.setdefault
            for key in keys:
                key = canonical(key, key)
                series[key] = get(key, 0) | bit
            bounds = self._bounds.get((stream, day))
            if bounds is None:
                self._bounds[(stream, day)] = [index, index]
            else:
                if index < bounds[0]:
                    bounds[0] = index
                if index > bounds[1]:
                    bounds[1] = index
            latest = self._latest.get(stream)
            if latest is None or day > latest:
                self._latest[stream] = day
                closable = [d for d in dates if d < day - _ONE_DAY]
        for old in closable:
            self._close(stream, old)

    @staticmethod
    def _slot(stream: str, market_date: date | str, interval_start: str) -> tuple[date, int] | None:
        start = parse_instant_cached(interval_start)
        if start is None:
            return None
        day = _as_date(market_date)
        res = resolution_seconds(stream)
        offset = (start - market_day_start(day)).total_seconds()
        index = int(offset // res)
        if not 0 <= index < 86400 // res:
            return None
        return day, index

    def _close(self, stream: str, day: date) -> list[Gap]:
        with self._lock:
            series = self._open.get(stream, {}).pop(day, None)
            bounds = self._bounds.pop((stream, day), None)
            if series is None or bounds is None:
                return []
            res = resolution_seconds(stream)
            count = 86400 // res
            start = market_day_start(day)
            low = bounds[0] if self._first_date.get(stream) == day else 0
            day_over = self._now() >= start + timedelta(days=1)
            high = count - 1 if day_over else bounds[1]
            expected_mask = ((1 << (high + 1)) - 1) & ~((1 << low) - 1)
            expected = high - low + 1
            self.dates_checked[stream] = self.dates_checked.get(stream, 0) + 1
            gaps: list[Gap] = []
            for key, mask in series.items():
                missing = expected_mask & ~mask
                if not missing:
                    continue
                first = (missing & -missing).bit_length() - 1
                gap = Gap(
                    stream,
                    day.isoformat(),
                    _series_label(key),
                    missing.bit_count(),
                    expected,
                    (start + timedelta(seconds=first * res)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                )
                gaps.append(gap)
                self.missing_intervals[stream] = self.missing_intervals.get(stream, 0) + gap.missing
                self.incomplete_series[stream] = self.incomplete_series.get(stream, 0) + 1
                if len(self.listed) < self.max_listed:
                    self.listed.append(gap)
                else:
                    self.unlisted += 1
        if self._on_gap:
            for gap in gaps:
                self._on_gap(gap)
        return gaps

    def close(self, stream: str | None = None) -> None:
        """Close every open date (of one stream, or all): call at the end of a stream/run."""
        self._flush(stream)
        with self._lock:
            pending = [
                (s, d) for s, dates in self._open.items() if stream in (None, s) for d in dates
            ]
        for s, d in sorted(pending, key=lambda p: (p[0], p[1])):
            self._close(s, d)

    def gaps(self) -> list[Gap]:
        """Close every open date and return the gaps found (at most ``max_listed`` listed)."""
        self.close()
        with self._lock:
            return list(self.listed)

    def snapshot(self) -> dict:
        """JSON-ready totals and the listed gaps (does not close open dates)."""
        self._flush()
        with self._lock:
            return {
                "missing_intervals": dict(self.missing_intervals),
                "incomplete_series": dict(self.incomplete_series),
                "dates_checked": dict(self.dates_checked),
                "gaps": [g.as_dict() for g in self.listed],
                "gaps_not_listed": self.unlisted,
            }

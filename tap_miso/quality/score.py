"""`StreamQuality`: the per-stream checker called from ``post_process``, and its score.

``check(record)`` runs the stream's :class:`~tap_miso.quality.rules.RuleSet`, the outlier
detector and the completeness tracker, appends new flags to ``record["quality_flags"]`` in place
(values are never changed) and returns the record's *error* flags (every flag but ``outlier``):
a non-empty result is what ``on_invalid_record`` acts on.

Quality score of a stream = records without error flags / records checked (1.0 when none was
checked); dropped records count, since they were received. The checker also remembers the
sources used per market date and times each market date (see :meth:`StreamQuality.check`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from tap_miso.quality.completeness import CompletenessTracker
from tap_miso.quality.outliers import DEFAULT_THRESHOLD, OUTLIER, OutlierDetector
from tap_miso.quality.rules import (
    LMP_FIELDS,
    STREAM_SERIES,
    RuleSet,
    is_error,
)

#: Fields never part of a series key (time, lineage, values).
_NOT_SERIES = frozenset(
    {
        "interval_start_utc",
        "interval_end_utc",
        "market_date",
        "interval_start_local",
        "source_timezone",
        "source",
        "record_hash",
        "quality_flags",
        "revision",
        "hour_ending",
    }
)


#: ``invalid_<field>`` flag names of the scored value fields (built once, not per record).
_INVALID = {name: f"invalid_{name}" for name in (*LMP_FIELDS, "mcp")}
_INVALID_LMP = _INVALID["lmp"]
_NO_SOURCE = object()  # never a record's source


def series_fields_for(stream: str, primary_keys: Sequence[str] | None = None) -> tuple[str, ...]:
    """Fields naming one series of ``stream`` (known streams, else primary key minus time)."""
    if stream in STREAM_SERIES:
        return STREAM_SERIES[stream][1]
    return tuple(k for k in (primary_keys or ()) if k not in _NOT_SERIES)


class StreamQuality:
    """Quality checks, counters and per-date timing of one stream (thread-safe)."""

    def __init__(
        self,
        stream: str,
        *,
        ranges: Mapping[str, tuple[float, float]] | None = None,
        outlier_threshold: float = DEFAULT_THRESHOLD,
        completeness: CompletenessTracker | None = None,
        primary_keys: Sequence[str] | None = None,
        on_date_done: Callable[[str, str, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.rules = RuleSet.for_stream(stream, ranges)
        self.series_fields = series_fields_for(stream, primary_keys)
        self.outliers = (
            OutlierDetector.for_family(
                self.rules.family, outlier_threshold, resolution=self.rules.resolution
            )
            if self.rules.family
            else None
        )
        self.completeness = completeness
        self._on_date_done = on_date_done
        self._clock = clock
        self._lock = threading.Lock()
        self.checked = 0
        self.with_errors = 0
        self.flags: Counter[str] = Counter()
        self.sources_by_date: dict[str, set[str]] = {}
        self.date_seconds: dict[str, float] = {}
        self._segment_start = clock()
        self._current_date: str | None = None
        self._current_sources: set[str] = set()  # sources_by_date[_current_date]
        self._last_seen = self._segment_start
        self._last_source: object = _NO_SOURCE
        self._lmp = self.rules.family == "lmp"

    # -- per record -----------------------------------------------------------------------------

    def value_fields(self, record: Mapping) -> list[str]:
        """Fields scored for outliers: ``lmp``, ``mcp`` or every ``*_mw`` field."""
        if self.rules.family == "lmp":
            return [LMP_FIELDS[0]] if "lmp" in record else []
        return self.rules.numeric_fields(record)

    def series_key(self, record: Mapping) -> Hashable:
        """The record's series, e.g. ``("NODE.A", "ex_post")``."""
        return tuple(record.get(f) for f in self.series_fields)

    def check(self, record: dict) -> list[str]:
        """Flag ``record`` in place; return its error flags (empty: record is valid)."""
        flags: list[str] = record.setdefault("quality_flags", [])
        found = self.rules.check(record)
        if found:
            for flag in found:
                if flag not in flags:
                    flags.append(flag)
        if self.rules.family is None:
            errors = [f for f in flags if is_error(f)] if flags else []
            self._count(record, flags, errors)
            return errors
        get = record.get
        fields = self.series_fields
        if len(fields) == 2:
            key: tuple = (get(fields[0]), get(fields[1]))
        elif len(fields) == 1:
            key = (get(fields[0]),)
        else:
            key = tuple([get(f) for f in fields])
        if self.outliers is not None:
            if self._lmp:  # value_fields: just "lmp"
                skip = "lmp" not in record or (flags and ("lmp" in flags or _INVALID_LMP in flags))
                observed = not skip and self.outliers.observe((*key, "lmp"), record["lmp"])
                if observed and OUTLIER not in flags:
                    flags.append(OUTLIER)
            else:
                outlier = False
                for name in self.value_fields(record):
                    value = get(name)
                    if flags and (name in flags or _INVALID.get(name, f"invalid_{name}") in flags):
                        continue
                    outlier |= self.outliers.observe((*key, name), value)
                if outlier and OUTLIER not in flags:
                    flags.append(OUTLIER)
        if self.completeness is not None:
            market_date = get("market_date")
            if market_date:
                self.completeness.observe(
                    self.stream, key, market_date, get("interval_start_utc")
                )
        errors = [f for f in flags if is_error(f)] if flags else []
        self._count(record, flags, errors)
        return errors

    def _count(self, record: Mapping, flags: list[str], errors: list[str]) -> None:
        day = record.get("market_date") or ""
        if type(day) is not str:
            day = str(day)
        now = self._clock()
        finished: tuple[str, float] | None = None
        with self._lock:
            self.checked += 1
            if errors:
                self.with_errors += 1
            if flags:
                self.flags.update(flags)
            if day:
                if day != self._current_date:
                    # Date D's collection time runs from the last record of the date before it
                    # (or the stream's start) to D's last record: fetch and parse included.
                    if self._current_date is not None:
                        finished = (self._current_date, self._last_seen - self._segment_start)
                        self.date_seconds[self._current_date] = finished[1]
                        self._segment_start = self._last_seen
                    self._current_date = day
                    self._current_sources = self.sources_by_date.setdefault(day, set())
                    self._last_source = _NO_SOURCE
                source = record.get("source")
                if source is not self._last_source:  # most records repeat the last source
                    self._current_sources.add(str(source))
                    self._last_source = source
                self._last_seen = now
        if finished and self._on_date_done:
            self._on_date_done(self.stream, *finished)

    # -- end of stream --------------------------------------------------------------------------

    def finish(self) -> None:
        """Close the current date's timer and the stream's completeness (idempotent)."""
        finished: tuple[str, float] | None = None
        with self._lock:
            if self._current_date is not None and self._current_date not in self.date_seconds:
                finished = (self._current_date, self._last_seen - self._segment_start)
                self.date_seconds[self._current_date] = finished[1]
        if finished and self._on_date_done:
            self._on_date_done(self.stream, *finished)
        if self.completeness is not None:
            self.completeness.close(self.stream)

    @property
    def score(self) -> float:
        """Share of checked records without error flags (1.0 when none was checked)."""
        with self._lock:
            return 1.0 if not self.checked else (self.checked - self.with_errors) / self.checked

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready counters."""
        score = self.score
        with self._lock:
            return {
                "records_checked": self.checked,
                "records_with_errors": self.with_errors,
                "quality_score": round(score, 6),
                "flags_by_rule": dict(sorted(self.flags.items())),
                "sources_by_date": {d: sorted(s) for d, s in sorted(self.sources_by_date.items())},
                "date_collection_seconds": {
                    d: round(s, 3) for d, s in sorted(self.date_seconds.items())
                },
            }

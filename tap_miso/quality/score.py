"""`StreamQuality`: the per-stream checker called from ``post_process``, and its score.

``check(record)`` runs the stream's :class:`~tap_miso.quality.rules.RuleSet`, the outlier
detector and the completeness tracker, appends new flags to ``record["quality_flags"]`` in place
(values are never changed) and returns the record's *error* flags (every flag but ``outlier``):
a non-empty result is what ``on_invalid_record`` acts on. ``check_many(rows)`` does the same
for a list of rows in emit order, with the common LMP row checked inline and each interval's
rows passed to the outlier windows and completeness in one call.

Quality score of a stream = records without error flags / records checked (1.0 when none was
checked); dropped records count, since they were received. The checker also remembers the
sources used per market date and times each market date (see :meth:`StreamQuality.check`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import cached_property
from operator import itemgetter
from typing import Any

from tap_miso.quality.completeness import CompletenessTracker
from tap_miso.quality.outliers import DEFAULT_THRESHOLD, OUTLIER, OutlierDetector
from tap_miso.quality.rules import (
    _UNBOUNDED,
    BAD_INTERVAL,
    COMPONENT_MISMATCH,
    COMPONENT_TOLERANCE,
    LMP_FIELDS,
    RANGE_FLAGS,
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


class _Group:
    """Fast-path rows of one interval awaiting outliers, completeness and counters."""

    __slots__ = ("flagged", "flags", "keys", "sources", "values")

    def __init__(self) -> None:
        self.flags: list[list[str]] = []  # each row's quality_flags
        self.flagged: list[int] = []  # indexes of rows with error flags
        self.keys: list[tuple] = []  # series keys (also the outlier windows' keys)
        self.values: list[float] = []
        self.sources: list[object] = []

    def clear(self) -> None:
        for part in (self.flags, self.flagged, self.keys, self.values, self.sources):
            part.clear()


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
                # one scored field: the window of the series is keyed by the series key alone
                observed = not skip and self.outliers.observe(key, record["lmp"])
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

    def check_many(self, rows: list[dict]) -> list[list[str]]:
        """:meth:`check` on each row in order, cheaper per row; each row's error flags.

        Same flags, return values and state afterwards as one ``check`` call per row. LMP rows
        on the common path (four floats, contract and series fields present, no forecast
        field, no flags yet) are checked inline and grouped per interval: outlier windows,
        completeness and counters are then updated once per group, in that order (what one
        call per row does, as no alert can fire inside a group after its first row). Any
        other row goes through :meth:`check`.
        """
        if not self._lmp or self.outliers is None:
            return [self.check(row) for row in rows]
        fields = self._fast_fields
        low, high = self.rules.value_range or _UNBOUNDED
        range_flag = RANGE_FLAGS["lmp"]
        bad_interval = self.rules._bad_interval
        results: list[list[str]] = []
        group = _Group()
        flags_of, keys, values, sources, flagged = (
            group.flags, group.keys, group.values, group.sources, group.flagged)
        cur_date: object = _NO_SOURCE
        cur_start: object = _NO_SOURCE
        last_start: object = _NO_SOURCE
        last_end: object = _NO_SOURCE
        last_bad = False
        for row in rows:
            try:
                got = fields(row)
            except KeyError:
                got = None
            if got is not None:
                lmp, mec, mcc, mlc, market_date, start, end, source, flags = got[:9]
            if not (
                got is not None
                and type(flags) is list
                and not flags
                and type(lmp) is float
                and type(mec) is float
                and type(mcc) is float
                and type(mlc) is float
                and market_date
                and source
                and start
                and end
                and "forecast_issued_utc" not in row
            ):
                if flags_of:
                    self._flush_group(group, cur_date, cur_start)
                cur_date = cur_start = _NO_SOURCE
                results.append(self.check(row))
                continue
            if not (start == cur_start and market_date == cur_date):
                if flags_of:
                    self._flush_group(group, cur_date, cur_start)
                cur_date, cur_start = market_date, start
            # RuleSet.check's fast path, inline (the interval check once per interval).
            if not (start == last_start and end == last_end):
                last_start, last_end, last_bad = start, end, bad_interval(start, end)
            if (
                low <= lmp <= high
                and low <= mec <= high
                and low <= mcc <= high
                and low <= mlc <= high
                and abs(lmp - (mec + mcc + mlc)) <= COMPONENT_TOLERANCE
                and not last_bad
            ):
                results.append([])
            else:
                errors: list[str] = []
                if not (
                    low <= lmp <= high
                    and low <= mec <= high
                    and low <= mcc <= high
                    and low <= mlc <= high
                ):
                    errors.append(range_flag)
                if abs(lmp - (mec + mcc + mlc)) > COMPONENT_TOLERANCE:
                    errors.append(COMPONENT_MISMATCH)
                if last_bad:
                    errors.append(BAD_INTERVAL)
                if errors:
                    flags.extend(errors)
                    flagged.append(len(flags_of))
                results.append(errors)
            key = got[9:]
            flags_of.append(flags)
            keys.append(key)
            values.append(lmp)
            sources.append(source)
        if flags_of:
            self._flush_group(group, cur_date, cur_start)
        return results

    @cached_property
    def _fast_fields(self) -> itemgetter:
        """Fields of an LMP row read by :meth:`check_many`, series fields last."""
        return itemgetter(*LMP_FIELDS, "market_date", "interval_start_utc", "interval_end_utc",
                          "source", "quality_flags", *self.series_fields)

    def _flush_group(self, group: _Group, market_date: object, start: object) -> None:
        """Outliers, completeness and counters of the rows of one interval; empty ``group``."""
        assert self.outliers is not None
        flags_of = group.flags
        errors = len(group.flagged)  # rows with error flags (before any outlier)
        outliers = self.outliers.observe_many(group.keys, group.values)
        for index in outliers:
            flags_of[index].append(OUTLIER)
        if self.completeness is not None:
            self.completeness.observe_run(self.stream, group.keys, market_date, start)
        flagged = group.flagged
        if outliers:
            flagged = sorted({*flagged, *outliers})
        self._count_group(market_date, group.sources, errors, [flags_of[i] for i in flagged])
        group.clear()

    def _count_group(self, market_date: object, sources: list[object], errors: int,
                     flag_lists: list[list[str]]) -> None:
        """:meth:`_count` for the rows of one group, in order (all on ``market_date``)."""
        day = market_date or ""
        if type(day) is not str:
            day = str(day)
        clock = self._clock
        finished: tuple[str, float] | None = None
        with self._lock:
            self.checked += len(sources)
            self.with_errors += errors
            for flags in flag_lists:
                self.flags.update(flags)
            if day and day != self._current_date:  # only the group's first row can start a date
                finished = self._start_date(day)
            last = self._last_source
            add = self._current_sources.add
            now = self._last_seen
            for source in sources:
                now = clock()  # once per row, as one check per row does
                if source is not last:
                    add(str(source))
                    last = source
            if day:
                self._last_source = last
                self._last_seen = now
        if finished and self._on_date_done:
            self._on_date_done(self.stream, *finished)

    def _start_date(self, day: str) -> tuple[str, float] | None:
        """Switch counting to ``day`` (lock held); the finished date and its seconds, if any.

        Date D's collection time runs from the last record of the date before it (or the
        stream's start) to D's last record: fetch and parse included.
        """
        finished = None
        if self._current_date is not None:
            finished = (self._current_date, self._last_seen - self._segment_start)
            self.date_seconds[self._current_date] = finished[1]
            self._segment_start = self._last_seen
        self._current_date = day
        self._current_sources = self.sources_by_date.setdefault(day, set())
        self._last_source = _NO_SOURCE
        return finished

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
                    finished = self._start_date(day)
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

"""Robust outlier flags: median and MAD over a trailing window per series.

How it works on a stream emitted in time order
----------------------------------------------
A record is written by the SDK as soon as ``post_process`` returns, so a flag cannot be added
later: detection must decide on arrival. Each series (e.g. one node and price type, one area, one
fuel and region) keeps a fixed-size ring buffer of its last ``window`` values (48 hourly values =
two days, 72 five-minute values = six hours by default). A value is scored against the buffer
*before* it is added::

    score = |x - median(buffer)| / max(1.4826 * MAD(buffer), abs_floor, rel_floor * |median|)

and flagged ``outlier`` when ``score > threshold`` (setting ``outlier_threshold``) once the
buffer holds ``min_samples`` values (no flags while warming up). The flagged value still enters
the buffer (median and MAD are robust to it) and is never altered or dropped.

Memory is bounded and compact: ``window`` doubles per series (``array('d')``, no float objects),
about 12 MB for every node of ``lmp_real_time_5min``, plus as much again for the copy of each
window at its last refresh (five-minute detectors compute a window's statistics only for a
value that is not within threshold x floor of the window's extremes, most hours none: a keyless
3-day backfill ran 20% faster; bench/RESULTS.md round 8); hourly detectors, which need the median of
every value, also keep their window sorted (a second ``array('d')`` of 48 doubles, ~0.4 KB per
series, ~2 MB for ``lmp_day_ahead_hourly``) so the median is read, not sorted, per value. A
list of floats there held ~1.6 KB per series and kept one parsed float object per value alive,
pinning the allocator's memory pools of the records around it: peak RSS grew with the days.

The scale floors keep flat series (zero MCPs, constant schedules) from turning cent-sized
moves into outliers; the defaults are tuned so real-market behaviour (energy price spikes of
several times the level, scarcity adders of a few hundred $/MW, wind and solar ramps) is not
flagged, while gross data errors (a $/MWh value in the thousands in a $30 series, a 20 GW slip
in an interchange schedule) are. Limitation: in series with a large daily cycle (load) the MAD
is the cycle's spread, so only deviations of about ``threshold`` times that spread are flagged
(a unit slip, not a load falling to a tenth); the range rules cover the rest.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, insort
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import sub

OUTLIER = "outlier"
MAD_TO_SIGMA = 1.4826
DEFAULT_THRESHOLD = 12.0


@dataclass(frozen=True)
class ScaleFloor:
    """Smallest spread assumed: absolute, relative to |median|, and share of the p5..p95 span.

    The span term keeps series with a strong daily cycle (solar, load, ramps) from flagging
    their own sunrise: the window then holds a full cycle, whose span sets the scale.
    """

    absolute: float
    relative: float = 0.0
    span: float = 0.2


#: Per-family floors: prices in $/MWh or $/MW, quantities in MW.
FAMILY_FLOORS = {
    "lmp": ScaleFloor(50.0),
    "mcp": ScaleFloor(40.0),
    "mw": ScaleFloor(50.0, 0.05),
}


def _reserved(size: int) -> array:
    """An empty ``array('d')`` whose buffer already holds ``size`` doubles.

    Growing a sorted window value by value reallocated its buffer a few times a day per series,
    each time among the records then in flight: long-lived blocks scattered that way keep the
    allocator's memory pools from being released, and peak RSS grew with the days of a run.
    CPython's array keeps its buffer when it shrinks by fewer than 16 items, so deleting down in
    steps of 15 empties it without freeing the buffer; inserts up to ``size`` then reuse it.
    """
    reserved = array("d", bytes(8 * size))
    for end in range(size - 15, -15, -15):
        del reserved[max(end, 0) :]
    return reserved


class _Ring:
    """Last ``size`` values of one series, in arrival order (``values``, a ring).

    Detectors that need the median of every value (``refresh`` 1) also keep ``ordered``: the
    window's values sorted (``array('d')``), updated by bisection (``None`` while the window
    holds a NaN, which has no place in a sorted array: the window is then sorted on demand).
    """

    __slots__ = ("count", "hi", "lo", "nans", "ordered", "pos", "snap", "stale", "stats", "values")

    def __init__(self, size: int, ordered: bool = False) -> None:
        self.values = array("d", bytes(8 * size))
        self.count = 0
        self.pos = 0
        self.stats: tuple[float, float] | None = None
        #: Detectors that refresh their statistics every few values (`_refresh_window`): the
        #: window at the last refresh while its statistics are not computed yet, with its
        #: lowest and highest value.
        self.snap: array | None = None
        self.lo = self.hi = 0.0
        self.stale = 0
        self.nans = 0
        self.ordered: array | None = _reserved(size) if ordered else None

    def add(self, value: float) -> None:
        """Append ``value`` (evicting the oldest when full), keeping ``ordered`` in step."""
        _push(self, float(value), len(self.values))

    def items(self) -> list[float]:
        return (
            list(self.values[: self.count]) if self.count < len(self.values) else list(self.values)
        )

    def window(self) -> array:
        """The filled part of the buffer (order does not matter to median/MAD/span)."""
        return self.values[: self.count] if self.count < len(self.values) else self.values


def _push(ring: _Ring, number: float, size: int) -> None:
    """Store ``number`` in ``ring`` (a ring of ``size`` values); maintain ``ordered``."""
    values = ring.values
    pos = ring.pos
    count = ring.count
    old = values[pos]  # evicted when the ring is full
    values[pos] = number
    ring.pos = 0 if pos + 1 == size else pos + 1
    if count < size:
        ring.count = count + 1
    ring.stale += 1
    ordered = ring.ordered
    if ordered is None and not ring.nans:
        return  # a detector without a sorted window
    if number != number:
        ring.nans += 1
    if count == size and old != old:
        ring.nans -= 1
    if ring.nans:
        ring.ordered = None
    elif ordered is None:  # the last NaN just left: sort once, then maintain again
        ordered = ring.ordered = _reserved(size)
        ordered.extend(sorted(values if count == size else values[: count + 1]))
    else:
        if count == size:
            del ordered[bisect_left(ordered, old)]
        insort(ordered, number)


def _median(sorted_values: Sequence[float]) -> float:
    n = len(sorted_values)
    mid = n // 2
    if n % 2:
        return sorted_values[mid]
    return (sorted_values[mid - 1] + sorted_values[mid]) / 2


class OutlierDetector:
    """Trailing-window median/MAD detector over many series (thread-safe)."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        window: int = 48,
        min_samples: int = 24,
        refresh: int = 1,
        floor: ScaleFloor = FAMILY_FLOORS["lmp"],
    ) -> None:
        if threshold <= 0 or window < 3 or not 3 <= min_samples <= window:
            msg = "threshold must be > 0 and 3 <= min_samples <= window"
            raise ValueError(msg)
        self.threshold = threshold
        self.window = window
        self.min_samples = min_samples
        self.refresh = max(1, refresh)
        self.floor = floor
        self._series: dict[Hashable, _Ring] = {}
        self._bounded = self.refresh == 1 and floor.absolute > 0
        # A value within threshold x floor of the median cannot be an outlier (the scale is at
        # least the floor): the distance to the window's median is at most its distance to
        # the window's lowest or highest value, so statistics are computed only for a value
        # farther than that from one of them (`_refresh_window`).
        self._bound = threshold * floor.absolute if floor.absolute > 0 else None
        self._lock = threading.Lock()

    @classmethod
    def for_family(
        cls, family: str, threshold: float = DEFAULT_THRESHOLD, *, resolution: int = 3600
    ) -> OutlierDetector:
        """Detector with the family's floor and a window fitting the resolution.

        Hourly: 48 values (two days), scored after 24. Five-minute: 288 values (one day),
        scored after 144, window statistics refreshed every 12 values (one hour) to keep the
        per-record cost low on the largest streams.
        """
        floor = FAMILY_FLOORS.get(family, FAMILY_FLOORS["mw"])
        if resolution < 3600:
            return cls(threshold, window=288, min_samples=144, refresh=12, floor=floor)
        return cls(threshold, window=48, min_samples=24, refresh=1, floor=floor)

    def score(self, history: list[float], value: float) -> float:
        """Robust z-score of ``value`` against ``history`` (0 when history is too short)."""
        if len(history) < self.min_samples:
            return 0.0
        median, scale = self.stats(history)
        return abs(value - median) / scale

    def stats(self, history: Iterable[float]) -> tuple[float, float]:
        """(median, scale) of a window."""
        ordered = sorted(history)
        return self._stats_sorted(ordered, _median(ordered))

    def _stats_sorted(self, ordered: Sequence[float], median: float) -> tuple[float, float]:
        n = len(ordered)
        mad = _median(sorted(map(abs, map(sub, ordered, repeat(median, n)))))
        span = ordered[min(n - 1, (n * 95) // 100)] - ordered[(n * 5) // 100]
        scale = max(
            MAD_TO_SIGMA * mad,
            self.floor.absolute,
            self.floor.relative * abs(median),
            self.floor.span * span,
        )
        return median, scale

    def observe(self, series: Hashable, value: float | None) -> bool:
        """Score ``value`` against its series' window, then add it. True when it is an outlier.

        ``None`` (a missing or invalid value) is ignored and never flagged. (The code of
        :meth:`observe_many` for one value, inlined: this is called once per record.)
        """
        if type(value) is not float and (
            value is None or isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return False
        number = float(value)
        window, threshold = self.window, self.threshold
        with self._lock:
            ring = self._series.get(series)
            if ring is None:
                ring = self._series[series] = _Ring(window, ordered=self._bounded)
            count = ring.count
            if count < self.min_samples:
                stats = None
            elif self._bounded:
                ordered = ring.ordered
                if ordered is None:
                    ordered = sorted(ring.window())
                median = _median(ordered)
                if abs(number - median) / self.floor.absolute <= threshold:
                    stats = None
                else:
                    stats = ring.stats = self._stats_sorted(ordered, median)
                ring.stale = 0
            else:
                if ring.stale >= self.refresh or (ring.stats is None and ring.snap is None):
                    self._refresh_window(ring, ring.window())
                stats = ring.stats
                if stats is None and not (
                    number - ring.lo <= self._bound and ring.hi - number <= self._bound  # type: ignore[operator]
                ):
                    stats = ring.stats = self.stats(ring.snap)  # type: ignore[arg-type]
                    ring.snap = None
            _push(ring, number, window)
        return stats is not None and abs(number - stats[0]) / stats[1] > threshold

    def _refresh_window(self, ring: _Ring, window: array) -> None:
        """New statistics are due for ``ring`` (every ``refresh`` values): computed now, or,
        when a bound applies, kept pending with a copy of the window and its lowest and highest
        value, and computed for the first value that is not within the bound of both (the same
        statistics then, from the same values; most periods never need them).

        A NaN in the window needs no care: ``min``/``max`` then give the extremes of the other
        values or NaN (no value is then within the bound), and the statistics computed from
        such a window flag nothing closer than the bound either: their median is NaN or lies
        between those extremes, their scale is NaN or at least the floor. Likewise a median
        that overflows to infinity flags nothing (tests/quality/test_outlier_refresh_bound.py).
        """
        ring.stale = 0
        if self._bound is None:
            ring.stats, ring.snap = self.stats(window), None
        else:
            snap = array("d", window)
            ring.stats, ring.snap, ring.lo, ring.hi = None, snap, min(snap), max(snap)

    def observe_many(self, series: Sequence[Hashable], values: Sequence[float | None]) -> list[int]:
        """:meth:`observe` each ``(series[i], values[i])`` in order; the outliers' indexes."""
        flagged: list[int] = []
        rings = self._series
        window, min_samples, refresh = self.window, self.min_samples, self.refresh
        threshold, bounded, floor = self.threshold, self._bounded, self.floor.absolute
        stats_sorted, stats_of = self._stats_sorted, self.stats
        refresh_window, bound = self._refresh_window, self._bound
        with self._lock:
            for i, value in enumerate(values):
                if type(value) is not float and (
                    value is None or isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    continue
                number = float(value)
                key = series[i]
                ring = rings.get(key)
                if ring is None:
                    ring = rings[key] = _Ring(window, ordered=bounded)
                count = ring.count
                if bounded:
                    if count >= min_samples:
                        # Statistics are due on every value (refresh 1, never reused): the
                        # scale is at least the absolute floor, so a value within threshold x
                        # floor of the median cannot be an outlier and the MAD is not needed
                        # (exact: division is monotonic).
                        ordered = ring.ordered
                        if ordered is None:  # a NaN in the window: sort it as it is
                            ordered = sorted(
                                ring.values if count == window else ring.values[:count]
                            )
                        mid = count // 2
                        median = (
                            ordered[mid] if count % 2 else (ordered[mid - 1] + ordered[mid]) / 2
                        )
                        if abs(number - median) / floor > threshold:
                            median, scale = ring.stats = stats_sorted(ordered, median)
                            if abs(number - median) / scale > threshold:
                                flagged.append(i)
                        ring.stale = 0
                    _push(ring, number, window)
                    continue
                if count >= min_samples:
                    if ring.stale >= refresh or (ring.stats is None and ring.snap is None):
                        values_ = ring.values
                        refresh_window(ring, values_ if count == window else values_[:count])
                    stats = ring.stats
                    if stats is None:
                        if number - ring.lo <= bound and ring.hi - number <= bound:
                            pass  # within the bound of the window's extremes: no outlier
                        else:
                            stats = ring.stats = stats_of(ring.snap)
                            ring.snap = None
                    if stats is not None and abs(number - stats[0]) / stats[1] > threshold:
                        flagged.append(i)
                # _push without the sorted window, inlined (the hottest lines of the layer)
                values_ = ring.values
                pos = ring.pos
                values_[pos] = number
                ring.pos = 0 if pos + 1 == window else pos + 1
                if count < window:
                    ring.count = count + 1
                ring.stale += 1
        return flagged

    @property
    def series_count(self) -> int:
        """Series tracked so far (memory is ``window`` floats per series)."""
        with self._lock:
            return len(self._series)

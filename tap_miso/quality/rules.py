"""Per-dataset record rules: each rule has its own flag name and never alters a value.

A stream's rules are chosen by its *family* (from the stream name, see :func:`family_of`):

=========  ===========================================  ===========================  ===========
family     streams                                      checked fields               range
=========  ===========================================  ===========================  ===========
``lmp``    ``lmp_*``                                    lmp, mec, mcc, mlc ($/MWh)    -1000..10000
``mcp``    ``ancillary_mcp_*``                          mcp ($/MW)                    0..10000
``mw``     load, demand, forecasts, fuel mix,           every ``*_mw`` field (MW)     -10000..100000
           interchange
=========  ===========================================  ===========================  ===========

Flags (``ERROR_FLAGS``; ``outlier`` from :mod:`tap_miso.quality.outliers` is only a warning):

* ``missing_required``: a contract field (interval, market date, source) is absent or null.
* ``invalid_type``: a numeric field holds something that is not a number (bool, str, ...).
* ``price_out_of_range`` / ``mcp_out_of_range`` / ``mw_out_of_range``: a value outside the
  family range (configurable per family or per stream with the ``quality_ranges`` setting).
* ``component_mismatch``: ``|lmp - (mec + mcc + mlc)| > 0.011`` (checked only when all four are
  numbers: a source without components carries nulls, which is not a mismatch).
* ``forecast_after_interval``: ``forecast_issued_utc`` later than ``interval_start_utc``.
* ``bad_interval``: ``interval_end_utc - interval_start_utc`` differs from the stream's
  resolution (300 s for ``*_5min`` streams, 3600 s otherwise), or the timestamps do not parse.

Flags set upstream (``invalid_<field>`` for a non-numeric cell, ``pnode_conflict``, ...) are kept;
every flag except those in ``WARNING_FLAGS`` counts as an error for ``on_invalid_record`` and the
quality score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

#: Flags that describe a record but do not make it invalid (never dropped, never fail a run).
WARNING_FLAGS = frozenset({"outlier"})

MISSING_REQUIRED = "missing_required"
INVALID_TYPE = "invalid_type"
COMPONENT_MISMATCH = "component_mismatch"
FORECAST_AFTER_INTERVAL = "forecast_after_interval"
BAD_INTERVAL = "bad_interval"
RANGE_FLAGS = {"lmp": "price_out_of_range", "mcp": "mcp_out_of_range", "mw": "mw_out_of_range"}
ERROR_FLAGS = frozenset(
    {
        MISSING_REQUIRED,
        INVALID_TYPE,
        COMPONENT_MISMATCH,
        FORECAST_AFTER_INTERVAL,
        BAD_INTERVAL,
        *RANGE_FLAGS.values(),
    }
)

#: Default plausible ranges per family (min, max), inclusive.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "lmp": (-1_000.0, 10_000.0),
    "mcp": (0.0, 10_000.0),
    "mw": (-10_000.0, 100_000.0),
}
COMPONENT_TOLERANCE = 0.011
LMP_FIELDS = ("lmp", "mec", "mcc", "mlc")
REQUIRED_FIELDS = ("interval_start_utc", "interval_end_utc", "market_date", "source")

#: Family and series key (fields naming one time series) of every time-series stream.
STREAM_SERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lmp_day_ahead_hourly": ("lmp", ("node", "price_type")),
    "lmp_real_time_hourly": ("lmp", ("node",)),
    "lmp_real_time_5min": ("lmp", ("node", "price_type")),
    "ancillary_mcp_day_ahead_hourly": ("mcp", ("zone", "product", "price_type")),
    "ancillary_mcp_real_time_hourly": ("mcp", ("zone", "product")),
    "ancillary_mcp_real_time_5min": ("mcp", ("zone", "product", "price_type")),
    "load_actual_hourly": ("mw", ("area",)),
    "day_ahead_cleared_demand_hourly": ("mw", ("region",)),
    "load_forecast_hourly": ("mw", ("area", "forecast_issued_utc")),
    "fuel_mix_hourly": ("mw", ("region", "fuel")),
    "fuel_mix_5min": ("mw", ("region", "fuel")),
    "interchange_hourly": ("mw", ("counterparty", "kind")),
    "interchange_5min": ("mw", ("counterparty", "kind")),
    "generation_forecast_hourly": ("mw", ("fuel", "region", "forecast_issued_utc")),
}
#: Streams that are not time series: no rules at all.
NON_SERIES_STREAMS = frozenset({"nodes", "generators"})
FAMILIES = tuple(DEFAULT_RANGES)


def family_of(stream: str) -> str | None:
    """The rule family of a stream (``lmp``, ``mcp``, ``mw``) or None for a non-series stream."""
    if stream in STREAM_SERIES:
        return STREAM_SERIES[stream][0]
    if stream in NON_SERIES_STREAMS:
        return None
    if stream.startswith("lmp_"):
        return "lmp"
    if "mcp" in stream:
        return "mcp"
    return "mw"


def resolution_seconds(stream: str) -> int:
    """Interval length of a stream: 300 for ``*_5min`` streams, 3600 otherwise."""
    return 300 if stream.endswith("_5min") else 3600


def is_error(flag: str) -> bool:
    """True when ``flag`` makes a record invalid (everything except ``WARNING_FLAGS``)."""
    return flag not in WARNING_FLAGS


def resolve_range(
    stream: str, family: str, overrides: Mapping[str, tuple[float, float]] | None
) -> tuple[float, float]:
    """Range of a stream: per-stream override, else per-family override, else the default."""
    overrides = overrides or {}
    return overrides.get(stream) or overrides.get(family) or DEFAULT_RANGES[family]


def parse_instant(text: object) -> datetime | None:
    """``2025-03-09T05:00:00Z`` (or any ISO instant) as an aware datetime; None if unparseable."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


#: ``parse_instant`` results per text: every node of an interval shares its timestamps.
_INSTANT_CACHE: dict[str, datetime | None] = {}
_INSTANT_CACHE_SIZE = 8192
_BAD_INTERVAL_CACHE: dict[tuple[object, object, int], bool] = {}


def parse_instant_cached(text: object) -> datetime | None:
    """:func:`parse_instant` memoised per string (datetimes are immutable; bounded cache)."""
    if type(text) is not str:
        return parse_instant(text)
    try:
        return _INSTANT_CACHE[text]
    except KeyError:
        pass
    if len(_INSTANT_CACHE) >= _INSTANT_CACHE_SIZE:
        _INSTANT_CACHE.clear()
    value = _INSTANT_CACHE[text] = parse_instant(text)
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


Rule = Callable[[dict], str | None]
_UNBOUNDED = (float("-inf"), float("inf"))


@dataclass(frozen=True)
class RuleSet:
    """The rules of one stream. ``check(record)`` returns the flags it breaks (may be empty)."""

    stream: str
    family: str | None
    value_range: tuple[float, float] | None
    resolution: int

    @classmethod
    def for_stream(
        cls, stream: str, ranges: Mapping[str, tuple[float, float]] | None = None
    ) -> RuleSet:
        """Rules of ``stream`` with optional range overrides (keys: stream or family names)."""
        family = family_of(stream)
        value_range = resolve_range(stream, family, ranges) if family else None
        return cls(stream, family, value_range, resolution_seconds(stream))

    def numeric_fields(self, record: Mapping) -> list[str]:
        """Fields the range and type rules apply to in ``record``."""
        if self.family == "lmp":
            return [f for f in LMP_FIELDS if f in record]
        if self.family == "mcp":
            return ["mcp"] if "mcp" in record else []
        if self.family == "mw":
            return [f for f in record if f.endswith("_mw")]
        return []

    def _bad_interval(self, start_text: object, end_text: object) -> bool:
        """True unless both ends parse and span the stream's resolution (memoised per pair:
        every series of an interval repeats the same two strings)."""
        key = (start_text, end_text, self.resolution)
        try:
            return _BAD_INTERVAL_CACHE[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: never a valid time
            return True
        start, end = parse_instant_cached(start_text), parse_instant_cached(end_text)
        bad = start is None or end is None or (end - start).total_seconds() != self.resolution
        if len(_BAD_INTERVAL_CACHE) >= _INSTANT_CACHE_SIZE:
            _BAD_INTERVAL_CACHE.clear()
        _BAD_INTERVAL_CACHE[key] = bad
        return bad

    def check(self, record: Mapping) -> list[str]:
        """Flags ``record`` breaks, in a fixed order, each at most once."""
        family = self.family
        if family is None:
            return []
        get = record.get
        if family == "lmp":
            # Fast path: the four prices are floats, all contract fields set, no forecast.
            lmp, mec, mcc, mlc = get("lmp"), get("mec"), get("mcc"), get("mlc")
            if (
                type(lmp) is float
                and type(mec) is float
                and type(mcc) is float
                and type(mlc) is float
                and "forecast_issued_utc" not in record
                and get("market_date")
                and get("source")
            ):
                start, end = get("interval_start_utc"), get("interval_end_utc")
                if start and end:
                    low, high = self.value_range or _UNBOUNDED
                    flags: list[str] = []
                    if not (
                        low <= lmp <= high
                        and low <= mec <= high
                        and low <= mcc <= high
                        and low <= mlc <= high
                    ):
                        flags.append(RANGE_FLAGS[family])
                    if abs(lmp - (mec + mcc + mlc)) > COMPONENT_TOLERANCE:
                        flags.append(COMPONENT_MISMATCH)
                    if self._bad_interval(start, end):
                        flags.append(BAD_INTERVAL)
                    return flags
        return self._check_general(record)

    def _check_general(self, record: Mapping) -> list[str]:
        """:meth:`check` for any record (the fast path covers the common LMP record)."""
        family = self.family
        if family is None:
            return []
        flags: list[str] = []
        get = record.get
        for name in REQUIRED_FIELDS:
            value = get(name)
            if value is None or value == "":
                flags.append(MISSING_REQUIRED)
                break
        # One pass over the numeric fields: type, range and the LMP component numbers.
        invalid = out_of_range = False
        low, high = self.value_range or _UNBOUNDED
        numbers: dict[str, float] | None = {} if family == "lmp" else None
        for name in self.numeric_fields(record):
            value = record[name]
            if value is None:
                continue
            if type(value) is float or _is_number(value):
                number = float(value)
                if not low <= number <= high:
                    out_of_range = True
                if numbers is not None:
                    numbers[name] = number
            else:
                invalid = True
        if invalid:
            flags.append(INVALID_TYPE)
        if out_of_range:
            flags.append(RANGE_FLAGS[family])
        if numbers is not None and len(numbers) == len(LMP_FIELDS):
            total = numbers["mec"] + numbers["mcc"] + numbers["mlc"]
            if abs(numbers["lmp"] - total) > COMPONENT_TOLERANCE:
                flags.append(COMPONENT_MISMATCH)
        bad = self._bad_interval(get("interval_start_utc"), get("interval_end_utc"))
        if bad and MISSING_REQUIRED not in flags:
            flags.append(BAD_INTERVAL)
        if "forecast_issued_utc" in record:
            start = parse_instant_cached(get("interval_start_utc"))
            if start is None:
                return flags
            issued = parse_instant_cached(get("forecast_issued_utc"))
            if issued is None or issued > start:
                flags.append(FORECAST_AFTER_INTERVAL)
        return flags

"""MISO market time <-> UTC intervals.

MISO market time is Eastern Standard Time, fixed UTC-05:00 all year; MISO never uses EDT
(FORMATS.md §1, rule T1). Never localise with ``America/New_York``: on DST days that shifts or
rejects hours that MISO's 24-hour days contain (T2, T3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

EST = timezone(timedelta(hours=-5), "EST")
HOUR = timedelta(hours=1)
FIVE_MINUTES = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open UTC interval ``[start, end)`` with its MISO market date."""

    start: datetime
    end: datetime
    #: ``(source_timezone, fields)`` of the last `fields` call: every node of an interval
    #: shares one Interval object, so most calls are a dict copy. Not part of eq/hash.
    _last_fields: tuple[str, dict[str, str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def market_date(self) -> date:
        """MISO market day that holds this interval (EST calendar day of its start)."""
        return self.start.astimezone(EST).date()

    def fields(self, source_timezone: str = "EST") -> dict[str, str]:
        """The record-contract time fields (DESIGN.md §3), as a new dict the caller may extend.

        Every node of an interval shares these strings, so they are formatted once per
        ``(start, end, source_timezone)`` and cached (:data:`_FIELDS_CACHE`), and the dict of
        the last call is kept on the instance and copied.
        """
        last = self._last_fields
        if last is not None and last[0] == source_timezone:
            return last[1].copy()
        key = (self.start, self.end, source_timezone)
        texts = _FIELDS_CACHE.get(key)
        if texts is None:
            if len(_FIELDS_CACHE) >= _FIELDS_CACHE_SIZE:
                _FIELDS_CACHE.clear()  # bounded; one day of 5-minute intervals is 288 keys
            texts = _FIELDS_CACHE[key] = (
                format_utc(self.start),
                format_utc(self.end),
                self.market_date.isoformat(),
                format_local(self.start, source_timezone),
            )
        fields = {
            "interval_start_utc": texts[0],
            "interval_end_utc": texts[1],
            "market_date": texts[2],
            "interval_start_local": texts[3],
            "source_timezone": source_timezone,
        }
        object.__setattr__(self, "_last_fields", (source_timezone, fields))  # frozen: a cache
        return fields.copy()


#: ``Interval.fields`` strings per (start, end, source time zone). Equal instants format the
#: same whatever their tzinfo (every string is derived from the instant), so keying by the
#: aware datetimes is exact.
_FIELDS_CACHE: dict[tuple[datetime, datetime, str], tuple[str, str, str, str]] = {}
_FIELDS_CACHE_SIZE = 8192


def market_day_start(market_date: date) -> datetime:
    """UTC instant at which market day ``market_date`` begins (00:00 EST = 05:00Z, rule T5)."""
    return datetime(market_date.year, market_date.month, market_date.day, tzinfo=EST).astimezone(
        UTC
    )


def hour_ending_interval(market_date: date, hour_ending: int) -> Interval:
    """Interval of ``HE hour_ending`` on ``market_date`` (rule T4; HE 1..24, never 25)."""
    if not 1 <= hour_ending <= 24:
        raise ValueError(f"hour ending must be 1..24, got {hour_ending}")
    start = market_day_start(market_date) + (hour_ending - 1) * HOUR
    return Interval(start, start + HOUR)


def five_minute_from_start(label: datetime, tz: timezone = EST) -> Interval:
    """Interval of a 5-minute record labelled by its START (naive ``label`` in ``tz``)."""
    start = _aware(label, tz)
    return Interval(start, start + FIVE_MINUTES)


def five_minute_from_end(label: datetime, tz: timezone = EST) -> Interval:
    """Interval of a 5-minute record labelled by its END (naive ``label`` in ``tz``)."""
    end = _aware(label, tz)
    return Interval(end - FIVE_MINUTES, end)


def hour_from_start(label: datetime, tz: timezone = EST) -> Interval:
    """Interval of an hourly record labelled by its START."""
    start = _aware(label, tz)
    return Interval(start, start + HOUR)


def _aware(label: datetime, tz: timezone) -> datetime:
    if label.tzinfo is not None:
        return label.astimezone(UTC)
    return label.replace(tzinfo=tz).astimezone(UTC)


def format_utc(instant: datetime) -> str:
    """Canonical UTC text: ``2025-03-09T05:00:00Z`` (one format for every record)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_local(instant: datetime, source_timezone: str = "EST") -> str:
    """Same instant in source time with offset, e.g. ``2025-03-09T00:00:00-05:00``."""
    tz = UTC if source_timezone == "UTC" else EST
    return instant.astimezone(tz).isoformat()


def parse_utc(text: str) -> datetime:
    """Parse an ISO instant (``Z`` or offset; naive means UTC) to an aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def market_date_of(instant: datetime) -> date:
    """MISO market date holding ``instant`` (aware)."""
    return instant.astimezone(EST).date()


def market_today(now: datetime | None = None) -> date:
    """Today's MISO market date."""
    return market_date_of(now or datetime.now(UTC))


def date_range(first: date, last: date) -> list[date]:
    """Every market date from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]

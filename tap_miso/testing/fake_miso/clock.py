"""Market-time helpers: MISO time is EST, fixed UTC-05:00, all year (FORMATS T1/T2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

EST = timezone(timedelta(hours=-5), "EST")
FIVE_MINUTES = timedelta(minutes=5)
INTERVALS_PER_DAY = 288
HOURS_PER_DAY = 24


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive value is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def est_naive(moment: datetime) -> datetime:
    """Naive wall-clock EST for an aware instant."""
    return as_utc(moment).astimezone(EST).replace(tzinfo=None)


def est_today(moment: datetime) -> date:
    """Market date (EST) containing the instant."""
    return est_naive(moment).date()


def est_at(day: date, hour: int = 0, minute: int = 0, *, days: int = 0) -> datetime:
    """Aware UTC instant of `day + days` at hour:minute EST."""
    local = datetime(day.year, day.month, day.day, tzinfo=EST) + timedelta(
        days=days, hours=hour, minutes=minute
    )
    return local.astimezone(UTC)


def midnight(day: date) -> datetime:
    """Naive EST midnight starting the market day."""
    return datetime(day.year, day.month, day.day)


def interval_start(day: date, index: int) -> datetime:
    """Naive EST START of 5-minute interval `index` (0..287) of `day`."""
    return midnight(day) + index * FIVE_MINUTES


def interval_of_start(start: datetime) -> tuple[date, int]:
    """(market date, interval index) of the 5-minute interval starting at naive EST `start`."""
    day = start.date()
    return day, (start.hour * 60 + start.minute) // 5


def interval_of_end_label(end: datetime) -> tuple[date, int]:
    """(market date, interval index) of the interval whose END label is `end` (naive EST)."""
    return interval_of_start(end - FIVE_MINUTES)


def floor_five(moment: datetime) -> datetime:
    """Naive datetime floored to a 5-minute boundary."""
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def dx_time(moment: datetime) -> str:
    """Data Exchange time string `YYYY-MM-DD HH:MM:SS.fff`."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.000")


def us_clock(moment: datetime) -> str:
    """`YYYY-MM-DD h:MM:SS AM` with an unpadded hour, as the public API writes times."""
    hour12 = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{moment:%Y-%m-%d} {hour12}:{moment:%M:%S} {suffix}"


def ref_id(moment: datetime) -> str:
    """Public API RefId `14-Jul-2026 - Interval 08:15 EST`."""
    return f"{moment:%d-%b-%Y} - Interval {moment:%H:%M} EST"

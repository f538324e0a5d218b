"""Public-API windows and label conventions.

5-minute price, NSI and NAI feeds label intervals by their END; FuelMix `INTERVALEST` and
RealTimeTotalLoad `Time` are served as the interval START (FORMATS §1.2 leaves them
unverified; the fake picks START so that Yesterday holds 288 labels 00:00..23:55).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from tap_miso.testing.fake_miso.clock import (
    FIVE_MINUTES,
    est_naive,
    floor_five,
    interval_of_end_label,
    interval_of_start,
    midnight,
)
from tap_miso.testing.fake_miso.formats.numbers import fixed2
from tap_miso.testing.fake_miso.surfaces.context import RequestContext


def latest_label(ctx: RequestContext) -> datetime:
    """Most recent 5-minute boundary at or before now (naive EST)."""
    return floor_five(est_naive(ctx.now))


def labels(first: datetime, last: datetime) -> Iterator[datetime]:
    """Every 5-minute label from `first` to `last`, inclusive."""
    label = first
    while label <= last:
        yield label
        label += FIVE_MINUTES


def day_labels(day: date) -> list[datetime]:
    """Labels D 00:00 .. D 23:55."""
    return list(labels(midnight(day), midnight(day) + timedelta(minutes=1435)))


def end_slot(label: datetime) -> tuple[date, int]:
    """(market date, interval index) of the interval an END label closes."""
    return interval_of_end_label(label)


def start_slot(label: datetime) -> tuple[date, int]:
    """(market date, interval index) of the interval a START label opens."""
    return interval_of_start(label)


def money(cents: int) -> str:
    return fixed2(cents)


def iso(label: datetime) -> str:
    return label.strftime("%Y-%m-%dT%H:%M:%S")

"""Shared pieces of the Market Reports writers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext

EST_NOTE = "All Hours-Ending are Eastern Standard Time (EST)"


@dataclass(frozen=True)
class Report:
    """One daily/weekly report: when it is published, how long it is kept, how it is built."""

    name: str
    available_from: Callable[[date], datetime | None]
    build: Callable[[RequestContext, date], Response]
    retained: Callable[[datetime, date], bool] = publication.within_mr_retention


def mdy(day: date) -> str:
    return f"{day:%m/%d/%Y}"


def modified_utc(moment: datetime) -> datetime:
    """Naive UTC for document properties."""
    return moment.replace(tzinfo=None)

"""DX paging envelope, time objects and `interval` parameter parsing (FORMATS §2.2)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from tap_miso.testing.fake_miso.clock import FIVE_MINUTES, dx_time, interval_start, midnight
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.errors import BadRequest, NoData

_HOURLY = re.compile(r"[1-9]|1\d|2[0-4]")
_FIVE_MINUTE = re.compile(r"([01]\d|2[0-3]):([0-5][05])")
HOURS = tuple(range(1, 25))
INTERVALS = tuple(range(288))


def hourly_time(day: date, hour_ending: int) -> dict[str, str]:
    start = midnight(day) + timedelta(hours=hour_ending - 1)
    return {"resolution": "hourly", "start": dx_time(start),
            "end": dx_time(start + timedelta(hours=1)), "value": str(hour_ending)}


def five_minute_time(day: date, index: int) -> dict[str, str]:
    """Post-2026-05-06 labels: start = START, end = END, value = START (also for history)."""
    start = interval_start(day, index)
    return {"resolution": "5min", "start": dx_time(start), "end": dx_time(start + FIVE_MINUTES),
            "value": dx_time(start)}


def daily_time(day: date) -> dict[str, str]:
    return {"resolution": "daily", "start": dx_time(midnight(day)),
            "end": dx_time(midnight(day) + timedelta(days=1)), "value": day.isoformat()}


def hour_label(index: int) -> str:
    """Scalar `interval` of a 5-minute record: the START as HH:MM."""
    return f"{index // 12:02d}:{index % 12 * 5:02d}"


def hourly_intervals(ctx: RequestContext) -> tuple[int, ...]:
    """HE filter: unpadded 1..24; `01` and other forms are the backend's empty-data 404."""
    raw = ctx.query.get("interval")
    if raw is None:
        return HOURS
    if not _HOURLY.fullmatch(raw):
        raise NoData(f"interval {raw!r}")
    return (int(raw),)


def five_minute_intervals(ctx: RequestContext) -> tuple[int, ...]:
    """5-minute filter `HH:MM` (zero-padded), matched against the interval START."""
    raw = ctx.query.get("interval")
    if raw is None:
        return INTERVALS
    match = _FIVE_MINUTE.fullmatch(raw)
    if not match:
        raise NoData(f"interval {raw!r}")
    return ((int(match[1]) * 60 + int(match[2])) // 5,)


def choose(ctx: RequestContext, param: str, allowed: tuple[str, ...],
           normalize: Callable[[str], str] = str) -> tuple[str, ...]:
    """Values of an enumerated filter; an unknown value is "no data"."""
    raw = ctx.query.get(param)
    if raw is None:
        return allowed
    wanted = normalize(raw)
    hits = tuple(value for value in allowed if normalize(value) == wanted)
    if not hits:
        raise NoData(f"{param}={raw!r}")
    return hits


def page(ctx: RequestContext, total: int, build: Callable[[int, int], list[dict[str, Any]]]
         ) -> dict[str, Any]:
    """Envelope for page `pageNumber` (1-based) of `total` records of fixed page size."""
    if total == 0:
        raise NoData("no records")
    raw = ctx.query.get("pageNumber", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest("Invalid page number")
    number = int(raw)
    size = ctx.state.dx.page_size
    pages = math.ceil(total / size)
    start = (number - 1) * size
    data = build(start, min(total, start + size)) if start < total else []
    return {"data": data, "page": {"pageNumber": number, "pageSize": size,
                                   "totalElements": total, "totalPages": pages,
                                   "lastPage": number >= pages}}


def grid_records(ctx: RequestContext, dims: list[tuple[Any, ...]],
                 make: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Page through the cartesian product of `dims` (first dim varies slowest)."""
    sizes = [len(values) for values in dims]
    total = math.prod(sizes)

    def build(start: int, stop: int) -> list[dict[str, Any]]:
        records = []
        for flat in range(start, stop):
            coords = []
            for values, size in zip(reversed(dims), reversed(sizes), strict=True):
                flat, position = divmod(flat, size)
                coords.append(values[position])
            records.append(make(*reversed(coords)))
        return records

    return page(ctx, total, build)

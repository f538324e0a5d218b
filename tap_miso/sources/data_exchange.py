"""MISO Data Exchange (keyed REST API): request helpers shared by the streams (FORMATS.md §2)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from tap_miso.http.errors import NoDataError
from tap_miso.http.page_spool import PageSpool
from tap_miso.parsers.dx_records import iter_dx_page_records
from tap_miso.sources.base import DATA_EXCHANGE, FetchContext

#: ``preliminaryFinal`` query value of each revision (FORMATS §2.3).
PRELIMINARY_FINAL = {"final": "Final", "preliminary": "Preliminary"}


def load_pages(
    ctx: FetchContext, product: str, path: str, params: dict[str, Any] | None = None
) -> PageSpool:
    """Every page of ``/{product}/v1/{path}`` as raw bytes (parsed later, on the emitting thread).

    The bodies are spooled (memory up to a few MB, then a temporary file): a full day of
    5-minute pages never sits on the heap, decoded or not. Raises ``NoDataError`` when MISO
    answers "Empty data returned for date".
    """
    return ctx.client.data_exchange_spool(product, path, params or {})


def iter_records(pages: Iterable[bytes]) -> Iterator[dict]:
    """Records of downloaded pages, in page order (one page, one batch decoded at a time)."""
    for page in pages:
        yield from iter_dx_page_records(page)


def day_path(template: str, day: date) -> str:
    """Fill ``{date}`` in an endpoint template with the market date (``YYYY-MM-DD``)."""
    return template.format(date=day.isoformat())


def dx_hour_ending(day: date, time: Any) -> int | None:
    """HE of a DX hourly record: from its ``start`` when present, else its ``value``/``interval``.

    The resolution field is not trusted (FORMATS §2.2: ``daily`` was seen on hourly records).
    """
    start: datetime | None = time.start
    if start is not None:
        offset = start - datetime(day.year, day.month, day.day)
        if offset % timedelta(hours=1) == timedelta(0) and 0 <= offset.days < 1:
            return offset // timedelta(hours=1) + 1
        return None
    for raw in (time.value, time.interval):
        if raw is not None and str(raw).strip().isdigit():
            return int(str(raw).strip())
    return None


#: With at most this many ``nodes`` configured, price endpoints are asked per node (one small
#: page each) instead of for every node of the day (~63k hourly or ~750k 5-minute records at an
#: unknown page size, FORMATS §2.2 Q1): that saves calls, quota and memory.
NODE_FILTER_MAX = 10


def load_node_pages(
    ctx: FetchContext, path: str, params: dict[str, Any] | None = None
) -> PageSpool:
    """Pages of a pricing endpoint, asked per configured node when that saves calls.

    Raises ``NoDataError`` when no configured node has data (or nothing is published).
    """
    nodes = ctx.settings.nodes
    if not nodes or len(nodes) > NODE_FILTER_MAX:
        return load_pages(ctx, "pricing", path, params)
    pages = PageSpool()
    for node in sorted(nodes):
        try:
            pages.extend(load_pages(ctx, "pricing", path, {**(params or {}), "node": node}))
        except NoDataError:
            continue  # the node is not in this date's model (or nothing is published)
    if not pages:
        raise NoDataError("no data for the configured nodes", source=DATA_EXCHANGE, url=path)
    return pages


def dx_hours(
    ctx: FetchContext, day: date, rows: Iterable[dict], what: str
) -> Iterator[tuple[int, dict]]:
    """(HE, row) of parsed DX hourly rows; rows without a usable hour are skipped.

    The hour comes from ``start`` (the ``resolution`` field is unreliable, FORMATS §2.2); a
    row that cannot be placed on an hour 1..24 cannot be keyed (FORMATS T3), so it is counted
    and reported in one warning per market date.
    """
    skipped = 0
    for row in rows:
        he = dx_hour_ending(day, row["time"])
        if he is None or not 1 <= he <= 24:
            skipped += 1
            continue
        yield he, row
    if skipped:
        ctx.logger.warning("%s %s: %d %s records without a usable hour skipped",
                           ctx.stream, day, skipped, what)

"""MISO Data Exchange (keyed REST API): request helpers shared by the streams (FORMATS.md §2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from tap_miso.parsers.json_feeds import parse_dx_page
from tap_miso.sources.base import FetchContext


def load_pages(
    ctx: FetchContext, product: str, path: str, params: dict[str, Any] | None = None
) -> list[bytes]:
    """Every page of ``/{product}/v1/{path}`` as raw bytes (parsed later, on the emitting thread).

    Raises ``NoDataError`` when MISO answers "Empty data returned for date".
    """
    return list(ctx.client.data_exchange_pages(product, path, params or {}))


def iter_records(pages: list[bytes]) -> Iterator[dict]:
    """Records of downloaded pages, in page order."""
    for page in pages:
        yield from parse_dx_page(page).records


def day_path(template: str, day: date) -> str:
    """Fill ``{date}`` in an endpoint template with the market date (``YYYY-MM-DD``)."""
    return template.format(date=day.isoformat())

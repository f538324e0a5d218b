"""EIA sources of the generators stream: the Open Data API and the EIA-860M/860 files.

URLs, parameters, paging and file locations only (shared/miso/EIA.md); parsing is in
``tap_miso.parsers.eia_api`` / ``eia_workbook``, the EIA's HTTP meanings in
``tap_miso.http.eia_classify``. The API key goes as the ``api_key`` query parameter; it is
registered as a secret before the first request and the ``request`` echo of every response is
dropped by the parser.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tap_miso import secrets
from tap_miso.http.eia_classify import EIA_API, EIA_WORKBOOK
from tap_miso.http.errors import InvalidPayloadError, NoDataError
from tap_miso.parsers.eia_api import DATA_COLUMNS, ApiPage, parse_api_page
from tap_miso.sources.base import FetchContext

ROUTE = "electricity/operating-generator-capacity/data/"
PAGE_LENGTH = 5000  # the API's maximum
SORT_KEY = ("period", "plantid", "generatorid")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")


class PagingMismatch(Exception):
    """A walk whose pages do not add up to ``total`` (the data changed under the pager)."""


def api_params(key: str, start: str, end: str, offset: int, length: int = PAGE_LENGTH,
               *, descending: bool = False) -> dict[str, Any]:
    """Query of one page: MISO facet, every data column, sorted on the full row key."""
    params: dict[str, Any] = {
        "api_key": key,
        "frequency": "monthly",
        "facets[balancing_authority_code][]": "MISO",
        "start": start,
        "end": end,
        "offset": offset,
        "length": length,
    }
    for index, column in enumerate(DATA_COLUMNS):
        params[f"data[{index}]"] = column
    for index, column in enumerate(SORT_KEY):
        params[f"sort[{index}][column]"] = column
        params[f"sort[{index}][direction]"] = "desc" if descending else "asc"
    return params


def _api_url(ctx: FetchContext) -> str:
    return f"{ctx.settings.eia_api_url}/{ROUTE}"


def _get_page(ctx: FetchContext, key: str, params: dict[str, Any]) -> ApiPage:
    secrets.register_secret(key)
    response = ctx.client.get(_api_url(ctx), source=EIA_API, params=params)
    page = parse_api_page(response.content)
    if page.warnings:
        ctx.logger.info("%s: EIA warnings at offset %s: %s", ctx.stream, params["offset"],
                        "; ".join(page.warnings))
    return page


def api_month_rows(ctx: FetchContext, key: str, period: str) -> list[dict[str, Any]]:
    """Every API row of ``period`` (``YYYY-MM``), paged by ``total``; [] when none.

    A walk whose ``total`` changes or whose pages come up short or long is re-walked once,
    then fails with ``InvalidPayloadError``.
    """
    try:
        return _walk(ctx, key, period)
    except PagingMismatch as exc:
        ctx.logger.warning("%s %s: EIA paging inconsistent (%s); re-walking once",
                           ctx.stream, period, exc)
    try:
        return _walk(ctx, key, period)
    except PagingMismatch as exc:
        raise InvalidPayloadError(f"paging inconsistent on two walks of {period}: {exc}",
                                  source=EIA_API, url=_api_url(ctx)) from None


def _walk(ctx: FetchContext, key: str, period: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    total: int | None = None
    while total is None or len(rows) < total:
        page = _get_page(ctx, key, api_params(key, period, period, len(rows)))
        if total is None:
            total = page.total
        elif page.total != total:
            raise PagingMismatch(f"total changed from {total} to {page.total} at offset "
                                 f"{len(rows)}")
        if not page.rows and len(rows) < total:
            raise PagingMismatch(f"empty page at offset {len(rows)} of {total}")
        rows += page.rows
    if len(rows) != total:
        raise PagingMismatch(f"{len(rows)} rows for a total of {total}")
    keys = {(r.get("period"), r.get("plantid"), r.get("generatorid")) for r in rows}
    if len(keys) != len(rows):
        raise PagingMismatch(f"{len(rows) - len(keys)} rows repeated across pages")
    return rows


def api_latest_period(ctx: FetchContext, key: str, before: str) -> str | None:
    """Newest period the API has up to ``before`` (one row, sorted descending)."""
    page = _get_page(ctx, key, api_params(key, "2008-01", before, 0, 1, descending=True))
    period = page.rows[0].get("period") if page.rows else None
    return period if isinstance(period, str) else None


def workbook_urls(ctx: FetchContext, period: str) -> list[str]:
    """Where the 860M workbook of ``period`` can be: the archive, then the newest-month folder.

    ``{base}/archive/xls/{month}_generator{YYYY}.xlsx`` holds every month but the newest, which
    lives at ``{base}/xls/...`` until the next month is published (EIA.md).
    """
    year, month = int(period[:4]), int(period[5:7])
    name = f"{MONTH_NAMES[month - 1]}_generator{year}.xlsx"
    base = ctx.settings.eia_workbook_url
    return [f"{base}/archive/xls/{name}", f"{base}/xls/{name}"]


def load_workbook(ctx: FetchContext, period: str) -> tuple[bytes, str]:
    """(workbook bytes, URL) of ``period``; ``NoDataError`` when no location has it."""
    for url in workbook_urls(ctx, period):
        try:
            return ctx.client.get(url, source=EIA_WORKBOOK).content, url
        except NoDataError:
            continue
    raise NoDataError(f"no EIA-860M workbook for {period} (HTML page at both locations)",
                      source=EIA_WORKBOOK, url=workbook_urls(ctx, period)[-1])


def load_eia860_annual(ctx: FetchContext, today: date, years_back: int = 3) -> tuple[bytes, int]:
    """(bytes, year) of the newest annual EIA-860 ZIP, trying last year first.

    ``NoDataError`` when none of the last ``years_back`` years is published.
    """
    url = ""
    for year in range(today.year - 1, today.year - 1 - years_back, -1):
        url = f"{ctx.settings.eia860_url}/xls/eia860{year}.zip"
        try:
            return ctx.client.get(url, source=EIA_WORKBOOK).content, year
        except NoDataError:
            continue
    raise NoDataError(f"no annual EIA-860 file in the last {years_back} years", source=EIA_WORKBOOK,
                      url=url)

"""MISO Market Reports (static files): URL construction and download (FORMATS.md §4)."""

from __future__ import annotations

from datetime import date

from tap_miso.sources.base import MARKET_REPORT, FetchContext


def report_url(ctx: FetchContext, day: date, report: str) -> str:
    """``{market_reports_url}/YYYYMMDD_<report>`` (there is no listing: names are built)."""
    return f"{ctx.settings.market_reports_url}/{day:%Y%m%d}_{report}"


def load_report(ctx: FetchContext, day: date, report: str) -> bytes:
    """Download one report file; ``NoDataError`` when MISO answers BlobNotFound."""
    return ctx.client.get(report_url(ctx, day, report), source=MARKET_REPORT).content

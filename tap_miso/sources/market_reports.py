"""MISO Market Reports (static files): URL construction and download (FORMATS.md §4)."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import BinaryIO

import requests

from tap_miso.http.errors import InvalidPayloadError, url_path
from tap_miso.sources.base import MARKET_REPORT, FetchContext

#: Whole-file attempts of a streamed download whose body breaks part-way. The client retries
#: the request; a body read after the client returned is this module's to start again.
DOWNLOAD_ATTEMPTS = 3
_CHUNK = 1 << 20


def report_url(ctx: FetchContext, day: date, report: str) -> str:
    """``{market_reports_url}/YYYYMMDD_<report>`` (there is no listing: names are built)."""
    return f"{ctx.settings.market_reports_url}/{day:%Y%m%d}_{report}"


def load_report(ctx: FetchContext, day: date, report: str) -> bytes:
    """Download one report file; ``NoDataError`` when MISO answers BlobNotFound."""
    return ctx.client.get(report_url(ctx, day, report), source=MARKET_REPORT).content


def download_report(ctx: FetchContext, day: date, report: str) -> BinaryIO:
    """`load_report` into an unlinked temporary file (rewound), not memory: for big files,
    of which the prefetch may hold several dates at once (the 5-minute xlsx, ~19 MB)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller reads and closes it
    try:
        download(ctx, report_url(ctx, day, report), out)
    except BaseException:
        out.close()
        raise
    return out


def download(ctx: FetchContext, url: str, out: BinaryIO) -> None:
    """Stream a report body into ``out`` and rewind it. A transfer broken part-way starts
    again from the first byte; after `DOWNLOAD_ATTEMPTS` it is an unusable payload."""
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        out.seek(0)
        out.truncate()
        response = ctx.client.get(url, source=MARKET_REPORT, stream=True)
        try:
            for chunk in response.iter_content(_CHUNK):
                out.write(chunk)
        except requests.RequestException as exc:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise InvalidPayloadError(
                    f"download interrupted {attempt} times: {exc}", source=MARKET_REPORT, url=url
                ) from exc
            ctx.logger.warning(
                "%s: %s download interrupted (%s); starting it again (attempt %d of %d)",
                ctx.stream,
                url_path(url),
                exc,
                attempt + 1,
                DOWNLOAD_ATTEMPTS,
            )
        else:
            out.flush()
            out.seek(0)
            return
        finally:
            response.close()

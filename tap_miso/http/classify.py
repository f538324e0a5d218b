"""MISO's HTTP meanings, in one place (FORMATS.md §2.3, §4.1, §7.6, §7.7, §7.22).

`classify(response, ...)` turns a response into None (usable) or the error it means.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

import requests

from tap_miso.http.errors import (
    AuthError,
    BadPathError,
    InvalidPayloadError,
    MisoHttpError,
    NoDataError,
    QuotaExhaustedError,
    RateLimitedError,
    TransientError,
)

DATA_EXCHANGE = "data_exchange"
MARKET_REPORT = "market_report"
PUBLIC_API = "public_api"

_FULL_PARSE_LIMIT = 1 << 20  # parse small JSON bodies whole; for big ones look at the head
_HEAD = 512
_ERROR_HEAD_RE = re.compile(rb'^\s*\{\s*"error"\s*:')


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or HTTP-date form).

    Args:
        value: The header value, or None.
        now: Current Unix time (defaults to `time.time()`), for the HTTP-date form.

    Returns:
        Seconds (>= 0), or None when absent or unparseable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _snippet(response: requests.Response) -> str:
    try:
        text = response.content[:200].decode("utf-8", "replace")
    except Exception:  # body unreadable (stream already consumed, connection gone)
        return ""
    return " ".join(text.split())


def _small_json(response: requests.Response) -> Any:
    content = response.content
    if not content or len(content) > _FULL_PARSE_LIMIT:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _invalid_200(response: requests.Response, *, source: str, url: str,
                 stream: bool) -> InvalidPayloadError | None:
    """An HTML page or `{"error": ...}` served with 200 (FORMATS.md §7.22)."""
    content_type = response.headers.get("Content-Type", "").lower()
    if "text/html" in content_type:
        return InvalidPayloadError(f"200 with an HTML page ({content_type}) instead of data",
                                   source=source, url=url, status=response.status_code)
    if stream:  # the body belongs to the caller; the header is all we may look at
        return None
    head = response.content[:_HEAD].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html")):
        return InvalidPayloadError("200 with an HTML page instead of data",
                                   source=source, url=url, status=response.status_code)
    if head.startswith(b"{"):
        body = _small_json(response)
        is_error = (isinstance(body, dict) and "error" in body) if body is not None \
            else bool(_ERROR_HEAD_RE.match(response.content[:_HEAD]))
        if is_error:
            return InvalidPayloadError(f"200 with an error object: {_snippet(response)}",
                                       source=source, url=url, status=response.status_code)
    return None


def _not_found(response: requests.Response, *, source: str, url: str) -> MisoHttpError:
    body = _small_json(response)
    snippet = _snippet(response)
    if isinstance(body, dict) and "reason" in body and "status" in body:
        # DX backend envelope: no data for this date/filter, or not yet published.
        return NoDataError(f"no data (404 {body.get('reason')})", source=source, url=url,
                           status=404)
    if isinstance(body, dict) and "statusCode" in body:
        # APIM gateway envelope: the route does not exist.
        return BadPathError(f"bad path (404 {body.get('message')}): check product and endpoint",
                            source=source, url=url, status=404)
    if source == MARKET_REPORT:
        # Azure blob 404 (`BlobNotFound`): not published yet or outside retention (§4.1).
        code = response.headers.get("x-ms-error-code", "")
        reason = "BlobNotFound" if "BlobNotFound" in snippet or code == "BlobNotFound" \
            else snippet or "404"
        return NoDataError(f"no file (404 {reason})", source=source, url=url, status=404)
    return BadPathError(f"bad path (404 {snippet})", source=source, url=url, status=404)


def classify(
    response: requests.Response,
    *,
    source: str,
    url: str,
    product: str | None = None,
    stream: bool = False,
) -> MisoHttpError | None:
    """Return None for a usable response, else the error it means in MISO's terms.

    Args:
        response: The response.
        source: `data_exchange`, `market_report` or `public_api`.
        url: The request URL (for messages; redacted by the errors).
        product: Data Exchange product, for quota errors.
        stream: True when the caller streams the body (only headers are inspected).

    Returns:
        None, or an error: `TransientError`/`RateLimitedError` are retryable, and a
        `QuotaExhaustedError` on the Data Exchange means "park this key, try the next".
    """
    status = response.status_code
    if 200 <= status < 300:
        return _invalid_200(response, source=source, url=url, stream=stream)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        return RateLimitedError(f"429 too many requests {_snippet(response)}".strip(),
                                source=source, url=url, status=status, retry_after=retry_after)
    if status >= 500 or status == 408:
        return TransientError(f"{status} {response.reason or ''} {_snippet(response)}".strip(),
                              source=source, url=url, status=status, retry_after=retry_after)
    if status == 404:
        return _not_found(response, source=source, url=url)
    if status == 401:
        return AuthError(f"401 unauthorized: check the key ({_snippet(response)})",
                         source=source, url=url, status=status)
    if status == 403 and source == DATA_EXCHANGE:
        # FORMATS.md §7.7: on the Data Exchange 403 is the 24k/day quota, not an auth error.
        return QuotaExhaustedError(f"Data Exchange {product} daily quota spent on this key",
                                   source=source, url=url, product=product or "?")
    if status == 403:
        return AuthError(f"403 forbidden ({_snippet(response)})", source=source, url=url,
                         status=status)
    # 400 "Invalid date format" and other 4xx: the request itself is wrong.
    return BadPathError(f"{status} {response.reason or ''} {_snippet(response)}".strip(),
                        source=source, url=url, status=status)

"""The EIA's HTTP meanings (shared/miso/EIA.md "Errors"), apart from MISO's (classify.py).

EIA answers a missing or invalid key with 403 and an error code (a configuration error), but
also throttles with a bare 403, 429, an ``OVER_RATE_LIMIT`` text or an HTML page (retried); a
200 may carry an ``error`` object or lack ``response`` (transient). The EIA-860M workbook
host answers a missing file with an HTML page instead of 404: that is "no such file".
"""

from __future__ import annotations

from typing import Any

import orjson
import requests

from tap_miso.http.classify import parse_retry_after
from tap_miso.http.errors import (
    AuthError,
    BadPathError,
    MisoHttpError,
    NoDataError,
    RateLimitedError,
    TransientError,
)

EIA_API = "eia_api"
EIA_WORKBOOK = "eia_workbook"
EIA_SOURCES = (EIA_API, EIA_WORKBOOK)
#: Error codes that mean the key itself is wrong: never retried.
KEY_ERROR_CODES = frozenset({"API_KEY_MISSING", "API_KEY_INVALID", "API_KEY_DISABLED"})
_THROTTLE_TEXT = b"OVER_RATE_LIMIT"


def _body(response: requests.Response) -> Any:
    """The JSON body, or None when it is not JSON."""
    try:
        return orjson.loads(response.content)
    except (orjson.JSONDecodeError, TypeError):
        return None


def _is_html(response: requests.Response) -> bool:
    if "text/html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content[:512].lstrip().lower().startswith((b"<!doctype", b"<html"))


def _error_code(body: Any) -> str:
    """``error.code`` of an EIA error object (``{"error": {"code": ...}}``), else ""."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else ""


def _error_text(body: Any) -> str:
    """A short, key-free description of an error body (the ``request`` echo is never used)."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return " ".join(str(error.get(k, "")) for k in ("code", "message")).strip()
    return str(error)[:200] if error is not None else ""


def classify_eia(
    response: requests.Response,
    *,
    source: str,
    url: str,
    product: str | None = None,
    stream: bool = False,
) -> MisoHttpError | None:
    """Return None for a usable EIA response, else the error it means.

    Args:
        response: The response (its body is read unless ``stream``).
        source: ``eia_api`` or ``eia_workbook``.
        url: The request URL, for messages (redacted by the errors).
        product: Unused (same signature as :func:`tap_miso.http.classify.classify`).
        stream: Only headers are inspected when True.

    Returns:
        None, or: ``AuthError`` (key missing/invalid: fatal), ``RateLimitedError`` (throttled,
        retried), ``TransientError`` (retried), ``NoDataError`` (workbook not published),
        ``BadPathError`` (400, unknown route: a bug).
    """
    del product
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if source == EIA_WORKBOOK:
        return _classify_workbook(response, url=url, stream=stream, retry_after=retry_after)
    html = _is_html(response) if not stream else "text/html" in response.headers.get(
        "Content-Type", "").lower()
    body = None if stream or html else _body(response)
    code = _error_code(body)
    if code in KEY_ERROR_CODES:
        return AuthError(f"{status} {code}: check the eia_api_key setting", source=source,
                         url=url, status=status)
    throttled = (status == 429 or status == 403 or html or code == "OVER_RATE_LIMIT"
                 or (not stream and _THROTTLE_TEXT in response.content[:2048]))
    if throttled:
        what = "an HTML page" if html else (_error_text(body) or f"HTTP {status}")
        return RateLimitedError(f"{status} throttled by EIA ({what})", source=source, url=url,
                                status=status, retry_after=retry_after)
    if status >= 500 or status == 408:
        return TransientError(f"{status} {response.reason or ''}".strip(), source=source,
                              url=url, status=status, retry_after=retry_after)
    if status == 401:
        return AuthError("401 unauthorized: check the eia_api_key setting", source=source,
                         url=url, status=status)
    if not 200 <= status < 300:
        # 400 bad parameter / unknown facet, 404 unknown route: the request itself is wrong.
        return BadPathError(f"{status} {_error_text(body) or response.reason or ''}".strip(),
                            source=source, url=url, status=status)
    if stream:
        return None
    if not isinstance(body, dict):
        return TransientError("200 without a JSON object", source=source, url=url,
                              status=status)
    if "error" in body:
        return TransientError(f"200 with an error object ({_error_text(body)})",
                              source=source, url=url, status=status)
    if not isinstance(body.get("response"), dict):
        return TransientError("200 without 'response'", source=source, url=url, status=status)
    return None


def _classify_workbook(response: requests.Response, *, url: str, stream: bool,
                       retry_after: float | None) -> MisoHttpError | None:
    """Workbook host: an HTML page (any status) or 404 means the file does not exist."""
    status = response.status_code
    html = "text/html" in response.headers.get("Content-Type", "").lower() or (
        not stream and response.content[:512].lstrip().lower().startswith((b"<!doctype",
                                                                          b"<html")))
    if status == 429:
        return RateLimitedError("429 too many requests", source=EIA_WORKBOOK, url=url,
                                status=status, retry_after=retry_after)
    if status >= 500 or status == 408:
        return TransientError(f"{status} {response.reason or ''}".strip(), source=EIA_WORKBOOK,
                              url=url, status=status, retry_after=retry_after)
    if html or status == 404:
        return NoDataError(f"no workbook here ({status}, HTML page instead of a file)",
                           source=EIA_WORKBOOK, url=url, status=status)
    if not 200 <= status < 300:
        return BadPathError(f"{status} {response.reason or ''}".strip(), source=EIA_WORKBOOK,
                            url=url, status=status)
    return None

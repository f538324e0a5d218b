"""Errors of the HTTP layer, in MISO's meanings (docs/INTERNALS.md, FORMATS.md §2.3, §7.6-7).

Every message is one line `"<source> <path?query>: <detail>"` with secrets redacted, so it
can go straight into a log line, a Singer/Airbyte error or a gap record.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tap_miso.secrets import redact


def url_path(url: str) -> str:
    """Return the redacted path and query of `url` (no scheme, no host)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return redact(f"{path}?{parts.query}" if parts.query else path)


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class MisoHttpError(Exception):
    """Base of every error raised by `tap_miso.http`.

    Attributes:
        source: `data_exchange`, `market_report` or `public_api` (or a breaker name).
        url: The request URL with secrets redacted.
        status: The HTTP status, or None when no response was received.
    """

    def __init__(self, detail: str, *, source: str, url: str, status: int | None = None) -> None:
        """Create the error.

        Args:
            detail: What happened, in MISO's words.
            source: The source name.
            url: The request URL (redacted here).
            status: The HTTP status, if any.
        """
        self.source = source
        self.url = redact(url)
        self.status = status
        self.detail = _one_line(redact(detail))
        super().__init__(f"{source} {url_path(url)}: {self.detail}")


class NoDataError(MisoHttpError):
    """No data for this date/filter (DX backend 404 or MR `BlobNotFound`): a normal outcome."""


class BadPathError(MisoHttpError):
    """Unknown route (DX gateway 404 `Resource not found`): a bug or a wrong base URL."""


class AuthError(MisoHttpError):
    """Missing or invalid credentials (401, or 403 outside the Data Exchange)."""


class QuotaExhaustedError(MisoHttpError):
    """Every key of a Data Exchange product has hit its daily quota (403).

    Attributes:
        product: `pricing` or `lgi`. The message names the product, never a key.
    """

    def __init__(self, detail: str, *, source: str, url: str, product: str,
                 status: int | None = 403) -> None:
        """Create the error (see `MisoHttpError`), remembering the product."""
        self.product = product
        super().__init__(detail, source=source, url=url, status=status)


class InvalidPayloadError(MisoHttpError):
    """A 200 whose body is an HTML page, an `{"error": ...}` object, or unparseable."""


class CircuitOpenError(MisoHttpError):
    """The source's circuit breaker is open; raised without sending a request."""


class RetriesExhaustedError(MisoHttpError):
    """Connection errors, timeouts, 429 or 5xx persisted through `max_retries` retries.

    Attributes:
        attempts: Requests sent (or tried) for this call.
    """

    def __init__(self, detail: str, *, source: str, url: str, attempts: int,
                 status: int | None = None) -> None:
        """Create the error (see `MisoHttpError`), remembering the attempt count."""
        self.attempts = attempts
        super().__init__(detail, source=source, url=url, status=status)


class TransientError(MisoHttpError):
    """Internal: a retryable failure (connection error, timeout, 5xx).

    Attributes:
        retry_after: Seconds the server asked us to wait, if it said so.
    """

    def __init__(self, detail: str, *, source: str, url: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        """Create the error (see `MisoHttpError`), remembering `Retry-After`."""
        self.retry_after = retry_after
        super().__init__(detail, source=source, url=url, status=status)


class RateLimitedError(TransientError):
    """Internal: 429, the per-minute limit (FORMATS.md §2.3); retried after backing off."""

"""Keep API keys out of logs, exception messages and metrics.

Every key is registered once (the authenticator does it for Data Exchange keys) and
`redact` replaces it, plus any `subscription-key=`/`api_key=` query value, with `***`.
MISO accepts the key as `?subscription-key=` too (FORMATS.md §2.1), so a URL pasted from
a browser can carry one even though tap-miso itself only sends the header.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"

# Query parameters that carry keys: MISO's `subscription-key`, EIA's `api_key`, and variants.
_QUERY_KEY_RE = re.compile(
    r"(?i)\b((?:subscription[-_]key|api[-_]?key|ocp-apim-subscription-key)=)[^&\s\"'#]+"
)

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None

DEFAULT_LOGGERS: tuple[str, ...] = ("tap-miso", "tap_miso", "singer_sdk", "urllib3", "requests")


def register_secret(value: str | None) -> None:
    """Remember `value` so that `redact` masks it wherever it appears.

    Args:
        value: The secret; empty or whitespace-only values are ignored.
    """
    global _secrets_re
    if not value or not value.strip():
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        # Longest first so a key that contains another key is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_re = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: object) -> str:
    """Return `text` as a string with every registered secret and key query value masked.

    Args:
        text: Any object; it is converted with `str()` first.

    Returns:
        The redacted string.
    """
    result = text if isinstance(text, str) else str(text)
    pattern = _secrets_re
    if pattern is not None:
        result = pattern.sub(MASK, result)
    # Idempotent: a value that is already masked (say "***:" in a redacted message that is
    # redacted again by the logging filter) is left alone.
    return _QUERY_KEY_RE.sub(
        lambda m: m.group(0) if m.group(0)[len(m.group(1)):].startswith(MASK)
        else m.group(1) + MASK,
        result,
    )


class SecretRedactingFilter(logging.Filter):
    """Logging filter that redacts the formatted message and any exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; never drops a record.

        Args:
            record: The log record.

        Returns:
            Always True.
        """
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug, not ours to hide
            return True
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = SecretRedactingFilter()


def install_redaction(logger_names: Iterable[str] = DEFAULT_LOGGERS) -> SecretRedactingFilter:
    """Attach the redacting filter to the root handlers and to the named loggers.

    Handler filters see records propagated from child loggers; logger filters only see
    records logged on that logger, so both are set. Calling this twice is harmless.

    Args:
        logger_names: Loggers to protect in addition to the root handlers.

    Returns:
        The (shared) filter instance.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logger_names)]
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    return _FILTER

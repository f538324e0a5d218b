"""Failures as Airbyte TRACE errors: a clear, redacted message and a failure type."""

from __future__ import annotations

import traceback

from singer_sdk.exceptions import ConfigValidationError

from tap_miso import secrets
from tap_miso.airbyte import messages
from tap_miso.http.errors import AuthError
from tap_miso.settings import SettingsError


class AirbyteInputError(ValueError):
    """A config, catalog or state file the connector cannot use (a config_error)."""


_CONFIG_ERRORS = (AirbyteInputError, ConfigValidationError, SettingsError, AuthError)


def causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def failure_type(exc: BaseException) -> str:
    """``config_error`` for settings, input files and rejected keys; ``system_error`` otherwise."""
    if any(isinstance(e, _CONFIG_ERRORS) for e in causes(exc)):
        return "config_error"
    return "system_error"


def user_message(exc: BaseException) -> str:
    """One redacted line saying what went wrong."""
    if isinstance(exc, ConfigValidationError):
        problems = "; ".join(str(e) for e in exc.errors) or str(exc)
        return secrets.redact(f"Invalid configuration: {problems}")
    text = str(exc).strip() or type(exc).__name__
    return secrets.redact(" ".join(text.split()))


def trace_error(exc: BaseException, *, stream: str | None = None, context: str = "") -> dict:
    """TRACE ERROR message for ``exc``; message, internal message and stack trace are redacted."""
    message = user_message(exc)
    if context:
        message = f"{context}: {message}"
    kind = failure_type(exc)
    error = messages.trace_error(
        message,
        failure_type=kind,
        internal_message=secrets.redact(f"{type(exc).__name__}: {exc}"),
        stream=stream,
    )
    if kind == "system_error":  # a config error is explained by its message alone
        stack = "".join(traceback.format_exception(exc))
        error["trace"]["error"]["stack_trace"] = secrets.redact(stack)
    return error

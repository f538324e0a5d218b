"""Python logging as Airbyte LOG messages on stdout (redacted; nothing else reaches stdout)."""

from __future__ import annotations

import logging
import os

from tap_miso import secrets
from tap_miso.airbyte import messages
from tap_miso.airbyte.output import MessageOutput


class AirbyteLogHandler(logging.Handler):
    """Emits each log record as one LOG message, with secrets masked."""

    def __init__(self, output: MessageOutput) -> None:
        super().__init__()
        self.output = output
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` as a LOG message."""
        try:
            text = secrets.redact(self.format(record))
            self.output.write(messages.log(record.levelno, text))
        except Exception:  # logging must never break the sync
            self.handleError(record)


def configure_logging(output: MessageOutput) -> AirbyteLogHandler:
    """Route the root logger (and warnings) to LOG messages.

    The level comes from ``LOG_LEVEL`` (default INFO), as in Airbyte's own connectors.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = AirbyteLogHandler(output)
    handler.addFilter(secrets.SecretRedactingFilter())
    root.addHandler(handler)
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    root.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
    logging.captureWarnings(True)
    return handler

"""Alerts: one structured JSON log line per condition, never one per record.

A condition is identified by ``(kind, stream, source, key)``. :meth:`AlertSink.emit` logs it the
first time and counts it; repeats are suppressed (and counted as suppressed) until the
condition is :meth:`resolved <AlertSink.resolve>`, after which it may fire again (a source that
fails, recovers and fails again alerts twice).

Log line (one JSON object, keys sorted)::

    {"event": "alert", "severity": "warning", "kind": "health_warning", "stream": null,
     "source": "public_api", "message": "...", "context": {...}, "time": "2026-...Z"}

Kinds used by tap-miso: ``health_warning``, ``health_critical``, ``health_recovered``,
``breaker_open``, ``quality_below_threshold``, ``schema_drift``, ``empty_response``, ``gap``,
``incomplete_intervals``, ``slow_collection``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("info", "warning", "critical")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}
MAX_KEPT = 1000


@dataclass(frozen=True)
class Alert:
    """One emitted alert."""

    severity: str
    kind: str
    message: str
    stream: str | None = None
    source: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    time: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (with ``event: alert``)."""
        return {"event": "alert", **asdict(self)}


class AlertSink:
    """Thread-safe, de-duplicating alert emitter."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.logger = logger or logging.getLogger("tap-miso.alerts")
        self._clock = clock
        self._lock = threading.Lock()
        self._active: set[tuple] = set()
        self.emitted: list[Alert] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.suppressed: Counter[str] = Counter()

    @staticmethod
    def _key(kind: str, stream: str | None, source: str | None, key: object) -> tuple:
        return (kind, stream, source, key)

    def emit(
        self,
        kind: str,
        message: str,
        *,
        severity: str = "warning",
        stream: str | None = None,
        source: str | None = None,
        context: Mapping[str, Any] | None = None,
        key: object = None,
    ) -> bool:
        """Log the alert unless the same condition is already active. True when logged."""
        if severity not in SEVERITIES:
            msg = f"severity must be one of {SEVERITIES}, got {severity!r}"
            raise ValueError(msg)
        ident = self._key(kind, stream, source, key)
        stamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        alert = Alert(severity, kind, message, stream, source, dict(context or {}), stamp)
        with self._lock:
            if ident in self._active:
                self.suppressed[kind] += 1
                return False
            self._active.add(ident)
            self.counts[(kind, severity)] += 1
            if len(self.emitted) < MAX_KEPT:
                self.emitted.append(alert)
        self.logger.log(
            _LEVELS[severity], json.dumps(alert.as_dict(), sort_keys=True, default=str)
        )
        return True

    def resolve(
        self, kind: str, *, stream: str | None = None, source: str | None = None,
        key: object = None,
    ) -> bool:
        """Clear a condition so it can alert again. True when it was active."""
        ident = self._key(kind, stream, source, key)
        with self._lock:
            if ident in self._active:
                self._active.remove(ident)
                return True
            return False

    def is_active(
        self, kind: str, *, stream: str | None = None, source: str | None = None,
        key: object = None,
    ) -> bool:
        """True while the condition is active (emitted and not resolved)."""
        with self._lock:
            return self._key(kind, stream, source, key) in self._active

    def snapshot(self) -> dict[str, Any]:
        """Counts by kind and severity, suppressed repeats, and the alerts emitted."""
        with self._lock:
            return {
                "counts": [
                    {"kind": k, "severity": s, "count": n}
                    for (k, s), n in sorted(self.counts.items())
                ],
                "suppressed": dict(self.suppressed),
                "alerts": [a.as_dict() for a in self.emitted],
            }

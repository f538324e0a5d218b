"""Per-source health from the HTTP client's call outcomes.

Fed by :class:`tap_miso.http.stats.ClientListener` events (``HttpClient.add_listener``). A call
*succeeds* when the source gave a definite answer (data, "no data", bad path, auth, quota,
invalid payload) and *fails* when it needed the circuit breaker's failure (transport errors,
timeouts, 5xx or 429 after the retries, TLS). Sources are named like the breakers:
``data_exchange:pricing``, ``data_exchange:lgi``, ``market_report``, ``public_api``.

Per source: ``healthy``; ``warning`` after ``warning_failures`` (3) consecutive failures;
``critical`` after ``critical_failures`` (10) or while its breaker is open. Any success returns it
to ``healthy``. Overall: ``critical`` if any source is critical, ``degraded`` if any is in
warning, else ``healthy``. Also kept: rolling success rate over the last ``window`` calls
("uptime") and the last success time. Transitions raise alerts once per condition
(``health_warning``, ``health_critical``, ``breaker_open``) and an info ``health_recovered`` when
a source that was warning/critical succeeds again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tap_miso.http.stats import ClientListener
from tap_miso.observability.alerts import AlertSink

HEALTHY, WARNING, CRITICAL = "healthy", "warning", "critical"
OVERALL = {HEALTHY: "healthy", WARNING: "degraded", CRITICAL: "critical"}
STATUS_VALUES = {HEALTHY: 0, WARNING: 1, CRITICAL: 2, "degraded": 1}
_RANK = {HEALTHY: 0, WARNING: 1, CRITICAL: 2}


@dataclass
class SourceHealth:
    """Health counters of one source."""

    window: int
    consecutive_failures: int = 0
    calls: int = 0
    failures: int = 0
    breaker_open: bool = False
    last_success: float | None = None
    last_failure: float | None = None
    last_error: str = ""
    status: str = HEALTHY
    recent: deque = field(default_factory=deque)

    def push(self, ok: bool) -> None:
        self.recent.append(ok)
        while len(self.recent) > self.window:
            self.recent.popleft()

    @property
    def success_rate(self) -> float:
        """Share of the last ``window`` calls that succeeded (1.0 before any call)."""
        return sum(self.recent) / len(self.recent) if self.recent else 1.0


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HealthMonitor(ClientListener):
    """Thread-safe health state machine per source (see module doc)."""

    def __init__(
        self,
        *,
        warning_failures: int = 3,
        critical_failures: int = 10,
        window: int = 100,
        alerts: AlertSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= warning_failures <= critical_failures:
            msg = "need 1 <= warning_failures <= critical_failures"
            raise ValueError(msg)
        self.warning_failures = warning_failures
        self.critical_failures = critical_failures
        self.window = window
        self.alerts = alerts or AlertSink()
        self._clock = clock
        self._lock = threading.Lock()
        self._sources: dict[str, SourceHealth] = {}

    # -- ClientListener events ------------------------------------------------------------------

    def call_succeeded(self, source: str) -> None:
        """A call got a definite answer from ``source``."""
        with self._lock:
            health = self._get(source)
            health.calls += 1
            health.consecutive_failures = 0
            health.breaker_open = False
            health.last_success = self._clock()
            health.push(True)
        self._evaluate(source)

    def call_failed(self, source: str, error: str = "") -> None:
        """A call to ``source`` failed (after retries)."""
        with self._lock:
            health = self._get(source)
            health.calls += 1
            health.failures += 1
            health.consecutive_failures += 1
            health.last_failure = self._clock()
            health.last_error = error[:300]
            health.push(False)
        self._evaluate(source)

    def breaker_opened(self, source: str) -> None:
        """The circuit breaker of ``source`` opened: critical until a call succeeds."""
        with self._lock:
            health = self._get(source)
            health.breaker_open = True
            failures = health.consecutive_failures
        self.alerts.emit(
            "breaker_open",
            f"circuit breaker of {source} opened; requests fail fast",
            severity="critical",
            source=source,
            context={"consecutive_failures": failures},
        )
        self._evaluate(source)

    # -- state ----------------------------------------------------------------------------------

    def _get(self, source: str) -> SourceHealth:
        health = self._sources.get(source)
        if health is None:
            health = self._sources[source] = SourceHealth(window=self.window)
        return health

    def _status_of(self, health: SourceHealth) -> str:
        if health.breaker_open or health.consecutive_failures >= self.critical_failures:
            return CRITICAL
        if health.consecutive_failures >= self.warning_failures:
            return WARNING
        return HEALTHY

    def _evaluate(self, source: str) -> None:
        with self._lock:
            health = self._get(source)
            old, new = health.status, self._status_of(health)
            health.status = new
            context = {
                "consecutive_failures": health.consecutive_failures,
                "success_rate": round(health.success_rate, 4),
                "breaker_open": health.breaker_open,
                "last_success": _iso(health.last_success),
                "last_error": health.last_error,
            }
        if old == new:
            return
        if new == HEALTHY:
            self.alerts.resolve("health_warning", source=source)
            self.alerts.resolve("health_critical", source=source)
            self.alerts.resolve("breaker_open", source=source)
            self.alerts.emit(
                "health_recovered", f"{source} is healthy again (was {old})",
                severity="info", source=source, context=context,
            )
            return
        self.alerts.resolve("health_recovered", source=source)
        if new == WARNING:
            self.alerts.resolve("health_critical", source=source)
            self.alerts.emit(
                "health_warning",
                f"{source}: {context['consecutive_failures']} consecutive failed calls",
                severity="warning", source=source, context=context,
            )
        else:
            reason = "breaker open" if context["breaker_open"] else (
                f"{context['consecutive_failures']} consecutive failed calls")
            self.alerts.emit(
                "health_critical", f"{source} is critical: {reason}",
                severity="critical", source=source, context=context,
            )

    def status(self, source: str) -> str:
        """``healthy``, ``warning`` or ``critical`` (``healthy`` for an unseen source)."""
        with self._lock:
            health = self._sources.get(source)
            return health.status if health else HEALTHY

    def overall(self) -> str:
        """``healthy``, ``degraded`` or ``critical``: the worst source decides."""
        with self._lock:
            worst = max((h.status for h in self._sources.values()), key=_RANK.__getitem__,
                        default=HEALTHY)
        return OVERALL[worst]

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready state: overall status and per-source counters."""
        with self._lock:
            sources = {
                name: {
                    "status": h.status,
                    "consecutive_failures": h.consecutive_failures,
                    "calls": h.calls,
                    "failures": h.failures,
                    "success_rate": round(h.success_rate, 4),
                    "breaker_open": h.breaker_open,
                    "last_success": _iso(h.last_success),
                    "last_success_timestamp": h.last_success,
                    "last_error": h.last_error,
                }
                for name, h in sorted(self._sources.items())
            }
        return {"overall": self.overall(), "sources": sources}

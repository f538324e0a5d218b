"""Thread-safe request counters of `HttpClient` (the metrics layer exports them)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)


class ClientListener:
    """Event hooks of `HttpClient` (subclass and override what you need; all are no-ops).

    Called synchronously from the requesting thread, so implementations must be thread-safe
    and quick. An exception in a listener is logged and never breaks a request.
    """

    def request_finished(self, source: str, status: str, seconds: float) -> None:
        """One HTTP attempt ended (`status`: HTTP status or `error`); `seconds` = latency."""

    def call_succeeded(self, source: str) -> None:
        """A `get()` got a definite answer (breaker name: `data_exchange:pricing`, ...)."""

    def call_failed(self, source: str, error: str) -> None:
        """A `get()` failed in a way that counts against the source's breaker."""

    def breaker_opened(self, source: str) -> None:
        """The source's circuit breaker opened."""


class ListenerSet(ClientListener):
    """Fans events out to registered listeners, isolating their failures."""

    def __init__(self) -> None:
        self._listeners: list[ClientListener] = []
        self._lock = threading.Lock()

    def add(self, listener: ClientListener) -> None:
        """Register a listener."""
        with self._lock:
            self._listeners.append(listener)

    def _each(self, method: str, *args: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                getattr(listener, method)(*args)
            except Exception:  # a monitoring bug must never break a request
                logger.exception("client listener %r failed in %s", listener, method)

    def request_finished(self, source: str, status: str, seconds: float) -> None:
        self._each("request_finished", source, status, seconds)

    def call_succeeded(self, source: str) -> None:
        self._each("call_succeeded", source)

    def call_failed(self, source: str, error: str) -> None:
        self._each("call_failed", source, error)

    def breaker_opened(self, source: str) -> None:
        self._each("breaker_opened", source)


class ClientStats:
    """Counters by source: requests by status, retries, 429s, breaker opens, fast failures."""

    def __init__(self) -> None:
        """Create empty counters."""
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.retries: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.breaker_opens: Counter[str] = Counter()
        self.circuit_rejections: Counter[str] = Counter()
        self.keys_parked: Counter[str] = Counter()

    def request(self, source: str, status: int | str) -> None:
        """Count one request (`status` is the HTTP status or `error` for transport failures)."""
        with self._lock:
            self.requests[(source, str(status))] += 1

    def retry(self, source: str) -> None:
        """Count one retry."""
        with self._lock:
            self.retries[source] += 1

    def throttle(self, source: str) -> None:
        """Count one 429."""
        with self._lock:
            self.throttled[source] += 1

    def breaker_opened(self, name: str) -> None:
        """Count one circuit opening."""
        with self._lock:
            self.breaker_opens[name] += 1

    def circuit_rejected(self, name: str) -> None:
        """Count one call refused by an open circuit."""
        with self._lock:
            self.circuit_rejections[name] += 1

    def key_parked(self, product: str) -> None:
        """Count one Data Exchange key parked on 403."""
        with self._lock:
            self.keys_parked[product] += 1

    def total_requests(self, source: str | None = None) -> int:
        """Requests sent, for one source or all."""
        with self._lock:
            return sum(n for (src, _), n in self.requests.items()
                       if source is None or src == source)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of every counter, as plain dicts."""
        with self._lock:
            return {
                "requests": {f"{src}:{status}": n for (src, status), n in self.requests.items()},
                "retries": dict(self.retries),
                "throttled": dict(self.throttled),
                "breaker_opens": dict(self.breaker_opens),
                "circuit_rejections": dict(self.circuit_rejections),
                "keys_parked": dict(self.keys_parked),
            }

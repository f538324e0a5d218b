"""Thread-safe request counters of `HttpClient` (the metrics layer exports them)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


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

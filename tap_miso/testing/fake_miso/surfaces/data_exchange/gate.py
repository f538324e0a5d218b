"""APIM gateway emulation: per-product keys, per-minute rate limit, daily quota.

Only calls that reach the backend count toward the limits. The per-minute window uses the
real monotonic clock; the daily quota resets when the fake clock's UTC date changes.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import date

from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.errors import (
    DX_INVALID_KEY,
    DX_MISSING_KEY,
    dx_gateway,
)

WINDOW_SECONDS = 60.0


class DataExchangeGate:
    """Decides 401/403/429 before a Data Exchange call reaches its route."""

    def __init__(self, keys: dict[str, list[str]], rate_per_minute: int, daily_quota: int,
                 retry_after_on_429: int | None) -> None:
        self.keys = keys  # shared with FakeMisoServer.dx_keys, so edits apply live
        self.rate_per_minute = rate_per_minute
        self.daily_quota = daily_quota
        self.retry_after_on_429 = retry_after_on_429
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._daily: dict[tuple[str, date], int] = defaultdict(int)

    def admit(self, product: str, key: str | None, today_utc: date) -> Response | None:
        """None if the call may proceed (and is counted), else the gateway error response."""
        if not key:
            return dx_gateway(401, DX_MISSING_KEY["message"])
        if key not in self.keys.get(product, ()):
            return dx_gateway(401, DX_INVALID_KEY["message"])
        with self._lock:
            if self._daily[key, today_utc] >= self.daily_quota:
                return dx_gateway(403, "Out of call volume quota. Quota will be replenished "
                                       "in 23:59:59.")
            now = time.monotonic()
            recent = self._recent[key]
            while recent and now - recent[0] >= WINDOW_SECONDS:
                recent.popleft()
            if len(recent) >= self.rate_per_minute:
                wait = max(1, int(WINDOW_SECONDS - (now - recent[0])) + 1)
                response = dx_gateway(429, f"Rate limit is exceeded. Try again in {wait} seconds.")
                if self.retry_after_on_429 is not None:
                    response.headers["Retry-After"] = str(self.retry_after_on_429)
                return response
            recent.append(now)
            self._daily[key, today_utc] += 1
        return None

    def calls_today(self, key: str, today_utc: date) -> int:
        with self._lock:
            return self._daily[key, today_utc]

    def reset(self) -> None:
        """Forget all rate and quota counters."""
        with self._lock:
            self._recent.clear()
            self._daily.clear()

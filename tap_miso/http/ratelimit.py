"""Client-side, adaptive rate limiting per (host, product).

Algorithm (`AdaptiveRateLimiter`), two layers under one lock:

1. **Hard ceilings: sliding-window logs.** One log of grant times per limit (minute, hour,
   optionally day). A permit is granted at time t only if fewer than `limit` grants lie in
   (t - W, t]. Hence no window of length W ever holds more than `limit` grants: if one did,
   its latest grant t would have seen `limit` earlier grants inside (t - W, t] and been
   refused. This holds for any burst, any number of threads and any adaptive rate, and
   does not depend on float rounding of refill arithmetic (the flaw of a token bucket
   whose capacity equals the rate: full bucket + refill = 2x in the first minute).
2. **Smooth pacing: spacing of 60 / current_rate seconds between grants** (a token
   bucket of capacity 1). This spreads calls evenly and is where adaptation acts:
   429 halves the rate, a burst of 5xx or slow responses lowers it, successes raise it
   again additively, never above the configured rate.

MISO's ceilings (FORMATS.md §2.3: 100 calls/min and 24,000 calls/day per subscription) are
enforced by `RateLimiterRegistry` whatever the settings say.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from tap_miso.http.config import ClientSettings

DX_MAX_PER_MINUTE = 100.0
DX_MAX_PER_DAY_PER_KEY = 24_000.0
EIA_MAX_PER_MINUTE = 240.0  # 4/s, spaced: under EIA's 5/s
EIA_MAX_PER_HOUR = 8_000.0  # under EIA's 9,000/hour

MIN_RATE_PER_MINUTE = 1.0
THROTTLE_FACTOR = 0.5
SERVER_ERROR_FACTOR = 0.75
SERVER_ERROR_BURST = 3
SERVER_ERROR_WINDOW = 60.0
LATENCY_THRESHOLD = 10.0
LATENCY_FACTOR = 0.9
RECOVERY_STEP = 0.05  # fraction of the configured rate regained per success

_MIN_SLEEP = 1e-6  # guards against a float wait that rounds to "no progress"


class _WindowLog:
    """Grant times inside the last `seconds`; at most `limit` of them."""

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit = max(1, math.floor(limit))
        self.seconds = seconds
        self.log: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more grant fits in (now - seconds, now]."""
        horizon = now - self.seconds
        while self.log and self.log[0] <= horizon:
            self.log.popleft()
        if len(self.log) < self.limit:
            return 0.0
        return self.log[len(self.log) - self.limit] + self.seconds - now


class AdaptiveRateLimiter:
    """Thread-safe limiter: sliding-window ceilings plus adaptive spacing (module doc)."""

    def __init__(
        self,
        per_minute: float,
        per_hour: float | None = None,
        per_day: float | None = None,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create a limiter.

        Args:
            per_minute: Configured (maximum) calls per minute.
            per_hour: Calls per hour, or None for no hourly limit.
            per_day: Calls per day, or None for no daily limit.
            name: For logs and `RateLimiterRegistry.rates()`.
            clock: Monotonic clock in seconds (virtual in tests).
            sleep: Sleep function (virtual in tests).
        """
        if per_minute <= 0:
            msg = f"per_minute must be > 0, got {per_minute!r}"
            raise ValueError(msg)
        self.name = name
        self.configured_per_minute = float(per_minute)
        self._rate = float(per_minute)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows = [_WindowLog(per_minute, 60.0)]
        if per_hour is not None:
            self._windows.append(_WindowLog(per_hour, 3600.0))
        if per_day is not None:
            self._windows.append(_WindowLog(per_day, 86400.0))
        self._last_grant: float | None = None
        self._server_errors: deque[float] = deque()
        self.granted = 0

    @property
    def current_rate_per_minute(self) -> float:
        """The adaptive pacing rate (calls/min), between 1 and the configured rate."""
        with self._lock:
            return self._rate

    @property
    def limits(self) -> dict[float, int]:
        """Hard ceilings as {window seconds: max grants}."""
        return {w.seconds: w.limit for w in self._windows}

    def _wait_locked(self, now: float) -> float:
        wait = max(w.wait(now) for w in self._windows)
        if self._last_grant is not None:
            wait = max(wait, self._last_grant + 60.0 / self._rate - now)
        return wait

    def acquire(self) -> float:
        """Block until a call is allowed, then count it.

        Returns:
            The clock time at which the permit was granted.
        """
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_locked(now)
                if wait <= 0:
                    for window in self._windows:
                        window.log.append(now)
                    self._last_grant = now
                    self.granted += 1
                    return now
            self._sleep(max(wait, _MIN_SLEEP))

    def _scale(self, factor: float) -> None:
        self._rate = max(MIN_RATE_PER_MINUTE, min(self.configured_per_minute,
                                                  self._rate * factor))

    def on_throttled(self) -> None:
        """A 429: halve the rate (floor 1/min)."""
        with self._lock:
            self._scale(THROTTLE_FACTOR)

    def on_server_error(self) -> None:
        """A 5xx: after 3 within 60 s, slow down by a quarter."""
        with self._lock:
            now = self._clock()
            self._server_errors.append(now)
            while self._server_errors and self._server_errors[0] <= now - SERVER_ERROR_WINDOW:
                self._server_errors.popleft()
            if len(self._server_errors) >= SERVER_ERROR_BURST:
                self._server_errors.clear()
                self._scale(SERVER_ERROR_FACTOR)

    def on_latency(self, seconds: float) -> None:
        """A response took `seconds`: above 10 s, slow down by a tenth."""
        if seconds > LATENCY_THRESHOLD:
            with self._lock:
                self._scale(LATENCY_FACTOR)

    def on_success(self) -> None:
        """A good response: regain 5% of the configured rate, never above it."""
        with self._lock:
            self._rate = min(self.configured_per_minute,
                             self._rate + RECOVERY_STEP * self.configured_per_minute)


class RateLimiterRegistry:
    """One limiter per (host, product); DX pricing and lgi have separate buckets.

    A product (only Data Exchange calls have one: `pricing`, `lgi`) selects MISO's DX
    ceilings; other (host, None) buckets get the configured rates as they are.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create the registry.

        Args:
            settings: Client settings (rates, keys, Data Exchange URL).
            clock: Clock passed to every limiter.
            sleep: Sleep passed to every limiter.
        """
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str | None], AdaptiveRateLimiter] = {}

    def limits_for(self, product: str | None) -> tuple[float, float, float | None]:
        """Return (per_minute, per_hour, per_day); a DX product gets MISO's ceilings."""
        s = self._settings
        per_minute, per_hour, per_day = s.requests_per_minute, s.requests_per_hour, \
            s.requests_per_day
        if product == "eia":  # EIA suspends keys above ~5/s and 9,000/hour (EIA.md)
            return min(per_minute, EIA_MAX_PER_MINUTE), min(per_hour, EIA_MAX_PER_HOUR), per_day
        if product is not None:
            keys = len(s.keys_for(product)) if product in ("pricing", "lgi") else 0
            dx_day = DX_MAX_PER_DAY_PER_KEY * max(1, keys)
            per_minute = min(per_minute, DX_MAX_PER_MINUTE)
            per_day = dx_day if per_day is None else min(per_day, dx_day)
        return per_minute, per_hour, per_day

    def get(self, host: str, product: str | None = None) -> AdaptiveRateLimiter:
        """Return the limiter of (host, product), creating it on first use."""
        key = (host.lower(), product)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                per_minute, per_hour, per_day = self.limits_for(product)
                name = f"{key[0]}/{product}" if product else key[0]
                limiter = AdaptiveRateLimiter(per_minute, per_hour, per_day, name=name,
                                              clock=self._clock, sleep=self._sleep)
                self._limiters[key] = limiter
            return limiter

    def rates(self) -> dict[str, float]:
        """Current adaptive rate (calls/min) of every limiter, by name."""
        with self._lock:
            limiters = list(self._limiters.values())
        return {lim.name: lim.current_rate_per_minute for lim in limiters}

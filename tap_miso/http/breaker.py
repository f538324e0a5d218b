"""Per-source circuit breakers on `pybreaker`.

pybreaker provides the state machine (closed -> open after N consecutive failures ->
half-open -> closed/open), the failure counter and the listeners. Two things are ours:

* `CircuitBreaker.call()` holds the breaker's lock for the whole wrapped call, which would
  serialise every request of a source. So the request is not wrapped: its *outcome* is fed
  to pybreaker afterwards through a zero-cost call (`_feed`).
* pybreaker reads `datetime.now()` for the open timeout. We time the open period with an
  injectable monotonic clock and move to half-open ourselves, so tests run in virtual time.
  While half-open exactly one probe request is let through; others fail fast.

Only transport errors, 5xx and 429 that outlived the retries count as failures.
"No data" (404) and any other definite answer mean the source is up: a success.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import pybreaker

from tap_miso.http.errors import CircuitOpenError

logger = logging.getLogger(__name__)


class _LoggingListener(pybreaker.CircuitBreakerListener):
    """Log state changes: WARNING when a circuit opens, INFO otherwise."""

    def __init__(self, on_open: Callable[[str], None] | None = None) -> None:
        self._on_open = on_open

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        old = old_state.name if old_state else "none"
        if new_state.name == pybreaker.STATE_OPEN:
            logger.warning("circuit %s opened (%s -> open) after %d consecutive failures; "
                           "requests fail fast for %.0f s", cb.name, old, cb.fail_max,
                           cb.reset_timeout)
            if self._on_open:
                self._on_open(cb.name or "")
        else:
            logger.info("circuit %s: %s -> %s", cb.name, old, new_state.name)


class _Outcome(Exception):
    """Raised inside `_feed` to report a failure to pybreaker."""


def _succeed() -> None:
    return None


def _fail() -> None:
    raise _Outcome


class SourceBreaker:
    """Circuit breaker of one source (e.g. `data_exchange:pricing`)."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        """Create a breaker.

        Args:
            name: Source name, used in logs and errors.
            failure_threshold: Consecutive failures that open the circuit.
            reset_seconds: Open period before a half-open probe.
            clock: Monotonic clock (virtual in tests).
            on_open: Called with `name` each time the circuit opens (metrics).
        """
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._probe_in_flight = False
        self._on_open = on_open
        self._cb = pybreaker.CircuitBreaker(
            fail_max=failure_threshold,
            reset_timeout=reset_seconds,
            listeners=[_LoggingListener(self._opened)],
            name=name,
        )

    def _opened(self, _name: str) -> None:
        self._opened_at = self._clock()
        if self._on_open:
            self._on_open(self.name)

    @property
    def state(self) -> str:
        """`closed`, `open` or `half-open`."""
        return self._cb.current_state

    @property
    def failure_count(self) -> int:
        """Consecutive failures counted while closed."""
        return self._cb.fail_counter

    def before_request(self, url: str) -> None:
        """Let a request through, or raise `CircuitOpenError` without sending it.

        Args:
            url: The URL about to be requested (for the error message).

        Raises:
            CircuitOpenError: While open, or while a half-open probe is in flight.
        """
        with self._lock:
            state = self._cb.current_state
            if state == pybreaker.STATE_CLOSED:
                return
            if state == pybreaker.STATE_OPEN:
                opened_at = self._opened_at if self._opened_at is not None else self._clock()
                remaining = opened_at + self._cb.reset_timeout - self._clock()
                if remaining > 0:
                    msg = (f"circuit {self.name} open after repeated failures; "
                           f"next probe in {remaining:.0f} s")
                    raise CircuitOpenError(msg, source=self.name, url=url)
                self._cb.half_open()
            if self._probe_in_flight:
                msg = f"circuit {self.name} half-open, probe in flight"
                raise CircuitOpenError(msg, source=self.name, url=url)
            self._probe_in_flight = True

    def _feed(self, outcome: Callable[[], None]) -> None:
        with self._lock:
            self._probe_in_flight = False
            if self._cb.current_state == pybreaker.STATE_OPEN:
                return  # a straggler that started before the circuit opened
            with contextlib.suppress(_Outcome, pybreaker.CircuitBreakerError):
                self._cb.call(outcome)

    def record_success(self) -> None:
        """The source answered (including "no data"): reset the count, close if half-open."""
        self._feed(_succeed)

    def record_failure(self) -> None:
        """Transport error or 5xx/429 after retries: count it, open at the threshold."""
        self._feed(_fail)

    def release(self) -> None:
        """The call ended without an outcome for the breaker: free the probe slot."""
        with self._lock:
            self._probe_in_flight = False


class BreakerRegistry:
    """One `SourceBreaker` per source name (`data_exchange:pricing`, `public_api`, ...)."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        """Create the registry (arguments as for `SourceBreaker`)."""
        self._threshold = failure_threshold
        self._reset = reset_seconds
        self._clock = clock
        self._on_open = on_open
        self._lock = threading.Lock()
        self._breakers: dict[str, SourceBreaker] = {}

    def get(self, name: str) -> SourceBreaker:
        """Return the breaker of `name`, creating it on first use."""
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                breaker = SourceBreaker(name, failure_threshold=self._threshold,
                                        reset_seconds=self._reset, clock=self._clock,
                                        on_open=self._on_open)
                self._breakers[name] = breaker
            return breaker

    def states(self) -> dict[str, str]:
        """State of every breaker, by name."""
        with self._lock:
            return {name: b.state for name, b in self._breakers.items()}

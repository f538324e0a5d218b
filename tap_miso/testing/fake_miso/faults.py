"""Fault injection: rules matched by regex on the request path, consumed per request.

Kinds (params):
    latency (seconds)          sleep, then serve normally
    status (code, retry_after=None, body=None)
                               answer `code`; retry_after (seconds or an HTTP-date string)
                               becomes a Retry-After header; body defaults to the surface's
                               usual error body for that code
    reset                      close the TCP connection abruptly (RST), no response
    truncate                   full Content-Length header, half the body, then close
    malformed                  corrupt payload: invalid JSON for JSON, garbage bytes otherwise
    html200                    200 with a text/html error page
    error200                   200 with `{"error":"no data"}`
    drift (mode, column, value="drift")
                               mode rename|add|drop changes one column/field of the real payload
                               (rename -> `<column>_renamed`, or `new_name=`)
    not_published              the surface's own "no data" 404
    ok                         serve normally (a placeholder step in sequences)
The first rule (in injection order) whose regex matches and that has steps left wins.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = frozenset({
    "latency", "status", "reset", "truncate", "malformed", "html200", "error200", "drift",
    "not_published", "ok", "rewrite",
})  # fmt: skip
_REQUIRED = {"latency": ("seconds",), "status": ("code",), "drift": ("mode", "column"),
             "rewrite": ("old", "new")}
DRIFT_MODES = ("rename", "add", "drop")


@dataclass(frozen=True)
class Fault:
    """One fault step: a kind and its parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


def make_fault(kind: str, params: dict[str, Any] | None = None) -> Fault:
    """Validated Fault."""
    params = dict(params or {})
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    missing = [name for name in _REQUIRED.get(kind, ()) if name not in params]
    if missing:
        raise ValueError(f"fault {kind!r} needs parameter(s) {missing}")
    if kind == "drift" and params["mode"] not in DRIFT_MODES:
        raise ValueError(f"drift mode must be one of {DRIFT_MODES}, got {params['mode']!r}")
    return Fault(kind, params)


class FaultHandle:
    """An injected rule: remaining steps, hit count, cancel()."""

    _ids = itertools.count(1)

    def __init__(self, registry: FaultRegistry, path_regex: str, steps: list[Fault],
                 forever: bool) -> None:
        self.id = next(self._ids)
        self.path_regex = path_regex
        self.pattern = re.compile(path_regex)
        self._steps = steps
        self.forever = forever
        self.hits = 0
        self._registry = registry

    @property
    def remaining(self) -> int | None:
        """Steps left; None when the rule repeats forever."""
        return None if self.forever else len(self._steps)

    @property
    def active(self) -> bool:
        return bool(self._steps)

    def _take(self) -> Fault:
        self.hits += 1
        return self._steps[0] if self.forever else self._steps.pop(0)

    def cancel(self) -> None:
        self._registry.remove(self)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "path_regex": self.path_regex, "remaining": self.remaining,
                "hits": self.hits, "next": self._steps[0].kind if self._steps else None}


class FaultRegistry:
    """Ordered, thread-safe set of fault rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultHandle] = []

    def inject(self, path_regex: str, kind: str, times: int | None = 1,
               **params: Any) -> FaultHandle:
        fault = make_fault(kind, params)
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None (forever)")
        steps = [fault] if times is None else [fault] * times
        return self._add(FaultHandle(self, path_regex, steps, forever=times is None))

    def inject_sequence(self, path_regex: str,
                        steps: Sequence[tuple[str, dict[str, Any]]]) -> FaultHandle:
        faults = [make_fault(kind, params) for kind, params in steps]
        if not faults:
            raise ValueError("a fault sequence needs at least one step")
        return self._add(FaultHandle(self, path_regex, faults, forever=False))

    def _add(self, handle: FaultHandle) -> FaultHandle:
        with self._lock:
            self._rules.append(handle)
        return handle

    def take(self, path: str) -> Fault | None:
        """Consume the next step of the first active rule matching `path`."""
        with self._lock:
            for rule in self._rules:
                if rule.active and rule.pattern.search(path):
                    fault = rule._take()
                    if not rule.active:
                        self._rules.remove(rule)
                    return fault
        return None

    def remove(self, handle: FaultHandle) -> None:
        with self._lock:
            if handle in self._rules:
                self._rules.remove(handle)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

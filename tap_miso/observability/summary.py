"""End-of-run summary: gaps, fallbacks, flagged and dropped records, schema drift."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass
class RunSummary:
    """Thread-safe counters a run reports at its end (and tests assert on)."""

    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("tap-miso"))
    gaps: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    fallbacks: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    drift: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_gap(self, stream: str, day: date, detail: str) -> None:
        """A market date that should exist but no source had."""
        with self._lock:
            self.gaps[stream].append((day.isoformat(), detail))
        self.logger.warning("Gap: %s has no data for market date %s (%s)", stream, day, detail)

    def count_fallback(self, stream: str, source: str) -> None:
        """A source failed for a date and the next one was tried."""
        with self._lock:
            self.fallbacks[(stream, source)] += 1

    def count_flagged(self, stream: str) -> None:
        """A record carried quality flags."""
        with self._lock:
            self.flagged[stream] += 1

    def count_dropped(self, stream: str) -> None:
        """A flagged record was dropped (on_invalid_record = drop)."""
        with self._lock:
            self.dropped[stream] += 1

    def schema_drift_callback(self, stream: str) -> Callable[[str, list[str]], None]:
        """Callback for parsers reporting unexpected columns in ``where``."""

        def report(where: str, columns: list[str]) -> None:
            new = set(columns)
            with self._lock:
                new -= self.drift[f"{stream}:{where}"]
                self.drift[f"{stream}:{where}"] |= new
            if new:
                self.logger.warning(
                    "Schema drift: %s %s sent unexpected columns %s", stream, where, sorted(new)
                )

        return report

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        with self._lock:
            return {
                "gaps": {
                    s: [{"market_date": d, "detail": x} for d, x in g] for s, g in self.gaps.items()
                },
                "gap_count": sum(len(g) for g in self.gaps.values()),
                "fallbacks": {f"{s}:{src}": n for (s, src), n in self.fallbacks.items()},
                "flagged_records": dict(self.flagged),
                "dropped_records": dict(self.dropped),
                "schema_drift": {k: sorted(v) for k, v in self.drift.items()},
            }

    def log(self) -> None:
        """Write the summary as one structured log line."""
        self.logger.info("Run summary: %s", json.dumps(self.as_dict(), sort_keys=True))

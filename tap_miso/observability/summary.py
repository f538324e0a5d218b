"""End-of-run summary: gaps, fallbacks, flagged and dropped records, schema drift.

:func:`build_report` assembles the full end-of-run report (per stream records, quality score,
flags by rule, gaps, sources used per date, requests, retries, breaker events, health, alerts,
duration, records/s); :func:`write_json_atomic` writes it to ``run_summary_file``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tap_miso.observability.alerts import AlertSink


@dataclass
class RunSummary:
    """Thread-safe counters a run reports at its end (and tests assert on)."""

    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("tap-miso"))
    gaps: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    fallbacks: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    drift: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: stream -> part -> why no configured source serves it (skipped, not gaps).
    unserved: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    #: When set, gaps and schema drift also raise alerts (once per condition).
    alerts: AlertSink | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_gap(self, stream: str, day: date, detail: str) -> None:
        """A market date that should exist but no source had."""
        with self._lock:
            self.gaps[stream].append((day.isoformat(), detail))
        self.logger.warning("Gap: %s has no data for market date %s (%s)", stream, day, detail)
        if self.alerts is not None:
            self.alerts.emit(
                "gap", f"{stream} has no data for market date {day} ({detail})",
                severity="warning", stream=stream,
                context={"market_date": day.isoformat(), "detail": detail},
                key=day.isoformat(),
            )

    def add_unserved(self, stream: str, part: str, why: str) -> None:
        """A part of a stream that no source the settings allow can serve (warned once)."""
        with self._lock:
            if part in self.unserved[stream]:
                return
            self.unserved[stream][part] = why
        self.logger.warning("%s: no configured source serves the '%s' part; it is skipped, "
                            "not reported as gaps (%s)", stream, part, why)

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
                if self.alerts is not None:
                    self.alerts.emit(
                        "schema_drift", f"{stream}: {where} sent unexpected columns",
                        severity="warning", stream=stream, source=where,
                        context={"new_columns": sorted(new)}, key=tuple(sorted(new)),
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
                "unserved_parts": {s: dict(p) for s, p in self.unserved.items() if p},
            }

    def log(self) -> None:
        """Write the summary as one structured log line."""
        self.logger.info("Run summary: %s", json.dumps(self.as_dict(), sort_keys=True))

    def log_report(self, report: Mapping[str, Any]) -> None:
        """Write the full end-of-run report as one structured log line."""
        self.logger.info("Run summary: %s", json.dumps(report, sort_keys=True, default=str))


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_report(
    *,
    summary: RunSummary,
    records: Mapping[str, int],
    quality: Mapping[str, Mapping[str, Any]],
    completeness: Mapping[str, Any],
    client_stats: Mapping[str, Any] | None,
    health: Mapping[str, Any],
    alerts: Mapping[str, Any],
    started: float,
    finished: float,
    succeeded: bool,
) -> dict[str, Any]:
    """The end-of-run report (JSON-ready; its keys are documented in the README)."""
    base = summary.as_dict()
    duration = max(finished - started, 0.0)
    total = sum(records.values())
    names = sorted(set(records) | set(quality) | set(base["gaps"]) | set(base["dropped_records"]))
    streams: dict[str, Any] = {}
    for name in names:
        q = quality.get(name, {})
        streams[name] = {
            "records": records.get(name, 0),
            "records_checked": q.get("records_checked", 0),
            "dropped": base["dropped_records"].get(name, 0),
            "quality_score": q.get("quality_score", 1.0),
            "flags_by_rule": q.get("flags_by_rule", {}),
            "missing_dates": base["gaps"].get(name, []),
            "missing_intervals": completeness.get("missing_intervals", {}).get(name, 0),
            "sources_by_date": q.get("sources_by_date", {}),
            "date_collection_seconds": q.get("date_collection_seconds", {}),
        }
    stats = client_stats or {}
    # The keys of ``RunSummary.as_dict()`` stay at the top level (gaps, gap_count, fallbacks,
    # flagged_records, dropped_records, schema_drift): tools and tests read them.
    return {
        **base,
        "succeeded": succeeded,
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_seconds": round(duration, 3),
        "records_total": total,
        "records_per_second": round(total / duration, 3) if duration > 0 else None,
        "streams": streams,
        "completeness": {
            "missing_intervals": completeness.get("missing_intervals", {}),
            "incomplete_series": completeness.get("gaps", []),
            "incomplete_series_not_listed": completeness.get("gaps_not_listed", 0),
        },
        "http": {
            "requests": stats.get("requests", {}),
            "retries": stats.get("retries", {}),
            "throttled": stats.get("throttled", {}),
            "breaker_opens": stats.get("breaker_opens", {}),
            "circuit_rejections": stats.get("circuit_rejections", {}),
        },
        "health": health,
        "alerts": alerts,
    }


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename (atomic)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, default=str)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

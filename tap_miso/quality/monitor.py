"""`RunMonitor`: one object per run tying quality, completeness, health, alerts and timing.

Created once by the tap (``RunMonitor.from_settings``); streams get their checker with
:meth:`RunMonitor.for_stream`; the HTTP client is attached with :meth:`RunMonitor.attach`; the
run ends with :meth:`RunMonitor.finish`, which closes completeness, raises quality alerts,
builds the end-of-run report, logs it and writes ``run_summary_file``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from tap_miso.http.stats import ClientListener
from tap_miso.observability.alerts import AlertSink
from tap_miso.observability.health import HealthMonitor
from tap_miso.observability.metrics import (
    COLLECTION_BUCKETS,
    LATENCY_BUCKETS,
    LabelledHistogram,
)
from tap_miso.observability.summary import build_report, write_json_atomic
from tap_miso.quality.completeness import CompletenessTracker, Gap
from tap_miso.quality.outliers import DEFAULT_THRESHOLD
from tap_miso.quality.score import StreamQuality

if TYPE_CHECKING:
    from tap_miso.http.client import HttpClient
    from tap_miso.observability.metrics import RecordCounter
    from tap_miso.observability.summary import RunSummary
    from tap_miso.settings import Settings


class _Latency(ClientListener):
    def __init__(self, histogram: LabelledHistogram) -> None:
        self.histogram = histogram

    def request_finished(self, source: str, status: str, seconds: float) -> None:
        self.histogram.observe(source, seconds)


class RunMonitor:
    """Data-quality and health layer of one run (thread-safe)."""

    def __init__(
        self,
        *,
        logger: logging.Logger | None = None,
        quality_alert_threshold: float = 0.95,
        outlier_threshold: float = DEFAULT_THRESHOLD,
        ranges: Mapping[str, tuple[float, float]] | None = None,
        health_warning_failures: int = 3,
        health_critical_failures: int = 10,
        collection_time_alert_seconds: float | None = 1800.0,
        run_summary_file: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger or logging.getLogger("tap-miso")
        self.alerts = AlertSink(self.logger.getChild("alerts"))
        self.health = HealthMonitor(
            warning_failures=health_warning_failures,
            critical_failures=health_critical_failures,
            alerts=self.alerts,
        )
        self.completeness = CompletenessTracker(now=now, on_gap=self._gap_found)
        self.latency = LabelledHistogram(LATENCY_BUCKETS)
        self.collection_time = LabelledHistogram(COLLECTION_BUCKETS)
        self.quality_alert_threshold = quality_alert_threshold
        self.outlier_threshold = outlier_threshold
        self.ranges = dict(ranges or {})
        self.collection_time_alert_seconds = collection_time_alert_seconds
        self.run_summary_file = run_summary_file
        self._clock = clock
        self._wall_started = time.time()
        self._lock = threading.Lock()
        self._streams: dict[str, StreamQuality] = {}
        self.report: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, logger: logging.Logger | None = None,
                      **overrides: Any) -> RunMonitor:
        """Monitor configured from validated settings."""
        values: dict[str, Any] = {
            "quality_alert_threshold": settings.quality_alert_threshold,
            "outlier_threshold": settings.outlier_threshold,
            "ranges": settings.quality_ranges,
            "health_warning_failures": settings.health_warning_failures,
            "health_critical_failures": settings.health_critical_failures,
            "collection_time_alert_seconds": settings.collection_time_alert_seconds,
            "run_summary_file": settings.run_summary_file,
        }
        values.update(overrides)
        return cls(logger=logger, **values)

    # -- wiring points ----------------------------------------------------------------------------

    def attach(self, client: HttpClient) -> None:
        """Feed the client's call outcomes to health and its latencies to the histogram."""
        client.add_listener(self.health)
        client.add_listener(_Latency(self.latency))

    def for_stream(self, stream: str, primary_keys: Sequence[str] | None = None
                   ) -> StreamQuality:
        """The checker of ``stream`` (created on first use, then cached)."""
        with self._lock:
            checker = self._streams.get(stream)
            if checker is None:
                checker = self._streams[stream] = StreamQuality(
                    stream,
                    ranges=self.ranges,
                    outlier_threshold=self.outlier_threshold,
                    completeness=self.completeness,
                    primary_keys=primary_keys,
                    on_date_done=self._date_done,
                    clock=self._clock,
                )
            return checker

    def empty_response(self, stream: str, source: str, market_date: date | str,
                       detail: str = "") -> None:
        """A source answered with no rows where data was expected."""
        self.alerts.emit(
            "empty_response",
            f"{stream}: {source} returned no rows for market date {market_date}"
            + (f" ({detail})" if detail else ""),
            severity="warning", stream=stream, source=source,
            context={"market_date": str(market_date)}, key=str(market_date),
        )

    # -- callbacks ------------------------------------------------------------------------------

    def _gap_found(self, gap: Gap) -> None:
        self.alerts.emit(
            "incomplete_intervals",
            f"{gap.stream}: market date {gap.market_date} has series with missing intervals",
            severity="warning", stream=gap.stream,
            context={"market_date": gap.market_date, "example_series": gap.series,
                     "missing_intervals": gap.missing, "expected_intervals": gap.expected},
            key=gap.market_date,
        )

    def _date_done(self, stream: str, market_date: str, seconds: float) -> None:
        self.collection_time.observe(stream, seconds)
        limit = self.collection_time_alert_seconds
        if limit is not None and seconds > limit:
            self.alerts.emit(
                "slow_collection",
                f"{stream}: market date {market_date} took {seconds:.0f} s (limit {limit:g} s)",
                severity="warning", stream=stream,
                context={"market_date": market_date, "seconds": round(seconds, 3)},
                key=market_date,
            )

    # -- end of run -----------------------------------------------------------------------------

    def quality_snapshot(self) -> dict[str, dict[str, Any]]:
        """Per-stream quality counters."""
        with self._lock:
            streams = dict(self._streams)
        return {name: q.snapshot() for name, q in sorted(streams.items())}

    def check_quality(self) -> None:
        """Alert (once) for every stream whose score is below the threshold."""
        for stream, data in self.quality_snapshot().items():
            if data["records_checked"] and data["quality_score"] < self.quality_alert_threshold:
                self.alerts.emit(
                    "quality_below_threshold",
                    f"{stream}: quality score {data['quality_score']:.4f} below "
                    f"{self.quality_alert_threshold:g}",
                    severity="warning", stream=stream,
                    context={"quality_score": data["quality_score"],
                             "records_checked": data["records_checked"],
                             "flags_by_rule": data["flags_by_rule"]},
                )

    def finish(
        self,
        *,
        summary: RunSummary,
        records: RecordCounter,
        client: HttpClient | None,
        succeeded: bool,
    ) -> dict[str, Any]:
        """Close checks, alert, log the report and write ``run_summary_file``; return it."""
        with self._lock:
            streams = list(self._streams.values())
        for checker in streams:
            checker.finish()
        self.completeness.close()
        self.check_quality()
        self.report = build_report(
            summary=summary,
            records=records.snapshot(),
            quality=self.quality_snapshot(),
            completeness=self.completeness.snapshot(),
            client_stats=client.stats.snapshot() if client is not None else None,
            health=self.health.snapshot(),
            alerts=self.alerts.snapshot(),
            started=self._wall_started,
            finished=time.time(),
            succeeded=succeeded,
        )
        summary.log_report(self.report)
        if self.run_summary_file:
            try:
                write_json_atomic(self.run_summary_file, self.report)
            except OSError as exc:  # reporting must not fail the data run
                self.logger.warning("Could not write run summary %s: %s",
                                    self.run_summary_file, exc)
        return self.report

"""Prometheus metrics of a run: textfile, local HTTP endpoint and Pushgateway.

A custom collector reads the live counters (HTTP client stats, limiter rates, breaker states,
run summary, records per stream) each time Prometheus scrapes or a file is written, so nothing
is copied on the hot path. Label values are source, stream, status and limiter names only:
never a URL with a query and never a key.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, push_to_gateway, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import write_to_textfile
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from tap_miso.http.client import HttpClient
    from tap_miso.observability.summary import RunSummary
    from tap_miso.quality.monitor import RunMonitor

BREAKER_STATE_VALUES = {"closed": 0, "half-open": 1, "half_open": 1, "open": 2}
HEALTH_STATUS_VALUES = {"healthy": 0, "warning": 1, "degraded": 1, "critical": 2}
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
COLLECTION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
AnyFamily = CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily


class LabelledHistogram:
    """Thread-safe histogram per label value (rendered by the collector, no global registry)."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(sorted(buckets))
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, label: str, value: float) -> None:
        """Add one observation for ``label``."""
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            counts = self._counts.setdefault(label, [0] * (len(self.buckets) + 1))
            counts[index] += 1
            self._sums[label] = self._sums.get(label, 0.0) + value

    def snapshot(self) -> dict[str, tuple[list[tuple[str, float]], float]]:
        """label -> (cumulative buckets incl. +Inf, sum)."""
        with self._lock:
            out = {}
            for label, counts in self._counts.items():
                running, buckets = 0, []
                for bound, n in zip((*self.buckets, float("inf")), counts, strict=True):
                    running += n
                    buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
                out[label] = (buckets, self._sums[label])
            return out

    def family(self, name: str, doc: str, label: str) -> HistogramMetricFamily:
        """Render as one metric family."""
        family = HistogramMetricFamily(name, doc, labels=[label])
        for value, (buckets, total) in sorted(self.snapshot().items()):
            family.add_metric([value], buckets, total)
        return family


class RecordCounter:
    """Thread-safe count of records emitted per stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, stream: str, n: int = 1) -> None:
        """Count ``n`` records of ``stream``."""
        with self._lock:
            self.counts[stream] += n

    def snapshot(self) -> dict[str, int]:
        """Copy of the counts."""
        with self._lock:
            return dict(self.counts)


class RunCollector(Collector):
    """Exposes one run's live state as Prometheus metric families."""

    def __init__(
        self,
        summary: RunSummary,
        records: RecordCounter,
        client: Callable[[], HttpClient | None],
        started: float,
        monitor: RunMonitor | None = None,
    ) -> None:
        self.monitor = monitor
        self.summary = summary
        self.records = records
        self.client = client
        self.started = started
        self.finished: float | None = None
        self.succeeded: bool | None = None

    def collect(self) -> Iterator[AnyFamily]:
        """Yield every metric family (called on scrape or file write)."""
        records = CounterMetricFamily("tap_miso_records", "Records emitted", labels=["stream"])
        for stream, n in sorted(self.records.snapshot().items()):
            records.add_metric([stream], n)
        yield records
        yield from self._summary_metrics()
        client = self.client()
        if client is not None:
            yield from self._client_metrics(client)
        if self.monitor is not None:
            yield from monitor_metrics(self.monitor)
        duration = GaugeMetricFamily("tap_miso_run_duration_seconds", "Run duration so far")
        duration.add_metric([], (self.finished or time.time()) - self.started)
        yield duration
        if self.succeeded is not None:
            success = GaugeMetricFamily("tap_miso_run_success", "1 if the run succeeded")
            success.add_metric([], 1.0 if self.succeeded else 0.0)
            yield success

    def _summary_metrics(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        data = self.summary.as_dict()
        gaps = CounterMetricFamily("tap_miso_gaps", "Market dates missing from every source",
                                   labels=["stream"])
        for stream, entries in sorted(data["gaps"].items()):
            gaps.add_metric([stream], len(entries))
        yield gaps
        fallbacks = CounterMetricFamily("tap_miso_source_fallbacks",
                                        "Times a source failed and the next one was tried",
                                        labels=["stream", "source"])
        for key, n in sorted(data["fallbacks"].items()):
            stream, source = key.split(":", 1)
            fallbacks.add_metric([stream, source], n)
        yield fallbacks
        for name, field, help_text in (
            ("tap_miso_flagged_records", "flagged_records", "Records with quality flags"),
            ("tap_miso_dropped_records", "dropped_records", "Flagged records dropped"),
        ):
            family = CounterMetricFamily(name, help_text, labels=["stream"])
            for stream, n in sorted(data[field].items()):
                family.add_metric([stream], n)
            yield family
        drift = GaugeMetricFamily("tap_miso_schema_drift_columns",
                                  "Unexpected columns seen per stream and source",
                                  labels=["stream", "source"])
        for key, columns in sorted(data["schema_drift"].items()):
            stream, source = key.split(":", 1)
            drift.add_metric([stream, source], len(columns))
        yield drift

    def _client_metrics(
        self, client: HttpClient
    ) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = client.stats.snapshot()
        requests = CounterMetricFamily("tap_miso_http_requests", "HTTP requests sent",
                                       labels=["source", "status"])
        for key, n in sorted(stats["requests"].items()):
            source, status = key.rsplit(":", 1)
            requests.add_metric([source, status], n)
        yield requests
        for name, field, help_text in (
            ("tap_miso_http_retries", "retries", "Requests retried"),
            ("tap_miso_http_throttled", "throttled", "HTTP 429 answers"),
            ("tap_miso_breaker_opens", "breaker_opens", "Circuit breaker openings"),
            ("tap_miso_breaker_rejections", "circuit_rejections",
             "Calls refused by an open breaker"),
            ("tap_miso_keys_parked", "keys_parked", "Data Exchange keys parked on 403 quota"),
        ):
            family = CounterMetricFamily(name, help_text, labels=["source"])
            for source, n in sorted(stats[field].items()):
                family.add_metric([source], n)
            yield family
        rate = GaugeMetricFamily("tap_miso_rate_limit_per_minute",
                                 "Current adaptive request rate", labels=["limiter"])
        for limiter, value in sorted(client.limiter_rates().items()):
            rate.add_metric([limiter], value)
        yield rate
        breaker = GaugeMetricFamily("tap_miso_breaker_state",
                                    "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                                    labels=["source"])
        for source, state in sorted(client.breakers.states().items()):
            breaker.add_metric([source], BREAKER_STATE_VALUES.get(str(state).lower(), -1))
        yield breaker


def monitor_metrics(monitor: RunMonitor) -> Iterator[AnyFamily]:
    """Quality, completeness, health, latency, collection-time and alert metric families."""
    quality = monitor.quality_snapshot()
    invalid = CounterMetricFamily(
        "tap_miso_invalid_records", "Records flagged by an error rule, by rule",
        labels=["stream", "rule"])
    outliers = CounterMetricFamily("tap_miso_outlier_records", "Records flagged as outliers",
                                   labels=["stream"])
    checked = CounterMetricFamily("tap_miso_checked_records", "Records run through the checks",
                                  labels=["stream"])
    score = GaugeMetricFamily("tap_miso_quality_score",
                              "Share of checked records without error flags (0..1)",
                              labels=["stream"])
    for stream, data in sorted(quality.items()):
        checked.add_metric([stream], data["records_checked"])
        score.add_metric([stream], data["quality_score"])
        for rule, n in data["flags_by_rule"].items():
            if rule == "outlier":
                outliers.add_metric([stream], n)
            else:
                invalid.add_metric([stream, rule], n)
    yield from (invalid, outliers, checked, score)
    completeness = monitor.completeness.snapshot()
    missing = CounterMetricFamily("tap_miso_missing_intervals",
                                  "Intervals missing from series of received market dates",
                                  labels=["stream"])
    for stream, n in sorted(completeness["missing_intervals"].items()):
        missing.add_metric([stream], n)
    yield missing
    incomplete = CounterMetricFamily("tap_miso_incomplete_series",
                                     "Series and market dates with missing intervals",
                                     labels=["stream"])
    for stream, n in sorted(completeness["incomplete_series"].items()):
        incomplete.add_metric([stream], n)
    yield incomplete
    health = monitor.health.snapshot()
    status = GaugeMetricFamily("tap_miso_health_status",
                               "Source health: 0 healthy, 1 warning, 2 critical",
                               labels=["source"])
    failures = GaugeMetricFamily("tap_miso_source_consecutive_failures",
                                 "Consecutive failed calls per source", labels=["source"])
    rate = GaugeMetricFamily("tap_miso_source_success_ratio",
                             "Rolling share of successful calls per source", labels=["source"])
    last = GaugeMetricFamily("tap_miso_source_last_success_timestamp_seconds",
                             "Unix time of the last successful call", labels=["source"])
    for source, data in health["sources"].items():
        status.add_metric([source], HEALTH_STATUS_VALUES[data["status"]])
        failures.add_metric([source], data["consecutive_failures"])
        rate.add_metric([source], data["success_rate"])
        if data["last_success_timestamp"] is not None:
            last.add_metric([source], data["last_success_timestamp"])
    overall = GaugeMetricFamily("tap_miso_health_overall_status",
                                "Overall health: 0 healthy, 1 degraded, 2 critical")
    overall.add_metric([], HEALTH_STATUS_VALUES[health["overall"]])
    yield from (status, failures, rate, last, overall)
    yield monitor.latency.family("tap_miso_http_request_duration_seconds",
                                 "HTTP request latency (per attempt)", "source")
    yield monitor.collection_time.family("tap_miso_date_collection_seconds",
                                         "Time to collect one market date of a stream", "stream")
    alerts = CounterMetricFamily("tap_miso_alerts", "Alerts raised", labels=["kind", "severity"])
    for entry in monitor.alerts.snapshot()["counts"]:
        alerts.add_metric([entry["kind"], entry["severity"]], entry["count"])
    yield alerts


class MetricsExporter:
    """Wires the collector to the configured outputs (file, port, Pushgateway)."""

    def __init__(
        self,
        collector: RunCollector,
        *,
        textfile: str | None,
        port: int | None,
        pushgateway_url: str | None,
    ) -> None:
        self.collector = collector
        self.registry = CollectorRegistry()
        self.registry.register(collector)
        self.textfile = textfile
        self.port = port
        self.pushgateway_url = pushgateway_url
        self._server = None

    def start(self) -> None:
        """Serve ``/metrics`` on 127.0.0.1:``port`` while the tap runs (if configured)."""
        if self.port:
            self._server, _ = start_http_server(self.port, addr="127.0.0.1",
                                                registry=self.registry)

    def finish(self, *, succeeded: bool) -> None:
        """Record the outcome, write the textfile and push to the gateway (if configured)."""
        self.collector.finished = time.time()
        self.collector.succeeded = succeeded
        if self.textfile:
            # prometheus-client writes a temporary file beside it and renames it: atomic.
            write_to_textfile(self.textfile, self.registry)
        if self.pushgateway_url:
            try:
                push_to_gateway(self.pushgateway_url, job="tap-miso", registry=self.registry,
                                timeout=10)
            except OSError as exc:  # a monitoring outage must not fail the data run
                logging.getLogger("tap-miso").warning(
                    "Could not push metrics to %s: %s", self.pushgateway_url, exc
                )
        if self._server is not None:
            self._server.shutdown()
            self._server = None

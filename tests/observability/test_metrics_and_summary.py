"""New Prometheus metrics parsed back from the textfile; the end-of-run summary file."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import date
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from pytest_httpserver import HTTPServer

from tap_miso.http import ClientSettings, HttpClient
from tap_miso.http.errors import RetriesExhaustedError
from tap_miso.observability.metrics import MetricsExporter, RecordCounter, RunCollector
from tap_miso.observability.summary import RunSummary
from tap_miso.quality import RunMonitor
from tests.quality.helpers import hourly_fields

DAY = date(2026, 1, 5)
STREAM = "load_actual_hourly"


def run_once(httpserver: HTTPServer, tmp_path: Path, **monitor_args):
    """A small run: 3 requests, 24 + 23 records (one gap, one out of range), 4 failures."""
    httpserver.expect_request("/ok").respond_with_json({"ok": True})
    httpserver.expect_request("/bad").respond_with_data("boom", status=503)
    client = HttpClient(ClientSettings(max_retries=0, requests_per_minute=60000,
                                       requests_per_hour=10_000_000,
                                       breaker_failure_threshold=100), sleep=lambda _s: None)
    summary = RunSummary()
    monitor = RunMonitor(run_summary_file=str(tmp_path / "summary.json"), **monitor_args)
    summary.alerts = monitor.alerts
    monitor.attach(client)
    records = RecordCounter()
    for _ in range(3):
        client.get(httpserver.url_for("/ok"), source="market_report")
    for _ in range(4):
        with contextlib.suppress(RetriesExhaustedError):
            client.get(httpserver.url_for("/bad"), source="public_api")
    checker = monitor.for_stream(STREAM)
    for day in (DAY, date(2026, 1, 6)):
        for he in range(1, 25):
            if day != DAY and he == 7:
                continue  # a missing interval
            record = {**hourly_fields(day, he), "area": "MISO",
                      "load_mw": 200_000.0 if (day, he) == (DAY, 3) else 70_000.0}
            errors = checker.check(record)
            if not errors:
                records.add(STREAM)
            else:
                summary.count_flagged(STREAM)
    summary.add_gap(STREAM, date(2026, 1, 7), "no data from market_report")
    collector = RunCollector(summary, records, lambda: client, time.time() - 2, monitor=monitor)
    exporter = MetricsExporter(collector, textfile=str(tmp_path / "tap_miso.prom"), port=None,
                               pushgateway_url=None)
    report = monitor.finish(summary=summary, records=records, client=client, succeeded=True)
    exporter.finish(succeeded=True)
    client.close()
    return report, (tmp_path / "tap_miso.prom").read_text()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_textfile_has_quality_health_latency_and_alert_metrics(httpserver, tmp_path):
    _, text = run_once(httpserver, tmp_path, health_warning_failures=2,
                       health_critical_failures=4)
    values = samples(text)
    assert values[("tap_miso_invalid_records_total",
                   (("rule", "mw_out_of_range"), ("stream", STREAM)))] == 1
    assert values[("tap_miso_checked_records_total", (("stream", STREAM),))] == 47
    assert values[("tap_miso_quality_score", (("stream", STREAM),))] == round(46 / 47, 6)
    assert values[("tap_miso_missing_intervals_total", (("stream", STREAM),))] == 1
    assert values[("tap_miso_health_status", (("source", "public_api"),))] == 2
    assert values[("tap_miso_health_status", (("source", "market_report"),))] == 0
    assert values[("tap_miso_source_consecutive_failures", (("source", "public_api"),))] == 4
    assert values[("tap_miso_health_overall_status", ())] == 2
    assert values[("tap_miso_http_request_duration_seconds_count",
                   (("source", "market_report"),))] == 3
    assert values[("tap_miso_http_request_duration_seconds_bucket",
                   (("le", "+Inf"), ("source", "public_api")))] == 4
    assert values[("tap_miso_date_collection_seconds_count", (("stream", STREAM),))] == 2
    assert values[("tap_miso_alerts_total",
                   (("kind", "health_critical"), ("severity", "critical")))] == 1
    assert values[("tap_miso_alerts_total", (("kind", "gap"), ("severity", "warning")))] == 1
    assert values[("tap_miso_alerts_total",
                   (("kind", "incomplete_intervals"), ("severity", "warning")))] == 1
    assert values[("tap_miso_gaps_total", (("stream", STREAM),))] == 1
    assert values[("tap_miso_run_success", ())] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("tap_miso.prom.")]


def test_summary_file_content(httpserver, tmp_path):
    report, _ = run_once(httpserver, tmp_path, quality_alert_threshold=0.99)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written == json.loads(json.dumps(report, default=str))
    stream = written["streams"][STREAM]
    assert stream["records"] == 46 and stream["records_checked"] == 47
    assert stream["quality_score"] == round(46 / 47, 6)
    assert stream["flags_by_rule"] == {"mw_out_of_range": 1}
    assert stream["missing_intervals"] == 1
    assert stream["missing_dates"] == [{"market_date": "2026-01-07",
                                        "detail": "no data from market_report"}]
    assert stream["sources_by_date"] == {"2026-01-05": ["market_report"],
                                         "2026-01-06": ["market_report"]}
    assert set(stream["date_collection_seconds"]) == {"2026-01-05", "2026-01-06"}
    gap = written["completeness"]["incomplete_series"][0]
    assert (gap["market_date"], gap["series"], gap["missing_intervals"],
            gap["first_missing_utc"]) == ("2026-01-06", "MISO", 1, "2026-01-06T11:00:00Z")
    assert written["http"]["requests"] == {"market_report:200": 3, "public_api:503": 4}
    assert written["health"]["overall"] == "degraded"
    assert written["health"]["sources"]["public_api"]["status"] == "warning"
    kinds = sorted({a["kind"] for a in written["alerts"]["alerts"]})
    assert kinds == ["gap", "health_warning", "incomplete_intervals", "quality_below_threshold"]
    assert written["gap_count"] == 1 and written["flagged_records"] == {STREAM: 1}
    assert written["gaps"] == {STREAM: [{"market_date": "2026-01-07",
                                         "detail": "no data from market_report"}]}
    assert written["succeeded"] is True and written["records_total"] == 46
    assert written["duration_seconds"] >= 0 and "records_per_second" in written

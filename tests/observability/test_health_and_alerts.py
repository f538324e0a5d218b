"""Health transitions driven through a real HttpClient; alerts once per condition."""

from __future__ import annotations

import json
import logging

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tap_miso.http import ClientSettings, HttpClient
from tap_miso.http.errors import CircuitOpenError, MisoHttpError, RetriesExhaustedError
from tap_miso.observability.alerts import AlertSink
from tap_miso.observability.health import HealthMonitor
from tap_miso.quality import RunMonitor

SOURCE = "public_api"


class Switch:
    """Serve 500 while `failing`, else 200 JSON."""

    def __init__(self) -> None:
        self.failing = True

    def __call__(self, _request):
        if self.failing:
            return Response("boom", status=500)
        return Response('{"ok": true}', status=200, content_type="application/json")


def make_client(httpserver: HTTPServer, **overrides) -> HttpClient:
    values = {"max_retries": 0, "requests_per_minute": 60000, "requests_per_hour": 10_000_000,
              "breaker_failure_threshold": 1000, "read_timeout": 5, "connect_timeout": 2}
    values.update(overrides)
    return HttpClient(ClientSettings(**values), sleep=lambda _s: None)


def call(client: HttpClient, url: str) -> bool:
    try:
        client.get(url, source=SOURCE)
    except (RetriesExhaustedError, CircuitOpenError):
        return False
    return True


@pytest.fixture
def switch(httpserver: HTTPServer) -> Switch:
    handler = Switch()
    httpserver.expect_request("/api/data").respond_with_handler(handler)
    return handler


def test_failures_warn_at_3_critical_at_10_and_recover(httpserver, switch, caplog):
    monitor = RunMonitor()
    client = make_client(httpserver)
    monitor.attach(client)
    url = httpserver.url_for("/api/data")
    statuses = []
    with caplog.at_level(logging.INFO, logger="tap-miso.alerts"):
        for _ in range(12):
            assert not call(client, url)
            statuses.append(monitor.health.status(SOURCE))
        assert statuses[:2] == ["healthy"] * 2
        assert statuses[2:9] == ["warning"] * 7
        assert statuses[9:] == ["critical"] * 3
        assert monitor.health.overall() == "critical"
        switch.failing = False
        assert call(client, url)
        assert monitor.health.status(SOURCE) == "healthy"
        assert monitor.health.overall() == "healthy"
    snap = monitor.health.snapshot()["sources"][SOURCE]
    assert snap["calls"] == 13 and snap["failures"] == 12
    assert snap["success_rate"] == pytest.approx(1 / 13, abs=1e-4)
    assert snap["last_success"] is not None
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "tap-miso.alerts"]
    assert [(a["kind"], a["severity"]) for a in lines] == [
        ("health_warning", "warning"), ("health_critical", "critical"),
        ("health_recovered", "info")]
    assert all(a["source"] == SOURCE and a["event"] == "alert" for a in lines)
    assert lines[1]["context"]["consecutive_failures"] == 10
    # latency of every attempt was observed
    buckets, total = monitor.latency.snapshot()[SOURCE]
    assert buckets[-1] == ("+Inf", 13) and total > 0
    client.close()


def test_breaker_open_is_critical_at_once(httpserver, switch):
    monitor = RunMonitor()
    client = make_client(httpserver, breaker_failure_threshold=2)
    monitor.attach(client)
    url = httpserver.url_for("/api/data")
    call(client, url)
    assert monitor.health.status(SOURCE) == "healthy"
    call(client, url)  # second failure opens the breaker
    assert monitor.health.status(SOURCE) == "critical"
    for _ in range(5):
        assert not call(client, url)  # rejected without a request
    kinds = [a.kind for a in monitor.alerts.emitted]
    assert kinds == ["breaker_open", "health_critical"]
    client.close()


def test_definite_answers_count_as_success(httpserver):
    httpserver.expect_request("/api/none").respond_with_data(
        '{"status":404,"reason":"no data"}', status=404, content_type="application/json")
    health = HealthMonitor()
    client = make_client(httpserver, data_exchange_url=httpserver.url_for("/").rstrip("/"))
    client.add_listener(health)
    with pytest.raises(MisoHttpError) as caught:
        client.get(httpserver.url_for("/api/none"), source=SOURCE)
    assert type(caught.value) is not MisoHttpError  # a definite answer, not a TLS failure
    snap = health.snapshot()["sources"][SOURCE]
    assert (snap["calls"], snap["failures"], snap["status"]) == (1, 0, "healthy")
    client.close()


def test_listener_errors_never_break_requests(httpserver, switch):
    class Broken(HealthMonitor):
        def call_succeeded(self, source: str) -> None:
            raise RuntimeError("monitoring bug")

    switch.failing = False
    client = make_client(httpserver)
    client.add_listener(Broken())
    assert call(client, httpserver.url_for("/api/data"))
    client.close()


def test_alert_sink_once_per_condition_and_again_after_resolve(caplog):
    sink = AlertSink(logging.getLogger("tap-miso.alerts"), clock=lambda: 0.0)
    with caplog.at_level(logging.INFO, logger="tap-miso.alerts"):
        for _ in range(500):  # e.g. once per record: must log once
            sink.emit("gap", "missing", stream="s", key="2026-01-05")
        sink.emit("gap", "missing", stream="s", key="2026-01-06")
        sink.resolve("gap", stream="s", key="2026-01-05")
        sink.emit("gap", "missing again", stream="s", key="2026-01-05", severity="critical")
    records = [r for r in caplog.records if r.name == "tap-miso.alerts"]
    lines = [json.loads(r.getMessage()) for r in records]
    assert [(a["context"], a["message"], a["severity"]) for a in lines] == [
        ({}, "missing", "warning"), ({}, "missing", "warning"),
        ({}, "missing again", "critical")]
    assert set(lines[0]) == {"event", "severity", "kind", "stream", "source", "message",
                             "context", "time"}
    assert lines[0]["time"] == "1970-01-01T00:00:00Z"
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING,
                                                   logging.ERROR]
    assert sink.suppressed["gap"] == 499
    with pytest.raises(ValueError, match="severity"):
        sink.emit("gap", "x", severity="fatal")


def test_summary_gaps_and_drift_alert_once():
    from datetime import date

    from tap_miso.observability.summary import RunSummary

    sink = AlertSink()
    summary = RunSummary(alerts=sink)
    summary.add_gap("lmp_day_ahead_hourly", date(2026, 1, 5), "no data")
    report = summary.schema_drift_callback("lmp_day_ahead_hourly")
    for _ in range(3):
        report("market_report", ["NEW_COL"])
    report("market_report", ["NEW_COL", "OTHER"])
    assert [(a.kind, a.context.get("new_columns")) for a in sink.emitted] == [
        ("gap", None), ("schema_drift", ["NEW_COL"]), ("schema_drift", ["OTHER"])]

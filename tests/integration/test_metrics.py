"""Prometheus metrics: textfile, live endpoint and Pushgateway; never a key."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from pytest_httpserver import HTTPServer

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import catalog_for, fake_config, run_tap, write_json

DA = "lmp_day_ahead_hourly"
DAY = timeutil.market_today() - timedelta(days=3)


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=12) as server:
        yield server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_textfile_has_run_metrics_and_no_key(fake, tmp_path):
    key = fake.dx_keys["pricing"][0]
    path = tmp_path / "tap_miso.prom"
    config = fake_config(fake, start_date=str(DAY), end_date=str(DAY), pricing_api_key=key,
                         metrics_textfile=str(path))
    fake.missing_dates.add(DAY - timedelta(days=1))
    run = run_tap({**config, "start_date": str(DAY - timedelta(days=1))}, streams=[DA])
    fake.missing_dates.clear()
    assert run.returncode == 0, run.stderr[-2000:]
    text = path.read_text()
    n = len(run.records(DA))
    assert f'tap_miso_records_total{{stream="{DA}"}} {float(n)}' in text
    assert f'tap_miso_gaps_total{{stream="{DA}"}} 1.0' in text
    assert 'tap_miso_http_requests_total{source="data_exchange",status="200"}' in text
    assert 'tap_miso_breaker_state{source="data_exchange:pricing"} 0.0' in text
    assert "tap_miso_rate_limit_per_minute" in text
    assert "tap_miso_breaker_state" in text
    assert "tap_miso_run_success 1.0" in text
    assert key not in text


def test_live_endpoint_serves_metrics_during_the_run(fake):
    port = free_port()
    fake.inject(r"/marketreports/", "latency", times=None, seconds=1.0)
    try:
        config = fake_config(fake, start_date=str(DAY - timedelta(days=1)), end_date=str(DAY),
                             metrics_port=port, max_concurrent_requests=1)
        cmd = [sys.executable, "-m", "tap_miso.tap", "--config", write_json(config),
               "--catalog", write_json(catalog_for([DA], config))]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                if "tap_miso_http_requests_total" in body:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        proc.wait(timeout=60)
    finally:
        fake.clear_faults()
    assert proc.returncode == 0
    assert "tap_miso_http_requests_total" in body
    assert "tap_miso_run_duration_seconds" in body


def test_pushgateway_receives_the_final_metrics(fake, httpserver: HTTPServer):
    httpserver.expect_request("/metrics/job/tap-miso", method="PUT").respond_with_data("")
    config = fake_config(fake, start_date=str(DAY), end_date=str(DAY),
                         metrics_pushgateway_url=httpserver.url_for("/"))
    run = run_tap(config, streams=[DA])
    assert run.returncode == 0, run.stderr[-2000:]
    (request, _), = httpserver.log
    pushed = request.get_data(as_text=True)
    assert f'tap_miso_records_total{{stream="{DA}"}}' in pushed
    assert "tap_miso_run_success 1.0" in pushed


def test_unreachable_pushgateway_does_not_fail_the_run(fake):
    config = fake_config(fake, start_date=str(DAY), end_date=str(DAY),
                         metrics_pushgateway_url=f"http://127.0.0.1:{free_port()}")
    run = run_tap(config, streams=[DA])
    assert run.returncode == 0
    assert "Could not push metrics" in run.stderr

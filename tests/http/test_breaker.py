"""Circuit breaker per source, through a real server, in virtual time."""

from __future__ import annotations

import logging

import pytest
from werkzeug import Response

from tap_miso.http import CircuitOpenError, NoDataError, RetriesExhaustedError
from tap_miso.http.breaker import SourceBreaker

from .conftest import json_response, script

OK = json_response({"ok": True})
DOWN = Response("down", status=503)


@pytest.fixture
def client(make_client):
    return make_client(max_retries=0, breaker_failure_threshold=3, breaker_reset_seconds=60)


def get(client, httpserver, path="/feed", source="public_api"):
    return client.get(httpserver.url_for(path), source=source)


def fail_times(client, httpserver, n, path="/feed", source="public_api"):
    for _ in range(n):
        with pytest.raises(RetriesExhaustedError):
            get(client, httpserver, path, source)


def test_opens_after_threshold_and_fails_fast_without_request(httpserver, client, caplog):
    s = script(httpserver, "/feed", DOWN)
    caplog.set_level(logging.INFO, logger="tap_miso.http.breaker")
    fail_times(client, httpserver, 3)
    assert s.count == 3
    assert client.breakers.get("public_api").state == "open"
    for _ in range(5):
        with pytest.raises(CircuitOpenError) as info:
            get(client, httpserver)
    assert s.count == 3  # no request while open
    assert "public_api" in str(info.value)
    assert client.stats.breaker_opens["public_api"] == 1
    assert client.stats.circuit_rejections["public_api"] == 5
    opened = [r for r in caplog.records if "opened" in r.getMessage()]
    assert len(opened) == 1 and opened[0].levelno == logging.WARNING


def test_half_open_probe_after_reset_closes_on_success(httpserver, client, clock, caplog):
    s = script(httpserver, "/feed", DOWN, DOWN, DOWN, OK)
    caplog.set_level(logging.INFO, logger="tap_miso.http.breaker")
    fail_times(client, httpserver, 3)
    clock.advance(59)
    with pytest.raises(CircuitOpenError):
        get(client, httpserver)
    assert s.count == 3
    clock.advance(1)
    assert get(client, httpserver).json() == {"ok": True}  # the probe
    assert s.count == 4
    assert client.breakers.get("public_api").state == "closed"
    get(client, httpserver)
    assert s.count == 5
    states = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO
              and "circuit" in r.getMessage()]
    assert any("open -> half-open" in m for m in states)
    assert any("half-open -> closed" in m for m in states)


def test_failed_probe_reopens(httpserver, client, clock):
    s = script(httpserver, "/feed", DOWN)
    fail_times(client, httpserver, 3)
    clock.advance(60)
    fail_times(client, httpserver, 1)  # the probe fails
    assert s.count == 4
    assert client.breakers.get("public_api").state == "open"
    with pytest.raises(CircuitOpenError):
        get(client, httpserver)
    assert s.count == 4
    assert client.stats.breaker_opens["public_api"] == 2
    clock.advance(60)
    fail_times(client, httpserver, 1)
    assert s.count == 5


def test_no_data_404_does_not_trip(httpserver, make_client):
    s = script(httpserver, "/pricing/v1/x",
               json_response({"status": 404, "reason": "Empty data returned for date"}, 404))
    client = make_client(max_retries=0, breaker_failure_threshold=3,
                         pricing_keys=("KEY-1234",))
    for _ in range(6):
        with pytest.raises(NoDataError):
            client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                       product="pricing")
    assert s.count == 6
    assert client.breakers.get("data_exchange:pricing").state == "closed"


def test_success_resets_the_consecutive_count(httpserver, client):
    s = script(httpserver, "/feed", DOWN, DOWN, OK, DOWN, DOWN, OK)
    fail_times(client, httpserver, 2)
    get(client, httpserver)
    fail_times(client, httpserver, 2)
    get(client, httpserver)
    assert s.count == 6
    assert client.breakers.get("public_api").state == "closed"


def test_breakers_are_per_source(httpserver, client):
    script(httpserver, "/feed", DOWN)
    s_mr = script(httpserver, "/report.csv", Response("a,b\n", content_type="text/csv"))
    fail_times(client, httpserver, 3)
    with pytest.raises(CircuitOpenError):
        get(client, httpserver)
    assert get(client, httpserver, "/report.csv", "market_report").status_code == 200
    assert s_mr.count == 1
    assert client.breakers.states() == {"public_api": "open", "market_report": "closed"}


def test_half_open_lets_exactly_one_probe_through(clock):
    breaker = SourceBreaker("x", failure_threshold=1, reset_seconds=10, clock=clock)
    breaker.before_request("http://h/p")
    breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(10)
    breaker.before_request("http://h/p")  # the probe
    assert breaker.state == "half-open"
    with pytest.raises(CircuitOpenError):
        breaker.before_request("http://h/p")  # a second caller while the probe is out
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_request("http://h/p")

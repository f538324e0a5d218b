"""Retries, backoff and Retry-After against a real local server, in virtual time."""

from __future__ import annotations

import email.utils
import logging
import time

import pytest
from werkzeug import Response

from tap_miso.http import AuthError, BadPathError, RetriesExhaustedError
from tap_miso.http.classify import parse_retry_after

from .conftest import http_ok, json_response, script

OK = json_response({"ok": True})


def err(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response("busy", status=status, headers=headers or {})


def test_success_after_three_503_with_backoff_sequence(httpserver, make_client, clock, caplog):
    s = script(httpserver, "/feed", err(503), err(503), err(503), OK)
    client = make_client(max_retries=5)
    response = client.get(httpserver.url_for("/feed"), source="public_api",
                          params={"subscription-key": "not-in-logs"})
    assert response.json() == {"ok": True}
    assert s.count == 4
    # full jitter with rng=0.5: 0.5 * 2 * 2**n
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert client.stats.retries["public_api"] == 3
    assert client.stats.requests[("public_api", "503")] == 3
    assert client.stats.requests[("public_api", "200")] == 1
    retries = [r for r in caplog.records if r.name == "tap_miso.http.client"]
    assert [r.levelno for r in retries] == [logging.WARNING] * 3
    assert retries[0].getMessage() == (
        "public_api /feed?subscription-key=***: 503 SERVICE UNAVAILABLE busy; "
        "retry 1/5 in 1.00 s")


def test_jitter_uses_rng_and_is_capped_by_backoff_max(httpserver, make_client, clock):
    draws = iter([0.1, 0.9, 0.5, 0.99, 0.25])
    s = script(httpserver, "/feed", err(500))
    client = make_client(rng=lambda: next(draws), max_retries=5, backoff_base=2.0,
                         backoff_max=5.0)
    with pytest.raises(RetriesExhaustedError):
        client.get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 6
    # caps: 2, 4, 5, 5, 5
    assert clock.sleeps == pytest.approx([0.2, 3.6, 2.5, 4.95, 1.25])


def test_retries_exhausted_after_max_retries(httpserver, make_client, clock):
    s = script(httpserver, "/feed", err(502))
    client = make_client(max_retries=3)
    with pytest.raises(RetriesExhaustedError) as info:
        client.get(httpserver.url_for("/feed"), source="public_api", params={"x": "1"})
    assert s.count == 4
    assert len(clock.sleeps) == 3
    error = info.value
    assert error.attempts == 4
    assert error.status == 502
    assert error.source == "public_api"
    assert "\n" not in str(error)
    assert str(error).startswith("public_api /feed?x=1: gave up after 4 attempts")


def test_max_retries_zero_sends_once(httpserver, make_client, clock):
    s = script(httpserver, "/feed", err(503))
    with pytest.raises(RetriesExhaustedError):
        make_client(max_retries=0).get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 1
    assert clock.sleeps == []


def test_retry_after_seconds_is_honoured(httpserver, make_client, clock):
    s = script(httpserver, "/feed", err(429, {"Retry-After": "7"}), OK)
    client = make_client()
    client.get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 2
    assert clock.sleeps == [7.0]
    assert client.stats.throttled["public_api"] == 1


def test_retry_after_on_503_is_honoured(httpserver, make_client, clock):
    s = script(httpserver, "/feed", err(503, {"Retry-After": "12"}), OK)
    make_client().get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 2
    assert clock.sleeps == [12.0]


def test_retry_after_seconds_is_capped(httpserver, make_client, clock):
    s = script(httpserver, "/feed", err(429, {"Retry-After": "1000"}), OK)
    make_client(max_retry_after=30).get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 2
    assert clock.sleeps == [30.0]


def test_retry_after_http_date_is_honoured(httpserver, make_client, clock):
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    s = script(httpserver, "/feed", err(429, {"Retry-After": when}), OK)
    make_client().get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 2
    assert len(clock.sleeps) == 1
    assert 17.5 <= clock.sleeps[0] <= 20.0  # whole-second header, a little real time passed


def test_retry_after_http_date_is_capped(httpserver, make_client, clock):
    when = email.utils.formatdate(time.time() + 3600, usegmt=True)
    s = script(httpserver, "/feed", err(503, {"Retry-After": when}), OK)
    make_client(max_retry_after=45).get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 2
    assert clock.sleeps == [45.0]


def test_parse_retry_after_forms():
    now = 1_700_000_000.0
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now=now) == 90.0
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_connection_reset_is_retried(raw_server, make_client, clock):
    server = raw_server(["reset", "reset", http_ok()])
    client = make_client()
    response = client.get(server.url + "/feed", source="public_api")
    assert response.json() == {"ok": True}
    assert server.connections == 3
    assert clock.sleeps == [1.0, 2.0]
    assert client.stats.requests[("public_api", "error")] == 2


def test_read_timeout_is_retried(raw_server, make_client, clock):
    server = raw_server(["hang", http_ok()], hang_seconds=1.0)
    client = make_client(read_timeout=0.2)
    started = time.monotonic()
    response = client.get(server.url + "/feed", source="public_api")
    assert response.status_code == 200
    assert server.connections == 2
    assert clock.sleeps == [1.0]
    assert time.monotonic() - started < 5


def test_connection_refused_exhausts_retries(make_client, clock):
    import socket

    with socket.socket() as sock:  # reserve then free a port so nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetriesExhaustedError) as info:
        make_client(max_retries=2).get(f"http://127.0.0.1:{port}/x", source="market_report")
    assert info.value.attempts == 3
    assert info.value.status is None
    assert "ConnectionError" in str(info.value)
    assert clock.sleeps == [1.0, 2.0]


def test_401_is_auth_error_without_retry(httpserver, make_client, clock):
    body = {"statusCode": 401, "message": "Access denied due to missing subscription key"}
    s = script(httpserver, "/feed", json_response(body, 401))
    with pytest.raises(AuthError) as info:
        make_client().get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 1
    assert clock.sleeps == []
    assert info.value.status == 401


def test_400_is_bad_path_without_retry(httpserver, make_client, clock):
    s = script(httpserver, "/feed", Response("Invalid date format", status=400))
    with pytest.raises(BadPathError):
        make_client().get(httpserver.url_for("/feed"), source="public_api")
    assert s.count == 1
    assert clock.sleeps == []

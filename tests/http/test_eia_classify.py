"""EIA's HTTP meanings through a real server: key errors fatal, throttling retried, 400 fatal."""

from __future__ import annotations

import pytest
from werkzeug import Response

from tap_miso import secrets
from tap_miso.http import AuthError, BadPathError, NoDataError, RetriesExhaustedError
from tap_miso.http.eia_classify import EIA_API, EIA_WORKBOOK

from .conftest import json_response, script

KEY = "EIA-TEST-KEY-0042"
PATH = "/v2/electricity/operating-generator-capacity/data/"
OK = {"response": {"total": "0", "data": []}, "request": {"params": {"api_key": KEY}}}
HTML = "<!DOCTYPE html><html><body>Too many requests</body></html>"


@pytest.fixture
def client(make_client):
    return make_client(max_retries=2)


def eia_get(client, httpserver, source=EIA_API, path=PATH):
    return client.get(httpserver.url_for(path), source=source, params={"api_key": KEY})


@pytest.mark.parametrize("code", ["API_KEY_MISSING", "API_KEY_INVALID"])
def test_key_errors_are_fatal_and_not_retried(httpserver, client, clock, code):
    secrets.register_secret(KEY)
    body = {"error": {"code": code, "message": f"bad key {KEY}"}}
    s = script(httpserver, PATH, json_response(body, 403), json_response(OK))
    with pytest.raises(AuthError) as info:
        eia_get(client, httpserver)
    assert s.count == 1 and clock.sleeps == []
    assert code in str(info.value) and "eia_api_key" in str(info.value)
    assert KEY not in str(info.value) and "api_key=***" in str(info.value)


@pytest.mark.parametrize("throttle", [
    json_response({"error": {"code": "OVER_RATE_LIMIT", "message": "slow down"}}, 403),
    json_response({"error": "Forbidden"}, 403),
    Response("", status=429),
    Response(HTML, status=503, content_type="text/html"),
    Response(HTML, status=200, content_type="text/html"),
    Response("OVER_RATE_LIMIT", status=200, content_type="text/plain"),
])  # fmt: skip
def test_throttling_is_retried_with_backoff(httpserver, client, clock, throttle):
    s = script(httpserver, PATH, throttle, json_response(OK))
    response = eia_get(client, httpserver)
    assert response.status_code == 200 and s.count == 2
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 0
    assert client.stats.snapshot()["throttled"].get(EIA_API, 0) >= 1


@pytest.mark.parametrize("body", [{"error": "try later"}, {"apiVersion": "2.1.12"}])
def test_200_with_error_or_without_response_is_transient(httpserver, client, clock, body):
    s = script(httpserver, PATH, json_response(body), json_response(body), json_response(body))
    with pytest.raises(RetriesExhaustedError):
        eia_get(client, httpserver)
    assert s.count == 3  # 1 + max_retries


@pytest.mark.parametrize(("status", "body"), [
    (400, {"error": "Invalid facet 'bogus'", "code": 400}),
    (404, {"error": "Not found.", "code": 404}),
])  # fmt: skip
def test_bad_parameter_and_unknown_route_are_fatal(httpserver, client, clock, status, body):
    s = script(httpserver, PATH, json_response(body, status), json_response(OK))
    with pytest.raises(BadPathError) as info:
        eia_get(client, httpserver)
    assert s.count == 1 and clock.sleeps == []
    assert str(status) in str(info.value)


def test_workbook_html_page_is_no_data_not_retried(httpserver, client, clock):
    path = "/xls/may_generator2026.xlsx"
    s = script(httpserver, path, Response(HTML, status=200, content_type="text/html"))
    with pytest.raises(NoDataError):
        client.get(httpserver.url_for(path), source=EIA_WORKBOOK)
    assert s.count == 1 and clock.sleeps == []


def test_eia_api_calls_get_the_eia_rate_ceiling(client):
    per_minute, per_hour, _ = client.limiters.limits_for("eia")
    assert per_minute <= 5 * 60 and per_hour < 9000

"""MISO's HTTP meanings (FORMATS.md §2.3, §4.1, §7.6, §7.22) through a real server."""

from __future__ import annotations

import pytest
from werkzeug import Response

from tap_miso.http import AuthError, BadPathError, InvalidPayloadError, NoDataError

from .conftest import json_response, script

BACKEND_404 = {"status": 404, "reason": "Empty data returned for date"}
GATEWAY_404 = {"statusCode": 404, "message": "Resource not found"}
BLOB_404 = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code>'
            "<Message>The specified blob does not exist.</Message></Error>")


@pytest.fixture
def client(make_client):
    return make_client(pricing_keys=("k-one-1234",))


def dx_get(client, httpserver, path):
    return client.get(httpserver.url_for(path), source="data_exchange", product="pricing")


def test_dx_backend_404_is_no_data(httpserver, client, clock):
    s = script(httpserver, "/pricing/v1/x", json_response(BACKEND_404, 404))
    with pytest.raises(NoDataError) as info:
        dx_get(client, httpserver, "/pricing/v1/x")
    assert s.count == 1
    assert clock.sleeps == []
    assert "Empty data returned for date" in str(info.value)


def test_dx_gateway_404_is_bad_path(httpserver, client):
    s = script(httpserver, "/pricing/v1/typo", json_response(GATEWAY_404, 404))
    with pytest.raises(BadPathError) as info:
        dx_get(client, httpserver, "/pricing/v1/typo")
    assert s.count == 1
    assert "Resource not found" in str(info.value)
    assert not isinstance(info.value, NoDataError)


def test_market_report_blob_not_found_is_no_data(httpserver, client):
    headers = {"x-ms-error-code": "BlobNotFound"}
    s = script(httpserver, "/marketreports/20260105_da_exante_lmp.csv",
               Response(BLOB_404, status=404, headers=headers, content_type="application/xml"))
    with pytest.raises(NoDataError) as info:
        client.get(httpserver.url_for("/marketreports/20260105_da_exante_lmp.csv"),
                   source="market_report")
    assert s.count == 1
    assert "BlobNotFound" in str(info.value)
    assert str(info.value).startswith("market_report /marketreports/20260105_da_exante_lmp.csv")


def test_other_404_is_bad_path_outside_market_reports(httpserver, client):
    s = script(httpserver, "/api/feed", Response("nope", status=404))
    with pytest.raises(BadPathError):
        client.get(httpserver.url_for("/api/feed"), source="public_api")
    assert s.count == 1


def test_403_outside_data_exchange_is_auth_error(httpserver, client, clock):
    s = script(httpserver, "/api/feed", Response("Cloudflare challenge", status=403))
    with pytest.raises(AuthError):
        client.get(httpserver.url_for("/api/feed"), source="public_api")
    assert s.count == 1
    assert clock.sleeps == []


def test_html_200_is_invalid_payload(httpserver, client):
    page = "<!DOCTYPE html><html><body>Maintenance</body></html>"
    script(httpserver, "/api/feed", Response(page, content_type="text/html"))
    with pytest.raises(InvalidPayloadError):
        client.get(httpserver.url_for("/api/feed"), source="public_api")


def test_html_body_with_wrong_content_type_is_invalid_payload(httpserver, client):
    script(httpserver, "/api/feed", Response("  <html><body>oops</body></html>",
                                             content_type="application/json"))
    with pytest.raises(InvalidPayloadError):
        client.get(httpserver.url_for("/api/feed"), source="public_api")


def test_error_object_200_is_invalid_payload(httpserver, client, clock):
    s = script(httpserver, "/api/feed", json_response({"error": "no data"}))
    with pytest.raises(InvalidPayloadError) as info:
        client.get(httpserver.url_for("/api/feed"), source="public_api")
    assert s.count == 1
    assert clock.sleeps == []
    assert "no data" in str(info.value)


def test_normal_json_and_csv_pass(httpserver, client):
    script(httpserver, "/api/json", json_response({"data": [{"error_rate": 1}]}))
    script(httpserver, "/api/csv", Response("Node,HE1\nA,1\n", content_type="text/csv"))
    assert client.get(httpserver.url_for("/api/json"), source="public_api").json()
    assert client.get(httpserver.url_for("/api/csv"), source="market_report").text.startswith(
        "Node")


def test_stream_checks_only_the_content_type(httpserver, client):
    script(httpserver, "/big.csv", Response("a,b\n1,2\n", content_type="text/csv"))
    script(httpserver, "/page", Response("<html></html>", content_type="text/html"))
    response = client.get(httpserver.url_for("/big.csv"), source="market_report", stream=True)
    assert response.raw is not None
    assert b"".join(response.iter_content(64)) == b"a,b\n1,2\n"
    with pytest.raises(InvalidPayloadError):
        client.get(httpserver.url_for("/page"), source="market_report", stream=True)

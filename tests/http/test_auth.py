"""Data Exchange key rotation, 403 quota parking and 401 (FORMATS.md §2.1, §2.3, §7.7-8)."""

from __future__ import annotations

import pytest
import requests
from singer_sdk.authenticators import APIKeyAuthenticator
from werkzeug import Request, Response

from tap_miso.http import AuthError, QuotaExhaustedError
from tap_miso.http.auth import KEY_HEADER, DataExchangeAuthenticator

from .conftest import json_response, script

KEY_A, KEY_B = "PRICING-KEY-AAAA", "PRICING-KEY-BBBB"
LGI_KEY = "LGI-KEY-CCCC"
OK = json_response({"data": [], "page": {"pageNumber": 1, "totalElements": 0,
                                         "totalPages": 0, "lastPage": True}})


def keys_seen(s):
    return [r.headers.get(KEY_HEADER) for r in s.requests]


def test_requests_alternate_keys(httpserver, make_client):
    s = script(httpserver, "/pricing/v1/x", OK)
    client = make_client(pricing_keys=(KEY_A, KEY_B))
    for _ in range(4):
        client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                   product="pricing")
    assert keys_seen(s) == [KEY_A, KEY_B, KEY_A, KEY_B]
    assert all(r.headers.get("Cache-Control") == "no-cache" for r in s.requests)
    assert all("subscription-key" not in r.query_string.decode() for r in s.requests)


def test_products_use_their_own_keys(httpserver, make_client):
    s_pricing = script(httpserver, "/pricing/v1/x", OK)
    s_lgi = script(httpserver, "/lgi/v1/y", OK)
    client = make_client(pricing_keys=(KEY_A,), lgi_keys=(LGI_KEY,))
    client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange", product="pricing")
    client.get(httpserver.url_for("/lgi/v1/y"), source="data_exchange", product="lgi")
    assert keys_seen(s_pricing) == [KEY_A]
    assert keys_seen(s_lgi) == [LGI_KEY]


def quota_for(*spent: str):
    def handler(request: Request) -> Response:
        if request.headers.get(KEY_HEADER) in spent:
            return Response("Out of call volume quota", status=403)
        return OK
    return handler


def test_403_parks_key_and_succeeds_with_the_other(httpserver, make_client, clock):
    s = script(httpserver, "/pricing/v1/x", quota_for(KEY_A))
    client = make_client(pricing_keys=(KEY_A, KEY_B))
    response = client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                          product="pricing")
    assert response.status_code == 200
    assert keys_seen(s) == [KEY_A, KEY_B]
    # A key switch is not a backoff: the only wait is the DX pacing of 60 s / 100 calls.
    assert clock.sleeps == pytest.approx([0.6])
    assert client.stats.retries["data_exchange"] == 0
    client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange", product="pricing")
    assert keys_seen(s) == [KEY_A, KEY_B, KEY_B]  # A stays parked
    assert client.stats.keys_parked["pricing"] == 1
    assert client.breakers.get("data_exchange:pricing").state == "closed"


def test_403_on_last_key_raises_quota_exhausted_naming_product(httpserver, make_client, clock):
    s = script(httpserver, "/pricing/v1/x", quota_for(KEY_A, KEY_B))
    client = make_client(pricing_keys=(KEY_A, KEY_B))
    with pytest.raises(QuotaExhaustedError) as info:
        client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                   product="pricing")
    assert s.count == 2
    message = str(info.value)
    assert "Data Exchange pricing daily quota exhausted" in message
    assert KEY_A not in message and KEY_B not in message
    assert info.value.product == "pricing"
    assert not client.has_keys("pricing")
    # No key left: the next call fails without a request.
    with pytest.raises(QuotaExhaustedError):
        client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                   product="pricing")
    assert s.count == 2
    assert clock.sleeps == pytest.approx([0.6])


def test_parked_key_is_reprobed_after_an_hour(httpserver, make_client, clock):
    s = script(httpserver, "/pricing/v1/x", Response("quota", status=403), OK)
    client = make_client(pricing_keys=(KEY_A,))
    with pytest.raises(QuotaExhaustedError):
        client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                   product="pricing")
    clock.advance(3599)
    assert not client.has_keys("pricing")
    clock.advance(1)
    assert client.has_keys("pricing")
    client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange", product="pricing")
    assert s.count == 2


def test_no_key_configured_fails_without_request(httpserver, make_client):
    s = script(httpserver, "/lgi/v1/x", OK)
    client = make_client(pricing_keys=(KEY_A,))
    with pytest.raises(AuthError) as info:
        client.get(httpserver.url_for("/lgi/v1/x"), source="data_exchange", product="lgi")
    assert s.count == 0
    assert "no Data Exchange lgi key configured" in str(info.value)


def test_401_is_auth_error(httpserver, make_client, clock):
    body = {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
    s = script(httpserver, "/pricing/v1/x", json_response(body, 401))
    client = make_client(pricing_keys=(KEY_A, KEY_B))
    with pytest.raises(AuthError):
        client.get(httpserver.url_for("/pricing/v1/x"), source="data_exchange",
                   product="pricing")
    assert s.count == 1
    assert clock.sleeps == []
    assert client.has_keys("pricing")  # 401 does not park


def test_authenticator_is_an_sdk_api_key_authenticator_usable_by_requests(httpserver):
    s = script(httpserver, "/x", OK)
    auth = DataExchangeAuthenticator("pricing", [KEY_A, KEY_B])
    assert isinstance(auth, APIKeyAuthenticator)
    assert auth.has_keys
    requests.get(httpserver.url_for("/x"), auth=auth, timeout=5)
    requests.get(httpserver.url_for("/x"), auth=auth, timeout=5)
    assert keys_seen(s) == [KEY_A, KEY_B]
    assert KEY_A not in str(auth.auth_headers)

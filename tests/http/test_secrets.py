"""Keys never reach logs or exception text."""

from __future__ import annotations

import logging

import pytest
from werkzeug import Response

from tap_miso.http import AuthError, BadPathError, QuotaExhaustedError, RetriesExhaustedError
from tap_miso.secrets import SecretRedactingFilter, install_redaction, redact, register_secret

from .conftest import json_response, script

SECRET = "SECRET-KEY-123456"


def test_redact_registered_and_query_keys():
    register_secret("REGISTERED-ABCDEF")
    register_secret("")
    assert redact("key REGISTERED-ABCDEF here") == "key *** here"
    assert (redact("/x?subscription-key=abc123&pageNumber=2")
            == "/x?subscription-key=***&pageNumber=2")
    assert redact("https://eia/v2?api_key=zzz") == "https://eia/v2?api_key=***"
    assert redact("nothing to hide") == "nothing to hide"


def test_filter_redacts_args_and_exception_text():
    register_secret(SECRET)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key=%s", (SECRET,), None)
    try:
        raise ValueError(f"boom {SECRET}")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    assert SecretRedactingFilter().filter(record) is True
    assert record.getMessage() == "key=***"
    assert SECRET not in record.exc_text


def test_failing_run_never_shows_the_key(httpserver, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "tap_miso", "pybreaker"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    install_redaction()
    script(httpserver, "/pricing/v1/down", Response(f"echo {SECRET}", status=503))
    script(httpserver, "/pricing/v1/denied",
           json_response({"statusCode": 401, "message": f"bad key {SECRET}"}, 401))
    script(httpserver, "/pricing/v1/quota", Response("quota", status=403))
    script(httpserver, "/pricing/v1/typo",
           json_response({"statusCode": 404, "message": "Resource not found"}, 404))
    client = make_client(pricing_keys=(SECRET,), max_retries=2)
    errors = []
    for path, error in [("/pricing/v1/down", RetriesExhaustedError),
                        ("/pricing/v1/denied", AuthError),
                        ("/pricing/v1/typo", BadPathError),
                        ("/pricing/v1/quota", QuotaExhaustedError)]:
        url = httpserver.url_for(path) + f"?subscription-key={SECRET}"
        with pytest.raises(error) as info:
            client.get(url, source="data_exchange", product="pricing")
        errors.append(info.value)
    for exc in errors:
        assert SECRET not in str(exc)
        assert SECRET not in repr(exc)
        assert SECRET not in exc.url
        if exc.__cause__ is not None or exc.__context__ is not None:
            assert SECRET not in str(exc.__cause__ or exc.__context__)
    # The key was on the wire (header + query) and urllib3 logged the query: redacted.
    assert any(r.name.startswith("urllib3") and "subscription-key=***" in r.getMessage()
               for r in caplog.records)
    assert SECRET not in caplog.text
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_redact_is_idempotent_on_already_masked_query_values():
    from tap_miso.secrets import redact as _redact

    once = _redact("/feed?subscription-key=abc123") + ": 503 busy"
    assert once == "/feed?subscription-key=***: 503 busy"
    assert _redact(once) == once

